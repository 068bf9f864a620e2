"""Importing a large CSV: a streaming path, the naive one, and the app's importer (issue 5).

Each runs in its own process (`python -m benchmarks.importing MODE CSV OUT`), which reports
its own peak resident memory (getrusage), so one import's memory never mixes with another's.

- `stream`: Arrow's CSV reader, 128 MB blocks; each block is validated, placed in every
  regional layer (`atlas.build.place`, the shipped build's point-in-polygon join) and appended
  to one GeoParquet-style file with `ParquetWriter`. Memory stays about one block's worth.
- `naive`: `pandas.read_csv` of the whole file, then the same placing and writing at once.
- `importer`: `atlas.importer.import_path` as the app's data page runs it (reads every cell
  as text first; reported for the sizes where it finishes in reasonable time).
"""

from __future__ import annotations

import csv as std_csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from atlas.build import place
from atlas.layers import LAYER_IDS
from atlas.regions import load_layer
from atlas.schema import COLUMNS

BLOCK_BYTES = 128 << 20
TEXT = pa.string()
THEMES = pa.list_(pa.string())


def arrow_schema() -> pa.Schema:
    """The initiatives table's columns as Arrow types (what load_initiatives reads)."""
    kinds = {"float": pa.float64(), "list[str]": THEMES}
    return pa.schema([(c.name, kinds.get(c.dtype, TEXT)) for c in COLUMNS])


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


def stream_import(csv: Path, out: Path, block_bytes: int = BLOCK_BYTES) -> int:
    """The streaming import; returns the rows written."""
    layers = {lid: load_layer(lid) for lid in LAYER_IDS}
    schema = arrow_schema()
    with open(csv, newline="", encoding="utf-8") as fh:
        names = next(std_csv.reader(fh))
    types = {n: pa.float64() if n in ("lat", "lon") else TEXT for n in names}
    reader = pacsv.open_csv(
        csv,
        read_options=pacsv.ReadOptions(block_size=block_bytes),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    written = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in reader:
            chunk = pa.Table.from_batches([batch])
            rows = chunk.drop_columns(["themes"]).to_pandas()
            rows["_row"] = np.arange(len(rows))
            placed = _placed(rows, layers)
            themes = _themes(chunk["themes"].combine_chunks()).take(placed["_row"].to_numpy())
            writer.write_table(_table(placed.reset_index(drop=True), themes, schema))
            written += len(placed)
    return written


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
    """The data page's importer (atlas.importer), limits lifted for the benchmark."""
    from atlas import importer

    result = importer.import_path(
        csv,
        importer.ImportOptions(dataset_id="synthetic", title="Synthetic", license="synthetic"),
        limits=importer.Limits(max_bytes=1 << 40, max_rows=1 << 40),
    )
    result.rows.to_parquet(out, index=False)
    return result.accepted


MODES = {"stream": stream_import, "naive": naive_import, "importer": app_importer}


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
