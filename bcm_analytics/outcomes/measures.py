"""Patient-level outcomes and program measures, computed in DuckDB over whole tables.

`prepare` builds the session's temp tables once (episodes, scores, activity, windows,
patients) for an as-of date, the definitions and the report filters; the functions here and in
caseload.py read them. Each SQL file in sql/ is one statement with named parameters
($as_of, $response_max_fraction, ...), so the SQL reads on its own.

    run = prepare(con, "2025-12-31")
    run.patients()                       # one row per patient, episode and instrument
    run.program_measures("2025-01", "2025-06")   # DRR-E style and CMS159 counts and rates

`patient_outcomes(con, as_of)` is the one-call form of `prepare(...).patients()`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache

import duckdb
import pandas as pd

from bcm_analytics.months import add_months, as_date, month_end, month_start
from bcm_analytics.config.definitions import Definitions, load_definitions
from bcm_analytics.sqlfiles import read_sql, run_sql

PREPARE = ("episodes", "scores", "activity", "windows", "patients")
_run_ids = itertools.count(1)


@cache
def sql_text(name: str) -> str:
    return read_sql("bcm_analytics.outcomes", f"sql/{name}.sql")


def latest_data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The default as-of date: the last day with a score or a time-log entry in the store."""
    return con.execute(
        "SELECT greatest((SELECT max(administered_on) FROM core.assessments), (SELECT max(service_date) FROM core.time_logs))"
    ).fetchall()[0][0]


@dataclass
class OutcomeRun:
    """The prepared temp tables of one connection, and what they were prepared with.

    Temp tables belong to the connection: if another run was prepared on it since, this run
    builds its own again before answering (the DuckDB variable outcome_run says whose they are).
    """

    con: duckdb.DuckDBPyConnection
    as_of: dt.date
    definitions: Definitions
    filters: dict = field(default_factory=dict)
    run_id: int = field(default_factory=lambda: next(_run_ids))

    @property
    def params(self) -> dict:
        return {**self.definitions.sql_params(), "as_of": self.as_of, **self.filters}

    def build(self) -> None:
        for name in PREPARE:
            run_sql(self.con, sql_text(name), self.params)
        self.con.execute("SET VARIABLE outcome_run = ?", [self.run_id])

    def current(self) -> duckdb.DuckDBPyConnection:
        """The connection, with this run's temp tables in it."""
        if self.con.execute("SELECT getvariable('outcome_run')").fetchall()[0][0] != self.run_id:
            self.build()
        return self.con

    def query(self, name: str, **extra) -> pd.DataFrame:
        return run_sql(self.current(), sql_text(name), {**self.params, **extra}).df()

    def period(self, start_month=None, end_month=None) -> dict:
        """Report period as SQL parameters: first day of the first month to the last day of the last.

        Defaults: the as-of month, and the 12 months ending there.
        """
        end = month_start(end_month) if end_month else self.as_of.replace(day=1)
        start = month_start(start_month) if start_month else add_months(end, -11)
        last = month_end(end)
        if start > end:
            raise ValueError(f"period starts after it ends: {start:%Y-%m} > {end:%Y-%m}")
        return {"start_month": start, "end_month": end, "period_end": min(last, self.as_of)}

    def patients(self) -> pd.DataFrame:
        """One row per patient, episode and instrument (see sql/patients.sql for each column)."""
        return self.current().sql("SELECT * FROM outcome_patients").df()

    def program_measures(self, start_month=None, end_month=None) -> pd.DataFrame:
        """DRR-E style (12 weeks, 6 months) and CMS159 (12 months) measures, with their counts.

        One row per instrument and window, for baselines in the period: eligible (baseline
        >= 10), pending (window still open: outside the denominator), denominator, measured (a
        score in the window), responders, remitters, and the rates of all and of those measured.
        """
        counts = self.measure_counts(start_month, end_month)
        return with_rates(counts[counts["dimension"] == "program"].drop(columns=["dimension", "stratum"]))

    def measure_counts(self, start_month=None, end_month=None) -> pd.DataFrame:
        """The measures' counts by stratum: dimension (program, clinic, payer, ...) and stratum."""
        return self.query("measure_counts", **self.period(start_month, end_month))


MEASURE_RATES = {
    "pct_measured": ("measured", "denominator"),
    "pct_response": ("responders", "denominator"),
    "pct_remission": ("remitters", "denominator"),
    "pct_response_of_measured": ("responders", "measured"),
    "pct_remission_of_measured": ("remitters", "measured"),
    # with baselines >= 10 a remission is also a response: "responded, not remitted" is a count too
    "pct_remission_of_responders": ("remitters", "responders"),
}


def with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add the MEASURE_RATES columns ("of all" and "of those measured"); NaN on a zero base."""
    out = counts.reset_index(drop=True)
    for rate, (num, den) in MEASURE_RATES.items():
        out[rate] = out[num] / out[den].where(out[den] > 0)
    return out


def prepare(
    con: duckdb.DuckDBPyConnection,
    as_of=None,
    definitions: Definitions | None = None,
    *,
    clinics: list[str] | str | None = None,
    care_manager: str | None = None,
    payer: str | None = None,
    instrument: str | None = None,
) -> OutcomeRun:
    """Build the outcome temp tables for an as-of date (default: the latest data date)."""
    as_of = as_date(as_of) if as_of else latest_data_date(con)
    if as_of is None:
        raise ValueError("the store has no scores or time logs: nothing to measure")
    filters = {
        "clinics": [clinics] if isinstance(clinics, str) else (list(clinics) if clinics else None),
        "care_manager": care_manager or None,
        "payer": payer or None,
        "instrument": instrument.upper() if instrument else None,
    }
    run = OutcomeRun(con, as_of, definitions or load_definitions(), filters)
    run.build()
    return run


def patient_outcomes(con: duckdb.DuckDBPyConnection, as_of=None, params: Definitions | None = None, **filters) -> pd.DataFrame:
    """One row per patient, episode and instrument as of `as_of` (see sql/patients.sql)."""
    return prepare(con, as_of, params, **filters).patients()
