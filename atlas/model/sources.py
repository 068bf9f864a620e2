"""The shipped initiative sources as the app describes them: title, producer, origin, licence,
attribution.

One record per source id; popups, tables, exports and the footer all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


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
