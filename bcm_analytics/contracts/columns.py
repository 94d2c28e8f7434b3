"""SQL that turns landed text into typed staging columns, generated from tables.yaml.

Every typed column keeps its raw text beside it (`_raw_<column>`) until the checks have run,
so a quarantine reason can quote exactly what the export said.
"""

from __future__ import annotations

from bcm_analytics.contracts.tables import ColumnSpec, TableSpec

PARSERS = {
    "integer": "bcm_parse_integer({})",
    "number": "bcm_parse_number({})",
    "date": "bcm_parse_date({})",
    "code": "upper({})",
    "text": "{}",
}

TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "date": "a real date in a known format",
    "datetime": "a real date/time in a known format",
}


def raw_name(column: str) -> str:
    return f"_raw_{column}"


def _with_default(col: ColumnSpec) -> str:
    raw = raw_name(col.name)
    if col.default is None:
        return raw
    return f"coalesce({raw}, '{col.default}')"


def typed_expressions(spec: TableSpec) -> list[list[str]]:
    """SELECT-list items producing the staging columns from the `_raw_<column>` texts, in levels:
    a column read relative to another (a start time on its service date) is in a later level,
    so it refers to the other's value instead of repeating its parse."""
    first, later = [], []
    for col in spec.columns:
        src = _with_default(col)
        if col.type != "datetime":
            first.append(f"{PARSERS[col.type].format(src)} AS {col.name}")
            continue
        local = f"bcm_parse_local({src})"
        if col.time_of:
            local = f"coalesce({local}, CAST({col.time_of}_local AS DATE) + bcm_parse_time_of_day({src}))"
        (later if col.time_of else first).extend([
            f"{local} AS {col.name}_local",
            f"bcm_parse_instant({src}) AS {col.name}_instant",
            f"bcm_has_time({src}) AS {col.name}_has_time",
        ])
    return [level for level in (first, later) if level]


def typed_sql(spec: TableSpec, texts: str) -> str:
    """The rows of `texts` (a relation with `_raw_<column>` columns) with the typed columns added."""
    sql = texts
    for level in typed_expressions(spec):
        sql = f"(SELECT *, {', '.join(level)} FROM {sql})"
    return sql


def parsed_ok(col: ColumnSpec) -> str:
    if col.type == "datetime":
        return f"({col.name}_local IS NOT NULL OR {col.name}_instant IS NOT NULL)"
    return f"{col.name} IS NOT NULL"


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
