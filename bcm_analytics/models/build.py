"""Build the models into a target: the store's own `marts` schema, or a scratch catalog.

A build writes the configuration tables, then walks the models in order and does the least work
that leaves every model equal to a full rebuild:

- a model whose SQL or inputs changed (its input digest: its SQL and the digests of what it
  reads) is rebuilt whole, and so is everything that reads it;
- otherwise a per-patient table is rebuilt only for the patients whose data changed since the
  last build (their rows are deleted and recomputed), found by comparing per-patient
  fingerprints of the staging rows with those recorded at the last build;
- other tables are recomputed when anything they read changed; views and macros are recreated
  only when their SQL or inputs changed.

The manifest (meta.marts_manifest, meta.marts_inputs, meta.marts_fingerprints) records what each
mart was built from, in the same transaction as the marts, so a killed build leaves the last
complete state and the next build picks up from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from bcm_analytics import __version__
from bcm_analytics.models.graph import SOURCE_MONTH_REACH, SOURCE_MONTH_READINGS, Model, models, per_patient_relations
from bcm_analytics.models.inputs import NAMES, Inputs

MANIFEST_SQL = """
CREATE SCHEMA IF NOT EXISTS {c}config;
CREATE SCHEMA IF NOT EXISTS {c}marts;
CREATE SCHEMA IF NOT EXISTS {c}meta;
CREATE TABLE IF NOT EXISTS {c}meta.marts_manifest (
  model VARCHAR PRIMARY KEY, kind VARCHAR, input_digest VARCHAR, data_version BIGINT, how VARCHAR,
  patients BIGINT, row_count BIGINT, seconds DOUBLE, built_at TIMESTAMPTZ, bcm_version VARCHAR);
CREATE TABLE IF NOT EXISTS {c}meta.marts_inputs (name VARCHAR PRIMARY KEY, digest VARCHAR, written_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS {c}meta.marts_fingerprints (patient_id VARCHAR, component VARCHAR, fingerprint UBIGINT);
"""

# meta.marts_fingerprints holds one row per patient and component (_keep_fingerprints deletes before
# it inserts) but has no key: DuckDB maintains a primary key's index at the commit, and a monthly
# update rewriting 116,000 patients' fingerprints spent 12.5 s of a 65 s build of the 10M-row
# program there, against 0.06 s without it. Stores built before this change carry the key: the build
# copies the table once without it.
UNKEYED_FINGERPRINTS_SQL = """
CREATE TABLE {c}meta._bcm_fingerprints_unkeyed AS SELECT * FROM {c}meta.marts_fingerprints;
DROP TABLE {c}meta.marts_fingerprints;
ALTER TABLE {c}meta._bcm_fingerprints_unkeyed RENAME TO marts_fingerprints
"""

# Per patient and kind of data (graph.SOURCE_COMPONENTS), a digest of every staging row of that
# kind that belongs to them (their own row with their clinic's, their hospital stays, which can
# take minutes out of any month, their coverage periods, which can change any month's payer, and
# their earlier enrolments, which a patients file listing enrolments can give with their row unchanged;
# their diagnoses, a kind of their own, which only the outcome measures' exclusions read, so a
# diagnoses file recomputes no billing mart): two states of the data give the same fingerprint
# exactly when nothing of that kind of theirs changed. A quarantined claim line (set aside, not
# settled) counts for the patient core.quarantined_claims says it belongs to, the one reconciliation
# places it with: read here again without its trim, a line exported for " P1 " changed patient
# " P1 " only, and P1's month read missed_billing until a full rebuild.
FINGERPRINTS_SQL = """
SELECT patient_id, component, bit_xor(h) AS fingerprint FROM (
  SELECT p.patient_id, 'patient' AS component, hash(p._row_hash, c._row_hash) AS h
  FROM staging.patients p LEFT JOIN staging.clinics c USING (clinic_id)
  UNION ALL SELECT patient_id, 'patient', hash('s', _row_hash) FROM staging.facility_stays
  UNION ALL SELECT patient_id, 'patient', hash('v', _row_hash) FROM staging.coverage
  UNION ALL SELECT patient_id, 'patient', hash('e', enrollment_date, discharge_date, discharge_reason, consent_date, clinic_id,
                                               care_manager_id, treating_provider_npi, program, payer, reenrolled_on)
  FROM core.enrolments WHERE reenrolled_on IS NOT NULL
  UNION ALL SELECT patient_id, 'diagnoses', hash(_row_hash) FROM staging.diagnoses
  UNION ALL SELECT patient_id, 'time_logs', hash(_row_hash) FROM staging.time_logs
  UNION ALL SELECT patient_id, 'assessments', hash(_row_hash) FROM staging.assessments
  UNION ALL SELECT patient_id, 'claims', hash('c', _row_hash) FROM staging.claims
  UNION ALL SELECT patient_id, 'claims', hash('u', _row_hash) FROM staging.claims_unknown_patient
  UNION ALL SELECT patient_id, 'claims', hash('q', load_id, line_number, status) FROM core.quarantined_claims
  WHERE patient_id IS NOT NULL
) GROUP BY ALL
"""

# For patients whose time logs changed, the first month that changed: the first month whose entries
# differ between the staging rows (their month read through core.local_month, the rule the marts
# use) and marts.billing_entries (the month and staging row hash it was built from). Each side is a
# digest per patient and month, as the fingerprints are per patient: two anti-joins of every entry
# of the patients took twice as long at 10M rows. Where an entry of the month before runs past
# midnight into that month, the first month is the month before: minutes logged twice across the
# midnight count once (billing_entries), so the new month's entries can change the old month's count.
TIME_LOG_MONTHS_SQL = """
WITH touched AS (SELECT patient_id FROM temp._bcm_changes WHERE component = 'time_logs'),
now AS (
  SELECT patient_id, service_month AS month, bit_xor(hash(_row_hash)) AS fingerprint, count(*) AS entries,
         max(end_at) AS reach
  FROM core.time_logs SEMI JOIN touched USING (patient_id)
  GROUP BY ALL
),
built AS (
  SELECT e.patient_id, e.service_month AS month, bit_xor(hash(e._source_hash)) AS fingerprint, count(*) AS entries
  FROM marts.billing_entries e SEMI JOIN touched USING (patient_id)
  GROUP BY ALL
),
changed AS (
  SELECT patient_id, month
  FROM now n FULL JOIN built b USING (patient_id, month)
  WHERE n.fingerprint IS DISTINCT FROM b.fingerprint OR n.entries IS DISTINCT FROM b.entries
)
SELECT c.patient_id,
       min(CASE WHEN before.reach > c.month THEN CAST(c.month - INTERVAL 1 MONTH AS DATE) ELSE c.month END) AS from_month
FROM changed c
LEFT JOIN now before ON before.patient_id = c.patient_id AND before.month = c.month - INTERVAL 1 MONTH
GROUP BY c.patient_id
"""

# DuckDB's checkpoint can "vacuum" a table that lost rows: rewrite its row groups so they fit in
# fewer. A monthly update deletes and writes again a fifth of outcome_patients' rows (the open
# episodes, whose as-of columns move on), so vacuuming at each update rewrote that table whole: 2.2
# of the 3.7 s of the 10M-row program's commit. As PostgreSQL's autovacuum does, the store's
# checkpoints leave deleted rows in place (warehouse.store; scans skip them) until they make up
# COMPACT_AT of a table an update writes; that update then checkpoints with the vacuum on, which
# compacts every table holding deleted rows.
COMPACT_AT = 0.2
VACUUM_TASKS = 100  # DuckDB's default max_vacuum_tasks

# A per-patient step recomputes at most this many patients in one query. A claims export into the
# 10M-row program touches 295,000 patients' reconciliation, and recon_codes for all of them in one
# query ran out of DuckDB's default 1.5 GB; a monthly export of that program touches 80,000.
PATIENTS_PER_PASS = 100_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Where a build writes: the store itself (catalog None) or an attached scratch catalog.

    A scratch build holds only the models it rebuilt (`models`); everything else is read from
    the store, so a different ruleset rebuilds billing, not outcomes.
    """

    catalog: str | None = None
    models: frozenset[str] = frozenset()
    home: str | None = None  # the store's catalog, which names what a scratch build reads from the store

    @property
    def prefix(self) -> str:
        return f"{self.catalog}." if self.catalog else ""

    def locate(self, sql: str) -> str:
        """SQL whose marts./config. names point into this target where the target holds them, and
        at the store (by its catalog name) otherwise: a view created in a scratch catalog resolves
        an unqualified name in that catalog, not in the store."""
        if not self.catalog:
            return sql
        home = '"' + self.home.replace('"', '""') + '".' if self.home else ""

        def place(m: re.Match) -> str:
            schema, name = m.group(1), m.group(2)
            inside = schema == "config" or (schema == "marts" and name in self.models)
            return f"{self.catalog}.{schema}.{name}" if inside else f"{home}{m.group(0)}"

        return re.sub(r"(?<![\w.])(marts|config|staging|core|meta)\.([a-z_][a-z0-9_]*)\b", place, sql)


@dataclass
class Step:
    model: str
    how: str  # full | patients | kept | created
    seconds: float = 0.0
    rows: int | None = None  # rows in the mart after the step
    written: int | None = None  # rows the step wrote (a per-patient step writes only its patients' rows)


@dataclass
class BuildReport:
    steps: list[Step] = field(default_factory=list)
    patients: int = 0  # patients whose data changed since the last build (None: first build)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds outside the models: scope, commit ...
    compacted: bool = False  # the build compacted the store's deleted rows (COMPACT_AT)

    def rebuilt(self) -> list[Step]:
        return [s for s in self.steps if s.how != "kept"]


def input_digests(all_models: dict[str, Model], config_digests: dict[str, str]) -> dict[str, str]:
    """Each model's input digest: its SQL and the digests of everything it reads."""
    out: dict[str, str] = {}
    for name, m in all_models.items():
        parts = [m.sql_digest] + sorted(
            f"{r}={config_digests[r[7:]] if r.startswith('config.') else out[r[6:]]}" for r in m.reads
        )
        out[name] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return out


def manifest(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> tuple[dict[str, tuple], dict[str, str]]:
    """(model -> (input digest, data version), input -> digest) recorded in a target; empty when none."""
    c = f"{catalog}." if catalog else ""
    try:
        models_ = {r[0]: (r[1], r[2]) for r in con.execute(f"SELECT model, input_digest, data_version FROM {c}meta.marts_manifest").fetchall()}
        inputs_ = dict(con.execute(f"SELECT name, digest FROM {c}meta.marts_inputs").fetchall())
    except duckdb.CatalogException:
        return {}, {}
    return models_, inputs_


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Every change to staging comes from a load: the newest load id names the state of the data."""
    return con.execute("SELECT coalesce(max(load_id), 0) FROM meta.load_log").fetchall()[0][0]


def build(con: duckdb.DuckDBPyConnection, inputs: Inputs, target: Target = Target(), *,
          only: set[str] | None = None, progress: Progress | None = None, full: bool = False) -> BuildReport:
    """Bring the target's marts up to date with the store's data and `inputs`, in one transaction.

    `only` (scratch targets): the models to build there; the rest are read from the store.
    `full`: every mart rebuilt whole, its manifest forgotten inside the transaction (dropped
    before it, an interrupted `bcm build --full` left marts with no manifest, read as never built).
    """
    started = time.perf_counter()
    all_models = models(NAMES)
    c = target.prefix
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(MANIFEST_SQL.format(c=c))  # DuckDB runs a script's statements in one call
        if full:
            con.execute(f"DELETE FROM {c}meta.marts_manifest")
        if _fingerprints_keyed(con, target.catalog):
            con.execute(UNKEYED_FINGERPRINTS_SQL.format(c=c))
        deleted = _deleted_shares(con, target)
        report = _build(con, inputs, target, all_models, only, progress)
        committing = time.perf_counter()
        con.execute("COMMIT")
        report.phases["commit"] = time.perf_counter() - committing
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # DuckDB may have ended it itself (a full disk): say the failure
            con.execute("ROLLBACK")
        raise
    report.compacted = any(deleted.get(s.model, 0) >= COMPACT_AT for s in report.steps if s.how == "patients")
    if report.compacted:
        compacting = time.perf_counter()
        _compact(con)
        report.phases["compact"] = time.perf_counter() - compacting
    report.seconds = time.perf_counter() - started
    return report


def _deleted_shares(con, target: Target) -> dict[str, float]:
    """Per mart table, the share of its stored rows that earlier updates deleted: DuckDB's
    estimated_size counts the rows stored, the manifest the rows live at the last build."""
    if target.catalog:
        return {}
    return dict(con.execute(
        """SELECT t.table_name, 1 - m.row_count / t.estimated_size FROM duckdb_tables() t
           JOIN meta.marts_manifest m ON m.model = t.table_name
           WHERE t.database_name = current_database() AND t.schema_name = 'marts' AND t.estimated_size > 0""").fetchall())


def _compact(con) -> None:
    """A checkpoint with DuckDB's vacuum on: row groups holding deleted rows are rewritten."""
    con.execute(f"SET max_vacuum_tasks = {VACUUM_TASKS}")
    try:
        con.execute("CHECKPOINT")
    finally:
        con.execute("SET max_vacuum_tasks = 0")


def _fingerprints_keyed(con, catalog: str | None) -> bool:
    return bool(con.execute(
        "SELECT 1 FROM duckdb_constraints() WHERE database_name = coalesce(?, current_database()) "
        "AND schema_name = 'meta' AND table_name = 'marts_fingerprints' AND constraint_type = 'PRIMARY KEY'",
        [catalog]).fetchall())


def _build(con, inputs: Inputs, target: Target, all_models: dict[str, Model], only, progress) -> BuildReport:
    c = target.prefix
    recorded, recorded_inputs = manifest(con, target.catalog)
    config_digests = inputs.digests()
    digests = input_digests(all_models, config_digests)
    clock = time.perf_counter()
    changed = _changes(con, c) if not target.catalog else None
    phases = {"changed patients": time.perf_counter() - clock}
    clock = time.perf_counter()
    moved = _as_of_moved(con, all_models, inputs, recorded, recorded_inputs) if changed is not None else set()
    phases["as-of date moved"] = time.perf_counter() - clock
    for name, table in inputs.tables.items():
        if recorded_inputs.get(name) != config_digests[name] or target.catalog:
            _write_config(con, c, name, table, config_digests[name])
    version = data_version(con)
    report = BuildReport(patients=changed or 0, phases=phases)
    per_patient = per_patient_relations(all_models)
    rebuilt: set[str] = set()
    for name, m in all_models.items():
        if only is not None and name not in only:
            continue
        fresh = recorded.get(name, (None, None))[0] == digests[name]
        step_started, written = time.perf_counter(), None
        if m.kind in ("view", "macro"):
            how = "kept" if fresh and not target.catalog else "created"
            if how == "created":
                con.execute(target.locate(_create(m, c)))
        elif target.catalog or changed is None or not (fresh or name in moved):
            how = "full"
            con.execute(target.locate(_create(m, c)))
        elif m.per_patient:
            scope = _scope_for(con, m, name in moved)
            how = "patients" if scope else "kept"
            written = sum(_rebuild_patients(con, m, c, target, per_patient, part) for part in _parts(con, scope)) if scope else None
        elif any(r[6:] in rebuilt for r in m.reads if r.startswith("marts.")) or _touches(con, m.components):
            how = "full"
            con.execute(target.locate(_create(m, c)))
        else:
            how = "kept"
        step = Step(name, how, time.perf_counter() - step_started, written=written if how == "patients" else None)
        if how != "kept":
            rebuilt.add(name)
            if m.kind == "table":
                step.rows = con.execute(f"SELECT count(*) FROM {c}marts.{name}").fetchall()[0][0]
            if progress:
                progress(f"{name}: {how} in {step.seconds:.1f} s")
        report.steps.append(step)
        _record(con, c, m, digests[name], version, step, report.patients if how == "patients" else None)
    if not target.catalog:
        clock = time.perf_counter()
        _keep_fingerprints(con, first=changed is None)
        phases["fingerprints"] = time.perf_counter() - clock
        _drop_retired(con, all_models)
    return report


def _drop_retired(con, all_models: dict[str, Model]) -> None:
    """Drop the marts an earlier bcm built and this one has no model for (marts.enrolment_gap_on,
    replaced by core.discharged_before), with their manifest rows: any DuckDB client reading the
    store would take them for current, while no build keeps them so."""
    for name, kind in con.execute("SELECT model, kind FROM meta.marts_manifest").fetchall():
        if name not in all_models:
            con.execute(f"DROP {kind.upper()} IF EXISTS marts.{name}")  # DROP MACRO drops a table macro too
            con.execute("DELETE FROM meta.marts_manifest WHERE model = ?", [name])


def _changes(con, c: str) -> int | None:
    """temp._bcm_changes (patient_id, component, from_month): what changed for whom since the last
    build, with the first month that changed where a by_month model can use it (time logs). Returns
    how many patients changed, or None on a first build (nothing recorded: everything is built whole)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bcm_fingerprints AS {FINGERPRINTS_SQL}")
    first = con.execute(f"SELECT count(*) = 0 FROM {c}meta.marts_fingerprints").fetchall()[0][0]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bcm_changes AS
        SELECT coalesce(n.patient_id, o.patient_id) AS patient_id, coalesce(n.component, o.component) AS component,
               CAST(NULL AS DATE) AS from_month
        FROM temp._bcm_fingerprints n FULL JOIN {c}meta.marts_fingerprints o USING (patient_id, component)
        WHERE n.fingerprint IS DISTINCT FROM o.fingerprint"""
    )
    if first:
        return None
    if _has_column(con, "billing_entries", "_source_hash"):
        con.execute(
            f"""UPDATE temp._bcm_changes c SET from_month = m.from_month FROM ({TIME_LOG_MONTHS_SQL}) m
            WHERE c.component = 'time_logs' AND c.patient_id = m.patient_id"""
        )
    return con.execute("SELECT count(DISTINCT patient_id) FROM temp._bcm_changes").fetchall()[0][0]


def _has_column(con, table: str, column: str) -> bool:
    return bool(con.execute(
        "SELECT 1 FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'marts' "
        "AND table_name = ? AND column_name = ?", [table, column]).fetchall())


def _touches(con, components: frozenset[str]) -> bool:
    return bool(components) and bool(con.execute(
        "SELECT 1 FROM temp._bcm_changes WHERE list_contains(?, component) LIMIT 1", [sorted(components)]).fetchall())


def _scope_for(con, m: Model, moved: bool) -> str | None:
    """A temp table of the patients (and, for a by_month model, the first month) to recompute for
    `m`: those whose data of a kind it depends on changed, and when only the as-of date moved on,
    those marts.as_of_moved names. None when there is none."""
    name = f"_bcm_scope_{m.name}"
    moved_rows = "UNION ALL SELECT patient_id, CAST(NULL AS DATE) FROM temp._bcm_as_of_moved" if moved else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT patient_id, CASE WHEN bool_or(from_month IS NULL) THEN NULL ELSE min(from_month) END AS from_month
        FROM (SELECT patient_id, from_month FROM temp._bcm_changes WHERE list_contains($components, component)
              {moved_rows})
        GROUP BY patient_id""",
        {"components": sorted(m.components)},
    )
    if con.execute(f"SELECT count(*) FROM temp.{name}").fetchall()[0][0] == 0:
        con.execute(f"DROP TABLE temp.{name}")
        return None
    return name


def _parts(con, scope: str) -> list[str]:
    """The scope in parts of at most PATIENTS_PER_PASS patients, each recomputed by its own query
    (temp tables named after the scope)."""
    parts = -(-con.execute(f"SELECT count(*) FROM temp.{scope}").fetchall()[0][0] // PATIENTS_PER_PASS)
    if parts <= 1:
        return [scope]
    for i in range(parts):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {scope}_{i} AS SELECT * FROM temp.{scope} WHERE hash(patient_id) % {parts} = {i}")
    return [f"{scope}_{i}" for i in range(parts)]


def _keep_fingerprints(con, first: bool) -> None:
    """Record the fingerprints of the state just built (only the changed ones are rewritten)."""
    if first:
        con.execute("DELETE FROM meta.marts_fingerprints")
        con.execute("INSERT INTO meta.marts_fingerprints SELECT * FROM temp._bcm_fingerprints")
    else:
        con.execute("""DELETE FROM meta.marts_fingerprints f USING temp._bcm_changes c
                       WHERE f.patient_id = c.patient_id AND f.component = c.component""")
        con.execute("""INSERT INTO meta.marts_fingerprints SELECT n.* FROM temp._bcm_fingerprints n
                       SEMI JOIN temp._bcm_changes c ON n.patient_id = c.patient_id AND n.component = c.component""")
    for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '_bcm_')").fetchall():
        con.execute(f"DROP TABLE temp.{name}")


def _as_of_moved(con, all_models, inputs: Inputs, recorded: dict, recorded_inputs: dict) -> set[str]:
    """Per-patient models that only the as-of date moving on makes stale, with temp._bcm_as_of_moved:
    the patients marts.as_of_moved names. The outcome marts are as of the data's last day, which
    moves with most loads; without this they would be rebuilt whole every time. Empty (so:
    rebuilt whole) when the date moved back, or as_of_moved itself changed."""
    before = recorded_inputs.get("as_of_date")
    if before is None or before == inputs.digests()["as_of_date"]:
        return set()
    previous = input_digests(all_models, {**inputs.digests(), "as_of_date": before})
    if recorded.get("as_of_moved", (None,))[0] != previous.get("as_of_moved"):
        return set()
    old = con.execute("SELECT as_of FROM config.as_of_date").fetchall()[0][0]
    new = inputs.tables["as_of_date"].column("as_of")[0].as_py()
    if old is None or new is None or new < old:
        return set()
    con.execute("CREATE OR REPLACE TEMP TABLE _bcm_as_of_moved AS SELECT DISTINCT patient_id FROM marts.as_of_moved($old, $new)",
                {"old": old, "new": new})
    now = input_digests(all_models, inputs.digests())
    return {name for name, m in all_models.items()
            if m.per_patient and recorded.get(name, (None,))[0] == previous[name] != now[name]}


def _write_config(con, c: str, name: str, table: pa.Table, digest: str) -> None:
    _bcm_input = table  # noqa: F841  (read by name in the SQL below)
    con.execute(f"CREATE OR REPLACE TABLE {c}config.{name} AS SELECT * FROM _bcm_input")
    con.execute(f"INSERT OR REPLACE INTO {c}meta.marts_inputs VALUES (?, ?, now())", [name, digest])


def _create(m: Model, c: str) -> str:
    if m.kind == "macro":
        return re.sub(rf"\bMACRO\s+marts\.{m.name}\b", f"MACRO {c}marts.{m.name}", m.sql, count=1)
    kind = "TABLE" if m.kind == "table" else "VIEW"
    return f"CREATE OR REPLACE {kind} {c}marts.{m.name} AS\n{m.sql}"


def _rebuild_patients(con, m: Model, c: str, target: Target, per_patient: dict[str, str | None], scope: str) -> int:
    """Recompute the rows of the patients in temp.<scope> only (for a by_month model, only their
    months from the scope's from_month on, reading only those months of by-month inputs; a
    cumulative_by_month model reads their whole history and keeps the months from from_month on),
    and write only the rows that differ: a monthly export touches most patients but changes few of
    their old rows, and a row deleted and inserted again costs DuckDB a rewrite of its row group at
    the commit. Returns the rows inserted."""

    first = _first_month(con, scope) if m.by_month else None

    def restricted(match: re.Match) -> str:
        relation = match.group(1)
        month = per_patient[relation] if m.by_month else None
        if month:
            reach = SOURCE_MONTH_REACH.get(relation)
            reaching = (f" OR (x.{month} = s.from_month - INTERVAL 1 MONTH AND x.{reach} > s.from_month)"
                        if reach else "")
            return (f"(SELECT x.* FROM {relation} x JOIN temp.{scope} s ON s.patient_id = x.patient_id"
                    f" AND (s.from_month IS NULL OR x.{month} >= s.from_month{reaching}){_readings_since(relation, first)})")
        return f"(SELECT * FROM {relation} WHERE patient_id IN (SELECT patient_id FROM temp.{scope}))"

    names = "|".join(re.escape(r) for r in sorted(per_patient, key=len, reverse=True))
    scoped = re.sub(rf"(?<![\w.])({names})\b(?!\.)", restricted, re.sub(r"--[^\n]*", "", m.sql))
    in_scope = f"(s.from_month IS NULL OR t.{m.month_column} >= s.from_month)" if m.month_column else "true"
    table = f"{c}marts.{m.name}"
    columns = [r[0] for r in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    rows_in_scope = f"JOIN temp.{scope} s USING (patient_id) WHERE {in_scope}"
    # A month model's rows before from_month are not recomputed: where an input read whole (claims)
    # adds such months, they are left out here, as they are from the old rows below.
    months = f" {rows_in_scope}" if m.month_column else ""
    recomputed = ", ".join(f't."{x}"' for x in columns)
    new = target.locate(f"SELECT {recomputed} FROM ({scoped}) t{months}")
    old = f"SELECT t.rowid AS _bcm_row, t.* FROM {table} t {rows_in_scope}"
    if not con.execute(f"SELECT EXISTS ({old})").fetchall()[0][0]:  # a new month: nothing to compare
        return con.execute(f"INSERT INTO {table} BY NAME {new}").fetchall()[0][0]
    whole = not _diff_rows(con, new, old, columns)
    con.execute(f"""DELETE FROM {table} t USING temp.{scope} s WHERE t.patient_id = s.patient_id AND {in_scope}
                    AND (? OR t.rowid IN (SELECT old_row FROM temp._bcm_diff WHERE paired IS NULL))""", [whole])
    rows = new if whole else "SELECT * EXCLUDE (old_row, paired, paired_hash) FROM temp._bcm_diff WHERE old_row IS NULL"
    inserted = con.execute(f"INSERT INTO {table} BY NAME {rows}").fetchall()[0][0]
    con.execute("DROP TABLE temp._bcm_diff")
    return inserted


def _first_month(con, scope: str) -> date | None:
    """The first month that any patient in the scope recomputes from; None when one recomputes whole."""
    return con.execute(f"SELECT CASE WHEN bool_or(from_month IS NULL) THEN NULL ELSE min(from_month) END FROM temp.{scope}").fetchall()[0][0]


def _readings_since(relation: str, first: date | None) -> str:
    """A filter on a relation's stored readings (SOURCE_MONTH_READINGS) that keeps every row whose
    local month may be `first` or later, with a constant month, so DuckDB applies it while it scans."""
    if first is None or relation not in SOURCE_MONTH_READINGS:
        return ""
    local, instant = SOURCE_MONTH_READINGS[relation]
    since = f"DATE '{first}' - marts.local_month_slack()"
    return (f" WHERE (x.{local} IS NULL OR x.{local} >= {since})"
            f" AND (x.{instant} IS NULL OR x.{instant} >= timezone('UTC', {since}))")


def _diff_rows(con, new: str, old: str, columns: list[str]) -> bool:
    """temp._bcm_diff (old_row, the new row's columns): the recomputed rows (query `new`) paired with
    the identical stored ones (query `old`, compared on every column); a stored row left unpaired
    is to be deleted, and a new one unpaired inserted. A pair keeps only the stored row's id: a
    table made in the build's transaction holds its memory until the commit, even once dropped,
    and a claims export recomputes most patients' reconciliation rows, nearly all unchanged.
    False when paired rows have copies, so the pairing is not one to one (told by the values'
    hash): all are written again, which is right, only slower (no mart is meant to hold two
    identical rows)."""
    equal = " AND ".join(f'o."{x}" IS NOT DISTINCT FROM n."{x}"' for x in columns)
    unpaired = ", ".join(f'CASE WHEN o._bcm_row IS NULL THEN n."{x}" END AS "{x}"' for x in columns)
    values = ", ".join(f'o."{x}"' for x in columns)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _bcm_diff AS
        SELECT o._bcm_row AS old_row, n._bcm_new AS paired, CASE WHEN n._bcm_new AND o._bcm_row IS NOT NULL THEN hash({values}) END AS paired_hash,
               {unpaired}
        FROM ({old}) o FULL JOIN (SELECT true AS _bcm_new, * FROM ({new})) n ON {equal}""")
    return con.execute("""SELECT count(*) = count(DISTINCT old_row) AND count(*) = count(DISTINCT paired_hash)
                          FROM temp._bcm_diff WHERE paired_hash IS NOT NULL""").fetchall()[0][0]


def _record(con, c: str, m: Model, digest: str, version: int, step: Step, patients: int | None) -> None:
    if step.how == "kept":
        con.execute(f"UPDATE {c}meta.marts_manifest SET data_version = ? WHERE model = ?", [version, m.name])
        return
    con.execute(
        f"INSERT OR REPLACE INTO {c}meta.marts_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
        [m.name, m.kind, digest, version, step.how, patients, step.rows, round(step.seconds, 3), __version__],
    )
