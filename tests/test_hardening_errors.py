"""One error boundary: every command, on every hostile store and configuration, exits non-zero
with one line on stderr that names the file, never a traceback, and leaves the store as it was."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hardening_stores import (
    EXPORTS,
    bcm,
    bcm_process,
    command_lines,
    digest,
    hostile_stores,
    make_store,
    stderr_lines,
    write_exports,
)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="module")
def hostile(good, tmp_path_factory) -> dict[str, Path]:
    return hostile_stores(good, tmp_path_factory.mktemp("hostile"))


def assert_one_line_refusal(result, *names):
    """Non-zero exit, exactly one line on stderr, no traceback, naming each of `names`."""
    lines = stderr_lines(result.stderr)
    assert result.exit_code != 0, result.output
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


HOSTILE = ["a text file", "0 bytes", "an SQLite file", "someone else's DuckDB database", "truncated to half", "truncated inside the header",
           "truncated by its last block", "a bit flipped in the main header", "a bit flipped in a database header",
           "a bit flipped in the middle", "a bit flipped in the last block"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_every_command_refuses_a_hostile_store_in_one_line_and_leaves_it_unchanged(hostile, kind, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = hostile[kind]
    before = digest(store)
    for command, args in command_lines(store, tmp_path).items():
        line = assert_one_line_refusal(bcm(*args, env={"BCM_WAIT": "0"}), store)
        assert any(word in line for word in ("not a DuckDB store", "empty", "SQLite", "damaged", "truncated",
                                             "not a bcm store")), (command, line)
        assert digest(store) == before, f"{command} changed a {kind} store"
        assert not store.with_name(store.name + ".tmp").exists(), "nothing is made beside a refused store"
        assert not (tmp_path / "demo_data").exists(), "demo generated data before checking its store"


def test_the_messages_say_what_the_file_is(hostile):
    said = {kind: stderr_lines(bcm("quarantine", "--db", path, "--out", path.with_suffix(".csv")).stderr)[0]
            for kind, path in hostile.items()}
    assert "is not a DuckDB store" in said["a text file"]
    assert "is empty (0 bytes)" in said["0 bytes"]
    assert "is an SQLite database, not a DuckDB store" in said["an SQLite file"]
    assert "is a DuckDB database but not a bcm store" in said["someone else's DuckDB database"]
    assert "truncated" in said["truncated inside the header"]
    assert "is damaged: block" in said["a bit flipped in the middle"]
    assert all("restore it from a backup" in said[k] for k in HOSTILE if "flipped" in k or "truncated" in k)


def test_a_store_that_is_a_folder_or_missing_is_one_line(tmp_path):
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    assert "is a directory" in assert_one_line_refusal(
        bcm("billing", "--db", folder, "--month", "2025-01", "--out", tmp_path / "b.csv"), folder)
    assert_one_line_refusal(bcm("outcomes", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "o.csv"), "none.duckdb")


@pytest.fixture
def store_copy(good, tmp_path) -> Path:
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(good.read_bytes())
    return copy


@pytest.mark.parametrize("setting, value, said", [
    ("BCM_TIMEZONE", "Mars/Olympus_Mons", "BCM_TIMEZONE: must be an IANA time zone name such as America/Chicago (got 'Mars/Olympus_Mons')"),
    ("BCM_MEMORY_LIMIT", "lots", "BCM_MEMORY_LIMIT: must be an amount of memory"),
    ("BCM_WAIT", "soon", "BCM_WAIT: must be a number of seconds such as 30 (got 'soon')"),
    ("BCM_SHARE", "perhaps", "BCM_SHARE: must be 1 or 0 (got 'perhaps')"),
])
def test_a_bad_setting_is_one_line_for_every_command_and_the_store_is_untouched(store_copy, tmp_path, monkeypatch,
                                                                                 setting, value, said):
    monkeypatch.chdir(tmp_path)
    before = digest(store_copy)
    for command, args in command_lines(store_copy, tmp_path).items():
        result = bcm(*args, env={setting: value})
        assert said in assert_one_line_refusal(result), command
        assert digest(store_copy) == before, command
    assert not (tmp_path / "new.duckdb").exists()
    result = bcm("load", write_exports(tmp_path / "exports"), "--db", tmp_path / "new.duckdb", env={setting: value})
    assert said in assert_one_line_refusal(result)
    assert not (tmp_path / "new.duckdb").exists(), "a refused setting left a store behind"


def test_a_time_zone_option_duckdb_does_not_know_is_one_line(store_copy, tmp_path):
    before = digest(store_copy)
    for db in (store_copy, tmp_path / "new.duckdb"):
        line = assert_one_line_refusal(bcm("load", write_exports(tmp_path / "exports"), "--db", db, "--timezone", "Mars/Base"))
        assert "unknown time zone 'Mars/Base'" in line
    assert digest(store_copy) == before and not (tmp_path / "new.duckdb").exists()


def test_a_rules_file_that_is_not_rules_is_one_line_without_its_content(store_copy, tmp_path):
    patients = tmp_path / "patients_export.yaml"
    patients.write_text(EXPORTS["patients.csv"])
    broken = tmp_path / "broken.yaml"
    broken.write_text("payer_names:\n  Medicare: [medicare\n")
    before = digest(store_copy)
    for rules in (patients, broken):
        for args in (["billing", "--month", "2025-01", "--out", tmp_path / "b.csv"],
                     ["reconcile", "--month", "2025-01", "--out", tmp_path / "r.csv"],
                     ["report", "billing_reconciliation", "--out", tmp_path / "r.html", "-p", "rules"]):
            args = [*args, rules] if args[0] == "report" else [*args, "--rules", rules]
            line = assert_one_line_refusal(bcm(*args, "--db", store_copy), rules.name)
            assert "P0000001" not in line and "1950" not in line
    assert digest(store_copy) == before
    assert not (tmp_path / "r.html").exists()


def test_definitions_that_are_an_export_are_refused_without_echoing_a_patient(store_copy, tmp_path):
    """`bcm outcomes --definitions some.csv` used to print a YAML traceback holding a patient record."""
    export = write_exports(tmp_path / "exports") / "patients.csv"
    odd = tmp_path / "odd.yaml"
    odd.write_text("windows:\n  6m: 120\n")
    for path in (export, odd):
        for args in (["outcomes", "--out", tmp_path / "o.csv", "--definitions", path],
                     ["report", "caseload_outcomes", "--out", tmp_path / "c.html", "-p", "definitions", path]):
            line = assert_one_line_refusal(bcm(*args, "--db", store_copy), path.name)
            assert "P0000001" not in line and "Medicare" not in line
    assert "windows.6m: must be a mapping of names to values (got 120)" in stderr_lines(
        bcm("outcomes", "--db", store_copy, "--out", tmp_path / "o.csv", "--definitions", odd).stderr)[0]
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "c.html").exists()


def test_a_full_disk_while_writing_an_output_names_the_output(store_copy, tmp_path):
    """/dev/full fails every write with ENOSPC: a real full disk, for the output only."""
    for suffix, args in ((".csv", ["quarantine"]), (".xlsx", ["quarantine"]), (".xlsx", ["billing", "--month", "2025-01"]),
                         (".parquet", ["outcomes"]), (".json", ["validate", "--sample", "0"])):
        full = tmp_path / f"full{suffix}"
        full.unlink(missing_ok=True)
        full.symlink_to("/dev/full")
        line = assert_one_line_refusal(bcm(*args, "--db", store_copy, "--out", full), full)
        assert "no space left" in line
    assert stat.S_IMODE(os.stat("/dev/full").st_mode) == 0o666, "a device must never be chmod-ed"


def _file_size_limit(size: int):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_full_disk_while_writing_the_store_is_one_line_and_the_store_keeps_its_data(store_copy, tmp_path):
    """A file-size limit makes every write beyond it fail, as a full disk does (EFBIG, not ENOSPC)."""
    many = tmp_path / "more" / "time_logs.csv"
    many.parent.mkdir()
    many.write_text("entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n" + "".join(
        f"X{i},P0000001,S1,bhcm,2025-01-{1 + i % 28:02d},{10 + i % 50},outreach\n" for i in range(20_000)))
    before = digest(store_copy)
    result = bcm_process("load", many, "--db", store_copy, preexec_fn=_file_size_limit(store_copy.stat().st_size))
    lines = stderr_lines(result.stderr)
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "no space left" in lines[0] and str(store_copy) in lines[0]
    assert digest(store_copy) == before
    assert bcm("quarantine", "--db", store_copy, "--out", tmp_path / "q.csv").exit_code == 0, "the store still opens"


def _as_other_user() -> dict:
    """Run a process as someone who may not read root's 0600 files (root ignores permissions)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another user")
    other = {"user": 65534, "group": 65534, "extra_groups": []}
    try:
        usable = subprocess.run([sys.executable, "-c", "import bcm_analytics"], cwd="/tmp", capture_output=True,
                                **other).returncode == 0
    except PermissionError:
        usable = False
    if not usable:
        pytest.skip("another user cannot run this checkout's Python (it sits inside a private folder)")
    return other


@pytest.fixture
def shared_folder(good):
    """A folder another user can traverse (pytest's own temp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="bcm-perm-"))
    folder.chmod(0o755)
    (folder / "store.duckdb").write_bytes(good.read_bytes())
    (folder / "store.duckdb").chmod(0o600)
    write_exports(folder / "exports")
    for f in (folder / "exports").iterdir():
        f.chmod(0o644)
    (folder / "exports").chmod(0o755)
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_permission_denied_on_the_store_or_its_folder_is_one_line(shared_folder):
    other = _as_other_user()
    store = shared_folder / "store.duckdb"
    before = digest(store)
    cases = [
        (["quarantine", "--db", store, "--out", "/tmp/bcm-perm-q.csv"], store),
        (["load", shared_folder / "exports", "--db", store], store),
        (["report", "program_overview", "--db", store, "--out", "/tmp/bcm-perm.html"], store),
        (["load", shared_folder / "exports", "--db", shared_folder / "new.duckdb"], shared_folder / "new.duckdb"),
    ]
    for args, named in cases:
        result = bcm_process(*args, cwd="/tmp", env={"HOME": "/tmp"}, **other)
        lines = stderr_lines(result.stderr)
        assert result.returncode == 1 and len(lines) == 1, (args, result.stderr)
        assert "permission denied" in lines[0] and str(named) in lines[0], lines[0]
    assert digest(store) == before
    assert not (shared_folder / "new.duckdb").exists()


def test_permission_denied_on_an_output_folder_is_one_line(shared_folder):
    other = _as_other_user()
    store = shared_folder / "store.duckdb"
    store.chmod(0o644)
    (shared_folder / "out").mkdir(mode=0o755)
    out = shared_folder / "out" / "q.csv"
    result = bcm_process("quarantine", "--db", store, "--out", out, cwd="/tmp", env={"HOME": "/tmp"}, **other)
    lines = stderr_lines(result.stderr)
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "permission denied" in lines[0] and str(out) in lines[0]


def test_an_unexpected_error_is_one_line_and_a_private_log_without_row_values(store_copy, tmp_path, monkeypatch):
    import bcm_analytics.reports.export as export

    row = dict(zip(["patient", "name", "born"], EXPORTS["patients.csv"].splitlines()[1].split(",")[:1] + ["Jane Doe", "1950-02-03"]))

    def broken(*args, **kwargs):  # a message built from a row, as library errors are
        raise RuntimeError(f"cannot place '{row['patient']} {row['name']}' born {row['born']} at row {1000 + 234}")

    monkeypatch.setattr(export, "write_query", broken)  # what `bcm quarantine` writes its list with
    logs = tmp_path / "logs"
    result = bcm("quarantine", "--db", store_copy, "--out", tmp_path / "q.csv", env={"BCM_LOG_DIR": str(logs)})
    line = assert_one_line_refusal(result, "unexpected error (RuntimeError)", logs)
    assert "Jane" not in line and "P0000001" not in line
    log = Path(line.split("the details are in ")[1].split(";")[0])
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError" in text and "in broken" in text
    for value in ("Jane", "P0000001", "1950-02-03", "1234"):
        assert value not in text, value
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(logs.stat().st_mode) == 0o700


def test_an_unexpected_errors_log_does_not_hold_the_patient_the_command_named(store_copy, tmp_path, monkeypatch):
    """The log's command line was written as typed: `bcm audit --patient P0000002` put the
    patient's id in a log kept for reporting the failure, whose message values are hidden."""
    import bcm_analytics.reports.audit as audit

    def broken(*args, **kwargs):
        raise RuntimeError("cannot lay out the page")

    monkeypatch.setattr(audit, "write_packets", broken)
    args = ["audit", "--db", str(store_copy), "--month", "2025-01", "--patient", "P0000002", "--out", str(tmp_path / "a")]
    monkeypatch.setattr(sys, "argv", ["bcm", *args])  # what a real process's log reads
    logs = tmp_path / "logs"
    line = assert_one_line_refusal(bcm(*args, env={"BCM_LOG_DIR": str(logs)}), "unexpected error (RuntimeError)")
    text = Path(line.split("the details are in ")[1].split(";")[0]).read_text()
    assert "RuntimeError: cannot lay out the page" in text and f"--db {store_copy}" in text, text
    assert "P0000002" not in text, text


def test_a_real_process_prints_no_traceback_on_a_damaged_store(hostile):
    """The same boundary outside the test runner: one line from the installed entry point."""
    result = bcm_process("billing", "--db", hostile["a bit flipped in the middle"], "--month", "2025-01", "--out", "/tmp/x.csv")
    assert result.returncode == 1 and result.stdout == ""
    assert len(stderr_lines(result.stderr)) == 1 and "is damaged: block" in result.stderr


def test_generate_into_a_file_or_a_full_disk_is_one_line(tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    assert_one_line_refusal(bcm("generate", "--out", a_file / "program", "--patients", "10", "--months", "1"), a_file)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "clinics.csv").symlink_to("/dev/full")
    line = assert_one_line_refusal(bcm("generate", "--out", tmp_path / "out", "--patients", "10", "--months", "1"), tmp_path / "out")
    assert "no space left" in line


def test_a_store_a_load_wrote_is_not_read_whole_again_until_it_changes(tmp_path, monkeypatch):
    """The load records the file it wrote as verified; the next command then skips the read of
    every block, and a store changed since (here a bit flipped in place) is read, and refused."""
    from bcm_analytics.warehouse import StoreError, connect, integrity

    db = make_store(tmp_path)
    read = []
    check = integrity._check_blocks
    monkeypatch.setattr(integrity, "_check_blocks", lambda path, *rest: read.append(path) or check(path, *rest))
    connect(db, read_only=True).close()
    assert read == []
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0x10
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="is damaged: block"):
        connect(db, read_only=True)
    assert read == [db]


def test_a_reader_that_leaves_early_does_not_stop_the_load(tmp_path):
    """`bcm load FOLDER | head -1`: head exits after the first file's line; every file is still
    loaded and the marts built, with no error (the load's own exit status)."""
    import duckdb

    db = tmp_path / "piped.duckdb"
    exports = write_exports(tmp_path / "exports")
    script = f'"{sys.executable}" -m bcm_analytics load "{exports}" --db "{db}" | head -1; exit ${{PIPESTATUS[0]}}'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=os.environ)
    assert (result.returncode, result.stderr) == (0, "")
    assert len(result.stdout.splitlines()) == 1
    con = duckdb.connect(str(db), read_only=True)
    loaded = dict(con.execute("SELECT table_name, sum(rows_loaded) FROM meta.load_log GROUP BY ALL").fetchall())
    assert set(loaded) == {p.name.removesuffix(".csv") for p in exports.glob("*.csv")}
    assert con.execute("SELECT count(*) FROM meta.marts_manifest").fetchall()[0][0] > 0


def test_a_first_load_in_a_folder_bcm_may_not_write_names_the_folder(tmp_path):
    """It said "bcm.duckdb: permission denied; ask the store's owner for access" of a store that did
    not exist: the folder was what could not be written (root, which runs the tests, is never denied)."""
    import duckdb

    from bcm_analytics.warehouse.store import _open_error

    denied = duckdb.IOException('IO Error: Cannot open file "x": Permission denied')
    new = tmp_path / "sub" / "bcm.duckdb"
    assert str(_open_error(new, denied)) == f"cannot create {new}: permission denied in {new.parent}; choose a folder you may write"
    existing = tmp_path / "bcm.duckdb"
    existing.write_bytes(b"")
    assert str(_open_error(existing, denied)).endswith(": permission denied; ask the store's owner for access, or use a store of your own")
