"""Choropleth classification and legend labels: quantiles, equal interval, natural breaks.

Classes are computed on the regions that have a value; regions without one are "no data" and
are never folded into the lowest class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

SCHEMES = {
    "quantiles": "Quantiles (equal number of regions per class)",
    "equal_interval": "Equal intervals",
    "natural_breaks": "Natural breaks (Fisher-Jenks)",
}
DEFAULT_SCHEME = "quantiles"
# ColorBrewer YlGnBu, sequential and colour-blind safe; index = class.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
# Presenter mode: viridis steps (colour-blind safe, strong contrast on a projector).
PALETTE_HIGH_CONTRAST = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
NO_DATA_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class (ascending) and each region's class (-1 = no data)."""

    bounds: tuple[float, ...]
    lower: float
    index: np.ndarray

    @property
    def k(self) -> int:
        return len(self.bounds)


def classify(values: pd.Series, scheme: str = DEFAULT_SCHEME, k: int = 5) -> Classes:
    """Class of every value. Fewer classes when there are fewer distinct values than `k`."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; use one of {sorted(SCHEMES)}")
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(arr)
    index = np.full(len(arr), -1, dtype=int)
    if not ok.any():
        return Classes((), float("nan"), index)
    data = arr[ok]
    distinct = np.unique(data)
    k = max(1, min(k, len(distinct)))
    if k == 1:
        bounds = np.array([data.max()])
    elif scheme == "quantiles":
        bounds = quantile_bounds(data, k)
    elif scheme == "equal_interval":
        bounds = equal_interval_bounds(data, k)
    else:
        bounds = fisher_jenks(data, k)
    bounds = np.unique(np.asarray(bounds, dtype=float))
    bounds[-1] = max(bounds[-1], data.max())
    index[ok] = np.searchsorted(bounds, data, side="left").clip(0, len(bounds) - 1)
    return Classes(tuple(float(b) for b in bounds), float(data.min()), index)


def quantile_bounds(data: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds at the k quantiles (linear interpolation), as mapclassify's Quantiles.

    Written out here: importing mapclassify pulls in SciPy and Matplotlib, a second of every
    server start before the first map can draw."""
    return np.percentile(data, np.linspace(100 / k, 100, k))


def equal_interval_bounds(data: np.ndarray, k: int) -> np.ndarray:
    """k classes of equal width from the minimum; the last bound is the maximum."""
    low, high = float(np.min(data)), float(np.max(data))
    bounds = low + (high - low) / k * np.arange(1, k + 1)
    bounds[-1] = high
    return bounds


def fisher_jenks(data: np.ndarray, k: int) -> np.ndarray:
    """Exact Fisher-Jenks upper bounds by dynamic programming over sorted values, vectorised.

    mapclassify's pure-Python FisherJenks takes ~25 s for 4,600 regions without numba; this
    takes well under a second and is deterministic (no sampling).
    """
    x = np.sort(np.asarray(data, dtype=float))
    n = len(x)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def ssd(lo: np.ndarray, hi: int) -> np.ndarray:
        """Sum of squared deviations of x[lo..hi] (inclusive), for an array of `lo`."""
        count = hi - lo + 1
        total = s1[hi + 1] - s1[lo]
        return (s2[hi + 1] - s2[lo]) - total * total / count

    upto = np.arange(1, n + 1)
    cost = s2[1:] - s1[1:] ** 2 / upto  # one class holding x[0..i]
    starts = np.zeros((k, n), dtype=int)
    for m in range(1, k):
        new = np.full(n, np.inf)
        for i in range(m, n):
            js = np.arange(m, i + 1)  # first index of the last class
            total = cost[js - 1] + ssd(js, i)
            best = int(np.argmin(total))
            new[i] = total[best]
            starts[m, i] = js[best]
        cost = new
    bounds, hi = [], n - 1
    for m in range(k - 1, -1, -1):
        bounds.append(x[hi])
        hi = starts[m, hi] - 1 if m else hi
    return np.array(sorted(bounds))


def colours(classes: Classes, palette: tuple[str, ...] = PALETTE) -> list[str]:
    """Palette colours spread over however many classes there are."""
    if classes.k == 0:
        return []
    picks = np.linspace(0, len(palette) - 1, classes.k).round().astype(int)
    return [palette[i] for i in picks]


def fmt_number(value: float, decimals: int | None = None) -> str:
    """1234567 → '1,234,567'; 3.14159 → '3.1'; NaN → 'no data'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no data"
    if decimals is None:
        decimals = 0 if float(value).is_integer() or abs(value) >= 100 else 1
        if abs(value) < 1 and value != 0:
            decimals = 2
    return f"{value:,.{decimals}f}"


def fmt_percent(value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no data"
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def legend_labels(classes: Classes, percent: bool = False, integer: bool = False) -> list[str]:
    """'0 – 3', '3 – 12', ... one per class, in the unit of the metric.

    With `integer` (counts) a class bound like 17.4 means "up to 17", so classes read without
    overlap or fractions: '0', '1 – 5', '6 – 17', '18 – 89'.
    """
    fmt = fmt_percent if percent else fmt_number
    labels, low = [], classes.lower
    for i, upper in enumerate(classes.bounds):
        if integer:
            start = math.floor(low) + 1 if i > 0 else math.ceil(low)
            upper = math.floor(upper)
        else:
            start = low
        labels.append(fmt(start) if start >= upper else f"{fmt(start)} – {fmt(upper)}")
        low = classes.bounds[i]
    return labels
