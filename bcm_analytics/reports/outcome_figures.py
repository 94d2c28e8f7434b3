"""Charts for the director's report, drawn only from suppressed tables (report.py).

A suppressed cell is NA and plots as a gap, so a chart never shows what its table hides.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


def _program(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["clinic"] == "All") & (frame["care_manager"] == "All")].sort_values("month")


def _numbers(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Nullable columns as floats with NaN (plotly draws gaps for NaN)."""
    out = frame.copy()
    for col in cols:
        out[col] = pd.to_numeric(out[col]).astype("float64")
    return out


def caseload_trend(caseload: pd.DataFrame) -> go.Figure:
    """Active caseload at month end, new enrolments and discharges, per month (program)."""
    data = _numbers(_program(caseload), ["active", "new_enrolments", "discharges"])
    fig = go.Figure()
    fig.add_bar(x=data["month"], y=data["new_enrolments"], name="new enrolments")
    fig.add_bar(x=data["month"], y=data["discharges"], name="discharges")
    fig.add_scatter(x=data["month"], y=data["active"], name="active caseload (month end)", mode="lines+markers")
    fig.update_layout(title="Caseload per month", barmode="group", yaxis_title="patients")
    return fig


def process_trend(caseload: pd.DataFrame) -> go.Figure:
    """Process measures over time (program): contact, measurement, case review, follow-up."""
    names = {"pct_contacted": "contacted, last 30 days", "pct_scored": "scored, last 30 days",
             "pct_reviewed": "case review, last 90 days", "pct_followed_up": "followed up within 4 weeks"}
    data = _numbers(_program(caseload), list(names)).melt("month", list(names), "measure", "share")
    data["measure"] = data["measure"].map(names)
    fig = px.line(data, x="month", y="share", color="measure", markers=True, title="Process measures per month")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def outcome_trend(strata: pd.DataFrame, instrument: str, window: str = "6m") -> go.Figure:
    """Response and remission (of all) by baseline month: the monthly trend of a fixed-time outcome."""
    data = strata[(strata["dimension"] == "baseline_month") & (strata["instrument"] == instrument)
                  & (strata["window_name"] == window)]
    data = _numbers(data, ["pct_response", "pct_remission"]).rename(
        columns={"pct_response": "response", "pct_remission": "remission"})
    long = data.melt("stratum", ["response", "remission"], "outcome", "share")
    fig = px.line(long, x="stratum", y="share", color="outcome", markers=True,
                  title=f"{instrument} {window} outcomes by baseline month (of all with a closed window)")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_xaxes(title="baseline month")
    return fig


def cohort_curves(cohorts: pd.DataFrame, instrument: str) -> go.Figure:
    """Remission and response by months since enrolment, one line per enrolment cohort."""
    data = _numbers(cohorts[cohorts["instrument"] == instrument], ["pct_remission", "pct_response"])
    long = data.melt(["cohort", "months_since_enrolment"], ["pct_response", "pct_remission"], "outcome", "share")
    long["outcome"] = long["outcome"].str.removeprefix("pct_")
    fig = px.line(long, x="months_since_enrolment", y="share", color="cohort", facet_col="outcome", markers=True,
                  title=f"{instrument}: response and remission by months since enrolment, per enrolment cohort")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_xaxes(title="months since enrolment", dtick=1)
    return fig


def change_bars(change: pd.DataFrame) -> go.Figure:
    """Patients per band of change from baseline to the latest score."""
    data = _numbers(change, ["patients"])
    fig = px.bar(data, x="change_band", y="patients", color="instrument", barmode="group",
                 title="Change from baseline to latest score (baselines of 10 or more, with a follow-up score)")
    fig.update_xaxes(title="")
    return fig
