"""Cleaning single values from any source or import: URLs, coordinates, country names, and the
labels of ESSGlobal vocabulary codes.

Shared by the shipped-source readers (`atlas.build.sources`) and the importer, so both apply
the same rules.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from atlas.paths import TAXONOMY_DIR

# A trailing dot is a fully qualified name ("boe.es."): the same host.
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\.?$", re.I)


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


def map_distinct(values: pd.Series, func) -> pd.Series:
    """`values.map(func)` (object values), calling `func` once per distinct value."""
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for k, value in enumerate(uniques):  # one by one: tuples stay whole
        mapped[k] = func(value)
    if (codes < 0).any():  # code -1: a missing value
        mapped[-1] = func(None)
    return pd.Series(mapped[codes], index=values.index, dtype=object)
