"""Load export files into the store: raw landing, typing, contract checks, quarantine, merge.

Each file loads in one transaction, all SQL over the whole file. The same file twice (same
hash) is recognised and changes nothing; an overlapping re-export adds only rows whose key is
new, and a known key with different values replaces the stored row, recording the change.

Every row read ends in exactly one place: staging (loaded), the quarantine (with its line and
reasons), or counted as a duplicate. A row set aside only because what it refers to is not
loaded yet (a time log whose patient comes in a later export) waits in the quarantine and is
admitted by the first load that supplies it.

A file loaded as a corrected copy of an earlier load (LoadOptions.replaces) closes, when it
loads, every quarantine entry of that load still open or waiting for its table: the rows were
fixed in the copy (under a changed key they would stay open for ever otherwise), and rows still
wrong in it are set aside again under the new load. The rows that load stored whose key the copy
no longer holds (an entry deleted in the fix, or given another key) are withdrawn, for tables whose
rows belong to a patient, and kept in meta.row_changes (new_record empty).

A coverage file is the payer history of every patient it names (LoadOptions.coverage_file
'history', the default): its rows replace those patients' stored periods, so a period the file
no longer holds (a corrected start_date is a new key) is withdrawn, counted and named in the load
line and kept in meta.row_changes (new_record empty); overlaps are judged within the file only.
'additions' keeps the earlier rule (periods add up; one sharing days with a stored period is set
aside) for a program that exports its coverage in parts or only what changed.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bcm_analytics import __version__, failures
from bcm_analytics.contracts.columns import TextOptions, profile_reading, sql_text
from bcm_analytics.contracts.snippets import install_macros
from bcm_analytics.contracts.tables import table_specs
from bcm_analytics.ingest import excel, non_records, rows
from bcm_analytics.ingest.arrow_source import WRITTEN, ArrowSource, describe
from bcm_analytics.ingest.landing import Landed, cells_sql, names_sql, read_file, reading_for, setting, store_raw
from bcm_analytics.ingest.readers import PASSED_OVER_NAMES, FileRefused, SourceFile, _first_line, inspect, table_for


@dataclass
class FileResult:
    path: Path
    table: str
    load_id: int | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_changed: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    extra_columns: list[str] = field(default_factory=list)  # columns outside tables.yaml kept in raw (--keep-extra-columns)
    dropped_columns: list[str] = field(default_factory=list)  # columns outside tables.yaml not stored
    identifier_columns: list[str] = field(default_factory=list)  # of those, the ones that look like direct identifiers
    already_loaded: bool = False
    seconds: float = 0.0
    rows_waiting: int = 0  # of rows_quarantined: waiting for a row they refer to (status 'waiting')
    rows_warned: int = 0  # of rows_loaded: kept with a warning (meta.row_warnings)
    rows_admitted: int = 0  # rows of earlier loads this load admitted from the quarantine
    rows_waiting_like_known: int = 0  # of rows_waiting: naming a loaded patient as a spreadsheet rewrites ids (123.0)
    header_line: int = 1  # CSV: the line the column names are on (the lines above it are a title, passed over); xlsx: the sheet row
    sheet: str | None = None  # xlsx: the sheet read (the load line says `row` for its header_line)
    replaces: int | None = None  # the earlier load this file is a corrected copy of (already loaded: the one it replaced then)
    rows_closed: int = 0  # quarantine entries of that load, open or waiting, this load superseded (not rows of this file)
    rows_passed_over: int = 0  # of rows_quarantined: totals rows and footer lines below the records (full or short lines), no records (status 'passed_over')
    rows_footer: int = 0  # of rows_passed_over: footer lines closing a report ('Page 1 of 3', 'Confidential', 'Printed on ...': non_records.END_LABEL)
    rows_subtotal: int = 0  # of rows_passed_over: subtotal rows among the records ('Subtotal cm1 | 50': non_records.SUBTOTAL_LABEL)
    rows_empty: int = 0  # of rows_quarantined: rows with no value in a column bcm reads (a CSV line of delimiters only, a workbook row filled only where bcm does not read), status 'passed_over'
    rows_header: int = 0  # of rows_quarantined: the column names again (an export put together from two pulls) and the title above them (full or short lines), status 'passed_over'
    rows_again: int = 0  # of rows_quarantined: rows an earlier load set aside too (their key), still open or waiting until then
    hidden_rows: tuple[int, ...] = ()  # xlsx: sheet rows read that are hidden in Excel (also in meta.load_log.read_options)
    day_first: tuple[tuple[str, int, str | None], ...] = ()  # date columns read day first: (column, values only so read, the first of them)
    rows_withdrawn: int = 0  # stored rows removed, not rows of this file: coverage as history, the periods of the patients
    # the file names that it no longer holds; a corrected copy (replaces), the rows of that load whose key it no longer holds
    withdrawn: tuple[str, ...] = ()  # the first WITHDRAWN_NAMED of them described ("patient 'P': Medicare from 2025-03-01 with no end date (load 2)")
    rows_reverted: int = 0  # of rows_changed: put back to a version a later load had changed (an older export loaded again?)
    rows_reenrolled: int = 0  # of rows_changed (patients): a re-enrolment, the earlier enrolment kept (core.enrolments)
    rows_earlier_enrolments: int = 0  # of rows_loaded (patients): a patient's row before their latest enrolment, kept as an earlier enrolment
    entries_late: int = 0  # patients: stored time-log entries now after a discharge the file entered or moved earlier (warned of)
    entries_settled: int = 0  # patients: stored time-log entries no longer after a discharge (their warning dropped)
    reverted_by: int | None = None  # the latest load that had changed them

    @property
    def adds_up(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_duplicate


@dataclass(frozen=True)
class LoadOptions:
    """How to read what a load is given (the CLI's options; a profile passes its own)."""

    table: str | None = None  # the canonical table of every file, whatever its name says (`bcm load --table`)
    sheet: str | None = None  # Excel workbooks: the sheet to read (default: the first; `bcm load --sheet`)
    two_digit_year_pivot: int | None = None  # read 2-digit years (2/10/25) as the year in [pivot, pivot + 99]; None: set them aside
    keep_extra_columns: bool = False  # keep columns outside tables.yaml in raw (never direct identifiers: ingest/identifiers.py)
    replaces: int | None = None  # the file is a corrected copy of this earlier load: its open entries close (`bcm load --replaces`)
    date_formats: dict[str, list[str]] = field(default_factory=dict)  # a profile's strptime formats per date column (it read them): a date set aside names them
    coverage_file: str = "history"  # a coverage file is the history of each patient it names ('history') or adds periods ('additions'): `bcm load --coverage-file`

    def __post_init__(self) -> None:
        if self.coverage_file not in COVERAGE_FILES:
            raise ValueError(f"coverage_file {self.coverage_file!r}: one of {', '.join(COVERAGE_FILES)}")


# How a coverage file meets the stored periods (`bcm load --coverage-file`): 'history' replaces the
# stored periods of every patient it names (a corrected period is withdrawn, not set aside as
# overlapping the wrong one), 'additions' adds its periods to the stored ones (a file of a part of
# the history, or only of what changed).
COVERAGE_FILES = ("history", "additions")
WITHIN_FILE = "bcm_coverage_within_file"  # the loader's variable: a history coverage file is judged within itself (frames.sql)


Progress = Callable[[Path], None]  # called with each file's path as its load starts


def discover(paths: list[str | Path], table: str | None = None) -> tuple[list[Path], list[Path]]:
    """Files to load (in load order), and the files in named folders that are not canonical tables
    and the folders inside them (not read: name a folder to load it). Names starting with . or _
    (hidden files, the synthetic program's _answer_key) or ~$ (Excel's lock files) are passed over.

    With `table`, every file is of that table: none is ignored for its name."""
    specs = table_specs()
    order = {s.name: s.load_order for s in specs.values()}
    chosen, ignored = [], []
    for p in map(Path, paths):
        if not p.is_dir():
            chosen.append(p)
            continue
        for f in sorted(p.iterdir()):
            if f.is_dir() and not f.name.startswith(PASSED_OVER_NAMES):
                ignored.append(f)  # a folder is loaded by naming it, never by its parent: say so
            elif f.is_file() and not f.name.startswith(PASSED_OVER_NAMES):
                try:
                    table_for(f, table)
                    chosen.append(f)
                except FileRefused:
                    ignored.append(f)

    def rank(f: Path) -> tuple[int, str, str, str]:
        """Load order, then folder and name without the extension, so a file whose name extends
        another's loads after it: 'time_logs_2025-02 (corrected).csv' after 'time_logs_2025-02.csv'
        (by the whole name, ' (' sorts before '.csv' and the original would replace the correction)."""
        try:
            first = order[table_for(f, table).name]
        except FileRefused:
            first = 0
        return first, str(f.parent), f.name.split(".")[0], f.name

    return sorted(chosen, key=rank), ignored


def load_file(
    con: duckdb.DuckDBPyConnection, path: str | Path | ArrowSource, table: str | None = None, options: LoadOptions = LoadOptions()
) -> FileResult:
    """Load one file, or rows already read from one (an ArrowSource: ingest/arrow_source.py), all or
    nothing. Raises FileRefused with a one-line reason. `table` (or options.table) names the
    canonical table when the file's name does not; an ArrowSource names its own."""
    started = time.perf_counter()
    if not isinstance(path, ArrowSource) and excel.is_excel(path):
        path = excel.excel_source(Path(path), table or options.table, options.sheet)
    src = describe(path) if isinstance(path, ArrowSource) else inspect(path, table or options.table)
    if options.replaces is not None:
        check_replaces(con, options.replaces, src.table.name, src.path)
    prev = con.execute(
        "SELECT load_id, rows_read, replaces_load FROM meta.load_log WHERE file_hash = ? AND table_name = ?",
        [src.sha256, src.table.name],
    ).fetchall()
    if prev:
        load_id, rows_read, replaced = prev[0]
        # Nothing is loaded, so nothing is replaced (with or without options.replaces): `replaces` is
        # what that earlier load replaced, if anything.
        return FileResult(src.path, src.table.name, load_id, rows_read=rows_read, rows_duplicate=rows_read, already_loaded=True,
                          replaces=replaced)
    install_macros(con)
    # Past the landing nothing depends on row order, so DuckDB may insert in parallel; and
    # the library never prints (DuckDB's own progress bar included).
    with setting(con, "preserve_insertion_order", False), setting(con, "enable_progress_bar", False), \
            tempfile.TemporaryDirectory(prefix="bcm-load-", dir=scratch_folder(con)) as folder:
        try:
            landed = read_file(con, src, reading_for(src, Path(folder)), options.keep_extra_columns)
            con.execute("BEGIN TRANSACTION")
            try:
                result = _load(con, src, landed, options)
                con.execute("COMMIT")
            except BaseException:
                _roll_back(con)
                raise
        except duckdb.Error as e:
            if not_the_files(e):
                raise
            raise FileRefused(src.path, f"could not be loaded: {_first_line(e)}") from None
        finally:
            rows.drop_temp_tables(con, load_ended=True)
    result.seconds = time.perf_counter() - started
    return result


def not_the_files(e: duckdb.Error) -> bool:
    """A failure that is not the file's: Ctrl-C, DuckDB out of memory, a full disk. The run stops on
    it (the files loaded so far are kept) and the command says what to do: called the file's
    refusal, the next files loaded without it (time logs set aside for want of the patients
    whose file was interrupted), and after a full disk each later file failed to roll back."""
    return isinstance(e, duckdb.FatalException) or failures.machine_failure(type(e).__name__, str(e)) is not None


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    """Undo a file's transaction after a failure, without hiding it: DuckDB may have ended the
    transaction itself (a full disk), and the connection's variables outlive it."""
    for statement in ("ROLLBACK", f"RESET VARIABLE {WITHIN_FILE}"):
        with contextlib.suppress(duckdb.Error):
            con.execute(statement)


def check_replaces(con: duckdb.DuckDBPyConnection, load_id: int, table: str, path: str | Path = "") -> None:
    """Raise FileRefused (one line) unless `load_id` is a load of `table` in the store: a file can
    be a corrected copy only of a load of its own table. Reads only; the store is unchanged."""
    found = con.execute("SELECT table_name, source_file FROM meta.load_log WHERE load_id = ?", [load_id]).fetchall()
    if not found:
        last = con.execute("SELECT max(load_id) FROM meta.load_log").fetchall()[0][0]
        loads = f"its loads are 1-{last}" if last else "it has no loads"
        raise FileRefused(path, f"--replaces {load_id}: the store has no load {load_id} ({loads}; "
                                "`bcm quarantine` lists the load of each set-aside row)")
    loaded, source = found[0]
    if loaded != table:
        raise FileRefused(path, f"--replaces {load_id}: load {load_id} loaded {loaded} ({Path(source).name}), "
                                f"this file is {table}; a corrected copy replaces a load of its own table")


def scratch_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where a load may write its one temporary file (a re-encoded copy of an export): the store's
    DuckDB temp directory, which the warehouse keeps private, else the system's temp folder."""
    value = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    folder = Path(value or ".")
    if not folder.is_absolute():  # DuckDB's default (.tmp in the working folder) is nobody's private folder
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _record_timezone(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Keep the connection's zone as the store's, at its first load (inside the load's
    transaction): every later command opens the store in it (warehouse.store.store_timezone)."""
    con.execute(
        """INSERT INTO meta.store_settings SELECT 'timezone', getvariable('bcm_timezone'), ?, now()
           WHERE NOT EXISTS (SELECT 1 FROM meta.store_settings WHERE name = 'timezone')""", [load_id])


def _load(con: duckdb.DuckDBPyConnection, src: SourceFile, landed: Landed, options: LoadOptions) -> FileResult:
    """One file's steps, inside its transaction. The file's rows merge before waiting rows are
    re-examined, so this load can both supply what they wait for and supersede them."""
    spec = src.table
    pivot = options.two_digit_year_pivot
    read_options = {"two_digit_year_pivot": pivot, "decimal_comma": landed.decimal_comma} | ({"sheet": src.sheet} if src.sheet else {}) \
        | ({"header_line": src.header_line} if src.header_line > 1 else {}) | ({"day_first": landed.day_first} if landed.day_first else {}) \
        | ({"day_undecided": landed.day_undecided} if landed.day_undecided else {}) \
        | ({"columns": src.labels} if src.labels else {}) | ({"hidden_rows": list(src.hidden_rows)} if src.hidden_rows else {})
    text = TextOptions(year_pivot=f"CAST({int(pivot)} AS INTEGER)" if pivot is not None else TextOptions.year_pivot,
                       decimal_comma=_text_list(landed.decimal_comma), day_first=_text_list(landed.day_first),
                       day_undecided=_text_list(landed.day_undecided),
                       labels="_labels" if src.labels else TextOptions.labels,
                       written=f"CAST({WRITTEN} AS JSON)" if src.in_memory and WRITTEN in src.rows.column_names else TextOptions.written,
                       **profile_reading(spec, options.date_formats, pivot))
    history = spec.name == "coverage" and options.coverage_file == "history"
    if spec.name == "coverage":
        read_options["coverage_file"] = options.coverage_file
    load_id = con.execute("SELECT nextval('meta.load_id_seq')").fetchall()[0][0]
    # A corrected copy closes every entry of the load it replaces, those its keys close anyway included.
    closed = rows.replaced_entries(con, options.replaces, spec.name) if options.replaces is not None else 0
    started_at = con.execute("SELECT now()").fetchall()[0][0]
    _record_timezone(con, load_id)  # the store's months are in the zone of its first load
    store_raw(con, src, landed, load_id)
    rejected = landed.rejected
    rows_read = con.execute("SELECT count(*) FROM _land").fetchall()[0][0] + rejected
    if history:  # judged within the file only: the patients' stored periods are replaced, not compared
        con.execute(f"SET VARIABLE {WITHIN_FILE} = true")
    rows.check(con, spec, text)
    con.execute(f"RESET VARIABLE {WITHIN_FILE}")  # after a failure, _roll_back resets it
    short_totals, short_titles = non_records.pass_over_non_records(con, spec, landed.records, cells_sql(src, options.keep_extra_columns),
                                              src.delimiter if src.format == "csv" and not src.in_memory else None,
                                              names_sql(src, options.keep_extra_columns))
    failed, waiting, totals, empty, headers = rows.quarantine_failures(con, spec)
    like_known = rows.waiting_like_known(con, spec) if waiting else 0
    merged = rows.merge(con, spec)
    withdrawn = rows.withdraw_periods(con, load_id) if history else (0, ())
    if options.replaces is not None:
        gone, named = rows.withdraw_replaced(con, load_id, options.replaces, spec)
        withdrawn = (withdrawn[0] + gone, (withdrawn[1] + named)[:rows.WITHDRAWN_NAMED])
    admitted = rows.readmit(con, load_id, spec.name)
    again = rows.supersede_open(con, load_id, spec)
    if options.replaces is not None:
        rows.supersede_replaced(con, options.replaces, spec)
    if history:
        rows.supersede_patients(con, load_id)
    reenrolled = rows.reenrolments(con, load_id) if spec.name == "patients" and merged.changed else 0

    result = FileResult(
        src.path, spec.name, load_id, rows_read=rows_read, rows_loaded=merged.loaded, rows_changed=merged.changed,
        rows_quarantined=failed + rejected + merged.conflicts, rows_duplicate=merged.duplicates,
        extra_columns=landed.kept, dropped_columns=landed.dropped, identifier_columns=landed.identifiers, rows_waiting=waiting, rows_warned=merged.warned, rows_admitted=admitted,
        header_line=src.header_line, sheet=src.sheet, rows_waiting_like_known=like_known, replaces=options.replaces, rows_closed=closed,
        rows_passed_over=totals + short_totals, rows_footer=non_records.passed_over_as(con, load_id, spec.name, non_records.FOOTER_CHECK) if totals + short_totals else 0,
        rows_subtotal=non_records.passed_over_as(con, load_id, spec.name, non_records.SUBTOTAL_CHECK) if totals + short_totals else 0,
        rows_empty=empty, rows_header=headers + short_titles, rows_again=again, hidden_rows=src.hidden_rows,
        day_first=tuple((name, seen.day_first, seen.example) for name, seen in landed.day_first_evidence.items()),
        rows_withdrawn=withdrawn[0], withdrawn=withdrawn[1], rows_reverted=merged.reverted, reverted_by=merged.reverted_by,
        rows_reenrolled=reenrolled, rows_earlier_enrolments=merged.earlier_enrolments, entries_late=merged.entries_late,
        entries_settled=merged.entries_settled,
    )
    con.execute(
        """INSERT INTO meta.load_log (load_id, table_name, source_file, file_hash, file_format, encoding, delimiter,
             rows_read, rows_loaded, rows_changed, rows_quarantined, rows_duplicate, rows_admitted_from_quarantine,
             extra_columns, started_at, finished_at, bcm_version, read_options, replaces_load, rows_closed_of_replaced, rows_withdrawn)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?)""",
        [load_id, spec.name, str(src.path), src.sha256, src.format, src.encoding, src.delimiter,
         result.rows_read, result.rows_loaded, result.rows_changed, result.rows_quarantined,
         result.rows_duplicate, admitted, result.extra_columns, started_at, __version__, json.dumps(read_options),
         options.replaces, closed, result.rows_withdrawn],
    )
    return result


def _text_list(names: list[str]) -> str:
    return f"CAST([{', '.join(map(sql_text, names))}] AS VARCHAR[])"


def load_paths(
    con: duckdb.DuckDBPyConnection, paths: list[str | Path], options: LoadOptions = LoadOptions(), progress: Progress | None = None
) -> Iterator[tuple[Path, FileResult | FileRefused]]:
    """The load loop: files and folders in load order; yields (path, FileResult | FileRefused) as
    each file ends, after calling `progress(path)` as it starts. Files in folders that name no
    canonical table are skipped (discover() lists them); each file commits on its own."""
    files, _ = discover(paths, options.table)
    for path in files:
        if progress is not None:
            progress(path)
        try:
            yield path, load_file(con, path, options=options)
        except FileRefused as refused:
            yield path, refused
