"""Filters: the mask, the URL round trip, and the notices for bad URL values."""

from atlas.model.filters import Filters, apply, from_params, mask, without
from atlas.model.themes import NO_THEME

ALLOWED = {
    "themes": ["employment", "proximity", "circular", "social_services", NO_THEME],
    "legal_forms": ["Society", "Company"],
    "countries": ["IT", "GB"],
    "sources": ["synthetic"],
}


def test_empty_filter_keeps_everything(rows):
    assert mask(rows, Filters()).all()


def test_themes_or_within_and_across_fields(rows):
    f = Filters(themes=("proximity", "circular"))
    assert list(apply(rows, f)["id"]) == ["s:1", "s:2", "s:3"]
    f = Filters(themes=("proximity",), legal_forms=("Company",))
    assert list(apply(rows, f)["id"]) == ["s:3"]


def test_no_theme_pseudo_theme_selects_untagged(rows):
    assert list(apply(rows, Filters(themes=(NO_THEME,)))["id"]) == ["s:4"]


def test_text_search_is_accent_and_case_insensitive(rows):
    assert list(apply(rows, Filters(text="EMILIE"))["id"]) == ["s:1"]
    assert list(apply(rows, Filters(text="café"))["id"]) == ["s:2"]
    assert list(apply(rows, Filters(text="cafe bologna"))["id"]) == ["s:2"]
    assert list(apply(rows, Filters(text="SOCIAL care"))["id"]) == ["s:5"]


def test_params_round_trip():
    f = Filters(themes=("employment", "proximity"), countries=("IT",), text="coop")
    params = f.to_params()
    assert params == {"theme": ["employment", "proximity"], "country": ["IT"], "q": ["coop"]}
    back, notices = from_params(params, ALLOWED)
    assert back == f and notices == []


def test_bad_params_are_dropped_with_a_notice():
    f, notices = from_params({"theme": ["employment", "<script>"], "country": "ZZ"}, ALLOWED)
    assert f == Filters(themes=("employment",))
    assert len(notices) == 2 and "<script>" in notices[0] and "ZZ" in notices[1]


def test_without_clears_one_field():
    f = Filters(themes=("employment",), countries=("IT",))
    assert without(f, "themes") == Filters(countries=("IT",))


def test_describe_is_readable():
    f = Filters(themes=("employment",), countries=("IT",), text="x")
    assert f.describe({"employment": "Employment"}) == 'themes: Employment; country: IT; text: "x"'
    assert Filters().describe() == "no filter (all initiatives)"


def test_theme_filter_same_with_or_without_precomputed_bits(rows):
    f = Filters(themes=("proximity", NO_THEME))
    assert list(mask(rows, f)) == list(mask(rows.drop(columns="theme_bits"), f))
