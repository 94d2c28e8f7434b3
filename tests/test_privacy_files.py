"""Private by default: the store, patient-level outputs and internal reports are 0600 (folders
0700) whatever the umask; --share opens aggregate outputs only; temporary copies live in a
private folder beside the store and a killed run's leftovers go at the next start."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hardening_stores import bcm, bcm_process, make_store, write_exports

from bcm_analytics import private_files as files
from bcm_analytics.reports.export import write_table, write_workbook
from bcm_analytics.warehouse import connect


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Run the test under a given umask (restored afterwards)."""
    saved = os.umask(0)
    os.umask(saved)

    def _set(mask: int):
        os.umask(mask)

    yield _set
    os.umask(saved)


FRAME = pd.DataFrame({"patient_id": ["P0000001"], "minutes": [40]})


@pytest.mark.parametrize("name", ["nested/deeper/out.csv", "nested/deeper/out.parquet", "nested/deeper/out.xlsx"])
def test_tables_are_written_private_whatever_the_umask(tmp_path, umask, name):
    umask(0)
    path = write_table(FRAME, tmp_path / name)
    assert mode(path) == 0o600
    assert mode(tmp_path / "nested") == 0o700 and mode(tmp_path / "nested" / "deeper") == 0o700
    assert len(pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path) if name.endswith(".parquet")
               else pd.read_excel(path)) == 1


def test_an_existing_world_readable_output_becomes_private_when_rewritten(tmp_path, umask):
    umask(0)
    old = tmp_path / "book.xlsx"
    old.write_bytes(b"old")
    old.chmod(0o644)
    write_workbook({"a": FRAME}, old)
    assert mode(old) == 0o600 and old.stat().st_size > 3


def test_a_write_stopped_half_way_leaves_the_earlier_output_whole_and_nothing_partial(tmp_path, monkeypatch):
    """On a full disk a rewrite of a finance workbook left it at 0 bytes (the writer truncated it
    first), and a report's HTML ended mid-table: the earlier output was lost with the new one."""
    import errno

    from bcm_analytics.reports import export

    book = write_workbook({"a": FRAME}, tmp_path / "book.xlsx")
    before = book.read_bytes()

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "_write_sheet", full)
    with pytest.raises(OSError):
        write_workbook({"a": FRAME}, book)
    with pytest.raises(KeyboardInterrupt), files.output(tmp_path / "page.html") as partial:
        partial.write_text("<table><tr><td")
        raise KeyboardInterrupt
    assert book.read_bytes() == before and mode(book) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_a_killed_writers_partial_file_goes_at_the_next_write_and_a_live_ones_stays(tmp_path):
    """kill -9 runs no clean-up: its `.page.html.PID.partial`, half a patient list, stayed for good.
    The next write of the same output removes it; one whose process is alive is left to it."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    killed = tmp_path / f".page.html.{gone.pid}.partial"
    alive = tmp_path / f".page.html.{os.getppid()}.partial"
    other = tmp_path / f".other.html.{gone.pid}.partial"
    for path in (killed, alive, other):
        path.write_text("<table><tr><td>P0")
    with files.output(tmp_path / "page.html") as partial:
        partial.write_text("<p>whole</p>")
    assert (tmp_path / "page.html").read_text() == "<p>whole</p>"
    assert not killed.exists() and alive.exists() and other.exists()


def test_an_output_reached_through_a_link_is_rewritten_where_the_link_points(tmp_path):
    target = tmp_path / "shared" / "lines.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    write_table(FRAME, link)
    assert link.is_symlink() and len(pd.read_csv(target)) == 1


def test_sharing_uses_the_users_umask_and_creates_shared_folders(tmp_path, umask):
    umask(0o022)
    path = files.write_text(tmp_path / "new" / "measures.json", "{}", share=True)
    assert mode(path) == 0o644 and mode(tmp_path / "new") == 0o755
    assert mode(files.write_text(tmp_path / "private.json", "{}")) == 0o600


def test_a_device_is_never_chmod_ed(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/null")
    write_table(FRAME, link)
    assert mode("/dev/null") == 0o666


def test_what_the_commands_write_is_private_under_an_open_umask(tmp_path, umask, monkeypatch):
    monkeypatch.chdir(tmp_path)
    umask(0)
    db = tmp_path / "stores" / "program.duckdb"
    assert bcm("load", write_exports(tmp_path / "exports"), "--db", db).exit_code == 0
    out = tmp_path / "out"
    for args in (["quarantine", "--out", out / "q" / "quarantine.csv"],
                 ["outcomes", "--out", out / "outcomes.parquet", "--measures", out / "measures.csv", "--worklists", out / "w.xlsx"],
                 ["billing", "--month", "2025-01", "--out", out / "billing.xlsx"],
                 ["reconcile", "--month", "2025-01", "--out", out / "reconcile.csv"],
                 ["validate", "--sample", "0", "--out", out / "validation.json"]):
        result = bcm(*args, "--db", db)
        assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if "exports" not in p.parts]
    assert written
    for path in written:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert mode(db) == 0o600 and mode(db.parent) == 0o700 and mode(f"{db}.tmp") == 0o700


def test_share_opens_aggregate_measures_only(tmp_path, umask):
    db = make_store(tmp_path)
    umask(0o022)
    result = bcm("outcomes", "--db", db, "--out", tmp_path / "patients.csv", "--measures", tmp_path / "measures.csv", "--share")
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / "measures.csv") == 0o644
    assert mode(tmp_path / "patients.csv") == 0o600, "patient-level output stays private with --share"
    result = bcm("outcomes", "--db", db, "--measures", tmp_path / "m2.csv", env={"BCM_SHARE": "1"})
    assert result.exit_code == 0 and mode(tmp_path / "m2.csv") == 0o644


def test_an_old_world_readable_store_becomes_private_when_written(tmp_path, umask):
    umask(0o022)
    db = make_store(tmp_path)
    db.chmod(0o644)
    assert bcm("load", write_exports(tmp_path / "more"), "--db", db).exit_code == 0
    assert mode(db) == 0o600


def test_the_write_ahead_log_is_private(tmp_path, umask):
    """DuckDB re-creates its log after every checkpoint, with the process umask: commands run
    under a private one."""
    umask(0)
    with files.private_umask():
        con = connect(tmp_path / "s.duckdb")
        con.execute("CREATE TABLE meta.t AS SELECT 1 AS x")
        wal = tmp_path / "s.duckdb.wal"
        assert wal.exists() and mode(wal) == 0o600
        con.close()
    assert os.umask(0) == 0, "the umask is given back"


UTF16 = ("patient_id,clinic_id,payer,enrollment_date\r\nP0000001,C1,Medicare,2025-01-02\r\n"
         "P0000002,C1,Medicaid,2025-01-03\r\n").encode("utf-16")


def test_a_utf16_exports_copy_is_private_beside_the_store_and_removed(tmp_path, umask, monkeypatch):
    """The loader's UTF-8 copy of a UTF-16 export landed 0644 in /tmp/bcm-load-*."""
    import bcm_analytics.ingest.loader as loader

    umask(0o022)
    db = tmp_path / "s.duckdb"
    seen = {}
    original = loader.reading_for

    def spy(src, folder):
        reading = original(src, folder)
        seen["folder"], seen["copy"] = Path(folder), Path(reading.path)
        store_tmp = Path(f"{db}.tmp")
        seen["modes"] = {p: mode(p) for p in [Path(folder), *Path(folder).parents] if p.is_relative_to(store_tmp)}
        seen["copy exists"] = Path(reading.path).exists()
        return reading

    monkeypatch.setattr(loader, "reading_for", spy)
    system_tmp = tmp_path / "system_tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    export = tmp_path / "exports" / "patients.csv"
    export.parent.mkdir()
    export.write_bytes(UTF16)
    result = bcm("load", export, "--db", db)
    assert result.exit_code == 0, result.output
    assert seen["copy exists"] and seen["copy"].parent == seen["folder"]
    assert seen["folder"].is_relative_to(Path(f"{db}.tmp")), seen["folder"]
    assert len(seen["modes"]) >= 3 and set(seen["modes"].values()) == {0o700}, seen["modes"]
    assert not seen["folder"].exists(), "the copy is removed after the load"
    assert list(system_tmp.iterdir()) == [], "nothing lands in the system temp dir"


def test_duckdb_spills_into_the_private_folder(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    spill = Path(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
    con.close()
    assert spill.parent.parent == tmp_path / "s.duckdb.tmp" and spill.parent.name.startswith("run-")


KILLED = """
import sys, time
from bcm_analytics import private_files
from bcm_analytics.warehouse import connect
con = connect(sys.argv[1])
folder = private_files.run_folder(sys.argv[1])
(folder / "load-x").mkdir()
(folder / "load-x" / "copy.csv").write_text("patient_id\\nP0000001\\n")
print(folder, flush=True)
time.sleep(600)
"""


def test_a_killed_runs_temporary_files_are_removed_at_the_next_start(tmp_path):
    db = make_store(tmp_path)
    killed = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], stdout=subprocess.PIPE, text=True)
    left = Path(killed.stdout.readline().strip())
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert (left / "load-x" / "copy.csv").exists(), "kill -9 leaves the folder"
    alive = subprocess.Popen([sys.executable, "-c", KILLED.replace("connect(sys.argv[1])", "None"), str(db)],
                             stdout=subprocess.PIPE, text=True)
    try:
        living = Path(alive.stdout.readline().strip())
        assert bcm("quarantine", "--db", db, "--out", tmp_path / "q.csv").exit_code == 0
        assert not left.exists(), "the next start removes a dead run's folder"
        assert (living / "load-x" / "copy.csv").exists(), "a live run's folder is left alone"
    finally:
        alive.kill()
        alive.wait()


def test_a_run_folder_being_set_up_is_left_alone_unless_abandoned(tmp_path):
    """A folder is locked before it is named run-*; one killed before it could lock goes after a minute."""
    import time

    root = tmp_path / "s.duckdb.tmp"
    root.mkdir()
    young, abandoned = root / "new-1-aa", root / "new-2-bb"
    young.mkdir()
    abandoned.mkdir()
    os.utime(abandoned, (time.time() - 120, time.time() - 120))
    assert files.sweep(root) == [abandoned]
    assert young.exists() and not abandoned.exists()


def test_a_first_load_that_loads_nothing_leaves_no_folder_beside_the_store(tmp_path):
    export = tmp_path / "exports" / "time_logs.csv"
    export.parent.mkdir()
    export.write_text("entry_id,patient_id\nE1,P0000001\n")
    result = bcm("load", export, "--db", tmp_path / "new.duckdb")
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


SCRATCH = """
import datetime, sys, time
from bcm_analytics.models import marts
from bcm_analytics.warehouse import connect
con = connect(sys.argv[1], read_only=True)
found = marts.current(con, as_of=datetime.date(2025, 1, 6))  # an earlier as-of date: a scratch catalog
print(found.note, flush=True)
print(con.execute("SELECT path FROM duckdb_databases() WHERE database_name LIKE 'bcm_scratch_%'").fetchall()[0][0], flush=True)
time.sleep(600)
"""


def test_a_scratch_catalog_lives_in_the_run_folder_and_a_killed_runs_goes_at_the_next_start(tmp_path):
    """Marts computed for other rules, definitions or an as-of date (billing lines per patient) were
    built into /tmp/bcm-scratch-*/ and removed only by atexit: each killed command or notebook kernel
    left its copy there for good, outside the store's folder the next command sweeps."""
    db = make_store(tmp_path)
    killed = subprocess.Popen([sys.executable, "-c", SCRATCH, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert "temporary schema" in killed.stdout.readline()
        scratch = Path(killed.stdout.readline().strip())
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert scratch.exists() and scratch.is_relative_to(Path(f"{db}.tmp")), scratch
    assert mode(scratch.parent) == 0o700
    assert bcm_process("quarantine", "--db", db, "--out", tmp_path / "q.csv").returncode == 0
    assert not scratch.exists(), "the next command on the store removes a killed run's scratch catalog"


def test_the_log_folder_in_the_system_temp_dir_is_never_one_someone_else_planted(tmp_path, monkeypatch):
    """Without a usable ~/.cache (a service account's HOME=/nonexistent) logs and a failed report's
    notebook went to $TMPDIR/bcm-<uid>/logs whoever owned it: another user who made that folder, or
    a `logs` link in it to a folder of theirs, chose where they were written. The temp folder of a
    store already refused such a folder (private_files._usable_root); the log folder now does too."""
    monkeypatch.delenv("BCM_LOG_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null/cache")  # not a folder: the next place is tried
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"bcm-{os.getuid()}"
    planted.mkdir(mode=0o700)
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o777)
    (planted / "logs").symlink_to(theirs)
    folder = files.log_folder()
    assert not folder.resolve().is_relative_to(theirs) and mode(folder) == 0o700, folder
    if os.geteuid() == 0:  # a folder another user made
        (planted / "logs").unlink()
        os.chown(planted, 65534, 65534)
        folder = files.log_folder()
        assert not folder.is_relative_to(planted) and folder.stat().st_uid == 0 and mode(folder) == 0o700, folder


def test_a_reports_kernel_key_is_written_in_the_stores_private_run_folder(tmp_path, monkeypatch):
    """A report's kernel connection file holds the key that runs code in the kernel; in Jupyter's
    runtime folder a killed report left it for good. It goes in the store's run folder, which the
    next start sweeps, and the setting is put back once the report has run."""
    import papermill
    from jupyter_core.paths import jupyter_runtime_dir

    from bcm_analytics.reports.runner import render_report

    db = make_store(tmp_path)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "analyst"))
    seen = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: seen.append(jupyter_runtime_dir()) or pytest.fail("ran"))
    with pytest.raises(pytest.fail.Exception):
        render_report("data_quality", db, out_path=tmp_path / "dq.html")
    assert Path(seen[0]) == files.run_folder(db)
    assert os.environ["JUPYTER_RUNTIME_DIR"] == str(tmp_path / "analyst")
