"""`bcm validate`: judge the stored data against the data contracts."""

from __future__ import annotations

from pathlib import Path

import click

from bcm_analytics.cli.options import db_option, fail, require_store
from bcm_analytics.contracts.suites import SQL_CHECK
from bcm_analytics.contracts.validate import DEFAULT_SAMPLE


def _verdict(success: bool | None, unexpected: int | None, unit: str = "rows") -> str:
    if success is None:
        return "-"
    return "ok" if success else f"{unexpected:,} {unit}" if unexpected is not None else "failed"


def _unit(outcome) -> str:
    """What an expectation's unexpected count counts: a check written as SQL counts the groups its
    query returns ('one score per instrument per day: 4 days' printed as '4 rows of 1,519')."""
    if outcome.type != SQL_CHECK:
        return "rows"
    return "group" if outcome.unexpected == 1 else "groups"


def summary_lines(run) -> list[str]:
    """One line per expectation that is not clean, then the totals."""
    gx = {(o.table, o.name): o for o in run.outcomes if o.engine == "great_expectations"}
    lines = []
    for o in (o for o in run.outcomes if o.engine == "duckdb"):
        g = gx.get((o.table, o.name))
        if o.success and (g is None or g.success is not False):
            continue
        lines.append(
            f"  {o.severity:<6} {o.table}: {o.name}: {_verdict(o.success, o.unexpected, _unit(o))} of {o.rows_checked:,}"
            + (" rows" if o.type == SQL_CHECK else "")
            + (f"; great-expectations sample: {_verdict(g.success, g.unexpected, _unit(g))}" if g else "")
        )
    checked = [o for o in run.outcomes if o.engine == "duckdb"]
    lines.append(
        f"{len(checked)} expectations on every stored row in {run.seconds_duckdb:.1f} s"
        + (f"; great-expectations on up to {run.sample_rows:,} rows per table in {run.seconds_gx:.1f} s" if run.sample_rows else "")
        + f": {len(run.failures())} reject, {len(run.failures(severity='warn'))} warn"
    )
    return lines


@click.command()
@db_option
@click.option("--sample", type=click.IntRange(min=0), default=DEFAULT_SAMPLE, show_default=True,
              help="Rows per table great-expectations validates (0: DuckDB only).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the full result (both engines) as JSON.")
def validate(db: Path, sample: int, out: Path | None) -> None:
    """Check the stored data against the data contracts (data_contracts/suites).

    DuckDB checks every expectation on every stored row (referential integrity, duplicates,
    distribution warnings); great-expectations validates the same suites on a sample. The
    run is kept for the data-quality report. Exits non-zero when a reject-level expectation
    fails on stored data.
    """
    require_store(db)
    if out is not None and out.suffix.lower() != ".json":
        fail(f"--out must name a .json file, not {out.name}")
    run = run_validation(db, sample, out)
    if run.disagreements:
        fail(f"great-expectations and DuckDB disagree on {', '.join(f'{o.table}: {o.name}' for o in run.disagreements)}")
    if run.failures():
        fail(f"{len(run.failures())} reject-level expectation(s) fail on stored data (run {run.run_id})")


def payer_lines(db: Path) -> list[str]:
    """Payer names likely one payer written two ways (reports.data_quality.payer_spellings_apart),
    read-only: validate builds no marts (a store's stale ones are computed in a scratch catalog).
    Then the payer names the store's own rules map that one of their aliases reads as another
    payer (Rules.names_aliased_away): the data's rows of that name are the other payer's."""
    from bcm_analytics.models.marts import resolve_rules
    from bcm_analytics.reports.data_quality import payer_spelling_warnings, payer_spellings_apart
    from bcm_analytics.warehouse import connect

    con = connect(db, read_only=True)
    try:
        return payer_spelling_warnings(payer_spellings_apart(con)) + resolve_rules(con, None).names_aliased_away()
    finally:
        con.close()


def run_validation(db: Path, sample: int, out: Path | None):
    """Validate, keep the run in the store (for the data-quality report), print the summary."""
    from bcm_analytics.contracts.validate import validate_and_record
    from bcm_analytics.warehouse import connect

    con = connect(db)
    try:
        run = validate_and_record(con, sample, out)
    finally:
        con.close()
    for line in summary_lines(run):
        click.echo(line)
    for line in payer_lines(db):
        click.echo(f"  warn   {line}")
    if out is not None:
        click.echo(f"result written to {out}")
    return run
