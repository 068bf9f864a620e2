"""Hostile and careless XLSX workbooks (built by code; see tests/hostile/__init__.py).

`workbook()` writes a minimal but complete package (content types, relationships, workbook,
sheets, optional shared strings and styles) from XML text, so each file differs from a good
one in exactly the way its builder says. `raw_zip()` writes a zip by hand, for what zipfile
will not write: members whose headers lie about their size, flags and methods.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
HEADER = ["name", "lat", "lon"]
GOOD_ROWS = [["Coop Sole", 44.4949, 11.3426], ["Coop Luna", 41.9028, 12.4964]]
BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
                            for i in range(1, 10))
                  + "]>")  # fmt: skip


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def cell(ref: str, value: object, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"{s}><is><t>{esc(value)}</t></is></c>'
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def row(number: int, values: list, start: int = 1) -> str:
    cells = "".join(cell(f"{column_letter(start + i)}{number}", v) for i, v in enumerate(values)
                    if v is not None)
    return f'<row r="{number}">{cells}</row>'


def table_rows(rows: list[list] | None = None, first: int = 1) -> str:
    return "".join(row(first + i, r) for i, r in enumerate([HEADER, *(rows or GOOD_ROWS)]))


def sheet_xml(rows: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{XML}{prolog}<worksheet xmlns="{MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'


def shared_strings_xml(strings: list[str], prolog: str = "") -> str:
    items = "".join(f"<si><t>{esc(s)}</t></si>" for s in strings)
    return f'{XML}{prolog}<sst xmlns="{MAIN}" count="{len(strings)}">{items}</sst>'


def styles_xml(cell_formats: list[int], custom: dict[int, str] | None = None) -> str:
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{esc(c)}"/>'
                   for i, c in (custom or {}).items())
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                  for i in cell_formats)
    return (f'{XML}<styleSheet xmlns="{MAIN}"><numFmts count="{len(custom or {})}">{fmts}'
            '</numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(cell_formats)}">{xfs}</cellXfs></styleSheet>')


def workbook_parts(sheets: dict[str, str], shared: str | None = None,
                   styles: str | None = None, targets: dict[str, str] | None = None,
                   workbook_prolog: str = "", workbook_pr: str = "") -> dict[str, bytes]:
    """Parts of a package: `sheets` maps a sheet name to its XML; `targets` may point several
    names at one part (name → part path) instead."""
    targets = targets or {name: f"worksheets/sheet{i}.xml" for i, name in enumerate(sheets, 1)}
    parts = {f"xl/{targets[name]}": xml for name, xml in sheets.items() if xml is not None}
    entries = "".join(f'<sheet name="{esc(name)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in enumerate(targets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="{target}"/>'
                   for i, target in enumerate(targets.values(), 1))
    overrides = "".join(f'<Override PartName="/{p}" ContentType="application/vnd.'
                        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for p in sorted(parts))
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
        rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                      'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    if styles is not None:
        parts["xl/styles.xml"] = styles
        rels += f'<Relationship Id="rIdY" Type="{REL}/styles" Target="styles.xml"/>'
        overrides += ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.'
                      'openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
    parts["[Content_Types].xml"] = (
        f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>')
    parts["_rels/.rels"] = (f'{XML}<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                            "</Relationships>")
    parts["xl/workbook.xml"] = (f'{XML}{workbook_prolog}<workbook xmlns="{MAIN}" '
                                f'xmlns:r="{REL}">{workbook_pr}<sheets>{entries}</sheets>'
                                "</workbook>")
    parts["xl/_rels/workbook.xml.rels"] = (f'{XML}<Relationships xmlns="{PKG_REL}">{rels}'
                                           "</Relationships>")
    return {name: text.encode() if isinstance(text, str) else text
            for name, text in parts.items()}


def zipped(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def workbook(sheets: dict[str, str], **kwargs) -> bytes:
    return zipped(workbook_parts(sheets, **kwargs))


@dataclass
class Member:
    """A zip member written as given: `payload` is already compressed with `method`; `size`
    and `crc` are what the headers say (the truth unless a builder lies)."""

    name: str
    payload: bytes
    size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0


def member(name: str, data: bytes, **kwargs) -> Member:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = packer.compress(data) + packer.flush()
    return Member(name, payload, len(data), zlib.crc32(data), **kwargs)


def raw_zip(members: list[Member]) -> bytes:
    """Local headers, data and central directory, byte by byte (no zip64: under 4 GB)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for m in members:
        name, offset = m.name.encode(), out.tell()
        fields = (20, m.flags, m.method, 0, 0x21, m.crc, len(m.payload), m.size, len(name))
        out.write(struct.pack("<4s5HL2L2H", b"PK\x03\x04", *fields, 0) + name + m.payload)
        directory.write(struct.pack("<4s6HL2L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0,
                                    0, offset) + name)
    start, size = out.tell(), directory.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), size,
                          start, 0))
    return out.getvalue()


def deflate_bomb(head: bytes, block: bytes, repeats: int, tail: bytes) -> tuple[bytes, int, int]:
    """(deflate stream, size, crc) of head + block * repeats + tail, compressed once: with a
    full flush each block is compressed on its own, so the same bytes repeat."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * repeats + len(tail)
    return first + again * repeats + last, size, crc


def with_members(parts: dict[str, bytes], *replaced: Member) -> bytes:
    """The package written by hand, with some members replaced."""
    names = {m.name for m in replaced}
    return raw_zip([member(n, d) for n, d in parts.items() if n not in names] + list(replaced))


# ---------------------------------------------------------------- the corpus


def dimension_bomb() -> bytes:
    """1.7 KB claiming A1:XFD1048576 (17 billion cells) for three rows with values and 100,000
    blank ones: openpyxl pads each of them to 16,384 cells."""
    return workbook({"Data": sheet_xml(table_rows() + "<row/>" * 100_000,
                                       dimension="A1:XFD1048576")})


def blank_rows() -> bytes:
    """A header, 5 million empty <row/> elements, then a data row (30 MB of XML, 30 KB)."""
    rows = table_rows([]) + "<row/>" * 5_000_000 + row(5_000_002, GOOD_ROWS[0])
    return workbook({"Data": sheet_xml(rows)})


def far_row() -> bytes:
    """A row numbered two billion: openpyxl would yield every row in between."""
    return workbook({"Data": sheet_xml(table_rows() + row(2_000_000_000, GOOD_ROWS[0]))})


def last_row() -> bytes:
    """Data in row 1,048,576 (Excel's last): fine, read as that line, no gap filled."""
    return workbook({"Data": sheet_xml(table_rows() + row(1_048_576, GOOD_ROWS[1]))})


def far_column() -> bytes:
    """A value in column XFD (16,384 columns; the limit is 1,000)."""
    return workbook({"Data": sheet_xml(table_rows() + '<row r="4">'
                                       + cell("XFD4", "far away") + "</row>")})


def far_blank_cells() -> bytes:
    """Empty styled cells out to column XFD on every row (as Excel writes formatted rows)."""
    rows = "".join(row(i, r).replace("</row>", f'<c r="XFD{i}" s="0"/></row>')
                   for i, r in enumerate([HEADER, *GOOD_ROWS], 1))
    return workbook({"Data": sheet_xml(rows)})


STRINGS_HEAD = f'{XML}<sst xmlns="{MAIN}">'.encode()
STRING_BLOCK = b"<si><t>" + b"A" * (1 << 20) + b"</t></si>"  # one 1 MB string


def shared_cell_rows(index: int = 0) -> str:
    """The good table, then a row whose name is shared string `index`: the reader must
    open the shared strings to read it."""
    return table_rows() + f'<row r="4"><c r="A4" t="s"><v>{index}</v></c></row>'


def strings_bomb_parts(repeats: int) -> tuple[dict[str, bytes], bytes, int, int]:
    parts = workbook_parts({"Data": sheet_xml(shared_cell_rows())},
                           shared=shared_strings_xml(["x"]))
    payload, size, crc = deflate_bomb(STRINGS_HEAD, STRING_BLOCK, repeats, b"</sst>")
    return parts, payload, size, crc


def strings_bomb() -> bytes:
    """sharedStrings.xml inflating to 2.1 GB (2 MB compressed), sizes told truthfully."""
    parts, payload, size, crc = strings_bomb_parts(2_048)
    return with_members(parts, Member("xl/sharedStrings.xml", payload, size, crc))


def strings_bomb_lying() -> bytes:
    """The same bomb, but its headers claim 1,000 bytes (with the checksum of those)."""
    parts, payload, _, _ = strings_bomb_parts(2_048)
    head = (STRINGS_HEAD + STRING_BLOCK)[:1000]
    return with_members(parts, Member("xl/sharedStrings.xml", payload, 1000, zlib.crc32(head)))


def strings_bomb_lying_crc() -> bytes:
    """Headers claiming 1,000 bytes and a checksum of nothing in particular."""
    parts, payload, _, _ = strings_bomb_parts(2_048)
    return with_members(parts, Member("xl/sharedStrings.xml", payload, 1000, 0))


def billion_laughs() -> bytes:
    """Entities expanding to a billion 'lol's in the sheet."""
    rows = row(1, HEADER) + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return workbook({"Data": sheet_xml(rows, prolog=BILLION_LAUGHS)})


def billion_laughs_strings() -> bytes:
    """The entities in the shared strings, which a cell uses."""
    parts = workbook_parts({"Data": sheet_xml(shared_cell_rows())},
                           shared=shared_strings_xml(["&lol9;"], prolog=BILLION_LAUGHS)
                           .replace("&amp;lol9;", "&lol9;"))
    return zipped(parts)


def external_entity() -> bytes:
    """An external entity (XXE) in workbook.xml naming /etc/passwd."""
    return workbook({"Data": sheet_xml(table_rows())},
                    workbook_prolog='<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>')


def repeated_part() -> bytes:
    """500 sheets all pointing at one part of 100,000 blank rows: 50 million rows to parse,
    from 2 KB of XML repeated."""
    blank = sheet_xml("<row/>" * 100_000)
    names = {f"S{i}": "worksheets/blank.xml" for i in range(500)}
    sheets = {name: None for name in names}
    sheets["S0"] = blank
    return workbook(sheets, targets=names)


def many_parts() -> bytes:
    """A good workbook plus 20,000 empty members (a directory ZipFile must read whole)."""
    parts = workbook_parts({"Data": sheet_xml(table_rows())})
    parts.update({f"junk/{i}.bin": b"" for i in range(20_000)})
    return zipped(parts)


def deep_xml() -> bytes:
    """A sheet nested 100,000 elements deep inside a row."""
    rows = table_rows() + '<row r="4">' + "<x>" * 100_000 + "</x>" * 100_000 + "</row>"
    return workbook({"Data": sheet_xml(rows)})


def huge_tag() -> bytes:
    """One start tag of 50 MB (an attribute of 50 million characters, 50 KB compressed):
    expat 2.5 scans a pending tag again at every block it is fed, so read block by block
    this costs minutes unless refused."""
    rows = table_rows() + f'<row r="4"><c r="A4" x="{"x" * 50_000_000}"/></row>'
    return workbook({"Data": sheet_xml(rows)})


def rich_cell() -> bytes:
    """One cell of 200,000 rich-text runs."""
    runs = "<r><t>x</t></r>" * 200_000
    rows = table_rows() + f'<row r="4"><c r="A4" t="inlineStr"><is>{runs}</is></c></row>'
    return workbook({"Data": sheet_xml(rows)})


def bad_cells() -> bytes:
    """A reference to shared string 10**9 (the table has one)."""
    rows = table_rows() + '<row r="4"><c r="A4" t="s"><v>1000000000</v></c></row>'
    return workbook({"Data": sheet_xml(rows)}, shared=shared_strings_xml(["only one"]))


def not_a_number() -> bytes:
    rows = table_rows() + '<row r="4"><c r="A4"><v>twelve</v></c></row>'
    return workbook({"Data": sheet_xml(rows)})


def bad_reference() -> bytes:
    rows = table_rows() + '<row r="4"><c r="4A!" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook({"Data": sheet_xml(rows)})


def rows_backwards() -> bytes:
    return workbook({"Data": sheet_xml(table_rows() + row(2, GOOD_ROWS[0]))})


def formulas() -> bytes:
    """Formulas with cached values (shown), one with none (empty), none ever run."""
    rows = (row(1, ["name", "website", "total"])
            + '<row r="2"><c r="A2" t="str"><f>HYPERLINK("http://evil.example","Coop")</f>'
            '<v>Coop Sole</v></c><c r="B2" t="str"><f>WEBSERVICE("http://evil.example")</f>'
            '<v>http://coop.example</v></c><c r="C2"><f>1+1</f><v>2</v></c></row>'
            '<row r="3"><c r="A3" t="str"><f>CONCAT("Coop ","Luna")</f></c>'
            '<c r="C3"><f t="shared" ref="C3:C4" si="0">C2*2</f><v>4</v></c></row>')
    return workbook({"Data": sheet_xml(rows)})


def dates() -> bytes:
    """Serial dates under a date style (1900 and 1904 systems), a huge serial, a duration."""
    rows = (row(1, ["name", "founded", "open for"])
            + '<row r="2"><c r="A2" t="inlineStr"><is><t>Coop</t></is></c>'
            '<c r="B2" s="1"><v>45000</v></c><c r="C2" s="3"><v>1.5</v></c></row>'
            '<row r="3"><c r="A3" t="inlineStr"><is><t>Far</t></is></c>'
            '<c r="B3" s="2"><v>1e20</v></c></row>')
    return workbook({"Data": sheet_xml(rows)},
                    styles=styles_xml([0, 14, 164, 165], {164: "yyyy-mm-dd", 165: "[h]:mm"}))


def styles_bomb() -> bytes:
    """A style sheet of two million cell formats (126 MB of XML), the last of which a
    number cell uses (so the reader must read them all)."""
    rows = table_rows() + row(4, ["Coop Sole"]).replace(
        "</row>", '<c r="B4" s="1999999"><v>45000</v></c></row>')
    return workbook({"Data": sheet_xml(rows)}, styles=styles_xml([14] * 2_000_000))


def strings_many() -> bytes:
    """Two million empty shared strings (22 MB of XML, 40 KB compressed), the last of which
    a cell uses."""
    sst = f'{XML}<sst xmlns="{MAIN}">' + "<si><t/></si>" * 2_000_000 + "</sst>"
    return workbook({"Data": sheet_xml(shared_cell_rows(1_999_999))}, shared=sst)


def encrypted_member() -> bytes:
    """The sheet flagged as encrypted (zip's own encryption, which Excel never uses)."""
    parts = workbook_parts({"Data": sheet_xml(table_rows())})
    name = "xl/worksheets/sheet1.xml"
    return with_members(parts, member(name, parts[name], flags=0x1))


def unknown_compression() -> bytes:
    parts = workbook_parts({"Data": sheet_xml(table_rows())})
    name = "xl/worksheets/sheet1.xml"
    return with_members(parts, member(name, parts[name], method=99))


def not_a_workbook() -> bytes:
    return zipped({"readme.txt": b"just a zip"})


def truncated() -> bytes:
    data = workbook({"Data": sheet_xml(table_rows())})
    return data[: len(data) // 2]


def malformed_xml() -> bytes:
    return workbook({"Data": sheet_xml(table_rows()).replace("</sheetData>", "<row")})


def missing_sheet_part() -> bytes:
    """The workbook lists a sheet whose part is not in the zip, then a good one."""
    return workbook({"Gone": None, "Data": sheet_xml(table_rows())})


FILES: dict[str, Callable[[], bytes]] = {
    "dimension-bomb.xlsx": dimension_bomb,
    "blank-rows-5m.xlsx": blank_rows,
    "far-row.xlsx": far_row,
    "last-row.xlsx": last_row,
    "far-column.xlsx": far_column,
    "far-blank-cells.xlsx": far_blank_cells,
    "strings-bomb.xlsx": strings_bomb,
    "strings-bomb-lying.xlsx": strings_bomb_lying,
    "strings-bomb-lying-crc.xlsx": strings_bomb_lying_crc,
    "billion-laughs.xlsx": billion_laughs,
    "billion-laughs-strings.xlsx": billion_laughs_strings,
    "external-entity.xlsx": external_entity,
    "repeated-part.xlsx": repeated_part,
    "many-parts.xlsx": many_parts,
    "deep-xml.xlsx": deep_xml,
    "huge-tag.xlsx": huge_tag,
    "rich-cell.xlsx": rich_cell,
    "bad-shared-string.xlsx": bad_cells,
    "not-a-number.xlsx": not_a_number,
    "bad-reference.xlsx": bad_reference,
    "rows-backwards.xlsx": rows_backwards,
    "formulas.xlsx": formulas,
    "dates.xlsx": dates,
    "styles-bomb.xlsx": styles_bomb,
    "strings-many.xlsx": strings_many,
    "encrypted-member.xlsx": encrypted_member,
    "unknown-compression.xlsx": unknown_compression,
    "not-a-workbook.xlsx": not_a_workbook,
    "truncated.xlsx": truncated,
    "malformed-xml.xlsx": malformed_xml,
    "missing-sheet-part.xlsx": missing_sheet_part,
}
