"""Property tests: any bytes either fail with ImportFailure (one line) or import with every row
accounted for (accepted + rejected == read). Never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas.ingest import columns
from atlas.ingest.importer import ImportFailure, ImportOptions, run_import
from atlas.ingest.reading import read_bytes
from tests import import_fixtures as fx

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def check(data: bytes, layers, index) -> None:
    try:
        raw = read_bytes(data, "fuzz.csv")
    except ImportFailure as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert raw.read == len(raw.cells) + len(raw.rejected)
    mapping = columns.suggest_mapping(raw)
    if not mapping["name"]:
        mapping["name"] = raw.columns[0]
    mapping["lat"] = mapping["lon"] = None if bool(mapping["lat"]) != bool(mapping["lon"]) \
        else mapping["lat"]
    if mapping["lat"] is None:
        mapping["lon"] = None
    result = run_import(raw, mapping, ImportOptions(dataset_id="fuzz", merge_duplicates=True),
                        layers, index)
    assert result.accepted + result.rejected == result.read
    assert result.rows["id"].is_unique
    report = result.report()
    assert report["accepted"] + report["rejected"] == report["read"]
    assert all(isinstance(r["line"], int) for r in report["rejections"])


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_parser(layers, index, data):
    check(data, layers, index)


@SETTINGS
@given(fx.csv_like())
def test_random_csv_text_keeps_the_row_accounting(layers, index, data):
    check(data, layers, index)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-200, 200), fx.CELL), max_size=20))
def test_random_coordinates_are_placed_or_flagged(layers, index, points):
    body = "\n".join(f"coop {i},{lat},{lon},{region.replace(',', ' ').replace(chr(34), '')}"
                     for i, (lat, lon, region) in enumerate(points))
    data = ("name,lat,lon,region\n" + body.replace("\r", " ") + "\n").encode()
    try:
        raw = read_bytes(data)
    except ImportFailure:
        return
    result = run_import(raw, columns.suggest_mapping(raw), ImportOptions(), layers, index)
    assert result.accepted + result.rejected == result.read
    rows = result.rows
    pointed = rows["placement"] == "point"
    assert rows.loc[pointed, "lat"].between(-90, 90).all()
    assert rows.loc[pointed, "lon"].between(-180, 180).all()
    assert (rows.loc[rows["placement"] == "none", "location_issue"].notna()).all()
