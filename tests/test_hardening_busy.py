"""A busy store: readers share it, a command meeting another process's lock waits up to --wait
($BCM_WAIT) and then names that process in one line. The other process is real."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import duckdb
import pytest
from hardening_stores import bcm, bcm_process, digest, make_store, stderr_lines, write_exports

HOLD = """
import sys
if sys.argv[2] == "plain":  # DuckDB itself, writing nothing
    import duckdb
    con = duckdb.connect(sys.argv[1])
else:
    from bcm_analytics.warehouse import connect
    con = connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def db(tmp_path):
    return make_store(tmp_path)


class Holder:
    """Another process holding the store open (for writing, or reading) until released."""

    def __init__(self, db, mode: str):
        self.process = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"
        self.pid = self.process.pid

    def release(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=60)


@pytest.fixture
def hold(db):
    holders = []

    def _hold(mode="write"):
        holders.append(Holder(db, mode))
        return holders[-1]

    yield _hold
    for h in holders:
        h.release()


def timed(*args, env=None):
    started = time.perf_counter()
    result = bcm(*args, env=env)
    return result, time.perf_counter() - started


def test_a_reader_meeting_a_writer_waits_then_names_it(db, hold, tmp_path):
    writer = hold("write")
    result, seconds = timed("quarantine", "--db", db, "--out", tmp_path / "q.csv", "--wait", "1")
    lines = stderr_lines(result.stderr)
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert f"{db} is in use by process {writer.pid} (python" in lines[0]
    assert "waited 1 s: try again when it has finished" in lines[0]
    assert 1 <= seconds < 20
    assert not (tmp_path / "q.csv").exists()


def test_the_wait_comes_from_the_environment_by_default(db, hold, tmp_path):
    hold("write")
    result, seconds = timed("outcomes", "--db", db, "--out", tmp_path / "o.csv", env={"BCM_WAIT": "0.5"})
    assert result.exit_code == 1 and "waited 0.5 s" in result.stderr
    assert 0.5 <= seconds < 20


def test_a_command_waits_for_the_writer_to_finish_and_then_runs(db, hold, tmp_path):
    writer = hold("write")
    threading.Timer(1.5, writer.release).start()
    result, seconds = timed("billing", "--db", db, "--month", "2025-01", "--out", tmp_path / "b.csv", "--wait", "60")
    assert result.exit_code == 0, result.output
    assert seconds >= 1.0 and (tmp_path / "b.csv").exists()


def test_a_writer_meeting_a_writer_leaves_the_store_unchanged(db, hold, tmp_path):
    before = digest(db)
    writer = hold("plain")
    result = bcm("load", write_exports(tmp_path / "more"), "--db", db, "--wait", "0")
    assert result.exit_code == 1 and f"in use by process {writer.pid}" in result.stderr
    assert len(stderr_lines(result.stderr)) == 1
    writer.release()
    assert digest(db) == before


def test_readers_share_the_store(db, hold, tmp_path):
    hold("read")
    for args in (["quarantine", "--out", tmp_path / "q.csv"], ["outcomes", "--out", tmp_path / "o.csv"],
                 ["billing", "--month", "2025-01", "--out", tmp_path / "b.csv"],
                 ["reconcile", "--month", "2025-01", "--out", tmp_path / "r.csv"]):
        result, seconds = timed(*args, "--db", db, "--wait", "0")
        assert result.exit_code == 0, (args, result.output)


def test_two_reading_commands_run_at_the_same_time(db, tmp_path):
    processes = [subprocess.Popen([sys.executable, "-m", "bcm_analytics", "billing", "--db", str(db), "--month", "2025-01",
                                   "--out", str(tmp_path / f"b{i}.csv"), "--wait", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outcomes = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outcomes
    assert (tmp_path / "b0.csv").read_text() == (tmp_path / "b1.csv").read_text()


def test_a_writing_command_waits_for_readers_and_names_one(db, hold):
    reader = hold("read")
    result = bcm("validate", "--db", db, "--sample", "0", "--wait", "0")
    assert result.exit_code == 1 and f"in use by process {reader.pid}" in result.stderr


def test_the_store_checks_keep_duckdbs_lock(db, hold):
    """DuckDB's lock is a POSIX record lock, which closing *any* descriptor of the file drops:
    bcm reads the file to check it, so the lock must survive that (a second writer would
    otherwise corrupt the store)."""
    (db.parent / f"{db.name}.tmp" / "verified").unlink(missing_ok=True)  # so the holder reads every block
    hold("write")
    with pytest.raises(duckdb.IOException, match="Conflicting lock"):
        duckdb.connect(str(db), read_only=True)
    result = bcm_process("quarantine", "--db", db, "--out", db.with_suffix(".csv"), "--wait", "0")
    assert result.returncode == 1 and "is in use by process" in result.stderr
