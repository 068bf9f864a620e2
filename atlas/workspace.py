"""Imported datasets kept on disk: saved atomically, listed with their provenance, deleted.

Layout of the workspace folder (env ATLAS_WORKSPACE, default ./workspace/, git-ignored):

    datasets/<id>.current.json                  the commit point: which version is current
    datasets/<id>-<version>.parquet             one version of the rows (schema columns)
    datasets/<id>-<version>.parquet.meta.yaml   its sidecar: name, licence, rows, date, sha256

A save writes a new version's Parquet (to a temporary file in the same folder, fsynced, then
renamed) and sidecar under names nobody reads yet, and only then replaces the `.current.json`
pointer the same way: `os.replace` is atomic. A process killed at any moment
leaves either the previous version or the new one current, never a mix or a torn file; leftovers
of an interrupted save are swept later. Who may write is atlas.access's business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atlas.paths import ROOT
from atlas.provenance import read_sidecar, sha256_of, sidecar_path, write_sidecar
from atlas.schema import conform
from atlas.sources import SOURCES

ENV_WORKSPACE = "ATLAS_WORKSPACE"
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
POINTER_SUFFIX = ".current.json"
# Leftovers of interrupted saves older than this are removed (a save in progress is younger).
SWEEP_AFTER_S = 3600


def workspace_dir() -> Path:
    """The workspace folder, read from the environment at call time (tests point it away)."""
    return Path(os.environ.get(ENV_WORKSPACE) or ROOT / "workspace")


class WorkspaceError(ValueError):
    """A dataset id, name or file that the workspace refuses, with a reason to show."""


@dataclass(frozen=True)
class Dataset:
    """A saved dataset as the app lists it: id, name, licence, attribution and counts."""

    id: str
    title: str
    license: str
    attribution: str
    rows: int
    date: str
    sha256: str
    file: Path
    origin: str = ""

    @property
    def meta(self) -> dict:
        return read_sidecar(self.file)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, fsync it, rename it over `path`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


class Workspace:
    """The datasets saved in one folder."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else workspace_dir()
        self.folder = self.root / "datasets"

    def _pointer(self, dataset_id: str) -> Path:
        return self.folder / f"{dataset_id}{POINTER_SUFFIX}"

    def version(self) -> tuple:
        """Changes whenever a dataset is saved or deleted (cache key for the app)."""
        if not self.folder.is_dir():
            return ()
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in
                            self.folder.glob(f"*{POINTER_SUFFIX}")))

    def check_id(self, dataset_id: str) -> str:
        if not DATASET_ID.match(dataset_id or ""):
            raise WorkspaceError(
                f"dataset id {dataset_id!r}: use 1-40 lower-case letters, digits and dashes")
        if dataset_id in SOURCES:
            raise WorkspaceError(f"dataset id {dataset_id!r} is a shipped source: choose another")
        return dataset_id

    def save(self, dataset_id: str, rows: pd.DataFrame, *, title: str, license: str,
             attribution: str = "", origin: str = "", report: dict | None = None) -> Dataset:
        """Save (or replace) a dataset atomically; the previous version stays current until the
        new one is complete on disk."""
        self._check(dataset_id, title)
        table = conform(rows)
        final = self._version_file(dataset_id)
        atomic_write(final, lambda tmp: table.to_parquet(tmp, index=False, compression="zstd"))
        return self._commit(dataset_id, final, len(table), title=title, license=license,
                            attribution=attribution, origin=origin, report=report)

    @contextlib.contextmanager
    def staging(self, dataset_id: str) -> Iterator[Path]:
        """A temporary file in the datasets folder for rows written in pieces (a large
        import); `save_file` makes it a version, else it is removed on leaving."""
        self.check_id(dataset_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".tmp-{self._version_file(dataset_id).name}-",
                                    dir=self.folder)
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def save_file(self, dataset_id: str, staged: Path, *, rows: int, title: str, license: str,
                  attribution: str = "", origin: str = "", report: dict | None = None
                  ) -> Dataset:
        """Save a Parquet file written in `staging` (schema columns, `rows` rows) as the
        dataset's new version, atomically, without reading it into memory."""
        self._check(dataset_id, title)
        final = self._version_file(dataset_id)
        with open(staged, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(staged, final)
        _fsync_dir(self.folder)
        return self._commit(dataset_id, final, rows, title=title, license=license,
                            attribution=attribution, origin=origin, report=report)

    def _check(self, dataset_id: str, title: str) -> None:
        self.check_id(dataset_id)
        if not title.strip():
            raise WorkspaceError("give the dataset a name")
        self.folder.mkdir(parents=True, exist_ok=True)

    def _version_file(self, dataset_id: str) -> Path:
        version = f"{time.time_ns():016x}{secrets.token_hex(2)}"
        return self.folder / f"{dataset_id}-{version}.parquet"

    def _commit(self, dataset_id: str, final: Path, rows: int, *, title: str, license: str,
                attribution: str, origin: str, report: dict | None) -> Dataset:
        """Sidecar, then the pointer: from here on the new version is the current one."""
        digest = sha256_of(final)
        accounting = {k: report[k] for k in ("read", "accepted", "rejected", "placed",
                                             "duplicates") if k in report} if report else {}
        side = write_sidecar(
            final,
            title=title.strip(),
            producer="imported by an SSE Atlas user",
            origin=origin or "uploaded file",
            license=license.strip() or "not stated",
            attribution=attribution.strip() or title.strip(),
            rows=rows,
            steps=["import: read, map columns, validate (atlas.importer)",
                   "place: coordinates, else the region named in the row (atlas.placement)",
                   "save: atomic write to the workspace (atlas.workspace)"],
            dataset_id=dataset_id,
            accounting=accounting,
        )
        with open(side, "rb+") as fh:
            os.fsync(fh.fileno())
        pointer = {"id": dataset_id, "file": final.name, "sha256": digest,
                   "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        atomic_write(self._pointer(dataset_id),
                     lambda tmp: tmp.write_text(json.dumps(pointer), encoding="utf-8"))
        self.sweep(keep_recent=True)
        found = self.get(dataset_id)
        if found is None:
            raise WorkspaceError(f"dataset {dataset_id!r} could not be read back after saving")
        return found

    def get(self, dataset_id: str) -> Dataset | None:
        """The current version of a dataset, or None when there is none (or it is damaged)."""
        try:
            pointer = json.loads(self._pointer(dataset_id).read_text(encoding="utf-8"))
            file = self.folder / pointer["file"]
            meta = read_sidecar(file)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not file.exists() or meta.get("sha256") != pointer.get("sha256"):
            return None
        return Dataset(id=dataset_id, title=str(meta.get("title", dataset_id)),
                       license=str(meta.get("license", "")),
                       attribution=str(meta.get("attribution", "")), rows=int(meta["rows"]),
                       date=str(meta.get("date", "")), sha256=str(meta["sha256"]), file=file,
                       origin=str(meta.get("origin", "")))

    def datasets(self) -> list[Dataset]:
        """Every saved dataset, by name."""
        if not self.folder.is_dir():
            return []
        ids = [p.name[: -len(POINTER_SUFFIX)] for p in self.folder.glob(f"*{POINTER_SUFFIX}")]
        found = [d for d in (self.get(i) for i in ids) if d is not None]
        return sorted(found, key=lambda d: (d.title.casefold(), d.id))

    def load(self, dataset_id: str, verify: bool = True) -> pd.DataFrame:
        """A dataset's rows; with `verify`, refuses a file whose sha256 is not the saved one."""
        found = self.get(dataset_id)
        if found is None:
            raise WorkspaceError(f"no saved dataset {dataset_id!r}")
        if verify and sha256_of(found.file) != found.sha256:
            raise WorkspaceError(f"dataset {dataset_id!r} is damaged (checksum mismatch)")
        return pd.read_parquet(found.file)

    def load_all(self) -> pd.DataFrame:
        """Rows of every saved dataset, one table (empty with schema columns when none)."""
        frames = []
        for d in self.datasets():
            with contextlib.suppress(WorkspaceError, OSError, ValueError):
                frames.append(self.load(d.id))
        if not frames:
            return conform(pd.DataFrame())
        return conform(pd.concat(frames, ignore_index=True))

    def delete(self, dataset_id: str) -> bool:
        """Remove a dataset: the pointer first (atomic), then its files."""
        self.check_id(dataset_id)
        pointer = self._pointer(dataset_id)
        if not pointer.exists():
            return False
        pointer.unlink()
        _fsync_dir(self.folder)
        self.sweep(keep_recent=False, only=dataset_id)
        return True

    def sweep(self, keep_recent: bool = True, only: str | None = None) -> list[Path]:
        """Remove files no pointer refers to (interrupted saves, replaced versions).

        With `keep_recent`, leftovers younger than SWEEP_AFTER_S are kept: they may belong to
        a save still running in another process. `only` limits the sweep to one dataset id.
        """
        if not self.folder.is_dir():
            return []
        current = set()
        for p in self.folder.glob(f"*{POINTER_SUFFIX}"):
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                name = json.loads(p.read_text(encoding="utf-8"))["file"]
                current.update({name, sidecar_path(Path(name)).name})
        removed = []
        now = time.time()
        for p in self.folder.iterdir():
            if p.name.endswith(POINTER_SUFFIX) or p.name in current:
                continue
            if only is not None and owner(p.name) != only:
                continue
            try:
                if keep_recent and now - p.stat().st_mtime < SWEEP_AFTER_S:
                    continue
                p.unlink()
                removed.append(p)
            except OSError:
                continue
        return removed


_VERSION_FILE = re.compile(r"^(?:\.tmp-)?([a-z0-9-]+)-[0-9a-f]{20}\.parquet")
_POINTER_TMP = re.compile(r"^\.tmp-([a-z0-9-]+)\.current\.json-")


def owner(file_name: str) -> str | None:
    """The dataset id a workspace file belongs to (versions, sidecars, temporary files)."""
    match = _VERSION_FILE.match(file_name) or _POINTER_TMP.match(file_name)
    return match.group(1) if match else None
