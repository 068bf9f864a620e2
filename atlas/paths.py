"""Where things live, in one place, so that tests and the build can point elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ATLAS_DATA_DIR", ROOT / "data"))
GEO_DIR = Path(os.environ.get("ATLAS_GEO_DIR", ROOT / "geo"))
STATIC_DIR = ROOT / "static"
TAXONOMY_DIR = Path(__file__).resolve().parent / "taxonomy"
# Raw open data (read-only, only needed by `python -m atlas build`).
SHARED_SOURCES = Path(
    os.environ.get("ATLAS_SHARED_SOURCES", ROOT.parent / "shared" / "data-sources")
)

INITIATIVES_FILE = "initiatives.parquet"
REJECTED_FILE = "rejected.csv"
CONTEXT_FILE = "context.parquet"
TYPOLOGIES_FILE = "typologies.parquet"
DEGURBA_FILE = "degurba.parquet"
POLICIES_FILE = "policies.csv"
OFFICIAL_FIGURES_FILE = "official_figures.csv"
