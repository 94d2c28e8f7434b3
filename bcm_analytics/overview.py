"""The program overview: active caseload, enrolments and minutes per clinic and month."""

from __future__ import annotations

from datetime import date

import pandas as pd

from bcm_analytics.months import month_start
from bcm_analytics.sqlfiles import read_sql


def data_period(con) -> tuple[date, date]:
    """First and last month with logged time (the default report period)."""
    first, last = con.execute("SELECT min(service_month), max(service_month) FROM core.time_logs").fetchall()[0]
    if first is None:
        today = date.today().replace(day=1)
        return today, today
    return first, last


def report_period(con, start_month: str | None = None, end_month: str | None = None) -> tuple[date, date]:
    """A report's months: those asked for, else the first / last month with logged time."""
    first, last = data_period(con)
    return (month_start(start_month) if start_month else first, month_start(end_month) if end_month else last)


def program_overview(con, start: str | date, end: str | date, clinic: str | None = None) -> pd.DataFrame:
    """One row per month and clinic (counts are not yet suppressed: see the report)."""
    sql = read_sql("bcm_analytics", "overview.sql")
    params = {"start": month_start(start), "end": month_start(end), "clinic": clinic}
    return con.execute(sql, params).df()
