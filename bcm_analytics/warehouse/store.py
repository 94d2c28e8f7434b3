"""Open the store and keep its schema current.

The staging and raw tables are generated from data_contracts/tables.yaml so the export format
is written down once; the audit tables and the core views are plain SQL in schema.sql.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from bcm_analytics.config import settings as config
from bcm_analytics.contracts.tables import CONTRACTS_DIR, ColumnSpec, TableSpec, table_specs  # noqa: F401  (re-exported)
from bcm_analytics.sqlfiles import read_sql

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
        _add_new_columns(con, spec)
    con.execute(_sql_file("schema.sql"))


def _add_new_columns(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """A column added to tables.yaml (claims.modifier) is added to a store made before it."""
    for schema, cols in (("raw", [(c, "VARCHAR") for c in spec.column_names]), ("staging", spec.staging_columns())):
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
            [schema, spec.name]).fetchall()}
        for name, kind in cols:
            if name not in have:
                con.execute(f"ALTER TABLE {schema}.{spec.name} ADD COLUMN {name} {kind}")


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
