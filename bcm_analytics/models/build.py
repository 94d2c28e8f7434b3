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

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from bcm_analytics import __version__
from bcm_analytics.models.graph import Model, models, per_patient_relations
from bcm_analytics.models.inputs import NAMES, Inputs

MANIFEST_SQL = """
CREATE SCHEMA IF NOT EXISTS {c}config;
CREATE SCHEMA IF NOT EXISTS {c}marts;
CREATE SCHEMA IF NOT EXISTS {c}meta;
CREATE TABLE IF NOT EXISTS {c}meta.marts_manifest (
  model VARCHAR PRIMARY KEY, kind VARCHAR, input_digest VARCHAR, data_version BIGINT, how VARCHAR,
  patients BIGINT, row_count BIGINT, seconds DOUBLE, built_at TIMESTAMPTZ, bcm_version VARCHAR);
CREATE TABLE IF NOT EXISTS {c}meta.marts_inputs (name VARCHAR PRIMARY KEY, digest VARCHAR, written_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS {c}meta.marts_fingerprints (patient_id VARCHAR PRIMARY KEY, fingerprint UBIGINT);
"""

# Per patient, a digest of every staging row that belongs to them (and of their clinic's row):
# two states of the data give the same fingerprint for a patient exactly when nothing of theirs changed.
FINGERPRINTS_SQL = """
SELECT patient_id, bit_xor(h) AS fingerprint FROM (
  SELECT p.patient_id, hash('p', p._row_hash, c._row_hash) AS h
  FROM staging.patients p LEFT JOIN staging.clinics c USING (clinic_id)
  UNION ALL SELECT patient_id, hash('t', _row_hash) FROM staging.time_logs
  UNION ALL SELECT patient_id, hash('a', _row_hash) FROM staging.assessments
  UNION ALL SELECT patient_id, hash('c', _row_hash) FROM staging.claims
  UNION ALL SELECT patient_id, hash('u', _row_hash) FROM staging.claims_unknown_patient
  UNION ALL SELECT record ->> 'patient_id', hash('q', load_id, line_number, status)
  FROM meta.quarantine WHERE table_name = 'claims' AND record ->> 'patient_id' IS NOT NULL
) GROUP BY patient_id
"""

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
    rows: int | None = None


@dataclass
class BuildReport:
    steps: list[Step] = field(default_factory=list)
    patients: int = 0  # patients whose data changed since the last build (None: first build)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds outside the models: scope, commit ...

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
          only: set[str] | None = None, progress: Progress | None = None) -> BuildReport:
    """Bring the target's marts up to date with the store's data and `inputs`, in one transaction.

    `only` (scratch targets): the models to build there; the rest are read from the store.
    """
    started = time.perf_counter()
    all_models = models(NAMES)
    c = target.prefix
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in MANIFEST_SQL.format(c=c).split(";"):
            if statement.strip():
                con.execute(statement)
        report = _build(con, inputs, target, all_models, only, progress)
        committing = time.perf_counter()
        con.execute("COMMIT")
        report.phases["commit"] = time.perf_counter() - committing
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.seconds = time.perf_counter() - started
    return report


def _build(con, inputs: Inputs, target: Target, all_models: dict[str, Model], only, progress) -> BuildReport:
    c = target.prefix
    recorded, recorded_inputs = manifest(con, target.catalog)
    config_digests = inputs.digests()
    digests = input_digests(all_models, config_digests)
    clock = time.perf_counter()
    scoped = _scope(con, c) if not target.catalog else None
    phases = {"changed patients": time.perf_counter() - clock}
    clock = time.perf_counter()
    moved = _as_of_moved(con, all_models, inputs, recorded, recorded_inputs) if scoped is not None else {}
    phases["as-of date moved"] = time.perf_counter() - clock
    for name, table in inputs.tables.items():
        if recorded_inputs.get(name) != config_digests[name] or target.catalog:
            _write_config(con, c, name, table, config_digests[name])
    version = data_version(con)
    report = BuildReport(patients=scoped if scoped is not None else 0, phases=phases)
    per_patient = per_patient_relations(all_models)
    rebuilt: set[str] = set()
    for name, m in all_models.items():
        if only is not None and name not in only:
            continue
        fresh = recorded.get(name, (None, None))[0] == digests[name]
        upstream_rebuilt = any(r[6:] in rebuilt for r in m.reads if r.startswith("marts."))
        step_started = time.perf_counter()
        if m.kind in ("view", "macro"):
            how = "kept" if fresh and not target.catalog else "created"
            if how == "created":
                con.execute(target.locate(_create(m, c)))
        elif m.per_patient and fresh and scoped:
            how = "patients"
            _rebuild_patients(con, m, c, target, per_patient, "_bcm_scope")
        elif m.per_patient and name in moved:
            how = "patients"
            _rebuild_patients(con, m, c, target, per_patient, "_bcm_scope_as_of")
        elif not fresh or target.catalog or scoped is None or (not m.per_patient and (scoped or upstream_rebuilt)):
            how = "full"
            con.execute(target.locate(_create(m, c)))
        else:
            how = "kept"
        step = Step(name, how, time.perf_counter() - step_started)
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
        con.execute("DELETE FROM meta.marts_fingerprints")
        con.execute("INSERT INTO meta.marts_fingerprints SELECT * FROM temp._bcm_fingerprints")
        for name in ("_bcm_fingerprints", "_bcm_scope", "_bcm_scope_as_of"):
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        phases["fingerprints"] = time.perf_counter() - clock
    return report


def _as_of_moved(con, all_models, inputs: Inputs, recorded: dict, recorded_inputs: dict) -> set[str]:
    """Per-patient models that only the as-of date moving on makes stale, with temp._bcm_scope_as_of:
    the changed patients plus those marts.as_of_moved names. The outcome marts are as of the data's
    last day, which moves with most loads; without this they would be rebuilt whole every time.
    Empty (so: rebuilt whole) when the date moved back, or as_of_moved itself changed."""
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
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _bcm_scope_as_of AS
        SELECT patient_id FROM temp._bcm_scope UNION SELECT patient_id FROM marts.as_of_moved($old, $new)""",
        {"old": old, "new": new},
    )
    now = input_digests(all_models, inputs.digests())
    return {name for name, m in all_models.items()
            if m.per_patient and recorded.get(name, (None,))[0] == previous[name] != now[name]}


def _write_config(con, c: str, name: str, table: pa.Table, digest: str) -> None:
    _bcm_input = table  # noqa: F841  (read by name in the SQL below)
    con.execute(f"CREATE OR REPLACE TABLE {c}config.{name} AS SELECT * FROM _bcm_input")
    con.execute(f"INSERT OR REPLACE INTO {c}meta.marts_inputs VALUES (?, ?, now())", [name, digest])


def _scope(con, c: str) -> int | None:
    """temp._bcm_scope: patients whose data changed since the last build; their count, or None on
    a first build (nothing recorded: every model is built whole)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _bcm_fingerprints AS {FINGERPRINTS_SQL}")
    first = con.execute(f"SELECT count(*) = 0 FROM {c}meta.marts_fingerprints").fetchall()[0][0]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bcm_scope AS
        SELECT coalesce(n.patient_id, o.patient_id) AS patient_id
        FROM temp._bcm_fingerprints n FULL JOIN {c}meta.marts_fingerprints o USING (patient_id)
        WHERE n.fingerprint IS DISTINCT FROM o.fingerprint"""
    )
    if first:
        return None
    return con.execute("SELECT count(*) FROM temp._bcm_scope").fetchall()[0][0]


def _create(m: Model, c: str) -> str:
    if m.kind == "macro":
        return re.sub(rf"\bMACRO\s+marts\.{m.name}\b", f"MACRO {c}marts.{m.name}", m.sql, count=1)
    kind = "TABLE" if m.kind == "table" else "VIEW"
    return f"CREATE OR REPLACE {kind} {c}marts.{m.name} AS\n{m.sql}"


def _rebuild_patients(con, m: Model, c: str, target: Target, per_patient: frozenset[str], scope: str) -> None:
    """Delete and recompute the rows of the patients in temp.<scope> only."""
    scoped = re.sub(
        r"(?<![\w.])(" + "|".join(re.escape(r) for r in sorted(per_patient, key=len, reverse=True)) + r")\b(?!\.)",
        lambda x: f"(SELECT * FROM {x.group(1)} WHERE patient_id IN (SELECT patient_id FROM temp.{scope}))",
        re.sub(r"--[^\n]*", "", m.sql),
    )
    con.execute(f"DELETE FROM {c}marts.{m.name} WHERE patient_id IN (SELECT patient_id FROM temp.{scope})")
    con.execute(target.locate(f"INSERT INTO {c}marts.{m.name} BY NAME {scoped}"))


def _record(con, c: str, m: Model, digest: str, version: int, step: Step, patients: int | None) -> None:
    if step.how == "kept":
        con.execute(f"UPDATE {c}meta.marts_manifest SET data_version = ? WHERE model = ?", [version, m.name])
        return
    con.execute(
        f"INSERT OR REPLACE INTO {c}meta.marts_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?)",
        [m.name, m.kind, digest, version, step.how, patients, step.rows, round(step.seconds, 3), __version__],
    )
