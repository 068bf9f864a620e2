"""One RegionProfile: the CLI (`python -m atlas profile`), the region page and the PDF brief
all show the same object's figures."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import pandas as pd
import pytest
from pypdf import PdfReader

from atlas.analysis.profile import build_profile
from atlas.cli import main
from atlas.geo.regions import load_layer
from atlas.model.filters import Filters
from atlas.paths import ROOT
from atlas.present import render
from atlas.store.initiatives import load_initiatives
from tests.apptest import open_page


@pytest.fixture(scope="module")
def shipped():
    df = load_initiatives()
    tables = {lid: pd.DataFrame(load_layer(lid).drop(columns="geometry"))
              for lid in ("nuts2", "uk_regions", "countries")}
    return df, tables


def profile_of(shipped, layer, code, f=Filters()):
    df, tables = shipped
    return build_profile(df, tables[layer], layer, code, f, tables["countries"])


def test_cli_json_is_the_profile(shipped, capsys):
    assert main(["profile", "nuts2:ITH5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    p = profile_of(shipped, "nuts2", "ITH5")
    assert out["name"] == "Emilia-Romagna" and out["code"] == "ITH5" and out["layer"] == "nuts2"
    assert out["country_name"] == "Italy"
    assert out["counts"]["initiatives"] == p.initiatives == 31
    assert out["ranks"] == {"in_layer": 11, "regions_in_layer": 299, "in_country": 3,
                            "regions_in_country": 21}
    assert out["per_100k"] == pytest.approx(p.per_100k)
    assert {t["theme"] for t in out["theme_mix"]} >= {"employment", "proximity"}
    assert any(s["source"] == "SUSY/TransforMap" and s["records_in_region"] == 31
               for s in out["sources"])
    assert "not every SSE initiative" in out["coverage_note"]
    assert out["no_data"] == {}


def test_cli_follows_filters_and_prints_text(shipped, capsys):
    assert main(["profile", "uk_regions:uki", "--filters", "theme=housing"]) == 0
    text = capsys.readouterr().out
    p = profile_of(shipped, "uk_regions", "UKI", Filters(themes=("housing",)))
    assert text.startswith("London (UKI) · UK regions (ITL 1) · United Kingdom")
    assert "Filters: themes: Housing" in text
    for label, value in p.figures():
        assert f"{label}" in text and value in text


@pytest.mark.parametrize("ref, reason", [
    ("nuts9:ITH5", "unknown layer 'nuts9'"),
    ("ITH5", "unknown layer 'ITH5'"),
    ("nuts2:XX99", "no region 'XX99' in NUTS 2 regions"),
])
def test_cli_unknown_layer_or_code_exits_2_with_one_line(ref, reason):
    proc = subprocess.run([sys.executable, "-m", "atlas", "profile", ref, "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "Traceback" not in proc.stderr


def test_cli_unknown_filter_value_exits_2(capsys):
    assert main(["profile", "nuts2:ITH5", "--filters", "theme=bogus"]) == 2
    assert "'bogus'" in capsys.readouterr().err


def test_missing_population_is_no_data_with_its_reason(shipped):
    df, tables = shipped
    regions = tables["nuts2"].assign(population=float("nan"))
    p = build_profile(df, regions, "nuts2", "ITH5", Filters(), tables["countries"])
    out = p.to_json()
    assert out["per_100k"] is None and out["population"] is None
    assert "population unknown" in out["no_data"]["per_100k"]
    assert dict(p.figures())["Per 100,000 inhabitants"] == "no data"
    json.dumps(out, allow_nan=False)  # no NaN reaches JSON


def test_region_page_shows_the_profile_figures(shipped):
    p = profile_of(shipped, "nuts2", "ITH5")
    at = open_page("pages/region.py", {"layer": "nuts2", "region": "ITH5"})
    shown = {m.label: m.value for m in at.metric}
    figures = dict(p.figures())
    assert shown["Initiatives"] == figures["Initiatives"]
    assert shown["Per 100,000 inhabitants"] == figures["Per 100,000 inhabitants"]
    assert shown["Rank in layer"] == figures["Rank in layer (by initiatives)"]
    assert shown["Rank in country"] == figures["Rank in country"]
    assert p.coverage_note.split(" — ")[0] in at.info[0].value.replace("\\", "")


def test_pdf_brief_prints_every_profile_figure(shipped):
    p = profile_of(shipped, "uk_regions", "UKI")
    pdf = render.region_brief_pdf(p, regions=load_layer("uk_regions"), outlines=None,
                                  filters_text="no filter")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for label, value in p.figures():
        assert f"{label} {value}" in text
    assert not math.isnan(p.per_100k)
