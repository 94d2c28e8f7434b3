"""`bcm outcomes`: patient-level outcome measures, program measures and care-team worklists."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bcm_analytics.cli.options import (
    cell_size_help,
    check_date,
    check_month,
    db_option,
    fail,
    note_as_of_past_the_data,
    open_store,
    share_option,
    warn,
)

PATH = click.Path(dir_okay=False, path_type=Path)


@click.command()
@db_option
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=check_date, show_default="the latest score or time-log date",
              help="Measure as of this date.")
@click.option("--out", type=PATH, help="Patient-level outcomes, one row per patient, episode and instrument (.csv/.xlsx/.parquet).")
@click.option("--measures", type=PATH, help="Program measures by stratum, small cells suppressed, over the whole calendar "
                                           "quarters an external page of the same months shows (.csv/.xlsx/.parquet).")
@click.option("--utilisation", type=PATH, help="A score on the definitions' utilisation instrument (utilisation.instrument, "
                                               "the PHQ-9 as packaged) in each assessment period (HEDIS DMS-E style), "
                                               "program rows, small cells suppressed (.csv/.xlsx/.parquet).")
@click.option("--drr-e", "drr_e", type=PATH, help="HEDIS DRR-E for the measurement year --year, per age stratum, "
                                                   "small cells suppressed (.csv/.xlsx/.parquet).")
@click.option("--cms159", type=PATH, help="CMS159 / MIPS #370 (depression remission at twelve months) for the "
                                          "measurement period --year, per age stratum, small cells suppressed (.csv/.xlsx/.parquet).")
@click.option("--year", type=click.IntRange(1900, 2999), metavar="YYYY", show_default="the as-of year",
              help="The measurement year of --drr-e and --cms159.")
@click.option("--worklists", type=PATH, help="Care-team worklists workbook (.xlsx): identifies patients.")
@click.option("--definitions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML overriding measure definitions (same shape as bcm_analytics/config/definitions.yaml).")
@click.option("--start-month", "--month", "start_month", metavar="YYYY-MM", callback=check_month,
              show_default="11 months before --end-month, 12 in all",
              help="Program measures: first baseline month; utilisation: first month of contacts (the file holds only "
                   "the assessment periods, Jan-Apr, May-Aug and Sep-Dec, wholly inside --start-month..--end-month).")
@click.option("--end-month", "--to", "end_month", metavar="YYYY-MM", callback=check_month,
              show_default="the as-of month", help="Program measures: last baseline month; utilisation: last month of contacts.")
@click.option("--clinic", "clinics", multiple=True, help="Only these clinics (repeatable).")
@click.option("--care-manager", help="Only this care manager's patients.")
@click.option("--payer", help="Only this payer.")
@click.option("--instrument", help="Only this instrument (PHQ-9, GAD-7).")
@share_option
@cell_size_help
def outcomes(db, as_of, out, measures, utilisation, drr_e, cms159, year, worklists, definitions, start_month, end_month, clinics, care_manager, payer,
             instrument, share) -> None:
    """Outcome measures (response, remission, treat-to-target) from the store.

    --out writes one row per patient, episode and instrument: baseline and latest scores,
    response / remission / improvement, not improving, item 9, and the 12-week, 6-month and
    12-month outcomes, each window pending until it closes. --measures writes the aggregate
    program measures with counts in the cell-size range suppressed ({cell_size}), for the whole
    calendar quarters ended by the as-of date that an external page of the same months shows (so
    that no file and page can be subtracted to leave a few months' count).
    --utilisation writes, per assessment period, the patients with a contact and those of them
    with a score on the definitions' utilisation instrument (utilisation.instrument, the PHQ-9 as
    packaged) in the same period (HEDIS DMS-E style), suppressed alike, for the periods wholly
    inside the months, as an outside reader's page shows them; --instrument does not change it. --drr-e writes HEDIS
    DRR-E for the measurement year --year (the index in its intake period, the follow-up the
    definitions' 6-month window after it, windows.6m: days 120-240 as packaged) per age stratum,
    suppressed alike; `complete` is false while a follow-up period of the year is still open. --cms159 writes CMS159 / MIPS #370 for the measurement period
    --year (the index, a PHQ-9 above 9 on the day of a contact or up to 7 days before it, in the
    identification period November 1 two years before to October 31 of the year before; remission
    in the window 12 months +/- 60 days after it) per age stratum (12-17, 18+), suppressed alike.
    --worklists writes the patient lists
    care teams act on (not improving without review, positive item 9, overdue score,
    no recent contact, follow-up scores due before their outcome window closes).
    """
    from bcm_analytics.outcomes import load_definitions, prepare
    from bcm_analytics.reports.export import check_suffix, no_rows, write_query, write_table

    if not (out or measures or utilisation or drr_e or cms159 or worklists):
        fail("nothing to write: give --out, --measures, --utilisation, --drr-e, --cms159 and/or --worklists")
    if year is not None and not (drr_e or cms159):
        fail("--year is the measurement year of --drr-e and --cms159: give --drr-e FILE or --cms159 FILE too")
    try:
        for path in (p for p in (out, measures, utilisation, drr_e, cms159) if p):
            check_suffix(path)
        if worklists:
            check_suffix(worklists, (".xlsx",))
        defs = load_definitions(definitions) if definitions else None  # None: the store's own (bcm build)
    except (ValueError, OSError) as e:
        fail(str(e))
    started = time.perf_counter()
    from bcm_analytics.reports.parameters import check_filters

    con = open_store(db)
    filters = check_filters("bcm outcomes", con, {"clinics": list(clinics) or None, "care_manager": care_manager,
                                                  "payer": payer, "instrument": instrument}, definitions)
    try:
        run = prepare(con, as_of, defs, **filters)
    except ValueError as e:
        fail(str(e))
    if measures or utilisation:
        _check_period(run, start_month, end_month)
    if measures:
        shared = _external_period(run, start_month, end_month)
    defs = run.definitions
    click.echo(f"as of {run.as_of}, definitions {defs.version} ({defs.source})")
    if run.marts.note:
        click.echo(f"note: {run.marts.note}", err=True)
    note_as_of_past_the_data(con, run.as_of, "a window closing in between counts as closed, so a score not yet "
                                             "exported reads as missing")
    warn(run.scores_gap_note(run.period(start_month, end_month)["start_month"]))
    if measures:
        click.echo(f"note: the program measures: {shared.note[0].lower()}{shared.note[1:]}", err=True)
    if out:
        chosen = any(v for v in run.filters.values())
        _, rows = write_query(run.patients_query(), out, sheet="outcomes",
                              empty=no_rows(f"as of {run.as_of}", "with the filters given" if chosen else ""))
        click.echo(f"{rows:,} patient-episode-instrument rows written to {out}")
    low, high = run.definitions.threshold  # suppression.threshold of the definitions this run measures with
    outputs = ((measures, lambda: _measures(run, f"{shared.start:%Y-%m}", f"{shared.end:%Y-%m}"), "measures", "program measures"),
               (utilisation, lambda: _utilisation(run, start_month, end_month), "utilisation", "score utilisation"),
               (drr_e, lambda: _drr_e(run, year or run.as_of.year), "drr_e", "HEDIS DRR-E"),
               (cms159, lambda: _cms159(run, year or run.as_of.year), "cms159", "CMS159"))
    for path, table, sheet, what in outputs:
        if path:
            write_table(table(), path, sheet=sheet)
            if share:  # aggregate and suppressed: the outputs of this command --share applies to
                from bcm_analytics import private_files

                private_files.set_mode(path, share=True)
            click.echo(f"{what} (counts {low}-{high} suppressed) written to {path}")
    if worklists:
        from bcm_analytics.reports.worklists import worklists_workbook

        counts = worklists_workbook(run, worklists)
        click.echo(f"worklists ({', '.join(f'{k} {n}' for k, n in counts.items())}) written to {worklists}")
    con.close()
    click.echo(f"done in {time.perf_counter() - started:.1f} s")


def _check_period(run, start_month, end_month) -> None:
    """Refuse a baseline period that ends before it starts before any file is written (it was a
    crash pointing at a log file, after --out had been written). Each option is named by both its
    spellings, as click names them, since either may have been typed."""
    try:
        run.period(start_month, end_month)
    except ValueError:
        end = (f"--end-month/--to {end_month}" if end_month
               else f"the as-of month {run.as_of:%Y-%m} (the default of --end-month/--to)")
        fail(f"--start-month/--month {start_month} is after {end}")


def _external_period(run, start_month, end_month):
    """The baseline months --measures covers: the whole calendar quarters an external page of the
    same options shows (privacy.external_period). The 12 months to the as-of month, beside the
    page's four quarters, left two months' counts to subtract, small ones among them. (--utilisation's
    rows are each one assessment period, which no two files sum differently.)"""
    from bcm_analytics.reports.privacy import Privacy

    asked = run.period(start_month, end_month)
    try:
        return Privacy("external", run.definitions.threshold).period(
            asked["start_month"], asked["end_month"], run.as_of, months=None if start_month else 12)
    except ValueError as e:
        fail(str(e).replace("an external page shows", "--measures covers").replace(
            "or render the internal version", "or write the patient-level --out"))


def _window_status(frame):
    """'not yet measurable' on the rows whose window no patient's could have closed yet: their 0
    is not a 0 of no eligible patients (a stratum's row as much as the program's)."""
    pending = frame.attrs["pending"]["denominator"]
    return frame.assign(window_status=["not yet measurable" if i in pending else "" for i in frame.index])


def _utilisation(run, start_month, end_month):
    """Score utilisation per assessment period for the program, suppressed as an outside reader's page
    is, with `suppressed` naming the hidden columns, the as-of date and the definitions."""
    from bcm_analytics.reports import caseload_outcomes as report
    from bcm_analytics.reports.privacy import suppressed_names

    frame = report.utilisation(run, start_month, end_month)
    return frame.drop(columns=["clinic"]).assign(suppressed=suppressed_names(frame), as_of=run.as_of,
                                                 definitions=run.definitions.version)


def _drr_e(run, year):
    """HEDIS DRR-E for the measurement year, suppressed as an outside reader's page is, with
    `suppressed` naming the hidden columns, the as-of date and the definitions."""
    from bcm_analytics.reports import caseload_outcomes as report

    return _year_file(run, year, report.drr_e(run, year), "follow-up periods")


def _cms159(run, year):
    """CMS159 for the measurement period, suppressed as --drr-e's file is."""
    from bcm_analytics.reports import caseload_outcomes as report

    return _year_file(run, year, report.cms159(run, year), "12-month windows")


def _year_file(run, year, frame, windows):
    """A per-year measure's file: a warning while any of its windows is open (its rates can still
    rise), `suppressed` naming the hidden columns, the as-of date and the definitions."""
    from bcm_analytics.reports.privacy import suppressed_names

    if not frame["complete"].all():
        warn(f"measurement year {year} is not complete: {windows} run until {frame['last_follow_up_day'].iloc[0]}, "
             f"after the as-of date {run.as_of}; its rates can still rise")
    return frame.assign(suppressed=suppressed_names(frame), as_of=run.as_of, definitions=run.definitions.version)


def _measures(run, start_month, end_month):
    """Headline and strata in one long table, suppressed, with the period and as-of date, and in
    `suppressed` the columns hidden in each row (a hidden count is empty, as a missing one is)."""
    import pandas as pd

    from bcm_analytics.reports import caseload_outcomes as report
    from bcm_analytics.reports.privacy import suppressed_names

    head = report.headline(run, start_month, end_month)
    head = head.assign(dimension="program", stratum="All", suppressed=suppressed_names(head))
    head["window_name"] = run.program_measures(start_month, end_month)["window_name"]
    head = head.drop(columns=["measure"])
    strata = report.strata(run, start_month, end_month)
    strata = strata.assign(suppressed=suppressed_names(strata))
    frame = pd.concat([_window_status(head), _window_status(strata)], ignore_index=True)
    period = run.period(start_month, end_month)
    return frame.assign(baseline_from=period["start_month"], baseline_to=period["period_end"], as_of=run.as_of,
                        definitions=run.definitions.version)
