"""Property-based: the invariants test_hostile_properties checks for CSV dialects, for the two
other kinds of export, a workbook and a Parquet file, whose cells and columns carry types.

For any mix of valid and broken time-log (and, in a workbook, assessment) rows, written as Excel
writes cells (dates as date cells, text or serial numbers; minutes and scores as numbers, text,
times, durations, error cells; title rows, blank rows, a totals row, another sheet) or as pyarrow writes columns (strings, dictionary-encoded
strings, ints, floats, dates, timestamps with and without a zone, durations, nulls): every row is
loaded, quarantined on its own sheet row or Parquet row, or a duplicate; the summary adds up; no
valid row is quarantined and each broken one is; loading the file again changes nothing. A file
that cannot be read at all is refused in one line and leaves the store as it was.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hostile.helpers import fingerprint
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from bcm_analytics.ingest import FileRefused, load_file
from bcm_analytics.warehouse import connect

HEADER = ["entry_id", "patient_id", "staff_id", "staff_role", "service_date", "minutes", "activity_type"]
ROLES = ["bhcm", "psychiatric_consultant", "treating_practitioner", "other"]
ACTIVITIES = ["outreach", "assessment", "follow_up_contact", "care_coordination", "caseload_review", "administrative", "psychotherapy"]
DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 6, 30))
EXCEL_EPOCH = dt.date(1899, 12, 30)
# No shrinking: each example loads a file, and shrinking a failure re-loads hundreds of them
# (minutes on a shared CI machine); the failing example is printed whole, with its layout.
PHASES = (Phase.explicit, Phase.generate)


@dataclass
class Row:
    cells: dict  # column -> value as the writer is given it; entry_id is the row's place in the export
    kind: str  # valid | broken | duplicate
    why: str = ""  # the break, for a failing example's message


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """One store for every example of the module: a store's first load costs a second (its
    macros), which per example would not fit the time. Each example loads a file of its own name
    whose entry ids no other example writes, so what it checks is its own load."""
    con = connect(":memory:", timezone="America/New_York")
    load_file(con, write_patients(tmp_path_factory.mktemp("patients")))
    yield con
    con.close()


EXAMPLES = itertools.count(1)


def write_patients(folder: Path) -> Path:
    patients = folder / "patients.csv"
    patients.write_text("patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\nP2,Medicaid,2024-01-01\n")
    return patients


def check_invariants(con, path: Path, rows: list[Row], lines: dict[int, int], context, totals: int = 0,
                     table: str = "time_logs", key: str = "entry_id") -> None:
    """Load `path` and check every invariant: rows[i] (whose `key` is now as the store keeps it)
    is on source line lines[i], and below them are `totals` totals rows, read and passed over."""
    result = load_file(con, path)
    assert not result.already_loaded, "each example's file is its own (the store is shared)"
    assert (result.rows_read, result.rows_passed_over) == (len(rows) + totals, totals), (result, context)
    assert result.adds_up, (result, context)
    stored = dict(con.execute(f"SELECT {key}, _line FROM staging.{table} WHERE _load_id = ?", [result.load_id]).fetchall())
    quarantined = dict(con.execute(
        "SELECT line_number, reason FROM meta.quarantine WHERE load_id = ? AND status <> 'passed_over'", [result.load_id]).fetchall())
    for i, row in enumerate(rows):
        if row.kind == "valid":
            assert stored.get(row.cells[key]) == lines[i], (row, quarantined.get(lines[i]), context)
        elif row.kind == "broken":
            assert lines[i] in quarantined, (row, context)
            assert quarantined[lines[i]].strip(), (row, context)
    assert set(quarantined) == {lines[i] for i, r in enumerate(rows) if r.kind == "broken"}, (quarantined, context)
    assert result.rows_duplicate == sum(r.kind == "duplicate" for r in rows), (result, context)
    before = fingerprint(con)
    assert load_file(con, path).already_loaded
    assert fingerprint(con) == before


def copy_of_a_valid_row(draw, rows: list[Row]) -> Row | None:
    earlier = [r for r in rows if r.kind == "valid"]
    return Row(dict(draw(st.sampled_from(earlier)).cells), "duplicate") if earlier else None


# --- Excel ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    """A table's export as a sheet: its columns (its key first), a valid row's other cells, and
    the breaks of one cell each."""

    table: str
    header: list[str]
    cells: st.SearchStrategy
    breaks: dict


def excel_dates(day: dt.date):
    """A valid date as a cell: a date cell, a date-time cell at midnight, text in the spellings
    the loader reads, or the serial number Excel keeps under a date."""
    serial = (day - EXCEL_EPOCH).days
    return st.sampled_from([day, dt.datetime.combine(day, dt.time()), day.isoformat(), day.strftime("%m/%d/%Y"),
                            day.strftime("%b %d, %Y"), serial, float(serial)])


excel_minutes = st.one_of(
    st.integers(1, 1440), st.decimals("0.5", "600", places=1).map(float), st.integers(1, 600).map(str),
    st.builds(dt.time, st.integers(0, 3), st.integers(0, 59)).filter(lambda t: t != dt.time(0, 0)),
    st.integers(1, 600).map(lambda m: dt.timedelta(minutes=m)),
)

EXCEL_BREAKS = {  # one broken cell per kind (column, value): each fails a reject-level check
    "minutes not a number": ("minutes", "abc"),
    "negative minutes": ("minutes", -5),
    "more than a day": ("minutes", 2000),
    "no minutes": ("minutes", None),
    "minutes #N/A": ("minutes", "#N/A"),
    "minutes #VALUE!": ("minutes", "#VALUE!"),
    "minutes typed 20:00": ("minutes", dt.time(20, 0)),
    "no such date": ("service_date", "2025-02-30"),
    "future date cell": ("service_date", dt.date(2999, 1, 1)),
    "date #REF!": ("service_date", "#REF!"),
    "2-digit year": ("service_date", "1/31/25"),
    "unknown activity": ("activity_type", "peer_support_group"),
    "unknown role": ("staff_role", "boss"),
    "patient #N/A": ("patient_id", "#N/A"),
    "no patient": ("patient_id", None),
}


TIME_LOGS = Export("time_logs", HEADER, st.fixed_dictionaries({
    "patient_id": st.sampled_from(["P1", "P2"]), "staff_id": st.sampled_from(["S1", None]), "staff_role": st.sampled_from(ROLES),
    "service_date": DAYS.flatmap(excel_dates), "minutes": excel_minutes, "activity_type": st.sampled_from(ACTIVITIES)}), EXCEL_BREAKS)

TOP_SCORE = {"PHQ-9": 27, "GAD-7": 21, "PHQ-2": 6}


@st.composite
def assessment_cells(draw) -> dict:
    """A valid score: a PHQ-2's two answers, when given, add up to its total; two of a PHQ-9's
    nine answers (a GAD-7's seven) fit it: no more than the total, and the seven (five) missing,
    at most 3 each, can make up the rest."""
    instrument = draw(st.sampled_from(sorted(TOP_SCORE)))
    score = draw(st.integers(0, TOP_SCORE[instrument]))
    if instrument == "PHQ-2":
        answers = (min(score, 3), score - min(score, 3))
    else:
        first = draw(st.integers(0, min(3, score)))
        answers = (first, draw(st.integers(0, min(3, score - first))))
        if score - sum(answers) > 3 * (TOP_SCORE[instrument] // 3 - 2):
            answers = (min(score, 3), min(score - min(score, 3), 3))
    if draw(st.booleans()):
        answers = (None, None)
    return {"patient_id": draw(st.sampled_from(["P1", "P2"])), "instrument": instrument,
            "administered_on": draw(st.one_of(DAYS.flatmap(excel_dates), st.builds(dt.datetime.combine, DAYS, st.times()))),
            "total_score": draw(st.sampled_from([score, float(score), str(score)])),
            "item_1": answers[0], "item_2": draw(st.sampled_from([answers[1], str(answers[1])])) if answers[1] is not None else None}


ASSESSMENTS = Export(
    "assessments", ["assessment_id", "patient_id", "instrument", "administered_on", "total_score", "item_1", "item_2"],
    assessment_cells(),
    {
        "score over the instrument's top": ("total_score", 28),
        "score not a number": ("total_score", "abc"),
        "score #N/A": ("total_score", "#N/A"),
        "no score": ("total_score", None),
        "unknown instrument": ("instrument", "XYZ"),
        "future date cell": ("administered_on", dt.date(2999, 1, 1)),
        "no such date": ("administered_on", "2025-02-30"),
        "item answered 4": ("item_1", 4),
        "no patient": ("patient_id", None),
    })


@st.composite
def excel_rows(draw, export: Export) -> list[Row]:
    rows: list[Row] = []
    for i in range(draw(st.integers(0, 20))):
        cells = {export.header[0]: i, **draw(export.cells)}
        row = Row(cells, draw(st.sampled_from(["valid", "valid", "valid", "broken", "duplicate"])))
        if row.kind == "broken":
            row.why = draw(st.sampled_from(sorted(export.breaks)))
            column, value = export.breaks[row.why]
            row.cells[column] = value
        if row.kind == "duplicate":
            row = copy_of_a_valid_row(draw, rows) or Row(cells, "valid")
        rows.append(row)
    return rows


@st.composite
def workbooks(draw):
    export = draw(st.sampled_from([TIME_LOGS, ASSESSMENTS]))
    layout = {
        "titles": draw(st.integers(0, 2)),  # title rows above the column names
        "blanks": draw(st.lists(st.integers(0, 20), max_size=3)),  # a blank row before these records
        "totals": draw(st.booleans()),  # a totals row below the records
        "other_sheet": draw(st.sampled_from([None, "after", "hidden before"])),
    }
    return export, draw(excel_rows(export)), layout


def write_workbook(path: Path, export: Export, rows: list[Row], layout: dict, example: int) -> dict[int, int]:
    """Write the sheet as a person's export looks; returns {row index: sheet row}, and sets each
    row's key to the text written."""
    key = export.header[0]
    for row in rows:
        row.cells = {**row.cells, key: f"X{example}-{row.cells[key]}"}
    wb = openpyxl.Workbook()
    wb.properties.title = f"example {example}"  # two examples without rows would be one file
    ws = wb.active
    ws.title = "Log"
    for t in range(layout["titles"]):
        ws.append([f"Lakeside {export.table}, part {t + 1}"])
    ws.append(export.header)
    lines = {}
    for i, row in enumerate(rows):
        if i in layout["blanks"]:
            ws.append([])
        ws.append([row.cells[c] for c in export.header])
        lines[i] = ws.max_row
    if layout["totals"]:
        ws.append(["Total"] + [None] * (len(export.header) - 2) + [len(rows)])
    if layout["other_sheet"]:
        other = wb.create_sheet("Lookup", 0 if layout["other_sheet"] == "hidden before" else None)
        other.append(["code", "meaning"])
        other.append(["bhcm", "behavioral health care manager"])
        other.sheet_state = "hidden" if layout["other_sheet"] == "hidden before" else "visible"
    wb.save(path)
    return lines


@settings(max_examples=25, deadline=None, derandomize=True, phases=PHASES)
@given(workbooks())
def test_every_sheet_row_is_accounted_for_on_its_own_row(con, book):
    export, rows, layout = book
    example = next(EXAMPLES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{export.table}_{example}.xlsx"
        lines = write_workbook(path, export, rows, layout, example)
        check_invariants(con, path, rows, lines, layout, totals=int(layout["totals"]), table=export.table, key=export.header[0])


# --- Parquet ----------------------------------------------------------------------------------

def as_dates(days: list[dt.date | None], kind: str) -> pa.Array:
    """Service dates as a column of one type; a zoned timestamp is at 17:00 UTC (noon or 1 pm in
    New York), the same day in the program's zone and in UTC."""
    def each(f):
        return [None if d is None else f(d) for d in days]
    if kind == "date32":
        return pa.array(days, pa.date32())
    if kind == "iso text":
        return pa.array(each(dt.date.isoformat), pa.string())
    if kind == "us text, dictionary":
        return pa.array(each(lambda d: d.strftime("%m/%d/%Y")), pa.string()).dictionary_encode()
    if kind.startswith("timestamp in "):
        return pa.array(each(lambda d: dt.datetime.combine(d, dt.time())), pa.timestamp(kind.removeprefix("timestamp in ")))
    if kind.startswith("timestamp with zone"):
        noon = each(lambda d: dt.datetime.combine(d, dt.time(17), tzinfo=dt.UTC))
        return pa.array(noon, pa.timestamp("ms", tz=kind.removeprefix("timestamp with zone ")))
    if kind == "excel serial":
        return pa.array(each(lambda d: (d - EXCEL_EPOCH).days), pa.int64())
    raise ValueError(kind)


def as_minutes(minutes: list[float | str | None], kind: str) -> pa.Array:
    if kind == "int64":
        return pa.array([None if m is None else int(m) for m in minutes], pa.int64())
    if kind == "int32":
        return pa.array([None if m is None else int(m) for m in minutes], pa.int32())
    if kind == "float64":
        return pa.array(minutes, pa.float64())
    if kind == "text":
        return pa.array([m if m is None or isinstance(m, str) else f"{m:g}" for m in minutes], pa.string())
    unit = kind.removeprefix("duration ")
    per_minute = {"s": 60, "ms": 60_000, "us": 60_000_000, "ns": 60_000_000_000}[unit]
    return pa.array([None if m is None else int(m * per_minute) for m in minutes], pa.duration(unit))


def as_text(values: list[str | None], kind: str) -> pa.Array:
    column = pa.array(values, pa.large_string() if kind == "large" else pa.string())
    return column.dictionary_encode() if kind == "dictionary" else column


PARQUET_BREAKS = {  # (column, value, the column types it can be written in: None for all)
    "negative minutes": ("minutes", -5, None),
    "more than a day": ("minutes", 2000, None),
    "no minutes": ("minutes", None, None),
    "minutes not a number": ("minutes", "abc", {"text"}),
    "no date": ("service_date", None, None),
    "future date": ("service_date", dt.date(2999, 1, 1), None),
    "unknown activity": ("activity_type", "peer_support_group", None),
    "unknown role": ("staff_role", "boss", None),
    "unknown patient": ("patient_id", "P404", None),
    "no patient": ("patient_id", None, None),
}


@st.composite
def parquet_exports(draw):
    types = {
        "entry_id": draw(st.sampled_from(["string", "large", "int64", "float64"])),
        "text": draw(st.sampled_from(["string", "large", "dictionary"])),
        "service_date": draw(st.sampled_from(["date32", "iso text", "us text, dictionary", "timestamp in us", "timestamp in ms",
                                              "timestamp with zone America/New_York", "timestamp with zone UTC", "excel serial"])),
        "minutes": draw(st.sampled_from(["int64", "int32", "float64", "text", "duration s", "duration ms", "duration us",
                                         "duration ns"])),
        "staff_id": draw(st.sampled_from(["string", "all null", "null type"])),
    }
    whole = types["minutes"] in {"int64", "int32", "duration s"}
    minutes = st.integers(1, 1440) if whole else st.one_of(st.integers(1, 1440), st.decimals("0.5", "600", places=1).map(float))
    rows: list[Row] = []
    for i in range(draw(st.integers(0, 25))):
        cells = {"entry_id": i, "patient_id": draw(st.sampled_from(["P1", "P2"])), "staff_id": draw(st.sampled_from(["S1", "S2"])),
                 "staff_role": draw(st.sampled_from(ROLES)), "service_date": draw(DAYS), "minutes": draw(minutes),
                 "activity_type": draw(st.sampled_from(ACTIVITIES))}
        row = Row(cells, draw(st.sampled_from(["valid", "valid", "valid", "broken", "duplicate"])))
        if row.kind == "broken":
            fits = [k for k, (c, _, kinds) in PARQUET_BREAKS.items() if kinds is None or types[c] in kinds]
            row.why = draw(st.sampled_from(sorted(fits)))
            column, value, _ = PARQUET_BREAKS[row.why]
            row.cells[column] = value
        if row.kind == "duplicate":
            row = copy_of_a_valid_row(draw, rows) or Row(cells, "valid")
        rows.append(row)
    return rows, types


def write_parquet(path: Path, rows: list[Row], types: dict, example: int) -> dict[int, int]:
    """Write the rows as typed columns; returns {row index: its row number (from 1)}, and sets
    each row's entry_id to the text the loader stores."""
    column = {c: [r.cells[c] for r in rows] for c in HEADER}
    ids = [example * 1000 + n for n in column["entry_id"]]
    entry_ids = (pa.array(ids, pa.int64()) if types["entry_id"] == "int64" else pa.array(ids, pa.float64()) if types["entry_id"] == "float64"
                 else as_text([f"E{n}" for n in ids], types["entry_id"]))
    for row, entry_id in zip(rows, entry_ids.to_pylist()):  # a whole float id reads as the whole number (24001.0 is 24001)
        row.cells = {**row.cells, "entry_id": str(int(entry_id)) if isinstance(entry_id, float) and entry_id.is_integer() else str(entry_id)}
    staff = {"string": pa.array(column["staff_id"], pa.string()), "all null": pa.array([None] * len(rows), pa.string()),
             "null type": pa.nulls(len(rows))}[types["staff_id"]]
    table = pa.table({
        "entry_id": entry_ids,
        "patient_id": as_text(column["patient_id"], types["text"]),
        "staff_id": staff,
        "staff_role": as_text(column["staff_role"], types["text"]),
        "service_date": as_dates(column["service_date"], types["service_date"]),
        "minutes": as_minutes(column["minutes"], types["minutes"]),
        "activity_type": as_text(column["activity_type"], types["text"]),
    })
    pq.write_table(table.replace_schema_metadata({"example": str(example)}), path)  # two examples without rows would be one file
    return {i: i + 1 for i in range(len(rows))}


@settings(max_examples=25, deadline=None, derandomize=True, phases=PHASES)
@given(parquet_exports())
def test_every_parquet_row_is_accounted_for_on_its_own_row(con, export):
    rows, types = export
    example = next(EXAMPLES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"time_logs_{example}.parquet"
        lines = write_parquet(path, rows, types, example)
        check_invariants(con, path, rows, lines, types)


# --- files refused whole ----------------------------------------------------------------------

def whole_workbook(path: Path) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for n in range(300):
        wb.active.append([f"E{n}", "P1", "S1", "bhcm", dt.date(2025, 2, 3), 30, "outreach"])
    wb.save(path)
    return path.read_bytes()


def whole_parquet(path: Path) -> bytes:
    pq.write_table(pa.table({c: [f"{c}{n}" for n in range(300)] for c in HEADER}), path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def whole_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("whole")
    return {".xlsx": whole_workbook(folder / "w.xlsx"), ".parquet": whole_parquet(folder / "w.parquet")}


@settings(max_examples=12, deadline=None, derandomize=True, phases=PHASES)
@given(suffix=st.sampled_from([".xlsx", ".parquet"]), fraction=st.floats(0, 0.999))
def test_a_file_cut_short_anywhere_is_refused_in_one_line_leaving_the_store_as_it_was(con, whole_files, suffix, fraction):
    whole = whole_files[suffix]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"time_logs_{next(EXAMPLES)}{suffix}"
        path.write_bytes(whole[: int(len(whole) * fraction)])
        before = fingerprint(con)
        with pytest.raises(FileRefused) as refused:
            load_file(con, path)
    assert "\n" not in str(refused.value) and "Traceback" not in str(refused.value)
    assert refused.value.problem.startswith(f"not a readable {'.xlsx workbook' if suffix == '.xlsx' else 'Parquet file'}: ")
    assert fingerprint(con) == before


def empty_workbook(path: Path) -> None:
    import xlsxwriter

    xlsxwriter.Workbook(str(path)).close()


def text_under_a_parquet_name(path: Path) -> None:
    path.write_text(",".join(HEADER) + "\nE1,P1,S1,bhcm,2025-02-03,30,outreach\n")


def protected_workbook(path: Path) -> None:
    """Encrypted with the password 'secret' by msoffcrypto-tool (OOXMLFile.encrypt), as Excel's
    Encrypt with Password does: not a dependency, so the workbook is kept as a fixture."""
    path.write_bytes((Path(__file__).parent / "fixtures" / "workbooks" / "time_logs_protected.xlsx").read_bytes())


@pytest.mark.parametrize("name, write, says", [
    ("time_logs.xlsx", empty_workbook, "refused: sheet 'Sheet1' is empty; expected a header row with column names"),
    ("time_logs.parquet", text_under_a_parquet_name, "refused: not a readable Parquet file: it holds text, not Parquet"),
    ("time_logs.xlsx", protected_workbook, "refused: not a readable .xlsx workbook: it is protected with a password"),
])
def test_an_unreadable_export_is_refused_on_one_line_of_the_load_and_the_store_is_unchanged(tmp_path, name, write, says):
    from hostile.helpers import store_fingerprint

    from bcm_analytics.cli import cli

    db = tmp_path / "s.duckdb"
    setup = connect(db, timezone="America/New_York")
    load_file(setup, write_patients(tmp_path))
    setup.close()
    write(tmp_path / name)
    before = store_fingerprint(db)
    result = CliRunner().invoke(cli, ["load", str(tmp_path / name), "--db", str(db)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith(f"{tmp_path / name}: ")]
    assert says in line
    assert store_fingerprint(db) == before
