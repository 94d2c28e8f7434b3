"""Named SQL snippets kept in .sql files beside the code (`-- name: <name>` starts each)."""

from __future__ import annotations

import re
from functools import cache

from bcm_analytics.sqlfiles import read_sql


@cache
def sql_file(name: str) -> str:
    return read_sql("bcm_analytics.contracts", name)


@cache
def sections(name: str) -> dict[str, str]:
    """Each `-- name: x` section of a file, without comment lines."""
    found: dict[str, str] = {}
    for block in re.split(r"^-- name: *", sql_file(name), flags=re.M)[1:]:
        title, _, body = block.partition("\n")
        lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith("--")]
        found[title.strip()] = "\n".join(lines).strip().rstrip(";")
    return found


def frame_sql(table: str, rows: str) -> str:
    """The rows of `table` with what the checks need beside them (frames.sql)."""
    return sections("frames.sql")[table].replace("{rows}", rows)


@cache
def frame_patient_columns(table: str) -> tuple[str, ...]:
    """The patients export's columns a table's frame reads, from its `-- patient columns:` line
    (frames.sql): declared beside the SQL that reads them, so a reader of what a patients load
    changes (rows.py) restates none of it."""
    section = re.search(rf"^-- name: {table}\n(.*?)(?=^-- name:|\Z)", sql_file("frames.sql"), flags=re.M | re.S)
    declared = re.search(r"^-- patient columns: (.+)$", section.group(1), flags=re.M) if section else None
    return tuple(c.strip() for c in declared.group(1).split(",")) if declared else ()


def parameter_sql(name: str) -> str:
    try:
        return sections("parameters.sql")[name]
    except KeyError:
        raise KeyError(f"unknown suite parameter '{name}' (defined in contracts/parameters.sql: {', '.join(sections('parameters.sql'))})") from None


def install_macros(con) -> None:
    """The macros typed columns and compiled checks call (text readers in parsing.sql, helpers in
    macros.sql); temporary, so read-only stores work too."""
    con.execute(sql_file("parsing.sql"))
    con.execute(sql_file("macros.sql"))
