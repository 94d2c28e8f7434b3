"""Commands for finance: billing lines (or the near-threshold worklist), and reconciliation."""

from __future__ import annotations

import time
from pathlib import Path

import click
from click.core import ParameterSource

from bcm_analytics.billing.engine import NEAR_MARGIN
from bcm_analytics.cli.options import (
    check_date,
    check_month,
    db_option,
    fail,
    month_range,
    note_as_of_past_the_data,
    open_store,
    require_store,
    warn,
)
from bcm_analytics.warehouse import connect

rules_option = click.option(
    "--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
    show_default="$BCM_RULES, else the store's own, set by `bcm build --rules`",
    help="The program's rules file, merged over the shipped defaults, or a shipped ruleset's name (texas_medicaid ...).",
)


def month_option(required: str = "required"):
    """--month, the first service month, saying when it is required (the help named only --out,
    and a user found --month required by the error); click's `required` would refuse --worklist,
    which needs none."""
    return click.option("--month", "start", metavar="YYYY-MM", callback=check_month, help=f"First service month ({required}).")


to_option = click.option("--to", "end", metavar="YYYY-MM", callback=check_month, show_default="--month",
                         help="Last service month.")


def _load_rules(rules_file: Path | None):
    """The rules asked for, refused in one line before any work; None when none was asked for (no
    --rules, no $BCM_RULES), so the marts use the store's own rules file as `bcm build` promises
    (loading the shipped defaults here had billed and reconciled by rules the store never had)."""
    from bcm_analytics.billing import RulesError, load_rules
    from bcm_analytics.config.settings import load_settings

    if rules_file is None and not load_settings().BCM_RULES:
        return None
    try:
        rules = load_rules(rules_file)
        rules.fees()  # a fee file with a mistake is refused before anything is computed
    except RulesError as e:
        fail(str(e))
    return rules


def _check_worklist_options(worklist: bool, start, end, as_of) -> None:
    """The worklist is for the open month of --as-of, the lines for --month..--to: a month given to
    the other was ignored, and `--worklist --month 2025-06` wrote the data's last month unannounced.
    So was a --margin given for billing lines."""
    if worklist and (start or end):
        fail(f"--month/--to do not apply to --worklist, which lists the month of --as-of; "
             f"give --as-of {start or end}-DD (default: the data's last day)")
    if not worklist and as_of:
        fail("--as-of applies only to --worklist; billing lines take --month and --to")
    if not worklist and click.get_current_context().get_parameter_source("margin") is ParameterSource.COMMANDLINE:
        fail("--margin applies only to --worklist (minutes below the next code); billing lines take --month and --to")


def _sibling(path: Path, suffix_name: str) -> Path:
    return path.with_name(f"{path.stem}_{suffix_name}{path.suffix}")


def _note_months_without_minutes(marts, start: str, end: str) -> None:
    """A mistyped month (2052-06 for 2025-06) wrote empty files and said only that there were 0
    lines, as a quiet month would; the note tells the two apart and names the months there are.
    Whether the period has minutes is asked of the billing mart, which holds every time-log entry
    by month; the store's months only when it has none (overview.minutes_period)."""
    from bcm_analytics.billing.engine import period
    from bcm_analytics.overview import minutes_period

    query = "SELECT EXISTS (SELECT 1 FROM marts.billing_entries WHERE service_month BETWEEN $start AND $end)"
    if marts.query(query, period(start, end)).fetchall()[0][0]:
        return
    span = minutes_period(marts.con)
    held = f"the store's minutes are logged in {span[0]:%Y-%m}..{span[1]:%Y-%m}" if span else "the store holds no minutes"
    click.echo(f"note: no minutes logged in {start}..{end}; {held}", err=True)


@click.command()
@db_option
@month_option("required, except with --worklist")
@to_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV, XLSX or Parquet. Unbilled months go to a second sheet, or to <name>_unbilled.<ext>.")
@rules_option
@click.option("--worklist", is_flag=True, help="Write the near-threshold worklist for the open month instead.")
@click.option("--as-of", metavar="YYYY-MM-DD", callback=check_date,
              show_default="the data's last day", help="Worklist date.")
@click.option("--margin", type=click.FloatRange(min=0), default=NEAR_MARGIN, show_default=True,
              help="Worklist: minutes below the next code that put a patient on the list.")
@click.option("--save-marts", is_flag=True, help="Also bring the store's marts up to date with these rules (opens it for writing).")
def billing(db: Path, start, end, out: Path, rules_file, worklist: bool, as_of: str | None, margin: float,
            save_marts: bool) -> None:
    """Billing lines per patient and month from logged minutes, with expected amounts.

    One row per code a patient-month supports (99492/99493/99494, G2214, 99484, G0512, G0511 ...)
    under the rules in force for the patient's payer, clinic setting and program. With
    --worklist: patients of the open month within --margin minutes of their next code.
    Read from the store's marts; other rules than the store's are computed in a temporary schema.
    """
    from bcm_analytics.billing import engine as b
    from bcm_analytics.reports.export import check_suffix, in_service_months, no_rows, write_query, write_query_sheets

    started = time.perf_counter()
    try:
        check_suffix(out)
    except ValueError as e:
        fail(str(e))
    _check_worklist_options(worklist, start, end, as_of)
    if not worklist:  # judged before the store is opened: other rules' marts can take a minute to build
        start, end = month_range(start, end, "--month YYYY-MM is required (or --worklist for the near-threshold list)")
    rules = _load_rules(rules_file)
    if save_marts:
        require_store(db)
        con = connect(db)
    else:
        con = open_store(db)
    try:
        if save_marts:
            written = b.materialize(con, rules)
        marts = b.billing_marts(con, rules)
        if marts.note:
            click.echo(f"note: {marts.note}", err=True)
        if worklist:
            query = b.near_threshold_query(marts, as_of, margin)
            day = as_of or marts.as_of
            _, rows = write_query(query, out, sheet="near_threshold", empty=no_rows(f"on {day}"))
            click.echo(f"{rows:,} patient(s) within {margin:g} minutes of their next code on {day} ({marts.rules.id}): {out}")
            note_as_of_past_the_data(con, day, "minutes logged since are not in the store, so a patient they bring "
                                               "near a code is not listed")
            start = end = day  # the warnings of the open month
        else:
            lines, unbilled = b.lines_query(marts, start, end), b.unbilled_query(marts, start, end)
            empty = no_rows(in_service_months(start, end))
            if out.suffix.lower() == ".xlsx":
                write_query_sheets({"billing_lines": lines, "unbilled": unbilled}, out, empty=empty)
                where = "sheet 'unbilled'"
            else:
                write_query(lines, out, empty=empty)
                where = str(write_query(unbilled, _sibling(out, "unbilled"), empty=empty)[0])
            n, months, dollars = marts.query(
                "SELECT count(*), count(DISTINCT (patient_id, service_month)), coalesce(sum(expected_amount), 0) "
                "FROM marts.billing_lines WHERE service_month BETWEEN $start AND $end", b.period(start, end)).fetchall()[0]
            n_unbilled = marts.query("SELECT count(*) FROM marts.unbilled_months WHERE service_month BETWEEN $start AND $end",
                                     b.period(start, end)).fetchall()[0][0]
            click.echo(f"{n:,} billing line(s) for {months:,} patient-month(s), "
                       f"expected ${dollars:,.2f} ({start}..{end}, {marts.rules.id}): {out}")
            click.echo(f"{n_unbilled:,} patient-month(s) with minutes below the first code: {where}")
            _note_months_without_minutes(marts, start, end)
        for warning in b.warnings(marts, start=start, end=end):
            click.echo(f"warning: {warning}", err=True)
        if save_marts:
            click.echo(f"wrote {', '.join(written)} to {db}")
    finally:
        con.close()
    click.echo(f"done in {time.perf_counter() - started:.1f} s")


@click.command()
@db_option
@month_option()
@to_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV (one row per finding) or XLSX (the finance workbook: work queue, summary, by_month, expected_to_billed, info, evidence, about).")
@rules_option
def reconcile(db: Path, start, end, out: Path, rules_file) -> None:
    """Reconcile claims against logged minutes: one row per finding, with the money at stake.

    Findings: matched, missed_billing, denied_claim, unsupported_claim, dated_before_threshold
    (with the rules' claim_date_rule: on_or_after_threshold), wrong_code, units_mismatch,
    same_month_conflict, duplicate_claim, missing_consent, wrong_billing_npi, unknown_patient,
    claim_quarantined, no_initiating_visit, payer_mismatch. Severity says whether a finding is lost
    revenue, a compliance risk, or data to review before acting.
    """
    from bcm_analytics.billing.engine import billing_marts, period, warnings
    from bcm_analytics.billing.reconcile import (
        claims_gap_note,
        counts_in_words,
        findings_query,
        totals_query,
        unknown_status_note,
        unlinked_claims_note,
    )
    from bcm_analytics.reports.export import check_suffix, in_service_months, no_rows, write_query
    from bcm_analytics.reports.finance_workbook import reconciliation_workbook

    started = time.perf_counter()
    try:
        check_suffix(out, (".csv", ".xlsx"))
    except ValueError as e:
        fail(str(e))
    start, end = month_range(start, end)
    rules = _load_rules(rules_file)
    con = open_store(db)
    try:
        marts = billing_marts(con, rules)
        if marts.note:
            click.echo(f"note: {marts.note}", err=True)
        if out.suffix.lower() == ".xlsx":
            reconciliation_workbook(con, start, end, out, rules)
        else:
            write_query(findings_query(marts, start, end), out, empty=no_rows(in_service_months(start, end)))
        counts = {(finding, severity): n for finding, severity, n in marts.query(
            "SELECT finding, severity, count(*) FROM marts.recon_findings WHERE service_month BETWEEN $start AND $end "
            "GROUP BY ALL", period(start, end)).fetchall()}
        money = totals_query(marts, start, end).df()[["missed_revenue", "compliance_exposure", "findings_not_priced",
                                                      "billed_lines_without_charge"]].sum()
        click.echo(f"{sum(counts.values()):,} finding(s) for {start}..{end} ({marts.rules.id}): {out}")
        if counts:
            click.echo("  " + counts_in_words(counts))
        _note_months_without_minutes(marts, start, end)
        found = warnings(marts, start=start, end=end)  # what `bcm billing` warns of: the same expected lines
        gap = claims_gap_note(marts, start, end)  # a sentence for the page, a warning here
        statuses = unknown_status_note(marts, start, end)
        unlinked = unlinked_claims_note(marts)
    finally:
        con.close()
    not_priced = int(money.findings_not_priced)
    note = f"; {not_priced:,} finding(s) not priced (no fee on file, no charge amount)" if not_priced else ""
    click.echo(f"  missed revenue ${money.missed_revenue:,.2f}; compliance exposure ${money.compliance_exposure:,.2f}{note}")
    for warning in found:
        click.echo(f"warning: {warning}", err=True)
    warn(gap)
    warn(statuses)
    warn(unlinked)
    uncharged = int(money.billed_lines_without_charge)
    if uncharged:
        warn(f"{uncharged:,} billed claim line(s) have no charge amount in the claims export: billed dollars leave such lines out")
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
