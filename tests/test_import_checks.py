"""Checks that stop made-up or misplaced data from being placed silently: country codes that
ISO does not assign, and points far out at sea with no country to check them against."""

from __future__ import annotations

from atlas.ingest.columns import suggest_mapping
from atlas.ingest.importer import ImportOptions, run_import
from atlas.ingest.reading import read_bytes
from atlas.ingest.values import normalise_country


def imported(data: bytes, layers, index):
    raw = read_bytes(data, "f.csv")
    result = run_import(raw, suggest_mapping(raw), ImportOptions(dataset_id="t"), layers, index)
    assert result.accepted + result.rejected == result.read
    return result, result.rows.set_index("name")


def test_country_codes_are_iso_codes():
    assert normalise_country("XX") is None and normalise_country("QQ") is None
    assert normalise_country("it") == "IT" and normalise_country("ITA") == "IT"
    assert normalise_country("UK") == "GB" and normalise_country("EL") == "GR"
    assert normalise_country("Germany") == "DE" and normalise_country("XK") == "XK"


def test_an_unknown_country_code_is_reported_not_kept(layers, index):
    result, rows = imported(b"name,country\nA,XX\nB,IT\n", layers, index)
    assert rows.loc["A", "country"] is None and rows.loc["B", "country"] == "IT"
    assert any("'XX' was not recognised" in w for w in result.warnings)


def test_a_lone_point_at_sea_is_flagged_not_placed(layers, index):
    data = (b"name,lat,lon\nA,44.49,11.34\nB,44.50,11.30\nSwapped,12.0,45.0\n"
            b"C,45.0,12.0\nD,43.70,7.26\nCoast,43.0,10.0\n")
    result, rows = imported(data, layers, index)
    assert rows.loc["Swapped", "placement"] == "none"  # the Gulf of Aden, far from the rest
    assert "in no country" in rows.loc["Swapped", "location_issue"]
    assert [f["line"] for f in result.flagged if "in no country" in f["issue"]] == [4]
    assert rows.loc["Coast", "placement"] == "point"  # at sea, but near the file's others
    assert (rows.drop(index="Swapped")["placement"] == "point").all()
