"""The data-quality report's tables: what each load did, why rows were set aside, what was flagged.

Counts of rows and checks only: no record, value or identifier leaves the store through
these tables (the row-level lists are `bcm quarantine` and `bcm warnings`, separate, explicit outputs). Queries
use execute(), which finishes any pending result on the connection, so they can follow code
that fetched only part of one.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from bcm_analytics.contracts.suites import SQL_CHECK

# Short headings for the loads table: with the long ones it was wider than the page, and its
# "adds up" column (the one a reader checks) sat behind a scroll bar.
# How a file was read where it was not read as written plainly, from meta.load_log.read_options: the
# load line says it once, and a person reviewing the store later saw none of it (slash dates read
# day first turn every date of the column).
READ_AS = """nullif(concat_ws('; ',
    CASE WHEN json_array_length(l.read_options -> 'day_first') > 0
         THEN 'slash dates read day first in ' || array_to_string(CAST(l.read_options -> 'day_first' AS VARCHAR[]), ', ') END,
    CASE WHEN json_array_length(l.read_options -> 'decimal_comma') > 0
         THEN 'decimal commas in ' || array_to_string(CAST(l.read_options -> 'decimal_comma' AS VARCHAR[]), ', ') END,
    CASE WHEN json_array_length(l.read_options -> 'hidden_rows') > 0
         THEN json_array_length(l.read_options -> 'hidden_rows') || ' rows hidden in the sheet, read' END,
    CASE WHEN CAST(l.read_options ->> 'header_line' AS INTEGER) > 1
         THEN 'column names on line ' || (l.read_options ->> 'header_line') || ' (a title above)' END), '')"""
LOAD_LABELS = {"replaces": "replaces load", "rows_read": "read", "rows_loaded": "loaded", "rows_changed": "changed",
               "withdrawn": "rows withdrawn", "rows_quarantined": "quarantined",
               "still_waiting": "waiting", "rows_duplicate": "duplicates", "rows_warned": "warned",
               "admitted_from_earlier_loads": "admitted", "read_as": "read as"}


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per load and file: the load a corrected copy replaces, rows in, loaded, changed, the stored
    coverage periods a coverage file withdrew (its patients' history no longer holds them: not rows
    of the file, so outside adds_up), quarantined (waiting among them), duplicates, warned,
    admitted, and how the file was read where not plainly (READ_AS). A replaced load keeps its
    counts (what its file gave); its entries count as superseded in reasons_by_check."""
    return con.execute(
        f"""SELECT l.load_id AS load, l.table_name AS "table", {_file_shown("l.source_file")} AS file,
                  {_load_log_column(con, "replaces_load", "NULL::BIGINT")} AS replaces, l.finished_at AS loaded_at,
                  l.rows_read, l.rows_loaded, l.rows_changed, {_load_log_column(con, "rows_withdrawn", "0")} AS withdrawn,
                  l.rows_quarantined, coalesce(q.waiting, 0) AS still_waiting, l.rows_duplicate,
                  coalesce(w.warned, 0) AS rows_warned, l.rows_admitted_from_quarantine AS admitted_from_earlier_loads,
                  l.rows_read = l.rows_loaded + l.rows_quarantined + l.rows_duplicate AS adds_up,
                  {READ_AS} AS read_as
           FROM meta.load_log l
           LEFT JOIN (SELECT load_id, count(*) FILTER (WHERE status = 'waiting') AS waiting FROM meta.quarantine GROUP BY ALL) q USING (load_id)
           LEFT JOIN (SELECT load_id, count(DISTINCT line_number) AS warned FROM meta.row_warnings GROUP BY ALL) w USING (load_id)
           ORDER BY l.load_id"""
    ).df()


def _file_shown(path: str) -> str:
    """SQL: a load's file as its name, with its folder where another load's file has the same name
    in another folder (exp/CM_Minutes.csv and exp3/CM_Minutes.csv both read CM_Minutes.csv)."""
    name = f"regexp_extract({path}, '[^/\\\\]+$')"
    folder = f"nullif(regexp_extract({path}, '([^/\\\\]+[/\\\\][^/\\\\]+)$', 1), '')"
    return f"CASE WHEN count(DISTINCT {path}) OVER (PARTITION BY {name}) > 1 THEN coalesce({folder}, {name}) ELSE {name} END"


def _load_log_column(con: duckdb.DuckDBPyConnection, column: str, otherwise: str) -> str:
    """l.<column>, or `otherwise` on a store no load has written since the column came (reports
    open stores read-only, so schema.sql's ALTER has not run on it)."""
    return f"coalesce(l.{column}, {otherwise})" if con.execute(
        """SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'meta'
             AND table_name = 'load_log' AND column_name = ?""", [column]).fetchall()[0][0] else otherwise


def reasons_by_check(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every check that set rows aside, with how many rows are open or still wait (and how many
    were admitted later, superseded, or passed over as no records: totals and empty rows); the
    checks with most rows still to act on first. All of them: a cut at the fifteen largest left a
    patients export's four open rows (one per check) out of the page that lists why rows were set
    aside, while the loads table above it counted them."""
    return con.execute(
        """SELECT table_name AS "table", failed_check AS "check", count(*) AS rows,
                  count(*) FILTER (WHERE status = 'open') AS open,
                  count(*) FILTER (WHERE status = 'waiting') AS waiting,
                  count(*) FILTER (WHERE status = 'admitted') AS admitted_later,
                  count(*) FILTER (WHERE status = 'superseded') AS superseded,
                  count(*) FILTER (WHERE status = 'passed_over') AS passed_over
           FROM (SELECT *, unnest(failed_checks) AS failed_check FROM meta.quarantine)
           GROUP BY ALL ORDER BY open + waiting DESC, rows DESC, "table", "check"
        """
    ).df()


STILL_TO_ACT_ON = ["open", "waiting"]  # the statuses of rows a steward still has to act on (fix, or supply what they wait for)
CHARTED_CHECKS = 15  # bars a chart of checks keeps readable; the table beside it lists every check


def to_act_on(reasons: pd.DataFrame, limit: int = CHARTED_CHECKS) -> pd.DataFrame:
    """The rows of reasons_by_check a steward still has to act on, one row per check and status
    (open: fix the export; waiting: load what they refer to), for the first `limit` checks with
    any, in its order, labelled 'check (table)'. The rows closed since (admitted later, superseded
    by a newer export, passed over as totals rows) are left out: the chart of the data-quality
    report counted them, and thousands of superseded rows dwarfed the sixteen still open; the
    table beside it counts every status."""
    pending = reasons[reasons[STILL_TO_ACT_ON].sum(axis=1) > 0].head(limit)
    frame = pending.assign(label=pending["check"] + " (" + pending["table"] + ")")[["table", "check", "label", *STILL_TO_ACT_ON]]
    long = frame.melt(id_vars=["table", "check", "label"], value_vars=STILL_TO_ACT_ON, var_name="status", value_name="rows",
                      ignore_index=False)
    long = long[long["rows"] > 0].rename_axis("_order").sort_values(["_order", "status"], kind="stable")
    return long.reset_index(drop=True)[["table", "check", "label", "status", "rows"]]


def not_charted_note(reasons: pd.DataFrame, limit: int = CHARTED_CHECKS) -> str:
    """The sentence under the chart when it leaves checks with rows to act on to the table."""
    pending = reasons[reasons[STILL_TO_ACT_ON].sum(axis=1) > 0]
    rest = pending.iloc[limit:]
    if rest.empty:
        return ""
    rows = int(rest[STILL_TO_ACT_ON].sum().sum())
    return (f"The chart shows the {limit} checks with most rows to act on; {len(rest)} more check{'s' if len(rest) > 1 else ''} "
            f"with {rows:,} row{'s' if rows > 1 else ''} open or waiting {'are' if len(rest) > 1 else 'is'} in the table below.")


def export_months(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per calendar month of each dated export (time logs, assessments, claims), 0 where an
    export has none in a month the store's other exports reach. The three arrive as separate files:
    one ending months before the others reads, in the billing and outcome reports, as care nobody
    billed or measured; here it shows as its line falling to 0."""
    return con.execute(
        """WITH counts AS (
             SELECT 'time logs' AS export, service_month AS month, count(*) AS rows FROM core.time_logs GROUP BY ALL
             UNION ALL
             SELECT 'assessments', CAST(date_trunc('month', administered_on) AS DATE), count(*) FROM core.assessments GROUP BY ALL
             UNION ALL
             SELECT 'claims', CAST(date_trunc('month', date_of_service) AS DATE), count(*)
             FROM (SELECT date_of_service FROM staging.claims UNION ALL SELECT date_of_service FROM staging.claims_unknown_patient)
             WHERE date_of_service IS NOT NULL GROUP BY ALL
           ),
           months AS (
             SELECT CAST(range AS DATE) AS month
             FROM (SELECT min(month) AS first, max(month) AS last FROM counts),
                  range(first, last + INTERVAL 1 MONTH, INTERVAL 1 MONTH)
           )
           SELECT e.export, m.month, coalesce(c.rows, 0) AS rows
           FROM months m CROSS JOIN (SELECT DISTINCT export FROM counts) e
           LEFT JOIN counts c ON c.export = e.export AND c.month = m.month
           ORDER BY e.export, m.month"""
    ).df()


def quarantine_trend(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share of rows read that each load set aside, per table, in load order."""
    return con.execute(
        """SELECT load_id AS load, table_name AS "table", finished_at AS loaded_at, rows_read, rows_quarantined,
                  CASE WHEN rows_read > 0 THEN 100.0 * rows_quarantined / rows_read END AS percent_quarantined
           FROM meta.load_log ORDER BY load_id"""
    ).df()


def row_warnings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Warn-level expectations broken by loaded rows (the rows were kept)."""
    return con.execute(
        """SELECT table_name AS "table", check_name AS "check", count(*) AS rows, count(DISTINCT load_id) AS loads
           FROM meta.row_warnings GROUP BY ALL ORDER BY rows DESC, "table", "check" """
    ).df()


# What an expectation's unexpected count counts: the stored rows that break it, except for a check
# written as SQL (unexpected_rows_expectation), which counts the rows its query returns, one per
# group (a patient's instrument on a day, a staff member's day, a clinic's month): the data-quality
# page printed 4 for one score per instrument per day (4 days, 8 scores) beside 13 rows for no
# entry logged twice, under one heading 'rows or groups'. One word each: the every-expectation
# table must fit a 1366 px screen; the page's text says what a group is.
COUNTING_ROWS, COUNTING_GROUPS = "rows", "groups"


def latest_validation(con: duckdb.DuckDBPyConnection) -> tuple[pd.Series | None, pd.DataFrame]:
    """The last `bcm validate` run and its verdict per expectation, both engines side by side;
    `counting` says what its unexpected counts count (COUNTING_ROWS, COUNTING_GROUPS)."""
    runs = con.execute("SELECT * EXCLUDE (gx_result) FROM meta.validation_runs ORDER BY run_id DESC LIMIT 1").df()
    if runs.empty:
        return None, pd.DataFrame()
    run = runs.iloc[0]
    results = con.execute(
        """SELECT d.table_name AS "table", d.expectation, d.severity, d.scope, d.rows_checked AS rows_stored,
                  d.unexpected_count AS unexpected_stored,
                  CASE WHEN d.expectation_type = $sql_check THEN $groups ELSE $rows END AS counting,
                  d.success AS passes_stored,
                  g.rows_checked AS rows_sampled, g.unexpected_count AS unexpected_sampled, g.success AS passes_great_expectations
           FROM meta.validation_results d
           LEFT JOIN meta.validation_results g ON g.run_id = d.run_id AND g.engine = 'great_expectations'
                AND g.table_name = d.table_name AND g.expectation = d.expectation
           WHERE d.run_id = $run AND d.engine = 'duckdb'
           ORDER BY d.success, d.severity, "table", d.expectation""",
        {"run": int(run.run_id), "groups": COUNTING_GROUPS, "rows": COUNTING_ROWS, "sql_check": SQL_CHECK},
    ).df()
    return run, results


def gx_statistics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """great-expectations' own statistics per suite, from the last run's validation result."""
    row = con.execute("SELECT gx_result FROM meta.validation_runs WHERE gx_result IS NOT NULL ORDER BY run_id DESC LIMIT 1").fetchall()
    if not row:
        return pd.DataFrame()
    suites = json.loads(row[0][0])
    return pd.DataFrame(
        [{"suite": name, "success": result["success"], **result["statistics"]} for name, result in suites.items()]
    )
