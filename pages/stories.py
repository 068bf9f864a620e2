"""Stories page (URL path `stories`): build an ordered list of saved views, save it, and play it
at a round table with Next/Previous buttons or the keyboard (←/→, PageUp/PageDown).

`/stories?story=<id>&step=<n>` opens the player at a step (add `present=1` for presenter mode);
`/stories?story=<id>&mode=edit` opens the editor. Playing a step puts its layer, metric, filters
and region into the shared state, so the sidebar and the Map page show the same view.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from atlas.build.story_example import STORY_ID as EXAMPLE_ID
from atlas.model.filters import Filters
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS
from atlas.store import stories
from atlas.store.stories import MAX_NOTE, MAX_TITLE, Story, StoryError, StoryExists, View
from atlas.text import clip, inert_markdown
from ui import data, presenter, shell, state, takeaways
from ui.admin import admin_box, is_admin

STORY = "_story"  # the working copy (a Story), played and edited
STEP = "story_step"  # 1-based step of the player
MODE = "_story_mode"  # "play" | "edit" (plain state: survives runs where the radio is hidden)
REV = "_story_rev"  # bumped when views move, so editor widgets are re-keyed
MESSAGES = "_story_messages"  # (kind, text) shown once
MODES = {"play": "▶ Play", "edit": "✏️ Build and edit"}

#: Keys for a presentation clicker (PageUp/PageDown) and for arrows pressed while the map has
#: the focus (its iframe gets the key events). Plain arrows elsewhere are the buttons' own
#: Streamlit shortcuts. Runs once per browser tab; acts only while the player is on screen.
KEYS_JS = """
<script>
(function () {
  if (window.__atlasStoryKeys) { return; }
  window.__atlasStoryKeys = true;
  function press(name) {
    var button = document.querySelector(".st-key-" + name + " button");
    if (button && !button.disabled) { button.click(); }
  }
  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var target = event.target || {};
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) {
      return;
    }
    if (!document.querySelector(".st-key-story_next")) { return; }
    var fromFrame = target.ownerDocument && target.ownerDocument !== document;
    var next = event.key === "PageDown" || (fromFrame && event.key === "ArrowRight");
    var prev = event.key === "PageUp" || (fromFrame && event.key === "ArrowLeft");
    if (!next && !prev) { return; }
    event.preventDefault();
    event.stopPropagation();
    press(next ? "story_next" : "story_prev");
  }
  document.addEventListener("keydown", onKey, true);
  setInterval(function () {
    document.querySelectorAll("iframe").forEach(function (frame) {
      try {
        var doc = frame.contentDocument;
        if (doc && !doc.__atlasStoryKeys) {
          doc.__atlasStoryKeys = true;
          doc.addEventListener("keydown", onKey, true);
        }
      } catch (err) { /* another origin: not ours */ }
    });
  }, 1000);
})();
</script>
"""


# --- loading and applying -------------------------------------------------------------------


def _message(kind: str, text: str) -> None:
    st.session_state.setdefault(MESSAGES, []).append((kind, text))


def _open_path(path) -> Story | None:
    try:
        story, notices = stories.loads(path.read_bytes(), data.facets(), data.region_codes())
    except (OSError, StoryError) as exc:
        _message("error", f"Could not open {path.name}: {exc}")
        return None
    for notice in notices:
        _message("warning", notice)
    return story


def _use(story: Story, step: int = 1) -> None:
    st.session_state[STORY] = story
    st.session_state[STEP] = max(1, min(step, len(story.views) or 1))
    st.session_state[REV] = st.session_state.get(REV, 0) + 1


def _apply(view: View) -> None:
    """Put a view into the shared filter/view state (only before widgets are drawn)."""
    filters = view.filters
    for field, key in state.FILTER_KEYS.items():
        value = getattr(filters, field)
        st.session_state[key] = value if isinstance(value, str) else list(value)
    for field, key in state.VIEW_KEYS.items():
        st.session_state[key] = getattr(view.map, field)


def _go(step: int) -> None:
    story: Story | None = st.session_state.get(STORY)
    if not story or not story.views:
        return
    step = max(1, min(step, len(story.views)))
    st.session_state[STEP] = step
    st.session_state[MODE] = "play"
    _apply(story.views[step - 1])


def _first(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key) or []
    return values[0] if values else None


def prepare() -> None:
    """On a session's first visit: open the story named in the URL (or the example) and, when
    the URL names a story, apply its step before the sidebar widgets are drawn."""
    if STORY in st.session_state:
        return
    params = state.url_params()
    wanted = _first(params, "story")
    files = stories.available()
    chosen = next((f for f in files if f.id == wanted), None)
    if wanted and chosen is None:
        _message("warning", f"No story {clip(repr(wanted))}; showing the example story.")
    chosen = chosen or next((f for f in files if f.id == EXAMPLE_ID), None)
    chosen = chosen or (files[0] if files else None)
    story = _open_path(chosen.path) if chosen else None
    if story is None:
        st.session_state[STORY] = None
        st.session_state[MODE] = "edit"
        return
    try:
        step = int(_first(params, "step") or 1)
    except ValueError:
        step = 1
    _use(story, step)
    editing = _first(params, "mode") == "edit" or not wanted
    st.session_state[MODE] = "edit" if editing else "play"
    if not editing:
        _apply(story.views[st.session_state[STEP] - 1])


# --- player ---------------------------------------------------------------------------------


def plain_paragraphs(text: str) -> str:
    """A talking point from a story file as plain text for Markdown, its paragraphs kept."""
    paragraphs = (inert_markdown(p) for p in text.replace("\r\n", "\n").split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _present_on() -> None:
    st.session_state[state.PRESENT_KEY] = True


def player(story: Story) -> None:
    step = st.session_state[STEP]
    n = len(story.views)
    saved = story.views[step - 1]
    filters, view = state.current_filters(), state.current_view()
    titles = presenter.view_titles(view, filters)
    presenter.header(saved.title, saved.subtitle or titles["subtitle"])
    table = data.region_figures(data.initiatives(), view.layer, filters,
                                theme=view.metric_theme)
    left, right = st.columns([3, 1.15])
    with right:
        prev_col, next_col = st.columns(2)
        prev_col.button("◀ Previous", key="story_prev", on_click=_go, args=(step - 1,),
                        disabled=step <= 1, shortcut="Left", width="stretch")
        next_col.button("Next ▶", key="story_next", on_click=_go, args=(step + 1,),
                        disabled=step >= n, shortcut="Right", width="stretch")
        st.caption(inert_markdown(f"View {step} of {n} · {story.title}"))
        if saved.note:
            with st.container(key="story_note"):
                st.markdown(plain_paragraphs(saved.note))
        link = stories.permalink(replace(saved, map=view, filters=filters))
        st.markdown(f"[Open this view on its page]({link})")
        if not presenter.on():
            st.button("Present (full screen type)", key="story_present", on_click=_present_on,
                      icon="🎦")
    with left:
        presenter.view_map(filters, view, table)
    st.html(KEYS_JS, unsafe_allow_javascript=True)
    if not presenter.on():
        takeaways.map_downloads(data.initiatives(), filters, view, table, key="story",
                                title=saved.title, subtitle=saved.subtitle or titles["subtitle"])
    state.write_url(Filters(), None, extra={"story": story.id, "step": str(step)})


# --- editor ---------------------------------------------------------------------------------


def _k(name: str, index: int | None = None) -> str:
    rev = st.session_state.get(REV, 0)
    return f"se{rev}_{name}" if index is None else f"se{rev}_{index}_{name}"


def _collect() -> Story | None:
    """The working copy with whatever the editor widgets hold now."""
    story: Story | None = st.session_state.get(STORY)
    if story is None:
        return None
    ss = st.session_state
    views = []
    for i, v in enumerate(story.views):
        lat, lon, zoom = (ss.get(_k(f, i), getattr(v.map, f)) for f in ("lat", "lon", "zoom"))
        views.append(replace(
            v,
            title=str(ss.get(_k("title", i), v.title)).strip()[:MAX_TITLE] or v.title,
            subtitle=str(ss.get(_k("subtitle", i), v.subtitle)).strip()[:MAX_TITLE * 2],
            note=str(ss.get(_k("note", i), v.note)).strip()[:MAX_NOTE],
            page=ss.get(_k("page", i), v.page),
            map=replace(v.map, lat=lat, lon=lon, zoom=None if zoom is None else int(zoom)),
        ))
    title = str(ss.get(_k("title"), story.title)).strip()[:MAX_TITLE] or story.title
    description = str(ss.get(_k("description"), story.description)).strip()[:MAX_NOTE]
    return replace(story, title=title, description=description, views=tuple(views))


def _edit(op: str, index: int = -1) -> None:
    """Structural edits (callbacks): move, delete, replace with the current view, add."""
    story = _collect()
    if story is None:
        return
    views = list(story.views)
    step = st.session_state.get(STEP, 1)
    if op == "up" and index > 0:
        views[index - 1], views[index] = views[index], views[index - 1]
    elif op == "down" and index < len(views) - 1:
        views[index + 1], views[index] = views[index], views[index + 1]
    elif op == "delete":
        views.pop(index)
    elif op == "take":
        views[index] = replace(views[index], map=_current_map(frame=False),
                               filters=state.current_filters())
    elif op == "add":
        views.append(_new_view())
        step = len(views)
    _use(replace(story, views=tuple(views)), step)


def _current_map(frame: bool):
    view = state.current_view()
    if frame and view.region and view.center is None:
        regions = data.layer(view.layer)
        rows = regions[regions["code"] == view.region]
        if len(rows):
            view = replace(view, **stories.frame(rows.total_bounds))
    return view


def _new_view() -> View:
    ss = st.session_state
    view = _current_map(frame=bool(ss.get("se_add_frame", True)))
    filters = state.current_filters()
    title = str(ss.get("se_add_title", "")).strip()[:MAX_TITLE]
    new = View(
        title=title or presenter.view_titles(view, filters)["title"],
        subtitle=str(ss.get("se_add_subtitle", "")).strip()[:MAX_TITLE * 2],
        note=str(ss.get("se_add_note", "")).strip()[:MAX_NOTE],
        page=ss.get("se_add_page", "map"),
        map=view,
        filters=filters,
    )
    for key in ("se_add_title", "se_add_subtitle", "se_add_note"):
        ss[key] = ""
    return new


def _play_from(index: int) -> None:
    story = _collect()
    if story is not None:
        _use(story, index + 1)
        _go(index + 1)


def _new_story() -> None:
    _use(Story(id="new-story", title="New story", description="", views=()))
    st.session_state[MODE] = "edit"


def _save_id(story: Story) -> str:
    """The id a story is saved under: its own, or one from its title for a new story and for
    a copy of a shipped one (which is never saved over)."""
    if story.id in ("", "new-story") or story.id in stories.shipped_ids():
        return stories.slugify(story.title)
    return story.id


def _save() -> None:
    """Save button callback; the right is checked here, not only by the disabled button."""
    if not is_admin():
        _message("error", "Saving stories to the shared workspace needs the admin secret.")
        return
    story = _collect()
    if story is None or not story.views:
        return
    story = replace(story, id=_save_id(story))
    try:
        path = stories.save(story, replace=bool(st.session_state.get("se_replace")))
    except StoryExists as exc:
        _message("error", f"Not saved: {exc}. Tick \u201cReplace the saved story\u201d to "
                 "replace it, or change the story title.")
        return
    except (OSError, StoryError) as exc:
        _message("error", f"Could not save: {exc}")
        return
    st.session_state["se_replace"] = False
    _use(story, st.session_state.get(STEP, 1))
    _message("success", f"Saved as {stories.relative_name(path)} in the shared workspace. "
             f"Play it from /stories?story={story.id}")


def _delete_saved() -> None:
    """Delete the open story from the workspace (admin only; shipped stories never)."""
    story: Story | None = st.session_state.get(STORY)
    if story is None or not is_admin() or not st.session_state.get("se_delete_sure"):
        return
    try:
        removed = stories.delete(story.id)
    except (OSError, StoryError) as exc:
        _message("error", f"Could not delete: {exc}")
        return
    st.session_state["se_delete_sure"] = False
    if removed:
        _message("success", f"Deleted the saved story '{story.id}' (this copy stays open, "
                 "not saved).")


def _upload() -> None:
    upload = st.session_state.get("se_upload")
    if upload is None:
        return
    try:
        story, notices = stories.loads(upload.getvalue(), data.facets(), data.region_codes())
    except StoryError as exc:
        _message("error", f"{upload.name}: {exc}")
        return
    for notice in notices:
        _message("warning", notice)
    _use(story)
    _message("success", f"Opened {upload.name}: {len(story.views)} views (not saved yet).")


def _summary(v: View) -> str:
    """One line of Markdown on what a view shows; every value in it is escaped (filter values
    may be an imported dataset's names)."""
    m = v.map
    parts = [LAYERS[m.layer].label, METRICS[m.metric].label]
    if m.metric == "theme_share":
        parts[-1] += f" ({m.theme})"
    if m.region:
        parts.append(f"region {m.region}")
    if not v.filters.is_empty():
        parts.append(v.filters.describe())
    return f"page **{inert_markdown(v.page)}** · " + inert_markdown(" · ".join(parts))


def editor(story: Story | None) -> None:
    st.button("New empty story", on_click=_new_story, icon="➕")
    if story is None:
        return
    st.text_input("Story title", value=story.title, key=_k("title"), max_chars=MAX_TITLE)
    st.text_area("Description", value=story.description, key=_k("description"), height=68,
                 max_chars=MAX_NOTE)
    st.caption(f"id `{story.id}` · {len(story.views)} views")
    for i, v in enumerate(story.views):
        with st.expander(inert_markdown(f"{i + 1}. {v.title}")):
            st.markdown(_summary(v))
            st.text_input("Title", value=v.title, key=_k("title", i), max_chars=MAX_TITLE)
            st.text_input("Subtitle", value=v.subtitle, key=_k("subtitle", i),
                          max_chars=MAX_TITLE * 2, placeholder="What is coloured, where")
            st.text_area("Talking point", value=v.note, key=_k("note", i), max_chars=MAX_NOTE)
            c = st.columns(4)
            c[0].selectbox("Page", list(stories.PAGES), key=_k("page", i),
                           index=list(stories.PAGES).index(v.page))
            c[1].number_input("Centre latitude", -85.0, 85.0, value=v.map.lat, key=_k("lat", i),
                              format="%.4f")
            c[2].number_input("Centre longitude", -180.0, 180.0, value=v.map.lon,
                              key=_k("lon", i), format="%.4f")
            c[3].number_input("Zoom", 2, 18, value=v.map.zoom, key=_k("zoom", i))
            b = st.columns(5)
            b[0].button("▶ Play from here", key=_k("play", i), on_click=_play_from, args=(i,))
            b[1].button("Use the current view", key=_k("take", i), on_click=_edit,
                        args=("take", i), help="Replace layer, metric, filters and region by "
                        "what the Map page shows now")
            b[2].button("↑", key=_k("up", i), on_click=_edit, args=("up", i), disabled=i == 0)
            b[3].button("↓", key=_k("down", i), on_click=_edit, args=("down", i),
                        disabled=i == len(story.views) - 1)
            b[4].button("Delete", key=_k("delete", i), on_click=_edit, args=("delete", i))
            st.markdown(f"[Permalink]({stories.permalink(v)})")
    with st.container(border=True):
        current = state.current_view()
        st.markdown(f"**Add the current view** — {_summary(View('', map=current, filters=state.current_filters()))}")  # noqa: E501
        st.text_input("Title", key="se_add_title", max_chars=MAX_TITLE,
                      placeholder="Default: what the map shows")
        st.text_input("Subtitle", key="se_add_subtitle", max_chars=MAX_TITLE * 2)
        st.text_area("Talking point", key="se_add_note", max_chars=MAX_NOTE)
        c = st.columns([1, 2, 1])
        c[0].selectbox("Page", list(stories.PAGES), key="se_add_page")
        c[1].checkbox("Open the map on the selected region", value=True, key="se_add_frame")
        c[2].button("Add view", on_click=_edit, args=("add",), type="primary", icon="➕")
    collected = _collect() or story
    admin = admin_box("Visitors can still build, play and download stories in their own "
                      "session.")
    saved_ids = {f.id for f in stories.available() if not f.shipped}
    target = _save_id(collected)
    if admin and target in saved_ids:
        st.checkbox(f"Replace the saved story '{target}'", key="se_replace")
    c = st.columns(3)
    c[0].button("Save to workspace", key="se_save", on_click=_save,
                disabled=not (admin and story.views), icon="💾",
                help="Writes stories/<id>.yaml in the shared workspace (admin only)")
    c[1].download_button("Download YAML", data=stories.dumps(collected),
                         file_name=f"{collected.id}.yaml", mime="application/x-yaml",
                         on_click="ignore", disabled=not story.views)
    c[2].download_button("Download JSON", data=stories.dumps(collected, "json"),
                         file_name=f"{collected.id}.json", mime="application/json",
                         on_click="ignore", disabled=not story.views)
    st.file_uploader("Open a story file (YAML or JSON)", type=["yaml", "yml", "json"],
                     key="se_upload", on_change=_upload)
    if admin and story.id in saved_ids:
        d = st.columns([2, 1])
        d[0].checkbox(f"Yes, delete the saved story '{story.id}' for everyone",
                      key="se_delete_sure")
        d[1].button("Delete saved story", key="se_delete_saved", on_click=_delete_saved,
                    disabled=not st.session_state.get("se_delete_sure"))
    state.write_url(Filters(), None, extra={"story": story.id, "mode": "edit"})


# --- page -----------------------------------------------------------------------------------


def _pick() -> None:
    wanted = st.session_state.get("story_pick")
    chosen = next((f for f in stories.available() if f.id == wanted), None)
    story = _open_path(chosen.path) if chosen else None
    if story is not None:
        _use(story)
        if st.session_state.get(MODE) == "play":
            _go(1)


def _mode_changed() -> None:
    st.session_state[MODE] = st.session_state.get("story_mode_pick", "edit")
    if st.session_state[MODE] == "play":
        st.session_state[STORY] = _collect()
        _go(st.session_state.get(STEP, 1))


def main() -> None:
    story: Story | None = st.session_state.get(STORY)
    for kind, text in st.session_state.pop(MESSAGES, []):
        getattr(st, kind)(inert_markdown(text))  # they quote files and URLs
    if not presenter.on():
        st.title("Stories", anchor=False)
        files = stories.available()
        ids = [f.id for f in files]
        labels = {f.id: f"{f.title} ({'example' if f.shipped else 'saved'})" for f in files}
        if story is not None and story.id not in ids:
            ids.insert(0, story.id)
            labels[story.id] = f"{story.title} (not saved)"
        if story is not None:
            st.session_state["story_pick"] = story.id
        c = st.columns([2, 1])
        if ids:
            c[0].selectbox("Story", ids, key="story_pick", format_func=labels.get,
                           on_change=_pick)
        st.session_state["story_mode_pick"] = st.session_state.get(MODE, "edit")
        c[1].radio("Mode", list(MODES), key="story_mode_pick", format_func=MODES.get,
                   on_change=_mode_changed, horizontal=True)
    if st.session_state.get(MODE) not in MODES:
        st.session_state[MODE] = "edit"
    if st.session_state[MODE] == "play" and story is not None and story.views:
        player(story)
    else:
        if presenter.on():
            st.info("Nothing to present: leave presenter mode to build a story.")
        editor(story)


shell.run(main, prepare=prepare)
