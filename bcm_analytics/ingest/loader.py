"""Load export files into the store: raw landing, typing, row checks, quarantine, merge.

Each file loads in one transaction, all SQL over the whole file. The same file twice (same
hash) is recognised and changes nothing; an overlapping re-export adds only rows whose key is
new, and a known key with different values replaces the stored row, recording the change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from bcm_analytics import __version__
from bcm_analytics.contracts import row_checks
from bcm_analytics.ingest import typing as ty
from bcm_analytics.ingest.readers import FileRefused, SourceFile, _first_line, _quote, inspect, table_for
from bcm_analytics.warehouse.store import TableSpec, table_specs

MAX_LINE_BYTES = 16 << 20  # a 10 MB free-text field is read (then judged), not a refusal

REJECT_REASONS = {
    "TOO MANY COLUMNS": "the line has more fields than the header (an unquoted delimiter inside a value?)",
    "MISSING COLUMNS": "the line has fewer fields than the header (a truncated or wrapped line?)",
    "UNQUOTED VALUE": "a quote character inside a value is not escaped",
    "LINE SIZE OVER MAXIMUM": "the line is longer than 16 MB",
    "INVALID UNICODE": "the line has bytes that are not valid text in the file's encoding",
}


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

    @property
    def adds_up(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_duplicate


def _parsing_sql() -> str:
    return resources.files("bcm_analytics.ingest").joinpath("parsing.sql").read_text()


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
    ).fetchone()
    if prev:
        return FileResult(src.path, src.table.name, prev[0], rows_read=prev[1], rows_duplicate=prev[1], already_loaded=True)
    con.execute(_parsing_sql())
    con.execute("BEGIN TRANSACTION")
    try:
        result = _load(con, src)
        con.execute("COMMIT")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise FileRefused(src.path, f"could not be loaded: {_first_line(e)}") from None
    finally:
        for t in ("_land", "_rows", "_typed", "_checked", "_valid", "_merge", "_rej", "_rej_scan"):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")
    result.seconds = time.perf_counter() - started
    return result


def _land(con: duckdb.DuckDBPyConnection, src: SourceFile) -> bool:
    """Read the file into temp._land as text columns c0..cN; True when CSV rejects exist."""
    names = [f"c{i}" for i in range(len(src.header))]
    if src.format == "parquet":
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_quote(src.path)}')").fetchall()
        select = ", ".join(f'CAST("{c[0]}" AS VARCHAR) AS {n}' for c, n in zip(cols, names))
        con.execute(f"CREATE TEMP TABLE _land AS SELECT row_number() OVER () AS _rec, {select} FROM read_parquet('{_quote(src.path)}')")
        return False
    delim = src.delimiter.replace("'", "''")
    con.execute(
        f"""CREATE TEMP TABLE _land AS SELECT row_number() OVER () AS _rec, * FROM read_csv('{_quote(src.path)}',
            delim='{delim}', quote='"', escape='"', header=true, all_varchar=true,
            encoding='{src.encoding}', store_rejects=true,
            rejects_table='_rej', rejects_scan='_rej_scan', max_line_size={MAX_LINE_BYTES},
            auto_detect=false, columns={{{", ".join(f"'{n}': 'VARCHAR'" for n in names)}}})"""
    )
    return con.execute("SELECT count(*) FROM _rej").fetchone()[0] > 0


def _number_lines(con: duckdb.DuckDBPyConnection, has_rejects: bool) -> None:
    """Give each accepted row its line in the file (header = line 1, one line per record).

    DuckDB numbers rejected lines itself; an accepted row's line is its position among the
    lines that were not rejected, found with an ASOF join on the rejected lines.
    """
    if not has_rejects:
        con.execute("CREATE TEMP TABLE _rows AS SELECT * EXCLUDE (_rec), _rec + 1 AS _line FROM _land")
        return
    con.execute(
        """CREATE TEMP TABLE _rows AS
        WITH r AS (SELECT DISTINCT line FROM _rej),
             j AS (SELECT line - row_number() OVER (ORDER BY line) AS gap, row_number() OVER (ORDER BY line) AS n FROM r),
             g AS (SELECT gap, max(n) AS n FROM j GROUP BY gap)
        SELECT l.* EXCLUDE (_rec), l._rec + 1 + coalesce(g.n, 0) AS _line
        FROM _land l ASOF LEFT JOIN g ON l._rec + 1 > g.gap"""
    )


def _quarantine_rejects(con: duckdb.DuckDBPyConnection, load_id: int, src: SourceFile) -> None:
    cases = " ".join(f"WHEN '{k}' THEN {ty.sql_text(v)}" for k, v in REJECT_REASONS.items())
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT ?, ?, ?, line, ['csv: ' || lower(any_value(error_type))],
               CASE any_value(error_type) {cases} ELSE any_value(error_message) END,
               to_json(any_value(csv_line)), 'open', now()
        FROM _rej GROUP BY line""",
        [load_id, src.table.name, str(src.path)],
    )


def _typed_select(spec: TableSpec, src: SourceFile) -> str:
    position = {name: i for i, name in enumerate(src.header)}
    raws = [
        f"nullif(trim(c{position[c]}), '') AS {ty.raw_name(c)}" if c in position else f"CAST(NULL AS VARCHAR) AS {ty.raw_name(c)}"
        for c in spec.column_names
    ]
    return ", ".join(["_line"] + raws + ty.typed_expressions(spec))


def _extra_json(src: SourceFile) -> str:
    extra = [(i, n) for i, n in enumerate(src.header) if n in src.extra_columns]
    if not extra:
        return "CAST(NULL AS JSON)"
    return "json_object(" + ", ".join(f"{ty.sql_text(n or f'column_{i + 1}')}, c{i}" for i, n in extra) + ")"


def _row_hash(spec: TableSpec) -> str:
    cols = [n for n, _ in spec.staging_columns()]
    return "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(30))" for c in cols) + "))"


def _load(con: duckdb.DuckDBPyConnection, src: SourceFile) -> FileResult:
    spec = src.table
    load_id = con.execute("SELECT nextval('meta.load_id_seq')").fetchone()[0]
    started_at = con.execute("SELECT now()").fetchone()[0]
    has_rejects = _land(con, src)
    _number_lines(con, has_rejects)
    prov = [load_id, str(src.path)]

    position = {name: i for i, name in enumerate(src.header)}
    raw_cols = ", ".join(f"c{position[c]}" if c in position else "NULL" for c in spec.column_names)
    con.execute(f"INSERT INTO raw.{spec.name} SELECT ?, ?, _line, ?, {raw_cols}, {_extra_json(src)} FROM _rows", prov + [src.sha256])

    con.execute(f"CREATE TEMP TABLE _typed AS SELECT {_typed_select(spec, src)} FROM _rows")
    checks = [c for c in row_checks(spec.name) if c.severity == "reject"]
    failures = ", ".join(
        f"CASE WHEN ({c.passes}) IS NOT TRUE THEN {{'check': {ty.sql_text(c.name)}, 'reason': {c.reason}}} END" for c in checks
    ) or "NULL"
    con.execute(f"CREATE TEMP TABLE _checked AS SELECT *, list_filter([{failures}], lambda x: x IS NOT NULL) AS _failures FROM _typed")

    record = "to_json(struct_pack(" + ", ".join(f"{c} := {ty.raw_name(c)}" for c in spec.column_names) + "))"
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT ?, '{spec.name}', ?, _line, list_transform(_failures, lambda x: x.check),
               array_to_string(list_transform(_failures, lambda x: coalesce(x.reason, x.check || ' failed')), '; '),
               {record}, 'open', now()
        FROM _checked WHERE len(_failures) > 0""",
        [load_id, str(src.path)],
    )
    if has_rejects:
        _quarantine_rejects(con, load_id, src)

    staging_cols = [n for n, _ in spec.staging_columns()]
    key = ", ".join(spec.key)
    con.execute(
        f"""CREATE TEMP TABLE _valid AS
        WITH v AS (SELECT {", ".join(staging_cols)}, _line, {_row_hash(spec)} AS _row_hash, {record} AS _record
                   FROM _checked WHERE len(_failures) = 0)
        SELECT *, row_number() OVER w AS _rn, first(_row_hash) OVER w AS _first_hash, first(_line) OVER w AS _first_line
        FROM v WINDOW w AS (PARTITION BY {key} ORDER BY _line)"""
    )
    key_text = " || '/' || ".join(f"CAST({k} AS VARCHAR)" for k in spec.key)
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT ?, '{spec.name}', ?, _line, ['{key}: unique within file'],
               '{key} ' || {key_text} || ' appears again with different values (first at line ' || _first_line || '); fix the export so each key appears once',
               _record, 'open', now()
        FROM _valid WHERE _rn > 1 AND _row_hash <> _first_hash""",
        prov,
    )
    join = " AND ".join(f"v.{k} = s.{k}" for k in spec.key)
    con.execute(
        f"""CREATE TEMP TABLE _merge AS
        SELECT v.* EXCLUDE (_rn, _first_hash, _first_line),
               CASE WHEN s._row_hash IS NULL THEN 'new' WHEN s._row_hash = v._row_hash THEN 'duplicate' ELSE 'changed' END AS _status,
               CASE WHEN s._row_hash <> v._row_hash THEN to_json(s) END AS _old
        FROM _valid v LEFT JOIN staging.{spec.name} s ON {join}
        WHERE v._rn = 1"""
    )
    con.execute(
        f"""INSERT INTO meta.row_changes
        SELECT ?, '{spec.name}', {key_text}, ?, _line, _old, _record, now() FROM _merge WHERE _status = 'changed'""",
        prov,
    )
    con.execute(
        f"DELETE FROM staging.{spec.name} s USING _merge v WHERE {join} AND v._status = 'changed'"
    )
    con.execute(
        f"""INSERT INTO staging.{spec.name}
        SELECT {", ".join(staging_cols)}, ?, ?, _line, _row_hash FROM _merge WHERE _status IN ('new', 'changed')""",
        prov,
    )
    counts = con.execute(
        f"""SELECT
          (SELECT count(*) FROM _land) + (SELECT count(DISTINCT line) FROM {"_rej" if has_rejects else "(SELECT NULL AS line WHERE false)"}),
          (SELECT count(*) FROM _merge WHERE _status IN ('new', 'changed')),
          (SELECT count(*) FROM _merge WHERE _status = 'changed'),
          (SELECT count(*) FROM meta.quarantine WHERE load_id = ?),
          (SELECT count(*) FROM _merge WHERE _status = 'duplicate') + (SELECT count(*) FROM _valid WHERE _rn > 1 AND _row_hash = _first_hash)""",
        [load_id],
    ).fetchone()
    result = FileResult(src.path, spec.name, load_id, *counts, extra_columns=src.extra_columns)
    con.execute(
        """INSERT INTO meta.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, now(), ?)""",
        [load_id, spec.name, str(src.path), src.sha256, src.format, src.encoding, src.delimiter,
         result.rows_read, result.rows_loaded, result.rows_changed, result.rows_quarantined,
         result.rows_duplicate, result.extra_columns, started_at, __version__],
    )
    return result


def load_paths(con: duckdb.DuckDBPyConnection, paths: list[str | Path]):
    """Load files and folders in load order; yields (path, FileResult | FileRefused) as each ends."""
    files, _ = discover(paths)
    for path in files:
        try:
            yield path, load_file(con, path)
        except FileRefused as refused:
            yield path, refused
