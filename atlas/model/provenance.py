"""Metadata sidecars (`<file>.meta.yaml`) so every shipped figure traces back to its source.

In the spirit of Our World in Data's snapshot metadata: each file the app ships says who made the
underlying data, where it came from, under which licence, how to attribute it, and which named
build steps turned it into what is shipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import yaml

REQUIRED = ("title", "producer", "origin", "license", "attribution", "date", "rows", "sha256")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.yaml")


def write_sidecar(
    path: Path,
    *,
    title: str,
    producer: str,
    origin: str | list[str],
    license: str,
    attribution: str,
    rows: int,
    steps: list[str],
    sources: list[dict[str, Any]] | None = None,
    date: str | None = None,
    **extra: Any,
) -> Path:
    """Write `<file>.meta.yaml` beside `path`; `date` is the build date (today by default).

    `steps` names the transformations, in order, that produced the file from its snapshot.
    `sources` lists the upstream snapshots (one dict each) when a file combines several.
    """
    meta: dict[str, Any] = {
        "title": title,
        "producer": producer,
        "origin": origin,
        "license": license,
        "attribution": attribution,
        "date": date or dt.date.today().isoformat(),
        "rows": int(rows),
        "sha256": sha256_of(path),
        "file": path.name,
        "bytes": path.stat().st_size,
        "steps": steps,
    }
    if sources:
        meta["sources"] = sources
    meta.update(extra)
    out = sidecar_path(path)
    out.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata of a shipped file; raises FileNotFoundError when the sidecar is missing."""
    return yaml.safe_load(sidecar_path(path).read_text(encoding="utf-8"))


def all_sidecars(*folders: Path) -> list[dict[str, Any]]:
    """Every sidecar in the given folders, sorted by file name (for the app's about box)."""
    metas = []
    for folder in folders:
        for side in sorted(folder.glob("*.meta.yaml")):
            metas.append(yaml.safe_load(side.read_text(encoding="utf-8")))
    return metas
