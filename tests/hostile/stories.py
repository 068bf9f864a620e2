"""Hostile story files (built by code; see tests/hostile/__init__.py). Anyone can upload a story
file to the Stories page; each of these must end quickly with a one-line reason (or, for the
last few, load with texts that are then shown as plain text, and ids that cannot be saved over
others). `EXPECTED` gives the reason each one must be refused with (None: it loads)."""

from __future__ import annotations

import json
from collections.abc import Callable

HOST = "evil.example"
LINK = f"[Session expired: log in](http://{HOST}/login)"
IMAGE = f"![x](http://{HOST}/pixel.png)"


def _views(**view) -> str:
    return json.dumps([{"title": "A view", **view}])


def alias_bomb() -> bytes:
    """'Billion laughs': 9 aliases of 9 aliases… nine levels deep, about 600 bytes, expanding
    to 9⁹ strings (it used to take 74 s and 800 MB, and `str()` of it wrote a 97 MB story)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 9) + "]")
    lines += ["title: Laughs", "views:", "- title: One", "  note: x", "  layer: *l8"]
    return ("\n".join(lines) + "\n").encode()


def alias_bomb_in_a_filter() -> bytes:
    """The same bomb one level smaller, reached through a filter list and the title."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 7):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 10) + "]")
    lines += ["title: Filters", "views:", "- title: One", "  filters:", "    theme: *a6"]
    return ("\n".join(lines) + "\n").encode()


def merge_key() -> bytes:
    """A YAML merge key (`<<: *base`) needs an alias: refused like any alias."""
    return (b"base: &base {page: map, layer: nuts2}\ntitle: Merge\n"
            b"views:\n- <<: *base\n  title: One\n")


def lone_anchor() -> bytes:
    """An anchor nothing refers to: harmless alone, refused all the same (no story needs one)."""
    return b"title: &t Anchored\nviews: [{title: One}]\n"


def deep_flow() -> bytes:
    """100,000 nested lists in JSON (an uncaught RecursionError before)."""
    depth = 100_000
    return ('{"title": "Deep", "views": [{"title": "One", "layer": ' + "[" * depth
            + "]" * depth + "}]}").encode()


def deep_mappings() -> bytes:
    """50,000 nested JSON objects."""
    depth = 50_000
    return ('{"title": "Deep", "views": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode()


def deep_block() -> bytes:
    """300 levels of indented YAML mappings."""
    lines = ["title: Deep", "views:", "- title: One", "  filters:"]
    lines += [" " * (4 + 2 * i) + "a:" for i in range(300)]
    return ("\n".join(lines) + " 1\n").encode()


def too_big() -> bytes:
    """600 KB: over the file size limit, refused before it is read."""
    note = "word " * 100
    views = "".join(f"- title: View {i}\n  note: {note}\n" for i in range(1200))
    return f"title: Big\nviews:\n{views}".encode()


def many_values() -> bytes:
    """150,000 tiny values in 300 KB."""
    return ("title: Many\nviews: [" + "1," * 150_000 + "1]\n").encode()


def list_as_title() -> bytes:
    return b"title: [one, two]\nviews: [{title: One}]\n"


def mapping_as_layer() -> bytes:
    """A mapping where a single value belongs (view_from_dict used to `str()` it)."""
    return b"title: T\nviews: [{title: One, layer: {nested: [1, 2, {deeper: 3}]}}]\n"


def nested_filter_value() -> bytes:
    return b"title: T\nviews: [{title: One, filters: {theme: [[employment], {a: b}]}}]\n"


def list_as_search() -> bytes:
    return b"title: T\nviews: [{title: One, filters: {q: [a, b]}}]\n"


def list_as_id() -> bytes:
    return b"title: T\nid: [a, b]\nviews: [{title: One}]\n"


def huge_integer() -> bytes:
    """A 5,000-digit number: Python refuses to convert it (ValueError, a traceback before)."""
    return ("title: " + "9" * 5000 + "\nviews: [{title: One}]\n").encode()


def impossible_date() -> bytes:
    """YAML reads 2024-13-45 as a date and fails on it (ValueError, a traceback before)."""
    return b"title: 2024-13-45\nviews: [{title: One}]\n"


def binary_title() -> bytes:
    return b"title: !!binary aGVsbG8=\nviews: [{title: One}]\n"


def python_object() -> bytes:
    """A tag that unsafe YAML loaders run as code."""
    return b'title: !!python/object/apply:os.system ["echo owned"]\nviews: [{title: One}]\n'


def unhashable_key() -> bytes:
    return b"title: T\nviews: [{title: One, ? [a, b] : c}]\n"


def control_characters() -> bytes:
    return b"title: Bell\x07 and null\x00\nviews: [{title: One}]\n"


def utf16() -> bytes:
    return "title: Sixteen\nviews: [{title: One}]\n".encode("utf-16")


def two_documents() -> bytes:
    return b"title: A\nviews: [{title: One}]\n---\ntitle: B\nviews: [{title: Two}]\n"


def huge_title() -> bytes:
    """A 400 KB title in one scalar."""
    return ("title: " + "t" * 400_000 + "\nviews: [{title: One}]\n").encode()


def many_views() -> bytes:
    return ("title: Many\nviews:\n" + "".join(f"- title: V{i}\n" for i in range(500))).encode()


def unknown_keys() -> bytes:
    """3,000 unknown keys in one view: loads, with a capped list of notices."""
    view = {"title": "One", **{f"k{i} {LINK}": IMAGE for i in range(5000)}}
    return json.dumps({"title": "Keys", "views": [view]}).encode()


def markup() -> bytes:
    """Loads: titles, notes and unknown values that would be links and images as Markdown."""
    view = {"title": f"{LINK} {IMAGE}", "subtitle": f"<img src='http://{HOST}/t.png'>",
            "note": f"{LINK}\n\n{IMAGE} www.{HOST}", "page": "map",
            "filters": {"theme": [LINK]}, LINK: IMAGE}
    return json.dumps({"title": f"{IMAGE} www.{HOST}", "id": "markup",
                       "description": LINK, "views": [view, {**view, "page": "region"}]}).encode()


def shipped_id() -> bytes:
    """Loads, but claims the shipped example's id: it can never be saved over it."""
    return (b"id: sse-in-crisis-recovery\ntitle: Not the example\n"
            b"views: [{title: Replaced, note: gone}]\n")


def cyrillic_title() -> bytes:
    """Loads with a transliterated id (it used to be 'story', like every non-Latin title)."""
    return "title: Социальная экономика\nviews: [{title: Один}]\n".encode()


FILES: dict[str, Callable[[], bytes]] = {
    "alias-bomb.yaml": alias_bomb,
    "alias-bomb-filter.yaml": alias_bomb_in_a_filter,
    "merge-key.yaml": merge_key,
    "lone-anchor.yaml": lone_anchor,
    "deep-lists.json": deep_flow,
    "deep-objects.json": deep_mappings,
    "deep-block.yaml": deep_block,
    "too-big.yaml": too_big,
    "many-values.yaml": many_values,
    "list-as-title.yaml": list_as_title,
    "mapping-as-layer.yaml": mapping_as_layer,
    "nested-filter-value.yaml": nested_filter_value,
    "list-as-search.yaml": list_as_search,
    "list-as-id.yaml": list_as_id,
    "huge-integer.yaml": huge_integer,
    "impossible-date.yaml": impossible_date,
    "binary-title.yaml": binary_title,
    "python-object.yaml": python_object,
    "unhashable-key.yaml": unhashable_key,
    "control-characters.yaml": control_characters,
    "utf16.yaml": utf16,
    "two-documents.yaml": two_documents,
    "huge-title.yaml": huge_title,
    "many-views.yaml": many_views,
    "unknown-keys.yaml": unknown_keys,
    "markup.json": markup,
    "shipped-id.yaml": shipped_id,
    "cyrillic-title.yaml": cyrillic_title,
}

#: The reason each file must be refused with (a fragment of the one-line StoryError), or None
#: when it loads.
EXPECTED: dict[str, str | None] = {
    "alias-bomb.yaml": "anchors and aliases",
    "alias-bomb-filter.yaml": "anchors and aliases",
    "merge-key.yaml": "anchors and aliases",
    "lone-anchor.yaml": "anchors and aliases",
    "deep-lists.json": "levels deep",
    "deep-objects.json": "levels deep",
    "deep-block.yaml": "levels deep",
    "too-big.yaml": "at most 512 KB",
    "many-values.yaml": "at most 20,000 values",
    "list-as-title.yaml": "title must be text, not a list",
    "mapping-as-layer.yaml": "layer must be a single value, not a mapping",
    "nested-filter-value.yaml": "filter theme must be a single value, not a list",
    "list-as-search.yaml": "filter q must be a single value, not a list",
    "list-as-id.yaml": "id must be text, not a list",
    "huge-integer.yaml": "cannot be read",
    "impossible-date.yaml": "cannot be read",
    "binary-title.yaml": "title must be text, not a binary value",
    "python-object.yaml": "not valid YAML",
    "unhashable-key.yaml": "not valid YAML",
    "control-characters.yaml": "character #x0007",
    "utf16.yaml": "UTF-8",
    "two-documents.yaml": "not valid YAML",
    "huge-title.yaml": "longer than 140 characters",
    "many-views.yaml": "at most 60 views",
    "unknown-keys.yaml": None,
    "markup.json": None,
    "shipped-id.yaml": None,
    "cyrillic-title.yaml": None,
}


def corpus() -> list[tuple[str, bytes]]:
    """Every hostile story file as (name, bytes)."""
    return [(name, build()) for name, build in FILES.items()]
