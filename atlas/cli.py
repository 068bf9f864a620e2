"""Command line: `python -m atlas build|stats|synth|import`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atlas", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="rebuild data/ and geo/ from ../shared/data-sources")
    b.add_argument("--shared", type=Path, help="raw data folder (default ../shared/data-sources)")
    b.add_argument("--data-dir", type=Path)
    b.add_argument("--geo-dir", type=Path)
    s = sub.add_parser("stats", help="counts by source, theme, country and layer")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--data-dir", type=Path)
    s.add_argument("--geo-dir", type=Path)
    y = sub.add_parser("synth", help="synthetic initiatives for tests and benchmarks only")
    y.add_argument("n", type=int, help="number of rows")
    y.add_argument("--out", type=Path, default=Path("synthetic") / "initiatives.parquet",
                   help=".parquet (app-ready, with region codes) or .csv (raw, to import)")
    y.add_argument("--seed", type=int, help="random seed (fixed default)")
    add_import_parser(sub)
    r = sub.add_parser("profile", help="one region's profile (the region page's figures)",
                       description="Print the profile of one region: names, codes, counts, per "
                       "100k, ranks, theme mix, sources and coverage note.")
    r.add_argument("region", metavar="LAYER:CODE", help="e.g. nuts2:ITH5 or uk_regions:UKI")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--filters", default="", metavar="QUERY",
                   help="filters as in the app's URL, e.g. 'theme=employment&country=IT'")
    r.add_argument("--data-dir", type=Path)
    r.add_argument("--geo-dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "import":
        return run_import_command(args)
    if args.command == "profile":
        return run_profile_command(args)

    try:
        if args.command == "build":
            from atlas.build.pipeline import build

            build(args.shared, args.data_dir, args.geo_dir)
        elif args.command == "stats":
            from atlas.build.stats import collect, render

            stats = collect(args.data_dir, args.geo_dir)
            print(json.dumps(stats, ensure_ascii=False) if args.json else render(stats))
        elif args.command == "synth":
            from atlas.build import synth

            synth.main(args.n, args.out, synth.DEFAULT_SEED if args.seed is None else args.seed)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_profile_command(args) -> int:
    """`python -m atlas profile LAYER:CODE`: exit 2 with a one-line reason for an unknown
    layer, code or filter value."""
    from urllib.parse import parse_qs

    from atlas.analysis.profile import build_profile
    from atlas.model.filters import from_params
    from atlas.model.layers import LAYERS
    from atlas.store.context import (
        context_layer_table,
        load_degurba,
        load_official_figures,
        load_policies,
    )
    from atlas.store.initiatives import facet_values, load_initiatives
    from atlas.text import clip

    layer_id, sep, code = args.region.partition(":")
    if not sep or layer_id not in LAYERS:
        print(f"error: unknown layer {clip(layer_id)!r}: write LAYER:CODE with a layer among "
              f"{', '.join(LAYERS)}", file=sys.stderr)
        return 2
    try:
        df = load_initiatives(args.data_dir)
        regions = context_layer_table(layer_id, args.data_dir, args.geo_dir)
        countries = context_layer_table("countries", args.data_dir, args.geo_dir)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    codes = set(regions["code"])
    if code not in codes and code.upper() in codes:
        code = code.upper()
    if code not in codes:
        print(f"error: no region {clip(code)!r} in {LAYERS[layer_id].label} ({layer_id}); "
              "search the app's region page by name to find its code", file=sys.stderr)
        return 2
    filters, notices = from_params(parse_qs(args.filters), facet_values(df))
    if notices:
        print(f"error: {notices[0].replace(' in the URL', ' in --filters')}", file=sys.stderr)
        return 2
    profile = build_profile(df, regions, layer_id, code, filters, countries,
                            policies=load_policies(args.data_dir),
                            figures=load_official_figures(args.data_dir),
                            degurba=load_degurba(args.data_dir))
    if args.json:
        print(json.dumps(profile.to_json(), ensure_ascii=False))
    else:
        print(profile.to_text())
    return 0


def add_import_parser(sub) -> None:
    """`import FILE`: the data page's import, same checks and report, from a terminal."""
    i = sub.add_parser(
        "import",
        help="check and save your own register (CSV, XLSX, GeoJSON) into the workspace",
        description="Read, validate and place a register of initiatives; save it into the "
        "workspace (ATLAS_WORKSPACE) unless --dry-run. A dataset id that is saved already is "
        "refused unless --replace. Exit 0 when the file could be read (even with rejected "
        "rows), 2 with a one-line reason when it could not or the id is taken.",
    )
    i.add_argument("file", type=Path)
    i.add_argument("--dry-run", action="store_true", help="report only, save nothing")
    i.add_argument("--json", action="store_true", help="print the report as one JSON object")
    i.add_argument("--name", help="dataset name shown in the app (default: the file name)")
    i.add_argument("--id", dest="dataset_id", help="dataset id (default: from the name)")
    i.add_argument("--replace", action="store_true",
                   help="replace the saved dataset with the same id (without it: exit 2)")
    i.add_argument("--license", default="not stated", help="licence of the dataset")
    i.add_argument("--attribution", default="", help="how to credit the dataset")
    i.add_argument("--sheet", help="XLSX sheet to read (default: the first with data)")
    i.add_argument("--encoding", help="text encoding of a CSV, e.g. cp1250 (default: detected; "
                   "the report says which and lists lines that do not decode)")
    i.add_argument("--country", help="ISO country code of rows that state none (e.g. IT)")
    i.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="override a column suggestion (themes: several columns joined by |; "
                   "empty COLUMN: none)")
    i.add_argument("--region", action="append", default=[], metavar="VALUE=LAYER:CODE",
                   help="confirm a region name, e.g. 'Emilie-Romagne=nuts2:ITH5'")
    i.add_argument("--accept-region-suggestions", action="store_true",
                   help="take the first suggestion for region names not matched exactly")
    i.add_argument("--keyword-themes", action="store_true",
                   help="give rows without a theme the themes of keywords in their text")
    i.add_argument("--swap-latlon", action="store_true",
                   help="swap latitude and longitude where they look swapped")
    i.add_argument("--merge-duplicates", action="store_true",
                   help="merge duplicate rows into the first one (default: keep all)")
    i.add_argument("--rejections", type=Path, metavar="CSV",
                   help="also write the rejected rows (line, reason) to this CSV file")
    i.add_argument("--workspace", type=Path, help="workspace folder (default ATLAS_WORKSPACE)")
    i.add_argument("--geo-dir", type=Path)


def run_import_command(args) -> int:
    """Run `import`; 0 when the file could be read, 2 (one line on stderr) when not, or when
    the dataset id is saved already and --replace was not given (checked before reading).

    A CSV is streamed block by block straight into the workspace (atlas.ingest.stream), with
    no size or row limit: memory stays about one block's worth. XLSX and GeoJSON are read
    whole, within ATLAS_MAX_UPLOAD_MB and ATLAS_MAX_ROWS, as on the data page."""
    from atlas.ingest import categories, columns, importer
    from atlas.ingest import stream as import_stream
    from atlas.present.exports import csv_bytes
    from atlas.store.workspace import DatasetExists, Workspace, WorkspaceError

    mapping: dict[str, object] = {}
    for item in args.map:
        fld, sep, column = item.partition("=")
        if not sep or fld not in columns.FIELDS:
            print(f"error: --map {item!r}: expected FIELD=COLUMN with FIELD one of "
                  f"{', '.join(columns.FIELDS)}", file=sys.stderr)
            return 2
        mapping[fld] = [c for c in column.split("|") if c] if fld == "themes" else column or None
    regions = {}
    for item in args.region:
        value, sep, ref = item.rpartition("=")
        if not sep:
            print(f"error: --region {item!r}: expected VALUE=LAYER:CODE", file=sys.stderr)
            return 2
        regions[value] = ref
    title = args.name or args.file.stem
    options = importer.ImportOptions(
        dataset_id=args.dataset_id or importer.slug(title), title=title, license=args.license,
        attribution=args.attribution, country=(args.country or "").upper() or None,
        swap_latlon=args.swap_latlon, merge_duplicates=args.merge_duplicates,
        region_choices=regions, accept_region_suggestions=args.accept_region_suggestions,
        # Every keyword rule: those no row without a theme carries change nothing.
        keywords=frozenset(k for k, _ in categories.keyword_rules()) if args.keyword_themes
        else None,
    )
    stream = import_stream.is_csv(args.file)
    with contextlib.ExitStack() as stack:
        try:
            workspace = Workspace(args.workspace)
            staged = None
            if not args.dry_run:
                workspace.check_id(options.dataset_id)
                workspace.recover()  # what killed imports left behind
                if not args.replace and workspace.exists(options.dataset_id):
                    raise DatasetExists(options.dataset_id)
                if stream:
                    staged = stack.enter_context(workspace.staging(options.dataset_id))
            # the default layers are loaded once the file has been read (a refused file does
            # not pay for them)
            layers = importer.load_all_layers(args.geo_dir) if args.geo_dir else None
            if stream:
                result = import_stream.stream_path(args.file, options, out=staged,
                                                   overrides=mapping, layers=layers,
                                                   limits=importer.Limits.unlimited(),
                                                   encoding=args.encoding)
            else:
                result = importer.import_path(args.file, options, sheet=args.sheet,
                                              overrides=mapping, layers=layers,
                                              encoding=args.encoding)
        except DatasetExists as exc:
            print(f"error: {_taken(exc.dataset_id)}", file=sys.stderr)
            return 2
        except (importer.ImportFailure, WorkspaceError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        report = result.report()
        report["file"] = str(args.file)
        report["saved"] = None
        report["dry_run"] = args.dry_run
        if args.rejections:
            args.rejections.write_bytes(csv_bytes(result.rejections_frame()))
        if not args.dry_run and not result.accepted:
            _print_report(report, args.json, None)
            print("error: nothing saved: no row was accepted (see the report above)",
                  file=sys.stderr)
            return 2
        if not args.dry_run:
            try:
                saved = _save(workspace, result, staged, title, args, report)
            except DatasetExists as exc:  # saved by someone else while this file was read
                print(f"error: {_taken(exc.dataset_id)}", file=sys.stderr)
                return 2
            except (WorkspaceError, OSError) as exc:
                print(f"error: the report is fine but saving failed: {exc}", file=sys.stderr)
                return 3
            report["saved"] = {"id": saved.id, "title": saved.title, "rows": saved.rows,
                               "folder": str(workspace.folder)}
    _print_report(report, args.json, workspace.folder if report["saved"] else None)
    return 0


def _print_report(report: dict, as_json: bool, folder: Path | None) -> None:
    from atlas.ingest.report import render_report

    if as_json:
        print(json.dumps(report, ensure_ascii=False, default=str))
        return
    print(render_report(report))
    print(f"saved as dataset {report['dataset']['id']!r} in {folder}" if folder
          else "dry run: nothing saved" if report.get("dry_run") else "nothing saved")


def _save(workspace, result, staged: Path | None, title: str, args, report: dict):
    """The import's rows as the dataset's new version (streamed: the file written already)."""
    about = {"title": title, "license": args.license, "attribution": args.attribution,
             "origin": args.file.name, "report": report, "replace": args.replace}
    if staged is not None:
        return workspace.save_file(result.options.dataset_id, staged, rows=result.accepted,
                                   **about)
    return workspace.save(result.options.dataset_id, result.rows, **about)


def _taken(dataset_id: str) -> str:
    return (f"a saved dataset already has the id '{dataset_id}': pass --replace to replace "
            "it, or --id to save under another id")

