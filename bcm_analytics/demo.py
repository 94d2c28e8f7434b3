"""The demo's steps after loading: each yields a label and a job returning the files it wrote.

Kept apart from the CLI so a test can run the same steps on a small program. The claims export
is made here, not by the generator: the correct codes come from the billing engine, and the
generator only plants mistakes in them (synthetic/claims.py), so no billing rule is written twice.
"""

from __future__ import annotations

from pathlib import Path

from bcm_analytics.billing import billing_lines, load_rules
from bcm_analytics.models import refresh
from bcm_analytics.months import add_months, month_start
from bcm_analytics.overview import data_period
from bcm_analytics.reports.finance_workbook import reconciliation_workbook
from bcm_analytics.reports.runner import default_output, render_report
from bcm_analytics.synthetic import write_claims
from bcm_analytics.warehouse import connect

DEMO_END = "2026-10"  # a fixed last month keeps the demo repeatable and its data in the past


def demo_start(months: int) -> str:
    """The first month of a demo of `months` months ending at DEMO_END (24 months: 2024-11,
    so the FQHC/RHC rules of 2024, 2025 and 2026 all apply)."""
    return f"{add_months(month_start(DEMO_END), 1 - months):%Y-%m}"


def bill_and_load_claims(db: Path, data_dir: Path, rules_path: Path, *, seed: int, timezone: str) -> list[Path]:
    """Bill the demo's expected lines (with planted mistakes) as claims.csv, then load it."""
    from bcm_analytics.cli.data import run_load

    con = connect(db, timezone=timezone)
    try:
        refresh(con, load_rules(rules_path))  # the program's rules file becomes the store's own
        first, last = data_period(con)
        lines = billing_lines(con, first, last)
    finally:
        con.close()
    claims = write_claims(lines, data_dir, seed=seed)
    run_load(db, [claims], timezone)
    return [claims]


def demo_reports(db: Path, data_dir: Path, reports_dir: Path, *, seed: int, timezone: str):
    rules = data_dir / "program_rules.yaml"
    yield "billing the expected lines as a claims export (with planted mistakes) and loading it", \
        lambda: bill_and_load_claims(db, data_dir, rules, seed=seed, timezone=timezone)
    yield "validating the store against the data contracts (DuckDB on every row, great-expectations on a sample)", \
        lambda: validation(db, reports_dir)
    yield "rendering the data-quality report", \
        lambda: [render_report("data_quality", db, {}, reports_dir / "data_quality.html")]
    yield "rendering the program overview (internal and external versions)", \
        lambda: both_audiences("program_overview", db, {}, reports_dir)
    yield "reconciling claims against logged minutes (report, both versions, and the finance workbook)", \
        lambda: reconciliation(db, reports_dir, rules)
    yield "measuring outcomes and caseload (director's report, both versions; care-team worklists as a separate workbook)", \
        lambda: outcomes(db, reports_dir)


def both_audiences(name: str, db: Path, parameters: dict, reports_dir: Path) -> list[Path]:
    """The report for the program's staff (NAME.html) and for outside readers (NAME_external.html)."""
    return [render_report(name, db, {**parameters, "audience": audience}, reports_dir / default_output(name, audience).name)
            for audience in ("internal", "external")]


def validation(db: Path, reports_dir: Path) -> list[Path]:
    from bcm_analytics.cli.validate import run_validation
    from bcm_analytics.contracts.validate import DEFAULT_SAMPLE

    out = reports_dir / "data_contracts_result.json"
    run_validation(db, DEFAULT_SAMPLE, out)
    return [out]


def reconciliation(db: Path, reports_dir: Path, rules: Path) -> list[Path]:
    con = connect(db, read_only=True)
    try:
        first, last = data_period(con)
        workbook = reconciliation_workbook(con, first, last, reports_dir / "billing_reconciliation.xlsx", load_rules(rules))
    finally:
        con.close()
    return both_audiences("billing_reconciliation", db, {"rules": str(rules.resolve())}, reports_dir) + [workbook]


def outcomes(db: Path, reports_dir: Path) -> list[Path]:
    from bcm_analytics.outcomes import load_definitions, prepare
    from bcm_analytics.reports.worklists import worklists_workbook

    html = both_audiences("caseload_outcomes", db, {}, reports_dir)
    con = connect(db, read_only=True)
    try:
        workbook = reports_dir / "care_team_worklists.xlsx"
        worklists_workbook(prepare(con, None, load_definitions(None)), workbook)
    finally:
        con.close()
    return html + [workbook]
