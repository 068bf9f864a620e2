"""Imported datasets kept on disk: saved atomically, listed with their provenance, deleted.

Layout of the workspace folder (env ATLAS_WORKSPACE, default ./workspace/, git-ignored):

    datasets/<id>.current.json                  the commit point: which version is current
    datasets/<id>-<version>.parquet             one version of the rows (schema columns)
    datasets/<id>-<version>.parquet.meta.yaml   its sidecar: name, licence, rows, date, sha256
    datasets/<id>.lock                          held (flock) while a save or delete runs

A save writes a new version's Parquet (to a temporary file in the same folder, fsynced, then
renamed) and sidecar under names nobody reads yet, and only then replaces the `.current.json`
pointer the same way: `os.replace` is atomic. A process killed at any moment
leaves either the previous version or the new one current, never a mix or a torn file.

Saves of one dataset id never race: each holds the dataset's lock from its first byte to the
pointer, and the pointer is compare-and-swapped (created exclusively for a new id, replaced
only if it still names the version the save started from). An id that exists is refused
(DatasetExists) unless the caller passes `replace=True`. Each pointer also names the
previous version; older versions, and what killed saves leave (temporary files, versions
never committed), are removed by the next save of that dataset and by `recover()` (app
start, CLI import start), which skips datasets whose lock another process holds.
Who may write is atlas.store.access's business.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atlas.model.provenance import read_sidecar, sha256_of, sidecar_path, write_sidecar
from atlas.model.schema import conform
from atlas.model.sources import SOURCES
from atlas.paths import ROOT

try:
    import fcntl
except ImportError:  # not POSIX: no locks; the pointer's compare-and-swap still holds
    fcntl = None  # type: ignore[assignment]

ENV_WORKSPACE = "ATLAS_WORKSPACE"
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
POINTER_SUFFIX = ".current.json"
LOCK_SUFFIX = ".lock"
# Versions kept on disk per dataset: the current one and the one it replaced.
KEEP_VERSIONS = 2
# A save waits this long for another save of the same dataset to finish, then gives up.
LOCK_WAIT_S = 30.0
_LOCK_POLL_S = 0.02
# Without locks (not POSIX), leftovers younger than this may be a save in progress: kept.
SWEEP_AFTER_S = 3600
_MIN_AGE_S = 0.0 if fcntl else SWEEP_AFTER_S


def workspace_dir() -> Path:
    """The workspace folder, read from the environment at call time (tests point it away)."""
    return Path(os.environ.get(ENV_WORKSPACE) or ROOT / "workspace")


class WorkspaceError(ValueError):
    """A dataset id, name or file that the workspace refuses, with a reason to show."""


class DatasetExists(WorkspaceError):
    """Saving would replace a saved dataset: refused unless the caller means it (replace)."""

    def __init__(self, dataset_id: str):
        super().__init__(f"a saved dataset already has the id '{dataset_id}': "
                         "pass replace=True to replace it")
        self.dataset_id = dataset_id


class DatasetBusy(WorkspaceError):
    """Another save or delete of the same dataset holds its lock."""

    def __init__(self, dataset_id: str):
        super().__init__(f"another save of dataset '{dataset_id}' is in progress: "
                         "try again when it is done")
        self.dataset_id = dataset_id


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


def create_exclusively(path: Path, text: str) -> None:
    """Write `path` complete, only if it does not exist (FileExistsError otherwise): a hard
    link of a finished temporary file never replaces a file, unlike a rename, so of two
    writers of one new file exactly one wins. Used for dataset pointers and saved stories."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system: exclusive create instead
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(path.parent)


def _try_flock(fd: int) -> bool:
    """Take an exclusive lock on `fd` without waiting; False when another holder has it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _names(path: Path, fd: int) -> bool:
    """Whether `path` still is the file open as `fd` (its holder removes it on release)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _acquire(path: Path, wait_s: float, dataset_id: str) -> int:
    """A descriptor holding the lock file `path`, waiting up to `wait_s` (DatasetBusy)."""
    deadline = time.monotonic() + wait_s
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        locked = _try_flock(fd)
        if locked and _names(path, fd):
            return fd
        os.close(fd)
        if not locked:  # else the file was removed by its last holder: lock the new one
            if time.monotonic() >= deadline:
                raise DatasetBusy(dataset_id)
            time.sleep(_LOCK_POLL_S)


def _release(path: Path, fd: int) -> None:
    """Remove the lock file while still holding it (no stale files), then let it go."""
    try:
        if _names(path, fd):
            path.unlink()
    except OSError:
        pass
    finally:
        os.close(fd)


_RECOVERED: set[Path] = set()
_RECOVERED_LOCK = threading.Lock()


class Workspace:
    """The datasets saved in one folder."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else workspace_dir()
        self.folder = self.root / "datasets"
        self._held: dict[tuple[int, str], int] = {}  # (thread, dataset id): lock descriptor

    @classmethod
    def opened(cls, root: Path | None = None) -> Workspace:
        """The workspace, recovered the first time this process opens its folder: what saves
        killed before a restart left behind goes at app start, not only at the next save."""
        ws = cls(root)
        key = ws.folder.absolute()
        with _RECOVERED_LOCK:
            first = key not in _RECOVERED
            _RECOVERED.add(key)
        if first:
            ws.recover()
        return ws

    def _pointer(self, dataset_id: str) -> Path:
        return self.folder / f"{dataset_id}{POINTER_SUFFIX}"

    def _lock_path(self, dataset_id: str) -> Path:
        return self.folder / f"{dataset_id}{LOCK_SUFFIX}"

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

    def exists(self, dataset_id: str) -> bool:
        """Whether a save of this id would replace a dataset (its pointer exists, even if
        the files it names are damaged)."""
        return bool(DATASET_ID.match(dataset_id or "")) and self._pointer(dataset_id).exists()

    @contextlib.contextmanager
    def locked(self, dataset_id: str, wait_s: float | None = None) -> Iterator[None]:
        """Hold the dataset's lock (flock on `<id>.lock`): one save, delete or clean-up of a
        dataset at a time across processes and threads; re-entrant in one thread of this
        object (a staged import saves while it holds it). DatasetBusy after `wait_s`
        (default LOCK_WAIT_S)."""
        key = (threading.get_ident(), dataset_id)
        if key in self._held:
            yield
            return
        if not DATASET_ID.match(dataset_id or ""):
            raise WorkspaceError(f"dataset id {dataset_id!r} is not valid")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._lock_path(dataset_id)
        fd = _acquire(path, LOCK_WAIT_S if wait_s is None else wait_s, dataset_id)
        self._held[key] = fd
        try:
            yield
        finally:
            del self._held[key]
            _release(path, fd)

    def save(self, dataset_id: str, rows: pd.DataFrame, *, title: str, license: str,
             attribution: str = "", origin: str = "", report: dict | None = None,
             replace: bool = False) -> Dataset:
        """Save a dataset atomically; the previous version stays current until the new one
        is complete on disk. An id that exists is refused (DatasetExists) unless `replace`:
        of two saves of one new id at once, exactly one wins."""
        self._check(dataset_id, title)
        table = conform(rows)
        with self.locked(dataset_id):
            expected = self._expect(dataset_id, replace)
            with self._pruned_on_failure(dataset_id):
                final = self._version_file(dataset_id)
                atomic_write(final, lambda tmp: table.to_parquet(tmp, index=False,
                                                                 compression="zstd"))
                return self._commit(dataset_id, final, len(table), expected, title=title,
                                    license=license, attribution=attribution, origin=origin,
                                    report=report)

    @contextlib.contextmanager
    def staging(self, dataset_id: str) -> Iterator[Path]:
        """A temporary file in the datasets folder for rows written in pieces (a large
        import); `save_file` makes it a version, else it is removed on leaving. The dataset's
        lock is held throughout, so `recover()` elsewhere leaves the file alone."""
        self.check_id(dataset_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.locked(dataset_id):
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
                  attribution: str = "", origin: str = "", report: dict | None = None,
                  replace: bool = False) -> Dataset:
        """Save a Parquet file written in `staging` (schema columns, `rows` rows) as the
        dataset's new version, atomically, without reading it into memory; an id that exists
        is refused unless `replace`, as in `save`."""
        self._check(dataset_id, title)
        with self.locked(dataset_id):
            expected = self._expect(dataset_id, replace)
            with self._pruned_on_failure(dataset_id):
                final = self._version_file(dataset_id)
                with open(staged, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(staged, final)
                _fsync_dir(self.folder)
                return self._commit(dataset_id, final, rows, expected, title=title,
                                    license=license, attribution=attribution, origin=origin,
                                    report=report)

    def _check(self, dataset_id: str, title: str) -> None:
        self.check_id(dataset_id)
        if not title.strip():
            raise WorkspaceError("give the dataset a name")
        self.folder.mkdir(parents=True, exist_ok=True)

    def _expect(self, dataset_id: str, replace: bool) -> dict | None:
        """The pointer this save starts from (None: a new id); refuses an existing id unless
        `replace`."""
        state = self._pointer_state(dataset_id)
        if state is not None and not replace:
            raise DatasetExists(dataset_id)
        return state

    @contextlib.contextmanager
    def _pruned_on_failure(self, dataset_id: str) -> Iterator[None]:
        """A failed save removes what it wrote (the lock is held: nobody else is writing)."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError):
                self._prune(dataset_id)
            raise

    def _version_file(self, dataset_id: str) -> Path:
        version = f"{time.time_ns():016x}{secrets.token_hex(2)}"
        return self.folder / f"{dataset_id}-{version}.parquet"

    def _pointer_state(self, dataset_id: str) -> dict | None:
        """The pointer's content: None when there is none, {} when it cannot be read."""
        try:
            text = self._pointer(dataset_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            state = json.loads(text)
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}

    def _commit(self, dataset_id: str, final: Path, rows: int, expected: dict | None, *,
                title: str, license: str, attribution: str, origin: str,
                report: dict | None) -> Dataset:
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
            steps=["import: read, map columns, validate (atlas.ingest.importer)",
                   "place: coordinates, else the region named in the row (atlas.geo.placement)",
                   "save: atomic write to the workspace (atlas.store.workspace)"],
            dataset_id=dataset_id,
            accounting=accounting,
        )
        with open(side, "rb+") as fh:
            os.fsync(fh.fileno())
        pointer = {"id": dataset_id, "file": final.name, "sha256": digest,
                   "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   "previous": _previous(expected)}
        self._swap_pointer(dataset_id, expected, pointer)
        self._prune(dataset_id)
        found = self.get(dataset_id)
        if found is None:
            raise WorkspaceError(f"dataset {dataset_id!r} could not be read back after saving")
        return found

    def _swap_pointer(self, dataset_id: str, expected: dict | None, pointer: dict) -> None:
        """Compare-and-swap: write `pointer` only while the current one is still `expected`
        (None: there is none, and it is created exclusively). The lock already serialises
        atlas processes; this also stops a writer that bypassed it from being overwritten."""
        text = json.dumps(pointer)
        if expected is None:
            try:
                create_exclusively(self._pointer(dataset_id), text)
            except FileExistsError:
                raise DatasetExists(dataset_id) from None
            return
        if self._pointer_state(dataset_id) != expected:
            raise WorkspaceError(f"dataset '{dataset_id}' changed while this save ran: "
                                 "nothing replaced, try again")
        atomic_write(self._pointer(dataset_id),
                     lambda tmp: tmp.write_text(text, encoding="utf-8"))

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
        """Remove a dataset: the pointer first (atomic), then its files; waits for a save of
        the same dataset to finish."""
        self.check_id(dataset_id)
        if not self._pointer(dataset_id).exists():
            return False
        with self.locked(dataset_id):
            pointer = self._pointer(dataset_id)
            if not pointer.exists():
                return False
            pointer.unlink()
            _fsync_dir(self.folder)
            self._prune(dataset_id)
            return True

    def recover(self) -> list[Path]:
        """Remove what interrupted saves left (temporary files, versions no pointer keeps,
        lock files of killed processes). A dataset whose lock another process holds is being
        saved: skipped. Safe to call any time; returns the files removed."""
        removed: list[Path] = []
        for dataset_id in sorted(self._ids_on_disk()):
            try:
                with self.locked(dataset_id, wait_s=0):
                    removed += self._prune(dataset_id)
            except (DatasetBusy, OSError):
                continue
        return removed

    def _ids_on_disk(self) -> set[str]:
        """Every dataset id some file in the folder belongs to."""
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:  # no folder yet (or unreadable): nothing to recover
            return set()
        ids = {owner(n) or _strip(n, POINTER_SUFFIX) or _strip(n, LOCK_SUFFIX) for n in names}
        return {i for i in ids if i and DATASET_ID.match(i)}

    def _kept(self, dataset_id: str) -> set[str] | None:
        """File names the dataset's pointer keeps (current and previous versions, their
        sidecars); None when the pointer cannot be read (then only temporary files go)."""
        state = self._pointer_state(dataset_id)
        if state is None:
            return set()
        if not isinstance(state.get("file"), str):
            return None
        names = _chain(state)[:KEEP_VERSIONS]
        return {n for name in names for n in (name, sidecar_path(Path(name)).name)}

    def _prune(self, dataset_id: str) -> list[Path]:
        """Remove the dataset's files its pointer does not keep; the caller holds its lock."""
        kept = self._kept(dataset_id)
        now = time.time()
        removed = []
        for p in self.folder.iterdir():
            if not _removable(p.name, dataset_id, kept):
                continue
            try:
                if _MIN_AGE_S and now - p.stat().st_mtime < _MIN_AGE_S:
                    continue
                p.unlink()
            except OSError:
                continue
            removed.append(p)
        if removed:
            _fsync_dir(self.folder)
        return removed


def _chain(pointer: dict) -> list[str]:
    """The versions a pointer names: its current file, then the previous ones, newest first."""
    current = pointer.get("file")
    if not isinstance(current, str):
        return []
    earlier = pointer.get("previous")
    names = [current, *(earlier if isinstance(earlier, list) else [])]
    return [n for n in names if isinstance(n, str)]


def _previous(pointer: dict | None) -> list[str]:
    """The earlier versions a new pointer keeps: the one it replaces and that one's previous
    versions, KEEP_VERSIONS - 1 in all (the new one makes KEEP_VERSIONS)."""
    return _chain(pointer)[: KEEP_VERSIONS - 1] if pointer else []


def _removable(name: str, dataset_id: str, kept: set[str] | None) -> bool:
    """A file of `dataset_id` its pointer does not keep (`kept` None: the pointer is
    unreadable, so only temporary files go; a version might be the one it meant)."""
    if owner(name) != dataset_id:
        return False
    return name.startswith(".tmp-") if kept is None else name not in kept


def _strip(name: str, suffix: str) -> str | None:
    return name[: -len(suffix)] if name.endswith(suffix) else None


_VERSION_FILE = re.compile(r"^(?:\.tmp-)?([a-z0-9-]+)-[0-9a-f]{20}\.parquet")
_POINTER_TMP = re.compile(r"^\.tmp-([a-z0-9-]+)\.current\.json-")


def owner(file_name: str) -> str | None:
    """The dataset id a workspace file belongs to (versions, sidecars, temporary files)."""
    match = _VERSION_FILE.match(file_name) or _POINTER_TMP.match(file_name)
    return match.group(1) if match else None
