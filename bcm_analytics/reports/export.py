"""Write result tables where people open them: CSV, Parquet, or an Excel workbook.

XlsxWriter rather than openpyxl for writing: it streams rows (constant memory), sets column
widths, freezes header rows and writes real dates and numbers that finance can filter.
"""

from __future__ import annotations

from pathlib import Path

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


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Several tables as sheets of one workbook: header frozen, filters on, widths fitted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="xlsxwriter", datetime_format="yyyy-mm-dd", date_format="yyyy-mm-dd") as writer:
        header = writer.book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
        for name, frame in sheets.items():
            sheet_name = name[:31]
            frame = _excel_safe(frame)
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            ws = writer.sheets[sheet_name]
            for i, col in enumerate(frame.columns):
                ws.write(0, i, str(col), header)
                sample = frame[col].head(200).astype(str)
                width = min(60, max(len(str(col)), *(sample.str.len().tolist() or [0])) + 2)
                ws.set_column(i, i, width)
            ws.freeze_panes(1, 0)
            if len(frame.columns):
                ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    return path


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones, lists or more than ~1M rows: make each cell a plain value."""
    if len(frame) > EXCEL_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one Excel sheet; write CSV or Parquet instead")
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[col] = series.dt.tz_localize(None)
        elif series.dtype == object and series.map(lambda v: isinstance(v, (list, tuple, dict))).any():
            out[col] = series.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out
