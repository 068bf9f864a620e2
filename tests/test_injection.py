"""Issue #11, content injection: nothing that comes from a URL, a file, a user or the data is
ever shown as markup, and no notice repeats a whole hostile value.

Every page is opened in AppTest with hostile values for every URL parameter it reads, over a
workspace holding a saved dataset and a story whose texts are hostile; then every text on the
page is checked, found generically by walking the element tree (not page by page), so a new
element or page is covered without touching this file.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from PIL import Image
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from atlas.analysis.compare import parse_refs
from atlas.analysis.profile import build_profile
from atlas.geo.regions import load_layer
from atlas.model.filters import PARAMS, Filters, from_params
from atlas.model.schema import conform
from atlas.model.sources import SOURCES
from atlas.model.views import MapView, view_from_params
from atlas.present import render
from atlas.store.workspace import Workspace
from atlas.text import ECHO_CHARS, inert_markdown
from tests.apptest import open_page

HOST = "evil.example"
LINK = f"[Session expired: log in](http://{HOST}/login)"
IMAGE = f"![x](http://{HOST}/pixel.png)"
TAG = f'<img src="http://{HOST}/tag.png">'
MATH = "$x^2$"
DIRECTIVE = ":red[x]"
AUTOLINK = f"www.{HOST}"
LONG = LINK + "z" * 10_000
PAYLOADS = (LINK, IMAGE, TAG, MATH, DIRECTIVE, AUTOLINK, LONG)
EVERYTHING = " ".join(PAYLOADS[:-1])

DATASET = "hostile"
STORY = "hostile-story"
#: URL parameters read on every page (filters, map view, presenter mode), then page by page.
COMMON = list(dict.fromkeys([*PARAMS, "q", *vars(MapView()), "present"]))
PAGES = {
    "map": (None, []),
    "region": ("pages/region.py", []),
    "compare": ("pages/compare.py", ["regions"]),
    "directory": ("pages/directory.py", ["dq", "id"]),
    "stories": ("pages/stories.py", ["story", "step", "mode"]),
    "data": ("pages/data.py", []),
}
#: Links the app writes itself: its own pages, and the shipped sources' licences.
OWN_LINKS = {s.license_url for s in SOURCES.values()}
NOTICE_CHARS = 300
ECHO_RUN = "z" * 201  # more than the longest text the app keeps from a URL value (a search)


# --- the hostile workspace ------------------------------------------------------------------


def hostile_rows() -> pd.DataFrame:
    """Three invented initiatives in Bologna (ITH5) whose every text is hostile, and one
    without a point; tests only."""
    texts = [LINK, IMAGE, TAG, EVERYTHING]
    return conform(pd.DataFrame({
        "id": [f"{DATASET}:{i}" for i in range(4)],
        "name": texts,
        "description": [EVERYTHING] * 4,
        "lat": [44.5, 44.51, 44.49, None], "lon": [11.3, 11.31, 11.29, None],
        "country": ["IT"] * 4, "locality": [MATH, DIRECTIVE, AUTOLINK, LINK],
        "themes": [["housing"]] * 4, "activity": texts[::-1],
        "legal_form": [LINK] * 4, "org_structure": [IMAGE] * 4,
        "website": ["javascript:alert(1)"] * 4, "source": [DATASET] * 4,
        "source_id": texts, "license": [LINK] * 4,
        "code_countries": ["IT"] * 4, "code_nuts1": ["ITH"] * 4, "code_nuts2": ["ITH5"] * 4,
        "code_nuts3": ["ITH55"] * 4, "code_admin1": ["IT-BO"] * 4,
        "region_match": ["inside"] * 3 + ["no_point"],
        "location_issue": [None] * 3 + [LINK], "placement": ["point"] * 3 + ["none"],
    }))


def hostile_story() -> dict:
    """A story file whose titles, subtitles and notes carry links and images."""
    view = {"title": f"{LINK} {IMAGE}", "subtitle": f"{TAG} {MATH} {DIRECTIVE}",
            "note": EVERYTHING, "page": "map", "layer": "nuts2", "region": "ITH5",
            "filters": {"theme": [LINK], "source": [DATASET]}}
    return {"format": "sse-atlas-story/1", "id": STORY, "title": f"{IMAGE} {AUTOLINK}",
            "description": EVERYTHING, "views": [view, {**view, "page": "region"}]}


def make_workspace(root: Path) -> Path:
    """A workspace folder with the hostile dataset saved and the hostile story file."""
    Workspace(root).save(DATASET, hostile_rows(), title=EVERYTHING, license=f"{LINK} {MATH}",
                         attribution=f"{IMAGE} {TAG}")
    (root / "stories").mkdir(exist_ok=True)
    (root / "stories" / f"{STORY}.yaml").write_text(
        yaml.safe_dump(hostile_story(), allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        root = make_workspace(tmp_path_factory.mktemp("hostile-workspace"))
        mp.setenv("ATLAS_WORKSPACE", str(root))
        yield root


# --- what the page shows --------------------------------------------------------------------

#: Proto fields that Streamlit renders as Markdown (bodies, labels, tooltips), except in the
#: elements that show text as written. Selectbox and multiselect options are plain text.
MARKDOWN_FIELDS = ("body", "label", "help")
PLAIN_TYPES = {"text", "code", "json", "exception"}
MARKDOWN_OPTIONS = {"radio", "button_group"}


def shown_texts(at: AppTest) -> Iterator[tuple[str, str, str]]:
    """(how the browser renders it: markdown, html or plain; element type; text) of every text
    of every element and container on the page, sidebar included."""
    for root in (at.main, at.sidebar):
        for node in root:
            proto = getattr(node, "proto", None)
            if proto is None or not hasattr(proto, "DESCRIPTOR"):
                continue
            kind = "html" if node.type == "html" else (
                "plain" if node.type in PLAIN_TYPES else "markdown")
            fields = proto.DESCRIPTOR.fields_by_name
            for name in MARKDOWN_FIELDS:
                value = getattr(proto, name) if name in fields else None
                if isinstance(value, str) and value:
                    yield kind, node.type, value
            for option in getattr(proto, "options", []) if "options" in fields else []:
                text = option if isinstance(option, str) else getattr(option, "content", "")
                yield ("markdown" if node.type in MARKDOWN_OPTIONS else "plain"), node.type, text


_UNESCAPED = r"(?<!\\)"
_MARKUP = re.compile(_UNESCAPED + r"(!\[|<img|\$x|:red\[)|" + re.escape(HOST))
_LINK = re.compile(_UNESCAPED + r"\]\(([^)\s]*)")
_HTML = re.compile(r"<(img|a)\b", re.I)  # escaped text (&lt;img) is harmless in HTML
# Streamlit's renderer (remark-gfm) turns URLs into links in the text *after* resolving
# backslash escapes, so escaping alone does not stop `www.x` or `http://x` from linking.
_AUTOLINK = re.compile(r"https?://|www\.", re.I)


def _autolinks(text: str) -> list[str]:
    """URLs the renderer would link in Markdown `text`, the app's own licence links aside."""
    shown = re.sub(r"\\(.)", r"\1", text)
    for own in OWN_LINKS:
        shown = shown.replace(f"]({own})", "]")
    return _AUTOLINK.findall(shown)


def problems(at: AppTest) -> list[str]:
    """Every text that would render hostile markup, and every notice that is too long."""
    found = []
    for kind, element, text in shown_texts(at):
        where = f"{element} ({kind}): {text[:160]!r}"
        if ECHO_RUN in text:
            found.append(f"echoes a whole URL value: {where}")
        if kind == "markdown":
            links = [t for t in _LINK.findall(text) if not t.startswith("/") and t not in OWN_LINKS]
            if _MARKUP.search(text) or links or _autolinks(text):
                found.append(f"markup from outside: {where}")
        elif kind == "html" and _HTML.search(text):
            found.append(f"HTML from outside: {where}")
        shown = re.sub(r"\\(.)", r"\1", text) if kind == "markdown" else text
        if element in ("warning", "error") and len(shown) >= NOTICE_CHARS:
            found.append(f"a {len(shown)}-character notice: {where}")
    return found


def hostile_params(page: str, round_: int) -> dict[str, str]:
    """Every parameter the page reads, each with a hostile value; rounds rotate the values so
    each parameter gets each payload once. Odd rounds present (presenter titles)."""
    names = COMMON + PAGES[page][1]
    params = {n: PAYLOADS[(i + round_) % len(PAYLOADS)] for i, n in enumerate(names)}
    if round_ % 2:
        params["present"] = "1"
    return params


def check(page: str, params: dict) -> None:
    at = open_page(PAGES[page][0], params)
    found = problems(at)
    assert not found, "\n".join(found)


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(len(PAYLOADS)))
@pytest.mark.parametrize("page", list(PAGES))
def test_hostile_url_values_are_never_markup(workspace, page, round_):
    check(page, hostile_params(page, round_))


#: Valid URLs that put the hostile dataset and story on screen: source filter, selected
#: region, side panel, coverage note, comparison, directory detail, presenter titles, player.
SHOWING = [
    ("map", {"source": DATASET, "legal": LINK, "region": "ITH5"}),
    ("map", {"source": DATASET, "legal": LINK, "region": "ITH5", "present": "1"}),
    ("region", {"layer": "nuts2", "region": "ITH5", "legal": LINK}),
    ("compare", {"regions": "nuts2:ITH5,nuts2:ITH4"}),
    ("directory", {"id": f"{DATASET}:0", "dq": LINK}),
    ("directory", {"id": f"{DATASET}:3"}),
    ("stories", {"story": STORY, "step": "1"}),
    ("stories", {"story": STORY, "step": "1", "present": "1"}),
    ("stories", {"story": STORY, "mode": "edit"}),
    ("data", {}),
]


@pytest.mark.parametrize(("page", "params"), SHOWING, ids=[f"{p}-{i}" for i, (p, _) in
                                                            enumerate(SHOWING)])
def test_hostile_data_and_story_texts_are_never_markup(workspace, page, params):
    check(page, params)


def test_the_walk_finds_every_kind_of_text(workspace):
    """The check is only as good as the walk: it must see alerts, headings, captions,
    metrics, expander and tab labels, widget labels and options, sidebar included."""
    at = open_page("pages/region.py", {"layer": "nuts2", "region": "ITH5", "theme": LINK})
    types = {element for _kind, element, _text in shown_texts(at)}
    assert {"warning", "info", "title", "header", "subheader", "caption", "markdown", "metric",
            "expander", "tab", "multiselect", "text_input", "button", "toggle"} <= types, types
    assert problems(at) == []


def test_notices_repeat_a_few_clipped_values():
    """A URL can hold thousands of values of any length: a notice names three, each cut to
    ECHO_CHARS, and says how many more there were."""
    many = "|".join(f"bad{i}" for i in range(1000))
    _, notices = from_params({"theme": [LONG, many], "country": LONG}, {"themes": ["housing"]})
    assert len(notices) == 2 and all(len(n) < 200 for n in notices), notices
    assert "and 998 more" in notices[0] and f"{LONG[:ECHO_CHARS - 1]}…" in notices[0]
    keys = ["layer", "metric", "theme", "scheme", "basemap", "points", "region", "lat", "zoom"]
    _, notices = view_from_params({k: f"{LONG}\n{LONG}" for k in keys}, ["housing"],
                                  {"nuts2": set()})
    assert len(notices) == len(keys) and all(len(n) < 150 and "\\n" not in n for n in notices)
    _, notices = parse_refs([LONG, f"nuts2:{LONG}"], {"nuts2": set()})
    assert len(notices) == 2 and all(len(n) < 200 for n in notices), notices


def _header_page(title: str, subtitle: str) -> None:
    from ui import presenter

    presenter.header(title, subtitle)


def test_presenter_titles_are_plain_text():
    """The story player and the Map page pass raw titles (story files, filters) to it."""
    title = f"{LINK} {IMAGE} {MATH}"
    at = AppTest.from_function(_header_page, args=(title, f"{TAG} {LINK}")).run()
    assert not at.exception and problems(at) == []
    assert at.title[0].value == inert_markdown(title)


TRICKY = rf"Budget $\notacommand$ and $x^2$ {LINK}"


def test_take_aways_print_text_as_written(rows):
    """matplotlib reads `$…$` as mathtext: a story title with `$\\foo$` broke the PNG and
    `$x^2$` was typeset. Every text of the PNG and the PDF brief is drawn as written."""
    regions = load_layer("uk_regions")
    values = pd.Series(range(len(regions)), index=regions["code"], dtype=float)
    png = render.map_png(regions, values, title=TRICKY, subtitle=MATH, legend_title=TRICKY,
                         unit=DIRECTIVE, scheme="quantiles", attribution=[TRICKY],
                         note=MATH, size="1280x720")
    assert Image.open(io.BytesIO(png)).text["Title"] == TRICKY
    countries = load_layer("countries")
    table = pd.DataFrame(regions.drop(columns="geometry"))
    profile = build_profile(rows, table, "uk_regions", "UKI", Filters(),
                             pd.DataFrame(countries.drop(columns="geometry")))
    profile = dataclasses.replace(profile, country_name=MATH)
    pdf = render.region_brief_pdf(profile, regions=regions, outlines=None, filters_text=TRICKY,
                                  imported=[(TRICKY, MATH, IMAGE)])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "$x^2$" in text and "notacommand" in text and "Licence: $x^2$" in text
