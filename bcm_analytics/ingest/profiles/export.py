"""A foreign export through a profile: files in, canonical rows per source file out, loaded.

    mapping = map_export(profile, paths)      # read and map; nothing touches the store
    for rows, result in load_export(con, mapping):
        ...                                   # one FileResult (or FileRefused) per file and table

The mapping runs in its own in-memory DuckDB. The profile's SQL is checked on empty source
tables before any file is read (a wrong column is one line naming the key), and runs with
file access switched off once the files are read, so an expression cannot read or write a
file. The rows go to the loader as in-memory sources (ingest/arrow_source.py): the same contracts,
quarantine, provenance and idempotency as a canonical file, with the source file's name, its
lines and its records.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from bcm_analytics.config import settings as config
from bcm_analytics.contracts.tables import table_specs
from bcm_analytics.ingest.arrow_source import NOTES, WRITTEN, ArrowSource
from bcm_analytics.ingest.loader import LoadOptions, load_file
from bcm_analytics.ingest.profiles import mapping, sources
from bcm_analytics.ingest.profiles.catalog import loinc
from bcm_analytics.ingest.profiles.model import Profile, ProfileError, did_you_mean
from bcm_analytics.ingest.readers import FileRefused


@dataclass
class TableRows:
    """The canonical rows one source file gives one table.

    `layers` hold the rows with distinct `_line`s each: a record that gives two rows (a
    session with a PHQ-9 and a GAD-7 score) puts its second row in a second layer, since the
    quarantine knows a row by its line. Most files have one layer.
    """

    path: Path
    table: str
    layers: list[pa.Table]
    sha256: list[str]
    sheet: str | None = None  # a workbook's sheet the rows come from (recorded in meta.load_log.read_options)
    labels: dict[str, str] = field(default_factory=dict)  # canonical column -> the file's name for it (mapping.column_labels)
    encoding: str | None = None  # the file's text encoding (recorded in meta.load_log)
    delimiter: str | None = None  # a CSV file's delimiter: a ;-delimited file's columns may write decimal commas
    hidden_rows: tuple[int, ...] = ()  # a workbook: its rows hidden in the sheet (the `_line`s of records read)
    date_formats: dict[str, list[str]] = field(default_factory=dict)  # date column -> the profile's formats for it (mapping.date_formats)
    header_line: int = 1  # the file's line (a sheet's row) of its column names, below a title the reader passed over (sources.Read)

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.layers)


@dataclass
class FileUse:
    """How many of a file's records the profile used, per table, and what it left out."""

    path: Path
    source: str
    records: int
    used: int
    by_table: dict[str, int] = field(default_factory=dict)
    unused_kinds: dict[str, int] = field(default_factory=dict)  # fhir: resource types left out
    unused_reason: str = ""

    @property
    def unused(self) -> int:
        return self.records - self.used


@dataclass
class Mapping:
    profile: Profile
    tables: list[TableRows]  # in load order
    files: list[FileUse]
    ignored: list[tuple[Path, str]]  # files the profile did not read, and why
    missing_sources: list[str]  # declared sources no file of this load matched


def map_export(profile: Profile, paths: list[str | Path], sheet: str | None = None, scratch: Path | None = None) -> Mapping:
    """Read and map the files of an export. Raises ProfileError (the profile) or FileRefused (a
    file that cannot be read; nothing of the export is loaded then: its files belong together).

    Temporary files (a UTF-8 copy of a file in another encoding, DuckDB's spill) go in a
    private folder inside `scratch` (the store's private temp folder: loader.scratch_folder),
    else in the system's temp folder, and are removed when the mapping ends."""
    matched, ignored = sources.match(profile, paths)
    if not matched:
        patterns = "; ".join(f"{n}: {', '.join(s.files)}" for n, s in profile.sources.items())
        raise ProfileError(f"no file matches the {profile.name} profile's sources ({patterns})")
    with tempfile.TemporaryDirectory(prefix="bcm-profile-", dir=scratch) as folder:  # private (0700), removed after
        check_profile(profile, Path(folder))
        con = _connection(profile, Path(folder))
        try:
            reads = [sources.read(con, profile, m, Path(folder), sheet) for m in matched]
            sources.install_fhir_views(con, profile)
            _sandbox(con)
            try:
                tables = mapping.map_tables(con, profile)
            except duckdb.Error as e:
                raise ProfileError(f"{profile.path}: {_first_line(e)}") from None
            rows = [r for t in tables for r in _table_rows(con, profile, t, {str(r.path): r for r in reads})]
            files = [_file_use(con, profile, r) for r in reads]
        finally:
            con.close()
    skipped = [(p, f"no source of the {profile.name} profile matches its name") for p in ignored]
    no_resources = {r.path for r in reads if r.kinds and set(r.kinds) == {sources.NOT_A_RESOURCE}}
    empty = [u for u in files if u.path in no_resources]
    skipped += [(u.path, "no FHIR resource in it (a bulk-data manifest?)") for u in empty]
    files = [u for u in files if u not in empty]
    present = {u.source for u in files}
    missing = [s for s in profile.sources if s not in present]
    return Mapping(profile, rows, files, skipped, missing)


def load_export(con: duckdb.DuckDBPyConnection, mapping_: Mapping, coverage_file: str = "history"):
    """Load the mapped rows into the store; yields (TableRows, FileResult | FileRefused).

    Each layer of a file's rows is one load (its own transaction); a refused layer reports the
    file and table refused, though an earlier layer of it may have loaded. `coverage_file` is
    LoadOptions.coverage_file; a file whose coverage rows come in layers (a record giving two
    periods) loads them as additions, every layer: as history each layer would withdraw the
    periods the other holds."""
    profile = mapping_.profile
    options = LoadOptions(two_digit_year_pivot=profile.two_digit_year_pivot, coverage_file=coverage_file)
    for rows in mapping_.tables:
        results = []
        layered = replace(options, date_formats=rows.date_formats,
                          coverage_file="additions" if len(rows.layers) > 1 else coverage_file)
        try:
            for layer, sha256 in zip(rows.layers, rows.sha256):
                source = ArrowSource(rows=layer, path=rows.path, sha256=sha256, table=rows.table, format=f"profile:{profile.name}",
                                     sheet=rows.sheet, labels=rows.labels, encoding=rows.encoding,
                                     delimiter=rows.delimiter, hidden_rows=rows.hidden_rows, header_line=rows.header_line)
                results.append(load_file(con, source, options=layered))
        except FileRefused as refused:
            yield rows, refused
            continue
        yield rows, combine(results)


@dataclass
class ZoneMismatch:
    """A profile read the export's clock times in its `timezone`, and the store dates them in
    another: the program's zone (--timezone, $BCM_TIMEZONE or the default), which a clinic that
    names none is in. A reading late in the evening then falls on the next day, and on a month's
    last day in the next month, where its minutes bill."""

    profile_zone: str
    store_zone: str
    clinics: list[str]  # the clinics (of the patients read) that name no zone; '(no clinic)' for patients without one
    readings: int  # readings of the load with a time of day, of those clinics' patients
    other_day: int  # of them, those whose day differs between the two zones
    other_month: int  # ... and whose month does
    example: str | None  # the first that changes month (else day): 'file line N: <time> in <profile zone> counts in <month>'


# The readings a profile's time zone turns into instants: (table, column) with a time of day.
ZONED_READINGS = [("time_logs", "service_date"), ("assessments", "administered_on"), ("facility_stays", "admitted_at"),
                  ("facility_stays", "discharged_at")]


def zone_mismatch(con: duckdb.DuckDBPyConnection, profile: Profile, first_load: int) -> ZoneMismatch | None:
    """The readings of loads from `first_load` on that the profile's zone and the store's date
    differently, for patients whose clinic names no zone; None when the zones agree (or the
    profile names none, or no reading is of such a clinic). A warning, not a guess: which zone the
    clinics are in is the program's to say (a clinics file's timezone, or BCM_TIMEZONE)."""
    store_zone = con.execute("SELECT getvariable('bcm_timezone')").fetchall()[0][0]
    if not profile.timezone or profile.timezone == store_zone:
        return None
    there = "timezone($profile_zone, r.at)"
    here = "timezone($store_zone, r.at)"
    readings = " UNION ALL ".join(
        f"SELECT patient_id, _source_file, _line, {column}_instant AS at FROM staging.{table} "
        f"WHERE _load_id >= $first_load AND {column}_instant IS NOT NULL" for table, column in ZONED_READINGS)
    rows = con.execute(
        f"""WITH r AS ({readings}),
        moved AS (SELECT coalesce(p.clinic_id, '(no clinic)') AS clinic, r._source_file, r._line, {there} AS there,
                         CAST({there} AS DATE) <> CAST({here} AS DATE) AS other_day,
                         date_trunc('month', {there}) <> date_trunc('month', {here}) AS other_month,
                         strftime({here}, '%Y-%m') AS month_here, strftime({here}, '%Y-%m-%d') AS day_here
                  FROM r JOIN staging.patients p USING (patient_id) LEFT JOIN staging.clinics c USING (clinic_id)
                  WHERE c.timezone IS NULL)
        SELECT list(DISTINCT clinic ORDER BY clinic), count(*), count(*) FILTER (WHERE other_day), count(*) FILTER (WHERE other_month),
               arg_min(regexp_replace(replace(_source_file, chr(92), '/'), '^.*/', '') || ' line ' || _line || ': '
                       || strftime(there, '%Y-%m-%d %H:%M') || ' in ' || $profile_zone
                       || CASE WHEN other_month THEN ' counts in ' || month_here ELSE ' counts on ' || day_here END,
                       (NOT other_month, _source_file, _line)) FILTER (WHERE other_day)
        FROM moved""",
        {"profile_zone": profile.timezone, "store_zone": store_zone, "first_load": first_load},
    ).fetchall()[0]
    clinics, count, other_day, other_month, example = rows
    if not count:
        return None
    return ZoneMismatch(profile.timezone, store_zone, clinics, count, other_day, other_month, example)


def combine(results: list):
    """One FileResult for the layers of a file's rows: counts add up, the first load names it
    (and says what the file is: its header line, the load it replaces are each layer's, not a sum)."""
    first = results[0]
    if len(results) == 1:
        return first
    total = type(first)(path=first.path, table=first.table, load_id=first.load_id)
    for f in fields(first):
        values = [getattr(r, f.name) for r in results]
        if isinstance(values[0], bool):
            setattr(total, f.name, all(values))
        elif isinstance(values[0], (int, float)) and f.name != "load_id":
            setattr(total, f.name, sum(values) if f.name.startswith("rows_") or f.name == "seconds" else values[0])
        elif isinstance(values[0], list):
            setattr(total, f.name, sorted({c for v in values for c in v}))
        elif isinstance(values[0], tuple):
            setattr(total, f.name, tuple(sorted({c for v in values for c in v})))
    return total


def check_profile(profile: Profile, scratch: Path | None = None) -> None:
    """ProfileError (one line naming the key) when the profile's SQL does not run on its sources.
    The check has a connection of its own, with file access off: it reads no file, and SQL that
    ends its expression and adds a statement (`1) FROM t; COPY ... TO 'x'; SELECT (1`) must not
    write one before a load has even read the export."""
    with tempfile.TemporaryDirectory(prefix="bcm-profile-", dir=scratch) as folder:
        con = _connection(profile, Path(folder))
        try:
            _sandbox(con)
            _check_sql(con, profile)
        finally:
            con.close()


def _sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """No file access from here on, and no setting may turn it back on."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _connection(profile: Profile, folder: Path) -> duckdb.DuckDBPyConnection:
    """The profile's own in-memory database (spilling into `folder` when an export is larger
    than memory): empty source tables and the LOINC catalogue."""
    con = duckdb.connect(config={"memory_limit": config.memory_limit(), "temp_directory": str(folder / "spill")})
    con.execute("SET enable_progress_bar = false")
    sources.create_tables(con, profile)
    mapping.install(con, _catalogue(profile))
    return con


def _catalogue(profile: Profile):
    """The LOINC catalogue with every code a profile's scores blocks add."""
    extra = {code: meaning for maps in profile.tables.values() for m in maps if m.scores for code, meaning in m.scores.codes.items()}
    return loinc().with_codes(extra) if extra else loinc()


def _check_sql(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """Run every table map on the empty source tables: a wrong column or function in the
    profile's SQL is found before any file is read, and named by its key."""
    sources.install_fhir_views(con, profile)
    specs = table_specs()
    for table, maps in profile.tables.items():
        for i, m in enumerate(maps):
            where = f"tables.{table}" + (f"[{i}]" if len(maps) > 1 else "")
            probes = [(f"{where}.where", f"SELECT ({m.where}) FROM {mapping._from(m)}")] if m.where else []
            probes += [(f"{where}.unnest.{a}", f"SELECT * FROM {mapping._from(m)}") for a in m.unnest]
            if m.scores:
                probes += [(f"{where}.scores.{k}", f"SELECT ({e}) FROM {mapping._from(m)}")
                           for k, e in [("code", m.scores.code), ("value", m.scores.value)] + [("group_by", g) for g in m.scores.group_by]]
            else:
                kinds = {c.name: c.type for c in specs[table].columns}
                names = set(mapping._source_columns(con, m.from_))
                probes += [(f"{where}.columns.{name}", f"SELECT {mapping.value_sql(profile, c, kinds[name], names)} FROM {mapping._from(m)}")
                           for name, c in m.columns.items()]
                probes += [(f"{where}.columns.{name}.{key}", f"SELECT ({sql}) FROM {mapping._from(m)}")
                           for name, c in m.columns.items() for key, sql in (("reject", c.reject), ("note", c.note)) if sql]
            for key, sql in probes:
                try:
                    con.execute(f"{sql} LIMIT 0")
                except duckdb.Error as e:
                    raise ProfileError(f"{profile.path}: {key}: {_not_read(con, m.from_, e)}") from None
    try:
        mapping.map_tables(con, profile)
    except duckdb.Error as e:
        raise ProfileError(f"{profile.path}: {_first_line(e)}") from None


def _table_rows(con: duckdb.DuckDBPyConnection, profile: Profile, table: str, reads: dict[str, sources.Read]) -> list[TableRows]:
    """A table's mapped rows per source file, in layers, with what reading the file found (`reads`:
    its sheet, encoding, the names it gives the columns)."""
    spec = table_specs()[table]
    labels = mapping.column_labels(con, profile, table)
    formats = mapping.date_formats(profile, table)
    described = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM _out_{table}").fetchall()]
    cols = [c for c in described if not c.startswith("_")]
    notes = f", {NOTES}" if NOTES in described else ""  # only a table some column's `note` fills: other digests stay as they were
    notes += f", {WRITTEN}" if WRITTEN in described else ""  # dates as the file wrote them, for reasons (not in the digest)
    key = ", ".join(c for c in spec.key if c in cols) or "_record"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _layered AS
        SELECT *, row_number() OVER (PARTITION BY _file, _line ORDER BY {key}, _record) AS _layer FROM _out_{table}"""
    )
    out = []
    for path, layers in con.execute("SELECT _file, max(_layer) FROM _layered GROUP BY _file ORDER BY _file").fetchall():
        tables, digests = [], []
        for layer in range(1, layers + 1):
            rows = con.sql(
                f"""SELECT {", ".join(cols)}, _line, _record{notes} FROM _layered
                WHERE _file = {mapping._literal(path)} AND _layer = {layer} ORDER BY _line"""
            ).to_arrow_table()
            tables.append(rows)
            digests.append(_digest(table, layer, rows.drop_columns([WRITTEN]) if WRITTEN in rows.column_names else rows))
        read = reads.get(path)
        out.append(TableRows(Path(path), table, tables, digests, read.sheet if read else None,
                             labels.get(read.source, {}) if read else {}, read.encoding if read else None,
                             read.delimiter if read else None, read.hidden_rows if read else (),
                             formats.get(read.source, {}) if read else {}, read.header_line if read else 1))
    con.execute("DROP TABLE _layered")
    return out


def _digest(table: str, layer: int, rows: pa.Table) -> str:
    """Same rows for the same table: same hash, so loading an export twice changes nothing."""
    digest = hashlib.sha256(f"profile rows\x00{table}\x00{layer}\x00".encode())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


# Why a scores map left a row out when its profile does not say: a flowsheet export holds rows of
# other codes (a PHQ-9's "difficulty" question, other flowsheets) beside the items and totals.
SCORES_LEFT_OUT = "rows whose code is no instrument's item or total: neither a LOINC code bcm knows nor one of the scores map's codes"


def _file_use(con: duckdb.DuckDBPyConnection, profile: Profile, read: sources.Read) -> FileUse:
    """Records of a file that fed rows of a table (a source only looked into, such as payers
    for the patients' payer, is used whole by the tables that read it), and why others were not."""
    f = mapping._literal(str(read.path))
    src = read.source
    used = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT _line FROM _used WHERE _source = '{src}' AND _file = {f})").fetchall()[0][0]
    by_table = dict(con.execute(
        f"SELECT _table, count(DISTINCT _line) FROM _used WHERE _source = '{src}' AND _file = {f} GROUP BY _table ORDER BY _table"
    ).fetchall())
    use = FileUse(read.path, src, read.records, used, by_table)
    if profile.sources[src].format == "fhir":
        use.unused_kinds = dict(con.execute(
            f"""SELECT coalesce(resource ->> 'resourceType', '{sources.NOT_A_RESOURCE}'), count(*) FROM {src} s
            WHERE s._file = {f} AND NOT EXISTS (SELECT 1 FROM _used u WHERE u._source = '{src}' AND u._file = s._file AND u._line = s._line)
            GROUP BY ALL ORDER BY 2 DESC, 1"""
        ).fetchall())
    reasons = []
    for table, maps in profile.tables.items() if use.unused else ():
        for m in maps:
            reason = m.skip_reason or (SCORES_LEFT_OUT if m.scores else None)
            if reason and mapping.source_of(profile, m.from_) == src and con.execute(
                f"""SELECT count(*) FROM {m.from_} v WHERE v._file = {f} AND NOT EXISTS (SELECT 1 FROM _used u
                    WHERE u._source = '{src}' AND u._table = '{table}' AND u._file = v._file AND u._line = v._line)"""
            ).fetchall()[0][0]:
                reasons.append(reason)
    use.unused_reason = "; ".join(dict.fromkeys(reasons))
    return use


def _not_read(con: duckdb.DuckDBPyConnection, source: str, error: duckdb.Error) -> str:
    """DuckDB's error, and for a name the source does not read what to do about it: a source reads
    only the columns its `columns:` list names (`bcm profile draft` writes the others in a
    comment, "not read"), so mapping one of those alone failed with DuckDB's words only."""
    said = _first_line(error)
    found = re.search(r'Referenced column "([^"]+)" not found', str(error))
    if not found:
        return said
    reads = mapping._source_columns(con, source)
    close = did_you_mean(found.group(1), reads)
    return (f"{said}: source {source} reads {', '.join(reads)}{close or ''}; a column of the file it does not list "
            f"is read once added to sources.{source}.columns (or optional_columns)")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:300]
