"""Rows someone else has already read from a source file, handed to the loader in memory.

A mapping profile (a Synthea, FHIR or Akello export) or an Excel sheet is not a canonical CSV,
but once its reader has turned it into canonical columns the rest of a load is the same: the
contracts, the quarantine, provenance, idempotency and the summary line. Such a reader builds
an ArrowSource and calls the loader with it instead of a path:

    from bcm_analytics.ingest import ArrowSource, load_file

    source = ArrowSource(
        rows=arrow_table,            # pyarrow.Table, see below
        path=Path("observations.csv"),  # the source file: provenance and messages name it
        sha256=content_hash,         # of the source content: same hash + table = already loaded
        table="assessments",         # the canonical table the rows are for
        format="synthea",            # recorded in meta.load_log.file_format
    )
    result = load_file(con, source)  # a FileResult, or raises FileRefused, like a file

`rows` holds text (VARCHAR or NULL) columns named after canonical columns (a missing
optional column is simply absent; a required one missing refuses the source like a CSV
header would), plus:

- `_line` (integer, required, unique): the line or row number in the *source* file where
  the record starts; the quarantine and staging `_line` carry it.
- `_record` (text, optional): the source record as JSON text; the quarantine keeps it as the
  row's `record` instead of the canonical columns, so a person sees what their file said.
- `_notes` (text, optional): what the reader made of the row that the file did not write
  outright, as a JSON list of {"name", "reason", "waits": false} (a profile column's `note`: a
  death written as a month, discharged on its last day). A row that loads is kept with each as a
  warning (meta.row_warnings), as with a warn-level check; NULL when there is none.
- `_written` (text, optional): the values the reader rewrote, as the source wrote them, as a JSON
  object {canonical column: text} (a profile's date read with its date_format and handed on as
  ISO: {"service_date": "06/01/2099"}); a reason about the value quotes it so, with the date it
  was read as, since the ISO text is nowhere in the file. NULL when the reader rewrote none.

`labels` names the source file's own column for canonical columns it calls otherwise
({"entry_id": "Encounter ID"}): a quarantine reason then names the column as the file does
("Encounter ID [entry_id] is empty but required"). `encoding` is recorded in meta.load_log.

Any other column is an extra column, treated like an unknown CSV column. Values are judged
exactly as CSV text is: trimmed, empty means missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from bcm_analytics.ingest.readers import FileRefused, SourceFile, _check_header, normalise_column, own_names, table_for

LINE, RECORD, NOTES, WRITTEN = "_line", "_record", "_notes", "_written"
OWN_COLUMNS = (LINE, RECORD, NOTES, WRITTEN)  # what a reader adds beside the file's columns


@dataclass(frozen=True)
class ArrowSource:
    """Canonical rows read from a source file by a profile or the Excel reader (module docstring)."""

    rows: pa.Table
    path: Path
    sha256: str
    table: str
    format: str = "arrow"
    sheet: str | None = None  # the workbook sheet the rows were read from
    labels: dict[str, str] = field(default_factory=dict, compare=False)  # canonical column -> the source file's name for it
    encoding: str | None = None  # the source file's text encoding (recorded in meta.load_log), None for a workbook
    delimiter: str | None = None  # a CSV source file's delimiter: in a ;-delimited one a column may write decimal commas
    hidden_rows: tuple[int, ...] = ()  # a workbook: the `_line`s of rows hidden in the sheet (read, and named in the summary)
    header_line: int = 1  # the source file's line (a workbook's sheet row) of its column names; the ones above it (a title) are passed over, and the load line says so


def _hidden_rows(hidden: tuple[int, ...], lines: pa.ChunkedArray) -> tuple[int, ...]:
    """The hidden sheet rows among the rows given (a profile's file gives each table some of its
    records: a table names only its own)."""
    if not hidden:
        return ()
    return tuple(sorted(set(hidden) & set(lines.to_pylist())))


def describe(source: ArrowSource) -> SourceFile:
    """The source as the loader sees a file: its table, header and rows (text columns, `_line`).

    A header or `_line` problem is a refusal of the whole source (nothing is stored); a
    malformed `rows` argument (not an Arrow table) is a programming error and raises TypeError.
    """
    path = Path(source.path)
    if not isinstance(source.rows, pa.Table):
        raise TypeError(f"ArrowSource.rows must be a pyarrow.Table, not {type(source.rows).__name__}")
    spec = table_for(path, source.table)
    names = source.rows.column_names
    if LINE not in names:
        raise FileRefused(path, f"the rows for {spec.name} carry no {LINE} column (the source line of each row)")
    lines = source.rows.column(LINE)
    if not pa.types.is_integer(lines.type):
        raise FileRefused(path, f"{LINE} must be whole numbers, not {lines.type}")
    if lines.null_count:
        raise FileRefused(path, f"{lines.null_count} row(s) have no {LINE}")
    if len(lines) and pc.count_distinct(lines).as_py() != len(lines):
        raise FileRefused(path, f"{LINE} repeats: each row needs its own source line number")
    header = tuple(normalise_column(n) for n in names if n not in OWN_COLUMNS)
    _check_header(path, spec, header)
    table = source.rows.rename_columns([n if n in OWN_COLUMNS else normalise_column(n) for n in names])
    labels = own_names([n for n in names if n not in OWN_COLUMNS], spec)  # a workbook's header ...
    labels |= {normalise_column(c): name for c, name in source.labels.items() if normalise_column(c) in spec.column_names}  # ... a profile's columns
    return SourceFile(path, spec, source.format, source.sha256, header, encoding=source.encoding, delimiter=source.delimiter, rows=table,
                      sheet=source.sheet, labels=labels, hidden_rows=_hidden_rows(source.hidden_rows, lines), header_line=source.header_line)
