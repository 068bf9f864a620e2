"""The map metrics: one `Metric` record per way of colouring regions.

A record says everything the app needs about a metric: its id (URLs, stories, the
`region_table` column), label and unit (selector, legend, PNG, exports), how it is computed
from a layer's region counts, whether it is a percentage, whether it needs a theme, which
layers offer it and the note its legend carries. Adding a metric is one entry here (and its
tests): `atlas.analysis.indicators.region_table` computes every entry, and the map, the story
player, the presenter header and the PNG read the rest from the record.

`compute` receives the region table built so far: `code`, `population`, `initiatives` and,
when a theme is chosen, `with_theme` (initiatives carrying it). Missing inputs give NaN
("no data"), never 0.

Every context indicator of `atlas.model.context` is a metric too (`indicator` names it): its
value, flag and reason for missing come from the layer table's context columns, which
`region_table` carries over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from atlas.model.context import INDICATORS, Indicator
from atlas.model.layers import LAYER_IDS

PER = 100_000
THEME_SHARE_PREFIX = "Share with theme: "


def per_100k(count: pd.Series | float, population: pd.Series | float) -> pd.Series | float:
    """count per 100,000 inhabitants; NaN where population is missing or not positive."""
    pop = pd.to_numeric(population, errors="coerce")
    if isinstance(pop, pd.Series):
        pop = pop.where(pop > 0)
        return count / pop * PER
    if pop is None or pd.isna(pop) or pop <= 0:
        return float("nan")
    return count / pop * PER


def _share_with_theme(t: pd.DataFrame) -> pd.Series:
    """Share of the region's initiatives carrying the theme; NaN where it has none."""
    return t["with_theme"] / t["initiatives"].where(t["initiatives"] > 0)


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    unit: str
    compute: Callable[[pd.DataFrame], pd.Series]
    percent: bool = False
    needs_theme: bool = False
    layers: tuple[str, ...] = LAYER_IDS
    legend_note: str = ""
    indicator: str = ""  # a context indicator's id (atlas.model.context), else ""

    def title(self, theme_label: str | None = None) -> str:
        """What the map colours: the label, or the theme's name for a theme metric."""
        if self.needs_theme and theme_label:
            return THEME_SHARE_PREFIX + theme_label
        return self.label


METRICS: dict[str, Metric] = {
    m.id: m
    for m in (
        Metric("initiatives", "Initiatives", "initiatives", lambda t: t["initiatives"]),
        Metric("per_100k", "Initiatives per 100,000 inhabitants",
               "initiatives per 100k inhabitants",
               lambda t: per_100k(t["initiatives"], t["population"]),
               legend_note="Population: Eurostat 2025 (UK regions 2019)."),
        Metric("theme_share", "Share of initiatives with a theme",
               "% of the region's initiatives", _share_with_theme,
               percent=True, needs_theme=True),
    )
}


def _context_metric(ind: Indicator) -> Metric:
    """A context indicator as a metric; its legend credits the source from the context
    sidecar (MapView.legend_note), so the credit has one home."""
    return Metric(ind.id, ind.title(), ind.unit, lambda t, column=ind.id: t[column],
                  layers=ind.layers, indicator=ind.id)


METRICS.update({i: _context_metric(ind) for i, ind in INDICATORS.items()})
DEFAULT_METRIC = "initiatives"


def metrics_for(layer_id: str) -> list[str]:
    """Ids of the metrics a layer offers, in registry order."""
    return [mid for mid, m in METRICS.items() if layer_id in m.layers]
