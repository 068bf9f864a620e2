"""Importing a large CSV: the atlas's importer against pandas reading the whole file.

Each runs in its own process (`python -m benchmarks.importing MODE CSV OUT`), which reports
its own peak resident memory (getrusage), so one import's memory never mixes with another's.

- `importer`: `python -m atlas import CSV` exactly as a user runs it (atlas.ingest.stream:
  blocks of text parsed by Arrow, every rule of the data page's importer per block, rows
  appended to Parquet in the workspace); the saved dataset is then moved to OUT.
- `naive`: `pandas.read_csv` of the whole file, then placing (`atlas.geo.join.place`, the
  shipped build's point-in-polygon join) and writing at once: the baseline. It checks less
  than the importer does (names and coordinate ranges only).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from atlas.geo.join import place
from atlas.geo.regions import load_layer
from atlas.model.layers import LAYER_IDS
from atlas.model.schema import arrow_schema

TEXT = pa.string()
THEMES = pa.list_(pa.string())


def _themes(raw: pa.Array) -> pa.Array:
    """'a;b' → ["a", "b"]; empty or missing → []."""
    raw = pc.fill_null(raw, "")
    split = pc.split_pattern(raw, ";")
    return pc.if_else(pc.equal(raw, ""), pa.scalar([], THEMES), split)


def _placed(rows: pd.DataFrame, layers: dict) -> pd.DataFrame:
    """Validated rows with region codes: no name → rejected; impossible points → no point."""
    rows = rows[rows["name"].fillna("").str.strip() != ""].copy()
    bad = ~(rows["lat"].between(-90, 90) & rows["lon"].between(-180, 180))
    rows.loc[bad, ["lat", "lon"]] = np.nan
    rows["location_issue"] = np.where(bad, "no usable coordinates", None)
    rows["placement"] = np.where(bad, "none", "point")
    return place(rows, layers)


def _table(rows: pd.DataFrame, themes: pa.Array, schema: pa.Schema) -> pa.Table:
    """Schema columns in order, text as Arrow strings (None for missing)."""
    out = {}
    for field in schema:
        if field.name == "themes":
            out["themes"] = themes
        elif field.name in rows:
            values = rows[field.name]
            if field.type == TEXT:
                values = values.astype(object).where(values.notna(), None)
            out[field.name] = pa.array(values.to_numpy(), type=field.type, from_pandas=True)
        else:
            out[field.name] = pa.nulls(len(rows), field.type)
    return pa.table(out, schema=schema)


def naive_import(csv: Path, out: Path) -> int:
    """Everything in memory at once: the baseline."""
    layers = {lid: load_layer(lid) for lid in LAYER_IDS}
    rows = pd.read_csv(csv, dtype={c: str for c in ("id", "source_id", "website")})
    rows["_row"] = np.arange(len(rows))
    placed = _placed(rows.drop(columns=["themes"]), layers)
    themes = _themes(pa.array(rows["themes"].astype(object).where(rows["themes"].notna(), None),
                              type=TEXT))
    table = _table(placed.reset_index(drop=True), themes.take(placed["_row"].to_numpy()),
                   arrow_schema())
    pq.write_table(table, out, compression="zstd")
    return table.num_rows


def app_importer(csv: Path, out: Path) -> int:
    """`python -m atlas import CSV` into a scratch workspace; its dataset file moves to `out`."""
    from atlas.build import synth
    from atlas.cli import main as atlas
    from atlas.store.workspace import Workspace

    with tempfile.TemporaryDirectory(dir=out.parent) as ws:
        with contextlib.redirect_stdout(io.StringIO()):
            code = atlas(["import", str(csv), "--workspace", ws, "--id", synth.SOURCE,
                          "--name", "Synthetic", "--license", synth.LICENSE])
        saved = Workspace(Path(ws)).get(synth.SOURCE)
        if code or saved is None:
            raise RuntimeError(f"python -m atlas import failed (exit code {code})")
        os.replace(saved.file, out)
        return saved.rows


MODES = {"importer": app_importer, "naive": naive_import}


def run(mode: str, csv: Path, out: Path, timeout: float | None = None) -> dict:
    """Run one import in a child process: wall time, peak RSS (MB), rows; None on timeout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.importing", mode, str(csv), str(out)],
        stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1],
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return {"seconds": None, "peak_rss_mb": None, "rows": None}
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} import failed with exit code {proc.returncode}")
    stats = json.loads(proc.stdout.read().decode().strip().splitlines()[-1])
    return {"seconds": seconds, "peak_rss_mb": stats["peak_rss_mb"], "rows": stats["rows"]}


def main(argv: list[str]) -> int:
    import resource

    mode, csv, out = argv[0], Path(argv[1]), Path(argv[2])
    rows = MODES[mode](csv, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"rows": rows, "peak_rss_mb": round(peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
