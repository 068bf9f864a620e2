"""Stories: file format round trip, validation of files from outside, permalinks, saving, and
the shipped example story whose figures must match the shipped data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from atlas.build.story_example import PATH, example_story
from atlas.geo.regions import load_layer
from atlas.model.filters import Filters, from_params
from atlas.model.layers import LAYER_IDS
from atlas.model.views import MapView, view_from_params
from atlas.store import stories
from atlas.store.context import load_context
from atlas.store.initiatives import facet_values, load_initiatives
from atlas.store.stories import Story, StoryError, View

THEMES = ["employment", "proximity", "social_services"]


def _story(**changes) -> Story:
    views = (
        View("Employment in Italy", subtitle="NUTS 3", note="Talking point **one**",
             map=MapView(layer="nuts3", metric="per_100k", region="ITH55", lat=44.5, lon=11.3,
                         zoom=7),
             filters=Filters(themes=("employment",), countries=("IT",), text="coop")),
        View("Proximity share", page="region",
             map=MapView(metric="theme_share", theme="proximity", points=False)),
    )
    return Story(**{"id": "round-table", "title": "Round table", "views": views, **changes})


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip(fmt):
    story = _story()
    back, notices = stories.loads(stories.dumps(story, fmt))
    assert back == story and notices == []


def test_file_is_readable_yaml():
    text = stories.dumps(_story())
    assert text.startswith("format: sse-atlas-story/1\nid: round-table\n")
    assert "  filters:\n    theme:\n    - employment\n" in text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("- just\n- a list\n", "mapping"),
        ("title: x\nviews: []\n", "non-empty list of views"),
        ("views: [{title: a}]\n", "title is missing"),
        ("title: x\nviews: [{note: no title}]\n", "view 1: title is missing"),
        ("title: x\nviews: [plain]\n", "view 1 must be a mapping"),
        ("format: other/2\ntitle: x\nviews: [{title: a}]\n", "unknown story format"),
        ("title: x\nviews: [{title: a, filters: [1]}]\n", "filters must be a mapping"),
        ("title: [x\n", "not valid YAML"),
    ],
)
def test_unusable_files_raise_a_clear_error(raw, message):
    with pytest.raises(StoryError, match=message):
        stories.loads(raw)


def test_limits():
    with pytest.raises(StoryError, match="at most"):
        stories.loads(b"x" * (stories.MAX_BYTES + 1))
    many = {"title": "x", "views": [{"title": str(i)} for i in range(stories.MAX_VIEWS + 1)]}
    with pytest.raises(StoryError, match="at most"):
        stories.story_from_dict(many)
    with pytest.raises(StoryError, match="longer than"):
        stories.story_from_dict({"title": "x", "views": [{"title": "t" * 500}]})
    with pytest.raises(StoryError, match="UTF-8"):
        stories.loads(b"title: \xff\xfe\n")


def test_unknown_values_fall_back_with_notices():
    raw = {
        "title": "x",
        "id": "../../etc/passwd",
        "views": [{
            "title": "a", "layer": "nuts9", "zoom": 99, "page": "nowhere", "colour": "red",
            "filters": {"theme": ["employment", "bogus"], "planet": ["mars"]},
        }],
    }
    allowed = {"themes": THEMES, "countries": ["IT"], "legal_forms": [], "org_structures": [],
               "sources": ["susy"]}
    story, notices = stories.story_from_dict(raw, allowed, {"nuts2": {"ITH5"}})
    view = story.views[0]
    assert story.id == "x"  # an unsafe id is replaced by the title's slug
    assert view.map == MapView() and view.page == "map"
    assert view.filters.themes == ("employment",)
    text = " ".join(notices)
    for word in ("nuts9", "zoom", "nowhere", "colour", "bogus", "planet", "file-safe"):
        assert word in text


def test_text_from_a_file_stays_plain_text():
    raw = {"title": "<script>alert(1)</script>", "views": [{"title": "<b>x</b>", "note": "<img>"}]}
    story, _ = stories.story_from_dict(raw)
    assert story.title == "<script>alert(1)</script>"  # escaped where it is shown, not here
    assert stories.slugify(story.title) == "script-alert-1-script"


def test_permalink_reproduces_the_view():
    view = _story().views[0]
    link = stories.permalink(view, present=True)
    parts = urlsplit(link)
    assert parts.path == "/"
    params = parse_qs(parts.query)
    assert params["present"] == ["1"]
    mapview, notices = view_from_params(params, THEMES, {"nuts3": {"ITH55"}})
    filters, filter_notices = from_params(params, {"themes": THEMES, "countries": ["IT"]})
    assert mapview == view.map and filters == view.filters
    assert notices == filter_notices == []
    assert stories.permalink(_story().views[1]).startswith("/region?")
    assert stories.player_link("round-table", 2) == "/stories?story=round-table&step=2&present=1"


def test_map_position_in_the_url():
    v = MapView(lat=44.51234, lon=-3.0, zoom=6)
    assert v.to_params() == {"lat": "44.5123", "lon": "-3", "zoom": "6"}
    assert v.center == (44.51234, -3.0) and MapView().center is None
    back, notices = view_from_params(v.to_params(), THEMES)
    assert back == MapView(lat=44.5123, lon=-3.0, zoom=6) and notices == []
    bad, notices = view_from_params({"lat": "91", "lon": "nan", "zoom": "4.5"}, THEMES)
    assert bad == MapView() and len(notices) == 3


def test_frame_fits_a_region():
    austria = stories.frame((9.5, 46.4, 17.2, 49.0))
    assert austria == {"lat": 47.7, "lon": 13.35, "zoom": 7}
    assert stories.frame((-180, -85, 180, 85))["zoom"] == 2


def test_save_is_atomic_and_listed_before_shipped(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path))
    story = _story(id="my-version", title="My version")
    path = stories.save(story)
    assert path == tmp_path / "stories" / "my-version.yaml"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    listed = stories.available()
    mine = [f for f in listed if f.id == "my-version"]
    assert len(mine) == 1 and not mine[0].shipped and mine[0].title == "My version"
    assert listed[0].id == "my-version"  # saved stories are listed first
    assert stories.loads(path.read_bytes())[0] == story
    with pytest.raises(StoryError):
        stories.save(_story(id="../escape"))


def test_unreadable_files_are_skipped_in_the_list(tmp_path):
    (tmp_path / "broken.yaml").write_text("title: [", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    (tmp_path / "ok.json").write_text(stories.dumps(_story(), "json"), encoding="utf-8")
    assert [f.id for f in stories.available([(tmp_path, False)])] == ["round-table"]


# --- the shipped example story ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    df = load_initiatives()
    codes = {lid: set(load_layer(lid)["code"]) for lid in LAYER_IDS}
    return df, codes


def test_example_story_file_matches_the_data():
    """Regenerate with `python -m atlas.build.story_example` when the data changes."""
    assert PATH.read_text(encoding="utf-8") == stories.dumps(example_story())


def test_example_story_is_valid_on_the_shipped_data(shipped):
    df, codes = shipped
    story, notices = stories.loads(PATH.read_bytes(), facet_values(df), codes)
    assert notices == []
    assert len(story.views) >= 5
    text = " ".join(v.title + " " + v.note for v in story.views).lower()
    for theme in ("employment", "proximity", "social"):
        assert theme in text
    assert all(v.note and v.map.zoom for v in story.views)


def test_example_story_quotes_real_figures(shipped):
    """Independent of atlas.build.story_example: the headline numbers, counted another way."""
    df, _ = shipped
    notes = [v.note for v in stories.loads(PATH.read_bytes())[0].views]
    by_source = df["source"].value_counts()
    assert f"{len(df):,} initiatives: {by_source['coopsuk']:,} UK co-operatives" in notes[0]
    assert f"{by_source['susy']:,} initiatives mapped by the SUSY network" in notes[0]
    exploded = df[["source", "themes"]].explode("themes")
    counts = exploded.groupby(["themes", "source"]).size()
    emp = counts["employment"]
    assert f"{emp.sum():,} initiatives work on employment" in notes[1]
    assert f"{emp['coopsuk']:,} UK co-operatives and {emp['susy']:,} SUSY" in notes[1]
    scotland = df[(df["code_uk_regions"] == "UKM")
                  & df["themes"].map(lambda ts: "employment" in ts)]
    assert "Scotland has the most per inhabitant" in notes[1]
    assert f"({len(scotland)} initiatives)" in notes[1]
    prox = counts["proximity"]
    assert f"{prox.sum():,} initiatives run short food" in notes[3]
    soc = counts["social_services"]
    assert f"{soc['susy']:,} of the {by_source['susy']:,} SUSY initiatives" in notes[4]
    assert f"{soc.sum():,} initiatives in the atlas provide social" in notes[5]


def test_example_story_quotes_context_figures_from_the_shipped_context(shipped):
    """The need step: the highest youth unemployment and the example region's figures, read
    straight from data/context.parquet and the initiatives (not through the story builder)."""
    df, _ = shipped
    view = stories.loads(PATH.read_bytes())[0].views[-1]
    assert view.map.need == "youth_unemployment" and view.map.metric == "per_100k"
    ctx = load_context()
    youth = ctx[(ctx["layer"] == "nuts2") & (ctx["indicator"] == "youth_unemployment")]
    top = youth.sort_values(["value", "code"], ascending=[False, True]).iloc[0]
    assert f"({top['code']}): {top['value']:.1f} %" in view.note
    example = youth.set_index("code").loc[view.map.region]
    known = int((df["code_nuts2"] == view.map.region).sum())
    assert f"({view.map.region}): {example['value']:.1f} % youth unemployment and {known} known" \
        in view.note
