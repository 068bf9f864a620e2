"""How much of a user's file the atlas reads: size, rows, columns, cells, decompressed size,
time and memory. One record, read from the environment, shown in the README and on the page.

A visitor can upload anything; every limit is checked on what is really read (rows and cells
counted as they are parsed, bytes as they are decompressed), never on what a file claims.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_MAX_MB = "ATLAS_MAX_UPLOAD_MB"
ENV_MAX_ROWS = "ATLAS_MAX_ROWS"
ENV_MAX_COLUMNS = "ATLAS_MAX_COLUMNS"
ENV_MAX_CELLS = "ATLAS_MAX_CELLS"
ENV_MAX_UNPACKED_MB = "ATLAS_MAX_UNPACKED_MB"
ENV_TIMEOUT_S = "ATLAS_IMPORT_TIMEOUT_S"
ENV_MEMORY_MB = "ATLAS_IMPORT_MEMORY_MB"
DEFAULT_MAX_MB = 200
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MAX_COLUMNS = 1_000
DEFAULT_MAX_CELLS = 50_000_000  # rows × columns actually read (blank rows of a sheet count)
DEFAULT_MAX_UNPACKED_MB = 1_000  # what an XLSX may decompress to, all parts together
DEFAULT_TIMEOUT_S = 120  # one import on the data page (a real 1M-row file takes ~20 s)
DEFAULT_MEMORY_MB = 4_000  # address space of the process that runs a page's import


def _number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """Upload size, rows, columns, cells, decompressed size, time and memory of one import."""

    max_bytes: int = DEFAULT_MAX_MB * 1_000_000
    max_rows: int = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_cells: int = DEFAULT_MAX_CELLS
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_MB * 1_000_000
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_bytes: int = DEFAULT_MEMORY_MB * 1_000_000

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_bytes=int(_number(ENV_MAX_MB, DEFAULT_MAX_MB) * 1_000_000),
            max_rows=int(_number(ENV_MAX_ROWS, DEFAULT_MAX_ROWS)),
            max_columns=int(_number(ENV_MAX_COLUMNS, DEFAULT_MAX_COLUMNS)),
            max_cells=int(_number(ENV_MAX_CELLS, DEFAULT_MAX_CELLS)),
            max_unpacked_bytes=int(_number(ENV_MAX_UNPACKED_MB, DEFAULT_MAX_UNPACKED_MB)
                                   * 1_000_000),
            timeout_s=_number(ENV_TIMEOUT_S, DEFAULT_TIMEOUT_S),
            memory_bytes=int(_number(ENV_MEMORY_MB, DEFAULT_MEMORY_MB) * 1_000_000),
        )

    @classmethod
    def unlimited(cls) -> Limits:
        """No size, row or cell cap: for the command line, which streams CSV block by block.
        Columns and decompressed size keep their limits: no real register needs more."""
        env = cls.from_env()
        big = 1 << 62
        return cls(big, big, env.max_columns, big, env.max_unpacked_bytes, float(big), big)

    @property
    def max_mb(self) -> float:
        return self.max_bytes / 1_000_000

    def describe(self) -> str:
        return (f"{self.max_mb:,.0f} MB, {self.max_rows:,} rows and {self.max_columns:,} "
                "columns per file")

    def too_many_columns(self, n: int) -> str:
        return (f"the file has {n:,} columns; the limit is {self.max_columns:,} (a register "
                f"has a few dozen: check the delimiter, or set {ENV_MAX_COLUMNS})")

    def too_many_rows(self, what: str = "rows") -> str:
        return (f"the file has more than {self.max_rows:,} {what} (the limit; set "
                f"{ENV_MAX_ROWS} to change it)")
