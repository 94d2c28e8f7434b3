"""The program director's tables: aggregate only, suppressed, then formatted for display.

Every table the director's report shows is built here and passes through suppress() (the CMS
cell-size rule) before it leaves; charts are drawn from these suppressed tables only, so a
chart never shows what a table hides. Patient-level lists live in caseload.worklists, a
separate output for care teams.

Counts display as plain integers, rates as "45.2%", averages with one decimal, a suppressed
cell as "*" and a rate with no base as "-". (The notebook test relies on this: any bare
integer in a rendered table is a count.)
"""

from __future__ import annotations

import html

import pandas as pd

from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes.measures import MEASURE_RATES, OutcomeRun, with_rates
from bcm_analytics.outcomes.suppression import SUPPRESSED_NOTE, suppress

MEASURE_COUNTS = ["denominator", "measured", "responders", "remitters"]
STOCK_COUNTS = ["served", "active", "contacted", "scored", "scored_long", "reviewed", "not_improving",
                "not_improving_no_review"]
FLOW_COUNTS = ["new_enrolments", "discharges", "assessed", "followed_up"]
STOCK_RATES = {rate: pair for rate, pair in cl.CASELOAD_RATES.items() if pair[1] != "assessed"} | {
    "pct_not_improving": ("not_improving", "active"),
    "pct_not_improving_no_review": ("not_improving_no_review", "not_improving"),
}
COHORT_RATES = {"pct_measured": ("measured", "patients"), "pct_response": ("responders", "patients"),
                "pct_remission": ("remitters", "patients"), "pct_remission_of_responders": ("remitters", "responders")}

COUNT_COLUMNS = set(MEASURE_COUNTS + STOCK_COUNTS + FLOW_COUNTS + ["patients", "served"])

LABELS = {
    "denominator": "denominator (n)", "measured": "measured (n)", "responders": "response (n)",
    "remitters": "remission (n)", "pct_measured": "measured", "pct_response": "response, of all",
    "pct_remission": "remission, of all", "pct_response_of_measured": "response, of measured",
    "pct_remission_of_measured": "remission, of measured",
    "pct_remission_of_responders": "remission, of responders",
    "dimension": "stratified by", "stratum": "group", "care_manager": "care manager", "window_name": "window",
    "served": "served (n)", "active": "active caseload (n)", "new_enrolments": "new enrolments (n)",
    "discharges": "discharges (n)", "pct_contacted": "contacted, last 30 days", "pct_scored": "scored, last 30 days",
    "pct_scored_long": "scored, last 60 days", "pct_reviewed": "psychiatric case review, last 90 days",
    "pct_followed_up": "followed up within 4 weeks of initial assessment",
    "not_improving": "not improving (n)", "not_improving_no_review": "not improving, no recent review (n)",
    "pct_not_improving": "not improving", "pct_not_improving_no_review": "of those, no recent review",
    "contacts_per_patient_month": "contacts per patient-month", "minutes_per_patient_month": "minutes per patient-month",
    "mean_weeks_in_treatment": "mean weeks in treatment", "mean_phq9_first": "mean first PHQ-9",
    "mean_phq9_last": "mean last PHQ-9", "mean_gad7_first": "mean first GAD-7", "mean_gad7_last": "mean last GAD-7",
    "band": "guidance band (per FTE)", "caseload_vs_band": "caseload vs band", "cohort": "enrolment cohort",
    "months_since_enrolment": "since enrolment", "patients": "patients (n)", "change_band": "change from baseline",
}
WINDOW_NAMES = {"12w": "12 weeks", "6m": "6 months, HEDIS DRR-E style", "12m": "12 months, CMS159 style"}


def window_label(run: OutcomeRun, name: str) -> str:
    w = run.definitions["windows"][name]
    return f"{WINDOW_NAMES[name]} (days {w['from']}-{w['to']} after baseline)"


def measure_definitions(run: OutcomeRun) -> pd.DataFrame:
    """The patient-level definitions behind the headline measures, in words, with their values."""
    o = run.definitions["outcome"]
    rows = [
        ("population", f"baseline (first score of the episode, from {run.definitions['episode']['baseline_lookback_days']} "
                       f"days before enrolment) in the report period and >= {o['eligible_baseline_min']}; "
                       f"age >= {run.definitions['program']['min_age']}; not discharged for "
                       f"{', '.join(run.definitions['program']['excluded_discharge_reasons'])}"),
        ("window score", "the most recent score in the window (never the best); later scores are ignored"),
        ("response", f"window score <= {o['response_max_fraction']:.0%} of baseline (exactly 50% counts)"),
        ("remission", f"window score < {o['remission_below']}"),
        ("denominator", "closed windows, with or without a score (no score = not met); a window closes "
                        "early at discharge; windows still open at the as-of date are left out"),
        ("of all / of measured", "rates over the denominator / over patients with a score in the window"),
    ]
    rows += [(f"{WINDOW_NAMES[w]} window", f"days {v['from']}-{v['to']} after baseline, inclusive")
             for w, v in run.definitions["windows"].items()]
    return pd.DataFrame(rows, columns=["term", "definition"])


def plausibility(run: OutcomeRun, table: pd.DataFrame, window: str = "6m") -> str:
    """A sentence per instrument comparing the window's rates of measured with the published range.

    Rates far above the range usually mean a data problem (scores copied forward, baselines
    missing), not a great program; the ranges are in the definitions (plausibility).
    """
    ranges = run.definitions["plausibility"]
    lines = []
    for row in table[table["measure"] == window_label(run, window)].itertuples(index=False):
        parts = [f"{outcome} {value:.0%} ({_verdict(value, *ranges[outcome])})"
                 for outcome, value in (("response", row.pct_response_of_measured),
                                        ("remission", row.pct_remission_of_measured)) if pd.notna(value)]
        if parts:
            lines.append(f"{row.instrument}, of measured at {WINDOW_NAMES[window]}: {'; '.join(parts)}.")
    return " ".join(lines)


def _verdict(value: float, low: float, high: float, alarm: float) -> str:
    typical = f"typical {low:.0%}-{high:.0%}"
    if value > alarm:
        return f"above the {typical}: worth a data-quality look"
    return f"within the {typical}" if low <= value <= high else f"outside the {typical}"


def headline(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Response and remission at 12 weeks, 6 months (DRR-E style) and 12 months (CMS159), suppressed."""
    counts = run.program_measures(start_month, end_month)
    frame = counts[["instrument", "window_name", *MEASURE_COUNTS, *MEASURE_RATES]]
    safe = suppress(frame, MEASURE_COUNTS, rates=MEASURE_RATES, threshold=run.definitions.threshold)
    safe.insert(1, "measure", safe.pop("window_name").map(lambda w: window_label(run, w)))
    return safe


def strata(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """The measures by clinic, payer, age band, sex, race, ethnicity and baseline month, suppressed.

    Each stratification adds up to the program row of `headline` (a margin the reader knows),
    so strata are suppressed together with it in mind.
    """
    counts = run.measure_counts(start_month, end_month)
    counts = counts[counts["dimension"] != "program"].drop(columns=["eligible", "pending"])
    frame = with_rates(counts)
    return suppress(frame, MEASURE_COUNTS, ["stratum"], rates=MEASURE_RATES, threshold=run.definitions.threshold)


def caseload(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Process measures per month for the program, each clinic and each care manager, suppressed.

    Clinic and care-manager rows are suppressed together, linked by the hidden clinic x care
    manager detail (a care manager working at one clinic would otherwise undo a suppression).
    Each month is its own table (the report publishes no totals over months).
    """
    frame = cl.caseload_months(run, start_month, end_month)
    for rate, (num, den) in STOCK_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    detail = (frame["clinic"] != "All") & (frame["care_manager"] != "All")
    lo_hi = run.definitions.threshold
    keys = ["month", "clinic", "care_manager"]
    stocks = suppress(frame[keys + STOCK_COUNTS + list(STOCK_RATES) + list(cl.CASELOAD_PER_PATIENT)], STOCK_COUNTS,
                      ["clinic", "care_manager"], lo_hi, rates=STOCK_RATES, hide_with=cl.CASELOAD_PER_PATIENT,
                      hidden_rows=detail)
    flows = suppress(frame[keys + FLOW_COUNTS + ["pct_followed_up"]], FLOW_COUNTS, ["clinic", "care_manager"],
                     lo_hi, rates={"pct_followed_up": ("followed_up", "assessed")}, hidden_rows=detail)
    masks = stocks.attrs.pop("suppressed") | flows.attrs.pop("suppressed")
    safe = stocks.join(flows.drop(columns=keys))
    safe["band"] = [f"{lo:.0f}-{hi:.0f}" if pd.notna(lo) else "" for lo, hi in zip(frame["band_low"], frame["band_high"])]
    safe["caseload_vs_band"] = frame["caseload_vs_band"].where(~safe.index.isin(masks.get("active", ())), "*")
    safe.attrs["suppressed"] = masks
    return safe[~detail]


def contact_modes(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Program contacts per patient-month by contact mode, per month, suppressed.

    A rate times the patients served gives back the contacts, so each mode's contacts are
    protected like counts (a handful of messages in a month may be one patient's).
    """
    period = run.period(start_month, end_month)
    modes = cl.contacts_by_mode(run, start_month, end_month)
    modes = modes[(modes["clinic"] == "All") & (modes["care_manager"] == "All")]
    wide = modes.pivot_table(index="month", columns="contact_mode", values="contacts", aggfunc="sum", fill_value=0)
    served = cl.caseload_months(run, period["start_month"], period["end_month"])
    served = served[(served["clinic"] == "All") & (served["care_manager"] == "All")].set_index("month")["served"]
    frame = wide.join(served, how="right").fillna(0).astype("int64").reset_index()
    mode_cols = list(wide.columns)
    for mode in mode_cols:
        frame[f"{mode} per patient-month"] = frame[mode] / frame["served"].where(frame["served"] > 0)
    per_patient = {f"{m} per patient-month": [m, "served"] for m in mode_cols}
    return suppress(frame, ["served", *mode_cols], threshold=run.definitions.threshold, hide_with=per_patient)


def cohorts(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Cohort curves (response/remission by months since enrolment), suppressed across cohorts."""
    frame = cl.cohort_curves(run, start_month, end_month)
    for rate, (num, den) in COHORT_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    counts = ["patients", "measured", "responders", "remitters"]
    return suppress(frame, counts, ["cohort"], run.definitions.threshold, rates=COHORT_RATES)


def change(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Patients by band of change from baseline to latest score (baselines >= 10), suppressed."""
    frame = cl.change_distribution(run, start_month, end_month).drop(columns=["band_order"])
    return suppress(frame, ["patients"], ["change_band"], run.definitions.threshold)


def latest_month(caseload_table: pd.DataFrame) -> pd.DataFrame:
    """The last month of a caseload table: the program, each care manager and each clinic."""
    return caseload_table[caseload_table["month"] == caseload_table["month"].max()]


def definitions_html(run: OutcomeRun) -> str:
    """Every definition in force (version, source, each threshold and window) as an HTML list."""
    items = "".join(f"<li><code>{html.escape(str(k))}</code>: {html.escape(str(v))}</li>"
                    for k, v in run.definitions.describe().itertuples(index=False))
    return f"<ul style='columns:2;font-size:12px'>{items}</ul>"


def display(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Format a suppressed table for reading: labels, "*" for suppressed, "-" for no base.

    Columns whose name starts with pct_ are rates; (n) columns are counts; other numbers are
    averages with one decimal.
    """
    columns = columns or list(frame.columns)
    mask = frame.attrs.get("suppressed", {})
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values, hidden = frame[col], frame.index.isin(mask.get(col, ()))
        if col.startswith("pct_"):
            text = values.map(lambda v: "-" if pd.isna(v) else f"{float(v):.1%}")
        elif col == "months_since_enrolment":
            text = values.map(lambda v: f"month {int(v)}")
        elif col in COUNT_COLUMNS:
            text = values.map(lambda v: "-" if pd.isna(v) else f"{int(v):,}")
        elif pd.api.types.is_float_dtype(values):
            text = values.map(lambda v: "-" if pd.isna(v) else f"{float(v):,.1f}")
        elif pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m")
        else:
            text = values.astype(str)
        out[LABELS.get(col, col)] = text.where(~hidden, "*")
    return out.reset_index(drop=True)


__all__ = ["SUPPRESSED_NOTE", "caseload", "change", "cohorts", "contact_modes", "definitions_html", "display",
           "headline", "latest_month", "measure_definitions", "plausibility", "strata", "window_label"]
