"""Choropleth classification and legend labels: quantiles, equal interval, natural breaks.

Classes are computed on the regions that have a value; regions without one are "no data" and
are never folded into the lowest class.

Bivariate maps (`bivariate_classes`) cross SSE presence with one need indicator in a 3 × 3
square of terciles, with the words each cell means (`bivariate_cell_words`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


# Bivariate maps (SSE presence × one need indicator) ------------------------------------------

#: Joshua Stevens' blue–pink 3 × 3 scheme, index = row * 3 + col: rows are the need (y) from
#: low to high, columns the SSE presence (x) from few to many. Low/low is light grey, many
#: initiatives with low need teal (#5ac8c8), few initiatives with high need pink (#be64ac,
#: the gap the round table looks for), many initiatives with high need the darkest (#3b4994).
BIVARIATE_PALETTE = (
    "#e8e8e8", "#ace4e4", "#5ac8c8",
    "#dfb0d6", "#a5add3", "#5698b9",
    "#be64ac", "#8c62aa", "#3b4994",
)
#: "No data" on a bivariate map: NO_DATA_COLOUR (#d9d9d9) is within ΔE 5 of the low/low grey
#: (#e8e8e8) and ΔE 3.4 of #ace4e4 for protanopes, so a missing need value would read as
#: "low/low". This mid grey stays ΔE ≥ 19 from every cell, also with simulated deuteranopia
#: and protanopia.
BIVARIATE_NO_DATA_COLOUR = "#8c8c8c"
X_WORDS = ("few", "some", "many")
Y_WORDS = ("low", "medium", "high")


@dataclass(frozen=True)
class Bivariate:
    """Classes of two variables over the same regions and each region's cell.

    `cell` is `row * k + col` in the k × k grid (row = y class from low, col = x class from
    few), -1 when either value is missing. An axis with fewer distinct values has fewer classes;
    `cols` / `rows` say which grid column / row each class takes (spread like `colours`, so two
    classes are the two ends), so cells, palette and words keep one k × k layout. `x.index` /
    `y.index` are -1 outside the regions that have both values.
    """

    x: Classes
    y: Classes
    cols: tuple[int, ...]
    rows: tuple[int, ...]
    cell: np.ndarray
    k: int

    @property
    def no_data(self) -> int:
        return int((self.cell < 0).sum())

    def counts(self) -> list[int]:
        """Regions per grid cell, k × k in cell order (0 for a cell no class reaches)."""
        return np.bincount(self.cell[self.cell >= 0], minlength=self.k * self.k).tolist()

    def fills(
        self,
        palette: Sequence[str] = BIVARIATE_PALETTE,
        no_data: str = BIVARIATE_NO_DATA_COLOUR,
    ) -> list[str]:
        """Each region's colour."""
        if len(palette) != self.k * self.k:
            raise ValueError(f"a {self.k} × {self.k} map needs {self.k * self.k} colours")
        return [palette[c] if c >= 0 else no_data for c in self.cell]


def bivariate_classes(x: pd.Series, y: pd.Series, k: int = 3) -> Bivariate:
    """x = SSE presence (columns, few → many), y = need (rows, low → high), in the same order.

    Bounds are the k quantiles (terciles by default) of each variable computed on the regions
    that have BOTH values, so every class is counted on the regions the square shows. A bound
    is snapped down to the largest value it covers: classes keep their members, ties (many
    zeros) merge into one class instead of leaving an empty one labelled like its neighbour,
    and an axis with fewer than k distinct values has one class per value. Zero is a value
    (the lowest x class), not "no data".
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    xs = pd.to_numeric(pd.Series(x).reset_index(drop=True), errors="coerce").to_numpy(float)
    ys = pd.to_numeric(pd.Series(y).reset_index(drop=True), errors="coerce").to_numpy(float)
    if len(xs) != len(ys):
        raise ValueError("x and y must hold the same regions")
    both = np.isfinite(xs) & np.isfinite(ys)
    x_cls, y_cls = _paired_classes(xs, both, k), _paired_classes(ys, both, k)
    cols, rows = _spread(x_cls.k, k), _spread(y_cls.k, k)
    cell = np.full(len(xs), -1, dtype=int)
    if both.any():
        cell[both] = (np.asarray(rows)[y_cls.index[both]] * k
                      + np.asarray(cols)[x_cls.index[both]])
    return Bivariate(x_cls, y_cls, cols, rows, cell, k)


def _paired_classes(values: np.ndarray, keep: np.ndarray, k: int) -> Classes:
    """Quantile classes of `values[keep]`, bounds snapped to data values; -1 elsewhere."""
    index = np.full(len(values), -1, dtype=int)
    data = values[keep]
    if not len(data):
        return Classes((), float("nan"), index)
    distinct = np.unique(data)
    bounds = quantile_bounds(data, min(k, len(distinct)))
    snapped = distinct[np.searchsorted(distinct, bounds, side="right") - 1]
    bounds = np.unique(np.append(snapped, distinct[-1]))
    index[keep] = np.searchsorted(bounds, data, side="left")
    return Classes(tuple(float(b) for b in bounds), float(distinct[0]), index)


def _spread(n: int, k: int) -> tuple[int, ...]:
    """Grid positions of n classes on a k-wide axis: all of them, or spread to both ends."""
    if n == 0:
        return ()
    return tuple(int(i) for i in np.linspace(0, k - 1, n).round().astype(int))


def bivariate_cell_words(
    row: int,
    col: int,
    k: int = 3,
    x_words: Sequence[str] = X_WORDS,
    y_words: Sequence[str] = Y_WORDS,
    x_noun: str = "initiatives",
    y_noun: str = "need",
) -> str:
    """What a cell means in words: (2, 0) → 'few initiatives, high need'.

    The nouns are parameters so that a theme's share says 'low share' (x_words=Y_WORDS,
    x_noun='share'). Words are spread over k when there are not k of them; a negative row or
    column (a region outside the square) is 'no data'.
    """
    if row < 0 or col < 0:
        return "no data"
    if row >= k or col >= k:
        raise ValueError(f"cell ({row}, {col}) is outside a {k} × {k} grid")
    return f"{_word(x_words, col, k)} {x_noun}, {_word(y_words, row, k)} {y_noun}"


def _word(words: Sequence[str], i: int, k: int) -> str:
    return words[i] if len(words) == k else words[round(i * (len(words) - 1) / max(k - 1, 1))]


def bivariate_words(bi: Bivariate, **words) -> list[str]:
    """`bivariate_cell_words` of every cell, in cell order (keyword arguments passed on)."""
    return [bivariate_cell_words(c // bi.k, c % bi.k, bi.k, **words) for c in range(bi.k ** 2)]


def bivariate_corners(
    words: Sequence[str], cols: Sequence[int], rows: Sequence[int], k: int
) -> list[tuple[int, str]]:
    """(cell, words) of the square's four corners, top left first: high need with few
    initiatives, high need with many, low need with few, low need with many (the corners of
    the classes there are; fewer when an axis has a single class)."""
    if not cols or not rows:
        return []
    cells = [rows[-1] * k + cols[0], rows[-1] * k + cols[-1],
             rows[0] * k + cols[0], rows[0] * k + cols[-1]]
    return [(c, words[c]) for c in dict.fromkeys(cells)]


def ink(fill: str) -> str:
    """Black or white text, whichever reads better on a '#rrggbb' fill (WCAG contrast)."""
    rgb = [int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def bivariate_labels(
    bi: Bivariate,
    x: pd.Series,
    y: pd.Series,
    *,
    x_percent: bool = False,
    y_percent: bool = False,
    y_unit: str = "",
) -> tuple[list[str], list[str]]:
    """Range labels of the x classes and the y classes (y with its unit), as `legend_labels`:
    whole numbers on the square (counts) read as '1 – 5'. `x`, `y` as given to
    `bivariate_classes`."""
    paired = bi.cell >= 0

    def integer(values: pd.Series, percent: bool) -> bool:
        values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)[paired]
        return not percent and bool(np.all(np.mod(values, 1) == 0))

    x_labels = legend_labels(bi.x, percent=x_percent, integer=integer(x, x_percent))
    y_labels = legend_labels(bi.y, percent=y_percent, integer=integer(y, y_percent))
    return x_labels, [with_unit(label, y_unit) for label in y_labels]


def reversed_labels(classes: Classes, fmt: Callable[[float], str], unit: str = "") -> list[str]:
    """Range labels of classes computed on negated values, in the values' own units: the
    need axis of a bivariate map for an indicator whose need is a low value (employment
    rate, GDP), classed as `bivariate_classes(x, -y)` so a low value is a high need row.
    `fmt` formats a number, `unit` follows the range once ('66.1 – 74.3 % of people aged
    20–64', as `bivariate_labels` puts it). The live map and the PNG both label it here."""
    lows = (classes.lower, *classes.bounds[:-1])
    return [with_unit(f"{fmt(-up)} – {fmt(-low)}" if up != low else fmt(-up), unit)
            for low, up in zip(lows, classes.bounds, strict=True)]


def with_unit(text: str, unit: str) -> str:
    """'12.5' + '%' → '12.5%'; '3' + 'years' → '3 years'; 'no data' stays as it is."""
    if not unit or text == "no data":
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"
