"""Region search: codes, Latin and national spellings, accents, case, typos, across layers."""

import pandas as pd
import pytest

from atlas.geo.names import key
from atlas.geo.regions import load_layer
from atlas.geo.search import RegionSearch
from atlas.model.layers import LAYER_IDS


@pytest.fixture(scope="module")
def index() -> RegionSearch:
    return RegionSearch({lid: pd.DataFrame(load_layer(lid).drop(columns="geometry"))
                        for lid in LAYER_IDS})


def first(index, query, **kw):
    found = index.search(query, **kw)
    assert found, f"nothing found for {query!r}"
    return found[0]


def test_key_folds_accents_case_and_punctuation():
    assert key("Valle d’Aosta/Vallée d’Aoste") == "valle d aosta vallee d aoste"
    assert key("  ÉMILIA-Romagna ") == "emilia romagna"
    assert key(None) == ""


@pytest.mark.parametrize(
    "query",
    ["Emilia-Romagna", "emilia romagna", "EMILIA ROMAGNA", "emilia-romagna ", "ITH5", "ith5",
     "Émilie", "emila romagna", "emilia"],
)
def test_emilia_romagna_is_found_however_it_is_typed(index, query):
    match = first(index, query, prefer_layer="nuts2")
    assert (match.layer, match.code) == ("nuts2", "ITH5")


def test_exact_code_wins_and_children_follow(index):
    found = index.search("ITH5", limit=5)
    assert found[0].how == "code" and found[0].code == "ITH5"
    assert {m.code for m in found[1:]} <= {f"ITH5{i}" for i in range(1, 10)}


def test_a_city_name_finds_its_province_in_every_layer(index):
    found = index.search("Bologna", limit=5)
    assert {(m.layer, m.code) for m in found[:2]} == {("nuts3", "ITH55"), ("admin1", "IT-BO")}
    assert all(m.how == "name" for m in found[:2])


def test_national_spelling_and_alternative_names(index):
    assert first(index, "Κρήτη", prefer_layer="nuts2").code == "EL43"
    assert first(index, "kriti", prefer_layer="nuts2").code == "EL43"
    south_tyrol = first(index, "Südtirol", prefer_layer="nuts2")
    assert south_tyrol.code == "ITH1" and south_tyrol.how == "alternative name"
    assert "Südtirol" in south_tyrol.label()


def test_uk_regions_and_countries(index):
    assert first(index, "london").ref == "uk_regions:UKI"
    assert first(index, "UKI").ref == "uk_regions:UKI"
    assert first(index, "de").ref == "countries:DE"


def test_preferred_layer_breaks_ties(index):
    assert first(index, "Bayern", prefer_layer="nuts1").ref == "nuts1:DE2"
    assert first(index, "Bayern", prefer_layer="admin1").ref == "admin1:DE-BY"


@pytest.mark.parametrize("query", ["", "   ", "xyzzy qqq", "<script>alert(1)</script>"])
def test_nothing_close_gives_no_result_not_an_error(index, query):
    assert index.search(query) == []


def test_limit_and_label(index):
    found = index.search("a", limit=3)
    assert len(found) <= 3
    label = first(index, "ITH5").label()
    assert label == "Emilia-Romagna (ITH5 · NUTS 2 regions · IT)"


def test_synthetic_table_with_missing_names():
    table = pd.DataFrame({"code": ["X1", "X2"], "name": ["Åland", ""], "name_local": ["", ""],
                          "alt_names": ["Ahvenanmaa", ""], "country": ["FI", ""]})
    index = RegionSearch({"nuts2": table})
    assert first(index, "aland").code == "X1"
    assert first(index, "ahvenanmaa").how == "alternative name"
    assert first(index, "x2").code == "X2"


def test_slash_parts_and_generic_prefixes_are_names_too(index):
    assert first(index, "Bolzano", prefer_layer="nuts2").ref == "nuts2:ITH1"
    assert first(index, "Vallée d'Aoste", prefer_layer="nuts2").ref == "nuts2:ITC2"


def test_search_and_imports_share_one_name_index(layers):
    """The search box reads the very index imports resolve names with: a name an import
    resolves is found by the search, in the same region."""
    from atlas.geo.placement import RegionIndex

    placing = RegionIndex(layers)
    search = RegionSearch(placing.names)
    assert search.names is placing.names
    for value in ("Bozen", "LOMBARDIA", "Sicily", "ITH5", "emilia romagna"):
        resolved = placing.resolve(value, "IT").region
        assert resolved is not None, value
        found = {(m.layer, m.code) for m in search.search(value, limit=20)}
        assert (resolved.layer, resolved.code) in found, value
