"""Does a map page have the JavaScript it calls? The map elements' scripts are calls of
functions defined in the atlas's own served files (`static/atlas-map.js`); a page that calls
one without linking the file that defines it draws nothing (or half a map) in the browser."""

from __future__ import annotations

import re
from collections.abc import Iterable

from atlas.present import offline

_CALL_RE = re.compile(r"\b(atlas[A-Z]\w*)\s*\(")
_DEF_RE = re.compile(r"^function (atlas[A-Z]\w*)\s*\(", re.MULTILINE)
_SCRIPT_SRC_RE = re.compile(r"""<script\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def script_srcs(html: str) -> list[str]:
    """The `<script src>` URLs of a page, in order."""
    return _SCRIPT_SRC_RE.findall(html)


def atlas_calls(script: str) -> set[str]:
    """The atlas functions (`atlasRegionLayer`...) a map script calls."""
    return set(_CALL_RE.findall(script))


def defined_functions(js_links: Iterable[str]) -> set[str]:
    """The atlas functions defined by the atlas's own files among `js_links` (vendored
    libraries skipped; a linked file missing under static/ defines nothing)."""
    names: set[str] = set()
    for url in js_links:
        if not url.startswith("/app/static/") or url.startswith(offline.LOCAL_PREFIX + "/"):
            continue
        path = offline.local_path(url)
        if path.is_file():
            names |= set(_DEF_RE.findall(path.read_text(encoding="utf-8")))
    return names


def undefined_calls(script: str, js_links: Iterable[str]) -> list[str]:
    """Atlas functions that `script` calls and no linked file defines (sorted; [] is good)."""
    return sorted(atlas_calls(script) - defined_functions(js_links))
