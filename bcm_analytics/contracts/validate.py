"""Check the stored data against every expectation: DuckDB over all rows, great-expectations on a sample.

DuckDB runs each expectation (row and table scope) over every stored row; its verdict on
reject-level expectations decides whether the store passes. great-expectations runs the
same suites on a bounded sample of each table; a reject-level expectation that GE fails and
DuckDB passes would mean the two engines read the suite differently, which also fails the run.
Results are kept in meta.validation_runs / meta.validation_results for the data-quality report.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bcm_analytics import __version__, private_files
from bcm_analytics.contracts.checks import stored_frame, unexpected_rows_sql
from bcm_analytics.contracts.snippets import frame_sql, install_macros
from bcm_analytics.contracts.suites import SQL_ONLY_TYPES, Expectation, expectations, suite_tables
from bcm_analytics.contracts.tables import table_specs

EXAMPLES = 5
# What an example of an offending row may show: where it came from, and columns that identify
# no patient (a clinic, a staff member's day, a month, a code, a count of entries). Patient ids,
# row ids, dates of birth or of care, scores and free text are left out of saved results; the
# file and line find the row.
EXAMPLE_COLUMNS = {"_source_file", "_line", "line_number", "clinic_id", "staff_id", "staff_role", "service_date",
                   "service_month", "instrument", "activity_type", "contact_mode", "procedure_code", "setting", "payer",
                   "entries", "scores", "minutes", "median_minutes", "previous_median"}
# Rows per table great-expectations validates. Its in-set checks against known patient ids cost
# time in proportion to the distinct ids a sample holds (15 s a table at 100,000 rows of a
# 380,000-patient store; under 3 s at 20,000), while DuckDB checks every row anyway.
DEFAULT_SAMPLE = 20_000


@dataclass
class Outcome:
    """One expectation judged by one engine."""

    table: str
    name: str
    type: str
    severity: str
    scope: str
    engine: str  # duckdb | great_expectations
    success: bool | None  # None: this engine does not run this expectation
    rows_checked: int | None = None
    unexpected: int | None = None
    examples: list = field(default_factory=list)


@dataclass
class ValidationRun:
    outcomes: list[Outcome]
    sample_rows: int | None
    gx_result: dict | None
    seconds_duckdb: float
    seconds_gx: float | None
    run_id: int | None = None

    def failures(self, engine: str = "duckdb", severity: str = "reject") -> list[Outcome]:
        return [o for o in self.outcomes if o.engine == engine and o.severity == severity and o.success is False]

    @property
    def disagreements(self) -> list[Outcome]:
        """Reject expectations GE fails on the sample while DuckDB passes them on every row."""
        passed = {(o.table, o.name) for o in self.outcomes if o.engine == "duckdb" and o.success}
        return [o for o in self.failures("great_expectations") if (o.table, o.name) in passed]

    @property
    def success(self) -> bool:
        return not self.failures() and not self.disagreements


def run_duckdb(con: duckdb.DuckDBPyConnection) -> list[Outcome]:
    install_macros(con)
    outcomes = []
    for table in suite_tables():
        rows = con.execute(f"SELECT count(*) FROM staging.{table}").fetchall()[0][0]
        frame = stored_frame(table)
        for exp in expectations(table):
            query = unexpected_rows_sql(exp, frame)
            unexpected = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
            outcomes.append(
                Outcome(table, exp.name, exp.type, exp.severity, exp.scope, "duckdb", unexpected == 0, rows, unexpected,
                        _examples(con, exp, query) if unexpected else [])
            )
    return outcomes


def _examples(con: duckdb.DuckDBPyConnection, exp: Expectation, query: str) -> list[dict]:
    """A few offending rows: for row checks where they came from, for table checks what the query returns."""
    if exp.scope == "row" or exp.type not in SQL_ONLY_TYPES:
        cols = ", ".join([*table_specs()[exp.table].key, "_source_file", "_line"])
        query = f"SELECT {cols} FROM ({query})"
    text = con.execute(f"SELECT CAST(to_json(list(x)) AS VARCHAR) FROM (SELECT * FROM ({query}) LIMIT {EXAMPLES}) x").fetchall()[0][0]
    return [_identifying_removed(row) for row in json.loads(text)] if text else []


def _identifying_removed(row: dict) -> dict:
    return {k: v for k, v in row.items() if k in EXAMPLE_COLUMNS}


def sample_frames(con: duckdb.DuckDBPyConnection, rows: int) -> dict:
    """Each table's frame over a repeatable sample of at most `rows` stored rows, as pandas
    (only the columns the suite reads: converting the rest would double the cost)."""
    from bcm_analytics.contracts.gx_run import columns_used

    frames = {}
    for table in suite_tables():
        spec = table_specs()[table]
        if "patient_id" in spec.column_names and "patient_id" not in spec.key:  # a patient's rows, not the patient
            sample = _whole_patients(table, spec.key, int(rows))
        else:
            sample = f"(SELECT * FROM staging.{table} USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE (7))"
        frames[table] = con.execute(f"SELECT {', '.join(columns_used(table))} FROM ({frame_sql(table, sample)})").df()
    return frames


def _whole_patients(table: str, key: list[str], rows: int) -> str:
    """Every row of some patients, taken in the order of their ids' hash (repeatable) while they fit
    in `rows`; a first patient with more rows is cut at `rows`. GE's in-set checks cost in proportion
    to the distinct ids a sample holds, and whole patients hold far fewer than rows drawn one by one
    (780 against 13,934 ids in 20,000 time logs of the 1M benchmark): GE took 5.7 s instead of 11.8 s."""
    return f"""(SELECT t.* FROM staging.{table} t SEMI JOIN (
                  SELECT patient_id FROM (
                    SELECT patient_id, count(*) AS n, sum(count(*)) OVER (ORDER BY hash(patient_id), patient_id) AS upto
                    FROM staging.{table} GROUP BY patient_id)
                  WHERE upto <= {rows} OR upto = n) USING (patient_id)
                ORDER BY hash(t.patient_id), t.patient_id, {", ".join(f"t.{k}" for k in key)} LIMIT {rows})"""


def run_gx(con: duckdb.DuckDBPyConnection, rows: int) -> tuple[list[Outcome], dict]:
    from bcm_analytics.contracts import gx_run

    frames = sample_frames(con, rows)
    results = gx_run.validate_frames(frames, gx_run.parameter_values(con, frames))
    outcomes = []
    for table, result in results.items():
        judged = {r.expectation_config.meta["name"]: r for r in result.results}
        for exp in expectations(table):
            r = judged.get(exp.name)
            if r is None:
                outcomes.append(Outcome(table, exp.name, exp.type, exp.severity, exp.scope, "great_expectations", None))
                continue
            broke = bool(r.exception_info and r.exception_info.get("raised_exception"))
            outcomes.append(
                Outcome(table, exp.name, exp.type, exp.severity, exp.scope, "great_expectations",
                        None if broke else bool(r.success), len(frames[table]), r.result.get("unexpected_count"))
            )
    return outcomes, {table: gx_run.without_values(table, result.to_json_dict()) for table, result in results.items()}


def validate_store(con: duckdb.DuckDBPyConnection, sample: int | None = DEFAULT_SAMPLE) -> ValidationRun:
    """Judge the stored data; `sample` rows per table also go through great-expectations (None: skip)."""
    started = time.perf_counter()
    outcomes = run_duckdb(con)
    seconds_duckdb = time.perf_counter() - started
    gx_result, seconds_gx = None, None
    if sample:
        started = time.perf_counter()
        gx_outcomes, gx_result = run_gx(con, sample)
        outcomes += gx_outcomes
        seconds_gx = time.perf_counter() - started
    return ValidationRun(outcomes, sample, gx_result, seconds_duckdb, seconds_gx)


def record(con: duckdb.DuckDBPyConnection, run: ValidationRun, started_at) -> int:
    """Keep the run in meta.validation_runs / meta.validation_results; returns its id."""
    run_id = con.execute("SELECT nextval('meta.validation_id_seq')").fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO meta.validation_runs VALUES (?, ?, now(), ?, ?, ?, ?)",
        [run_id, started_at, run.sample_rows, run.success, json.dumps(run.gx_result, default=str) if run.gx_result else None, __version__],
    )
    con.executemany(
        "INSERT INTO meta.validation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [run_id, o.engine, o.table, o.name, o.type, o.severity, o.scope, o.success, o.rows_checked, o.unexpected,
             json.dumps(o.examples, default=str) if o.examples else None]
            for o in run.outcomes
        ],
    )
    con.execute("COMMIT")
    run.run_id = run_id
    return run_id


def validate_and_record(con: duckdb.DuckDBPyConnection, sample: int | None = DEFAULT_SAMPLE, out: Path | None = None) -> ValidationRun:
    """Validate, keep the run in the store (the data-quality report reads it) and write its JSON to `out`."""
    started_at = datetime.now(timezone.utc)
    run = validate_store(con, sample or None)
    record(con, run, started_at)
    if out is not None:
        private_files.write_text(out, json.dumps(as_json(run), indent=1, default=str))
    return run


def as_json(run: ValidationRun) -> dict:
    """The run as one JSON document: the DuckDB verdicts and great-expectations' own result."""
    return {
        "run_id": run.run_id,
        "success": run.success,
        "sample_rows": run.sample_rows,
        "seconds": {"duckdb": round(run.seconds_duckdb, 3), "great_expectations": run.seconds_gx and round(run.seconds_gx, 3)},
        "outcomes": [o.__dict__ for o in run.outcomes],
        "great_expectations": run.gx_result,
    }
