"""A profile's table maps as SQL: source tables in, canonical text columns out.

Everything runs as a few statements per table map over whole source tables (profiles/
sources.py builds them), in the profile's own in-memory DuckDB. For each canonical table the
result is the table `_out_<table>`: the mapped canonical columns (text), `_file` and `_line`
of the source record each row comes from, and `_record` (that record as JSON). `_used` lists
the source records that fed some row, so a load can say what it left out.

Values are handed on as text: typing and every check stay the loader's, so a profile load is
judged by the same contracts as a canonical file. What happens here is only what the profile
says: renames, constants, expressions, value maps, the profile's date formats, two-digit-year
pivot and time zone, and (for `scores`) LOINC-coded rows gathered into one row per
administration and instrument.
"""

from __future__ import annotations

import json
import re

import duckdb
import pyarrow as pa

from bcm_analytics.contracts.snippets import parameter_sql
from bcm_analytics.contracts.suites import vocabularies
from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.ingest.arrow_source import NOTES, WRITTEN
from bcm_analytics.ingest.profiles import sources
from bcm_analytics.ingest.profiles.catalog import Loinc
from bcm_analytics.ingest.profiles.model import SCORE_COLUMNS, ColumnSpec, Profile, TableMap, _identifier, note_check
from bcm_analytics.ingest.profiles.model import normalise as _normalise
from bcm_analytics.sqlfiles import read_sql

ITEMS = [str(i) for i in range(1, 10)]
# Wall-clock readings a profile's time zone can turn into instants (the loader reads the same).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S.%f",
                 "%Y-%m-%d %H:%M:%S.%f", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p"]


def install(con: duckdb.DuckDBPyConnection, catalogue: Loinc) -> None:
    """The LOINC tables a `scores` block joins, and the macros profile expressions call (helpers.sql)."""
    families = _families(catalogue)
    _codes = pa.table({  # noqa: F841 (read by name below)
        "code": [c.code for c in catalogue.codes],
        "instrument": [c.instrument for c in catalogue.codes],
        "item": [c.item for c in catalogue.codes],
        "family": [families[c.instrument] for c in catalogue.codes],
    })
    con.execute("CREATE OR REPLACE TABLE loinc_codes AS SELECT * FROM _codes")
    instruments = sorted(catalogue.item_counts)
    _instruments = pa.table({  # noqa: F841
        "instrument": instruments,
        "family": [families[i] for i in instruments],
        "n_items": [catalogue.item_counts[i] for i in instruments],
        "codes": [sorted(c.code for c in catalogue.codes if c.instrument == i and c.item in ITEMS) for i in instruments],
    })
    con.execute("CREATE OR REPLACE TABLE _instruments AS SELECT * FROM _instruments")
    _answers = pa.table({"answer": list(catalogue.answers), "score": [str(v) for v in catalogue.answers.values()]})  # noqa: F841
    con.execute("CREATE OR REPLACE TABLE _answers AS SELECT * FROM _answers")
    con.execute(read_sql("bcm_analytics.ingest.profiles", "helpers.sql"))
    # the contracts' earliest date, so a profile clamps to the day the loader would refuse before
    con.execute(f"CREATE OR REPLACE TEMP MACRO earliest_date() AS ({parameter_sql('earliest_date')})")


def _families(catalogue: Loinc) -> dict[str, str]:
    """Instruments that share item codes (PHQ-9 and PHQ-2) are one family: an item found
    without its total belongs to the family's smallest instrument that has all such items."""
    family = {i: i for i in catalogue.item_counts}
    by_code: dict[str, list[str]] = {}
    for c in catalogue.codes:
        by_code.setdefault(c.code, []).append(c.instrument)
    changed = True
    while changed:
        changed = False
        for members in by_code.values():
            root = min(family[m] for m in members)
            for m in members:
                if family[m] != root:
                    family[m], changed = root, True
    return family


def map_tables(con: duckdb.DuckDBPyConnection, profile: Profile) -> list[str]:
    """Create `_out_<table>` for every table the profile maps, and `_used`; returns the tables
    in load order. Raises duckdb.Error from a profile's SQL (the caller names the key)."""
    specs = table_specs()
    con.execute("CREATE OR REPLACE TABLE _used (_source VARCHAR, _file VARCHAR, _line BIGINT, _table VARCHAR)")
    done = []
    for table in sorted(profile.tables, key=lambda t: specs[t].load_order):
        spec = specs[table]
        selects = []
        for i, m in enumerate(profile.tables[table]):
            source = source_of(profile, m.from_)
            rows = f"_rows_{table}_{i}"
            if m.scores:
                administrations = _scores(con, profile, spec, m, rows)
                con.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT {_columns(con, profile, spec, m)}, _file, _line, _record FROM {administrations}")
                con.execute(f"DROP TABLE {administrations}")
            else:
                v = m.from_
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE {rows} AS SELECT {_columns(con, profile, spec, m)}, {v}._file AS _file,
                    {v}._line AS _line, {sources.record_sql(con, profile, v)} AS _record FROM {_from(m)}{_where(m)}"""
                )
                con.execute(f"INSERT INTO _used SELECT DISTINCT '{source}', _file, _line, '{table}' FROM {rows}")
            for view in m.lookups:  # a lookup no table maps from is used whole by the tables reading it
                if not any(other.from_ == view for others in profile.tables.values() for other in others):
                    con.execute(f"INSERT INTO _used SELECT DISTINCT '{source_of(profile, view)}', _file, _line, '{table}' FROM {view}")
            selects.append(f"SELECT * FROM {rows}")
        con.execute(f"CREATE OR REPLACE TABLE _out_{table} AS {' UNION ALL BY NAME '.join(selects)}")
        done.append(table)
    return done


def column_labels(con: duckdb.DuckDBPyConnection, profile: Profile, table: str) -> dict[str, dict[str, str]]:
    """Per source, the file's own name for each canonical column of `table` whose value is one
    source column ('Encounter ID' for entry_id), as the file writes the name: quarantine reasons
    name the column a person fixing the file sees. A constant, an expression over several
    columns or LOINC-coded scores has no one column to name (the reason keeps bcm's name), and
    neither has a column two maps of a source fill differently."""
    found: dict[str, dict[str, str | None]] = {}
    for m in profile.tables.get(table, []):
        if m.from_ not in profile.sources:  # a flattened FHIR view: resources, not named columns
            continue
        names = dict(con.execute("SELECT column_name, original FROM _record_keys WHERE source = ?", [m.from_]).fetchall())
        labels = found.setdefault(m.from_, {})
        for canonical, c in m.columns.items():
            read = _columns_read(con, c, m.from_)
            label = names.get(read[0]) if len(read) == 1 else None
            labels[canonical] = label if labels.get(canonical, label) == label else None
    return {source: {c: n for c, n in labels.items() if n} for source, labels in found.items()}


def date_formats(profile: Profile, table: str) -> dict[str, dict[str, list[str]]]:
    """Per source, the strptime formats the profile reads each date column of `table` with (the
    column's date_format, then the profile's date_formats), for the reason of a date none of them
    and none of bcm's forms reads (columns.profile_words): whoever wrote %d.%m.%y into the profile
    is told 31.01.25 reads, not only forms the profile never mentions."""
    kinds = {c.name: c.type for c in table_specs()[table].columns}
    found: dict[str, dict[str, list[str]]] = {}
    for m in profile.tables.get(table, []):
        formats = found.setdefault(source_of(profile, m.from_), {})
        for canonical, column in m.columns.items():
            if kinds.get(canonical) in ("date", "datetime") and column.date_format + profile.date_formats:
                formats.setdefault(canonical, list(dict.fromkeys(column.date_format + profile.date_formats)))
    return {source: formats for source, formats in found.items() if formats}


def _columns_read(con: duckdb.DuckDBPyConnection, column: ColumnSpec, source: str) -> list[str]:
    """The source columns a canonical column's value is read from (DuckDB's parse of its SQL)."""
    if column.column is not None:
        return [_normalise(column.column)]
    if column.sql is None:
        return []
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [f"SELECT {column.sql}"]).fetchall()[0][0])
    refs: list[list[str]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("class") == "COLUMN_REF":
                refs.append(node["column_names"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    read = {_normalise(r[-1]) for r in refs if len(r) == 1 or (len(r) == 2 and r[0] == source)}
    return sorted(read) if len(read) == len(refs) else []  # a reference to another table's column: not one of the file's


def source_of(profile: Profile, view: str) -> str:
    """The source a table map reads: itself, or the fhir source a flattened view comes from."""
    if view in profile.sources:
        return view
    return next(s for s in profile.sources if view.startswith(f"{s}_"))


def _from(m: TableMap) -> str:
    """The map's source, with one row per element of each `unnest` array (a struct per alias)."""
    text = m.from_
    for alias, u in m.unnest.items():
        fields = ", ".join(f"e.value ->> {_literal(f)} AS {_identifier(f)}" for f in u.fields)
        # Text that is not JSON is one element with no fields: its row is set aside by the
        # contracts (a required column empty), with the text in its record, not dropped.
        value = f"CAST(({u.path}) AS VARCHAR)"
        array = f"CASE WHEN {value} IS NULL THEN NULL WHEN json_valid({value}) THEN CAST({value} AS JSON) ELSE to_json([{value}]) END"
        text += f", LATERAL (SELECT {fields} FROM json_each({array}) e ORDER BY CAST(e.key AS BIGINT)) AS {alias}"
    return text


def _where(m: TableMap) -> str:
    return f" WHERE ({m.where})" if m.where else ""


def _columns(con: duckdb.DuckDBPyConnection, profile: Profile, spec: TableSpec, m: TableMap) -> str:
    """The canonical columns the map fills, as text (scores maps fill the score columns too)."""
    names = set(_source_columns(con, m.from_))
    specs = dict(m.columns)
    if m.scores:
        for name in SCORE_COLUMNS:
            specs.setdefault(name, ColumnSpec(sql=name))
    kinds = {c.name: c.type for c in spec.columns}
    notes = notes_sql(profile, m, _unmapped_values(profile, spec, m, names))
    written = written_sql(profile, {name: c for name, c in specs.items() if kinds[name] in ("date", "datetime")}, kinds, names)
    return ", ".join(f"{value_sql(profile, c, kinds[name], names)} AS {name}" for name, c in specs.items()) \
        + (f", {notes} AS {NOTES}" if notes else "") + (f", {written} AS {WRITTEN}" if written else "")


def written_sql(profile: Profile, dates: dict[str, ColumnSpec], kinds: dict[str, str], source_columns: set[str]) -> str | None:
    """SQL: the date columns the profile rewrites (read with a date_format and written as ISO, or a
    local time moved to an instant by its time zone) as the source wrote them, a JSON object as
    text (arrow_source.WRITTEN), or None when it rewrites none. A date set aside for its range then
    quotes '06/01/2099' (read as 2099-01-06), the text in the file, not the ISO date it became."""
    rewritten = {name: _text(profile, c, source_columns) for name, c in dates.items()
                 if c.date_format or profile.date_formats or (profile.timezone and kinds[name] == "datetime")}
    if not rewritten:
        return None
    pairs = ", ".join(f"{_literal(name)}, {text}" for name, text in rewritten.items())
    return f"CASE WHEN coalesce({', '.join(rewritten.values())}) IS NOT NULL THEN CAST(json_object({pairs}) AS VARCHAR) END"


def _unmapped_values(profile: Profile, spec: TableSpec, m: TableMap, source_columns: set[str]) -> list[str]:
    """SQL: a note for each column read through a value map whose value is neither a key of the map
    nor a word of the column's vocabulary (the suite's value set), setting the row aside where the
    vocabulary check does (a warning where it only warns: contact_mode): the vocabulary check
    alone said "'MA' is not one of bhcm, ...", and a person had to work out that the profile's map
    lacks the export's word, and which map."""
    checks = vocabularies(spec.name)
    items = []
    for name, column in m.columns.items():
        if not column.map or name not in checks:
            continue
        keys = list(profile.value_maps[column.map])
        words = [str(w) for w in checks[name].kwargs["value_set"]]
        raw = f"nullif(trim(CAST({column.expression(source_columns)} AS VARCHAR)), '')"
        known = ", ".join(_literal(w.strip().lower()) for w in keys + words)
        after = (f"' is not in the profile's value map {column.map} ({', '.join(keys)}): add it to value_maps.{column.map} "
                 f"of the {profile.name} profile with the vocabulary's word it means")
        said = f"{_literal(name + ' ' + chr(39))} || {raw} || {_literal(after)}"
        items.append(f"CASE WHEN {raw} IS NOT NULL AND lower({raw}) NOT IN ({known}) THEN json_object('name', "
                     f"{_literal(note_check(profile.name, name))}, 'reason', {said}, 'waits', false, 'reject', {checks[name].severity == 'reject'}) END")
    return items


def notes_sql(profile: Profile, m: TableMap, unmapped: list[str] = ()) -> str | None:
    """SQL: the notes of the map's columns that say something for the row, as JSON text
    ([{name, reason, waits}], NULL when none), or None when no column has a note. The loader keeps
    the row with each as a warning (arrow_source.NOTES): a value the profile completed (a month
    read as its last day) is then listed, per row, where a person reviews what was loaded. A
    column's `reject` says why the row cannot be loaded as the export wrote it (a FHIR claim line
    coded in the clinic's own codes, no CPT): its note carries `reject: true`, and the loader sets
    the row aside with that reason (rows.check), rather than only saying which column is empty;
    so does a value its value map lacks (`unmapped`: _unmapped_values)."""
    items = list(unmapped)
    for name, column in m.columns.items():
        for sql, reject in ((column.reject, True), (column.note, False)):
            if sql:
                said = f"nullif(trim(CAST(({sql}) AS VARCHAR)), '')"
                flag = ", 'reject', true" if reject else ""
                items.append(f"CASE WHEN {said} IS NOT NULL THEN json_object('name', {_literal(note_check(profile.name, name))}, "
                             f"'reason', {said}, 'waits', false{flag}) END")
    if not items:
        return None
    found = f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"
    return f"CASE WHEN len({found}) > 0 THEN CAST(to_json({found}) AS VARCHAR) END"


def value_sql(profile: Profile, column: ColumnSpec, kind: str, source_columns: set[str] = frozenset()) -> str:
    """A column's value as trimmed text (empty = missing), mapped and with its dates normalised."""
    value = _text(profile, column, source_columns)
    if kind in ("date", "datetime"):
        value = _dates(profile, column, value, kind)
    return value


def _text(profile: Profile, column: ColumnSpec, source_columns: set[str] = frozenset()) -> str:
    """A column's value as trimmed text (empty = missing) and mapped: what the source wrote, before dates are normalised."""
    value = f"nullif(trim(CAST({column.expression(source_columns)} AS VARCHAR)), '')"
    if column.map:
        cases = " ".join(f"WHEN {_literal(k.strip().lower())} THEN {_literal(v)}" for k, v in profile.value_maps[column.map].items())
        value = f"(CASE lower({value}) {cases} ELSE {value} END)"
    return value


def _dates(profile: Profile, column: ColumnSpec, value: str, kind: str) -> str:
    """The profile's pivot (a 2-digit year written in full, as the year in [pivot, pivot + 99]
    ending so, as the loader reads it), its date formats (written as ISO) and its time zone
    (local date-times become instants); a value none of them reads passes unchanged for the
    loader to judge: as the file wrote it when only the pivot would have changed it (the loader
    reads it with the same pivot, and a reason quotes it as written, never the year filled in)."""
    written = value
    if profile.two_digit_year_pivot is not None:
        parts = f"regexp_extract({value}, '^([0-9]{{1,2}})([/.-])([0-9]{{1,2}})([/.-])([0-9]{{2}})(\\s.*)?$', ['a', 's1', 'b', 's2', 'y', 'rest'])"
        pivot = profile.two_digit_year_pivot
        century = f"({pivot - pivot % 100} + CAST({parts}.y AS INTEGER))"
        year = f"CAST(CASE WHEN {century} >= {pivot} THEN {century} ELSE {century} + 100 END AS VARCHAR)"
        value = filled = (f"(CASE WHEN {parts}.y <> '' THEN {parts}.a || {parts}.s1 || {parts}.b || {parts}.s2 || {year} || {parts}.rest "
                          f"ELSE {value} END)")
    formats = column.date_format + profile.date_formats
    if formats:
        tries = [f"strftime({_four_digit_year(f'try_strptime({value}, {_literal(f)})')}, {_literal(_iso(f, kind))})" for f in formats]
        value = f"coalesce({', '.join(tries)}, {value})"
    if profile.timezone and kind == "datetime":
        local = _four_digit_year(f"try_strptime({value}, [{', '.join(_literal(f) for f in LOCAL_FORMATS)}])")
        value = (f"(CASE WHEN regexp_matches({value}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') OR {local} IS NULL THEN {value} "
                 f"ELSE strftime(timezone({_literal(profile.timezone)}, {local}) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') END)")
    if profile.two_digit_year_pivot is not None:
        value = f"(CASE WHEN {value} IS NOT DISTINCT FROM {filled} THEN {written} ELSE {value} END)"
    return value


def _four_digit_year(parsed: str) -> str:
    """DuckDB's %Y also reads '25' as the year 25: a reading before the year 1000 is none, so
    2/10/25 passes on as written and the loader sets it aside (unless the profile's pivot
    wrote the year in full first)."""
    return f"(CASE WHEN year({parsed}) >= 1000 THEN {parsed} END)"


def _iso(fmt: str, kind: str) -> str:
    has_time = kind == "datetime" and re.search(r"%[HIMS]", fmt)
    return "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"


def _scores(con: duckdb.DuckDBPyConnection, profile: Profile, spec: TableSpec, m: TableMap, name: str) -> str:
    """Rows coded by LOINC gathered into one row per administration and instrument.

    An instrument is in an administration (rows sharing the `group_by` values) when its total
    or panel code is; each item row goes to every such instrument that has its code (PHQ-9
    and PHQ-2 share items 1-2). Items with neither go to their family's smallest instrument
    holding them all. A code given twice with different values is not guessed: the value
    becomes 'conflicting values: a, b' and the loader sets the row aside naming them. The
    row's line is its total's (else its panel's, else its first item's); its record lists
    every source record that went into it, with their lines.
    """
    s = m.scores
    source = source_of(profile, m.from_)
    groups = ", ".join(f"_g{i}" for i in range(len(s.group_by)))
    gexprs = ", ".join(f"({e}) AS _g{i}" for i, e in enumerate(s.group_by))
    record = sources.record_sql(con, profile, m.from_, alias="src")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _coded AS
        WITH src AS (SELECT *, trim(CAST(({s.code}) AS VARCHAR)) AS _code, trim(CAST(({s.value}) AS VARCHAR)) AS _value, {gexprs}
                     FROM {_from(m)}{_where(m)}),
             coded AS (SELECT src.*, {record} AS _source_record, k.instrument AS _instrument, k.item AS _item, k.family AS _family,
                              CASE k.item WHEN 'total' THEN 0 WHEN 'panel' THEN 1 ELSE 2 END AS _prio,
                              coalesce(a.score, nullif(src._value, '')) AS _score
                       FROM src JOIN loinc_codes k ON k.code = src._code LEFT JOIN _answers a ON a.answer = lower(src._value))
        SELECT *, dense_rank() OVER (ORDER BY {groups}) AS _gid, row_number() OVER () AS _rid FROM coded"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _assigned AS
        WITH explicit AS (SELECT DISTINCT _gid, _instrument FROM _coded WHERE _item IN ('total', 'panel')),
             covered AS (SELECT DISTINCT c._file, c._line, c._code FROM _coded c SEMI JOIN explicit e USING (_gid, _instrument)),
             uncovered AS (SELECT c.* FROM _coded c ANTI JOIN covered v USING (_file, _line, _code) WHERE c._item NOT IN ('total', 'panel')),
             need AS (SELECT _gid, _family, list(DISTINCT _code) AS codes FROM uncovered GROUP BY ALL),
             implicit AS (SELECT n._gid, n._family,
                                 coalesce(arg_min(i.instrument, i.n_items) FILTER (WHERE list_has_all(i.codes, n.codes)),
                                          arg_max(i.instrument, i.n_items)) AS _instrument
                          FROM need n JOIN _instruments i ON i.family = n._family GROUP BY ALL),
             assigned AS (SELECT c.* FROM _coded c SEMI JOIN explicit e USING (_gid, _instrument)
                          UNION ALL
                          SELECT u.* FROM uncovered u SEMI JOIN implicit i USING (_gid, _family, _instrument))
        SELECT *, row_number() OVER (PARTITION BY _gid, _instrument ORDER BY _prio, _file, _line) AS _rank FROM assigned"""
    )
    con.execute(f"INSERT INTO _used SELECT DISTINCT '{source}', _file, _line, '{spec.name}' FROM _assigned")
    carried = [c for c in (r[0] for r in con.execute("DESCRIBE _assigned").fetchall()) if not c.startswith("_") and c not in SCORE_COLUMNS]
    rows = f"_administrations_{name}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {rows} AS
        WITH vals AS (
          SELECT _gid, _instrument, _item,
                 CASE WHEN min(_score) <> max(_score) THEN 'conflicting values: ' || array_to_string(list_sort(list_distinct(list(_score))), ', ')
                      ELSE min(_score) END AS v
          FROM _assigned WHERE _item <> 'panel' GROUP BY ALL),
        per AS (
          SELECT _gid, _instrument, max(v) FILTER (WHERE _item = 'total') AS total_score,
                 {", ".join(f"max(v) FILTER (WHERE _item = '{i}') AS item_{i}" for i in ITEMS)}
          FROM vals GROUP BY ALL),
        recs AS (
          SELECT _gid, _instrument,
                 CAST(to_json(list(json_object('line', _line, 'record', CAST(_source_record AS JSON)) ORDER BY _file, _line)) AS VARCHAR) AS _record
          FROM _assigned GROUP BY ALL)
        SELECT a._instrument AS instrument, {_total_from_items(s.total_from_items)} AS total_score,
               {", ".join(f"per.item_{i}" for i in ITEMS)}, recs._record, a._file, a._line{"".join(f", a.{_identifier(c)}" for c in carried)}
        FROM _assigned a JOIN recs USING (_gid, _instrument) LEFT JOIN per USING (_gid, _instrument)
        JOIN _instruments i ON i.instrument = a._instrument
        WHERE a._rank = 1"""
    )
    for t in ("_coded", "_assigned"):
        con.execute(f"DROP TABLE {t}")
    return rows


def _total_from_items(enabled: bool) -> str:
    """No total but every item of the instrument: the total is their sum (the scoring rule)."""
    if not enabled:
        return "per.total_score"
    whole = "CASE WHEN try_cast(x AS DOUBLE) = floor(try_cast(x AS DOUBLE)) THEN CAST(try_cast(x AS DOUBLE) AS INTEGER) END"
    items = f"list_slice([{', '.join(f'per.item_{i}' for i in ITEMS)}], 1, i.n_items)"
    return (f"CASE WHEN per.total_score IS NULL AND i.n_items > 0 AND list_bool_and(list_transform({items}, lambda x: ({whole}) IS NOT NULL)) "
            f"THEN CAST(list_sum(list_transform({items}, lambda x: {whole})) AS VARCHAR) ELSE per.total_score END")


def _source_columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]
    return [n for n in names if not n.startswith("_") and n not in ("resource", "full_url")]


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
