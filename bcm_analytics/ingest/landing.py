"""Read an export into the store's raw layer, with the line each record starts on.

DuckDB reads the file in one pass into text columns; lines it cannot split into the header's
fields are quarantined as they are. What a person would call the line of a record is worked
out here (see number_lines), then the records land in raw.<table> untouched and are offered
to the checks as `_raw_<column>` texts (the temp view _text).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bcm_analytics.contracts import columns as ty
from bcm_analytics.ingest.arrow_source import NOTES, RECORD, WRITTEN
from bcm_analytics.ingest.identifiers import identifier_name, identifier_values
from bcm_analytics.ingest.lines import load_record_map
from bcm_analytics.ingest.readers import FileRefused, SourceFile, normalise_column, normalised_copy, scan

MAX_LINE_BYTES = 16 << 20  # a 10 MB free-text field is read (then judged), not a refusal

REJECT_REASONS = {
    "TOO MANY COLUMNS": "the line has more fields than the header (an unquoted delimiter inside a value?)",
    "MISSING COLUMNS": "the line has fewer fields than the header (a truncated or wrapped line?)",
    "UNQUOTED VALUE": "a quote character inside a value is not escaped",
    "LINE SIZE OVER MAXIMUM": "the line is longer than 16 MB",
    "INVALID UNICODE": "the line has bytes that are not valid text in the file's encoding",
}


@dataclass(frozen=True)
class Reading:
    """What DuckDB actually reads: the file, or a normalised copy of it (which leaves out the
    `offset` lines above a header that is not on the first line)."""

    path: Path
    encoding: str
    lines: int
    offset: int = 0


def reading_for(src: SourceFile, folder: Path) -> Reading:
    """The file itself, or (mixed line ends, UTF-16, a title above the header) a UTF-8 copy with LF
    line ends in `folder`, from the header on."""
    if not src.needs_copy:
        return Reading(src.path, src.encoding, src.lines)
    copy = normalised_copy(src, folder)
    return Reading(copy, "utf-8", scan(copy).lines, src.header_line - 1)


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: bool) -> Iterator[None]:
    """A DuckDB setting for the statements inside, then back to the caller's value."""
    before = con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
    con.execute(f"SET {name} = {str(value).lower()}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {str(before).lower()}")


@dataclass(frozen=True)
class Landed:
    """A file read into temp tables, not yet in the store: `records` is a relation of its records
    (`_rec`, `_line`, texts c0..cN), `rejected` how many lines DuckDB could not split."""

    records: str
    rejected: int
    decimal_comma: list[str]  # numeric columns written with a decimal comma throughout
    day_first: list[str]  # date columns whose slash dates put the day first (14/02/2025), never the month
    day_undecided: list[str]  # date columns of a ;-delimited file whose slash dates never tell which comes first
    kept: list[str]  # extra columns kept in raw.<table>._extra
    dropped: list[str]  # extra columns dropped (identifiers among them)
    identifiers: list[str]  # extra columns that look like direct identifiers: never kept
    day_first_evidence: dict[str, SlashEvidence] = field(default_factory=dict)  # day_first's columns: what decided each


def read_file(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading, keep_extra_columns: bool = False) -> Landed:
    """Read the file into temp tables and number its lines. Runs before the load's transaction:
    temporary tables touch nothing in the store, and a table committed outside a transaction
    numbers its rows (rowid) 0, 1, 2 ... in insertion order, which is file order."""
    has_rejects = land(con, src, reading, keep_extra_columns)
    records = number_lines(con, src, reading, has_rejects)
    rejected = con.execute("SELECT count(*) FROM _rej_lines").fetchall()[0][0]
    kept, identifiers = extra_columns(con, src, keep_extra_columns)
    dropped = [c for c in src.extra_columns if c not in kept]
    evidence = slash_date_evidence(con, src)
    day_first = {name: seen for name, seen in evidence.items() if seen.reads_day_first}
    if day_first and not any(seen.month_first for seen in evidence.values()):
        day_first = evidence  # one export writes its dates one way: 03/04/2026 is not 4 March in one column and 3 April in the next
    # In a ;-delimited file (Excel's separator where the decimal mark is a comma, in countries that
    # write the day first) a column whose slash dates never decide is read neither way.
    undecided = [name for name, seen in evidence.items() if seen.undecided] if src.delimiter == ";" else []
    return Landed(records, rejected, decimal_comma_columns(con, src), list(day_first), undecided, kept, dropped, identifiers,
                  day_first)


def extra_columns(con: duckdb.DuckDBPyConnection, src: SourceFile, keep: bool) -> tuple[list[str], list[str]]:
    """(extra columns to keep, extra columns that look like direct identifiers). Without `keep`
    nothing extra is kept, and only names are judged; with it, values are judged too."""
    by_name = [c for c in src.extra_columns if identifier_name(c)]
    if not keep:
        return [], by_name
    position = {name: i for i, name in enumerate(src.header)}
    others = {c: f"c{position[c]}" for c in src.extra_columns if c not in by_name}
    identifiers = by_name + identifier_values(con, "_land", others)
    return [c for c in src.extra_columns if c not in identifiers], [c for c in src.extra_columns if c in identifiers]


def decimal_comma_columns(con: duckdb.DuckDBPyConnection, src: SourceFile) -> list[str]:
    """The numeric columns of a ;-delimited file that write decimals with a comma (12,5) and never
    with a point: those are read with a decimal comma. A column mixing both is ambiguous, and its
    comma values are set aside (as in any other file) rather than guessed."""
    if src.delimiter != ";":
        return []
    position = {name: i for i, name in enumerate(src.header)}
    numeric = [c for c in src.table.columns if c.type in ("number", "integer") and c.name in position]
    if not numeric:
        return []
    def test(col) -> str:
        c = f"c{position[col.name]}"
        point = POINT_DECIMALS.get(col.format or "", POINT_DECIMALS["number"])
        return f"bool_or(regexp_matches({c}, '[0-9],[0-9]')) AND NOT coalesce(bool_or(regexp_matches({c}, '{point}')), false)"

    tests = [test(c) for c in numeric]
    found = con.execute(f"SELECT {', '.join(tests)} FROM _land").fetchall()[0]
    return [c.name for c, comma in zip(numeric, found) if comma]


@dataclass(frozen=True)
class SlashEvidence:
    """What a date column's slash dates say of their order: how many values are real dates only
    when read day first (14/02/2025; 31/11/2026 is no date either way, so no evidence) and the
    first of them, and whether some value is a real date only when read month first (02/14/2025)."""

    day_first: int
    month_first: bool
    example: str | None = None

    @property
    def reads_day_first(self) -> bool:
        return self.day_first > 0 and not self.month_first

    @property
    def undecided(self) -> bool:
        return self.day_first == 0 and not self.month_first


def slash_date_evidence(con: duckdb.DuckDBPyConnection, src: SourceFile) -> dict[str, SlashEvidence]:
    """For each date column with slash dates (or dates with dashes around the day and month,
    14-02-2025, read as slash dates: parsing.sql's bcm_slashed), what they say of their order
    (SlashEvidence). A column with day-first evidence alone is read day first throughout, so
    03/02/2025 in a file that also writes 14/02/2025 is 3 February, not 2 March (and the load line
    says so, with the value that decided it: one typed 13/03 among US dates turns the column). The
    file's other date columns are read day first with it unless one of them can only be month
    first (read_file): a patient's enrolment and consent both written 03/04/2026 were 4 March and
    3 April. Otherwise slash dates are read month first (the US order), and a column with evidence both ways
    has its day-first values set aside; a ;-delimited file's column with neither has its dates
    that read two ways set aside (Landed.day_undecided)."""
    position = {name: i for i, name in enumerate(src.header)}
    dates = [c.name for c in src.table.columns if c.type in ("date", "datetime") and c.name in position]
    if not dates:
        return {}
    has_slash = [f"bool_or(contains(bcm_slashed(c{position[d]}, false), '/'))" for d in dates]
    slashes = con.execute(f"SELECT {', '.join(has_slash)} FROM _land").fetchall()[0]
    evidence = {}
    for name in (d for d, has in zip(dates, slashes) if has):  # only slash dates (or dashed ones: bcm_slashed) are read two ways
        c = f"c{position[name]}"
        count, month_first, example = con.execute(
            f"""SELECT count(*) FILTER (WHERE day_first), coalesce(bool_or(month_first), false),
                       arg_min(written, _rec) FILTER (WHERE day_first)
                FROM (SELECT _rec, written, a BETWEEN 13 AND 31 AND {_real_date('b', 'a')} AS day_first,
                             b BETWEEN 13 AND 31 AND {_real_date('a', 'b')} AS month_first
                      FROM (SELECT _rec, written, try_cast(split_part(t, '/', 1) AS INTEGER) AS a,
                                   try_cast(split_part(t, '/', 2) AS INTEGER) AS b,
                                   coalesce(try_cast(regexp_extract(split_part(t, '/', 3), '^[0-9]{{4}}') AS INTEGER), 2001) AS y
                            FROM (SELECT rowid AS _rec, trim({c}) AS written, bcm_slashed({c}, false) AS t FROM _land)
                            WHERE contains(t, '/')))""").fetchall()[0]
        evidence[name] = SlashEvidence(count, month_first, example)
    return evidence


def _real_date(month: str, day: str) -> str:
    """SQL: whether `month` and `day` (with the year y) make a date that exists. A 2-digit year
    (never read: set aside) is taken as one without a February 29, so 29/02/25 decides nothing."""
    return f"try_cast(format('{{:04d}}-{{:02d}}-{{:02d}}', y, {month}, {day}) AS DATE) IS NOT NULL"


def store_raw(con: duckdb.DuckDBPyConnection, src: SourceFile, landed: Landed, load_id: int) -> None:
    """Inside the load's transaction: the records into raw.<table>, the temp view _text of their
    trimmed texts for the checks, and the lines DuckDB could not split into the quarantine."""
    spec = src.table
    position = {name: i for i, name in enumerate(src.header)}
    raw_cols = ", ".join(f"c{position[c]}" if c in position else "NULL" for c in spec.column_names)
    con.execute(
        f"""INSERT INTO raw.{spec.name} (_load_id, _source_file, _line, _file_hash, {", ".join(spec.column_names)}, _extra)
        SELECT ?, ?, _line, ?, {raw_cols}, {_with_own(extra_json(src, landed.kept), src)} FROM {landed.records}""",
        [load_id, str(src.path), src.sha256],
    )
    texts = ", ".join(
        f"bcm_field(c{position[c]}) AS {ty.raw_name(c)}" if c in position else f"CAST(NULL AS VARCHAR) AS {ty.raw_name(c)}"
        for c in spec.column_names
    )
    record = "CAST(_record AS VARCHAR)" if src.in_memory and "_record" in src.rows.column_names else "CAST(NULL AS VARCHAR)"
    con.execute(
        f"CREATE TEMP VIEW _text AS SELECT CAST({load_id} AS BIGINT) AS _load_id, {ty.sql_text(str(src.path))} AS _source_file, "
        f"_rec, _line, {record} AS _record, {own_sql(src, NOTES)} AS {NOTES}, {own_sql(src, WRITTEN)} AS {WRITTEN}, "
        f"{labels_sql(src)} AS _labels, {texts} FROM {landed.records}"
    )
    if landed.rejected:
        quarantine_rejects(con, load_id, src)


def own_sql(src: SourceFile, column: str) -> str:
    """SQL: a reader's own JSON column of a landed row (arrow_source NOTES, WRITTEN) as text, NULL for a file."""
    return f"CAST({column} AS VARCHAR)" if src.in_memory and column in src.rows.column_names else "CAST(NULL AS VARCHAR)"


def _with_own(extra: str, src: SourceFile) -> str:
    """SQL: raw `_extra` with the row's notes under NOTES and its values as written under WRITTEN,
    when it has some: a row that waits for its patient is judged again from raw (rows.readmit) and
    keeps its notes for the warning, and its dates as the file wrote them for the reasons."""
    for column in (NOTES, WRITTEN):
        own = own_sql(src, column)
        if own != "CAST(NULL AS VARCHAR)":
            extra = (f"CASE WHEN {own} IS NULL THEN {extra} ELSE json_merge_patch(coalesce({extra}, CAST('{{}}' AS JSON)), "
                     f"json_object('{column}', CAST({own} AS JSON))) END")
    return extra


def labels_sql(src: SourceFile) -> str:
    """SQL: the file's own names for the canonical columns it calls otherwise (a JSON object,
    TextOptions.labels; NULL when it uses bcm's names), for the reasons of its rows."""
    return f"CAST({ty.sql_text(json.dumps(src.labels))} AS JSON)" if src.labels else "CAST(NULL AS JSON)"


def land(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading, keep_extra_columns: bool = False) -> bool:
    """Read the file into temp._land as text columns c0..cN in file order; True when DuckDB rejected lines.

    Only the columns the load uses are held (cI is the file's I-th column): the canonical ones,
    the first (held_columns) and, with `keep_extra_columns`, the others. A CSV's every field is still split and counted (a line
    with a field too many or too few is rejected), but an export with thousands of columns beside
    the canonical ones does not hold them all in memory only to drop them.

    The table's rowid is the record's place in the file: DuckDB keeps insertion order when a
    table is created from a reader (preserve_insertion_order, on by default) while reading in
    parallel, so no numbering window is needed (checked on a million rows by benchmarks/bench_load.py).
    """
    names = [f"c{i}" for i in range(len(src.header))]
    held = held_columns(src, keep_extra_columns)
    if src.in_memory:
        _bcm_arrow_rows = src.rows  # noqa: F841  (read by name in the SQL below)
        select = ", ".join(f'CAST("{c}" AS VARCHAR) AS {n}' for c, n, h in zip(src.header, names, held) if h)
        extra = "".join(f", CAST({c} AS VARCHAR) AS {c}" for c in (RECORD, NOTES, WRITTEN) if c in src.rows.column_names)
        with setting(con, "preserve_insertion_order", True):
            con.execute(f"CREATE TEMP TABLE _land AS SELECT CAST(_line AS BIGINT) AS _line, {select}{extra} FROM _bcm_arrow_rows")
        return False
    if src.format == "parquet":
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({ty.sql_text(str(src.path))})").fetchall()
        select = ", ".join(f"{cell} AS {n}" for cell, n, h in zip(_parquet_cells(src, cols), names, held) if h)
        with setting(con, "preserve_insertion_order", True):
            con.execute(f"CREATE TEMP TABLE _land AS SELECT {select} FROM read_parquet({ty.sql_text(str(src.path))})")
        return False
    delim = src.delimiter.replace("'", "''")
    with setting(con, "preserve_insertion_order", True):
        _land_csv(con, reading, delim, names, [n for n, h in zip(names, held) if h])
    return con.execute("SELECT count(*) FROM _rej").fetchall()[0][0] > 0


def held_columns(src: SourceFile, keep_extra_columns: bool = False) -> list[bool]:
    """Which of the file's columns the landing holds: the canonical ones, the others with
    `keep_extra_columns`, and the first whatever it is (unless its name says it holds a direct
    identifier), where an export writes the label of a totals row below its records (cells_sql)."""
    return [keep_extra_columns or c in src.table.column_names or (i == 0 and not identifier_name(c))
            for i, c in enumerate(src.header)]


def cells_sql(src: SourceFile, keep_extra_columns: bool = False, alias: str = "r") -> str:
    """SQL: a landed record's cells in file order as a list of text (those the landing holds, the
    first among them), or for rows a profile mapped, the source record's values as the file wrote
    them: what a person sees on the row, to tell a totals row below the records from a record."""
    held = [f"{alias}.c{i}" for i, h in enumerate(held_columns(src, keep_extra_columns)) if h]
    landed = f"CAST([{', '.join(held)}] AS VARCHAR[])"
    if src.in_memory and "_record" in src.rows.column_names:
        record = f"CAST({alias}._record AS JSON)"
        return f"CASE WHEN json_type({record}) = 'OBJECT' THEN json_extract_string({record}, '$.*') ELSE {landed} END"
    return landed


def names_sql(src: SourceFile, keep_extra_columns: bool = False, alias: str = "r") -> str:
    """SQL: the column names of the cells cells_sql lists, in the same order (the file's, or for
    rows a profile mapped, the source record's keys), to tell the column names written again in
    the middle of an export (two pulls put together) from a record."""
    held = [ty.sql_text(n) for n, h in zip(src.header, held_columns(src, keep_extra_columns)) if h]
    landed = f"CAST([{', '.join(held)}] AS VARCHAR[])"
    if src.in_memory and "_record" in src.rows.column_names:
        record = f"CAST({alias}._record AS JSON)"
        return f"CASE WHEN json_type({record}) = 'OBJECT' THEN json_keys({record}) ELSE {landed} END"
    return landed


def _land_csv(con: duckdb.DuckDBPyConnection, reading: Reading, delim: str, names: list[str], held: list[str]) -> None:
    con.execute(
        f"""CREATE TEMP TABLE _land AS SELECT {", ".join(held)} FROM read_csv({ty.sql_text(str(reading.path))},
            delim='{delim}', quote='"', escape='"', header=true, all_varchar=true,
            encoding='{reading.encoding}', store_rejects=true,
            rejects_table='_rej', rejects_scan='_rej_scan', max_line_size={MAX_LINE_BYTES},
            auto_detect=false, columns={{{", ".join(f"'{n}': 'VARCHAR'" for n in names)}}})"""
    )


# A decimal point in a value: anywhere in a number; in an amount only before its last 1-2
# digits (its other points separate thousands: 1.145,00).
POINT_DECIMALS = {"number": r"[0-9]\.[0-9]", "amount": r"[0-9]\.[0-9]{1,2}$"}
RECORDS = "(SELECT rowid + 1 AS _rec, * FROM _land)"  # the landed records, numbered in file order


# The whole numbers a float holds exactly (2^53 for a double, 2^24 for a float): a larger one has
# lost digits already (12345678901234567 is stored as ...568), and written as a whole number it
# would load as another id; written in scientific notation (1.234567890123457e+16) it is set aside
# by the check that sets aside a spreadsheet's short form of a long number (contracts/checks.py).
EXACT_WHOLE = {"DOUBLE": 2.0 ** 53, "FLOAT": 2.0 ** 24}


def _parquet_cells(src: SourceFile, cols: list[tuple]) -> list[str]:
    """SQL: each Parquet column (DESCRIBE's rows) as the text a CSV of the same rows would write.
    A duration in minutes is counted in minutes (_duration_units). A whole number in a float or
    decimal column that fills a text column (an id, an NPI, a procedure code) is written without
    its decimals: pandas stores an integer column with a missing value as float64, so patient 6000
    is 6000.0, which matches no CSV, claim or workbook row (the Excel reader writes 6000 too); its
    NaN, pandas' missing value, is empty. Only the whole numbers the float holds exactly (EXACT_WHOLE)."""
    per_minute = _duration_units(src)
    texts = {c.name for c in src.table.columns if c.type in ("text", "code")}
    cells = []
    for name, kind, *_ in cols:
        ref = '"' + name.replace('"', '""') + '"'
        exact = EXACT_WHOLE.get(kind, 1e18 if kind.startswith("DECIMAL") else None)
        if normalise_column(name) in texts and exact is not None:
            inexact = (f"WHEN isnan({ref}) THEN NULL WHEN {ref} = trunc({ref}) AND abs({ref}) >= {exact} "
                       f"THEN format('{{:.15e}}', {ref}) ") if kind in EXACT_WHOLE else ""  # pandas' missing value; lost digits
            cells.append(f"CASE {inexact}WHEN {ref} = trunc({ref}) AND abs({ref}) < {exact} "
                         f"THEN CAST(CAST({ref} AS BIGINT) AS VARCHAR) ELSE CAST({ref} AS VARCHAR) END")
        else:
            cells.append(f"CAST({ref}{per_minute.get(name, '')} AS VARCHAR)")
    return cells


# Arrow durations in a Parquet file: DuckDB reads them as the bare count of their unit.
PER_MINUTE = {"s": 60, "ms": 60_000, "us": 60_000_000, "ns": 60_000_000_000}


def _duration_units(src: SourceFile) -> dict[str, str]:
    """For each duration column of a Parquet file that fills a column of minutes: the division
    that turns its count of units into minutes. A pandas timedelta or an Arrow duration in
    seconds is stored as a bare integer (900 seconds reads as 900), which read as minutes would
    bill fifteen hours for a quarter of an hour."""
    schema = pq.read_schema(src.path)
    minutes = {c.name for c in src.table.columns if c.format == "duration"}
    return {f.name: f" / {PER_MINUTE[f.type.unit]}" for f in schema
            if pa.types.is_duration(f.type) and normalise_column(f.name) in minutes}


def number_lines(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading, has_rejects: bool) -> str:
    """The landed records with `_rec` (1, 2, ... in file order) and `_line`, where each starts in
    the file (header = line 1, or the line below a title it is on), as a relation to select from;
    and temp._rej_lines, the same for the lines DuckDB rejected.

    DuckDB counts logical lines (a record with quoted line breaks is one; an empty line is
    one but no record). When the file's physical line count equals header + records, the
    two numberings agree and record order suffices; otherwise every record's start is read
    from the file (ingest/lines.py). Parquet rows are numbered from 1; in-memory rows carry
    the line of their source.
    """
    con.execute("CREATE TEMP TABLE _rej_lines (logical BIGINT, physical BIGINT)")
    if src.in_memory:
        return RECORDS
    if src.format == "parquet":
        return "(SELECT rowid + 1 AS _rec, rowid + 1 AS _line, * FROM _land)"
    if has_rejects:
        con.execute("INSERT INTO _rej_lines SELECT DISTINCT line, line + ? FROM _rej", [reading.offset])
    records = con.execute("SELECT (SELECT count(*) FROM _land) + (SELECT count(*) FROM _rej_lines)").fetchall()[0][0]
    single_lines = reading.lines == records + 1
    if not single_lines and load_record_map(con, reading.path, reading.encoding, src.delimiter) == records:
        con.execute("UPDATE _recmap SET physical = physical + $1, last_physical = last_physical + $1", [reading.offset])
        con.execute("UPDATE _rej_lines SET physical = m.physical FROM _recmap m WHERE m.logical = _rej_lines.logical")
        refuse_swallowed_lines(con, src)
        con.execute(
            """CREATE TEMP TABLE _lines AS
            SELECT row_number() OVER (ORDER BY logical) AS _rec, physical AS _line
            FROM _recmap WHERE logical NOT IN (SELECT logical FROM _rej_lines)"""
        )
    elif has_rejects:
        # One line per record (or, should Python and DuckDB split records differently, DuckDB's
        # logical lines): accepted record k is on the k-th line after the header not rejected.
        con.execute(
            """CREATE TEMP TABLE _lines AS
            WITH j AS (SELECT logical - row_number() OVER (ORDER BY logical) AS gap, row_number() OVER (ORDER BY logical) AS n FROM _rej_lines),
                 g AS (SELECT gap, max(n) AS n FROM j GROUP BY gap)
            SELECT l._rec, l._rec + 1 + coalesce(g.n, 0) + ? AS _line
            FROM (SELECT rowid + 1 AS _rec FROM _land) l ASOF LEFT JOIN g ON l._rec + 1 > g.gap""",
            [reading.offset],
        )
    else:
        return f"(SELECT rowid + 1 AS _rec, rowid + {2 + reading.offset:d} AS _line, * FROM _land)"
    return f"(SELECT l.*, m._line FROM {RECORDS} l JOIN _lines m USING (_rec))"


def refuse_swallowed_lines(con: duckdb.DuckDBPyConnection, src: SourceFile) -> None:
    """Refuse the file when a record DuckDB set aside for its quoting runs over several lines: a
    quote opened in a value and closed lines later, or never, makes the lines after it part of
    that one bad record, so their rows would end in a single quarantine entry or nowhere (an
    unclosed quote near the top of a 400,000-row export left 10 rows read). A record with a
    quoted line break set aside for another reason (a field too many) is quarantined as usual."""
    found = con.execute(
        """SELECT m.physical, m.last_physical FROM _recmap m SEMI JOIN _rej r ON r.line = m.logical AND r.error_type = 'UNQUOTED VALUE'
        WHERE m.last_physical > m.physical ORDER BY m.physical LIMIT 1"""
    ).fetchall()
    if found:
        first, last = found[0]
        raise FileRefused(src.path, f"line {first}: a quote opens a value that runs on to line {last}, so lines "
                                    f"{first}-{last} cannot be read as rows (an unclosed quote?); close the quote, "
                                    "or double a quote inside a value (\"\"), and load the file again")


def extra_json(src: SourceFile, kept: list[str]) -> str:
    extra = [(i, n) for i, n in enumerate(src.header) if n in kept]
    if not extra:
        return "CAST(NULL AS JSON)"
    return "json_object(" + ", ".join(f"{ty.sql_text(n or f'column_{i + 1}')}, c{i}" for i, n in extra) + ")"


def quarantine_rejects(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> None:
    """Quarantine the lines DuckDB could not split into the header's fields."""
    cases = " ".join(f"WHEN '{k}' THEN {ty.sql_text(v)}" for k, v in REJECT_REASONS.items())
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT ?, ?, ?, any_value(m.physical), ['csv: ' || lower(any_value(error_type))],
               CASE any_value(error_type) {cases} ELSE any_value(error_message) END,
               to_json(any_value(csv_line)), 'open', now()
        FROM _rej r JOIN _rej_lines m ON m.logical = r.line GROUP BY r.line""",
        [load_id, src.table.name, str(src.path)],
    )
