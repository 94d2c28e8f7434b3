"""Give the disk back the space a store no longer uses.

DuckDB reuses the blocks a delete or an update frees, but never shortens the file: a store given
each month's export grows past what it holds (46 MB after 24 monthly loads of a 300-patient
program, against 25 MB for the same program loaded at once). A copy of the whole catalog into a
new file (DuckDB's COPY FROM DATABASE) is as small as the data. The copy replaces the store only
once every table holds the same rows as the original's; until then the original is untouched, and
a failure (a full disk, Ctrl-C) leaves nothing of the copy behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bcm_analytics import private_files
from bcm_analytics.contracts.columns import sql_text
from bcm_analytics.warehouse.integrity import StoreError
from bcm_analytics.warehouse.store import close_after_writing, connect


@dataclass(frozen=True)
class Compacted:
    before: int  # bytes
    after: int
    tables: int
    rows: int


def compact(db: str | Path) -> Compacted:
    """Rewrite the store `db` into a new file and put it in the old one's place.

    The store is held open for writing throughout, so no other bcm process can change it between
    the copy and the swap. The old file's blocks are checked as any command checks them, and the
    new file is opened and checked whole before this returns."""
    path = Path(db)
    copy = _copy_path(path)
    con = connect(path)
    try:
        con.execute("CHECKPOINT")  # nothing of the store waits in its write-ahead log, beside the new file
        source = con.execute("SELECT current_database()").fetchone()[0]
        with private_files.private_umask():
            con.execute(f"ATTACH {sql_text(str(copy))} AS compacted")
        con.execute(f'COPY FROM DATABASE "{source}" TO compacted')
        tables, rows = _same_rows(con, source, "compacted")
        con.execute("CHECKPOINT compacted")
        con.execute("DETACH compacted")
        before = path.stat().st_size
        os.replace(copy, path)
    except BaseException:
        copy.unlink(missing_ok=True)
        Path(f"{copy}.wal").unlink(missing_ok=True)
        raise
    finally:
        con.close()
    close_after_writing(connect(path))  # the new file passes the checks every command makes, and is recorded
    return Compacted(before, path.stat().st_size, tables, rows)


def _copy_path(path: Path) -> Path:
    """The copy is written in the store's private folder beside it: on the same file system, so
    the swap is one rename, and swept away with the folder if the process is killed."""
    folder = private_files.run_folder(path)
    if folder.parent != private_files.beside(path):
        raise StoreError(f"cannot write beside {path} (its folder is not writable); compacting needs room for a "
                         "new copy of the store there")
    return folder / "compacted.duckdb"


def _same_rows(con, source: str, copy: str) -> tuple[int, int]:
    """(tables, rows) when every table of the copy holds the original's rows (their count and
    the sum of their hashes agree), else StoreError: the copy is then dropped and the store left
    as it was."""
    held = {}
    for catalog in (source, copy):
        names = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                            [catalog]).fetchall()
        held[catalog] = {f"{s}.{t}": con.execute(f'SELECT count(*), sum(hash(t)) FROM "{catalog}"."{s}"."{t}" AS t').fetchone()
                         for s, t in names}
    differ = sorted(name for name in held[source].keys() | held[copy].keys() if held[source].get(name) != held[copy].get(name))
    if differ:
        raise StoreError(f"the compacted copy of the store differs from it in {differ[0]}; the store was left as it was")
    return len(held[source]), sum(count for count, _ in held[source].values())

