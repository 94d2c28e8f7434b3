"""The expectation suites in data_contracts/suites/, read as plain data.

A suite is great-expectations 1.x JSON; our own keys live in each expectation's `meta`
(name, severity, scope, reason, why, and for reference checks waits_for / kept_in). Reading
them needs no great-expectations import, so the loader stays fast to start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

from bcm_analytics.contracts.tables import CONTRACTS_DIR, table_specs

SUITES_DIR = CONTRACTS_DIR / "suites"
SEVERITIES = ("reject", "warn")
SCOPES = ("row", "table")
SQL_CHECK = "unexpected_rows_expectation"  # a check written as SQL: it counts the groups its query returns
SQL_ONLY_TYPES = {SQL_CHECK}  # GE runs these on SQL sources only


@dataclass(frozen=True)
class Expectation:
    table: str
    type: str
    kwargs: dict = field(hash=False)
    name: str
    severity: str
    scope: str
    why: str
    reason: str | None = None
    waits_for: str | None = None  # a table that may supply the missing reference later
    kept_in: str | None = None  # a table that holds the row meanwhile

    @property
    def label(self) -> str:
        """How the check is named in the quarantine and in reports."""
        return f"{self.table}: {self.name}"


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file and the problem."""


@cache
def load_suite(table: str) -> dict:
    path = SUITES_DIR / f"{table}.json"
    if not path.exists():
        return {"name": table, "expectations": []}
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def expectations(table: str) -> tuple[Expectation, ...]:
    suite = load_suite(table)
    found = []
    for i, exp in enumerate(suite["expectations"]):
        meta = exp.get("meta", {})
        where = f"suites/{table}.json expectation {i + 1}"
        for key in ("name", "severity", "scope", "why"):
            if not meta.get(key):
                raise SuiteError(f"{where}: meta.{key} is missing")
        if meta["severity"] not in SEVERITIES or meta["scope"] not in SCOPES:
            raise SuiteError(f"{where}: severity must be one of {SEVERITIES} and scope one of {SCOPES}")
        found.append(
            Expectation(
                table=table,
                type=exp["type"],
                kwargs=exp["kwargs"],
                name=meta["name"],
                severity=meta["severity"],
                scope=meta["scope"],
                why=meta["why"],
                reason=meta.get("reason"),
                waits_for=meta.get("waits_for"),
                kept_in=meta.get("kept_in"),
            )
        )
    names = [e.name for e in found]
    if len(set(names)) != len(names):
        raise SuiteError(f"suites/{table}.json: expectation names must be unique")
    return tuple(found)


def vocabularies(table: str) -> dict[str, Expectation]:
    """{column: its vocabulary check}: the table's checks that a column's value is one of a listed
    set of words (claim_status, staff_role ...; a set read from the store, known patients, is none)."""
    return {e.kwargs["column"]: e for e in expectations(table)
            if e.type == "expect_column_values_to_be_in_set" and isinstance(e.kwargs.get("value_set"), list)}


def suite_tables() -> list[str]:
    """Canonical tables in load order (every one has a suite, possibly empty)."""
    return list(table_specs())
