"""The billing engine's answers, read from the marts: logged minutes -> countable minutes ->
episodes -> billing lines, for a period of service months.

The computation is the SQL models in bcm_analytics/models/billing (persisted as marts.* and kept
current after every load); this module selects from them. Each answer is a `Query`: `.df()` for
a notebook, or handed to reports.export.write_query, which streams it to CSV, Parquet or Excel
without a whole-result frame in between.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bcm_analytics.config.files import nearest
from bcm_analytics.models import Marts, Query, current, refresh
from bcm_analytics.months import as_date, month_start

if TYPE_CHECKING:
    import pandas as pd  # the frame functions below; the CLI writes queries, never a frame

# The billing marts, in build order, with what each holds (docs/marts.md has every mart).
BILLING_MARTS = ("billing_entries", "countable_minutes", "episodes", "billing_lines", "billing_evidence")
MONTH_TEXT = "strftime(service_month, '%Y-%m') AS service_month"


# The near-threshold list's default margin: minutes a care manager can still log (a call) before the
# month ends to reach the next code. The command's --margin, the report's table and their words read it.
NEAR_MARGIN = 10

def billing_marts(con, rules=None) -> Marts:
    """The marts for these rules (None: the store's own): see models.marts.current."""
    return current(con, rules)


def payer_name(con, name: str | None, rules=None) -> str | None:
    """A payer name as the marts read every payer name (marts.payer_name: the rules' payer_aliases,
    then the spelling the exports write most, case and surrounding spaces aside): what a filter
    on a payer compares the marts' payer with."""
    if name is None:
        return None
    return billing_marts(con, rules).query("SELECT marts.payer_name($name)", {"name": name}).fetchall()[0][0]


def period(start: str | date, end: str | date | None = None) -> dict:
    """Query parameters for the months start..end (end defaults to start), both inclusive."""
    first = month_start(start)
    last = month_start(end) if end is not None else first
    return {"start": first, "end": last}


def period_query(marts: Marts, mart: str, start, end, order: str, columns: list[str] | None = None) -> Query:
    """Rows of a billing mart for the service months start..end, months as YYYY-MM: every column,
    or only `columns` (in the same order either way)."""
    picked = f"* REPLACE ({MONTH_TEXT})" if columns is None else ", ".join(
        MONTH_TEXT if c == "service_month" else c for c in columns)
    return marts.select(
        f"SELECT {picked} FROM marts.{mart} WHERE service_month BETWEEN $start AND $end ORDER BY {order}",
        period(start, end),
    )


def lines_query(marts: Marts, start, end=None, columns: list[str] | None = None) -> Query:
    return period_query(marts, "billing_lines", start, end, "patient_id, service_month, line_id", columns)


def unbilled_query(marts: Marts, start, end=None) -> Query:
    return period_query(marts, "unbilled_months", start, end, "patient_id, service_month")


def evidence_query(marts: Marts, start, end=None) -> Query:
    return period_query(marts, "billing_evidence", start, end, "line_id, service_at, entry_id")


def near_threshold_query(marts: Marts, as_of: date | str | None = None, margin: float = NEAR_MARGIN) -> Query:
    """Patients of the open month of `as_of` within `margin` minutes of the next code.

    as_of defaults to the data's last day (the date the marts are as of), never the wall clock:
    a list dated by data that ended weeks ago would otherwise show a month with no minutes.
    """
    day = as_date(as_of) if as_of else marts.as_of
    return marts.select("SELECT * FROM marts.near_threshold($as_of, $margin)", {"as_of": day, "margin": margin})


def billing_lines(con, start, end=None, rules=None) -> pd.DataFrame:
    """One row per billing line of the months start..end: code, units, minutes, expected amount."""
    return lines_query(billing_marts(con, rules), start, end).df()


def unbilled_months(con, start, end=None, rules=None) -> pd.DataFrame:
    """Patient-months with countable minutes but no code, with the minutes short of the first code."""
    return unbilled_query(billing_marts(con, rules), start, end).df()


def evidence(con, start, end=None, rules=None) -> pd.DataFrame:
    """The time-log entries behind each billing line of start..end (line_id -> entry, minutes counted)."""
    return evidence_query(billing_marts(con, rules), start, end).df()


def time_entries(con, start, end=None, rules=None) -> pd.DataFrame:
    """Every time-log entry of start..end with its status: counted, or the reason it is not."""
    return period_query(billing_marts(con, rules), "billing_entries", start, end, "patient_id, service_at, entry_id").df()


def countable_minutes(con, start, end=None, rules=None) -> pd.DataFrame:
    """Logged and countable minutes per patient and local calendar month of start..end."""
    return period_query(billing_marts(con, rules), "countable_minutes", start, end, "patient_id, service_month").df()


def near_threshold(con, as_of: date | str | None = None, margin: float = NEAR_MARGIN, rules=None) -> pd.DataFrame:
    """Patients of the open month of `as_of` (default: the data's last day) within `margin` minutes
    of the next code; days_left counts the days of the month from as_of on, as_of included, and
    due_by is the month's last day (minutes logged after it count toward the next month)."""
    return near_threshold_query(billing_marts(con, rules), as_of, margin).df()


def materialize(con, rules=None) -> list[str]:
    """Bring the store's marts up to date (they are kept current after every load anyway)."""
    refresh(con, rules)
    return [f"marts.{m}" for m in BILLING_MARTS]


def warnings(source, rules=None, start=None, end=None) -> list[str]:
    """What a finance reader must know about the marts (a Marts, or a connection and rules): data the
    rules could not place. With start (and end), only what falls in those months: a finance reader
    billing one month acts on that month, not on fees missing from years already closed."""
    marts = source if isinstance(source, Marts) else billing_marts(source, rules)
    months = period(start, end) if start is not None else {"start": date.min, "end": date.max}
    in_period = "service_month BETWEEN $start AND $end"
    out = []
    unmapped = marts.query(  # the registry's payer name on file, and every payer a month is under (marts.month_terms:
        # coverage periods, and the registry payer of each enrolment, one a re-enrolment replaced included)
        """SELECT payer, any_value(payer_class), count(DISTINCT patient_id) AS patients FROM (
             SELECT patient_id, payer, payer_class FROM marts.billing_patients WHERE NOT payer_mapped
             UNION ALL
             SELECT patient_id, payer, payer_class FROM marts.month_terms WHERE NOT payer_mapped)
           GROUP BY payer ORDER BY patients DESC, payer"""
    ).fetchall()
    if unmapped:
        listed = ", ".join(f"'{p}' ({n:,} patient{'s' if n > 1 else ''})" for p, _, n in unmapped)
        out.append(f"payer names not mapped to a payer class, billed as {unmapped[0][1]}: {listed}; "
                   "map them under payer_names in a rules file (--rules)")
    out += _payer_names_of_no_patient(marts)
    no_rule = marts.query(
        f"""SELECT y.payer_class || '/' || y.billing_setting || '/' || y.program, count(DISTINCT (e.patient_id, e.service_month)),
                  strftime(min(e.service_month), '%Y-%m'), strftime(max(e.service_month), '%Y-%m')
           FROM marts.billing_entries e
           JOIN marts.month_terms y ON y.patient_id = e.patient_id AND e.service_month BETWEEN y.from_month AND y.until_month
           WHERE e.status = 'no_rule_in_force' AND e.{in_period} GROUP BY ALL ORDER BY 1""", months
    ).fetchall()
    for key, patient_months, first, last in no_rule:
        out.append(f"no rule in force for {key} in {patient_months:,} patient-month(s) ({first}..{last}): their minutes do not count")
    unknown = marts.query(
        f"SELECT activity_type, count(*) FROM marts.billing_entries WHERE status = 'activity_unknown' AND {in_period} "
        "GROUP BY ALL ORDER BY 2 DESC, 1", months
    ).fetchall()
    if unknown:
        listed = ", ".join(f"'{a}' ({n:,} entries)" for a, n in unknown)
        out.append(f"activity types outside the rules' vocabulary, never counted: {listed}")
    out += _no_consent(marts, months)
    no_fee = marts.query(
        f"""SELECT payer_class, code, year(service_month), count(*) FROM marts.billing_lines
            WHERE expected_amount IS NULL AND {in_period} GROUP BY ALL ORDER BY ALL""", months
    ).fetchall()
    for payer_class, code, year, n in no_fee:
        out.append(f"no fee for {code} in {year} ({payer_class}): expected_amount is empty on {n:,} line(s)")
    return out


def _payer_names_of_no_patient(marts: Marts) -> list[str]:
    """A payer name the program's rules file writes that no patient's payer (registry, an earlier enrolment's, or coverage) matches (matched
    ignoring case and surrounding spaces): a misspelling ("Blue Shield  PPO") leaves the payer
    its earlier class and settings, which no other warning shows when that payer is mapped. A
    name an alias reads as another payer applies to no one whatever the data: said so, with the
    alias and what to write instead (Rules.names_aliased_away); so does a class the file writes
    that no payer name maps to (Rules.classes_reaching_no_one)."""
    away = marts.rules.names_aliased_away() + marts.rules.classes_reaching_no_one()
    stored = dict(marts.query(
        """SELECT lower(trim(payer)), any_value(payer ORDER BY payer) FROM (
             SELECT payer FROM marts.billing_patients
             UNION ALL SELECT payer FROM marts.month_terms) GROUP BY ALL""").fetchall())
    unused = [n for n in marts.rules.program_payer_names if n not in stored and n not in marts.rules.aliased_away()]
    if not stored or not unused:
        return away
    def named(name):
        near = nearest(name, list(stored))
        return f"'{name}'" + (f" (the store has '{stored[near]}')" if near else "")
    return [f"payer names in the rules file that no patient's payer matches: {', '.join(named(n) for n in unused)}; "
            "their class and settings apply to no one: check the spelling under payer_names", *away]


def _no_consent(marts: Marts, months: dict) -> list[str]:
    """Minutes of patients with no consent date never count: an export without one (the Akello
    registry records none) billed 0 lines and said only that, as a quiet period would."""
    patients, patient_months, minutes = marts.query(
        """SELECT count(DISTINCT patient_id), count(DISTINCT (patient_id, service_month)), coalesce(sum(minutes), 0)
           FROM marts.billing_entries WHERE status = 'no_consent' AND service_month BETWEEN $start AND $end""", months
    ).fetchall()[0]
    if not patients:
        return []
    return [f"{patients:,} patient(s) have no consent date: their {minutes:,.0f} minutes in {patient_months:,} patient-month(s) "
            "never count; load their consent_date (an export that lacks it: map it in the profile, docs/profiles.md)"]
