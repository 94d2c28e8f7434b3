"""What happens to the typed rows of a batch: checks, quarantine, merge into staging, and the
re-examination of rows waiting in the quarantine.

A batch is the temp view _text (`_raw_<column>` texts with `_load_id`, `_source_file`,
`_line`): the rows of one file, or the waiting rows of earlier loads. Every statement works
on the whole batch inside DuckDB.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import duckdb

from bcm_analytics.contracts import checks as contract_checks
from bcm_analytics.contracts import columns as ty
from bcm_analytics.contracts.columns import TextOptions
from bcm_analytics.contracts.snippets import frame_patient_columns, frame_sql
from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.ingest.non_records import (
    EMPTY_CHECK,
    FOOTER_CHECK,
    HEADER_CHECK,
    IS_PASSED_OVER,
    PASSED_OVER,
    SUBTOTAL_CHECK,
    TITLE_CHECK,
    TOTALS_CHECK,
    failed,
)

# Every temporary object a load creates (landing and rows), dropped between batches.
TEMP_TABLES = ("_land", "_rej", "_rej_scan", "_recmap", "_lines", "_rej_lines", "_waiting", "_checked", "_judged", "_repeats", "_matched",
               "_held", "_settled", "_rejudged", "_rewarned", "_non_records", "_short_totals", "_short_titles", "_title_lines", "_titles", "_like_known",
               "_withdrawn", "_earlier", "_recorded")


def drop_temp_tables(con: duckdb.DuckDBPyConnection, load_ended: bool = False) -> None:
    """Drop every temporary table and view of a batch (the next batch reuses the names); once the
    load ended (`load_ended`), also those a load keeps across its batches (NAMED)."""
    con.execute("DROP VIEW IF EXISTS temp._text")
    for t in TEMP_TABLES + ((NAMED,) if load_ended else ()):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def _staging_columns(spec: TableSpec) -> list[str]:
    return [n for n, _ in spec.staging_columns()]


def check(con: duckdb.DuckDBPyConnection, spec: TableSpec, options: TextOptions = TextOptions()) -> None:
    """temp._checked: each row of temp._text typed and judged, in one pass over the batch, and the
    rows that fail or warn a second time with the sentences of the checks they fail (checked_sql:
    the sentences are most of a plan; a clean file's leaves them out, a dirty file's holds those
    of the checks that failed in it, a few of the dozens).

    It keeps what the later steps need: provenance, the typed staging columns, `_ok` and
    `_warned`, the lists of failures and warnings, and for rejected rows only the record the
    quarantine keeps (building it for every row would cost as much as the checks). The reader's
    notes on a row (`_notes`: a value a profile completed) are warnings of the row like a warn
    check's; a note marked `reject` (a profile column's `reject`: the value cannot be read from what
    the export wrote) is a failure of the row, first among its reasons.
    """
    con.execute(f"CREATE TEMP TABLE _checked AS {_checked_sql(spec, options, reasons=())}")
    # The rows that fail or warn judged again by themselves, with their reasons. The one check
    # that compares a row with the others of its file, coverage's overlapping period, is
    # symmetric: a row's overlapping periods fail it too, so they are among these rows.
    con.execute("CREATE TEMP TABLE _judged AS SELECT _rec, list_concat(_failures, _warnings) AS _broken "
                "FROM _checked WHERE NOT _ok OR _warned")
    failed = [r[0] for r in con.execute("SELECT DISTINCT unnest(_broken).name FROM _judged").fetchall()]
    if failed:  # a row that fails or warns names a check (or a reader's note) it breaks
        con.execute("DELETE FROM _checked WHERE _rec IN (SELECT _rec FROM _judged)")
        con.execute(f"INSERT INTO _checked {_checked_sql(spec, options, failed, '(SELECT * FROM _text WHERE _rec IN (SELECT _rec FROM _judged))')}")
    con.execute("DROP TABLE _judged")


def _checked_sql(spec: TableSpec, options: TextOptions, reasons: Collection[str] | None, texts: str = "_text") -> str:
    """The rows of `texts` as rows.check keeps them; `reasons`: contract_checks.checked_sql."""
    cols = ", ".join(_staging_columns(spec))
    return f"""SELECT _load_id, _source_file, _rec, _line, {cols}, _ok AND len(_rejects) = 0 AS _ok, _warned OR len(_noted) > 0 AS _warned,
               list_concat(_rejects, _failures) AS _failures, list_concat(_warnings, _noted) AS _warnings,
               CASE WHEN NOT _ok OR len(_rejects) > 0 THEN {_source_record(spec)} END AS _record
        FROM (SELECT *, {_notes(reject=True)} AS _rejects, {_notes(reject=False)} AS _noted
              FROM ({contract_checks.checked_sql(spec.name, texts, options, reasons)}))"""


def _notes(reject: bool) -> str:
    """SQL: a row's notes (`_notes`, JSON text) that set it aside (`reject`: true) or only warn, as
    failures; an empty list for the many rows with none, without reading any JSON."""
    picked = (f"list_filter(CAST(CAST(_notes AS JSON) AS JSON[]), "
              f"lambda x: coalesce(x ->> 'reject', 'false') {'=' if reject else '<>'} 'true')")
    failures = (f"list_transform({picked}, lambda x: {{'name': x ->> 'name', 'reason': x ->> 'reason', "
                f"'waits': CAST(x ->> 'waits' AS BOOLEAN)}})")
    none = f"CAST([] AS {contract_checks.FAILURE_TYPE})"
    return f"CASE WHEN _notes IS NULL THEN {none} ELSE coalesce(CAST({failures} AS {contract_checks.FAILURE_TYPE}), {none}) END"


def _record(spec: TableSpec, alias: str = "") -> str:
    """The row as the export wrote it (trimmed text), for the quarantine."""
    prefix = f"{alias}." if alias else ""
    return "to_json(struct_pack(" + ", ".join(f"{c} := {prefix}{ty.raw_name(c)}" for c in spec.column_names) + "))"


def _source_record(spec: TableSpec, alias: str = "") -> str:
    """What the quarantine keeps: the source record when a profile gave one (`_record`), else the row."""
    prefix = f"{alias}." if alias else ""
    return f"coalesce(CAST({prefix}_record AS JSON), {_record(spec, alias)})"


def waits(alias: str = "") -> str:
    """SQL: the row fails only checks that wait for another table's rows (a patient not loaded yet)."""
    return f"list_bool_and(list_transform({alias}_failures, lambda x: x.waits))"


WAITS = waits()


def reasons(alias: str = "") -> str:
    """A quarantined row's reasons, one sentence per check it fails. A row set aside for good is
    not told it waits for a patient (that sentence says it will be admitted when the patient
    arrives, and it will not): the waiting reasons are left out unless the row only waits."""
    failures = f"{alias}_failures"
    return (f"array_to_string(list_transform(CASE WHEN {waits(alias)} "
            f"THEN {failures} ELSE list_filter({failures}, lambda x: NOT x.waits) END, lambda x: x.reason), '; ')")


def quarantine_failures(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int, int, int, int]:
    """Quarantine the rows of temp._checked that fail a reject check; returns (rows, waiting,
    passed over as totals rows or footer lines, passed over as empty rows, passed over as the
    column names again: pass_over_non_records)."""
    con.execute(
        f"""INSERT INTO meta.quarantine
        SELECT _load_id, '{spec.name}', _source_file, _line, list_transform(_failures, lambda x: x.name),
               {reasons()}, _record,
               CASE WHEN {IS_PASSED_OVER} THEN '{PASSED_OVER}' WHEN {WAITS} THEN 'waiting' ELSE 'open' END, now()
        FROM _checked WHERE NOT _ok"""
    )
    _hold(con, spec, f"NOT _ok AND {WAITS}")
    return con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE {WAITS}), count(*) FILTER (WHERE {failed(TOTALS_CHECK)} OR {failed(FOOTER_CHECK)} OR {failed(SUBTOTAL_CHECK)}),
                   count(*) FILTER (WHERE {failed(EMPTY_CHECK)}), count(*) FILTER (WHERE {failed(HEADER_CHECK)} OR {failed(TITLE_CHECK)})
        FROM _checked WHERE NOT _ok"""
    ).fetchall()[0]


def waiting_like_known(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> int:
    """Of this batch's rows waiting for their patient, those whose patient id is a loaded one
    as a spreadsheet rewrites ids (123.0 for 123, 123 for 00123): they would wait for ever, so
    the load line counts them and each one's reason names the loaded id it likely means (it
    said only "'1001' is not in the patients exports" while '00001001' was loaded, and a
    steward had to find that out alone). Not a match: the rows still wait. Also run on the rows
    still waiting after a load re-examined them (readmit), for a patient loaded after them."""
    if "patient_id" not in spec.column_names or spec.name == "patients":
        return 0
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _like_known AS
        SELECT c._load_id, c._line, p.patient_id AS known, p.others, t._labels
        FROM _checked c JOIN _text t USING (_rec) JOIN (SELECT bcm_id_number(patient_id) AS number, min(patient_id) AS patient_id, count(*) - 1 AS others
                              FROM staging.patients GROUP BY ALL) p ON p.number = bcm_id_number(c.patient_id)
        WHERE NOT c._ok AND {WAITS} AND p.number <> ''"""
    )
    con.execute(
        f"""UPDATE meta.quarantine q
        SET reason = q.reason || '; a loaded patient is ' || chr(39) || l.known || chr(39)
                     || CASE WHEN l.others > 0 THEN ' (and ' || l.others || ' more)' ELSE '' END
                     || ', the same id written another way (leading zeros dropped or .0 added by a spreadsheet?): '
                     || {ty.named("'if the row is theirs, correct patient_id in the export a spreadsheet changed (this one, or the patients export if it dropped the zeros) and load it again (it is not matched by a guess)'",
                                  ["patient_id"], "l._labels")}
        FROM _like_known l
        WHERE q.table_name = '{spec.name}' AND q.status = 'waiting' AND q.load_id = l._load_id AND q.line_number = l._line
          AND NOT contains(q.reason, '; a loaded patient is ')"""
    )
    return con.execute("SELECT count(*) FROM _like_known").fetchall()[0][0]


def _hold(con: duckdb.DuckDBPyConnection, spec: TableSpec, waiting: str) -> None:
    """Waiting rows whose check names a holding table (claims without a known patient) go there too."""
    checks = contract_checks.row_checks(spec.name)
    cols = ", ".join(_staging_columns(spec))
    key = ", ".join(spec.key)
    for target in sorted({c.kept_in for c in checks if c.kept_in}):
        listed = ", ".join(ty.sql_text(c.name) for c in checks if c.kept_in == target)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _held AS
            SELECT {cols}, _load_id, _source_file, _line, {_row_hash(spec)} AS _row_hash FROM _checked
            WHERE {waiting} AND len(list_filter(_failures, lambda x: list_contains([{listed}], x.name))) > 0
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _rec) = 1"""
        )
        con.execute(f"DELETE FROM {target} h USING _held s WHERE {_key_join(spec, 'h', 's')}")
        con.execute(f"INSERT INTO {target} ({cols}, _load_id, _source_file, _line, _row_hash) SELECT * FROM _held")


@dataclass(frozen=True)
class Merged:
    loaded: int
    changed: int
    duplicates: int
    conflicts: int
    warned: int
    reverted: int = 0  # changed rows whose new values are what a later load changed them from (_reverted)
    reverted_by: int | None = None  # the latest such load
    entries_late: int = 0  # patients: stored time-log entries a changed discharge now precedes (_enrolment_warnings_judged_again)
    entries_settled: int = 0  # patients: stored time-log entries a change took out from after a discharge
    earlier_enrolments: int = 0  # patients, of loaded: rows of a patient before their latest enrolment (_earlier_enrolments)


def _key_join(spec: TableSpec, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in spec.key)


def _key_text(spec: TableSpec, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return " || '/' || ".join(f"CAST({prefix}{k} AS VARCHAR)" for k in spec.key)


def _row_hash(spec: TableSpec, alias: str = "") -> str:
    """A digest of a row's staging values, stored with it (`_row_hash`): the marts build compares
    them to see which patients' data changed. DuckDB's 64-bit hash, ten times cheaper than md5,
    kept as the number it is: as text (random digits DuckDB's compression cannot shrink) it was
    a quarter of the time to write billing_entries at 10M rows. The loader compares a row with
    the stored one by their values; only a stored row's earlier versions, kept whole in the old
    records of meta.row_changes, are told by this digest (_reverted). `alias`: the rows' table."""
    prefix = f"{alias}." if alias else ""
    return f"hash({', '.join(prefix + c for c in _staging_columns(spec))})"


def _values(spec: TableSpec, alias: str) -> str:
    """A row's staging values as one struct, to compare two versions of a row (NULLs equal)."""
    return "struct_pack(" + ", ".join(f"{c} := {alias}.{c}" for c in _staging_columns(spec)) + ")"


def _differing(spec: TableSpec, alias: str, window: str) -> str:
    """SQL: the columns in which a row differs from the first row of its key (over `window`), as a
    list of names: a reason that said only "different values" left a person comparing two rows of
    a wide export cell by cell."""
    tests = [f"CASE WHEN {' OR '.join(f'{alias}.{n} IS DISTINCT FROM first({alias}.{n}) OVER {window}' for n, _ in c.staging_columns())}"
             f" THEN {ty.sql_text(c.name)} END" for c in spec.columns]
    return f"list_filter([{', '.join(tests)}], lambda x: x IS NOT NULL)"


def merge(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> Merged:
    """Merge the rows of temp._checked that passed into staging (new, changed or duplicate).

    Within one batch the first row of a key wins; a later row identical to it is a
    duplicate, a later row with other values is quarantined (the export contradicts itself),
    unless the rows are a patient's enrolments one after another (_earlier_enrolments).
    Against the store, a row whose key is stored is a duplicate when its values are the
    same and replaces the stored row (the change recorded) when they differ. Only the rows
    of repeated or stored keys are compared: every other row is new and is inserted by an
    anti-join, without hashing or ranking anything.
    """
    name = spec.name
    cols = ", ".join(_staging_columns(spec))
    key = ", ".join(spec.key)
    earlier = _earlier_enrolments(con, spec) if name == "patients" else 0

    def apart(alias: str = "") -> str:  # the rows _earlier_enrolments set apart: not merged as the patient's row
        return f" AND {alias}_rec NOT IN (SELECT _rec FROM _earlier)" if earlier else ""

    con.execute(
        f"""CREATE TEMP TABLE _repeats AS
        WITH keys AS (SELECT {key} FROM _checked WHERE _ok{apart()} GROUP BY ALL HAVING count(*) > 1),
             ranked AS (SELECT v._rec, v._load_id, v._source_file, v._line, {_key_text(spec, 'v')} AS _key,
                               row_number() OVER w AS _rn, first(v._line) OVER w AS _first_line,
                               {_values(spec, 'v')} IS NOT DISTINCT FROM first({_values(spec, 'v')}) OVER w AS _same,
                               {_differing(spec, 'v', 'w')} AS _differs
                        FROM _checked v SEMI JOIN keys k ON {_key_join(spec, 'v', 'k')}
                        WHERE v._ok{apart("v.")}
                        WINDOW w AS (PARTITION BY {", ".join(f"v.{k}" for k in spec.key)} ORDER BY v._rec))
        SELECT * EXCLUDE (_rn) FROM ranked WHERE _rn > 1"""
    )
    repeated, conflicts = con.execute("SELECT count(*) FILTER (WHERE _same), count(*) FILTER (WHERE NOT _same) FROM _repeats").fetchall()[0]
    if conflicts:
        con.execute(
            f"""INSERT INTO meta.quarantine
            SELECT r._load_id, '{name}', r._source_file, r._line, ['{key} unique within file'],
                   {ty.named(f"'{key} ' || r._key", spec.key, "t._labels")} || ' appears again with other '
                   || {ty.named("array_to_string(r._differs, ', ')", [c.name for c in spec.columns], "t._labels")}
                   || ' than at line ' || r._first_line || ' (the row kept); fix the export so each key appears once'
                   || {_enrolments_hint(spec)},
                   {_source_record(spec, 't')}, 'open', now()
            FROM _repeats r JOIN _text t ON t._rec = r._rec
            WHERE NOT r._same"""
        )
    con.execute(
        f"""CREATE TEMP TABLE _matched AS
        SELECT c._rec, {_values(spec, 'c')} IS NOT DISTINCT FROM {_values(spec, 's')} AS _same
        FROM _checked c JOIN staging.{name} s ON {_key_join(spec, 'c', 's')}
        WHERE c._ok AND c._rec NOT IN (SELECT _rec FROM _repeats){apart("c.")}"""
    )
    changed, same = con.execute("SELECT count(*) FILTER (WHERE NOT _same), count(*) FILTER (WHERE _same) FROM _matched").fetchall()[0]
    reverted, reverted_by = _reverted(con, spec) if changed else (0, None)
    if changed:
        con.execute(
            f"""INSERT INTO meta.row_changes
            SELECT c._load_id, '{name}', {_key_text(spec, 'c')}, c._source_file, c._line, to_json(s), to_json({_values(spec, 'c')}), now()
            FROM _matched m JOIN _checked c USING (_rec) JOIN staging.{name} s ON {_key_join(spec, 'c', 's')}
            WHERE NOT m._same"""
        )
        con.execute(
            f"""DELETE FROM staging.{name} s USING (SELECT c.* FROM _checked c JOIN _matched m USING (_rec) WHERE NOT m._same) c
            WHERE {_key_join(spec, 'c', 's')}"""
        )
    merged = "FROM _checked WHERE _ok" + apart()
    if repeated + conflicts + same:
        merged += " AND _rec NOT IN (SELECT _rec FROM _repeats) AND _rec NOT IN (SELECT _rec FROM _matched WHERE _same)"
    con.execute(
        f"""INSERT INTO staging.{name} ({cols}, _load_id, _source_file, _line, _row_hash)
        SELECT {cols}, _load_id, _source_file, _line, {_row_hash(spec)} {merged}"""
    )
    loaded, warned = con.execute(f"SELECT count(*), count(*) FILTER (WHERE _warned) {merged}").fetchall()[0]
    recorded, recorded_warned = _record_earlier_enrolments(con, spec) if earlier else (0, 0)
    if warned or recorded_warned:
        con.execute(
            f"""INSERT INTO meta.row_warnings
            SELECT _load_id, '{name}', _source_file, _line, {_key_text(spec)}, w.name, w.reason, now()
            FROM (SELECT *, unnest(_warnings) AS w {merged} AND _warned)"""
        )
        if name == "patients":
            _clinic_like_known(con, batch=True)
    if name == "clinics" and loaded:  # the patients loaded before their clinics
        _clinic_now_known(con)
        _clinic_like_known(con)
    late, settled = _enrolment_warnings_judged_again(con) if name == "patients" and (changed or recorded) else (0, 0)
    for target in sorted({c.kept_in for c in contract_checks.row_checks(name) if c.kept_in}):
        con.execute(f"DELETE FROM {target} h USING _checked m WHERE {_key_join(spec, 'h', 'm')} AND m._ok AND m._load_id >= h._load_id")
    return Merged(loaded=loaded + recorded, changed=changed, duplicates=same + repeated + earlier - recorded, conflicts=conflicts,
                  warned=warned + recorded_warned, reverted=reverted, reverted_by=reverted_by, entries_late=late,
                  entries_settled=settled, earlier_enrolments=recorded)


def _earlier_enrolments(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> int:
    """temp._earlier: the rows of a patients file that are a re-enrolled patient's earlier
    enrolments. Registries and EHR episode lists write a patient once per enrolment; the patients
    table is keyed by patient, so the first row was kept and the others set aside as the export
    contradicting itself, and a list written oldest first kept the discharged enrolment: the current
    one's minutes all read as after the discharge. A patient's rows are a list of enrolments when
    their enrolment dates differ and each but the latest was discharged before the next one's
    enrolment date (core.enrolments' rule of a re-enrolment); rows of one enrolment date must be the
    same. The latest is then the patient's row, merged as any row is, and each earlier one is
    recorded as the loads of a re-enrolment record it (_record_earlier_enrolments). Rows that
    overlap stay a contradiction. Columns: each row set apart (`_rec`), whether it is the first of
    its enrolment (`_first`: the others are duplicates of it) and the first row of the next
    enrolment (`_next`). Returns how many rows were set apart."""
    con.execute(
        f"""CREATE TEMP TABLE _earlier AS
        WITH many AS (SELECT patient_id FROM _checked WHERE _ok GROUP BY ALL HAVING count(DISTINCT enrollment_date) > 1),
        patient_rows AS (SELECT v._rec, v.patient_id, v.enrollment_date, v.discharge_date, {_values(spec, 'v')} AS _v
                         FROM _checked v SEMI JOIN many USING (patient_id) WHERE v._ok),
        enrolments AS (SELECT patient_id, enrollment_date, min(_rec) AS _first_rec, count(DISTINCT _v) = 1 AS _one,
                              any_value(discharge_date) AS discharge_date
                       FROM patient_rows GROUP BY ALL),
        chained AS (SELECT *, lead(enrollment_date) OVER w AS _next_on, lead(_first_rec) OVER w AS _next
                    FROM enrolments WINDOW w AS (PARTITION BY patient_id ORDER BY enrollment_date NULLS FIRST)),
        lists AS (SELECT patient_id FROM chained GROUP BY ALL
                  HAVING bool_and(_one AND enrollment_date IS NOT NULL AND (_next_on IS NULL OR discharge_date < _next_on)))
        SELECT r._rec, r._rec = c._first_rec AS _first, c._next
        FROM patient_rows r JOIN chained c USING (patient_id, enrollment_date)
        WHERE c._next IS NOT NULL AND r.patient_id IN (SELECT patient_id FROM lists)"""
    )
    return con.execute("SELECT count(*) FROM _earlier").fetchall()[0][0]


def _record_earlier_enrolments(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int]:
    """Record each earlier enrolment of temp._earlier as a load of the next one would have (a
    change of the patient's row: the earlier row as it would have been stored, the next one's
    values), which core.enrolments reads, unless a change already holds it (the same list loaded
    again, or the roster on file held it and the latest row replaced it). Its warnings are kept as
    a loaded row's. Returns (recorded, of them with a warning)."""
    provenance = f"_load_id := e._load_id, _source_file := e._source_file, _line := e._line, _row_hash := {_row_hash(spec, 'e')}"
    stored_as = "struct_pack(" + ", ".join(f"{c} := e.{c}" for c in _staging_columns(spec)) + f", {provenance})"
    con.execute(
        f"""CREATE TEMP TABLE _recorded AS
        SELECT h._rec, h._next FROM _earlier h JOIN _checked e USING (_rec)
        WHERE h._first AND NOT EXISTS (
          SELECT 1 FROM meta.row_changes rc
          WHERE rc.table_name = '{spec.name}' AND rc.row_key = {_key_text(spec, 'e')} AND rc.new_record IS NOT NULL
            AND TRY_CAST(rc.old_record ->> '_row_hash' AS UBIGINT) = {_row_hash(spec, 'e')})"""
    )
    con.execute(
        f"""INSERT INTO meta.row_changes
        SELECT e._load_id, '{spec.name}', {_key_text(spec, 'e')}, n._source_file, n._line, to_json({stored_as}),
               to_json({_values(spec, 'n')}), now()
        FROM _recorded h JOIN _checked e USING (_rec) JOIN _checked n ON n._rec = h._next"""
    )
    con.execute(
        f"""INSERT INTO meta.row_warnings
        SELECT _load_id, '{spec.name}', _source_file, _line, {_key_text(spec)}, w.name, w.reason, now()
        FROM (SELECT *, unnest(_warnings) AS w FROM _checked WHERE _warned AND _rec IN (SELECT _rec FROM _recorded))"""
    )
    return con.execute("SELECT count(*), count(*) FILTER (WHERE c._warned) FROM _recorded JOIN _checked c USING (_rec)").fetchall()[0]


def _enrolments_hint(spec: TableSpec) -> str:
    """SQL: what a patients row repeated with other values lacks to be read as an earlier enrolment
    (_earlier_enrolments), in the file's words; nothing for other tables."""
    if spec.name != "patients":
        return "''"
    return ty.named("', or, if the rows are the patient''s enrolments, a list of enrolments is read so when each but the latest "
                    "has a discharge_date before the next one''s enrollment_date'", ["discharge_date", "enrollment_date"], "t._labels")


def _reverted(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int | None]:
    """The changed rows (temp._matched) whose values are a stored version a later load changed:
    an older export loaded again (a June patients file saved again after October's loaded) read
    "64 changed" and put back June's discharge and consent dates unsaid. Versions are compared by
    their digest (`_row_hash`, kept in each change's old record). Returns how many, and the latest
    load that had changed them."""
    return con.execute(
        f"""SELECT count(DISTINCT c._rec), max(rc.load_id)
        FROM _matched m JOIN _checked c USING (_rec)
        JOIN meta.row_changes rc ON rc.table_name = '{spec.name}' AND rc.row_key = {_key_text(spec, 'c')} AND rc.new_record IS NOT NULL
             AND TRY_CAST(rc.old_record ->> '_row_hash' AS UBIGINT) = {_row_hash(spec, 'c')}
        WHERE NOT m._same"""
    ).fetchall()[0]


WITHDRAWN_NAMED = 5  # withdrawn periods a load line names (all are counted, and kept in meta.row_changes)
NAMED = "_coverage_named"  # the patients a coverage file gave a history (kept past readmit, which drops TEMP_TABLES)


def withdraw_periods(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[int, tuple[str, ...]]:
    """A coverage file loaded as the payer history of the patients it names (after its merge):
    withdraw their stored periods it no longer holds. A program that corrects a period's
    start_date re-exports it under a new key; judged against the stored wrong period it was set
    aside as overlapping it, and the wrong period billed its months for ever.

    A patient's history is the file's when at least one of their rows in it loaded (or was a
    duplicate), or waits for the patient (nothing of theirs is stored yet; supersede_patients
    closes what earlier loads left waiting): a file whose every row of a patient was set aside
    for good (two periods overlapping, a date mistyped) gives no history to bill by, and the
    stored one stays until a corrected file comes.
    Each withdrawn period goes to meta.row_changes (old_record, no new_record) so it never silently
    disappears. Returns how many, and the first WITHDRAWN_NAMED described for the load line."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {NAMED} AS SELECT DISTINCT patient_id FROM _checked
                    WHERE (_ok OR coalesce({WAITS}, false)) AND patient_id IS NOT NULL""")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _withdrawn AS
        SELECT s.* FROM staging.coverage s SEMI JOIN {NAMED} n ON n.patient_id = s.patient_id
        WHERE NOT EXISTS (SELECT 1 FROM _checked c WHERE c._ok AND c.patient_id = s.patient_id AND c.start_date = s.start_date)"""
    )
    return _withdraw(con, load_id, table_specs()["coverage"],
                     "'patient ' || chr(39) || patient_id || chr(39) || ': ' || core.period_text(payer, start_date, end_date) "
                     "|| ' (load ' || _load_id || ')'")


def _withdraw(con: duckdb.DuckDBPyConnection, load_id: int, spec: TableSpec, described: str) -> tuple[int, tuple[str, ...]]:
    """Withdraw the stored rows in temp._withdrawn: each to meta.row_changes (old_record, no
    new_record) so it never silently disappears, then out of staging. Returns how many, and the
    first WITHDRAWN_NAMED (by key) as `described` (SQL over a row) words them for the load line."""
    count = con.execute("SELECT count(*) FROM _withdrawn").fetchall()[0][0]
    named: list[str] = []
    if count:
        con.execute(
            f"""INSERT INTO meta.row_changes
            SELECT {int(load_id)}, '{spec.name}', {_key_text(spec, 'w')}, (SELECT any_value(_source_file) FROM _checked), NULL,
                   to_json(w), NULL, now()
            FROM _withdrawn w"""
        )
        con.execute(f"DELETE FROM staging.{spec.name} s USING _withdrawn w WHERE {_key_join(spec, 'w', 's')}")
        named = [r[0] for r in con.execute(
            f"SELECT {described} FROM _withdrawn ORDER BY {', '.join(spec.key)} LIMIT {WITHDRAWN_NAMED}").fetchall()]
    con.execute("DROP TABLE _withdrawn")
    return count, tuple(named)


def withdraw_replaced(con: duckdb.DuckDBPyConnection, load_id: int, replaced: int, spec: TableSpec) -> tuple[int, tuple[str, ...]]:
    """A corrected copy of a file (`bcm load --replaces`, after its merge): withdraw the rows load
    `replaced` stored, and no later load changed, whose key the copy no longer holds, whether it
    loaded that key or set it aside. An entry deleted in the fix, or given another key, stayed
    stored: its minutes billed a code the corrected export does not support. Only rows that belong
    to a patient (a table whose rows wait for one): a patient or clinic the copy lacks may still
    have rows of other tables. Each goes to meta.row_changes (no new record), as a coverage
    period withdraw_periods withdraws. Returns how many, and the first WITHDRAWN_NAMED named."""
    if not any(c.waits_for for c in contract_checks.row_checks(spec.name)):
        return 0, ()
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _withdrawn AS
        SELECT s.* FROM staging.{spec.name} s
        WHERE s._load_id = {int(replaced)} AND NOT EXISTS (SELECT 1 FROM _checked c WHERE {_key_join(spec, 'c', 's')})"""
    )
    return _withdraw(con, load_id, spec, f"{ty.sql_text('/'.join(spec.key) + ' ')} || {_key_text(spec)}")


def supersede_patients(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """After withdraw_periods and supersede_open: mark superseded what earlier loads set aside of
    the coverage of the patients whose history the file gave, open or waiting for the patient.
    The file is their history now: a period an earlier export set aside (overlapping the wrong
    stored one, say) would otherwise be listed to fix for ever. Patients are compared as the
    texts the exports wrote, as keys are in supersede_open."""
    con.execute(
        f"""UPDATE meta.quarantine u SET status = 'superseded'
        FROM (SELECT q.load_id, q.line_number FROM meta.quarantine q JOIN raw.coverage r ON r._load_id = q.load_id AND r._line = q.line_number
              WHERE q.table_name = 'coverage' AND q.status IN ('open', 'waiting') AND q.load_id < $load
                AND bcm_field(r.patient_id) IN (SELECT CAST(patient_id AS VARCHAR) FROM {NAMED})) old
        WHERE u.table_name = 'coverage' AND u.load_id = old.load_id AND u.line_number = old.line_number""",
        {"load": load_id},
    )
    con.execute(f"DROP TABLE {NAMED}")


def reenrolments(con: duckdb.DuckDBPyConnection, load_id: int) -> int:
    """The patients rows this load changed that are re-enrolments: the row it replaced is now an
    earlier enrolment (core.enrolments, the one place that says what a re-enrolment is), whose months
    keep its consent, clinic, practitioner and program. The load line says how many, so a person
    who sent a correction and sees it read as a re-enrolment (or the other way round) can tell. An
    earlier enrolment read from a row of the file itself (its record's row is of this load) is no
    changed row: the line counts those apart (Merged.earlier_enrolments)."""
    return con.execute(
        """SELECT count(*) FROM meta.row_changes c
           JOIN core.enrolments e ON e.patient_id = c.old_record ->> 'patient_id'
            AND e.enrollment_date = TRY_CAST(c.old_record ->> 'enrollment_date' AS DATE)
            AND e.reenrolled_on = TRY_CAST(c.new_record ->> 'enrollment_date' AS DATE)
            AND TRY_CAST(c.old_record ->> '_load_id' AS BIGINT) < c.load_id
           WHERE c.load_id = $load AND c.table_name = 'patients'""", {"load": load_id}).fetchall()[0][0]


# The time_logs suite's checks that read the patient's enrolment (data_contracts/suites/time_logs.json,
# the frame's patient_enrollment_date and patient_discharge_date): a patients load judges them again.
ENROLMENT_CHECKS = ("on or after enrolment", "on or before discharge")
# A stored row as its load read it (the columns _as_loaded selects): the export's own column names,
# its values as written.
AS_LOADED = TextOptions(labels="_labels", written="_written")


def _enrolment_warnings_judged_again(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Judge again the warnings that a time-log entry is before the patient's enrolment or after
    their discharge, for the stored entries of the patients whose enrolment a patients load changed
    (its enrolment or discharge date, or clinic). A re-enrolment, or a discharge moved later or
    cleared, settles the entries it no longer follows (they are the new enrolment's and count, while
    `bcm warnings` and the data-quality page went on calling them after the discharge); a discharge
    entered or moved earlier makes the entries after it late ones, which billing stopped counting
    and no warning named; an enrolment date corrected moves the entries before it. The contract's
    own checks judge them, over the stored rows' frame (contracts/frames.sql: the first enrolment,
    and the discharge of the enrolment in force on the entry's day), so no rule is written twice.
    Returns how many entries were warned of, and how many warnings went, as being after a
    discharge: the load line says so, since the minutes of the first stop counting and those of
    the second count again."""
    suite = {c.name: c for c in contract_checks.suite_row_checks("time_logs", AS_LOADED)}
    checks = [suite[name] for name in ENROLMENT_CHECKS]
    moved = " OR ".join(f"(rc.old_record ->> '{c}') IS DISTINCT FROM (rc.new_record ->> '{c}')" for c in frame_patient_columns("time_logs"))
    changed = f"""SELECT rc.row_key FROM meta.row_changes rc
                  WHERE rc.table_name = 'patients' AND rc.load_id IN (SELECT _load_id FROM _checked)
                   AND rc.new_record IS NOT NULL AND ({moved})"""
    stored = f"(SELECT * FROM staging.time_logs WHERE patient_id IN ({changed}))"
    passes = ", ".join(f"coalesce({c.passes}, false) AS _passes_{i}" for i, c in enumerate(checks))
    con.execute(f"CREATE TEMP TABLE _rejudged AS SELECT patient_id, _load_id, _line, {passes} "
                f"FROM ({frame_sql('time_logs', stored)})")
    counts = {check.name: _warnings_judged_again(con, check, f"_passes_{i}") for i, check in enumerate(checks)}
    con.execute("DROP TABLE _rejudged")
    return counts["on or before discharge"]


def _warnings_judged_again(con: duckdb.DuckDBPyConnection, check: contract_checks.RowCheck, passed: str) -> tuple[int, int]:
    """One check's warnings of the entries in temp._rejudged (`passed`: its column there): those
    now met are dropped; those failed are worded again (a discharge moved from the 15th to the 5th
    is the one the warning names; it keeps its time) or added. The words are the loader's: the
    columns named as the entry's file named them and its date as written (meta.load_log's labels,
    raw.time_logs). Returns (added, dropped)."""
    its_warning = ("w.table_name = 'time_logs' AND w.check_name = $check "
                   "AND w.load_id = j._load_id AND w.line_number = j._line")
    dropped = con.execute(f"DELETE FROM meta.row_warnings w USING _rejudged j WHERE j.{passed} AND {its_warning}",
                          {"check": check.name}).fetchall()[0][0]
    failing = f"""(SELECT s.*, {_as_loaded("r", "l", ["service_date"])}
                   FROM staging.time_logs s
                   JOIN _rejudged j ON j._load_id = s._load_id AND j._line = s._line AND NOT j.{passed}
                   LEFT JOIN raw.time_logs r ON r._load_id = s._load_id AND r._line = s._line
                    AND r._load_id IN (SELECT _load_id FROM _rejudged)
                   LEFT JOIN meta.load_log l ON l.load_id = s._load_id
                   WHERE s.patient_id IN (SELECT patient_id FROM _rejudged))"""
    con.execute(f"""CREATE TEMP TABLE _rewarned AS
                    SELECT _load_id, _source_file, _line, {_key_text(table_specs()["time_logs"])} AS _key,
                           {ty.named(check.reason, check.columns, "_labels")} AS _reason
                    FROM ({frame_sql('time_logs', failing)})""")
    con.execute(f"""UPDATE meta.row_warnings w SET reason = j._reason FROM _rewarned j
                    WHERE {its_warning} AND w.reason <> j._reason""", {"check": check.name})
    added = con.execute(f"""INSERT INTO meta.row_warnings
                            SELECT _load_id, 'time_logs', _source_file, _line, _key, $check, _reason, now() FROM _rewarned j
                            WHERE NOT EXISTS (SELECT 1 FROM meta.row_warnings w WHERE {its_warning})""",
                        {"check": check.name}).fetchall()[0][0]
    con.execute("DROP TABLE _rewarned")
    return added, dropped


CLINIC_LIKE_KNOWN = "; a loaded clinic is "


def _clinic_now_known(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the warning that a patient's clinic is not in the clinics export once a clinics export
    holds it: patients loaded before their clinics (an earlier `bcm load`) each warned so, and
    `bcm warnings` and the data-quality page went on saying the program's defaults apply to
    patients billed under their clinic's setting and time zone. Only the stored row the warning
    was given for (its load and line) is judged, as written: 'clinic a' for 'Clinic A' keeps its
    warning, which _clinic_like_known completes."""
    con.execute(
        """DELETE FROM meta.row_warnings w USING staging.patients p
        WHERE w.table_name = 'patients' AND w.check_name = 'clinic known'
          AND p._load_id = w.load_id AND p._line = w.line_number
          AND p.clinic_id IN (SELECT clinic_id FROM staging.clinics)"""
    )


def _clinic_like_known(con: duckdb.DuckDBPyConnection, batch: bool = False) -> None:
    """A patient loaded with the warning that its clinic is unknown, whose clinic_id is a loaded
    clinic's written with other capitals or spaces ('clinic a' for 'Clinic A'): the warning said
    only that 'clinic a' is not in the clinics export, which a person looking at the export sees
    it is, while the patient's months and setting silently took the program's defaults (an FQHC
    patient billed as a physician practice's). The warning names the clinic; nothing is matched
    by a guess.

    Run whenever both are present, whichever loads first: for the warnings of the patients just
    merged (`batch`: the rows of temp._checked) as they merge, and for every patient's warning when clinics load (all patients
    loaded before the clinics export, in the same folder or an earlier `bcm load`, warned then
    that their clinic is unknown). A warning is joined to the stored row it was given for (its
    load and line); one already naming a clinic is left as it is."""
    folded = "lower(regexp_replace({}, '\\s+', ' ', 'g'))"
    of_batch = "AND (w.load_id, w.line_number) IN (SELECT _load_id, _line FROM _checked WHERE _ok AND _warned)" if batch else ""
    con.execute(
        f"""UPDATE meta.row_warnings w
        SET reason = w.reason || '{CLINIC_LIKE_KNOWN}' || chr(39) || k.clinic_id || chr(39)
                     || ', the same id written with other capitals or spaces: if it is that clinic, correct clinic_id in the export '
                     || 'and load it again (it is not matched by a guess)'
        FROM staging.patients p JOIN (SELECT {folded.format('clinic_id')} AS folded, min(clinic_id) AS clinic_id
                                      FROM staging.clinics GROUP BY ALL) k ON k.folded = {folded.format('p.clinic_id')}
        WHERE w.table_name = 'patients' AND w.check_name = 'clinic known' {of_batch}
          AND p._load_id = w.load_id AND p._line = w.line_number
          AND p.clinic_id NOT IN (SELECT clinic_id FROM staging.clinics) AND NOT contains(w.reason, '{CLINIC_LIKE_KNOWN}')"""
    )


def readmit(con: duckdb.DuckDBPyConnection, load_id: int, loaded_table: str) -> int:
    """Re-examine waiting rows that the table just loaded may complete; returns rows admitted.

    Runs inside the load's transaction, after its merge. Waiting rows of earlier loads of the
    loaded table itself whose key the new file stored are re-examined too, so they are marked
    superseded rather than admitted later over the newer version (the others cannot change: what
    they wait for did not come).
    """
    admitted = 0
    for spec in table_specs().values():
        waits_for = {c.waits_for for c in contract_checks.row_checks(spec.name) if c.waits_for}
        if loaded_table in waits_for:
            before, stored_by = load_id + 1, None  # every waiting row
        elif loaded_table == spec.name:
            before, stored_by = load_id, load_id  # rows of earlier loads only: this load's rows have just been judged
        else:
            continue
        waiting = con.execute(
            "SELECT count(*) FROM meta.quarantine WHERE table_name = ? AND status = 'waiting' AND load_id < ?", [spec.name, before]
        ).fetchall()[0][0]
        if waiting:
            admitted += _readmit_table(con, spec, before, stored_by)
    return admitted


def supersede_open(con: duckdb.DuckDBPyConnection, load_id: int, spec: TableSpec) -> int:
    """Mark superseded the open quarantine entries of earlier loads of the table whose key this
    load stored (the corrected row) or quarantined again (the same bad row in a newer export):
    the newest word on a key is the one to act on, so `bcm quarantine` lists each row still to
    fix once. Waiting entries too: one set aside again waits under the newer load only, else the
    data-quality page counted a row still waiting for its patient once per full export that
    carried it (readmit has already settled the waiting ones whose key this load stored). Keys
    are compared as the texts the exports wrote; an entry missing part of its key by its whole
    row (_whole_row: a patients row with no patient_id was listed once per monthly export that
    carried it). Returns how many of this load's rows set aside were set aside before (a monthly full export read 'quarantined
    29' each month, and nobody could tell the 2 new rows from the 27 still to fix)."""
    loads = [r[0] for r in con.execute(
        "SELECT DISTINCT load_id FROM meta.quarantine WHERE table_name = ? AND status IN ('open', 'waiting') AND load_id < ?",
        [spec.name, load_id]).fetchall()]
    if not loads:
        return 0
    key, whole = _raw_key(spec.key), _whole_row(spec)
    raw = f"meta.quarantine q JOIN raw.{spec.name} r ON r._load_id = q.load_id AND r._line = q.line_number"
    # the earlier entries and this load's, with their keys, read from raw once for the count and the update
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _earlier AS
        SELECT q.load_id, q.line_number, ({key}) AS k, {whole} AS whole FROM {raw}
        WHERE q.table_name = $table AND q.status IN ('open', 'waiting') AND r._load_id IN ({", ".join(map(str, loads))})""",
        {"table": spec.name})
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _again AS
        SELECT ({key}) AS k, {whole} AS whole, q.status = $passed_over AS passed_over FROM {raw}
        WHERE q.table_name = $table AND q.load_id = $load AND r._load_id = $load""",
        {"table": spec.name, "load": load_id, "passed_over": PASSED_OVER})
    again = con.execute(
        """SELECT count(*) FROM _again WHERE NOT passed_over
             AND (k IN (SELECT k FROM _earlier) OR whole IN (SELECT whole FROM _earlier))""").fetchall()[0][0]
    con.execute(
        f"""UPDATE meta.quarantine u SET status = 'superseded'
        FROM (SELECT load_id, line_number FROM _earlier
              WHERE k IN ({_stored_keys(spec, spec.key, "$load")}) OR k IN (SELECT k FROM _again)
                 OR whole IN (SELECT whole FROM _again)) old
        WHERE u.table_name = $table AND u.load_id = old.load_id AND u.line_number = old.line_number""",
        {"table": spec.name, "load": load_id},
    )
    con.execute("DROP TABLE _again")
    con.execute("DROP TABLE _earlier")
    return again


def settle_set_aside_again(con: duckdb.DuckDBPyConnection) -> None:
    """Settle the quarantine of a store an earlier bcm wrote as this bcm's loads would have: each
    of its loads' supersede_open again, in load order. Before supersede_open closed waiting
    entries too, a row still waiting for its patient stayed waiting under every full export that
    carried it, and `bcm quarantine` and the data-quality page counted it once per export. Run
    when such a store is brought up to date (warehouse ensure_schema); on a store this bcm
    loaded it changes nothing."""
    for spec in table_specs().values():
        loads = con.execute("SELECT DISTINCT load_id FROM meta.load_log WHERE table_name = ? ORDER BY load_id",
                            [spec.name]).fetchall()
        for (load_id,) in loads[1:]:
            supersede_open(con, load_id, spec)


def replaced_entries(con: duckdb.DuckDBPyConnection, replaced: int, table: str) -> int:
    """The entries of load `replaced` for the table still open or waiting (before a corrected copy loads)."""
    return con.execute(
        "SELECT count(*) FROM meta.quarantine WHERE load_id = ? AND table_name = ? AND status IN ('open', 'waiting')",
        [replaced, table],
    ).fetchall()[0][0]


def supersede_replaced(con: duckdb.DuckDBPyConnection, replaced: int, spec: TableSpec) -> None:
    """Mark superseded every entry of load `replaced` for the table still open or waiting: this load
    is a corrected copy of its file (`bcm load --replaces`), so whatever it set aside was fixed here
    or is set aside again under this load (supersede_open has closed those of a key this load
    stored or set aside; the rest are rows whose key the fix changed). Rows it held for a
    referenced row (claims of unknown patients) leave their holding table."""
    con.execute(
        "UPDATE meta.quarantine SET status = 'superseded' WHERE load_id = ? AND table_name = ? AND status IN ('open', 'waiting')",
        [replaced, spec.name],
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        con.execute(f"DELETE FROM {target} WHERE _load_id = ?", [replaced])


def _whole_row(spec: TableSpec) -> str:
    """SQL: a quarantined raw row `r` whose key is incomplete as one text of its every column, to
    match it with the same row re-exported (supersede_open); NULL for a row with its whole key."""
    complete = " AND ".join(f"bcm_field(r.{k}) IS NOT NULL" for k in spec.key)
    return f"CASE WHEN NOT ({complete}) THEN to_json([{', '.join(f'bcm_field(r.{c})' for c in spec.column_names)}]) END"


def _raw_key(columns) -> str:
    """A quarantined row's key (of the raw row `r`) as the checks read its text."""
    return ", ".join(f"bcm_field(r.{k})" for k in columns)


def _stored_by(spec: TableSpec, columns, load: str) -> str:
    """SQL true when load `load` stored the key (`columns`) of the quarantined raw row `r`: a key
    is matched as text, the stored value's against the raw text as the checks read it."""
    return f"({_raw_key(columns)}) IN ({_stored_keys(spec, columns, load)})"


def _stored_keys(spec: TableSpec, columns, load: str) -> str:
    """SQL: the keys (`columns`) load `load` stored, as text, to match a raw row's key against."""
    stored = ", ".join(f"CAST(s.{k} AS VARCHAR)" for k in columns)
    return f"SELECT ({stored}) FROM staging.{spec.name} s WHERE s._load_id = {load}"


def _waiting_rows(spec: TableSpec, stored_by: int | None) -> str:
    """The waiting rows of a table from loads before the second parameter, with their raw texts
    (from raw, by load and line: the quarantine's record may be a profile's source record); with
    `stored_by`, only those whose key (its first column, text as staging holds it) that load stored."""
    reexported = "" if stored_by is None else f" AND {_stored_by(spec, spec.key[:1], str(int(stored_by)))}"
    return f"""SELECT q.load_id AS _q_load, q.source_file AS _q_file, q.line_number AS _q_line, q.record AS _q_record, r.*
               FROM meta.quarantine q JOIN raw.{spec.name} r ON r._load_id = q.load_id AND r._line = q.line_number
               WHERE q.table_name = ? AND q.status = 'waiting' AND q.load_id < ?{reexported}"""


def _as_loaded(raw: str, log: str, columns) -> str:
    """SQL select list: a stored row's `columns` as its load read them, for the words of its
    reasons (TextOptions labels="_labels", written="_written"): their texts from raw.<table>
    (alias `raw`), the values a reader rewrote as the source wrote them, and the file's own column
    names from the load's read options (meta.load_log, alias `log`)."""
    texts = "".join(f"bcm_field({raw}.{c}) AS {ty.raw_name(c)}, " for c in columns)
    return f"{texts}{raw}._extra -> '_written' AS _written, {log}.read_options -> 'columns' AS _labels"


def _readmit_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, before: int, stored_by: int | None) -> int:
    drop_temp_tables(con)
    con.execute(
        f"""CREATE TEMP TABLE _waiting AS
        SELECT w._q_load AS _load_id, w._q_file AS _source_file, row_number() OVER (ORDER BY w._q_load, w._q_line) AS _rec,
               w._q_line AS _line, CAST(w._q_record AS VARCHAR) AS _record, CAST(w._extra -> '_notes' AS VARCHAR) AS _notes,
               {_as_loaded("w", "l", spec.column_names)},
               CAST(l.read_options ->> 'two_digit_year_pivot' AS INTEGER) AS _year_pivot,
               coalesce(CAST(l.read_options -> 'decimal_comma' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _decimal_comma,
               coalesce(CAST(l.read_options -> 'day_first' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _day_first,
               coalesce(CAST(l.read_options -> 'day_undecided' AS VARCHAR[]), CAST([] AS VARCHAR[])) AS _day_undecided
        FROM ({_waiting_rows(spec, stored_by)}) w
        LEFT JOIN meta.load_log l ON l.load_id = w._q_load""",
        [spec.name, before],
    )
    if not con.execute("SELECT count(*) FROM _waiting").fetchall()[0][0]:
        return 0  # none whose key this load stored
    con.execute("CREATE TEMP VIEW _text AS SELECT * FROM _waiting")
    check(con, spec, replace(AS_LOADED, year_pivot="_year_pivot", decimal_comma="_decimal_comma", day_first="_day_first",
                             day_undecided="_day_undecided"))  # each row as its load read it
    # A newer version of the key wins: a later waiting row, or a stored row from a later load.
    con.execute(
        f"""CREATE TEMP TABLE _settled AS
        WITH ranked AS (
          SELECT c._load_id, c._line, s._load_id AS stored_load,
                 row_number() OVER (PARTITION BY {", ".join(f"c.{k}" for k in spec.key)} ORDER BY c._load_id DESC, c._line) AS newest
          FROM _checked c LEFT JOIN staging.{spec.name} s ON {_key_join(spec, 'c', 's')}
          WHERE {" AND ".join(f"c.{k} IS NOT NULL" for k in spec.key)})
        SELECT _load_id, _line, 'superseded' AS status FROM ranked WHERE newest > 1 OR stored_load > _load_id"""
    )
    con.execute("DELETE FROM _checked c USING _settled s WHERE c._load_id = s._load_id AND c._line = s._line")
    con.execute(
        f"INSERT INTO _settled SELECT _load_id, _line, 'open' FROM _checked WHERE NOT _ok AND NOT {WAITS}"
    )
    con.execute(
        f"""UPDATE meta.quarantine q SET status = 'open', failed_checks = list_transform(c._failures, lambda x: x.name),
               reason = {reasons("c.")}
        FROM _checked c WHERE q.table_name = '{spec.name}' AND q.status = 'waiting'
          AND q.load_id = c._load_id AND q.line_number = c._line
          AND NOT c._ok AND NOT {waits("c.")}"""
    )
    con.execute("INSERT INTO _settled SELECT _load_id, _line, 'admitted' FROM _checked WHERE _ok")
    merge(con, spec)
    con.execute(
        f"""UPDATE meta.quarantine q SET status = s.status FROM _settled s
        WHERE q.table_name = '{spec.name}' AND q.status = 'waiting' AND q.load_id = s._load_id AND q.line_number = s._line"""
    )
    for target in sorted({c.kept_in for c in contract_checks.row_checks(spec.name) if c.kept_in}):
        con.execute(
            f"DELETE FROM {target} h USING _settled s WHERE h._load_id = s._load_id AND h._line = s._line"
        )
    waiting_like_known(con, spec)  # the patients just loaded may hold the id a row still waiting likely means
    return con.execute("SELECT count(*) FROM _settled WHERE status = 'admitted'").fetchall()[0][0]
