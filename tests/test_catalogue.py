"""The dataset catalogue: shipped, saved and session datasets with namespaced refs, one id
each, looked up by the `source` of the rows they describe."""

import pytest

from atlas.model.sources import SOURCES, short_titles
from atlas.store.catalogue import Dataset, catalogue


def test_shipped_saved_and_session_datasets_in_one_catalogue():
    saved = Dataset("saved", "my-coops", "My co-ops", "CC-BY-4.0", "Me", 12)
    session = Dataset("session", "survey", "Survey", "not stated", "Survey", 3)
    cat = catalogue([saved], [session])
    assert [d.ref for d in cat.datasets] == [
        *(f"shipped:{s}" for s in SOURCES), "saved:my-coops", "session:survey"]
    assert cat.get("saved:my-coops") is saved and cat.get("session:my-coops") is None
    assert cat.of_source("survey") is session
    assert cat.imported() == [saved, session]
    assert cat.titles() == {**short_titles(), "my-coops": "My co-ops", "survey": "Survey"}
    assert cat.ids() == {*SOURCES, "my-coops", "survey"}
    assert session.where == "imported in this session only" and saved.saved


def test_an_id_is_never_used_twice():
    with pytest.raises(ValueError, match="'susy' is used twice"):
        catalogue(session=[Dataset("session", "susy", "x", "x", "x")])
    with pytest.raises(ValueError, match="used twice"):
        catalogue([Dataset("saved", "a", "A", "x", "x")], [Dataset("session", "a", "A", "x", "x")])
    with pytest.raises(ValueError, match="unknown dataset kind"):
        Dataset("elsewhere", "a", "A", "x", "x")
