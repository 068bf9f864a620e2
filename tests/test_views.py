"""MapView URL round trip and fallbacks."""

from atlas.model.views import MapView, view_from_params

THEMES = ["employment", "proximity"]


def test_defaults_make_an_empty_url():
    assert MapView().to_params() == {}


def test_round_trip():
    v = MapView(layer="nuts3", metric="theme_share", theme="proximity", scheme="natural_breaks",
                basemap="tiles", points=False, region="ITH55")
    back, notices = view_from_params(v.to_params(), THEMES, {"nuts3": {"ITH55"}})
    assert back == v and notices == []


def test_theme_only_in_url_with_theme_share():
    assert "theme" not in MapView(theme="proximity").to_params()


def test_bad_values_fall_back_with_notices():
    v, notices = view_from_params(
        {"layer": "nuts9", "metric": "x", "points": "maybe", "region": "ZZ9"},
        THEMES,
        {"nuts2": {"ITH5"}},
    )
    assert v == MapView()
    assert len(notices) == 4
    assert "nuts9" in notices[0]
