"""Commands that produce reports: one named report, or the whole demo end to end."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from bcm_analytics.cli.errors import report_failure
from bcm_analytics.cli.options import (
    cell_size_words,
    db_option,
    fail,
    open_store,
    remember_db,
    require_store,
    share_option,
    timezone_option,
    wait_option,
)
from bcm_analytics.reports.runner import (
    AUDIENCES,
    TABLE_WORKBOOKS,
    ReportError,
    available_reports,
    render_report,
    write_tables,
)


@click.command()
@click.argument("name")
@db_option
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="KEY VALUE",
              help="A notebook parameter, e.g. -p start_month 2025-01 (repeatable; see --list-parameters).")
@click.option("--audience", type=click.Choice(AUDIENCES), default=None, show_default="-p audience, else internal",
              help=f"internal: true counts, for the program's staff; external: counts in the cell-size range ({cell_size_words()}; "
                   "a report takes its store's) and what reveals them suppressed.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              show_default="reports/NAME.html, or reports/NAME_external.html", help="HTML file.")
@click.option("--tables", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the page's tables as an Excel workbook (.xlsx), same parameters and audience "
                   "(time_allocation).")
@click.option("--list-parameters", is_flag=True, help="List the report's parameters and what each takes, then stop.")
@share_option
def report(name: str, db: Path, parameters: tuple[tuple[str, str], ...], audience: str | None, out: Path | None,
           tables: Path | None, list_parameters: bool, share: bool) -> None:
    """Render report NAME (a notebook in notebooks/) to self-contained HTML.

    Parameters are checked before anything runs: names against the notebook's parameters,
    values against what each takes and, for a clinic, payer, care manager or instrument,
    against the store. The HTML is private (0600); --share applies to external-audience reports.
    --tables writes the page's tables to a workbook as well (suppressed as the page is).
    """
    from bcm_analytics.reports import parameters as checks
    from bcm_analytics.reports.privacy import filtered_page_caution
    from bcm_analytics.reports.runner import notebook_path

    if name not in available_reports():
        fail(f"no report named '{name}'; available: {', '.join(available_reports())}")
    _check_html(out)
    _check_tables(name, tables)
    source = notebook_path(name)
    if list_parameters:
        for p in checks.declared(source).values():
            if p.name != "db":
                click.echo(f"{p.name:<14} {p.kind} (default {p.default})")
        return
    repeated = sorted({k for k, _ in parameters if sum(k == other for other, _ in parameters) > 1})
    if repeated:
        fail(f"{name}: parameter {', '.join(repeated)} given more than once")
    try:
        values = checks.parse(name, source, dict(parameters)) | ({"audience": audience} if audience else {})
        require_store(db)
        path = render_report(name, db, values, out, share=share)
        workbook = write_tables(name, db, values, tables, share=share) if tables else None
    except checks.ParameterError as e:
        fail(str(e))
    except ReportError as e:
        fail(report_failure(e))
    click.echo(f"wrote {path}")
    if workbook:
        click.echo(f"wrote {workbook} (the page's tables{', suppressed as the page is' if values.get('audience') == 'external' else ''})")
    if caution := filtered_page_caution(values) if values.get("audience") == "external" else "":
        click.echo(f"note: {caution}", err=True)
    if share and values.get("audience") != "external":
        click.echo(f"note: {path} stays private (0600): --share applies to external-audience reports only", err=True)


def _check_tables(name: str, tables: Path | None) -> None:
    """--tables is a workbook, of a report that has one: refused before the page renders."""
    from bcm_analytics.reports.export import check_suffix

    if tables is None:
        return
    if name not in TABLE_WORKBOOKS:
        fail(f"--tables: {name} has no workbook of its tables; reports with one: {', '.join(TABLE_WORKBOOKS)}")
    try:
        check_suffix(tables, (".xlsx",))
    except ValueError as e:
        fail(f"--tables: {e}")


def _check_html(out: Path | None) -> None:
    """The page is HTML whatever --out is called: x.pdf or x.xlsx was written as HTML and would not open."""
    from bcm_analytics.reports.export import check_suffix

    try:
        if out is not None:
            check_suffix(out, (".html", ".htm"))
    except ValueError as e:
        fail(str(e))


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, readable=False, path_type=Path), default="demo.duckdb", show_default=True,
              callback=remember_db, help="Store for the demo (loading is idempotent: an existing demo store is reused).")
@wait_option
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path), default="reports", show_default=True)
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default="demo_data", show_default=True,
              help="Where the synthetic exports are written.")
@click.option("--patients", type=click.IntRange(min=50), default=2000, show_default=True)
@click.option("--months", type=click.IntRange(min=6), default=24, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@timezone_option
def demo(db: Path, reports_dir: Path, data_dir: Path, patients: int, months: int, seed: int, timezone: str) -> None:
    """Synthetic program end to end: generate, load, validate, and render every report."""
    from bcm_analytics.demo import run_demo

    started = time.perf_counter()
    if db.exists():
        open_store(db, timezone).close()  # a busy, damaged or foreign store, or one in another zone, is refused before anything is generated
    try:
        written = run_demo(db, reports_dir, data_dir, patients=patients, months=months, seed=seed, timezone=timezone,
                           progress=print_demo_event)
    except ReportError as e:
        fail(report_failure(e))
    click.echo(f"\ndemo finished in {time.perf_counter() - started:.0f} s; files written:")
    for path in written:
        click.echo(f"  {path.resolve()}")
    click.echo(next_steps(db, data_dir))


def next_steps(db: Path, data_dir: Path) -> str:
    """Commands to go on with the demo's store. The synthetic program has rules of its own: named
    in BCM_RULES, the commands read the marts the demo built; without them, every command would
    build marts again for the shipped rules, in a scratch schema, and say so."""
    from bcm_analytics.demo import DEMO_END

    bcm = sys.argv[0] if Path(sys.argv[0]).name == "bcm" else "bcm"
    store, month = shlex.quote(str(db)), DEMO_END
    return "\n".join([
        "\nnext: the same store from the command line, with the synthetic program's rules:",
        f"  export BCM_RULES={shlex.quote(str((data_dir / 'program_rules.yaml').resolve()))}",
        f"  {bcm} billing --db {store} --month {month} --out lines.csv",
        f"  {bcm} reconcile --db {store} --month {month} --out findings.xlsx",
        f"  {bcm} outcomes --db {store} --measures measures.csv",
    ])


def print_demo_event(event) -> None:
    """One demo event as lines: each step with how long it took, a line per loaded file, the validation summary."""
    from bcm_analytics.cli.data import marts_summary, summary_line
    from bcm_analytics.cli.validate import summary_lines
    from bcm_analytics.demo import FileLoaded, MartsUpdated, StepFinished, StepStarted, Validated
    from bcm_analytics.ingest import FileRefused

    match event:
        case StepStarted(label):
            click.echo(f"- {label} ...")
        case StepFinished(_, seconds):
            click.echo(f"  done in {seconds:.1f} s")
        case FileLoaded(path, result):
            click.echo(summary_line(path, result), err=isinstance(result, FileRefused))
        case MartsUpdated(report):
            click.echo(f"marts updated in {report.seconds:.1f} s ({marts_summary(report)})")
        case Validated(run, _):
            for line in summary_lines(run):
                click.echo(line)
