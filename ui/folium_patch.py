"""streamlit-folium with local assets only: the Streamlit half of `atlas.present.offline`."""

from __future__ import annotations

import importlib.metadata
import threading

import streamlit_folium

from atlas.present import offline

_lock = threading.Lock()


def patch_streamlit_folium() -> None:
    """Make ``streamlit_folium.st_folium`` pass only local ``js_links``/``css_links``.

    Call it from the page before ``st_folium`` (every run is fine: idempotent, thread-safe).
    It wraps streamlit-folium's private ``_component_func``, so it checks the installed
    version is ``offline.STREAMLIT_FOLIUM_VERSION`` and that the vendored files exist, and raises
    ``offline.OfflineAssetError`` otherwise.
    """
    installed = importlib.metadata.version("streamlit-folium")
    if installed != offline.STREAMLIT_FOLIUM_VERSION:
        raise offline.OfflineAssetError(
            f"streamlit-folium {installed} is installed; ui.folium_patch patches the private "
            f"_component_func of {offline.STREAMLIT_FOLIUM_VERSION}. Pin that version or "
            "re-check how st_folium builds js_links/css_links, then update "
            "offline.STREAMLIT_FOLIUM_VERSION and tests/test_offline.py."
        )

    with _lock:
        original = getattr(streamlit_folium, "_component_func", None)
        if original is None:
            raise offline.OfflineAssetError("streamlit_folium._component_func not found")
        if getattr(original, offline.PATCH_MARK, False):
            return
        missing = offline.missing_local_files()
        if missing:
            raise offline.OfflineAssetError(
                "vendored map assets missing under static/ (run `python "
                "scripts/vendor_assets.py`):\n  " + "\n  ".join(missing)
            )

        def component_with_local_links(*args, **kwargs):
            for key in ("js_links", "css_links"):
                kwargs[key] = offline.local_links(kwargs.get(key) or [])
            return original(*args, **kwargs)

        setattr(component_with_local_links, offline.PATCH_MARK, True)
        component_with_local_links.__wrapped__ = original  # type: ignore[attr-defined]
        streamlit_folium._component_func = component_with_local_links
