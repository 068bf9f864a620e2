#!/usr/bin/env python
"""Re-create ``static/vendor/``: the JS/CSS/images/fonts folium maps need, served locally.

    python scripts/vendor_assets.py

Each package is fetched from the npm registry with ``npm pack <name>@<version>`` into a
temporary directory; only the files a folium 0.20.0 / branca 0.8.2 / streamlit-folium 0.27.4
map loads (and each package's licence) are copied. ``static/vendor/`` is deleted and rebuilt,
and ``static/vendor/LICENSES.md`` records package, version, licence, npm integrity and files.

Two small files are not on npm and are generated here:

* ``bootstrap-3.4.1-glyphicons/css/bootstrap-glyphicons.css``: folium links Bootstrap 3.0.0's
  ``bootstrap-glyphicons.css`` (glyphicons are the default Awesome Markers icon prefix). npm
  has no bootstrap@3.0.0, so the glyphicon rules are cut out of bootstrap@3.4.1's CSS
  (a superset of the icon names) and point at its woff2/woff/ttf fonts.
* ``folium/leaflet.awesome.rotate.min.css``: folium's ``.fa-rotate-N`` rules (N = 0..360),
  which folium links from its GitHub repository.

The URL table that maps CDN URLs to these files lives in ``atlas/offline.py``; its tests check
that every local URL in it exists here.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    dest: str  # folder under static/vendor/
    licence: str  # SPDX, checked by hand against the LICENSE file
    files: dict[str, str]  # path inside the npm package -> path under dest
    used_for: str
    note: str = ""
    generated: dict[str, str] = field(default_factory=dict)  # dest path -> description

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


_LEAFLET_IMAGES = [
    "layers.png",
    "layers-2x.png",
    "marker-icon.png",
    "marker-icon-2x.png",
    "marker-shadow.png",
]
_AWESOME_IMAGES = [
    "markers-soft.png",
    "markers-soft@2x.png",
    "markers-shadow.png",
    "markers-shadow@2x.png",
]
_FA_FONTS = ["fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility"]
_GLYPH_FONTS = ["woff2", "woff", "ttf"]

PACKAGES: list[Package] = [
    Package(
        "leaflet",
        "1.9.3",
        "leaflet-1.9.3",
        "BSD-2-Clause",
        {
            "dist/leaflet.js": "leaflet.js",
            "dist/leaflet.css": "leaflet.css",
            **{f"dist/images/{f}": f"images/{f}" for f in _LEAFLET_IMAGES},
            "LICENSE": "LICENSE",
        },
        "folium.Map default_js/default_css",
    ),
    Package(
        "leaflet.markercluster",
        "1.1.0",
        "leaflet.markercluster-1.1.0",
        "MIT",
        {
            "dist/leaflet.markercluster.js": "leaflet.markercluster.js",
            "dist/MarkerCluster.css": "MarkerCluster.css",
            "dist/MarkerCluster.Default.css": "MarkerCluster.Default.css",
            "MIT-LICENCE.txt": "LICENSE",
        },
        "folium.plugins.MarkerCluster / FastMarkerCluster",
    ),
    Package(
        "d3",
        "3.5.5",
        "d3-3.5.5",
        "BSD-3-Clause",
        {"d3.min.js": "d3.min.js", "LICENSE": "LICENSE"},
        "branca colormap legend; streamlit-folium adds it whenever a colormap is present",
    ),
    Package(
        "d3",
        "4.13.0",
        "d3-4.13.0",
        "BSD-3-Clause",
        {"build/d3.min.js": "d3.min.js", "LICENSE": "LICENSE"},
        "streamlit-folium adds d3 v4 whenever a colormap is present "
        "(4.13.0 is the last v4, what the d3 v4 URL serves)",
    ),
    Package(
        "jquery",
        "3.7.1",
        "jquery-3.7.1",
        "MIT",
        {"dist/jquery.min.js": "jquery.min.js", "LICENSE.txt": "LICENSE"},
        "folium.Map default_js",
    ),
    Package(
        "bootstrap",
        "5.2.2",
        "bootstrap-5.2.2",
        "MIT",
        {
            "dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "dist/css/bootstrap.min.css": "css/bootstrap.min.css",
            "LICENSE": "LICENSE",
        },
        "folium.Map default_js/default_css",
    ),
    Package(
        "bootstrap",
        "3.4.1",
        "bootstrap-3.4.1-glyphicons",
        "MIT",
        {
            **{
                f"dist/fonts/glyphicons-halflings-regular.{ext}": (
                    f"fonts/glyphicons-halflings-regular.{ext}"
                )
                for ext in _GLYPH_FONTS
            },
            "LICENSE": "LICENSE",
        },
        "folium.Map default_css (glyphicons for Awesome Markers)",
        note="folium links bootstrap 3.0.0's glyphicons CSS, which npm does not have; "
        "the glyphicon rules of 3.4.1 are a superset",
        generated={
            "css/bootstrap-glyphicons.css": "glyphicon rules cut out of dist/css/bootstrap.css"
        },
    ),
    Package(
        "leaflet.awesome-markers",
        "2.0.5",
        "leaflet.awesome-markers-2.0.5",
        "MIT",
        {
            "dist/leaflet.awesome-markers.js": "leaflet.awesome-markers.js",
            "dist/leaflet.awesome-markers.css": "leaflet.awesome-markers.css",
            **{f"dist/images/{f}": f"images/{f}" for f in _AWESOME_IMAGES},
            "LICENSE": "LICENSE",
        },
        "folium.Map default_js/default_css",
        note="folium links 2.0.2 from a CDN; npm has 2.0.0/2.0.4/2.0.5 only. "
        "package.json says ISC, the LICENSE file is MIT",
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "6.2.0",
        "fontawesome-free-6.2.0",
        "CC-BY-4.0 AND OFL-1.1 AND MIT",
        {
            "css/all.min.css": "css/all.min.css",
            **{
                f"webfonts/{f}.{ext}": f"webfonts/{f}.{ext}"
                for f in _FA_FONTS
                for ext in ("woff2", "ttf")
            },
            "LICENSE.txt": "LICENSE.txt",
        },
        "folium.Map default_css (Awesome Markers icons)",
    ),
    Package(
        "topojson",
        "1.6.9",
        "topojson-1.6.9",
        "BSD-3-Clause",
        {"topojson.min.js": "topojson.min.js", "LICENSE": "LICENSE"},
        "folium.TopoJson default_js",
    ),
]


def npm_pack(spec: str, dest: Path) -> dict:
    """``npm pack spec`` into dest; returns npm's JSON record (filename, integrity, ...)."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    records = json.loads(out)
    if not records:
        raise RuntimeError(f"npm pack {spec} returned nothing")
    return records[0]


def read_member(tgz: Path, inner: str) -> bytes:
    with tarfile.open(tgz, "r:gz") as tar:
        try:
            member = tar.getmember(f"package/{inner}")
        except KeyError:
            raise FileNotFoundError(f"{tgz.name} has no package/{inner}") from None
        fh = tar.extractfile(member)
        if fh is None:
            raise FileNotFoundError(f"{tgz.name}: package/{inner} is not a regular file")
        return fh.read()


def glyphicons_css(bootstrap3_css: str) -> str:
    """The glyphicon rules of Bootstrap 3's CSS, fonts under ../fonts/ (woff2, woff, ttf)."""
    keep: list[str] = []
    for match in re.finditer(r"([^{}]+)\{([^{}]*)\}", bootstrap3_css):
        selectors = [s.strip() for s in match.group(1).split(",")]
        if all(re.fullmatch(r"\.glyphicon(-[a-z0-9-]+:before)?", s) for s in selectors):
            keep.append(f"{', '.join(selectors)} {{{match.group(2).rstrip()}\n}}")
    if len(keep) < 200:
        raise RuntimeError(f"only {len(keep)} glyphicon rules found: layout changed?")
    src = ", ".join(
        f'url("../fonts/glyphicons-halflings-regular.{ext}") format("{fmt}")'
        for ext, fmt in (("woff2", "woff2"), ("woff", "woff"), ("ttf", "truetype"))
    )
    font_face = f'@font-face {{\n  font-family: "Glyphicons Halflings";\n  src: {src};\n}}'
    header = (
        "/*! Glyphicons rules of Bootstrap v3.4.1 (https://getbootstrap.com/)\n"
        " * Copyright 2011-2019 Twitter, Inc. Licensed under MIT.\n"
        " * Extracted by scripts/vendor_assets.py. */"
    )
    return "\n".join([header, font_face, *keep]) + "\n"


def rotate_css() -> str:
    """folium's leaflet.awesome.rotate CSS: one .fa-rotate-N rule per degree."""
    rules = [
        f".fa-rotate-{n}{{-ms-transform:rotate({n}deg);-webkit-transform:rotate({n}deg);"
        f"transform:rotate({n}deg)}}"
        for n in range(361)
    ]
    return "/* folium leaflet.awesome.rotate rules, generated by scripts/vendor_assets.py */\n" + (
        "\n".join(rules) + "\n"
    )


def folium_licence() -> tuple[str, str]:
    dist = importlib.metadata.distribution("folium")
    for f in dist.files or []:
        if f.name.upper().startswith("LICENSE"):
            return dist.version, Path(dist.locate_file(f)).read_text(encoding="utf-8")
    raise FileNotFoundError("folium's LICENSE not found in its installed distribution")


def human(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MiB"


def build(vendor_dir: Path) -> int:
    if vendor_dir.exists():
        shutil.rmtree(vendor_dir)
    vendor_dir.mkdir(parents=True)
    rows: list[str] = []
    file_lines: list[str] = []

    def write(rel: str, data: bytes) -> None:
        path = vendor_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        file_lines.append(f"| `{rel}` | {len(data):,} |")

    with tempfile.TemporaryDirectory(prefix="atlas-vendor-") as tmp:
        tmp_dir = Path(tmp)
        for pkg in PACKAGES:
            pack_dir = tmp_dir / pkg.dest
            pack_dir.mkdir()
            record = npm_pack(pkg.spec, pack_dir)
            tgz = pack_dir / record["filename"]
            print(f"{pkg.spec}: {tgz.name} ({record.get('integrity', '?')})")
            for inner, rel in pkg.files.items():
                write(f"{pkg.dest}/{rel}", read_member(tgz, inner))
            if pkg.dest == "bootstrap-3.4.1-glyphicons":
                css = read_member(tgz, "dist/css/bootstrap.css").decode("utf-8")
                write(f"{pkg.dest}/css/bootstrap-glyphicons.css", glyphicons_css(css).encode())
            note = f" {pkg.note}." if pkg.note else ""
            rows.append(
                f"| {pkg.name} | {pkg.version} | {pkg.licence} | `{pkg.dest}/` | "
                f"npm registry, `npm pack {pkg.spec}`, integrity `{record.get('integrity')}` | "
                f"{pkg.used_for}.{note} |"
            )

    folium_version, folium_licence_text = folium_licence()
    write("folium/leaflet.awesome.rotate.min.css", rotate_css().encode())
    write("folium/LICENSE", folium_licence_text.encode())
    rows.append(
        f"| folium (rotate CSS only) | {folium_version} | MIT | `folium/` | generated by "
        "scripts/vendor_assets.py (rules as in folium's leaflet.awesome.rotate.min.css); "
        "LICENSE from the installed folium distribution | folium.Map default_css |"
    )

    total = sum(p.stat().st_size for p in vendor_dir.rglob("*") if p.is_file())
    licences = "\n".join(
        [
            "# Vendored browser assets",
            "",
            "Generated by `python scripts/vendor_assets.py`: do not edit by hand. These are the",
            "files a folium map needs, served by Streamlit's static serving at",
            "`/app/static/vendor/` so that maps draw with no request outside the app;",
            "`atlas/offline.py` maps each CDN URL used by folium, branca and streamlit-folium",
            "to them. Each folder holds its package's licence file.",
            "",
            "| package | version | licence | folder | source | used for |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"## Files ({len(file_lines)} files, {human(total)} before this file)",
            "",
            "| file | bytes |",
            "| --- | ---: |",
            *file_lines,
            "",
        ]
    )
    (vendor_dir / "LICENSES.md").write_text(licences, encoding="utf-8")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR, help="default: static/vendor")
    args = parser.parse_args(argv)
    if shutil.which("npm") is None:
        print("npm not found: apt-get install -y npm", file=sys.stderr)
        return 2
    total = build(args.dest)
    print(f"wrote {args.dest} ({human(total)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
