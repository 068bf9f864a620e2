"""Synthetic registers for the import tests, generated in code (never committed as data).

Every initiative here is invented and labelled so ("sintetica", "synthetic"): the files only
exercise formats, encodings and placement rules.
"""

from __future__ import annotations

import io
import json

from atlas.exports import xlsx_bytes

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
FORMULA = '=HYPERLINK("http://evil.example","click")'

# name, comune, regione (names only, as an Italian regional office might send), settore
ITALIAN_ROWS = [
    ("Cooperativa Esempio Uno (sintetica)", "Bologna", "Emilia-Romagna", "cooperativa sociale"),
    ("Forno Solidale (sintetico)", "Palermo", "Sicilia", "Food"),
    ("Bottega Equa (sintetica)", "Catania", "Sicily", "Fair trade"),
    ("Latteria Turnaria (sintetica)", "Aosta", "Valle d'Aosta/Vallée d'Aoste", "Agriculture"),
    ("Energia Comune (sintetica)", "Bolzano", "Bozen", "Energy"),
    ("Casa Comune (sintetica)", "Merano", "Bolzano", "Housing"),
    ("Riparo Città (sintetico)", "Milano", "LOMBARDIA", "riparazione e riuso"),
    ("Società di Mutuo Soccorso (sintetica)", "Modena", "Emilie-Romagne", ""),
    ("Atelier Fantasma (sintetico)", "Nessuno", "Atlantide", "culture"),
    ("", "Rimini", "Emilia-Romagna", "Retail"),  # no name: rejected
]


def italian_semicolon_latin1() -> bytes:
    """A semicolon-separated Windows-1252 file with region names only, one quoted field with a
    line break and a semicolon, plus two rows with decimal-comma coordinates."""
    lines = ["Denominazione;Comune;Regione;Settore;Latitudine;Longitudine;Note"]
    for name, town, region, sector in ITALIAN_ROWS:
        lines.append(f"{name};{town};{region};{sector};;;")
    lines.append('Mercato Contadino (sintetico);Ferrara;Emilia-Romagna;Retail;44,8381;11,6198;'
                 '"aperto il sabato;\nanche la domenica"')
    lines.append("Orto Urbano (sintetico);Roma;Lazio;Agriculture;41,9028;12,4964;")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


ITALIAN_READ = len(ITALIAN_ROWS) + 2


def xlsx_register() -> bytes:
    """A workbook with a data sheet (numbers as numbers) and an 'About' sheet."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "Organisation name": ["Repair Café Synthetic", "Synthetic Housing Co-op",
                                  "Synthetic Energy Co-op", FORMULA],
            "Latitude": [51.5072, 55.9533, 53.4808, 52.4862],
            "Longitude": [-0.1276, -3.1883, -2.2426, -1.8904],
            "Category": ["Repair", "Housing", "Energy", "Retail"],
            "Country": ["United Kingdom", "GB", "UK", "GB"],
        }
    )
    return xlsx_bytes({"Register": frame}, [("note", "synthetic rows for tests")])


def geojson_register() -> bytes:
    """A FeatureCollection with a point, a polygon (→ representative point) and no geometry."""
    features = [
        {"type": "Feature", "properties": {"name": "Synthetic point coop", "theme": "housing"},
         "geometry": {"type": "Point", "coordinates": [11.34, 44.49]}},
        {"type": "Feature", "properties": {"name": "Synthetic area coop", "theme": "energy"},
         "geometry": {"type": "Polygon", "coordinates": [[[11.0, 44.0], [11.5, 44.0],
                                                          [11.5, 44.5], [11.0, 44.5],
                                                          [11.0, 44.0]]]}},
        {"type": "Feature", "properties": {"name": "Synthetic nowhere", "region": "ITH5"},
         "geometry": None},
        {"type": "NotAFeature"},
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")


def hostile_csv() -> bytes:
    """Every text field carries HTML/JS or a formula; the point is in Bologna."""
    buf = io.StringIO()
    buf.write("name,description,locality,legal_form,website,theme,lat,lon,region\n")
    for i in range(3):
        cells = [f"{HOSTILE} {i}", HOSTILE, FORMULA, HOSTILE, "javascript:alert(1)", HOSTILE,
                 "44.4949", str(11.3426 + i / 100), HOSTILE]
        buf.write(",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n")
    quoted = [f'"{c.replace(chr(34), chr(34) * 2)}"' for c in (FORMULA, HOSTILE)]
    buf.write(f"{quoted[0]},,,,,,,,{quoted[1]}\n")
    return buf.getvalue().encode("utf-8")
