"""Decide whether a file can be read at all, and how, before anything touches the store.

A file that cannot be read is refused whole with one line naming the problem, so the store
never holds half a file. Everything here reads bytes and the header only; rows are DuckDB's job.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bcm_analytics.warehouse.store import TableSpec, table_specs

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = [",", ";", "\t", "|"]
CHUNK = 1 << 20


class FileRefused(Exception):
    """A whole file is refused; the message is one line a person can act on."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: refused: {problem}")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    table: TableSpec
    format: str  # csv | parquet
    sha256: str
    header: tuple[str, ...]  # column names as normalised from the file, in file order
    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def extra_columns(self) -> list[str]:
        return [c for c in self.header if c not in self.table.column_names]


def normalise_column(name: str) -> str:
    """Column names match case-insensitively; spaces and dashes read as underscores."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip().lower())


def table_for(path: Path, table: str | None = None) -> TableSpec:
    specs = table_specs()
    if table:
        if table not in specs:
            raise FileRefused(path, f"unknown table '{table}' (expected one of {', '.join(specs)})")
        return specs[table]
    stem = path.name.lower().split(".")[0]
    for spec in specs.values():
        if stem == spec.file or re.match(rf"{spec.file}[_\-. ]", stem):
            return spec
    raise FileRefused(
        path, f"cannot tell which table this is; name it after one of {', '.join(s.file for s in specs.values())} (e.g. time_logs_2025-01.csv)"
    )


def inspect(path: str | Path, table: str | None = None) -> SourceFile:
    """Everything about a file that decides whether and how to read it."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused(path, "no such file")
    spec = table_for(path, table)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _inspect_parquet(path, spec)
    if suffix in CSV_SUFFIXES:
        return _inspect_csv(path, spec)
    raise FileRefused(path, f"not a CSV or Parquet file ('{suffix or 'no extension'}'); export it as CSV")


def _inspect_parquet(path: Path, spec: TableSpec) -> SourceFile:
    try:
        names = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{_quote(path)}')").fetchall()
    except duckdb.Error as e:
        raise FileRefused(path, f"not a readable Parquet file ({_first_line(e)})") from None
    header = tuple(normalise_column(n[0]) for n in names)
    _check_header(path, spec, header)
    return SourceFile(path, spec, "parquet", _sha256(path), header)


def _inspect_csv(path: Path, spec: TableSpec) -> SourceFile:
    digest, encoding = _scan_bytes(path)
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
        first = f.readline()
    if not first.strip():
        raise FileRefused(path, "the first line is empty; expected a header row with column names")
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    raw_header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    header = tuple(normalise_column(h) for h in raw_header)
    _check_header(path, spec, header)
    return SourceFile(path, spec, "csv", digest, header, encoding, delimiter)


def _scan_bytes(path: Path) -> tuple[str, str]:
    """One streaming pass: the file's hash, and whether it is text in UTF-8 or Latin-1."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8, size = True, 0
    controls = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if size == 0 and (b"\x00" in chunk[:65536] or len(controls.findall(chunk[:65536])) > 8):
                raise FileRefused(path, "binary content, not a text CSV file")
            size += len(chunk)
            digest.update(chunk)
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
    if size == 0:
        raise FileRefused(path, "the file is empty; expected at least a header row")
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return digest.hexdigest(), "utf-8" if is_utf8 else "latin-1"


def _check_header(path: Path, spec: TableSpec, header: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            raise FileRefused(path, f"duplicate column '{name}' in the header")
        seen.add(name)
    missing = [c for c in spec.required if c not in seen]
    if missing:
        raise FileRefused(path, f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for {spec.name}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
