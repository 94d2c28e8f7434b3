"""Commands that bring data in: generate a synthetic program, load exports, list the quarantine, the row warnings and the
rows later exports changed."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import click
from tqdm import tqdm

from bcm_analytics.cli.options import check_month, db_option, fail, open_store, timezone_option
from bcm_analytics.config.files import ConfigError
from bcm_analytics.ingest import FileRefused, FileResult, LoadOptions, check_replaces, discover, load_paths
from bcm_analytics.ingest.loader import COVERAGE_FILES
from bcm_analytics.ingest.readers import table_for
from bcm_analytics.models import refresh
from bcm_analytics.models.marts import out_of_date, resolve_definitions, resolve_rules
from bcm_analytics.months import add_months, month_end
from bcm_analytics.warehouse import close_after_writing, connect, holds_no_load, remove_store, table_specs


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="demo_data", show_default=True)
@click.option("--patients", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--months", type=click.IntRange(min=1), default=24, show_default=True)
@click.option("--start", default="2024-01", show_default=True, callback=check_month, help="First month (YYYY-MM).")
@click.option("--seed", type=int, default=7, show_default=True)
def generate(out_dir: Path, patients: int, months: int, start: str, seed: int) -> None:
    """Write a seeded synthetic program (canonical CSV exports) to OUT.

    Beside the exports: program_rules.yaml, the program's payer names mapped to payer classes
    (give it to billing as --rules, or to `bcm build --rules` to make it the store's own), and
    _answer_key/, what was planted (broken rows, traps, the true countable minutes), which
    `bcm load` does not read.
    """
    from bcm_analytics.synthetic import generate_program

    summary = generate_program(out_dir, patients=patients, months=months, start=start, seed=seed, progress=True)
    for name, rows in summary.rows.items():
        click.echo(f"  {summary.paths[name].relative_to(out_dir).as_posix():<32} {rows:>12,} rows")
    rules = summary.paths["program_rules"]
    click.echo(f"generated {out_dir} in {summary.seconds:.1f} s; _answer_key/ holds what was planted (not an export)")
    click.echo(f"its payer names are mapped to payer classes in {rules}: after `bcm load {out_dir}`, "
               f"run `bcm build --rules {rules}` (names the shipped rules do not know bill as commercial)")
    if note := _months_after_today(start, months):
        click.echo(f"note: {note}", err=True)


def _months_after_today(start: str, months: int) -> str | None:
    """The generator writes every day of every month it is asked for, and `bcm load` sets a date
    after today aside as a typo: say so now, not when part of the program is in the quarantine."""
    last = add_months(date.fromisoformat(f"{start}-01"), months - 1)
    today = date.today()
    if month_end(last) <= today:
        return None
    return (f"the program runs to {last:%Y-%m}, past today ({today}): `bcm load` sets dates after today aside as in "
            f"the future; --start {add_months(today.replace(day=1), -months):%Y-%m} ends it last month")


def names(columns: list[str], shown: int = 12) -> str:
    """Column names for a load line: the first dozen and how many more (an export with thousands
    of extra columns once printed them all on one line)."""
    more = f" and {len(columns) - shown:,} more" if len(columns) > shown else ""
    return ", ".join(c or "(a column with no name: a delimiter at the end of the header?)" for c in columns[:shown]) + more


def hidden_rows_note(rows: tuple[int, ...], shown: int = 12) -> str:
    """Rows of a workbook hidden in Excel are read like any other (leaving them out would drop
    records unseen), but a person hid them, or filtered them out, perhaps to leave them out of
    the export: name them so a data manager can check."""
    more = f" and {len(rows) - shown:,} more" if len(rows) > shown else ""
    listed = ", ".join(map(str, rows[:shown])) + more
    return (f"{len(rows):,} row{'s' if len(rows) > 1 else ''} hidden in the sheet {'were' if len(rows) > 1 else 'was'} read "
            f"(row{'s' if len(rows) > 1 else ''} {listed}): hidden or filtered out in Excel; "
            f"check {'they belong' if len(rows) > 1 else 'it belongs'} in the export")


def day_first_note(columns: tuple[tuple[str, int, str | None], ...]) -> str:
    """The columns read day first, said with the value that decided it: a single typed 13/03/2026
    among US dates turns every 03/02/2026 of the file into 3 February, and a person who sees which
    value did it can tell a day-first export from a typo. `columns`: FileResult.day_first."""
    deciding = [(column, example) for column, count, example in columns if count]
    count = sum(n for _, n, _ in columns)
    example = deciding[0][1] + (f" in {deciding[0][0]}" if len(columns) > 1 else "")
    values = f"{example} can only be read so" if count == 1 else f"{count:,} values can only be read so ({example} the first)"
    return (f"slash dates in {', '.join(c for c, _, _ in columns)} read day first (03/02/2026 as 3 February): {values} and none "
            "only month first; if the export writes the month first, correct " + ("that value" if count == 1 else "those values"))


def _reenrolled(rows: int) -> str:
    """Of a patients file's changed rows, the re-enrolments: their earlier enrolment is kept for its
    months (core.enrolments), which a corrected row is not."""
    if not rows:
        return ""
    return ", 1 of them a re-enrolment" if rows == 1 else f", {rows:,} of them re-enrolments"


def _earlier_enrolments(rows: int) -> str:
    """Of a patients file's loaded rows, those before a patient's latest enrolment (a list of
    enrolments): kept for their months as a re-enrolment's earlier enrolment is, not the patient's row."""
    if rows == 1:
        return "1 an earlier enrolment of a re-enrolled patient, kept for its months"
    return f"{rows:,} earlier enrolments of re-enrolled patients, kept for their months"


def _discharges_moved(late: int, settled: int) -> str:
    """What a patients file's changed discharges did to the time logs already stored: minutes that
    counted stop counting when a discharge is entered or moved before them, and count again when
    a re-enrolment or a later discharge takes them in. Said in the load line, since billing moves
    with them and nothing else in the line shows it."""
    said = []
    if late:
        said.append(f"{late:,} stored time-log entr{'y' if late == 1 else 'ies'} now after a discharge "
                    "(billing counts none of their minutes; `bcm warnings --table time_logs` lists them)")
    if settled:
        said.append(f"{settled:,} stored time-log entr{'y' if settled == 1 else 'ies'} no longer after a discharge "
                    "(their warning is dropped)")
    return "".join(f"; {s}" for s in said)


def summary_line(path: Path, result: FileResult | FileRefused, replaces: int | None = None) -> str:
    """One file's line; `replaces` is the load `bcm load --replaces` named (said when nothing loaded)."""
    if isinstance(result, FileRefused):
        return f"{path}: refused: {result.problem}"
    if result.already_loaded:
        line = f"{path}: {result.table}: already loaded (load {result.load_id}); nothing changed"
        if replaces is None:
            return line
        if replaces == result.load_id:
            return line + f" (it is the file of load {replaces} itself, not a corrected copy: --replaces closed nothing)"
        if replaces == result.replaces:
            return line + f" (load {result.load_id} replaced load {replaces} then)"
        return line + (f" (--replaces {replaces} applies when a corrected copy loads, and this one loaded before:"
                       f" load {replaces}'s entries are unchanged)")
    extra = f"; extra columns kept in raw: {names(result.extra_columns)}" if result.extra_columns else ""
    if result.header_line > 1:  # a title above the column names: a CSV's lines, a sheet's rows
        unit = "row" if result.sheet else "line"
        above = f"{unit} 1" if result.header_line == 2 else f"{unit}s 1-{result.header_line - 1}"
        place = f" of sheet '{result.sheet}'" if result.sheet else ""
        extra += f"; column names on {unit} {result.header_line}{place} ({above} above them passed over)"
    others = [c for c in result.dropped_columns if c not in result.identifier_columns]
    if others:
        extra += f"; extra columns dropped: {names(others)}"
    if result.identifier_columns:
        extra += f"; dropped as direct identifiers (never stored): {names(result.identifier_columns)}"
    of_loaded = ([f"{result.rows_changed:,} changed{_reenrolled(result.rows_reenrolled)}"] if result.rows_changed else []) \
        + ([_earlier_enrolments(result.rows_earlier_enrolments)] if result.rows_earlier_enrolments else [])
    changed = f" ({'; '.join(of_loaded)})" if of_loaded else ""
    totals = result.rows_passed_over - result.rows_footer - result.rows_subtotal
    among = ([f"{result.rows_again:,} set aside before by an earlier load"] if result.rows_again else []) \
        + ([f"{result.rows_waiting:,} waiting for rows they refer to"] if result.rows_waiting else []) \
        + ([f"{totals:,} totals row{'s' if totals > 1 else ''} below the records, passed over"] if totals else []) \
        + ([f"{result.rows_subtotal:,} subtotal row{'s' if result.rows_subtotal > 1 else ''} among the records, passed over"]
           if result.rows_subtotal else []) \
        + ([f"{result.rows_footer:,} footer line{'s' if result.rows_footer > 1 else ''} closing the report "
            "(page numbers, confidentiality or printed-on lines), passed over"] if result.rows_footer else []) \
        + ([f"{result.rows_empty:,} empty row{'s' if result.rows_empty > 1 else ''} (no column bcm reads has a value), passed over"]
           if result.rows_empty else []) \
        + ([f"{result.rows_header:,} row{'s' if result.rows_header > 1 else ''} where another pull of the export starts "
            "(its column names again, or a title above them), passed over"] if result.rows_header else [])
    waiting = f" ({'; '.join(among)})" if among else ""
    if result.rows_waiting_like_known:
        extra += (f"; {result.rows_waiting_like_known:,} of the waiting rows name a patient id that is loaded written "
                  "another way (123.0 for 123, 123 for 00123: ids a spreadsheet turned into numbers?)")
    if result.hidden_rows:
        extra += "; " + hidden_rows_note(result.hidden_rows)
    if result.day_first:
        extra += "; " + day_first_note(result.day_first)
    admitted = f"; admitted {result.rows_admitted:,} earlier quarantined rows" if result.rows_admitted else ""
    if result.replaces is not None:
        admitted += f"; closes {result.rows_closed:,} quarantined row(s) of load {result.replaces} (corrected copy)"
    if result.rows_withdrawn:  # stored rows the file no longer holds: never gone unsaid
        more = result.rows_withdrawn - len(result.withdrawn)
        listed = "; ".join(result.withdrawn) + (f"; and {more:,} more" if more > 0 else "")
        admitted += (f"; withdrew {result.rows_withdrawn:,} stored row(s) of load {result.replaces} the corrected copy no longer holds"
                     if result.replaces is not None else
                     f"; withdrew {result.rows_withdrawn:,} stored coverage period(s) of the patients it names that it no longer holds")
        admitted += f" ({listed})"
    if result.rows_reverted:  # an older export loaded after a newer one puts the older values back, each a plain change
        admitted += (f"; {result.rows_reverted:,} of the changed rows went back to values load {result.reverted_by} had changed: "
                     "an older export loaded after a newer one? If so, load the newest export again")
    if result.rows_changed or result.rows_withdrawn:  # what a row was before it changed: where a person finds it
        admitted += "; `bcm changes --out FILE` lists each changed row before and after"
    admitted += _discharges_moved(result.entries_late, result.entries_settled)
    if result.rows_warned:  # kept, but a check or the profile flagged them: where a person finds which and why
        admitted += f"; {result.rows_warned:,} loaded with a warning (`bcm warnings --out FILE` lists them)"
    return (
        f"{path}: {result.table}: read {result.rows_read:,} = loaded {result.rows_loaded:,}{changed}"
        f" + quarantined {result.rows_quarantined:,}{waiting} + duplicates {result.rows_duplicate:,}"
        f"  [load {result.load_id}, {result.seconds:.1f} s]{admitted}{extra}"  # the load id --replaces and `bcm quarantine` name
    )


def marts_summary(report) -> str:
    """How a build went, in a few words: whole models, per-patient updates, patients touched."""
    whole = sum(s.how == "full" for s in report.steps)
    partial = sum(s.how == "patients" for s in report.steps)
    parts = [f"{whole} rebuilt whole"] if whole else []
    if partial:
        parts.append(f"{partial} updated for {report.patients:,} patient(s)")
    return ", ".join(parts) or "nothing changed"


def run_load(db: Path, paths: list[Path], timezone: str, options: LoadOptions = LoadOptions()) -> list[FileResult | FileRefused]:
    """Load with a byte progress bar and one summary line per file, then update the marts; returns
    the results.

    A store this load created is removed again when no file loaded (every file was refused),
    so a failed first load leaves nothing behind."""
    files, ignored = discover(paths, options.table)
    for path in ignored:
        why = "a folder inside a folder: name it to load it" if path.is_dir() else "not named after a canonical table"
        click.echo(f"{path}: ignored ({why})")
    if not files:
        fail("nothing to load: no canonical export files (clinics, patients, time_logs, assessments, claims) found")
    if options.replaces is not None:
        check_one_copy(db, files, options)
    created = not Path(db).exists()
    con = connect(db, timezone=timezone)
    try:
        resolve_rules(con, None), resolve_definitions(con, None)  # the marts' files, before a row loads
    except ConfigError:
        con.close()
        raise
    results, empty = [], None
    sizes = {p: p.stat().st_size if p.is_file() else 0 for p in files}
    bar = tqdm(total=sum(sizes.values()), unit="B", unit_scale=True, file=sys.stderr, leave=False, disable=None)
    try:
        if options.replaces is not None:
            try:
                check_replaces(con, options.replaces, table_for(files[0], options.table).name)
            except FileRefused as refused:
                fail(f"{files[0]}: refused: {refused.problem}; nothing was loaded")
        for path, result in load_paths(con, files, options, progress=lambda p: bar.set_description(f"loading {p.name}")):
            bar.update(sizes.get(path, 0))
            bar.write(summary_line(path, result, options.replaces), file=sys.stderr if isinstance(result, FileRefused) else sys.stdout)
            results.append(result)
        stored = [r for r in results if isinstance(r, FileResult)]
        if any(not r.already_loaded for r in stored) or (stored and out_of_date(con)):  # a failed marts step: again
            bar.set_description("updating the marts")
            report = refresh(con)
            bar.write(f"marts updated in {report.seconds:.1f} s ({marts_summary(report)})")
        empty = _left_empty(con, created, results)
        close_after_writing(con)
    finally:
        bar.close()
        if empty is None:  # a failure on the way
            empty = _left_empty(con, created, results)
        con.close()
        if empty:
            remove_store(Path(db))
    return results


def _left_empty(con, created: bool, results: list) -> bool:
    """Whether this first load loaded nothing and the store holds no load at all, so it goes. Asked
    while the store is held: another first load into the same path may have filled it since this
    one found no file there."""
    return created and not any(isinstance(r, FileResult) for r in results) and holds_no_load(con)


def check_one_copy(db: Path, files: list[Path], options: LoadOptions) -> None:
    """--replaces LOAD_ID: one file, the corrected copy of that load, into a store that has it."""
    if len(files) != 1:
        shown = ", ".join(p.name for p in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        fail(f"--replaces {options.replaces} takes one file, the corrected copy of load {options.replaces}; "
             f"given {len(files)} ({shown}): load the others without --replaces")
    if not Path(db).exists():
        fail(f"--replaces {options.replaces}: no store at {db}, so no load {options.replaces} to replace")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@db_option
@timezone_option
@click.option("--table", type=click.Choice(list(table_specs())), default=None,
              help="The canonical table of every file given, for files whose name does not say it.")
@click.option("--keep-extra-columns", is_flag=True,
              help="Keep columns outside the canonical format in raw (never names, SSN, address, phone, email and other direct identifiers).")
@click.option("--profile", "profile_name", metavar="NAME|FILE.yaml",
              help="Read an export from another system through a mapping profile (built in: synthea, fhir, akello; see `bcm profile`).")
@click.option("--sheet", show_default="the first", help="Excel workbooks: the sheet to read.")
@click.option("--replaces", type=click.IntRange(min=1), metavar="LOAD_ID",
              help="The file is a corrected copy of load LOAD_ID (the number `bcm load` printed, the load_id column of "
                   "`bcm quarantine`): when it loads, that load's rows still open or waiting in the quarantine are "
                   "closed (superseded); rows still wrong are set aside again under the new load; rows that load "
                   "stored whose key the copy no longer holds are withdrawn (kept in meta.row_changes). One file only.")
@click.option("--coverage-file", type=click.Choice(COVERAGE_FILES), default="history", show_default=True,
              help="How a coverage file meets the stored periods: history (it is the whole payer history of every patient "
                   "it names: their stored periods it no longer holds are withdrawn, each named in the load line) or "
                   "additions (its periods add to the stored ones: a program that exports its coverage in parts, or only "
                   "what changed; a period sharing days with a stored one is set aside).")
def load(paths: tuple[Path, ...], db: Path, timezone: str, table: str | None, keep_extra_columns: bool, profile_name: str | None,
         sheet: str | None, replaces: int | None, coverage_file: str) -> None:
    """Load export files or folders (CSV, Parquet or Excel .xlsx) into the store.

    Each file loads whole or not at all; rows that break a contract go to the quarantine with
    their file, line and reason. Loading the same export again changes nothing. A file's name
    says its table (time_logs_2025-01.csv), or --table does. Columns outside the canonical
    format are dropped (named in the load line) unless --keep-extra-columns. --profile reads
    another system's export (docs/profiles.md).

    A steward who fixed rows set aside by load 2 loads the corrected file with --replaces 2:
    the entries of load 2 close even where the fix changed a row's key (a wrong patient id),
    which a plain load leaves listed, and the rows load 2 stored that the copy no longer holds
    (an entry deleted in the fix) are withdrawn, each kept in meta.row_changes.
    """
    started = time.perf_counter()
    if profile_name:
        from bcm_analytics.cli.profile import run_profile_load

        if table:
            fail("--table does not go with --profile: the profile says which table each file feeds")
        if replaces is not None:
            fail("--replaces does not go with --profile yet: load the corrected export with --profile alone")
        results = run_profile_load(db, list(paths), timezone, profile_name, sheet, coverage_file)
    else:
        results = run_load(db, list(paths), timezone, LoadOptions(table=table, keep_extra_columns=keep_extra_columns, sheet=sheet,
                                                                   replaces=replaces, coverage_file=coverage_file))
    refused = [r for r in results if isinstance(r, FileRefused)]
    where = f"into {db}" if Path(db).exists() else f"({db} was not created)"
    loaded = len({r.path for r in results if isinstance(r, FileResult)})
    click.echo(f"loaded {loaded} file(s) {where} in {time.perf_counter() - started:.1f} s")
    set_aside = quarantine_pointer([r for r in results if isinstance(r, FileResult)])
    if set_aside:
        click.echo(set_aside)
    if refused:
        fail(f"{len(refused)} file(s) refused; the store is unchanged for them")


def quarantine_pointer(results: list[FileResult]) -> str | None:
    """Where the rows a load set aside are: the load lines count them, and a data manager who does
    not know `bcm quarantine` had no way to find which."""
    rows = sum(r.rows_quarantined - r.rows_passed_over - r.rows_empty - r.rows_header for r in results)  # passed over: nothing to fix
    if not rows:
        return None
    waiting = sum(r.rows_waiting for r in results)
    among = f" ({waiting:,} waiting for rows they refer to)" if waiting else ""
    return (f"{rows:,} row(s) set aside in the quarantine{among}: `bcm quarantine --out FILE` lists each with its file, "
            "line and reason")


def listing_file(out: Path) -> Path:
    """A listing's --out, checked before the store opens: CSV or XLSX, or one line saying so."""
    from bcm_analytics.reports.export import check_suffix

    try:
        return check_suffix(out, (".csv", ".xlsx"))
    except ValueError as e:
        fail(str(e))


def program_time(column: str) -> str:
    """SQL: when a row was set aside or warned of, in the program's zone to the second: Excel
    reads '2026-12-05 00:04:37' as a date-time and keeps '...07:04:37.611163+00' as text."""
    return f"date_trunc('second', timezone(getvariable('bcm_timezone'), {column}))"


def write_listing(con, sql: str, out: Path, sheet: str, empty: str) -> int:
    """The rows of `sql` to a private CSV or one-sheet workbook (`sheet`; `empty`: what an empty
    sheet says, export.no_rows); returns how many. `bcm quarantine` and `bcm warnings` write
    their lists so, with the same columns read the same way (file, sheet, line). Streamed, as
    billing lines are (export.write_query): a quarantine of millions of rows (an export in the
    wrong format) was fetched whole into a frame first."""
    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query

    return write_query(Query(con, sql, {}), out, sheet=sheet, empty=empty)[1]


@click.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV or XLSX file.")
@click.option("--status", type=click.Choice(["open", "waiting", "admitted", "superseded", "passed_over", "current", "all"]),
              default="current", show_default=True,
              help="current = open and waiting (rows to fix or waiting; not in the tables now). passed_over = "
                   "totals rows and footer lines (Page 1 of 3, Confidential, Printed on ...) below an export's records and "
                   "empty rows (no column bcm reads has a value): no records, nothing to fix.")
def quarantine(db: Path, out: Path, status: str) -> None:
    """List quarantined rows (file, line, table, failed checks, reason, original record)."""
    from bcm_analytics.reports.export import no_rows

    listing_file(out)
    con = open_store(db)
    where = {"all": "", "current": "WHERE status IN ('open', 'waiting')"}.get(status, f"WHERE status = '{status}'")
    rows = write_listing(
        con,
        f"""SELECT q.load_id, q.table_name, q.source_file, l.read_options ->> 'sheet' AS sheet, q.line_number,
                   array_to_string(q.failed_checks, '; ') AS failed_checks, q.reason,
                   CAST(q.record AS VARCHAR) AS record, q.status, {program_time('q.quarantined_at')} AS quarantined_at
            FROM meta.quarantine q LEFT JOIN meta.load_log l USING (load_id) {where} ORDER BY q.load_id, q.line_number""",
        out, "quarantine", no_rows("" if status == "all" else f"with --status {status}"))
    click.echo(f"{rows:,} quarantined row(s) written to {out}")


@click.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV or XLSX file.")
@click.option("--table", type=click.Choice(list(table_specs())), default=None, help="Only the rows of this table.")
@click.option("--status", type=click.Choice(["current", "all"]), default="current", show_default=True,
              help="current = rows stored now as the load that warned stored them; all = also rows a later "
                   "export has since replaced (a changed row of the same key).")
def warnings(db: Path, out: Path, table: str | None, status: str) -> None:
    """List the rows loaded with a warning (file, line, table, key, column, check, the warning).

    A warning keeps the row (a warn-level check of the contracts, or a profile's note on a value
    it completed): the count is in `bcm load`'s line and the data-quality report, the rows here.
    """
    from bcm_analytics.reports.export import no_rows

    listing_file(out)
    con = open_store(db)
    chosen = [f"with --table {table}" if table else "", "with --status all" if status == "all" else ""]
    rows = write_listing(con, row_warnings_sql(table, current=status == "current"), out, "warnings", no_rows(*chosen))
    if rows:
        click.echo(f"{rows:,} row warning(s) written to {out}")
    else:
        click.echo(f"no row{f' of {table}' if table else ''} loaded with a warning: {out} holds the header only")


@click.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV or XLSX file.")
@click.option("--table", type=click.Choice(list(table_specs())), default=None, help="Only the rows of this table.")
@click.option("--load", "load_id", type=click.IntRange(min=1), default=None,
              help="Only what this load changed (the number in `bcm load`'s line: [load N, ...]).")
def changes(db: Path, out: Path, table: str | None, load_id: int | None) -> None:
    """List the stored rows a later export changed or withdrew, before and after (load, file, line, key).

    An export loaded again replaces a stored row of the same key whose values differ, and a
    coverage file read as its patients' history withdraws the periods it no longer holds: the
    count is in `bcm load`'s line and the data-quality report, each row here with what changed.
    """
    from bcm_analytics.reports.export import no_rows

    listing_file(out)
    con = open_store(db)
    chosen = [f"with --table {table}" if table else "", f"with --load {load_id}" if load_id else ""]
    rows = write_listing(con, row_changes_sql(table, load_id), out, "changes", no_rows(*chosen))
    if rows:
        click.echo(f"{rows:,} changed or withdrawn row(s) written to {out}")
    else:
        click.echo(f"no stored row{f' of {table}' if table else ''} was changed or withdrawn"
                   f"{f' by load {load_id}' if load_id else ''}: {out} holds the header only")


def row_changes_sql(table: str | None = None, load_id: int | None = None) -> str:
    """SQL: one row per change of meta.row_changes, for `bcm changes`: the load that made it, its
    file (and sheet) and line (none for a withdrawn period: no line holds it), the table and key,
    the columns that differ in words ('payer: Medicare -> Medicaid'; a withdrawn row's values, so the
    listing says what left without its JSON being read), both versions as JSON, and
    the load that had stored the old one. The old record is the stored row with its provenance
    (store.STAGING_PROVENANCE), which before and after leave out."""
    from bcm_analytics.contracts.columns import sql_text as _text
    from bcm_analytics.warehouse.store import STAGING_PROVENANCE

    where = ([f"c.table_name = {_text(table)}"] if table else []) + ([f"c.load_id = {int(load_id)}"] if load_id else [])
    provenance = f"{_text(json.dumps(dict.fromkeys(name for name, _ in STAGING_PROVENANCE)))}::JSON"  # a merge patch's nulls remove
    value = "coalesce(json_extract_string({0}, k), 'empty')"
    return f"""SELECT c.load_id, c.table_name, c.row_key,
               CASE WHEN c.new_record IS NULL THEN 'withdrawn' ELSE 'changed' END AS change,
               c.source_file, l.read_options ->> 'sheet' AS sheet, c.line_number,
               CASE WHEN c.new_record IS NULL
                    THEN 'not in the newer file: ' || array_to_string(list_transform(json_keys(c.before),
                             lambda k: k || ' ' || {value.format('c.before')}), ', ')
                    ELSE array_to_string(list_transform(
                        list_filter(json_keys(c.new_record), lambda k: json_extract(c.before, k) IS DISTINCT FROM json_extract(c.new_record, k)),
                        lambda k: k || ': ' || {value.format('c.before')} || ' -> ' || {value.format('c.new_record')}), '; ')
               END AS what_changed,
               CAST(c.before AS VARCHAR) AS before,
               CAST(c.new_record AS VARCHAR) AS after,
               TRY_CAST(c.old_record ->> '_load_id' AS BIGINT) AS before_from_load,
               {program_time('c.changed_at')} AS changed_at
        FROM (SELECT *, json_merge_patch(old_record, {provenance}) AS before FROM meta.row_changes) c
        LEFT JOIN meta.load_log l USING (load_id)
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY c.load_id, c.table_name, c.line_number NULLS LAST, c.row_key"""


def row_warnings_sql(table: str | None = None, current: bool = True) -> str:
    """SQL: one row per warning of a loaded row, for `bcm warnings`: its load, file (and sheet), line,
    table, key, the column the warning is about, the check and its sentence. `current`: only rows
    stored now as the load that warned stored them (a later export's changed row of the same key,
    or a corrected copy, replaced it: nothing left to look at). The column comes from the check:
    a contract check's columns (RowCheck.columns), or a profile note's, whose check is named
    '<profile> profile: <column>' (profiles.model.note_check)."""
    from bcm_analytics.contracts.checks import row_checks
    from bcm_analytics.contracts.columns import sql_text as _text

    tables = [table] if table else list(table_specs())
    about = ", ".join(f"({_text(t)}, {_text(c.name)}, {_text(', '.join(c.columns))})"
                      for t in tables for c in row_checks(t) if c.severity == "warn")
    checks = f"SELECT * FROM (VALUES {about}) v(table_name, check_name, columns)" if about else \
        "SELECT NULL AS table_name, NULL AS check_name, NULL AS columns WHERE false"
    stored = " UNION ALL ".join(f"SELECT {_text(t)} AS table_name, _load_id AS load_id, _line AS line_number FROM staging.{t}"
                                for t in tables)
    where = [f"w.table_name = {_text(table)}"] if table else []
    if current:
        where.append("(w.table_name, w.load_id, w.line_number) IN (SELECT (table_name, load_id, line_number) FROM stored)")
    return f"""WITH checks AS ({checks}), stored AS ({stored})
        SELECT w.load_id, w.table_name, w.source_file, l.read_options ->> 'sheet' AS sheet, w.line_number, w.row_key,
               coalesce(c.columns, nullif(regexp_extract(w.check_name, ' profile: ([A-Za-z0-9_]+)$', 1), '')) AS column_name,
               w.check_name, w.reason AS warning, {program_time('w.recorded_at')} AS recorded_at
        FROM meta.row_warnings w LEFT JOIN meta.load_log l ON l.load_id = w.load_id
        LEFT JOIN checks c ON c.table_name = w.table_name AND c.check_name = w.check_name
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY w.load_id, w.line_number, w.check_name"""

