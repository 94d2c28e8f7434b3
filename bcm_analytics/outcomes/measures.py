"""Patient-level outcomes and program measures, read from the outcome marts.

The measures are SQL models (bcm_analytics/models/outcomes), persisted as marts and kept current
after every load for the store's definitions and the as-of date of its latest data; another
as-of date or definitions are built into a scratch schema (models.marts.current). An OutcomeRun
is the marts plus a report's filters (clinics, care manager, payer, instrument), applied where
the marts are read, through one macro (marts.in_filter).

    run = prepare(con, "2025-12-31")
    run.patients()                       # one row per patient, episode and instrument
    run.program_measures("2025-01", "2025-06")   # DRR-E style and CMS159 counts and rates

`patient_outcomes(con, as_of)` is the one-call form of `prepare(...).patients()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from bcm_analytics.config.definitions import Definitions
from bcm_analytics.models import Marts, Query, current
from bcm_analytics.models.marts import data_ends_before, latest_data_date, resolve_definitions
from bcm_analytics.months import add_months, as_date, month_end, month_start, runs_text, starts_after_end

# table macro -> the period parameters it takes (besides the filters)
MACROS = {
    "measure_counts": ("marts.measure_counts_for($start_month, $period_end, $clinics, $care_manager, $payer, $instrument)"),
    "caseload_months": ("marts.caseload_months_for($start_month, $end_month, $clinics, $care_manager, $payer, $instrument)"),
    "contacts_by_mode": ("marts.contacts_by_mode_for($start_month, $end_month, $clinics, $care_manager, $payer)"),
    "cohorts": ("marts.cohorts_for($start_month, $period_end, $clinics, $care_manager, $payer, $instrument, $block_firsts, "
                "$block_lasts)"),
    "change_distribution": ("marts.change_distribution_for($start_month, $period_end, $clinics, $care_manager, $payer, $instrument)"),
    "utilisation": ("marts.utilisation_for($start_month, $end_month, $clinics, $care_manager, $payer)"),
    "drr_e": ("marts.drr_e_for($year, $clinics, $care_manager, $payer)"),
    "cms159": ("marts.cms159_for($year, $clinics, $care_manager, $payer)"),
    "worklists": ("marts.worklists_for($clinics, $care_manager, $payer)"),
    "followup_due": ("marts.followup_due_for($clinics, $care_manager, $payer)"),
}


@dataclass
class OutcomeRun:
    """The outcome marts for one as-of date and definitions, and a report's filters."""

    marts: Marts
    filters: dict = field(default_factory=dict)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.marts.con

    @property
    def as_of(self) -> dt.date:
        return self.marts.as_of

    @property
    def definitions(self) -> Definitions:
        return self.marts.definitions

    def query(self, name: str, *, dates: bool = False, **period) -> pd.DataFrame:
        """A table macro of the outcome marts (MACROS) for a period, within the run's filters
        (dates: DATE columns as Python dates, see Query.df)."""
        sql = MACROS[name]
        params = {k: v for k, v in {**self.filters, **period}.items() if f"${k}" in sql}
        return self.marts.select(f"SELECT * FROM {sql}", params).df(dates)

    def period(self, start_month=None, end_month=None) -> dict:
        """Report period as SQL parameters (outcome_period at the run's as-of date)."""
        return outcome_period(self.as_of, start_month, end_month)

    def scores_gap_note(self, start, month_format: str = "%Y-%m") -> str | None:
        """Why measures from `start` to the as-of date may read low: months with time logged and not
        one score in the store (models/outcomes/outcome_months_without_scores.sql). An assessments
        export ending in October counted November's and December's windows as closed with no
        follow-up score, and listed every patient due a score as not improving."""
        months = [m for (m,) in self.marts.query(
            "SELECT service_month FROM marts.outcome_months_without_scores($start, $end)",
            {"start": month_start(start), "end": month_start(self.as_of)}).fetchall()]
        if not months:
            return None
        first, last = self.marts.query("SELECT min(administered_on), max(administered_on) FROM core.assessments").fetchone()
        if first is None:
            return ("The store holds no scores: every follow-up window reads as without a score and every patient as not "
                    "improving. Load the assessments export (bcm load assessments.csv) before reading these measures.")
        return (f"No scores are loaded for {runs_text(months, month_format)}, though time is logged in them (the "
                f"store's scores run {first:{month_format}} to {last:{month_format}}): follow-up windows closing then "
                f"count as without a score, and patients due a score as not improving, until those scores are loaded.")

    def as_of_past_data_note(self, dated: bool = True) -> str | None:
        """Why the latest month's measures may read low: an as-of date after the data's last day (a
        page dated at month end) reads the contacts and scores the export has not reached yet as
        absent. `bcm outcomes` said so on stderr; the page said nothing and showed 0% contacted.
        `dated`: name the two days (an external page names no day of care)."""
        last = data_ends_before(self.con, self.as_of)
        if last is None:
            return None
        said = f"The as-of date, {self.as_of:%Y-%m-%d}, is after the data's last day, {last:%Y-%m-%d}" if dated else \
            "The as-of date is after the data's last day"
        return (f"{said}: contacts and scores not yet exported read as absent, so the latest month's process rates "
                f"read low and follow-up windows closing in between count as without a score, until a later export "
                f"is loaded.")

    def patients(self) -> pd.DataFrame:
        """One row per patient, episode and instrument (models/outcomes/outcome_patients.sql)."""
        return self.patients_query().df()

    def patients_query(self) -> Query:
        return self.marts.select(
            """SELECT * FROM marts.outcome_patients
               WHERE marts.in_filter(clinic_id, care_manager_id, payer, $clinics, $care_manager, $payer)
                 AND ($instrument IS NULL OR instrument = $instrument)
               ORDER BY patient_id, episode_id, instrument""",
            dict(self.filters),
        )

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


def outcome_period(as_of: dt.date, start_month=None, end_month=None) -> dict:
    """An outcome report's period as SQL parameters: first day of the first month to the last day
    of the last, cut at the as-of date. Defaults: the as-of month, and the 12 months ending there.
    """
    end = month_start(end_month) if end_month else as_of.replace(day=1)
    start = month_start(start_month) if start_month else add_months(end, -11)
    if starts_after_end(start, end):
        raise ValueError(f"period starts after it ends: {start:%Y-%m} > {end:%Y-%m}")
    return {"start_month": start, "end_month": end, "period_end": min(month_end(end), as_of)}


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
    """The outcome marts as of `as_of` (default: the latest data date) within a report's filters."""
    if as_of is None and latest_data_date(con) is None:
        raise ValueError("the store has no scores or time logs: nothing to measure")
    filters = {
        "clinics": [clinics] if isinstance(clinics, str) else (list(clinics) if clinics else None),
        "care_manager": care_manager or None,
        "payer": payer or None,
        "instrument": instrument.upper() if instrument else None,
    }
    resolved = resolve_definitions(con, definitions)  # read once: the check and the marts take the same
    check_pooled(resolved, instrument)  # before any mart is built for it
    return OutcomeRun(current(con, definitions=resolved, as_of=as_date(as_of) if as_of else None, area="outcomes",
                              own_definitions=definitions is None), filters)


def measured_as(definitions: Definitions, instrument: str) -> str:
    """The name outcomes hold an instrument's scores under: its `measure_as` (PHQ-A: PHQ-9), else its own."""
    specs = {name.upper(): (name, spec) for name, spec in definitions["instruments"].items()}
    name, spec = specs.get(instrument.upper(), (instrument, {}))
    return spec.get("measure_as") or name


def check_pooled(definitions: Definitions, instrument: str | None) -> None:
    """A filter on an instrument the definitions measure as another (PHQ-A as the PHQ-9) found none
    of its scores, since outcomes hold them under the other's name: the page read 0% scored and no
    measures, as if the program's teens had never been scored."""
    if not instrument:
        return
    pooled = measured_as(definitions, instrument)
    if pooled.upper() != instrument.upper():
        key = next(name for name in definitions["instruments"] if name.upper() == instrument.upper())
        raise ValueError(f"instrument {instrument}: the definitions measure its scores as the {pooled}'s "
                         f"(instruments.{key}.measure_as), so outcomes hold them under {pooled}: filter on {pooled}, "
                         f"which counts both")


def patient_outcomes(con: duckdb.DuckDBPyConnection, as_of=None, params: Definitions | None = None, **filters) -> pd.DataFrame:
    """One row per patient, episode and instrument as of `as_of` (see models/outcomes/outcome_patients.sql)."""
    return prepare(con, as_of, params, **filters).patients()
