"""Profile loads end to end: the fixture exports (tests/fixtures/exports/) through the loader
into a store, then `bcm outcomes` on what came in through `synthea` and `fhir`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_csv
from hostile.helpers import fingerprint, write
from test_billing_engine import entry, patient, program  # noqa: F401 (program: a fixture)
from test_billing_stays import statuses

from bcm_analytics.billing import time_entries
from bcm_analytics.cli import cli
from bcm_analytics.contracts.columns import TYPE_WORDS
from bcm_analytics.ingest import FileRefused, FileResult, load_file
from bcm_analytics.ingest.profiles import load, load_export, map_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def load_profile(store, name: str, paths) -> dict[tuple[str, str], FileResult]:
    results = {}
    for rows, result in load_export(store, map_export(load(name), paths)):
        assert isinstance(result, FileResult), result
        results[(rows.path.name, rows.table)] = result
    return results


def counts(result: FileResult) -> tuple[int, int, int, int]:
    return result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate


def quarantine(store) -> list[tuple]:
    return store.execute(
        "SELECT table_name, regexp_replace(source_file, '^.*/', ''), line_number, status, reason FROM meta.quarantine ORDER BY ALL"
    ).fetchall()


def test_synthea_loads_through_the_contracts_with_source_lines_and_adds_up(store):
    results = load_profile(store, "synthea", [EXPORTS / "synthea"])
    assert counts(results[("patients.csv", "patients")]) == (3, 3, 0, 0)
    assert counts(results[("observations.csv", "assessments")]) == (8, 6, 2, 0)
    assert all(r.adds_up for r in results.values())
    assert quarantine(store) == [
        ("assessments", "observations.csv", 19, "open", "total_score 31 is outside 0-27 for PHQ-9"),
        ("assessments", "observations.csv", 20, "open", "item_1 'conflicting values: 2, 3' is not an item's answer (0-3, its "
                                                         "words: Not at all, Several days, More than half the days, "
                                                         "Nearly every day, or its LOINC answer code: LA6568-5, "
                                                         "LA6569-3, LA6570-1, LA6571-9)"),
    ]
    record = store.execute("SELECT record FROM meta.quarantine WHERE line_number = 20").fetchall()[0][0]
    assert '"line":22' in record and '"VALUE":"3"' in record  # every source record behind the row, with its line
    assert store.execute("SELECT DISTINCT file_format FROM meta.load_log").fetchall() == [("profile:synthea",)]
    assert store.execute("SELECT _line FROM staging.assessments WHERE assessment_id = 'enc-101/PHQ-9'").fetchall() == [(13,)]


def test_loading_the_same_export_again_changes_nothing(store):
    load_profile(store, "synthea", [EXPORTS / "synthea"])
    before = fingerprint(store)
    again = load_profile(store, "synthea", [EXPORTS / "synthea"])
    assert all(r.already_loaded for r in again.values())
    assert fingerprint(store) == before


def test_no_identifier_of_the_export_reaches_the_store(store):
    load_profile(store, "synthea", [EXPORTS / "synthea"])
    load_profile(store, "fhir", [EXPORTS / "fhir"])
    tables = store.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    text = " ".join(str(row) for schema, table in tables for row in store.execute(f"SELECT * FROM {schema}.{table}").fetchall())
    for identifier in ("999-12-3456", "S99912345", "X12345678X", "Aldo123", "Reyes456", "12 Elm St", "999-55-1234", "Shaw", "555-0100"):
        assert identifier not in text


def test_fhir_a_score_waits_for_its_patient_and_is_admitted_when_a_later_export_brings_it(store, tmp_path):
    results = load_profile(store, "fhir", [EXPORTS / "fhir"])
    assert counts(results[("Observation.ndjson", "assessments")]) == (4, 3, 1, 0)
    assert results[("Observation.ndjson", "assessments")].rows_waiting == 1
    assert counts(results[("QuestionnaireResponse.ndjson", "assessments")]) == (1, 0, 1, 0)  # items do not add up to 10
    later = write(tmp_path, "Patient_2.ndjson", '{"resourceType": "Patient", "id": "pat-x", "gender": "unknown", "birthDate": "1970-01-01"}\n')
    with_score = write(tmp_path, "Observation_2.ndjson",
                       '{"resourceType": "Observation", "id": "obs-x2", "status": "final", "code": {"coding": [{"system": "http://loinc.org", '
                       '"code": "44261-6"}]}, "subject": {"reference": "Patient/pat-x"}, "effectiveDateTime": "2025-03-03", "valueInteger": 8}\n')
    admitted = load_profile(store, "fhir", [later, with_score])
    assert admitted[("Patient_2.ndjson", "patients")].rows_admitted == 1
    assert store.execute("SELECT count(*) FROM staging.assessments WHERE patient_id = 'pat-x'").fetchall() == [(2,)]


def test_the_load_line_of_a_file_whose_records_give_two_rows_each_names_no_title_above_its_header(tmp_path):
    """A profile loads the rows of a file in layers when a record gives two (an Akello session's
    PHQ-9 and GAD-7, the items of a FHIR claim): the file's line summed the layers' header lines and
    said "column names on line 2 (line 1 above them passed over)" of a file with no title."""
    out = CliRunner().invoke(cli, ["load", str(EXPORTS / "akello"), "--profile", "akello", "--db", str(tmp_path / "a.duckdb")])
    assert out.exit_code == 0, out.output
    line = next(line for line in out.output.splitlines() if "treatment_logs.csv: assessments: read" in line)
    assert "read 4 = loaded 3 + quarantined 1" in line and "column names" not in line


def test_akello_time_logs_and_both_scores_of_a_session_load(store):
    results = load_profile(store, "akello", [EXPORTS / "akello"])
    assert counts(results[("treatment_logs.csv", "time_logs")]) == (7, 6, 1, 0)
    assert counts(results[("treatment_logs.csv", "assessments")]) == (4, 3, 1, 0)  # two layers, one line
    assert quarantine(store) == [
        ("assessments", "treatment_logs.csv", 6, "open", "total_score 30 is outside 0-27 for PHQ-9"),
        ("time_logs", "treatment_logs.csv", 7, "open", "activity_type 'Group Session' is not in the profile's value map "
         "contact_types (Initial Assessment, Follow Up, Psychiatric Consultation, Relapse Prevention Plan): add it to "
         "value_maps.contact_types of the akello profile with the vocabulary's word it means; "
         "activity_type 'Group Session' is not in the activity vocabulary ("
         "outreach, assessment, follow_up_contact, care_coordination, "
         "treatment_planning, caseload_review, brief_intervention, relapse_prevention, registry_tracking, psychotherapy, psychiatric_evaluation, e_m_visit, digital_mental_health, chronic_care_management, administrative or no_show): map it to one of them in the export (data_contracts/README.md says what each means)"),
    ]
    logs = dict(store.execute("SELECT entry_id, activity_type || ' ' || minutes FROM staging.time_logs").fetchall())
    assert (logs["tl-3"], logs["tl-4"]) == ("no_show 0.0", "caseload_review 15.0")
    assert store.execute("SELECT count(*) FROM staging.assessments WHERE assessment_id LIKE 'tl-1/%'").fetchall() == [(2,)]
    again = load_profile(store, "akello", [EXPORTS / "akello"])
    assert again[("treatment_logs.csv", "assessments")].already_loaded and counts(again[("treatment_logs.csv", "assessments")])[0] == 4


def test_outcomes_compute_from_assessments_that_came_in_through_synthea_and_fhir(tmp_path):
    runner = CliRunner()
    db = tmp_path / "program.duckdb"
    for name in ("synthea", "fhir"):
        result = runner.invoke(cli, ["load", str(EXPORTS / name), "--profile", name, "--db", str(db)])
        assert result.exit_code == 0, result.output
    out = tmp_path / "outcomes.csv"
    result = runner.invoke(cli, ["outcomes", "--db", str(db), "--as-of", "2025-04-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {(r["patient_id"], r["instrument"]): {k: (v or "").lower() for k, v in r.items()} for r in csv.DictReader(out.open())}
    synthea = rows[("b1f6a0e2-0002", "PHQ-9")]  # 12 on 2024-12-02, then 4
    assert (synthea["baseline_score"], synthea["latest_score"], synthea["response"], synthea["remission"]) == ("12", "4", "true", "true")
    fhir = rows[("pat-b", "PHQ-9")]  # 16 from components (2025-01-13), then 6 (2025-04-07)
    assert (fhir["baseline_score"], fhir["latest_score"], fhir["response"], fhir["remission"]) == ("16", "6", "true", "false")
    assert rows[("pat-a", "PHQ-9")]["item9_positive"] == "true"  # item 9 by its code, 44260-8


def test_the_load_command_prints_what_each_file_gave_and_refuses_a_broken_export_whole(tmp_path):
    runner = CliRunner()
    db = tmp_path / "program.duckdb"
    result = runner.invoke(cli, ["load", str(EXPORTS / "synthea"), "--profile", "synthea", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "observations.csv: 22 records: 19 used (assessments 19), 3 not used (observations that are not" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "patients.csv").write_text("Id,BIRTHDATE\nx,1970-01-01\n")
    (broken / "observations.csv").write_bytes((EXPORTS / "synthea" / "observations.csv").read_bytes())
    other = tmp_path / "other.duckdb"
    result = runner.invoke(cli, ["load", str(broken), "--profile", "synthea", "--db", str(other)])
    assert result.exit_code != 0 and not other.exists()
    assert result.output.splitlines()[-1] == (
        f"Error: {broken / 'patients.csv'}: refused: missing column gender for patients files; found columns: Id, BIRTHDATE; "
        "nothing of this export was loaded (its files belong together)")
    bad = runner.invoke(cli, ["load", str(broken), "--profile", "synthia", "--db", str(other)])
    assert bad.exit_code != 0 and bad.output.strip().endswith("did you mean 'synthea'?); built-in profiles: akello, fhir, synthea, or give a .yaml file")


def test_a_clinics_time_log_workbook_loads_with_sheet_row_numbers(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n"))
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    ws = wb.create_sheet("January")
    ws.append(["Entry ID", "Patient ID", "Staff Role", "Service Date", "Minutes", "Activity Type"])
    ws.append(["E1", "P1", "bhcm", dt.date(2025, 1, 6), 30, "outreach"])
    ws.append([])
    ws.append(["E2", "P1", "bhcm", 45666, 20, "assessment"])  # an Excel serial day: 2025-01-09
    ws.append(["E3", "P1", "bhcm", dt.date(2025, 1, 10), -5, "outreach"])
    wb.save(tmp_path / "time_logs.xlsx")
    result = CliRunner().invoke(cli, ["load", str(tmp_path / "time_logs.xlsx"), "--sheet", "january", "--db", str(tmp_path / "test.duckdb")])
    store.close()
    assert result.exit_code == 0, result.output
    assert "time_logs.xlsx: time_logs: read 3 = loaded 2 + quarantined 1" in result.output
    from bcm_analytics.warehouse import connect

    con = connect(tmp_path / "test.duckdb")
    assert con.execute("SELECT entry_id, service_date_local::DATE, _line FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("E1", dt.date(2025, 1, 6), 2), ("E2", dt.date(2025, 1, 9), 4)]
    assert con.execute("SELECT line_number FROM meta.quarantine").fetchall() == [(5,)]
    con.close()


@pytest.mark.parametrize("sheet", [None, "Logs"])
def test_a_workbook_through_a_profile(tmp_path, sheet):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Logs"
    ws.append(["id", "patient_mrn", "contact_type", "date", "minutes"])
    ws.append(["x1", "M1", "Follow Up", 1706810400.5, 25])
    wb.save(tmp_path / "treatment_logs_feb.xlsx")
    mapped = map_export(load("akello"), [tmp_path / "treatment_logs_feb.xlsx"], sheet)
    rows = next(t for t in mapped.tables if t.table == "time_logs").layers[0].to_pylist()
    assert [(r["entry_id"], r["service_date"], r["minutes"], r["_line"]) for r in rows] == [("x1", "2024-02-01T18:00:00.500000Z", "25", 2)]


def test_a_folder_with_the_lock_file_of_a_workbook_open_in_excel_loads_and_the_lock_file_alone_is_named(store, tmp_path):
    """An analyst loads the export folder while the workbook is open in Excel, which keeps a lock
    file '~$Minutes.xlsx' (the user's name, no data) beside it: a profile reading '*.xlsx' refused
    the whole export as 'not an Excel workbook (calamine error: ... EOCD); export it again'. A
    folder's lock files are passed over like its hidden files; one named alone is refused saying
    what it is."""
    profile = write(tmp_path, "tracker.yaml", (
        "name: tracker\ntitle: a tracker\nsources:\n  minutes:\n    files: ['*.xlsx']\n    columns: [log, mrn, date, mins]\n"
        "tables:\n  time_logs:\n    from: minutes\n    columns:\n      entry_id: log\n      patient_id: mrn\n"
        "      staff_role: {value: bhcm}\n      service_date: date\n      minutes: mins\n"
        "      activity_type: {value: follow_up_contact}\n"))
    export = tmp_path / "export"
    export.mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["Log", "MRN", "Date", "Mins"])
    wb.active.append(["L1", "M1", "2025-02-03", 25])
    wb.save(export / "Minutes.xlsx")
    lock = export / "~$Minutes.xlsx"
    lock.write_bytes(b"\x08Lee, Ana" + b" " * 46 + b"\x00" * 110)
    mapped = map_export(load(profile), [export])
    assert [(t.path.name, t.rows) for t in mapped.tables] == [("Minutes.xlsx", 1)]
    from bcm_analytics.ingest.loader import discover

    assert [f.name for f in discover([export], "time_logs")[0]] == ["Minutes.xlsx"], "a canonical load of the folder too"
    with pytest.raises(FileRefused, match=r"~\$Minutes.xlsx: refused: not a readable .xlsx workbook: an Office lock file, which Excel"):
        map_export(load(profile), [lock])
    csv_lock = write(export, "~$visits.csv", "\x08Lee, Ana")
    with pytest.raises(FileRefused, match=r"~\$visits.csv: refused: an Office lock file, which Excel keeps beside a workbook while it is"):
        load_file(store, csv_lock, table="time_logs")


def test_rows_hidden_in_a_workbook_read_through_a_profile_are_named_in_its_load_line(store, tmp_path):
    """A tracker workbook with a row hidden in Excel: read and loaded like the others, and the
    table's load line and read_options name the hidden row, as a canonical workbook's do."""
    from bcm_analytics.cli.data import summary_line

    profile = write(tmp_path, "tracker.yaml", (
        "name: tracker\ntitle: a tracker\nsources:\n  minutes:\n    files: ['*.xlsx']\n    columns: [log, mrn, date, mins]\n"
        "tables:\n  time_logs:\n    from: minutes\n    columns:\n      entry_id: log\n      patient_id: mrn\n"
        "      staff_role: {value: bhcm}\n      service_date: date\n      minutes: mins\n"
        "      activity_type: {value: follow_up_contact}\n"))
    wb = openpyxl.Workbook()
    wb.active.append(["Log", "MRN", "Date", "Mins"])
    for n in range(1, 4):
        wb.active.append([f"L{n}", "M1", "2025-02-03", 25])
    wb.active.row_dimensions[3].hidden = True
    wb.save(tmp_path / "Minutes.xlsx")
    [(rows, result)] = list(load_export(store, map_export(load(profile), [tmp_path / "Minutes.xlsx"])))
    assert (result.rows_read, result.hidden_rows) == (3, (3,))
    assert summary_line(rows.path, result).endswith(
        "; 1 row hidden in the sheet was read (row 3): hidden or filtered out in Excel; check it belongs in the export")
    [(options,)] = store.execute("SELECT read_options FROM meta.load_log").fetchall()
    assert json.loads(options)["hidden_rows"] == [3]

def test_the_title_above_a_profile_files_column_names_is_named_in_its_load_line_as_a_canonical_files_is(store, tmp_path):
    """A profile's CSV and sheet readers pass a title above the column names over, as the loader
    does, but the load line and read_options said nothing of it, where a canonical file's say
    'column names on line 3 (lines 1-2 above them passed over)'. They say it the same way now
    (the loader's header_line, from the profile's reader). The title lines are framing, as the
    column names are, not rows read: the line adds up without them, and loading again changes nothing."""
    from bcm_analytics.cli.data import summary_line

    load_file(store, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\nM1,Medicare,2024-01-01\n"))
    profile = write(tmp_path, "tracker.yaml", (
        "name: tracker\ntitle: a tracker\nsources:\n  minutes:\n    files: ['minutes*', 'more*']\n    columns: [log, mrn, date, mins]\n"
        "tables:\n  time_logs:\n    from: minutes\n    columns:\n      entry_id: log\n      patient_id: mrn\n"
        "      staff_role: {value: bhcm}\n      service_date: date\n      minutes: mins\n"
        "      activity_type: {value: follow_up_contact}\n"))
    titled = write(tmp_path, "minutes.csv", "Minutes by care manager\nPrinted 2025-03-01\nLog,MRN,Date,Mins\nL1,M1,2025-02-03,25\nL2,M1,2025-02-04,x\n")
    wb = openpyxl.Workbook()
    wb.active.title = "Tracker"
    for row in (["Minutes by care manager"], [], ["Printed 2025-03-01"], ["Log", "MRN", "Date", "Mins"], ["L3", "M1", "2025-02-05", 30]):
        wb.active.append(row)
    wb.save(tmp_path / "minutes.xlsx")
    plain = write(tmp_path, "more.csv", "Log,MRN,Date,Mins\nL4,M1,2025-02-06,20\n")
    results = {r.path.name: (r, result) for r, result in load_export(store, map_export(load(profile), [titled, tmp_path / "minutes.xlsx", plain]))}
    rows, csv_result = results["minutes.csv"]
    assert (csv_result.rows_read, csv_result.rows_loaded, csv_result.rows_quarantined, csv_result.header_line) == (2, 1, 1, 3)
    assert summary_line(rows.path, csv_result).endswith("; column names on line 3 (lines 1-2 above them passed over)")
    rows, sheet_result = results["minutes.xlsx"]
    assert (sheet_result.rows_read, sheet_result.header_line) == (1, 4) and sheet_result.adds_up
    assert summary_line(rows.path, sheet_result).endswith("; column names on row 4 of sheet 'Tracker' (rows 1-3 above them passed over)")
    rows, plain_result = results["more.csv"]
    assert plain_result.header_line == 1 and "passed over" not in summary_line(rows.path, plain_result)
    options = dict(store.execute("SELECT regexp_extract(source_file, '[^/]*$'), read_options FROM meta.load_log WHERE load_id > 1").fetchall())
    assert [json.loads(options[name]).get("header_line") for name in ("minutes.csv", "minutes.xlsx", "more.csv")] == [3, 4, None]
    assert store.execute("SELECT regexp_extract(source_file, '[^/]*$'), line_number FROM meta.quarantine").fetchall() == [("minutes.csv", 5)]
    before = fingerprint(store)
    assert all(r.already_loaded for _, r in load_export(store, map_export(load(profile), [titled, tmp_path / "minutes.xlsx", plain])))
    assert fingerprint(store) == before


def test_a_titled_file_whose_records_give_two_rows_each_names_its_title_once(tmp_path):
    """The layers of a file (an Akello session's PHQ-9 and GAD-7) are one file: its load line names
    the title lines above its column names once, from the first layer, not summed over the layers."""
    export = tmp_path / "akello"
    export.mkdir()
    write(export, "treatment_logs.csv", "Akello treatment log\n" + (EXPORTS / "akello" / "treatment_logs.csv").read_text())
    write(export, "registry_patients.csv", (EXPORTS / "akello" / "registry_patients.csv").read_text())
    out = CliRunner().invoke(cli, ["load", str(export), "--profile", "akello", "--db", str(tmp_path / "a.duckdb")])
    assert out.exit_code == 0, out.output
    line = next(line for line in out.output.splitlines() if "treatment_logs.csv: assessments: read" in line)
    assert "read 4 = loaded 3 + quarantined 1" in line and line.endswith("; column names on line 2 (line 1 above them passed over)")


def test_the_worked_example_loads_as_the_docs_say(tmp_path):
    """docs/profiles.md: Lakeside's visits and roster through the finished lakeside.yaml."""
    folder = EXPORTS / "lakeside"
    result = CliRunner().invoke(cli, ["load", str(folder / "visits.csv"), str(folder / "roster.csv"),
                                      "--profile", str(folder / "lakeside.yaml"), "--db", str(tmp_path / "program.duckdb")])
    assert result.exit_code == 0, result.output
    assert "roster.csv: patients: read 2 = loaded 2 + quarantined 0 + duplicates 0" in result.output
    assert "visits.csv: time_logs: read 5 = loaded 4 + quarantined 1 (1 waiting for rows they refer to) + duplicates 0" in result.output
    from bcm_analytics.warehouse import connect

    con = connect(tmp_path / "program.duckdb")
    assert con.execute("SELECT entry_id, staff_role, activity_type, contact_mode, service_date_local::DATE FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("1001", "bhcm", "assessment", "in_person", dt.date(2025, 1, 6)),
        ("1002", "bhcm", "follow_up_contact", "phone", dt.date(2025, 1, 13)),
        ("1003", "psychiatric_consultant", "caseload_review", "none", dt.date(2025, 1, 14)),
        ("1004", "bhcm", "no_show", "none", dt.date(2025, 1, 15)),
    ]
    assert con.execute("SELECT line_number, status FROM meta.quarantine").fetchall() == [(6, "waiting")]
    con.close()


@pytest.mark.parametrize("sheet, first", [(None, "Codes"), ("logs", "Summary")])
def test_a_profile_load_of_a_sheet_names_the_sheet_in_the_quarantine_list(tmp_path, sheet, first):
    """Loaded through a profile, a workbook's set-aside rows were listed with no sheet: a steward
    told "row 3" of a workbook with several sheets did not know which. The sheet read is recorded
    as a plain `bcm load --sheet` records it: the one named, else the first visible one (a hidden
    lookup sheet in front of the data is not it)."""
    wb = openpyxl.Workbook()
    wb.active.title = first
    wb.active.append(["code", "meaning"])
    if sheet is None:
        wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("Logs")
    ws.append(["id", "patient_mrn", "contact_type", "date", "minutes"])
    ws.append(["x1", "M1", "Follow Up", 1706810400, -5])
    wb.save(tmp_path / "treatment_logs_feb.xlsx")
    db, out = tmp_path / "test.duckdb", tmp_path / "q.csv"
    args = ["load", str(tmp_path / "treatment_logs_feb.xlsx"), "--profile", "akello", "--db", str(db)]
    result = CliRunner().invoke(cli, args + (["--sheet", sheet] if sheet else []))
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(cli, ["quarantine", "--out", str(out), "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(Path(r["source_file"]).name, r["sheet"], r["line_number"]) for r in rows] == [("treatment_logs_feb.xlsx", "Logs", "2")]


def test_a_profile_loads_reasons_name_the_columns_as_the_export_does(store, tmp_path):
    """A data manager fixing an EHR export was told 'entry_id is empty' and 'patient_id ... is not
    in the patients exports' while the file's columns are 'Visit #' and 'MRN': bcm's names, which
    the file nowhere has. Reasons name the file's column, bcm's in brackets, also when a waiting
    row is judged again (and quote its date as the file wrote it, 03/02/2025, not the ISO date the
    profile handed on)."""
    lakeside = EXPORTS / "lakeside"
    (tmp_path / "visits.csv").write_text(
        "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
        ",A-100,06/01/2025,45,Intake,jdoe,LCSW,\n"
        "1002,A-100,13/01/2025,twenty,Phone f/u,jdoe,LCSW,\n"
        "1005,A-102,03/02/2025,25,Phone f/u,jdoe,LCSW,\n")
    profile = load(lakeside / "lakeside.yaml")
    list(load_export(store, map_export(profile, [lakeside / "roster.csv", tmp_path / "visits.csv"])))
    assert quarantine(store) == [
        ("time_logs", "visits.csv", 2, "open", "Visit # [entry_id] is empty but required"),
        ("time_logs", "visits.csv", 3, "open", "Mins [minutes] 'twenty' is not a duration (90, 12.5, 1:30, "
                                               "01:30:00, 90 min, 1.5 h or 1h 30m)"),
        ("time_logs", "visits.csv", 4, "waiting", "MRN [patient_id] 'A-102' is not in the patients exports (yet); "
                                                  "the row waits and is admitted when the patient arrives"),
    ]
    # A-102 arrives enrolled after the visit: the row is judged again, admitted with a warning named as the file names it.
    (tmp_path / "roster_march.csv").write_text("MRN,Insurance,Enrolled,DOB,PCP NPI\nA-102,Medicare,01/03/2025,14/03/1951,1234567893\n")
    list(load_export(store, map_export(profile, [tmp_path / "roster_march.csv"])))
    assert quarantine(store)[2][3] == "admitted"
    assert store.execute("SELECT line_number, reason FROM meta.row_warnings").fetchall() == [
        (4, "Visit Date [service_date] '03/02/2025' (read as 2025-02-03) is before the patient's enrollment_date 2025-03-01")]
    # A roster correcting the enrolment to 10 February judges the stored visit again, in the same words.
    (tmp_path / "roster_fix.csv").write_text("MRN,Insurance,Enrolled,DOB,PCP NPI\nA-102,Medicare,10/02/2025,14/03/1951,1234567893\n")
    list(load_export(store, map_export(profile, [tmp_path / "roster_fix.csv"])))
    assert store.execute("SELECT line_number, reason FROM meta.row_warnings").fetchall() == [
        (4, "Visit Date [service_date] '03/02/2025' (read as 2025-02-03) is before the patient's enrollment_date 2025-02-10")]


def test_a_value_the_profiles_value_map_lacks_is_said_to_be_missing_from_that_map(store, tmp_path):
    """'MA' is not one of bhcm, ...: the person had to work out that the profile's map lacked the
    export's word, and which map. A column whose check only warns (contact_mode) still loads."""
    lakeside = EXPORTS / "lakeside"
    (tmp_path / "visits.csv").write_text(
        "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
        "1001,A-100,06/01/2025,45,Intake,jdoe,MA,\n"
        "1002,A-100,07/01/2025,30,Intake,jdoe,bhcm,\n")  # a vocabulary word the map does not list is read as itself
    profile = load(lakeside / "lakeside.yaml")
    list(load_export(store, map_export(profile, [lakeside / "roster.csv", tmp_path / "visits.csv"])))
    assert quarantine(store) == [
        ("time_logs", "visits.csv", 2, "open", "staff_role 'MA' is not in the profile's value map roles (LCSW, Psychiatrist): "
         "add it to value_maps.roles of the lakeside profile with the vocabulary's word it means; Role [staff_role] 'MA' is "
         "not one of bhcm, psychiatric_consultant, treating_practitioner, other")]
    assert store.execute("SELECT entry_id FROM staging.time_logs").fetchall() == [("1002",)]


def test_a_date_a_profile_cannot_read_is_told_the_profiles_own_formats_and_pivot(store, tmp_path):
    """A clinic whose profile reads its dates as %d/%m/%Y (lakeside.yaml as shipped) or %d.%m.%y was
    told a date none of them read is not one of bcm's forms, a list without the profile's own; with
    %d.%m.%y and no pivot, 32.01.25 was told to set a two_digit_year_pivot, though the profile reads
    2-digit years. The reason names each of the profile's formats as 31 January 2025 written with
    it, and the years a pivot reads 2-digit years as, on the same line after bcm's list. The value is
    quoted as the file wrote it (it said '32.01.2025', the year the pivot filled in)."""
    lakeside = EXPORTS / "lakeside"
    shipped = (lakeside / "lakeside.yaml").read_text()
    visits = "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n{},A-100,{},45,Intake,jdoe,LCSW,\n"
    cases = [("shipped", shipped, 1001, "31/02/2025"),
             ("dotted", shipped.replace('["%d/%m/%Y"]', '["%d.%m.%y"]'), 1002, "32.01.25"),
             ("pivoted", shipped.replace('["%d/%m/%Y"]', '["%d.%m.%y"]\ntwo_digit_year_pivot: 1950'), 1003, "32.01.25")]
    paths = [lakeside / "roster.csv"]
    for name, profile, visit, day in cases:
        paths.append(write(tmp_path / name, "visits.csv", visits.format(visit, day)))
        list(load_export(store, map_export(load(write(tmp_path, f"{name}.yaml", profile)), paths)))
        paths = []
    known = TYPE_WORDS["datetime"]
    assert [r for r, in store.execute("SELECT reason FROM meta.quarantine ORDER BY load_id").fetchall()] == [
        f"Visit Date [service_date] '31/02/2025' is not {known} nor 31/01/2025 (the profile's %d/%m/%Y)",
        f"Visit Date [service_date] '32.01.25' is not {known} nor 31.01.25 (the profile's %d.%m.%y)",
        f"Visit Date [service_date] '32.01.25' is not {known} nor 31.01.25 (the profile's %d.%m.%y); "
        "a 2-digit year is read as 1950-2049 (two_digit_year_pivot: 1950)",
    ]


def test_a_date_out_of_range_through_a_profile_is_quoted_as_the_file_wrote_it(store, tmp_path):
    """Lakeside writes dates day first (its profile's %d/%m/%Y), and a roster enrolment of
    02/01/1985 was set aside as 'Enrolled [enrollment_date] 1985-01-02 is before 1990', a visit of
    06/01/2099 as '... 2099-01-06 is after the date of the export': the ISO dates the profile wrote,
    which are nowhere in the file a data manager searches. The reason quotes the file's value, and
    the date it was read as."""
    lakeside = EXPORTS / "lakeside"
    roster = write(tmp_path, "roster.csv", "MRN,Insurance,Enrolled,DOB,PCP NPI\n"
                                           "A-100,Medicare,02/01/2025,14/03/1951,1234567893\n"
                                           "A-101,Medicaid,02/01/1985,02/11/1979,1234567893\n")
    visits = write(tmp_path, "visits.csv", "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
                                           "1001,A-100,06/01/2025,45,Intake,jdoe,LCSW,\n"
                                           "1002,A-100,06/01/2099,30,Phone f/u,jdoe,LCSW,\n")
    list(load_export(store, map_export(load(lakeside / "lakeside.yaml"), [roster, visits])))
    assert [r[2:] for r in quarantine(store)] == [
        (3, "open", "Enrolled [enrollment_date] '02/01/1985' (read as 1985-01-02) is before 1990: "
                    "write the year in full (a 2-digit year is read as written)"),
        (3, "open", "Visit Date [service_date] '06/01/2099' (read as 2099-01-06) is after the date of the export"),
    ]


def test_a_profile_load_records_the_encoding_of_the_file_it_read(store, tmp_path):
    """meta.load_log had no encoding for a load through a profile (a plain load records it): a
    steward tracing a wrong character in a name could not tell how the file had been read."""
    lakeside = EXPORTS / "lakeside"
    (tmp_path / "visits.csv").write_bytes("Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
                                          "1001,A-100,06/01/2025,45,Intake,jdoe,LCSW,caf\u00e9\n".encode("cp1252"))
    list(load_export(store, map_export(load(lakeside / "lakeside.yaml"), [lakeside / "roster.csv", tmp_path / "visits.csv"])))
    assert store.execute("SELECT regexp_replace(source_file, '^.*/', ''), encoding FROM meta.load_log ORDER BY load_id").fetchall() == [
        ("roster.csv", "utf-8"), ("visits.csv", "cp1252")]


def test_fhir_inpatient_and_observation_encounters_load_as_stays_and_stop_minutes_counting(program, load_rows, tmp_path):
    """A program's own time logs beside its EHR's FHIR export: an Encounter of class IMP or
    OBSENC is a hospital stay (billing_rules.md s3). Its period, written with the clinic's UTC
    offset (Chicago, -06:00 in February), is judged to the minute on its edge days (10-minute
    entries at 13:59 and 09:29 run across the 14:00 admission and the 09:30 discharge: 1 and 9 of
    their minutes are outside the stay; 09:30's first 9 minutes are 09:29's already); ambulatory,
    cancelled and R5-shaped encounters are told apart, and each left out is counted with a reason."""
    con = program([patient("P")], [entry("1359", "P", "2025-02-10", 10, start="13:59"), entry("1400", "P", "2025-02-10", 10, start="14:00"),
                                   entry("0929", "P", "2025-02-14", 10, start="09:29"), entry("0930", "P", "2025-02-14", 10, start="09:30"),
                                   entry("amb", "P", "2025-03-01", 10, start="10:10"), entry("may", "P", "2025-05-03", 10)])
    score = ('{"resourceType": "Observation", "id": "obs-p", "status": "final", "code": {"coding": [{"system": "http://loinc.org", '
             '"code": "44261-6"}]}, "subject": {"reference": "Patient/P"}, "effectiveDateTime": "2025-01-06", "valueInteger": 14}\n')
    encounters = [
        {"id": "e1", "status": "finished", "class": {"code": "IMP"}, "period": {"start": "2025-02-10T14:00:00-06:00", "end": "2025-02-14T09:30:00-06:00"}},
        {"id": "e2", "status": "finished", "class": {"code": "AMB"}, "period": {"start": "2025-03-01T10:00:00-06:00", "end": "2025-03-01T11:00:00-06:00"}},
        {"id": "e3", "status": "cancelled", "class": {"code": "IMP"}, "period": {"start": "2025-03-01"}},
        {"id": "e4", "status": "completed", "class": [{"coding": [{"code": "OBSENC"}]}], "actualPeriod": {"start": "2025-05-02", "end": "2025-05-04"}},
        {"id": "e5", "status": "finished", "class": {"code": "IMP"}, "subject": {"reference": "Patient/never-scored"}, "period": {"start": "2025-02-01"}},
    ]
    lines = [json.dumps({"resourceType": "Encounter", "subject": {"reference": "Patient/P"}, **e}) for e in encounters]
    held = '{"resourceType": "Patient", "id": "never-scored"}\n'  # held by the export, never scored: not in the program
    export = [write(tmp_path, "Observation.ndjson", score), write(tmp_path, "Encounter.ndjson", "\n".join(lines) + "\n"),
              write(tmp_path, "Patient.ndjson", held)]
    mapped = map_export(load("fhir"), export)
    results = {(rows.path.name, rows.table): result for rows, result in load_export(con, mapped)}
    assert counts(results[("Encounter.ndjson", "facility_stays")]) == (2, 2, 0, 0)
    use = next(u for u in mapped.files if u.path.name == "Encounter.ndjson")
    assert (use.records, use.used) == (5, 2) and "class IMP, ACUTE, NONAC, OBSENC" in use.unused_reason
    assert con.execute("SELECT stay_id, stay_type FROM staging.facility_stays ORDER BY 1").fetchall() == [
        ("Encounter/e1", "inpatient"), ("Encounter/e4", "observation")]
    assert statuses(con, "2025-02") == {"1359": "counted_in_part_facility_stay", "1400": "during_facility_stay",
                                        "0929": "counted_in_part_facility_stay", "0930": "counted_in_part_overlap"}
    counted = time_entries(con, "2025-02").set_index("entry_id").counted_minutes
    assert {e: float(m) for e, m in counted.items()} == {"1359": 1, "1400": 0, "0929": 9, "0930": 1}
    assert statuses(con, "2025-03") == {"amb": "counted"}
    assert statuses(con, "2025-05") == {"may": "during_facility_stay"}


def test_a_fhir_export_of_encounters_alone_loads_the_stays_of_patients_an_earlier_export_enrolled(program, load_rows, tmp_path):
    """A program that exports its hospital's Encounters on their own each month (its scores came with
    an earlier export) had every stay left out, "of a patient with no score in this export", so
    minutes logged during a stay counted. A stay of a patient the export does not hold loads: the
    store's patient P's stay stops her minutes counting, and a stay of a patient the store does not
    know either waits for its patient in the quarantine instead of disappearing."""
    con = program([patient("P")], [entry("in", "P", "2025-02-11", 20), entry("out", "P", "2025-02-20", 20)])
    encounters = [
        {"id": "e1", "subject": {"reference": "Patient/P"}, "period": {"start": "2025-02-10", "end": "2025-02-14"}},
        {"id": "e2", "subject": {"reference": "Patient/Q"}, "period": {"start": "2025-02-10", "end": "2025-02-12"}},
    ]
    lines = [json.dumps({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"}, **e}) for e in encounters]
    mapped = map_export(load("fhir"), [write(tmp_path, "Encounter.ndjson", "\n".join(lines) + "\n")])
    results = {(rows.path.name, rows.table): result for rows, result in load_export(con, mapped)}
    assert counts(results[("Encounter.ndjson", "facility_stays")]) == (2, 1, 1, 0)
    assert con.execute("SELECT status, reason LIKE '%patient%Q%' FROM meta.quarantine WHERE table_name = 'facility_stays'").fetchall() == [
        ("waiting", True)]
    assert statuses(con, "2025-02") == {"in": "during_facility_stay", "out": "counted"}


def test_synthea_inpatient_encounters_load_as_stays_for_the_patients_it_enrols(store, tmp_path):
    """Synthea's encounters.csv: ENCOUNTERCLASS inpatient is a stay (START/STOP UTC instants);
    an ambulatory visit, and a stay of a patient the export does not enrol, are left out with a reason."""
    for path in (EXPORTS / "synthea").iterdir():
        write(tmp_path, path.name, path.read_text())
    write(tmp_path, "encounters.csv",
          "Id,START,STOP,PATIENT,ORGANIZATION,ENCOUNTERCLASS,CODE,DESCRIPTION\n"
          "enc-901,2025-01-10T15:00:00Z,2025-01-13T16:30:00Z,b1f6a0e2-0001,org-1,inpatient,185347001,Encounter for problem\n"
          "enc-902,2025-01-20T15:00:00Z,2025-01-20T15:30:00Z,b1f6a0e2-0001,org-1,ambulatory,185347001,Encounter for problem\n"
          "enc-903,2025-02-01T15:00:00Z,,b1f6a0e2-0009,org-1,inpatient,185347001,Encounter for problem\n")
    mapped = map_export(load("synthea"), [tmp_path])
    results = {(rows.path.name, rows.table): result for rows, result in load_export(store, mapped)}
    assert counts(results[("encounters.csv", "facility_stays")]) == (1, 1, 0, 0)
    use = next(u for u in mapped.files if u.path.name == "encounters.csv")
    assert (use.records, use.used) == (3, 1) and "not inpatient stays" in use.unused_reason
    assert store.execute("SELECT stay_id, stay_type, admitted_at_instant, discharged_at_instant FROM staging.facility_stays").fetchall() == [
        ("enc-901", "inpatient", dt.datetime(2025, 1, 10, 15, tzinfo=dt.timezone.utc), dt.datetime(2025, 1, 13, 16, 30, tzinfo=dt.timezone.utc))]


def patient_and_status(store, patient_id: str, month: str) -> tuple[tuple, dict[str, str]]:
    """The patient's discharge as core.patients holds it, and the status of each of the month's entries."""
    discharge = store.execute("SELECT CAST(discharge_date AS DATE), discharge_reason, consent_date FROM core.patients WHERE patient_id = ?",
                              [patient_id]).fetchall()[0]
    return discharge, statuses(store, month)


def test_synthea_death_is_the_discharge_and_minutes_logged_after_that_day_do_not_count(store, load_rows):
    """patients.csv: b1f6a0e2-0003 died on 2025-03-01 (DEATHDATE). The profile writes the death as
    the discharge (billing_rules.md s2: the episode ends), so a call logged the next day is
    after_discharge. The day itself is inside the episode and is not after_discharge; it reads
    no_consent, as every minute of a Synthea patient does (Synthea has no consent date: the
    profile leaves it empty, and bcm never counts minutes without one)."""
    load_profile(store, "synthea", [EXPORTS / "synthea"])
    assert load_rows("time_logs", [entry("day", "b1f6a0e2-0003", "2025-03-01", 20),
                                   entry("next", "b1f6a0e2-0003", "2025-03-02", 20)]).rows_loaded == 2
    discharge, status = patient_and_status(store, "b1f6a0e2-0003", "2025-03")
    assert discharge == (dt.date(2025, 3, 1), "died", None)
    assert status == {"day": "no_consent", "next": "after_discharge"}


def test_fhir_death_is_the_discharge_on_its_own_days_date_and_a_death_without_a_date_gives_only_its_reason(store, load_rows):
    """fhir_deceased/: pat-d died at 21:30 on 1 March 2025 in Chicago (deceasedDateTime
    2025-03-01T21:30:00-06:00, already 2 March in UTC). The discharge is 1 March, the day as
    written, so a call on 2 March is after_discharge and one on 1 March is not (no_consent: the
    export has no Consent). pat-e is deceased (deceasedBoolean true) with no date: the profile
    cannot place the end of the episode and loads no discharge date, so the call reads no_consent,
    but it loads the reason 'died', so the patient is out of the outcome measures as a death is
    (they stayed in them, counted as not improved)."""
    load_profile(store, "fhir", [EXPORTS / "fhir_deceased"])
    assert load_rows("time_logs", [entry("day", "pat-d", "2025-03-01", 20), entry("next", "pat-d", "2025-03-02", 20),
                                   entry("e-call", "pat-e", "2025-03-02", 20)]).rows_loaded == 3
    discharge, status = patient_and_status(store, "pat-d", "2025-03")
    assert discharge == (dt.date(2025, 3, 1), "died", None)
    assert status == {"day": "no_consent", "next": "after_discharge", "e-call": "no_consent"}
    assert patient_and_status(store, "pat-e", "2025-03")[0] == (None, "died", None)
    assert store.execute("SELECT count(*) FROM meta.quarantine").fetchall() == [(0,)]


def test_fhir_death_of_a_month_or_a_year_is_the_discharge_on_its_last_day(store, load_rows):
    """fhir_deceased_partial/: pat-m died in March 2025 (deceasedDateTime 2025-03, FHIR's partial
    dateTime), pat-y in 2025. Both loaded no discharge: they stayed in the measures (a death is an
    exclusion, outcome_measures.md s3) and every minute after the death counted. The discharge is
    the last day of the month or year written (no minute of the patient's life is cut off), with
    the reason 'died' the measures exclude; a call in the next month is after_discharge."""
    load_profile(store, "fhir", [EXPORTS / "fhir_deceased_partial"])
    assert load_rows("time_logs", [entry("march", "pat-m", "2025-03-20", 20), entry("april", "pat-m", "2025-04-01", 20),
                                   entry("december", "pat-y", "2025-12-20", 20)]).rows_loaded == 3
    discharge, march = patient_and_status(store, "pat-m", "2025-03")
    assert discharge == (dt.date(2025, 3, 31), "died", None)
    assert march == {"march": "no_consent"}
    assert statuses(store, "2025-04") == {"april": "after_discharge"}
    assert patient_and_status(store, "pat-y", "2025-12")[0] == (dt.date(2025, 12, 31), "died", None)
    assert store.execute("SELECT count(*) FROM meta.quarantine").fetchall() == [(0,)]


def test_fhir_death_of_a_month_or_a_year_is_loaded_with_a_warning_naming_the_day_it_was_completed_to(store):
    """pat-m's death is written 2025-03 and pat-y's 2025: the profile discharges them on the last
    day of that month or year, silently, so nobody could tell which patients' dates bcm
    completed. Each such patient now loads with a row warning (meta.row_warnings, the data-quality
    report) quoting the date as written and the day it became; a death written with its day (pat-d)
    has none. A death with no date at all (pat-e, deceasedBoolean true) loaded no discharge, so
    every later minute counts, and nothing said so: it warns too."""
    warned = [load_profile(store, "fhir", [EXPORTS / folder])[("Patient.ndjson", "patients")].rows_warned
              for folder in ("fhir_deceased", "fhir_deceased_partial")]  # (both folders name their file Patient.ndjson)
    assert warned == [1, 2]
    assert store.execute(
        "SELECT regexp_replace(source_file, '^.*/', ''), line_number, row_key, check_name, reason FROM meta.row_warnings ORDER BY row_key"
    ).fetchall() == [
        ("Patient.ndjson", 2, "pat-e", "fhir profile: discharge_date",
         "deceasedBoolean true gives no date of death: no discharge_date is loaded, so every minute logged for the "
         "patient counts; give the date (a patients export with discharge_date) to end the episode"),
        ("Patient.ndjson", 1, "pat-m", "fhir profile: discharge_date",
         "deceasedDateTime '2025-03' gives only the month: discharge_date is its last day, 2025-03-31"),
        ("Patient.ndjson", 2, "pat-y", "fhir profile: discharge_date",
         "deceasedDateTime '2025' gives only the year: discharge_date is its last day, 2025-12-31"),
    ]


def test_a_fhir_death_whose_date_is_not_a_fhir_date_is_still_a_death_with_a_warning(store):
    """fhir_deceased_unreadable/: pat-w's deceasedDateTime is 'March 2025', not a FHIR date. The
    profile loaded her as alive (no discharge, no reason) with nothing said: she stayed in the
    outcome measures, and every minute after her death counted. She now loads with the reason
    'died' (out of the measures, as a death is), no discharge date (no day to end on), and a
    warning quoting the value. pat-a (deceasedBoolean false) is alive, with no warning."""
    load_profile(store, "fhir", [EXPORTS / "fhir_deceased_unreadable"])
    assert store.execute("SELECT patient_id, discharge_date, discharge_reason FROM staging.patients ORDER BY 1").fetchall() == [
        ("pat-a", None, None), ("pat-w", None, "died")]
    assert store.execute("SELECT row_key, reason FROM meta.row_warnings").fetchall() == [
        ("pat-w", "deceasedDateTime 'March 2025' is not a FHIR date (2025, 2025-03 or 2025-03-14): no discharge_date is loaded, "
                  "so every minute logged for the patient counts; correct it in the source to end the episode")]


def test_fhir_consent_resources_give_the_patients_consent_date(store):
    """fhir_consent/: the fhir profile loaded every patient with no consent_date ('empty: not in
    this export') although the export carries Consent resources, so no minute of theirs counted.
    A patient's consent_date is now the day of their earliest active Consent to treatment (scope
    treatment, or none given; provision not deny), dated by provision.period.start, else dateTime,
    as written: pat-p by her period start (not the dateTime beside it), pat-t by dateTime, pat-2 by
    the earlier of two (written second). pat-r's rejected, privacy, deny and inactive (ended)
    Consents never count: no date, and the four are left out, counted. pat-n's active Consents have
    no date at all and one that is not a FHIR date, pat-m's only a month (its last day is loaded, so
    no minute before the consent counts): each loads with a warning saying so."""
    results = load_profile(store, "fhir", [EXPORTS / "fhir_consent"])
    assert store.execute("SELECT patient_id, consent_date FROM staging.patients ORDER BY 1").fetchall() == [
        ("pat-2", dt.date(2025, 1, 20)), ("pat-m", dt.date(2025, 3, 31)), ("pat-n", None), ("pat-p", dt.date(2025, 1, 6)),
        ("pat-r", None), ("pat-t", dt.date(2025, 1, 15))]
    assert results[("Patient.ndjson", "patients")].rows_warned == 2
    assert store.execute("SELECT row_key, check_name, reason FROM meta.row_warnings ORDER BY row_key").fetchall() == [
        ("pat-m", "fhir profile: consent_date", "Consent/con-m1 dateTime '2025-03' gives only the month: consent_date is its last day, "
                                                "2025-03-31, so no minute logged before the consent counts"),
        ("pat-n", "fhir profile: consent_date", "Consent/con-n1 (active, treatment) gives no date (provision.period.start or dateTime); "
                                                "Consent/con-n2 dateTime 'Jan 2025' is not a FHIR date (2025, 2025-03 or 2025-03-14): "
                                                "no consent_date is loaded, so no minute logged for the patient counts; write the day "
                                                "the patient consented in the source and export again")]
    mapped = map_export(load("fhir"), [EXPORTS / "fhir_consent"])
    use = next(u for u in mapped.files if u.path.name == "Consent.ndjson")
    assert (use.records, use.used, use.unused_kinds) == (11, 7, {"Consent": 4})
    assert store.execute("SELECT count(*) FROM meta.quarantine").fetchall() == [(0,)]


def test_minutes_of_a_fhir_patient_with_a_consent_count_toward_billing(tmp_path):
    """`bcm load --profile fhir` then `bcm billing`: pat-p's 40 minutes after her consent (6 January)
    billed nothing and `bcm billing` warned that every patient had no consent date. They now bill
    99492; her call before the consent and pat-r's (no Consent that counts) still do not."""
    db = str(tmp_path / "store.duckdb")
    logs = write_csv(tmp_path / "time_logs.csv", [entry("before", "pat-p", "2025-01-03", 20), entry("after", "pat-p", "2025-01-08", 40),
                                                  entry("r-call", "pat-r", "2025-01-08", 40)])
    for args in (["load", str(EXPORTS / "fhir_consent"), "--profile", "fhir", "--db", db], ["load", str(logs), "--db", db],
                 ["billing", "--db", db, "--month", "2025-01", "--out", str(tmp_path / "lines.csv")]):
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 0, out.output
    assert "1 patient(s) have no consent date: their 40 minutes" in out.output
    with open(tmp_path / "lines.csv", newline="") as f:
        assert [(r["patient_id"], r["code"]) for r in csv.DictReader(f)] == [("pat-p", "99492")]


def test_the_load_line_says_how_many_rows_loaded_with_a_warning(tmp_path):
    """`bcm load` said 'loaded 2' for pat-m and pat-y, whose deaths the fhir profile completed to
    a day: the warnings were in the store, and nothing at the load pointed to them."""
    out = CliRunner().invoke(cli, ["load", str(EXPORTS / "fhir_deceased_partial"), "--profile", "fhir", "--db", str(tmp_path / "p.duckdb")])
    assert out.exit_code == 0, out.output
    patients = next(line for line in out.output.splitlines() if ": patients: read" in line)
    assert patients.startswith(f"{EXPORTS / 'fhir_deceased_partial' / 'Patient.ndjson'}: patients: read 2 = loaded 2 + quarantined 0")
    assert patients.endswith("; 2 loaded with a warning (`bcm warnings --out FILE` lists them)")
    assessments = next(line for line in out.output.splitlines() if ": assessments: read" in line)
    assert "warning" not in assessments.split(": assessments: ")[1]  # (the path may say warning)


def test_bcm_warnings_lists_a_profiles_notes_with_the_column_they_are_about(tmp_path):
    """The rows the load line counts, one per warning: the profile's note is about discharge_date
    (its check is 'fhir profile: discharge_date'), at the line of the source file."""
    db, out = tmp_path / "p.duckdb", tmp_path / "w.csv"
    CliRunner().invoke(cli, ["load", str(EXPORTS / "fhir_deceased_partial"), "--profile", "fhir", "--db", str(db)])
    assert CliRunner().invoke(cli, ["warnings", "--db", str(db), "--out", str(out)]).exit_code == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["source_file"], r["line_number"], r["row_key"], r["column_name"], r["check_name"]) for r in rows] == [
        (str(EXPORTS / "fhir_deceased_partial" / "Patient.ndjson"), "1", "pat-m", "discharge_date", "fhir profile: discharge_date"),
        (str(EXPORTS / "fhir_deceased_partial" / "Patient.ndjson"), "2", "pat-y", "discharge_date", "fhir profile: discharge_date")]
    assert rows[0]["warning"] == "deceasedDateTime '2025-03' gives only the month: discharge_date is its last day, 2025-03-31"


def test_a_profiles_note_on_a_column_is_a_row_warning_also_for_a_row_admitted_later(store, tmp_path):
    """A profile column's `note` (SQL giving a sentence, or nothing) says how the profile made a
    value the export did not write outright. A loaded row with a note is kept with a warning named
    after the profile and column; a row that waits for its patient keeps its note until the
    patient's export admits it."""
    lakeside = EXPORTS / "lakeside"
    noted = (lakeside / "lakeside.yaml").read_text().replace(
        "      contact_mode:  {sql: visit_type, map: visit_modes}",
        "      contact_mode:  {sql: visit_type, map: visit_modes,\n"
        "                      note: \"CASE WHEN visit_type = 'Psych review' THEN 'a psychiatric review has no contact mode in the EHR: none' END\"}")
    profile = load(write(tmp_path, "lakeside.yaml", noted))
    visits = write(tmp_path, "visits.csv", "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
                                           "1003,A-101,14/01/2025,30,Psych review,kpatel,Psychiatrist,\n"
                                           "1004,A-101,15/01/2025,20,Phone f/u,jdoe,LCSW,\n"
                                           "1006,A-102,05/03/2025,30,Psych review,kpatel,Psychiatrist,\n")
    list(load_export(store, map_export(profile, [lakeside / "roster.csv", visits])))
    warned = "SELECT line_number, row_key, check_name, reason FROM meta.row_warnings ORDER BY line_number"
    note = "a psychiatric review has no contact mode in the EHR: none"
    assert store.execute(warned).fetchall() == [(2, "1003", "lakeside profile: contact_mode", note)]
    assert quarantine(store)[0][2:4] == (4, "waiting")
    march = write(tmp_path, "roster_march.csv", "MRN,Insurance,Enrolled,DOB,PCP NPI\nA-102,Medicare,01/03/2025,14/03/1951,1234567893\n")
    list(load_export(store, map_export(profile, [march])))
    assert quarantine(store)[0][2:4] == (4, "admitted")
    assert store.execute(warned).fetchall() == [(2, "1003", "lakeside profile: contact_mode", note),
                                                (4, "1006", "lakeside profile: contact_mode", note)]


def load_lakeside_visits(store, tmp_path, visits: str):
    """Load the lakeside roster and a visits.csv written for the case through lakeside.yaml."""
    lakeside = EXPORTS / "lakeside"
    (tmp_path / "visits.csv").write_text(visits)
    return load_profile(store, lakeside / "lakeside.yaml", [lakeside / "roster.csv", tmp_path / "visits.csv"])


def test_a_note_with_a_line_break_inside_quotes_loads_through_a_profile_with_its_lines(store, tmp_path):
    """A registry's PHQ export with a multi-line note (quoted, as Excel writes it) stopped the
    load with 'unexpected error, a bug in bcm': DuckDB's parallel CSV reader refuses quoted line
    breaks together with the padding of short lines. The file loads; the record after the note
    keeps the line it starts on."""
    results = load_lakeside_visits(store, tmp_path,
                                   "Visit #,MRN,Visit Date,Mins,Visit Type,Clinician,Role,Note\n"
                                   '1001,A-100,06/01/2025,45,Intake,jdoe,LCSW,"first visit\nwill call back"\n'
                                   "1002,A-100,13/01/2025,twenty,Phone f/u,jdoe,LCSW\n")
    assert counts(results[("visits.csv", "time_logs")]) == (2, 1, 1, 0)
    assert [(line, status) for _, _, line, status, _ in quarantine(store)] == [(4, "open")]


def test_a_semicolon_export_with_decimal_commas_reads_them_through_a_profile_as_without_one(store, tmp_path):
    """A European visit log (;-delimited, minutes 12,5) loads canonically, but through a profile
    its 12,5 was set aside with a reason that contradicted the file: 'a decimal comma is read only
    in a ;-delimited file whose column writes every decimal with one'. The profile load now knows
    the file's delimiter, reads the comma as the canonical load does, and records it."""
    results = load_lakeside_visits(store, tmp_path,
                                   "Visit #;MRN;Visit Date;Mins;Visit Type;Clinician;Role;Note\n"
                                   "1001;A-100;06/01/2025;12,5;Intake;jdoe;LCSW;\n"
                                   "1002;A-100;13/01/2025;20;Phone f/u;jdoe;LCSW;\n")
    assert counts(results[("visits.csv", "time_logs")]) == (2, 2, 0, 0)
    assert store.execute("SELECT entry_id, minutes FROM staging.time_logs ORDER BY 1").fetchall() == [("1001", 12.5), ("1002", 20.0)]
    assert store.execute("SELECT read_options ->> 'decimal_comma' FROM meta.load_log WHERE table_name = 'time_logs'").fetchall() == [
        ('["minutes"]',)]


def athena_patient_list(path: Path) -> Path:
    """athenaOne's patient list saved as .xlsx: a title and run date above the header, 'Last,
    First' names, MRNs kept as numbers formatted 000000 (Excel shows 000412), dates as date
    cells, and a count of patients below the records."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "Patient List"
    sheet["A1"], sheet["A2"] = "CoCM Registry Patient List", "Run Date: 12/01/2025 07:50 AM"
    sheet.append([])
    sheet.append(["Patient Name", "MRN", "DOB", "Primary Insurance", "Provider NPI", "Program", "Enrollment Date", "Consent Date"])
    for name, mrn, payer, npi, enrolled in [("Abbott, Helen", 412, "MEDICARE PART B", "1234567893", dt.date(2025, 9, 3)),
                                            ("Baker, Thomas", 419, "BCBS MEDICARE ADVANTAGE", "1234567893", dt.date(2025, 9, 10)),
                                            ("Castillo, Ana", 1027, "MEDICAID OF OHIO", "1245319599", dt.date(2025, 10, 2))]:
        sheet.append([name, mrn, dt.date(1951, 2, 11), payer, npi, "CoCM", enrolled, enrolled])
        sheet.cell(sheet.max_row, 2).number_format = "000000"
    sheet.append(["Total Patients: 3"])
    wb.save(path)
    return path


def test_an_athena_patient_list_with_mrns_formatted_000000_matches_its_csv_time_log(store, tmp_path):
    """Excel shows the patient list's MRNs as 000412, and the time log writes 000412: every
    entry loads for its patient. (The list was read as 412, and all seven entries waited for a
    patient 'written another way', with a reason telling the steward to correct the time log.)"""
    athena = EXPORTS / "athena"
    results = load_profile(store, athena / "athena.yaml",
                           [athena_patient_list(tmp_path / "Patient_List_20251201.xlsx"), athena / "CM_Time_Tracking_20251201.csv"])
    assert counts(results[("CM_Time_Tracking_20251201.csv", "time_logs")]) == (8, 7, 1, 0)  # and its Total Minutes row
    assert store.execute("SELECT patient_id, count(*) FROM staging.time_logs GROUP BY 1 ORDER BY 1").fetchall() == [
        ("000412", 3), ("000419", 3), ("001027", 1)]


def test_a_profile_reading_clock_times_in_another_zone_than_the_stores_says_which_entries_move(tmp_path):
    """Riverside's Epic profile reads Clarity's clock times as America/Chicago, its clinics name no
    time zone, and the store dates readings in America/New_York: the MyChart follow-up of 10/31
    11:40 PM (Chicago) was billed in November without a word (October's 35 minutes, 99493, became
    20, G2214). The load says so, with the entry; a clinics map giving the zone settles it."""
    epic = EXPORTS / "epic"
    files = [str(epic / "BHI_Registry_Episodes.csv"), str(epic / "CM_Time_Log_20251201.csv")]
    out = CliRunner().invoke(cli, ["load", *files, "--profile", str(epic / "epic.yaml"), "--db", str(tmp_path / "a.duckdb"),
                                   "--timezone", "America/New_York"])
    assert out.exit_code == 0, out.output
    assert ("warning: profile epic reads the export's clock times in America/Chicago, but bcm dates them in America/New_York "
            "(the store's zone, kept from its first load: --timezone, $BCM_TIMEZONE or the default) for clinics that name "
            "no time zone (RFM PRIMARY CARE, RFM WEST): "
            "of 9 readings with a time of day, 1 falls on another day and 1 in another month (CM_Time_Log_20251201.csv line 7: "
            "2025-10-31 23:40 in America/Chicago counts in 2025-11); give those clinics their timezone in a clinics export "
            "(or a clinics map in the profile, docs/profiles.md), or load the export into a new store with --timezone America/Chicago"
            ) in " ".join(out.output.split())

    settled = tmp_path / "epic.yaml"
    settled.write_text((epic / "epic.yaml").read_text().replace("tables:\n", (
        "tables:\n  clinics:\n    from: bhi_registry_episodes\n    columns:\n      clinic_id: department\n"
        "      timezone: {value: America/Chicago, assumption: Both departments are in Chicago.}\n")))
    out = CliRunner().invoke(cli, ["load", *files, "--profile", str(settled), "--db", str(tmp_path / "b.duckdb"),
                                   "--timezone", "America/New_York"])
    assert out.exit_code == 0 and "warning" not in out.output.replace(str(EXPORTS), ""), out.output  # (a path may say warning)
    from bcm_analytics.warehouse import connect

    con = connect(tmp_path / "b.duckdb", read_only=True, timezone="America/New_York")
    assert con.execute("SELECT CAST(service_month AS VARCHAR) FROM core.time_logs WHERE entry_id = '7710012'").fetchall() == [("2025-10-01",)]
    con.close()


def test_an_athena_reports_footer_below_its_records_is_passed_over_not_left_to_fix(store, tmp_path):
    """athenaOne's claim report ends with a totals line, a claim count and an end-of-report line,
    and its time report puts 'Total Minutes:' under Activity, beside the sum: the four were set
    aside as records to fix ('Patient MRN [patient_id] is empty but required; ...'), open every
    month, as only a totals word in a row's first cell, on its last row, was known. The label is
    the row's first value wherever it stands; '<what> Count: 6' and a line closing the report
    are labels too; every record is still a record."""
    athena = EXPORTS / "athena"
    results = load_profile(store, athena / "athena.yaml", [athena_patient_list(tmp_path / "Patient_List_20251201.xlsx"),
                                                           athena / "CM_Time_Tracking_20251201.csv",
                                                           athena / "Claim_Detail_Report_20251201.csv"])
    claims = results[("Claim_Detail_Report_20251201.csv", "claims")]
    assert counts(claims) == (10, 6, 4, 0) and (claims.rows_empty, claims.rows_passed_over) == (1, 3)
    assert results[("CM_Time_Tracking_20251201.csv", "time_logs")].rows_passed_over == 1
    assert store.execute("SELECT count(*) FROM meta.quarantine WHERE status IN ('open', 'waiting')").fetchall() == [(0,)]
    reasons = [r for (r,) in store.execute(
        "SELECT reason FROM meta.quarantine WHERE status = 'passed_over' AND reason NOT LIKE '%empty row%' ORDER BY load_id, line_number").fetchall()]
    assert [r[:r.index("):") + 2] for r in reasons] == [
        "not a record but the totals row the export writes below its records ('Total Minutes:' | '275'):",
        "not a record but the totals row the export writes below its records ('Totals:' | '7' | '$915.00' | '$752.36'):",
        "not a record but the totals row the export writes below its records ('Claim Count: 6'):",
        "not a record but the line the export writes below its records to close the report ('*** End of Report ***'):"]


# fhir_claims/: five ExplanationOfBenefits and two Claims of two enrolled patients (pat-k, pat-j)
# and one the export does not hold (pat-zz). The lines each gives the claims table, as written.
FHIR_CLAIM_LINES = [
    # eob-1 adjudicates Claim/clm-1: the claim's id; CPT 99492 beside a local code; modifier 95;
    # the performing care-team member named by the item renders it; paid (active, complete)
    ("Claim/clm-1", 1, "pat-k", dt.date(2025, 1, 6), "99492", "95", 1, "1234567893", "1987654328", "Medicare", 161.28, 129.02, "paid"),
    # clm-9: a Claim no ExplanationOfBenefit answers yet (clm-1 is answered by eob-1 and left out)
    ("Claim/clm-9", 1, "pat-k", dt.date(2025, 3, 18), "99493", None, 1, "1234567893", None, "Medicare", 128.44, None, "submitted"),
    # eob-2: two items; the NPIs of the Organization and Practitioner it references; payer from its coverage;
    # 99494 x 2 at 66.50 each; outcome partial: pending
    ("ExplanationOfBenefit/eob-2", 1, "pat-j", dt.date(2025, 2, 14), "99493", None, 1, "1555555550", "1444444446", "Medicaid", 128.44, 102.75, "pending"),
    ("ExplanationOfBenefit/eob-2", 2, "pat-j", dt.date(2025, 2, 14), "99494", None, 2, "1555555550", "1444444446", "Medicaid", 133.0, None, "pending"),
    # eob-3: cancelled: voided; no item date: the billable period's start
    ("ExplanationOfBenefit/eob-3", 1, "pat-k", dt.date(2025, 2, 1), "99492", None, 1, "1234567893", None, "Medicare", 161.28, None, "voided"),
]
CLAIM_COLUMNS = ("claim_id, line_number, patient_id, date_of_service, procedure_code, modifier, units, billing_provider_npi, "
                 "rendering_provider_npi, payer, charge_amount, paid_amount, claim_status")


def test_fhir_explanation_of_benefit_items_load_as_claim_lines(store):
    """No built-in profile loaded claims: a FHIR export's ExplanationOfBenefits (and Claims) were
    counted and left out, and `bcm reconcile` read every expected line of the program as missed
    billing. Each item of an ExplanationOfBenefit is now a claim line (its CPT or HCPCS code,
    modifiers, units, NPIs, payer, charge, paid amount and status); a Claim loads as submitted
    until an ExplanationOfBenefit answers it; a line of a patient the store does not know waits."""
    results = load_profile(store, "fhir", [EXPORTS / "fhir_claims"])
    assert counts(results[("ExplanationOfBenefit.ndjson", "claims")]) == (6, 4, 2, 0)
    assert counts(results[("Claim.ndjson", "claims")]) == (1, 1, 0, 0)
    assert store.execute(f"SELECT {CLAIM_COLUMNS} FROM staging.claims ORDER BY 1, 2").fetchall() == FHIR_CLAIM_LINES
    assert store.execute(f"SELECT {CLAIM_COLUMNS} FROM staging.claims_unknown_patient").fetchall() == [
        # eob-5: pat-zz is in no export yet; outcome error: denied
        ("ExplanationOfBenefit/eob-5", 1, "pat-zz", dt.date(2025, 1, 27), "99493", None, 1, "1234567893", None, "Medicare", 128.44, None, "denied")]
    again = load_profile(store, "fhir", [EXPORTS / "fhir_claims"])
    assert again[("ExplanationOfBenefit.ndjson", "claims")].already_loaded


def test_a_fhir_claim_line_with_no_cpt_or_hcpcs_code_is_set_aside_saying_what_it_has(store):
    """eob-4's item is coded in the clinic's own charge codes only: the line is no CPT or HCPCS
    line reconciliation could match, and it is not dropped: it is in the quarantine with its file,
    line and a reason naming the codes it has and the coding to add."""
    load_profile(store, "fhir", [EXPORTS / "fhir_claims"])
    assert [q for q in quarantine(store) if q[0] == "claims"] == [
        ("claims", "ExplanationOfBenefit.ndjson", 4, "open",
         "item 1 of ExplanationOfBenefit/eob-4 has no CPT or HCPCS code, only https://riverside.example.org/fhir/CodeSystem/charge-codes "
         "CCM-20 (Care management, 20 minutes): add the item's CPT or HCPCS coding (system http://www.ama-assn.org/go/cpt or "
         "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets) in the source and export again; procedure_code is empty but required"),
        ("claims", "ExplanationOfBenefit.ndjson", 5, "waiting",
         "patient_id 'pat-zz' is not in the patients exports (yet); the claim line is kept in staging.claims_unknown_patient "
         "for reconciliation and admitted when the patient arrives"),
    ]
    record = json.loads(store.execute("SELECT record FROM meta.quarantine WHERE line_number = 4").fetchall()[0][0])
    assert (record["id"], record["item"], record["productOrService"][0]["code"]) == ("eob-4", 1, "CCM-20")


def test_bcm_reconcile_reads_the_claims_a_fhir_export_loaded(tmp_path):
    """End to end: `bcm load --profile fhir`, the care manager's minutes, then `bcm reconcile`.
    pat-k's January 99492 (Claim/clm-1) is read against her minutes (the export has no Consent:
    billed without consent, and so unsupported); pat-j's January line with no CPT code is a
    claim in the quarantine; pat-zz's line an unknown patient's; pat-k's voided February
    99492 (eob-3) bills nothing, so it is no finding. The Practitioner and Organization whose NPIs
    the claims took are used."""
    db = str(tmp_path / "p.duckdb")
    loaded = CliRunner().invoke(cli, ["load", str(EXPORTS / "fhir_claims"), "--profile", "fhir", "--db", db])
    assert loaded.exit_code == 0, loaded.output
    lines = {line.split(": ")[0].rsplit("/", 1)[-1] + ":" + line.split(": ")[1]: line for line in loaded.output.splitlines() if ": " in line}
    assert lines["ExplanationOfBenefit.ndjson:claims"].split("  [")[0] == (
        f"{EXPORTS / 'fhir_claims' / 'ExplanationOfBenefit.ndjson'}: claims: read 6 = loaded 4 + quarantined 2 "
        "(1 waiting for rows they refer to) + duplicates 0")
    assert lines["Practitioner.ndjson:2 records"].endswith("Practitioner.ndjson: 2 records: 2 used (claims 2)")
    minutes = write_csv(tmp_path / "logs" / "time_logs.csv", [
        {"entry_id": f"k{i}", "patient_id": "pat-k", "staff_id": "cm1", "staff_role": "bhcm", "service_date": f"2025-01-{d}",
         "minutes": "25", "activity_type": a} for i, (d, a) in enumerate([("06", "assessment"), ("13", "treatment_planning"),
                                                                           ("20", "follow_up_contact")])])
    assert CliRunner().invoke(cli, ["load", str(minutes), "--db", db]).exit_code == 0
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(cli, ["reconcile", "--db", db, "--month", "2025-01", "--to", "2025-02", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as f:
        findings = sorted((r["service_month"], r["patient_id"], r["finding"], r["claim_ids"]) for r in csv.DictReader(f))
    assert findings == [
        ("2025-01", "pat-j", "claim_quarantined", "ExplanationOfBenefit/eob-4"),
        ("2025-01", "pat-k", "missing_consent", "Claim/clm-1"),
        ("2025-01", "pat-k", "unsupported_claim", "Claim/clm-1"),
        ("2025-01", "pat-zz", "unknown_patient", "ExplanationOfBenefit/eob-5"),
        ("2025-02", "pat-j", "missing_consent", "ExplanationOfBenefit/eob-2"),
        ("2025-02", "pat-j", "missing_consent", "ExplanationOfBenefit/eob-2"),
        ("2025-02", "pat-j", "units_mismatch", "ExplanationOfBenefit/eob-2"),
        ("2025-02", "pat-j", "unsupported_claim", "ExplanationOfBenefit/eob-2"),
    ]


def test_of_two_explanations_of_benefit_for_one_claim_the_later_is_the_claims_lines(store, tmp_path):
    """A payer that reprocesses a claim writes a second ExplanationOfBenefit for the same Claim:
    its lines are the claim's (adjusted to denied here), one row per line, not two claims; the
    earlier one is left out and counted."""
    eob = {"resourceType": "ExplanationOfBenefit", "status": "active", "use": "claim", "patient": {"reference": "Patient/pat-k"},
           "claim": {"reference": "Claim/clm-7"}, "insurer": {"display": "Medicare"},
           "item": [{"sequence": 1, "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99493"}]},
                     "servicedDate": "2025-04-22"}]}
    later = write(tmp_path, "ExplanationOfBenefit.ndjson", "\n".join(json.dumps(e) for e in [
        {**eob, "id": "eob-7b", "created": "2025-06-02", "outcome": "error"},
        {**eob, "id": "eob-7a", "created": "2025-05-06", "outcome": "complete"}]) + "\n")
    fixture = EXPORTS / "fhir_claims"
    mapped = map_export(load("fhir"), [fixture / "Patient.ndjson", fixture / "Observation.ndjson", later])
    list(load_export(store, mapped))
    assert store.execute("SELECT claim_id, line_number, claim_status, _line FROM staging.claims").fetchall() == [("Claim/clm-7", 1, "denied", 1)]
    use = next(u for u in mapped.files if u.path.name == "ExplanationOfBenefit.ndjson")
    assert (use.records, use.used) == (2, 1) and "a later one for the same claim replaces" in use.unused_reason


# fhir_claims_cob/: pat-m's claims as US payers export them (CARIN Blue Button): clm-21, one complete
# ExplanationOfBenefit whose lines the payer adjudicated differently; clm-31, adjudicated by Medicare
# (twice: reprocessed) and then by Medicaid as the secondary payer. The secondary's EOB is the file's
# first and the latest, so neither file order nor "latest wins" picks the primary.
def test_a_line_a_payer_denied_in_a_complete_explanation_of_benefit_loads_denied(store):
    """Every line of a complete ExplanationOfBenefit loaded paid, the ones the payer denied too, so
    `bcm reconcile` read a denied CoCM line as paid. A line with a CARIN Blue Button denial reason
    (item.adjudication category denialreason, its CARC code as reason) or a payer adjudication
    status 'denied' now loads denied; a line that paid nothing because the patient's deductible took
    it all is paid (an allowed line, not a denial)."""
    load_profile(store, "fhir", [EXPORTS / "fhir_claims_cob"])
    rows = store.execute(f"SELECT {CLAIM_COLUMNS} FROM staging.claims WHERE claim_id = 'Claim/clm-21' ORDER BY 2").fetchall()
    assert rows == [
        ("Claim/clm-21", 1, "pat-m", dt.date(2025, 4, 7), "99492", None, 1, "1234567893", None, "Medicare", 161.28, 129.02, "paid"),
        ("Claim/clm-21", 2, "pat-m", dt.date(2025, 4, 7), "99494", None, 1, "1234567893", None, "Medicare", 66.5, 0.0, "denied"),
        ("Claim/clm-21", 3, "pat-m", dt.date(2025, 4, 21), "99484", None, 1, "1234567893", None, "Medicare", 48.0, 0.0, "denied"),
        ("Claim/clm-21", 4, "pat-m", dt.date(2025, 4, 28), "99493", None, 1, "1234567893", None, "Medicare", 128.44, 0.0, "paid"),
    ]


def test_a_claim_two_payers_adjudicated_is_the_primary_payers_line_with_what_both_paid(store):
    """When Medicare (primary) and Medicaid (secondary) each sent an ExplanationOfBenefit for the same
    Claim, the later one, Medicaid's, was the claim's: the line read payer Medicaid and paid only
    its $25.69 of the $128.44 paid. The line now comes from the primary payer's ExplanationOfBenefit
    (its focal coverage listed first), of the primary's reprocessed ones the latest, and paid_amount is
    what each payer paid on it (102.75 + 25.69), one row; the other three are left out, counted."""
    results = load_profile(store, "fhir", [EXPORTS / "fhir_claims_cob"])
    assert store.execute(f"SELECT {CLAIM_COLUMNS} FROM staging.claims WHERE claim_id = 'Claim/clm-31'").fetchall() == [
        ("Claim/clm-31", 1, "pat-m", dt.date(2025, 5, 19), "99493", None, 1, "1234567893", None, "Medicare", 128.44, 128.44, "paid")]
    assert counts(results[("ExplanationOfBenefit.ndjson", "claims")]) == (5, 5, 0, 0)
    mapped = map_export(load("fhir"), [EXPORTS / "fhir_claims_cob"])
    use = next(u for u in mapped.files if u.path.name == "ExplanationOfBenefit.ndjson")
    assert (use.records, use.used) == (4, 2) and "another payer" in use.unused_reason


def test_the_coverages_order_names_the_primary_payer_of_a_claim_two_payers_adjudicated(store, tmp_path):
    """Each payer's ExplanationOfBenefit lists only its own coverage, and Medicaid's was written first:
    the export's Coverage resources say Medicare's is the primary (order 1), so the line is Medicare's,
    paid what both paid."""
    eob = {"resourceType": "ExplanationOfBenefit", "status": "active", "use": "claim", "outcome": "complete",
           "patient": {"reference": "Patient/pat-m"}, "claim": {"reference": "Claim/clm-41"}}
    def line(paid):
        return [{"sequence": 1, "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99492"}]},
                 "servicedDate": "2025-06-09", "net": {"value": 161.28},
                 "adjudication": [{"category": {"coding": [{"code": "benefit"}]}, "amount": {"value": paid}}]}]
    eobs = write(tmp_path, "ExplanationOfBenefit.ndjson", "\n".join(json.dumps(e) for e in [
        {**eob, "id": "eob-41d", "created": "2025-07-01", "insurer": {"display": "Medicaid"},
         "insurance": [{"focal": True, "coverage": {"reference": "Coverage/cov-d"}}], "item": line(32.26)},
        {**eob, "id": "eob-41m", "created": "2025-07-08", "insurer": {"display": "Medicare"},
         "insurance": [{"focal": True, "coverage": {"reference": "Coverage/cov-r"}}], "item": line(129.02)}]) + "\n")
    coverages = write(tmp_path, "Coverage.ndjson", "\n".join(json.dumps(c) for c in [
        {"resourceType": "Coverage", "id": "cov-d", "status": "active", "order": 2, "beneficiary": {"reference": "Patient/pat-m"},
         "payor": [{"display": "Medicaid"}]},
        {"resourceType": "Coverage", "id": "cov-r", "status": "active", "order": 1, "beneficiary": {"reference": "Patient/pat-m"},
         "payor": [{"display": "Medicare"}]}]) + "\n")
    fixture = EXPORTS / "fhir_claims_cob"
    mapped = map_export(load("fhir"), [fixture / "Patient.ndjson", fixture / "Observation.ndjson", eobs, coverages])
    list(load_export(store, mapped))
    assert store.execute("SELECT claim_id, line_number, payer, paid_amount, claim_status, _line FROM staging.claims").fetchall() == [
        ("Claim/clm-41", 1, "Medicare", 161.28, "paid", 2)]


# fhir_claims_denials/bundle.json: pat-d (a PHQ-9 of 17) and two ExplanationOfBenefits as a Bundle.
# clm-51 (complete) has four lines the payer adjudicated four ways; clm-52 the payer denied whole
# (outcome error), its reason in the header-level adjudication.
def test_a_denied_fhir_claim_line_loads_the_payers_reason(store):
    """Finance staff reconciling denials asked why a line was denied: the reason the payer gave in the
    ExplanationOfBenefit is now the line's denial_reason. Item 1: CARIN's denialreason, a CARC code
    with its words; item 2: denied by the payer adjudication status (no reason: it says only that),
    its CARC read from its other adjudication; item 3, paid less a contractual adjustment (CARC 45):
    not denied, no reason; item 4: a denialreason written as text. clm-52: no reason on its item,
    the header-level one."""
    results = load_profile(store, "fhir", [EXPORTS / "fhir_claims_denials"])
    assert counts(results[("bundle.json", "claims")]) == (5, 5, 0, 0)
    assert store.execute("SELECT claim_id, line_number, procedure_code, claim_status, denial_reason FROM staging.claims "
                         "ORDER BY 1, 2").fetchall() == [
        ("Claim/clm-51", 1, "99492", "denied", "16: Claim/service lacks information or has submission/billing error(s)."),
        ("Claim/clm-51", 2, "99494", "denied", "97"),
        ("Claim/clm-51", 3, "99484", "paid", None),
        ("Claim/clm-51", 4, "G2214", "denied", "Not covered for this place of service"),
        ("Claim/clm-52", 1, "99493", "denied", "29: The time limit for filing has expired."),
    ]


def test_a_claim_denied_at_its_header_loads_its_unpaid_lines_denied(store, tmp_path):
    """CARIN's institutional ExplanationOfBenefits (an FQHC's G0512 on a UB-04) may deny the whole
    claim at its header, a denialreason in the claim's own adjudication, under outcome complete: its
    lines loaded paid, so reconciliation saw no denial. A line the payer paid nothing on is now denied
    with the header's reason; a line the payer paid on stays paid, with no reason."""
    carc = {"system": "https://x12.org/codes/claim-adjustment-reason-codes", "code": "27",
            "display": "Expenses incurred after coverage terminated."}
    def line(sequence, code, paid):
        return {"sequence": sequence, "productOrService": {"coding": [{"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": code}]},
                "servicedDate": "2025-06-09", "net": {"value": 80.0},
                "adjudication": [{"category": {"coding": [{"code": "benefit"}]}, "amount": {"value": paid}}]}
    eob = {"resourceType": "ExplanationOfBenefit", "id": "eob-61", "status": "active", "use": "claim", "outcome": "complete",
           "created": "2025-07-01", "patient": {"reference": "Patient/pat-m"}, "claim": {"reference": "Claim/clm-61"},
           "insurer": {"display": "Medicare"}, "item": [line(1, "G0512", 0), line(2, "99484", 40.0)],
           "adjudication": [{"category": {"coding": [{"system": "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator",
                                                      "code": "denialreason"}]},
                             "reason": {"coding": [carc]}}]}
    eobs = write(tmp_path, "ExplanationOfBenefit.ndjson", json.dumps(eob) + "\n")
    fixture = EXPORTS / "fhir_claims_cob"
    list(load_export(store, map_export(load("fhir"), [fixture / "Patient.ndjson", fixture / "Observation.ndjson", eobs])))
    assert store.execute("SELECT line_number, procedure_code, paid_amount, claim_status, denial_reason FROM staging.claims "
                         "ORDER BY 1").fetchall() == [
        (1, "G0512", 0.0, "denied", "27: Expenses incurred after coverage terminated."),
        (2, "99484", 40.0, "paid", None)]


def test_a_fhir_export_whose_denials_give_no_reason_loads_them_without_one(store):
    """eob-5 (fhir_claims/) is denied whole (outcome error) with no reason anywhere; eob-21's line 3
    in fhir_claims_cob/ is denied by its payer adjudication status alone: both load denied, with no
    reason, and eob-21's line 2 with its CARIN denialreason's code (97, no words given)."""
    load_profile(store, "fhir", [EXPORTS / "fhir_claims"])
    load_profile(store, "fhir", [EXPORTS / "fhir_claims_cob"])
    rows = store.execute("SELECT claim_id, line_number, claim_status, denial_reason FROM staging.claims WHERE claim_status = 'denied' "
                         "UNION ALL SELECT claim_id, line_number, claim_status, denial_reason FROM staging.claims_unknown_patient "
                         "ORDER BY 1, 2").fetchall()
    assert rows == [("Claim/clm-21", 2, "denied", "97"), ("Claim/clm-21", 3, "denied", None),
                    ("ExplanationOfBenefit/eob-5", 1, "denied", None)]


def test_fhir_primary_coverages_load_as_payer_history_and_a_secondary_is_passed_over(store, tmp_path):
    """pat-m (scored in fhir_claims_cob) turned 65 in April 2025: Medicaid was the primary to 31 March,
    Medicare from April (written as a month), and Medicaid stayed on as the secondary (order 2) from
    April, a dual-eligible patient. bcm bills the primary: the two primary periods load as coverage;
    the secondary, which shares every day with Medicare's, is left out and counted with its reason,
    not set aside as overlapping. A Coverage with no period has no months to price: left out too."""
    def coverage(cid, payer, period, order=None):
        return {"resourceType": "Coverage", "id": cid, "status": "active", "beneficiary": {"reference": "Patient/pat-m"},
                "payor": [{"display": payer}], **({"period": period} if period else {}),
                **({"order": order} if order else {})}
    coverages = write(tmp_path, "Coverage.ndjson", "\n".join(json.dumps(c) for c in [
        coverage("cov-1", "Medicaid", {"start": "2019-07-01", "end": "2025-03-31"}, order=1),
        coverage("cov-2", "Medicare", {"start": "2025-04"}),
        coverage("cov-3", "Medicaid", {"start": "2025-04-01"}, order=2),
        coverage("cov-4", "Blue Shield PPO", None)]) + "\n")
    fixture = EXPORTS / "fhir_claims_cob"
    mapped = map_export(load("fhir"), [fixture / "Patient.ndjson", fixture / "Observation.ndjson", coverages])
    use = next(u for u in mapped.files if u.path.name == "Coverage.ndjson")
    assert (use.records, use.used) == (4, 2) and "secondary payer (order 2 or more" in use.unused_reason
    results = {(rows.path.name, rows.table): result for rows, result in load_export(store, mapped)}
    assert counts(results[("Coverage.ndjson", "coverage")]) == (2, 2, 0, 0)
    assert store.execute("SELECT patient_id, payer, start_date::VARCHAR, end_date::VARCHAR, _line FROM staging.coverage "
                         "ORDER BY start_date").fetchall() == [
        ("pat-m", "Medicaid", "2019-07-01", "2025-03-31", 1), ("pat-m", "Medicare", "2025-04-01", None, 2)]
    assert [q for q in quarantine(store) if q[0] == "coverage"] == []
    # the registry's payer is the primary's too: the secondary's later-written start had made it Medicaid
    assert store.execute("SELECT payer FROM staging.patients WHERE patient_id = 'pat-m'").fetchall() == [("Medicare",)]


def test_synthea_payer_transitions_load_as_payer_history(store, tmp_path):
    """Synthea ends a transition at the moment the next begins: the fixture's patient 0001 is on Aetna
    from birth (1961) to 2026-04-12, Medicare from then. Coverage is Aetna to the day before (from
    1990: earlier dates are typos to the contract), Medicare from 12 April; payer names come from
    payers.csv (Dual Eligible bills as Medicare, NO_INSURANCE as uninsured). Synthea 2 writes years:
    2017-2020 then 2020 on is a period to 31 December 2019 and one from 1 January 2020; 2012-2016
    then 2017 on, years that follow each other, end on 31 December 2016."""
    results = load_profile(store, "synthea", [EXPORTS / "synthea"])
    assert counts(results[("payer_transitions.csv", "coverage")]) == (4, 4, 0, 0)
    assert store.execute("SELECT patient_id, payer, start_date::VARCHAR, end_date::VARCHAR FROM staging.coverage "
                         "ORDER BY ALL").fetchall() == [
        ("b1f6a0e2-0001", "Aetna", "1990-01-01", "2026-04-11"), ("b1f6a0e2-0001", "Medicare", "2026-04-12", None),
        ("b1f6a0e2-0002", "uninsured", "1996-09-30", None), ("b1f6a0e2-0003", "Medicare", "2015-01-05", None)]
    old = tmp_path / "synthea2"
    old.mkdir()
    for name in ("patients.csv", "observations.csv", "payers.csv"):
        (old / name).write_bytes((EXPORTS / "synthea" / name).read_bytes())
    write_csv(old / "payer_transitions.csv", [
        {"PATIENT": "b1f6a0e2-0003", "START_YEAR": "2012", "END_YEAR": "2016", "PAYER": "pay-none", "OWNERSHIP": ""},
        {"PATIENT": "b1f6a0e2-0003", "START_YEAR": "2017", "END_YEAR": "2020", "PAYER": "pay-aetna", "OWNERSHIP": "Self"},
        {"PATIENT": "b1f6a0e2-0003", "START_YEAR": "2020", "END_YEAR": "", "PAYER": "pay-dual", "OWNERSHIP": "Self"}])
    store.execute("DELETE FROM staging.coverage")
    results = load_profile(store, "synthea", [old / "payer_transitions.csv", old / "payers.csv", old / "observations.csv"])
    assert counts(results[("payer_transitions.csv", "coverage")]) == (3, 3, 0, 0)
    assert store.execute("SELECT payer, start_date::VARCHAR, end_date::VARCHAR FROM staging.coverage ORDER BY ALL").fetchall() == [
        ("Aetna", "2017-01-01", "2019-12-31"), ("Medicare", "2020-01-01", None), ("uninsured", "2012-01-01", "2016-12-31")]
