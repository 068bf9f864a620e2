"""Which column of an imported file holds which field: the aliases people use for names,
coordinates, regions and themes (ESSGlobal files are recognised), suggested and checked."""

from __future__ import annotations

import re

import pandas as pd

from atlas.geo.names import key
from atlas.geo.placement import (
    parse_numbers,
)
from atlas.ingest.reading import RawTable, clean_series

# field → what the user sees; `themes` may take several columns.
FIELDS: dict[str, str] = {
    "name": "Name (required)",
    "source_id": "Identifier in your register",
    "description": "Description",
    "lat": "Latitude",
    "lon": "Longitude",
    "coordinates": "Coordinates in one column (lat, lon)",
    "address": "Street address",
    "locality": "Town / city",
    "postcode": "Postcode",
    "region": "Region, province or its code (NUTS, ISO 3166-2)",
    "country": "Country",
    "themes": "Theme / category / sector columns",
    "legal_form": "Legal form",
    "org_structure": "Organisational structure",
    "website": "Website",
}


ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nome", "nom", "nombre", "denominazione", "ragione sociale", "organisation",
             "organization", "organisation name", "organization name", "name of organisation",
             "initiative", "iniziativa", "title", "titolo", "bezeichnung", "entity", "ente"),
    "source_id": ("identifier", "id", "uid", "record id", "ref", "reference", "codice",
                  "identificativo", "fid", "objectid", "registration number"),
    "description": ("description", "descrizione", "desc", "about", "summary", "notes", "note",
                    "beschreibung", "descripcion"),
    "lat": ("lat", "latitude", "y", "geo container latitude", "latitudine", "latitud",
            "breitengrad", "lat wgs84", "latitude wgs84", "geometry latitude", "lat y",
            "y coordinate", "ycoord", "coord y", "geo lat", "lat dd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "geo container longitude", "longitudine",
            "longitud", "langengrad", "lon wgs84", "longitude wgs84", "geometry longitude",
            "long x", "lon x", "x coordinate", "xcoord", "coord x", "geo lon", "geo lng"),
    "coordinates": ("coordinates", "coordinate", "coords", "latlon", "lat lon", "lat long",
                    "latlng", "geo", "location", "posizione", "geolocation", "wkt"),
    "address": ("street address", "address", "indirizzo", "adresse", "direccion", "street",
                "via", "addr street", "strasse"),
    "locality": ("locality", "city", "town", "comune", "citta", "ville", "ciudad", "ort",
                 "municipality", "localita", "addr city", "place", "gemeinde", "commune"),
    "postcode": ("postcode", "postal code", "post code", "zip", "zip code", "cap",
                 "code postal", "plz", "codigo postal"),
    "region": ("region", "regione", "province", "provincia", "state", "county", "nuts",
               "nuts code", "nuts2", "nuts 2", "nuts3", "nuts 3", "nuts id", "iso 3166 2",
               "territory", "departement", "bundesland", "comunidad autonoma", "provincia sigla",
               "admin1", "region name", "nome regione", "territory id"),
    "country": ("country", "country id", "country code", "paese", "nazione", "pays", "pais",
                "staat", "addr country", "iso country", "country name"),
    "themes": ("theme", "themes", "tema", "temi", "category", "categories", "categoria",
               "categorie", "sector", "settore", "type of initiative", "type", "tags",
               "activity", "attivita", "primary activity", "ownership classification"),
    "legal_form": ("legal form", "forma giuridica", "forme juridique", "rechtsform",
                   "forma juridica", "legal status", "legal entity type", "natura giuridica"),
    "org_structure": ("organisational structure", "organizational structure", "org structure"),
    "website": ("website", "web", "url", "sito", "sito web", "sito internet", "homepage",
                "site", "site web", "webseite", "contact website"),
}


# The ESSGlobal "standard" CSV (Digital Commons; the shipped Co-operatives UK file).
ESSGLOBAL_SIGNATURE = ("Identifier", "Name", "Primary Activity", "Organisational Structure",
                       "Geo Container Latitude")  # fmt: skip


ESSGLOBAL_THEMES = ("Sector", "Primary Activity", "Ownership Classification")


ESSGLOBAL_VOCABS = "essglobal-vocabularies/vocabs/standard"


Mapping = dict[str, object]  # field → column name (themes: list of column names) or None


def _numeric_share(values: pd.Series) -> float:
    sample = values.head(500)
    filled = sample[sample.astype(str).str.strip() != ""]
    if filled.empty:
        return 0.0
    return float(parse_numbers(filled).notna().mean())


def is_essglobal(columns: list[str]) -> bool:
    return all(c in columns for c in ESSGLOBAL_SIGNATURE)


def suggest_mapping(raw: RawTable) -> Mapping:
    """Best guess of the column for each field; exact (folded) names first, then partial."""
    keys = {c: key(c) for c in raw.columns}
    used: set[str] = set()
    out: Mapping = {f: None for f in FIELDS}
    out["themes"] = []
    if is_essglobal(raw.columns):
        out["themes"] = [c for c in ESSGLOBAL_THEMES if c in raw.columns]
        used.update(out["themes"])  # type: ignore[arg-type]
    for fld in FIELDS:
        aliases = ALIASES[fld]
        if fld == "themes":
            if not out["themes"]:
                hits = [c for c in raw.columns if keys[c] in aliases and c not in used]
                out["themes"] = hits[:3]
                used.update(hits[:3])
            continue
        candidates = [c for a in aliases for c in raw.columns if keys[c] == a and c not in used]
        if not candidates and fld not in ("lat", "lon", "source_id", "coordinates"):
            candidates = [c for a in aliases if len(a) > 3 for c in raw.columns
                          if c not in used and re.search(rf"\b{re.escape(a)}\b", keys[c])]
        if fld in ("lat", "lon"):
            candidates = candidates or [c for a in aliases if len(a) > 3 for c in raw.columns
                                        if c not in used and a in keys[c]]
            scored = [(_numeric_share(raw.cells[c]), -i) for i, c in enumerate(candidates)]
            if candidates:
                best = max(range(len(candidates)), key=lambda i: scored[i])
                candidates = [candidates[best]]
        if candidates:
            out[fld] = candidates[0]
            used.add(candidates[0])
    if bool(out["lat"]) != bool(out["lon"]):  # half a pair ("x" alone) is no suggestion
        out["lat"] = out["lon"] = None
    if out["lat"] and out["lon"]:
        out["coordinates"] = None
    return out


def check_mapping(raw: RawTable, mapping: Mapping) -> list[str]:
    """Problems that stop an import: unknown columns, no name column."""
    problems = []
    if not mapping.get("name"):
        shown = ", ".join(repr(c) for c in raw.columns[:12])
        problems.append(f"Choose the column that holds the initiatives' names (columns: {shown}"
                        f"{', …' if len(raw.columns) > 12 else ''}; CLI: --map name=COLUMN).")
    for fld, value in mapping.items():
        columns = value if isinstance(value, list) else [value]
        for column in columns:
            if column and column not in raw.columns:
                problems.append(f"{FIELDS.get(fld, fld)}: no column {column!r} in the file.")
    if bool(mapping.get("lat")) != bool(mapping.get("lon")):
        problems.append("Choose both a latitude and a longitude column (or neither).")
    return problems


def column_values(cells: pd.DataFrame, mapping: Mapping, fld: str) -> pd.Series:
    """The cleaned text of the column mapped to `fld` ('' everywhere when none is)."""
    column = mapping.get(fld)
    if isinstance(column, str) and column in cells:
        return clean_series(cells[column])
    return pd.Series("", index=cells.index, dtype="str")
