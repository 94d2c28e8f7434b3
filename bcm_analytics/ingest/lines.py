"""Where each record of a CSV file starts, for files where records and lines differ.

DuckDB numbers what it reads by logical line: the header, each empty line and each record
count one, however many physical lines a record spans (a quoted value with line breaks).
A person opening the file sees physical lines. When every record is one line the two agree
and the loader needs nothing from here; otherwise this module reads the file once more
with Python's csv module, which splits records the way DuckDB does, and returns both
numbers for every record so the loader can translate.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np

from bcm_analytics.ingest.readers import TEXT_ENCODINGS

FIELD_LIMIT = 64 << 20  # above the loader's 16 MB line limit: a long value is DuckDB's to judge


def record_starts(path: Path, encoding: str, delimiter: str) -> tuple[list[int], list[int]]:
    """(logical line, physical line) where each non-empty record after the header starts."""
    logical, physical, _ = record_lines(path, encoding, delimiter)
    return logical, physical


def record_lines(path: Path, encoding: str, delimiter: str) -> tuple[list[int], list[int], list[int]]:
    """(logical line, first physical line, last physical line) of each non-empty record after the header."""
    csv.field_size_limit(FIELD_LIMIT)
    logical, physical, last = [], [], []
    with open(path, encoding=TEXT_ENCODINGS[encoding], newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        next(reader, None)
        consumed, counted = reader.line_num, 1
        for row in reader:
            counted += 1
            if row:
                logical.append(counted)
                physical.append(consumed + 1)
                last.append(reader.line_num)
            consumed = reader.line_num
    return logical, physical, last


def load_record_map(con: duckdb.DuckDBPyConnection, path: Path, encoding: str, delimiter: str) -> int:
    """Create temp._recmap(logical, physical, last_physical); returns its row count."""
    logical, physical, last = record_lines(path, encoding, delimiter)
    # numpy arrays, which DuckDB scans as they are: pyarrow imports pandas to convert Python lists
    _bcm_recmap = {"logical": np.array(logical, np.int64), "physical": np.array(physical, np.int64),  # noqa: F841
                   "last_physical": np.array(last, np.int64)}
    con.execute("CREATE OR REPLACE TEMP TABLE _recmap AS SELECT * FROM _bcm_recmap")  # a replacement scan of the variable
    return len(logical)
