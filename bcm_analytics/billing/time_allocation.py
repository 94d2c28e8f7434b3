"""Where the care team's time goes (care managers' and every other role's that logs time), and what the time that did not count would have been worth.

A program director asks "how much of our care managers' work is never compensated, and why". The
answer is marts.time_allocation (models/audit/time_allocation.sql): every logged minute of the
store in exactly one outcome, per staff member, month, activity and contact mode. Counted
minutes support a code the month bills, or sit in a month below the first code; the rest carry
the reason they did not count. marts.lost_minutes_value prices the minutes that are countable in
principle (consent not on file or dated late, an activity name outside the vocabulary) with the
billing rules' own macros, and marts.billed_month_minutes sets each billed month's minutes
against its thresholds. Each function returns a DataFrame (`service_month` as YYYY-MM).
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.billing.engine import MONTH_TEXT, billing_marts, period
from bcm_analytics.billing.time_outcomes import OUTCOMES
from bcm_analytics.models import Marts, Query

# reasons whose minutes are countable in principle (marts.lost_minutes_value), 'all' = together
RECOVERABLE = {reason: OUTCOMES[reason] for reason in ("no_consent", "before_consent", "activity_unknown")} | {
    "all": "all three together"}
GROUPINGS = ("clinic_id", "staff_id", "staff_role", "service_month", "activity_category", "activity_type", "contact_mode")


def _period_select(marts: Marts, mart: str, start, end, order: str, where: str = "TRUE") -> Query:
    return marts.select(
        f"SELECT * REPLACE ({MONTH_TEXT}) FROM marts.{mart} WHERE service_month BETWEEN $start AND $end AND {where} "
        f"ORDER BY {order}", period(start, end))


def allocation_query(marts: Marts, start, end=None) -> Query:
    return _period_select(marts, "time_allocation", start, end,
                          "staff_id, service_month, patient_id, activity_category, activity_type, contact_mode, outcome")


def outcomes_query(marts: Marts, start, end=None, by: tuple[str, ...] = ("staff_id", "staff_role", "service_month")) -> Query:
    """Minutes per group (`by`, columns of marts.time_allocation): the patients and patient-months
    behind them, logged and counted minutes, each outcome as a column, and the share of the logged
    minutes that supported a code the month bills."""
    unknown = [c for c in by if c not in GROUPINGS]
    if unknown:
        raise ValueError(f"cannot group time by {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
    keys = ", ".join(by)
    columns = ",\n".join(f"coalesce(sum(minutes) FILTER (WHERE outcome = '{o}'), 0) AS {o}" for o in OUTCOMES)
    month = f"{MONTH_TEXT}, " if "service_month" in by else ""
    rest = ", ".join(c for c in by if c != "service_month")
    return marts.select(
        f"""SELECT {month}{rest + ',' if rest else ''} patients, patient_months, logged_minutes, counted_minutes,
                   {', '.join(OUTCOMES)}, round(100 * supported_code / nullif(logged_minutes, 0), 1) AS pct_supported_code
            FROM (SELECT {keys}, count(DISTINCT patient_id) AS patients,
                         count(DISTINCT (patient_id, service_month)) AS patient_months, sum(minutes) AS logged_minutes,
                         coalesce(sum(minutes) FILTER (WHERE counted), 0) AS counted_minutes,
                         {columns}
                  FROM marts.time_allocation WHERE service_month BETWEEN $start AND $end GROUP BY {keys})
            ORDER BY {keys}""",
        period(start, end))


def lost_value_query(marts: Marts, start, end=None) -> Query:
    return _period_select(marts, "lost_minutes_value", start, end, "reason, value DESC, patient_id, service_month")


def lost_value_summary_query(marts: Marts, start, end=None) -> Query:
    """Per reason: minutes lost, patient-months they fall in, and what counting them would add."""
    order = ", ".join(f"'{r}'" for r in RECOVERABLE)
    return marts.select(
        f"""SELECT reason, sum(minutes_lost) AS minutes_lost,
                   count(*) FILTER (WHERE minutes_lost > 0) AS patient_months,
                   count(*) FILTER (WHERE value > 0) AS months_billing_more,
                   sum(value) AS value
            FROM marts.lost_minutes_value WHERE service_month BETWEEN $start AND $end
            GROUP BY reason ORDER BY list_position([{order}], reason)""",
        period(start, end))


def billed_minutes_query(marts: Marts, start, end=None) -> Query:
    return _period_select(marts, "billed_month_minutes", start, end, "patient_id, service_month")


def time_allocation(con, start, end=None, rules=None) -> pd.DataFrame:
    """Minutes per patient (and the month's clinic), staff member, month, activity category and type, contact mode and
    outcome (OUTCOMES); `counted` says whether the outcome counts. The minutes add up to the time
    logs. Patient-level: aggregate with minutes_by_outcome for anything shown outside the program."""
    return allocation_query(billing_marts(con, rules), start, end).df()


def minutes_by_outcome(con, start, end=None, by: tuple[str, ...] = ("staff_id", "staff_role", "service_month"),
                       rules=None) -> pd.DataFrame:
    """Per staff member and month (or any `by` of GROUPINGS): logged and counted minutes, one
    column per outcome, and pct_supported_code (the share of logged time behind a billed code)."""
    return outcomes_query(billing_marts(con, rules), start, end, tuple(by)).df()


def lost_minutes_value(con, start, end=None, rules=None) -> pd.DataFrame:
    """Per patient-month and reason (RECOVERABLE): the minutes lost, the codes and dollars the
    month bills now and would bill with them counted, and the difference (`value`)."""
    return lost_value_query(billing_marts(con, rules), start, end).df()


def lost_value_summary(con, start, end=None, rules=None) -> pd.DataFrame:
    """Per reason: minutes lost, patient-months, months that would bill more, dollars."""
    return lost_value_summary_query(billing_marts(con, rules), start, end).df()


def billed_month_minutes(con, start, end=None, rules=None) -> pd.DataFrame:
    """Per billed patient-month: countable minutes, the code billed and its threshold, minutes
    past it, and the next code with the minutes it needs."""
    return billed_minutes_query(billing_marts(con, rules), start, end).df()
