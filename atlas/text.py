"""Text normalisation for search and matching (accent-, case- and spacing-insensitive), and
untrusted text made safe to show: inert in Markdown, clipped when echoed."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SPACES = re.compile(r"\s+")
# Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and escaping
# all of them leaves no link, image, emphasis, autolink (`www.`, `a@b.c`, `http:`), Streamlit
# directive (`:red[…]`, `:material/x:`), emoji short code or LaTeX (`$`) in the text.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GFM turns bare URLs and e-mail addresses into links after escapes are resolved, so escaping
# alone does not stop them: a WORD JOINER (U+2060, invisible) after `www`, before `://`, after
# `mailto`/`xmpp` and after `@` breaks every pattern its autolink finder looks for.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=[a-z])(?=://)|(?<=mailto)(?=:)|(?<=xmpp)(?=:)|(?<=@)")
WORD_JOINER = "\u2060"
ECHO_CHARS = 40  # how much of an unknown value from a URL or file a notice repeats


def clip(text: object, limit: int = ECHO_CHARS) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis: what a notice echoes."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def inert_markdown(text: object, limit: int | None = None) -> str:
    """Text from data, a file, a user or a URL, for Streamlit's Markdown elements (markdown,
    caption, headers, alerts): shown exactly as written, on one line, never as markup.
    With `limit`, clipped first (`clip`). None and NaN are ""."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    flat = clip(text, limit) if limit else " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, flat))


def fold(text: object) -> str:
    """'Émilie-Romagne ' → 'emilie-romagne': strip accents, casefold, collapse spaces."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def fold_series(values: pd.Series) -> pd.Series:
    """`fold` over a column, computed once per distinct value (names repeat a lot)."""
    uniques = pd.unique(values.astype("object"))
    lookup = {u: fold(u) for u in uniques}
    return values.astype("object").map(lookup)


# Combining marks that `fold` drops and that NFKD leaves in Latin, Greek and Cyrillic text: the
# U+0300-U+036F block minus the few with combining class 0 (which `fold` keeps). As RE2 hex
# escapes, for Arrow's regex kernels.
_MARKS_RE = "[" + "".join(
    f"\\x{{{c:04x}}}" for c in range(0x300, 0x370) if unicodedata.combining(chr(c))
) + "]"
# What Python's `\s` (used by `fold`) matches among ASCII characters, in RE2 syntax; the
# same bytes as a lookup table (bytes of a UTF-8 buffer).
_ASCII_SPACES_RE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"
_CONTROL_SPACE = np.zeros(256, dtype=bool)
_CONTROL_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31]] = True


def _text_array(values: pd.Series) -> pa.Array | None:
    """The column as one Arrow large_string array with "" for missing; None if not all text."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arr = values.array.__arrow_array__()
    else:
        try:
            arr = pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.fill_null(arr.cast(pa.large_string()), "")


def _rows_needing_care(arr: pa.Array) -> np.ndarray:
    """Rows where lower-casing alone is not `fold`: non-ASCII text, whitespace other than
    single inner spaces. Found from the raw UTF-8 bytes, without a regex over every row."""
    care = ~np.asarray(pc.string_is_ascii(arr).to_numpy(zero_copy_only=False), dtype=bool)
    care |= np.asarray(
        pc.or_(pc.starts_with(arr, " "), pc.ends_with(arr, " ")).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    if arr.buffers()[2] is None or offsets[-1] == offsets[0]:
        return care
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    space = data == 32
    special = space[:-1] & space[1:]  # a double space (at a row's end: caught above)
    if (data < 32).any():
        special |= _CONTROL_SPACE[data[:-1]]
        special = np.append(special, _CONTROL_SPACE[data[-1]])
    rows = np.searchsorted(offsets, np.flatnonzero(special) + offsets[0], side="right") - 1
    care[rows] = True
    return care


def fold_strings(values: pd.Series) -> pd.Series:
    """`fold` of a whole text column, vectorised: equal to `values.map(fold)`, much faster.

    `fold_series` calls `fold` once per distinct value: tens of seconds for millions of
    distinct names. Here plain ASCII rows (most) are only lower-cased by Arrow; the others are
    NFKD-normalised and stripped of accents by Arrow, and finished by Arrow when that leaves
    ASCII (lower case is case folding there, and Python's `\\s` a known set) or by `fold`
    otherwise. Missing values fold to "". Returns Arrow-backed strings, index-aligned.
    """
    arr = _text_array(values)
    if arr is None:  # not all text: fold value by value
        return fold_series(values).astype("str")
    out = pd.Series(pc.ascii_lower(arr), index=values.index, dtype="str")
    care = np.flatnonzero(_rows_needing_care(arr))
    if not len(care):
        return out
    sub = pc.replace_substring_regex(pc.utf8_normalize(arr.take(care), form="NFKD"), _MARKS_RE, "")
    done = np.asarray(pc.string_is_ascii(sub).to_numpy(zero_copy_only=False), dtype=bool)
    spaced = pc.replace_substring_regex(pc.ascii_lower(sub), _ASCII_SPACES_RE, " ")
    folded = np.asarray(pc.utf8_trim(spaced, " ").to_numpy(zero_copy_only=False), dtype=object)
    rest = ~done
    if rest.any():
        folded[rest] = fold_series(values.iloc[care[rest]]).to_numpy(dtype=object)
    out.iloc[care] = folded
    return out
