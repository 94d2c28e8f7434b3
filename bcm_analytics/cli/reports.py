"""Commands that produce reports: one named report, or the whole demo end to end."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bcm_analytics.cli.options import db_option, fail, require_store, timezone_option
from bcm_analytics.reports.runner import ReportError, available_reports, render_report


def parse_value(text: str):
    """-p values: numbers and none/null become Python values; everything else stays text."""
    if text.lower() in ("none", "null", ""):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@click.command()
@click.argument("name")
@db_option
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="KEY VALUE",
              help="A notebook parameter, e.g. -p start_month 2025-01 (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="HTML file (default reports/NAME.html).")
def report(name: str, db: Path, parameters: tuple[tuple[str, str], ...], out: Path | None) -> None:
    """Render report NAME (a notebook in notebooks/) to self-contained HTML."""
    if name not in available_reports():
        fail(f"no report named '{name}'; available: {', '.join(available_reports())}")
    require_store(db)
    try:
        path = render_report(name, db, {k: parse_value(v) for k, v in parameters}, out)
    except ReportError as e:
        fail(str(e))
    click.echo(f"wrote {path}")


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default="demo.duckdb", show_default=True,
              help="Store for the demo (loading is idempotent: an existing demo store is reused).")
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
    try:
        written = run_demo(db, reports_dir, data_dir, patients=patients, months=months, seed=seed, timezone=timezone,
                           progress=print_demo_event)
    except ReportError as e:
        fail(str(e))
    click.echo(f"\ndemo finished in {time.perf_counter() - started:.0f} s; files written:")
    for path in written:
        click.echo(f"  {path.resolve()}")


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
