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
