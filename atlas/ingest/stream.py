"""Importing a large CSV block by block: the importer's rules on one block at a time, the
accepted rows appended to a Parquet file. `python -m atlas import` streams every CSV this way.

Memory stays about one block's worth (BLOCK_BYTES of text, a few hundred MB once parsed and
placed) plus what the run keeps between blocks (atlas.ingest.importer.ImportRun: about 60 bytes per
row for duplicates and ids, the rejections and rows to check, the report's counts).

Reading gives exactly what `atlas.ingest.reading.read_csv_text` gives for the whole file — same
records, same line numbers, same rejected rows — by two routes:
- fast: UTF-8 text is cut at a line break outside quotes and Arrow parses the block. That is
  kept only when every line of the block is exactly one record of the header's width (as
  many rows as line breaks, no field near csv's size limit), where Arrow and Python's csv
  module agree; the line numbers then simply count on.
- exact: a block that is not that simple (line breaks inside quotes, blank or ragged lines,
  a literal quote that confuses the cut) is read by Python's csv module instead, as
  `read_csv_text` does, up to a record's end; Arrow takes the next block again.
A file in another encoding is first copied as UTF-8 to a temporary file (same text, same
lines); a file of one column is read by the csv module throughout.

Duplicates are found across blocks (atlas.ingest.duplicates). Merging them (--merge-duplicates)
needs the first row of each group, which may already be written: after the last block, the
file is rewritten once with every group merged into its first row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from atlas.geo.placement import RegionIndex
from atlas.ingest import duplicates
from atlas.ingest import encoding as encodings
from atlas.ingest.columns import Mapping
from atlas.ingest.importer import (
    ENV_MAX_MB,
    ImportFailure,
    ImportOptions,
    ImportResult,
    ImportRun,
    Limits,
    load_all_layers,
    mapping_for,
    tally,
)
from atlas.ingest.reading import (
    BINARY_MAGIC,
    RawTable,
    cell_frame,
    check_header,
    check_text,
    csv_records,
    header_failure,
    sniff_delimiter,
    sniff_format,
    too_many_rows,
    unique_columns,
)
from atlas.model.schema import arrow_schema

BLOCK_BYTES = 32 << 20  # text per block: ~150,000 rows of a typical register
HEAD_BYTES = 1 << 19  # enough to sniff the delimiter from 64 KB of text, whatever the encoding
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def is_csv(path: Path) -> bool:
    """Whether `path` is read as CSV (not XLSX or GeoJSON), from its first bytes and name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    return sniff_format(head, path.name) == "csv"


# ---------------------------------------------------------------- reading in blocks


def _text_lines(path: Path, codec: str, offset: int = 0) -> io.TextIOWrapper:
    """The file's text from byte `offset`, line by line with line endings kept."""
    fh = open(path, "rb")  # the wrapper owns and closes it
    fh.seek(offset)
    return io.TextIOWrapper(fh, encoding=codec, newline="")


def _header(path: Path, codec: str, delimiter: str, head: str,
            limits: Limits) -> tuple[list[str], int]:
    """The first record that is not blank, and the line it ends on; refused as
    `read_csv_text` refuses it (unreadable, too many columns)."""
    with _text_lines(path, codec) as text:
        records = csv_records(text, delimiter)
        for _line, record, reason in records:
            if record is None:
                one = None if _has_line_break(path) else path.stat().st_size
                raise ImportFailure(header_failure(head, reason, one))
            return check_header(record, limits), records.next_line - 1
    raise ImportFailure("the file is empty")


def _has_line_break(path: Path) -> bool:
    with open(path, "rb") as fh:
        while chunk := fh.read(16 << 20):
            if b"\n" in chunk or b"\r" in chunk:
                return True
    return False


def _line_breaks(data: bytes) -> int:
    """Line breaks as csv counts them: \\r\\n, \\r or \\n."""
    returns = data.count(b"\r")
    return data.count(b"\n") + (returns - data.count(b"\r\n") if returns else 0)


def _cut(data: bytes, tries: int = 1000) -> int:
    """Length of the longest prefix that ends with a line break outside quotes (an even
    number of quote characters before it), 0 when none is found in a few tries."""
    pos, quotes = len(data), data.count(b'"')
    for _ in range(tries):
        end = data.rfind(b"\n", 0, pos)
        if end < 0:
            return 0
        quotes -= data.count(b'"', end, pos)
        if quotes % 2 == 0:
            return end + 1
        pos = end
    return 0


def _arrow_block(data: bytes, columns: list[str], delimiter: str) -> pa.Table | None:
    """The block parsed by Arrow, or None where Arrow and csv might disagree."""
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=columns),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    limit = csv.field_size_limit()
    for column in table.columns:  # csv refuses fields this long: let it say so
        if len(column) and pc.max(pc.utf8_length(column)).as_py() >= limit:
            return None
    return table


class _Block:
    """Where the next block starts: byte offset and line number."""

    def __init__(self, offset: int, line: int):
        self.offset, self.line = offset, line


def _arrow_blocks(path: Path, at: _Block, columns: list[str], delimiter: str,
                  block_bytes: int) -> Iterator[RawTable]:
    """Blocks Arrow parses while each line is one record. `at` is left where they stop
    (offset -1: at the end of the file)."""
    with open(path, "rb") as fh:
        fh.seek(at.offset)
        carry = b""
        while True:
            chunk = fh.read(block_bytes)
            eof = len(chunk) < block_bytes
            data = carry + chunk
            cut = len(data) if eof else _cut(data)
            if not cut and not eof:
                return  # no line break outside quotes in a whole block
            block, carry = data[:cut], data[cut:]
            body = block.rstrip(b"\r\n") if eof else block  # blank lines at the end: none
            count = _line_breaks(body) + (1 if body and not body.endswith((b"\n", b"\r")) else 0)
            if body:
                table = _arrow_block(body, columns, delimiter)
                if table is None or table.num_rows != count:
                    return
                cells = table.to_pandas()
                cells.columns = pd.Index(columns)
                yield RawTable("csv", columns, cells, at.line + np.arange(count, dtype=np.int64))
            at.offset += len(block)
            at.line += _line_breaks(block)
            if eof:
                at.offset = -1
                return


def _csv_blocks(path: Path, codec: str, at: _Block, columns: list[str], delimiter: str,
                block_bytes: int, skip_header: bool = False, one: bool = False
                ) -> Iterator[RawTable]:
    """The file from `at` read by Python's csv module, about `block_bytes` of text per block:
    the same records and line numbers as `read_csv_text`. With `one` (UTF-8 only), stop
    after one block and leave `at` at the next record (offset -1: the end of the file)."""
    with _text_lines(path, codec, at.offset) as text:
        counting = _Counting(text, count_bytes=one)
        records: list[list[str]] = []
        lines: list[int] = []
        rejected: list[dict] = []
        reader = csv_records(counting, delimiter, at.line, None if skip_header else len(columns))
        for line, record, reason in reader:
            if record is None:
                rejected.append({"line": line, "reason": reason})
            elif skip_header:
                skip_header = False
            else:
                records.append(record)
                lines.append(line)
            if counting.chars >= block_bytes and not reader.replaying:
                yield _raw(columns, records, lines, rejected)
                records, lines, rejected, counting.chars = [], [], [], 0
                if one:  # records end at line ends: the next one starts after these lines
                    at.offset, at.line = at.offset + counting.bytes, at.line + counting.lines
                    return
        if records or rejected:
            yield _raw(columns, records, lines, rejected)
        at.offset = -1


class _Counting:
    """Lines of a text, counting what has been read: characters since the last block, and
    lines and UTF-8 bytes in all (csv reads no further than the record it returns)."""

    def __init__(self, lines: Iterator[str], count_bytes: bool = False):
        self.text, self.count_bytes = lines, count_bytes
        self.chars = self.lines = self.bytes = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            self.chars += len(line)
            self.lines += 1
            if self.count_bytes:
                self.bytes += len(line.encode("utf-8"))
            yield line


def _raw(columns: list[str], records: list[list[str]], lines: list[int],
         rejected: list[dict]) -> RawTable:
    cells, keep = cell_frame(columns, records, lines, rejected)
    rejected.sort(key=lambda r: r["line"])  # as reading._table: by line
    return RawTable("csv", columns, cells, keep, rejected)


def csv_blocks(path: Path, *, block_bytes: int = BLOCK_BYTES, limits: Limits | None = None,
               delimiter: str | None = None, encoding: str | None = None
               ) -> Iterator[RawTable]:
    """A CSV file as RawTable blocks in file order. The first block (maybe empty) carries
    what was detected (encoding, delimiter, header and encoding warnings); ImportFailure as
    `read_path` when the file cannot be read at all. Unlike `read_csv_text`, columns with an
    empty header are kept, as `column N`, even when empty: a block cannot know the rest.
    A file in another encoding than UTF-8, or with lines that are not, is first copied as
    UTF-8 (the same text `read_bytes` gives: same records and lines); `encoding` overrides
    the detection."""
    limits = limits or Limits.from_env()
    original = path
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise ImportFailure(f"cannot open {path}: {exc.strerror or exc}") from exc
    if size > limits.max_bytes:
        raise ImportFailure(f"the file is {size / 1e6:,.1f} MB; the limit is "
                            f"{limits.max_mb:,.0f} MB (set {ENV_MAX_MB} to change it)")
    if size <= len(head) and not head.strip():
        raise ImportFailure("the file is empty")
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise ImportFailure(f"this is {what}, not a table (CSV, XLSX or GeoJSON)")
    chosen = encoding_of(path, encoding)
    with contextlib.ExitStack() as stack:
        if chosen.bad_count or chosen.codec not in ("utf-8", "utf-8-sig"):
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="atlas-import-"))
            path, codec = Path(folder) / "utf-8.csv", "utf-8"
            _transcode(original, chosen, path)
        else:
            codec = chosen.codec
        with open(path, "rb") as fh:
            text = codecs.getincrementaldecoder(codec)(errors="replace").decode(
                fh.read(HEAD_BYTES), final=False)
        check_text(text)
        delimiter = delimiter or sniff_delimiter(text)
        header, header_end = _header(path, codec, delimiter, text, limits)
        columns, warnings = unique_columns(header)
        warnings[:0] = chosen.warnings()
        first = True
        read = 0
        for block in _blocks(path, codec, columns, delimiter, header_end, block_bytes):
            read += block.read
            if read > limits.max_rows:
                raise too_many_rows(limits)
            block.encoding, block.delimiter = chosen.name, delimiter
            if first:
                block.warnings, first = warnings, False
            yield block
        if first:
            yield RawTable("csv", columns, _no_cells(columns), np.array([], dtype=np.int64),
                           encoding=chosen.name, delimiter=delimiter, warnings=warnings)


def encoding_of(path: Path, override: str | None = None) -> encodings.TextEncoding:
    """The file's text encoding, as `atlas.ingest.reading.read_bytes` chooses it for the same
    bytes."""
    return encodings.choose(lambda: open(path, "rb"), override)


def _no_cells(columns: list[str]) -> pd.DataFrame:
    return cell_frame(columns, [], [], [])[0]


def _blocks(path: Path, codec: str, columns: list[str], delimiter: str, header_end: int,
            block_bytes: int) -> Iterator[RawTable]:
    """Arrow block by block, Python's csv module for a block Arrow cannot take (the file is
    UTF-8 here). A file of one column is all read by the csv module: csv skips a record of
    spaces there, Arrow does not."""
    if len(columns) == 1:
        yield from _csv_blocks(path, codec, _Block(0, 1), columns, delimiter, block_bytes,
                               skip_header=True)
    else:
        yield from _utf8_blocks(path, codec, columns, delimiter, header_end, block_bytes)


def _transcode(path: Path, chosen: encodings.TextEncoding, out: Path) -> None:
    """The file's text written as UTF-8, lines that do not decode with the fallback."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        for text in encodings.decode_lines(src, chosen):
            dst.write(text.encode("utf-8"))


def _utf8_blocks(path: Path, codec: str, columns: list[str], delimiter: str, header_end: int,
                 block_bytes: int) -> Iterator[RawTable]:
    """A UTF-8 file after its header (which ends on line `header_end`), in blocks."""
    with open(path, "rb") as fh:
        start = fh.read(HEAD_BYTES)
        breaks = [m.end() for _, m in zip(range(header_end), _LINE_BREAK.finditer(start),
                                          strict=False)]
    if len(breaks) < header_end:  # a header longer than HEAD_BYTES: csv reads it all
        yield from _csv_blocks(path, codec, _Block(0, 1), columns, delimiter, block_bytes,
                               skip_header=True)
        return
    at = _Block(breaks[-1] if breaks else 0, header_end + 1)
    while at.offset >= 0:  # a block Arrow cannot take is read by csv, then Arrow goes on
        yield from _arrow_blocks(path, at, columns, delimiter, block_bytes)
        if at.offset >= 0:
            yield from _csv_blocks(path, "utf-8", at, columns, delimiter, block_bytes, one=True)


# ---------------------------------------------------------------- importing


def _read_ahead(blocks: Iterator[RawTable]) -> Iterator[RawTable]:
    """`blocks`, the next one read in a thread while this one is handled (Arrow parses
    without the GIL: the reading costs almost nothing on a second core)."""
    with ThreadPoolExecutor(1, thread_name_prefix="atlas-read") as pool:
        coming = pool.submit(next, blocks, None)
        while (block := coming.result()) is not None:
            coming = pool.submit(next, blocks, None)
            yield block
            del block


class _Sink:
    """Accepted rows appended to one Parquet file (schema columns), each block written in a
    thread while the next is handled; what the report counts."""

    def __init__(self, path: Path | None):
        self.path = path
        self.counts: Counter = Counter()
        self.schema = arrow_schema()
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd") if path else None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="atlas-write")
        self._pending: Future | None = None

    def write(self, rows: pd.DataFrame) -> None:
        self.counts.update(tally(rows))
        if self._writer is not None and len(rows):
            table = to_arrow(rows, self.schema)
            self._wait()
            self._pending = self._pool.submit(self._writer.write_table, table)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown()
            if self._writer is not None:
                self._writer.close()


def to_arrow(rows: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Schema columns of `rows` as an Arrow table of `schema` (missing ones null); Arrow
    text columns pass as they are."""
    return pa.table([pa.array(rows[f.name], type=f.type, from_pandas=True) if f.name in rows
                     else pa.nulls(len(rows), f.type) for f in schema], schema=schema)


def stream_path(path: Path, options: ImportOptions, *, out: Path | None,
                overrides: Mapping | None = None, layers: dict | None = None,
                index: RegionIndex | None = None, limits: Limits | None = None,
                block_bytes: int | None = None, encoding: str | None = None) -> ImportResult:
    """`atlas.ingest.importer.import_path` for a CSV of any size: accepted rows go to the Parquet
    file `out` (None: counted only) instead of memory; the result's report is the same."""
    blocks = csv_blocks(path, block_bytes=block_bytes or BLOCK_BYTES, limits=limits,
                        encoding=encoding)
    first = [next(blocks)]  # suggestions come from the first block
    head = first[0]
    source = RawTable("csv", head.columns, _no_cells(head.columns), head.lines[:0].copy(),
                      encoding=head.encoding, delimiter=head.delimiter,
                      warnings=list(head.warnings))
    run = ImportRun(head, mapping_for(head, overrides), options, layers or load_all_layers(),
                    index)
    del head
    with contextlib.ExitStack() as stack:
        target = out
        if options.merge_duplicates and out is None:  # a dry run still merges, to count
            target = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "rows.parquet"
        sink = _Sink(target)
        try:
            for raw in _read_ahead(_one_by_one(first, blocks)):
                sink.write(run.block(raw))
                del raw  # before the next block is read
        finally:
            sink.close()
        counts = sink.counts
        groups = run.links.groups() if options.merge_duplicates else []
        if groups:
            merged, counts = _merge_file(target, groups, run.links, sink.schema)
            run.rejections += merged
    return run.result(source, counts=counts, rows_file=out)


def _one_by_one(first: list[RawTable], rest: Iterator[RawTable]) -> Iterator[RawTable]:
    """The first block, then the others, keeping no reference to a block once handed out."""
    yield first.pop()
    yield from rest


def _merge_file(path: Path, groups: list[duplicates.Group], links: duplicates.Links,
                schema: pa.Schema) -> tuple[list[dict], Counter]:
    """Rewrite the file with each duplicate group merged into its first row (the file's
    rows are the import's rows in order); returns the rejections of the rows merged away
    and the new counts. Only the groups' rows are held in memory at once."""
    members = np.sort(np.concatenate([g.rows for g in groups]))
    parquet = pq.ParquetFile(path)
    starts = np.cumsum([0] + [parquet.metadata.row_group(i).num_rows
                              for i in range(parquet.num_row_groups)])
    bounds = np.searchsorted(members, starts)  # members of row group i: bounds[i]:bounds[i+1]
    found = []
    for i in range(parquet.num_row_groups):
        local = members[bounds[i]:bounds[i + 1]]
        if len(local):
            part = parquet.read_row_group(i).take(pa.array(local - starts[i])).to_pandas()
            found.append(part.set_axis(local))
    rows = pd.concat(found)
    rows["line"] = links.line_of(rows.index.to_numpy())
    rows, merged = duplicates.merge(rows, groups)
    kept = rows.drop(columns="line")
    counts: Counter = Counter()
    tmp = path.with_name(path.name + ".merging")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for i in range(parquet.num_row_groups):
            part = parquet.read_row_group(i).to_pandas().set_axis(
                np.arange(starts[i], starts[i + 1]))
            here = members[bounds[i]:bounds[i + 1]]
            if len(here):
                firsts = kept.index.intersection(here)
                part = pd.concat([part.drop(index=here), kept.loc[firsts, part.columns]])
                part = part.sort_index()
            counts.update(tally(part))
            writer.write_table(to_arrow(part, schema))
    os.replace(tmp, path)
    return merged, counts
