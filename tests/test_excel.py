"""Excel input: a sheet read as text with the row numbers Excel shows.

Workbooks are written in each test with openpyxl so the cells a test reads are in the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from bcm_analytics.ingest import FileRefused
from bcm_analytics.ingest.excel import read_sheet


def workbook(path: Path, sheets: dict[str, list[tuple[str, object]]], date_1904: bool = False) -> Path:
    """Write cells ({sheet: [(cell, value), ...]}) to a new workbook (`date_1904`: in the 1904 date
    system of older Excel for Mac workbooks)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if date_1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        for ref, value in cells:
            ws[ref] = value
    wb.save(path)
    return path


LOG = [
    ("A3", "Entry ID"), ("B3", "Service Date"), ("C3", "Minutes"), ("D3", "Visit At"),
    ("A4", "E1"), ("B4", dt.date(2025, 1, 31)), ("C4", 30), ("D4", dt.datetime(2025, 1, 31, 9, 30)),
    # row 5 is blank
    ("A6", "E2"), ("B6", 45689), ("C6", 12.5),
    ("A7", "E3"), ("B7", "2/10/25"), ("C7", "1:30"),
]


def test_rows_keep_the_sheets_row_numbers_past_leading_and_blank_rows(tmp_path):
    """The header is on row 3 (rows 1-2 empty), row 5 is blank: records are rows 4, 6 and 7."""
    sheet = read_sheet(workbook(tmp_path / "time_logs.xlsx", {"Log": LOG}))
    assert sheet.header == ("Entry ID", "Service Date", "Minutes", "Visit At")
    assert (sheet.name, sheet.header_row) == ("Log", 3)
    assert sheet.rows.to_pylist() == [
        {"Entry ID": "E1", "Service Date": "2025-01-31", "Minutes": "30", "Visit At": "2025-01-31 09:30:00", "_line": 4},
        {"Entry ID": "E2", "Service Date": "45689", "Minutes": "12.5", "Visit At": None, "_line": 6},
        {"Entry ID": "E3", "Service Date": "2/10/25", "Minutes": "1:30", "Visit At": None, "_line": 7},
    ]


def test_a_title_above_the_header_is_passed_over_when_the_columns_are_known(tmp_path):
    cells = [("A1", "Lakeside time log, January"), ("A2", "exported 2025-02-01")] + [(ref[0] + str(int(ref[1:]) + 1), v) for ref, v in LOG]
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": cells})
    sheet = read_sheet(path, expect=("entry_id", "minutes"))
    assert (sheet.header_row, sheet.header[:2]) == (4, ("Entry ID", "Service Date"))
    assert sheet.rows.column("_line").to_pylist() == [5, 7, 8]
    assert read_sheet(path).header[:2] == ("Entry ID", "Service Date"), "not told what to expect: the widest of the first rows"


def test_a_draft_passes_over_a_title_above_a_sheets_column_names(tmp_path):
    """A PHQ-9 workbook with a title row: the draft read the title as the sheet's one column and
    refused it ('no column looks like a column of a canonical table; found columns: <the title>')."""
    from bcm_analytics.ingest.profiles.draft import header

    cells = [("A1", "Riverbend BH - PHQ-9 results, exported 06/02/2025"),
             ("A3", "Score ID"), ("B3", "MRN"), ("C3", "Date Completed"), ("D3", "Measure"), ("E3", "Total Score"),
             ("A4", "S1"), ("B4", "RB-001"), ("C4", dt.date(2025, 1, 3)), ("D4", "PHQ-9"), ("E4", 12)]
    path = workbook(tmp_path / "PHQ_Results.xlsx", {"PHQ-9 Scores": cells})
    assert header(path) == ["Score ID", "MRN", "Date Completed", "Measure", "Total Score"]


def test_a_sheet_is_chosen_by_name_any_case_and_an_unknown_one_lists_the_sheets(tmp_path):
    path = workbook(tmp_path / "book.xlsx", {"Notes": [("A1", "x")], "Log": LOG})
    assert read_sheet(path).name == "Notes"
    assert read_sheet(path, "log").name == "Log"
    with pytest.raises(FileRefused, match=r"no sheet named 'Logs'; sheets: Notes, Log$"):
        read_sheet(path, "Logs")


def test_other_sheets_of_one_workbook_hash_differently(tmp_path):
    path = workbook(tmp_path / "book.xlsx", {"A": LOG, "B": LOG})
    assert read_sheet(path, "A").sha256 != read_sheet(path, "B").sha256
    assert read_sheet(path, "A").sha256 == read_sheet(path, "A").sha256


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", "'.xls' workbooks are not read; save the sheet as .xlsx"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable .xlsx workbook"),
        ("text.xlsx", b"entry_id,minutes\nE1,30\n", "not a readable .xlsx workbook"),
    ],
)
def test_an_unreadable_workbook_is_refused_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRefused) as e:
        read_sheet(path)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_an_empty_sheet_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(FileRefused, match="is empty; expected a header row"):
        read_sheet(tmp_path / "empty.xlsx")


def test_a_column_named_twice_is_refused_as_in_a_csv(tmp_path):
    """Below a title row, Minutes twice: the reader would rename the second and load the first."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": [
        ("A1", "Export of 2025-02"), ("A2", "entry_id"), ("B2", "minutes"), ("C2", "Minutes "), ("A3", "E1"), ("B3", 30),
        ("C3", 45)]})
    with pytest.raises(FileRefused, match=r"sheet 'Log': duplicate column 'Minutes' in the header \(row 2\)"):
        read_sheet(path, expect=("entry_id", "minutes"))
    assert read_sheet(workbook(tmp_path / "ok.xlsx", {"Log": [("A1", "entry_id"), ("B1", "minutes"), ("A2", "E1")]})).header \
        == ("entry_id", "minutes")


def test_a_time_cell_is_a_time_of_day_and_a_duration_cell_minutes(store, load_rows, tmp_path):
    """start_time 08:57 as an Excel time cell is 08:57 on the service date (not 31 Dec 1899), and
    minutes 1:30 as a duration cell is 90 minutes."""
    from bcm_analytics.ingest import load_file

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    cells = [("A1", "entry_id"), ("B1", "patient_id"), ("C1", "staff_role"), ("D1", "service_date"), ("E1", "minutes"),
             ("F1", "activity_type"), ("G1", "start_time"),
             ("A2", "E1"), ("B2", "P1"), ("C2", "bhcm"), ("D2", dt.date(2025, 2, 26)), ("E2", dt.timedelta(hours=1, minutes=30)),
             ("F2", "outreach"), ("G2", dt.time(8, 57))]
    result = load_file(store, workbook(tmp_path / "time_logs.xlsx", {"Log": cells}))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert store.execute("SELECT CAST(start_time_local AS VARCHAR), minutes FROM staging.time_logs").fetchall() == [
        ("2025-02-26 08:57:00", 90.0)]


def test_minutes_typed_as_20_00_into_a_cell_are_set_aside_as_the_same_text_in_a_csv_is(store, load_rows, tmp_path):
    """A care manager types 20:00 (twenty minutes) in a Minutes cell; Excel makes it the time of
    day 20:00, which the reader gave as 20:00:00 and the load read as 1,200 minutes (99494 x38).
    A time cell with no seconds is read as Excel shows it (h:mm), so 20:00 is set aside as the
    text 20:00 is, 1:05 is 65 minutes, and a time cell with seconds (00:20:30) stays explicit."""
    from bcm_analytics.ingest import load_file

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    cells = [("A1", "entry_id"), ("B1", "patient_id"), ("C1", "staff_role"), ("D1", "service_date"), ("E1", "minutes"),
             ("F1", "activity_type")]
    for row, (entry, minutes) in enumerate([("E1", dt.time(20, 0)), ("E2", dt.time(1, 5)), ("E3", dt.time(0, 20, 30))], start=2):
        cells += [(f"A{row}", entry), (f"B{row}", "P1"), (f"C{row}", "bhcm"), (f"D{row}", dt.date(2025, 2, 26)), (f"E{row}", minutes),
                  (f"F{row}", "outreach")]
    result = load_file(store, workbook(tmp_path / "time_logs.xlsx", {"Log": cells}))
    assert store.execute("SELECT entry_id, minutes FROM staging.time_logs ORDER BY 1").fetchall() == [("E2", 65.0), ("E3", 20.5)]
    assert store.execute("SELECT line_number, reason FROM meta.quarantine WHERE load_id = ?", [result.load_id]).fetchall() == [
        (2, "minutes '20:00' is not read: as hours:minutes it would be 20 h 00 min, as minutes:seconds 20 min 00 s (H:MM is read "
            "only under 4 hours); write the minutes (20 or 1200), or HH:MM:SS (00:20:00)")]


def test_the_sheet_read_is_recorded_and_named_in_the_quarantine_list(tmp_path):
    """Two sheets of one workbook, each with a bad row on line 2: the quarantine list tells them apart."""
    import csv

    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    def log(entry: str) -> list:
        return [("A1", "entry_id"), ("B1", "patient_id"), ("C1", "staff_role"), ("D1", "service_date"), ("E1", "minutes"),
                ("F1", "activity_type"), ("A2", entry), ("B2", "P1"), ("C2", "bhcm"), ("D2", "2025-02-03"), ("E2", "abc"),
                ("F2", "outreach")]

    book = workbook(tmp_path / "time_logs.xlsx", {"January": log("E1"), "February": log("E2")})
    db, out = str(tmp_path / "s.duckdb"), tmp_path / "q.csv"
    for sheet in ("January", "February"):
        assert CliRunner().invoke(cli, ["load", str(book), "--sheet", sheet, "--db", db]).exit_code == 0
    assert CliRunner().invoke(cli, ["quarantine", "--db", db, "--out", str(out)]).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["sheet"], r["line_number"]) for r in rows] == [("January", "2"), ("February", "2")]


def test_without_a_sheet_named_the_first_visible_one_is_read(tmp_path):
    """A hidden lookup sheet in front of the data: Excel opens on the data, and so does the loader."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Lookup": [("A1", "code"), ("A2", "x")], "Data": LOG})
    wb = openpyxl.load_workbook(path)
    wb["Lookup"].sheet_state = "hidden"
    wb.save(path)
    assert read_sheet(path).name == "Data"
    assert read_sheet(path, "Lookup").name == "Lookup", "a hidden sheet is still read when named"



def test_without_a_sheet_named_an_empty_sheet_in_front_of_the_data_is_passed_over(tmp_path):
    """A registry's workbook saved by Excel with an empty 'Sheet1' (or an instructions tab with
    nothing in it) before the data: the load and the draft refused the whole workbook ('sheet
    'Sheet1' is empty'). An empty sheet holds no records, so the first sheet with a cell filled is
    read; one named is still read, and refused, as it is."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Sheet1": [], "Data": LOG})
    assert read_sheet(path).name == "Data"
    with pytest.raises(FileRefused, match="sheet 'Sheet1' is empty; expected a header row"):
        read_sheet(path, "Sheet1")
    with pytest.raises(FileRefused, match="sheet 'Sheet1' is empty; expected a header row"):
        read_sheet(workbook(tmp_path / "empty.xlsx", {"Sheet1": [], "Sheet2": []}))


def test_a_cell_merged_down_over_records_reads_as_its_value_in_each_of_them(tmp_path):
    """A registry report merges a patient's MRN down over their visits: Excel shows CT-1 on rows
    3-5, and the reader gave rows 4 and 5 no patient, set aside as 'patient_id is empty but
    required' beside an MRN the steward can see. A cell merged down reads as its value in each
    row it covers, also on a sheet whose columns start at C. A merge across columns is left as
    Excel stores it (the value in its first cell): which column it belongs to is not known."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": [
        ("C2", "entry_id"), ("D2", "patient_id"), ("E2", "note"),
        ("C3", "E1"), ("D3", "CT-1"), ("C4", "E2"), ("C5", "E3"), ("C6", "E4"), ("D6", "CT-2"), ("D7", "CT-3"),
        ("E3", "no show"),
    ]})
    wb = openpyxl.load_workbook(path)
    wb["Log"].merge_cells("D3:D5")
    wb["Log"].merge_cells("D6:E6")
    wb.save(path)
    rows = read_sheet(path).rows.to_pylist()
    assert [(r["entry_id"], r["patient_id"], r["note"], r["_line"]) for r in rows] == [
        ("E1", "CT-1", "no show", 3), ("E2", "CT-1", None, 4), ("E3", "CT-1", None, 5), ("E4", "CT-2", None, 6),
        (None, "CT-3", None, 7)]


def test_a_merged_cell_fills_its_own_column_under_a_title_further_left_than_the_table(tmp_path):
    """A title in A1 over a table in columns B-D: the reader's columns start at B, where the
    table starts, and the merge of C4:C5 was placed by the title's column A, one column too far
    right: the second visit kept no patient and lost its note to the first visit's blank."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": [
        ("A1", "Lakeside time log, January"),
        ("B3", "entry_id"), ("C3", "patient_id"), ("D3", "note"),
        ("B4", "E1"), ("C4", "CT-1"), ("B5", "E2"), ("D5", "no show"),
    ]})
    wb = openpyxl.load_workbook(path)
    wb["Log"].merge_cells("C4:C5")
    wb.save(path)
    rows = read_sheet(path, expect=("entry_id", "patient_id")).rows.to_pylist()
    assert [(r["entry_id"], r["patient_id"], r["note"]) for r in rows] == [("E1", "CT-1", None), ("E2", "CT-1", "no show")]


def test_rows_hidden_in_the_sheet_are_read_and_named_in_the_load_summary(tmp_path):
    """A data manager hid two patients' rows in Excel (or filtered them out) before saving: the
    loader read them as any other row, and nothing said so. They are still read (leaving them out
    would drop records unseen), and the load line and meta.load_log's read_options name the hidden
    rows read, so someone can check they belong in the export. A hidden row with nothing in it is
    not a record and is not named."""
    import json

    from click.testing import CliRunner

    from bcm_analytics.cli import cli
    from bcm_analytics.warehouse.store import connect

    path = workbook(tmp_path / "patients.xlsx", {"Registry": [
        ("A1", "patient_id"), ("B1", "payer"), ("C1", "enrollment_date"),
        ("A2", "P1"), ("B2", "Medicare"), ("C2", "2025-01-06"),
        ("A3", "P2"), ("B3", "Medicare"), ("C3", "2025-01-07"),
        ("A4", "P3"), ("B4", "Medicaid"), ("C4", "2025-01-08"),
        ("A5", "P4"), ("B5", "Medicare"), ("C5", "2025-01-09"),
    ]})
    wb = openpyxl.load_workbook(path)
    for row in (3, 5, 7):
        wb["Registry"].row_dimensions[row].hidden = True
    wb.save(path)
    assert read_sheet(path).hidden_rows == (3, 5)
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(cli, ["load", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "read 4 = loaded 4 + quarantined 0 + duplicates 0" in result.output, "hidden rows are read and loaded"
    assert ("; 2 rows hidden in the sheet were read (rows 3, 5): hidden or filtered out in Excel; "
            "check they belong in the export") in result.output
    con = connect(db)
    [(options,)] = con.execute("SELECT read_options FROM meta.load_log").fetchall()
    assert json.loads(options)["hidden_rows"] == [3, 5]
    assert con.execute("SELECT patient_id FROM staging.patients ORDER BY 1").fetchall() == [("P1",), ("P2",), ("P3",), ("P4",)]
    con.close()


ERRORS = ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def test_an_error_cell_reads_as_its_error_not_as_an_empty_cell(tmp_path):
    """openpyxl stores these as error cells (t="e"), as Excel stores a formula that failed."""
    cells = [("A1", "entry_id"), ("B1", "staff_id")] + [c for i, e in enumerate(ERRORS, 2) for c in ((f"A{i}", f"E{i}"), (f"B{i}", e))]
    sheet = read_sheet(workbook(tmp_path / "time_logs.xlsx", {"Log": cells}))
    assert sheet.rows.column("staff_id").to_pylist() == ERRORS


def test_a_row_with_an_error_cell_is_set_aside_quoting_the_error(store, load_rows, tmp_path):
    """Minutes #DIV/0! read as 'minutes is empty but required', and a start time #VALUE! vanished
    and the row loaded without it."""
    from bcm_analytics.ingest import load_file

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    header = ["entry_id", "patient_id", "staff_role", "service_date", "minutes", "activity_type", "start_time"]
    rows = [header, ["E1", "P1", "bhcm", "2025-02-03", "#DIV/0!", "outreach", "09:00"],
            ["E2", "P1", "bhcm", "2025-02-03", 20, "outreach", "#VALUE!"], ["E3", "P1", "bhcm", "2025-02-03", 20, "outreach", "10:00"]]
    cells = [(f"{'ABCDEFG'[c]}{r + 1}", value) for r, row in enumerate(rows) for c, value in enumerate(row)]
    result = load_file(store, workbook(tmp_path / "time_logs.xlsx", {"Log": cells}))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert store.execute("SELECT line_number, reason FROM meta.quarantine ORDER BY line_number").fetchall() == [
        (2, "minutes '#DIV/0!' is not a duration (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)"),
        (3, "start_time '#VALUE!' is not a time of day (09:30, 09:30:15, 14:30:00.000, 9:30 AM, 9:30:15 AM, 2:30pm) "
            "or a date/time in a known format "
            "(2025-01-31 14:05, 2025-01-31T14:05:30, 2025-01-31 14:05:30.250, 01/31/2025 14:05, 01/31/2025 14:05:30, "
            "01/31/2025 2:05 PM, 01/31/2025 2:05:30 PM, 2025/01/31 14:05:30, 31.01.2025 14:05, "
            "31.01.2025 14:05:30, 2025-01-31T14:05:00Z, 2025-01-31 14:05-05:00, 2025-01-31T14:05:30.250+01:00, "
            "2025-01-31T14:05:30+0100, 2025-01-31 14:05:30-05, 45688.5 (an Excel serial day and time), "
            "Jan 31, 2025 2:05 PM, 31-Jan-2025 14:05)")]


@pytest.mark.parametrize("sheet", [None, "Log"])
def test_an_error_the_reader_cannot_read_refuses_the_sheet_in_one_line(tmp_path, sheet):
    """#SPILL! (Excel 365) fails the reader's whole sheet; with no sheet named, finding the first
    visible one crashed the load as a bug in bcm."""
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": [("A1", "entry_id"), ("B1", "minutes"), ("A2", "E1"), ("B2", "#SPILL!")]})
    wb = openpyxl.load_workbook(path)
    wb["Log"]["B2"].data_type = "e"  # an error cell, as Excel stores a formula whose result cannot spill
    wb.save(path)
    with pytest.raises(FileRefused, match=r"sheet 'Log' cannot be read \(.*Unsupported cell error value '#SPILL!'\)$"):
        read_sheet(path, sheet)


def test_a_spreadsheet_error_in_a_text_column_is_set_aside_as_one_not_as_a_missing_patient(store, load_rows, tmp_path):
    """#N/A as a patient id waited for a patient called '#N/A'; #REF! as an activity loaded as an
    activity nobody logs. A CSV saved from Excel carries the same text as a workbook's error cell."""
    from bcm_analytics.contracts.columns import SPREADSHEET_ERRORS
    from bcm_analytics.ingest import load_file
    from bcm_analytics.ingest.excel import EXCEL_ERRORS

    assert set(EXCEL_ERRORS.values()) <= set(SPREADSHEET_ERRORS), "what the reader shows is known as an error"
    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    (tmp_path / "time_logs.csv").write_text(
        "entry_id,patient_id,staff_role,service_date,minutes,activity_type\n"
        "E1,#N/A,bhcm,2025-02-03,20,outreach\nE2,P1,bhcm,2025-02-03,20,#REF!\nE3,P1,bhcm,2025-02-03,20,outreach\n"
        "#4,P1,bhcm,2025-02-03,20,outreach\n")  # an id that starts with # is an id
    result = load_file(store, tmp_path / "time_logs.csv")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    advice = " is a spreadsheet error (a formula that failed), not a value: correct the cell or its formula in the source and export again"
    rows = store.execute("SELECT line_number, reason FROM meta.quarantine ORDER BY line_number").fetchall()
    assert rows[0] == (2, "patient_id '#N/A'" + advice)
    assert rows[1][0] == 3 and rows[1][1].startswith("activity_type '#REF!'" + advice)


def test_a_number_shown_with_leading_zeros_reads_as_excel_shows_it(tmp_path):
    """An athenahealth patient list saved as .xlsx keeps its MRNs as numbers formatted 000000:
    Excel shows 000412, and the reader gave 412, so every time-log and claim line of the CSV
    exports (000412) waited for a patient 'written another way' and the steward was told to
    correct an export that was right. A number in a cell whose format pads it with zeros reads
    padded, as the text a person sees (also in a cell merged down over records); a number in
    another format, and text in a padded format, read as before."""
    path = workbook(tmp_path / "Patient_List.xlsx", {"Patient List": [
        ("A1", "CoCM Registry Patient List"), ("A3", "MRN"), ("B3", "Visits"), ("C3", "Payer"),
        ("A4", 412), ("B4", 7), ("C4", "MEDICARE PART B"),
        ("A5", 1027), ("B5", 12), ("C5", "MEDICAID OF OHIO"),
        ("A6", "00099A"), ("B6", 3), ("C6", "AETNA PPO"),
        ("A7", 1502), ("C7", "MEDICARE PART B"), ("A8", None), ("C8", "MEDICARE PART B"),
    ]})
    wb = openpyxl.load_workbook(path)
    sheet = wb["Patient List"]
    for ref in ("A4", "A5", "A6", "A7"):
        sheet[ref].number_format = "000000"
    sheet["B4"].number_format = "0.00"
    sheet.merge_cells("A7:A8")
    wb.save(path)
    rows = read_sheet(path, expect=("mrn", "payer")).rows.to_pylist()
    assert [(r["MRN"], r["Visits"], r["_line"]) for r in rows] == [
        ("000412", "7", 4), ("001027", "12", 5), ("00099A", "3", 6), ("001502", None, 7), ("001502", None, 8)]


def test_title_rows_above_a_sheets_column_names_are_named_in_the_load_summary(store, tmp_path):
    """A registry report saved as a workbook starts with its title and a printed-on row: the
    loader passed them over without a word, where a CSV's title lines are named in the load line
    ('column names on line 4 (lines 1-3 above them passed over)'). A sheet's are named so too,
    by row and sheet, and meta.load_log's read_options keep the header row, as a CSV's header
    line. A sheet whose column names are on its first row says nothing of the kind."""
    import json

    from bcm_analytics.cli.data import summary_line
    from bcm_analytics.ingest import load_file

    header = [("A4", "patient_id"), ("B4", "payer"), ("C4", "enrollment_date")]
    records = [("A5", "P1"), ("B5", "Medicare"), ("C5", "2025-01-06"), ("A6", "P2"), ("B6", "Medicare"), ("C6", "someday")]
    path = workbook(tmp_path / "patients.xlsx", {"Registry": [("A1", "Lakeside registry"), ("A2", "Printed 2025-02-01 by J. Admin")]
                                                 + header + records})
    result = load_file(store, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.header_line) == (2, 1, 1, 4) and result.adds_up
    assert store.execute("SELECT line_number FROM meta.quarantine").fetchall() == [(6,)]
    [(options,)] = store.execute("SELECT read_options FROM meta.load_log WHERE load_id = ?", [result.load_id]).fetchall()
    assert json.loads(options)["header_line"] == 4
    line = summary_line(path, result)
    assert line.startswith(f"{path}: patients: read 2 = loaded 1 + quarantined 1 + duplicates 0")
    assert line.endswith("; column names on row 4 of sheet 'Registry' (rows 1-3 above them passed over)")

    plain = workbook(tmp_path / "patients_2.xlsx", {"Registry": [(c[0] + str(int(c[1:]) - 3), v) for c, v in header + records[:3]]})
    result = load_file(store, plain)
    assert (result.rows_read, result.header_line) == (1, 1) and "passed over" not in summary_line(plain, result)


def test_a_duration_cell_of_four_hours_or_more_is_that_many_minutes(store, load_rows, tmp_path):
    """A duration cell ([h]:mm:ss) of 8 h 16 min, shown 8:16:00: the reader gives it as the time
    08:16 on Excel's day 0, which was set aside as minutes that may be minutes:seconds, and its
    reason asked for HH:MM:SS, which the cell shows. An elapsed-time cell reads as the duration it
    shows, also past a day (30:00:00, set aside as more than a day), and a time-of-day cell of
    8:16 is still set aside as the text 8:16 is."""
    from bcm_analytics.ingest import load_file

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    cells = [("A1", "entry_id"), ("B1", "patient_id"), ("C1", "staff_role"), ("D1", "service_date"), ("E1", "minutes"),
             ("F1", "activity_type")]
    for row, (entry, minutes) in enumerate([("E1", dt.timedelta(hours=8, minutes=16)), ("E2", dt.timedelta(hours=30)),
                                            ("E3", dt.time(8, 16))], start=2):
        cells += [(f"A{row}", entry), (f"B{row}", "P1"), (f"C{row}", "bhcm"), (f"D{row}", dt.date(2025, 2, 26)), (f"E{row}", minutes),
                  (f"F{row}", "outreach")]
    path = workbook(tmp_path / "time_logs.xlsx", {"Log": cells})
    assert read_sheet(path).rows.column("minutes").to_pylist() == ["08:16:00", "30:00:00", "08:16"]
    result = load_file(store, path)
    assert store.execute("SELECT entry_id, minutes FROM staging.time_logs").fetchall() == [("E1", 496.0)]
    assert [line for (line,) in store.execute("SELECT line_number FROM meta.quarantine WHERE load_id = ? ORDER BY 1",
                                             [result.load_id]).fetchall()] == [3, 4]


def test_a_1904_workbooks_times_and_durations_read_as_in_any_other(store, load_rows, tmp_path):
    """A workbook in the 1904 date system (Excel for Mac before 2011, and those saved from it):
    the reader places its dates, but its day 0 is 1 January 1904, so a duration cell ([h]:mm:ss)
    of 30 minutes read as 35,064 hours 30 minutes (set aside as more than a day) and a time cell
    of 0:45 as the date-time 1904-01-01 00:45 (set aside as unreadable minutes). Both read as a
    1900 workbook's do, and a start time of day stands on its service date."""
    from bcm_analytics.ingest import load_file

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    cells = [("A1", "entry_id"), ("B1", "patient_id"), ("C1", "staff_role"), ("D1", "service_date"), ("E1", "minutes"),
             ("F1", "activity_type"), ("G1", "start_time")]
    for row, (entry, minutes) in enumerate([("E1", dt.timedelta(minutes=30)), ("E2", dt.time(0, 45)),
                                            ("E3", dt.timedelta(hours=8, minutes=16))], start=2):
        cells += [(f"A{row}", entry), (f"B{row}", "P1"), (f"C{row}", "bhcm"), (f"D{row}", dt.date(2025, 2, 26)), (f"E{row}", minutes),
                  (f"F{row}", "outreach"), (f"G{row}", dt.time(8 + row, 57))]
    (tmp_path / "mac").mkdir()
    mac = read_sheet(workbook(tmp_path / "mac" / "time_logs.xlsx", {"Log": cells}, date_1904=True))
    other = read_sheet(workbook(tmp_path / "time_logs.xlsx", {"Log": cells}))
    assert mac.rows.column("minutes").to_pylist() == ["00:30:00", "00:45", "08:16:00"]
    assert mac.rows.drop_columns(["_line"]).to_pylist() == other.rows.drop_columns(["_line"]).to_pylist()
    result = load_file(store, mac.path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    assert store.execute("SELECT entry_id, CAST(start_time_local AS VARCHAR), minutes FROM staging.time_logs ORDER BY 1").fetchall() == [
        ("E1", "2025-02-26 10:57:00", 30.0), ("E2", "2025-02-26 11:57:00", 45.0), ("E3", "2025-02-26 12:57:00", 496.0)]
