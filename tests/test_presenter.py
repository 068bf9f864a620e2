"""AppTest of presenter mode, the story player and editor, and the take-away buttons."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from atlas.build.story_example import PATH, STORY_ID
from atlas.model.classify import PALETTE, PALETTE_HIGH_CONTRAST
from atlas.store import stories
from atlas.text import inert_markdown as md
from tests.apptest import open_page

STORIES = "pages/stories.py"
EXAMPLE = stories.loads(PATH.read_bytes())[0]


def _run(params: dict | None = None, page: str | None = None) -> AppTest:
    return open_page(page, params, allow_errors=True)


def _css(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "<style>" in h.proto.body)


def _map_args(at: AppTest) -> dict:
    return json.loads(at.get("component_instance")[0].proto.json_args)


@pytest.fixture(scope="module")
def presenting() -> AppTest:
    return _run({"present": "1"})


def test_present_hides_chrome_and_shows_a_title(presenting):
    at = presenting
    css = _css(at)
    assert '[data-testid="stSidebar"]' in css and "display: none" in css
    assert 'header[data-testid="stHeader"]' in css and "stToolbar" in css
    assert at.title[0].value == "Initiatives"  # what the map shows, not the app name
    assert any("NUTS 2 regions" in h.proto.body for h in at.get("html"))
    assert at.button(key="present_exit").label.startswith("✕ Exit presenter mode")
    assert at.query_params["present"] == "1"


def test_present_uses_the_high_contrast_palette_and_a_large_legend(presenting):
    group = _map_args(presenting)["feature_group"]
    assert PALETTE_HIGH_CONTRAST[-1] in group and PALETTE[-1] not in group
    assert "font:16px" in group  # large legend


def test_exit_presenter_mode():
    at = _run({"present": "1", "points": "0"})
    at.button(key="present_exit").click().run()
    assert _css(at) == ""
    assert at.title[0].value == "SSE Atlas"
    assert "present" not in at.query_params
    assert PALETTE[-1] in _map_args(at)["feature_group"]


def test_without_present_nothing_is_hidden():
    at = _run({"points": "0"})
    assert _css(at) == ""
    assert at.sidebar.toggle(key="present").value is False
    labels = [b.label for b in at.get("download_button")]
    assert "Map PNG 1920×1080" in labels and "Map PNG 1280×720" in labels


def test_region_brief_button_when_a_region_is_selected():
    at = _run({"points": "0", "region": "ITH5"})
    assert "Region brief (PDF, two pages)" in [b.label for b in at.get("download_button")]


def test_story_player_steps_and_applies_each_view():
    at = _run({"story": STORY_ID, "step": "2", "present": "1"}, STORIES)
    second, third = EXAMPLE.views[1], EXAMPLE.views[2]
    assert at.title[0].value == md(second.title)  # plain text, as written
    assert any(second.note[:40] in m.value for m in at.markdown)
    assert at.sidebar.multiselect(key="f_themes").value == list(second.filters.themes)
    assert at.button(key="story_prev").proto.disabled is False
    at.button(key="story_next").click().run()
    assert not at.exception
    assert at.title[0].value == md(third.title)
    assert at.query_params["step"] == "3" and at.query_params["present"] == "1"
    assert at.sidebar.multiselect(key="f_source").value == ["susy"]
    args = _map_args(at)
    assert args["center"] == [third.map.lat, third.map.lon] and args["zoom"] == third.map.zoom
    assert "Initiatives" in args["feature_group"] and "initiatives" in args["feature_group"]
    at.button(key="story_prev").click().run()
    assert at.title[0].value == md(second.title)  # plain text, as written


def test_last_step_disables_next_and_unknown_story_falls_back():
    n = len(EXAMPLE.views)
    at = _run({"story": STORY_ID, "step": str(n + 5)}, STORIES)
    assert at.title[0].value == "Stories"
    assert at.button(key="story_next").proto.disabled is True
    assert at.query_params["step"] == str(n)
    at = _run({"story": "no-such-story"}, STORIES)
    assert any(md("'no-such-story'") in w.value for w in at.warning)


def test_build_a_story_from_the_current_view_and_save_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("ATLAS_ADMIN_SECRET", "correct horse")
    at = _run({"layer": "uk_regions", "region": "UKJ", "theme": "housing", "points": "0"})
    at.switch_page(STORIES).run()
    assert not at.exception
    at.button[[b.label for b in at.button].index("New empty story")].click().run()
    at.text_input(key="se_add_title").input("Housing co-ops in the South East")
    at.text_area(key="se_add_note").input("Talking point")
    at.button[[b.label for b in at.button].index("Add view")].click().run()
    assert not at.exception
    assert at.button(key="se_save").disabled  # not unlocked yet
    at.text_input(key="imp_secret_input").set_value("correct horse")
    at.button(key="imp_unlock").click().run()
    at.button(key="se_save").click().run()
    assert not at.exception
    saved = tmp_path / "stories" / "new-story.yaml"
    assert not any(str(tmp_path) in s.value for s in at.success)  # no server path shown
    assert saved.exists(), [s.value for s in at.success]
    story, notices = stories.loads(saved.read_bytes())
    view = story.views[0]
    assert notices == [] and view.title == "Housing co-ops in the South East"
    assert view.note == "Talking point"
    assert view.map.layer == "uk_regions" and view.map.region == "UKJ"
    assert view.map.zoom is not None  # framed on the selected region
    assert view.filters.themes == ("housing",)
