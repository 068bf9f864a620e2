"""Shared fixtures: a tiny synthetic initiatives table (labelled synthetic) for pure-logic tests."""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from atlas import paths
from atlas.model.filters import search_text
from atlas.model.schema import conform
from atlas.model.themes import theme_bits

# AppTest runs pages in-process; see ui/shell._leave_file_based_navigation.
os.environ["ATLAS_APPTEST"] = "1"


@pytest.fixture(autouse=True)
def _fresh_admin_throttle():
    """Every test starts with no wrong admin secret counted: AppTest sessions all come from
    one client key, so failures would otherwise carry over from test to test."""
    from atlas.store import access

    access.THROTTLE.reset()
    yield


@pytest.fixture(autouse=True)
def _main_module_restored():
    """AppTest leaves the page script it ran installed as `__main__` (Streamlit does that for
    each run); a process spawned by a later test would run that script again and fail."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def shared_source() -> Callable[..., Path]:
    """`shared_source("folder", "file")`: that raw snapshot under `atlas.paths.SHARED_SOURCES`
    (../shared/data-sources, or env ATLAS_SHARED_SOURCES); the test is skipped, saying which
    path is missing, when it is not there. The one way tests find raw snapshots: the suite
    passes without them (ATLAS_SHARED_SOURCES=/nonexistent), and runs them where they are."""

    def find(*parts: str) -> Path:
        path = paths.SHARED_SOURCES.joinpath(*parts)
        if not path.exists():
            pytest.skip(f"needs the raw snapshot {path} (atlas.paths.SHARED_SOURCES; "
                        "set ATLAS_SHARED_SOURCES)")
        return path

    return find


def synthetic_rows() -> pd.DataFrame:
    rows = [
        # id, name, description, country, themes, legal, source, nuts3, nuts2, uk
        ("s:1", "Coop Émilie", "bread and jobs", "IT", ["employment", "proximity"], "Society",
         "synthetic", "ITH55", "ITH5", None),
        ("s:2", "Repair Café Bologna", "repairs", "IT", ["circular"], None,
         "synthetic", "ITH55", "ITH5", None),
        ("s:3", "Farm shop", "local food", "IT", ["proximity"], "Company",
         "synthetic", "ITH56", "ITH5", None),
        ("s:4", "Club", "", "GB", [], "Society", "synthetic", None, None, "UKI"),
        ("s:5", "Care coop", "social care", "GB", ["social_services"], "Society",
         "synthetic", None, None, "UKI"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["id", "name", "description", "country", "themes", "legal_form", "source",
                 "code_nuts3", "code_nuts2", "code_uk_regions"],
    )
    df["code_countries"] = df["country"]
    df["lat"], df["lon"] = 44.5, 11.3
    df["license"] = "synthetic (tests only)"
    df = conform(df)
    df["theme_bits"] = theme_bits(df["themes"])
    df["search_text"] = search_text(df)
    return df


@pytest.fixture
def rows() -> pd.DataFrame:
    return synthetic_rows()


@pytest.fixture
def nuts2_regions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["ITH5", "ITH4", "UKX"],
            "name": ["Emilia-Romagna", "Friuli", "Nowhere"],
            "country": ["IT", "IT", "GB"],
            "population": [4_400_000.0, float("nan"), 0.0],
            "population_year": [2025, None, 2019],
        }
    )


@pytest.fixture(scope="session")
def layers() -> dict:
    """Every regional layer, loaded once for all the import tests."""
    from atlas.ingest.importer import load_all_layers

    return load_all_layers()


@pytest.fixture(scope="session")
def index(layers):
    """Region names and codes of `layers`, with their spatial indexes (built once)."""
    from atlas.geo.placement import RegionIndex

    return RegionIndex(layers)
