"""`python -m atlas build`: raw snapshots in ../shared/data-sources → what the app ships.

Named steps, each logged, in the spirit of Our World in Data's ETL:
1. layers      regional geometries + population → geo/<layer>.parquet  (atlas.geo.regions)
2. context     regional context on the shipped NUTS codes → data/context.parquet (labour
               market 2025, GDP 2019-2021 with the 2020 shock and recovery, GDP change
               2013-23), data/typologies.parquet, data/degurba.parquet, data/policies.csv,
               data/official_figures.csv, each with a sidecar  (atlas.build.context)
3. read        each initiative source → schema rows; rejected rows kept with a reason
4. assign      point-in-polygon join of every point to each layer → code_<layer> columns
5. country     ISO country from the point, else from the source's address
6. write       data/initiatives.parquet, data/rejected.csv, data/unmapped_categories.csv,
               each with a `.meta.yaml` sidecar (origin, licence, attribution, sha256)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from atlas import paths
from atlas.build import layers as layer_builder
from atlas.build.context import build_context
from atlas.build.sources import SourceResult, read_coopsuk, read_susy
from atlas.geo.join import place
from atlas.model.layers import LAYERS
from atlas.model.provenance import write_sidecar
from atlas.model.schema import conform
from atlas.model.sources import SOURCES

VOCABS = "essglobal-vocabularies/vocabs/standard"


def read_sources(shared: Path) -> list[SourceResult]:
    return [
        read_susy(shared / SOURCES["susy"].snapshot),
        read_coopsuk(shared / SOURCES["coopsuk"].snapshot, shared / VOCABS),
    ]


def build(shared: Path | None = None, data_dir: Path | None = None, geo_dir: Path | None = None,
          log=print) -> dict:
    """Run every step; returns the per-source accounting (also in the initiatives sidecar) and,
    under "context", the report of the context step (`atlas.build.context.build_context`)."""
    shared = shared or paths.SHARED_SOURCES
    data_dir = data_dir or paths.DATA_DIR
    geo_dir = geo_dir or paths.GEO_DIR
    if not shared.is_dir():
        raise FileNotFoundError(f"raw data folder not found: {shared} (set ATLAS_SHARED_SOURCES)")
    data_dir.mkdir(parents=True, exist_ok=True)
    geo_dir.mkdir(parents=True, exist_ok=True)

    log("step 1/6 layers: building regional geometries and population")
    layers = layer_builder.build_layers(shared, geo_dir)

    log("step 2/6 context: labour market, GDP, typologies, degree of urbanisation, SSE "
        "policies and official figures")
    context = build_context(
        shared, data_dir,
        {lid: set(layers[lid]["code"]) for lid in ("countries", "nuts1", "nuts2", "nuts3")},
        log=log,
    )

    log("step 3/6 read: initiative sources")
    results = read_sources(shared)
    report: dict = {"sources": {}}
    for r in results:
        with_point = int(r.rows["lat"].notna().sum()) if r.kept else 0
        report["sources"][r.source] = {
            "read": r.read,
            "kept": r.kept,
            "rejected": len(r.rejected),
            "with_coordinates": with_point,
            "without_coordinates": r.kept - with_point,
        }
        assert r.kept + len(r.rejected) == r.read, f"{r.source}: rows lost"
        log(f"  {r.source}: read {r.read}, kept {r.kept} ({with_point} with coordinates, "
            f"{r.kept - with_point} without, each with a reason), rejected {len(r.rejected)}")

    log("step 4/6 assign: point-in-polygon join to every layer")
    rows = pd.concat([r.rows for r in results], ignore_index=True)
    rows = place(rows, layers)
    log("step 5/6 country: from the point, else from the source address")
    table = conform(rows)
    for layer in LAYERS.values():
        share = table[layer.column].notna().mean()
        log(f"  {layer.id}: {share:.1%} of initiatives assigned")

    log("step 6/6 write: data files and sidecars")
    out = data_dir / paths.INITIATIVES_FILE
    table.to_parquet(out, index=False, compression="zstd")
    write_sidecar(
        out,
        title="SSE initiatives (SUSY / TransforMap and Co-operatives UK), normalised",
        producer="; ".join(s.producer for s in SOURCES.values()),
        origin=[s.origin for s in SOURCES.values()],
        license="; ".join(f"{s.license} ({s.id})" for s in SOURCES.values()),
        attribution="; ".join(s.attribution for s in SOURCES.values()),
        rows=len(table),
        steps=[
            "read: susy GeoJSON features and coopsuk CSV rows (atlas.build.sources)",
            "themes: source categories mapped through atlas/taxonomy/*.csv",
            "validate: names, unique ids, coordinates (out of range, 0,0) and website URLs",
            "assign: point-in-polygon join to countries, nuts1-3, uk_regions, admin1 "
            "(nearest region within 0.1° for points off a simplified coastline)",
        ],
        sources=[vars(s) for s in SOURCES.values()],
        accounting=report["sources"],
        with_theme=int((table["themes"].map(len) > 0).sum()),
    )
    rejected = pd.DataFrame(
        [x for r in results for x in r.rejected],
        columns=["source", "line", "source_id", "reason"],
    )
    rej_path = data_dir / paths.REJECTED_FILE
    rejected.to_csv(rej_path, index=False)
    write_sidecar(
        rej_path,
        title="Source rows rejected by the build, with reasons",
        producer="SSE Atlas build",
        origin=[s.origin for s in SOURCES.values()],
        license="; ".join(f"{s.license} ({s.id})" for s in SOURCES.values()),
        attribution="; ".join(s.attribution for s in SOURCES.values()),
        rows=len(rejected),
        steps=["read", "validate: rows without a name or with a duplicate id"],
    )
    unmapped = Counter()
    for r in results:
        unmapped.update(r.unmapped)
    um = pd.DataFrame(sorted(unmapped.items(), key=lambda kv: -kv[1]),
                      columns=["category", "rows"])
    um_path = data_dir / "unmapped_categories.csv"
    um.to_csv(um_path, index=False)
    write_sidecar(
        um_path,
        title="Source categories that map to no SSE Atlas theme",
        producer="SSE Atlas build",
        origin="atlas/taxonomy/*.csv applied to the initiative sources",
        license="CC0-1.0",
        attribution="SSE Atlas",
        rows=len(um),
        steps=["read", "themes: categories whose mapping row lists no theme"],
    )
    report["context"] = context
    report["initiatives"] = len(table)
    report["with_theme"] = int((table["themes"].map(len) > 0).sum())
    log(f"done: {len(table)} initiatives, {report['with_theme']} with a theme")
    return report
