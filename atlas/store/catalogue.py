"""One catalogue of every dataset the atlas shows: shipped, saved in the workspace, and
imported in this session only.

Each dataset has a namespaced reference, `<kind>:<id>` (`shipped:susy`, `saved:my-coops`,
`session:survey-2`), and an `id` that is the `source` value of its rows. Ids are unique across
kinds (an import never shadows other data), so titles, credits and popups are looked up by the
row's own `source`, never by position. Pages ask the catalogue instead of keeping lists of
their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from atlas.model.sources import SOURCES, short_titles

KINDS = ("shipped", "saved", "session")
WHERE = {"shipped": "shipped with the atlas", "saved": "saved in this atlas",
         "session": "imported in this session only"}


@dataclass(frozen=True)
class Dataset:
    kind: str  # one of KINDS
    id: str  # the `source` value of its rows
    title: str
    license: str
    attribution: str
    rows: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown dataset kind {self.kind!r}; expected one of {KINDS}")

    @property
    def ref(self) -> str:
        """`<kind>:<id>`: which dataset, and where it lives."""
        return f"{self.kind}:{self.id}"

    @property
    def saved(self) -> bool:
        return self.kind == "saved"

    @property
    def imported(self) -> bool:
        return self.kind != "shipped"

    @property
    def where(self) -> str:
        return WHERE[self.kind]


def shipped_datasets() -> list[Dataset]:
    """The shipped sources (`atlas.model.sources.SOURCES`), by their short titles."""
    titles = short_titles()
    return [Dataset("shipped", s.id, titles[s.id], s.license, s.attribution)
            for s in SOURCES.values()]


@dataclass(frozen=True)
class Catalogue:
    datasets: tuple[Dataset, ...]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for d in self.datasets:
            if d.id in seen:
                raise ValueError(f"dataset id {d.id!r} is used twice ({seen[d.id]} and {d.ref})")
            seen[d.id] = d.ref

    def get(self, ref: str) -> Dataset | None:
        """The dataset of a `<kind>:<id>` reference, or None."""
        return next((d for d in self.datasets if d.ref == ref), None)

    def of_source(self, source: str) -> Dataset | None:
        """The dataset whose rows carry `source`."""
        return next((d for d in self.datasets if d.id == source), None)

    def imported(self) -> list[Dataset]:
        """Saved datasets, then this session's imports."""
        return [d for d in self.datasets if d.imported]

    def titles(self) -> dict[str, str]:
        """Short title of every dataset, by the `source` value of its rows."""
        return {d.id: d.title for d in self.datasets}

    def ids(self) -> set[str]:
        return {d.id for d in self.datasets}


def catalogue(saved: Iterable[Dataset] = (), session: Iterable[Dataset] = ()) -> Catalogue:
    """Shipped, then saved, then session datasets; ValueError when an id is used twice."""
    return Catalogue((*shipped_datasets(), *saved, *session))
