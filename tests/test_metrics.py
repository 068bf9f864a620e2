"""The metric registry: every metric is one record, and one new record is enough for the
region table, URLs and the legend to know it."""

import math

import pytest

from atlas.analysis.indicators import region_table
from atlas.model import metrics
from atlas.model.metrics import METRICS, Metric, metrics_for
from atlas.model.views import MapView, view_from_params


def test_every_metric_is_a_region_table_column(rows, nuts2_regions):
    table = region_table(rows, nuts2_regions, "nuts2", theme="proximity")
    assert set(metrics_for("nuts2")) <= set(table.columns)
    assert "gdp_change_2013_2023" not in table.columns  # a NUTS 3 indicator only
    assert "with_theme" not in table.columns  # an input of the metrics, not a figure
    without = region_table(rows, nuts2_regions, "nuts2")
    assert {m for m in metrics_for("nuts2") if not METRICS[m].needs_theme} <= set(without.columns)
    assert "theme_share" not in without.columns


def test_records_say_percent_theme_and_legend_note():
    assert METRICS["theme_share"].percent and METRICS["theme_share"].needs_theme
    assert not METRICS["per_100k"].percent
    assert METRICS["theme_share"].title("Employment") == "Share with theme: Employment"
    assert METRICS["per_100k"].title("Employment") == METRICS["per_100k"].label
    assert "Eurostat" in MapView(metric="per_100k", layer="uk_regions").legend_note
    assert MapView(metric="initiatives", layer="uk_regions").legend_note == ""
    assert MapView(metric="theme_share", theme="housing").metric_theme == "housing"
    assert MapView(metric="per_100k", theme="housing").metric_theme is None


def test_one_new_record_is_a_new_metric(rows, nuts2_regions, monkeypatch):
    double = Metric("double", "Twice the initiatives", "initiatives × 2",
                    lambda t: t["initiatives"] * 2, layers=("nuts2",))
    monkeypatch.setitem(metrics.METRICS, "double", double)
    table = region_table(rows, nuts2_regions, "nuts2").set_index("code")
    assert (table["double"] == table["initiatives"] * 2).all()
    view, notices = view_from_params({"metric": "double"}, themes=["employment"])
    assert view.metric == "double" and not notices
    assert "double" in metrics_for("nuts2") and "double" not in metrics_for("nuts3")
    view, notices = view_from_params({"metric": "double", "layer": "nuts3"}, themes=[])
    assert view.metric == "initiatives" and view.layer == "nuts3"
    assert notices == ["The metric 'double' is not offered for NUTS 3 regions; "
                       "showing 'initiatives'."]


@pytest.mark.parametrize("population", [0, float("nan")])
def test_per_100k_is_no_data_without_population(rows, nuts2_regions, population):
    regions = nuts2_regions.assign(population=population)
    table = region_table(rows, regions, "nuts2")
    assert table["per_100k"].map(math.isnan).all()
