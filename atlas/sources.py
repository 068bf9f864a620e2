"""Readers for the shipped initiative sources: each turns one raw snapshot into schema rows.

Every row read is either kept (possibly without a point, with `location_issue` saying why) or
rejected with a reason: `kept + rejected == read` for every source.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from atlas import themes as th
from atlas.paths import TAXONOMY_DIR


@dataclass(frozen=True)
class SourceInfo:
    """What the app shows about a dataset: who made it, where it comes from, how to credit it."""

    id: str
    title: str
    producer: str
    origin: str
    license: str
    license_url: str
    attribution: str
    snapshot: str  # path of the raw file under shared/data-sources
    period: str


SOURCES: dict[str, SourceInfo] = {
    "susy": SourceInfo(
        id="susy",
        title="SUSY map of Sustainable and Solidarity Economy initiatives (TransforMap)",
        producer="SUSY project partners (SSEDAS, EU DEAR), via TransforMap",
        origin="https://data.transformap.co/place/SSEDAS_PARTNER (GitHub DigitalCommons/open-data, "
        "susy/original-data/data.json, commit d07106841d9c)",
        license="Public Domain",
        license_url="https://creativecommons.org/publicdomain/mark/1.0/",
        attribution="SUSY / TransforMap SSE initiatives (public domain)",
        snapshot="susy-transformap-sse-initiatives/susy_data.geojson",
        period="records 2016-12 to 2018-02",
    ),
    "coopsuk": SourceInfo(
        id="coopsuk",
        title="Co-operatives UK open data, Q2 2023 (ESSGlobal standard CSV)",
        producer="Co-operatives UK; converted and geocoded by Digital Commons Co-op",
        origin="GitHub DigitalCommons/open-data, workers-coop/standard.Q2-2023.postcodes.csv, "
        "commit d07106841d9c",
        license="ODC-By-1.0",
        license_url="https://opendatacommons.org/licenses/by/1-0/",
        attribution="Co-operatives UK open data (ODC-By 1.0). Postcode centroids: Contains OS "
        "data © Crown copyright and database right",
        snapshot="coops-uk-open-data-essglobal/standard.Q2-2023.postcodes.csv",
        period="Q2 2023",
    ),
}


def short_titles() -> dict[str, str]:
    """Short title of each shipped source (what popups, tables and exports show), by id."""
    return {k: s.title.split(" (")[0] for k, s in SOURCES.items()}


@dataclass
class SourceResult:
    """Rows kept from one source, the rejected ones with reasons, and unmapped categories."""

    source: str
    rows: pd.DataFrame
    read: int
    rejected: list[dict] = field(default_factory=list)  # {"source","line","source_id","reason"}
    unmapped: Counter = field(default_factory=Counter)  # category → rows carrying it

    @property
    def kept(self) -> int:
        return len(self.rows)


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", re.I)


def clean_url(raw: object) -> str | None:
    """An http(s) URL with a plausible host, or None: source URLs end up as links in popups."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or any(c.isspace() for c in text):
        return None
    if not re.match(r"^https?://", text, re.I):
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    return text


def coordinate_issue(lat: float | None, lon: float | None) -> str | None:
    """Why a coordinate pair is unusable, or None when it is fine."""
    if lat is None or lon is None or pd.isna(lat) or pd.isna(lon):
        return "no coordinates in source"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"coordinates out of range (lat {lat}, lon {lon})"
    if lat == 0 and lon == 0:
        return "coordinates are 0,0 (null island)"
    return None


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    with open(TAXONOMY_DIR / "country_names.csv", newline="", encoding="utf-8") as fh:
        return {r["raw"].strip().casefold(): r["iso2"] for r in csv.DictReader(fh)}


# Codes in use that ISO 3166-1 does not assign: Eurostat's UK and EL, and Kosovo.
EXTRA_COUNTRY_CODES = {"UK": "GB", "EL": "GR", "XK": "XK"}


def normalise_country(raw: object) -> str | None:
    """ISO alpha-2 from a free-text country: names in several languages (taxonomy table),
    ISO 3166-1 alpha-2 and alpha-3 codes and English names (pycountry). A code ISO does not
    assign ("XX") is None: a country is never made up."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    known = country_names().get(text.casefold())
    if known:
        return known
    upper = text.upper()
    if upper in EXTRA_COUNTRY_CODES:
        return EXTRA_COUNTRY_CODES[upper]
    if upper == "SR":  # "SR" in SUSY is not Suriname: left to the point-in-polygon join
        return None
    import pycountry

    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return found.alpha_2


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _account(source: str, records: list[dict], lines: list[int]) -> SourceResult:
    """Keep named, unique records; reject the others with a reason."""
    kept, rejected, seen = [], [], set()
    for rec, line in zip(records, lines, strict=True):
        reason = None
        if not rec.get("name"):
            reason = "no name"
        elif not rec.get("source_id"):
            reason = "no source id"
        elif rec["source_id"] in seen:
            reason = f"duplicate source id {rec['source_id']}"
        if reason:
            sid = rec.get("source_id")
            rejected.append({"source": source, "line": line, "source_id": sid, "reason": reason})
            continue
        seen.add(rec["source_id"])
        issue = coordinate_issue(rec.get("lat"), rec.get("lon"))
        if issue:
            rec["lat"] = rec["lon"] = None
        rec["location_issue"] = issue
        rec["id"] = f"{source}:{rec['source_id']}"
        rec["source"] = source
        rec["license"] = SOURCES[source].license
        kept.append(rec)
    return SourceResult(source, pd.DataFrame(kept), len(records), rejected)


def read_susy(path: Path) -> SourceResult:
    """SUSY/TransforMap GeoJSON: one Point feature per initiative, OSM-style properties."""
    data = json.loads(path.read_text(encoding="utf-8"))
    tag_themes, tag_labels = th.susy_tags(), th.susy_tag_labels()
    records, lines, unmapped = [], [], Counter()
    for index, feature in enumerate(data.get("features", []), start=1):
        props = feature.get("properties") or {}
        coords = (feature.get("geometry") or {}).get("coordinates") or [None, None]
        tags = th.normalise_susy_tags(props.get("type_of_initiative"))
        for tag in tags:
            if not tag_themes.get(tag):
                unmapped[f"susy tag: {tag}"] += 1
        records.append(
            {
                "source_id": _text(props.get("_id")),
                "name": _text(props.get("name")),
                "description": _text(props.get("description"))
                or next((_text(v) for k, v in props.items() if k.startswith("description:")), None),
                "lon": _float(coords[0]),
                "lat": _float(coords[1]),
                "country": normalise_country(props.get("addr:country")),
                "locality": _text(props.get("addr:city")),
                "themes": th.themes_for([(tag_themes, t) for t in tags]),
                "activity": "; ".join(tag_labels.get(t, (t, ""))[0] for t in tags) or None,
                "source_categories": ";".join(tags) or None,
                "website": clean_url(props.get("contact:website") or props.get("website")),
            }
        )
        lines.append(index)  # feature number in the FeatureCollection
    result = _account("susy", records, lines)
    result.unmapped = unmapped
    return result


def _float(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(out) else out


def _code(uri: object) -> str | None:
    """ESSGlobal URI → its code (last path segment): .../activities-ica/ICA280 → ICA280."""
    text = _text(uri)
    return text.rstrip("/").rsplit("/", 1)[-1] if text else None


@lru_cache(maxsize=4)
def skos_labels(path: Path) -> dict[str, str]:
    """English prefLabels of an ESSGlobal SKOS vocabulary, by concept code."""
    ns = {
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    }
    labels = {}
    # The vocabularies are the pinned ESSGlobal snapshot, not user input.
    for concept in ET.parse(path).getroot().findall("skos:Concept", ns):  # noqa: S314
        code = concept.get(f"{{{ns['rdf']}}}about")
        for label in concept.findall("skos:prefLabel", ns):
            lang = label.get("{http://www.w3.org/XML/1998/namespace}lang", "")
            if lang.upper() == "EN" and label.text:
                labels[code] = label.text.strip()
    return labels


def read_coopsuk(path: Path, vocabs: Path) -> SourceResult:
    """Co-operatives UK 'standard' CSV (ESSGlobal URIs in classification columns).

    `Latitude`/`Longitude` are empty in every row: the point is the postcode centroid in
    `Geo Container Latitude/Longitude`.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    sectors = th.load_mapping("coopsuk_sectors.csv", "sector")
    ica = th.load_mapping("ica_activities.csv", "code")
    ownership = th.load_mapping("coopsuk_ownership.csv", "ownership")
    os_labels = skos_labels(vocabs / "organisational-structure.skos")
    ica_labels = skos_labels(vocabs / "activities-ica.skos")
    records, lines, unmapped = [], [], Counter()
    for index, row in enumerate(df.to_dict("records")):
        sector, activity = _text(row["Sector"]), _code(row["Primary Activity"])
        owner = _text(row["Ownership Classification"])
        pairs = [(sectors, sector), (ica, activity), (ownership, owner)]
        themes = th.themes_for(pairs)
        for label, mapping, value in (
            ("sector", sectors, sector),
            ("ICA", ica, activity),
            ("ownership", ownership, owner),
        ):
            if value and not mapping.get(value):
                unmapped[f"coopsuk {label}: {value}"] += 1
        lat = _float(row["Latitude"]) if _text(row["Latitude"]) else _float(
            row["Geo Container Latitude"]
        )
        lon = _float(row["Longitude"]) if _text(row["Longitude"]) else _float(
            row["Geo Container Longitude"]
        )
        records.append(
            {
                "source_id": _text(row["Identifier"]),
                "name": _text(row["Name"]),
                "description": _text(row["Description"]),
                "lat": lat,
                "lon": lon,
                "country": normalise_country(row["Country ID"]),
                "locality": _text(row["Locality"]),
                "themes": themes,
                "activity": ica_labels.get(activity or "", activity),
                "source_categories": "; ".join(
                    f"{k}: {v}" for k, v in (("sector", sector), ("ICA", activity),
                                              ("ownership", owner)) if v
                )
                or None,
                "legal_form": _text(row["Legal Form"]),
                "org_structure": os_labels.get(_code(row["Organisational Structure"]) or ""),
                "website": clean_url(row["Website"]),
            }
        )
        lines.append(index + 2)  # 1-based file line of the record's start, header is line 1
    result = _account("coopsuk", records, lines)
    result.unmapped = unmapped
    return result
