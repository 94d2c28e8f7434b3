"""The loader: where rows end up, which line they came from, and what a later load changes.

Fixtures are written by hand so a reader can count lines: `write(tmp_path, name, text)`
writes the exact bytes of an export.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hostile.helpers import fingerprint, write

from bcm_analytics.ingest import FileRefused, load_file

PATIENTS = "patient_id,payer,enrollment_date,discharge_date\nP1,Medicare,2025-01-01,\nP2,Medicaid,2025-01-01,2025-03-01\n"
TIME_LOG_HEADER = "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT table_name, line_number, status, failed_checks FROM meta.quarantine ORDER BY load_id, line_number").fetchall()


def lines(con: duckdb.DuckDBPyConnection, table: str, key: str) -> dict:
    return dict(con.execute(f"SELECT {key}, _line FROM staging.{table}").fetchall())


def test_line_numbers_count_physical_lines_around_quoted_breaks_and_blank_lines(store, tmp_path):
    """
    line 1  header
    line 2  E1
    line 3  (empty)
    line 4  E2 "first / line 5  second" (a quoted line break)
    line 6  E3 with a field too many  -> quarantined at line 6
    line 7  E4
    """
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = (
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type,note\n"
        "E1,P1,S1,bhcm,2025-02-03,30,outreach,called\n"
        "\n"
        'E2,P1,S1,bhcm,2025-02-04,20,assessment,"first\nsecond"\n'
        "E3,P1,S1,bhcm,2025-02-05,10,outreach,x,extra\n"
        "E4,P1,S1,bhcm,2025-02-06,15,outreach,done\n"
    )
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert lines(store, "time_logs", "entry_id") == {"E1": 2, "E2": 4, "E4": 7}
    assert quarantine(store) == [("time_logs", 6, "open", ["csv: too many columns"])]


ROW = "E{0},P1,S1,bhcm,2025-02-0{0},20,outreach,called\n"
NOTE_HEADER = "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type,note\n"


@pytest.mark.parametrize("fifth, lines_", [
    (ROW.format(5), "4-9"),  # the quote is never closed: its record runs to the end of the file
    ('E5,P1,S1,bhcm,2025-02-05,20,outreach,"x"\n', "4-6"),  # the next quote (line 6) closes it
], ids=["never closed", "closed lines later"])
def test_a_quote_that_swallows_the_lines_after_it_refuses_the_file(store, tmp_path, fifth, lines_):
    """Line 4 opens a quote it does not close; the rows after it would become part of its record
    (one quarantine entry, or nothing), so the file is refused whole, naming the lines, and the
    store keeps nothing of it."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    before = fingerprint(store)
    unclosed = 'E3,P1,S1,bhcm,2025-02-03,20,outreach,"called back\n'
    text = NOTE_HEADER + ROW.format(1) + ROW.format(2) + unclosed + ROW.format(4) + fifth + ROW.format(6) \
        + ROW.format(7) + ROW.format(8)
    with pytest.raises(FileRefused) as refused:
        load_file(store, write(tmp_path, "time_logs.csv", text))
    assert f"lines {lines_} cannot be read as rows" in refused.value.problem and "\n" not in str(refused.value)
    assert fingerprint(store) == before


def test_an_unclosed_quote_on_the_last_line_swallows_nothing_and_is_quarantined(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = NOTE_HEADER + ROW.format(1) + 'E2,P1,S1,bhcm,2025-02-02,20,outreach,"called back\n'
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert quarantine(store)[-1][:2] == ("time_logs", 3)


def test_line_numbers_without_line_breaks_in_values_follow_rejected_lines(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P1,S1\nE3,P1,S1,bhcm,2025-02-03,30,outreach\n"
    load_file(store, write(tmp_path, "time_logs.csv", text))
    assert lines(store, "time_logs", "entry_id") == {"E1": 2, "E3": 4}
    assert quarantine(store) == [("time_logs", 3, "open", ["csv: missing columns"])]


def test_record_order_is_file_order_on_a_larger_file(store, tmp_path):
    """DuckDB numbers records in a streaming window; 30,000 rows cross many read chunks."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    body = "".join(f"E{i},P1,S1,bhcm,2025-02-03,{1 + i % 50},outreach\n" for i in range(2, 30_002))
    load_file(store, write(tmp_path, "time_logs.csv", TIME_LOG_HEADER + body))
    assert store.execute("SELECT count(*) FROM staging.time_logs WHERE entry_id <> 'E' || _line").fetchall() == [(0,)]


def test_mixed_line_ends_load_and_still_catch_extra_fields(store, tmp_path):
    text = "patient_id,payer,enrollment_date\r\nP1,Medicare,2025-01-01\nP2,Medicare,2025-01-02,oops\r\nP3,Medicare,2025-01-03\n"
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert lines(store, "patients", "patient_id") == {"P1": 2, "P3": 4}


def test_a_row_waiting_for_its_patient_is_admitted_by_the_load_that_brings_it(store, tmp_path):
    logs = TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P9,S1,bhcm,2025-02-03,30,outreach\n"
    first = load_file(store, write(tmp_path, "time_logs.csv", logs))
    assert (first.rows_quarantined, first.rows_waiting) == (2, 2)
    assert [r[2] for r in quarantine(store)] == ["waiting", "waiting"]

    patients = load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    assert patients.rows_admitted == 1
    assert lines(store, "time_logs", "entry_id") == {"E1": 2}
    assert [r[2] for r in quarantine(store)] == ["admitted", "waiting"]
    assert store.execute("SELECT rows_admitted_from_quarantine FROM meta.load_log WHERE table_name = 'patients'").fetchall() == [(1,)]
    assert store.execute("SELECT _load_id, _source_file LIKE '%time_logs.csv' FROM staging.time_logs").fetchall() == [(first.load_id, True)]


def test_a_row_failing_another_check_too_stays_open(store, tmp_path):
    logs = TIME_LOG_HEADER + "E1,P9,S1,bhcm,2025-02-03,0,outreach\n"
    load_file(store, write(tmp_path, "time_logs.csv", logs))
    assert quarantine(store) == [("time_logs", 2, "open", ["patient known", "minutes positive unless a no-show"])]


def test_an_open_row_is_superseded_by_the_same_bad_row_again_then_by_its_correction(store, tmp_path):
    """E2 has 0 minutes (open). A newer export still has it wrong: only its newest entry is open.
    The corrected row loads: nothing of E2 is left to fix. E3, wrong in its own way, stays open."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    bad = "E2,P1,S1,bhcm,2025-02-04,0,outreach\n"
    load_file(store, write(tmp_path, "time_logs_1.csv", TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\n" + bad))
    load_file(store, write(tmp_path, "time_logs_2.csv", TIME_LOG_HEADER + bad + "E3,P1,S1,bhcm,2025-02-05,-5,outreach\n"))
    assert [(r[0], r[2]) for r in store.execute(
        "SELECT load_id, line_number, status FROM meta.quarantine ORDER BY load_id, line_number").fetchall()] == [
        (2, "superseded"), (3, "open"), (3, "open")]
    load_file(store, write(tmp_path, "time_logs_3.csv", TIME_LOG_HEADER + "E2,P1,S1,bhcm,2025-02-04,25,outreach\n"))
    assert store.execute("SELECT count(*) FROM meta.quarantine WHERE status = 'open'").fetchall() == [(1,)]
    assert store.execute("SELECT r.entry_id FROM meta.quarantine q JOIN raw.time_logs r ON r._load_id = q.load_id "
                         "AND r._line = q.line_number WHERE q.status = 'open'").fetchall() == [("E3",)]


def test_a_row_with_no_key_exported_again_is_listed_once_until_the_row_changes(store, tmp_path):
    """A patients row with no patient_id, in every monthly re-export, was open once per export
    (5 entries after five months, one in a store loaded once). Without a key, a row is the same
    row when every column is: one with another value is another row to fix."""
    header = "patient_id,payer,enrollment_date\n"
    keyless = ",Medicare,2025-03-01\n"
    months = [keyless, "P2,Medicaid,2025-02-01\n" + keyless, keyless + ",Medicaid,2025-04-01\n"]
    for month, rows in enumerate(months, start=1):  # each month's export holds P1 and what came since
        load_file(store, write(tmp_path, f"patients_{month}.csv", header + "P1,Medicare,2025-01-01\n" + rows))
    assert store.execute("SELECT load_id, line_number, status FROM meta.quarantine ORDER BY load_id, line_number").fetchall() == [
        (1, 3, "superseded"), (2, 4, "superseded"), (3, 3, "open"), (3, 4, "open")]


def test_a_newer_export_of_a_waiting_row_supersedes_it(store, tmp_path):
    load_file(store, write(tmp_path, "time_logs_1.csv", TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\n"))
    load_file(store, write(tmp_path, "time_logs_2.csv", TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,45,outreach\n"))
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    assert store.execute("SELECT entry_id, minutes FROM staging.time_logs").fetchall() == [("E1", 45.0)]
    assert [r[2] for r in quarantine(store)] == ["superseded", "admitted"]


def test_a_waiting_row_set_aside_again_by_a_newer_export_waits_once(store, tmp_path):
    """E2 names a patient not loaded yet (waiting). The next full export still has it so, and one
    row more: the row waits under the newer load only, so the data-quality page's rows to act on
    and `bcm quarantine` count it once, not once per export that carried it."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    logs = TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P9,S1,bhcm,2025-02-03,30,outreach\n"
    load_file(store, write(tmp_path, "time_logs_1.csv", logs))
    load_file(store, write(tmp_path, "time_logs_2.csv", logs + "E3,P1,S1,bhcm,2025-02-04,20,outreach\n"))
    assert store.execute("SELECT load_id, status FROM meta.quarantine ORDER BY load_id").fetchall() == [
        (2, "superseded"), (3, "waiting")]
    load_file(store, write(tmp_path, "patients_2.csv", "patient_id,payer,enrollment_date\nP9,Medicare,2025-01-01\n"))
    assert store.execute("SELECT load_id, status FROM meta.quarantine ORDER BY load_id").fetchall() == [
        (2, "superseded"), (3, "admitted")]
    assert store.execute("SELECT entry_id, _load_id FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("E1", 2), ("E2", 3), ("E3", 3)]


def test_the_load_line_says_which_rows_set_aside_were_set_aside_before(store, tmp_path):
    """A program sends its full time-log export every month: the load line read 'quarantined 2'
    twice, and nobody could tell the new bad row from the one still to fix. E2 (0 minutes) and E3
    (an unknown patient, waiting) were set aside by the first load; the second sets them aside
    again, with E4 new."""
    from bcm_analytics.cli.data import summary_line

    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    logs = TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P1,S1,bhcm,2025-02-04,0,outreach\nE3,P9,S1,bhcm,2025-02-04,20,outreach\n"
    first = load_file(store, write(tmp_path, "time_logs_1.csv", logs))
    assert first.rows_again == 0
    path = write(tmp_path, "time_logs_2.csv", logs + "E4,P1,S1,bhcm,2025-02-05,-5,outreach\n")
    second = load_file(store, path)
    assert (second.rows_quarantined, second.rows_again, second.rows_waiting) == (3, 2, 1)
    assert " + quarantined 3 (2 set aside before by an earlier load; 1 waiting for rows they refer to)" \
        in summary_line(path, second)


def test_a_waiting_row_is_superseded_by_a_corrected_row_loaded_directly(store, tmp_path):
    """E1 was logged to an unknown patient; the corrected export names a known one."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    load_file(store, write(tmp_path, "time_logs_1.csv", TIME_LOG_HEADER + "E1,P9,S1,bhcm,2025-02-03,30,outreach\n"))
    load_file(store, write(tmp_path, "time_logs_2.csv", TIME_LOG_HEADER + "E1,P1,S1,bhcm,2025-02-03,30,outreach\n"))
    assert [r[2] for r in quarantine(store)] == ["superseded"]
    load_file(store, write(tmp_path, "patients_2.csv", "patient_id,payer,enrollment_date\nP9,Medicare,2025-01-01\n"))
    assert store.execute("SELECT patient_id FROM staging.time_logs").fetchall() == [("P1",)]


CLAIMS = "claim_id,line_number,patient_id,date_of_service,procedure_code,units,billing_provider_npi\n"


def test_a_claim_for_an_unknown_patient_is_kept_for_reconciliation_until_the_patient_arrives(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    result = load_file(store, write(tmp_path, "claims.csv", CLAIMS + "C1,1,P1,2025-02-28,99493,1,1234567893\nC2,1,P7,2025-02-28,99493,1,1234567893\n"))
    assert (result.rows_loaded, result.rows_waiting) == (1, 1)
    held = store.execute("SELECT claim_id, line_number, patient_id, procedure_code, _line FROM staging.claims_unknown_patient").fetchall()
    assert held == [("C2", 1, "P7", "99493", 3)]

    load_file(store, write(tmp_path, "patients_2.csv", "patient_id,payer,enrollment_date\nP7,Medicare,2025-01-01\n"))
    assert store.execute("SELECT claim_id FROM staging.claims ORDER BY 1").fetchall() == [("C1",), ("C2",)]
    assert store.execute("SELECT count(*) FROM staging.claims_unknown_patient").fetchall() == [(0,)]


def test_warn_level_checks_keep_the_row_and_record_the_warning(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    logs = TIME_LOG_HEADER + "E1,P1,,bhcm,2025-02-03,30,outreach\nE2,P2,S1,bhcm,2025-04-01,30,outreach\n"
    result = load_file(store, write(tmp_path, "time_logs.csv", logs))
    assert (result.rows_loaded, result.rows_warned) == (2, 2)
    warnings = store.execute("SELECT line_number, row_key, check_name FROM meta.row_warnings ORDER BY 1").fetchall()
    assert warnings == [(2, "E1", "care manager named"), (3, "E2", "on or before discharge")]


def test_a_key_repeated_with_other_values_in_one_file_is_quarantined(store, tmp_path):
    text = "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\nP1,Medicare,2025-01-01\nP1,Medicaid,2025-01-01\n"
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_quarantined) == (3, 1, 1, 1)
    assert quarantine(store) == [("patients", 4, "open", ["patient_id unique within file"])]


def test_a_changed_row_replaces_the_stored_one_and_the_change_is_kept(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    result = load_file(store, write(tmp_path, "patients_2.csv", "patient_id,payer,enrollment_date,discharge_date\nP1,Medicaid,2025-01-01,\n"))
    assert (result.rows_loaded, result.rows_changed) == (1, 1)
    assert store.execute("SELECT payer FROM staging.patients WHERE patient_id = 'P1'").fetchall() == [("Medicaid",)]
    assert store.execute("SELECT row_key, old_record ->> 'payer', new_record ->> 'payer' FROM meta.row_changes").fetchall() == [
        ("P1", "Medicare", "Medicaid")
    ]


def test_loading_the_same_export_again_changes_nothing(store, tmp_path):
    path = write(tmp_path, "patients.csv", PATIENTS + "P3,,2025-01-01,\n")
    load_file(store, path)
    before = fingerprint(store)
    again = load_file(store, path)
    copy = load_file(store, write(tmp_path / "elsewhere", "patients_copy.csv", path.read_text()))
    assert again.already_loaded and copy.already_loaded
    assert fingerprint(store) == before


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("time_logs.csv", "entry_id,patient_id\nE1,P1\n", "missing required columns staff_role, service_date, minutes, activity_type"),
        ("patients.csv", "", "the file is empty"),
        ("visits.csv", "a,b\n1,2\n", "cannot tell which table"),
    ],
)
def test_a_refused_file_is_one_line_and_leaves_the_store_unchanged(store, tmp_path, name, text, problem):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    before = fingerprint(store)
    with pytest.raises(FileRefused) as refused:
        load_file(store, write(tmp_path / "bad", name, text))
    assert problem in refused.value.problem and "\n" not in str(refused.value)
    assert fingerprint(store) == before


def test_parquet_rows_are_numbered_from_one(store, tmp_path):
    path = tmp_path / "patients.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM (VALUES ('P1', 'Medicare', '2025-01-01'), ('P2', NULL, '2025-01-01')) t(patient_id, payer, enrollment_date)) TO '{path}'"
    )
    result = load_file(store, path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert quarantine(store) == [("patients", 2, "open", ["payer required"])]


def test_utf16_text_from_excel_is_read(store, tmp_path):
    path = tmp_path / "patients.txt"
    path.write_bytes("patient_id\tpayer\tenrollment_date\r\nP1\tCaisse Générale\t2025-01-01\r\n".encode("utf-16"))
    load_file(store, path)
    assert store.execute("SELECT payer FROM staging.patients").fetchall() == [("Caisse Générale",)]


def test_dates_in_many_shapes_read_as_the_same_day(store, tmp_path):
    text = (
        "patient_id,payer,enrollment_date\n"
        "P1,M,2025-01-31\nP2,M,01/31/2025\nP3,M,45688\nP4,M,31.01.2025\nP5,M,20250131\nP6,M,1738281600\nP7,M,1738281600000\n"
    )
    load_file(store, write(tmp_path, "patients.csv", text))
    days = store.execute("SELECT DISTINCT CAST(enrollment_date AS VARCHAR) FROM staging.patients").fetchall()
    assert days == [("2025-01-31",)]


def test_dates_that_do_not_exist_or_lie_in_the_future_are_quarantined(store, tmp_path):
    text = "patient_id,payer,enrollment_date\nP1,M,2026-02-30\nP2,M,2999-01-01\n"
    load_file(store, write(tmp_path, "patients.csv", text))
    assert quarantine(store) == [
        ("patients", 2, "open", ["enrollment_date readable as date"]),
        ("patients", 3, "open", ["enrollment_date not in the future"]),
    ]


def test_every_kind_of_row_adds_up(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    logs = TIME_LOG_HEADER + (
        "E1,P1,S1,bhcm,2025-02-03,30,outreach\n"  # loaded
        "E1,P1,S1,bhcm,2025-02-03,30,outreach\n"  # duplicate within the file
        "E2,P9,S1,bhcm,2025-02-03,30,outreach\n"  # waiting for its patient
        "E3,P1,S1,bhcm,2025-02-03,abc,outreach\n"  # minutes not a number
        "E4,P1,S1\n"  # too few fields
    )
    result = load_file(store, write(tmp_path, "time_logs.csv", logs))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (5, 1, 3, 1)
    assert result.adds_up


def test_the_loaded_path_is_kept_as_given(store, tmp_path):
    path = write(tmp_path, "patients.csv", PATIENTS)
    load_file(store, Path(path))
    assert store.execute("SELECT DISTINCT _source_file FROM staging.patients").fetchall() == [(str(path),)]
