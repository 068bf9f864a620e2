"""A visitor's own import is an overlay on the shared table: it never hides shipped or saved
rows, every popup describes its own row, and the shared text is not copied per visitor."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def overlay_script() -> None:
    import streamlit as st

    from atlas.ingest import columns, importer, reading
    from atlas.present.mapview import esc
    from atlas.store.catalogue import Dataset
    from ui import data

    shipped = data.shipped_initiatives()
    raw = reading.read_bytes(b"name,city\nCoop Alfa,Bologna\nCoop Beta,Roma\n")
    result = importer.run_import(raw, columns.suggest_mapping(raw),
                                 importer.ImportOptions(dataset_id="susy", title="susy"),
                                 data.all_layers(), data.region_index())
    try:
        data.add_session_import(Dataset("session", "susy", "susy", "x", "x", 2),
                                result.rows, "t1")
        st.text("shadowed: yes")
    except ValueError:
        st.text("shadowed: refused")
    free = importer.unused_id("susy", data.taken_ids())
    data.add_session_import(Dataset("session", free, "susy", "x", "x", 2),
                            importer.relabel(result.rows, free), "t2")
    df, parts = data.initiatives(), data.popups()
    st.text(f"free id: {free}")
    st.text(f"rows: {len(df)} = {len(shipped)} + 2")
    st.text(f"shipped kept: {int((df['source'].isin(['susy', 'coopsuk'])).sum())}")
    names = [esc(n) for n in df["name"]]
    st.text(f"popups aligned: {parts.reindex(df['id'])['name'].tolist() == names}")
    st.text(f"ids unique: {df['id'].is_unique}")
    copied = [c for c in shipped.columns if shipped[c].dtype != df[c].dtype]
    st.text(f"dtypes changed: {copied}")


def test_an_import_named_like_a_shipped_source_is_an_overlay():
    at = AppTest.from_function(overlay_script, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = {t.value.split(": ", 1)[0]: t.value.split(": ", 1)[1] for t in at.text}
    assert texts["shadowed"] == "refused"
    assert texts["free id"] == "susy-2"
    total, rest = texts["rows"].split(" = ")
    shipped = int(rest.split(" + ")[0])
    assert int(total) == shipped + 2 and int(texts["shipped kept"]) == shipped
    assert texts["popups aligned"] == "True"  # each row finds its popup by its id
    assert texts["ids unique"] == "True"
    assert texts["dtypes changed"] == "[]"  # text stays Arrow: concatenating copies none
