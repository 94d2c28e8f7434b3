"""Exports of a registry bcm was not built on, loaded as its data person would: question columns
written item1 ... item9, and an export concatenated from two pulls with the header again in the
middle. Each row either reads as meant or is set aside with a reason a person can act on."""

from __future__ import annotations

import pytest
from hostile.helpers import write

from bcm_analytics.cli.data import summary_line
from bcm_analytics.ingest import load_file
from bcm_analytics.ingest.non_records import column_name_sql
from bcm_analytics.ingest.readers import normalise_column

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\n"


def test_item_columns_written_without_a_separator_are_the_items(store, tmp_path):
    """A registry names its PHQ-9 questions item1 ... item9 (and in its own order): they were
    dropped as extra columns, and the assessment loaded with no items, item 9 (thoughts of
    self-harm, the safety worklist's) among them."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("assessment_id,patient_id,instrument,administered_on,total_score,item3,Item1,ITEM2,item4,item5,item6,item7,item8,item09\n"
            "A1,P1,PHQ-9,2025-01-06,13,3,1,1,2,2,1,1,1,1\n")
    result = load_file(store, write(tmp_path, "assessments.csv", text))
    assert (result.rows_loaded, result.dropped_columns) == (1, [])
    items = store.execute("SELECT item_1, item_2, item_3, item_9 FROM staging.assessments").fetchall()
    assert items == [(1, 1, 3, 1)]


LOGS = "Entry ID,Patient ID,Staff Role,Service Date,Minutes,Activity Type\n"


@pytest.mark.parametrize("name", ["Patient ID", "\ufeffentry_id", " Item 01 ", "item #9", "ITEM9", "service-date",
                                  "Minutes  Logged", "item10", "item_0"])
def test_the_column_names_again_are_told_as_the_header_reads_them(store, name):
    """The header of a second pull is told from a record in SQL (rows.column_name_sql), the first
    pull's in Python (readers.normalise_column): a name the one reads otherwise than the other
    would pass over one pull's header and set aside the other's."""
    in_sql = store.execute(f"SELECT {column_name_sql('$name')}", {"name": name}).fetchall()[0][0]
    assert in_sql == normalise_column(name)


def test_the_column_names_again_in_the_middle_of_an_export_are_passed_over(store, tmp_path):
    """An export put together from two pulls holds the header again where the second starts: it
    was set aside as a record whose date, minutes and role were not read (and whose patient
    'Patient ID' was unknown), open every month with nothing a person could fix."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = (LOGS + "E1,P1,bhcm,2025-01-13,30,outreach\n" + LOGS.upper() + "E2,P1,bhcm,2025-01-14,25,outreach\n"
            "E3,P1,bhcm,2025-01-15,lots,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_header) == (4, 2, 2, 1)
    entries = store.execute("SELECT line_number, status, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    assert [e[:2] for e in entries] == [(3, "passed_over"), (5, "open")]
    assert entries[0][2].startswith("not a record but the file's column names again ('ENTRY ID' | 'PATIENT ID' |")
    assert summary_line(tmp_path / "time_logs.csv", result).count("1 row where another pull of the export starts") == 1


def test_the_title_above_the_second_pulls_column_names_is_passed_over_too(store, tmp_path):
    """Each pull of a report saved as CSV starts with its title: the first one's, above the header,
    was passed over, the second one's set aside as a record whose every column but the first is
    empty, with nothing to fix. A row of one value elsewhere is still a record to fix."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    pull = "CoCM minutes {},,,,,\n,,,,,\n" + LOGS
    text = (pull.format("January") + "E1,P1,bhcm,2025-01-13,30,outreach\nE9,,,,,\n"
            + pull.format("February") + "E2,P1,bhcm,2025-02-14,25,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_header, result.rows_empty) == (6, 2, 2, 1)
    entries = store.execute("SELECT line_number, status, failed_checks FROM meta.quarantine ORDER BY line_number").fetchall()
    assert entries[0][:2] == (5, "open") and [e[:2] for e in entries[1:]] == [(6, "passed_over"), (7, "passed_over"), (8, "passed_over")]
    assert entries[1][2] == ["not a record: a title above the column names again"]


def test_a_title_on_a_short_line_above_the_second_pulls_column_names_is_passed_over(store, tmp_path):
    """A report tool writes its title alone on a line, with no delimiter (`Time log export
    2025-03-01`) or fewer than the header's: above the second pull's column names it was set aside
    as a line with fewer fields than the header, open every month with nothing to fix. A short
    line of one value anywhere else (a record cut short, `E4`, or a note between records) is
    still a line to fix, with its reason."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("Time log export 2025-02-01\n" + LOGS + "E1,P1,bhcm,2025-02-03,30,outreach\n"
            "Time log export 2025-03-01\n" + LOGS + "E2,P1,bhcm,2025-03-03,25,outreach\n"
            "E4\nE5,P1,bhcm,2025-03-04,20,outreach\n"
            "Time log export 2025-04-01,,\n,,,,,\n" + LOGS + "E3,P1,bhcm,2025-04-02,15,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_header, result.rows_empty) == (10, 4, 6, 4, 1)
    assert result.adds_up
    entries = store.execute("SELECT line_number, status, failed_checks, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    assert [e[:3] for e in entries] == [
        (4, "passed_over", ["not a record: a title above the column names again"]), (5, "passed_over", ["not a record: the column names again"]),
        (7, "open", ["csv: missing columns"]),
        (9, "passed_over", ["not a record: a title above the column names again"]), (10, "passed_over", ["not a record: an empty row"]),
        (11, "passed_over", ["not a record: the column names again"])]
    assert entries[0][3].startswith("not a record but the title above the file's column names written again ('Time log export 2025-03-01')")
    assert entries[2][3] == "the line has fewer fields than the header (a truncated or wrapped line?)"


def test_a_title_of_two_or_three_lines_above_the_column_names_again_is_passed_over(store, tmp_path):
    """A registry heads each pull with its name and a run line (`Registry export`, then `Run
    2025-03-01 by jdoe`), on short lines or full ones: only the line right above the column names
    was passed over, the other set aside with nothing to fix. Up to three lines of one value
    directly above them are the title, the ones above the first reading as words; a fourth is a
    line to fix, as a record of one value (an entry id alone) above a title is."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("Registry export\nRun 2025-02-01 by jdoe\n" + LOGS + "E1,P1,bhcm,2025-02-03,30,outreach\n"
            "Registry export\nRun 2025-03-01 by jdoe,,,,,\n" + LOGS + "E2,P1,bhcm,2025-03-03,25,outreach\n"
            "Prepared for the clinic,,,,,\nRegistry export\nCoCM minutes\nRun 2025-04-01 by jdoe\n" + LOGS
            + "E3,P1,bhcm,2025-04-02,15,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_header) == (11, 3, 8, 7)
    assert result.adds_up
    entries = store.execute("SELECT line_number, status FROM meta.quarantine ORDER BY line_number").fetchall()
    assert entries == [(5, "passed_over"), (6, "passed_over"), (7, "passed_over"),
                       (9, "open"), (10, "passed_over"), (11, "passed_over"), (12, "passed_over"), (13, "passed_over")]


def test_a_record_that_writes_some_column_names_as_values_is_no_header(store, tmp_path):
    """Only a row that is the names and nothing else: a record whose patient is 'Patient ID' and
    whose other values are a record's stays a record to fix."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = LOGS + "Entry ID,Patient ID,bhcm,2025-01-13,30,outreach\n"
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_quarantined, result.rows_header) == (1, 0)
    assert store.execute("SELECT status FROM meta.quarantine").fetchall() == [("waiting",)]


def test_a_profiles_export_of_two_pulls_passes_over_the_second_header(store, tmp_path):
    """Through a profile the record kept is the source's, its keys the file's column names."""
    from pathlib import Path

    from bcm_analytics.ingest.profiles import load, load_export, map_export

    lakeside = Path(__file__).parent / "fixtures" / "exports" / "lakeside"
    header, *records = (lakeside / "roster.csv").read_text().splitlines(keepends=True)
    roster = write(tmp_path / "export", "roster.csv", header + records[0] + header + "".join(records[1:]))
    [(_, result)] = list(load_export(store, map_export(load(lakeside / "lakeside.yaml"), [roster])))
    assert not isinstance(result, Exception), result
    assert (result.rows_read, result.rows_loaded, result.rows_header) == (len(records) + 1, len(records), 1)
    assert store.execute("SELECT line_number, status FROM meta.quarantine").fetchall() == [(3, "passed_over")]


def test_a_whole_number_past_the_integer_range_is_set_aside_not_the_file_refused(store, tmp_path):
    """A claims export whose units column holds a 20-digit account number on one line (columns
    shifted by hand): 'Conversion Error: Type DOUBLE with value 1e+20 can't be cast' refused the
    whole file, its good lines with it."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("claim_id,patient_id,date_of_service,procedure_code,units\n"
            "C1,P1,2025-01-31,99492,1\nC2,P1,2025-01-31,99493,99999999999999999999\n")
    result = load_file(store, write(tmp_path, "claims.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [(line, reason)] = store.execute("SELECT line_number, reason FROM meta.quarantine").fetchall()
    assert (line, reason) == (3, "units '99999999999999999999' is not a whole number")


def test_a_patients_clinic_written_with_other_capitals_or_spaces_is_named_in_its_warning(store, tmp_path):
    """A registry writes the clinic 'clinic a' or 'Clinic  A' where the clinics export has 'Clinic A':
    the warning said only that the id is not in the clinics export, which it seems to be, while
    the patient took the program's time zone and physician-practice setting (an FQHC's patient)."""
    load_file(store, write(tmp_path, "clinics.csv", "clinic_id,setting\nClinic A,fqhc\nClinic B,fqhc\n"))
    text = "patient_id,clinic_id,payer,enrollment_date\nP1,clinic a,Medicare,2025-01-02\nP2,Clinic  A,Medicare,2025-01-02\nP3,Clinic C,Medicare,2025-01-02\n"
    result = load_file(store, write(tmp_path, "patients.csv", text))
    assert (result.rows_loaded, result.rows_warned) == (3, 3)
    warnings = store.execute("SELECT line_number, reason FROM meta.row_warnings ORDER BY line_number").fetchall()
    named = "; a loaded clinic is 'Clinic A', the same id written with other capitals or spaces"
    assert [(line, named in reason) for line, reason in warnings] == [(2, True), (3, True), (4, False)]
    assert warnings[0][1].startswith("clinic_id 'clinic a' is not in the clinics export")


def test_a_password_protected_workbook_and_an_xls_under_an_xlsx_name_are_refused_saying_so(tmp_path):
    """Both are compound (OLE) files, which Excel opens: the refusal said 'it is not an Excel
    workbook (calamine error: ... Could not find EOCD)'."""
    from bcm_analytics.ingest import FileRefused
    from bcm_analytics.ingest.excel import read_sheet

    ole = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    for name, content, says in [("protected.xlsx", ole + "EncryptedPackage".encode("utf-16-le"), "protected with a password"),
                                ("old.xlsx", ole + "Workbook".encode("utf-16-le"), "an Excel 97-2003 workbook (.xls) under an .xlsx name")]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(FileRefused) as refused:
            read_sheet(path)
        assert says in str(refused.value) and "\n" not in str(refused.value)


def test_a_patients_clinic_written_with_other_capitals_is_named_when_the_clinics_load_after_it(store, tmp_path):
    """Patients loaded before the clinics export (a separate `bcm load`, or a clinics file sent a
    month later): every clinic was unknown then, and when 'North Clinic' arrived the warning of a
    patient at 'north clinic' still said only that it is not in the clinics export. The hint is
    given whichever loads first; a clinic that is nowhere gets none. A patient whose clinic the
    clinics export writes exactly as the patients export does warned that the program's defaults
    apply, which they no longer do: that warning goes."""
    text = ("patient_id,clinic_id,payer,enrollment_date\nP1,north clinic,Medicare,2025-01-02\n"
            "P2,North Clinic,Medicare,2025-01-02\nP3,South Clinic,Medicare,2025-01-02\n")
    assert load_file(store, write(tmp_path, "patients.csv", text)).rows_warned == 3
    load_file(store, write(tmp_path, "clinics.csv", "clinic_id,setting\nNorth Clinic,fqhc\n"))
    warnings = store.execute("SELECT line_number, reason FROM meta.row_warnings WHERE check_name = 'clinic known' "
                             "ORDER BY line_number").fetchall()
    named = "; a loaded clinic is 'North Clinic', the same id written with other capitals or spaces"
    assert [(line, named in reason) for line, reason in warnings] == [(2, True), (4, False)]
    assert warnings[0][1].count(named) == 1
    load_file(store, write(tmp_path, "clinics_2.csv", "clinic_id,setting\nNorth Clinic,fqhc\nWest Clinic,fqhc\n"))
    assert store.execute("SELECT reason FROM meta.row_warnings WHERE line_number = 2").fetchall()[0][0].count(named) == 1


def test_minutes_that_are_an_excel_date_serial_are_set_aside_saying_which_date(store, tmp_path):
    """A date pasted into the minutes column (or the columns shifted) reads as 45688.5 minutes: it
    was set aside as more than a day's minutes, and a person looked for a very long entry. A value
    over the limit outside the years of the data (2000-2050) is told the limit alone."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = (LOGS + "E1,P1,bhcm,2025-01-31,45688.5,outreach\nE2,P1,bhcm,2025-01-31,45688,outreach\n"
            "E3,P1,bhcm,2025-01-31,2000,outreach\nE4,P1,bhcm,2025-01-31,60000,outreach\nE5,P1,bhcm,2025-01-31,30,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    reasons = store.execute("SELECT reason FROM meta.quarantine ORDER BY line_number").fetchall()
    limit = "is not between 0 and 1440 (one day)"
    assert [r[0] for r in reasons] == [
        f"Minutes [minutes] 45688.5 {limit}; 45688.5 looks like a date, not a value of this column: as an Excel date serial "
        "it is 2025-01-31 12:00 (a date pasted into the column, or the export's columns shifted?)",
        f"Minutes [minutes] 45688 {limit}; 45688 looks like a date, not a value of this column: as an Excel date serial "
        "it is 2025-01-31 (a date pasted into the column, or the export's columns shifted?)",
        f"Minutes [minutes] 2000 {limit}", f"Minutes [minutes] 60000 {limit}"]
    assert store.execute("SELECT DISTINCT failed_checks, status FROM meta.quarantine").fetchall() == [(["minutes within a day"], "open")]


def test_a_title_of_two_values_above_the_column_names_again_is_passed_over(store, tmp_path):
    """A report tool writes its title with the export's date, or its author, in a cell of its own
    (`Time log export,2025-03-01`, `Exported 2025-03-01 14:02,by jsmith`): above the second pull's
    column names it was set aside as a record with nothing to fix, open every month. The first
    pull's, above the header line, was passed over already. A record of two values right above
    the column names (`E8,P1`, short or full) is still a row to fix, with its reason."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("Time log export,2025-02-01\n" + LOGS + "E1,P1,bhcm,2025-02-03,30,outreach\n"
            "Time log export,2025-03-01\n" + LOGS + "E2,P1,bhcm,2025-03-03,25,outreach\n"
            "Exported 2025-03-01 14:02,by jsmith,,,,\n,,,,,\n" + LOGS + "E3,P1,bhcm,2025-03-04,20,outreach\n"
            "\"Clinic A time log\",,,\n" + LOGS + "E4,P1,bhcm,2025-03-05,15,outreach\n"
            "E8,P1\n" + LOGS + "E5,P1,bhcm,2025-03-06,10,outreach\n"
            "E9,P1,,,,\n" + LOGS + "E6,P1,bhcm,2025-03-07,10,outreach\n")
    path = write(tmp_path, "time_logs.csv", text)
    result = load_file(store, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_header, result.rows_empty) == (17, 6, 11, 8, 1)
    assert result.adds_up and result.header_line == 2
    entries = store.execute("SELECT line_number, status, failed_checks, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    title, names = ["not a record: a title above the column names again"], ["not a record: the column names again"]
    assert [e[:3] for e in entries] == [
        (4, "passed_over", title), (5, "passed_over", names),
        (7, "passed_over", title), (8, "passed_over", ["not a record: an empty row"]), (9, "passed_over", names),
        (11, "passed_over", title), (12, "passed_over", names),
        (14, "open", ["csv: missing columns"]), (15, "passed_over", names),
        (17, "open", ["staff_role required", "service_date required", "minutes required", "activity_type required"]),
        (18, "passed_over", names)]
    said = "not a record but the title above the file's column names written again ({}), as in an export put together from two pulls"
    assert entries[0][3].startswith(said.format("'Time log export' | '2025-03-01'"))
    assert entries[2][3].startswith(said.format("'Exported 2025-03-01 14:02' | 'by jsmith'"))
    assert entries[5][3].startswith(said.format("'Clinic A time log'"))
    assert entries[9][3].startswith("Staff Role [staff_role] is empty but required")
    line = summary_line(path, result)
    assert "(line 1 above them passed over)" in line and "8 rows where another pull of the export starts" in line
    assert load_file(store, path).already_loaded


def test_a_line_of_two_values_is_a_title_only_when_it_reads_as_one(store, tmp_path):
    """Above the column names again, a line of two values or more is a title when its first value
    reads as words, each other value as words or a date, and no record of the file starts with
    words. A line cut short that does not read so (`E7,call back` has an id first, `Time log
    export,204` a number) stays a row to fix; so does a clinic whose id and zone are words, in an
    export whose clinics are named in words, where a title cannot be told from a record."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = (LOGS + "E1,P1,bhcm,2025-02-03,30,outreach\n"
            "E7,call back\n" + LOGS + "E2,P1,bhcm,2025-03-03,25,outreach\n"
            "Time log export,204\n" + LOGS + "E3,P1,bhcm,2025-03-04,20,outreach\n")
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_loaded, result.rows_header) == (3, 2)
    assert store.execute("SELECT line_number, status FROM meta.quarantine WHERE table_name = 'time_logs' "
                         "ORDER BY line_number").fetchall() == [(3, "open"), (4, "passed_over"), (6, "open"), (7, "passed_over")]
    clinics = "clinic_id,clinic_name,setting,timezone\n"
    text = (clinics + "North Clinic,North Clinic Family Health,fqhc,America/New_York\n"
            "West Clinic,West Side Health,,Central Time\n" + clinics + "South Clinic,South Health,rhc,America/Chicago\n"
            "Clinic list,2025-03-01\n" + clinics + "East Clinic,East Health,rhc,America/Chicago\n")
    result = load_file(store, write(tmp_path, "clinics.csv", text))
    assert (result.rows_loaded, result.rows_header) == (3, 2)
    entries = store.execute("SELECT line_number, status, reason FROM meta.quarantine WHERE table_name = 'clinics' "
                            "ORDER BY line_number").fetchall()
    assert [e[:2] for e in entries] == [(3, "open"), (4, "passed_over"), (6, "open"), (7, "passed_over")]
    assert "Central Time" in entries[0][2]


def _workbook(path, rows: list[list], date_format: dict[str, str] | None = None):
    """A one-sheet workbook of `rows` (dates as dates), some cells given a number format."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for cell, fmt in (date_format or {}).items():
        book.active[cell].number_format = fmt
    book.save(path)
    return path


def test_a_title_of_two_cells_above_a_sheets_column_names_again_is_passed_over(store, tmp_path):
    """In a workbook, each pull's title and its date are two cells (the date a date cell): the
    second's was set aside as a record. A record of two cells there stays a row to fix."""
    import datetime as dt

    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    names = LOGS.strip().split(",")
    rows = [["Time log export", dt.date(2025, 2, 1)], names, ["E1", "P1", "bhcm", dt.date(2025, 2, 3), 30, "outreach"],
            ["Time log export", dt.datetime(2025, 3, 1, 14, 2)], names, ["E2", "P1", "bhcm", dt.date(2025, 3, 3), 25, "outreach"],
            ["E9", "P1"], names, ["E3", "P1", "bhcm", dt.date(2025, 3, 4), 20, "outreach"]]
    path = _workbook(tmp_path / "time_logs.xlsx", rows)
    result = load_file(store, path)
    assert (result.rows_read, result.rows_loaded, result.rows_header) == (7, 3, 3)
    assert result.adds_up
    entries = store.execute("SELECT line_number, status, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    assert [e[:2] for e in entries] == [(4, "passed_over"), (5, "passed_over"), (7, "open"), (8, "passed_over")]
    assert "('Time log export' | '2025-03-01 14:02:00')" in entries[0][2]


def test_a_date_in_the_minutes_column_is_set_aside_saying_it_looks_like_one(store, tmp_path):
    """An Excel date that lands in the minutes column as text (the columns shifted, a date pasted
    there) was set aside as 'not a duration (90, 12.5, ...)', and a person looked for a badly
    written number. A date of Excel's first years is how Excel shows a number in a cell
    formatted as a date: 1/30/1900 is 30. Any other value keeps its reason."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    values = ["2025-01-31", "1/31/2025", "2025-01-31 00:00:00", "Jan 31, 2025", "31.01.2025", "1/30/1900", "3/30/1900 12:00",
              "abc", "20:00"]
    text = LOGS + "".join(f"E{i},P1,bhcm,2025-02-03,\"{v}\",outreach\n" for i, v in enumerate(values, 1))
    load_file(store, write(tmp_path, "time_logs.csv", text))
    reasons = [r[0] for r in store.execute("SELECT reason FROM meta.quarantine ORDER BY line_number").fetchall()]
    shifted = ("' is not a duration: it looks like a date, not a value of this column (a date pasted into the column, or the "
               "export's columns shifted?): write the row's minutes in it, each value under its column's name, and load the export again")
    excel = ("' is not a duration: it looks like a date, and it is how Excel shows the number {} in a cell formatted as a date "
             "(the column formatted as a date in Excel?): format the column as a number in Excel and export again")
    assert reasons[:7] == [f"Minutes [minutes] '{v}{shifted}" for v in values[:5]] + [
        f"Minutes [minutes] '1/30/1900{excel.format(30)}", f"Minutes [minutes] '3/30/1900 12:00{excel.format(90.5)}"]
    assert reasons[7] == "Minutes [minutes] 'abc' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)"
    assert reasons[8].startswith("Minutes [minutes] '20:00' is not read: as hours:minutes it would be 20 h 00 min")


def test_a_date_cell_in_a_sheets_minutes_column_is_set_aside_saying_it_looks_like_one(store, tmp_path):
    """In a workbook the date is a date cell (read as 2025-01-31, or with its time), and minutes
    in a column formatted as dates are dates of 1900: 30 reads as 1900-01-30, 90 as 1900-03-30
    (Excel counts a 29 February 1900 that never was)."""
    import datetime as dt

    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    rows = [LOGS.strip().split(","), ["E1", "P1", "bhcm", dt.date(2025, 2, 3), dt.date(2025, 1, 31), "outreach"],
            ["E2", "P1", "bhcm", dt.date(2025, 2, 3), dt.datetime(2025, 1, 31, 9, 30), "outreach"],
            ["E3", "P1", "bhcm", dt.date(2025, 2, 3), 30, "outreach"], ["E4", "P1", "bhcm", dt.date(2025, 2, 3), 90, "outreach"],
            ["E5", "P1", "bhcm", dt.date(2025, 2, 3), 45, "outreach"]]
    result = load_file(store, _workbook(tmp_path / "time_logs.xlsx", rows, {"E4": "m/d/yyyy", "E5": "m/d/yyyy"}))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    reasons = [r[0] for r in store.execute("SELECT reason FROM meta.quarantine ORDER BY line_number").fetchall()]
    assert [r.split("' is not a duration: ")[0] for r in reasons] == [
        "Minutes [minutes] '2025-01-31", "Minutes [minutes] '2025-01-31 09:30:00", "Minutes [minutes] '1900-01-30",
        "Minutes [minutes] '1900-03-30"]
    assert ["columns shifted" in r for r in reasons] == [True, True, False, False]
    assert "Excel shows the number 30 in a cell" in reasons[2] and "Excel shows the number 90 in a cell" in reasons[3]


def test_a_date_with_a_2_digit_year_in_the_minutes_column_is_set_aside_saying_it_looks_like_one(store, tmp_path):
    """Excel's default short date writes a 2-digit year (3/4/25), and some systems dashes
    (03-04-25): in the minutes column such a date was told it is 'not a duration (90, 12.5, ...)',
    as a badly written number is, while 3/4/2025 was told it looks like a date. A date of
    three parts with a 2-digit year (slashes, dots or dashes, a month in words, a time after
    it) is told so too; 1/30/00 is how Excel's m/d/yy shows the number 30. A number, a time, a
    range of two numbers or three parts that make no date keep their reasons or load."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    dates = ["3/4/25", "03-04-25", "3.4.25", "31-JAN-25", "3/4/25 14:30", "13/4/25", "03-04-2025", "10-15-20"]
    excel = {"1/30/00": 30, "3/30/00 12:00": 90.5}
    others = ["10-15", "1-2-3", "12/30", "00-13-45", "1,200", "12:30", "1.5"]
    values = dates + list(excel) + others
    text = LOGS + "".join(f"E{i},P1,bhcm,2025-02-03,\"{v}\",outreach\n" for i, v in enumerate(values, 1))
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert result.adds_up and result.rows_loaded == 1  # 1.5 minutes
    reasons = dict(store.execute("SELECT record ->> 'minutes', reason FROM meta.quarantine").fetchall())
    shifted = ("' is not a duration: it looks like a date, not a value of this column (a date pasted into the column, or the "
               "export's columns shifted?): write the row's minutes in it, each value under its column's name, and load the export again")
    shown = ("' is not a duration: it looks like a date, and it is how Excel shows the number {} in a cell formatted as a date "
             "(the column formatted as a date in Excel?): format the column as a number in Excel and export again")
    assert [reasons[v] for v in dates] == [f"Minutes [minutes] '{v}{shifted}" for v in dates]
    assert [reasons[v] for v in excel] == [f"Minutes [minutes] '{v}{shown.format(n)}" for v, n in excel.items()]
    accepted = "' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)"
    assert [reasons[v] for v in others[:5]] == [f"Minutes [minutes] '{v}{accepted}" for v in others[:5]]
    assert reasons["12:30"].startswith("Minutes [minutes] '12:30' is not read: as hours:minutes it would be 12 h 30 min")
    assert "1.5" not in reasons

def test_three_numbers_joined_by_dashes_look_like_a_date_only_when_they_make_one(store, tmp_path):
    """10-15-20 in the minutes column is told it looks like a date: it is 15 October 2020 as
    mm-dd-yy writes it (Excel's built-in format, and the 2-digit-year hint reads dashes as it
    reads slashes), and the row is set aside whatever it is; the hint only names the likeliest
    cause. Day first (15-10-20) too. Three numbers that make no date either way (13-15-20,
    10-32-20) keep the reason of any value that is no duration: neither is a range of minutes
    bcm could read, and calling them dates would mislead."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    dates, others = ["10-15-20", "15-10-20"], ["13-15-20", "10-32-20"]
    text = LOGS + "".join(f"E{i},P1,bhcm,2025-02-03,{v},outreach\n" for i, v in enumerate(dates + others, 1))
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert result.adds_up and result.rows_quarantined == 4
    reasons = dict(store.execute("SELECT record ->> 'minutes', reason FROM meta.quarantine").fetchall())
    assert [reasons[v].startswith(f"Minutes [minutes] '{v}' is not a duration: it looks like a date, not a value of this column")
            for v in dates] == [True, True]
    assert [reasons[v] for v in others] == [f"Minutes [minutes] '{v}' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)"
                                           for v in others]


def test_one_stray_line_of_words_among_the_records_leaves_titles_of_two_values_passed_over(store, tmp_path):
    """A line of words among the records (a note typed between them, `Reviewed by J Smith,
    2025-03-05`) made the whole file one whose records start with words, and every title of two
    values above its column names again was set aside as a record with nothing to fix. One such
    line is a stray, a row to fix itself; two or more records starting with words, or a file
    whose every record does, still keep such a title a row to fix."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    stray = "Reviewed by J Smith,2025-03-05,,,,\n"
    second = "Time log export,2025-03-01,,,,\n" + LOGS + "E3,P1,bhcm,2025-03-04,20,outreach\n"
    text = LOGS + "E1,P1,bhcm,2025-02-03,30,outreach\n" + stray + "E2,P1,bhcm,2025-03-03,25,outreach\n" + second
    result = load_file(store, write(tmp_path, "time_logs.csv", text))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_header) == (6, 3, 3, 2) and result.adds_up
    entries = store.execute("SELECT line_number, status, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    assert [e[:2] for e in entries] == [(3, "open"), (5, "passed_over"), (6, "passed_over")]
    assert entries[0][2].startswith("Staff Role [staff_role] is empty but required")
    assert entries[1][2].startswith("not a record but the title above the file's column names written again "
                                    "('Time log export' | '2025-03-01')")

    twice = (LOGS + "E4,P1,bhcm,2025-02-03,30,outreach\n" + stray + "E5,P1,bhcm,2025-02-04,30,outreach\n"
             + stray.replace("J Smith", "A Jones") + "E6,P1,bhcm,2025-02-05,30,outreach\n" + second)
    load_file(store, write(tmp_path, "time_logs_2.csv", twice))
    assert store.execute("SELECT line_number, status FROM meta.quarantine WHERE source_file LIKE '%time_logs_2.csv' "
                         "ORDER BY line_number").fetchall() == [(3, "open"), (5, "open"), (7, "open"), (8, "passed_over")]

    clinics = "clinic_id,clinic_name,setting,timezone\n"
    only = clinics + "North Clinic,North Clinic Family Health,fqhc,America/New_York\nClinic list,2025-03-01\n" + clinics
    result = load_file(store, write(tmp_path, "clinics.csv", only))
    assert (result.rows_loaded, result.rows_header) == (1, 1)
    assert store.execute("SELECT line_number, status FROM meta.quarantine WHERE table_name = 'clinics' "
                         "ORDER BY line_number").fetchall() == [(3, "open"), (4, "passed_over")]
