"""`python -m atlas stats`: what the shipped (or any built) data holds, for data officers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atlas import paths
from atlas.analysis.indicators import theme_counts
from atlas.model.layers import LAYERS, geo_file
from atlas.model.sources import SOURCES
from atlas.store.initiatives import load_initiatives


def collect(data_dir: Path | None = None, geo_dir: Path | None = None) -> dict:
    """The stats as one JSON-ready dict (the `--json` contract: keep these keys)."""
    data_dir = data_dir or paths.DATA_DIR
    geo_dir = geo_dir or paths.GEO_DIR
    df = load_initiatives(data_dir)
    by_source = df["source"].value_counts()
    licences = df.groupby("source")["license"].first()
    sources = []
    for sid, rows in by_source.items():
        info = SOURCES.get(sid)
        sources.append(
            {
                "id": sid,
                "title": info.title if info else sid,
                "rows": int(rows),
                "license": str(licences[sid]),
                "attribution": info.attribution if info else "",
            }
        )
    layers = {}
    for layer in LAYERS.values():
        path = geo_dir / geo_file(layer.id)
        n_regions = len(pd.read_parquet(path, columns=["code"])) if path.exists() else 0
        layers[layer.id] = {
            "regions": n_regions,
            "assigned": int(df[layer.column].notna().sum()),
        }
    unmapped_path = data_dir / "unmapped_categories.csv"
    unmapped = (
        pd.read_csv(unmapped_path).set_index("category")["rows"].astype(int).to_dict()
        if unmapped_path.exists()
        else {}
    )
    with_point = df["lat"].notna()
    placed = df["code_nuts3"].notna() | df["code_uk_regions"].notna()
    return {
        "initiatives": len(df),
        "sources": sources,
        "themes": {k: int(v) for k, v in theme_counts(df).items()},
        "with_theme": int((df["themes"].map(len) > 0).sum()),
        "with_coordinates": int(with_point.sum()),
        "with_nuts3_or_uk_region": int((placed & with_point).sum()),
        "layers": layers,
        "countries": {k: int(v) for k, v in df["country"].value_counts().items()},
        "unmapped_categories": unmapped,
    }


def render(stats: dict) -> str:
    """Plain-text report of `collect()` for a terminal."""
    n = stats["initiatives"]
    pct = (lambda k: f"{k:,} ({k / n:.1%})") if n else (lambda k: str(k))
    lines = [
        f"Initiatives: {n:,}",
        f"  with coordinates: {pct(stats['with_coordinates'])}",
        f"  with at least one theme: {pct(stats['with_theme'])}",
        f"  in a NUTS 3 or UK region: {stats['with_nuts3_or_uk_region']:,} "
        f"({stats['with_nuts3_or_uk_region'] / max(stats['with_coordinates'], 1):.1%} of those "
        "with coordinates)",
        "",
        "By source:",
    ]
    for s in stats["sources"]:
        lines.append(f"  {s['id']:<10} {s['rows']:>7,}  {s['license']}  — {s['title']}")
    lines += ["", "By theme (an initiative may have several):"]
    for theme, count in stats["themes"].items():
        lines.append(f"  {theme:<20} {count:>7,}")
    lines += ["", "By country (top 15):"]
    for iso, count in list(stats["countries"].items())[:15]:
        lines.append(f"  {iso:<4} {count:>7,}")
    lines += ["", "Assigned to a region, per layer:"]
    for layer, v in stats["layers"].items():
        lines.append(f"  {layer:<11} {v['regions']:>5} regions  {pct(v['assigned'])}")
    if stats["unmapped_categories"]:
        lines += ["", "Source categories that map to no theme (rows):"]
        for cat, rows in stats["unmapped_categories"].items():
            lines.append(f"  {cat:<45} {rows:>6,}")
    return "\n".join(lines)
