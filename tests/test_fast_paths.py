"""The vectorised paths behind issue 7 give exactly what the row-by-row code gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas.analysis.indicators import has_theme, region_table, theme_counts
from atlas.model import filters
from atlas.model.filters import Filters, contains, mask, search_text
from atlas.store.initiatives import theme_lists
from atlas.text import fold, fold_series, fold_strings

TRICKY = ["Émilie-Romagne ", None, "  Straße  x", "ΣΟΦΊΑ", "a\x1cb\x0bc", "Ｆｕｌｌ", "Ǆ", "",
          float("nan"), "x\u00a0y", "o\u034fa", "Кооператив", "ab  c", " lead", "A\tB\n",
          "end\x1f", "(b)*", "ﬁne", "İstanbul", "Ångström"]  # fmt: skip
texts = st.lists(st.one_of(st.none(), st.text(max_size=12),
                           st.sampled_from([t for t in TRICKY if isinstance(t, str)])),
                 max_size=30)


def _expected(values: pd.Series) -> list[str]:
    return [fold(v) for v in values.astype(object)]


def test_fold_strings_on_tricky_text_and_both_string_dtypes():
    values = pd.Series(TRICKY, dtype=object)
    assert fold_strings(values).tolist() == _expected(values)
    as_str = values.astype("str")
    assert fold_strings(as_str).tolist() == _expected(as_str)
    assert fold_strings(pd.Series([1, "A"])).tolist() == ["", "a"]
    assert fold_strings(pd.Series([], dtype=object)).tolist() == []


@settings(max_examples=200, deadline=None)
@given(texts)
def test_fold_strings_equals_fold_everywhere(values):
    series = pd.Series(values, dtype=object, index=np.arange(len(values)) * 3)
    out = fold_strings(series)
    assert out.tolist() == _expected(series)
    assert out.index.equals(series.index)


def test_search_text_is_what_it_was():
    df = pd.DataFrame({"name": TRICKY, "description": TRICKY[::-1], "locality": TRICKY})
    old = (fold_series(df["name"].fillna("")) + " " + fold_series(df["description"].fillna(""))
           + " " + fold_series(df["locality"].fillna("")))
    assert search_text(df).tolist() == old.tolist()


@settings(max_examples=100, deadline=None)
@given(texts, st.text(min_size=1, max_size=4))
def test_contains_equals_plain_substring_search(values, needle):
    haystack = pd.Series([fold(v) for v in values], dtype="str")
    expected = [needle in v for v in haystack]
    filters._SEARCHES.clear()
    assert contains(haystack, needle).tolist() == expected
    assert contains(haystack.astype(object), needle).tolist() == expected


def test_contains_remembers_a_search_until_the_text_changes():
    filters._SEARCHES.clear()
    df = pd.DataFrame({"search_text": pd.Series(["repair cafe", "bakery"], dtype="str")})
    first = mask(df, Filters(text="repair"))
    first[:] = False  # callers get a copy, never the remembered array
    assert mask(df, Filters(text="repair")).tolist() == [True, False]
    df.loc[1, "search_text"] = "repair shop"
    assert mask(df, Filters(text="repair")).tolist() == [True, True]


def test_theme_lists_match_the_row_by_row_conversion():
    values = pd.Series([np.array(["a", "b"], dtype=object), None, np.array([], dtype=object),
                        ["c"], [""], ("a", "b")])
    out = theme_lists(values)
    assert out.tolist() == [["a", "b"], [], [], ["c"], [""], ["a", "b"]]
    assert out[0] is not out[5] and all(isinstance(v, list) for v in out)


def test_region_table_theme_share_is_the_same_with_or_without_theme_bits(rows, nuts2_regions):
    with_bits = region_table(rows, nuts2_regions, "nuts2", theme="proximity")
    without = region_table(rows.drop(columns=["theme_bits"]), nuts2_regions, "nuts2",
                           theme="proximity")
    pd.testing.assert_frame_equal(with_bits, without)
    assert has_theme(rows, "proximity").tolist() == [True, False, True, False, False]
    assert not has_theme(rows, "not-a-theme").any()


def test_theme_counts_with_bits_equal_the_explode_of_the_lists(rows):
    keep = np.arange(len(rows)) % 2 == 0
    plain = rows.drop(columns="theme_bits")
    assert theme_counts(rows).equals(theme_counts(plain))
    assert theme_counts(rows, keep).equals(theme_counts(plain, keep))
    assert theme_counts(rows, keep).equals(theme_counts(plain[keep]))


def test_theme_shares_with_bits_equal_the_lists(rows):
    from atlas.analysis.compare import theme_shares

    themes = ["employment", "proximity", "no_theme"]
    with_bits = theme_shares(rows, "nuts2", Filters(), themes)
    plain = theme_shares(rows.drop(columns="theme_bits"), "nuts2", Filters(), themes)
    pd.testing.assert_frame_equal(with_bits, plain)
    assert with_bits.notna().all().all()
