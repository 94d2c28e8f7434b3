"""Rows of an export that are no records: a totals or subtotal row, a report's footer line, an
empty row, the column names written again where a second pull starts and the title above them.
Each is set aside as passed over (status PASSED_OVER): accounted for in the load summary with a
reason that says what it is, and no steward's to-do. ingest.rows quarantines the rows these
checks name; the loader asks pass_over_non_records which rows of a batch they are.
"""

from __future__ import annotations

import re

import duckdb

from bcm_analytics.contracts import columns as ty
from bcm_analytics.contracts.tables import TableSpec
from bcm_analytics.ingest.readers import COLUMN_BLANKS, ITEM_COLUMN

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


def passed_over_as(con: duckdb.DuckDBPyConnection, load_id: int, table: str, check: str) -> int:
    """How many of a load's rows were passed over as `check` says (FOOTER_CHECK, SUBTOTAL_CHECK;
    read rows and short lines alike), which the load line counts apart from its totals rows."""
    return con.execute("SELECT count(*) FROM meta.quarantine WHERE load_id = ? AND table_name = ? AND list_contains(failed_checks, ?)",
                       [load_id, table, check]).fetchall()[0][0]
