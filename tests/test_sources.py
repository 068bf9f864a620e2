"""Source readers on small hand-made snippets of each format (not real records)."""

import json

import pandas as pd

from atlas.build.pipeline import VOCABS
from atlas.build.sources import read_coopsuk, read_susy
from atlas.ingest.values import clean_url, coordinate_issue, normalise_country


def test_clean_url_accepts_only_http_links_with_a_host():
    assert clean_url("https://example.org/x") == "https://example.org/x"
    assert clean_url("www.example.org") == "http://www.example.org"
    assert clean_url("update6") is None
    assert clean_url("javascript:alert(1)") is None
    assert clean_url("http://exa mple.org") is None
    assert clean_url(None) is None


def test_coordinate_issue_names_the_problem():
    assert coordinate_issue(51.5, -0.1) is None
    assert "no coordinates" in coordinate_issue(None, None)
    assert "0,0" in coordinate_issue(0.0, 0.0)
    assert "out of range" in coordinate_issue(95.0, 10.0)


def test_normalise_country_reads_names_codes_and_languages():
    assert normalise_country("Österreich") == "AT"
    assert normalise_country("uk") == "GB"
    assert normalise_country("Ελλάδα") == "GR"
    assert normalise_country("EL") == "GR"
    assert normalise_country("DE") == "DE"
    assert normalise_country("SR") is None
    assert normalise_country("Atlantis") is None


def _susy(tmp_path, features):
    path = tmp_path / "susy.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return read_susy(path)


def _feature(fid, name, tags, lon=11.34, lat=44.49, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"_id": fid, "name": name, "type_of_initiative": tags, **props},
    }


def test_read_susy_accounts_for_every_row(tmp_path):
    result = _susy(
        tmp_path,
        [
            _feature("a", "Food coop", "food_cooperative;other", **{"contact:website": "x.org"}),
            _feature("b", "", "repair_cafe"),
            _feature("a", "Dup", "repair_cafe"),
            _feature("c", "Nowhere", "foodbank", lon=0, lat=0),
        ],
    )
    assert result.read == 4
    assert result.kept + len(result.rejected) == result.read
    assert [r["reason"] for r in result.rejected] == ["no name", "duplicate source id a"]
    rows = result.rows.set_index("source_id")
    assert rows.loc["a", "themes"] == ["proximity"]
    assert rows.loc["a", "website"] == "http://x.org"
    assert rows.loc["a", "id"] == "susy:a"
    assert rows.loc["a", "license"] == "Public Domain"
    assert pd.isna(rows.loc["c", "lat"]) and "0,0" in rows.loc["c", "location_issue"]
    assert result.unmapped["susy tag: other"] == 1


def test_read_coopsuk_uses_geo_container_and_maps_sector_ica_and_ownership(tmp_path,
                                                                          shared_source):
    vocabs = shared_source(VOCABS)
    header = (
        "Identifier,Name,Description,Organisational Structure,Primary Activity,Activities,"
        "Street Address,Locality,Region,Postcode,Country ID,Territory ID,Website,Phone,Email,"
        "Twitter,Facebook,Companies House Number,Qualifiers,Membership Type,Latitude,Longitude,"
        "Geo Container,Geo Container Latitude,Geo Container Longitude,Sector,SIC Section,"
        "SIC Code,Ownership Classification,Legal Form"
    )
    base = "https://dev.lod.coop/essglobal/2.1/standard/"
    row1 = (
        f'X1,"Bakery, Ltd","Bread\nand cakes",{base}organisational-structure/OS60,'
        f"{base}activities-ica/ICA260,,1 St,Leeds,Leeds,LS1,GB,,www.b.coop,,,,,,,,,,,"
        "53.8,-1.55,Retail,,,Workers,Society"
    )
    row2 = "X2,No point,,,,,,,,,GB,,,,,,,,,,,,,,,Housing,,,Tenants,Society"
    path = tmp_path / "coops.csv"
    path.write_text("\n".join([header, row1, row2]) + "\n")
    result = read_coopsuk(path, vocabs)
    assert result.read == result.kept == 2
    rows = result.rows.set_index("source_id")
    assert rows.loc["X1", "name"] == "Bakery, Ltd"
    assert rows.loc["X1", "lat"] == 53.8 and rows.loc["X1", "lon"] == -1.55
    assert rows.loc["X1", "themes"] == ["employment", "proximity"]
    assert rows.loc["X1", "org_structure"] == "Workers co-operative"
    assert rows.loc["X1", "activity"] == "Wholesale and retail trade"
    assert rows.loc["X2", "themes"] == ["housing"]
    assert rows.loc["X2", "location_issue"] == "no coordinates in source"
