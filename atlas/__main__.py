"""Command line: `python -m atlas build|stats`."""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            from atlas.build import build

            build(args.shared, args.data_dir, args.geo_dir)
        elif args.command == "stats":
            from atlas.stats import collect, render

            stats = collect(args.data_dir, args.geo_dir)
            print(json.dumps(stats, ensure_ascii=False) if args.json else render(stats))
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
