"""Read one sheet of an .xlsx workbook as text columns, numbered by the sheet's own rows.

A clinic's time log kept in Excel loads like its CSV would: fastexcel (polars' calamine engine,
a Rust reader: no Excel, no LibreOffice, and far faster than openpyxl) lists the sheets, finds
the header row and reads the sheet into Arrow; every cell becomes the text a person sees, date
cells as ISO dates and error cells as their error (#N/A), and each row keeps the row number
Excel shows, so a quarantined row can be found in the sheet. What the reader does not report
(merged cells, hidden rows) comes from one scan of the sheet's XML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bcm_analytics.ingest.readers import (
    CUT_SHORT,
    EMPTY_FILE,
    LOCK_FILE,
    FileRefused,
    is_binary,
    refuse_a_row_of_values,
    repeated_column,
)

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
OLD_EXCEL_SUFFIXES = {".xls", ".xlsb", ".ods"}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(\.0+)?$")


@dataclass(frozen=True)
class DateSystem:
    """Excel's day 0 as the reader shows it, by the workbook's date system. A cell holding a time
    of day or a duration alone (08:57, [h]:mm 1:30) is a date-time on day 0: it is the time alone
    (`time_only`); one with no seconds is shown as Excel's h:mm shows it (20:00: `minute_only`): a
    care manager's 20:00 typed into a minutes cell becomes the time 20:00, which as 20:00:00 would
    read as 1,200 minutes, where the text 20:00 is set aside as minutes or hours. An elapsed-time
    cell is `seconds` (day 0's midnight since 1970) before its duration."""

    day_zero: str  # a pattern of day 0's date as the reader writes it
    seconds: int

    @property
    def time_only(self) -> str:
        return rf"^{self.day_zero}[ T](\d{{2}}:\d{{2}}:\d{{2}})(\.0+)?$"

    @property
    def minute_only(self) -> str:
        return rf"^{self.day_zero}[ T](\d{{2}}:\d{{2}}):00(\.0+)?$"


# The 1900 system, Excel's default, day 0 shown as 1899-12-31 (or 1899-12-30); the 1904 system of
# workbooks from Excel for Mac before 2011 (and of those saved from them since), day 0 1904-01-01.
# The reader places dates by the workbook's system: only time and duration cells need it here.
SYSTEM_1900 = DateSystem(r"1899-12-3[01]", int(dt.datetime(1899, 12, 31, tzinfo=dt.UTC).timestamp()))
SYSTEM_1904 = DateSystem(r"1904-01-01", int(dt.datetime(1904, 1, 1, tzinfo=dt.UTC).timestamp()))
# What Excel shows in a cell whose formula failed, by the name the reader gives the error.
EXCEL_ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!", "Ref": "#REF!",
                "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}


def is_excel(path: str | Path) -> bool:
    return Path(path).suffix.lower() in EXCEL_SUFFIXES | OLD_EXCEL_SUFFIXES


@dataclass(frozen=True)
class Sheet:
    """A sheet's cells as text: `rows` has one string column per header cell (names as written
    in the sheet) and `_line`, the sheet's row number (the header row is `header_row`)."""

    path: Path
    name: str
    rows: pa.Table
    header: tuple[str, ...]
    header_row: int
    sha256: str
    hidden_rows: tuple[int, ...] = ()  # sheet rows of the records read that are hidden in Excel (or filtered out)


def read_sheet(path: str | Path, sheet: str | None = None, expect: tuple[str, ...] = ()) -> Sheet:
    """The first visible sheet (or the one named), whole; FileRefused with one line if it cannot be read.

    The header is the first row holding every name in `expect` (compared as lower-case words
    joined by _), so a title or a note above the column names is passed over; without
    `expect`, the first of the rows with the most cells filled; when no row has them all, the
    first row with a value."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused(path, "no such file")
    if path.suffix.lower() in OLD_EXCEL_SUFFIXES:
        raise FileRefused(path, f"'{path.suffix}' workbooks are not read; save the sheet as .xlsx (or CSV) and load that")
    import fastexcel  # imported here: only Excel loads pay for it

    try:
        book = fastexcel.read_excel(str(path))
    except Exception as e:  # fastexcel raises its own error types for every unreadable workbook
        raise FileRefused(path, f"not a readable .xlsx workbook: {_unreadable(path, e)}") from None
    names, probe = book.sheet_names, None
    if sheet is None:
        name, probe = _first_visible(path, book, names)
    else:
        name = next((n for n in names if n == sheet), None) or next((n for n in names if n.lower() == sheet.lower()), None)
        if name is None:
            raise FileRefused(path, f"no sheet named '{sheet}'; sheets: {', '.join(names)}")
    if name is None:
        raise FileRefused(path, "the workbook has no sheets")
    first_row = first_used_row(path, name)
    if first_row is None:
        raise FileRefused(path, f"sheet '{name}' is empty; expected a header row with column names")
    try:
        probe = probe if probe is not None else _top_rows(book, name)[1]
        skip = _header_index(probe, expect)
        # header_row counts from the sheet's first row, the probe from its first used row
        table, first_column = _records(book, name, first_row - 1 + skip)
    except Exception as e:  # fastexcel's own error types
        raise FileRefused(path, f"sheet '{name}' cannot be read ({_first_line(e)})") from None
    header = tuple(table.column_names)
    header_row = first_row + skip
    if not any(not h.startswith("__UNNAMED__") for h in header):
        raise FileRefused(path, f"sheet '{name}': row {header_row} holds no column names")
    if repeated := _repeated_name(probe[skip]):
        refuse_a_row_of_values(path, header, f"sheet '{name}': row {header_row}")
        raise FileRefused(path, f"sheet '{name}': duplicate column '{repeated}' in the header (row {header_row})")
    merged, hidden, padded, elapsed = _sheet_marks(path, name)
    system = _date_system(path)
    columns = _as_durations([table.column(i) for i in range(table.num_columns)], first_column, header_row, elapsed, system)
    columns = [_as_text(column, system) for column in columns]
    columns = _fill_merged_down(_pad_with_zeros(columns, first_column, header_row, padded), first_column, header_row, merged)
    lines = pa.array(range(header_row + 1, header_row + 1 + table.num_rows), pa.int64())
    rows = pa.table(columns + [lines], names=[*header, "_line"])
    rows = rows.filter(_not_blank(rows, header))
    return Sheet(path, name, rows, header, header_row, _sha256(path, name), _hidden_records(rows, hidden))


def _top_rows(book, name: str, probe_rows: int = 30) -> tuple[str, list[dict]]:
    """Whether the sheet is hidden (_first_visible), and its first rows from its first used row
    as the reader shows them without a header: where the header is looked for (_header_index,
    _repeated_name). The reader parses the whole sheet to load any of it (about 0.5 s for
    200,000 rows), so these are loaded once for all three, and the records once more (_records)."""
    sheet = book.load_sheet(name, header_row=None, n_rows=probe_rows, dtypes="string")
    return sheet.visible, sheet.to_arrow().to_pylist()


def _records(book, name: str, header_row: int) -> tuple[pa.Table, int]:
    """The sheet from its header row (0-based, counted from the sheet's first row) with each
    error cell's error, and the sheet column (1-based) where its columns start, which a title
    further left does not move (_fill_merged_down). The reader's copy of the sheet is let go on
    return: it is as large again as the table."""
    sheet = book.load_sheet(name, header_row=header_row, dtypes="string")
    first_column = min((c.absolute_index for c in sheet.selected_columns), default=0) + 1
    return _with_errors(*sheet.to_arrow_with_errors()), first_column


def _header_index(probe: list[dict], expect: tuple[str, ...]) -> int:
    """Rows below the first used row where the header is (`probe`, _top_rows): the first with
    every expected name; with none expected (a draft, which does not know the columns yet), the
    first of the rows with the most cells filled, as for a CSV, so a title above the column names
    is passed over (the draft read the title as the one column and refused the sheet)."""
    wanted = {_word(e) for e in expect}
    if not wanted:
        filled = [sum(1 for v in row.values() if v) for row in probe]
        return max(range(len(filled)), key=lambda i: (filled[i], -i), default=0)
    for i, row in enumerate(probe):
        if wanted <= {_word(v) for v in row.values() if v}:
            return i
    return 0


# A compound (OLE) file: what Excel writes for a workbook saved with a password (the .xlsx
# encrypted whole, in a stream named EncryptedPackage) and for an Excel 97-2003 .xls workbook.
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _ole_workbook(path: Path) -> str:
    """Which of the two a compound file under an .xlsx name is: both were refused as 'not an
    Excel workbook (... Could not find EOCD)', which a person holding the workbook Excel opens
    with its password cannot act on."""
    with open(path, "rb") as f:
        encrypted = ENCRYPTED_PACKAGE in f.read(1 << 24)
    if encrypted:
        return ("it is protected with a password (Excel encrypts such a workbook whole); "
                "open it in Excel and save a copy without the password (File > Info > Protect Workbook > Encrypt with Password, cleared)")
    return "it is an Excel 97-2003 workbook (.xls) under an .xlsx name; open it in Excel and save it as .xlsx"


def _unreadable(path: Path, error: Exception) -> str:
    """What is wrong with a workbook the reader could not open, as the person who exported it can
    act on it: an .xlsx is a zip archive, so one that starts like a zip and does not read is
    damaged or cut short, and one that does not start like a zip is some other file."""
    if path.name.startswith("~$"):
        return LOCK_FILE
    with open(path, "rb") as f:
        head = f.read(1 << 12)
    if not head:
        return EMPTY_FILE
    if head.startswith(OLE_SIGNATURE):
        return _ole_workbook(path)
    if not head.startswith(b"PK"):
        if not is_binary(head):
            return "it holds text, not a workbook (a CSV saved under an .xlsx name?); rename it .csv, or export it again as .xlsx"
        return f"it is not an Excel workbook ({_first_line(error)}); export it again as .xlsx"
    return f"{CUT_SHORT}, or open it in Excel and save it as .xlsx"


def _first_visible(path: Path, book, names: list[str]) -> tuple[str | None, list[dict] | None]:
    """The sheet to read when none is named: the first one not hidden (an export's lookup sheet
    is often hidden in front of the data) and not empty (Excel's blank 'Sheet1' left in front of
    the data holds no records); when every visible sheet is empty, the first of them, which is
    refused as empty. Telling costs a read of each sheet up to it, which fails on a cell the
    reader cannot read at all (#SPILL!). With the name come the sheet's first rows read to tell
    (_top_rows), so the sheet chosen is not read again to find its header."""
    visible_names = []
    for name in names:
        try:
            visible, top = _top_rows(book, name)
        except Exception as e:  # fastexcel's own error types
            raise FileRefused(path, f"sheet '{name}' cannot be read ({_first_line(e)})") from None
        if visible == "visible":
            if first_used_row(path, name) is not None:
                return name, top
            visible_names.append(name)
    return (visible_names or names or [None])[0], None


def _repeated_name(row: dict) -> str | None:
    """A column name the header row holds twice, read as written and compared as the header is
    found (_word): the reader renames a second minutes to minutes_1, which would load the first and
    drop the other unseen, where a CSV with two is refused (readers.repeated_column)."""
    return repeated_column(row.values(), match=_word)


def _word(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")


def excel_source(path: Path, table: str | None = None, sheet: str | None = None):
    """A sheet of canonical columns (time_logs.xlsx) as rows for the loader, numbered by row. The
    rows above its column names (a report's title, a printed-on date: read_sheet passes them over)
    are named in the load line as a CSV's lines above its header are (`header_line`): they were
    left out unsaid, and the line's count of rows read did not say where the records started."""
    from bcm_analytics.ingest.arrow_source import ArrowSource
    from bcm_analytics.ingest.readers import table_for

    spec = table_for(path, table)
    data = read_sheet(path, sheet, tuple(spec.required))
    names = [f"column_{i + 1}" if h.startswith("__UNNAMED__") else h for i, h in enumerate(data.header)]
    return ArrowSource(rows=data.rows.rename_columns(names + ["_line"]), path=path, sha256=data.sha256, table=spec.name, format="xlsx",
                       sheet=data.name, hidden_rows=data.hidden_rows, header_line=data.header_row)


def _with_errors(batch: pa.RecordBatch, errors) -> pa.Table:
    """The sheet with each error cell's error where the reader left the cell empty: a formula
    that failed is not a blank (a required minutes would read as missing, an optional value
    would vanish), and a CSV saved from the sheet writes the error too. A cell the reader could
    not read for another reason (none is known) keeps the reader's words, not a blank."""
    table = pa.Table.from_batches([batch])
    cells: dict[int, dict[int, str]] = {}
    for error in errors.errors if errors else ():
        row, column = error.offset_position
        kind = re.search(r"Error\((\w+)\)", error.detail)
        cells.setdefault(column, {})[row] = EXCEL_ERRORS.get(kind[1] if kind else "", error.detail)
    for column, texts in cells.items():
        shown = pa.array([texts.get(row) for row in range(table.num_rows)], pa.string())
        table = table.set_column(column, table.column_names[column], pc.coalesce(shown, pc.cast(table.column(column), pa.string())))
    return table


def _as_text(column: pa.ChunkedArray, system: DateSystem) -> pa.ChunkedArray:
    """Cells as text; a date cell read at midnight is the date alone (Excel stores dates as
    date-times, and a date-only cell must not look like a time of day 00:00), and a time or
    duration cell is the time alone (on its day 0 it would read as a date in 1899 or 1904),
    without seconds when it has none (DateSystem)."""
    text = pc.cast(column, pa.string())
    text = pc.replace_substring_regex(text, pattern=MIDNIGHT.pattern, replacement=r"\1")
    text = pc.replace_substring_regex(text, pattern=system.minute_only, replacement=r"\1")
    return pc.replace_substring_regex(text, pattern=system.time_only, replacement=r"\1")


def _not_blank(rows: pa.Table, header: tuple[str, ...]) -> pa.Array:
    """Rows with at least one non-empty cell (a blank row between records is not a record)."""
    keep = None
    for name in header:
        filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(rows.column(name)), ""), False)
        keep = filled if keep is None else pc.or_(keep, filled)
    return keep if keep is not None else pa.array([True] * rows.num_rows)


def first_used_row(path: Path, sheet: str) -> int | None:
    """The sheet row number (1-based) of the first row with a value: where calamine's range
    starts, so record k of the read is on row first + k. None for an empty sheet."""
    try:
        with zipfile.ZipFile(path) as z:
            target = _sheet_part(z, sheet)
            with z.open(target) as f:
                for _, element in ElementTree.iterparse(f, events=("end",)):
                    if element.tag == f"{MAIN}row" and any(
                        cell.find(f"{MAIN}v") is not None or cell.find(f"{MAIN}is") is not None for cell in element
                    ):
                        return int(element.get("r"))
                    if element.tag == f"{MAIN}row":
                        element.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, TypeError, ValueError) as e:
        raise FileRefused(path, f"not a readable .xlsx workbook ({_first_line(e)})") from None
    return None


MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')


def _fill_merged_down(columns: list, first: int, header_row: int, merged: set[tuple[int, int, int, int]]) -> list:
    """The record columns with each cell merged down over several records (a registry report's
    MRN over a patient's visits) read as its value in every row it covers, as Excel shows it: the
    reader gives the covered rows nothing, and a row set aside as 'patient_id is empty' beside the
    MRN a person sees cannot be acted on. A merge across columns is left alone: which column its
    value belongs to is not known. `columns` start at sheet column `first` (1-based), where the
    reader's range starts: the leftmost cell from the header row down, which a title further left
    does not move; `merged` is the sheet's merged ranges (_sheet_marks)."""
    downs = [(col, top, bottom) for col, top, last_col, bottom in merged
             if col == last_col and bottom > top > header_row]
    by_column: dict[int, list[tuple[int, int]]] = {}
    for col, top, bottom in downs:
        by_column.setdefault(col - first, []).append((top - header_row - 1, bottom - header_row))
    for i, spans in by_column.items():  # a column converted once, however many ranges it holds (an MRN per patient)
        if not 0 <= i < len(columns):
            continue
        values = columns[i].to_pylist()
        for start, end in spans:
            for row in range(start + 1, min(end, len(values))):
                values[row] = values[start]
        columns[i] = pa.chunked_array([pa.array(values, pa.string())])
    return columns


# A row Excel does not show: hidden by the user, filtered out, or in a collapsed outline group.
HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\s[^>]*?\bhidden="(?:1|true)"[^>]*>')
ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')


def _sheet_marks(path: Path, sheet: str) -> tuple[set[tuple[int, int, int, int]], set[int], dict[tuple[int, int], int], set[tuple[int, int]]]:
    """What the reader does not report, found by one scan of the sheet's XML: (first column, first
    row, last column, last row) of each merged range, 1-based, the numbers of the rows marked
    hidden, the number cells shown padded with zeros ({(column, row): width}) and the (column, row)
    of the number cells shown as elapsed time ([h]:mm:ss): _shown_styles.
    A plain search comes first: most sheets have none of them, and the patterns cost more."""
    merged, hidden, shown, tail = set(), set(), {}, b""
    with zipfile.ZipFile(path) as z, z.open(_sheet_part(z, sheet)) as f:
        codes = _shown_styles(z)
        while chunk := f.read(1 << 20):
            text = tail + chunk
            if b"mergeCell" in text:
                merged |= {(_column_number(m[1]), int(m[2]), _column_number(m[3]), int(m[4])) for m in MERGE_CELL.finditer(text)}
            if b"hidden=" in text:
                hidden |= {int(n[1]) for m in HIDDEN_ROW.finditer(text) if (n := ROW_NUMBER.search(m[0]))}
            if codes:
                shown |= _styled_cells(text, codes)
            tail = text[-1000:]  # a tag cut by the chunk's end is whole in the next text
    padded = {cell: len(code) for cell, code in shown.items() if ZERO_PADDED.fullmatch(code)}
    return merged, hidden, padded, {cell for cell, code in shown.items() if ELAPSED.search(code)}


# A number format that pads a whole number with zeros to its width: 000000 shows the MRN 412 as
# 000412 (the custom format people give an id column so Excel keeps its leading zeros).
ZERO_PADDED = re.compile(r"0{2,}")
WHOLE_NUMBER = re.compile(r"^[0-9]+(\.0+)?$")
# A number format of elapsed time ([h]:mm:ss, [mm]:ss): the cell is a duration, which the reader
# gives as a date-time from Excel's day 0 like a time of day; Excel's own [h]:mm:ss is built in as 46.
ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)
BUILT_IN_FORMATS = {"46": "[h]:mm:ss"}


def _shown_styles(z: zipfile.ZipFile) -> dict[bytes, str]:
    """{cell style index (as the sheet's s attribute writes it): number format} for the styles the
    reader's text misreads: zeros only (000000) and elapsed time ([h]:mm:ss); the styles part is
    found through the workbook's relationships."""
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if (r.get("Type") or "").endswith("/styles")), None)
    if target is None:
        return {}
    part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    if part not in z.namelist():
        return {}
    styles = ElementTree.fromstring(z.read(part))
    codes = BUILT_IN_FORMATS | {f.get("numFmtId"): (f.get("formatCode") or "").split(";")[0].strip() for f in styles.iter(f"{MAIN}numFmt")}
    cell_formats = styles.find(f"{MAIN}cellXfs")
    return {str(i).encode(): code for i, xf in enumerate(cell_formats if cell_formats is not None else ())
            if ZERO_PADDED.fullmatch(code := codes.get(xf.get("numFmtId"), "")) or ELAPSED.search(code)}


def _styled_cells(text: bytes, codes: dict[bytes, str]) -> dict[tuple[int, int], str]:
    """{(column, row): number format} of the number cells of `text` (sheet XML) in one of the
    styles `codes` names (a text cell shows its text, whatever its format). Cells are found by one
    pattern naming those styles, attributes in the order Excel, LibreOffice and the Python writers
    put them (r, s, t): a pattern reading every cell's attributes took 3.7 s on a 200,000-row sheet."""
    styles = b"|".join(re.escape(s) for s in codes)
    pattern = re.compile(rb'<(?:\w+:)?c\s+r="([A-Z]+)([0-9]+)"\s+s="(' + styles + rb')"(?:\s+t="(\w+)")?')
    return {(_column_number(m[1]), int(m[2])): codes[m[3]] for m in pattern.finditer(text) if m[4] in (None, b"n")}


def _pad_with_zeros(columns: list, first: int, header_row: int, padded: dict[tuple[int, int], int]) -> list:
    """The record columns with each whole number in a zero-padded cell written as Excel shows it
    (412 in a 000000 cell is 000412): the reader gives the number, and an MRN without its zeros
    matches no time log or claim of the CSV exports, which write 000412. `columns` start at sheet
    column `first`, their first record on the row after `header_row` (as in _fill_merged_down)."""
    for width in set(padded.values()):  # vectorised: a padded MRN column has a cell per record
        for i, cells in _record_cells([c for c, w in padded.items() if w == width], columns, first, header_row).items():
            column = columns[i].combine_chunks()
            whole = pc.fill_null(pc.match_substring_regex(column, WHOLE_NUMBER.pattern), False)
            shown = pc.utf8_lpad(pc.replace_substring_regex(column, r"\.0+$", ""), width, "0")
            columns[i] = pa.chunked_array([pc.if_else(pc.and_(cells, whole), shown, column)])
    return columns


def _record_cells(cells: list[tuple[int, int]], columns: list, first: int, header_row: int) -> dict[int, pa.Array]:
    """{index in `columns`: which of its records are among `cells` (sheet (column, row)s)}, for
    columns that start at sheet column `first` with their first record on the row after `header_row`."""
    records: dict[int, list[int]] = {}
    for col, row in cells:
        if row > header_row and 0 <= col - first < len(columns):
            records.setdefault(col - first, []).append(row - header_row - 1)
    masks = {}
    for i, rows in records.items():
        mask = np.zeros(len(columns[i]), dtype=bool)
        mask[[r for r in rows if r < len(mask)]] = True
        masks[i] = pa.array(mask)
    return masks


def _as_durations(columns: list, first: int, header_row: int, elapsed: set[tuple[int, int]], system: DateSystem) -> list:
    """The record columns with each elapsed-time cell written as the duration Excel shows
    (8:16:00 in an [h]:mm:ss cell, 30:00:00 past a day), with its seconds: the reader gives it as
    a time of day on day 0, and 8 h 16 min of care read as the time 08:16 was set aside as minutes
    that may be minutes:seconds. `columns` start at sheet column `first`, their first record on the
    row after `header_row` (as in _fill_merged_down)."""
    for i, cells in _record_cells(list(elapsed), columns, first, header_row).items():
        column = pc.cast(columns[i], pa.string()).combine_chunks()
        instant = pc.strptime(pc.replace_substring_regex(column, r"\.0+$", ""), format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
        seconds = pc.subtract(pc.cast(instant, pa.int64()), system.seconds)
        parts = [pc.divide(seconds, 3600), pc.divide(pc.remainder(seconds, 3600), 60), pc.remainder(seconds, 60)]
        shown = pc.binary_join_element_wise(*[pc.utf8_lpad(pc.cast(p, pa.string()), 2, "0") for p in parts], ":")
        columns[i] = pa.chunked_array([pc.if_else(cells, pc.coalesce(shown, column), column)])
    return columns


def _hidden_records(rows: pa.Table, hidden: set[int]) -> tuple[int, ...]:
    """The hidden rows among the records read (a hidden row with nothing in it is no record)."""
    if not hidden:
        return ()
    return tuple(line for line in rows.column("_line").to_pylist() if line in hidden)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.decode():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _date_system(path: Path) -> DateSystem:
    """The workbook's date system: its workbookPr's date1904 ("1" or "true") says 1904."""
    with zipfile.ZipFile(path) as z:
        properties = ElementTree.fromstring(z.read("xl/workbook.xml")).find(f"{MAIN}workbookPr")
    flag = (properties.get("date1904") or "") if properties is not None else ""
    return SYSTEM_1904 if flag.lower() in ("1", "true") else SYSTEM_1900


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str:
    """The zip member holding a sheet, through workbook.xml and its relationships."""
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    for s in book.iter(f"{MAIN}sheet"):
        if s.get("name") == sheet:
            target = targets[s.get(f"{REL}id")]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(sheet)


def _sha256(path: Path, sheet: str) -> str:
    """The workbook's hash with the sheet name: the same workbook's other sheet is other data."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    digest.update(b"\x00sheet:" + sheet.encode())
    return digest.hexdigest()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0][:200]
