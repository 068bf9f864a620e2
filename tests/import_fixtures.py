"""Synthetic registers for the import tests, generated in code (never committed as data).

Every initiative here is invented and labelled so ("sintetica", "synthetic"): the files only
exercise formats, encodings and placement rules.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import strategies as st

from atlas.present.exports import xlsx_bytes

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
# The shipped Co-operatives UK register (real records), under atlas.paths.SHARED_SOURCES: the
# tests that read it get it from the `shared_source` fixture (tests/conftest.py).
COOPS_UK = ("coops-uk-open-data-essglobal", "standard.Q2-2023.postcodes.csv")

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


def csv_line(cells: list[str], delimiter: str = ",", newline: str = "\n") -> str:
    """One CSV record, quoted where needed (fields may hold delimiters and line breaks)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerow(cells)
    return buf.getvalue()


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",",
             newline: str = "\n") -> str:
    return "".join(csv_line(r, delimiter, newline) for r in [header, *rows])


MESSY_HEADER = ["id", "name", "lat", "lon", "region", "country", "category", "website"]


def messy_register(n: int = 400, seed: int = 5) -> str:
    """A synthetic register with everything a block boundary could break: duplicates far
    apart (same id, or same name a few metres away), rows placed by region name only,
    swapped or unusable coordinates, rows without a name, blank lines, ragged rows, a
    field with line breaks and a literal quote. Names say "synthetic"."""
    import random

    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        lat, lon = 44.0 + rnd.random(), 11.0 + rnd.random()
        row = [f"S{i}", f"Synthetic coop {i}", f"{lat:.5f}", f"{lon:.5f}", "", "IT",
               rnd.choice(["Housing", "Energy; Food", "Mystery", "", "repair café"]),
               rnd.choice(["", "coop.example", "javascript:alert(1)"])]
        kind = i % 23
        if kind == 3:
            row[2:4] = ["", ""]
            row[4] = rnd.choice(["Emilia-Romagna", "Sicilia", "ITH55", "Atlantide"])
        elif kind == 5:
            row[2:4] = row[3], row[2]  # swapped: far outside Italy
        elif kind == 7:
            row[1] = ""
        elif kind == 11:
            row[1] = "Synthetic bakery\n(two lines, \"quoted\")"
        rows.append(row)
    # Far down the file: the same id as row 1, and row 2's name a few metres from it.
    rows[n - 5] = ["S1", "Synthetic coop again", "45.1", "11.1", "", "IT", "Food", "b.example"]
    rows[n - 9] = ["S-near", rows[2][1], rows[2][2], rows[2][3][:-1] + "9", "", "IT", "", ""]
    records = [csv_line(r) for r in [MESSY_HEADER, *rows]]
    records.insert(n // 2, "\n")  # a blank line
    records.insert(n // 3, "ragged,row,with,too,many,fields,for,the,header,x\n")
    records.insert(n // 4, "short row only\n")  # padded, then rejected: no name
    records.insert(n // 5 * 4, 'S999,Synthetic 12" oven,44.5,11.3,,IT,Food,\n')  # a literal "
    return "".join(records)


def clean_register(n: int = 400) -> str:
    """One record per line, nothing unusual: what Arrow parses in blocks."""
    rows = [[f"S{i}", f"Synthetic coop {i}", f"{44 + i / n:.5f}", f"{11 + i / n:.5f}", "", "IT",
             "Housing" if i % 2 else "Energy, food", ""] for i in range(n)]
    rows[n - 3][0] = "S2"  # a duplicate in another block
    return csv_text(MESSY_HEADER, rows)


# Hypothesis: cells with every character that matters to a CSV reader.
CELL = st.text(alphabet=st.sampled_from(list('ab ,;|\t"\n\r=<>é€0123456789.-')), max_size=12)


@st.composite
def csv_like(draw) -> bytes:
    """Delimited text with quotes, line breaks, numbers and accents, in some encoding."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))
    header = draw(st.lists(st.sampled_from(["name", "lat", "lon", "region", "theme", "id", "x",
                                            "name", ""]), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=30))
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")
