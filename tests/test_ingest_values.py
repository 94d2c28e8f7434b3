"""Value parsing that never guesses silently (issue 11 item 4): each quirk of real exports on a
small fixture written for it, and the four silent failures the issue quotes, on its exact inputs."""

from __future__ import annotations

import pytest
from hostile.helpers import fingerprint, write

from bcm_analytics.ingest import FileRefused, LoadOptions, load_file

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\n"
LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"
CLAIMS = "claim_id,line_number,patient_id,date_of_service,procedure_code,units,paid_amount,charge_amount\n"


def quarantined(con, load_id: int) -> list[tuple]:
    return con.execute(
        "SELECT line_number, failed_checks, reason FROM meta.quarantine WHERE load_id = ? ORDER BY line_number", [load_id]
    ).fetchall()


@pytest.fixture
def with_patient(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    return store


# --- silent failure 1: 2/10/25 loaded as the year 0025 ---------------------------------------

def test_a_two_digit_year_is_set_aside_with_the_reason_quoted_in_the_issue(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,2/10/25,30,outreach\n"))
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    [(line, checks, reason)] = quarantined(with_patient, result.load_id)
    assert (line, checks) == (2, ["service_date readable as datetime"])
    assert reason == "service_date: 2-digit year in '2/10/25': write the year in full, or set two_digit_year_pivot in a profile"
    assert with_patient.execute("SELECT count(*) FROM staging.time_logs").fetchall() == [(0,)]


def test_a_two_digit_year_pivot_reads_the_year(with_patient, tmp_path):
    text = LOGS + "E1,P1,bhcm,2/10/25,30,outreach\nE2,P1,bhcm,10.02.25 14:05,30,outreach\n"
    load_file(with_patient, write(tmp_path, "time_logs.csv", text), options=LoadOptions(two_digit_year_pivot=1950))
    got = with_patient.execute("SELECT entry_id, CAST(service_date AS VARCHAR) FROM core.time_logs ORDER BY 1").fetchall()
    assert got == [("E1", "2025-02-10"), ("E2", "2025-02-10")]


@pytest.mark.parametrize("pivot, expected", [(1950, "1960-02-10"), (1970, "2060-02-10")])
def test_the_pivot_decides_the_century(store, tmp_path, pivot, expected):
    text = "patient_id,payer,enrollment_date,birth_date\nP1,Medicare,2024-01-01,2/10/60\n"
    load_file(store, write(tmp_path, "patients.csv", text), options=LoadOptions(two_digit_year_pivot=pivot))
    stored = store.execute("SELECT CAST(birth_date AS VARCHAR) FROM staging.patients").fetchall()
    assert stored == ([(expected,)] if expected < "2026" else [])  # 2060 is a birth date in the future: rejected


def test_a_date_set_aside_is_quoted_as_written_not_as_the_pivot_filled_it(store, tmp_path):
    """A birth date of 3/4/68 read with the pivot 2000 is in the future; its reason said 'birth_date
    2068-03-04 is after the date of the export', a value that is nowhere in the file. It quotes
    the value as written, then how it was read."""
    text = "patient_id,payer,enrollment_date,birth_date\nP1,Medicare,2024-01-01,3/4/68\nP2,Medicare,2024-01-01,2068-03-04\n"
    result = load_file(store, write(tmp_path, "patients.csv", text), options=LoadOptions(two_digit_year_pivot=2000))
    assert [(line, reason) for line, _, reason in quarantined(store, result.load_id)] == [
        (2, "birth_date '3/4/68' (read as 2068-03-04) is after the date of the export"),
        (3, "birth_date 2068-03-04 is after the date of the export")]


def test_dates_in_the_accepted_shapes_read_as_the_same_day(store, tmp_path):
    text = "patient_id,payer,enrollment_date\nP1,M,2025-02-10\nP2,M,2/10/2025\nP3,M,10.02.2025\nP4,M,02/10/2025\n"
    load_file(store, write(tmp_path, "patients.csv", text))
    assert store.execute("SELECT DISTINCT CAST(enrollment_date AS VARCHAR) FROM staging.patients").fetchall() == [("2025-02-10",)]


def test_iso_date_times_to_the_second_read_as_wall_clock_and_impossible_ones_are_set_aside(with_patient, tmp_path):
    """The readers' short cut for 2025-02-10 14:05:00 (parsing.sql, bcm_is_iso_datetime) answers as
    the general formats do: a wall-clock reading with its time, a start time as a clock on the
    service date or a full reading; February 30 and 24:00:00 are no time at all (a cast would roll
    24:00:00 over to the next day)."""
    text = ("entry_id,patient_id,staff_role,service_date,minutes,activity_type,start_time\n"
            "E1,P1,bhcm,2025-02-10 14:05:00,30,outreach,09:30\n"
            "E2,P1,bhcm,2025-02-10T14:05:09,30,outreach,2025-02-10 14:05:09\n"
            "E3,P1,bhcm,2025-02-30 14:05:00,30,outreach,\n"
            "E4,P1,bhcm,2025-02-10 24:00:00,30,outreach,\n")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    stored = with_patient.execute(
        """SELECT entry_id, CAST(service_date_local AS VARCHAR), service_date_instant, service_date_has_time,
                  CAST(start_time_local AS VARCHAR), start_time_has_time FROM staging.time_logs ORDER BY 1"""
    ).fetchall()
    assert stored == [("E1", "2025-02-10 14:05:00", None, True, "2025-02-10 09:30:00", True),
                      ("E2", "2025-02-10 14:05:09", None, True, "2025-02-10 14:05:09", True)]
    assert [(line, checks) for line, checks, _ in quarantined(with_patient, result.load_id)] == [
        (4, ["service_date readable as datetime"]), (5, ["service_date readable as datetime"])]


def test_an_offset_of_hours_alone_reads_as_an_instant_in_csv_and_typed_parquet(with_patient, tmp_path):
    """+00 and -05 (DuckDB's and PostgreSQL's text for a timestamp with time zone) are offsets like
    +01:00; a Parquet column of typed UTC instants reads the same as its CSV text."""
    import duckdb

    text = ("entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"
            "E1,P1,bhcm,2025-02-12 10:00:00+00,30,outreach\n"
            "E2,P1,bhcm,2025-02-12 10:00:00-05,30,outreach\n"
            "E3,P1,bhcm,2025-02-12T10:00+0100,30,outreach\n")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    parquet = tmp_path / "typed" / "time_logs.parquet"
    parquet.parent.mkdir()
    duckdb.execute(f"""COPY (SELECT 'E4' AS entry_id, 'P1' AS patient_id, 'bhcm' AS staff_role,
                       TIMESTAMPTZ '2025-02-12 10:00:00+00' AS service_date, 30 AS minutes, 'outreach' AS activity_type)
                       TO '{parquet}'""")
    assert load_file(with_patient, parquet).rows_loaded == 1
    stored = with_patient.execute("SELECT entry_id, strftime(timezone('UTC', service_date_instant), '%H:%M') "
                                  "FROM staging.time_logs ORDER BY 1").fetchall()
    assert stored == [("E1", "10:00"), ("E2", "15:00"), ("E3", "09:00"), ("E4", "10:00")]


def test_a_date_time_set_aside_names_every_offset_form_that_reads(with_patient, tmp_path):
    """2026-03-01T23:30:00+0100 and 2026-03-01 23:30:00-05 read, but a service_date set aside was
    told only of Z, -05:00 and +01:00: a steward fixing a file of +0100 offsets was not told its
    other rows' form reads. The reason names each offset form the readers take."""
    text = LOGS + "E1,P1,bhcm,2026-03-01T23:30:00+0100,30,outreach\nE2,P1,bhcm,2026-03-01T23:30:00+01000,30,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [(line, _, reason)] = quarantined(with_patient, result.load_id)
    assert line == 3 and reason.startswith("service_date '2026-03-01T23:30:00+01000' is not a real date/time"), reason
    import re

    offsets = {m["offset"] for item in reason.split(" (", 1)[1].rstrip(")").split(", ") if (m := re.search(r":[0-9]{2}(\.[0-9]+)?(?P<offset>Z|[+-][0-9]{2}(:?[0-9]{2})?)$", item))}
    assert offsets == {"Z", "-05:00", "+01:00", "+0100", "-05"}, reason


def test_a_three_digit_year_is_not_a_year(store, tmp_path):
    result = load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\nP1,M,2/10/025\n"))
    assert [q[1] for q in quarantined(store, result.load_id)] == [["enrollment_date readable as date"]]


def test_dates_before_1990_and_births_before_1900_are_rejected(store, tmp_path):
    text = (
        "patient_id,payer,enrollment_date,consent_date,discharge_date,birth_date\n"
        "P1,M,1989-12-31,,,\n"
        "P2,M,2024-01-01,1985-06-01,,\n"
        "P3,M,2024-01-01,,,1899-12-31\n"
        "P4,M,1990-01-01,1990-01-01,,1900-01-01\n"
    )
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert [q[:2] for q in quarantined(store, result.load_id)] == [
        (2, ["enrollment_date not before 1990"]),
        (3, ["consent_date not before 1990"]),
        (4, ["birth_date not before 1900"]),
    ]
    assert store.execute("SELECT patient_id FROM staging.patients").fetchall() == [("P4",)]


@pytest.mark.parametrize(
    "table, text, check",
    [
        ("time_logs", LOGS + "E1,P1,bhcm,02/10/1925,30,outreach\n", "service_date not before 1990"),
        ("claims", CLAIMS + "C1,1,P1,1925-02-10,99492,1,,\n", "date_of_service not before 1990"),
        ("assessments", "assessment_id,patient_id,instrument,administered_on,total_score\nA1,P1,PHQ-9,1925-02-10,5\n",
         "administered_on not before 1990"),
    ],
)
def test_a_service_claim_or_score_before_1990_is_rejected(with_patient, tmp_path, table, text, check):
    result = load_file(with_patient, write(tmp_path, f"{table}.csv", text))
    [(_, checks, reason)] = quarantined(with_patient, result.load_id)
    assert checks == [check] and "before 1990" in reason


# --- a month written as a word (EHR report exports, Excel's dd-mmm-yyyy) -------------------------

def test_dates_with_the_month_written_as_a_word_read_as_that_day(with_patient, tmp_path):
    """Epic's and athena's report exports and Excel's dd-mmm-yyyy write the month as a word; a month
    named reads one way only. They were set aside as unreadable. A comma inside a value is quoted, as
    an export writes it."""
    text = LOGS + "".join(f'E{n:02d},P1,bhcm,"{value}",30,outreach\n' for n, value in enumerate([
        "Jan 10, 2025", "January 10, 2025", "10-Jan-2025", "10 Jan 2025", "2025-Jan-10",
        "JAN 10 2025", "jan. 10, 2025", "Sept 10, 2025", "SEP 10, 2025", "10-Sept-2025", "May 10, 2025"]))
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (11, 0)
    got = with_patient.execute("SELECT CAST(service_date AS VARCHAR) FROM core.time_logs ORDER BY entry_id").fetchall()
    assert [day for (day,) in got] == ["2025-01-10"] * 7 + ["2025-09-10"] * 3 + ["2025-05-10"]


def test_a_month_word_date_keeps_its_time_as_a_us_date_does(with_patient, tmp_path):
    text = (LOGS.strip() + ",start_time\n"
            'E1,P1,bhcm,"Jan 10, 2025 2:30 PM",30,outreach,"Jan 10, 2025 2:30 PM"\n'
            "E2,P1,bhcm,10-Jan-2025 14:05,30,outreach,10 Jan 2025 14:05:30\n"
            "E3,P1,bhcm,10-Jan-2025,30,outreach,\n")
    load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    stored = with_patient.execute(
        """SELECT entry_id, CAST(service_date_local AS VARCHAR), service_date_has_time, CAST(start_time_local AS VARCHAR)
           FROM staging.time_logs ORDER BY 1""").fetchall()
    assert stored == [("E1", "2025-01-10 14:30:00", True, "2025-01-10 14:30:00"),
                      ("E2", "2025-01-10 14:05:00", True, "2025-01-10 14:05:30"),
                      ("E3", "2025-01-10 00:00:00", False, None)]


def test_an_impossible_day_or_an_unknown_month_word_is_set_aside_naming_the_month_forms(store, tmp_path):
    text = ('patient_id,payer,enrollment_date\nP1,M,"Feb 30, 2025"\nP2,M,"Foo 10, 2025"\nP3,M,"Janu 10, 2025"\n'
            'P4,M,31-Apr-2025\nP5,M,"Jan 10, 2025 25:00"\n')
    result = load_file(store, write(tmp_path, "patients.csv", text))
    reasons = quarantined(store, result.load_id)
    assert [(line, checks) for line, checks, _ in reasons] == [(n, ["enrollment_date readable as date"]) for n in range(2, 7)]
    assert reasons[0][2].startswith("enrollment_date 'Feb 30, 2025' is not a real date in a known format (2025-01-31, ")
    assert all("Jan 31, 2025 (the month's name or its 3 letters" in reason and "31-Jan-2025" in reason for _, _, reason in reasons)


def test_a_two_digit_year_after_a_month_word_is_set_aside_asking_for_a_pivot(store, tmp_path):
    """10-JAN-25 (Oracle's and Excel's d-mmm-yy) is a 2-digit year as 2/10/25 is: never guessed."""
    text = "patient_id,payer,enrollment_date,birth_date\nP1,M,10-JAN-25,\nP2,M,2024-01-01,10-Jan-68\n"
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert [(line, reason) for line, _, reason in quarantined(store, result.load_id)] == [
        (2, "enrollment_date: 2-digit year in '10-JAN-25': write the year in full, or set two_digit_year_pivot in a profile"),
        (3, "birth_date: 2-digit year in '10-Jan-68': write the year in full, or set two_digit_year_pivot in a profile")]


def test_a_two_digit_year_after_a_month_word_is_read_with_a_pivot_and_quoted_as_written(store, tmp_path):
    """With a pivot it is read as 2/10/25 is, and a future birth date is quoted as written, as 3/4/68 is."""
    text = "patient_id,payer,enrollment_date,birth_date\nP1,M,10-JAN-25,\nP2,M,2024-01-01,10-Jan-68\n"
    result = load_file(store, write(tmp_path, "patients.csv", text), options=LoadOptions(two_digit_year_pivot=2000))
    assert [(line, reason) for line, _, reason in quarantined(store, result.load_id)] == [
        (3, "birth_date '10-Jan-68' (read as 2068-01-10) is after the date of the export")]
    assert store.execute("SELECT CAST(enrollment_date AS VARCHAR) FROM staging.patients").fetchall() == [("2025-01-10",)]


# --- silent failure 2: a Windows-1252 file refused as "not latin-1" ---------------------------

def test_a_windows_1252_file_with_a_curly_apostrophe_loads(store, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_bytes("patient_id,payer,enrollment_date\nP1,St Mary\u2019s Health Plan,2025-01-01\n".encode("cp1252"))
    assert b"\x92" in path.read_bytes()
    result = load_file(store, path)
    assert result.rows_loaded == 1
    assert store.execute("SELECT payer FROM staging.patients").fetchall() == [("St Mary\u2019s Health Plan",)]
    assert store.execute("SELECT encoding FROM meta.load_log").fetchall() == [("cp1252",)]


def test_a_file_no_encoding_decodes_is_refused_naming_line_and_byte(store, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_bytes(b"patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\nP2,Medi\x81care,2025-01-01\n")
    before = fingerprint(store)
    with pytest.raises(FileRefused) as refused:
        load_file(store, path)
    problem = refused.value.problem
    assert problem.startswith("line 3 (byte 64 of the file, 0x81) is not text in UTF-8 or Windows-1252; save it as UTF-8")
    assert "\n" not in str(refused.value)
    assert fingerprint(store) == before


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_both_lines(store, tmp_path):
    """Line 2 is UTF-8 (M\u00e9dicare), line 3 Windows-1252: read as Windows-1252 the first would be
    stored as M\u00c3\u00a9dicare, so the file is refused, the store unchanged."""
    path = tmp_path / "patients.csv"
    path.write_bytes(b"patient_id,payer,enrollment_date\n" + "P1,M\u00e9dicare,2025-01-01\n".encode("utf-8")
                     + "P2,St Mary\u2019s,2025-01-01\n".encode("cp1252"))
    before = fingerprint(store)
    with pytest.raises(FileRefused) as refused:
        load_file(store, path)
    assert refused.value.problem.startswith("line 3 (byte 68 of the file, 0x92) is not UTF-8 while line 2 is: the file "
                                            "mixes encodings; save it as UTF-8")
    assert fingerprint(store) == before


def test_utf8_with_and_without_a_bom_and_utf16_read_the_same(store, tmp_path):
    text = "patient_id,payer,enrollment_date\nP{n},Caisse G\u00e9n\u00e9rale,2025-01-01\n"
    (tmp_path / "patients_1.csv").write_bytes(text.format(n=1).encode("utf-8"))
    (tmp_path / "patients_2.csv").write_bytes(text.format(n=2).encode("utf-8-sig"))
    (tmp_path / "patients_3.csv").write_bytes(text.format(n=3).encode("utf-16"))
    for n in (1, 2, 3):
        load_file(store, tmp_path / f"patients_{n}.csv")
    assert store.execute("SELECT DISTINCT payer FROM staging.patients").fetchall() == [("Caisse G\u00e9n\u00e9rale",)]


# --- silent failure 3: claims with $145.00, 1,145.00 or 99492-25 set aside --------------------

def test_amounts_with_currency_and_thousands_and_codes_with_modifiers_load(with_patient, tmp_path):
    text = CLAIMS + (
        'C1,1,P1,2025-02-28,99492-25,1,$145.00,"1,145.00"\n'
        'C2,1,P1,2025-02-28,99492 25,1,"$1,145.00",145\n'
        "C3,1,P1,2025-02-28,99492:25,1,-$10.00,\n"
        "C4,1,P1,2025-02-28,G2214,1,,\n"
    )
    result = load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (4, 0)
    rows = with_patient.execute(
        "SELECT claim_id, procedure_code, modifier, paid_amount, charge_amount FROM staging.claims ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("C1", "99492", "25", 145.0, 1145.0),
        ("C2", "99492", "25", 1145.0, 145.0),
        ("C3", "99492", "25", -10.0, None),
        ("C4", "G2214", None, None, None),
    ]


def test_modifiers_after_the_code_and_in_the_modifier_column_are_both_kept_each_once(with_patient, tmp_path):
    """The column's 95 used to replace the 25 written after the code."""
    text = (
        "claim_id,patient_id,date_of_service,procedure_code,modifier\n"
        "C1,P1,2025-02-28,99492-25,95\n"
        "C2,P1,2025-02-28,99492 GT,gt\n"
        "C3,P1,2025-02-28,99492 GT 25,95 GT\n"
        'C4,P1,2025-02-28,99493,"25,59"\n'
        "C5,P1,2025-02-28,99493, gt ; 95\n"
    )
    load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert with_patient.execute("SELECT claim_id, procedure_code, modifier FROM staging.claims ORDER BY 1").fetchall() == [
        ("C1", "99492", "25 95"), ("C2", "99492", "GT"), ("C3", "99492", "GT 25 95"),
        ("C4", "99493", "25 59"), ("C5", "99493", "GT 95")], "one spelling, however the export wrote them"


def test_an_amount_in_parentheses_is_a_negative_amount(with_patient, tmp_path):
    """A payer's remittance saved from Excel's accounting format writes a reversal's paid amount
    as ($153.19): set aside as 'not an amount', where -$153.19 loads. Parentheses around an amount
    are its minus sign; one only opened, or around a sign of its own, is still set aside."""
    text = (
        "claim_id,patient_id,date_of_service,procedure_code,paid_amount\n"
        'C1,P1,2025-02-28,99493,($153.19)\n'
        'C2,P1,2025-02-28,99493,"$(1,145.00)"\n'
        "C3,P1,2025-02-28,99493,(12)\n"
        "C4,P1,2025-02-28,99493,($153.19\n"
        "C5,P1,2025-02-28,99493,(-12.00)\n"
    )
    result = load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert with_patient.execute("SELECT claim_id, paid_amount FROM staging.claims ORDER BY 1").fetchall() == [
        ("C1", -153.19), ("C2", -1145.0), ("C3", -12.0)]
    assert [line for line, _, _ in quarantined(with_patient, result.load_id)] == [5, 6]


def test_a_modifier_column_is_kept_and_bad_amounts_are_set_aside_with_the_accepted_forms(with_patient, tmp_path):
    text = (
        "claim_id,patient_id,date_of_service,procedure_code,modifier,paid_amount\n"
        "C1,P1,2025-02-28,99493,gt,12.00\n"
        'C2,P1,2025-02-28,99493,,"1,14,5.00"\n'
        "C3,P1,2025-02-28,99493,,NaN\n"
    )
    result = load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert with_patient.execute("SELECT claim_id, modifier FROM staging.claims").fetchall() == [("C1", "GT")]
    reasons = [q[2] for q in quarantined(with_patient, result.load_id)]
    assert reasons == [
        "paid_amount '1,14,5.00' is not an amount (1145.00, $1,145.00, 1,145.00, ($12.50) for -12.50)",
        "paid_amount 'NaN' is not a finite number",
    ]


# --- silent failure 4: 1_000 minutes accepted; 1:30, 90 min, 00:45:00 set aside ---------------

def test_a_reversed_claim_line_reads_as_voided_and_bills_nothing(with_patient, tmp_path):
    """A payer's export writes a line reversed after billing 'Reversed' (or 'REVERSED', 'reversal'):
    the contract documents it as voided, yet it read as an unknown status, reconciled as billed.
    The words read as voided (the raw layer keeps what the export wrote); loading the file twice
    changes nothing."""
    from bcm_analytics.billing.reconcile import claim_statuses, findings

    text = ("claim_id,line_number,patient_id,date_of_service,procedure_code,claim_status\n"
            "C1,1,P1,2025-01-31,99492,Reversed\nC2,1,P1,2025-02-28,99492,REVERSED\n"
            "C3,1,P1,2025-03-31,99492,reversal\nC4,1,P1,2025-04-30,99492,Paid\n")
    result = load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    assert with_patient.execute("SELECT claim_id, claim_status FROM staging.claims ORDER BY 1").fetchall() == [
        ("C1", "voided"), ("C2", "voided"), ("C3", "voided"), ("C4", "paid")]
    assert with_patient.execute("SELECT claim_status FROM raw.claims ORDER BY claim_id").fetchall() == [
        ("Reversed",), ("REVERSED",), ("reversal",), ("Paid",)], "the raw layer keeps the export's word"
    assert with_patient.execute("SELECT count(*) FROM meta.row_warnings").fetchall() == [(0,)], \
        "a status the contract reads is not 'not one of' its vocabulary"
    assert "voided" in claim_statuses()
    billed = findings(with_patient, "2025-01", "2025-04")
    assert set(billed.claim_ids.dropna()) == {"C4"}, "the reversed lines bill nothing: only April's paid line is a claim"
    header, *lines = text.splitlines(keepends=True)
    again = load_file(with_patient, write(tmp_path, "claims_again.csv", header + "".join(reversed(lines))))
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate) == (4, 0, 4), "a re-export of the same lines changes nothing"


def test_a_void_claim_line_reads_as_voided(with_patient, tmp_path):
    """'Void' is how many billing systems write a voided line: it read as a status reconciliation
    does not know, and so billed (a duplicate beside its replacement)."""
    text = ("claim_id,line_number,patient_id,date_of_service,procedure_code,claim_status\n"
            "C1,1,P1,2025-01-31,99492,Void\nC2,1,P1,2025-02-28,99492,VOID\n")
    load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert with_patient.execute("SELECT claim_id, claim_status FROM staging.claims ORDER BY 1").fetchall() == [
        ("C1", "voided"), ("C2", "voided")]


def test_durations_in_the_accepted_forms_become_minutes(with_patient, tmp_path):
    text = LOGS + "".join(
        f"E{i},P1,bhcm,2025-02-03,{value},outreach\n" for i, value in enumerate(["1:30", "90 min", "00:45:00", "1.5 h", "45", "12.5"])
    )
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert result.rows_loaded == 6
    minutes = with_patient.execute("SELECT minutes FROM staging.time_logs ORDER BY entry_id").fetchall()
    assert [m[0] for m in minutes] == [90.0, 90.0, 45.0, 90.0, 45.0, 12.5]



def test_hours_and_minutes_written_together_become_minutes(with_patient, tmp_path):
    """A caseload tracker's Duration column writes '1h 5m' and '1 hr 10 min': set aside as 'not a
    duration' although they read one way only. Minutes past 59 ('1h 75m') are still set aside."""
    values = ["1h 5m", "1 hr 10 min", "1 hour 5 minutes", "2h05m", "1h 75m"]
    text = LOGS + "".join(f"E{i},P1,bhcm,2025-02-03,{value},outreach\n" for i, value in enumerate(values))
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    minutes = with_patient.execute("SELECT entry_id, minutes FROM staging.time_logs ORDER BY entry_id").fetchall()
    assert minutes == [("E0", 65.0), ("E1", 70.0), ("E2", 65.0), ("E3", 125.0)]
    assert [(line, reason) for line, _, reason in quarantined(with_patient, result.load_id)] == [
        (6, "minutes '1h 75m' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)")]

@pytest.mark.parametrize(
    "value, reason",
    [
        ("1_000", "minutes '1_000' is not a number: an underscore is not read as a thousands separator; write 1000"),
        ("NaN", "minutes 'NaN' is not a finite number"),
        ("inf", "minutes 'inf' is not a finite number"),
        ("an hour", "minutes 'an hour' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)"),
    ],
)
def test_minutes_no_form_reads_are_set_aside_saying_what_is_accepted(with_patient, tmp_path, value, reason):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + f"E1,P1,bhcm,2025-02-03,{value},outreach\n"))
    assert quarantined(with_patient, result.load_id) == [(2, ["minutes readable as number"], reason)]


def test_a_value_set_aside_is_told_every_form_its_column_reads(with_patient, tmp_path):
    """A duration of '1h30' was set aside saying 'write minutes (90 or 12.5), H:MM (1:30), HH:MM:SS
    (01:30:00), 90 min or 1.5 h': not the '1h 30m' bcm also reads. An amount's reason left out
    the accounting format ($12.50) that reads as -12.50. Each reason lists the forms the contract
    README lists for the column (columns.FORMAT_WORDS), so the two cannot drift again."""
    logs = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,2025-02-03,1h30,outreach\n"))
    assert quarantined(with_patient, logs.load_id) == [(2, ["minutes readable as number"],
        "minutes '1h30' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)")]
    claims = load_file(with_patient, write(tmp_path, "claims.csv", CLAIMS + "C1,1,P1,2025-02-28,99493,1,12.50 USD,20\n"))
    assert quarantined(with_patient, claims.load_id) == [(2, ["paid_amount readable as number"],
        "paid_amount '12.50 USD' is not an amount (1145.00, $1,145.00, 1,145.00, ($12.50) for -12.50)")]


# --- decimal commas ------------------------------------------------------------------------------

def test_a_semicolon_file_that_writes_decimal_commas_throughout_is_read_with_them(with_patient, tmp_path):
    text = "entry_id;patient_id;staff_role;service_date;minutes;activity_type\nE1;P1;bhcm;2025-02-03;12,5;outreach\nE2;P1;bhcm;2025-02-03;20;outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert result.rows_loaded == 2
    assert with_patient.execute("SELECT minutes FROM staging.time_logs ORDER BY 1").fetchall() == [(12.5,), (20.0,)]
    assert with_patient.execute("SELECT read_options ->> 'decimal_comma' FROM meta.load_log WHERE table_name = 'time_logs'").fetchall() == [
        ('["minutes"]',)
    ]


def test_european_amounts_in_a_semicolon_file(with_patient, tmp_path):
    text = "claim_id;patient_id;date_of_service;procedure_code;paid_amount\nC1;P1;2025-02-28;99493;1.145,00\nC2;P1;2025-02-28;99493;€ 12,50\n"
    load_file(with_patient, write(tmp_path, "claims.csv", text))
    assert with_patient.execute("SELECT paid_amount FROM staging.claims ORDER BY claim_id").fetchall() == [(1145.0,), (12.5,)]


def test_a_decimal_comma_in_a_comma_delimited_file_is_set_aside(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + 'E1,P1,bhcm,2025-02-03,"12,5",outreach\n'))
    [(_, checks, reason)] = quarantined(with_patient, result.load_id)
    assert checks == ["minutes readable as number"]
    assert reason == ("minutes '12,5' is not a number here: a decimal comma (1,5) is read only in a ;-delimited file "
                      "whose column writes every decimal with one; write it with a point (1.5)")


def test_a_waiting_row_is_read_again_as_its_own_load_read_it(store, tmp_path):
    """A ;-file with decimal commas and a 2-digit year pivot: its rows wait for their patient and
    are admitted by a later, plain load with the values their own load read."""
    text = "entry_id;patient_id;staff_role;service_date;minutes;activity_type\nE1;P1;bhcm;2/10/25;12,5;outreach\n"
    first = load_file(store, write(tmp_path, "time_logs.csv", text), options=LoadOptions(two_digit_year_pivot=1950))
    assert first.rows_waiting == 1
    assert load_file(store, write(tmp_path, "patients.csv", PATIENTS)).rows_admitted == 1
    assert store.execute("SELECT minutes, CAST(service_date AS VARCHAR) FROM core.time_logs").fetchall() == [(12.5, "2025-02-10")]


def test_a_re_encoded_copy_is_private_and_lives_in_the_stores_temp_folder(store, tmp_path, monkeypatch):
    """A Windows-1252 or UTF-16 export is copied as UTF-8 for DuckDB: a full copy of patient data,
    so it is written 0600 in the store's own temp folder (not the shared system one)."""
    from bcm_analytics.ingest import landing

    private = tmp_path / "store-temp"
    store.execute(f"SET temp_directory = '{private}'")
    seen = []

    def spy(src, folder):
        copy = real(src, folder)
        seen.append((copy.parent.parent, copy.stat().st_mode & 0o777, folder.stat().st_mode & 0o777))
        return copy

    real = landing.normalised_copy
    monkeypatch.setattr(landing, "normalised_copy", spy)
    path = tmp_path / "patients.csv"
    path.write_bytes("patient_id,payer,enrollment_date\nP1,St Mary\u2019s,2025-01-01\n".encode("cp1252"))
    load_file(store, path)
    assert seen == [(private, 0o600, 0o700)]
    assert list(private.iterdir()) == []  # removed after the load


# --- the dates and times the reasons and the README name are the ones the readers read ------------

def _example_dates(with_patient, tmp_path, column: str, examples) -> dict[str, str]:
    """The examples loaded into `column`, the reason of each that was set aside: {} when all of them
    read. A slash date written day first (31/01/2025) is loaded in a file of its own, as a column
    that writes every date so is read (one with 01/31/2025 as well sets it aside)."""
    import re

    header, row = {
        "enrollment_date": ("patient_id,payer,enrollment_date", "P{n},M,{value}"),
        "service_date": (LOGS.strip(), "E{n},P1,bhcm,{value},30,outreach"),
        "start_time": (LOGS.strip() + ",start_time", "E{n},P1,bhcm,2025-01-31,30,outreach,{value}"),
    }[column]
    table = "patients" if column == "enrollment_date" else "time_logs"
    day_first = [e for e in examples if re.match(r"(1[3-9]|2[0-9]|3[01])/", e)]
    unread = {}
    for n, part in enumerate([[e for e in examples if e not in day_first], day_first]):
        lines = [row.format(n=f"{n}_{i}", value=f'"{example}"' if "," in example else example) for i, example in enumerate(part)]
        result = load_file(with_patient, write(tmp_path / f"{column}_{n}", f"{table}.csv", "\n".join([header, *lines]) + "\n"))
        unread |= {part[line - 2]: reason for line, _, reason in quarantined(with_patient, result.load_id)}
    return unread


def _reader_formats(macro: str) -> list[str]:
    """The strptime formats macro `macro` of parsing.sql tries, as written there: each list of quoted
    formats ('%...'), wherever it stands (bcm_parse_instant's follows a regular expression with brackets
    of its own, which hid its formats from an earlier reading of the lists)."""
    import re
    from pathlib import Path

    sql = (Path(__file__).parents[1] / "bcm_analytics/contracts/parsing.sql").read_text()
    body = sql.split(f"MACRO {macro}(", 1)[1].split(";", 1)[0]
    return [f for listed in re.findall(r"\[\s*('%[^\]]*)\]", body) for f in re.findall(r"'([^']*)'", listed)]


def _parts(text: str) -> tuple[str, str]:
    """A date-time or its format as its date and its time (ISO's T or a space between them)."""
    import re

    date, time = (re.split(r"(?<=[0-9dY])[ T](?=[0-9%])", text, maxsplit=1) + [""])[:2]
    return date, time


def _reads(text: str, fmt: str) -> bool:
    from datetime import datetime

    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def test_every_date_and_time_the_words_name_loads_and_every_format_read_is_named(with_patient, tmp_path):
    """A date set aside is told the forms bcm reads (columns.DATE_FORMS, TIME_FORMS: the README says
    the same words): each example named must load, in a date column, a date/time column and a start
    time, and each format the readers take must be named, so the words can neither promise a form
    that is set aside nor keep quiet about one that reads. The reason named 'an Excel serial day' with
    no example and left out 2025/01/31, 20250131, 31/01/2025, epoch milliseconds, seconds after
    minutes, fractions of a second and 2:05 PM after a date, though all of them read; and, naming a
    date and a time each once, left out the combinations 31.01.2025 14:05, 01/31/2025 14:05 and
    14:05:30, 2025/01/31 14:05:30 and a fraction of a second before an offset."""
    import re

    from bcm_analytics.contracts.columns import DATE_FORMS, DATETIME_FORMS, TIME_FORMS

    dates = [example for example, _ in DATE_FORMS + DATETIME_FORMS]
    times = [example for example, _ in TIME_FORMS + DATETIME_FORMS]
    assert _example_dates(with_patient, tmp_path, "enrollment_date", dates) == {}
    assert _example_dates(with_patient, tmp_path, "service_date", dates) == {}
    assert _example_dates(with_patient, tmp_path, "start_time", times) == {}

    # A format is named by an example of its own date with its own time (the T or a space between
    # them alike): a date order's times are not another's, 31.01.2025 reads 14:05 but not 2:05 PM.
    named = [_parts(e) for e in dates]
    unnamed = []
    for fmt in _reader_formats("bcm_parse_local_other") + _reader_formats("bcm_parse_instant"):
        date, time = _parts(fmt)
        if not any(_reads(d, date) and (_reads(t, time) if time else not t) for d, t in named):
            unnamed.append(fmt)
    unnamed += [f for f in _reader_formats("bcm_parse_time_of_day") if not any(_reads(t, f) for t in times)]
    # the shapes read without a format: parsing.sql's bcm_is_excel_serial and bcm_is_epoch, and a
    # slash date written day first (landing.slash_date_evidence)
    shapes = {"an Excel serial day": r"[2-7][0-9]{4}", "an Excel serial day with its time": r"[2-7][0-9]{4}\.[0-9]+",
              "epoch seconds": r"1[0-9]{9}", "epoch milliseconds": r"1[0-9]{12}",
              "a slash date written day first": r"(1[3-9]|2[0-9]|3[01])/(0?[1-9]|1[0-2])/[0-9]{4}",
              # parsing.sql's bcm_parse_month_date: a month word first, after the day, after the year, with a time
              "a month word first": r"[A-Za-z]+\.? [0-9]{1,2},? [0-9]{4}", "a month word after the day": r"[0-9]{1,2}-[A-Za-z]+-[0-9]{4}",
              "a month word after the day, spaced": r"[0-9]{1,2} [A-Za-z]+ [0-9]{4}", "a month word after the year": r"[0-9]{4}-[A-Za-z]+-[0-9]{1,2}",
              "a month word first with a 12-hour time": r"[A-Za-z]+ [0-9]{1,2}, [0-9]{4} [0-9]{1,2}:[0-9]{2} [AP]M",
              "a month word after the day with a time": r"[0-9]{1,2}-[A-Za-z]+-[0-9]{4} [0-9]{2}:[0-9]{2}"}
    unnamed += [shape for shape, pattern in shapes.items() if not any(re.fullmatch(pattern, e) for e in dates)]
    assert unnamed == [], unnamed
