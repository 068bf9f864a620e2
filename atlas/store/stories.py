"""Stories: an ordered list of saved views that a presenter steps through at a round table.

A view is everything a page needs to reproduce what was on screen (page, `MapView`, `Filters`)
plus what the presenter says about it (title, subtitle, talking-point note). A story is a small
YAML or JSON file, so it can be written by hand, attached to an e-mail and reviewed in a diff.
Files from outside (uploads) are validated here: wrong structure raises `StoryError`; unknown
values fall back to defaults with a notice, exactly like a pasted URL. Anyone can upload a story
file, so reading one is bounded: at most MAX_BYTES, MAX_NODES values nested at most MAX_DEPTH
deep, no YAML anchors or aliases (a 600-byte alias bomb expands to gigabytes), every value
checked for its type before it is used (a list where text belongs is refused, never `str()`-ed).

Saving never replaces a story silently (an existing id needs `replace=True`) and never replaces a
shipped story; the pages allow saving and deleting only to the admin (`ui.admin`).

Pure module: no Streamlit. Shipped stories live in `stories/` (read-only); stories saved from the
app go to the workspace (`ATLAS_WORKSPACE`, default `./workspace/`) under `stories/`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlencode

import yaml
from slugify import slugify as _transliterated_slug

from atlas.model.filters import PARAMS, Filters, from_params
from atlas.model.views import MapView, view_from_params
from atlas.paths import ROOT
from atlas.store.workspace import atomic_write as replace_atomically
from atlas.store.workspace import create_exclusively
from atlas.text import clip

FORMAT = "sse-atlas-story/1"
#: Page id → URL path of the page (the map is the app's default page at "/").
PAGES = {"map": "", "region": "region", "compare": "compare", "directory": "directory"}
PLAYER_PATH = "stories"
SHIPPED_DIR = ROOT / "stories"
MAX_BYTES = 512 * 1024
MAX_VIEWS = 60
MAX_TITLE = 140
MAX_NOTE = 1500
MAX_DEPTH = 20  # nesting of mappings and lists (a story needs 5)
MAX_NODES = 20_000  # values in a file (60 full views need about 4,000)
MAX_NOTICES = 30  # notices kept from one file; the rest are counted
MAX_ID = 80
_MAP_KEYS = tuple(f.name for f in fields(MapView))
_FILTER_KEYS = (*PARAMS, "q")
_VIEW_KEYS = {"title", "subtitle", "note", "page", "filters", *_MAP_KEYS}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class StoryError(ValueError):
    """A story file that cannot be used at all (not a story, too big, no views...)."""


class StoryExists(StoryError):
    """Saving would replace another story (pass `replace=True` to mean it)."""


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
    """A file-safe story id from a title: lower-case ASCII letters, digits and dashes, other
    scripts transliterated ('Łódź' → 'lodz', 'Αθήνα' → 'athena'); "story" when nothing is left."""
    slug = _transliterated_slug(str(text or ""), max_length=MAX_ID, word_boundary=True,
                                save_order=True)
    return slug.strip("-") or "story"


def _kind(value: object) -> str:
    """What a non-scalar value is, in words, for an error (never its content)."""
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, bytes | bytearray):
        return "binary value"
    if isinstance(value, set | frozenset):
        return "set"
    return type(value).__name__


def _scalar(value: object, where: str, key: str) -> str:
    """A single value of a file as text; a list, mapping or anything else is refused with a
    reason (`str()` of a nested structure is never taken)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dt.date):  # YAML reads 2024-05-01 as a date
        return value.isoformat()
    raise StoryError(f"{where}: {clip(key)} must be a single value, not a {_kind(value)}")


def _text(raw: Mapping, key: str, limit: int, where: str, required: bool = False) -> str:
    value = raw.get(key, "")
    if isinstance(value, bool):
        value = str(value).lower()
    if value is not None and not isinstance(value, str | int | float | dt.date):
        raise StoryError(f"{where}: {key} must be text, not a {_kind(value)}")
    text = _scalar(value, where, key).strip()
    if required and not text:
        raise StoryError(f"{where}: {key} is missing")
    if len(text) > limit:
        raise StoryError(f"{where}: {key} is longer than {limit} characters")
    return text


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
    notices = [f"{where}: ignored unknown key {clip(repr(k))}" for k in raw
               if k not in _VIEW_KEYS]
    title = _text(raw, "title", MAX_TITLE, where, required=True)
    page = _text(raw, "page", 40, where) or "map"
    if page not in PAGES:
        notices.append(f"{where}: unknown page {clip(repr(page))}; using the map")
        page = "map"
    map_params = {k: _scalar(raw[k], where, k) for k in _MAP_KEYS if raw.get(k) not in (None, "")}
    raw_filters = raw.get("filters") or {}
    if not isinstance(raw_filters, Mapping):
        raise StoryError(f"{where}: filters must be a mapping")
    filter_params: dict[str, list[str] | str] = {}
    for key, value in raw_filters.items():
        if key not in _FILTER_KEYS:
            notices.append(f"{where}: ignored unknown filter {clip(repr(key))}")
        elif key == "q":
            filter_params["q"] = _scalar(value, where, "filter q")
        else:
            items = value if isinstance(value, list | tuple) else [value]
            filter_params[key] = [_scalar(v, where, f"filter {key}") for v in items
                                  if v not in (None, "")]
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
        shown = clip(repr(fmt)) if isinstance(fmt, str | int | float) else f"a {_kind(fmt)}"
        raise StoryError(f"unknown story format {shown} (expected {FORMAT})")
    title = _text(raw, "title", MAX_TITLE, "story", required=True)
    story_id = _text(raw, "id", 200, "story") or slugify(title)
    notices: list[str] = []
    if not _ID_RE.match(story_id):
        notices.append(f"story id {clip(repr(story_id))} is not file-safe; using "
                       f"{slugify(title)!r}")
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
    if len(notices) > MAX_NOTICES:
        notices = [*notices[:MAX_NOTICES - 1],
                   f"… and {len(notices) - MAX_NOTICES + 1:,} more notices like these"]
    return Story(story_id, title, description, tuple(views)), notices


def dumps(story: Story, fmt: str = "yaml") -> str:
    """The story as YAML (default, for people) or JSON."""
    if fmt == "json":
        return json.dumps(story.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(story.to_dict(), sort_keys=False, allow_unicode=True, width=100)


class _StoryLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded for files from anyone: it refuses anchors and aliases
    (so nothing is expanded: no "billion laughs"), nesting deeper than MAX_DEPTH (instead of a
    RecursionError) and more than MAX_NODES values, each with a one-line reason."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # PyYAML's signature
        event = self.peek_event()
        line = f"line {event.start_mark.line + 1}: " if event.start_mark else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise StoryError(f"{line}YAML anchors and aliases (&name, *name) are not allowed "
                             "in story files")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise StoryError(f"{line}a story file holds at most {MAX_NODES:,} values")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise StoryError(f"{line}nested more than {MAX_DEPTH} levels deep (a story "
                                 "needs 5)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """One line saying what is wrong and where, without quoting the file."""
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        return f"character #x{code:04x} at position {exc.position:,} is not allowed"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return clip(f"{where}{problem or type(exc).__name__}", 160)


def parse(data: bytes | str) -> object:
    """Parse YAML or JSON text (JSON is YAML) with size, nesting and safety limits; every
    problem is a StoryError with a one-line reason."""
    if len(data) > MAX_BYTES:
        raise StoryError(f"story files are at most {MAX_BYTES // 1024} KB")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StoryError("a story file must be UTF-8 text") from exc
    loader = None
    try:
        loader = _StoryLoader(data)  # checks the characters first (ReaderError)
        return loader.get_single_data()
    except StoryError:
        raise
    except yaml.YAMLError as exc:
        raise StoryError(f"not valid YAML or JSON ({_yaml_reason(exc)})") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. an integer of 5,000 digits, a date 2024-13-45: PyYAML's constructors raise these
        raise StoryError(f"a value cannot be read ({clip(type(exc).__name__)}: "
                         f"{clip(str(exc), 80)})") from exc
    finally:
        if loader is not None:
            loader.dispose()


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


def atomic_write(path: Path, text: str) -> None:
    """Write text so that a crash never leaves half a story behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def shipped_ids() -> set[str]:
    """Ids of the stories shipped with the atlas (file names and the ids they declare): the
    app never saves over them."""
    stems = {p.stem for p in SHIPPED_DIR.glob("*.*")} if SHIPPED_DIR.is_dir() else set()
    return stems | {f.id for f in available([(SHIPPED_DIR, True)])}


def _files_of(story_id: str, folder: Path) -> list[Path]:
    return [p for ext in (".yaml", ".yml", ".json") if (p := folder / f"{story_id}{ext}").exists()]


def relative_name(path: Path) -> str:
    """How a saved story is named to visitors: `stories/<id>.yaml`, never the server's path."""
    return f"stories/{path.name}"


def save(story: Story, folder: Path | None = None, replace: bool = False) -> Path:
    """Save as `<id>.yaml` in the workspace (never into the shipped `stories/`). Refuses the
    id of a shipped story, and the id of a saved one unless `replace` (StoryExists)."""
    if not _ID_RE.match(story.id):
        raise StoryError(f"story id {clip(repr(story.id))} is not file-safe")
    if story.id in shipped_ids():
        raise StoryError(f"'{story.id}' is the id of a story shipped with the atlas, which "
                         "cannot be replaced from the app: save it under another title")
    folder = folder or saved_dir()
    path = folder / f"{story.id}.yaml"
    if not replace:
        if _files_of(story.id, folder):
            raise StoryExists(f"a saved story already has the id '{story.id}'")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            create_exclusively(path, dumps(story))  # of two saves of a new id, one wins
        except FileExistsError:
            raise StoryExists(f"a saved story already has the id '{story.id}'") from None
        return path
    atomic_write(path, dumps(story))
    return path


def delete(story_id: str, folder: Path | None = None) -> bool:
    """Delete a saved story from the workspace (shipped stories are never deleted); True when
    a file was removed."""
    if not _ID_RE.match(story_id or ""):
        raise StoryError(f"story id {clip(repr(story_id))} is not file-safe")
    removed = False
    for path in _files_of(story_id, folder or saved_dir()):
        path.unlink(missing_ok=True)
        removed = True
    return removed


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
            declared, title = raw.get("id"), raw.get("title")
            story_id = declared if isinstance(declared, str) and _ID_RE.match(declared) \
                else path.stem
            title = title.strip() if isinstance(title, str) and title.strip() else story_id
            if story_id not in seen:
                seen[story_id] = StoryFile(story_id, title[:MAX_TITLE], path, shipped)
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
