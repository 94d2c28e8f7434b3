"""Read a profile's source files into tables of an in-memory DuckDB, one table per source.

Each source table holds only the columns the profile declares (text, named in lower case),
plus `_file` and `_line` (where the record starts in its file: the physical line of a CSV or
NDJSON file, the row of a sheet, the position of a resource in a JSON Bundle or array);
record_sql() rebuilds a record (the declared columns under the file's own names) for the rows
that need one. Columns a profile does not declare never leave this module, so identifiers in an export (names, SSNs, addresses) are
not read into the store, not even into the quarantine.

A file that cannot be read as its source says is refused whole, in one line.
"""

from __future__ import annotations

import codecs
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from bcm_analytics.ingest import excel
from bcm_analytics.ingest.lines import record_starts
from bcm_analytics.ingest.profiles.model import Profile, SourceSpec, normalise
from bcm_analytics.ingest.readers import (
    PASSED_OVER_NAMES,
    TEXT_ENCODINGS,
    FileRefused,
    find_header,
    head_lines,
    refuse_a_row_of_values,
    scan,
    split_header,
    utf8_lf_copy,
)
from bcm_analytics.sqlfiles import read_sql

SUFFIX_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                  ".json": "json", ".ndjson": "json", ".jsonl": "json"}
MAX_LINE_BYTES = 64 << 20  # one FHIR resource or JSON record per line can be large
NOT_A_RESOURCE = "(not a FHIR resource)"


@dataclass(frozen=True)
class Matched:
    """A file and the source of the profile it belongs to."""

    path: Path
    source: str
    format: str


@dataclass
class Read:
    """What reading one file produced: its records in the source table, and its hash."""

    path: Path
    source: str
    records: int
    sha256: str
    kinds: dict[str, int] = field(default_factory=dict)  # fhir: resources by type
    sheet: str | None = None  # xlsx: the sheet read (the one named, else the first visible one)
    encoding: str | None = None  # csv, json: the file's text encoding (readers.scan), recorded in meta.load_log
    delimiter: str | None = None  # csv: the field delimiter (a ;-delimited file may write decimal commas)
    hidden_rows: tuple[int, ...] = ()  # xlsx: the rows of records hidden in the sheet (named in the load line)
    header_line: int = 1  # the CSV line or sheet row of the column names: the ones above it (a title) were passed over, and the load line says so


def match(profile: Profile, paths: list[str | Path]) -> tuple[list[Matched], list[Path]]:
    """Files named (or inside folders named) matched to sources by file-name pattern, in the
    order given; and the files no source matches."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(PASSED_OVER_NAMES))
        else:
            files.append(p)
    matched, ignored = [], []
    for f in files:
        name = f.name.lower()
        source = next((s for s, spec in profile.sources.items() if any(fnmatch.fnmatch(name, pat.lower()) for pat in spec.files)), None)
        if source is None:
            ignored.append(f)
            continue
        spec = profile.sources[source]
        matched.append(Matched(f, source, spec.format or SUFFIX_FORMATS.get(f.suffix.lower(), "csv")))
    return matched, ignored


def create_tables(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """An empty table per source (a source with no file in this load reads as no rows)."""
    for name, spec in profile.sources.items():
        if spec.format == "fhir":
            con.execute(f"CREATE TABLE {name} (_file VARCHAR, _line BIGINT, resource JSON, full_url VARCHAR)")
        else:
            cols = ", ".join(f'"{c}" VARCHAR' for c in _declared(spec))
            con.execute(f"CREATE TABLE {name} (_file VARCHAR, _line BIGINT{', ' + cols if cols else ''})")
    con.execute("CREATE TABLE _record_keys (source VARCHAR, column_name VARCHAR, original VARCHAR, position INTEGER)")


def read(con: duckdb.DuckDBPyConnection, profile: Profile, m: Matched, folder: Path, sheet: str | None = None) -> Read:
    """Append one file's records to its source table; FileRefused (one line) if it cannot."""
    spec = profile.sources[m.source]
    if not m.path.is_file():
        raise FileRefused(m.path, "no such file")
    if m.format == "xlsx":
        return _read_sheet(con, m, spec, sheet or spec.sheet)
    if m.format == "csv":
        return _read_csv(con, m, spec, folder)
    return _read_json(con, m, spec, folder)


def _declared(spec: SourceSpec) -> list[str]:
    return list(dict.fromkeys(spec.columns + spec.optional_columns))


def _check_columns(m: Matched, spec: SourceSpec, found: list[str], original: list[str]) -> None:
    seen = set()
    for name in found:
        if name and name in seen:
            refuse_a_row_of_values(m.path, original)
            raise FileRefused(m.path, f"duplicate column '{name}' in the header")
        seen.add(name)
    missing = [c for c in spec.columns if c not in seen]
    if missing:
        refuse_a_row_of_values(m.path, original)
        raise FileRefused(
            m.path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for {m.source} files; "
            f"found columns: {', '.join(original) or 'none'}",
        )


def _insert(con: duckdb.DuckDBPyConnection, m: Matched, spec: SourceSpec, relation: str, position: dict[str, str],
            original: dict[str, str], line: str = "_line") -> int:
    """Insert `relation` (columns named by `position`) into the source table; `line` is the SQL
    of each record's line. Remembers the names the file gives the columns and their order in it
    (`original` is in file order), for records."""
    declared = _declared(spec)
    values = ", ".join(f"nullif(trim({position[c]}), '')" if c in position else "NULL" for c in declared)
    before = con.execute(f"SELECT count(*) FROM {m.source}").fetchall()[0][0]
    con.execute(f"INSERT INTO {m.source} SELECT {_text(str(m.path))}, {line}{', ' + values if values else ''} FROM {relation}")
    order = {c: i for i, c in enumerate(original)}
    for column in declared:
        if column in original:
            con.execute(
                "INSERT INTO _record_keys SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM _record_keys WHERE source = ? AND column_name = ?)",
                [m.source, column, original[column], order[column], m.source, column],
            )
    return con.execute(f"SELECT count(*) FROM {m.source}").fetchall()[0][0] - before


def record_sql(con: duckdb.DuckDBPyConnection, profile: Profile, view: str, alias: str | None = None) -> str:
    """SQL for a row's source record as JSON text: the declared columns under the names the
    file gave them, in the file's order (a person reads the record against their file, and a
    totals row's label is its first cell: non_records.pass_over_non_records), the declared columns
    the file lacks after them; a fhir view carries its own `_record`. The order is the first
    file's of the source read in the load."""
    prefix = f"{alias or view}."
    if view not in profile.sources:
        return f"{prefix}_record"
    found = con.execute("SELECT column_name, original, position FROM _record_keys WHERE source = ?", [view]).fetchall()
    keys, place = {c: o for c, o, _ in found}, {c: p for c, _, p in found}
    declared = _declared(profile.sources[view])
    ordered = sorted(declared, key=lambda c: (0, place[c]) if c in place else (1, declared.index(c)))
    pairs = [f"{_text(keys.get(c, c))}, {prefix}\"{c}\"" for c in ordered]
    return f"CAST(json_object({', '.join(pairs)}) AS VARCHAR)" if pairs else "'{}'"


def _read_sheet(con: duckdb.DuckDBPyConnection, m: Matched, spec: SourceSpec, sheet: str | None) -> Read:
    data = excel.read_sheet(m.path, sheet, tuple(spec.columns))
    names = [normalise(h) for h in data.header]
    _check_columns(m, spec, names, list(data.header))
    _sheet_rows = data.rows.rename_columns([f"c{i}" for i in range(len(names))] + ["_line"])  # noqa: F841 (read by name below)
    con.execute("CREATE OR REPLACE TEMP TABLE _sheet AS SELECT * FROM _sheet_rows")
    position = {n: f"c{i}" for i, n in enumerate(names)}
    original = dict(zip(names, data.header))
    count = _insert(con, m, spec, "_sheet", position, original)
    con.execute("DROP TABLE _sheet")
    return Read(m.path, m.source, count, data.sha256, sheet=data.name, hidden_rows=data.hidden_rows, header_line=data.header_row)


def _read_csv(con: duckdb.DuckDBPyConnection, m: Matched, spec: SourceSpec, folder: Path) -> Read:
    facts = scan(m.path)
    head = head_lines(m.path, _codec(m.path, facts.encoding))
    above = find_header(head, spec.columns, normalise)  # lines of a title above the column names
    reading, lines = m.path, facts.lines
    if facts.encoding != "utf-8" or facts.newline in ("mixed", "cr") or above:
        reading = _utf8_copy(m.path, facts.encoding, folder, skip_lines=above)
        lines = scan(reading).lines
    if not head[above].strip():
        raise FileRefused(m.path, "the first line is empty; expected a header row with column names")
    delimiter, header = split_header(head[above])
    names = [normalise(h) for h in header]
    _check_columns(m, spec, names, header)
    position = {n: f"c{i}" for i, n in enumerate(names) if n}
    # One pass: each record numbered in file order (a streaming window, as the loader does), its
    # line taken as number + 1 and corrected below in the rare file where records span lines.
    line = f"row_number() OVER () + {1 + above:d}"
    try:
        count = _insert(con, m, spec, _csv_relation(reading, delimiter, len(names)), position, dict(zip(names, header)), line)
    except duckdb.Error as e:
        if "null_padding" not in str(e):
            raise
        # A value with a line break inside quotes (a note): DuckDB reads it with padding only on one thread.
        for t in ("_rej", "_rej_scan"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        relation = _csv_relation(reading, delimiter, len(names), parallel=False)
        count = _insert(con, m, spec, relation, position, dict(zip(names, header)), line)
    rejected = con.execute("SELECT min(line), count(DISTINCT line), any_value(error_type) FROM _rej").fetchall()[0]
    for t in ("_rej", "_rej_scan"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    if rejected[1]:
        raise FileRefused(
            m.path,
            f"line {rejected[0] + above} does not split into the header's {len(names)} fields ({str(rejected[2]).lower()}); "
            f"{rejected[1]} such line(s): fix them (quote values that hold the delimiter) and load again",
        )
    if lines != count + 1:
        _, physical = record_starts(reading, "utf-8", delimiter)
        _starts_table = pa.table({"_rec": range(2 + above, len(physical) + 2 + above),  # noqa: F841 (read by name below)
                                  "_physical": [p + above for p in physical]})
        con.execute(
            f"""UPDATE {m.source} SET _line = s._physical FROM _starts_table s
            WHERE {m.source}._file = {_text(str(m.path))} AND {m.source}._line = s._rec"""
        )
    return Read(m.path, m.source, count, facts.sha256, encoding=facts.encoding, delimiter=delimiter, header_line=above + 1)


def _csv_relation(reading: Path, delimiter: str, width: int, parallel: bool = True) -> str:
    """DuckDB's reader of a CSV source as text columns c0..c(width-1). A line with fewer fields
    than the header (an export that drops trailing empty fields) reads with those fields empty;
    one with more cannot be split safely and is rejected (into _rej), which refuses the file.
    The parallel reader cannot pad short lines in a file with quoted line breaks: such a file is
    read again on one thread (`parallel=False`)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return f"""read_csv({_text(str(reading))}, delim={_text(delimiter)}, quote='"', escape='"', header=true,
            all_varchar=true, encoding='utf-8', null_padding=true, store_rejects=true, rejects_table='_rej', rejects_scan='_rej_scan',
            max_line_size={MAX_LINE_BYTES}, auto_detect=false, parallel={str(parallel).lower()}, columns={{{cols}}})"""


def _codec(path: Path, encoding: str) -> str:
    """The Python codec for a file's encoding. Text that is not UTF-8 is read as Windows-1252
    (what Excel and Windows programs write; a curly apostrophe is byte 0x92) unless it holds a
    byte Windows-1252 does not define, and then as Latin-1."""
    codec = TEXT_ENCODINGS.get(encoding, encoding)
    if codec != "latin-1":
        return codec
    try:
        with open(path, encoding="cp1252", newline="") as f:
            while f.read(1 << 20):
                pass
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _utf8_copy(path: Path, encoding: str, folder: Path, skip_lines: int = 0) -> Path:
    """A UTF-8 copy with LF line ends (DuckDB reads UTF-8 with one kind of line end), from the header on."""
    return utf8_lf_copy(path, _codec(path, encoding), folder / f"{len(list(folder.iterdir()))}-{path.stem}.csv", skip_lines)


def _json_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """temp._jl(_line, doc): each line of a text file, numbered from 1 (empty lines included)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _jl AS SELECT row_number() OVER () AS _line, doc FROM read_csv({_text(str(path))},
            columns={{'doc': 'VARCHAR'}}, delim=chr(1), quote='', escape='', header=false, auto_detect=false,
            max_line_size={MAX_LINE_BYTES}, encoding='utf-8')"""
    )


def _json_records(con: duckdb.DuckDBPyConnection, m: Matched, folder: Path) -> tuple[str, str]:
    """temp._records(_line, rec JSON, full_url): the file's records; returns the file's hash and encoding.

    NDJSON: one per non-empty line, `_line` the line. A JSON array: one per element, `_line` its
    position. A FHIR Bundle: one per entry, `_line` the entry's position. Another object: itself.
    """
    facts = scan(m.path)
    reading = m.path if facts.encoding == "utf-8" else _utf8_copy(m.path, facts.encoding, folder)
    with open(reading, "rb") as f:
        head = f.read(1 << 16).lstrip(codecs.BOM_UTF8).lstrip()
    if head[:1] not in (b"{", b"["):
        raise FileRefused(m.path, "not JSON (expected a JSON object or array, or one JSON object per line)")
    _json_lines(con, reading)
    blank = "trim(doc, ' \t\r\n') = ''"
    lines = con.execute(f"SELECT count(*) FILTER (WHERE NOT {blank}), count(*) FILTER (WHERE NOT {blank} AND json_valid(doc)) FROM _jl").fetchall()[0]
    if head[:1] == b"{" and lines[0] > 1 and lines[0] == lines[1]:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _records AS
            SELECT _line, CAST(doc AS JSON) AS rec, CAST(NULL AS VARCHAR) AS full_url FROM _jl WHERE NOT trim(doc, ' \t\r\n') = ''"""
        )
    else:
        try:
            size = max(1 << 24, reading.stat().st_size + (1 << 20))  # the document is one object: room for it, no more
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _doc AS SELECT json AS doc
                FROM read_json_objects({_text(str(reading))}, format='unstructured', maximum_object_size={size})"""
            )
        except duckdb.Error as e:
            raise FileRefused(m.path, f"not valid JSON ({_first_line(e)})") from None
        kind = con.execute("SELECT json_type(doc), doc ->> 'resourceType' FROM _doc").fetchall()[0]
        if kind[0] == "ARRAY":
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _records AS
                SELECT CAST(e.key AS BIGINT) + 1 AS _line, e.value AS rec, CAST(NULL AS VARCHAR) AS full_url FROM _doc, json_each(_doc.doc) e"""
            )
        elif kind[1] == "Bundle":
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _records AS
                SELECT CAST(e.key AS BIGINT) + 1 AS _line, json_extract(e.value, '$.resource') AS rec, e.value ->> 'fullUrl' AS full_url
                FROM _doc, json_each(_doc.doc, '$.entry') e WHERE json_extract(e.value, '$.resource') IS NOT NULL"""
            )
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE _records AS SELECT 1 AS _line, doc AS rec, CAST(NULL AS VARCHAR) AS full_url FROM _doc")
        con.execute("DROP TABLE _doc")
    con.execute("DROP TABLE _jl")
    return facts.sha256, facts.encoding


def _read_json(con: duckdb.DuckDBPyConnection, m: Matched, spec: SourceSpec, folder: Path) -> Read:
    sha256, encoding = _json_records(con, m, folder)
    if m.format == "fhir":
        con.execute(  # a Bundle inside NDJSON or an array: its entries, on the Bundle's line
            """INSERT INTO _records SELECT r._line, json_extract(e.value, '$.resource'), e.value ->> 'fullUrl'
            FROM _records r, json_each(r.rec, '$.entry') e WHERE r.rec ->> 'resourceType' = 'Bundle' AND json_extract(e.value, '$.resource') IS NOT NULL"""
        )
        con.execute("DELETE FROM _records WHERE rec ->> 'resourceType' = 'Bundle'")
        con.execute(f"INSERT INTO {m.source} SELECT {_text(str(m.path))}, _line, rec, full_url FROM _records")
        kinds = dict(con.execute(
            f"SELECT coalesce(rec ->> 'resourceType', '{NOT_A_RESOURCE}'), count(*) FROM _records GROUP BY ALL ORDER BY 1"
        ).fetchall())
        con.execute("DROP TABLE _records")
        return Read(m.path, m.source, sum(kinds.values()), sha256, kinds, encoding=encoding)
    keys = sorted(r[0] for r in con.execute("SELECT DISTINCT unnest(json_keys(rec)) FROM _records WHERE json_type(rec) = 'OBJECT'").fetchall())
    by_name = {normalise(k): k for k in keys}
    _check_columns(m, spec, [normalise(k) for k in keys], keys)
    position = {c: f"(rec ->> {_text(by_name[c])})" for c in _declared(spec) if c in by_name}
    count = _insert(con, m, spec, "_records", position, {c: by_name[c] for c in position})
    con.execute("DROP TABLE _records")
    return Read(m.path, m.source, count, sha256, encoding=encoding)


def install_fhir_views(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """The flattened tables each fhir source adds (model.FHIR_VIEWS): <source>_patients, _coverage, _answers, _stays,
    _providers, _claim_lines, _consents, _conditions."""
    sql = read_sql("bcm_analytics.ingest.profiles", "fhir.sql")
    for name, spec in profile.sources.items():
        if spec.format == "fhir":
            con.execute(sql.replace("{source}", name))


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]
