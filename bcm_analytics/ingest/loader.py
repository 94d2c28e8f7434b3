"""Load export files into the store: raw landing, typing, contract checks, quarantine, merge.

Each file loads in one transaction, all SQL over the whole file. The same file twice (same
hash) is recognised and changes nothing; an overlapping re-export adds only rows whose key is
new, and a known key with different values replaces the stored row, recording the change.

Every row read ends in exactly one place: staging (loaded), the quarantine (with its line and
reasons), or counted as a duplicate. A row set aside only because what it refers to is not
loaded yet (a time log whose patient comes in a later export) waits in the quarantine and is
admitted by the first load that supplies it.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from bcm_analytics import __version__
from bcm_analytics.contracts import checks as contract_checks
from bcm_analytics.contracts.sqlfiles import install_macros
from bcm_analytics.ingest import typing as ty
from bcm_analytics.ingest.lines import load_record_map
from bcm_analytics.ingest.readers import (
    FileRefused,
    SourceFile,
    _first_line,
    _quote,
    inspect,
    normalised_copy,
    scan,
    table_for,
)
from bcm_analytics.warehouse.store import TableSpec, table_specs

MAX_LINE_BYTES = 16 << 20  # a 10 MB free-text field is read (then judged), not a refusal

REJECT_REASONS = {
    "TOO MANY COLUMNS": "the line has more fields than the header (an unquoted delimiter inside a value?)",
    "MISSING COLUMNS": "the line has fewer fields than the header (a truncated or wrapped line?)",
    "UNQUOTED VALUE": "a quote character inside a value is not escaped",
    "LINE SIZE OVER MAXIMUM": "the line is longer than 16 MB",
    "INVALID UNICODE": "the line has bytes that are not valid text in the file's encoding",
}

TEMP_TABLES = ("_land", "_rej", "_rej_scan", "_recmap", "_lines", "_rej_lines", "_waiting", "_checked", "_repeats", "_merge", "_held", "_settled")


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
    extra_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False
    seconds: float = 0.0
    rows_waiting: int = 0  # of rows_quarantined: waiting for a row they refer to (status 'waiting')
    rows_warned: int = 0  # of rows_loaded: kept with a warning (meta.row_warnings)
    rows_admitted: int = 0  # rows of earlier loads this load admitted from the quarantine

    @property
    def adds_up(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_duplicate


@dataclass(frozen=True)
class Reading:
    """What DuckDB actually reads: the file, or a normalised copy of it."""

    path: Path
    encoding: str
    lines: int


def _parsing_sql() -> str:
    return resources.files("bcm_analytics.ingest").joinpath("parsing.sql").read_text()


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Install the temporary macros typing and checks use (per connection, never stored)."""
    con.execute(_parsing_sql())
    install_macros(con)


def discover(paths: list[str | Path]) -> tuple[list[Path], list[Path]]:
    """Files to load (in load order) and files in named folders that are not canonical tables."""
    specs = table_specs()
    order = {s.name: s.load_order for s in specs.values()}
    chosen, ignored = [], []
    for p in map(Path, paths):
        if not p.is_dir():
            chosen.append(p)
            continue
        for f in sorted(p.iterdir()):
            if f.is_file() and not f.name.startswith((".", "_")):
                try:
                    table_for(f)
                    chosen.append(f)
                except FileRefused:
                    ignored.append(f)

    def rank(f: Path) -> tuple[int, str]:
        try:
            return order[table_for(f).name], str(f)
        except FileRefused:
            return 0, str(f)

    return sorted(chosen, key=rank), ignored


def load_file(con: duckdb.DuckDBPyConnection, path: str | Path, table: str | None = None) -> FileResult:
    """Load one file, all or nothing. Raises FileRefused with a one-line reason."""
    started = time.perf_counter()
    src = inspect(path, table)
    prev = con.execute(
        "SELECT load_id, rows_read FROM meta.load_log WHERE file_hash = ? AND table_name = ?",
        [src.sha256, src.table.name],
    ).fetchall()
    if prev:
        prev = prev[0]
        return FileResult(src.path, src.table.name, prev[0], rows_read=prev[1], rows_duplicate=prev[1], already_loaded=True)
    prepare(con)
    with tempfile.TemporaryDirectory(prefix="bcm-load-") as folder:
        reading = _reading(src, Path(folder))
        con.execute("BEGIN TRANSACTION")
        try:
            result = _load(con, src, reading)
            con.execute("COMMIT")
        except duckdb.Error as e:
            con.execute("ROLLBACK")
            raise FileRefused(src.path, f"could not be loaded: {_first_line(e)}") from None
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            _drop_temp_tables(con)
    result.seconds = time.perf_counter() - started
    return result


def _reading(src: SourceFile, folder: Path) -> Reading:
    if not src.needs_copy:
        return Reading(src.path, src.encoding, src.lines)
    copy = normalised_copy(src, folder)
    return Reading(copy, "utf-8", scan(copy).lines)


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS temp._text")
    for t in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def _load(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading) -> FileResult:
    spec = src.table
    load_id = con.execute("SELECT nextval('meta.load_id_seq')").fetchall()[0][0]
    started_at = con.execute("SELECT now()").fetchall()[0][0]
    has_rejects = _land(con, src, reading)
    numbered = _number_lines(con, src, reading, has_rejects)

    position = {name: i for i, name in enumerate(src.header)}
    raw_cols = ", ".join(f"c{position[c]}" if c in position else "NULL" for c in spec.column_names)
    con.execute(
        f"INSERT INTO raw.{spec.name} SELECT ?, ?, _line, ?, {raw_cols}, {_extra_json(src)} FROM {numbered}",
        [load_id, str(src.path), src.sha256],
    )
    texts = ", ".join(
        f"nullif(trim(c{position[c]}), '') AS {ty.raw_name(c)}" if c in position else f"CAST(NULL AS VARCHAR) AS {ty.raw_name(c)}"
        for c in spec.column_names
    )
    con.execute(f"CREATE TEMP VIEW _text AS SELECT CAST({load_id} AS BIGINT) AS _load_id, {ty.sql_text(str(src.path))} AS _source_file, _line, {texts} FROM {numbered}")

    _check(con, spec)
    failed, waiting = _quarantine_failures(con, spec)
    rejected = _quarantine_rejects(con, load_id, src) if has_rejects else 0
    rows_read = con.execute("SELECT count(*) FROM _land").fetchall()[0][0] + rejected
    merged = _merge(con, spec)
    admitted = readmit(con, load_id, spec.name)

    result = FileResult(
        src.path, spec.name, load_id, rows_read=rows_read, rows_loaded=merged.loaded, rows_changed=merged.changed,
        rows_quarantined=failed + rejected + merged.conflicts, rows_duplicate=merged.duplicates,
        extra_columns=src.extra_columns, rows_waiting=waiting, rows_warned=merged.warned, rows_admitted=admitted,
    )
    con.execute(
        """INSERT INTO meta.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)""",
        [load_id, spec.name, str(src.path), src.sha256, src.format, src.encoding, src.delimiter,
         result.rows_read, result.rows_loaded, result.rows_changed, result.rows_quarantined,
         result.rows_duplicate, admitted, result.extra_columns, started_at, __version__],
    )
    return result


# --- reading the file -------------------------------------------------------------------


def _land(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading) -> bool:
    """Read the file into temp._land as text columns c0..cN in file order; True when DuckDB rejected lines.

    `_rec` numbers records in file order: for Parquet the reader's own row number; for CSV
    row_number() OVER (), which DuckDB computes in a streaming window that keeps the scan
    single-threaded and in order (checked on a million rows by tests/hostile/bench_load.py).
    """
    names = [f"c{i}" for i in range(len(src.header))]
    if src.format == "parquet":
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_quote(src.path)}')").fetchall()
        select = ", ".join(f'CAST("{c[0]}" AS VARCHAR) AS {n}' for c, n in zip(cols, names))
        con.execute(
            f"CREATE TEMP TABLE _land AS SELECT file_row_number + 1 AS _rec, {select} "
            f"FROM read_parquet('{_quote(src.path)}', file_row_number = true)"
        )
        return False
    delim = src.delimiter.replace("'", "''")
    con.execute(
        f"""CREATE TEMP TABLE _land AS SELECT row_number() OVER () AS _rec, * FROM read_csv('{_quote(reading.path)}',
            delim='{delim}', quote='"', escape='"', header=true, all_varchar=true,
            encoding='{reading.encoding}', store_rejects=true,
            rejects_table='_rej', rejects_scan='_rej_scan', max_line_size={MAX_LINE_BYTES},
            auto_detect=false, columns={{{", ".join(f"'{n}': 'VARCHAR'" for n in names)}}})"""
    )
    return con.execute("SELECT count(*) FROM _rej").fetchall()[0][0] > 0


def _number_lines(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading, has_rejects: bool) -> str:
    """The landed records with `_line`, where each starts in the file (header = line 1), as a
    relation to select from; and temp._rej_lines, the same for the lines DuckDB rejected.

    DuckDB counts logical lines (a record with quoted line breaks is one; an empty line is
    one but no record). When the file's physical line count equals header + records, the
    two numberings agree and record order suffices; otherwise every record's start is read
    from the file (ingest/lines.py). Parquet rows are numbered from 1.
    """
    con.execute("CREATE TEMP TABLE _rej_lines (logical BIGINT, physical BIGINT)")
    if src.format == "parquet":
        return "(SELECT *, _rec AS _line FROM _land)"
    if has_rejects:
        con.execute("INSERT INTO _rej_lines SELECT DISTINCT line, line FROM _rej")
    records = con.execute("SELECT (SELECT count(*) FROM _land) + (SELECT count(*) FROM _rej_lines)").fetchall()[0][0]
    single_lines = reading.lines == records + 1
    if not single_lines and load_record_map(con, reading.path, reading.encoding, src.delimiter) == records:
        con.execute("UPDATE _rej_lines SET physical = m.physical FROM _recmap m WHERE m.logical = _rej_lines.logical")
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
            SELECT l._rec, l._rec + 1 + coalesce(g.n, 0) AS _line
            FROM (SELECT _rec FROM _land) l ASOF LEFT JOIN g ON l._rec + 1 > g.gap"""
        )
    else:
        return "(SELECT *, _rec + 1 AS _line FROM _land)"
    return "(SELECT l.*, m._line FROM _land l JOIN _lines m USING (_rec))"


def _extra_json(src: SourceFile) -> str:
    extra = [(i, n) for i, n in enumerate(src.header) if n in src.extra_columns]
    if not extra:
        return "CAST(NULL AS JSON)"
    return "json_object(" + ", ".join(f"{ty.sql_text(n or f'column_{i + 1}')}, c{i}" for i, n in extra) + ")"


# --- checks and quarantine ----------------------------------------------------------------


def _check(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """temp._checked: each row of temp._text, typed, framed, with its failures and warnings."""
    con.execute(f"CREATE TEMP TABLE _checked AS {contract_checks.checked_sql(spec.name, '_text')}")


def _record(spec: TableSpec, alias: str = "") -> str:
    """The row as the export wrote it (trimmed text), for the quarantine and change log."""
    prefix = f"{alias}." if alias else ""
    return "to_json(struct_pack(" + ", ".join(f"{c} := {prefix}{ty.raw_name(c)}" for c in spec.column_names) + "))"


def _quarantine_failures(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int]:
    """Quarantine the rows of temp._checked that fail a reject check; returns (rows, waiting)."""
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT _load_id, '{spec.name}', _source_file, _line, list_transform(_failures, lambda x: x.name),
               array_to_string(list_transform(_failures, lambda x: x.reason), '; '), {_record(spec)},
               CASE WHEN list_bool_and(list_transform(_failures, lambda x: x.waits)) THEN 'waiting' ELSE 'open' END, now()
        FROM _checked WHERE len(_failures) > 0"""
    )
    _hold(con, spec, "len(_failures) > 0 AND list_bool_and(list_transform(_failures, lambda x: x.waits))")
    return con.execute(
        "SELECT count(*), count(*) FILTER (WHERE list_bool_and(list_transform(_failures, lambda x: x.waits))) FROM _checked WHERE len(_failures) > 0"
    ).fetchall()[0]


def _hold(con: duckdb.DuckDBPyConnection, spec: TableSpec, waiting: str) -> None:
    """Waiting rows whose check names a holding table (claims without a known patient) go there too."""
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        names = [c.name for c in contract_checks.row_checks(spec.name) if c.kept_in == target]
        listed = ", ".join(ty.sql_text(n) for n in names)
        cols = [n for n, _ in spec.staging_columns()]
        key = ", ".join(spec.key)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _held AS
            SELECT {", ".join(cols)}, _load_id, _source_file, _line, {_row_hash(spec)} AS _row_hash FROM _checked
            WHERE {waiting} AND len(list_filter(_failures, lambda x: list_contains([{listed}], x.name))) > 0
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _line) = 1"""
        )
        con.execute(f"DELETE FROM {target} h USING _held s WHERE {_key_join(spec, 'h', 's')}")
        con.execute(f"INSERT INTO {target} SELECT * FROM _held")


def _quarantine_rejects(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> int:
    """Quarantine the lines DuckDB could not split into the header's fields; returns how many."""
    cases = " ".join(f"WHEN '{k}' THEN {ty.sql_text(v)}" for k, v in REJECT_REASONS.items())
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT ?, ?, ?, any_value(m.physical), ['csv: ' || lower(any_value(error_type))],
               CASE any_value(error_type) {cases} ELSE any_value(error_message) END,
               to_json(any_value(csv_line)), 'open', now()
        FROM _rej r JOIN _rej_lines m ON m.logical = r.line GROUP BY r.line""",
        [load_id, src.table.name, str(src.path)],
    )
    return con.execute("SELECT count(*) FROM _rej_lines").fetchall()[0][0]


# --- merge into staging -------------------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    loaded: int
    changed: int
    duplicates: int
    conflicts: int
    warned: int


def _row_hash(spec: TableSpec) -> str:
    cols = [n for n, _ in spec.staging_columns()]
    return "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(30))" for c in cols) + "))"


def _key_join(spec: TableSpec, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in spec.key)


def _key_text(spec: TableSpec, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return " || '/' || ".join(f"CAST({prefix}{k} AS VARCHAR)" for k in spec.key)


def _merge(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> Merged:
    """Merge the rows of temp._checked that passed into staging (new, changed or duplicate).

    Within one batch the first row of a key wins; a later row identical to it is a
    duplicate, a later row with other values is quarantined (the export contradicts itself).
    Repeated keys are rare, so only their rows go through the window that ranks them.
    """
    name = spec.name
    staging_cols = [n for n, _ in spec.staging_columns()]
    key = ", ".join(spec.key)
    valid = f"""(SELECT {", ".join(staging_cols)}, _load_id, _source_file, _line, _warnings, {_row_hash(spec)} AS _row_hash
                FROM _checked WHERE len(_failures) = 0)"""
    con.execute(
        f"""CREATE TEMP TABLE _repeats AS
        WITH keys AS (SELECT {key} FROM _checked WHERE len(_failures) = 0 GROUP BY ALL HAVING count(*) > 1),
             ranked AS (SELECT v.*, row_number() OVER w AS _rn, first(v._row_hash) OVER w AS _first_hash, first(v._line) OVER w AS _first_line
                        FROM {valid} v SEMI JOIN keys k ON {_key_join(spec, 'v', 'k')}
                        WINDOW w AS (PARTITION BY {", ".join(f"v.{k}" for k in spec.key)} ORDER BY v._load_id, v._line))
        SELECT * FROM ranked WHERE _rn > 1"""
    )
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT r._load_id, '{name}', r._source_file, r._line, ['{key} unique within file'],
               '{key} ' || {_key_text(spec, 'r')} || ' appears again with different values (first at line ' || r._first_line
               || '); fix the export so each key appears once',
               {_record(spec, 'c')}, 'open', now()
        FROM _repeats r JOIN _checked c ON c._load_id = r._load_id AND c._line = r._line
        WHERE r._row_hash <> r._first_hash"""
    )
    con.execute(
        f"""CREATE TEMP TABLE _merge AS
        SELECT v.*,
               CASE WHEN s._row_hash IS NULL THEN 'new' WHEN s._row_hash = v._row_hash THEN 'duplicate' ELSE 'changed' END AS _status,
               CASE WHEN s._row_hash <> v._row_hash THEN to_json(s) END AS _old
        FROM {valid} v
        ANTI JOIN _repeats r ON r._load_id = v._load_id AND r._line = v._line
        LEFT JOIN staging.{name} s ON {_key_join(spec, 'v', 's')}"""
    )
    con.execute(
        f"""INSERT INTO meta.row_changes
        SELECT m._load_id, '{name}', {_key_text(spec, 'm')}, m._source_file, m._line, m._old, {_record(spec, 'c')}, now()
        FROM _merge m JOIN _checked c ON c._load_id = m._load_id AND c._line = m._line WHERE m._status = 'changed'"""
    )
    con.execute(f"DELETE FROM staging.{name} s USING _merge v WHERE {_key_join(spec, 'v', 's')} AND v._status = 'changed'")
    con.execute(
        f"""INSERT INTO staging.{name}
        SELECT {", ".join(staging_cols)}, _load_id, _source_file, _line, _row_hash FROM _merge WHERE _status IN ('new', 'changed')"""
    )
    con.execute(
        f"""INSERT INTO meta.row_warnings
        SELECT _load_id, '{name}', _source_file, _line, {_key_text(spec)}, w.name, w.reason, now()
        FROM (SELECT *, unnest(_warnings) AS w FROM _merge WHERE _status IN ('new', 'changed') AND len(_warnings) > 0)"""
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(name) if c.kept_in}):
        con.execute(f"DELETE FROM {target} h USING _merge m WHERE {_key_join(spec, 'h', 'm')} AND m._load_id >= h._load_id")
    counts = con.execute(
        """SELECT count(*) FILTER (WHERE _status IN ('new', 'changed')), count(*) FILTER (WHERE _status = 'changed'),
                  count(*) FILTER (WHERE _status = 'duplicate'),
                  count(*) FILTER (WHERE _status IN ('new', 'changed') AND len(_warnings) > 0) FROM _merge"""
    ).fetchall()[0]
    repeats = con.execute(
        "SELECT count(*) FILTER (WHERE _row_hash = _first_hash), count(*) FILTER (WHERE _row_hash <> _first_hash) FROM _repeats"
    ).fetchall()[0]
    return Merged(loaded=counts[0], changed=counts[1], duplicates=counts[2] + repeats[0], conflicts=repeats[1], warned=counts[3])


# --- rows waiting in the quarantine --------------------------------------------------------


def readmit(con: duckdb.DuckDBPyConnection, load_id: int, loaded_table: str) -> int:
    """Re-examine waiting rows that the table just loaded may complete; returns rows admitted.

    Runs inside the load's transaction, after its merge. Waiting rows of earlier loads of the
    loaded table itself are re-examined too, so one whose key the new file re-exported is
    marked superseded rather than admitted later over the newer version.
    """
    admitted = 0
    for spec in table_specs().values():
        waits_for = {c.waits_for for c in contract_checks.row_checks(spec.name) if c.waits_for}
        if loaded_table in waits_for:
            before = load_id + 1  # every waiting row
        elif loaded_table == spec.name:
            before = load_id  # rows of earlier loads only: this load's rows have just been judged
        else:
            continue
        waiting = con.execute(
            "SELECT count(*) FROM meta.quarantine WHERE table_name = ? AND status = 'waiting' AND load_id < ?", [spec.name, before]
        ).fetchall()[0][0]
        if waiting:
            admitted += _readmit_table(con, spec, before)
    return admitted


def _readmit_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, before: int) -> int:
    _drop_temp_tables(con)
    texts = ", ".join(f"q.record ->> '{c}' AS {ty.raw_name(c)}" for c in spec.column_names)
    con.execute(
        f"""CREATE TEMP TABLE _waiting AS
        SELECT q.load_id AS _load_id, q.source_file AS _source_file, q.line_number AS _line, {texts}
        FROM meta.quarantine q WHERE q.table_name = ? AND q.status = 'waiting' AND q.load_id < ?""",
        [spec.name, before],
    )
    con.execute("CREATE TEMP VIEW _text AS SELECT * FROM _waiting")
    _check(con, spec)
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
        """INSERT INTO _settled SELECT _load_id, _line, 'open' FROM _checked
        WHERE len(_failures) > 0 AND NOT list_bool_and(list_transform(_failures, lambda x: x.waits))"""
    )
    con.execute(
        f"""UPDATE meta.quarantine q SET status = 'open', failed_checks = list_transform(c._failures, lambda x: x.name),
               reason = array_to_string(list_transform(c._failures, lambda x: x.reason), '; ')
        FROM _checked c WHERE q.table_name = '{spec.name}' AND q.status = 'waiting'
          AND q.load_id = c._load_id AND q.line_number = c._line
          AND len(c._failures) > 0 AND NOT list_bool_and(list_transform(c._failures, lambda x: x.waits))"""
    )
    con.execute("INSERT INTO _settled SELECT _load_id, _line, 'admitted' FROM _checked WHERE len(_failures) = 0")
    _merge(con, spec)
    con.execute(
        f"""UPDATE meta.quarantine q SET status = s.status FROM _settled s
        WHERE q.table_name = '{spec.name}' AND q.status = 'waiting' AND q.load_id = s._load_id AND q.line_number = s._line"""
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        con.execute(
            f"DELETE FROM {target} h USING _settled s WHERE h._load_id = s._load_id AND h._line = s._line"
        )
    return con.execute("SELECT count(*) FROM _settled WHERE status = 'admitted'").fetchall()[0][0]


def load_paths(con: duckdb.DuckDBPyConnection, paths: list[str | Path], progress: bool = False):
    """Load files and folders in load order; yields (path, FileResult | FileRefused)."""
    files, _ = discover(paths)
    from tqdm import tqdm

    for path in tqdm(files, desc="loading", unit="file", disable=not progress, leave=False):
        try:
            yield path, load_file(con, path)
        except FileRefused as refused:
            yield path, refused
