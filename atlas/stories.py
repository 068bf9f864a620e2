"""Stories: an ordered list of saved views that a presenter steps through at a round table.

A view is everything a page needs to reproduce what was on screen (page, `MapView`, `Filters`)
plus what the presenter says about it (title, subtitle, talking-point note). A story is a small
YAML or JSON file, so it can be written by hand, attached to an e-mail and reviewed in a diff.
Files from outside (uploads) are validated here: wrong structure raises `StoryError`; unknown
values fall back to defaults with a notice, exactly like a pasted URL.

Pure module: no Streamlit. Shipped stories live in `stories/` (read-only); stories saved from the
app go to the workspace (`ATLAS_WORKSPACE`, default `./workspace/`) under `stories/`.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlencode

import yaml

from atlas.filters import PARAMS, Filters, from_params
from atlas.paths import ROOT
from atlas.views import MapView, view_from_params

FORMAT = "sse-atlas-story/1"
#: Page id → URL path of the page (the map is the app's default page at "/").
PAGES = {"map": "", "region": "region", "compare": "compare", "directory": "directory"}
PLAYER_PATH = "stories"
SHIPPED_DIR = ROOT / "stories"
MAX_BYTES = 512 * 1024
MAX_VIEWS = 60
MAX_TITLE = 140
MAX_NOTE = 1500
_MAP_KEYS = tuple(f.name for f in fields(MapView))
_FILTER_KEYS = (*PARAMS, "q")
_VIEW_KEYS = {"title", "subtitle", "note", "page", "filters", *_MAP_KEYS}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class StoryError(ValueError):
    """A story file that cannot be used at all (not a story, too big, no views...)."""


@dataclass(frozen=True)
class View:
    """One step of a story: what to show and what to say about it."""

    title: str
    subtitle: str = ""
    note: str = ""
    page: str = "map"
    map: MapView = field(default_factory=MapView)
    filters: Filters = field(default_factory=Filters)

    def params(self) -> dict[str, list[str] | str]:
        """URL parameters of the view (filters + map view), the permalink's query."""
        out: dict[str, list[str] | str] = dict(self.filters.to_params())
        out.update(self.map.to_params())
        return out

    def to_dict(self) -> dict:
        """Plain data for YAML/JSON: map fields by their URL names, filters as URL lists."""
        out: dict = {"title": self.title}
        if self.subtitle:
            out["subtitle"] = self.subtitle
        if self.note:
            out["note"] = self.note
        out["page"] = self.page
        for key, value in vars(self.map).items():
            if key == "theme" and self.map.metric != "theme_share":
                continue
            if value is not None and value != "":
                out[key] = value
        filters = {k: (v if isinstance(v, str) else list(v))
                   for k, v in self.filters.to_params().items()}
        if "q" in filters:
            filters["q"] = filters["q"][0]
        if filters:
            out["filters"] = filters
        return out


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    description: str = ""
    views: tuple[View, ...] = ()

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "views": [v.to_dict() for v in self.views],
        }


def slugify(text: str) -> str:
    """A file-safe story id from a title: lower-case ASCII letters, digits and dashes."""
    ascii_text = text.encode("ascii", "ignore").decode().lower()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:80].strip("-")
    return slug or "story"


def _text(raw: Mapping, key: str, limit: int, where: str, required: bool = False) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int | float):
        raise StoryError(f"{where}: {key} must be text")
    text = str(value).strip()
    if required and not text:
        raise StoryError(f"{where}: {key} is missing")
    if len(text) > limit:
        raise StoryError(f"{where}: {key} is longer than {limit} characters")
    return text


def _as_param(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def view_from_dict(
    raw: object,
    where: str = "view",
    allowed: Mapping[str, Sequence[str]] | None = None,
    region_codes: Mapping[str, set[str]] | None = None,
) -> tuple[View, list[str]]:
    """A View from plain data. `allowed` (facet values, as for URLs) and `region_codes`
    validate values; without them any filter value and region code is accepted."""
    if not isinstance(raw, Mapping):
        raise StoryError(f"{where} must be a mapping")
    notices = [f"{where}: ignored unknown key {k!r}" for k in raw if k not in _VIEW_KEYS]
    title = _text(raw, "title", MAX_TITLE, where, required=True)
    page = _text(raw, "page", 40, where) or "map"
    if page not in PAGES:
        notices.append(f"{where}: unknown page {page[:40]!r}; using the map")
        page = "map"
    map_params = {k: _as_param(raw[k]) for k in _MAP_KEYS if raw.get(k) not in (None, "")}
    raw_filters = raw.get("filters") or {}
    if not isinstance(raw_filters, Mapping):
        raise StoryError(f"{where}: filters must be a mapping")
    filter_params: dict[str, list[str] | str] = {}
    for key, value in raw_filters.items():
        if key not in _FILTER_KEYS:
            notices.append(f"{where}: ignored unknown filter {str(key)[:40]!r}")
        elif key == "q":
            filter_params["q"] = str(value or "")
        else:
            items = value if isinstance(value, list | tuple) else [value]
            filter_params[key] = [str(v) for v in items if v not in (None, "")]
    if allowed is None:
        known = {f: [str(v) for v in _listed(filter_params.get(p))] for p, f in PARAMS.items()}
        known["themes"] = known["themes"] + [map_params.get("theme", "employment")]
    else:
        known = {k: list(v) for k, v in allowed.items()}
    filters, filter_notices = from_params(filter_params, known)
    mapview, view_notices = view_from_params(map_params, known["themes"], region_codes)
    notices += [f"{where}: {n}" for n in filter_notices + view_notices]
    return View(
        title=title,
        subtitle=_text(raw, "subtitle", MAX_TITLE * 2, where),
        note=_text(raw, "note", MAX_NOTE, where),
        page=page,
        map=mapview,
        filters=filters,
    ), notices


def _listed(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def story_from_dict(
    raw: object,
    allowed: Mapping[str, Sequence[str]] | None = None,
    region_codes: Mapping[str, set[str]] | None = None,
) -> tuple[Story, list[str]]:
    """Validate a parsed story file; raise StoryError when it cannot be used at all."""
    if not isinstance(raw, Mapping):
        raise StoryError("a story file must hold a mapping with a title and views")
    fmt = raw.get("format", FORMAT)
    if fmt != FORMAT:
        raise StoryError(f"unknown story format {str(fmt)[:40]!r} (expected {FORMAT})")
    title = _text(raw, "title", MAX_TITLE, "story", required=True)
    story_id = str(raw.get("id") or slugify(title))
    notices: list[str] = []
    if not _ID_RE.match(story_id):
        notices.append(f"story id {story_id[:40]!r} is not file-safe; using {slugify(title)!r}")
        story_id = slugify(title)
    views_raw = raw.get("views")
    if not isinstance(views_raw, list) or not views_raw:
        raise StoryError("a story needs a non-empty list of views")
    if len(views_raw) > MAX_VIEWS:
        raise StoryError(f"a story has at most {MAX_VIEWS} views ({len(views_raw)} given)")
    views = []
    for number, item in enumerate(views_raw, start=1):
        view, view_notices = view_from_dict(item, f"view {number}", allowed, region_codes)
        views.append(view)
        notices += view_notices
    description = _text(raw, "description", MAX_NOTE, "story")
    return Story(story_id, title, description, tuple(views)), notices


def dumps(story: Story, fmt: str = "yaml") -> str:
    """The story as YAML (default, for people) or JSON."""
    if fmt == "json":
        return json.dumps(story.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(story.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def parse(data: bytes | str) -> object:
    """Parse YAML or JSON text (JSON is YAML) with size and safety limits."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise StoryError(f"story files are at most {MAX_BYTES // 1024} KB")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StoryError("a story file must be UTF-8 text") from exc
    if len(data) > MAX_BYTES:
        raise StoryError(f"story files are at most {MAX_BYTES // 1024} KB")
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise StoryError(f"not valid YAML or JSON: {str(exc)[:200]}") from exc


def loads(
    data: bytes | str,
    allowed: Mapping[str, Sequence[str]] | None = None,
    region_codes: Mapping[str, set[str]] | None = None,
) -> tuple[Story, list[str]]:
    return story_from_dict(parse(data), allowed, region_codes)


def workspace_dir() -> Path:
    """Where the app writes presenters' files (env `ATLAS_WORKSPACE`, default ./workspace)."""
    return Path(os.environ.get("ATLAS_WORKSPACE") or ROOT / "workspace")


def saved_dir() -> Path:
    return workspace_dir() / "stories"


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Fallback when `atlas.workspace` is absent: temp file beside `path`, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, text: str) -> None:
    """Write text so that a crash never leaves half a story behind (reuses the workspace's
    fsyncing helper when the importer's `atlas.workspace` module is there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from atlas.workspace import atomic_write as replace_atomically
    except ImportError:
        replace_atomically = _replace_atomically
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save(story: Story, folder: Path | None = None) -> Path:
    """Save as `<id>.yaml` in the workspace (never into the shipped `stories/`)."""
    if not _ID_RE.match(story.id):
        raise StoryError(f"story id {story.id!r} is not file-safe")
    path = (folder or saved_dir()) / f"{story.id}.yaml"
    atomic_write(path, dumps(story))
    return path


@dataclass(frozen=True)
class StoryFile:
    id: str
    title: str
    path: Path
    shipped: bool


def available(folders: Sequence[tuple[Path, bool]] | None = None) -> list[StoryFile]:
    """Stories on disk, saved ones first; a saved story hides a shipped one with its id.
    Unreadable files are skipped (they are reported when opened)."""
    folders = folders or [(saved_dir(), False), (SHIPPED_DIR, True)]
    seen: dict[str, StoryFile] = {}
    for folder, shipped in folders:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml"), *folder.glob("*.json")]):
            try:
                raw = parse(path.read_bytes())
            except (OSError, StoryError):
                continue
            if not isinstance(raw, Mapping) or not isinstance(raw.get("views"), list):
                continue
            story_id = str(raw.get("id") or path.stem)
            if story_id not in seen:
                seen[story_id] = StoryFile(story_id, str(raw.get("title") or story_id)[:MAX_TITLE],
                                           path, shipped)
    return list(seen.values())


def permalink(view: View, present: bool = False) -> str:
    """Absolute-path URL of the view on its own page, e.g. `/?layer=nuts3&country=IT`."""
    params = view.params()
    if present:
        params["present"] = "1"
    query = urlencode(params, doseq=True)
    return f"/{PAGES[view.page]}" + (f"?{query}" if query else "")


def player_link(story_id: str, step: int = 1, present: bool = True) -> str:
    """URL of the story player at a step (1-based)."""
    params = {"story": story_id, "step": str(step)}
    if present:
        params["present"] = "1"
    return f"/{PLAYER_PATH}?{urlencode(params)}"


def describe(view: View, metric_title: str, layer_label: str, filters_text: str) -> str:
    """Default subtitle: what is coloured, on which regions, with which filters."""
    parts = [f"{metric_title} · {layer_label}"]
    if not view.filters.is_empty():
        parts.append(filters_text)
    return " · ".join(parts)


def frame(bounds: Sequence[float], width_px: int = 900, height_px: int = 460) -> dict:
    """lat/lon/zoom that fit (minx, miny, maxx, maxy) in a map of that size (Web Mercator),
    so a story view with a selected region opens on it."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(maxx - minx, 1e-6) / 360
    dy = max(merc(maxy) - merc(miny), 1e-6) / (2 * math.pi)
    zoom = math.floor(min(math.log2(width_px / (256 * dx)), math.log2(height_px / (256 * dy))))
    return {
        "lat": round((miny + maxy) / 2, 4),
        "lon": round((minx + maxx) / 2, 4),
        "zoom": int(min(max(zoom, 2), 10)),
    }
