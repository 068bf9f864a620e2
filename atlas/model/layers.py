"""The regional layers: ids used everywhere (URLs, CLI, code) and what each one is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layer:
    id: str
    label: str
    # Column of the initiatives table holding the code of the region a point falls in.
    column: str
    # Layer whose codes appear in this layer's `parent` column (None: top level).
    parent: str | None


LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer("countries", "Countries", "code_countries", None),
        Layer("nuts1", "NUTS 1 regions", "code_nuts1", "countries"),
        Layer("nuts2", "NUTS 2 regions", "code_nuts2", "nuts1"),
        Layer("nuts3", "NUTS 3 regions", "code_nuts3", "nuts2"),
        Layer("uk_regions", "UK regions (ITL 1)", "code_uk_regions", "countries"),
        Layer("admin1", "States and provinces (world)", "code_admin1", "countries"),
    )
}
LAYER_IDS: tuple[str, ...] = tuple(LAYERS)
DEFAULT_LAYER = "nuts2"


def geo_file(layer_id: str) -> str:
    """File name of a layer's GeoParquet inside geo/."""
    return f"{layer_id}.parquet"
