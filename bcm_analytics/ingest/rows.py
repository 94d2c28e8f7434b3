"""What happens to the typed rows of a batch: checks, quarantine, merge into staging, and the
re-examination of rows waiting in the quarantine.

A batch is the temp view _text (`_raw_<column>` texts with `_load_id`, `_source_file`,
`_line`): the rows of one file, or the waiting rows of earlier loads. Every statement works
on the whole batch inside DuckDB.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from bcm_analytics.contracts import checks as contract_checks
from bcm_analytics.contracts import columns as ty
from bcm_analytics.contracts.columns import TextOptions
from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.ingest.readers import COLUMN_BLANKS, ITEM_COLUMN

# Every temporary object a load creates (landing and rows), dropped between batches.
TEMP_TABLES = ("_land", "_rej", "_rej_scan", "_recmap", "_lines", "_rej_lines", "_waiting", "_checked", "_judged", "_repeats", "_matched",
               "_held", "_settled", "_non_records", "_short_totals", "_short_titles", "_title_lines", "_titles", "_like_known",
               "_withdrawn")


def drop_temp_tables(con: duckdb.DuckDBPyConnection, load_ended: bool = False) -> None:
    """Drop every temporary table and view of a batch (the next batch reuses the names); once the
    load ended (`load_ended`), also those a load keeps across its batches (NAMED)."""
    con.execute("DROP VIEW IF EXISTS temp._text")
    for t in TEMP_TABLES + ((NAMED,) if load_ended else ()):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def _staging_columns(spec: TableSpec) -> list[str]:
    return [n for n, _ in spec.staging_columns()]


def check(con: duckdb.DuckDBPyConnection, spec: TableSpec, options: TextOptions = TextOptions()) -> None:
    """temp._checked: each row of temp._text typed and judged, in one pass over the batch, and the
    rows that fail or warn a second time with the sentences of the checks they fail (checked_sql:
    the sentences are most of a plan; a clean file's leaves them out, a dirty file's holds those
    of the checks that failed in it, a few of the dozens).

    It keeps what the later steps need: provenance, the typed staging columns, `_ok` and
    `_warned`, the lists of failures and warnings, and for rejected rows only the record the
    quarantine keeps (building it for every row would cost as much as the checks). The reader's
    notes on a row (`_notes`: a value a profile completed) are warnings of the row like a warn
    check's; a note marked `reject` (a profile column's `reject`: the value cannot be read from what
    the export wrote) is a failure of the row, first among its reasons.
    """
    con.execute(f"CREATE TEMP TABLE _checked AS {_checked_sql(spec, options, reasons=())}")
    # The rows that fail or warn judged again by themselves, with their reasons. The one check
    # that compares a row with the others of its file, coverage's overlapping period, is
    # symmetric: a row's overlapping periods fail it too, so they are among these rows.
    con.execute("CREATE TEMP TABLE _judged AS SELECT _rec, list_concat(_failures, _warnings) AS _broken "
                "FROM _checked WHERE NOT _ok OR _warned")
    failed = [r[0] for r in con.execute("SELECT DISTINCT unnest(_broken).name FROM _judged").fetchall()]
    if failed:  # a row that fails or warns names a check (or a reader's note) it breaks
        con.execute("DELETE FROM _checked WHERE _rec IN (SELECT _rec FROM _judged)")
        con.execute(f"INSERT INTO _checked {_checked_sql(spec, options, failed, '(SELECT * FROM _text WHERE _rec IN (SELECT _rec FROM _judged))')}")
    con.execute("DROP TABLE _judged")


def _checked_sql(spec: TableSpec, options: TextOptions, reasons: Collection[str] | None, texts: str = "_text") -> str:
    """The rows of `texts` as rows.check keeps them; `reasons`: contract_checks.checked_sql."""
    cols = ", ".join(_staging_columns(spec))
    return f"""SELECT _load_id, _source_file, _rec, _line, {cols}, _ok AND len(_rejects) = 0 AS _ok, _warned OR len(_noted) > 0 AS _warned,
               list_concat(_rejects, _failures) AS _failures, list_concat(_warnings, _noted) AS _warnings,
               CASE WHEN NOT _ok OR len(_rejects) > 0 THEN {_source_record(spec)} END AS _record
        FROM (SELECT *, {_notes(reject=True)} AS _rejects, {_notes(reject=False)} AS _noted
              FROM ({contract_checks.checked_sql(spec.name, texts, options, reasons)}))"""


def _notes(reject: bool) -> str:
    """SQL: a row's notes (`_notes`, JSON text) that set it aside (`reject`: true) or only warn, as
    failures; an empty list for the many rows with none, without reading any JSON."""
    picked = (f"list_filter(CAST(CAST(_notes AS JSON) AS JSON[]), "
              f"lambda x: coalesce(x ->> 'reject', 'false') {'=' if reject else '<>'} 'true')")
    failures = (f"list_transform({picked}, lambda x: {{'name': x ->> 'name', 'reason': x ->> 'reason', "
                f"'waits': CAST(x ->> 'waits' AS BOOLEAN)}})")
    none = f"CAST([] AS {contract_checks.FAILURE_TYPE})"
    return f"CASE WHEN _notes IS NULL THEN {none} ELSE coalesce(CAST({failures} AS {contract_checks.FAILURE_TYPE}), {none}) END"


def _record(spec: TableSpec, alias: str = "") -> str:
    """The row as the export wrote it (trimmed text), for the quarantine."""
    prefix = f"{alias}." if alias else ""
    return "to_json(struct_pack(" + ", ".join(f"{c} := {prefix}{ty.raw_name(c)}" for c in spec.column_names) + "))"


def _source_record(spec: TableSpec, alias: str = "") -> str:
    """What the quarantine keeps: the source record when a profile gave one (`_record`), else the row."""
    prefix = f"{alias}." if alias else ""
    return f"coalesce(CAST({prefix}_record AS JSON), {_record(spec, alias)})"


def waits(alias: str = "") -> str:
    """SQL: the row fails only checks that wait for another table's rows (a patient not loaded yet)."""
    return f"list_bool_and(list_transform({alias}_failures, lambda x: x.waits))"


WAITS = waits()


def reasons(alias: str = "") -> str:
    """A quarantined row's reasons, one sentence per check it fails. A row set aside for good is
    not told it waits for a patient (that sentence says it will be admitted when the patient
    arrives, and it will not): the waiting reasons are left out unless the row only waits."""
    failures = f"{alias}_failures"
    return (f"array_to_string(list_transform(CASE WHEN {waits(alias)} "
            f"THEN {failures} ELSE list_filter({failures}, lambda x: NOT x.waits) END, lambda x: x.reason), '; ')")


# Rows that are no records, set aside as passed over: accounted for (read = loaded + quarantined +
# duplicates) with a reason, but no steward's to-do. A totals row an export writes below its records
# ("Total patients: 204", "Count | 829", "Claim Count: 16", a report's "*** End of Report ***"): its
# first value, in whichever column it stands (a report puts "Total Minutes:" beside the sum), is a
# label below (TOTALS_LABEL), every value after it is a number (a count, a sum of minutes or
# dollars, h:mm), and no record comes after it. An empty row: a line of delimiters only (",,,,,"),
# which a spreadsheet writes into a CSV for a blank row, anywhere in the file.
TOTALS_CHECK = "not a record: a totals row"
FOOTER_CHECK = "not a record: a footer line"  # a line closing a report (END_LABEL): no totals, counted apart
SUBTOTAL_CHECK = "not a record: a subtotal row"  # a subtotal among the records (SUBTOTAL_LABEL), counted apart
EMPTY_CHECK = "not a record: an empty row"
HEADER_CHECK = "not a record: the column names again"  # an export put together from two pulls, each with its header
TITLE_CHECK = "not a record: a title above the column names again"  # ... and its title above the header
TITLE_LINES = 3  # a title above the column names again is at most this many lines (pass_over_non_records: _find_titles)
PASSED_OVER = "passed_over"  # meta.quarantine status of a row that is no record: accounted for, nothing to fix
# The words are English and those of the European systems that write ;-delimited exports
# (German Summe, Gesamt; Dutch Totaal; Italian Totale; French Somme; Total is Spanish and French too).
# A totals word first; or a count or total of something ("Claim Count: 16", "Patient Total"); or the
# line that closes a report ("*** End of Report ***", "Page 1 of 3", "Confidential - contains PHI",
# "Printed on 12/01/2025 by ...": END_LABEL).
END_LABEL = (r"^[^a-z0-9]*(end of (the )?report|page [0-9]+ of [0-9]+|confidential\b.*"
             r"|(report )?(printed|generated|run) (on|by|at)\b.*)[^a-z0-9]*$")
TOTALS_LABEL = (r"^(grand[ _-]?totals?|sub[ _-]?totals?|totals?|count|sum|summe|gesamt(summe)?|totaal|totale|somme)($|[^a-z0-9_-])"
                r"|^([a-z]+ ){1,3}(count|totals?)\s*(:\s*[$€£]?[0-9][0-9,.]*)?:?$|" + END_LABEL)
TOTALS_NUMBER = (r"^[(+-]?[$€£]?\s?[0-9][0-9.,' ]*\)?%?$|^[0-9]+(:[0-5][0-9]){1,2}$"
                 r"|^[0-9][0-9.,]*\s*(h|hrs?|hours?|m|mins?|minutes?)(\s*[0-9]+\s*(m|mins?|minutes?))?$")  # 30 min, 1h 30m
SUBTOTAL_LABEL = r"^sub[ _-]?totals?($|[^a-z0-9_-])"  # a subtotal row sits among the records (after each care manager's)


def failed(check: str) -> str:
    """SQL: a row of temp._checked fails the check named `check`."""
    return f"list_contains(list_transform(_failures, lambda x: x.name), {ty.sql_text(check)})"


IS_PASSED_OVER = (f"({failed(TOTALS_CHECK)} OR {failed(FOOTER_CHECK)} OR {failed(SUBTOTAL_CHECK)} OR {failed(EMPTY_CHECK)} "
                  f"OR {failed(HEADER_CHECK)} OR {failed(TITLE_CHECK)})")
PASSED_OVER_REASON = f"nothing to fix; set aside as passed over (status {PASSED_OVER}), not listed among the rows to fix"


def _filled(cells: str) -> str:
    """SQL: the cells of the list `cells` that hold a value (blanks are none)."""
    return f"list_filter({cells}, lambda v: nullif(trim(v), '') IS NOT NULL)"


def column_name_sql(v: str) -> str:
    """SQL: the text `v` as readers.normalise_column makes a column name (lower case, blanks and
    dashes as _, item1 as item_1), to tell the column names written again from a record."""
    return (f"regexp_replace(regexp_replace(lower(trim(ltrim(trim({v}), chr(65279)))), {ty.sql_text(COLUMN_BLANKS)}, '_', 'g'), "
            f"{ty.sql_text('^' + ITEM_COLUMN.pattern + '$')}, 'item_\\1')")


def header_shape(names: str) -> str:
    """SQL over a row's `_cells`: the row is the file's column names again (`names`, SQL: the
    names in the cells' order), two of them at least, and nothing else."""
    return (f"len({_filled('_cells')}) >= 2 AND len(list_filter(range(1, len(_cells) + 1), lambda i: "
            f"nullif(trim(_cells[i]), '') IS NOT NULL AND {column_name_sql('_cells[i]')} IS DISTINCT FROM "
            f"{column_name_sql(f'({names})[i]')})) = 0")


# SQL over a row's `_cells`: a totals label its first value, numbers after it.
TOTALS_SHAPE = (f"regexp_matches(trim({_filled('_cells')}[1]), {ty.sql_text(TOTALS_LABEL)}, 'i') "
                f"AND len(list_filter({_filled('_cells')}[2:], lambda v: NOT regexp_matches(trim(v), {ty.sql_text(TOTALS_NUMBER)}))) = 0")


def pass_over_non_records(con: duckdb.DuckDBPyConnection, spec: TableSpec, records: str, cells: str, delimiter: str | None = None,
                          names: str | None = None) -> tuple[int, int]:
    """Tell the rows that are no records, among the rows of temp._checked that fail a check: the
    totals row below a file's records is the export's own count, and a row of empty cells a
    blank line; what they fail (payer is empty but required ...) is nothing a person can fix,
    and they would stay open every month. Each keeps one failure saying what it is, and
    quarantine_failures sets it aside as passed over (still counted), as a title above the
    column names is. A totals row is one only when it is among the last rows of the file (no
    record, read or rejected, comes after it) and its cells (`cells`, SQL over the landed record
    `r` of `records`: landing.cells_sql) are a totals word first and numbers or nothing after it;
    an empty row has no cell with a value. A record has dates, codes and words, and one that
    passes its checks is loaded whatever it says.

    A CSV's totals line is often shorter than the header (`Total,204` under nine columns): DuckDB
    cannot split it into the header's fields and the loader quarantined it as a CSV error, open
    every month. With the file's `delimiter`, such a line (fewer fields, never more) is judged
    the same way: a totals word first, numbers or nothing after it, no record below it.

    An export put together from two pulls holds the column names again where the second starts:
    that row (its cells the file's column names, `names`: landing.names_sql, in the cells' order)
    was set aside as a record whose dates, minutes and roles were not read, open every month. It
    is passed over wherever it is, and so is the title right above it, as the first pull's is:
    _find_titles. Returns how many short lines were passed over as (totals rows or footer
    lines, title lines), counted among the file's quarantined rows already."""
    _find_non_records(con, records, cells, names)
    _find_titles(con, spec, records, cells, delimiter)
    _find_short_totals(con, delimiter)
    if not con.execute("SELECT (SELECT count(*) FROM _non_records) + (SELECT count(*) FROM _short_totals) "
                       "+ (SELECT count(*) FROM _short_titles)").fetchall()[0][0]:
        return 0, 0
    _keep_those_below_every_record(con, spec)
    _mark_passed_over(con, spec)
    return con.execute("SELECT (SELECT count(*) FROM _short_totals), (SELECT count(*) FROM _short_titles)").fetchall()[0]


def _find_non_records(con: duckdb.DuckDBPyConnection, records: str, cells: str, names: str | None) -> None:
    """temp._non_records: the failing rows shaped as totals rows, empty (`_empty`) or the column
    names again (`_header`), with their filled cells."""
    con.execute(
        f"""CREATE TEMP TABLE _non_records AS
        WITH failed AS (SELECT c._rec, c._line, {_filled(cells)} AS _filled, {cells} AS _cells, {names or 'NULL'} AS _names
                        FROM _checked c JOIN {records} r ON r._rec = c._rec WHERE NOT c._ok),
             shaped AS (SELECT _rec, _line, _filled, len(_filled) = 0 AS _empty, coalesce({header_shape('_names')}, false) AS _header,
                               {TOTALS_SHAPE} AS _totals FROM failed)
        SELECT _rec, _line, _filled, _empty, _header AND NOT _empty AS _header, false AS _title FROM shaped
        WHERE _empty OR _header OR _totals"""
    )


def _reads_as_words(v: str) -> str:
    """SQL: the text `v` reads as words (a letter, and a blank inside it: `Registry export`,
    `by jsmith`), as a title does and an id, a code or a number does not (`E9`, `bhcm`, `204`)."""
    return f"(regexp_matches(trim({v}), '[[:alpha:]]') AND regexp_matches(trim({v}), '\\S\\s+\\S'))"


def _reads_as_date(v: str) -> str:
    """SQL: the text `v` is a date or a date-time bcm reads (`2025-03-01`, `03/01/2025 14:02`), written
    with more than digits (a number, 45688 or 20250301, is a record's value as likely)."""
    return f"(regexp_matches(trim({v}), '[^0-9.]') AND bcm_parse_date(trim({v}), NULL) IS NOT NULL)"


def title_shape(filled: str) -> str:
    """SQL: a line's values (`filled`, two or more) read as a title: the first as words, each other
    as words or a date (`Time log export | 2025-03-01`, `Exported 2025-03-01 14:02 | by jsmith`).
    A record cut short has an id, a code or a number among them (`E8 | P1`, `Total | 204`)."""
    return (f"(len({filled}) >= 2 AND {_reads_as_words(f'{filled}[1]')} AND len(list_filter({filled}[2:], "
            f"lambda v: NOT ({_reads_as_words('v')} OR {_reads_as_date('v')}))) = 0)")


def _find_titles(con: duckdb.DuckDBPyConnection, spec: TableSpec, records: str, cells: str, delimiter: str | None) -> None:
    """The title of the export's next pull above its column names again: add to temp._non_records
    (`_title`) the failing rows, and to temp._short_titles the lines DuckDB set aside for having
    fewer fields than the header (CSV only: `delimiter`; `Time log export 2025-03-01` with no
    delimiter at all), that stand directly above a row of the column names again, only empty rows
    between. Up to TITLE_LINES such lines: the one right above the column names, and above it
    lines whose first value reads as words (a letter and a blank inside it: `Registry export`,
    then `Run 2025-03-01 by jdoe`), so a record of one value further up (an entry id alone, `E9`)
    stays a record to fix, and so does any line of one value elsewhere in the file. The first
    pull's title is above the header line (readers.find_header).

    A line of one value is a title there whatever it says. A line of two values or more (a report
    tool writes the title's date or author in a cell of its own: `Time log export,2025-03-01`) is
    one only when it reads as a title (title_shape: words first, then words or dates), and
    only in a file whose records do not start with words (_records_start_with_words: one stray
    line that does is not the file's ids): where they do (`North Clinic`, a clinic named as its id)
    such a line cannot be told from a record, and stays a row to fix.
    A record cut short (`E8,P1`) never reads as a title."""
    con.execute("CREATE TEMP TABLE _short_titles (logical BIGINT, physical BIGINT, _filled VARCHAR[])")
    if not con.execute("SELECT count(*) FROM _non_records WHERE _header").fetchall()[0][0]:
        return
    short = "SELECT NULL::BIGINT AS _rec, NULL::BIGINT AS logical, NULL::BIGINT AS _line, NULL::VARCHAR[] AS _filled WHERE false"
    if delimiter is not None and con.execute("SELECT count(*) FROM _rej_lines").fetchall()[0][0]:
        short = f"""SELECT NULL::BIGINT, s.logical, m.physical, {_filled(csv_fields('s.csv_line', delimiter))}
                    FROM (SELECT line AS logical, any_value(csv_line) AS csv_line FROM _rej GROUP BY line
                          HAVING bool_and(error_type = 'MISSING COLUMNS')) s JOIN _rej_lines m USING (logical)"""
    con.execute(
        f"""CREATE TEMP TABLE _title_lines AS
        SELECT *, len(_filled) = 1 OR {title_shape('_filled')} AS _titled FROM (
          SELECT c._rec, NULL::BIGINT AS logical, c._line, {_filled(cells)} AS _filled
          FROM _checked c JOIN {records} r ON r._rec = c._rec
          WHERE NOT c._ok AND c._rec NOT IN (SELECT _rec FROM _non_records WHERE _header OR _empty)
          UNION ALL {short})"""
    )
    _chain_titles(con, spec, several=True)
    if con.execute("SELECT count(*) FROM _titles WHERE len(_filled) > 1").fetchall()[0][0] and _records_start_with_words(con, records, cells):
        con.execute("DROP TABLE _titles")
        _chain_titles(con, spec, several=False)
    con.execute("DELETE FROM _non_records WHERE _rec IN (SELECT _rec FROM _titles)")  # a title whose first word is Total
    con.execute("INSERT INTO _non_records SELECT _rec, _line, _filled, false, false, true FROM _titles WHERE _rec IS NOT NULL")
    con.execute("INSERT INTO _short_titles SELECT logical, _line, _filled FROM _titles WHERE _rec IS NULL")
    con.execute("DROP TABLE _titles")
    con.execute("DROP TABLE _title_lines")


def _chain_titles(con: duckdb.DuckDBPyConnection, spec: TableSpec, several: bool) -> None:
    """temp._titles: the lines of temp._title_lines that are a title above the column names again
    (_find_titles), lines of two values or more among them when `several`."""
    valued = f"coalesce({', '.join(ty.raw_name(c) for c in spec.column_names)}) IS NOT NULL"
    con.execute(
        f"""CREATE TEMP TABLE _titles AS
        WITH links AS (SELECT _rec, logical, _line, _filled FROM _title_lines WHERE {'_titled' if several else 'len(_filled) = 1'}),
             others AS (SELECT _line FROM _text WHERE {valued} AND _rec NOT IN (SELECT _rec FROM links WHERE _rec IS NOT NULL)
                        UNION ALL SELECT physical FROM _rej_lines
                        WHERE logical NOT IN (SELECT logical FROM links WHERE logical IS NOT NULL)),
             headers AS (SELECT h._line, (SELECT coalesce(max(o._line), 0) FROM others o WHERE o._line < h._line) AS above
                         FROM _non_records h WHERE h._header),
             chained AS (SELECT l.*, h._line AS _below, row_number() OVER (PARTITION BY h._line ORDER BY l._line DESC) AS _up
                         FROM links l JOIN headers h ON l._line > h.above AND l._line < h._line)
        SELECT _rec, logical, _line, _filled FROM (
          SELECT *, bool_and(_up = 1 OR ({_reads_as_words('_filled[1]')})) OVER (PARTITION BY _below ORDER BY _up) AS _chain FROM chained)
        WHERE _up <= {TITLE_LINES} AND _chain"""
    )


def _records_start_with_words(con: duckdb.DuckDBPyConnection, records: str, cells: str) -> bool:
    """The file's records (read rows of two values or more that are no title found, totals row or
    the column names again) start with words: its ids are words (`North Clinic`), so a line of
    words and dates above the column names may be a record as well as a title. They do when two
    of them or more start with words, or every one does (a file of one clinic). One alone among
    records that do not is a stray line (a note typed between the records, `Reviewed by J Smith,
    2025-03-05`, or one id typed as words): it disabled the titles of two values or more for the
    whole file, each set aside as a record with nothing to fix, and it stays a row to fix itself."""
    worded, rows = con.execute(
        f"""SELECT count(*) FILTER (WHERE {_reads_as_words('_filled[1]')}), count(*)
            FROM (SELECT r._rec, {_filled(cells)} AS _filled FROM {records} r
                  WHERE r._rec NOT IN (SELECT _rec FROM _non_records)
                    AND r._rec NOT IN (SELECT _rec FROM _titles WHERE _rec IS NOT NULL))
            WHERE len(_filled) >= 2"""
    ).fetchall()[0]
    return worded >= 2 or 0 < worded == rows


def _find_short_totals(con: duckdb.DuckDBPyConnection, delimiter: str | None) -> None:
    """temp._short_totals: the lines DuckDB set aside for having fewer fields than the header (and
    no other fault) that are shaped as totals rows, split as the file is (CSV only: `delimiter`)."""
    con.execute("CREATE TEMP TABLE _short_totals (logical BIGINT, physical BIGINT, _filled VARCHAR[])")
    if delimiter is None or not con.execute("SELECT count(*) FROM _rej_lines").fetchall()[0][0]:
        return
    con.execute(
        f"""INSERT INTO _short_totals
        WITH short AS (SELECT line AS logical, any_value(csv_line) AS csv_line FROM _rej
                       WHERE line NOT IN (SELECT logical FROM _short_titles) GROUP BY line
                       HAVING bool_and(error_type = 'MISSING COLUMNS')),
             split AS (SELECT s.logical, m.physical, {csv_fields('s.csv_line', delimiter)} AS _cells
                       FROM short s JOIN _rej_lines m USING (logical))
        SELECT logical, physical, {_filled('_cells')} FROM split WHERE {TOTALS_SHAPE}"""
    )


def _subtotal(filled: str) -> str:
    """SQL: the row whose filled cells are `filled` is a subtotal (SUBTOTAL_LABEL first)."""
    return f"regexp_matches(trim({filled}[1]), {ty.sql_text(SUBTOTAL_LABEL)}, 'i')"


def _keep_those_below_every_record(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """A totals row is below every other row with a value, read or rejected (a row of empty cells
    after it, as Excel writes, is none); an empty row is passed over wherever it is, and so is a
    subtotal row (SUBTOTAL_LABEL first: `Subtotal cm1`, numbers after it), which an export writes
    after each group of records: it was set aside as a record missing its patient and date."""
    subtotal = _subtotal("_filled")
    filled_row = f"coalesce({', '.join(ty.raw_name(c) for c in spec.column_names)}) IS NOT NULL"
    last_record = f"(SELECT coalesce(max(_line), 0) FROM _text WHERE {filled_row} AND _rec NOT IN (SELECT _rec FROM _non_records))"
    last_rejected = ("(SELECT coalesce(max(physical), 0) FROM _rej_lines WHERE logical NOT IN (SELECT logical FROM _short_totals) "
                     "AND logical NOT IN (SELECT logical FROM _short_titles))")
    con.execute(f"DELETE FROM _non_records WHERE NOT _empty AND NOT _header AND NOT _title AND NOT {subtotal} "
                f"AND (_line < {last_record} OR _line < {last_rejected})")
    con.execute(f"DELETE FROM _short_totals WHERE NOT {subtotal} AND (physical < {last_record} OR physical < {last_rejected})")


def _mark_passed_over(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Give each row found its one failure (read rows) or its quarantine entry its status (short lines):
    a line closing the report (END_LABEL: 'Page 1 of 3', 'Confidential', 'Printed on ...') is a
    footer line, any other a totals row, so the load line counts each as what it is."""
    footer = f"regexp_matches(trim(t._filled[1]), {ty.sql_text(END_LABEL)}, 'i')"
    subtotal = _subtotal("t._filled")
    check = (f"CASE WHEN {footer} THEN {ty.sql_text(FOOTER_CHECK)} WHEN {subtotal} THEN {ty.sql_text(SUBTOTAL_CHECK)} "
             f"ELSE {ty.sql_text(TOTALS_CHECK)} END")
    totals = (f"CASE WHEN {footer} "
              f"THEN 'not a record but the line the export writes below its records to close the report (' "
              f"WHEN {subtotal} THEN 'not a record but a subtotal row the export writes among its records (' "
              f"ELSE 'not a record but the totals row the export writes below its records (' END || "
              f"array_to_string(list_transform(t._filled, lambda v: chr(39) || trim(v) || chr(39)), ' | ') || "
              f"'): {PASSED_OVER_REASON}'")
    header = (f"'not a record but the file''s column names again (' || "
              f"array_to_string(list_transform(t._filled, lambda v: chr(39) || trim(v) || chr(39)), ' | ') || "
              f"'), as in an export put together from two pulls: {PASSED_OVER_REASON}'")
    title = (f"'not a record but the title above the file''s column names written again (' || "
             f"array_to_string(list_transform(t._filled, lambda v: chr(39) || trim(v) || chr(39)), ' | ') || "
             f"'), as in an export put together from two pulls: {PASSED_OVER_REASON}'")
    empty = (f"'not a record but an empty row (no column bcm reads has a value: a blank row, a CSV line of delimiters "
             f"only as a spreadsheet writes one, or values only in columns bcm does not read): {PASSED_OVER_REASON}'")
    con.execute(
        f"""UPDATE _checked c SET _failures = [CASE WHEN t._empty THEN {{'name': {ty.sql_text(EMPTY_CHECK)}, 'reason': {empty}, 'waits': false}}
                                                WHEN t._header THEN {{'name': {ty.sql_text(HEADER_CHECK)}, 'reason': {header}, 'waits': false}}
                                                WHEN t._title THEN {{'name': {ty.sql_text(TITLE_CHECK)}, 'reason': {title}, 'waits': false}}
                                                ELSE {{'name': {check}, 'reason': {totals}, 'waits': false}} END]
        FROM _non_records t WHERE c._rec = t._rec"""
    )
    this_load = f"q.load_id = (SELECT any_value(_load_id) FROM _text) AND q.table_name = {ty.sql_text(spec.name)}"
    con.execute(
        f"""UPDATE meta.quarantine q SET status = '{PASSED_OVER}', failed_checks = [{check}], reason = {totals}
        FROM _short_totals t WHERE {this_load} AND q.line_number = t.physical"""
    )
    con.execute(
        f"""UPDATE meta.quarantine q SET status = '{PASSED_OVER}', failed_checks = [{ty.sql_text(TITLE_CHECK)}], reason = {title}
        FROM _short_titles t WHERE {this_load} AND q.line_number = t.physical"""
    )


def csv_fields(line: str, delimiter: str) -> str:
    """SQL: the fields of the CSV line `line` (SQL text), as Python's csv module splits them for
    readers.split_header: a quoted field whole ("1,050" is one field), its quotes removed and a
    doubled quote inside read as one. A CSV line DuckDB rejected is split here, in SQL over the
    whole set (tests/test_ingest_field.py checks the two splitters agree)."""
    d = "\\t" if delimiter == "\t" else re.escape(delimiter)
    # Each field follows a delimiter once one is put before the line, so no match is empty (an
    # empty match at the start would make the regex engine step over the delimiter after it).
    field = ty.sql_text(f'{d}("(?:[^"]|"")*"|[^{d}"]*)')
    return (f"list_transform(regexp_extract_all({ty.sql_text(delimiter)} || {line}, {field}, 1), "
            f"lambda v: CASE WHEN v LIKE '\"%\"' AND length(v) >= 2 THEN replace(v[2:-2], '\"\"', '\"') ELSE v END)")


def quarantine_failures(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int, int, int, int]:
    """Quarantine the rows of temp._checked that fail a reject check; returns (rows, waiting,
    passed over as totals rows or footer lines, passed over as empty rows, passed over as the
    column names again: pass_over_non_records)."""
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT _load_id, '{spec.name}', _source_file, _line, list_transform(_failures, lambda x: x.name),
               {reasons()}, _record,
               CASE WHEN {IS_PASSED_OVER} THEN '{PASSED_OVER}' WHEN {WAITS} THEN 'waiting' ELSE 'open' END, now()
        FROM _checked WHERE NOT _ok"""
    )
    _hold(con, spec, f"NOT _ok AND {WAITS}")
    return con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE {WAITS}), count(*) FILTER (WHERE {failed(TOTALS_CHECK)} OR {failed(FOOTER_CHECK)} OR {failed(SUBTOTAL_CHECK)}),
                   count(*) FILTER (WHERE {failed(EMPTY_CHECK)}), count(*) FILTER (WHERE {failed(HEADER_CHECK)} OR {failed(TITLE_CHECK)})
        FROM _checked WHERE NOT _ok"""
    ).fetchall()[0]


def passed_over_as(con: duckdb.DuckDBPyConnection, load_id: int, table: str, check: str) -> int:
    """How many of a load's rows were passed over as `check` says (FOOTER_CHECK, SUBTOTAL_CHECK;
    read rows and short lines alike), which the load line counts apart from its totals rows."""
    return con.execute("SELECT count(*) FROM meta.quarantine WHERE load_id = ? AND table_name = ? AND list_contains(failed_checks, ?)",
                       [load_id, table, check]).fetchall()[0][0]


def waiting_like_known(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> int:
    """Of this batch's rows waiting for their patient, those whose patient id is a loaded one
    as a spreadsheet rewrites ids (123.0 for 123, 123 for 00123): they would wait for ever, so
    the load line counts them and each one's reason names the loaded id it likely means (it
    said only "'1001' is not in the patients exports" while '00001001' was loaded, and a
    steward had to find that out alone). Not a match: the rows still wait. Also run on the rows
    still waiting after a load re-examined them (readmit), for a patient loaded after them."""
    if "patient_id" not in spec.column_names or spec.name == "patients":
        return 0
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _like_known AS
        SELECT c._load_id, c._line, p.patient_id AS known, p.others, t._labels
        FROM _checked c JOIN _text t USING (_rec) JOIN (SELECT bcm_id_number(patient_id) AS number, min(patient_id) AS patient_id, count(*) - 1 AS others
                              FROM staging.patients GROUP BY ALL) p ON p.number = bcm_id_number(c.patient_id)
        WHERE NOT c._ok AND {WAITS} AND p.number <> ''"""
    )
    con.execute(
        f"""UPDATE meta.quarantine q
        SET reason = q.reason || '; a loaded patient is ' || chr(39) || l.known || chr(39)
                     || CASE WHEN l.others > 0 THEN ' (and ' || l.others || ' more)' ELSE '' END
                     || ', the same id written another way (leading zeros dropped or .0 added by a spreadsheet?): '
                     || {ty.named("'if the row is theirs, correct patient_id in the export a spreadsheet changed (this one, or the patients export if it dropped the zeros) and load it again (it is not matched by a guess)'",
                                  ["patient_id"], "l._labels")}
        FROM _like_known l
        WHERE q.table_name = '{spec.name}' AND q.status = 'waiting' AND q.load_id = l._load_id AND q.line_number = l._line
          AND NOT contains(q.reason, '; a loaded patient is ')"""
    )
    return con.execute("SELECT count(*) FROM _like_known").fetchall()[0][0]


def _hold(con: duckdb.DuckDBPyConnection, spec: TableSpec, waiting: str) -> None:
    """Waiting rows whose check names a holding table (claims without a known patient) go there too."""
    checks = contract_checks.row_checks(spec.name)
    cols = ", ".join(_staging_columns(spec))
    key = ", ".join(spec.key)
    for target in sorted({c.kept_in for c in checks if c.kept_in}):
        listed = ", ".join(ty.sql_text(c.name) for c in checks if c.kept_in == target)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _held AS
            SELECT {cols}, _load_id, _source_file, _line, {_row_hash(spec)} AS _row_hash FROM _checked
            WHERE {waiting} AND len(list_filter(_failures, lambda x: list_contains([{listed}], x.name))) > 0
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _rec) = 1"""
        )
        con.execute(f"DELETE FROM {target} h USING _held s WHERE {_key_join(spec, 'h', 's')}")
        con.execute(f"INSERT INTO {target} ({cols}, _load_id, _source_file, _line, _row_hash) SELECT * FROM _held")


@dataclass(frozen=True)
class Merged:
    loaded: int
    changed: int
    duplicates: int
    conflicts: int
    warned: int
    reverted: int = 0  # changed rows whose new values are what a later load changed them from (_reverted)
    reverted_by: int | None = None  # the latest such load


def _key_join(spec: TableSpec, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in spec.key)


def _key_text(spec: TableSpec, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return " || '/' || ".join(f"CAST({prefix}{k} AS VARCHAR)" for k in spec.key)


def _row_hash(spec: TableSpec, alias: str = "") -> str:
    """A digest of a row's staging values, stored with it (`_row_hash`): the marts build compares
    them to see which patients' data changed. DuckDB's 64-bit hash, ten times cheaper than md5,
    kept as the number it is: as text (random digits DuckDB's compression cannot shrink) it was
    a quarter of the time to write billing_entries at 10M rows. The loader compares a row with
    the stored one by their values; only a stored row's earlier versions, kept whole in the old
    records of meta.row_changes, are told by this digest (_reverted). `alias`: the rows' table."""
    prefix = f"{alias}." if alias else ""
    return f"hash({', '.join(prefix + c for c in _staging_columns(spec))})"


def _values(spec: TableSpec, alias: str) -> str:
    """A row's staging values as one struct, to compare two versions of a row (NULLs equal)."""
    return "struct_pack(" + ", ".join(f"{c} := {alias}.{c}" for c in _staging_columns(spec)) + ")"


def _differing(spec: TableSpec, alias: str, window: str) -> str:
    """SQL: the columns in which a row differs from the first row of its key (over `window`), as a
    list of names: a reason that said only "different values" left a person comparing two rows of
    a wide export cell by cell."""
    tests = [f"CASE WHEN {' OR '.join(f'{alias}.{n} IS DISTINCT FROM first({alias}.{n}) OVER {window}' for n, _ in c.staging_columns())}"
             f" THEN {ty.sql_text(c.name)} END" for c in spec.columns]
    return f"list_filter([{', '.join(tests)}], lambda x: x IS NOT NULL)"


def merge(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> Merged:
    """Merge the rows of temp._checked that passed into staging (new, changed or duplicate).

    Within one batch the first row of a key wins; a later row identical to it is a
    duplicate, a later row with other values is quarantined (the export contradicts itself).
    Against the store, a row whose key is stored is a duplicate when its values are the
    same and replaces the stored row (the change recorded) when they differ. Only the rows
    of repeated or stored keys are compared: every other row is new and is inserted by an
    anti-join, without hashing or ranking anything.
    """
    name = spec.name
    cols = ", ".join(_staging_columns(spec))
    key = ", ".join(spec.key)
    con.execute(
        f"""CREATE TEMP TABLE _repeats AS
        WITH keys AS (SELECT {key} FROM _checked WHERE _ok GROUP BY ALL HAVING count(*) > 1),
             ranked AS (SELECT v._rec, v._load_id, v._source_file, v._line, {_key_text(spec, 'v')} AS _key,
                               row_number() OVER w AS _rn, first(v._line) OVER w AS _first_line,
                               {_values(spec, 'v')} IS NOT DISTINCT FROM first({_values(spec, 'v')}) OVER w AS _same,
                               {_differing(spec, 'v', 'w')} AS _differs
                        FROM _checked v SEMI JOIN keys k ON {_key_join(spec, 'v', 'k')}
                        WHERE v._ok
                        WINDOW w AS (PARTITION BY {", ".join(f"v.{k}" for k in spec.key)} ORDER BY v._rec))
        SELECT * EXCLUDE (_rn) FROM ranked WHERE _rn > 1"""
    )
    repeated, conflicts = con.execute("SELECT count(*) FILTER (WHERE _same), count(*) FILTER (WHERE NOT _same) FROM _repeats").fetchall()[0]
    if conflicts:
        con.execute(
            f"""INSERT INTO meta.quarantine
            SELECT r._load_id, '{name}', r._source_file, r._line, ['{key} unique within file'],
                   {ty.named(f"'{key} ' || r._key", spec.key, "t._labels")} || ' appears again with other '
                   || {ty.named("array_to_string(r._differs, ', ')", [c.name for c in spec.columns], "t._labels")}
                   || ' than at line ' || r._first_line || ' (the row kept); fix the export so each key appears once',
                   {_source_record(spec, 't')}, 'open', now()
            FROM _repeats r JOIN _text t ON t._rec = r._rec
            WHERE NOT r._same"""
        )
    con.execute(
        f"""CREATE TEMP TABLE _matched AS
        SELECT c._rec, {_values(spec, 'c')} IS NOT DISTINCT FROM {_values(spec, 's')} AS _same
        FROM _checked c JOIN staging.{name} s ON {_key_join(spec, 'c', 's')}
        WHERE c._ok AND c._rec NOT IN (SELECT _rec FROM _repeats)"""
    )
    changed, same = con.execute("SELECT count(*) FILTER (WHERE NOT _same), count(*) FILTER (WHERE _same) FROM _matched").fetchall()[0]
    reverted, reverted_by = _reverted(con, spec) if changed else (0, None)
    if changed:
        con.execute(
            f"""INSERT INTO meta.row_changes
            SELECT c._load_id, '{name}', {_key_text(spec, 'c')}, c._source_file, c._line, to_json(s), to_json({_values(spec, 'c')}), now()
            FROM _matched m JOIN _checked c USING (_rec) JOIN staging.{name} s ON {_key_join(spec, 'c', 's')}
            WHERE NOT m._same"""
        )
        con.execute(
            f"""DELETE FROM staging.{name} s USING (SELECT c.* FROM _checked c JOIN _matched m USING (_rec) WHERE NOT m._same) c
            WHERE {_key_join(spec, 'c', 's')}"""
        )
    merged = "FROM _checked WHERE _ok"
    if repeated + conflicts + same:
        merged += " AND _rec NOT IN (SELECT _rec FROM _repeats) AND _rec NOT IN (SELECT _rec FROM _matched WHERE _same)"
    con.execute(
        f"""INSERT INTO staging.{name} ({cols}, _load_id, _source_file, _line, _row_hash)
        SELECT {cols}, _load_id, _source_file, _line, {_row_hash(spec)} {merged}"""
    )
    loaded, warned = con.execute(f"SELECT count(*), count(*) FILTER (WHERE _warned) {merged}").fetchall()[0]
    if warned:
        con.execute(
            f"""INSERT INTO meta.row_warnings
            SELECT _load_id, '{name}', _source_file, _line, {_key_text(spec)}, w.name, w.reason, now()
            FROM (SELECT *, unnest(_warnings) AS w {merged} AND _warned)"""
        )
        if name == "patients":
            _clinic_like_known(con, batch=True)
    if name == "clinics" and loaded:  # the patients loaded before their clinics
        _clinic_now_known(con)
        _clinic_like_known(con)
    for target in sorted({c.kept_in for c in contract_checks.row_checks(name) if c.kept_in}):
        con.execute(f"DELETE FROM {target} h USING _checked m WHERE {_key_join(spec, 'h', 'm')} AND m._ok AND m._load_id >= h._load_id")
    return Merged(loaded=loaded, changed=changed, duplicates=same + repeated, conflicts=conflicts, warned=warned,
                  reverted=reverted, reverted_by=reverted_by)


def _reverted(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int | None]:
    """The changed rows (temp._matched) whose values are a stored version a later load changed:
    an older export loaded again (a June patients file saved again after October's loaded) read
    "64 changed" and put back June's discharge and consent dates unsaid. Versions are compared by
    their digest (`_row_hash`, kept in each change's old record). Returns how many, and the latest
    load that had changed them."""
    return con.execute(
        f"""SELECT count(DISTINCT c._rec), max(rc.load_id)
        FROM _matched m JOIN _checked c USING (_rec)
        JOIN meta.row_changes rc ON rc.table_name = '{spec.name}' AND rc.row_key = {_key_text(spec, 'c')} AND rc.new_record IS NOT NULL
             AND TRY_CAST(rc.old_record ->> '_row_hash' AS UBIGINT) = {_row_hash(spec, 'c')}
        WHERE NOT m._same"""
    ).fetchall()[0]


WITHDRAWN_NAMED = 5  # withdrawn periods a load line names (all are counted, and kept in meta.row_changes)
NAMED = "_coverage_named"  # the patients a coverage file gave a history (kept past readmit, which drops TEMP_TABLES)


def withdraw_periods(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[int, tuple[str, ...]]:
    """A coverage file loaded as the payer history of the patients it names (after its merge):
    withdraw their stored periods it no longer holds. A program that corrects a period's
    start_date re-exports it under a new key; judged against the stored wrong period it was set
    aside as overlapping it, and the wrong period billed its months for ever.

    A patient's history is the file's when at least one of their rows in it loaded (or was a
    duplicate), or waits for the patient (nothing of theirs is stored yet; supersede_patients
    closes what earlier loads left waiting): a file whose every row of a patient was set aside
    for good (two periods overlapping, a date mistyped) gives no history to bill by, and the
    stored one stays until a corrected file comes.
    Each withdrawn period goes to meta.row_changes (old_record, no new_record) so it never silently
    disappears. Returns how many, and the first WITHDRAWN_NAMED described for the load line."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {NAMED} AS SELECT DISTINCT patient_id FROM _checked
                    WHERE (_ok OR coalesce({WAITS}, false)) AND patient_id IS NOT NULL""")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _withdrawn AS
        SELECT s.* FROM staging.coverage s SEMI JOIN {NAMED} n ON n.patient_id = s.patient_id
        WHERE NOT EXISTS (SELECT 1 FROM _checked c WHERE c._ok AND c.patient_id = s.patient_id AND c.start_date = s.start_date)"""
    )
    return _withdraw(con, load_id, table_specs()["coverage"],
                     "'patient ' || chr(39) || patient_id || chr(39) || ': ' || bcm_period_text(payer, start_date, end_date) "
                     "|| ' (load ' || _load_id || ')'")


def _withdraw(con: duckdb.DuckDBPyConnection, load_id: int, spec: TableSpec, described: str) -> tuple[int, tuple[str, ...]]:
    """Withdraw the stored rows in temp._withdrawn: each to meta.row_changes (old_record, no
    new_record) so it never silently disappears, then out of staging. Returns how many, and the
    first WITHDRAWN_NAMED (by key) as `described` (SQL over a row) words them for the load line."""
    count = con.execute("SELECT count(*) FROM _withdrawn").fetchall()[0][0]
    named: list[str] = []
    if count:
        con.execute(
            f"""INSERT INTO meta.row_changes
            SELECT {int(load_id)}, '{spec.name}', {_key_text(spec, 'w')}, (SELECT any_value(_source_file) FROM _checked), NULL,
                   to_json(w), NULL, now()
            FROM _withdrawn w"""
        )
        con.execute(f"DELETE FROM staging.{spec.name} s USING _withdrawn w WHERE {_key_join(spec, 'w', 's')}")
        named = [r[0] for r in con.execute(
            f"SELECT {described} FROM _withdrawn ORDER BY {', '.join(spec.key)} LIMIT {WITHDRAWN_NAMED}").fetchall()]
    con.execute("DROP TABLE _withdrawn")
    return count, tuple(named)


def withdraw_replaced(con: duckdb.DuckDBPyConnection, load_id: int, replaced: int, spec: TableSpec) -> tuple[int, tuple[str, ...]]:
    """A corrected copy of a file (`bcm load --replaces`, after its merge): withdraw the rows load
    `replaced` stored, and no later load changed, whose key the copy no longer holds, whether it
    loaded that key or set it aside. An entry deleted in the fix, or given another key, stayed
    stored: its minutes billed a code the corrected export does not support. Only rows that belong
    to a patient (a table whose rows wait for one): a patient or clinic the copy lacks may still
    have rows of other tables. Each goes to meta.row_changes (no new record), as a coverage
    period withdraw_periods withdraws. Returns how many, and the first WITHDRAWN_NAMED named."""
    if not any(c.waits_for for c in contract_checks.row_checks(spec.name)):
        return 0, ()
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _withdrawn AS
        SELECT s.* FROM staging.{spec.name} s
        WHERE s._load_id = {int(replaced)} AND NOT EXISTS (SELECT 1 FROM _checked c WHERE {_key_join(spec, 'c', 's')})"""
    )
    return _withdraw(con, load_id, spec, f"{ty.sql_text('/'.join(spec.key) + ' ')} || {_key_text(spec)}")


def supersede_patients(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """After withdraw_periods and supersede_open: mark superseded what earlier loads set aside of
    the coverage of the patients whose history the file gave, open or waiting for the patient.
    The file is their history now: a period an earlier export set aside (overlapping the wrong
    stored one, say) would otherwise be listed to fix for ever. Patients are compared as the
    texts the exports wrote, as keys are in supersede_open."""
    con.execute(
        f"""UPDATE meta.quarantine u SET status = 'superseded'
        FROM (SELECT q.load_id, q.line_number FROM meta.quarantine q JOIN raw.coverage r ON r._load_id = q.load_id AND r._line = q.line_number
              WHERE q.table_name = 'coverage' AND q.status IN ('open', 'waiting') AND q.load_id < $load
                AND bcm_field(r.patient_id) IN (SELECT CAST(patient_id AS VARCHAR) FROM {NAMED})) old
        WHERE u.table_name = 'coverage' AND u.load_id = old.load_id AND u.line_number = old.line_number""",
        {"load": load_id},
    )
    con.execute(f"DROP TABLE {NAMED}")


CLINIC_LIKE_KNOWN = "; a loaded clinic is "


def _clinic_now_known(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the warning that a patient's clinic is not in the clinics export once a clinics export
    holds it: patients loaded before their clinics (an earlier `bcm load`) each warned so, and
    `bcm warnings` and the data-quality page went on saying the program's defaults apply to
    patients billed under their clinic's setting and time zone. Only the stored row the warning
    was given for (its load and line) is judged, as written: 'clinic a' for 'Clinic A' keeps its
    warning, which _clinic_like_known completes."""
    con.execute(
        """DELETE FROM meta.row_warnings w USING staging.patients p
        WHERE w.table_name = 'patients' AND w.check_name = 'clinic known'
          AND p._load_id = w.load_id AND p._line = w.line_number
          AND p.clinic_id IN (SELECT clinic_id FROM staging.clinics)"""
    )


def _clinic_like_known(con: duckdb.DuckDBPyConnection, batch: bool = False) -> None:
    """A patient loaded with the warning that its clinic is unknown, whose clinic_id is a loaded
    clinic's written with other capitals or spaces ('clinic a' for 'Clinic A'): the warning said
    only that 'clinic a' is not in the clinics export, which a person looking at the export sees
    it is, while the patient's months and setting silently took the program's defaults (an FQHC
    patient billed as a physician practice's). The warning names the clinic; nothing is matched
    by a guess.

    Run whenever both are present, whichever loads first: for the warnings of the patients just
    merged (`batch`: the rows of temp._checked) as they merge, and for every patient's warning when clinics load (all patients
    loaded before the clinics export, in the same folder or an earlier `bcm load`, warned then
    that their clinic is unknown). A warning is joined to the stored row it was given for (its
    load and line); one already naming a clinic is left as it is."""
    folded = "lower(regexp_replace({}, '\\s+', ' ', 'g'))"
    of_batch = "AND (w.load_id, w.line_number) IN (SELECT _load_id, _line FROM _checked WHERE _ok AND _warned)" if batch else ""
    con.execute(
        f"""UPDATE meta.row_warnings w
        SET reason = w.reason || '{CLINIC_LIKE_KNOWN}' || chr(39) || k.clinic_id || chr(39)
                     || ', the same id written with other capitals or spaces: if it is that clinic, correct clinic_id in the export '
                     || 'and load it again (it is not matched by a guess)'
        FROM staging.patients p JOIN (SELECT {folded.format('clinic_id')} AS folded, min(clinic_id) AS clinic_id
                                      FROM staging.clinics GROUP BY ALL) k ON k.folded = {folded.format('p.clinic_id')}
        WHERE w.table_name = 'patients' AND w.check_name = 'clinic known' {of_batch}
          AND p._load_id = w.load_id AND p._line = w.line_number
          AND p.clinic_id NOT IN (SELECT clinic_id FROM staging.clinics) AND NOT contains(w.reason, '{CLINIC_LIKE_KNOWN}')"""
    )


def readmit(con: duckdb.DuckDBPyConnection, load_id: int, loaded_table: str) -> int:
    """Re-examine waiting rows that the table just loaded may complete; returns rows admitted.

    Runs inside the load's transaction, after its merge. Waiting rows of earlier loads of the
    loaded table itself whose key the new file stored are re-examined too, so they are marked
    superseded rather than admitted later over the newer version (the others cannot change: what
    they wait for did not come).
    """
    admitted = 0
    for spec in table_specs().values():
        waits_for = {c.waits_for for c in contract_checks.row_checks(spec.name) if c.waits_for}
        if loaded_table in waits_for:
            before, stored_by = load_id + 1, None  # every waiting row
        elif loaded_table == spec.name:
            before, stored_by = load_id, load_id  # rows of earlier loads only: this load's rows have just been judged
        else:
            continue
        waiting = con.execute(
            "SELECT count(*) FROM meta.quarantine WHERE table_name = ? AND status = 'waiting' AND load_id < ?", [spec.name, before]
        ).fetchall()[0][0]
        if waiting:
            admitted += _readmit_table(con, spec, before, stored_by)
    return admitted


def supersede_open(con: duckdb.DuckDBPyConnection, load_id: int, spec: TableSpec) -> int:
    """Mark superseded the open quarantine entries of earlier loads of the table whose key this
    load stored (the corrected row) or quarantined again (the same bad row in a newer export):
    the newest word on a key is the one to act on, so `bcm quarantine` lists each row still to
    fix once. Waiting entries too: one set aside again waits under the newer load only, else the
    data-quality page counted a row still waiting for its patient once per full export that
    carried it (readmit has already settled the waiting ones whose key this load stored). Keys
    are compared as the texts the exports wrote; an entry missing part of its key by its whole
    row (_whole_row: a patients row with no patient_id was listed once per monthly export that
    carried it). Returns how many of this load's rows set aside were set aside before (a monthly full export read 'quarantined
    29' each month, and nobody could tell the 2 new rows from the 27 still to fix)."""
    loads = [r[0] for r in con.execute(
        "SELECT DISTINCT load_id FROM meta.quarantine WHERE table_name = ? AND status IN ('open', 'waiting') AND load_id < ?",
        [spec.name, load_id]).fetchall()]
    if not loads:
        return 0
    key, whole = _raw_key(spec.key), _whole_row(spec)
    raw = f"meta.quarantine q JOIN raw.{spec.name} r ON r._load_id = q.load_id AND r._line = q.line_number"
    # the earlier entries and this load's, with their keys, read from raw once for the count and the update
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _earlier AS
        SELECT q.load_id, q.line_number, ({key}) AS k, {whole} AS whole FROM {raw}
        WHERE q.table_name = $table AND q.status IN ('open', 'waiting') AND r._load_id IN ({", ".join(map(str, loads))})""",
        {"table": spec.name})
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _again AS
        SELECT ({key}) AS k, {whole} AS whole, q.status = $passed_over AS passed_over FROM {raw}
        WHERE q.table_name = $table AND q.load_id = $load AND r._load_id = $load""",
        {"table": spec.name, "load": load_id, "passed_over": PASSED_OVER})
    again = con.execute(
        """SELECT count(*) FROM _again WHERE NOT passed_over
             AND (k IN (SELECT k FROM _earlier) OR whole IN (SELECT whole FROM _earlier))""").fetchall()[0][0]
    con.execute(
        f"""UPDATE meta.quarantine u SET status = 'superseded'
        FROM (SELECT load_id, line_number FROM _earlier
              WHERE k IN ({_stored_keys(spec, spec.key, "$load")}) OR k IN (SELECT k FROM _again)
                 OR whole IN (SELECT whole FROM _again)) old
        WHERE u.table_name = $table AND u.load_id = old.load_id AND u.line_number = old.line_number""",
        {"table": spec.name, "load": load_id},
    )
    con.execute("DROP TABLE _again")
    con.execute("DROP TABLE _earlier")
    return again


def settle_set_aside_again(con: duckdb.DuckDBPyConnection) -> None:
    """Settle the quarantine of a store an earlier bcm wrote as this bcm's loads would have: each
    of its loads' supersede_open again, in load order. Before supersede_open closed waiting
    entries too, a row still waiting for its patient stayed waiting under every full export that
    carried it, and `bcm quarantine` and the data-quality page counted it once per export. Run
    when such a store is brought up to date (warehouse ensure_schema); on a store this bcm
    loaded it changes nothing."""
    for spec in table_specs().values():
        loads = con.execute("SELECT DISTINCT load_id FROM meta.load_log WHERE table_name = ? ORDER BY load_id",
                            [spec.name]).fetchall()
        for (load_id,) in loads[1:]:
            supersede_open(con, load_id, spec)


def replaced_entries(con: duckdb.DuckDBPyConnection, replaced: int, table: str) -> int:
    """The entries of load `replaced` for the table still open or waiting (before a corrected copy loads)."""
    return con.execute(
        "SELECT count(*) FROM meta.quarantine WHERE load_id = ? AND table_name = ? AND status IN ('open', 'waiting')",
        [replaced, table],
    ).fetchall()[0][0]


def supersede_replaced(con: duckdb.DuckDBPyConnection, replaced: int, spec: TableSpec) -> None:
    """Mark superseded every entry of load `replaced` for the table still open or waiting: this load
    is a corrected copy of its file (`bcm load --replaces`), so whatever it set aside was fixed here
    or is set aside again under this load (supersede_open has closed those of a key this load
    stored or set aside; the rest are rows whose key the fix changed). Rows it held for a
    referenced row (claims of unknown patients) leave their holding table."""
    con.execute(
        "UPDATE meta.quarantine SET status = 'superseded' WHERE load_id = ? AND table_name = ? AND status IN ('open', 'waiting')",
        [replaced, spec.name],
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        con.execute(f"DELETE FROM {target} WHERE _load_id = ?", [replaced])


def _whole_row(spec: TableSpec) -> str:
    """SQL: a quarantined raw row `r` whose key is incomplete as one text of its every column, to
    match it with the same row re-exported (supersede_open); NULL for a row with its whole key."""
    complete = " AND ".join(f"bcm_field(r.{k}) IS NOT NULL" for k in spec.key)
    return f"CASE WHEN NOT ({complete}) THEN to_json([{', '.join(f'bcm_field(r.{c})' for c in spec.column_names)}]) END"


def _raw_key(columns) -> str:
    """A quarantined row's key (of the raw row `r`) as the checks read its text."""
    return ", ".join(f"bcm_field(r.{k})" for k in columns)


def _stored_by(spec: TableSpec, columns, load: str) -> str:
    """SQL true when load `load` stored the key (`columns`) of the quarantined raw row `r`: a key
    is matched as text, the stored value's against the raw text as the checks read it."""
    return f"({_raw_key(columns)}) IN ({_stored_keys(spec, columns, load)})"


def _stored_keys(spec: TableSpec, columns, load: str) -> str:
    """SQL: the keys (`columns`) load `load` stored, as text, to match a raw row's key against."""
    stored = ", ".join(f"CAST(s.{k} AS VARCHAR)" for k in columns)
    return f"SELECT ({stored}) FROM staging.{spec.name} s WHERE s._load_id = {load}"


def _waiting_rows(spec: TableSpec, stored_by: int | None) -> str:
    """The waiting rows of a table from loads before the second parameter, with their raw texts
    (from raw, by load and line: the quarantine's record may be a profile's source record); with
    `stored_by`, only those whose key (its first column, text as staging holds it) that load stored."""
    reexported = "" if stored_by is None else f" AND {_stored_by(spec, spec.key[:1], str(int(stored_by)))}"
    return f"""SELECT q.load_id AS _q_load, q.source_file AS _q_file, q.line_number AS _q_line, q.record AS _q_record, r.*
               FROM meta.quarantine q JOIN raw.{spec.name} r ON r._load_id = q.load_id AND r._line = q.line_number
               WHERE q.table_name = ? AND q.status = 'waiting' AND q.load_id < ?{reexported}"""


def _readmit_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, before: int, stored_by: int | None) -> int:
    drop_temp_tables(con)
    texts = ", ".join(f"bcm_field(w.{c}) AS {ty.raw_name(c)}" for c in spec.column_names)
    con.execute(
        f"""CREATE TEMP TABLE _waiting AS
        SELECT w._q_load AS _load_id, w._q_file AS _source_file, row_number() OVER (ORDER BY w._q_load, w._q_line) AS _rec,
               w._q_line AS _line, CAST(w._q_record AS VARCHAR) AS _record, CAST(w._extra -> '_notes' AS VARCHAR) AS _notes,
               w._extra -> '_written' AS _written, {texts},
               CAST(l.read_options ->> 'two_digit_year_pivot' AS INTEGER) AS _year_pivot,
               coalesce(CAST(l.read_options -> 'decimal_comma' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _decimal_comma,
               coalesce(CAST(l.read_options -> 'day_first' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _day_first,
               coalesce(CAST(l.read_options -> 'day_undecided' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _day_undecided,
               l.read_options -> 'columns' AS _labels
        FROM ({_waiting_rows(spec, stored_by)}) w
        LEFT JOIN meta.load_log l ON l.load_id = w._q_load""",
        [spec.name, before],
    )
    if not con.execute("SELECT count(*) FROM _waiting").fetchall()[0][0]:
        return 0  # none whose key this load stored
    con.execute("CREATE TEMP VIEW _text AS SELECT * FROM _waiting")
    check(con, spec, TextOptions(year_pivot="_year_pivot", decimal_comma="_decimal_comma", day_first="_day_first",
                                 day_undecided="_day_undecided",
                                 labels="_labels", written="_written"))  # each row as its load read it
    # A newer version of the key wins: a later waiting row, or a stored row from a later load.
    con.execute(
        f"""CREATE TEMP TABLE _settled AS
        WITH ranked AS (
          SELECT c._load_id, c._line, s._load_id AS stored_load,
                 row_number() OVER (PARTITION BY {", ".join(f"c.{k}" for k in spec.key)} ORDER BY c._load_id DESC, c._line) AS newest
          FROM _checked c LEFT JOIN staging.{spec.name} s ON {_key_join(spec, 'c', 's')}
          WHERE {" AND ".join(f"c.{k} IS NOT NULL" for k in spec.key)})
        SELECT _load_id, _line, 'superseded' AS status FROM ranked WHERE newest > 1 OR stored_load > _load_id"""
    )
    con.execute("DELETE FROM _checked c USING _settled s WHERE c._load_id = s._load_id AND c._line = s._line")
    con.execute(
        f"INSERT INTO _settled SELECT _load_id, _line, 'open' FROM _checked WHERE NOT _ok AND NOT {WAITS}"
    )
    con.execute(
        f"""UPDATE meta.quarantine q SET status = 'open', failed_checks = list_transform(c._failures, lambda x: x.name),
               reason = {reasons("c.")}
        FROM _checked c WHERE q.table_name = '{spec.name}' AND q.status = 'waiting'
          AND q.load_id = c._load_id AND q.line_number = c._line
          AND NOT c._ok AND NOT {waits("c.")}"""
    )
    con.execute("INSERT INTO _settled SELECT _load_id, _line, 'admitted' FROM _checked WHERE _ok")
    merge(con, spec)
    con.execute(
        f"""UPDATE meta.quarantine q SET status = s.status FROM _settled s
        WHERE q.table_name = '{spec.name}' AND q.status = 'waiting' AND q.load_id = s._load_id AND q.line_number = s._line"""
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        con.execute(
            f"DELETE FROM {target} h USING _settled s WHERE h._load_id = s._load_id AND h._line = s._line"
        )
    waiting_like_known(con, spec)  # the patients just loaded may hold the id a row still waiting likely means
    return con.execute("SELECT count(*) FROM _settled WHERE status = 'admitted'").fetchall()[0][0]
