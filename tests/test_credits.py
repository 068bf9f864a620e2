"""Credits come from one place: the shipped sidecars (layers, initiatives) and the source
records. A changed sidecar changes every credit line built from it."""

from __future__ import annotations

import shutil

import yaml

from atlas import paths
from atlas.model import credits
from atlas.model.layers import LAYER_IDS, geo_file


def test_layer_credits_follow_their_sidecar(tmp_path, monkeypatch):
    for lid in ("nuts2", "countries"):
        side = paths.GEO_DIR / (geo_file(lid) + ".meta.yaml")
        shutil.copy(side, tmp_path / side.name)
    side = tmp_path / (geo_file("nuts2") + ".meta.yaml")
    meta = yaml.safe_load(side.read_text(encoding="utf-8"))
    meta["attribution"] = "Boundaries by a test producer. Population by another"
    side.write_text(yaml.safe_dump(meta), encoding="utf-8")
    monkeypatch.setattr(paths, "GEO_DIR", tmp_path)
    line = credits.attribution_lines("nuts2")[0]
    assert line.startswith("Boundaries by a test producer · Population by another")
    assert "Made with Natural Earth" in line  # the countries outlines behind it
    assert "Population by another" in credits.map_attributions(("nuts2", "countries"))
    assert credits.layer_credit("nuts2").attribution == meta["attribution"]


def test_every_layer_and_source_is_credited_once():
    lines = credits.map_attributions()
    assert len(lines) == len(set(lines))
    assert lines[-1].startswith("Initiatives: SUSY / TransforMap")
    assert "Co-operatives UK open data (ODC-By 1.0)" in lines[-1]
    for lid in LAYER_IDS:
        for part in credits.layer_credit(lid).attribution.replace(". ", ".|").split("|"):
            assert part.strip().rstrip(".") in lines


def test_small_map_credits_abbreviate_the_full_ones():
    full = " ".join(credits.map_attributions())
    for short in credits.SMALL_MAP_ATTRIBUTIONS:
        for word in ("EuroGeographics", "GISCO", "Natural Earth", "Co-operatives UK"):
            if word in short:
                assert word in full


def test_brief_credits_list_shipped_imported_layer_and_outlines():
    rows = credits.brief_credits("uk_regions", [("My data", "CC0", "Me")])
    titles = [r.title for r in rows]
    assert titles[-1] == credits.layer_credit("countries").title
    assert titles[-2] == credits.layer_credit("uk_regions").title
    assert ("My data", "CC0", "Me") in rows
    assert len(credits.brief_credits("countries")) == len(credits.source_credits()) + 1


def test_the_territory_is_credited_from_its_sidecars():
    rows = credits.context_credits()
    assert len(rows) == len(credits.CONTEXT_FILES)
    assert any("Eurostat" in r.attribution for r in rows)
    assert any("source link" in r.attribution for r in rows)  # the compiled policies/figures
    assert "Source: Eurostat (nama_10r_3gdp)" in credits.data_line()
    gdp = credits.context_source("nama_10r_3gdp")
    assert gdp.attribution == "Source: Eurostat (nama_10r_3gdp)" and "CC BY 4.0" in gdp.licence
    assert credits.context_source("nope").licence == "not recorded"


def test_the_footer_line_credits_initiatives_first_then_every_layer():
    line = credits.data_line()
    assert line.startswith("Data: SUSY / TransforMap")
    for part in credits.map_attributions()[:-1]:
        assert part in line
