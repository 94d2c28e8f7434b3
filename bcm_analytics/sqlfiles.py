"""SQL kept in .sql files beside the code that runs it, read once per process."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


@cache
def read_sql(package: str, name: str) -> str:
    """The text of file `name` (e.g. "sql/lines.sql") shipped in `package` (e.g. "bcm_analytics.billing")."""
    return resources.files(package).joinpath(name).read_text()


PARAMETER = re.compile(r"\$([a-z_0-9]+)")


def run_sql(con, text: str, params: dict | None = None):
    """Run each statement of `text`, giving it only the named parameters it uses (DuckDB refuses
    unused ones; a `$name` inside a comment is not a use); returns the last statement's result."""
    result = con
    for statement in (s for s in text.split(";\n") if s.strip() and not _only_comments(s)):
        names = set(PARAMETER.findall(re.sub(r"--[^\n]*", "", statement)))
        used = {k: v for k, v in (params or {}).items() if k in names}
        result = con.execute(statement, used) if used else con.execute(statement)
    return result


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())
