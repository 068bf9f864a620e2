"""Your data (URL path `data`): import a register, check it, see it on the map, keep it.

Upload (or paste) → pick the sheet → map the columns (suggested) → check → confirm region
names and keyword themes → use it in this session, or save it for everyone (admin secret).
All the work is in atlas.ingest.importer / atlas.geo.placement / atlas.store.workspace; reading and
checking
run in a child process with a time and memory budget (atlas.ingest.sandbox), stopped when
the visitor leaves. Text from the user's file is only shown in tables or as plain text,
never as markup.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from atlas.ingest import columns, importer, reading, sandbox, worker
from atlas.ingest.encoding import CHOICES as ENCODINGS
from atlas.present.exports import csv_bytes
from atlas.store.catalogue import Dataset
from atlas.store.workspace import WorkspaceError
from atlas.text import inert_markdown
from ui import data, shell
from ui.admin import admin_box

NONE = "— none —"
FLASH = "imp_flash"


def upload(limits: importer.Limits) -> tuple[bytes, str] | None:
    """The file's bytes and name, from the uploader or the paste box."""
    st.caption(f"CSV (comma, semicolon, tab or pipe; UTF-8, UTF-16 or a legacy encoding such "
               f"as Windows-1252, 1250 or 1253, detected), XLSX or GeoJSON. Limits: "
               f"{limits.describe()}, {limits.timeout_s:,.0f} s of reading (ATLAS_MAX_UPLOAD_MB, "
               "ATLAS_MAX_ROWS, ATLAS_MAX_COLUMNS, ATLAS_IMPORT_TIMEOUT_S).")
    file = st.file_uploader("Your register", key="imp_file",
                            type=["csv", "tsv", "txt", "xlsx", "geojson", "json"])
    pasted = st.text_area("…or paste a table (for example cells copied from a spreadsheet)",
                          key="imp_paste", height=100)
    if file is not None:
        if file.size > limits.max_bytes:
            st.error(f"This file is {file.size / 1e6:,.1f} MB; the limit is "
                     f"{limits.max_mb:,.0f} MB.")
            return None
        return file.getvalue(), file.name
    if pasted.strip():
        return pasted.encode("utf-8"), "pasted.csv"
    return None


AUTO = "detect"


def progress(what: str):
    """A `tick` for atlas.ingest.sandbox: a caption saying how long it has taken. Streamlit
    stops this run inside it when the visitor leaves, which stops the import's process."""
    slot = st.empty()
    shown = [-1]

    def tick(elapsed: float, stage: str) -> None:
        if int(elapsed) != shown[0]:
            shown[0] = int(elapsed)
            slot.caption(f"{what}… {int(elapsed)} s" if stage == "running" else
                         f"Waiting for another visitor's import to finish… {int(elapsed)} s")

    return slot, tick


def in_child(what: str, func, *args, limits: importer.Limits | None = None):
    """`func(*args)` in an import process (atlas.ingest.sandbox), with progress shown."""
    slot, tick = progress(what)
    try:
        return sandbox.run(func, *args, limits=limits, tick=tick)
    finally:
        slot.empty()


def encoding_choice(name: str) -> str | None:
    """The text encoding the visitor chose for a CSV (None: detect it)."""
    if name.lower().endswith((".xlsx", ".geojson", ".json")):
        return None
    choice = st.selectbox("Text encoding", [AUTO, *ENCODINGS], key="imp_encoding",
                          format_func=lambda c: "detect it" if c == AUTO else ENCODINGS[c],
                          help="Leave on 'detect it'; the report says which encoding was used. "
                               "Choose one if names look wrong (e.g. Windows-1250 for Polish).")
    return None if choice == AUTO else choice


def read(content: bytes, name: str, limits: importer.Limits) -> reading.RawTable | None:
    """The parsed file, kept in the session (keyed on content, sheet and encoding) so reruns
    are cheap."""
    token = hashlib.sha256(content).hexdigest()[:16]
    sheet = st.session_state.get(f"imp_sheet_{token}")
    encoding = encoding_choice(name)
    cached = st.session_state.get("imp_raw")
    if cached and cached[0] == (token, sheet, encoding):
        return cached[1]
    try:
        raw = in_child("Reading the file", worker.read, content, name, sheet, limits, encoding,
                       limits=limits)
    except importer.ImportFailure as exc:
        st.error("This file could not be read:")
        st.text(str(exc))
        return None
    st.session_state["imp_raw"] = ((token, sheet, encoding), raw)
    st.session_state["imp_token"] = token
    st.session_state.pop("imp_result", None)
    return raw


def mapping_form(raw: reading.RawTable, name: str, token: str):
    """Column mapping (pre-filled with suggestions) and dataset details; returns the submitted
    mapping and options, or None."""
    suggested = columns.suggest_mapping(raw)
    options = [NONE, *raw.columns]
    with st.form(f"imp_mapping_{token}"):
        st.subheader("2. Which column is which?")
        st.caption("Suggestions are filled in; correct them if needed. Rows need a name; they "
                   "are placed by their coordinates, else by the region they name.")
        mapping: dict[str, object] = {}
        cols = st.columns(3)
        for i, (fld, label) in enumerate(columns.FIELDS.items()):
            box = cols[i % 3]
            if fld == "themes":
                mapping[fld] = box.multiselect(label, raw.columns, default=suggested["themes"],
                                               key=f"imp_map_{fld}_{token}")
                continue
            current = suggested.get(fld)
            mapping[fld] = box.selectbox(label, options, key=f"imp_map_{fld}_{token}",
                                         index=options.index(current) if current else 0)
        st.subheader("About this dataset")
        c1, c2, c3 = st.columns(3)
        title = c1.text_input("Name shown in the atlas", value=Path(name).stem,
                              key=f"imp_title_{token}", max_chars=120)
        license = c2.text_input("Licence", value="not stated", key=f"imp_license_{token}",
                                max_chars=120, help="e.g. CC-BY-4.0, ODbL-1.0, CC0-1.0")
        attribution = c3.text_input("Attribution (how to credit it)", key=f"imp_attr_{token}",
                                    max_chars=300)
        c1, c2, c3 = st.columns(3)
        country = c1.text_input("Country of rows that state none (ISO code, e.g. IT)",
                                key=f"imp_country_{token}", max_chars=2)
        swap = c2.checkbox("Swap latitude and longitude where they look swapped",
                           key=f"imp_swap_{token}")
        merge = c3.radio("Duplicates (same id, or same name within 100 m)",
                         ["Keep all rows", "Merge into the first row"], key=f"imp_dupes_{token}")
        if not st.form_submit_button("Check the file", type="primary"):
            return None
    clean = {k: (None if v == NONE else v) for k, v in mapping.items()}
    opts = importer.ImportOptions(
        dataset_id=importer.slug(title), title=title.strip() or Path(name).stem,
        license=license.strip() or "not stated", attribution=attribution.strip(),
        country=country.strip().upper() or None, swap_latlon=swap,
        merge_duplicates=merge.startswith("Merge"),
    )
    return clean, opts


def check(raw, mapping, opts) -> None:
    try:
        result = in_child("Checking and placing every row", worker.check, raw, mapping, opts)
    except importer.ImportFailure as exc:
        st.error("The file cannot be imported with this mapping:")
        st.text(str(exc))
        return
    result.source = raw  # the child sent it back without the cells
    st.session_state["imp_result"] = result


def report(result: importer.ImportResult) -> None:
    """Counts, then every rejected and flagged row, with downloads."""
    rep = result.report()
    st.subheader("3. Report")
    st.text(f"Detected: {rep['format']}")
    c = st.columns(6)
    c[0].metric("Rows read", f"{rep['read']:,}")
    c[1].metric("Accepted", f"{rep['accepted']:,}")
    c[2].metric("Rejected", f"{rep['rejected']:,}")
    c[3].metric("Placed by coordinates", f"{rep['placed']['coordinates']:,}")
    c[4].metric("Placed by region (approx.)", f"{rep['placed']['region']:,}")
    c[5].metric("Not on the map", f"{rep['placed']['none']:,}")
    st.caption(f"Accepted + rejected = read: {rep['accepted']:,} + {rep['rejected']:,} = "
               f"{rep['read']:,}. Rows placed by region count in that region and are drawn at "
               "its label point, marked approximate.")
    for warning in rep["warnings"]:
        st.warning("File warning:", icon="⚠️")
        st.text(warning)
    if rep["rejections"]:
        st.markdown(f"**Rejected rows ({rep['rejected']:,})**")
        frame = result.rejections_frame()
        st.dataframe(frame, hide_index=True, width="stretch", height=220)
        st.download_button("Download rejected rows (CSV)", csv_bytes(frame),
                           file_name="rejected-rows.csv", mime="text/csv", key="imp_dl_rej")
    if rep["flagged"]:
        st.markdown(f"**Rows to check ({len(rep['flagged']):,})** — accepted, but a point was "
                    "not used or the row could not be placed")
        flagged = pd.DataFrame(rep["flagged"])
        st.dataframe(flagged, hide_index=True, width="stretch", height=220)
        st.download_button("Download rows to check (CSV)", csv_bytes(flagged),
                           file_name="rows-to-check.csv", mime="text/csv", key="imp_dl_flag")
    if rep["duplicate_groups"]:
        st.markdown(f"**Duplicates: {rep['duplicates']:,} rows repeat an earlier one** "
                    f"({'merged' if rep['duplicates_merged'] else 'kept'}; change this above)")
        groups = pd.DataFrame([{"lines": ", ".join(map(str, g["lines"])), "reason": g["reason"]}
                               for g in rep["duplicate_groups"]])
        st.dataframe(groups, hide_index=True, width="stretch", height=180)
    if rep["unmapped_themes"]:
        st.caption("Categories that match no theme (most frequent first):")
        st.dataframe(pd.DataFrame(list(rep["unmapped_themes"].items()),
                                  columns=["category", "rows"]), hide_index=True, height=150)
    st.download_button("Download the full report (JSON)",
                       json.dumps(rep, ensure_ascii=False, default=str).encode("utf-8"),
                       file_name="import-report.json", mime="application/json",
                       key="imp_dl_json")


def review(result: importer.ImportResult) -> None:
    """Confirm unsure region names and keyword themes, then check again."""
    unsure = [r for r in result.regions if not r["region"]]
    keywords = result.keyword_suggestions
    if not unsure and not keywords:
        return
    with st.form("imp_review"):
        st.subheader("4. Confirm")
        choices: dict[str, str] = dict(result.options.region_choices)
        if unsure:
            st.caption("Region names not matched exactly: pick the region each one means (or "
                       "leave it unplaced). Rows then count in that region.")
            for i, r in enumerate(unsure[:50]):
                refs = ["", *(s["region"] for s in r["suggestions"])]
                labels = {"": "leave unplaced",
                          **{s["region"]: s["label"] for s in r["suggestions"]}}
                st.text(f"“{r['value']}” ({r['rows']} rows)")  # user text: plain, never markup
                choice = st.selectbox(f"Region meant by name {i + 1}", refs,
                                      format_func=labels.get, key=f"imp_region_{i}")
                if choice:
                    choices[r["value"]] = choice
        accepted: set[str] = set(result.options.keywords or ())
        if keywords:
            st.caption("Rows without a theme whose name or description contains a keyword: tick "
                       "the keywords whose themes you accept.")
            for k in keywords[:40]:
                if st.checkbox(f"“{k['keyword']}” → {', '.join(k['theme_labels'])} "
                               f"({k['rows']} rows)", key=f"imp_kw_{k['keyword']}",
                               value=k["keyword"] in accepted):
                    accepted.add(k["keyword"])
                else:
                    accepted.discard(k["keyword"])
        if st.form_submit_button("Apply and check again"):
            opts = result.options
            opts = importer.ImportOptions(**{**vars(opts), "region_choices": choices,
                                             "keywords": frozenset(accepted)})
            check(result.source, result.mapping, opts)
            st.rerun()


def use_in_session(result: importer.ImportResult, token: str) -> None:
    """Add the rows to this session under an id no shipped or saved data uses ('susy' gives
    'susy-2'): an import never shadows other data, and each popup stays its own row's."""
    opts = result.options  # importing the same name again replaces this session's own copy
    session_id = importer.unused_id(opts.dataset_id,
                                    data.taken_ids() - set(data.session_imports()))
    source = Dataset("session", session_id, opts.title, opts.license,
                     opts.attribution or opts.title, result.accepted)
    data.add_session_import(source, importer.relabel(result.rows, session_id), token)
    renamed = "" if session_id == opts.dataset_id else \
        f" (the id '{opts.dataset_id}' is used by other data)"
    st.session_state[FLASH] = ("success", f"Added to this session as source '{session_id}'"
                               f"{renamed}: open the Map page to see it.")


def keep(result: importer.ImportResult, admin: bool) -> None:
    """Use the rows in this session, or save them into the shared workspace."""
    st.subheader("5. Use it")
    opts = result.options
    token = f"{st.session_state.get('imp_token', '')}:{id(result)}"
    c1, c2 = st.columns(2)
    if c1.button("Show on the map (this session only)", type="primary", key="imp_use",
                 disabled=not result.accepted):
        use_in_session(result, token)
        st.rerun()
    existing = data.workspace().exists(opts.dataset_id)
    replace = existing and c2.checkbox(
        "Replace the existing dataset", key="imp_replace", disabled=not admin,
        help="A dataset with this id is saved already; tick to replace it with this file.")
    help_text = ("A dataset with this id is saved already: saving replaces it only with the "
                 "box above ticked." if existing else
                 "Saved datasets appear for every visitor and survive restarts.")
    if c2.button("Save to the shared workspace", key="imp_save",
                 disabled=not (admin and result.accepted), help=help_text):
        if not admin:  # the button is disabled; never trust that alone
            st.error("Saving needs the admin secret.")
            return
        if existing and not replace:
            st.error(inert_markdown(f"Nothing saved: a saved dataset already has the id "
                                    f"'{opts.dataset_id}'. Tick 'Replace the existing "
                                    "dataset' to replace it, or change the dataset name."))
            return
        try:  # replace=False also refuses an id saved meanwhile by someone else
            saved = data.workspace().save(opts.dataset_id, result.rows, title=opts.title,
                                          license=opts.license, attribution=opts.attribution,
                                          origin="uploaded through the data page",
                                          report=result.report(), replace=replace)
        except (WorkspaceError, OSError) as exc:
            st.error("Saving failed:")
            st.text(str(exc))
            return
        st.session_state.pop("imp_replace", None)  # the next save asks again
        data.remove_session_import(saved.id)
        st.session_state[FLASH] = ("success", f"Saved as dataset '{saved.id}' "
                                   f"({saved.rows:,} rows).")
        st.rerun()
    if not admin:
        c2.caption("Saving for everyone needs the admin secret (see above).")


def listing(admin: bool) -> None:
    """This session's imports and the saved datasets; removing and deleting."""
    own = data.session_imports()
    if own:
        st.subheader("In this session")
        st.dataframe(pd.DataFrame([{"id": k, "name": v.source.title, "rows": v.source.rows,
                                    "licence": v.source.license} for k, v in own.items()]),
                     hide_index=True, width="stretch")
        drop = st.selectbox("Remove from this session", ["", *own], key="imp_drop")
        if drop and st.button("Remove", key="imp_drop_btn"):
            data.remove_session_import(drop)
            st.rerun()
    saved = data.workspace().datasets()
    st.subheader("Saved datasets")
    if not saved:
        st.caption("None yet.")
        return
    st.dataframe(pd.DataFrame([{"id": d.id, "name": d.title, "rows": d.rows,
                                "licence": d.license, "attribution": d.attribution,
                                "imported": d.date, "sha256": d.sha256[:12]} for d in saved]),
                 hide_index=True, width="stretch")
    if admin:
        victim = st.selectbox("Delete a saved dataset", ["", *(d.id for d in saved)],
                              key="imp_delete")
        sure = st.checkbox("Yes, delete it for everyone", key="imp_delete_sure")
        if st.button("Delete", disabled=not (victim and sure), key="imp_delete_btn"):
            if data.workspace().delete(victim):
                st.session_state[FLASH] = ("success", f"Deleted dataset '{victim}'.")
            st.rerun()


def main() -> None:
    st.title("Your data")
    st.markdown("Load your own register of initiatives — a spreadsheet from an SSE office, a "
                "cooperative registry extract, a CSV from a mapping platform — check what was "
                "accepted and why the rest was not, and see it on the map.")
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(inert_markdown(flash[1]))
    admin = admin_box()
    limits = importer.Limits.from_env()
    st.subheader("1. Your file")
    got = upload(limits)
    if got is not None:
        content, name = got
        raw = read(content, name, limits)
        if raw is not None:
            token = st.session_state["imp_token"]
            if raw.format == "xlsx" and len(raw.sheets) > 1:
                st.selectbox("Sheet", raw.sheets, key=f"imp_sheet_{token}",
                             index=raw.sheets.index(raw.sheet))
            st.text(f"{raw.describe()}: {raw.read:,} rows, {len(raw.columns)} columns")
            for warning in raw.warnings:
                st.warning("File warning:", icon="⚠️")
                st.text(warning)
            st.dataframe(raw.cells.head(10), hide_index=True, width="stretch")
            submitted = mapping_form(raw, name, token)
            if submitted:
                check(raw, *submitted)
            result = st.session_state.get("imp_result")
            if result is not None and result.source is raw:
                report(result)
                review(result)
                keep(result, admin)
    listing(admin)


shell.run(main)
