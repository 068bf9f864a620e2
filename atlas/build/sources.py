"""Readers for the shipped initiative sources: each turns one raw snapshot into schema rows.

Every row read is either kept (possibly without a point, with `location_issue` saying why) or
rejected with a reason: `kept + rejected == read` for every source.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from atlas.ingest.values import clean_url, coordinate_issue, normalise_country, skos_labels
from atlas.model import themes as th
from atlas.model.sources import SOURCES


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
