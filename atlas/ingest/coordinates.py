"""The rules for an imported row's point: parse the coordinates (two columns or one pair),
refuse what is not a number, half a pair, (0, 0) or out of range, turn round a pair that is
swapped (|lat| > 90, or far outside its declared country while the turned pair is inside), and
refuse a point far outside its declared country or alone in no country. Each refusal says why
and quotes the point; the row is still accepted and may be placed by its region instead.

`options` is an `atlas.ingest.importer.ImportOptions` (only `swap_latlon` is read)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.geo.placement import (
    FAR_OUTSIDE_DEG,
    distance_to_country,
    lone_points,
    parse_numbers,
    parse_pair,
    swapped,
)
from atlas.geo.regions import MAX_NEAREST_DEG
from atlas.ingest.columns import Mapping, column_values
from atlas.ingest.values import coordinate_issue, map_distinct


def pair_text(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """How a message quotes a point: `(lat 44.5, lon 11.3)`."""
    return "(lat " + lat.round(6).astype(str) + ", lon " + lon.round(6).astype(str) + ")"


def check_points(cells: pd.DataFrame, mapping: Mapping, declared: pd.Series, options,
                 layers: dict, notes: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parsed, checked points (NaN where unusable) and why each unusable one is not used."""
    idx = cells.index
    issue = pd.Series("", index=idx, dtype=object)
    if mapping.get("lat") and mapping.get("lon"):
        lat_text = column_values(cells, mapping, "lat")
        lon_text = column_values(cells, mapping, "lon")
        lat, lon = parse_numbers(lat_text), parse_numbers(lon_text)
        bad = ((lat_text != "") & lat.isna()) | ((lon_text != "") & lon.isna())
        if bad.any():
            issue[bad] = ("coordinates are not numbers: " + lat_text[bad].str[:40] + ", "
                          + lon_text[bad].str[:40]).astype(object)
        half = ((lat_text != "") != (lon_text != "")) & ~bad
        issue[half] = "only one of latitude and longitude is given"
    elif mapping.get("coordinates"):
        pairs = column_values(cells, mapping, "coordinates")
        parsed = map_distinct(pairs, parse_pair)
        lat = parsed.map(lambda p: p[0]).astype("float64")
        lon = parsed.map(lambda p: p[1]).astype("float64")
        bad = (pairs != "") & lat.isna()
        if bad.any():
            issue[bad] = ("coordinates not understood: " + pairs[bad].str[:60]).astype(object)
    else:
        lat = pd.Series(np.nan, index=idx)
        lon = pd.Series(np.nan, index=idx)
    lat, lon = lat.astype("float64"), lon.astype("float64")
    both = lat.notna() & lon.notna()
    lat, lon = lat.where(both), lon.where(both)
    lat0, lon0 = lat, lon  # as given: the messages quote them

    countries = layers.get("countries")
    swap = swapped(lat, lon)
    given = None
    if countries is not None:
        given = distance_to_country(lat, lon, declared, countries)
        far = given > FAR_OUTSIDE_DEG  # only there can turning the pair round help
        if far.any():
            turned = distance_to_country(lon[far], lat[far], declared[far], countries)
            swap[far] |= turned <= MAX_NEAREST_DEG
    if swap.any():
        pair = pair_text(lat[swap], lon[swap])
        if options.swap_latlon:
            notes[swap] = "latitude and longitude were swapped, as you asked " + pair
        else:
            issue[swap] = "latitude and longitude look swapped " + pair
    if options.swap_latlon:
        lat, lon = lat.where(~swap, lon), lon.where(~swap, lat)
    else:
        lat, lon = lat.where(~swap), lon.where(~swap)
    fine = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    maybe = lat.notna() & ~fine  # coordinate_issue has the rule and the wording
    wrong = pd.Series(False, index=idx)
    if maybe.any():
        checked = pd.Series([coordinate_issue(a, b) for a, b in
                             zip(lat[maybe].to_numpy(), lon[maybe].to_numpy(), strict=True)],
                            index=lat.index[maybe], dtype=object)
        wrong[checked.index] = checked.notna()
        first = checked.notna() & (issue[checked.index] == "")
        issue[first.index[first]] = checked[first]
    lat, lon = lat.where(~wrong), lon.where(~wrong)
    if given is not None:
        distance = given.copy()
        moved = swap & lat.notna() if options.swap_latlon else swap & False
        if moved.any():
            distance[moved] = distance_to_country(lat[moved], lon[moved], declared[moved],
                                                  countries)
        distance[lat.isna()] = np.nan
        far = distance > FAR_OUTSIDE_DEG
        if far.any():
            km = (distance[far] * 111).round(-1).astype(int).astype(str)
            issue[far] = ("point is about " + km + " km outside its declared country "
                          + declared[far].astype(str) + " " + pair_text(lat0[far], lon0[far]))
            lat, lon = lat.where(~far), lon.where(~far)
    if countries is not None:
        lone = lone_points(lat, lon, declared.isna(), countries)
        alone = lone.notna()
        if alone.any():
            km = (lone[alone] * 111).round(-2).astype(int).astype(str)
            issue[alone] = ("point " + pair_text(lat0[alone], lon0[alone]) + " is in no "
                            "country and about " + km + " km from every other point of the "
                            "file: not used (swapped latitude and longitude? give the row a "
                            "country to check it)")
            lat, lon = lat.where(~alone), lon.where(~alone)
    issue[(issue == "") & lat.isna()] = "no coordinates in source"
    return lat, lon, issue
