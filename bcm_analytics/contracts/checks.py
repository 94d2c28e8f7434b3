"""Row checks the loader runs inside DuckDB on every row of a file.

Two sources, one shape: the format contract (required columns are filled, values parse as
their type: tables.yaml) and the value rules of the great-expectations suite for the table
(data_contracts/suites/<table>.json), compiled to SQL predicates so a million rows are checked
in one pass instead of through a pandas batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from bcm_analytics.ingest.typing import TYPE_WORDS, parsed_ok, raw_name, sql_text
from bcm_analytics.warehouse.store import CONTRACTS_DIR, TableSpec, table_specs


@dataclass(frozen=True)
class RowCheck:
    """A predicate over one typed row: the row fails when `passes` is not TRUE."""

    name: str
    passes: str  # SQL boolean over the typed row (and `_raw_<col>` text)
    reason: str  # SQL text expression: a sentence a person can act on
    severity: str = "reject"  # reject | warn


def format_checks(spec: TableSpec) -> list[RowCheck]:
    checks = []
    for col in spec.columns:
        raw = raw_name(col.name)
        if col.required:
            checks.append(
                RowCheck(f"{col.name}: required", f"{raw} IS NOT NULL", sql_text(f"{col.name} is empty but required"))
            )
        if col.type in TYPE_WORDS:
            checks.append(
                RowCheck(
                    f"{col.name}: type {col.type}",
                    f"{raw} IS NULL OR {parsed_ok(col)}",
                    f"'{col.name} ''' || {raw} || ''' is not {TYPE_WORDS[col.type]}'",
                )
            )
    return checks


@cache
def load_suite(table: str) -> dict:
    path = CONTRACTS_DIR / "suites" / f"{table}.json"
    return json.loads(path.read_text()) if path.exists() else {"name": table, "expectations": []}


def _in_set(kw: dict) -> tuple[str, str]:
    col, values = kw["column"], kw["value_set"]
    listed = ", ".join(sql_text(str(v)) for v in values)
    return (
        f"{col} IS NULL OR {col} IN ({listed})",
        f"'{col} ''' || {col} || ''' is not one of: {', '.join(map(str, values)).replace(chr(39), chr(39) * 2)}'",
    )


def _between(kw: dict) -> tuple[str, str]:
    col, lo, hi = kw["column"], kw.get("min_value"), kw.get("max_value")
    parts = [f"{col} >= {lo}" if lo is not None else None, f"{col} <= {hi}" if hi is not None else None]
    cond = " AND ".join(p for p in parts if p)
    return f"{col} IS NULL OR ({cond})", f"'{col} ' || {col} || ' is outside {lo if lo is not None else ''}..{hi if hi is not None else ''}'"


def _not_null(kw: dict) -> tuple[str, str]:
    col = kw["column"]
    return f"{col} IS NOT NULL", sql_text(f"{col} is empty")


COMPILERS = {
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_not_be_null": _not_null,
}


def suite_checks(table: str) -> list[RowCheck]:
    checks = []
    for exp in load_suite(table)["expectations"]:
        compiler = COMPILERS.get(exp["type"])
        meta = exp.get("meta", {})
        if compiler is None or meta.get("scope", "row") != "row":
            continue
        passes, reason = compiler(exp["kwargs"])
        if meta.get("reason"):
            reason = sql_text(meta["reason"])
        checks.append(RowCheck(f"{exp['kwargs'].get('column', table)}: {exp['type']}", passes, reason, meta.get("severity", "reject")))
    return checks


def row_checks(table: str) -> list[RowCheck]:
    return format_checks(table_specs()[table]) + suite_checks(table)
