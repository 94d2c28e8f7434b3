"""Helpers shared by the loader tests: exact export bytes, and a fingerprint of the whole store."""

from __future__ import annotations

from pathlib import Path

import duckdb


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` exactly (no newline translation) and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict:
    """Row count and an order-free content hash of every table in the store."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary ORDER BY ALL"
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(f"SELECT count(*), sum(hash(t)) FROM {schema}.{table} t").fetchall()[0]
        for schema, table in tables
    }


def store_fingerprint(db: Path) -> dict:
    """fingerprint() of the store file `db`, opened read-only as bcm opens it."""
    from bcm_analytics.warehouse import connect

    con = connect(db, read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()
