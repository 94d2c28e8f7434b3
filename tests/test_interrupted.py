"""A run stopped by what is not a file's fault: Ctrl-C, DuckDB out of memory, a full disk.

Such a failure inside a file's load was called that file's refusal, and the load carried on:
patients "refused", then every time log set aside for want of its patient, the marts built on
that. The run now stops with one line; the files loaded before it stay, each whole; and loading
the folder again finishes the job, the marts included.
"""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.cli.errors import INTERRUPTED, one_line
from bcm_analytics.ingest import rows
from bcm_analytics.models import marts
from bcm_analytics.warehouse import connect

CLINICS = "clinic_id,clinic_name\nPP,Main Street\n"
PATIENTS = "patient_id,payer,enrollment_date,consent_date\nP1,Medicare,2025-01-01,2025-01-01\n"
TIME_LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\nE1,P1,bhcm,2025-02-03,40,outreach\n"


def bcm(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def exports(tmp_path):
    for name, text in (("clinics.csv", CLINICS), ("patients.csv", PATIENTS), ("time_logs.csv", TIME_LOGS)):
        write(tmp_path / "exports", name, text)
    return tmp_path / "exports"


def loaded_tables(db) -> list[str]:
    con = connect(db, read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT table_name FROM meta.load_log ORDER BY load_id").fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("failure, says", [
    (duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block"),
     "Error: DuckDB ran out of memory; raise BCM_MEMORY_LIMIT, or free disk space beside the store for it to spill to"),
    (duckdb.InterruptException("INTERRUPT Error: Interrupted!"), f"Error: {INTERRUPTED}"),
    (duckdb.IOException('IO Error: Could not write file "/x/s.duckdb.wal": No space left on device'),
     "Error: no space left on the disk to write /x/s.duckdb.wal; free some space and run the command again"),
], ids=["out of memory", "Ctrl-C", "disk full"])
def test_a_failure_not_the_files_stops_the_load_and_a_second_run_finishes_it(exports, tmp_path, monkeypatch, failure, says):
    db = tmp_path / "s.duckdb"
    check = rows.check

    def failing(con, spec, text):
        if spec.name == "patients":
            raise failure
        return check(con, spec, text)

    monkeypatch.setattr(rows, "check", failing)
    stopped = bcm("load", exports, "--db", db)
    assert stopped.exit_code == 1
    assert says in stopped.output.splitlines()
    assert "refused" not in stopped.output and "Traceback" not in stopped.output
    assert loaded_tables(db) == ["clinics"], "the file before the failure stays loaded; none after it is tried"
    monkeypatch.undo()
    again = bcm("load", exports, "--db", db)
    assert again.exit_code == 0, again.output
    assert loaded_tables(db) == ["clinics", "patients", "time_logs"]
    assert "quarantined 0" in again.output.split("time_logs")[-1].split("\n")[0]


def test_a_load_whose_marts_step_failed_builds_them_when_run_again(exports, tmp_path, monkeypatch):
    """Every file was committed, then the marts step ran out of memory: run again, each file read
    "already loaded" and the marts stayed unbuilt (every later command computed them in scratch)."""
    db = tmp_path / "s.duckdb"
    monkeypatch.setattr("bcm_analytics.cli.data.refresh", lambda con: (_ for _ in ()).throw(
        duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")))
    assert bcm("load", exports, "--db", db).exit_code == 1
    monkeypatch.undo()
    again = bcm("load", exports, "--db", db)
    assert again.exit_code == 0 and again.output.count("already loaded") == 3
    assert "marts updated in" in again.output
    con = connect(db, read_only=True)
    assert not marts.out_of_date(con)
    con.close()
    assert "marts updated" not in bcm("load", exports, "--db", db).output, "up to date: nothing to build"


def test_an_interrupted_full_build_keeps_the_marts_manifest(exports, tmp_path, monkeypatch):
    """`bcm build --full` dropped the manifest before its transaction: stopped half-way, the marts
    read as never built until another build."""
    db = tmp_path / "s.duckdb"
    assert bcm("load", exports, "--db", db).exit_code == 0
    monkeypatch.setattr("bcm_analytics.models.build._build", lambda *a, **k: (_ for _ in ()).throw(
        duckdb.InterruptException("INTERRUPT Error: Interrupted!")))
    stopped = bcm("build", "--full", "--db", db)
    assert stopped.output.strip() == f"Error: {INTERRUPTED}"
    monkeypatch.undo()
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM meta.marts_manifest").fetchone()[0] > 0 and not marts.out_of_date(con)
    con.close()


def test_ctrl_c_inside_a_query_is_no_bug():
    """DuckDB's Python binding raises RuntimeError('Query interrupted') on Ctrl-C mid-query: it read
    "unexpected error (RuntimeError), a bug in bcm" and wrote an error log."""
    assert one_line(RuntimeError("Query interrupted"), None) == INTERRUPTED


def test_a_first_load_that_loaded_nothing_leaves_a_store_another_load_filled(exports, tmp_path):
    """Two first loads into one new path: the one whose files were all refused deleted the store
    the other had just filled (it had decided it created the file before it held the store)."""
    from bcm_analytics.cli.data import _left_empty
    from bcm_analytics.ingest import FileRefused

    db = tmp_path / "s.duckdb"
    assert bcm("load", exports, "--db", db).exit_code == 0
    con = connect(db)
    assert not _left_empty(con, True, [FileRefused("x.csv", "no columns")])
    con.execute("DELETE FROM meta.load_log")
    assert _left_empty(con, True, [FileRefused("x.csv", "no columns")])
    con.close()


def test_a_first_load_that_fails_while_the_store_is_made_leaves_no_store(exports, tmp_path, monkeypatch):
    """Out of memory while the new store's schema was written (BCM_MEMORY_LIMIT=1MB) left a store
    of nothing behind, which the next command took for a program's. A store that was there before
    stays, whatever fails while it is opened."""
    from bcm_analytics.warehouse import store

    def no_memory(con):
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 16.0 KiB")

    db = tmp_path / "new" / "s.duckdb"
    monkeypatch.setattr(store, "ensure_schema", no_memory)
    failed = bcm("load", exports, "--db", db)
    assert failed.exit_code == 1 and "ran out of memory" in failed.output
    assert len(failed.output.strip().splitlines()) == 1 and "Traceback" not in failed.output
    assert not db.exists() and not db.with_name("s.duckdb.wal").exists() and not db.with_name("s.duckdb.tmp").exists()
    monkeypatch.undo()
    assert bcm("load", exports, "--db", db).exit_code == 0
    monkeypatch.setattr(store, "ensure_schema", no_memory)
    assert bcm("load", exports, "--db", db).exit_code == 1
    monkeypatch.undo()
    assert loaded_tables(db)
