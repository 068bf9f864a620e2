"""The shipped data: row accounting, the stats contract, and a rebuild that reproduces it."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from atlas import paths
from atlas.build.context import OUTPUT_FILES as CONTEXT_OUTPUTS
from atlas.build.stats import collect
from atlas.model.provenance import REQUIRED, read_sidecar, sha256_of
from atlas.model.schema import COLUMN_NAMES
from atlas.store.initiatives import load_initiatives


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_initiatives()


def test_shipped_table_has_the_schema_and_unique_ids(shipped):
    assert list(shipped.columns[: len(COLUMN_NAMES)]) == list(COLUMN_NAMES)
    assert shipped["id"].is_unique
    assert shipped["source"].notna().all() and shipped["license"].notna().all()


def test_every_row_read_is_kept_or_rejected():
    meta = read_sidecar(paths.DATA_DIR / paths.INITIATIVES_FILE)
    rejected = pd.read_csv(paths.DATA_DIR / paths.REJECTED_FILE)
    for source, acc in meta["accounting"].items():
        assert acc["kept"] + acc["rejected"] == acc["read"], source
        assert acc["with_coordinates"] + acc["without_coordinates"] == acc["kept"]
        assert (rejected["source"] == source).sum() == acc["rejected"]
    assert sum(a["kept"] for a in meta["accounting"].values()) == meta["rows"]


def test_rows_without_a_point_say_why(shipped):
    no_point = shipped[shipped["lat"].isna()]
    assert len(no_point) > 0
    assert no_point["location_issue"].notna().all()
    assert (no_point["region_match"] == "no_point").all()


def test_known_places_land_in_known_regions(shipped):
    # A SUSY initiative in Bologna and a co-operative in central London.
    bologna = shipped[(shipped["lat"].between(44.47, 44.52)) & shipped["lon"].between(11.3, 11.38)]
    assert len(bologna) and (bologna["code_nuts3"] == "ITH55").all()
    assert (bologna["code_nuts2"] == "ITH5").all() and (bologna["country"] == "IT").all()
    london = shipped[shipped["lat"].between(51.50, 51.52) & shipped["lon"].between(-0.14, -0.10)]
    assert len(london) and (london["code_uk_regions"] == "UKI").all()


def test_coverage_targets(shipped):
    stats = collect()
    assert stats["initiatives"] == len(shipped)
    assert stats["with_nuts3_or_uk_region"] / stats["with_coordinates"] >= 0.95
    assert stats["with_theme"] / stats["initiatives"] >= 0.85


def test_stats_json_contract():
    out = subprocess.run([sys.executable, "-m", "atlas", "stats", "--json"], capture_output=True,
                         text=True, check=True, cwd=paths.ROOT)
    stats = json.loads(out.stdout)
    for key in ("initiatives", "sources", "themes", "with_theme", "with_coordinates", "layers",
                "countries"):
        assert key in stats
    assert {s["id"] for s in stats["sources"]} == {"susy", "coopsuk"}
    assert all(s["license"] and s["attribution"] and s["rows"] > 0 for s in stats["sources"])
    assert sum(s["rows"] for s in stats["sources"]) == stats["initiatives"]
    assert set(stats["layers"]) == {"countries", "nuts1", "nuts2", "nuts3", "uk_regions", "admin1"}
    assert stats["layers"]["nuts3"]["regions"] == 1345
    assert "no_theme" in stats["themes"]


def test_every_shipped_file_has_a_complete_sidecar():
    files = [p for folder in (paths.DATA_DIR, paths.GEO_DIR) for p in folder.iterdir()
             if p.is_file() and not p.name.endswith(".meta.yaml")]
    assert len(files) >= 14
    # the files of the context step (atlas.build.context) are among them
    assert set(CONTEXT_OUTPUTS) <= {p.name for p in files}
    for path in files:
        meta = yaml.safe_load(path.with_name(path.name + ".meta.yaml").read_text())
        assert all(meta.get(k) not in (None, "") for k in REQUIRED), path.name
        assert meta["sha256"] == sha256_of(path), f"{path.name} changed without a rebuild"


def test_a_fresh_build_reproduces_the_committed_outputs(tmp_path, shared_source):
    shared = shared_source()  # the whole folder: the build reads every snapshot
    # `python -m atlas build` in its own process, as a user runs it: in a process that has
    # already read layers, pyproj may write the CRS of a dissolved layer (uk_regions) without
    # its datum ensemble, and the bytes differ.
    done = subprocess.run([sys.executable, "-m", "atlas", "build", "--shared", str(shared),
                           "--data-dir", str(tmp_path / "data"),
                           "--geo-dir", str(tmp_path / "geo")],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for folder, fresh in ((paths.DATA_DIR, tmp_path / "data"), (paths.GEO_DIR, tmp_path / "geo")):
        for side in folder.glob("*.meta.yaml"):
            name = side.name.removesuffix(".meta.yaml")
            assert sha256_of(fresh / name) == yaml.safe_load(side.read_text())["sha256"], name
