"""The program overview: active caseload, enrolments and minutes per clinic and month."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bcm_analytics.models import current
from bcm_analytics.months import month_start

if TYPE_CHECKING:
    import pandas as pd  # program_overview's frame; `bcm billing` asks minutes_period only


def minutes_period(con) -> tuple[date, date] | None:
    """First and last month with logged time, None when the store holds none: the one place that
    asks, so a report's default period and a command's note on empty months name the same months."""
    first, last = con.execute("SELECT min(service_month), max(service_month) FROM core.time_logs").fetchall()[0]
    return None if first is None else (first, last)


def data_period(con) -> tuple[date, date]:
    """First and last month with logged time (the default report period); this month when none is."""
    today = date.today().replace(day=1)
    return minutes_period(con) or (today, today)


def first_enrolment_month(con) -> date | None:
    """The month of the store's first enrolment (an earlier one a re-enrolment replaced included,
    core.enrolments): the program's history, from which every external page cuts its enrolment
    and discharge blocks (reports.privacy.calendar_blocks), starts there."""
    first = con.execute("SELECT min(enrollment_date) FROM core.enrolments").fetchall()[0][0]
    return None if first is None else first.replace(day=1)


def report_period(con, start_month: str | None = None, end_month: str | None = None) -> tuple[date, date]:
    """A report's months: those asked for, else the first / last month with logged time."""
    first, last = data_period(con)
    return (month_start(start_month) if start_month else first, month_start(end_month) if end_month else last)


def program_overview(con, start: str | date, end: str | date, clinic: str | None = None) -> pd.DataFrame:
    """One row per month and clinic (counts are not yet suppressed: see the report).

    served (also active_patients, its earlier name): on the caseload any day of the month;
    active_caseload: at month end, the definition every report uses (marts.on_caseload).
    """
    params = {"start": month_start(start), "end": month_start(end), "clinic": clinic}
    return current(con, area="outcomes").select("SELECT * FROM marts.program_overview($start, $end, $clinic)", params).df()
