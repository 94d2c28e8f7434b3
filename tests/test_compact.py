"""`bcm compact`: the store rewritten into a file holding only what is in use, put in its place
only once every table of the copy holds the original's rows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import generated
from hostile.helpers import store_fingerprint

from bcm_analytics.cli import cli
from bcm_analytics.warehouse import compact as compacting


def bcm(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def grown(tmp_path) -> Path:
    """A small program's store, its marts rebuilt whole twice: the file keeps the blocks the
    first builds freed, as a store given monthly exports keeps what each month replaced. Then a
    command with nothing to do opens it for writing once: every such open writes the store's core
    views again (ensure_schema), and its checkpoint can hand the file's last free block back, by
    how the catalog happens to lie in the file; compact's own open would do that first, and the
    size it reports would not be the size the test measured."""
    _, con, _ = generated(tmp_path, patients=40, months=6)
    con.close()
    db = tmp_path / "program.duckdb"
    for _ in range(2):
        assert bcm("build", "--full", "--db", db).exit_code == 0
    assert bcm("build", "--db", db).output.startswith(f"marts of {db} up to date: nothing changed")
    return db


def test_compact_gives_the_space_back_and_keeps_every_row_and_every_billing_line(grown, tmp_path):
    before_size, before_rows = grown.stat().st_size, store_fingerprint(grown)
    assert bcm("billing", "--db", grown, "--month", "2024-05", "--out", tmp_path / "before.csv").exit_code == 0
    os.umask(0o022)  # what bcm writes stays private whatever the user's umask
    result = bcm("compact", "--db", grown)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{grown} compacted: {before_size / 1e6:,.1f} MB -> ")
    assert grown.stat().st_size < before_size
    assert store_fingerprint(grown) == before_rows
    assert oct(grown.stat().st_mode & 0o777) == "0o600"
    assert not list((tmp_path / "program.duckdb.tmp").rglob("compacted*")), "no copy is left behind"
    assert not Path(f"{grown}.wal").exists()
    assert bcm("billing", "--db", grown, "--month", "2024-05", "--out", tmp_path / "after.csv").exit_code == 0
    assert (tmp_path / "after.csv").read_text() == (tmp_path / "before.csv").read_text()
    assert bcm("build", "--db", grown).output.startswith(f"marts of {grown} up to date: nothing changed")


def _copy_loses_a_row(original):
    def check(con, source, copy):
        con.execute(f"DELETE FROM {copy}.staging.time_logs WHERE rowid = (SELECT min(rowid) FROM {copy}.staging.time_logs)")
        return original(con, source, copy)
    return check


def _interrupted_at_the_swap(path, target):
    raise KeyboardInterrupt


@pytest.mark.parametrize("break_it, says", [
    (lambda m: m.setattr(compacting, "_same_rows", _copy_loses_a_row(compacting._same_rows)),
     "Error: the compacted copy of the store differs from it in staging.time_logs; the store was left as it was"),
    (lambda m: m.setattr(compacting.os, "replace", _interrupted_at_the_swap), "Aborted!"),
], ids=["a copy that differs", "Ctrl-C at the swap"])
def test_a_compaction_that_fails_leaves_the_store_as_it_was_and_no_copy(grown, tmp_path, monkeypatch, break_it, says):
    before = store_fingerprint(grown)
    break_it(monkeypatch)
    result = bcm("compact", "--db", grown)
    assert result.exit_code == 1 and result.output.strip() == says, result.output
    monkeypatch.undo()
    assert store_fingerprint(grown) == before
    assert not list((tmp_path / "program.duckdb.tmp").rglob("compacted*"))


def test_compact_without_a_store_says_how_to_make_one_and_creates_nothing(tmp_path):
    result = bcm("compact", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no store at {tmp_path / 'none.duckdb'}; create one with `bcm load PATH --db " \
                                    f"{tmp_path / 'none.duckdb'}` (or `bcm demo`)"
    assert list(tmp_path.iterdir()) == []
