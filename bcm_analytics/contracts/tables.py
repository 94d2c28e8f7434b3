"""The export format: which canonical tables exist, their columns, types, keys and load order.

Read from data_contracts/tables.yaml, the shape half of the data contracts (the suites beside it
hold the rules about values). The loader, the checks and the store's schema all read it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

# data_contracts/ at the top of the repository, installed as package data (see pyproject.toml)
CONTRACTS_DIR = resources.files("bcm_analytics.data_contracts")

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "term": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    default: str | None = None
    time_of: str | None = None
    format: str | None = None  # number columns: "duration" (also 1:30, 90 min, 1.5 h, 1h 30m) or "amount" ($1,145.00);
    # integer columns: "answer" (a questionnaire item: also its answer's words, Several days),
    # "score" (a total score: also with the label of its severity band, 14 (moderate))
    modifiers: str | None = None  # a procedure code column: the column its modifiers (99492-25) go to
    scored_on: str | None = None  # a "score" column: the column naming its instrument (whose bands its label is checked on)
    synonyms: tuple[tuple[str, str], ...] = ()  # a term column: (word, the vocabulary's word it reads as)

    def staging_columns(self) -> list[tuple[str, str]]:
        """A datetime column keeps both readings: local clock time and an absolute instant.

        Which one applies is only known per value (an offset or epoch makes it an instant),
        and turning an instant into a local date needs the clinic's zone, which the core
        views resolve at query time so a later clinic update is never stale.
        """
        if self.type == "datetime":
            return [
                (f"{self.name}_local", "TIMESTAMP"),
                (f"{self.name}_instant", "TIMESTAMPTZ"),
                (f"{self.name}_has_time", "BOOLEAN"),
            ]
        return [(self.name, DUCKDB_TYPES[self.type])]


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    key: tuple[str, ...]
    load_order: int
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def staging_columns(self) -> list[tuple[str, str]]:
        return [sc for c in self.columns for sc in c.staging_columns()]


@cache
def table_specs() -> dict[str, TableSpec]:
    """The canonical tables, in load order (tables others refer to first)."""
    data = yaml.safe_load((CONTRACTS_DIR / "tables.yaml").read_text(encoding="utf-8"))
    specs = []
    for name, t in data.items():
        cols = tuple(
            ColumnSpec(
                name=c,
                type=v["type"],
                required=bool(v.get("required", False)),
                default=v.get("default"),
                time_of=v.get("time_of"),
                format=v.get("format"),
                modifiers=v.get("modifiers"),
                scored_on=v.get("scored_on"),
                synonyms=tuple((str(w).lower(), str(t)) for t, words in (v.get("synonyms") or {}).items() for w in words),
            )
            for c, v in t["columns"].items()
        )
        specs.append(TableSpec(name, t["file"], tuple(t["key"]), int(t["load_order"]), cols))
    return {s.name: s for s in sorted(specs, key=lambda s: s.load_order)}
