"""Charts for the caseload-and-outcomes report, drawn only from protected tables (caseload_outcomes).

A suppressed cell is NA and plots as a marked gap (charts.hidden_marker), so a chart never shows
what its table hides.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from bcm_analytics.outcomes.caseload import CASELOAD_RATES
from bcm_analytics.outcomes.measures import MEASURE_RATES
from bcm_analytics.reports import formats
from bcm_analytics.reports.caseload_outcomes import TREND_RATES
from bcm_analytics.reports.charts import HIDDEN_NOTE, PALETTE, hidden_marker, series, shown_values
from bcm_analytics.reports.privacy import grain_word


def x_of(grain: str) -> str:
    return "month" if grain == "month" else "period"


def caseload_trend(program: pd.DataFrame) -> go.Figure:
    """Active caseload at each month end (program)."""
    return series(program, "month", ["active"], bars=False, title="Active caseload at month end", y_title="patients")


def flows_trend(program: pd.DataFrame, grain: str) -> go.Figure:
    """New enrolments and discharges per month (or period), program."""
    return series(program, x_of(grain), ["new_enrolments", "discharges"], title=f"Enrolments and discharges per {grain_word(grain)}",
                  y_title="patients")


def process_trend(program: pd.DataFrame, names: dict | None = None) -> go.Figure:
    """Contact, measurement and case review over the caseload, per month (program); `names` as the
    page's tables name them (caseload_outcomes.process_labels: 'scored on the GAD-7, ...')."""
    return series(program, "month", ["pct_contacted", "pct_scored", "pct_reviewed"], bars=False, over=CASELOAD_RATES,
                  names=names, title="Process measures at each month end, share of the active caseload")


def follow_up_title(grain: str, within: str) -> str:
    """The title of the follow-up chart and of its table: the table read 'per quarter' under a
    chart 'per quarter of assessment', two names for the same rows. Rolled up to the whole period,
    the report's period ('per whole period of assessment' read as some other period). `within`: the
    window in force ('within 4 weeks', caseload_outcomes.follow_up_within)."""
    if grain == "period":
        return f"Initial assessments followed up {within}, over the report's period"
    return f"Initial assessments followed up {within}, per {grain_word(grain)} of assessment"


def follow_up_trend(program: pd.DataFrame, grain: str, within: str, unfinished: bool = False) -> go.Figure:
    """Initial assessments followed up `within` the window in force, per month (or period). An
    `unfinished` last period (caseload_outcomes.follow_up_unfinished: it holds only its assessments
    whose days to follow up have passed) is drawn apart, a ring named 'not complete yet' (a line
    stops at the last whole month, a dotted step leads on to it): drawn as any other, 1 of 2
    followed up read as a fall from 92% to 50%."""
    fig = series(program, x_of(grain), ["pct_followed_up"], bars=grain != "month", over=CASELOAD_RATES,
                 title=follow_up_title(grain, within))
    if not unfinished or not fig.data:
        return fig
    main = fig.data[0]
    ys = [None if pd.isna(y) else float(y) for y in main.y]
    if ys[-1] is None:  # its rate hidden: the gap mark says so
        return fig
    if grain == "month":  # the line stops at the last whole month, a dotted step leads on to the ring
        main.y = ys[:-1] + [None]
        if len(ys) > 1 and ys[-2] is not None:
            fig.add_scatter(x=list(main.x[-2:]), y=ys[-2:], mode="lines", line=dict(color=PALETTE[0], dash="dot"),
                            hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=[main.x[-1]], y=[ys[-1]], mode="markers", name="not complete yet: only its earlier assessments",
                    meta="rate", marker=dict(symbol="circle-open", size=14, color=PALETTE[0], line=dict(width=2)),
                    hovertemplate="not complete yet: %{y:.1%} of its earlier assessments<extra></extra>")
    return fig


def outcome_trend(frame: pd.DataFrame, grain: str, instrument: str, window_label: str) -> go.Figure:
    """Response and remission of measured by baseline month (or period) of the closed windows."""
    return series(frame, x_of(grain), TREND_RATES, bars=grain != "month", over=MEASURE_RATES,
                  names={"pct_response_of_measured": "response, of measured", "pct_remission_of_measured": "remission, of measured"},
                  title=f"{instrument} outcomes at {window_label}, by baseline {grain_word(grain)}", x_title=f"baseline {grain_word(grain)}")


COHORT_LINES = (("response", "pct_response", "solid"), ("remission", "pct_remission", "dot"))


def cohort_curves(cohorts: pd.DataFrame, instrument: str) -> go.Figure:
    """Response and remission (of all in the cohort) by months since enrolment, one line per cohort."""
    data = cohorts[cohorts["instrument"] == instrument]
    hidden = cohorts.attrs.get("suppressed", {})
    fig = go.Figure()
    gaps: dict[int, list[str]] = {}
    for n, (cohort, rows) in enumerate(data.groupby("cohort", sort=True)):
        color = PALETTE[n % len(PALETTE)]
        for outcome, col, dash in COHORT_LINES:
            values = shown_values(rows, col, hidden.get(col, ()))
            fig.add_scatter(x=rows["months_since_enrolment"].tolist(), y=values, mode="lines+markers", meta="rate",
                            name=f"{cohort} {outcome}", legendgroup=str(cohort), line=dict(color=color, dash=dash),
                            hovertemplate=f"{cohort} {outcome}: %{{y:.1%}}<extra>month %{{x}}</extra>")
            for i, month in zip(rows.index, rows["months_since_enrolment"]):
                if i in hidden.get(col, ()):
                    gaps.setdefault(int(month), []).append(f"{cohort} {outcome}")
    months = sorted(gaps)
    hidden_marker(fig, months, [gaps[m] for m in months])
    fig.update_layout(title=f"{instrument}: response (solid) and remission (dotted) by months since enrolment, "
                            "per enrolment cohort", height=480,
                      legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0))
    fig.update_yaxes(**formats.axis_format("rate"), range=[0, 1.02])
    fig.update_xaxes(title="months since enrolment", dtick=1)
    return fig


def cohort_note(cohorts: pd.DataFrame, instrument: str) -> str:
    """Which points of an instrument's cohort curves are suppressed, in words (empty when none)."""
    data = cohorts[cohorts["instrument"] == instrument]
    hidden = cohorts.attrs.get("suppressed", {})
    parts = []
    for cohort, rows in data.groupby("cohort", sort=True):
        where = {outcome: [int(m) for i, m in zip(rows.index, rows["months_since_enrolment"]) if i in hidden.get(col, ())]
                 for outcome, col, _ in COHORT_LINES}
        same = where["response"] == where["remission"]
        for outcome, months in ({"response and remission": where["response"]} if same else where).items():
            if months:
                parts.append(f"{cohort} {outcome}: month{'s' if len(months) > 1 else ''} {', '.join(map(str, months))}")
    return HIDDEN_NOTE + "; ".join(parts) + "." if parts else ""


COHORT_MILESTONES = (3, 6, 9, 12)


def milestones_note(cohorts: pd.DataFrame) -> str:
    """Which milestone months no cohort has reached by the as-of date: the table's heading names
    3, 6, 9 and 12 months, and a table without its 12-month rows said nothing of why."""
    reached = set(cohorts["months_since_enrolment"].astype(int)) if len(cohorts) else set()
    missing = [m for m in COHORT_MILESTONES if m not in reached]
    if not missing:
        return ""
    months = ", ".join(map(str, missing[:-1])) + (" or " if len(missing) > 1 else "") + str(missing[-1])
    return f"No enrolment cohort of the report's period has reached {months} months since enrolment by the as-of date yet."


def change_bars(change: pd.DataFrame, definitions) -> go.Figure:
    """Patients per band of change from baseline to the latest score; the title names the
    definitions' least eligible baseline (outcome.eligible_baseline_min), as the measures count it."""
    hidden = change.attrs.get("suppressed", {}).get("patients", ())
    fig = go.Figure()
    gaps: dict[str, list[str]] = {}
    for name, rows in change.groupby("instrument", sort=True):
        values = shown_values(rows, "patients", hidden)
        fig.add_bar(x=rows["change_band"].tolist(), y=values, name=str(name), meta="count",
                    hovertemplate=f"{name}: %{{y:,.0f}} patients<extra>%{{x}}</extra>")
        for i, band in zip(rows.index, rows["change_band"]):
            if i in hidden:
                gaps.setdefault(str(band), []).append(str(name))
    hidden_marker(fig, list(gaps), list(gaps.values()))
    least = definitions["outcome"]["eligible_baseline_min"]
    fig.update_layout(barmode="group", title=f"Change from baseline to the latest score (baselines of {least} or more, "
                                             "with a follow-up score)")
    fig.update_yaxes(title="patients", **formats.axis_format("count"))
    return fig
