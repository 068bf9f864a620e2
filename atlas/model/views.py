"""The map view as plain data: layer, metric, classification, basemap, selection, and an
optional map centre/zoom (set by stories and permalinks, never from panning).

Together with `Filters` it is the whole state of a page, so a URL reproduces a view exactly.
Bad URL values fall back to defaults with a notice (never an exception) that repeats at most
`atlas.text.ECHO_CHARS` characters of the value: notices are plain text, shown inert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from atlas.model import credits
from atlas.model.classify import DEFAULT_SCHEME, SCHEMES
from atlas.model.context import INDICATORS, need_indicators
from atlas.model.layers import DEFAULT_LAYER, LAYERS
from atlas.model.metrics import DEFAULT_METRIC, METRICS
from atlas.text import clip

BASEMAPS = {
    "outline": "Offline outlines (no internet needed)",
    "tiles": "OpenStreetMap tiles (needs internet)",
}
DEFAULT_THEME = "employment"


@dataclass(frozen=True)
class MapView:
    layer: str = DEFAULT_LAYER
    metric: str = DEFAULT_METRIC
    theme: str = DEFAULT_THEME  # used by metrics that need a theme (theme_share)
    scheme: str = DEFAULT_SCHEME
    basemap: str = "outline"
    points: bool = True
    region: str = ""  # selected region code in `layer`, "" for none
    # A need indicator (atlas.model.context) for a bivariate view: SSE `metric` against it.
    need: str = ""
    # Where the map opens; None = wherever it is (the page default on first draw).
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None

    @property
    def metric_theme(self) -> str | None:
        """The theme the metric is computed for, None when the metric needs none."""
        return self.theme if METRICS[self.metric].needs_theme else None

    @property
    def bivariate(self) -> bool:
        """SSE presence (the metric) against a need indicator, 3 × 3 classes."""
        return bool(self.need)

    @property
    def center(self) -> tuple[float, float] | None:
        """(lat, lon) when both are set, for st_folium's `center=`."""
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)

    @property
    def legend_note(self) -> str:
        """What a reader of the legend must know about this layer and metric."""
        notes = []
        if METRICS[self.metric].legend_note:
            notes.append(METRICS[self.metric].legend_note)
        if METRICS[self.metric].indicator:
            notes.append(context_note(METRICS[self.metric].indicator))
        if LAYERS[self.layer].note:
            notes.append(LAYERS[self.layer].note)
        return " ".join(notes)

    def to_params(self) -> dict[str, str]:
        """Only what differs from the defaults, so URLs stay short."""
        default = MapView()
        out = {}
        for key, value in vars(self).items():
            if value != getattr(default, key):
                if isinstance(value, bool):
                    out[key] = "1" if value else "0"
                elif isinstance(value, float):
                    out[key] = f"{value:.4f}".rstrip("0").rstrip(".")
                else:
                    out[key] = str(value)
        if not METRICS[self.metric].needs_theme:
            out.pop("theme", None)
        return out


def context_note(indicator: str) -> str:
    """The credit and year of a context indicator, for legends: from its sidecar."""
    ind = INDICATORS[indicator]
    return f"{credits.context_source(ind.source).attribution}, {ind.year}."


def _first(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    raw = params.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    return raw[0] if raw else None


def view_from_params(
    params: Mapping[str, Sequence[str] | str],
    themes: Sequence[str],
    region_codes: Mapping[str, set[str]] | None = None,
) -> tuple[MapView, list[str]]:
    """MapView from URL parameters; `region_codes[layer]` validates the selected region."""
    notices: list[str] = []
    default = MapView()
    choices = {
        "layer": LAYERS,
        "metric": METRICS,
        "theme": themes,
        "scheme": SCHEMES,
        "basemap": BASEMAPS,
        "need": INDICATORS,
    }
    values: dict[str, object] = {}
    for key, allowed in choices.items():
        raw = _first(params, key)
        if raw is None:
            continue
        if raw in allowed:
            values[key] = raw
        else:
            notices.append(
                f"Unknown {key} {clip(raw)!r} in the URL; showing {getattr(default, key)!r}."
            )
    points = _first(params, "points")
    if points is not None:
        if points in ("0", "1"):
            values["points"] = points == "1"
        else:
            notices.append(f"Unknown points {clip(points)!r} in the URL; showing points.")
    region = _first(params, "region")
    if region:
        layer = str(values.get("layer", default.layer))
        codes = (region_codes or {}).get(layer)
        if codes is None or region in codes:
            values["region"] = region
        else:
            notices.append(f"No region {clip(region)!r} in layer {layer!r}; nothing selected.")
    layer = str(values.get("layer", default.layer))
    metric = str(values.get("metric", default.metric))
    if layer not in METRICS[metric].layers:
        notices.append(f"The metric {metric!r} is not offered for {LAYERS[layer].label}; "
                       f"showing {default.metric!r}.")
        values["metric"] = default.metric
    need = str(values.get("need", ""))
    if need and need not in need_indicators(layer):
        notices.append(f"The need indicator {need!r} is not offered for {LAYERS[layer].label}; "
                       "showing a one-variable map.")
        values.pop("need")
    elif need and METRICS[str(values.get("metric", default.metric))].indicator:
        notices.append("A bivariate map sets SSE presence against need: its metric must be an "
                       "SSE metric (initiatives, per 100k, theme share); showing per 100k.")
        values["metric"] = "per_100k"
    for key, low, high in COORDS:
        raw = _first(params, key)
        if raw is None or raw == "":
            continue
        number = _number(raw, low, high, integer=key == "zoom")
        if number is None:
            notices.append(f"Unknown {key} {clip(raw)!r} in the URL; ignored.")
        else:
            values[key] = number
    return MapView(**values), notices  # type: ignore[arg-type]


#: Optional map position parameters and their allowed ranges.
COORDS = (("lat", -85.0, 85.0), ("lon", -180.0, 180.0), ("zoom", 2, 18))


def _number(raw: str, low: float, high: float, *, integer: bool) -> float | int | None:
    """A finite number in [low, high] (rounded to 1e-4°, or an int for zoom), else None."""
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    if integer:
        return int(value) if value.is_integer() else None
    return round(value, 4)
