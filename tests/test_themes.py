"""The taxonomy and its mapping tables: complete, consistent, and applied as written."""

import csv
import json

import pytest

from atlas.model import themes as th
from atlas.paths import TAXONOMY_DIR

ROUND_TABLE = ["employment", "proximity", "social_services"]


def test_round_table_themes_come_first_and_all_required_themes_exist():
    ids = th.theme_ids()
    assert ids[:3] == ROUND_TABLE
    for required in [
        "local_production", "environment", "energy", "circular", "housing", "finance",
        "fair_trade", "education_culture", "community", "social_innovation",
    ]:
        assert required in ids


def test_every_theme_has_label_definition_and_valid_sdgs():
    for theme in th.load_themes():
        assert theme.label and len(theme.definition) > 30
        assert theme.sdgs and all(1 <= s <= 17 for s in theme.sdgs)


@pytest.mark.parametrize(
    "name,key",
    [
        ("susy_tags.csv", "tag"),
        ("coopsuk_sectors.csv", "sector"),
        ("ica_activities.csv", "code"),
        ("coopsuk_ownership.csv", "ownership"),
    ],
)
def test_mapping_files_only_name_known_themes(name, key):
    mapping = th.load_mapping(name, key)
    assert mapping
    known = set(th.theme_ids())
    assert all(set(v) <= known for v in mapping.values())


def test_unknown_theme_in_a_mapping_fails_loudly(tmp_path):
    (tmp_path / "themes.yaml").write_text((TAXONOMY_DIR / "themes.yaml").read_text())
    (tmp_path / "bad.csv").write_text("tag,themes\nfoo,employment;nonsense\n")
    th.load_themes.cache_clear()
    th.load_mapping.cache_clear()
    with pytest.raises(ValueError, match="nonsense"):
        th.load_mapping("bad.csv", "tag", tmp_path)
    th.load_mapping.cache_clear()


def test_susy_tag_normalisation_handles_case_spacing_commas_and_typos():
    assert th.normalise_susy_tags("recycling_foodwaste; Other_Foodrescue") == [
        "recycling_foodwaste", "other_foodrescue"]
    assert th.normalise_susy_tags("agroecology_education, other") == [
        "agroecology_education", "other"]
    assert th.normalise_susy_tags("other_educatio") == ["other_education"]
    assert th.normalise_susy_tags(None) == []


def test_reviewer_spot_checks_of_the_mappings():
    tags = th.susy_tags()
    assert tags["socialinclusion_employment"] == ("employment",)
    assert "proximity" in tags["communitysupported_agriculture"]
    assert "proximity" in tags["local_farmersmarket"]
    assert "social_services" in tags["foodbank"]
    assert "circular" in tags["repair_cafe"]
    assert tags["other"] == ()
    sectors = th.load_mapping("coopsuk_sectors.csv", "sector")
    assert sectors["Health and Social Care"] == ("social_services",)
    assert sectors["Housing"] == ("housing",)
    assert th.load_mapping("coopsuk_ownership.csv", "ownership")["Workers"] == ("employment",)


def test_themes_for_is_a_union_in_taxonomy_order():
    sectors = th.load_mapping("coopsuk_sectors.csv", "sector")
    owners = th.load_mapping("coopsuk_ownership.csv", "ownership")
    got = th.themes_for([(sectors, "Retail"), (owners, "Workers"), (sectors, None)])
    assert got == ["employment", "proximity"]
    assert th.themes_for([(sectors, "Other")]) == []


def test_susy_tag_table_covers_the_whole_ssedas_taxonomy(shared_source):
    with open(TAXONOMY_DIR / "susy_tags.csv", newline="") as fh:
        ours = {r["tag"] for r in csv.DictReader(fh)}
    source = shared_source("transformap-ssedas-taxonomy", "taxonomy.en.json")
    rows = json.loads(source.read_text())["results"]["bindings"]
    theirs = {r["type_of_initiative_tag"]["value"] for r in rows if "type_of_initiative_tag" in r}
    assert ours == theirs
