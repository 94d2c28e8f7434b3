"""Write result tables where people open them: CSV, Parquet, or an Excel workbook.

XlsxWriter rather than openpyxl for writing: it streams rows (constant memory), sets column
widths, freezes header rows and writes real dates and numbers that finance can filter. Each
column's number format follows its kind in reports.formats: dollars as currency, months as
yyyy-mm dates, rates as percentages; a date-time (TIMESTAMP, pandas datetime64) as yyyy-mm-dd
hh:mm:ss and a DATE (Python dates in a frame) as yyyy-mm-dd, by the column's type, in the streamed
and the frame writer alike (_dated_kind); a sheet can end with a totals row (SUBTOTAL formulas, so
a filtered sheet totals what is shown, with the full total cached for readers that do not
calculate).

A CSV has no types: Excel and LibreOffice read a cell that begins with =, +, -, @, a tab or a
carriage return as a formula, so a value copied from a messy export (a patient id, a file or
sheet name), =HYPERLINK(...) or =cmd|' /C calc'!A0, would run when finance opens the file (OWASP
"CSV injection"). A CSV's text cell that begins so is written after a ' (_csv_text_sql). Parquet keeps
the data exact, and a workbook needs nothing: XlsxWriter writes a string as a string
(strings_to_formulas off), never a formula.
A header needs nothing either: column names are the code's, never a value from the data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bcm_analytics import private_files
from bcm_analytics.contracts.columns import sql_text
from bcm_analytics.reports import formats

if TYPE_CHECKING:
    import pandas as pd  # the frame writers (write_table, write_workbook) import it where they run

EXCEL_MAX_ROWS = 1_048_575
MONTH_TEXT = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
SUFFIXES = (".csv", ".xlsx", ".parquet")
NO_ROWS = "no rows"  # under the header of an empty sheet; no_rows() says within what, where a command chose it
NUMERIC_KINDS = ("dollars", "rate", "count", "decimal")  # formats a column takes only if it holds numbers
NUMERIC_SQL = re.compile(r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)\b")
CSV_DOLLARS, CSV_NUMBER = "{:.2f}", "{:.15g}"  # a CSV's dollars and its other non-integer numbers (_csv_format)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # how a cell Excel reads as a formula begins (_csv_text_sql)
PLAIN_NUMBER = r"[+-]?[0-9]*\.?[0-9]+"  # -5, -12.5, +3: Excel reads it as a number, not a formula
QUOTE = "'"  # before such a cell: Excel and LibreOffice show it as text
TEXT_TYPES = ("varchar", "enum")  # DuckDB type ids a CSV writes as text (VARCHAR, JSON, ENUM)
NUMBER_FORMATS = {"dollars": '"$"#,##0.00', "month": "yyyy-mm", "date": "yyyy-mm-dd", "timestamp": "yyyy-mm-dd hh:mm:ss", "rate": "0.0%",
                  "count": "#,##0", "decimal": "#,##0.0"}


def no_rows(*scope: str) -> str:
    """What an empty sheet says under its header: that it has no rows and, where the command chose
    them, within what ("in service months 2025-01 to 2025-03", "as of 2025-12-31", "with the
    filters given"). A period or a selection the command did not make is not claimed."""
    return f"{NO_ROWS}: nothing matched {', '.join(s for s in scope if s)}" if any(scope) else NO_ROWS


def in_service_months(start, end) -> str:
    """The period of an empty billing sheet, for no_rows: 'in service months 2025-01 to 2025-03'."""
    first, last = (str(m)[:7] for m in (start, end))
    return f"in service month {first}" if first == last else f"in service months {first} to {last}"


@dataclass
class Sheet:
    """A sheet's table and how to close it: `totals` are the columns summed in a last row, and
    `totals_note` ({column: words}) says in that row's empty cells what a sum means where it adds
    unlike things; `empty` what the sheet says under its header when it has no rows (no_rows)."""

    frame: pd.DataFrame
    totals: list[str] = field(default_factory=list)
    widths: dict[str, int] = field(default_factory=dict)
    empty: str = NO_ROWS
    totals_note: dict[str, str] = field(default_factory=dict)


def check_suffix(path: str | Path, allowed: tuple[str, ...] = SUFFIXES) -> Path:
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise ValueError(f"{path}: unsupported output type; use one of {', '.join(allowed)}")
    return path


def write_table(frame: pd.DataFrame, path: str | Path, sheet: str = "data", empty: str = NO_ROWS) -> Path:
    """One table to CSV, Parquet or a one-sheet workbook, chosen by the file extension (`empty`:
    what an empty sheet says, no_rows). A CSV or Parquet file is written by the COPY write_query
    uses, over the frame, so a frame's file and a query's are written by one set of rules
    (_file_column): pandas' writers left a lone carriage return in a cell unquoted (a reader saw a
    row break) and refused a frame whose attrs JSON cannot hold (bcm outcomes --measures x.parquet)."""
    path = check_suffix(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        return write_workbook({sheet: Sheet(frame, empty=empty)}, path)
    import duckdb

    con = duckdb.connect()
    con.register("frame", frame)
    _copy(con, "SELECT * FROM frame", None, path)
    return path


def write_query(query, path: str | Path, sheet: str = "data", empty: str = NO_ROWS) -> tuple[Path, int]:
    """A marts query (models.Query) to CSV, Parquet or a one-sheet workbook; returns (path, rows).

    CSV and Parquet are written by DuckDB's COPY straight from the query, and workbook rows are
    fetched in batches into XlsxWriter's constant-memory mode, so the whole result is never held
    in memory: a 10-million-row billing export costs what its batches cost.
    """
    path = check_suffix(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        return path, write_query_sheets({sheet: query}, path, empty=empty)[sheet]
    return path, _copy(query.con, query.sql, query.params, path)


def _copy(con, sql: str, params: dict | None, path: Path) -> int:
    """DuckDB's COPY of a SELECT to a private CSV or Parquet file (_file_select); its rows."""
    suffix = path.suffix.lower()
    fmt = "csv, HEADER" if suffix == ".csv" else "parquet"
    fmt += ", USE_TMP_FILE false"  # into the private file itself, not a new one beside it
    with private_files.output(path) as partial:  # 0600 before a byte is written, in place once whole
        rows = con.execute(f"COPY ({_file_select(con, sql, params, suffix)}) TO {sql_text(str(partial))} (FORMAT {fmt})",
                           params or None).fetchall()
    return rows[0][0] if rows else 0


def _file_select(con, sql: str, params: dict | None, suffix: str) -> str:
    """The SELECT as a CSV or Parquet file holds it, column by column (_file_column)."""
    described = con.sql(sql, params=params or None)  # a relation: bound, typed, not run
    columns = [_file_column(str(name), sql_type, suffix) for name, sql_type in zip(described.columns, described.types)]
    return f"SELECT {', '.join(columns)} FROM ({sql})"


def _file_column(name: str, sql_type, suffix: str) -> str:
    """One column of _file_select (`sql_type`: its DuckDB type). Minutes are DECIMAL(18,4) in the
    marts (a month's total to the whole second), and CSV printed 14 minutes as 14.0000, a DOUBLE as
    26.0 and $144.90 as 144.9: in a CSV, dollars read with their cents and other numbers as written
    (14, 14.5, 0.875), a frame's as a query's (write_table); in Parquet a DECIMAL becomes a
    DOUBLE, which pandas reads as a number (a decimal column arrived as Python Decimal objects,
    dtype object). A CSV's text cell Excel would run as a formula gets a leading ' (_csv_text_sql),
    inside DuckDB's COPY; Parquet keeps it as it is."""
    quoted = '"' + name.replace('"', '""') + '"'
    if suffix == ".csv" and sql_type.id in TEXT_TYPES:
        return f"{_csv_text_sql(quoted)} AS {quoted}"
    if not re.match(r"(FLOAT|DOUBLE|DECIMAL)\b", str(sql_type)):
        return quoted
    if suffix == ".parquet":
        return f"CAST({quoted} AS DOUBLE) AS {quoted}" if str(sql_type).startswith("DECIMAL") else quoted
    number = f"CAST({quoted} AS DOUBLE)"
    if _csv_format(name) == CSV_DOLLARS:
        number = f"CASE WHEN round({number}, 2) = 0 THEN 0.0 ELSE {number} END"  # never -0.00
    return f"format('{_csv_format(name)}', {number}) AS {quoted}"


def _csv_text_sql(column: str) -> str:
    """SQL: a CSV's text cell that Excel or LibreOffice would read as a formula (it begins with =,
    +, -, @, a tab or a carriage return: =HYPERLINK(...), -2+3, @SUM(A1)) with a leading ', which
    makes them show it as text (OWASP's advice against CSV injection); anything else as it is. Text
    that is only a number (-5, -12.5, +3: an id or amount an export held as text) is left as
    written: Excel reads it as that number and runs nothing, where a ' would only clutter the value
    finance looks for. Parquet and workbooks keep every value exact (module docstring)."""
    text = f"CAST({column} AS VARCHAR)"
    starts = ", ".join(map(sql_text, FORMULA_START))  # its first character, not a regex: COPY costs what it did
    return (f"CASE WHEN left({text}, 1) IN ({starts}) AND NOT regexp_full_match({text}, {sql_text(PLAIN_NUMBER)}) "
            f"THEN {sql_text(QUOTE)} || {text} ELSE {text} END")


def _csv_format(column: str) -> str:
    """How a CSV writes a column's non-integer numbers (DuckDB's format() and Python's str.format
    read the same spec): dollars with their cents, anything else to 15 significant digits with no
    trailing zeros."""
    return CSV_DOLLARS if formats.kind(column) == "dollars" else CSV_NUMBER


def write_query_sheets(queries: dict, path: str | Path, batch: int = 20_000, empty: str = NO_ROWS) -> dict[str, int]:
    """Several marts queries as the sheets of one workbook, each streamed in batches; rows per sheet
    (`empty`: what an empty sheet says, no_rows)."""
    import xlsxwriter

    with private_files.output(path) as partial:  # 0600 before a byte is written, in place once whole
        book = xlsxwriter.Workbook(partial, {"constant_memory": True, "strings_to_numbers": False,
                                             "strings_to_formulas": False, "strings_to_urls": False,
                                             "remove_timezone": True, "default_date_format": "yyyy-mm-dd"})
        styles = _styles(book)
        counts = {}
        try:
            for sheet, query in queries.items():
                counts[sheet] = _stream_sheet(book.add_worksheet(sheet[:31]), query, styles, batch, empty)
        finally:
            book.close()
    return counts


def _stream_sheet(ws, query, styles: dict, batch: int, empty: str = NO_ROWS) -> int:
    """Rows in batches, each column formatted by its registered kind (dollars as currency, months
    as yyyy-mm dates), and a totals row under the dollar columns, as the report workbooks have."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    result = query.execute()
    columns = [d[0] for d in result.description]
    kinds = [_stream_kind(c, str(t)) for c, t, *_ in result.description]
    rows = result.fetchmany(batch)  # the first batch sizes the columns, as the frame writer's first rows do
    for i, (col, kind) in enumerate(zip(columns, kinds)):
        ws.set_column(i, i, _width(col, [_plain(row[i], kind) for row in rows[:200]], kind), styles.get(kind))
    ws.write_row(0, 0, columns, styles["header"])
    ws.freeze_panes(1, 0)
    dated = [styles[kind] if kind in ("month", "date", "timestamp") else None for kind in kinds]  # a date cell needs its own format
    written, sums = 0, {i: 0.0 for i, kind in enumerate(kinds) if kind == "dollars"}
    while rows:
        if written + len(rows) > EXCEL_MAX_ROWS:
            raise ValueError(f"more than {EXCEL_MAX_ROWS:,} rows do not fit in one Excel sheet; write CSV or Parquet instead")
        for row in rows:
            written += 1
            cells = [_plain(v, kind) for v, kind in zip(row, kinds)]
            for i, (cell, style) in enumerate(zip(cells, dated)):
                ws.write(written, i, cell, style)
            for i in sums:
                sums[i] += cells[i] or 0.0
        rows = result.fetchmany(batch)
    if not written:
        _note_empty(ws, styles, empty)
    ws.autofilter(0, 0, max(written, 1), max(len(columns) - 1, 0))
    if sums and 0 < written < EXCEL_MAX_ROWS:
        ws.write(written + 1, 0, "total", styles["total"])
        for i, total in sums.items():
            cells = f"{xl_rowcol_to_cell(1, i)}:{xl_rowcol_to_cell(written, i)}"
            ws.write_formula(written + 1, i, f"=SUBTOTAL(109,{cells})", styles["total dollars"], round(total, 2))
    return written


def _stream_kind(column: str, sql_type: str) -> str | None:
    """A column's kind in either writer, by its name, as long as its SQL type can hold it: a true/false
    `active` (on the caseload) is no count, and a count format showed it as 1 and 0."""
    kind = formats.kind(column)
    if kind in NUMERIC_KINDS and not NUMERIC_SQL.match(sql_type):
        return None
    return _dated_kind(kind, sql_type)


def _dated_kind(kind: str | None, sql_type: str) -> str | None:
    """How both workbook writers show a date or date-time, from the column's type alone: a
    TIMESTAMP (a pandas datetime64) reads yyyy-mm-dd hh:mm:ss (when a row was quarantined: the day
    alone hid which load), a DATE (Python dates in a frame) reads as a day, or as a month where its
    name says it is one. Not from its values: the frame writer showed a date-time as a day when
    every row fell at midnight, so one column read two ways by the load and by the writer."""
    if sql_type.startswith("TIMESTAMP"):
        return "timestamp"
    if sql_type == "DATE":
        return kind if kind in ("month", "date") else "date"
    return kind


def _plain(value, kind: str | None = None):
    """A cell XlsxWriter writes as typed: lists as text, decimals as floats, a month ('2025-03' or
    a date) as the date of its first day, which the column shows as yyyy-mm."""
    if isinstance(value, (list, tuple, dict)):
        return ", ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return float(value)
    if kind == "month" and isinstance(value, str) and MONTH_TEXT.fullmatch(value):
        return dt.datetime(int(value[:4]), int(value[5:]), 1)
    if kind in ("month", "date") and type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    if kind == "timestamp" and isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)  # Excel has no time zones: UTC, as the CSV says
    return value


def _styles(book) -> dict:
    """The header, total and number formats of a workbook, by kind (NUMBER_FORMATS)."""
    styles = {"header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"}),
              "total": book.add_format({"bold": True, "top": 1}), "note": book.add_format({"italic": True})}
    for kind, number_format in NUMBER_FORMATS.items():
        styles[kind] = book.add_format({"num_format": number_format})
        styles[f"total {kind}"] = book.add_format({"num_format": number_format, "bold": True, "top": 1})
    return styles


def _note_empty(ws, styles: dict, note: str) -> None:
    """An empty sheet says so under its header (both writers), rather than reading as a workbook
    that failed to fill; it has no totals row, which would sum only itself."""
    ws.write_string(1, 0, note, styles["note"])


def write_workbook(sheets: dict[str, pd.DataFrame | Sheet], path: str | Path) -> Path:
    """Several tables as sheets of one workbook: header frozen, filters on, widths fitted.

    Rows go straight to XlsxWriter in constant-memory mode (about 3x faster than
    DataFrame.to_excel and flat in memory); dates stay dates and numbers stay numbers.
    """
    import xlsxwriter

    with private_files.output(path) as partial:  # 0600 before a byte is written, in place once whole
        book = xlsxwriter.Workbook(partial, {"constant_memory": True, "strings_to_numbers": False,
                                             "strings_to_formulas": False, "strings_to_urls": False})
        styles = _styles(book)
        try:
            for name, sheet in sheets.items():
                sheet = sheet if isinstance(sheet, Sheet) else Sheet(sheet)
                _write_sheet(book.add_worksheet(name[:31]), _excel_safe(sheet.frame), sheet, styles)
        finally:
            book.close()
    return Path(path)


def _kind(frame: pd.DataFrame, col) -> str | None:
    """The number format a frame column gets, decided as a streamed column's is (_stream_kind) from
    its name and its type in SQL's words. The frame writer had guessed from the values too: any
    float read #,##0.0, so weeks_in_treatment read two ways by writer and money outside the
    registry showed one decimal ($120.13 as 120.1)."""
    return _stream_kind(str(col), _sql_type(frame[col]))


def _sql_type(values: pd.Series) -> str:
    """A frame column's type as DuckDB would name it, as far as the formats care."""
    import pandas as pd  # a frame is written: pandas is loaded already

    dated = _date_type(values)
    if dated:
        return dated
    if pd.api.types.is_bool_dtype(values):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(values):
        return "BIGINT"
    if pd.api.types.is_numeric_dtype(values):
        return "DOUBLE"
    return "VARCHAR"


def _date_type(values: pd.Series) -> str | None:
    """A frame column's type in SQL's words where it holds dates: datetime64 is a TIMESTAMP, an
    object column of Python dates (a measure's period and as-of date, a DATE fetched with
    Query.df(dates=True)) a DATE, which Excel would otherwise show as serial numbers (45962)."""
    import pandas as pd  # a frame is written: pandas is loaded already

    if pd.api.types.is_datetime64_any_dtype(values):
        return "TIMESTAMP"
    present = values.dropna()
    if values.dtype != object or not len(present) or not present.map(lambda v: isinstance(v, dt.date)).all():
        return None
    return "TIMESTAMP" if present.map(lambda v: isinstance(v, dt.datetime)).any() else "DATE"


def _write_sheet(ws, frame: pd.DataFrame, sheet: Sheet, styles: dict) -> None:
    import pandas as pd  # a frame is written: pandas is loaded already
    from xlsxwriter.utility import xl_rowcol_to_cell

    kinds = [_kind(frame, c) for c in frame.columns]
    columns = [[_plain(v, kind) for v in _cells(frame[c])] for c, kind in zip(frame.columns, kinds)]  # as streamed cells are
    for i, col in enumerate(frame.columns):
        ws.set_column(i, i, sheet.widths.get(col) or _width(col, columns[i], kinds[i]), styles.get(kinds[i]))
    ws.write_row(0, 0, [str(c) for c in frame.columns], styles["header"])
    for r, row in enumerate(zip(*columns), start=1):
        ws.write_row(r, 0, row)
    ws.freeze_panes(1, 0)
    if len(frame.columns) and not len(frame):
        _note_empty(ws, styles, sheet.empty)
    if len(frame.columns):
        ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    if sheet.totals and len(frame.columns) and len(frame):  # an empty sheet's total would be =SUBTOTAL of its own cell
        last = len(frame) + 1
        ws.write(last, 0, "total", styles["total"])
        for i, col in enumerate(frame.columns):
            if col in sheet.totals:
                cells = f"{xl_rowcol_to_cell(1, i)}:{xl_rowcol_to_cell(max(len(frame), 1), i)}"
                value = float(pd.to_numeric(frame[col]).sum())
                ws.write_formula(last, i, f"=SUBTOTAL(109,{cells})", styles.get(f"total {kinds[i]}", styles["total"]),
                                 round(value, 2))
            elif col in sheet.totals_note:
                ws.write(last, i, sheet.totals_note[col], styles["total"])
            elif i:
                ws.write_blank(last, i, None, styles["total"])


def _width(header, values: list, kind: str | None) -> int:
    """A column's width in both writers: its header or its widest value among the first 200 rows
    as shown, up to 60 characters."""
    sample = [len(_shown(v, kind)) for v in values[:200] if v is not None]
    return min(60, max([len(str(header))] + sample) + 2)


def _shown(value, kind) -> str:
    if kind == "month":
        return "2026-10"
    if kind == "date":
        return "2026-10-31"
    if kind == "dollars" and isinstance(value, (int, float)):
        return f"${value:,.2f}"
    return str(value)


def _cells(series: pd.Series) -> list:
    """Plain Python values XlsxWriter writes as typed cells; missing values as empty cells."""
    import pandas as pd  # a frame is written: pandas is loaded already

    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.to_pydatetime().tolist()
    else:
        values = series.astype(object).tolist()
    return [None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v for v in values]


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no lists or more than ~1M rows: make each cell a plain value. (A zoned date-time
    is shown in UTC by _plain, for both writers: dropping the zone here kept the local time.)"""
    if len(frame) > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet; write CSV or Parquet instead")
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object and series.map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray))).any():
            out[col] = series.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    return out
