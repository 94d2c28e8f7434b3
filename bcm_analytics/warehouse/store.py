"""Open the store and keep its schema current.

The staging and raw tables are generated from data_contracts/tables.yaml so the export format
is written down once; the audit tables and the core views are plain SQL in schema.sql.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from functools import cache
from pathlib import Path

import duckdb

from bcm_analytics import failures, private_files
from bcm_analytics.config import settings as config
from bcm_analytics.contracts.snippets import install_macros
from bcm_analytics.contracts.tables import CONTRACTS_DIR, ColumnSpec, TableSpec, table_specs  # noqa: F401  (re-exported)
from bcm_analytics.sqlfiles import read_sql
from bcm_analytics.warehouse import integrity
from bcm_analytics.warehouse.integrity import StoreError

PROVENANCE = [
    ("_load_id", "BIGINT"),
    ("_source_file", "VARCHAR"),
    ("_line", "BIGINT"),
]
# what a staging row holds besides its table's columns (`bcm changes` leaves them out of a row's versions)
STAGING_PROVENANCE = PROVENANCE + [("_row_hash", "UBIGINT")]


def _create_table_sql(schema: str, spec: TableSpec) -> str:
    if schema == "raw":
        cols = PROVENANCE + [("_file_hash", "VARCHAR")]
        cols += [(c, "VARCHAR") for c in spec.column_names] + [("_extra", "JSON")]
    else:
        # _row_hash is a number (ingest/rows.py). A store made when it was text keeps its text
        # column: the loader's numbers are cast to text on insert, the same text it always held.
        cols = spec.staging_columns() + STAGING_PROVENANCE
    body = ",\n  ".join(f"{n} {t}" for n, t in cols)
    return f"CREATE TABLE IF NOT EXISTS {schema}.{spec.name} (\n  {body}\n)"


def _sql_file(name: str) -> str:
    return read_sql("bcm_analytics.warehouse", name)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; never drops data. Views are recreated so code and store agree,
    and the store records which schema that was (schema_digest)."""
    for schema in ("raw", "staging", "meta", "core"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for spec in table_specs().values():
        con.execute(_create_table_sql("raw", spec))
        con.execute(_create_table_sql("staging", spec))
        _add_new_columns(con, spec)
    con.execute(_sql_file("schema.sql"))
    if _recorded_schema(con) != schema_digest():
        # made or last written by another version: what an earlier bcm's loads left that this
        # one's would not (a row waiting under two loads) is settled as this bcm's loads settle it;
        # imported here: the ingest package brings its readers, which opening a store does not need
        from bcm_analytics.ingest.rows import settle_set_aside_again

        install_macros(con)
        settle_set_aside_again(con)
        _drop_retired(con)
        con.execute("INSERT OR REPLACE INTO meta.store_settings VALUES ('schema', ?, NULL, now())", [schema_digest()])


def _drop_retired(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the core views and macros an earlier bcm made and this one does not (core.enrolment_gaps,
    replaced by core.discharged_before): a person querying the store with any DuckDB client would
    take them for current, while nothing keeps them so. schema.sql makes every core object."""
    made = set(re.findall(r"CREATE OR REPLACE (?:VIEW|MACRO) core\.(\w+)", _sql_file("schema.sql")))
    here = "database_name = current_database() AND schema_name = 'core'"
    for (name,) in con.execute(f"SELECT view_name FROM duckdb_views() WHERE {here}").fetchall():
        if name not in made:
            con.execute(f"DROP VIEW core.{name}")
    for (name,) in con.execute(f"SELECT DISTINCT function_name FROM duckdb_functions() WHERE {here} "
                               "AND function_type IN ('macro', 'table_macro')").fetchall():
        if name not in made:
            con.execute(f"DROP MACRO core.{name}")  # a table macro too


@cache
def schema_digest() -> str:
    """The tables and views this version of bcm reads, as one digest: a store recording another
    was made or last written by another version, whose tables may lack a column this one reads."""
    text = "\n".join([_sql_file("schema.sql")] + [
        _create_table_sql(schema, spec) for spec in table_specs().values() for schema in ("raw", "staging")])
    return hashlib.sha256(text.encode()).hexdigest()


def _recorded_schema(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        found = con.execute("SELECT value FROM meta.store_settings WHERE name = 'schema'").fetchall()
    except duckdb.CatalogException:  # a store made before the settings table
        return None
    return found[0][0] if found else None


def _check_schema_current(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A command that only reads cannot bring an older store's tables and views up to date (it
    opens the file read-only, beside other readers): it would fail half-way on a missing column."""
    if _recorded_schema(con) != schema_digest():
        raise StoreError(
            f"{path} was made or last written by another version of bcm; bring it up to date with "
            f"`bcm build --db {path}` (it adds what this version reads and keeps every row), then run the command again")


def _add_new_columns(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """A column added to tables.yaml (claims.modifier) is added to a store made before it."""
    for schema, cols in (("raw", [(c, "VARCHAR") for c in spec.column_names]), ("staging", spec.staging_columns())):
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
            [schema, spec.name]).fetchall()}
        for name, kind in cols:
            if name not in have:
                con.execute(f"ALTER TABLE {schema}.{spec.name} ADD COLUMN {name} {kind}")


class SettingError(StoreError):
    """A setting the store is opened with (time zone, memory limit, wait) is not valid."""


LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
DAMAGED = ("Corrupt database file", "Could not read enough bytes", "not a valid DuckDB database")
log = logging.getLogger(__name__)


def connect(
    db: str | Path | None = None, *, read_only: bool = False, timezone: str | None = None, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (or create) the store and set the program time zone for the core views: the zone the
    store's first load recorded (meta.store_settings), else `timezone`, $BCM_TIMEZONE or the
    default. A zone given (`timezone` or $BCM_TIMEZONE) that is not the store's is refused with
    SettingError before anything is written: it would move the months of entries already loaded.

    Read-only connections share the file with other readers. A store another process holds is
    waited for up to `wait` seconds (default $BCM_WAIT, 30). Anything that makes the store
    unusable (locked, permission denied, not a DuckDB file, damaged, a bad setting) raises
    StoreError with one line naming the file and what to do. The store file is 0600.
    """
    path = Path(db if db is not None else config.default_db_path())
    timezone = timezone or config.chosen_timezone()
    if timezone is not None:
        _check_timezone(timezone)
    if str(path) == ":memory:":
        try:
            con = duckdb.connect(":memory:", config=_duckdb_config())
        except duckdb.Error as e:
            raise _open_error(path, e) from None
        return _prepare(con, None, read_only, timezone)
    new = not (path.exists() or os.path.islink(path))
    if not new:
        integrity.check_header(path)
    elif read_only:
        raise StoreError(f"no store at {path}; create one with `bcm load PATH --db {path}`")
    else:
        private_files.make_folder(path.parent)
    try:
        wait = config.wait_seconds() if wait is None else wait
    except ValueError as e:
        raise SettingError(str(e)) from None
    con = _open_waiting(path, read_only, wait)
    return _prepare(con, path, read_only, timezone, new)


def close_after_writing(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint and close a connection that wrote to the store, recording the file as verified
    (integrity.record_written). Only for a command that finished: after a failure, close()."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    if path:  # an in-memory store has none
        con.execute("CHECKPOINT")
        integrity.record_written(Path(path), private_files.verified_marker(path))
    con.close()


def _duckdb_config() -> dict:
    """The same for every connection of a process (DuckDB refuses a second connection to a file
    with other settings). The spill folder is set once the file has passed its checks.

    No vacuum at checkpoints: DuckDB would rewrite every table holding deleted rows at each one,
    and a monthly update deletes rows it writes again; the marts build compacts them when they
    are due (models.build.COMPACT_AT)."""
    return {"memory_limit": config.memory_limit(), "max_vacuum_tasks": 0}


def _open_waiting(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting while another process holds its lock; then say who holds it."""
    settings = _duckdb_config()
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            with private_files.private_umask():  # a new store (and its write-ahead log) is born 0600
                return duckdb.connect(str(path), read_only=read_only, config=settings)
        except duckdb.Error as e:
            holder = LOCK_HOLDER.search(str(e))
            if holder is None:
                raise _open_error(path, e) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreError(
                    f"{path} is in use by {_process(holder)}; waited {wait:g} s: try again when it has finished"
                    " (or wait longer with --wait SECONDS or $BCM_WAIT)"
                ) from None
            if delay == 0.05:
                log.info("%s is in use by %s; waiting up to %g s", path, _process(holder), wait)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 1.0)


@cache
def _check_timezone(tz: str) -> None:
    """The program time zone must be one DuckDB knows (checked before any file is touched)."""
    with duckdb.connect() as con:
        if not con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [tz]).fetchall()[0][0]:
            raise SettingError(f"unknown time zone {tz!r} (--timezone or $BCM_TIMEZONE); use an IANA name such as America/Chicago")


def _prepare(con, path: Path | None, read_only: bool, timezone: str | None, new: bool = False) -> duckdb.DuckDBPyConnection:
    """Checks that need the file open (and locked), then the schema and the time zone. A store
    this call created (`new`) that fails on the way is removed again, while no load is in it (one
    another first load into the path may have made since): a run out of memory while writing the
    schema left a store of nothing that the next command took for a program's."""
    try:
        if path is not None:
            _check_is_a_store(con, path, read_only)
            timezone = store_timezone(con, path, timezone)
            used = con.execute("SELECT used_blocks FROM pragma_database_size()").fetchall()[0][0]
            integrity.check_blocks(path, used, private_files.verified_marker(path))
            if read_only:
                _check_schema_current(con, path)
            else:
                private_files.set_mode(path)
        spill = str(private_files.run_folder(path) / "duckdb")
        if con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] != spill:
            escaped = spill.replace("'", "''")
            con.execute(f"SET temp_directory = '{escaped}'")  # DuckDB's spill files: private, beside the store
        if not read_only:
            with private_files.private_umask():
                ensure_schema(con)
        con.execute("SET VARIABLE bcm_timezone = ?", [timezone or config.DEFAULT_TIMEZONE])
        # The session is UTC whatever the computer's zone, which DuckDB takes by default and which
        # then decides how an instant (a load's time) reaches Python and a CSV: the same store gave
        # other files on a laptop in Chicago than in CI. The SQL names the program's zone wherever it
        # reads a local time (core.local_time); pages show instants on its clock (formats.clock).
        con.execute("SET TimeZone = 'UTC'")
    except BaseException:
        empty = new and holds_no_load(con)
        con.close()
        if empty:
            remove_store(path)
        raise
    return con


def holds_no_load(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store holds no load at all (not even the table that records them); False when
    the connection can no longer tell, so that a store is never removed on a guess."""
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'load_log'").fetchone()[0]:
            return True
        return con.execute("SELECT count(*) FROM meta.load_log").fetchone()[0] == 0
    except duckdb.Error:
        return False


def remove_store(db: Path) -> None:
    """Delete a store file (and its write-ahead log) that holds nothing a load put there."""
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    private_files.discard(db)  # and its private temp folder beside it


def store_timezone(con, path: Path, given: str | None) -> str | None:
    """The zone the store recorded at its first load, else `given` (None: the default). A zone
    given that is not the store's is refused: a load in it would give its evening entries other
    months than the loads before, and a report would move theirs (billing_rules.md s3)."""
    try:
        found = con.execute("SELECT value FROM meta.store_settings WHERE name = 'timezone'").fetchall()
    except duckdb.CatalogException:  # a new store, or one made before the table
        return given
    if not found:
        return given
    recorded = found[0][0]
    if given is not None and given != recorded:
        raise SettingError(
            f"{path} is in time zone {recorded} (its first load's), not {given} (--timezone or $BCM_TIMEZONE): "
            f"months of the entries it holds are in {recorded}; leave out --timezone and unset BCM_TIMEZONE "
            f"(the store's zone is used), or load into a new --db for {given}")
    return recorded


def _check_is_a_store(con, path: Path, read_only: bool) -> None:
    """A DuckDB file with tables but no load log is someone else's database: reading it would
    fail half-way, writing would add bcm's schema to it."""
    try:
        con.execute("SELECT 1 FROM meta.load_log LIMIT 0")
        return
    except duckdb.CatalogException:
        pass
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()").fetchall()[0][0]
    if tables or read_only:
        raise StoreError(f"{path} is a DuckDB database but not a bcm store (it has no load log); "
                         "give --db a store made by `bcm load`, or a new path to create one")


def _open_error(path: Path, e: duckdb.Error) -> Exception:
    """DuckDB's refusal to open the file, as one line a user can act on (else unchanged)."""
    text = str(e)
    if "Memory must have" in text or "memory limit" in text.lower():
        return SettingError(f"BCM_MEMORY_LIMIT={config.memory_limit()!r} is not an amount of memory (e.g. 4GB)")
    if "Permission denied" in text and not path.exists():  # a first load: the folder is what may not be written
        return StoreError(f"cannot create {path}: permission denied in {path.parent}; choose a folder you may write")
    if "Permission denied" in text:
        return StoreError(f"{path}: permission denied; ask the store's owner for access, or use a store of your own")
    if any(sign in text for sign in DAMAGED):
        return StoreError(f"{path} is damaged or truncated: DuckDB cannot read it; {integrity.RESTORE}")
    if failures.no_space(text):
        return StoreError(f"no space left to write {path}; free some disk space and run the command again")
    if "version number" in text or "storage version" in text.lower():
        return StoreError(f"{path} was written by another version of DuckDB than this bcm uses ({duckdb.__version__}); "
                          "open it with the bcm that wrote it, or load the exports into a new --db")
    if "Read-only file system" in text:
        return StoreError(f"{path} is on a read-only file system; copy it somewhere writable or use a read-only command")
    return e


def _process(match: re.Match) -> str:
    """'process 1234 (bcm load exports/)': the command line when the system shows it."""
    pid = match["pid"]
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [w.decode(errors="replace") for w in words if w]
        if len(words) > 1 and Path(words[0]).name.startswith("python") and Path(words[1]).name == "bcm":
            words = words[1:]
        command = " ".join([Path(words[0]).name, *words[1:]])
    except (OSError, IndexError):
        command = Path(match["program"]).name
    command = " ".join(command.split())
    if len(command) > 80:
        command = command[:77] + "..."
    return f"process {pid} ({command})"
