"""The shipped example story, `stories/sse-in-crisis-recovery.yaml`, generated from the data.

Every figure quoted in its talking points is computed here from the shipped initiatives and
layers, and a test rebuilds the story and compares it with the file: if the data is rebuilt and
a figure changes, the test fails until the file is regenerated, so the text cannot drift.

    python -m atlas.build.story_example          # rewrite stories/sse-in-crisis-recovery.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pandas as pd

from atlas.analysis.indicators import region_table, theme_counts
from atlas.analysis.need import need_table
from atlas.model.classify import fmt_number, fmt_percent
from atlas.model.context import flag_column, flag_words
from atlas.model.filters import Filters
from atlas.model.themes import theme_labels
from atlas.model.views import MapView
from atlas.store.stories import SHIPPED_DIR, Story, View, atomic_write, dumps

STORY_ID = "sse-in-crisis-recovery"
PATH = SHIPPED_DIR / f"{STORY_ID}.yaml"
#: Countries with fewer SUSY initiatives than this are left out of "highest share" claims.
MIN_SAMPLE = 20
EUROPE = {"lat": 52.0, "lon": 10.0, "zoom": 4}
UK = {"lat": 54.6, "lon": -3.4, "zoom": 5}
CENTRAL_EUROPE = {"lat": 47.5, "lon": 15.0, "zoom": 5}


def _top(table: pd.DataFrame, column: str, min_initiatives: int = 1) -> pd.Series:
    rows = table[table["initiatives"] >= min_initiatives].dropna(subset=[column])
    return rows.sort_values([column, "code"], ascending=[False, True]).iloc[0]


def facts(df: pd.DataFrame, layer_table: Callable[[str], pd.DataFrame]) -> dict:
    """The figures the talking points quote, from the initiatives and the layer tables."""
    susy, coops = df[df["source"] == "susy"], df[df["source"] == "coopsuk"]
    all_t, susy_t, coops_t = theme_counts(df), theme_counts(susy), theme_counts(coops)
    emp = Filters(themes=("employment",))
    uk_emp = region_table(df, layer_table("uk_regions"), "uk_regions", emp)
    eu_emp = region_table(df, layer_table("nuts2"), "nuts2", Filters(themes=("employment",),
                                                                      sources=("susy",)))
    prox = region_table(df, layer_table("nuts2"), "nuts2", Filters(), theme="proximity")
    prox_n = region_table(df, layer_table("nuts2"), "nuts2", Filters(themes=("proximity",)))
    prox_top = _top(prox_n, "initiatives")
    soc_c = region_table(df, layer_table("countries"), "countries", Filters(sources=("susy",)),
                         theme="social_services")
    uk_soc = region_table(df, layer_table("uk_regions"), "uk_regions",
                          Filters(themes=("social_services",)))
    youth = region_table(df, layer_table("nuts2"), "nuts2")
    need = need_table(youth, "youth_unemployment", "per_100k")
    return {
        "total": len(df),
        "susy": len(susy),
        "coops": len(coops),
        "susy_countries": int(susy["country"].nunique()),
        "theme": {t: int(all_t[t]) for t in ("employment", "proximity", "social_services")},
        "theme_susy": {t: int(susy_t[t]) for t in ("employment", "proximity", "social_services")},
        "theme_coops": {t: int(coops_t[t]) for t in ("employment", "proximity", "social_services")},
        "uk_emp_per_100k": _top(uk_emp, "per_100k"),
        "uk_emp_count": _top(uk_emp, "initiatives"),
        "eu_emp_count": _top(eu_emp, "initiatives"),
        "prox_count": prox_top,
        "prox_share": prox.set_index("code").loc[prox_top["code"]],
        "soc_country_share": _top(soc_c, "theme_share", MIN_SAMPLE),
        "uk_soc": _top(uk_soc, "initiatives"),
        "youth_top": _top(youth.assign(initiatives=1), "youth_unemployment"),
        "youth_gap": int(need["gap"].sum()),
        "youth_ranked": len(need),
        # the most populous of them: an example a room recognises
        "youth_gap_top": (need[need["gap"]].assign(
            population=need.loc[need["gap"], "code"].map(youth.set_index("code")["population"]))
            .sort_values(["population", "code"], ascending=[False, True]).iloc[0]
            if need["gap"].any() else None),
    }


def _share(part: int, whole: int) -> str:
    return fmt_percent(part / whole) if whole else "no data"


def _need_view(f: dict) -> View:
    """Known SSE next to need: youth unemployment 2025 (Eurostat) on a bivariate map."""
    top, gap = f["youth_top"], f["youth_gap_top"]
    flag = top[flag_column("youth_unemployment")]
    flagged = f" ({flag_words(flag)})" if flag else ""
    example = (f" The most populous of them is {gap['name']} ({gap['code']}): "
               f"{fmt_number(gap['youth_unemployment'], 1)} % youth unemployment and "
               f"{fmt_number(gap['initiatives'])} known initiatives." if gap is not None else "")
    return View(
        title="Need and known SSE: young people out of work",
        subtitle="Initiatives per 100,000 inhabitants against youth unemployment (15–29), 2025",
        note=(
            f"Youth unemployment in 2025 (Eurostat) is highest in {top['name']} "
            f"({top['code']}): {fmt_number(top['youth_unemployment'], 1)} %{flagged}. "
            f"{fmt_number(f['youth_gap'])} of {fmt_number(f['youth_ranked'])} NUTS 2 regions "
            "combine the highest third of youth unemployment with the lowest third of known "
            f"initiatives per inhabitant.{example} Few known initiatives may mean missing "
            "data: ask who works there before concluding there is no SSE."
        ),
        map=MapView(layer="nuts2", metric="per_100k", need="youth_unemployment", points=False,
                    region=str(gap["code"]) if gap is not None else "", **CENTRAL_EUROPE),
    )


def build(f: dict) -> Story:
    """The example story from `facts()`: six views around the round-table themes, and one of
    known SSE against need."""
    n = fmt_number
    label = theme_labels()
    emp, prox, soc = "employment", "proximity", "social_services"
    uk_pc, uk_n, eu_n = f["uk_emp_per_100k"], f["uk_emp_count"], f["eu_emp_count"]
    px, pxs = f["prox_count"], f["prox_share"]
    sc, us = f["soc_country_share"], f["uk_soc"]
    views = [
        View(
            title="Social and solidarity economy in the atlas",
            subtitle="Initiatives per country, from two open datasets",
            note=(
                f"{n(f['total'])} initiatives: {n(f['coops'])} UK co-operatives (Co-operatives "
                f"UK open data, 2023) and {n(f['susy'])} initiatives mapped by the SUSY network "
                f"in {f['susy_countries']} countries (2016–2018). Outside the UK, read the map "
                "as known SUSY initiatives, not as the size of the local SSE."
            ),
            map=MapView(layer="countries", metric="initiatives", points=False, **EUROPE),
        ),
        View(
            title=f"{label[emp]}: UK regions",
            subtitle="Initiatives with the employment theme per 100,000 inhabitants",
            note=(
                f"{n(f['theme'][emp])} initiatives work on employment and work integration: "
                f"{n(f['theme_coops'][emp])} UK co-operatives and {n(f['theme_susy'][emp])} SUSY "
                f"initiatives. {uk_pc['name']} has the most per inhabitant: "
                f"{n(uk_pc['per_100k'], 1)} per 100,000 ({n(uk_pc['initiatives'])} "
                f"initiatives); {uk_n['name']} has the most in number ({n(uk_n['initiatives'])})."
            ),
            map=MapView(layer="uk_regions", metric="per_100k", points=False,
                        region=str(uk_pc["code"]), **UK),
            filters=Filters(themes=(emp,)),
        ),
        View(
            title=f"{label[emp]}: the SUSY sample",
            subtitle="SUSY initiatives with the employment theme per NUTS 2 region",
            note=(
                f"{n(f['theme_susy'][emp])} of the {n(f['susy'])} SUSY initiatives "
                f"({_share(f['theme_susy'][emp], f['susy'])}) work on employment. "
                f"{eu_n['name']} ({eu_n['code']}) has the most: {n(eu_n['initiatives'])}. "
                "Small numbers: a starting point for who to invite, not a ranking."
            ),
            map=MapView(layer="nuts2", metric="initiatives", region=str(eu_n["code"]),
                        **CENTRAL_EUROPE),
            filters=Filters(themes=(emp,), sources=("susy",)),
        ),
        View(
            title=label[prox],
            subtitle="Share of each region's initiatives working on proximity circuits",
            note=(
                f"{n(f['theme'][prox])} initiatives run short food and supply chains, local "
                f"markets or food co-ops: {n(f['theme_susy'][prox])} of the {n(f['susy'])} SUSY "
                f"initiatives ({_share(f['theme_susy'][prox], f['susy'])}) and "
                f"{n(f['theme_coops'][prox])} UK co-operatives. Of the NUTS 2 regions, "
                f"{px['name']} ({px['code']}) has the most: {n(px['initiatives'])}, that is "
                f"{fmt_percent(pxs['theme_share'])} of its {n(pxs['initiatives'])} initiatives."
            ),
            map=MapView(layer="nuts2", metric="theme_share", theme=prox, points=False,
                        region=str(px["code"]), **CENTRAL_EUROPE),
        ),
        View(
            title=f"{label[soc]}: where SUSY initiatives provide them",
            subtitle="Share of SUSY initiatives with the social and care services theme",
            note=(
                f"{n(f['theme_susy'][soc])} of the {n(f['susy'])} SUSY initiatives "
                f"({_share(f['theme_susy'][soc], f['susy'])}) provide social and care services, "
                f"against {n(f['theme_coops'][soc])} of {n(f['coops'])} UK co-operatives "
                f"({_share(f['theme_coops'][soc], f['coops'])}). Among countries with at least "
                f"{MIN_SAMPLE} SUSY initiatives, {sc['name']} has the highest share: "
                f"{fmt_percent(sc['theme_share'])} of its {n(sc['initiatives'])} SUSY initiatives."
            ),
            map=MapView(layer="countries", metric="theme_share", theme=soc, points=False,
                        region=str(sc["code"]), **EUROPE),
            filters=Filters(sources=("susy",)),
        ),
        View(
            title=f"{label[soc]}: UK regions",
            subtitle="Initiatives with the social and care services theme",
            note=(
                f"{n(f['theme'][soc])} initiatives in the atlas provide social and care services. "
                f"In the UK, {us['name']} has the most: {n(us['initiatives'])} "
                f"({n(us['per_100k'], 1)} per 100,000 inhabitants)."
            ),
            map=MapView(layer="uk_regions", metric="initiatives", region=str(us["code"]), **UK),
            filters=Filters(themes=(soc,)),
        ),
        _need_view(f),
    ]
    return Story(
        id=STORY_ID,
        title="SSE in crisis recovery: employment, proximity circuits, social services",
        description=(
            "Example story for a round table on the social and solidarity economy in crisis "
            "recovery. Generated by `python -m atlas.build.story_example` from the shipped data; "
            "every figure in the notes is computed, and a test checks it against the data."
        ),
        views=tuple(views),
    )


def example_story() -> Story:
    """Build the example story from the shipped data files."""
    from atlas.store.context import context_layer_table
    from atlas.store.initiatives import load_initiatives

    return build(facts(load_initiatives(), context_layer_table))


def main() -> int:
    atomic_write(PATH, dumps(example_story()))
    print(f"wrote {PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
