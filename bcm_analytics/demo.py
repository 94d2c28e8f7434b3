"""The demo end to end: generate a synthetic program, load it, bill it as a claims export,
validate the store and render every report.

Library code never prints: `run_demo` tells its caller what happens through `progress`, a
function it calls with one event at a time (a step starts or ends, a file was loaded, the store
was validated); `bcm demo` turns the events into lines. The claims export is made here, not by
the generator: the correct codes come from the billing engine, and the generator only plants
mistakes in them (synthetic/claims.py), so no billing rule is written twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from bcm_analytics.billing import load_rules
from bcm_analytics.billing.engine import billing_marts, lines_query
from bcm_analytics.ingest import FileRefused, FileResult, load_paths
from bcm_analytics.models import BuildReport, refresh
from bcm_analytics.months import add_months, month_start
from bcm_analytics.overview import data_period
from bcm_analytics.reports.finance_workbook import reconciliation_workbook
from bcm_analytics.reports.runner import default_output, render_report, write_tables
from bcm_analytics.synthetic import generate_program, write_claims
from bcm_analytics.synthetic.claims import EXPECTED_COLUMNS
from bcm_analytics.warehouse import close_after_writing, connect

DEMO_END = "2026-10"  # a fixed last month keeps the demo repeatable and its data in the past


@dataclass(frozen=True)
class StepStarted:
    label: str


@dataclass(frozen=True)
class StepFinished:
    label: str
    seconds: float


@dataclass(frozen=True)
class FileLoaded:
    path: Path
    result: FileResult | FileRefused


@dataclass(frozen=True)
class MartsUpdated:
    report: BuildReport


@dataclass(frozen=True)
class Validated:
    run: object  # contracts.validate.ValidationRun (imported lazily: great-expectations is slow to import)
    out: Path


Progress = Callable[[StepStarted | StepFinished | FileLoaded | MartsUpdated | Validated], None]


def ignore(event) -> None:
    """The default progress callback: nobody is listening."""


def demo_start(months: int) -> str:
    """The first month of a demo of `months` months ending at DEMO_END (24 months: 2024-11,
    so the FQHC/RHC rules of 2024, 2025 and 2026 all apply)."""
    return f"{add_months(month_start(DEMO_END), 1 - months):%Y-%m}"


def run_demo(db: Path, reports_dir: Path, data_dir: Path, *, patients: int = 2000, months: int = 24, seed: int = 7,
             timezone: str, progress: Progress = ignore) -> list[Path]:
    """Run every step of the demo; returns the report files written. A report that fails to
    render raises reports.runner.ReportError. Loading is idempotent, so an existing store is reused."""
    rules = data_dir / "program_rules.yaml"
    steps = [
        (f"generating a synthetic program ({patients:,} patients, {months} months) in {data_dir}",
         lambda: generate(data_dir, patients, months, seed)),
        (f"loading {data_dir} into {db}",
         lambda: load(db, [data_dir], timezone, progress)),
        ("billing the expected lines as a claims export (with planted mistakes) and loading it",
         lambda: bill_and_load_claims(db, data_dir, rules, seed=seed, timezone=timezone, progress=progress)),
        ("validating the store against the data contracts (DuckDB on every row, great-expectations on a sample)",
         lambda: validation(db, reports_dir, progress)),
        ("rendering the data-quality report",
         lambda: [render_report("data_quality", db, {}, reports_dir / "data_quality.html")]),
        ("rendering the program overview (internal and external versions)",
         lambda: both_audiences("program_overview", db, {}, reports_dir)),
        ("reconciling claims against logged minutes (report, both versions, and the finance workbook)",
         lambda: reconciliation(db, reports_dir, rules)),
        ("showing where the care team's time goes and what the uncounted minutes were worth (both versions, "
         "each with a workbook of its tables)",
         lambda: both_audiences("time_allocation", db, {"rules": str(rules.resolve())}, reports_dir, tables=True)),
        ("measuring outcomes and caseload (director's report, both versions; care-team worklists as a separate workbook)",
         lambda: outcomes(db, reports_dir)),
    ]
    written = []
    for label, job in steps:
        progress(StepStarted(label))
        started = time.perf_counter()
        written += job()
        progress(StepFinished(label, time.perf_counter() - started))
    return written


def generate(data_dir: Path, patients: int, months: int, seed: int) -> list[Path]:
    """The synthetic exports (not listed among the files written: they are the demo's input)."""
    generate_program(data_dir, patients=patients, months=months, start=demo_start(months), seed=seed)
    return []


def load(db: Path, paths: list[Path], timezone: str, progress: Progress) -> list[Path]:
    """Load the files, then bring the marts up to date when anything new came in."""
    con = connect(db, timezone=timezone)
    try:
        fresh = False
        for path, result in load_paths(con, paths):
            progress(FileLoaded(path, result))
            fresh |= isinstance(result, FileResult) and not result.already_loaded
        if fresh:
            progress(MartsUpdated(refresh(con)))
        close_after_writing(con)
    finally:
        con.close()
    return []


def bill_and_load_claims(db: Path, data_dir: Path, rules_path: Path, *, seed: int, timezone: str,
                         progress: Progress = ignore) -> list[Path]:
    """Bill the demo's expected lines (with planted mistakes) as claims.csv, then load it."""
    con = connect(db, timezone=timezone)
    try:
        refresh(con, load_rules(rules_path))  # the program's rules file becomes the store's own
        first, last = data_period(con)
        lines = expected_lines(con, first, last)
    finally:
        con.close()
    claims = write_claims(lines, data_dir, seed=seed)
    del lines  # the load below needs the memory
    # Arrow's allocator keeps what the lines' frames freed unless asked to give it back: 0.5 GB at
    # 10M time-log rows, which the load's DuckDB memory came on top of (2.2 GiB at its peak, 1.7 after)
    pa.default_memory_pool().release_unused()
    load(db, [claims], timezone, progress)
    return [claims]


def expected_lines(con, first, last) -> pd.DataFrame:
    """The billing lines of first..last as write_claims reads them: only its columns, in
    billing_lines' order, through Arrow (the whole mart as a frame was 3.6 GiB at 10M rows)."""
    query = lines_query(billing_marts(con), first, last, columns=EXPECTED_COLUMNS)
    return query.arrow().to_pandas()


def both_audiences(name: str, db: Path, parameters: dict, reports_dir: Path, tables: bool = False) -> list[Path]:
    """The report for the program's staff (NAME.html) and for outside readers (NAME_external.html),
    and with `tables` each page's tables as a workbook beside it (NAME.xlsx, NAME_external.xlsx)."""
    written = []
    for audience in ("internal", "external"):
        page = reports_dir / default_output(name, audience).name
        written.append(render_report(name, db, {**parameters, "audience": audience}, page))
        if tables:
            written.append(write_tables(name, db, {**parameters, "audience": audience}, page.with_suffix(".xlsx")))
    return written


def validation(db: Path, reports_dir: Path, progress: Progress) -> list[Path]:
    from bcm_analytics.contracts.validate import DEFAULT_SAMPLE, validate_and_record

    out = reports_dir / "data_contracts_result.json"
    con = connect(db)
    try:
        run = validate_and_record(con, DEFAULT_SAMPLE, out)
    finally:
        con.close()
    progress(Validated(run, out))
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
