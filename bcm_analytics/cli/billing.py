"""Commands for finance: billing lines (or the near-threshold worklist), and reconciliation."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click

from bcm_analytics.cli.options import check_month, db_option, fail, open_store, require_store

rules_option = click.option(
    "--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
    help="The program's rules file, merged over the shipped defaults (default $BCM_RULES).",
)
month_option = click.option("--month", "start", metavar="YYYY-MM", callback=check_month, help="First service month.")
to_option = click.option("--to", "end", metavar="YYYY-MM", callback=check_month, help="Last service month (default: --month).")


def _load_rules(rules_file: Path | None):
    from bcm_analytics.billing import RulesError, load_rules

    try:
        rules = load_rules(rules_file)
        rules.fees()  # a fee file with a mistake is refused before anything is computed
    except RulesError as e:
        fail(str(e))
    return rules


def _period(start: str | None, end: str | None) -> tuple[str, str]:
    if start is None:
        fail("--month YYYY-MM is required (or --worklist for the near-threshold list)")
    end = end or start
    if end < start:
        fail(f"--to {end} is before --month {start}")
    return start, end


def _sibling(path: Path, suffix_name: str) -> Path:
    return path.with_name(f"{path.stem}_{suffix_name}{path.suffix}")


@click.command()
@db_option
@month_option
@to_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV, XLSX or Parquet. Unbilled months go to a second sheet, or to <name>_unbilled.<ext>.")
@rules_option
@click.option("--worklist", is_flag=True, help="Write the near-threshold worklist for the open month instead.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Worklist date (default today).")
@click.option("--margin", type=click.FloatRange(min=0), default=10, show_default=True,
              help="Worklist: minutes below the next code that put a patient on the list.")
@click.option("--save-marts", is_flag=True, help="Also write the billing tables to marts.* in the store.")
def billing(db: Path, start, end, out: Path, rules_file, worklist: bool, as_of: datetime | None, margin: float,
            save_marts: bool) -> None:
    """Billing lines per patient and month from logged minutes, with expected amounts.

    One row per code a patient-month supports (99492/99493/99494, G2214, 99484, G0512, G0511 ...)
    under the rules in force for the patient's payer, clinic setting and program. With
    --worklist: patients of the open month within --margin minutes of their next code.
    """
    from bcm_analytics import billing as b
    from bcm_analytics.reports.export import check_suffix, write_table, write_workbook
    from bcm_analytics.warehouse import connect

    started = time.perf_counter()
    try:
        check_suffix(out)
    except ValueError as e:
        fail(str(e))
    rules = _load_rules(rules_file)
    if save_marts:
        require_store(db)
        con = connect(db)
    else:
        con = open_store(db)
    try:
        if worklist:
            day = (as_of or datetime.now()).date()
            frame = b.near_threshold(con, day, margin, rules)
            write_table(frame, out, sheet="near_threshold")
            click.echo(f"{len(frame):,} patient(s) within {margin:g} minutes of their next code on {day}: {out}")
        else:
            start, end = _period(start, end)
            lines = b.billing_lines(con, start, end, rules)
            unbilled = b.unbilled_months(con, start, end, rules)
            if out.suffix.lower() == ".xlsx":
                write_workbook({"billing_lines": lines, "unbilled": unbilled}, out)
                where = "sheet 'unbilled'"
            else:
                where = str(write_table(unbilled, _sibling(out, "unbilled")))
                write_table(lines, out)
            patient_months = lines[["patient_id", "service_month"]].drop_duplicates().shape[0]
            click.echo(f"{len(lines):,} billing line(s) for {patient_months:,} patient-month(s), "
                       f"expected ${lines['expected_amount'].sum():,.2f} ({start}..{end}, {rules.id}): {out}")
            click.echo(f"{len(unbilled):,} patient-month(s) with minutes below the first code: {where}")
        for warning in b.engine.warnings(con):
            click.echo(f"warning: {warning}", err=True)
        if save_marts:
            click.echo(f"wrote {', '.join(b.materialize(con, rules))} to {db}")
    finally:
        con.close()
    click.echo(f"done in {time.perf_counter() - started:.1f} s")


@click.command()
@db_option
@month_option
@to_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV (one row per finding) or XLSX (the finance workbook: work queue, summary, months, info, evidence).")
@rules_option
def reconcile(db: Path, start, end, out: Path, rules_file) -> None:
    """Reconcile claims against logged minutes: one row per finding, with the money at stake.

    Findings: matched, missed_billing, denied_claim, unsupported_claim, wrong_code,
    units_mismatch, same_month_conflict, duplicate_claim, missing_consent, wrong_billing_npi,
    unknown_patient. Severity says whether a finding is lost revenue or a compliance risk.
    """
    from bcm_analytics.billing.reconcile import findings
    from bcm_analytics.reports.export import check_suffix, write_table
    from bcm_analytics.reports.finance_workbook import reconciliation_workbook, summary

    started = time.perf_counter()
    try:
        check_suffix(out, (".csv", ".xlsx"))
    except ValueError as e:
        fail(str(e))
    start, end = _period(start, end)
    rules = _load_rules(rules_file)
    con = open_store(db)
    try:
        rows = findings(con, start, end, rules)
        if out.suffix.lower() == ".xlsx":
            reconciliation_workbook(con, start, end, out, rules)
        else:
            write_table(rows, out)
    finally:
        con.close()
    totals = summary(rows).groupby("finding", sort=False).finding_rows.sum()
    money = rows.groupby("severity").amount_at_stake.sum()
    click.echo(f"{len(rows):,} finding(s) for {start}..{end}: {out}")
    click.echo("  " + ", ".join(f"{finding} {n:,}" for finding, n in totals.items()))
    click.echo(f"  missed revenue ${money.get('revenue', 0):,.2f}; compliance exposure ${money.get('compliance', 0):,.2f}")
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
