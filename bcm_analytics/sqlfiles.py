"""SQL kept in .sql files beside the code that runs it, read once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def read_sql(package: str, name: str) -> str:
    """The text of file `name` (e.g. "schema.sql") shipped in `package` (e.g. "bcm_analytics.warehouse")."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")
