"""Open the store and keep its schema current.

The staging and raw tables are generated from data_contracts/tables.yaml so the export format
is written down once; the audit tables and the core views are plain SQL in schema.sql.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from bcm_analytics.config import settings as config
from bcm_analytics.sqlfiles import read_sql

# data_contracts/ at the top of the repository, installed as package data (see pyproject.toml)
CONTRACTS_DIR = resources.files("bcm_analytics.data_contracts")

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
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
    data = yaml.safe_load((CONTRACTS_DIR / "tables.yaml").read_text())
    specs = []
    for name, t in data.items():
        cols = tuple(
            ColumnSpec(
                name=c,
                type=v["type"],
                required=bool(v.get("required", False)),
                default=v.get("default"),
                time_of=v.get("time_of"),
            )
            for c, v in t["columns"].items()
        )
        specs.append(TableSpec(name, t["file"], tuple(t["key"]), int(t["load_order"]), cols))
    return {s.name: s for s in sorted(specs, key=lambda s: s.load_order)}


PROVENANCE = [
    ("_load_id", "BIGINT"),
    ("_source_file", "VARCHAR"),
    ("_line", "BIGINT"),
]


def _create_table_sql(schema: str, spec: TableSpec) -> str:
    if schema == "raw":
        cols = PROVENANCE + [("_file_hash", "VARCHAR")]
        cols += [(c, "VARCHAR") for c in spec.column_names] + [("_extra", "JSON")]
    else:
        cols = spec.staging_columns() + PROVENANCE + [("_row_hash", "VARCHAR")]
    body = ",\n  ".join(f"{n} {t}" for n, t in cols)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{spec.name} (\n  {body}\n)"


def _sql_file(name: str) -> str:
    return read_sql("bcm_analytics.warehouse", name)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; never drops data. Views are recreated so code and store agree."""
    for schema in ("raw", "staging", "meta", "core"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for spec in table_specs().values():
        con.execute(_create_table_sql("raw", spec))
        con.execute(_create_table_sql("staging", spec))
    con.execute(_sql_file("schema.sql"))


def connect(
    db: str | Path | None = None, *, read_only: bool = False, timezone: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store and set the program time zone for the core views."""
    path = str(db if db is not None else config.default_db_path())
    spill = Path(tempfile.gettempdir()) / "bcm-duckdb-spill"
    con = duckdb.connect(path, read_only=read_only,
                         config={"memory_limit": config.memory_limit(), "temp_directory": str(spill)})
    if not read_only:
        ensure_schema(con)
    tz = timezone or config.default_timezone()
    con.execute("SET VARIABLE bcm_timezone = ?", [tz])
    return con


def copy_to_temp(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy a small Arrow table into a temp table.

    A replacement scan of the local variable, not con.register: DuckDB 2.0 refuses register
    while an earlier result on the connection is not fetched to the end (a caller's fetchone).
    """
    _bcm_arrow_input = table  # noqa: F841  (read by name in the SQL below)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _bcm_arrow_input")
