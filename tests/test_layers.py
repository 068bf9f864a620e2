"""The layer registry: every layer's behaviour is read from its record, and the orders that
other modules used to type out themselves are what the records say."""

from atlas.geo.regions import FINEST_LAYERS
from atlas.model.layers import (
    DETAIL_LAYERS,
    EXPORT_REGION_LAYERS,
    LAYERS,
    MATCH_ORDER,
)
from atlas.model.views import MapView


def test_orders_come_from_the_records():
    assert MATCH_ORDER == ("nuts2", "nuts3", "nuts1", "uk_regions", "admin1", "countries")
    assert EXPORT_REGION_LAYERS == ("nuts2", "uk_regions", "admin1")
    assert DETAIL_LAYERS == ("nuts2", "nuts3", "uk_regions", "admin1")
    assert FINEST_LAYERS == ("nuts3", "uk_regions")


def test_parents_are_layers_and_nesting_layers_have_one():
    for layer in LAYERS.values():
        assert layer.parent is None or layer.parent in LAYERS
        assert not layer.implies_parent or layer.parent is not None
        assert layer.skip_if_inside is None or layer.skip_if_inside in LAYERS
        assert layer.column == f"code_{layer.id}"
    assert not LAYERS["admin1"].implies_parent  # another source than the countries layer


def test_nuts_levels_are_only_rounded_so_they_keep_nesting():
    for lid in ("nuts1", "nuts2", "nuts3"):
        assert LAYERS[lid].simplify[0] == 0.0


def test_the_layer_note_reaches_the_legend():
    assert "UK is not in NUTS 2024" in MapView(layer="nuts2").legend_note
    assert "UK" not in MapView(layer="uk_regions").legend_note
