"""Which text encoding a delimited file is in, and its text, never garbled silently.

The order: a byte-order mark (or UTF-16 without one) settles it; else a file that is valid
UTF-8 is UTF-8; else a file whose non-ASCII lines are mostly valid UTF-8 is UTF-8 with a few
lines in another encoding (two tools wrote it); else charset-normalizer detects the legacy
encoding (Windows-1250 for Polish, 1253 for Greek...) from the non-ASCII lines. Lines that do
not decode in the chosen encoding are read with a fallback and *listed*, so the report can
say which to check. The user can always choose the encoding instead (`override`).

Files are scanned in chunks (cut at line breaks), so a large file is never held whole; the
common case (valid UTF-8) costs one incremental decode.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from atlas.ingest.errors import ImportFailure

CHUNK_BYTES = 16 << 20
SAMPLE_BYTES = 64 << 10  # non-ASCII lines given to the detector
MAX_LISTED = 1000  # bad line numbers kept (the count is always exact)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "utf-8 (BOM)"),
        (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "utf-16"))  # fmt: skip
# Offered on the data page; any Python codec name works on the command line.
CHOICES = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252 (Western European)",
    "latin-1": "ISO-8859-1 (Latin-1)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "cp1250": "Windows-1250 (Central European: Polish, Czech, Hungarian…)",
    "iso8859-2": "ISO-8859-2 (Latin-2)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "iso8859-7": "ISO-8859-7 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1257": "Windows-1257 (Baltic)",
    "utf-16": "UTF-16",
    "mac-roman": "Mac Roman",
}
# What the detector may choose from: Europe's legacy code pages (never an Asian multi-byte
# encoding for a few accented letters).
LEGACY = ["cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso8859_2",
          "iso8859_7", "iso8859_15", "mac_roman", "cp850"]
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")
_NON_ASCII_LINE = re.compile(rb"^[^\n]*[\x80-\xff]", re.M)
_LEAD_BYTES = bytes(range(0xC0, 0x100))  # UTF-8 lead bytes (and Latin letters elsewhere)


@dataclass(frozen=True)
class TextEncoding:
    """How a file's bytes become text: the codec, how it was chosen, the lines it cannot
    decode (read with `fallback` instead; None: with U+FFFD replacement characters)."""

    codec: str
    name: str  # what the report shows: "utf-8", "utf-8 (BOM)", "cp1250"
    how: str  # "byte-order mark", "valid UTF-8", "detected", "chosen"
    bad_count: int = 0
    bad_lines: tuple[int, ...] = ()
    fallback: str | None = None
    doubt: tuple[tuple[str, str, str], ...] = ()  # (other codec, our word, its word)

    def warnings(self) -> list[str]:
        """What the report says: an uncertain guess, lines not in the file's encoding."""
        out = [f"The text encoding was guessed as {self.name}, but {other} would read "
               f"{theirs!r} where {self.name} reads {ours!r}: if names look wrong, choose the "
               "encoding." for other, ours, theirs in self.doubt[:1]]
        if not self.bad_count:
            return out
        listed = ", ".join(map(str, self.bad_lines[:12]))
        more = f" and {self.bad_count - 12:,} more" if self.bad_count > 12 else ""
        read = (f"read as {self.fallback}" if self.fallback
                else "undecodable bytes shown as �")
        return [*out, f"{self.bad_count:,} line(s) are not valid {self.name} (line {listed}"
                f"{more}): {read}. Check their letters, or choose the file's encoding."]


def sniff_bom(head: bytes) -> tuple[str, str] | None:
    """(codec, name) when the first bytes settle it: a byte-order mark, or UTF-16 without
    one (NUL bytes in every other position)."""
    for bom, codec, name in BOMS:
        if head.startswith(bom):
            return codec, name
    sample = head[:4000]
    if len(sample) >= 4:
        odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
        half = len(sample) // 2
        for nuls, other, codec in ((odd_nuls, even_nuls, "utf-16-le"),
                                   (even_nuls, odd_nuls, "utf-16-be")):  # fmt: skip
            if nuls > 0.4 * half and other < 0.05 * half:
                return codec, codec
    return None


def check_codec(name: str) -> str:
    """A codec name the user typed, checked (ImportFailure when Python does not know it)."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise ImportFailure(f"unknown text encoding {name[:40]!r} (try utf-8, cp1252, "
                            "cp1250, cp1253, latin-1)") from exc


def chunks(stream: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) pieces of the stream from where it is, each ending at a
    line break (the last maybe not): lines are never split between pieces."""
    line, carry = 1, b""
    while True:
        block = stream.read(size)
        data = carry + block
        if not block:
            if data:
                yield line, data
            return
        end = len(data) - data.endswith(b"\r")  # a last \r may be half of \r\n: keep it
        cut = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1
        if cut <= 0:
            carry = data
            continue
        piece, carry = data[:cut], data[cut:]
        yield line, piece
        line += line_breaks(piece)


def line_breaks(data: bytes) -> int:
    """Line breaks as Python's csv module counts them: \\r\\n, \\r or \\n."""
    returns = data.count(b"\r")
    return data.count(b"\n") + (returns - data.count(b"\r\n") if returns else 0)


def _lines(first: int, data: bytes) -> Iterator[tuple[int, bytes]]:
    for number, match in enumerate(_LINE.finditer(data), start=first):
        if match.group():
            yield number, match.group()


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class _Scan:
    """One pass over a file in a candidate codec: non-ASCII lines that decode, those that
    do not, and samples of both for the detector."""

    good: int = 0
    bad: int = 0
    bad_lines: list[int] | None = None
    good_sample: bytes = b""
    bad_sample: bytes = b""


def _scan(stream: BinaryIO, codec: str) -> _Scan:
    out = _Scan(bad_lines=[])
    for first, piece in chunks(stream):
        if _decodes(piece, codec):
            # Characters beyond ASCII that decode: counted by their lead bytes (C speed);
            # for UTF-8 each is evidence for it, which is what the count is used for.
            out.good += len(piece) - len(piece.translate(None, _LEAD_BYTES))
            if len(out.good_sample) < SAMPLE_BYTES:
                lines = _NON_ASCII_LINE.findall(piece[:SAMPLE_BYTES * 4])
                out.good_sample += b"\n".join(lines)[:SAMPLE_BYTES] + b"\n"
            continue
        for number, line in _lines(first, piece):
            if line.isascii():
                continue
            if _decodes(line, codec):
                out.good += 1
                if len(out.good_sample) < SAMPLE_BYTES:
                    out.good_sample += line
            else:
                out.bad += 1
                if len(out.bad_lines) < MAX_LISTED:
                    out.bad_lines.append(number)
                if len(out.bad_sample) < SAMPLE_BYTES:
                    out.bad_sample += line
    return out


def detect(sample: bytes) -> tuple[str, tuple[str, ...]]:
    """The legacy encoding of non-ASCII text, and the others that read it as plausibly.

    charset-normalizer proposes code pages; on the short samples registers give (a few
    accented names) it often ties, so the proposals are ranked by how plausible the text they
    give is (`_odd`), then by the detector's language coherence, then by how common the code
    page is in Europe (Windows-1252 first). Where Windows-1252 gives the same text as the
    winner, it is named instead. Equally plausible readings that differ are returned too, so
    the report can say the guess is uncertain."""
    from charset_normalizer import from_bytes

    if not sample:
        return "cp1252", ()
    coherence = {codecs.lookup(r.encoding).name: r.coherence
                 for r in from_bytes(sample, cp_isolation=LEGACY)}
    if not coherence:  # no proposal: Windows-1252 if it reads the sample, else Latin-1
        return ("cp1252" if _decodes(sample, "cp1252") else "latin-1"), ()
    order = [codecs.lookup(c).name for c in LEGACY]
    texts = {c: sample.decode(c) for c in coherence}
    odd = {c: _odd(t) for c, t in texts.items()}
    ranked = sorted(coherence, key=lambda c: (odd[c], -coherence[c],
                                              order.index(c) if c in order else len(order)))
    best = ranked[0]
    if _decodes(sample, "cp1252") and sample.decode("cp1252") == texts[best]:
        best = "cp1252"
    others = tuple(dict.fromkeys(c for c in ranked if odd[c] == odd[ranked[0]]
                                 and texts[c] != texts[ranked[0]]))
    return best, others[:3]


def differing_word(sample: bytes, codec: str, other: str) -> tuple[str, str] | None:
    """A word the two encodings read differently ('Èeský' / 'Český'), for the report."""
    ours, theirs = sample.decode(codec, "replace").split(), sample.decode(other, "replace").split()
    for a, b in zip(ours, theirs, strict=False):
        if a != b:
            return a[:30], b[:30]
    return None


def _odd(text: str) -> int:
    """Non-ASCII characters unlikely in a name: symbols where a letter is expected ('£ódŸ'
    for 'Łódź' read as Windows-1252), capitals inside a word, and words mixing scripts
    ('Јуdџ': Cyrillic and Latin)."""
    odd = 0
    for word in text.split():
        if word.isascii():
            continue
        scripts = set()
        previous = " "
        for char in word:
            if char.isalpha():
                scripts.add(unicodedata.name(char, "?").split(" ", 1)[0])
                odd += ord(char) > 127 and char.isupper() and previous.islower()
            elif ord(char) > 127:
                odd += char not in "€–—‘’“”„«»°·§ "
            previous = char
        odd += len(scripts) > 1
    return odd


def choose(open_stream: Callable[[], BinaryIO], override: str | None = None,
           sniff: bool = True) -> TextEncoding:
    """The encoding of the file that `open_stream()` opens (called once per pass needed)."""
    with open_stream() as stream:
        head = stream.read(4096)
    if override:
        codec = check_codec(override)
        if codec.startswith(("utf-16", "utf-32")):  # lines are not byte lines there
            return _strict(open_stream, codec, codec, True, "chosen")
        with open_stream() as stream:
            scan = _scan(stream, codec)
        return TextEncoding(codec, codec, "chosen", scan.bad, tuple(scan.bad_lines or ()))
    sniffed = sniff_bom(head) if sniff else None
    if sniffed:
        return _strict(open_stream, *sniffed, head.startswith(tuple(b for b, _c, _n in BOMS)))
    with open_stream() as stream:
        scan = _scan(stream, "utf-8")
    if not scan.bad:
        return TextEncoding("utf-8", "utf-8", "valid UTF-8")
    if scan.good >= scan.bad:
        return TextEncoding("utf-8", "utf-8", "mostly UTF-8", scan.bad,
                            tuple(scan.bad_lines or ()), detect(scan.bad_sample)[0])
    sample = scan.bad_sample + scan.good_sample
    codec, others = detect(sample)
    doubt = tuple((o, *w) for o in others if (w := differing_word(sample, codec, o)))
    with open_stream() as stream:
        rescan = _scan(stream, codec)
    return TextEncoding(codec, codec, "detected", rescan.bad, tuple(rescan.bad_lines or ()),
                        "latin-1" if rescan.bad else None, doubt)


def _strict(open_stream: Callable[[], BinaryIO], codec: str, name: str, bom: bool,
            how: str = "byte-order mark") -> TextEncoding:
    """A file that announced its encoding must be in it (a UTF-16 guess without a BOM may
    be wrong: then the other rules decide)."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with open_stream() as stream:
            while block := stream.read(CHUNK_BYTES):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        if bom:
            raise ImportFailure(f"the file starts like {codec} but is not: {exc}") from exc
        return choose(open_stream, sniff=False)
    return TextEncoding(codec, name, how)


def decode_lines(stream: BinaryIO, encoding: TextEncoding) -> Iterator[str]:
    """The stream's text in pieces that end at line breaks; the bad lines with the fallback."""
    if not encoding.bad_count:
        decoder = codecs.getincrementaldecoder(encoding.codec)()
        while block := stream.read(CHUNK_BYTES):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)
        return
    for _first, piece in chunks(stream):
        if _decodes(piece, encoding.codec):
            yield piece.decode(encoding.codec)
        else:
            yield "".join(_decode_line(line, encoding) for _n, line in _lines(1, piece))


def _decode_line(line: bytes, encoding: TextEncoding) -> str:
    try:
        return line.decode(encoding.codec)
    except UnicodeDecodeError:
        return line.decode(encoding.fallback or encoding.codec, errors="replace")


def decode_bytes(data: bytes, override: str | None = None) -> tuple[str, TextEncoding]:
    """A whole file's text and how it was decoded."""
    encoding = choose(lambda: io.BytesIO(data), override)
    if not encoding.bad_count:
        return data.decode(encoding.codec), encoding
    return "".join(decode_lines(io.BytesIO(data), encoding)), encoding
