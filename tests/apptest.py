"""Opening the app in `streamlit.testing.v1.AppTest` the way a shared link opens it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(page: str | None = None, params: dict | None = None,
              allow_errors: bool = False) -> AppTest:
    """A fresh session on `page` (e.g. "pages/region.py"; None = the map) with `params` in the
    URL. Fails on any exception, and on any `st.error` unless `allow_errors`."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if not allow_errors:
        assert not at.error, [e.value for e in at.error]
    return at
