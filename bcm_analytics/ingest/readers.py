"""Decide whether a file can be read at all, and how, before anything touches the store.

A file that cannot be read is refused whole with one line naming the problem, so the store
never holds half a file. Everything here reads bytes and the header only; rows are DuckDB's job.
"""

from __future__ import annotations

import codecs
import csv
import encodings.cp1252
import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bcm_analytics.contracts.columns import sql_text
from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.redact import holds_values

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = [",", ";", "\t", "|"]
CHUNK = 8 << 20
TEXT_ENCODINGS = {"utf-8": "utf-8-sig", "cp1252": "cp1252", "utf-16": "utf-16",  # Python codec names
                  "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be",  # UTF-16 without a byte-order mark
                  "cp1252-bom": "bcm-cp1252-bom"}  # Windows-1252 behind a UTF-8 byte-order mark (registered below)
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, CSV UTF-8) and load it again"
CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Names a folder's listing passes over: hidden files (.x), the synthetic program's _answer_key,
# and the lock files Office keeps beside a document while it is open (~$Minutes.xlsx: the
# user's name, no data), which a load run while the workbook is open in Excel finds beside it.
PASSED_OVER_NAMES = (".", "_", "~$")
LOCK_FILE = ("an Office lock file, which Excel keeps beside a workbook while it is open (it holds the user's name, no data); "
             "close the workbook in Excel, or leave this file out")
EMPTY_FILE = "the file is empty; expected at least a header row"
# A binary export (a workbook, a Parquet file) that starts as one and does not read to its end.
CUT_SHORT = "the file is damaged or cut short (a download or copy that did not finish?); export it again"
PARQUET_MAGIC = b"PAR1"  # what a Parquet file starts and ends with
HEADER_PROBE_LINES = 30  # a title or notes above a CSV's column names: how far down the header is looked for


class FileRefused(Exception):
    """A whole file is refused; the message is one line a person can act on."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: refused: {problem}")


class _Cp1252AfterBom(codecs.BufferedIncrementalDecoder):
    """Windows-1252 text that some Windows tools start with a UTF-8 byte-order mark: the mark
    (EF BB BF, which Windows-1252 would read as 'ï»¿' in front of the first column name) is
    passed over, the rest read as Windows-1252."""

    def __init__(self, errors: str = "strict"):
        super().__init__(errors)
        self.first = True

    def _buffer_decode(self, data, errors, final):
        skip = 0
        if self.first:
            if len(data) < 3 and codecs.BOM_UTF8.startswith(data) and not final:
                return "", 0  # wait for the rest of a possible mark
            self.first = False
            skip = 3 if data.startswith(codecs.BOM_UTF8) else 0
        text, used = codecs.charmap_decode(data[skip:], errors, encodings.cp1252.decoding_table)
        return text, used + skip

    def reset(self):
        super().reset()
        self.first = True


def _search_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != TEXT_ENCODINGS["cp1252-bom"]:
        return None
    base = codecs.lookup("cp1252")
    return codecs.CodecInfo(name=TEXT_ENCODINGS["cp1252-bom"], encode=base.encode,
                            decode=lambda data, errors="strict": _Cp1252AfterBom(errors).decode(data, final=True),
                            incrementalencoder=base.incrementalencoder, incrementaldecoder=_Cp1252AfterBom)


codecs.register(_search_codec)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    table: TableSpec
    format: str  # csv | parquet
    sha256: str
    header: tuple[str, ...]  # column names as normalised from the file, in file order
    encoding: str = "utf-8"  # utf-8 | cp1252 (Windows-1252) | cp1252-bom | utf-16 | utf-16-le | utf-16-be (no BOM)
    delimiter: str = ","
    newline: str = "lf"  # lf | crlf | mixed | cr
    lines: int = 0  # CSV: physical lines up to the last non-empty one
    rows: Any = field(default=None, compare=False, repr=False)  # format "arrow": the rows (ingest/arrow_source.py)
    sheet: str | None = None  # xlsx: the sheet read (recorded in meta.load_log.read_options)
    hidden_rows: tuple[int, ...] = ()  # xlsx: records on rows hidden in the sheet (read; recorded in read_options)
    header_line: int = 1  # CSV: the line holding the column names (below a title, lines above it are passed over); xlsx: its sheet row
    labels: dict[str, str] = field(default_factory=dict, compare=False)  # canonical column -> the file's own name for it, where it differs

    @property
    def extra_columns(self) -> list[str]:
        return [c for c in self.header if c not in self.table.column_names]

    @property
    def in_memory(self) -> bool:
        """Rows already read by a profile or the Excel reader (an ArrowSource), not a file to read."""
        return self.rows is not None

    @property
    def needs_copy(self) -> bool:
        """DuckDB reads UTF-8 with one kind of line end; anything else is copied to that first."""
        return self.format == "csv" and not self.in_memory and (
            self.encoding != "utf-8" or self.newline in ("mixed", "cr") or self.header_line > 1)


# A questionnaire's item column as registries write it without bcm's underscore: item1, Item 01, item #9.
ITEM_COLUMN = re.compile(r"item_?#?_?0?([1-9])")
COLUMN_BLANKS = r"[\s\-]+"  # spaces and dashes in a column name, read as one underscore


def normalise_column(name: str) -> str:
    """Column names match case-insensitively; spaces and dashes read as underscores, and an item
    column written item1 or item 01 is item_1 (dropped as an extra column, a PHQ-9 loaded
    without its items, item 9 among them, which the safety worklist reads)."""
    name = re.sub(COLUMN_BLANKS, "_", name.strip().lstrip("\ufeff").strip().lower())
    item = ITEM_COLUMN.fullmatch(name)
    return f"item_{item.group(1)}" if item else name


def own_names(names, spec: TableSpec) -> dict[str, str]:
    """The file's own name for each of bcm's columns it writes otherwise ('Patient ID' for
    patient_id), for the reasons of its rows (SourceFile.labels)."""
    return {normalise_column(n): n.strip().lstrip("\ufeff").strip() for n in names
            if normalise_column(n) in spec.column_names and normalise_column(n) != n.strip()}


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
    raise FileRefused(path, f"not a CSV, Parquet or Excel (.xlsx) file ('{suffix or 'no extension'}'); export it as CSV")


def _inspect_parquet(path: Path, spec: TableSpec) -> SourceFile:
    try:
        names = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet({sql_text(str(path))})").fetchall()
    except duckdb.Error as e:
        raise FileRefused(path, f"not a readable Parquet file: {_unreadable_parquet(path, e)}") from None
    header = tuple(normalise_column(n[0]) for n in names)
    _check_header(path, spec, header)
    return SourceFile(path, spec, "parquet", _sha256(path), header, labels=own_names([n[0] for n in names], spec))


def _unreadable_parquet(path: Path, error: duckdb.Error) -> str:
    """What is wrong with a Parquet file DuckDB could not open, as the person who exported it can
    act on it: DuckDB's 'No magic bytes found at end of file' says the same of a CSV under a
    .parquet name and of a file cut short, and names the path the refusal names already."""
    with open(path, "rb") as f:
        head = f.read(1 << 12)
        f.seek(max(path.stat().st_size - len(PARQUET_MAGIC), 0))
        tail = f.read()
    if not head:
        return EMPTY_FILE
    if not head.startswith(PARQUET_MAGIC) and not is_binary(head):
        return "it holds text, not Parquet (a CSV saved under a .parquet name?); rename it .csv, or export it again as Parquet"
    if head.startswith(PARQUET_MAGIC) and tail != PARQUET_MAGIC:
        return CUT_SHORT
    return _first_line(error)


def _inspect_csv(path: Path, spec: TableSpec) -> SourceFile:
    facts = scan(path)
    head = head_lines(path, TEXT_ENCODINGS[facts.encoding])
    at = find_header(head, spec.required)
    if not head[at].strip():
        raise FileRefused(path, "the first line is empty; expected a header row with column names")
    delimiter, names = split_header(head[at])
    header = tuple(normalise_column(h) for h in names)
    _check_header(path, spec, header)
    return SourceFile(path, spec, "csv", facts.sha256, header, facts.encoding, delimiter, facts.newline, facts.lines, header_line=at + 1,
                      labels=own_names(names, spec))


def head_lines(path: Path, codec: str) -> list[str]:
    """The first HEADER_PROBE_LINES lines of a text file, decoded with the Python `codec`."""
    with open(path, encoding=codec, newline="") as f:
        return [line for _, line in zip(range(HEADER_PROBE_LINES), f)] or [""]


def split_header(line: str) -> tuple[str, list[str]]:
    """The delimiter a header line uses (the most frequent of DELIMITERS) and its column names as
    written (blanks and a byte-order mark around them removed)."""
    delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","
    names = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return delimiter, [n.strip().lstrip("\ufeff").strip() for n in names]


def find_header(head: list[str], required, match=normalise_column) -> int:
    """Which of a file's first lines holds the column names: the first line that names every
    `required` column (compared as `match` makes them), so a title, a printed date or a blank line
    above the header (a report saved as CSV) is passed over; the first line when none does, so
    the refusal names what it holds. With nothing required (a draft profile, which does not know
    the columns yet), the first of the lines naming the most columns."""
    names = [[match(n) for n in split_header(line)[1] if n] for line in head]
    if not required:
        return max(range(len(names)), key=lambda i: (len(names[i]), -i))
    return next((i for i, found in enumerate(names) if set(required) <= set(found)), 0)


@dataclass(frozen=True)
class Scan:
    sha256: str
    encoding: str
    newline: str
    lines: int


def scan(path: Path) -> Scan:
    """One streaming pass: the hash, the text encoding, the kind of line ends, the line count.

    The line count stops at the last non-empty line (trailing empty lines hold no records).
    The loader compares it with the records DuckDB read: when they agree every record is one
    line, and record numbers give line numbers without a second pass over the file.
    """
    if path.name.startswith("~$"):  # a CSV open in Excel has one too
        raise FileRefused(path, LOCK_FILE)
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if not head:
        raise FileRefused(path, EMPTY_FILE)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts with FF FE
        raise FileRefused(path, f"UTF-32 text, which is not read; {SAVE_AS_UTF8}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _scan_utf16(path)
    if order := _utf16_without_bom(head):
        return _scan_utf16(path, order)
    if head.startswith(b"PK\x03\x04"):  # a zip archive, which an .xlsx workbook is
        raise FileRefused(path, "an Excel workbook (or another zip file), not a CSV file; load a workbook under its .xlsx name")
    if is_binary(head):
        raise FileRefused(path, "binary content, not a text CSV file")
    if head.lstrip(codecs.BOM_UTF8).lstrip()[:14].lower().startswith((b"<!doctype html", b"<html")):
        raise FileRefused(path, "a web page (HTML), not a CSV file (a report viewer's or sign-in page saved under the export's "
                                "name?); export the data again as CSV")
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    lf = crlf = cr = 0
    last = b""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            hashing = threading.Thread(target=digest.update, args=(chunk,))  # sha256 releases the GIL
            hashing.start()
            lf += chunk.count(b"\n")
            if b"\r" in chunk or last == b"\r":
                cr += chunk.count(b"\r")
                crlf += (last + chunk[:1] == b"\r\n") + chunk.count(b"\r\n")
            last = chunk[-1:]
            if is_utf8 and not (chunk.isascii() and not utf8.getstate()[0]):  # ASCII is UTF-8, unless a sequence is open
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            hashing.join()
        tail = _tail(f)
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    encoding = "utf-8"
    if not is_utf8:
        _refuse_mixed_encodings(path)
        _check_decodes(path, "cp1252")
        encoding = "cp1252-bom" if head.startswith(codecs.BOM_UTF8) else "cp1252"
    newline = _newline_kind(lf, crlf, cr)
    return Scan(digest.hexdigest(), encoding, newline, _content_lines(lf if newline != "cr" else cr, tail, newline))


def is_binary(head: bytes) -> bool:
    """The first bytes of a file are no text: a NUL, or more control characters than text holds."""
    return b"\x00" in head or len(CONTROLS.findall(head)) > 8


# A character written in UTF-8 (two to four bytes): in Windows-1252 text these pairs read as Ã©.
UTF8_CHARACTER = re.compile(rb"[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3}")


def _refuse_mixed_encodings(path: Path) -> None:
    """Refuse a file that is not UTF-8 throughout yet holds UTF-8 characters: rows from two
    systems pasted together. Read as Windows-1252, every UTF-8 accent would be stored as two
    wrong characters (Médicare as MÃ©dicare) without a word. A UTF-8 byte-order mark alone is no
    UTF-8 character: Windows-1252 text behind one is read as Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first_utf8 = not_utf8 = None
    offset, lines = 0, 1
    with open(path, "rb") as f:
        while (chunk := f.read(CHUNK)) and not (first_utf8 and not_utf8):
            mark = len(codecs.BOM_UTF8) if offset == 0 and chunk.startswith(codecs.BOM_UTF8) else 0
            if first_utf8 is None and (found := UTF8_CHARACTER.search(chunk, mark)):
                first_utf8 = lines + chunk[: found.start()].count(b"\n")
            if not_utf8 is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as e:
                    not_utf8 = (lines + chunk[: e.start].count(b"\n"), offset + e.start + 1, chunk[e.start])
            lines += chunk.count(b"\n")
            offset += len(chunk)
    if first_utf8 and not_utf8:
        line, byte, value = not_utf8
        raise FileRefused(path, f"line {line} (byte {byte} of the file, 0x{value:02X}) is not UTF-8 while line {first_utf8} "
                                f"is: the file mixes encodings; {SAVE_AS_UTF8}")


def _check_decodes(path: Path, encoding: str) -> None:
    """Refuse a file that is not text in `encoding` either, naming the line and byte that is not.

    Text that is not UTF-8 is read as Windows-1252 (what Excel and Windows programs write in
    the US and Western Europe), not Latin-1: the two differ in 0x80-0x9F, where Windows-1252 has
    curly quotes and dashes. Five bytes there are no character in either.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as e:
                bad = chunk[e.start]
                line = lines + chunk[: e.start].count(b"\n")
                raise FileRefused(
                    path, f"line {line} (byte {offset + e.start + 1} of the file, 0x{bad:02X}) is not text in UTF-8 or Windows-1252; {SAVE_AS_UTF8}"
                ) from None
            lines += text.count("\n")
            offset += len(chunk)


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text written without a byte-order mark (some
    Windows exports): text in Latin script is then every other byte zero, always on the same
    side. Anything else with zero bytes is binary."""
    pairs = len(head) // 2
    if pairs < 8:
        return None
    zero_even, zero_odd = head[0: 2 * pairs: 2].count(0), head[1: 2 * pairs: 2].count(0)
    if zero_odd >= 0.9 * pairs and zero_even == 0:
        return "utf-16-le"
    if zero_even >= 0.9 * pairs and zero_odd == 0:
        return "utf-16-be"
    return None


def _scan_utf16(path: Path, encoding: str = "utf-16") -> Scan:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            try:
                lines += decoder.decode(chunk).count("\n")
            except UnicodeDecodeError as e:
                raise FileRefused(
                    path, f"starts like UTF-16 text but line {lines} (byte {offset + e.start + 1} of the file) is not valid UTF-16; {SAVE_AS_UTF8}"
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRefused(path, f"starts like UTF-16 text but ends in the middle of a character (byte {offset}); {SAVE_AS_UTF8}") from None
    return Scan(_sha256(path), encoding, "mixed", 0)  # lines are counted on the UTF-8 copy


def _tail(f, size: int = 1 << 16) -> bytes:
    f.seek(0, 2)
    f.seek(max(0, f.tell() - size))
    return f.read()


def _newline_kind(lf: int, crlf: int, cr: int) -> str:
    if lf == 0 and cr > 0:
        return "cr"
    if crlf and (crlf < lf or crlf < cr):
        return "mixed"
    return "crlf" if crlf else "lf"


def _content_lines(breaks: int, tail: bytes, newline: str = "lf") -> int:
    """Lines up to the last non-empty one: all line breaks, less those after it, plus it."""
    content = tail.rstrip(b"\r\n")
    trailing = tail[len(content):].count(b"\r" if newline == "cr" else b"\n")
    return breaks - trailing + 1


def normalised_copy(src: SourceFile, folder: Path) -> Path:
    """A UTF-8 copy with LF line ends, for files DuckDB cannot read as they are (UTF-16, Windows-1252).

    Mixed line ends (CRLF rows with some LF rows) stop DuckDB's strict CSV parser, and its
    lenient mode silently drops surplus fields, so the text is normalised instead. Line ends
    inside quoted values become LF too; nothing else changes.
    """
    return utf8_lf_copy(src.path, TEXT_ENCODINGS[src.encoding], folder / "normalised.csv", skip_lines=src.header_line - 1)


def utf8_lf_copy(path: Path, codec: str, target: Path, skip_lines: int = 0) -> Path:
    """Re-encode `path` (read with the Python `codec`) to UTF-8 with LF line ends, streaming, into
    a new private file (it holds patient data), leaving out its first `skip_lines` lines (a title
    above the header). A CR at the end of one chunk waits for the next, so a CRLF split across
    chunks is one line end."""
    private = lambda name, flags: os.open(name, flags, 0o600)  # noqa: E731
    with open(path, encoding=codec, newline="") as f, open(target, "w", encoding="utf-8", newline="", opener=private) as out:
        carry = ""
        while text := f.read(CHUNK):
            text = carry + text
            carry = "\r" if text.endswith("\r") else ""
            text = text[: len(text) - len(carry)].replace("\r\n", "\n").replace("\r", "\n")
            while skip_lines and text:
                end = text.find("\n")
                text, skip_lines = ("", skip_lines) if end < 0 else (text[end + 1:], skip_lines - 1)
            out.write(text)
        out.write("\n" if carry else "")
    return target


def repeated_column(names, match=normalise_column) -> str | None:
    """The first column name a header holds twice, compared as `match` makes them (the loader's
    normalise_column by default), as written the second time; None when every name is its own.
    Empty names do not count."""
    seen: set[str] = set()
    for name in names:
        key = match(name or "")
        if key and key in seen:
            return str(name).strip()
        seen.add(key)
    return None


def refuse_a_row_of_values(path: Path, names, where: str = "its first line") -> None:
    """Refuse a file whose header is a row of data, without repeating it (redact.holds_values):
    called before a refusal that would list or quote the header's names."""
    if holds_values(names):
        raise FileRefused(path, f"{where} holds values, not column names: export the file with its header row "
                                "(the values are not repeated here)")


def _check_header(path: Path, spec: TableSpec, header: tuple[str, ...]) -> None:
    repeated = repeated_column(header)
    missing = [c for c in spec.required if c not in set(header)]
    if repeated or missing:
        refuse_a_row_of_values(path, header)
    if repeated:
        raise FileRefused(path, f"duplicate column '{repeated}' in the header")
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        raise FileRefused(
            path, f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for {spec.name} (the file has: {found})"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]

