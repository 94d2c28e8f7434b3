"""Exports as programs' systems write them, found by a review that loaded them as a user would:
a title above the column names, UTF-16 without a byte-order mark, tabs and no-break spaces
around values, numbers in scientific notation, a clock time beside an unreadable date, and a
PHQ-2 row carrying a whole PHQ-9. Each either reads as the person meant or is set aside with
a reason naming the line; nothing is read wrong."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest
from hostile.helpers import write

from bcm_analytics.cli.data import summary_line
from bcm_analytics.ingest import FileRefused, load_file
from bcm_analytics.ingest.non_records import csv_fields

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\n"
LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"


@pytest.fixture
def with_patient(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    return store


def stored(con, table: str = "time_logs") -> list[tuple]:
    return con.execute(f"SELECT entry_id, _line FROM staging.{table} ORDER BY _line").fetchall()


def quarantined(con, load_id: int) -> list[tuple]:
    return con.execute(
        "SELECT line_number, failed_checks, reason FROM meta.quarantine WHERE load_id = ? ORDER BY line_number", [load_id]
    ).fetchall()


# --- a title above the column names --------------------------------------------------------------

TITLE = "Behavioral health time log,,,,,\nPrinted 2025-03-01 by J. Admin,,,,,\n,,,,,\n"


def test_a_title_above_the_header_is_passed_over_and_lines_keep_their_numbers(with_patient, tmp_path):
    text = TITLE + LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\nE2,P1,bhcm,2025-02-11,lots,outreach\nE3,P1,bhcm,2025-02-12,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.header_line) == (3, 2, 1, 4)
    assert stored(with_patient) == [("E1", 5), ("E3", 7)]
    assert [q[:2] for q in quarantined(with_patient, result.load_id)] == [(6, ["minutes readable as number"])]
    options = with_patient.execute("SELECT read_options FROM meta.load_log WHERE load_id = ?", [result.load_id]).fetchall()[0][0]
    assert json.loads(options)["header_line"] == 4
    assert "column names on line 4 (lines 1-3 above them passed over)" in summary_line(tmp_path / "time_logs.csv", result)


def test_a_titled_windows_export_with_crlf_a_quoted_line_break_and_a_ragged_line_numbers_lines_as_written(with_patient, tmp_path):
    header = LOGS.replace("\n", ",note\r\n")
    text = ("Time log \u2013 Lakeside\r\n" + header + "E1,P1,bhcm,2025-02-10,30,outreach,\r\n"
            + "E2,P1,bhcm,2025-02-11,30,outreach,,surplus\r\n" + 'E3,P1,bhcm,2025-02-12,20,outreach,"patient\u2019s\r\nwife called"\r\n'
            + "E4,P1,bhcm,2025-02-13,25,outreach,\r\n")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text, encoding="cp1252"))
    assert stored(with_patient) == [("E1", 3), ("E3", 5), ("E4", 7)]
    assert [q[:2] for q in quarantined(with_patient, result.load_id)] == [(4, ["csv: too many columns"])]
    assert result.adds_up and result.header_line == 2
    assert with_patient.execute("SELECT encoding FROM meta.load_log WHERE load_id = ?", [result.load_id]).fetchall() == [("cp1252",)]


def test_the_title_of_a_titled_export_is_not_taken_for_a_row_when_loaded_again(with_patient, tmp_path):
    path = write(tmp_path, "time_logs.csv", TITLE + LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\n")
    load_file(with_patient, path)
    again = load_file(with_patient, path)
    assert again.already_loaded and stored(with_patient) == [("E1", 5)]


def test_a_file_whose_column_names_are_on_no_early_line_is_refused_naming_the_first(store, tmp_path):
    text = "Time log export\nentry,who,role,day,mins,what\nE1,P1,bhcm,2025-02-10,30,outreach\n"
    with pytest.raises(FileRefused, match=r"missing required columns .* \(the file has: time_log_export\)$"):
        load_file(store, write(tmp_path, "time_logs.csv", text))


# --- UTF-16 without a byte-order mark -----------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_reads_as_utf8_does(store, tmp_path, encoding):
    text = "patient_id\tpayer\tenrollment_date\r\nP1\tCaisse Générale\t2025-01-01\r\nP2\tMedicare\t2025-01-02\r\n"
    result = load_file(store, write(tmp_path, "patients.txt", text, encoding=encoding))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert store.execute("SELECT payer FROM staging.patients ORDER BY patient_id").fetchall() == [("Caisse Générale",), ("Medicare",)]
    assert store.execute("SELECT encoding FROM meta.load_log").fetchall() == [(encoding,)]


def test_bytes_with_zeros_on_both_sides_are_still_binary(store, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_bytes(b"patient_id\x00\x00,payer\x00" * 20)
    with pytest.raises(FileRefused, match="binary content, not a text CSV file"):
        load_file(store, path)


# --- blanks around values -----------------------------------------------------------------------

def test_tabs_and_no_break_spaces_around_a_key_are_not_part_of_it(with_patient, tmp_path):
    text = LOGS + "\tE1 ,\tP1\t,bhcm,2025-02-10,30,outreach\nE2,P1\u00a0,bhcm,\t2025-02-11\t,\u00a030,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    got = with_patient.execute("SELECT entry_id, patient_id, minutes FROM staging.time_logs ORDER BY 1").fetchall()
    assert got == [("E1", "P1", 30.0), ("E2", "P1", 30.0)]


def test_a_field_of_blanks_is_empty(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,2025-02-10,\t\u00a0,outreach\n"))
    assert [q[1:] for q in quarantined(with_patient, result.load_id)] == [(["minutes required"], "minutes is empty but required")]


# --- scientific notation --------------------------------------------------------------------------

@pytest.mark.parametrize("value, would_be", [("1e3", "1000"), ("3E+01", "30"), ("1.5e1", "15")])
def test_minutes_in_scientific_notation_are_set_aside_not_read(with_patient, tmp_path, value, would_be):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + f"E1,P1,bhcm,2025-02-10,{value},outreach\n"))
    assert quarantined(with_patient, result.load_id) == [(
        2, ["minutes readable as number"],
        f"minutes '{value}' is not read in scientific notation (it would be {would_be}): a spreadsheet shows a number so "
        "when its cell is too narrow; write the number in full",
    )]


def test_a_score_in_scientific_notation_is_set_aside(with_patient, tmp_path):
    text = "assessment_id,patient_id,instrument,administered_on,total_score\nA1,P1,PHQ-9,2025-02-10,1.2E1\n"
    result = load_file(with_patient, write(tmp_path, "assessments.csv", text))
    [(line, checks, _)] = quarantined(with_patient, result.load_id)
    assert (line, checks) == (2, ["total_score readable as integer"])


def test_item_answers_written_as_the_questionnaires_words_read_as_their_scores(with_patient, tmp_path):
    """A registry writes each PHQ-9 answer as the form's words ('Several days'): every row was set
    aside as 'not a whole number', though the words are the questionnaire's own, each with one
    score (LOINC answer list LL358-3, bcm_analytics/ingest/profiles/loinc.yaml). They read as
    0-3, any case; LOINC's answer codes too. Other words are still set aside, saying what is read."""
    import yaml

    words = yaml.safe_load((Path(__file__).parents[1] / "bcm_analytics/ingest/profiles/loinc.yaml").read_text())["answers"]
    text = ("assessment_id,patient_id,instrument,administered_on,total_score,item_1,item_2,item_3,item_4,item_9\n"
            "A1,P1,PHQ-9,2025-02-10,7,Not at all,several days,MORE THAN HALF THE DAYS,Nearly every day ,LA6569-3\n"
            "A2,P1,PHQ-9,2025-02-11,1,Sometimes,1,0,0,0\n")
    result = load_file(with_patient, write(tmp_path, "assessments.csv", text))
    got = with_patient.execute("SELECT item_1, item_2, item_3, item_4, item_9 FROM staging.assessments").fetchall()
    assert got == [(words["not at all"], words["several days"], words["more than half the days"], words["nearly every day"],
                    words["LA6569-3"])]
    assert quarantined(with_patient, result.load_id) == [(3, ["item_1 readable as integer"], (
        "item_1 'Sometimes' is not an item's answer (0-3, its words: Not at all, Several days, More than half the days, "
        "Nearly every day, or its LOINC answer code: LA6568-5, LA6569-3, LA6570-1, LA6571-9)"))]


def test_every_answer_the_words_name_reads_and_every_answer_read_is_named(with_patient, tmp_path):
    """An item's answer set aside is told what is read (columns.answer_words, the README's words):
    the LOINC answer codes (LA6569-3) read as the questionnaire's words do, and the reason named the
    words alone. Each answer of loinc.yaml is named, as a word or a code, and each one named loads."""
    from bcm_analytics.contracts.columns import answer_words
    from bcm_analytics.ingest.profiles.catalog import loinc

    words = answer_words()
    named = {answer: answer.capitalize() if answer in loinc().answer_words() else answer.upper() for answer in loinc().answers}
    assert [written for written in named.values() if written not in words] == []
    # each row's total is its one answer's score: items present must fit the total (outcome_measures.md section 1)
    rows = "".join(f"A{n},P1,PHQ-9,2025-02-{10 + n},{loinc().answers[answer]},{written}\n"
                   for n, (answer, written) in enumerate(named.items()))
    result = load_file(with_patient, write(tmp_path, "assessments.csv",
                                           "assessment_id,patient_id,instrument,administered_on,total_score,item_1\n" + rows))
    assert quarantined(with_patient, result.load_id) == []
    got = with_patient.execute("SELECT item_1 FROM staging.assessments ORDER BY assessment_id").fetchall()
    assert got == [(score,) for score in loinc().answers.values()]


# --- a total score written with its severity label ------------------------------------------------

def test_a_total_score_written_with_the_label_of_its_band_reads_as_the_score(with_patient, tmp_path):
    """A registry writes the PHQ-9 total with its severity ('14 (moderate)', '7 - mild'): every such
    row was set aside as 'not a whole number'. The number reads when the label is its score's
    band on the row's instrument (severity_bands in definitions.yaml; PHQ-A on the PHQ-9's); a label
    that contradicts the score, is no band of the instrument, or cannot be checked is set aside
    saying so. The raw layer keeps what was written; loading the file again changes nothing."""
    text = ("assessment_id,patient_id,instrument,administered_on,total_score\n"
            "A1,P1,PHQ-9,2025-02-10,14 (moderate)\n"
            "A2,P1,GAD-7,2025-02-10,7 - mild\n"
            "A3,P1,phq-9,2025-02-11,17 (Moderately-Severe)\n"
            "A4,P1,PHQ-A,2025-02-12,3: minimal\n"
            "A5,P1,PHQ-9,2025-02-13,14 (mild)\n"
            "A6,P1,GAD-7,2025-02-13,17 (moderately severe)\n"
            "A7,P1,PHQ-2,2025-02-13,4 (mild)\n"
            "A8,P1,PHQ-9,2025-02-13,14 moderate\n")
    result = load_file(with_patient, write(tmp_path, "assessments.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 5, 3)
    assert with_patient.execute("SELECT assessment_id, total_score FROM staging.assessments ORDER BY 1").fetchall() == [
        ("A1", 14), ("A2", 7), ("A3", 17), ("A4", 3), ("A8", 14)]
    assert with_patient.execute("SELECT total_score FROM raw.assessments WHERE assessment_id = 'A1'").fetchall() == [
        ("14 (moderate)",)]
    assert quarantined(with_patient, result.load_id) == [
        (6, ["total_score readable as integer"],
         "total_score '14 (mild)': score 14 is moderate on the PHQ-9, the label says mild; correct the score or the label"),
        (7, ["total_score readable as integer"],
         "total_score '17 (moderately severe)': 'moderately severe' is not a severity band of the GAD-7 "
         "(minimal, mild, moderate, severe); write the score alone"),
        (8, ["total_score readable as integer"],
         "total_score '4 (mild)': the PHQ-2 has no severity bands to check the label against; write the score alone"),
    ]
    header, *lines = text.splitlines(keepends=True)
    again = load_file(with_patient, write(tmp_path, "assessments_again.csv", header + "".join(reversed(lines))))
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (8, 0, 5, 3), \
        "a re-export of the same rows changes nothing"
    assert with_patient.execute("SELECT count(*) FROM meta.quarantine WHERE status = 'open'").fetchall() == [(3,)]


def test_a_total_score_with_a_label_written_otherwise_reads_or_is_told_what_is_read(with_patient, tmp_path):
    """An en dash or an underscore in the label reads as a hyphen or a space does. A total that is
    neither a number nor one with a label ('14 (moderate', its bracket not closed) was set aside
    as 'not a whole number', though a labelled total is read: its reason says both, as the contract
    README does."""
    text = ("assessment_id,patient_id,instrument,administered_on,total_score\n"
            "A1,P1,GAD-7,2025-02-10,7 – mild\n"
            "A2,P1,PHQ-9,2025-02-10,17 moderately_severe\n"
            "A3,P1,PHQ-9,2025-02-11,14 (moderate\n")
    result = load_file(with_patient, write(tmp_path, "assessments.csv", text))
    assert with_patient.execute("SELECT assessment_id, total_score FROM staging.assessments ORDER BY 1").fetchall() == [
        ("A1", 7), ("A2", 17)]
    assert quarantined(with_patient, result.load_id) == [
        (4, ["total_score readable as integer"],
         "total_score '14 (moderate' is not a whole number, or one with the label of its severity band on the row's "
         "instrument (14 (moderate), 7 - mild)")]


# --- a clock time beside an unreadable date ------------------------------------------------------

LOGS_TIMED = "entry_id,patient_id,staff_role,service_date,start_time,minutes,activity_type\n"


def test_an_unreadable_date_is_blamed_alone_not_the_clock_time_beside_it(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS_TIMED + "E1,P1,bhcm,2025-02-31,09:00,30,outreach\n"))
    [(line, checks, reason)] = quarantined(with_patient, result.load_id)
    assert (line, checks) == (2, ["service_date readable as datetime"])
    assert reason.startswith("service_date '2025-02-31' is not a real date") and "start_time" not in reason


def test_an_unreadable_clock_time_is_still_blamed(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS_TIMED + "E1,P1,bhcm,2025-02-27,25:99,30,outreach\n"))
    [(line, checks, _)] = quarantined(with_patient, result.load_id)
    assert (line, checks) == (2, ["start_time readable as datetime"])


# --- a PHQ-9 recorded as a PHQ-2 --------------------------------------------------------------------

def test_a_phq2_with_answers_past_item_2_is_set_aside_and_a_plain_phq2_loads(with_patient, tmp_path):
    text = ("assessment_id,patient_id,instrument,administered_on,total_score,item_1,item_2,item_3,item_9\n"
            "A1,P1,PHQ-2,2025-02-10,3,2,1,,\nA2,P1,PHQ-2,2025-02-11,3,2,1,0,1\n")
    result = load_file(with_patient, write(tmp_path, "assessments.csv", text))
    assert with_patient.execute("SELECT assessment_id FROM staging.assessments").fetchall() == [("A1",)]
    [(line, checks, reason)] = quarantined(with_patient, result.load_id)
    assert (line, checks) == (3, ["PHQ-2 has no item 3", "PHQ-2 has no item 9"])
    assert reason == "a PHQ-2 has 2 items, but item_3 is 0; a PHQ-2 has 2 items, but item_9 is 1"


# --- a title above a foreign export's column names (a mapping profile) ----------------------------

def test_a_titled_export_drafts_and_loads_through_a_profile_with_the_files_line_numbers(store, tmp_path):
    from pathlib import Path

    from bcm_analytics.ingest.profiles import load, load_export, map_export
    from bcm_analytics.ingest.profiles.draft import draft

    lakeside = Path(__file__).parent / "fixtures" / "exports" / "lakeside"
    visits = write(tmp_path, "visits.csv", "Lakeside Behavioral Health - visit log\r\nPrinted 03/02/2025\r\n"
                   + (lakeside / "visits.csv").read_text().replace("\n", "\r\n"))
    roster = write(tmp_path, "roster.csv", (lakeside / "roster.csv").read_text())
    text, _ = draft([visits], "lakeside")
    assert "entry_id:      visit  # CHECK: 'Visit #' (did you mean entry_id?)" in text
    results = {rows.table: result for rows, result in load_export(store, map_export(load(lakeside / "lakeside.yaml"), [visits, roster]))}
    assert (results["time_logs"].rows_read, results["time_logs"].rows_loaded) == (5, 4)
    assert stored(store)[0] == ("1001", 4)
    assert store.execute("SELECT line_number FROM meta.quarantine WHERE table_name = 'time_logs'").fetchall() == [(8,)]


# --- a second round: what a user's own exports showed ---------------------------------------------

def test_a_date_column_with_an_offset_keeps_the_day_as_written(store, tmp_path):
    """A consent written at 20:00 on 31 January in New York is 31 January, not 1 February (UTC):
    a day late, January's 75 minutes would fall before consent and bill nothing."""
    text = "patient_id,payer,enrollment_date,consent_date\nP1,Medicare,2025-01-31T20:00:00-05:00,2025-01-31 20:00:00+0100\n"
    load_file(store, write(tmp_path, "patients.csv", text))
    got = store.execute("SELECT CAST(enrollment_date AS VARCHAR), CAST(consent_date AS VARCHAR) FROM staging.patients").fetchall()
    assert got == [("2025-01-31", "2025-01-31")]


def test_a_text_value_is_quoted_as_written_in_a_reason(with_patient, tmp_path):
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,123.0,bhcm,2025-02-10,30,outreach\n"))
    [(_, _, reason)] = quarantined(with_patient, result.load_id)
    assert reason.startswith("patient_id '123.0' is not in the patients exports")


def test_vocabulary_words_are_read_whatever_their_case(store, tmp_path):
    """An FQHC written in capitals was set aside, and its patients then billed as a physician
    practice's; Outreach and BHCM were set aside too."""
    load_file(store, write(tmp_path, "clinics.csv", "clinic_id,clinic_name,setting,timezone\nC1,Main,FQHC,America/Chicago\n"))
    load_file(store, write(tmp_path, "patients.csv", "patient_id,clinic_id,payer,enrollment_date\nP1,C1,Medicare,2025-01-02\n"))
    result = load_file(store, write(tmp_path, "time_logs.csv", LOGS.replace("\n", ",contact_mode\n") + "E1,P1,BHCM,2025-02-10,30,Outreach,Phone\n"))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert store.execute("SELECT setting FROM core.patients").fetchall() == [("fqhc",)]
    assert store.execute("SELECT staff_role, activity_type, contact_mode FROM staging.time_logs").fetchall() == [("bhcm", "outreach", "phone")]


def test_characters_no_one_sees_around_a_value_are_not_part_of_it(store, tmp_path):
    """A payer ending in the Ctrl-Z of an old Windows file, or a zero-width space or byte-order
    mark pasted into a cell, billed as a commercial payer, and such a patient id never matched."""
    text = ("patient_id,payer,enrollment_date\r\nP1,Medicare\u200b,2025-01-02\r\n\ufeffP2,\ufeffMedicaid,2025-01-02\r\n"
            "P3,Medicare\x1a,2025-01-02")
    load_file(store, write(tmp_path, "patients.csv", text))
    got = store.execute("SELECT patient_id, payer FROM staging.patients ORDER BY 1").fetchall()
    assert got == [("P1", "Medicare"), ("P2", "Medicaid"), ("P3", "Medicare")]


@pytest.mark.parametrize("unit, per_minute", [("s", 60), ("ms", 60_000), ("ns", 60_000_000_000)])
def test_parquet_durations_are_read_as_minutes_whatever_their_unit(with_patient, tmp_path, unit, per_minute):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pa.table({"entry_id": ["E1", "E2"], "patient_id": ["P1", "P1"], "staff_role": ["bhcm", "bhcm"],
                     "service_date": pa.array([dt.datetime(2025, 2, 3, 10)] * 2, pa.timestamp("us")),
                     "minutes": pa.array([15 * per_minute, per_minute // 2], pa.duration(unit)),
                     "activity_type": ["outreach", "outreach"]})
    pq.write_table(rows, tmp_path / "time_logs.parquet")
    load_file(with_patient, tmp_path / "time_logs.parquet")
    assert with_patient.execute("SELECT entry_id, minutes FROM staging.time_logs ORDER BY 1").fetchall() == [("E1", 15.0), ("E2", 0.5)]


def test_parquet_ids_stored_as_floats_read_as_the_whole_numbers_they_are(store, tmp_path):
    """pandas writes an integer id column with a missing value as float64: patient 6000 is 6000.0
    in the Parquet file, and read as that text it matched no patient of the CSV exports."""
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\n6000,Medicare,2024-01-01\n"))
    rows = pa.table({"entry_id": pa.array([1.0, 2.0, 3.5, 4.0, 2.0 ** 53 + 2]), "patient_id": pa.array([6000.0, None, 6000.0, float("nan"), 6000.0]),
                     "staff_id": pa.array([decimal.Decimal("12.00"), decimal.Decimal("12.50"), None, None, None], pa.decimal128(10, 2)),
                     "staff_role": ["bhcm"] * 5, "service_date": ["2025-02-03"] * 5,
                     "minutes": pa.array([20.0, 30.0, 15.5, 10.0, 10.0]), "activity_type": ["outreach"] * 5})
    pq.write_table(rows, tmp_path / "time_logs.parquet")
    result = load_file(store, tmp_path / "time_logs.parquet")
    assert store.execute("SELECT entry_id, patient_id, staff_id, minutes FROM staging.time_logs ORDER BY _line").fetchall() == [
        ("1", "6000", "12", 20.0), ("3.5", "6000", None, 15.5)]  # a value with decimals is kept as written
    assert [q[:2] for q in quarantined(store, result.load_id)] == [
        (2, ["patient_id required"]), (4, ["patient_id required"]),  # NaN is pandas' missing value
        (5, ["no spreadsheet errors"])]  # past 2^53 a float has lost digits: not written as a whole number, so set aside


def test_an_id_in_scientific_notation_is_set_aside_as_digits_lost(store, tmp_path):
    """Excel shows a long number in a General cell as 1.23457E+11, and a CSV saved from it writes
    that: two MRNs rounded alike were one patient, and both patients' minutes went to the first."""
    text = "patient_id,payer,enrollment_date,care_manager_id\n1.23457E+11,Medicare,2024-01-01,1.2E+03\nP2,Medicare,2024-01-01,\n" \
           "4.56e-05,Medicare,2024-01-01,\n2E5,Medicare,2024-01-01,\n"
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert [r[0] for r in store.execute("SELECT patient_id FROM staging.patients ORDER BY 1").fetchall()] == ["2E5", "P2"]
    advice = "is a number in a spreadsheet's short form (scientific notation), whose other digits may be lost: format the " \
             "column as text in the source and export again"
    assert quarantined(store, result.load_id) == [
        (2, ["no spreadsheet errors"], f"patient_id '1.23457E+11' {advice}; care_manager_id '1.2E+03' {advice}"),  # each column
        (4, ["no spreadsheet errors"], f"patient_id '4.56e-05' {advice}")]


def test_a_patients_export_whose_ids_lost_their_zeros_does_not_add_the_patients_again(store, tmp_path):
    """412 for the loaded 000412 (a spreadsheet dropped the zeros) loaded as a new patient, silently,
    and the active caseload counted both. Set aside naming the loaded id; the other way round (the
    loaded 77 is the damaged one, the export writes 000077) the corrected export loads, with a warning (77 stays stored)."""
    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\n000412,Medicare,2024-01-01\n77,Medicare,2024-01-01\n"
                                                      "A012,Medicare,2024-01-01\n"))
    text = "patient_id,payer,enrollment_date\n412,Medicare,2024-01-01\n412.0,Medicare,2024-01-01\n000412,Medicaid,2024-01-01\n" \
           "000077,Medicare,2024-01-01\n413,Medicare,2024-01-01\nA12,Medicare,2024-01-01\n"  # A12 is no number a spreadsheet made
    result = load_file(store, write(tmp_path, "patients_2.csv", text))
    assert [r[0] for r in store.execute("SELECT patient_id FROM staging.patients ORDER BY 1").fetchall()] == [
        "000077", "000412", "413", "77", "A012", "A12"]
    advice = ("the same id written another way (leading zeros dropped or .0 added by a spreadsheet?), so this row would add the "
              "patient a second time; correct patient_id in the export a spreadsheet changed (format the column as text) and load it again")
    assert quarantined(store, result.load_id) == [
        (2, ["patient id not a loaded one written another way"], f"patient_id '412' is not loaded, but patient '000412' is: {advice}"),
        (3, ["patient id not a loaded one written another way"], f"patient_id '412.0' is not loaded, but patient '000412' is: {advice}")]
    warned = store.execute("SELECT row_key, check_name, reason FROM meta.row_warnings WHERE load_id = ?", [result.load_id]).fetchall()
    assert warned == [("000077", "patient id not a loaded one with its zeros restored",
                       "patient_id '000077' is new, but patient '77' is loaded: the same id with the leading zeros (or without the .0) "
                       "a spreadsheet takes off; if an earlier export lost them, the patient is now counted twice: load the corrected "
                       "exports into a new store")]


def test_a_key_written_twice_with_other_values_names_the_columns_that_differ(with_patient, tmp_path):
    """The reason said only "different values": a person compared two rows of a wide export cell by cell."""
    text = "Entry ID,patient_id,staff_role,service_date,Minutes,activity_type\nE1,P1,bhcm,2025-02-03,30,outreach\n" \
           "E1,P1,bhcm,2025-02-03,35,assessment\nE1,P1,bhcm,2025-02-03,30,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_duplicate) == (1, 1)
    assert quarantined(with_patient, result.load_id) == [
        (3, ["entry_id unique within file"], "Entry ID [entry_id] E1 appears again with other Minutes [minutes], activity_type than "
         "at line 2 (the row kept); fix the export so each key appears once")]


def test_minutes_under_one_or_over_8_hours_in_one_entry_load_with_a_warning(with_patient, tmp_path):
    """0.03125 (45 minutes as the fraction of a day a General-formatted Excel cell shows) loaded as
    0.03 minutes, and 900 (seconds exported as minutes) as 15 hours, without a word."""
    text = LOGS + "E1,P1,bhcm,2025-02-03,0.03125,outreach\nE2,P1,bhcm,2025-02-04,900,outreach\nE3,P1,bhcm,2025-02-05,0,no_show\n" \
                  "E4,P1,bhcm,2025-02-05,480,outreach\nE5,P1,bhcm,2025-02-05,1,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert result.rows_loaded == 5
    warned = with_patient.execute("SELECT row_key, check_name FROM meta.row_warnings WHERE load_id = ? AND check_name LIKE 'minutes%' "
                                  "ORDER BY 1", [result.load_id]).fetchall()
    assert warned == [("E1", "minutes at least one"), ("E2", "minutes at most 8 hours in one entry")]


def test_a_time_of_day_in_the_minutes_column_is_said_to_be_one(with_patient, tmp_path):
    text = LOGS + "E1,P1,bhcm,2025-02-03,2:05 PM,outreach\nE2,P1,bhcm,2025-02-03,10:30:00 a.m.,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    said = ("is not a duration but a time of day (AM/PM): a start time exported in the duration column, or the columns "
            "shifted? Write the minutes (45), or hours:minutes (0:45)")
    assert [q[2] for q in quarantined(with_patient, result.load_id)] == [f"minutes '2:05 PM' {said}", f"minutes '10:30:00 a.m.' {said}"]


def test_a_blank_row_and_a_title_above_a_sheets_header_are_passed_over(with_patient, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append([None])
    sheet.append(["Time log, February"])
    for row in [LOGS.strip().split(","), ["E1", "P1", "bhcm", "2025-02-10", 30, "outreach"], ["E2", "P1", "bhcm", "2025-02-11", "x", "outreach"]]:
        sheet.append(row)
    wb.save(tmp_path / "time_logs.xlsx")
    result = load_file(with_patient, tmp_path / "time_logs.xlsx")
    assert stored(with_patient) == [("E1", 4)]
    assert [q[:2] for q in quarantined(with_patient, result.load_id)] == [(5, ["minutes readable as number"])]


# --- day-first dates --------------------------------------------------------------------------------

def test_a_column_that_writes_a_day_first_date_reads_all_its_slash_dates_day_first(with_patient, tmp_path):
    """14/02/2025 can only be 14 February: in its file, 03/02/2025 is 3 February, not 2 March."""
    text = LOGS + "E1,P1,bhcm,03/02/2025,20,outreach\nE2,P1,bhcm,10/02/2025 14:30,20,outreach\nE3,P1,bhcm,14/02/2025,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    got = with_patient.execute("SELECT entry_id, CAST(service_date_local AS VARCHAR) FROM staging.time_logs ORDER BY 1").fetchall()
    assert got == [("E1", "2025-02-03 00:00:00"), ("E2", "2025-02-10 14:30:00"), ("E3", "2025-02-14 00:00:00")]
    options = with_patient.execute("SELECT read_options FROM meta.load_log WHERE load_id = ?", [result.load_id]).fetchall()[0][0]
    assert json.loads(options)["day_first"] == ["service_date"]


def test_slash_dates_stay_month_first_without_evidence_and_a_column_written_both_ways_guesses_nothing(with_patient, tmp_path):
    us = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,03/02/2025,20,outreach\n"))
    assert with_patient.execute("SELECT CAST(service_date_local AS DATE) FROM staging.time_logs").fetchall()[0][0].month == 3
    assert "day_first" not in json.loads(with_patient.execute("SELECT read_options FROM meta.load_log WHERE load_id = ?", [us.load_id]).fetchall()[0][0])
    both = LOGS + "E2,P1,bhcm,02/14/2025,20,outreach\nE3,P1,bhcm,14/02/2025,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs_2.csv", both))
    assert [q[:2] for q in quarantined(with_patient, result.load_id)] == [(3, ["service_date readable as datetime"])]


def test_a_date_that_exists_neither_way_is_no_evidence_of_the_day_first(with_patient, tmp_path):
    """31/11/2026 is no date read either way (November has 30 days): set aside as unreadable, it
    had still turned the column day first, and 11/03/2026 loaded as 11 March, silently."""
    text = LOGS + "E1,P1,bhcm,11/03/2026,20,outreach\nE2,P1,bhcm,31/11/2026,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert with_patient.execute("SELECT entry_id, CAST(service_date_local AS DATE) FROM staging.time_logs").fetchall() == [
        ("E1", dt.date(2026, 11, 3))]
    assert [q[:2] for q in quarantined(with_patient, result.load_id)] == [(3, ["service_date readable as datetime"])]
    assert result.day_first == ()


def test_the_load_line_says_a_column_was_read_day_first_and_which_value_decided_it(with_patient, tmp_path):
    """One typed 13/03/2026 among US dates turns every date of the column: the load line says so,
    with the value, where it had been said only in meta.load_log.read_options."""
    text = LOGS + "E1,P1,bhcm,03/02/2026,20,outreach\nE2,P1,bhcm,13/03/2026,20,outreach\nE3,P1,bhcm,04/02/2026,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert result.day_first == (("service_date", 1, "13/03/2026"),)
    assert summary_line(Path("time_logs.csv"), result).endswith(
        "; slash dates in service_date read day first (03/02/2026 as 3 February): 13/03/2026 can only be read so and none"
        " only month first; if the export writes the month first, correct that value")
    more = LOGS + "E4,P1,bhcm,14/02/2026,20,outreach\nE5,P1,bhcm,15/02/2026,20,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs_2.csv", more))
    assert "2 values can only be read so (14/02/2026 the first) and none only month first; if the export writes the month " \
        "first, correct those values" in summary_line(Path("time_logs_2.csv"), result)
    from bcm_analytics.contracts import quality  # the data-quality page says it too, after the load line is gone

    assert quality.loads(with_patient).read_as.fillna("").tolist() == ["", "slash dates read day first in service_date",
                                                                        "slash dates read day first in service_date"]


def test_a_semicolon_files_slash_dates_that_no_date_of_its_column_decides_are_set_aside(with_patient, tmp_path):
    """A European system's ;-delimited export (Excel writes ; where the decimal mark is a comma,
    in countries that write the day first) of the first days of October: 01/10/2026 and
    02/10/2026 loaded as 10 January and 10 February, silently, because no date of the column
    could only be read one way. Such a date is set aside saying both readings; 03/03/2026 reads
    one way whichever comes first, and a column with 14/10/2026 decides as before."""
    semi = LOGS.replace(",", ";")
    text = semi + "E1;P1;bhcm;01/10/2026;20;outreach\nE2;P1;bhcm;02/10/2026 14:30;20;outreach\nE3;P1;bhcm;03/03/2026;20;outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert with_patient.execute("SELECT entry_id, CAST(service_date_local AS DATE) FROM staging.time_logs").fetchall() == [
        ("E3", dt.date(2026, 3, 3))]
    assert quarantined(with_patient, result.load_id) == [
        (2, ["service_date readable as datetime"],
         "service_date '01/10/2026' is 1 October read day first, 10 January read month first: this ;-delimited file comes "
         "from a system that may write the day first, and no date of the column can be read only one way; write the date "
         "as 2026-10-01 (year-month-day), or load the file through a profile that sets date_formats"),
        (3, ["service_date readable as datetime"],
         "service_date '02/10/2026 14:30' is 2 October read day first, 10 February read month first: this ;-delimited file "
         "comes from a system that may write the day first, and no date of the column can be read only one way; write the "
         "date as 2026-10-02 (year-month-day), or load the file through a profile that sets date_formats")]
    decided = semi + "E4;P1;bhcm;01/10/2026;20;outreach\nE5;P1;bhcm;14/10/2026;20;outreach\n"
    load_file(with_patient, write(tmp_path, "time_logs_2.csv", decided))
    got = with_patient.execute("SELECT entry_id, CAST(service_date_local AS DATE) FROM staging.time_logs WHERE entry_id > 'E3' ORDER BY 1")
    assert got.fetchall() == [("E4", dt.date(2026, 10, 1)), ("E5", dt.date(2026, 10, 14))]


def test_a_waiting_row_is_read_day_first_as_its_file_was(store, tmp_path):
    text = LOGS + "E1,P1,bhcm,03/02/2025,20,outreach\nE2,P1,bhcm,14/02/2025,20,outreach\n"
    load_file(store, write(tmp_path, "time_logs.csv", text))  # P1 not loaded yet: both rows wait
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    got = store.execute("SELECT entry_id, CAST(service_date_local AS DATE) FROM staging.time_logs ORDER BY 1").fetchall()
    assert [(e, str(d)) for e, d in got] == [("E1", "2025-02-03"), ("E2", "2025-02-14")]


def test_a_date_column_reads_day_first_too(store, tmp_path):
    text = "patient_id,payer,enrollment_date\nP1,Medicare,03/02/2025\nP2,Medicare,25/01/2025\n"
    load_file(store, write(tmp_path, "patients.csv", text))
    got = store.execute("SELECT patient_id, CAST(enrollment_date AS VARCHAR) FROM staging.patients ORDER BY 1").fetchall()
    assert got == [("P1", "2025-02-03"), ("P2", "2025-01-25")]


def test_a_date_written_with_dashes_and_a_4_digit_year_reads_as_its_slash_form(with_patient, tmp_path):
    """03-04-2025 was set aside as no known format while 03/04/2025 read: the dashes are read as
    the slash date's (bcm_slashed), month first without evidence, day first in a column that
    writes 14-02-2025, with a time; 25-02-10 (a 2-digit year, perhaps first) still reads nothing."""
    us = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,03-04-2025,20,outreach\n"
                                       "E2,P1,bhcm,03-05-2025 14:30,20,outreach\nE3,P1,bhcm,25-02-10,20,outreach\n"))
    got = with_patient.execute("SELECT entry_id, CAST(service_date_local AS VARCHAR) FROM staging.time_logs ORDER BY 1").fetchall()
    assert got == [("E1", "2025-03-04 00:00:00"), ("E2", "2025-03-05 14:30:00")]
    assert [q[0] for q in quarantined(with_patient, us.load_id)] == [4]
    text = LOGS + "E4,P1,bhcm,03-02-2025,20,outreach\nE5,P1,bhcm,14-02-2025,20,outreach\nE6,P1,bhcm,10/02/2025,20,outreach\n"
    day_first = load_file(with_patient, write(tmp_path, "time_logs_2.csv", text))
    got = with_patient.execute("SELECT entry_id, CAST(service_date_local AS DATE) FROM staging.time_logs WHERE entry_id > 'E3' ORDER BY 1")
    assert got.fetchall() == [("E4", dt.date(2025, 2, 3)), ("E5", dt.date(2025, 2, 14)), ("E6", dt.date(2025, 2, 10))]
    options = with_patient.execute("SELECT read_options FROM meta.load_log WHERE load_id = ?", [day_first.load_id]).fetchall()[0][0]
    assert json.loads(options)["day_first"] == ["service_date"]


def test_a_dashed_date_that_reads_two_ways_is_set_aside_naming_both_readings_as_the_slash_form_is(with_patient, tmp_path):
    """A ;-delimited file's 01-10-2026 is as undecided as its 01/10/2026: set aside with the same
    reason, quoting the value as written; a column written both ways (02-14-2025, 14-02-2025)
    guesses nothing; an impossible one (02-31-2025) is told the forms, dashes among them."""
    semi = LOGS.replace(",", ";")
    text = semi + "E1;P1;bhcm;01-10-2026;20;outreach\nE2;P1;bhcm;03-03-2026;20;outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert with_patient.execute("SELECT entry_id FROM staging.time_logs").fetchall() == [("E2",)]
    assert quarantined(with_patient, result.load_id) == [
        (2, ["service_date readable as datetime"],
         "service_date '01-10-2026' is 1 October read day first, 10 January read month first: this ;-delimited file comes "
         "from a system that may write the day first, and no date of the column can be read only one way; write the date "
         "as 2026-10-01 (year-month-day), or load the file through a profile that sets date_formats")]
    both = load_file(with_patient, write(tmp_path, "time_logs_2.csv", LOGS + "E3,P1,bhcm,02-14-2025,20,outreach\n"
                                         "E4,P1,bhcm,14-02-2025,20,outreach\nE5,P1,bhcm,02-31-2025,20,outreach\n"))
    [(line, checks, reason), (line_2, _, reason_2)] = quarantined(with_patient, both.load_id)
    assert (line, checks, line_2) == (3, ["service_date readable as datetime"], 4)
    assert reason.startswith("service_date '14-02-2025' is not a real date/time in a known format (2025-01-31, 01/31/2025, "
                             "31/01/2025 (in a column that writes the day first), 01-31-2025 (dashes read as slashes), ")
    assert reason_2.startswith("service_date '02-31-2025' is not a real date/time")

# --- minutes written as a clock --------------------------------------------------------------------

def test_h_mm_minutes_of_four_hours_or_more_are_set_aside_not_read_as_hours(with_patient, tmp_path):
    """20:00 is as likely 20 minutes (MM:SS) as 20 hours: read as hours it billed 99494 x63."""
    text = LOGS + "E1,P1,bhcm,2025-02-10,1:30,outreach\nE2,P1,bhcm,2025-02-11,20:00,outreach\nE3,P1,bhcm,2025-02-12,3:59,outreach\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert with_patient.execute("SELECT entry_id, minutes FROM staging.time_logs ORDER BY 1").fetchall() == [("E1", 90.0), ("E3", 239.0)]
    assert quarantined(with_patient, result.load_id) == [(
        3, ["minutes readable as number"],
        "minutes '20:00' is not read: as hours:minutes it would be 20 h 00 min, as minutes:seconds 20 min 00 s (H:MM is read "
        "only under 4 hours); write the minutes (20 or 1200), or HH:MM:SS (00:20:00)")]


def test_a_delimiter_at_the_end_of_the_header_is_named_in_the_load_line(with_patient, tmp_path):
    text = LOGS.replace("\n", ",\n") + "E1,P1,bhcm,2025-02-10,30,outreach,\n"
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(with_patient, path)
    assert result.rows_loaded == 1
    assert summary_line(path, result).endswith("extra columns dropped: (a column with no name: a delimiter at the end of the header?)")


def test_a_corrected_copy_in_a_folder_loads_after_the_file_it_corrects(store, tmp_path):
    from bcm_analytics.ingest import discover

    exports = tmp_path / "exports"
    write(exports, "patients.csv", PATIENTS)
    write(exports, "time_logs_2025-02.csv", LOGS + "E2,P1,bhcm,2025-02-10,40,outreach\n")
    write(exports, "time_logs_2025-02 (corrected).csv", LOGS + "E2,P1,bhcm,2025-02-10,20,outreach\n")
    files, _ = discover([exports])
    assert [f.name for f in files] == ["patients.csv", "time_logs_2025-02.csv", "time_logs_2025-02 (corrected).csv"]
    for f in files:
        load_file(store, f)
    assert store.execute("SELECT minutes FROM staging.time_logs").fetchall() == [(20.0,)]


def test_start_times_as_clocks_write_them_and_an_unreadable_one_is_called_a_time(with_patient, tmp_path):
    text = (LOGS_TIMED + "E1,P1,bhcm,2025-02-10,2:30pm,30,outreach\nE2,P1,bhcm,2025-02-10,14:30:00.000,30,outreach\n"
            "E3,P1,bhcm,2025-02-10,1430,30,outreach\n")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    got = with_patient.execute("SELECT entry_id, CAST(start_time_local AS VARCHAR) FROM staging.time_logs ORDER BY 1").fetchall()
    assert got == [("E1", "2025-02-10 14:30:00"), ("E2", "2025-02-10 14:30:00")]
    assert quarantined(with_patient, result.load_id) == [(
        4, ["start_time readable as datetime"],
        "start_time '1430' is not a time of day (09:30, 09:30:15, 14:30:00.000, 9:30 AM, 9:30:15 AM, 2:30pm) "
        "or a date/time in a known format "
        "(2025-01-31 14:05, 2025-01-31T14:05:30, 2025-01-31 14:05:30.250, 01/31/2025 14:05, 01/31/2025 14:05:30, "
        "01/31/2025 2:05 PM, 01/31/2025 2:05:30 PM, 2025/01/31 14:05:30, 31.01.2025 14:05, "
        "31.01.2025 14:05:30, 2025-01-31T14:05:00Z, 2025-01-31 14:05-05:00, 2025-01-31T14:05:30.250+01:00, "
        "2025-01-31T14:05:30+0100, 2025-01-31 14:05:30-05, "
        "45688.5 (an Excel serial day and time), Jan 31, 2025 2:05 PM, 31-Jan-2025 14:05)")]


def test_rows_waiting_for_a_patient_loaded_under_another_spelling_of_its_id_are_named(store, tmp_path):
    """A spreadsheet wrote patient 123 as 123.0 and patient 00123 as 123: those rows wait for ever
    (matching them would be a guess), so the load line says what they look like."""
    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\n123,Medicare,2025-01-02\n00456,Medicare,2025-01-02\n"))
    text = LOGS + "E1,123.0,bhcm,2025-02-10,30,outreach\nE2,456,bhcm,2025-02-10,30,outreach\nE3,789,bhcm,2025-02-10,30,outreach\n"
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(store, path)
    assert (result.rows_waiting, result.rows_waiting_like_known) == (3, 2)
    assert "; 2 of the waiting rows name a patient id that is loaded written another way" in summary_line(path, result)


def test_a_row_waiting_for_a_patient_loaded_under_another_spelling_names_that_id_in_its_reason(store, tmp_path):
    """A time log waiting for '1001' said only "patient_id '1001' is not in the patients exports" while
    patient '00001001' was loaded (a spreadsheet stripped the zeros): the load line counted such rows,
    the row's own reason, what a steward works from in `bcm quarantine`, did not name the id."""
    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\n00001001,Medicare,2025-01-02\n"))
    text = LOGS + "E1,1001,bhcm,2025-02-10,30,outreach\nE2,1001.0,bhcm,2025-02-10,30,outreach\nE3,789,bhcm,2025-02-10,30,outreach\n"
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    reasons = store.execute("SELECT line_number, status, reason FROM meta.quarantine WHERE load_id = ? ORDER BY 1", [result.load_id]).fetchall()
    assert [(line, status) for line, status, _ in reasons] == [(2, "waiting"), (3, "waiting"), (4, "waiting")]
    assert reasons[0][2] == ("patient_id '1001' is not in the patients exports (yet); the row waits and is admitted when the patient "
                             "arrives; a loaded patient is '00001001', the same id written another way (leading zeros dropped or .0 "
                             "added by a spreadsheet?): if the row is theirs, correct patient_id in the export a spreadsheet changed "
                             "(this one, or the patients export if it dropped the zeros) and load it again (it is not matched by a guess)")
    assert "a loaded patient is '00001001'" in reasons[1][2]
    assert "a loaded patient" not in reasons[2][2]
    assert store.execute("SELECT count(*) FROM staging.time_logs").fetchall() == [(0,)]


def test_a_row_waiting_before_its_patient_is_loaded_under_another_spelling_names_that_id_once(store, tmp_path):
    load_file(store, write(tmp_path, "time_logs.csv", LOGS + "E1,1001,bhcm,2025-02-10,30,outreach\n"))
    for n in (1, 2):  # a second patients export re-examines the row again: the reason says it once
        load_file(store, write(tmp_path / str(n), "patients.csv", f"patient_id,payer,enrollment_date\n00001001,Medicare,2025-01-02\nP{n},Medicare,2025-01-02\n"))
    [(status, reason)] = store.execute("SELECT status, reason FROM meta.quarantine WHERE table_name = 'time_logs'").fetchall()
    assert status == "waiting" and reason.count("; a loaded patient is '00001001', the same id written another way") == 1


def test_utf32_is_refused_in_one_line_not_read_as_utf16(store, tmp_path):
    path = write(tmp_path, "patients.csv", PATIENTS, encoding="utf-32")
    with pytest.raises(FileRefused) as refused:
        load_file(store, path)
    assert refused.value.problem == "UTF-32 text, which is not read; save it as UTF-8 (in Excel: Save As, CSV UTF-8) and load it again"
    assert "\x00" not in str(refused.value)


def test_a_file_already_loaded_says_which_table_it_filled():
    """An Akello treatment-log export fills time_logs and assessments: loaded again, it printed
    'treatment_logs.csv: already loaded (load 2); nothing changed' twice, the same line to the eye."""
    from pathlib import Path

    from bcm_analytics.ingest.loader import FileResult

    lines = [summary_line(Path("treatment_logs.csv"), FileResult(Path("treatment_logs.csv"), table, n, already_loaded=True))
             for table, n in (("time_logs", 2), ("assessments", 3))]
    assert lines == ["treatment_logs.csv: time_logs: already loaded (load 2); nothing changed",
                     "treatment_logs.csv: assessments: already loaded (load 3); nothing changed"]


# --- third round: a program data manager's monthly EHR exports ----------------------------------

def test_a_windows_1252_export_with_a_utf8_byte_order_mark_reads_as_windows_1252(with_patient, tmp_path):
    """Some Windows tools write a UTF-8 byte-order mark in front of Windows-1252 text (a
    semicolon-separated time log with CRLF and a curly apostrophe, 0x92). The mark was taken for
    a UTF-8 line 1 and the file refused as 'mixing encodings', though nothing in it is UTF-8."""
    text = ("entry_id;patient_id;staff_id;staff_role;service_date;minutes;activity_type\r\n"
            "E1;P1;Ann O\u2019Neil;bhcm;03/03/2025;1:30;outreach\r\nE2;P1;Ren\u00e9e;bhcm;2025-03-08;abc;outreach\r\n")
    path = tmp_path / "time_logs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert with_patient.execute("SELECT staff_id, minutes FROM staging.time_logs").fetchall() == [("Ann O\u2019Neil", 90)]
    assert [q[0] for q in quarantined(with_patient, result.load_id)] == [3]
    record = with_patient.execute("SELECT record FROM meta.quarantine WHERE load_id = ?", [result.load_id]).fetchall()[0][0]
    assert json.loads(record)["staff_id"] == "Ren\u00e9e"


def test_a_very_wide_export_loads_without_holding_the_columns_it_drops(with_patient, tmp_path):
    """A report export with thousands of columns beside the six a time log needs (Excel allows
    16,384): every column was read into memory before the extras were dropped, and a 12 MB file
    of 20,000 columns was refused 'Out of Memory Error ... 1.3 GiB used'. Only the columns the load
    keeps are held now; here 4,000 extras under a 256 MB limit."""
    extras = 4000
    header = LOGS.strip() + "".join(f",x{i}" for i in range(extras)) + "\n"
    rows = "".join(f"E{n},P1,bhcm,2025-02-10,30,outreach" + ",1" * extras + "\n" for n in range(200))
    with_patient.execute("SET memory_limit = '256MB'")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", header + rows + "E200,P1,bhcm,2025-02-10,30\n"))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (201, 200, 1)
    assert len(result.dropped_columns) == extras
    assert quarantined(with_patient, result.load_id)[0][:2] == (202, ["csv: missing columns"])


@pytest.mark.parametrize("name, content, says", [
    ("time_logs.xlsx", "cut", "not a readable .xlsx workbook: the file is damaged or cut short (a download or copy that did not finish?);"
                              " export it again, or open it in Excel and save it as .xlsx"),
    ("time_logs.xlsx", LOGS.encode(), "not a readable .xlsx workbook: it holds text, not a workbook (a CSV saved under an .xlsx name?);"
                                      " rename it .csv, or export it again as .xlsx"),
    ("time_logs.csv", b"\r\n<!DOCTYPE html>\r\n<html><head><title>Session expired</title></head><body><table>",
     "a web page (HTML), not a CSV file (a report viewer's or sign-in page saved under the export's name?); export the data again as CSV"),
    ("time_logs.csv", "xlsx", "an Excel workbook (or another zip file), not a CSV file; load a workbook under its .xlsx name"),
    ("time_logs.parquet", "parquet cut", "not a readable Parquet file: the file is damaged or cut short (a download or copy that did not "
                                         "finish?); export it again"),
    ("time_logs.parquet", LOGS.encode(), "not a readable Parquet file: it holds text, not Parquet (a CSV saved under a .parquet name?); "
                                         "rename it .csv, or export it again as Parquet"),
    ("time_logs.parquet", b"", "not a readable Parquet file: the file is empty; expected at least a header row"),
    ("time_logs.xlsx", b"", "not a readable .xlsx workbook: the file is empty; expected at least a header row"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused_saying_what_it_is(store, tmp_path, name, content, says):
    """A truncated workbook, a CSV or a web page saved under the export's name: the refusal quoted
    the reader ('calamine error: Xlsx error: Zip error: invalid Zip archive: Could not find EOCD')
    or, for the page, 'missing required columns ... (the file has: <!doctype_html>)'. A Parquet
    file cut short and a CSV under a .parquet name were both refused as DuckDB words it ('No magic
    bytes found at end of file' and the path again), and an empty workbook as holding text."""
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq
    book = tmp_path / "whole.xlsx"
    sheet = openpyxl.Workbook()
    for n in range(400):
        sheet.active.append([f"E{n}", "P1", "bhcm", "2025-02-10", 30, "outreach"])
    sheet.save(book)
    parquet = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"entry_id": [f"E{n}" for n in range(400)], "minutes": [30] * 400}), parquet)
    path = tmp_path / name
    path.write_bytes(book.read_bytes()[: len(book.read_bytes()) // 2] if content == "cut" else
                     parquet.read_bytes()[: len(parquet.read_bytes()) // 2] if content == "parquet cut" else
                     book.read_bytes() if content == "xlsx" else content)
    with pytest.raises(FileRefused) as refused:
        load_file(store, path)
    assert refused.value.problem == says


# --- a totals row below the records ------------------------------------------------------------------

def passed_over(con, load_id: int) -> list[tuple]:
    return con.execute(
        "SELECT line_number, reason FROM meta.quarantine WHERE load_id = ? AND status = 'passed_over' ORDER BY line_number", [load_id]
    ).fetchall()


def test_a_totals_row_below_a_sheets_records_is_passed_over_not_left_to_fix(store, tmp_path):
    """An Excel roster ending 'Total patients: 2' and a PHQ-9 workbook ending 'Count | 1' were set
    aside as records ('payer is empty but required; enrollment_date is empty ...'), open every month."""
    import openpyxl

    roster = openpyxl.Workbook()
    for row in [["patient_id", "payer", "enrollment_date"], ["P1", "Medicare", "2024-01-01"], ["P2", "Medicaid", "2024-02-01"],
                [None], ["Total patients: 2"]]:
        roster.active.append(row)
    roster.save(tmp_path / "patients.xlsx")
    result = load_file(store, tmp_path / "patients.xlsx")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over) == (3, 2, 1, 1)
    [(line, reason)] = passed_over(store, result.load_id)
    assert line == 5  # the sheet row, below a blank one
    assert reason.startswith("not a record but the totals row the export writes below its records ('Total patients: 2'): nothing to fix")
    assert "1 totals row below the records, passed over" in summary_line(tmp_path / "patients.xlsx", result)
    assert store.execute("SELECT count(*) FROM meta.quarantine WHERE status IN ('open', 'waiting')").fetchall() == [(0,)]

    scores = openpyxl.Workbook()
    for row in [["assessment_id", "patient_id", "instrument", "administered_on", "total_score"], ["A1", "P1", "PHQ-9", "2025-01-10", 12],
                ["Count", 1]]:
        scores.active.append(row)
    scores.save(tmp_path / "assessments.xlsx")
    result = load_file(store, tmp_path / "assessments.xlsx")
    assert (result.rows_loaded, result.rows_passed_over) == (1, 1)
    assert "('Count' | '1')" in passed_over(store, result.load_id)[0][1]


def test_totals_rows_at_the_end_of_a_csv_and_of_a_profiles_export_are_passed_over(with_patient, tmp_path):
    from pathlib import Path

    from bcm_analytics.ingest.profiles import load, load_export, map_export

    text = LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\nTotal minutes,,,,30,\nGrand Total:,,,,\"1,030\",\n,,,,,\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over) == (4, 1, 3, 2)
    assert [line for line, _ in passed_over(with_patient, result.load_id)] == [3, 4, 5]  # line 5: empty cells, an empty row

    lakeside = Path(__file__).parent / "fixtures" / "exports" / "lakeside"
    visits = write(tmp_path / "lakeside", "visits.csv", (lakeside / "visits.csv").read_text() + "Count,5,,,,,,\n")
    roster = write(tmp_path / "lakeside", "roster.csv", (lakeside / "roster.csv").read_text())
    results = {rows.table: result for rows, result in load_export(with_patient, map_export(load(lakeside / "lakeside.yaml"), [visits, roster]))}
    assert results["time_logs"].rows_passed_over == 1
    assert "('Count' | '5')" in passed_over(with_patient, results["time_logs"].load_id)[0][1]


def test_an_empty_row_of_a_csv_is_passed_over_not_left_to_fix(with_patient, tmp_path):
    """A CSV saved from a spreadsheet holds a line of delimiters only for each blank row (',,,,,'):
    it was set aside as a record to fix ('entry_id is empty but required; patient_id is empty but
    required ...', six reasons) and stayed open every month, where the Excel reader passes over a
    blank row. It is counted, and set aside as passed over, anywhere in the file."""
    text = LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\r\n,,,,,\r\nE2,P1,bhcm,2025-02-11,20,outreach\r\n,,,,,\r\n"
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_empty) == (4, 2, 2, 2)
    assert [entry for entry, _ in stored(with_patient)] == ["E1", "E2"]
    reasons = passed_over(with_patient, result.load_id)
    assert [line for line, _ in reasons] == [3, 5]
    assert reasons[0][1].startswith("not a record but an empty row (no column bcm reads has a value")
    assert "nothing to fix" in reasons[0][1]
    assert "2 empty rows (no column bcm reads has a value), passed over" in summary_line(path, result)
    assert with_patient.execute("SELECT count(*) FROM meta.quarantine WHERE status IN ('open', 'waiting')").fetchall() == [(0,)]
    # a row with a value only in a column bcm does not read was called "an empty row of delimiters
    # only", which a workbook's (or this CSV's) row is not
    path = write(tmp_path, "time_logs.csv", LOGS.rstrip("\r\n") + ",note\r\nE3,P1,bhcm,2025-02-12,25,outreach,\r\n,,,,,,Total: 25\r\n")
    result = load_file(with_patient, path)
    assert (result.rows_loaded, result.rows_empty) == (1, 1)
    assert "1 empty row (no column bcm reads has a value), passed over" in summary_line(path, result)
    assert "or values only in columns bcm does not read" in passed_over(with_patient, result.load_id)[0][1]
    # a row with one value is a record to fix, not an empty row
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + ",,,,45,\n"))
    assert (result.rows_quarantined, result.rows_empty) == (1, 0)
    assert with_patient.execute("SELECT status FROM meta.quarantine WHERE load_id = ?", [result.load_id]).fetchall() == [("open",)]


def test_a_record_is_never_taken_for_a_totals_row(with_patient, tmp_path):
    """Only the last rows, a totals word first and numbers or nothing after it, that fail a check:
    a record that passes is loaded whatever its id, one with words or dates is a record to fix,
    and a totals-like row with records after it is no row below the records."""
    text = (LOGS + "Total 1,P1,bhcm,2025-02-10,30,outreach\nCount,,,,,\nE2,P1,bhcm,2025-02-11,30,outreach\n"
            + "Sum,P1,bhcm,,30,outreach\nTotal-3,,,,40,\nTotal 4,P1,bhcm,2025-02-12,30,outreach\n")
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert [entry for entry, _ in stored(with_patient)] == ["Total 1", "E2", "Total 4"]
    assert result.rows_passed_over == 0
    assert [(line, status) for line, status in with_patient.execute(
        "SELECT line_number, status FROM meta.quarantine WHERE load_id = ? ORDER BY 1", [result.load_id]).fetchall()] \
        == [(3, "open"), (5, "open"), (6, "open")]


def test_a_totals_line_shorter_than_the_header_is_passed_over_a_short_record_never(with_patient, tmp_path):
    """'Total,204' under a nine-column header: DuckDB cannot split it into the header's fields,
    and it was set aside as a CSV error ('the line has fewer fields than the header'), open every
    month, while the same count written full width was passed over. A short line is judged as a
    full-width row is: a totals word first, numbers or nothing after it, nothing below it but
    other totals lines. A short record, or a short totals line with records after it, stays a
    line to fix."""
    text = LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\nE2,P1,bhcm,2025-02-11,20,outreach\nTotal,\"1,050\"\nCount: 2\n"
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over) == (4, 2, 2, 2)
    assert [line for line, _ in passed_over(with_patient, result.load_id)] == [4, 5]
    assert "('Total' | '1,050')" in passed_over(with_patient, result.load_id)[0][1]
    assert "2 totals rows below the records, passed over" in summary_line(path, result)
    # a truncated record at the end, and a short totals line with a record after it: CSV errors to fix
    text = LOGS + "E3,P1,bhcm,2025-02-12,30,outreach\nTotal,30\nE4,P1,bhcm,2025-02-13,30,outreach\nE5,P1,bhcm\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", text))
    assert result.rows_passed_over == 0
    assert with_patient.execute("SELECT line_number, status, failed_checks FROM meta.quarantine WHERE load_id = ? ORDER BY 1",
                                [result.load_id]).fetchall() == [(3, "open", ["csv: missing columns"]), (5, "open", ["csv: missing columns"])]


def test_a_subtotal_row_among_the_records_is_passed_over_wherever_it_stands(with_patient, tmp_path):
    """An export that closes each care manager's rows with a subtotal: `Subtotal cm1,,,,50` was set
    aside as a record missing its patient and date, open every month, unlike the same row at the end."""
    text = LOGS.strip() + ",staff_id\nE1,P1,bhcm,2025-02-03,30,outreach,cm1\nE2,P1,bhcm,2025-02-04,20,outreach,cm1\n" \
           "Subtotal cm1,,,,50 min,,\nE3,P1,bhcm,2025-02-05,15,outreach,cm2\nSub-total,15\nE4,P1,bhcm,2025-02-06,x,outreach,cm2\n" \
           "Total,,,,1h 5m,,\n"  # minutes written with their unit, as a report sums them
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over, result.rows_subtotal) == (7, 3, 4, 3, 2)
    assert "quarantined 4 (1 totals row below the records, passed over; 2 subtotal rows among the records, passed over)" \
        in summary_line(path, result)
    statuses = with_patient.execute("SELECT line_number, status, failed_checks[1] FROM meta.quarantine WHERE load_id = ? ORDER BY 1",
                                    [result.load_id]).fetchall()
    assert statuses == [(4, "passed_over", "not a record: a subtotal row"), (6, "passed_over", "not a record: a subtotal row"),
                        (7, "open", "minutes readable as number"), (8, "passed_over", "not a record: a totals row")]


def test_a_reports_footer_lines_are_counted_and_named_apart_from_its_totals_rows(with_patient, tmp_path):
    """Below one totals row, a report's footer ('Page 1 of 3', 'Confidential', 'Printed on ...'):
    the load line said '4 totals rows below the records, passed over', three of which were no
    totals. The footer lines are counted and named as such (check and summary), the totals row as
    a totals row, and the line still adds up."""
    footer = "Page 1 of 3\nConfidential \u2013 contains PHI\nPrinted on 12/01/2025 2:05 PM by NGUYEN\n"
    path = write(tmp_path, "time_logs.csv", LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\nTotal minutes,,,,30,\n" + footer)
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (5, 1, 4, 0)
    assert (result.rows_passed_over, result.rows_footer) == (4, 3)
    line = summary_line(path, result)
    assert "read 5 = loaded 1 + quarantined 4 (1 totals row below the records, passed over; " \
           "3 footer lines closing the report (page numbers, confidentiality or printed-on lines), passed over)" in line, line
    assert with_patient.execute("SELECT line_number, failed_checks FROM meta.quarantine WHERE load_id = ? ORDER BY 1",
                                [result.load_id]).fetchall() == [
        (3, ["not a record: a totals row"]), (4, ["not a record: a footer line"]), (5, ["not a record: a footer line"]),
        (6, ["not a record: a footer line"])]
    # a footer line shorter than the header (a CSV error before it was judged) is counted so too
    path = write(tmp_path / "short", "time_logs.csv", LOGS + "E2,P1,bhcm,2025-02-11,30,outreach\nTotal,30\n*** End of Report ***\n")
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over, result.rows_footer) == (3, 1, 2, 2, 1)
    assert "(1 totals row below the records, passed over; 1 footer line closing the report" in summary_line(path, result)


@pytest.mark.parametrize("line, delimiter", [
    ("Total,204", ","), ("a,,b,", ","), (",204", ","), (",,Total,204", ","), (",", ","), ('"",5', ","),
    ('"1,050",x', ","), ('"say ""hi""",2', ","), ('"""q"""', ","), ('Total;"3;4";5', ";"), ('a\tb\t"c\td"', "\t"),
])
def test_a_rejected_line_is_split_into_fields_as_the_header_is(line, delimiter):
    """A line DuckDB rejected is split in SQL (rows.csv_fields), the header in Python
    (readers.split_header, the csv module): two splitters that must agree on quoting and on
    empty fields. A line starting with an empty field lost every field after it."""
    got = duckdb.connect().execute(f"SELECT {csv_fields('?', delimiter)}", [line]).fetchall()[0][0]
    assert got == next(csv.reader(io.StringIO(line), delimiter=delimiter))


def test_a_profiles_totals_row_is_passed_over_whatever_order_the_profile_lists_the_columns_in(with_patient, tmp_path):
    """The same roster ending 'Total,2' had its totals row passed over through a profile listing
    mrn first, and set aside to fix ('payer is empty but required; enrollment_date is empty ...')
    through one listing the columns in another order: the record a profile kept was in the
    profile's order, and its first cell (a totals row's label) was not the file's first. The
    record keeps the file's order, as a person reads it against the file."""
    from pathlib import Path

    from bcm_analytics.ingest.profiles import load, load_export, map_export

    lakeside = Path(__file__).parent / "fixtures" / "exports" / "lakeside"
    text = (lakeside / "lakeside.yaml").read_text()
    listed = "columns: [mrn, insurance, pcp_npi, dob, enrolled]"
    assert listed in text
    profile = write(tmp_path, "reordered.yaml", text.replace(listed, "columns: [insurance, enrolled, mrn, pcp_npi, dob]"))
    roster = write(tmp_path / "export", "roster.csv", (lakeside / "roster.csv").read_text() + "Total,2\n")
    [(_, result)] = list(load_export(with_patient, map_export(load(profile), [roster])))
    assert (result.rows_loaded, result.rows_passed_over) == (2, 1)
    record = with_patient.execute("SELECT record FROM meta.quarantine WHERE load_id = ?", [result.load_id]).fetchall()[0][0]
    assert list(json.loads(record)) == ["MRN", "Insurance", "Enrolled", "DOB", "PCP NPI"]


def test_reasons_name_a_column_as_a_plain_exports_header_writes_it(with_patient, tmp_path):
    """A canonical file whose header writes 'Patient ID' and 'Minutes' loads as bcm's names, and a
    set-aside row's reason named patient_id and minutes: a person looks for the file's words."""
    header = "Entry ID,Patient ID,Staff Role,Service Date,Minutes,activity_type\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", header + "E1,P1,bhcm,2025-02-10,lots,outreach\n"
                                                                      "E2,,bhcm,2025-02-11,30,outreach\n"))
    assert [q[2] for q in quarantined(with_patient, result.load_id)] == [
        "Minutes [minutes] 'lots' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)",
        "Patient ID [patient_id] is empty but required"]
    same = load_file(with_patient, write(tmp_path, "time_logs_2.csv", LOGS + "E3,P1,bhcm,2025-02-12,lots,outreach\n"))
    assert quarantined(with_patient, same.load_id)[0][2].startswith("minutes 'lots' is not a duration")


# --- an export saved without its header row -----------------------------------------------------

ROWS = {"enrolled and consented the same day": "P0000042,C1,Medicare,cocm,CM1,1434700732,1950-07-24,F,2025-09-01,2025-09-01",
        "on different days": "P0000042,C1,Medicare,cocm,CM1,1434700732,1950-07-24,F,2025-09-01,2025-09-03"}


@pytest.mark.parametrize("name", ["patients.csv", "patients.xlsx"])
@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_an_export_without_its_header_row_is_refused_without_quoting_the_row(store, tmp_path, name, row):
    """Its first line is a patient's row: the refusal listed it as the file's columns ('the file
    has: p0000042, c1, medicare, ..., 1950_07_24, ...'), or quoted a date that the row holds twice
    as a duplicate column, on the terminal and in whatever captures it."""
    import openpyxl

    text = row + "\n" + row.replace("P0000042", "P0000043") + "\n"
    path = write(tmp_path, name, text) if name.endswith(".csv") else tmp_path / name
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        for line in text.splitlines():
            book.active.append(line.split(","))
        book.save(path)
    with pytest.raises(FileRefused) as refused:
        load_file(store, path)
    message = str(refused.value)
    assert "holds values, not column names" in message and "header row" in message, message
    for value in ("0000042", "p0000042", "1434700732", "1950", "2025", "medicare"):
        assert value not in message.lower(), message


def test_a_european_exports_totals_row_is_passed_over_as_an_english_one_is(with_patient, tmp_path):
    """A ;-delimited export from a German or Dutch system ends 'Summe;;;;134;' or 'Gesamt' or
    'Totaal': set aside as a row to fix ('patient_id is empty but required; ...'), which it never
    is. The words that label a totals row in the export's language are passed over too."""
    text = LOGS.replace(",", ";") + "E1;P1;bhcm;2025-02-10;30;outreach\n"
    for word in ("Summe", "Gesamt:", "Totaal", "Totale", "Somme"):
        result = load_file(with_patient, write(tmp_path / word.strip(":"), "time_logs.csv", text + f"{word};;;;134,5;\n"))
        assert (result.rows_quarantined, result.rows_passed_over) == (1, 1), word


def test_a_totals_label_beside_its_sum_and_a_line_closing_the_report_are_passed_over(with_patient, tmp_path):
    """A report writes 'Total:' under the column before the minutes it sums, then its claim count
    and '*** End of Report ***' (a line shorter than the header): each was set aside as a row to
    fix, open every month. Below the records, a row whose first value is a totals label (in
    whichever column) with numbers after it, and the line closing a report, are passed over; the
    same label above a record is still a row to fix."""
    text = LOGS + "E1,P1,bhcm,2025-02-10,30,outreach\n,,,Total:,30,\nEntry Count: 1,,,,,\n*** End of Report ***\n"
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(with_patient, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_passed_over) == (4, 1, 3, 3)
    assert [reason[:reason.index("):") + 2] for _, reason in passed_over(with_patient, result.load_id)] == [
        "not a record but the totals row the export writes below its records ('Total:' | '30'):",
        "not a record but the totals row the export writes below its records ('Entry Count: 1'):",
        "not a record but the line the export writes below its records to close the report ('*** End of Report ***'):"]
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + ",,,Total:,30,\nE2,P1,bhcm,2025-02-11,30,outreach\n"))
    assert (result.rows_loaded, result.rows_passed_over) == (1, 0)
    # the other lines a report's footer writes (the field review's "Confidential - contains PHI" stayed a row to fix)
    footer = "Page 1 of 1\nConfidential \u2013 contains PHI\nPrinted on 12/01/2025 2:05 PM by NGUYEN\n"
    result = load_file(with_patient, write(tmp_path, "time_logs.csv", LOGS + "E3,P1,bhcm,2025-02-12,30,outreach\n" + footer))
    assert (result.rows_loaded, result.rows_passed_over) == (1, 3)
    assert all("to close the report" in reason for _, reason in passed_over(with_patient, result.load_id))
