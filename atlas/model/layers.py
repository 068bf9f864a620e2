"""The regional layers: one record per layer carrying its id (used in URLs, the CLI and code)
and all of its behaviour, so that a layer is changed, or added, in one place.

Behaviour other modules read from here, never from tuples of their own:
- `parent`/`implies_parent`: how levels nest when points are placed (`atlas.geo.regions`);
- `skip_if_inside`: a layer not looked up for points already inside another;
- `finest`: the finest European levels, described by `region_match`;
- `match_rank`: which layer wins when a region name matches several (`atlas.geo.placement`);
- `export_rank`/`detail_rank`: which layers name an initiative's region in exports and the
  directory (`atlas.present.exports`, `pages/directory.py`);
- `simplify`: how the build generalises its geometries (`atlas.build.layers`);
- `note`: what a reader of a map of this layer must know (legends, PNG exports).
"""

from __future__ import annotations

from dataclasses import dataclass

UK_NOT_IN_NUTS = "The UK is not in NUTS 2024: choose 'UK regions'."


@dataclass(frozen=True)
class Layer:
    id: str
    label: str
    # Column of the initiatives table holding the code of the region a point falls in.
    column: str
    # Layer whose codes appear in this layer's `parent` column (None: top level).
    parent: str | None
    # A point's code in this layer decides its code in `parent`, so that levels nest
    # (code_nuts2 is always the parent of code_nuts3).
    implies_parent: bool = False
    # Points inside a region of this layer are not looked up in this one.
    skip_if_inside: str | None = None
    # One of the finest levels: `region_match` says how a point was placed in it.
    finest: bool = False
    # Rank when a name matches regions in several layers (lower wins).
    match_rank: int = 99
    # Rank among the layers naming an initiative's 'Region' in exports (None: not used).
    export_rank: int | None = None
    # Shown on an initiative's detail in the directory.
    detail: bool = False
    # (coverage_simplify tolerance, rounding grid), both in degrees, used by the build.
    simplify: tuple[float, float] = (0.0, 1e-4)
    # What a reader of a map of this layer must know.
    note: str = ""


# NUTS 20M is already generalised for 1:20 million and its four levels nest exactly;
# simplifying each level separately would break that nesting, so NUTS is only rounded.
# admin1 does not imply its parent: it is another source (NE 10m vs NE 50m countries) and
# names units that are not in the countries layer. A point inside a NUTS 3 region is not also
# looked up in uk_regions (NE and GISCO disagree by a few hundred metres along the Irish border).
LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer("countries", "Countries", "code_countries", None,
              match_rank=5, simplify=(0.04, 1e-3)),
        Layer("nuts1", "NUTS 1 regions", "code_nuts1", "countries", implies_parent=True,
              match_rank=2, note=UK_NOT_IN_NUTS),
        Layer("nuts2", "NUTS 2 regions", "code_nuts2", "nuts1", implies_parent=True,
              match_rank=0, export_rank=0, detail=True, note=UK_NOT_IN_NUTS),
        Layer("nuts3", "NUTS 3 regions", "code_nuts3", "nuts2", implies_parent=True,
              finest=True, match_rank=1, detail=True, note=UK_NOT_IN_NUTS),
        Layer("uk_regions", "UK regions (ITL 1)", "code_uk_regions", "countries",
              implies_parent=True, skip_if_inside="nuts3", finest=True, match_rank=3,
              export_rank=1, detail=True, simplify=(0.01, 1e-4)),
        Layer("admin1", "States and provinces (world)", "code_admin1", "countries",
              match_rank=4, export_rank=2, detail=True, simplify=(0.05, 1e-3)),
    )
}
LAYER_IDS: tuple[str, ...] = tuple(LAYERS)
DEFAULT_LAYER = "nuts2"


def ordered(key: str) -> tuple[str, ...]:
    """Ids of the layers whose `key` rank is set, lowest rank first."""
    ranked = [(getattr(lay, key), lay.id) for lay in LAYERS.values()
              if getattr(lay, key) is not None]
    return tuple(lid for _, lid in sorted(ranked))


# Matching preference (`atlas.geo.placement`) and the layers naming 'Region' in exports.
MATCH_ORDER = ordered("match_rank")
EXPORT_REGION_LAYERS = ordered("export_rank")
DETAIL_LAYERS = tuple(lid for lid, lay in LAYERS.items() if lay.detail)


def geo_file(layer_id: str) -> str:
    """File name of a layer's GeoParquet inside geo/."""
    return f"{layer_id}.parquet"
