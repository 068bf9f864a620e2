"""AppTest of the data page (URL path `data`): paste → check → report → use in the session or
save (admin secret only) → the map's sidebar, counter and footer show the new source."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from atlas.store.workspace import Workspace
from tests import import_fixtures as fx

PAGE = "../pages/data.py"
ITALIAN = fx.italian_semicolon_latin1().decode("cp1252")


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("ATLAS_ADMIN_SECRET", raising=False)
    return tmp_path / "ws"


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def checked(at: AppTest, text: str = ITALIAN, title: str = "Registro sintetico") -> AppTest:
    at.text_area(key="imp_paste").set_value(text).run()
    token = at.session_state["imp_token"]
    at.text_input(key=f"imp_title_{token}").set_value(title)
    at.text_input(key=f"imp_license_{token}").set_value("CC-BY-4.0")
    at.text_input(key=f"imp_country_{token}").set_value("IT")
    button(at, "Check the file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def counter(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "initiatives match" in m.value)


def test_report_counts_rows_and_lists_rejections(env):
    at = checked(page())
    m = metrics(at)
    assert (m["Rows read"], m["Accepted"], m["Rejected"]) == ("12", "11", "1")
    assert m["Placed by region (approx.)"] == "7" and m["Placed by coordinates"] == "2"
    frames = [df.value for df in at.dataframe]
    assert any(list(f.columns) == ["line", "reason"] and f["reason"].tolist() == ["no name"]
               for f in frames)
    assert any("rejected rows" in str(b.label).lower() for b in at.get("download_button"))
    assert "200 MB, 1,000,000 rows and 1,000 columns" in " ".join(c.value for c in at.caption)


def test_region_confirmation_and_keywords_then_check_again(env):
    at = checked(page())
    pending = [r["value"] for r in at.session_state["imp_result"].regions if not r["region"]]
    at.selectbox(key=f"imp_region_{pending.index('Emilie-Romagne')}").set_value("nuts2:ITH5")
    button(at, "Apply and check again").click().run()
    assert metrics(at)["Placed by region (approx.)"] == "8"


def test_without_a_secret_saving_is_disabled_but_session_use_works(env):
    at = checked(page())
    assert any("Saving is disabled" in i.value for i in at.info)
    assert button(at, "Save to the shared workspace").disabled
    before = counter(at)
    button(at, "Show on the map (this session only)").click().run()
    assert not at.exception
    assert counter(at) != before and "9,192 of 9,192" in counter(at)
    sources = at.sidebar.multiselect(key="f_source")
    assert "Registro sintetico (11)" in sources.options  # its own name, not its id
    assert Workspace(env).datasets() == []  # nothing shared
    footer = " ".join(t.value for t in at.text)
    assert "Registro sintetico (CC-BY-4.0)" in footer
    other = page()  # another visitor's session does not see it
    assert not any("Registro" in o for o in other.sidebar.multiselect(key="f_source").options)


def test_map_page_shows_a_session_import(env):
    at = AppTest.from_file("../app.py", default_timeout=120)  # the whole app, to navigate
    at.run()
    at.switch_page("pages/data.py").run()
    checked(at)
    button(at, "Show on the map (this session only)").click().run()
    at.switch_page("pages/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "9,192 of 9,192" in counter(at)
    args = at.get("component_instance")[0].proto.json_args
    assert "Approximate location" in args


def test_admin_secret_gates_saving_and_deleting(env, monkeypatch):
    monkeypatch.setenv("ATLAS_ADMIN_SECRET", "correct horse")
    at = checked(page())
    assert button(at, "Save to the shared workspace").disabled
    at.text_input(key="imp_secret_input").set_value("wrong").run()
    button(at, "Unlock").click().run()
    assert any("not the admin secret" in e.value for e in at.error)
    assert button(at, "Save to the shared workspace").disabled
    at.text_input(key="imp_secret_input").set_value("correct horse").run()
    button(at, "Unlock").click().run()
    assert not button(at, "Save to the shared workspace").disabled
    button(at, "Save to the shared workspace").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = Workspace(env).get("registro-sintetico")
    assert saved is not None and saved.rows == 11 and saved.license == "CC-BY-4.0"

    fresh = page()  # a new session after a restart sees the saved dataset
    assert "Registro sintetico (11)" in fresh.sidebar.multiselect(key="f_source").options
    assert "9,192 of 9,192" in counter(fresh)
    assert not any(s.key == "imp_delete" for s in fresh.selectbox)  # not admin here

    at.selectbox(key="imp_delete").set_value("registro-sintetico")
    at.checkbox(key="imp_delete_sure").check().run()
    button(at, "Delete").click().run()
    assert Workspace(env).datasets() == []


def test_unreadable_paste_gives_a_message_and_the_page_keeps_working(env):
    at = page()
    at.text_area(key="imp_paste").set_value("\x00\x01\x02" * 50).run()
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)
    at.text_area(key="imp_paste").set_value("name\n").run()
    assert not at.exception
    assert any("no data rows" in t.value for t in at.text)


def test_hostile_text_never_reaches_markdown(env):
    at = checked(page(), fx.hostile_csv().decode(), title=fx.HOSTILE)
    button(at, "Show on the map (this session only)").click().run()
    assert not at.exception
    markup = [m.value for m in (*at.markdown, *at.sidebar.markdown, *at.caption, *at.success)]
    assert not any("<script" in value or "<img" in value for value in markup)
    assert any(fx.HOSTILE in t.value for t in at.text)  # shown, as plain text
