"""The program's time zone belongs to the store (billing_rules.md s3: months in the program's local
time). A program loaded January with --timezone America/Chicago and February without it: the
February evening entries were given months in America/New_York, and every later command read the
whole store in whichever zone it was started with, all without a word."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.warehouse import connect
from bcm_analytics.warehouse.store import SettingError

PATIENTS = "patient_id,payer,enrollment_date,consent_date\nP1,Medicare,2025-12-01,2025-12-01\n"
LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"
# 23:30 on 31 January and on 28 February in Chicago, written as UTC instants: 00:30 the next
# day, the next month, in New York.
JANUARY = LOGS + "J1,P1,bhcm,2026-02-01T05:30:00Z,30,outreach\n"
FEBRUARY = LOGS + "F1,P1,bhcm,2026-03-01T05:30:00Z,30,outreach\n"


@pytest.fixture(autouse=True)
def no_zone_in_the_environment(monkeypatch):
    monkeypatch.delenv("BCM_TIMEZONE", raising=False)


def bcm(*args: str, **env: str):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env or None)


def months(db) -> list[tuple[str, str]]:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT entry_id, strftime(service_month, '%Y-%m') FROM core.time_logs ORDER BY 1").fetchall()
    finally:
        con.close()


def load_log_rows(db) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM meta.load_log").fetchall()[0][0]
    finally:
        con.close()


def test_a_later_load_without_timezone_uses_the_zone_the_store_was_first_loaded_with(tmp_path):
    db = tmp_path / "program.duckdb"
    write(tmp_path / "jan", "patients.csv", PATIENTS)
    write(tmp_path / "jan", "time_logs_2026-01.csv", JANUARY)
    feb = write(tmp_path / "feb", "time_logs_2026-02.csv", FEBRUARY)
    first = bcm("load", tmp_path / "jan", "--db", db, "--timezone", "America/Chicago")
    assert first.exit_code == 0, first.output
    later = bcm("load", feb, "--db", db)
    assert later.exit_code == 0, later.output
    assert months(db) == [("F1", "2026-02"), ("J1", "2026-01")]  # both in Chicago, where they were logged
    con = connect(db, read_only=True)
    assert con.execute("SELECT getvariable('bcm_timezone')").fetchall() == [("America/Chicago",)]
    con.close()


@pytest.mark.parametrize("how", ["--timezone", "BCM_TIMEZONE"])
def test_a_later_load_in_another_zone_is_refused_in_one_line_and_changes_nothing(tmp_path, how):
    db = tmp_path / "program.duckdb"
    write(tmp_path / "jan", "patients.csv", PATIENTS)
    write(tmp_path / "jan", "time_logs_2026-01.csv", JANUARY)
    feb = write(tmp_path / "feb", "time_logs_2026-02.csv", FEBRUARY)
    assert bcm("load", tmp_path / "jan", "--db", db, "--timezone", "America/Chicago").exit_code == 0
    before = (db.read_bytes(), load_log_rows(db))
    if how == "--timezone":
        out = bcm("load", feb, "--db", db, "--timezone", "America/New_York")
    else:
        out = bcm("load", feb, "--db", db, BCM_TIMEZONE="America/New_York")
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    [line] = [x for x in out.output.splitlines() if x.strip()]
    assert "America/Chicago" in line and "America/New_York" in line and str(db) in line, line
    assert (db.read_bytes(), load_log_rows(db)) == before
    assert months(db) == [("J1", "2026-01")]


def test_commands_reading_the_store_use_its_zone_and_refuse_another(tmp_path):
    """A report or `bcm build` started without a zone read the store in America/New_York."""
    db = tmp_path / "program.duckdb"
    write(tmp_path / "jan", "patients.csv", PATIENTS)
    write(tmp_path / "jan", "time_logs_2026-01.csv", JANUARY)
    assert bcm("load", tmp_path / "jan", "--db", db, "--timezone", "America/Chicago").exit_code == 0
    assert months(db) == [("J1", "2026-01")]
    con = connect(db)  # a writing command (bcm build) opens the store the same way
    assert con.execute("SELECT getvariable('bcm_timezone')").fetchall() == [("America/Chicago",)]
    con.close()
    with pytest.raises(SettingError, match="America/Chicago.*America/New_York"):
        connect(db, read_only=True, timezone="America/New_York")
    built = bcm("build", "--db", db)
    assert built.exit_code == 0, built.output
    con = connect(db, read_only=True)
    assert con.execute("SELECT strftime(service_month, '%Y-%m') FROM marts.countable_minutes").fetchall() == [("2026-01",)]
    con.close()


def test_a_demo_in_another_zone_is_refused_before_it_generates_anything(tmp_path):
    """`bcm demo --timezone` on a store first loaded in another zone was refused only after it had
    written a whole synthetic program: the check that a busy or foreign store is refused before
    anything is generated opened the store without the zone."""
    db = tmp_path / "demo.duckdb"
    write(tmp_path / "jan", "patients.csv", PATIENTS)
    assert bcm("load", tmp_path / "jan", "--db", db).exit_code == 0
    data = tmp_path / "demo_data"
    refused = bcm("demo", "--db", db, "--data", data, "--reports", tmp_path / "reports", "--patients", "50",
                  "--timezone", "America/Chicago")
    assert refused.exit_code == 1 and "is in time zone America/New_York" in refused.output, refused.output
    assert not data.exists() and not (tmp_path / "reports").exists()
