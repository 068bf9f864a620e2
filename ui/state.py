"""URL ↔ session state. The URL is the source of truth when a session starts; afterwards the
widgets are, and every run writes the current state back so the address bar is a permalink."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from atlas.model.filters import PARAMS, Filters, from_params
from atlas.model.views import MapView, view_from_params
from atlas.text import inert_markdown

FILTER_KEYS = {  # Filters field → widget key
    "themes": "f_themes",
    "legal_forms": "f_legal",
    "org_structures": "f_org",
    "countries": "f_country",
    "sources": "f_source",
    "text": "f_text",
    "areas": "f_area",
    "traits": "f_trait",
}
VIEW_KEYS = {field: f"v_{field}" for field in vars(MapView())}
PRESENT_KEY = "present"  # presenter mode (toggle widget key; `?present=1` in the URL)
_STARTED = "_atlas_started"
_NOTICES = "_atlas_url_notices"


def url_params() -> dict[str, list[str]]:
    """Current query parameters, every key as a list (repeated keys kept)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def start_session(allowed: Mapping[str, list[str]], region_codes: Mapping[str, set[str]]) -> None:
    """On a session's first run, seed filter and view widgets from the URL."""
    if st.session_state.get(_STARTED):
        # Keep widget values alive across pages (Streamlit drops state of unrendered widgets).
        for key in (*FILTER_KEYS.values(), *VIEW_KEYS.values(), PRESENT_KEY):
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        return
    params = url_params()
    filters, notices = from_params(params, allowed)
    view, view_notices = view_from_params(params, allowed["themes"], region_codes)
    for field, key in FILTER_KEYS.items():
        value = getattr(filters, field)
        st.session_state[key] = value if isinstance(value, str) else list(value)
    for field, key in VIEW_KEYS.items():
        st.session_state[key] = getattr(view, field)
    st.session_state[PRESENT_KEY] = _first(params, "present") in ("1", "true")
    st.session_state[_NOTICES] = notices + view_notices
    st.session_state[_STARTED] = True


def _first(params: Mapping[str, list[str]], key: str) -> str | None:
    values = params.get(key) or []
    return values[0] if values else None


def presenting() -> bool:
    """Presenter mode is on (kept across pages and written back to the URL as present=1)."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def show_notices() -> None:
    """URL problems found at session start, shown once, never as an exception. A notice is
    plain text that quotes the URL: shown inert, so a pasted link is never a link here."""
    for notice in st.session_state.pop(_NOTICES, []):
        st.warning(inert_markdown(notice), icon="⚠️")


def current_filters() -> Filters:
    s = st.session_state
    return Filters(
        themes=tuple(s.get("f_themes", [])),
        legal_forms=tuple(s.get("f_legal", [])),
        org_structures=tuple(s.get("f_org", [])),
        countries=tuple(s.get("f_country", [])),
        sources=tuple(s.get("f_source", [])),
        text=str(s.get("f_text", "")),
        areas=tuple(s.get("f_area", [])),
        traits=tuple(s.get("f_trait", [])),
    )


def current_view() -> MapView:
    defaults = MapView()
    values = {f: st.session_state.get(k, getattr(defaults, f)) for f, k in VIEW_KEYS.items()}
    return MapView(**values)


def set_view(**changes) -> None:
    for field, value in changes.items():
        st.session_state[VIEW_KEYS[field]] = value


def reset_filters() -> None:
    for field, key in FILTER_KEYS.items():
        st.session_state[key] = "" if field == "text" else []


def write_url(filters: Filters, view: MapView | None = None, extra: Mapping | None = None) -> None:
    """Make the address bar reproduce this view; only touches it when something changed."""
    wanted: dict[str, list[str] | str] = dict(filters.to_params())
    if view is not None:
        wanted.update(view.to_params())
    if extra:
        wanted.update({k: v for k, v in extra.items() if v not in (None, "", [])})
    if presenting():
        wanted["present"] = "1"
    current = url_params()
    normal = {k: [v] if isinstance(v, str) else list(v) for k, v in wanted.items()}
    if current != normal:
        st.query_params.from_dict(normal)


__all__ = ["PARAMS"]
