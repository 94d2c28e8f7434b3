"""How a number reads on a page: its label and its kind (a count, a rate, dollars ...).

One registry for every column a report shows, so a table header, a chart legend and a hover
say the same words, and a count never reads as dollars. Kinds:

  count     patients (or patient-months, findings, claims): 1,234; the only kind the CMS
            cell-size rule applies to directly, and the only bare integers on a page
  rate      a share stored as 0-1: 45.2%
  dollars   $1,234.56
  decimal   an average or a per-patient figure: 12.3
  number    a count of something that is not a patient (files, rows, checks): 1,234
  month     a calendar month (the first of the month): Oct 2026
  period    a month, quarter or year label (text, already readable)
  date      2026-10-31
  months after   a number of months since an event: month 3
  flag      yes / no
  text      as is
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import numpy as np

from bcm_analytics.billing.engine import NEAR_MARGIN
from bcm_analytics.billing.time_outcomes import HEADINGS

if TYPE_CHECKING:
    import pandas as pd

HIDDEN = "*"          # a suppressed cell (CMS cell-size rule)
NO_BASE = "–"         # a rate or average whose base is 0
NOT_YET = "not yet measurable"  # a follow-up window that cannot have closed by the as-of date

COLUMNS: dict[str, tuple[str, str]] = {
    # --- shared
    "month": ("month", "month"), "service_month": ("service month", "month"), "period": ("period", "period"),
    "period_start": ("first month of the period", "month"),
    "clinic": ("clinic", "text"), "clinic_id": ("clinic", "text"), "clinic_name": ("clinic", "text"),
    "care_manager": ("care manager", "text"), "care_manager_id": ("care manager", "text"),
    "payer_class": ("payer class", "text"), "payer": ("payer", "text"), "instrument": ("instrument", "text"),
    # --- program overview
    "active_caseload": ("active caseload", "count"), "active_patients": ("patients served", "count"), "new_enrolments": ("new enrolments", "count"),
    "discharges": ("discharges", "count"), "patients_with_time": ("patients with time logged", "count"),
    "minutes_logged": ("minutes logged", "number"), "minutes_per_patient": ("minutes per patient with time", "decimal"),
    # --- caseload and outcomes
    "denominator": ("closed windows", "count"), "measured": ("with a score in the window", "count"),
    "responders": ("responded", "count"), "remitters": ("remitted", "count"),
    "pct_measured": ("measured, of all", "rate"), "pct_response": ("response, of all", "rate"),
    "pct_remission": ("remission, of all", "rate"), "pct_response_of_measured": ("response, of measured", "rate"),
    "pct_remission_of_measured": ("remission, of measured", "rate"),
    "pct_remission_of_responders": ("remission, of responders", "rate"),
    "measure": ("measure", "text"), "window_name": ("window", "text"), "dimension": ("stratified by", "text"),
    "stratum": ("group", "text"), "served": ("patients served", "count"), "active": ("active caseload", "count"),
    "contacted": ("contacted, last 30 days", "count"), "scored": ("scored, last 30 days", "count"),
    "assessed": ("initial assessments", "count"), "followed_up": ("followed up within 4 weeks", "count"),
    "pct_contacted": ("contacted, last 30 days", "rate"), "pct_scored": ("scored, last 30 days", "rate"),
    "pct_scored_long": ("scored, last 60 days", "rate"), "pct_reviewed": ("psychiatric case review, last 90 days", "rate"),
    "pct_followed_up": ("followed up within 4 weeks of the initial assessment", "rate"),
    "not_improving": ("not improving", "count"), "not_improving_no_review": ("not improving, no recent review", "count"),
    "pct_not_improving": ("not improving", "rate"), "pct_not_improving_no_review": ("of those, no recent review", "rate"),
    "contacts_per_patient_month": ("contacts per patient-month", "decimal"),
    "minutes_per_patient_month": ("minutes per patient served", "decimal"),
    "mean_weeks_in_treatment": ("mean weeks in treatment", "decimal"), "mean_phq9_first": ("mean first PHQ-9", "decimal"),
    "mean_phq9_last": ("mean last PHQ-9", "decimal"), "mean_gad7_first": ("mean first GAD-7", "decimal"),
    "mean_gad7_last": ("mean last GAD-7", "decimal"), "phq9_patients": ("active patients with a PHQ-9", "count"),
    "gad7_patients": ("active patients with a GAD-7", "count"), "band": ("caseload guidance (per FTE)", "text"),
    "caseload_vs_band": ("caseload against guidance", "text"), "cohort": ("enrolment cohort", "text"),
    "months_since_enrolment": ("since enrolment", "months after"), "patients": ("patients", "count"),
    "change_band": ("change from baseline", "text"), "contact_mode": ("contact mode", "text"),
    "contact_mode_label": ("contact mode", "text"),
    "assessment_period": ("assessment period", "text"), "patients_contacted": ("patients with a contact", "count"),
    "patients_scored": ("of them, scored in the assessment period", "count"),
    "pct_patients_scored": ("scored in the assessment period", "rate"),
    # HEDIS DRR-E per measurement year (its denominator and followed_up are labelled by the page's table)
    "measurement_year": ("measurement year", "text"), "remitted": ("in remission", "count"),
    "responded": ("responded", "count"), "pct_remitted": ("remission, of all", "rate"),
    "pct_responded": ("response, of all", "rate"), "pct_remitted_of_followed_up": ("remission, of measured", "rate"),
    "pct_responded_of_followed_up": ("response, of measured", "rate"), "pct_remitted_of_responded": ("remission, of responders", "rate"),
    # CMS159 / MIPS #370 per measurement period (its denominator and followed_up are labelled by the page's table)
    "numerator": ("in remission", "count"), "no_follow_up_score": ("no score in the window", "count"),
    "rate": ("remission, of all", "rate"), "pct_no_follow_up_score": ("no score in the window, of all", "rate"),
    "rate_of_followed_up": ("remission, of measured", "rate"),
    # --- billing reconciliation
    "expected_amount": ("expected", "dollars"), "billed_amount": ("billed", "dollars"), "paid_amount": ("paid", "dollars"),
    "missed_revenue": ("missed revenue", "dollars"), "compliance_exposure": ("compliance exposure", "dollars"),
    "denied_amount": ("denied", "dollars"), "amount_at_stake": ("dollars at stake", "dollars"),
    "counted_at_stake": ("dollars at stake, a claim line once", "dollars"),
    "month_expected_amount": ("expected, the month", "dollars"), "month_billed_amount": ("billed, the month", "dollars"),
    "month_paid_amount": ("paid, the month", "dollars"),
    "due": ("due", "date"),  # the work queue's column finance fills in: a date typed there reads as one
    "date_of_service": ("date of service", "date"), "threshold_met_on": ("day the minutes reached the threshold", "date"),
    "patient_months": ("patient-months billed or expected", "count"), "reconciled_months": ("patient-months reconciled", "count"),
    "pct_reconciled": ("reconciled", "rate"), "months_with_revenue_finding": ("patient-months with missed revenue", "count"),
    "months_with_compliance_finding": ("patient-months with a compliance finding", "count"),
    "months_with_denial": ("patient-months with a denial", "count"), "findings": ("findings", "count"),
    "findings_not_priced": ("findings not priced", "count"), "finding_rows": ("findings", "count"),
    "lines_not_priced": ("expected lines not priced", "count"),
    "billed_lines_without_charge": ("billed lines without a charge", "count"),
    "finding": ("finding", "text"), "finding_label": ("finding", "text"), "severity": ("severity", "text"),
    "meaning": ("what it means", "text"), "near_threshold": (f"patients within {NEAR_MARGIN} minutes of a code", "count"),
    "codes": ("codes (expected / billed)", "text"), "rank": ("work-queue row", "text"),
    "line_label": ("from expected to billed", "text"), "walk_amount": ("dollars", "dollars"),
    "line_patient_months": ("patient-months behind it", "count"), "findings_behind": ("findings behind it", "text"),
    "denial_reason": ("the payer's reason", "text"), "billed_payer": ("payer billed", "text"),
    "coverage_on_file": ("coverage on file", "text"), "denied_lines": ("claim lines denied", "count"),
    "denied_claims": ("claims denied", "count"),
    # --- time allocation
    "staff_id": ("staff member", "text"), "staff_role": ("role", "text"), "staff_role_label": ("role", "text"),
    "outcome": ("where the minutes went", "text"), "outcome_label": ("where the minutes went", "text"), "activity_category": ("activity category", "text"),
    "reason": ("reason", "text"), "code": ("base code the minutes reach", "text"), "threshold": ("code's threshold", "text"),
    "minutes": ("minutes", "number"), "pct_of_logged": ("share of logged minutes", "rate"),
    "patient_months_with_time": ("patient-months with time logged", "count"),
    "patient_months_with": ("patient-months with such minutes", "count"),
    "months_affected": ("patient-months with such minutes", "count"),
    "months_billing_more": ("patient-months that would bill more", "count"),
    "lost_value": ("what counting them would add", "dollars"),
    "billed_months": ("patient-months reaching the code", "count"), "just_past": ("under 5 minutes past the last threshold reached", "count"),
    "pct_just_past": ("share under 5 minutes past the last threshold reached", "rate"),
    "mean_countable_minutes": ("mean countable minutes", "decimal"),
    "mean_minutes_past_threshold": ("mean minutes past the last threshold reached", "decimal"),
    "logged_minutes": ("minutes logged", "number"), "counted_minutes": ("minutes counted", "number"),
    "not_counted": ("not counted", "number"), "share_supported_code": ("share supporting a billable code", "rate"),
    "not_counted_reasons": ("minutes not counted, by reason", "text"),
    "months_with_time": ("months with time logged", "number"),
    **{outcome: (heading, "number") for outcome, heading in HEADINGS.items()},  # where logged minutes go
}

PERCENT_DIGITS = 1

# A contact mode (data_contracts/tables.yaml) in words; a mode outside the vocabulary (kept with a
# warning) reads with its underscores as spaces
CONTACT_MODES = {"in_person": "in person", "phone": "phone", "video": "video", "message": "message",
                 "none": "no contact with the patient", "(none given)": "not recorded"}


def contact_mode(value: str) -> str:
    """'in_person' -> 'in person', 'none' -> 'no contact with the patient' (caseload review, care planning)."""
    return CONTACT_MODES.get(value, str(value).replace("_", " "))


# A staff role (config.rules.ROLES, data_contracts/tables.yaml) in words; a role outside the
# vocabulary reads with its underscores as spaces
ROLES = {"bhcm": "care manager", "psychiatric_consultant": "psychiatric consultant",
         "treating_practitioner": "treating practitioner", "other": "other staff"}


def role(value: str) -> str:
    """'bhcm' -> 'care manager', 'psychiatric_consultant' -> 'psychiatric consultant'."""
    return ROLES.get(value, str(value).replace("_", " "))


def label(column: str) -> str:
    """The words a reader sees for a column (its own name, spaced, when not registered)."""
    return COLUMNS.get(column, (str(column).replace("_", " "), ""))[0]


# A period column's rows (privacy.period_of, partial_label, the calendar blocks) as their heading
# says them: a page headed its monthly rows 'period' where the next table headed the same months
# 'month'. The first pattern every row label matches names them; a mix, or the whole period, is 'period'.
PERIOD_WORDS = {"month": r"[A-Z][a-z]{2} \d{4}", "quarter": r"\d{4} Q[1-4](, .*| - \d{4} Q[1-4])?",
                "year": r"\d{4}(, .*| - \d{4})?"}


def period_heading(labels, total: str | None = None) -> str:
    """The heading of a period column from its row labels (the total row's, `total`, aside): 'month'
    for 'Oct 2026', 'quarter' for '2026 Q4' (or a partial one, '2026 Q4, Oct', or a block of two,
    '2025 Q4 - 2026 Q1'), 'year' for '2026'; 'period' for the whole period or a mix. Tables only:
    the workbooks and CSV files keep the column's name, period."""
    import re

    rows = [str(v) for v in labels if not _missing(v) and str(v) != total]
    for word, pattern in PERIOD_WORDS.items():
        if rows and all(re.fullmatch(pattern, r) for r in rows):
            return word
    return "period"


def kind(column: str, values: pd.Series | None = None) -> str:
    """The column's kind: registered, else guessed from its values (never 'count': a patient
    count must be registered, so the cell-size checks know it)."""
    if column in COLUMNS:
        return COLUMNS[column][1]
    if values is None:
        return "text"
    import pandas as pd  # values are a frame's column: pandas is loaded already

    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_integer_dtype(values):
        return "number"
    if pd.api.types.is_float_dtype(values):
        return "decimal"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    return "text"


def cell(value, kind_: str) -> str:
    """One value as text of its kind; missing values read as NO_BASE for numbers, '' for text."""
    if _missing(value):
        return NO_BASE if kind_ in ("count", "rate", "dollars", "decimal", "number") else ""
    if kind_ == "count" or kind_ == "number":
        return f"{int(round(float(value))):,}"
    if kind_ == "rate":
        return percent(value)
    if kind_ == "dollars":
        return dollars(value)
    if kind_ == "decimal":
        return f"{float(value):,.1f}"
    if kind_ == "month":
        return month(value)
    if kind_ == "date":
        import pandas as pd  # a date, a Timestamp or a numpy datetime64

        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind_ == "months after":
        return f"month {int(value)}"
    if kind_ == "flag":
        return "yes" if bool(value) else "no"
    return str(value)


def percent(value: float, digits: int = PERCENT_DIGITS) -> str:
    return f"{100 * float(value):.{digits}f}%"


def dollars(value: float, cents: bool = True) -> str:
    sign = "-" if float(value) < 0 else ""
    return f"{sign}${abs(float(value)):,.{2 if cents else 0}f}"


def count(value) -> str:
    return f"{int(value):,}"


def month(value) -> str:
    """A month as 'Oct 2026' (a date, a Timestamp or 'YYYY-MM' text)."""
    if isinstance(value, str) and len(value) == 7:
        value = dt.date.fromisoformat(value + "-01")
    import pandas as pd  # a date, a Timestamp or a numpy datetime64

    return pd.Timestamp(value).strftime("%b %Y")


def on_clock(instant: dt.datetime, zone: str) -> dt.datetime:
    """An instant (a load, a validation run) as the program's clock reads it: the time a program's
    staff would have seen on their wall, not the computer's nor UTC (a load at 03:30 in Chicago
    read 09:30 UTC on the page). A reading without a zone is UTC, as the store keeps instants."""
    from zoneinfo import ZoneInfo

    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(ZoneInfo(zone))


def clock(instant: dt.datetime, zone: str) -> str:
    """on_clock to the minute, its zone named: 2026-12-05 03:30 CST."""
    return on_clock(instant, zone).strftime("%Y-%m-%d %H:%M %Z")


def change_since_month_end(change: int, before) -> str:
    """A caseload card's change from the end of the month before: '+6 since the end of Sep 2026'
    ('+6 since Sep 2026' read as from its first day; '+0' as a sign without a change)."""
    since = f"since the end of {month(before)}"
    return f"no change {since}" if change == 0 else f"{change:+,} {since}"


def is_numeric_kind(kind_: str) -> bool:
    return kind_ in ("count", "rate", "dollars", "decimal", "number")


def _missing(value) -> bool:
    if value is None:
        return True
    pd = sys.modules.get("pandas")  # pd.NA and pd.NaT exist only where pandas is loaded
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    return isinstance(value, (float, np.floating)) and np.isnan(value)


def hover(column: str) -> str:
    """A plotly hover format for a column: %{y:,} for counts, %{y:.1%} for rates, $ for dollars."""
    return {"count": "%{y:,.0f}", "number": "%{y:,.0f}", "rate": "%{y:.1%}", "dollars": "$%{y:,.2f}",
            "decimal": "%{y:,.1f}"}.get(kind(column), "%{y}")


def axis_format(kind_: str) -> dict:
    """Plotly axis settings for a kind: rates as %, dollars with $, counts as whole numbers from 0."""
    return {"rate": {"tickformat": ".0%", "rangemode": "tozero"},
            "dollars": {"tickprefix": "$", "tickformat": ",.0f", "rangemode": "tozero"},
            "count": {"tickformat": ",d", "rangemode": "tozero"},
            "number": {"tickformat": ",d", "rangemode": "tozero"},
            "decimal": {"tickformat": ",.0f", "rangemode": "tozero"}}.get(kind_, {})
