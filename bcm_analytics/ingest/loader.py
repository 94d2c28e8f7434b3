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

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bcm_analytics import __version__
from bcm_analytics.contracts.sqlfiles import install_macros
from bcm_analytics.ingest import rows
from bcm_analytics.ingest.landing import Reading, land_file, reading_for
from bcm_analytics.ingest.readers import FileRefused, SourceFile, _first_line, inspect, table_for
from bcm_analytics.sqlfiles import read_sql
from bcm_analytics.warehouse import files
from bcm_analytics.warehouse.store import table_specs


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


def _parsing_sql() -> str:
    return read_sql("bcm_analytics.ingest", "parsing.sql")


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
        load_id, rows_read = prev[0]
        return FileResult(src.path, src.table.name, load_id, rows_read=rows_read, rows_duplicate=rows_read, already_loaded=True)
    prepare(con)
    with files.temp_folder(con) as folder:  # private, beside the store; swept if the run is killed
        reading = reading_for(src, Path(folder))
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
            rows.drop_temp_tables(con)
    result.seconds = time.perf_counter() - started
    return result


def _load(con: duckdb.DuckDBPyConnection, src: SourceFile, reading: Reading) -> FileResult:
    """One file's steps, inside its transaction. The file's rows merge before waiting rows are
    re-examined, so this load can both supply what they wait for and supersede them."""
    spec = src.table
    load_id = con.execute("SELECT nextval('meta.load_id_seq')").fetchall()[0][0]
    started_at = con.execute("SELECT now()").fetchall()[0][0]
    rejected = land_file(con, src, reading, load_id)
    rows_read = con.execute("SELECT count(*) FROM _land").fetchall()[0][0] + rejected
    rows.check(con, spec)
    failed, waiting = rows.quarantine_failures(con, spec)
    merged = rows.merge(con, spec)
    admitted = rows.readmit(con, load_id, spec.name)

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


def load_paths(con: duckdb.DuckDBPyConnection, paths: list[str | Path]):
    """Load files and folders in load order; yields (path, FileResult | FileRefused) as each ends."""
    files, _ = discover(paths)
    for path in files:
        try:
            yield path, load_file(con, path)
        except FileRefused as refused:
            yield path, refused
