"""Bring your own data: the import rules (validate, place, derive themes, find duplicates,
account for every row), over a file read by `atlas.ingest.reading` and mapped by
`atlas.ingest.columns`; themes come from `atlas.ingest.categories`, the point rules from
`atlas.ingest.coordinates`, the report text from `atlas.ingest.report`.

Three steps, each usable on its own (the data page shows the result of each before the next):
1. `reading.read_bytes` / `reading.read_path`: sniff the format (CSV, XLSX, GeoJSON), the text
   encoding and the delimiter; every record becomes a row of text cells with its line (or sheet
   row, or feature) number. A file that cannot be read at all raises `ImportFailure` with a
   one-line reason.
2. `columns.suggest_mapping`: which column holds the name, coordinates, region, themes... (the user
   corrects it before importing).
3. `run_import`: validate, place (coordinates, else the region named in the row), derive themes,
   find duplicates, and return schema rows plus a report. Every row read is either accepted or
   rejected with its line and reason: `accepted + rejected == read`, always.

The rules live in `ImportRun`, which takes the rows one block at a time: `run_import` gives it
the whole table as one block, `atlas.ingest.stream` a large CSV in pieces (the command line).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from atlas import paths
from atlas.geo.join import place
from atlas.geo.placement import (
    MAX_FUZZY_VALUES,
    RegionIndex,
    Resolution,
)
from atlas.ingest.categories import (
    _apply_keywords,
    _categories,
    _keyword_counts,
    keyword_rules,
    theme_lookup,
)
from atlas.ingest.columns import (
    ESSGLOBAL_VOCABS,
    Mapping,
    check_mapping,
    column_values,
    is_essglobal,
    suggest_mapping,
)
from atlas.ingest.coordinates import check_points
from atlas.ingest.duplicates import HashIndex, Links, merge, text_hashes

# What callers of an import need with it (the CLI, the data page, the streaming import):
from atlas.ingest.errors import ImportFailure as ImportFailure
from atlas.ingest.limits import ENV_MAX_MB as ENV_MAX_MB
from atlas.ingest.limits import ENV_MAX_ROWS as ENV_MAX_ROWS
from atlas.ingest.limits import Limits as Limits
from atlas.ingest.reading import MAX_CELL_CHARS, NO_ROWS, RawTable, clean_series, read_path
from atlas.ingest.values import clean_url, map_distinct, normalise_country, skos_labels
from atlas.model import themes as th
from atlas.model.layers import LAYERS
from atlas.model.schema import conform
from atlas.text import fold_strings

PLACEMENTS = ("point", "region_label_point", "none")



@dataclass
class ImportOptions:
    """The user's choices for one import (all optional)."""

    dataset_id: str = "import"
    title: str = ""
    license: str = "not stated"
    attribution: str = ""
    country: str | None = None  # ISO alpha-2 of rows that state none
    swap_latlon: bool = False  # fix points flagged as swapped (else they are not used)
    merge_duplicates: bool = False  # keep (False) or merge duplicate rows
    region_choices: dict[str, str] = field(default_factory=dict)  # value → "layer:code" or ""
    accept_region_suggestions: bool = False  # take the first suggestion for unsure names
    keywords: frozenset[str] | None = None  # keyword rules the user accepted (None: none)


def tally(rows: pd.DataFrame) -> Counter:
    """What the report counts about accepted rows: how many, how placed, with a theme."""
    out: Counter = Counter(accepted=len(rows))
    if len(rows):
        out.update({str(k): int(v) for k, v in rows["placement"].value_counts().items()})
        out["with_theme"] = int((rows["themes"].map(len) > 0).sum())
    return out


@dataclass
class ImportResult:
    """Accepted rows (schema columns) and everything the report shows.

    An import done in memory holds every accepted row in `rows`; a CSV streamed block by
    block (atlas.ingest.stream) writes them to `rows_file` instead and leaves `rows` empty.
    `counts` (see `tally`) is kept either way, so the report never needs the rows."""

    rows: pd.DataFrame
    read: int
    rejections: list[dict]
    flagged: list[dict]
    duplicate_groups: list[dict]
    regions: list[dict]
    keyword_suggestions: list[dict]
    unmapped_themes: Counter
    warnings: list[str]
    source: RawTable
    mapping: Mapping
    options: ImportOptions
    counts: Counter = field(default_factory=Counter)
    rows_file: Path | None = None

    @property
    def accepted(self) -> int:
        return self.counts["accepted"]

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def duplicates(self) -> int:
        """Rows that repeat an earlier row (same source id, or same name within ~100 m)."""
        return sum(len(g["lines"]) - 1 for g in self.duplicate_groups)

    def placed(self) -> dict[str, int]:
        return {"coordinates": self.counts["point"], "region": self.counts["region_label_point"],
                "none": self.counts["none"]}

    def rejections_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rejections, columns=["line", "reason"])

    def report(self) -> dict:
        """The validation report as plain JSON-able data (the CLI's --json output)."""
        return {
            "format": self.source.describe(),
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejections": [{"line": int(r["line"]), "reason": r["reason"]}
                           for r in self.rejections],
            "placed": self.placed(),
            "flagged": self.flagged,
            "duplicates": self.duplicates,
            "duplicate_groups": self.duplicate_groups,
            "duplicates_merged": self.options.merge_duplicates,
            "regions": self.regions,
            "with_theme": self.counts["with_theme"],
            "unmapped_themes": dict(self.unmapped_themes.most_common(50)),
            "keyword_suggestions": self.keyword_suggestions,
            "mapping": self.mapping,
            "warnings": self.warnings,
            "dataset": {"id": self.options.dataset_id, "title": self.options.title,
                        "license": self.options.license},
        }


def _none(values: pd.Series) -> pd.Series:
    """'' → missing, for schema text columns (Arrow strings stay Arrow strings)."""
    return values.astype("str").where(values != "")


@lru_cache(maxsize=1)
def _vocab_labels() -> tuple[dict[str, str], dict[str, str]]:
    """ESSGlobal organisational-structure and ICA labels when the vocabularies are present."""
    folder = paths.SHARED_SOURCES / ESSGLOBAL_VOCABS
    try:
        return (skos_labels(folder / "organisational-structure.skos"),
                skos_labels(folder / "activities-ica.skos"))
    except (OSError, ValueError, SyntaxError):
        return {}, {}


def _code_label(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """URIs → the vocabulary label of their code (or the code when unknown)."""
    uri = values.str.match(r"[hH][tT][tT][pP][sS]?://").fillna(False).to_numpy(dtype=bool)
    if not uri.any():
        return values

    def one(text: str) -> str:
        code = text.rstrip("/").rsplit("/", 1)[-1]
        return labels.get(code, code)

    out = values.astype(object)
    out[uri] = map_distinct(values[uri], one).to_numpy()
    return out.astype("str")


def _long_cells(cells: pd.DataFrame) -> bool:
    """True when a cell is longer than MAX_CELL_CHARS (it will be cut)."""
    return any(len(cells) and int(cells[c].astype("str").str.len().max()) > MAX_CELL_CHARS
               for c in cells.columns)


def _blank(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces."""
    out = np.ones(len(cells), dtype=bool)
    for c in cells.columns:
        out &= (cells[c].astype("str").fillna("").str.strip() == "").to_numpy(dtype=bool)
    return out


class ImportRun:
    """One import's rules, applied to its rows block by block.

    `run_import` passes a whole table as one block; `atlas.ingest.stream` passes a large CSV in
    pieces through the same `block()`, so there is one set of rules. What needs the whole
    file lives here between blocks, compactly: look-ups done once (countries, region names,
    theme cells), duplicate links and ids already used (atlas.ingest.duplicates), and the report.
    """

    def __init__(self, head: RawTable, mapping: Mapping, options: ImportOptions,
                 layers: dict, index: RegionIndex | None = None):
        problems = check_mapping(head, mapping)
        if problems:
            raise ImportFailure(" ".join(problems))
        self.mapping, self.options, self.layers = mapping, options, layers
        self.index = index or RegionIndex(layers)
        self.essglobal = is_essglobal(head.columns)
        self.read = 0
        self.rejections: list[dict] = []
        self.flagged: list[dict] = []
        self.cut = False
        self.countries: dict[str, str | None] = {}
        self.regions = _RegionPlacer(options, self.index)
        self.theme_cells: dict[str, tuple[list[str], list[str]]] = {}
        self.unmapped: Counter = Counter()
        self.keyword_rows: Counter = Counter()
        self.links = Links()
        self.ids = HashIndex()

    def block(self, raw: RawTable) -> pd.DataFrame:
        """Validate, place and theme one block. Returns its accepted rows (schema columns
        plus `line`, indexed by row number in the whole import, not merged yet); its
        rejections, flags and what the report counts stay in the run."""
        self.read += raw.read
        self.rejections.extend(raw.rejected)
        cells = raw.cells
        self.cut = self.cut or _long_cells(cells)
        name = column_values(cells, self.mapping, "name")
        ok = (name != "").to_numpy(dtype=bool)
        bad = np.flatnonzero(~ok)
        if len(bad):
            blank = _blank(cells.iloc[bad])
            self.rejections += [{"line": int(line), "reason": "empty row" if b else "no name"}
                                for line, b in zip(raw.lines[bad], blank, strict=True)]
            cells, name = cells[ok], name[ok]
        lines = raw.lines[ok]
        rows = pd.DataFrame({"line": lines, "name": name.astype(object)}, index=cells.index)
        text = {f: column_values(cells, self.mapping, f) for f in
                ("source_id", "description", "locality", "legal_form", "org_structure",
                 "website", "region", "country")}
        org_labels, ica_labels = _vocab_labels()
        rows["description"] = _none(text["description"])
        rows["locality"] = _none(text["locality"])
        rows["legal_form"] = _none(text["legal_form"])
        rows["org_structure"] = _none(_code_label(text["org_structure"], org_labels))
        rows["website"] = map_distinct(text["website"], clean_url)
        given_id = text["source_id"]
        rows["source_id"] = given_id.where(given_id != "", "L" + rows["line"].astype("str"))
        rows["source_id"] = rows["source_id"].astype(object)
        declared = self._countries(text["country"])
        rows["country"] = declared
        self._place(rows, cells, text["region"], declared)
        self._theme(rows, cells, ica_labels)
        rows.index = self._link(rows, (given_id != "").to_numpy(dtype=bool))
        self._ids(rows)
        rows["source"] = self.options.dataset_id
        rows["license"] = self.options.license
        return rows

    def _countries(self, values: pd.Series) -> pd.Series:
        """ISO codes of the stated countries (each distinct value looked up once per
        import), else the dataset default."""
        for value in pd.unique(values):
            if value and value not in self.countries:
                self.countries[value] = normalise_country(value)
        declared = map_distinct(values, lambda v: self.countries.get(v) if v else None)
        if self.options.country:
            declared = declared.where(declared.notna(), self.options.country.upper())
        return declared.astype(object).where(declared.notna(), None)

    def _place(self, rows: pd.DataFrame, cells: pd.DataFrame, region_text: pd.Series,
               declared: pd.Series) -> None:
        """Points are placed like the shipped sources; rows without one by the region they
        name. Adds the location columns and the rows to check."""
        notes = pd.Series("", index=rows.index, dtype=object)
        lat, lon, issue = check_points(cells, self.mapping, declared, self.options,
                                       self.layers, notes)
        rows["lat"], rows["lon"] = lat, lon
        has_point = lat.notna()
        rows["placement"] = pd.Series(np.where(has_point, "point", "none"), index=rows.index,
                                      dtype=object)
        rows["placed_in"] = pd.Series(None, index=rows.index, dtype=object)
        for lid in self.layers:
            rows[LAYERS[lid].column] = None
        rows["region_match"] = pd.Series("no_point", index=rows.index, dtype=object)
        if has_point.any():
            located = place(rows.loc[has_point, ["lat", "lon", "country"]], self.layers,
                            self.index.spatial())
            for column in located.columns.drop(["lat", "lon"]):
                rows.loc[has_point, column] = located[column].astype(object)
        self.regions.place(rows, ~has_point, region_text, declared, issue)
        still = rows["placement"] == "none"
        rows.loc[still, "code_countries"] = rows.loc[still, "country"]
        rows["location_issue"] = issue.where(issue != "", None)
        self.flagged += _flags(rows, issue, notes, region_text)

    def _theme(self, rows: pd.DataFrame, cells: pd.DataFrame, ica_labels: dict) -> None:
        """Themes from the theme columns, then the keywords the user accepted (rows still
        without); the raw categories and, for ESSGlobal files, the ICA activity label."""
        columns = self.mapping.get("themes") or []
        if columns:
            parts = [_code_label(clean_series(cells[c]), {}) for c in columns]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined.str.cat(part, sep="; ")
            rows["source_categories"] = _none(joined.str.strip("; "))
        themes = self._themes(cells, columns, ica_labels)
        self.keyword_rows.update(_keyword_counts(rows, themes))
        if self.options.keywords:
            themes = _apply_keywords(rows, themes, self.options.keywords)
        rows["themes"] = themes
        if self.essglobal:  # as the shipped Co-operatives UK rows: the ICA label
            rows["activity"] = _none(_code_label(clean_series(cells["Primary Activity"]),
                                                 ica_labels))

    def _themes(self, cells: pd.DataFrame, columns: list[str], ica_labels: dict) -> np.ndarray:
        """Themes per row (lists, shared between equal cells); unmatched categories counted."""
        out = np.empty(len(cells), dtype=object)
        if not columns or cells.empty:
            for i in range(len(cells)):
                out[i] = []
            return out
        combined = cells[columns[0]].astype("str")
        for column in columns[1:]:
            combined = combined.str.cat(cells[column].astype("str"), sep="\n")
        codes, uniques = pd.factorize(combined)
        lookup, order = theme_lookup(), th.theme_ids()
        if len(self.theme_cells) > 200_000:  # free-text categories: keep the cache bounded
            self.theme_cells.clear()
        found = np.empty(len(uniques), dtype=object)
        for k, cell in enumerate(uniques):
            if cell not in self.theme_cells:
                hits, missing = _categories(cell, lookup, ica_labels)
                self.theme_cells[cell] = ([t for t in order if t in hits], missing)
            found[k] = self.theme_cells[cell][0]
        for k, n in enumerate(np.bincount(codes, minlength=len(uniques))):
            for category in self.theme_cells[uniques[k]][1]:
                self.unmapped[category] += int(n)
        return found[codes]

    def _link(self, rows: pd.DataFrame, has_id: np.ndarray) -> np.ndarray:
        """Duplicate links of the block's rows; returns their row numbers in the import."""
        return self.links.add_block(
            rows["line"].to_numpy(dtype=np.int64), text_hashes(rows["source_id"]), has_id,
            text_hashes(fold_strings(rows["name"])), rows["lat"].to_numpy(dtype="float64"),
            rows["lon"].to_numpy(dtype="float64"), (rows["placement"] == "point").to_numpy())

    def _ids(self, rows: pd.DataFrame) -> None:
        """`<dataset>:<source id>`; a source id already used (in this block or before) gets
        `@L<line>` so ids stay unique."""
        hashes = text_hashes(rows["source_id"])
        repeat = (self.ids.first(hashes, "row") >= 0) | pd.Series(hashes).duplicated().to_numpy()
        self.ids.add(hashes[~repeat], row=rows.index.to_numpy()[~repeat])
        ids = self.options.dataset_id + ":" + rows["source_id"].astype(str)
        ids[repeat] = ids[repeat] + "@L" + rows.loc[repeat, "line"].astype(str)
        rows["id"] = ids.astype(object)

    def merge(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Duplicates merged into their first row, when asked (rows of the whole import)."""
        if not self.options.merge_duplicates:
            return rows
        rows, merged = merge(rows, self.links.groups())
        self.rejections += merged
        return rows

    def result(self, source: RawTable, rows: pd.DataFrame | None = None,
               counts: Counter | None = None, rows_file: Path | None = None) -> ImportResult:
        """The report of the whole import; checks that every row read is accounted for."""
        warnings = list(source.warnings)
        if not self.read and NO_ROWS not in warnings:
            warnings.append(NO_ROWS)
        if self.cut:
            warnings.append(f"Some cells were longer than {MAX_CELL_CHARS:,} characters and "
                            "were cut.")
        for value in sorted(v for v, iso in self.countries.items() if iso is None)[:20]:
            warnings.append(f"Country {value!r} was not recognised (those rows keep no country).")
        labels = th.theme_labels()
        suggestions = sorted(
            ({"keyword": k, "themes": list(t), "theme_labels": [labels[x] for x in t],
              "rows": self.keyword_rows[k]} for k, t in keyword_rules() if self.keyword_rows[k]),
            key=lambda s: -s["rows"])
        self.rejections.sort(key=lambda r: r["line"])
        if rows is None:
            rows = conform(pd.DataFrame())
        result = ImportResult(
            rows=rows, read=self.read, rejections=self.rejections, flagged=self.flagged,
            duplicate_groups=[g.report() for g in self.links.groups()],
            regions=self.regions.report(), keyword_suggestions=suggestions,
            unmapped_themes=self.unmapped, warnings=warnings, source=source,
            mapping=self.mapping, options=self.options,
            counts=tally(rows) if counts is None else counts, rows_file=rows_file,
        )
        if result.accepted + result.rejected != result.read:
            raise RuntimeError(f"rows lost: {result.accepted} + {result.rejected} != "
                               f"{result.read}")
        return result


def run_import(raw: RawTable, mapping: Mapping, options: ImportOptions,
               layers: dict, index: RegionIndex | None = None) -> ImportResult:
    """Validate, place, theme and de-duplicate; every record ends accepted or rejected."""
    run = ImportRun(raw, mapping, options, layers, index)
    rows = run.merge(run.block(raw))
    return run.result(raw, conform(rows.sort_values("line")))


class _RegionPlacer:
    """Rows without a point take the codes and label point of the region they name. Each
    distinct (value, country) is resolved once per import, most frequent first (fuzzy
    matching has a budget), however many blocks it appears in; rows are counted for the
    report."""

    def __init__(self, options: ImportOptions, index: RegionIndex):
        self.options, self.index = options, index
        self.resolved: dict[tuple[str, str], Resolution] = {}
        self.rows: Counter = Counter()  # first seen first
        self.fuzzy_left = MAX_FUZZY_VALUES
        self._codes: dict[str, dict[str, str]] = {}

    def _resolve(self, value: str, country: str) -> Resolution:
        choice = self.options.region_choices.get(value)
        if choice is not None:
            region = self.index.region(choice) if choice else None
            return Resolution(value, region, "confirmed" if region else "refused")
        res = self.index.resolve(value, country or None, fuzzy=self.fuzzy_left > 0)
        self.fuzzy_left -= res.region is None
        if res.region is None and self.options.accept_region_suggestions and res.suggestions:
            res = Resolution(value, res.suggestions[0], "suggestion accepted", res.suggestions)
        return res

    def place(self, rows, nopoint, region_text, declared, issue) -> None:
        todo = (nopoint & (region_text != "")).to_numpy(dtype=bool)
        if not todo.any():
            return
        where = rows.index[todo]
        pairs = (region_text[todo].astype(str) + "\x1f"
                 + declared[todo].fillna("").astype(str))  # no control characters in values
        codes, uniques = pd.factorize(pairs)
        counts = np.bincount(codes, minlength=len(uniques))
        keys = [tuple(u.rsplit("\x1f", 1)) for u in uniques]
        for k in np.argsort(-counts, kind="stable"):
            if keys[k] not in self.resolved:
                self.resolved[keys[k]] = self._resolve(*keys[k])
        for pair, n in zip(keys, counts, strict=True):
            self.rows[pair] += int(n)
        res = [self.resolved[k] for k in keys]
        suffix = np.array([self._issue(r) for r in res], dtype=object)
        issue[where] = issue[where].to_numpy(dtype=object) + suffix[codes]
        found = np.array([r.region is not None for r in res])[codes]
        if not found.any():
            return
        hit, hit_codes = where[found], codes[found]
        regions = [r.region for r in res]
        for column in {c for r in regions if r for c in self._codes_for(r)}:
            values = np.array([self._codes_for(r).get(column) if r else None for r in regions],
                              dtype=object)
            rows.loc[hit, column] = values[hit_codes]
        label = np.array([self.index.label_point(r) if r else (np.nan, np.nan)
                          for r in regions], dtype="float64").reshape(-1, 2)
        rows.loc[hit, "lat"] = label[hit_codes, 0]
        rows.loc[hit, "lon"] = label[hit_codes, 1]
        rows.loc[hit, "placement"] = "region_label_point"
        rows.loc[hit, "placed_in"] = np.array([r.label() if r else None for r in regions],
                                              dtype=object)[hit_codes]
        rows.loc[hit, "region_match"] = "region"
        country = np.array([r.country if r else None for r in regions], dtype=object)
        no_country = rows.loc[hit, "country"].isna().to_numpy()
        rows.loc[hit[no_country], "country"] = country[hit_codes[no_country]]

    def _codes_for(self, region) -> dict[str, str]:
        if region.ref not in self._codes:
            self._codes[region.ref] = self.index.codes_for(region)
        return self._codes[region.ref]

    @staticmethod
    def _issue(res: Resolution) -> str:
        if res.region is not None:
            return f"; placed at the label point of {res.region.label()} (approximate)"
        hint = (f"; suggestions: {', '.join(s.label() for s in res.suggestions[:3])}"
                if res.suggestions else "")
        return f"; region {res.value!r} not recognised{hint}"

    def report(self) -> list[dict]:
        """One entry per distinct region value: unplaced first, then by rows."""
        out = [
            {"value": value, "country": country or None, "rows": n, "how": res.how,
             "region": res.region.ref if res.region else None,
             "label": res.region.label() if res.region else None,
             "suggestions": [{"region": s.ref, "label": s.label()} for s in res.suggestions]}
            for (value, country), n in self.rows.items()
            for res in [self.resolved[(value, country)]]
        ]
        return sorted(out, key=lambda r: (r["region"] is not None, -r["rows"]))


def _flags(rows: pd.DataFrame, issue: pd.Series, notes: pd.Series,
           region_text: pd.Series) -> list[dict]:
    """Accepted rows the user should look at: a point not used, a region not recognised, no
    place at all, or a point fixed on request. A row simply placed by its region is fine."""
    placement = rows["placement"]
    plain = issue.str.startswith("no coordinates in source")
    unplaced = placement == "none"
    bad_point = ~plain & (issue != "")
    show = unplaced | bad_point | (notes != "")
    out = []
    for i in np.flatnonzero(show.to_numpy()):
        text = issue.iloc[i] or notes.iloc[i]
        if unplaced.iloc[i] and not region_text.iloc[i]:
            text += ("; no region either: counted for its country only" if rows["country"].iloc[i]
                     else "; no region or country either: not on the map")
        out.append({"line": int(rows["line"].iloc[i]), "issue": text,
                    "placement": placement.iloc[i]})
    return out


def slug(text: str) -> str:
    """A dataset id from its name: lower-case ASCII letters, digits and dashes, other
    scripts transliterated ('Łódź' → 'lodz', 'Κρήτη' → 'krete'), so that two names rarely
    give one id (the workspace still refuses to replace a dataset silently)."""
    from slugify import slugify

    return slugify(text or "", max_length=40, word_boundary=True, save_order=True) or "import"


def unused_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`… : the first id no other data uses (ids stay at
    most 40 characters)."""
    if wanted not in taken:
        return wanted
    n = 2
    while (candidate := f"{wanted[:36].rstrip('-')}-{n}") in taken:
        n += 1
    return candidate


def relabel(rows: pd.DataFrame, dataset_id: str) -> pd.DataFrame:
    """Imported rows under another dataset id: `source` and the id prefix of every row
    (`<dataset>:<source id>`) change, nothing else. A copy: the import's rows stay as they are."""
    out = rows.copy()
    old = out["source"].iloc[0] if len(out) else dataset_id
    out["id"] = (dataset_id + ":" + out["id"].astype(str).str.slice(len(old) + 1)).astype(object)
    out["source"] = dataset_id
    return out


# ---------------------------------------------------------------- whole runs (CLI, tests)


def load_all_layers(geo_dir: Path | None = None) -> dict:
    """Every regional layer, as placement needs them."""
    from atlas.geo.regions import load_layer
    from atlas.model.layers import LAYER_IDS

    return {lid: load_layer(lid, geo_dir) for lid in LAYER_IDS}


def mapping_for(raw: RawTable, overrides: Mapping | None = None) -> Mapping:
    """Suggested columns, then the user's `overrides` (a given lat/lon pair wins over a
    suggested coordinates column)."""
    mapping = suggest_mapping(raw)
    mapping.update(overrides or {})
    if mapping.get("lat") and mapping.get("lon"):
        mapping["coordinates"] = mapping.get("coordinates") if overrides and \
            overrides.get("coordinates") else None
    return mapping


def import_path(path: Path, options: ImportOptions, *, sheet: str | None = None,
                overrides: Mapping | None = None, layers: dict | None = None,
                limits: Limits | None = None, encoding: str | None = None) -> ImportResult:
    """Read a file whole, map its columns (suggestions, then `overrides`), validate and place
    it (atlas.ingest.stream does the same for a large CSV without holding it in memory)."""
    raw = read_path(path, sheet, limits, encoding)
    return run_import(raw, mapping_for(raw, overrides), options, layers or load_all_layers())


