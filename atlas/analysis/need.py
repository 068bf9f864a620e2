"""Where need is high and known SSE is low: regions set against one need indicator, in the
same 3 × 3 classes as the bivariate map (`atlas.model.classify.bivariate_classes`), so the
table, the scatter plot and the map always agree.

"Known SSE" is what the atlas's sources record. Outside the UK they are a sample, so a low
value can mean missing data rather than missing SSE: every view of this table says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.model.classify import X_WORDS, Y_WORDS, bivariate_cell_words, bivariate_classes
from atlas.model.context import INDICATORS, flag_column, flag_words, missing_column
from atlas.model.metrics import METRICS

GAP = "High need, few known initiatives"
CAVEAT = (
    "Known initiatives are those in the atlas's sources: Co-operatives UK lists every UK "
    "co-operative, but elsewhere the SUSY map (2016–2018) is a sample collected by partner "
    "networks. A region with few known initiatives may simply be missing from the data."
)



SHORT_CAVEAT = ("Few known initiatives may mean missing data: outside the UK the sources are a "
                "sample.")


def need_values(table: pd.DataFrame, indicator: str) -> pd.Series:
    """The indicator oriented so that higher = more need (employment rate, GDP: reversed)."""
    values = pd.to_numeric(table[indicator], errors="coerce")
    return -values if INDICATORS[indicator].need == "low" else values


def need_table(table: pd.DataFrame, indicator: str, sse: str = "per_100k") -> pd.DataFrame:
    """One row per region of a region table (`atlas.analysis.indicators.region_table`) with
    both values: SSE presence, the need indicator with its flag, their classes, the cell's
    meaning in words and `gap` (top need class, bottom SSE class). Gap regions first, then
    by need, highest first. `rank_need` and `rank_sse` count from the highest need and the
    fewest known initiatives."""
    x = pd.to_numeric(table[sse], errors="coerce").reset_index(drop=True)
    y = need_values(table, indicator).reset_index(drop=True)
    bi = bivariate_classes(x, y)
    row, col = bi.cell // bi.k, bi.cell % bi.k
    noun = "share" if METRICS[sse].percent else "initiatives"
    x_words = Y_WORDS if METRICS[sse].percent else X_WORDS
    words = [bivariate_cell_words(r, c, bi.k, x_words=x_words, x_noun=noun) if c >= 0 else ""
             for r, c in zip(row, col, strict=True)]
    flags = (table[flag_column(indicator)].to_numpy(dtype=object)
             if flag_column(indicator) in table else np.full(len(table), "", dtype=object))
    out = pd.DataFrame({
        "code": table["code"].to_numpy(),
        "name": table["name"].to_numpy(),
        "country": table["country"].to_numpy(),
        "initiatives": table["initiatives"].to_numpy(),
        sse: x.to_numpy(),
        indicator: pd.to_numeric(table[indicator], errors="coerce").to_numpy(),
        "flag": flags,
        "flag_meaning": [flag_words(f) for f in flags],
        "cell": bi.cell,
        "class": words,
        "gap": (row == bi.k - 1) & (col == 0) & (bi.cell >= 0),
    })
    out = out[out["cell"] >= 0].copy()
    out["rank_need"] = need_values(out, indicator).rank(ascending=False, method="min").astype(int)
    out["rank_sse"] = out[sse].rank(ascending=True, method="min").astype(int)
    out["_need"] = need_values(out, indicator)
    return (out.sort_values(["gap", "_need"], ascending=[False, False])
            .drop(columns="_need").reset_index(drop=True))


def missing_summary(table: pd.DataFrame, indicator: str, sse: str = "per_100k") -> dict[str, int]:
    """Regions left out of the need table, by reason (a reason never becomes a 0)."""
    value = pd.to_numeric(table[indicator], errors="coerce")
    why = (table[missing_column(indicator)].fillna("").astype(str)
           if missing_column(indicator) in table else pd.Series("", index=table.index))
    out: dict[str, int] = {}
    for reason, n in why[value.isna()].replace("", "no value").value_counts().items():
        out[f"{INDICATORS[indicator].label}: {reason}"] = int(n)
    no_sse = int((value.notna() & pd.to_numeric(table[sse], errors="coerce").isna()).sum())
    if no_sse:
        out[f"{METRICS[sse].label}: no data (population unknown or no initiative)"] = no_sse
    return out
