"""The billing engine: logged minutes -> countable minutes -> episodes -> billing lines.

All of it is SQL over whole tables (sql/*.sql), run in one DuckDB connection. `build` computes
every table for the whole store into the connection's temp schema (nothing is written to the
file, so it works on a read-only store); each public function builds, then selects a period.
Episodes need the months before a period, which is why a build always covers all the data.
`materialize` copies the tables into the `marts` schema of the file for other tools.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from bcm_analytics.config.rules import Rules, as_rules
from bcm_analytics.months import as_date, month_start
from bcm_analytics.sqlfiles import read_sql, run_sql
from bcm_analytics.warehouse.store import copy_to_temp

BUILD_STEPS = ("patients", "entries", "months", "episodes", "lines")
MARTS = {
    # mart: (temp table it copies, what it holds)
    "billing_entries": ("billing_entries", "every time-log entry of a registry patient: counted, or why not, and minutes counted"),
    "countable_minutes": ("billing_months", "logged and countable minutes per patient and local calendar month"),
    "episodes": ("billing_episode_months", "months of service with their episode and month type"),
    "billing_lines": ("billing_lines", "one row per code a patient-month supports, with the expected amount"),
    "billing_evidence": ("billing_evidence", "billing line -> the time-log entries and minutes that support it"),
}


def sql_text(name: str, **parts: str) -> str:
    """A file of sql/, with `{part}` placeholders replaced by table names or other SQL."""
    text = read_sql("bcm_analytics.billing", f"sql/{name}.sql")
    for key, value in parts.items():
        text = text.replace("{" + key + "}", value)
    return text


def month_codes_sql(months: str) -> str:
    return sql_text("month_codes", months=months)


def built_token(con: duckdb.DuckDBPyConnection, rules: Rules) -> str:
    """What a build depends on: this ruleset object and the data (every load has a new id)."""
    loads, entries, patients = con.execute(
        "SELECT (SELECT coalesce(max(load_id), 0) FROM meta.load_log), (SELECT count(*) FROM staging.time_logs),"
        " (SELECT count(*) FROM staging.patients)"
    ).fetchall()[0]
    return f"{id(rules)}/{rules.id}/{loads}/{entries}/{patients}"


def build(con: duckdb.DuckDBPyConnection, rules: Rules | str | None = None) -> Rules:
    """Compute the billing tables for the whole store into the connection's temp schema.

    Done once per connection, ruleset and state of the data: `bcm billing` asks for lines and
    unbilled months, a report for lines, totals and the worklist, and the whole store is not
    rebuilt for each (about 20 s at 10 million time-log rows).
    """
    rules = as_rules(rules)
    token = built_token(con, rules)
    if con.execute("SELECT getvariable('bcm_billing_built')").fetchall()[0][0] == token:
        return rules
    copy_to_temp(con, "billing_rule_periods", rules.periods)
    copy_to_temp(con, "billing_fee_schedule", rules.fees())
    names = pa.table({"payer_name": list(rules.payer_names), "payer_class": list(rules.payer_names.values())})
    copy_to_temp(con, "billing_payer_names", names)
    copy_to_temp(con, "billing_activity_types", pa.table({"activity_type": [a.lower() for a in rules.activity_types]}))
    con.execute("SET VARIABLE bcm_default_payer_class = ?", [rules.default_payer_class])
    con.execute("SET VARIABLE bcm_ruleset = ?", [rules.id])
    for step in BUILD_STEPS:
        run_sql(con, sql_text(step, month_codes=month_codes_sql("billing_episode_months")))
    con.execute("SET VARIABLE bcm_billing_built = ?", [token])
    return rules


def period(start: str | date, end: str | date | None = None) -> dict:
    """Query parameters for the months start..end (end defaults to start), both inclusive."""
    first = month_start(start)
    last = month_start(end) if end is not None else first
    return {"start": first, "end": last}


def with_month_text(frame: pd.DataFrame) -> pd.DataFrame:
    if "service_month" in frame and len(frame) and not isinstance(frame["service_month"].iloc[0], str):
        frame["service_month"] = pd.to_datetime(frame["service_month"]).dt.strftime("%Y-%m")
    return frame


def period_rows(con, table: str, start, end, order: str) -> pd.DataFrame:
    """Rows of a built billing table for the service months start..end."""
    frame = con.execute(
        f"SELECT * FROM {table} WHERE service_month BETWEEN $start AND $end ORDER BY {order}", period(start, end)
    ).df()
    return with_month_text(frame)


def billing_lines(con, start, end=None, rules=None) -> pd.DataFrame:
    """One row per billing line of the months start..end: code, units, minutes, expected amount."""
    build(con, rules)
    return period_rows(con, "billing_lines", start, end, "patient_id, service_month, line_id")


def unbilled_months(con, start, end=None, rules=None) -> pd.DataFrame:
    """Patient-months with countable minutes but no code, with the minutes short of the first code."""
    build(con, rules)
    return with_month_text(run_sql(con, sql_text("unbilled"), period(start, end)).df())


def evidence(con, start, end=None, rules=None) -> pd.DataFrame:
    """The time-log entries behind each billing line of start..end (line_id -> entry, minutes counted)."""
    build(con, rules)
    return period_rows(con, "billing_evidence", start, end, "line_id, service_at, entry_id")


def time_entries(con, start, end=None, rules=None) -> pd.DataFrame:
    """Every time-log entry of start..end with its status: counted, or the reason it is not."""
    build(con, rules)
    return period_rows(con, "billing_entries", start, end, "patient_id, service_at, entry_id")


def countable_minutes(con, start, end=None, rules=None) -> pd.DataFrame:
    """Logged and countable minutes per patient and local calendar month of start..end."""
    build(con, rules)
    return period_rows(con, "billing_months", start, end, "patient_id, service_month")


def near_threshold(con, as_of: date | str | None = None, margin: float = 10, rules=None) -> pd.DataFrame:
    """Patients of the open month of `as_of` (default today) within `margin` minutes of the next code.

    days_left counts the days of the month from as_of on, as_of included.
    """
    build(con, rules)
    as_of = as_date(as_of) if as_of else date.today()
    text = sql_text("near_threshold", month_codes=month_codes_sql("billing_worklist_months"))
    return run_sql(con, text, {"as_of": as_of, "margin": margin}).df()


def materialize(con, rules=None) -> list[str]:
    """Write the billing tables to marts.* in the store (CREATE OR REPLACE: runs are idempotent)."""
    build(con, rules)
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    for mart, (source, about) in MARTS.items():
        con.execute(f"CREATE OR REPLACE TABLE marts.{mart} AS SELECT * FROM temp.{source}")
        con.execute(f"COMMENT ON TABLE marts.{mart} IS '{about}'")
    return [f"marts.{m}" for m in MARTS]


def warnings(con) -> list[str]:
    """What a finance reader must know about the last build: data the rules could not place."""
    out = []
    unmapped = con.execute(
        """SELECT payer, any_value(payer_class), count(*) FROM billing_patients WHERE NOT payer_mapped
           GROUP BY payer ORDER BY count(*) DESC, payer"""
    ).fetchall()
    if unmapped:
        listed = ", ".join(f"'{p}' ({n:,} patients)" for p, _, n in unmapped)
        out.append(f"payer names not mapped to a payer class, billed as {unmapped[0][1]}: {listed}; "
                   "map them under payer_names in a rules file (--rules)")
    no_rule = con.execute(
        """SELECT p.payer_class || '/' || p.billing_setting || '/' || p.program, count(DISTINCT (e.patient_id, e.service_month)),
                  strftime(min(e.service_month), '%Y-%m'), strftime(max(e.service_month), '%Y-%m')
           FROM billing_entries e JOIN billing_patients p USING (patient_id)
           WHERE e.status = 'no_rule_in_force' GROUP BY ALL ORDER BY 1"""
    ).fetchall()
    for key, months, first, last in no_rule:
        out.append(f"no rule in force for {key} in {months:,} patient-month(s) ({first}..{last}): their minutes do not count")
    unknown = con.execute(
        "SELECT activity_type, count(*) FROM billing_entries WHERE status = 'activity_unknown' GROUP BY ALL ORDER BY 2 DESC, 1"
    ).fetchall()
    if unknown:
        listed = ", ".join(f"'{a}' ({n:,} entries)" for a, n in unknown)
        out.append(f"activity types outside the rules' vocabulary, never counted: {listed}")
    no_fee = con.execute(
        """SELECT payer_class, code, year(service_month), count(*) FROM billing_lines WHERE expected_amount IS NULL
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    for payer_class, code, year, n in no_fee:
        out.append(f"no fee for {code} in {year} ({payer_class}): expected_amount is empty on {n:,} line(s)")
    return out
