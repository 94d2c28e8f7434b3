"""`bcm load FILE --replaces LOAD_ID`: a corrected copy of an earlier load closes that load's
quarantine entries, even those whose key the fix changed (which a plain load leaves open for ever).

The first export (load 2, after the patients) has three time logs:
    line 2  E1  fine
    line 3  E2  patient '#N/A'       -> open
    line 4  E3  0 minutes            -> open
The steward fixes E2 by giving the row its real patient and entry id (E2b: the key changed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile.helpers import fingerprint, store_fingerprint, write

from bcm_analytics.cli import cli
from bcm_analytics.contracts import quality
from bcm_analytics.ingest import FileRefused, LoadOptions, load_file

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\nP2,Medicaid,2025-01-01\n"
HEADER = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"
E1 = "E1,P1,bhcm,2025-02-03,30,outreach\n"
E3_BAD = "E3,P1,bhcm,2025-02-05,0,outreach\n"
FIRST = HEADER + E1 + "E2,#N/A,bhcm,2025-02-04,20,outreach\n" + E3_BAD
CORRECTED = HEADER + E1 + "E2b,P2,bhcm,2025-02-04,20,outreach\n" + "E3,P1,bhcm,2025-02-05,25,outreach\n"


def entries(con) -> list[tuple]:
    return con.execute("SELECT load_id, line_number, status FROM meta.quarantine ORDER BY load_id, line_number").fetchall()


def first_load(con, tmp_path: Path) -> int:
    load_file(con, write(tmp_path, "patients.csv", PATIENTS))
    first = load_file(con, write(tmp_path / "v1", "time_logs.csv", FIRST))
    assert entries(con) == [(2, 3, "open"), (2, 4, "open")]
    return first.load_id


def test_a_plain_load_of_the_corrected_copy_leaves_the_changed_key_open(store, tmp_path):
    """Why --replaces exists: E2's entry waits on a key no export will bring again."""
    first_load(store, tmp_path)
    load_file(store, write(tmp_path / "v2", "time_logs.csv", CORRECTED))
    assert entries(store) == [(2, 3, "open"), (2, 4, "superseded")]


def test_a_corrected_copy_with_a_changed_patient_id_closes_the_original_entries(store, tmp_path):
    replaced = first_load(store, tmp_path)
    result = load_file(store, write(tmp_path / "v2", "time_logs.csv", CORRECTED), options=LoadOptions(replaces=replaced))
    assert entries(store) == [(2, 3, "superseded"), (2, 4, "superseded")]
    assert (result.replaces, result.rows_closed) == (2, 2)
    assert (result.rows_read, result.rows_loaded, result.rows_changed, result.rows_quarantined, result.rows_duplicate) == (3, 2, 0, 0, 1)
    assert result.adds_up
    assert store.execute("SELECT entry_id, patient_id FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("E1", "P1"), ("E2b", "P2"), ("E3", "P1")]
    assert store.execute("SELECT replaces_load, rows_closed_of_replaced FROM meta.load_log WHERE load_id = ?",
                         [result.load_id]).fetchall() == [(2, 2)]
    page = quality.loads(store)
    assert page.replaces.tolist()[-1] == 2 and page.adds_up.all()
    # two loads of time_logs.csv from two folders are told apart by the folder (the page showed the name alone)
    assert page.file.tolist()[-2:] == ["v1/time_logs.csv", "v2/time_logs.csv"]
    assert page.file.tolist()[0] == "patients.csv"


def test_a_row_still_wrong_in_the_copy_is_open_under_the_new_load_only(store, tmp_path):
    replaced = first_load(store, tmp_path)
    still_wrong = HEADER + E1 + "E2b,P2,bhcm,2025-02-04,20,outreach\n" + E3_BAD
    result = load_file(store, write(tmp_path / "v2", "time_logs.csv", still_wrong), options=LoadOptions(replaces=replaced))
    assert entries(store) == [(2, 3, "superseded"), (2, 4, "superseded"), (3, 4, "open")]
    assert (result.rows_quarantined, result.rows_closed) == (1, 2) and result.adds_up
    reasons = quality.reasons_by_check(store)
    assert reasons[["check", "open", "superseded"]].values.tolist() == [
        ["minutes positive unless a no-show", 1, 1], ["no spreadsheet errors", 0, 1], ["patient known", 0, 1]]


def test_loading_the_corrected_copy_twice_changes_nothing(store, tmp_path):
    replaced = first_load(store, tmp_path)
    copy = write(tmp_path / "v2", "time_logs.csv", CORRECTED)
    load_file(store, copy, options=LoadOptions(replaces=replaced))
    before = fingerprint(store)
    again = load_file(store, copy, options=LoadOptions(replaces=replaced))
    assert again.already_loaded and (again.load_id, again.replaces, again.rows_closed) == (3, 2, 0)
    assert fingerprint(store) == before


def test_a_held_claim_of_the_replaced_load_leaves_the_holding_table(store, tmp_path):
    """A claim line of an unknown patient waits in claims_unknown_patient (reconciliation reads it);
    the corrected copy names the right patient: the held line must not stay billed twice."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    header = "claim_id,line_number,patient_id,date_of_service,procedure_code,units,charge_amount\n"
    first = load_file(store, write(tmp_path / "v1", "claims.csv", header + "C1,1,P9,2025-02-28,99492,1,150\n"))
    assert first.rows_waiting == 1
    assert store.execute("SELECT count(*) FROM staging.claims_unknown_patient").fetchall() == [(1,)]
    load_file(store, write(tmp_path / "v2", "claims.csv", header + "C1b,1,P1,2025-02-28,99492,1,150\n"),
              options=LoadOptions(replaces=first.load_id))
    assert [e[2] for e in entries(store)] == ["superseded"]
    assert store.execute("SELECT count(*) FROM staging.claims_unknown_patient").fetchall() == [(0,)]
    assert store.execute("SELECT claim_id, patient_id FROM staging.claims").fetchall() == [("C1b", "P1")]


@pytest.mark.parametrize("replaces, says", [
    (9, "--replaces 9: the store has no load 9 (its loads are 1-2;"),
    (1, "--replaces 1: load 1 loaded patients (patients.csv), this file is time_logs;"),
], ids=["missing load", "another table's load"])
def test_the_library_refuses_a_load_it_cannot_replace_and_keeps_the_store(store, tmp_path, replaces, says):
    first_load(store, tmp_path)
    before = fingerprint(store)
    with pytest.raises(FileRefused) as refused:
        load_file(store, write(tmp_path / "v2", "time_logs.csv", CORRECTED), options=LoadOptions(replaces=replaces))
    assert refused.value.problem.startswith(says) and "\n" not in str(refused.value)
    assert fingerprint(store) == before


def bcm(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def program(tmp_path) -> Path:
    db = tmp_path / "s.duckdb"
    loaded = bcm("load", write(tmp_path, "patients.csv", PATIENTS), write(tmp_path / "v1", "time_logs.csv", FIRST), "--db", db)
    assert loaded.exit_code == 0, loaded.output
    return db


def test_bcm_load_replaces_says_what_it_closed(program, tmp_path):
    copy = write(tmp_path / "v2", "time_logs.csv", CORRECTED)
    result = bcm("load", copy, "--replaces", 2, "--db", program)
    assert result.exit_code == 0, result.output
    assert "time_logs: read 3 = loaded 2 + quarantined 0 + duplicates 1" in result.output
    assert "[load 3, " in result.output and "; closes 2 quarantined row(s) of load 2 (corrected copy)" in result.output
    listed = bcm("quarantine", "--db", program, "--out", tmp_path / "q.csv")
    assert listed.exit_code == 0 and "0 quarantined row(s)" in listed.output
    again = bcm("load", copy, "--replaces", 2, "--db", program)
    assert again.exit_code == 0
    assert "already loaded (load 3); nothing changed (load 3 replaced load 2 then)" in again.output


@pytest.mark.parametrize("args, says", [
    (["--replaces", "9"], "Error: v2/time_logs.csv: refused: --replaces 9: the store has no load 9 (its loads are 1-2;"),
    (["--replaces", "1"], "Error: v2/time_logs.csv: refused: --replaces 1: load 1 loaded patients (patients.csv), this file is time_logs"),
    (["--replaces", "2", "EXTRA"], "Error: --replaces 2 takes one file, the corrected copy of load 2; given 2"),
    (["--replaces", "2", "--profile", "akello"], "Error: --replaces does not go with --profile yet"),
], ids=["missing load", "another table's load", "two files", "profile"])
def test_bcm_load_refuses_a_replacement_in_one_line_and_keeps_the_store(program, tmp_path, args, says):
    copy = write(tmp_path / "v2", "time_logs.csv", CORRECTED)
    extra = write(tmp_path / "v2", "patients_2.csv", "patient_id,payer,enrollment_date\nP3,Medicare,2025-01-01\n")
    args = [extra if a == "EXTRA" else a for a in args]
    before = store_fingerprint(program)
    result = bcm("load", copy, *args, "--db", program)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(says.replace("v2/", f"{tmp_path}/v2/")), lines
    assert store_fingerprint(program) == before


def test_bcm_load_replaces_without_a_store_creates_none(tmp_path):
    db = tmp_path / "none.duckdb"
    result = bcm("load", write(tmp_path, "time_logs.csv", CORRECTED), "--replaces", 2, "--db", db)
    assert result.exit_code == 1 and result.output.strip() == f"Error: --replaces 2: no store at {db}, so no load 2 to replace"
    assert not db.exists()


E4_TO_DELETE = "E4,P1,bhcm,2025-02-06,20,outreach\n"
E6 = "E6,P2,bhcm,2025-02-08,30,outreach\n"


def test_a_corrected_copy_withdraws_the_rows_of_the_load_it_no_longer_holds(tmp_path):
    """An entry deleted in the fix (E4) stayed stored and billed: its 20 minutes took P1 past 35
    minutes, and reconciliation matched a 99492 the corrected export does not support. A row a
    later export changed (E6) is that export's now, and stays."""
    db = tmp_path / "s.duckdb"
    first = HEADER + E1 + E4_TO_DELETE + "E5,P2,bhcm,2025-02-07,40,outreach\n" + E6
    assert bcm("load", write(tmp_path, "patients.csv", PATIENTS), write(tmp_path / "v1", "time_logs.csv", first), "--db", db).exit_code == 0
    assert bcm("load", write(tmp_path / "v1b", "time_logs.csv", HEADER + "E6,P2,bhcm,2025-02-08,35,outreach\n"), "--db", db).exit_code == 0
    fixed = write(tmp_path / "v2", "time_logs.csv", HEADER + E1 + "E5,P2,bhcm,2025-02-07,10,outreach\n")
    result = bcm("load", fixed, "--replaces", 2, "--db", db)
    assert result.exit_code == 0, result.output
    assert "read 2 = loaded 1 (1 changed) + quarantined 0 + duplicates 1" in result.output
    assert "; withdrew 1 stored row(s) of load 2 the corrected copy no longer holds (entry_id E4)" in result.output
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT entry_id, minutes::INTEGER FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("E1", 30), ("E5", 10), ("E6", 35)]
    assert con.execute("SELECT row_key, old_record ->> 'minutes', new_record FROM meta.row_changes WHERE load_id = 4 AND new_record IS NULL"
                       ).fetchall() == [("E4", "20.0", None)]
    assert con.execute("SELECT patient_id, logged_minutes::INTEGER FROM marts.countable_minutes ORDER BY 1").fetchall() == [
        ("P1", 30), ("P2", 45)]  # the marts after the load: E4's minutes gone
    assert con.execute("SELECT rows_withdrawn FROM meta.load_log WHERE load_id = 4").fetchall() == [(1,)]
    con.close()


def test_a_corrected_patients_copy_withdraws_no_patient(store, tmp_path):
    """A patient the copy lacks may have time logs and claims of other loads: patients and clinics
    are never withdrawn by a corrected copy."""
    first = load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    result = load_file(store, write(tmp_path / "v2", "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n"),
                       options=LoadOptions(replaces=first.load_id))
    assert result.rows_withdrawn == 0
    assert store.execute("SELECT patient_id FROM staging.patients ORDER BY 1").fetchall() == [("P1",), ("P2",)]


def test_an_older_export_loaded_after_a_newer_one_is_said_to_put_values_back(tmp_path):
    """A June patients export saved again after October's loaded read "64 changed", and put back
    June's missing discharge and consent dates unsaid."""
    db = tmp_path / "s.duckdb"
    june = "patient_id,payer,enrollment_date,discharge_date\nP1,Medicare,2025-01-01,\nP2,Medicaid,2025-01-01,\n"
    october = "patient_id,payer,enrollment_date,discharge_date\nP1,Medicare,2025-01-01,2025-09-30\nP2,Medicaid,2025-01-01,\n"
    assert bcm("load", write(tmp_path / "jun", "patients.csv", june), "--db", db).exit_code == 0
    newer = bcm("load", write(tmp_path / "oct", "patients.csv", october), "--db", db)
    assert newer.exit_code == 0 and "went back" not in newer.output
    again = bcm("load", write(tmp_path / "jun2", "patients.csv", june.replace("\n", "\r\n")), "--db", db)
    assert again.exit_code == 0, again.output
    assert ("read 2 = loaded 1 (1 changed) + quarantined 0 + duplicates 1  [load 3, " in again.output
            and "; 1 of the changed rows went back to values load 2 had changed: an older export loaded after a newer one? "
                "If so, load the newest export again" in again.output)


def test_a_corrected_coverage_copy_withdraws_the_periods_of_patients_it_no_longer_names(tmp_path):
    """As history, a coverage file replaces the periods of the patients it names; as the corrected
    copy of a load, it also withdraws that load's periods of a patient it no longer names."""
    db = tmp_path / "s.duckdb"
    coverage = "patient_id,payer,start_date,end_date\nP1,Medicare,2025-01-01,\n"
    first = coverage + "P2,Medicaid,2025-01-01,2025-06-30\nP2,Medicare,2025-07-01,\n"
    assert bcm("load", write(tmp_path, "patients.csv", PATIENTS), write(tmp_path / "v1", "coverage.csv", first), "--db", db).exit_code == 0
    result = bcm("load", write(tmp_path / "v2", "coverage.csv", coverage), "--replaces", 2, "--db", db)
    assert result.exit_code == 0, result.output
    assert ("; withdrew 2 stored row(s) of load 2 the corrected copy no longer holds (patient_id/start_date P2/2025-01-01; "
            "patient_id/start_date P2/2025-07-01)") in result.output
