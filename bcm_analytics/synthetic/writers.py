"""Append-only CSV files, so a program of any size is written one chunk at a time.

Each file knows how many rows it holds, which is how the answer keys name line numbers
(the header is line 1) without reading anything back.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bcm_analytics.warehouse.store import table_specs


def export_columns(table: str) -> list[str]:
    """The canonical columns of a table, in order, from data_contracts/tables.yaml."""
    return [column.name for column in table_specs()[table].columns]


class CsvFile:
    """A CSV file being written: header first, then rows appended chunk by chunk."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        self.columns = columns
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "wb")
        self._handle.write((",".join(columns) + "\n").encode())

    def append(self, frame: pl.DataFrame) -> int:
        """Write the rows; returns the line number of the first one."""
        first_line = self.rows + 2
        frame.select(self.columns).write_csv(self._handle, include_header=False)
        self.rows += frame.height
        return first_line

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
