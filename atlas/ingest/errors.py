"""The one failure a reader raises: a file that cannot be read at all."""

from __future__ import annotations

MAX_REASON_CHARS = 300


class ImportFailure(ValueError):
    """The file could not be read at all; the message is one line a user can act on."""

    def __init__(self, reason: str):
        super().__init__(one_line(reason))


def one_line(text: object, limit: int = MAX_REASON_CHARS) -> str:
    """`text` on one line and at most `limit` characters: a reason never quotes a whole file
    (an error raised by a parser may carry the file's content)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
