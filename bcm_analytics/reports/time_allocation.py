"""The time-allocation report's numbers: where the care team's minutes go (care managers' and every
other role's that logs time: psychiatric consultants, treating practitioners), and what the minutes that
did not count would have been worth.

Everything comes from billing.time_allocation (marts.time_allocation, marts.lost_minutes_value,
marts.billed_month_minutes) and is protected through privacy.Privacy. Families, each protected
once and sharing nothing but the period's grand totals (logged minutes, patient-months with time):

  months        logged, counted and code-supporting minutes per month (or quarter, year) with the
                patient-months behind them (a patient-month falls in one month: they add up)
  by outcome    minutes per outcome (counted, or the reason they did not count) over the period,
  by category   per activity category, per contact mode: each with the patient-months that have
  by mode       such minutes
  lost value    per reason countable in principle: patient-months affected, the ones that would
                bill more, and the dollars at the fee schedule
  thresholds    patient-months per base code they reach: mean countable minutes, how far past the
                code's threshold, the share just past it
  per staff     per staff member (every role) over the period, and per month (the workbook's sheet, not on
                the page), by activity category and by contact mode: internal only (see STAFF_NOTE)

Minutes are hidden with the patient-months they are over (like dollars in the reconciliation
report). In the outcome, category and mode tables a patient-month can sit in several rows, so
counts do not add up while minutes do: after suppression, whenever the hidden rows together
cover 1-10 patient-months (their minutes are the total less the rows shown), another row is
hidden, so no minutes over fewer than 11 patient-months can be worked out. The three tables are
protected together (breakdowns): a row holding the same minutes in two of them (administrative
time, separately billed services) is shown in both or hidden in both.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from bcm_analytics.billing.time_allocation import (
    RECOVERABLE,
    billed_month_minutes,
    lost_minutes_value,
    time_allocation,
)
from bcm_analytics.billing.time_outcomes import COUNTED, OUTCOMES
from bcm_analytics.models.marts import latest_data_date, resolve_rules
from bcm_analytics.months import month_start, runs_words
from bcm_analytics.overview import report_period
from bcm_analytics.reports import formats
from bcm_analytics.reports.billing_reconciliation import ADD_FEES, how_many, protect_periods, with_total
from bcm_analytics.reports.export import Sheet, write_workbook
from bcm_analytics.reports.page import Headline, clinic_names
from bcm_analytics.reports.privacy import TOTAL, Privacy, ReportPeriod, by_period, report_command, suppressed_names

NOT_COUNTED = [o for o in OUTCOMES if o not in COUNTED]
MONTH_MINUTES = ["logged_minutes", "counted_minutes", "supported_code", "below_threshold", "not_counted"]
# The page's title: its totals hold every role's minutes (a psychiatric consultant's caseload
# review, a treating practitioner's separately billed psychotherapy), not the care managers' alone
TITLE = "Where the care team's time goes"
JUST_PAST = 5  # minutes past a code's threshold that count as "just past" it
STAFF_NOTE = ("Per staff-member detail is in the internal version only: it describes the work of named staff "
              "members (a matter for the program, not for outside readers), and one staff member's patients in a "
              "month are often few enough to point to them.")


@dataclass
class Allocation:
    """The period's minutes (patient-level rows of marts.time_allocation), the value of the
    minutes lost, and the billed months against their thresholds, for one clinic or all."""

    rows: pd.DataFrame
    lost: pd.DataFrame
    billed: pd.DataFrame
    start: date
    end: date

    @classmethod
    def load(cls, con, start, end, rules=None, clinic: str | None = None) -> Allocation:
        rows = time_allocation(con, start, end, rules)
        lost = lost_minutes_value(con, start, end, rules)
        billed = billed_month_minutes(con, start, end, rules)
        if clinic is not None:  # each month at the clinic it is billed under (marts.month_terms)
            rows, lost, billed = rows[rows.clinic_id == clinic], lost[lost.clinic_id == clinic], billed[billed.clinic_id == clinic]
        rows = rows.assign(month=pd.to_datetime(rows["service_month"] + "-01"))
        return cls(rows.reset_index(drop=True), lost.reset_index(drop=True), billed.reset_index(drop=True),
                   month_start(start), month_start(end))

    def logged_minutes(self) -> int:
        return int(self.rows.minutes.sum())


def _patient_months(rows: pd.DataFrame) -> int:
    return len(rows[["patient_id", "service_month"]].drop_duplicates())


# --- months ---------------------------------------------------------------------------------


def month_rows(alloc: Allocation) -> pd.DataFrame:
    """Per service month: patient-months with time, logged and counted minutes, the minutes that
    supported a billable code, counted below any code, and not counted (every month of the period)."""
    rows = alloc.rows
    minutes = rows.pivot_table(index="month", columns="outcome", values="minutes", aggfunc="sum", fill_value=0)
    frame = pd.DataFrame(index=pd.date_range(alloc.start, alloc.end, freq="MS", name="month"))
    frame["patient_months_with_time"] = rows.groupby("month").patient_id.nunique()
    for col in OUTCOMES:
        frame[col] = minutes[col] if col in minutes else 0
    frame = frame.fillna(0)
    frame["counted_minutes"] = frame[list(COUNTED)].sum(axis=1)
    frame["not_counted"] = frame[NOT_COUNTED].sum(axis=1)
    frame["logged_minutes"] = frame["counted_minutes"] + frame["not_counted"]
    out = frame.reset_index()[["month", "patient_months_with_time", *MONTH_MINUTES]]
    return out.astype({c: "int64" for c in ["patient_months_with_time", *MONTH_MINUTES]})


def months(alloc: Allocation, privacy: Privacy) -> tuple[str, pd.DataFrame]:
    """Minutes per month (or coarser), with the patient-months behind them and the period's
    total row; the share of logged minutes that supported a billable code."""
    raw = month_rows(alloc)

    def build(grain):
        frame = with_total(by_period(raw, "month", grain, ["patient_months_with_time", *MONTH_MINUTES], start=alloc.start, end=alloc.end))
        frame["share_supported_code"] = frame["supported_code"] / frame["logged_minutes"].where(frame["logged_minutes"] > 0)
        for col in MONTH_MINUTES:
            frame[col] = frame[col].astype("float64")
        hide = {c: ["patient_months_with_time"] for c in [*MONTH_MINUTES, "share_supported_code"]}
        return protect_periods(privacy, frame, ["patient_months_with_time"], hide_with=hide)
    return privacy.roll_up(build, ["logged_minutes"])


def no_time_note(month_table: pd.DataFrame) -> str:
    """The periods of the month table in which no minute was logged, in words: an external page
    widened to whole quarters starts with months before the program's first minute, whose row of
    zeros (and empty slot in the chart) a board could take for data missing. The zeros stay: 0 is
    shown, never suppressed, and the periods add up to All. Runs of periods (consecutive rows, as
    months.runs_words reads them) read 'Jan 2025 to Feb 2025', as the charts' notes and the commands do."""
    rows = month_table[month_table["period"] != TOTAL].reset_index(drop=True)
    empty = rows.index[rows["logged_minutes"].eq(0)].tolist()  # a hidden cell (NA) is not 0
    if not empty:
        return ""
    where = runs_words(rows.loc[empty, "period"].tolist(), empty)
    row = "its row reads 0 and its share" if len(empty) == 1 else "their rows read 0 and their share"
    return f"No time was logged in {where}: {row} {formats.NO_BASE}."


# --- by outcome, activity category, contact mode --------------------------------------------


def breakdown(alloc: Allocation, privacy: Privacy, dim: str) -> pd.DataFrame:
    """Minutes over the period per value of `dim` (outcome, activity_category, contact_mode), with
    the patient-months that have such minutes and the share of all logged minutes; the All row."""
    rows = alloc.rows
    frame = rows.groupby(dim, as_index=False).agg(minutes=("minutes", "sum"))
    frame["patient_months_with"] = [_patient_months(rows[rows[dim] == v]) for v in frame[dim]]
    if dim == "outcome":
        frame = frame.sort_values(dim, key=lambda s: s.map(list(OUTCOMES).index))
    else:
        frame = frame.sort_values("minutes", ascending=False, kind="stable")
    total = pd.DataFrame({dim: [TOTAL], "minutes": [int(rows.minutes.sum())], "patient_months_with": [_patient_months(rows)]})
    frame = pd.concat([frame, total], ignore_index=True)[[dim, "patient_months_with", "minutes"]]
    frame = frame.astype({"patient_months_with": "int64", "minutes": "float64"})
    frame["pct_of_logged"] = frame["minutes"] / (frame["minutes"].iloc[-1] or float("nan"))
    safe = privacy.protect(frame, ["patient_months_with"], [dim],
                           hide_with={"minutes": ["patient_months_with"], "pct_of_logged": ["patient_months_with"]})
    if privacy.external:
        safe = hide_small_unions(safe, rows, dim, privacy.threshold)
    if dim == "outcome":
        safe["meaning"] = [("all logged minutes" if o == TOTAL else OUTCOMES[o]) for o in safe[dim]]
        safe["outcome_label"] = [TOTAL if o == TOTAL else formats.label(o) for o in safe[dim]]
    if dim == "contact_mode":
        safe["contact_mode_label"] = [TOTAL if m == TOTAL else formats.contact_mode(m) for m in safe[dim]]
    return safe


def breakdowns(alloc: Allocation, privacy: Privacy, dims=("outcome", "activity_category", "contact_mode")) -> dict:
    """breakdown() per dim, protected together: a row of one table holding the same minutes as a
    row of another (administrative time is an activity category and a reason minutes did not
    count; separately billed services too) is shown in both or hidden in both. Otherwise one
    table's shown twin fills in what the other hides, and the total less the rest leaves minutes
    over 1-10 patient-months. Where another table's hidden rows are all twins of this one's, the
    reader knows their sum: this table's other hidden rows must then cover 0 or 11+ patient-months
    too, or one more row is hidden."""
    frames = {dim: breakdown(alloc, privacy, dim) for dim in dims}
    if not privacy.external:
        return frames
    rows = alloc.rows.reset_index(drop=True)
    twins = _twins(rows, dims)
    hidden = {d: {frames[d].at[i, d] for i in frames[d].attrs.get("suppressed", {}).get("minutes", ())} for d in dims}
    lo, hi = privacy.threshold
    changed = True
    while changed:
        changed = False
        for group in twins:
            if any(v in hidden[d] for d, v in group) and not all(v in hidden[d] for d, v in group):
                for d, v in group:
                    hidden[d].add(v)
                changed = True
        for d in dims:
            known_sums = [hidden[d]]  # the table's own hidden rows: the total less the rows shown
            for other in dims:
                twin_in_d = {ov: dv for g in twins for (od, ov) in g if od == other for (dd, dv) in g if dd == d}
                if other != d and hidden[other] and all(v in twin_in_d for v in hidden[other]):
                    known_sums.append(hidden[d] - {twin_in_d[v] for v in hidden[other]})
            shown = [v for v in frames[d][d] if v != TOTAL and v not in hidden[d]]
            if shown and any(lo <= _patient_months(rows[rows[d].isin(list(part))]) <= hi for part in known_sums if part):
                table = frames[d].set_index(d)
                hidden[d].add(min(shown, key=lambda v: (table.at[v, "minutes"], table.at[v, "patient_months_with"])))
                changed = True
    return {d: _hide_rows(frames[d], d, hidden[d]) for d in dims}


def _twins(rows: pd.DataFrame, dims) -> list[list[tuple[str, str]]]:
    """Groups of (dim, value) across tables that select the very same rows (the same minutes)."""
    by_rows: dict[frozenset, list] = {}
    for d in dims:
        for value, part in rows.groupby(d).groups.items():
            by_rows.setdefault(frozenset(part), []).append((d, value))
    return [g for g in by_rows.values() if len({d for d, _ in g}) > 1]


def _hide_rows(safe: pd.DataFrame, dim: str, values) -> pd.DataFrame:
    cells = set(safe.index[safe[dim].isin(list(values))])
    masks = {c: set(v) for c, v in safe.attrs.get("suppressed", {}).items()}
    out = safe.copy()
    for col in ("patient_months_with", "minutes", "pct_of_logged"):
        masks[col] = masks.get(col, set()) | cells
        out[col] = out[col].mask(out.index.isin(list(masks[col])))
    out.attrs["suppressed"] = {c: frozenset(v) for c, v in masks.items()}
    return out


def hide_small_unions(safe: pd.DataFrame, rows: pd.DataFrame, dim: str, threshold: tuple[int, int]) -> pd.DataFrame:
    """Hide more rows while the hidden rows of a table (whose minutes add up to the shown total
    less the shown rows) together cover a count in `threshold` (the page's Privacy.threshold)
    of patient-months: the smallest shown row goes next."""
    lo, hi = threshold
    hidden = {c: set(v) for c, v in safe.attrs.get("suppressed", {}).items()}
    parts = safe[safe[dim] != TOTAL]
    while True:
        gone = [i for i in parts.index if i in hidden.get("minutes", ())]
        covered = _patient_months(rows[rows[dim].isin(parts.loc[gone, dim])]) if gone else 0
        shown = [i for i in parts.index if i not in gone]
        if not (lo <= covered <= hi) or not shown:
            break
        pick = min(shown, key=lambda i: (parts.loc[i, "minutes"], parts.loc[i, "patient_months_with"]))
        for col in ("patient_months_with", "minutes", "pct_of_logged"):
            hidden.setdefault(col, set()).add(pick)
    out = safe.copy()
    for col, cells in hidden.items():
        out[col] = out[col].mask(out.index.isin(list(cells)))
    out.attrs["suppressed"] = {c: frozenset(v) for c, v in hidden.items()}
    return out


# --- what the lost minutes would have been worth --------------------------------------------


def lost_value(alloc: Allocation, privacy: Privacy) -> pd.DataFrame:
    """Per reason whose minutes are countable in principle (and all three together, the All row):
    the patient-months with such minutes, those that would bill more with them counted, and the
    dollars at the fee schedule (hidden with either count)."""
    lost = alloc.lost
    parts = []
    for reason in RECOVERABLE:
        mine = lost[lost.reason == reason]
        parts.append({"reason": TOTAL if reason == "all" else reason,
                      "months_affected": int((mine.minutes_lost > 0).sum()),
                      "months_billing_more": int((mine.value > 0).sum()),
                      "lost_value": float(mine.value.sum())})
    frame = pd.DataFrame(parts)
    safe = privacy.protect(frame, ["months_affected", "months_billing_more"], ["reason"],
                           hide_with={"lost_value": ["months_affected", "months_billing_more"]})
    safe["meaning"] = [RECOVERABLE["all" if r == TOTAL else r] for r in safe.reason]
    return safe


def lost_value_not_priced_note(alloc: Allocation, privacy: Privacy) -> str:
    """The sentence beside the lost value when some patient-months with lost minutes have no fee on
    file for the codes they would reach (every month of a new year until its fee schedule is
    added): their value is unknown and not in the dollars, which would otherwise read as if the
    minutes were worth nothing. Protected like the page's other counts."""
    lost = alloc.lost
    unknown = lost[(lost.reason == "all") & (lost.minutes_lost > 0) & lost.value.isna()]
    if unknown.empty:
        return ""
    return (f"{how_many(len(unknown), 'patient-month', privacy)} not priced (no fee on file for the code they would "
            f"reach in their month): their value is not in these dollars. {ADD_FEES}")


# --- billed months against their thresholds -------------------------------------------------


def thresholds(alloc: Allocation, privacy: Privacy) -> pd.DataFrame:
    """Per base code billed: patient-months, the threshold(s) in force, mean countable minutes,
    mean minutes past the threshold, and the share within JUST_PAST minutes of it; the All row."""
    billed = alloc.billed.assign(code=alloc.billed.billed_base_code,
                                 just_past=alloc.billed.minutes_past_threshold < JUST_PAST)
    agg = dict(billed_months=("patient_id", "size"), just_past=("just_past", "sum"),
               countable_minutes=("countable_minutes", "sum"), minutes_past=("minutes_past_threshold", "sum"))
    frame = billed.groupby("code", as_index=False).agg(**agg)
    total = billed.assign(code=TOTAL).groupby("code", as_index=False).agg(**agg) if len(billed) else \
        pd.DataFrame({"code": [TOTAL], "billed_months": [0], "just_past": [0], "countable_minutes": [0], "minutes_past": [0]})
    frame = pd.concat([frame, total], ignore_index=True).astype({"billed_months": "int64", "just_past": "int64"})
    base = frame["billed_months"].where(frame["billed_months"] > 0)
    frame["mean_countable_minutes"] = frame.pop("countable_minutes") / base
    frame["mean_minutes_past_threshold"] = frame.pop("minutes_past") / base
    frame["pct_just_past"] = frame["just_past"] / base
    means = ["mean_countable_minutes", "mean_minutes_past_threshold"]
    safe = privacy.protect(frame, ["billed_months", "just_past"], ["code"], rates={"pct_just_past": ("just_past", "billed_months")},
                           hide_with={m: ["billed_months"] for m in means})
    limits = billed.groupby("code").code_from_minutes.agg(["min", "max"])
    safe["threshold"] = [_minutes_range(limits, c) for c in safe.code]
    return safe


def _minutes_range(limits: pd.DataFrame, code: str) -> str:
    if code not in limits.index:
        return ""
    lo, hi = int(limits.loc[code, "min"]), int(limits.loc[code, "max"])
    return f"{lo} minutes" if lo == hi else f"{lo}-{hi} minutes"


# --- per staff member (internal only) -------------------------------------------------------


def staff_months(alloc: Allocation, privacy: Privacy) -> pd.DataFrame:
    """Per staff member (of every role that logs time) and month: patients, logged and counted minutes, each
    outcome's minutes, and the share of the logged minutes that supported a billable code."""
    _internal_only(privacy)
    keys = ["staff_id", "staff_role", "month"]
    frame = _staff_minutes(alloc.rows, keys, patients=("patient_id", "nunique"))
    columns = [*keys, "staff_role_label", "patients", "logged_minutes", "counted_minutes", "share_supported_code", *OUTCOMES]
    return frame[columns].astype({c: "int64" for c in ["logged_minutes", "counted_minutes", *OUTCOMES]})


def staff_totals(alloc: Allocation, privacy: Privacy) -> pd.DataFrame:
    """Per staff member (of every role that logs time) over the report's period, and the All row:
    the months they logged time in, their patients, logged and counted minutes, each outcome's
    minutes, and the share of the logged minutes that supported a billable code. The page's
    per-staff table: a row per staff member and month ran to some 260 rows at 200 patients, which
    no director reads; that detail is the workbook's 'per staff and month' sheet (staff_months)."""
    _internal_only(privacy)
    keys = ["staff_id", "staff_role"]
    counts = {"months_with_time": ("month", "nunique"), "patients": ("patient_id", "nunique")}
    everyone = _staff_minutes(alloc.rows.assign(staff_id=TOTAL, staff_role=""), keys, **counts).assign(staff_role_label="")
    frame = pd.concat([_staff_minutes(alloc.rows, keys, **counts), everyone], ignore_index=True)
    columns = [*keys, "staff_role_label", "months_with_time", "patients", "logged_minutes", "counted_minutes",
               "share_supported_code", *OUTCOMES]
    return frame[columns].astype({c: "int64" for c in ["months_with_time", "patients", "logged_minutes", "counted_minutes",
                                                       *OUTCOMES]})


def _staff_minutes(rows: pd.DataFrame, keys: list[str], **counts) -> pd.DataFrame:
    """Time-log rows per `keys` (a staff member, and a month or not): the `counts` (named
    aggregations), logged minutes, each outcome's minutes, the minutes counted, and the share of the
    logged minutes that supported a billable code; the role in words."""
    minutes = rows.pivot_table(index=keys, columns="outcome", values="minutes", aggfunc="sum", fill_value=0)
    frame = rows.groupby(keys).agg(**counts, logged_minutes=("minutes", "sum"))
    for col in OUTCOMES:
        frame[col] = minutes[col] if col in minutes else 0
    frame["counted_minutes"] = frame[list(COUNTED)].sum(axis=1)
    frame["share_supported_code"] = frame["supported_code"] / frame["logged_minutes"].where(frame["logged_minutes"] > 0)
    frame = frame.reset_index()
    frame["staff_role_label"] = frame["staff_role"].map(formats.role)  # shown; care_managers() filters on the code
    return frame


def staff_detail_note(staff: pd.DataFrame, parameters: dict) -> str:
    """Under the page's per-staff table, where its month-by-month detail is (`staff`: staff_months,
    one row per staff member and month): the workbook's sheet, and the command that writes it with
    the page's parameters."""
    command = report_command("time_allocation", parameters, "--tables time_allocation.xlsx")
    return (f"One row per staff member over the report's period. The month-by-month detail ({formats.count(len(staff))} "
            "rows for this page: a row per staff member and month, with a column for each reason minutes did not count) "
            f"is the sheet '{STAFF_MONTH_SHEET}' of this page's workbook, which <code>{html.escape(command)}</code> writes.")


def staff_table(staff: pd.DataFrame) -> pd.DataFrame:
    """A staff_totals (or staff_months) frame as the page shows it: the minutes not counted in one
    column and, beside them, the reasons with their minutes in words ('75 administrative; 120 no
    consent on file', in the order the page lists reasons; a reason not named had none). With a
    column per reason the table ran to eighteen columns, mostly 0, and a 1366 px laptop scrolled
    sideways for them. The workbook keeps a column per reason (STAFF_TOTAL_COLUMNS, STAFF_COLUMNS),
    for finance to filter and sum."""
    out = staff.copy()
    out["not_counted"] = out[NOT_COUNTED].sum(axis=1).astype("int64")
    out["not_counted_reasons"] = ["; ".join(f"{formats.count(row[o])} {formats.label(o)}" for o in NOT_COUNTED if row[o])
                                  for _, row in out.iterrows()]
    return out


def purpose(alloc: Allocation, privacy: Privacy) -> str:
    """What the page shows, naming the roles whose minutes its totals hold: titled after care
    managers, it added the psychiatric consultants' and treating practitioners' minutes unsaid."""
    present = set(alloc.rows.staff_role.dropna())
    roles = [r for r in formats.ROLES if r in present] + sorted(present - set(formats.ROLES))
    words = [formats.role(r) + ("" if formats.role(r).endswith("staff") else "s") for r in roles]
    who = (", ".join(words[:-1]) + " and " + words[-1]) if len(words) > 1 else "".join(words) or "nobody yet"
    per_staff = ", by staff member and month" if not privacy.external else ""
    return (f"Every minute logged for the program's patients by everyone who logs time (here: {who}), by activity and "
            f"contact mode{per_staff}: which minutes counted towards a billing code, which did not and why, and how far "
            "billed months go past their thresholds.")


def care_managers(staff: pd.DataFrame) -> pd.DataFrame:
    """The rows of care managers (role bhcm, config.rules.ROLES) of a per-staff frame: the others
    (psychiatric consultants, treating practitioners) log time whose share would only add lines at 0%."""
    return staff[staff.staff_role == "bhcm"]


def staff_period(alloc: Allocation, privacy: Privacy, dim: str) -> pd.DataFrame:
    """Minutes over the period per care manager (rows) and activity category or contact mode
    (columns), with each care manager's logged total and the All row; the role in words
    (staff_role_label), as the page and the workbook show it."""
    _internal_only(privacy)
    table = alloc.rows.pivot_table(index=["staff_id", "staff_role"], columns=dim, values="minutes", aggfunc="sum",
                                   fill_value=0)
    table = table[table.sum().sort_values(ascending=False).index]
    table["logged_minutes"] = table.sum(axis=1)
    table = table.reset_index()
    total = table.drop(columns=["staff_id", "staff_role"]).sum().to_frame().T.assign(staff_id=TOTAL, staff_role="")
    out = pd.concat([table, total[table.columns]], ignore_index=True)
    words = formats.contact_mode if dim == "contact_mode" else str
    out.columns = [c if c in ("staff_id", "staff_role", "logged_minutes") else words(c) for c in out.columns]
    out["staff_role"] = [formats.role(r) if r else "" for r in out["staff_role"]]  # the role in words, as shown
    out = out.rename(columns={"staff_role": "staff_role_label"})
    return out.astype({c: "int64" for c in out.columns if c not in ("staff_id", "staff_role_label")})


def _internal_only(privacy: Privacy) -> None:
    if privacy.external:
        raise ValueError("per staff-member detail is for the internal version only: " + STAFF_NOTE)


# --- headline -------------------------------------------------------------------------------


def headlines(month_table: pd.DataFrame, lost_table: pd.DataFrame) -> list[Headline]:
    """What the minutes countable in principle would have been worth, the minutes logged, the
    share that supported a billable code and the minutes not counted, from the protected families."""
    lost = _row(lost_table, "reason")
    total = _row(month_table, "period")
    def card(label, frame, index, col, kind, detail):
        value, hidden = _value(frame, index, col)
        return Headline(label, value, kind, detail, hidden)

    return [
        card("what the minutes lost to consent or an unknown activity name would have been worth", lost_table, lost, "lost_value", "dollars",
             _lost_detail(lost_table, lost)),
        card("minutes logged", month_table, total, "logged_minutes", "number", _over(month_table, total)),
        card("of them supported a billable code", month_table, total, "share_supported_code", "rate",
             "share of all logged minutes"),
        card("minutes not counted", month_table, total, "not_counted", "number", "for the reasons below"),
    ]


def _row(frame: pd.DataFrame, col: str):
    return frame.index[frame[col] == TOTAL][0]


def _hidden(frame: pd.DataFrame, index, col: str) -> bool:
    return index in frame.attrs.get("suppressed", {}).get(col, ())


def _value(frame: pd.DataFrame, index, col: str) -> tuple:
    """(value, hidden) of one cell of a protected frame (None: hidden, or no base)."""
    if _hidden(frame, index, col):
        return None, True
    value = frame.loc[index, col]
    return (None if pd.isna(value) else float(value)), False


def _lost_detail(frame: pd.DataFrame, index) -> str:
    """The base of the lost value: the patient-months that would bill more (most months with such
    minutes would not: the minutes do not reach the next code)."""
    if _hidden(frame, index, "months_billing_more"):
        return "at the fee schedule"
    more = f" in the {formats.count(frame.loc[index, 'months_billing_more'])} patient-months that would bill more"
    of = "" if _hidden(frame, index, "months_affected") else f" (of {formats.count(frame.loc[index, 'months_affected'])} with such minutes)"
    return f"at the fee schedule{more}{of}"


def _over(frame: pd.DataFrame, index) -> str:
    if _hidden(frame, index, "patient_months_with_time"):
        return ""
    return f"over {formats.count(frame.loc[index, 'patient_months_with_time'])} patient-months"


# --- for charts -----------------------------------------------------------------------------


def parts(frame: pd.DataFrame, dim: str) -> pd.DataFrame:
    """The rows of a protected breakdown a chart plots (every row but All), marks kept."""
    out = frame[frame[dim] != TOTAL].copy()
    out.attrs["suppressed"] = frame.attrs.get("suppressed", {})
    return out


# --- the page's setup and its tables, for the page and its workbook -------------------------

# The columns of each table the page shows (the notebook's and the workbook's, so they cannot drift)
MONTH_COLUMNS = ["period", "patient_months_with_time", "logged_minutes", "supported_code", "below_threshold", "not_counted",
                 "share_supported_code"]
OUTCOME_COLUMNS = ["outcome_label", "meaning", "patient_months_with", "minutes", "pct_of_logged"]
LOST_COLUMNS = ["meaning", "months_affected", "months_billing_more", "lost_value"]
THRESHOLD_COLUMNS = ["code", "threshold", "billed_months", "mean_countable_minutes", "mean_minutes_past_threshold", "just_past",
                     "pct_just_past"]
STAFF_FIGURES = ["patients", "logged_minutes", "counted_minutes", "share_supported_code"]  # a staff member's, a month or the period
STAFF_MINUTES = ["staff_id", "staff_role_label", "month", *STAFF_FIGURES]
STAFF_COLUMNS = [*STAFF_MINUTES, *NOT_COUNTED]  # the workbook's 'per staff and month' sheet: a column per reason
STAFF_MONTH_SHEET = "per staff and month"  # not on the page (staff_detail_note says where it is)
# The page's per-staff table, one row per staff member over the period (staff_totals), and its sheet
STAFF_TOTAL_MINUTES = ["staff_id", "staff_role_label", "months_with_time", *STAFF_FIGURES]
STAFF_TOTAL_COLUMNS = [*STAFF_TOTAL_MINUTES, *NOT_COUNTED]  # the workbook's sheet: a column per reason
STAFF_PAGE_COLUMNS = [*STAFF_TOTAL_MINUTES, "not_counted", "not_counted_reasons"]  # the page's (staff_table): the reasons in words
STAFF_TOTAL_SHEET = "per staff, where minutes went"
DIMS = {"activity_category": "activity category", "contact_mode": "contact mode"}
BREAKDOWN_COLUMNS = ["patient_months_with", "minutes", "pct_of_logged"]  # after the activity category or contact mode
SHOWN = {"activity_category": "activity_category", "contact_mode": "contact_mode_label"}  # the column in words


@dataclass
class Report:
    """One rendering of the page: for whom, under which rules, the months it shows (an external
    page shows whole calendar quarters), the clinic and the minutes."""

    privacy: Privacy
    rules: object  # config.rules.Rules
    period: ReportPeriod
    clinic: str | None
    alloc: Allocation

    @classmethod
    def prepare(cls, con, start_month=None, end_month=None, clinic: str | None = None, rules=None,
                audience: str = "internal") -> Report:
        """What the notebook's parameters resolve to: the rules asked for (else the store's own), the
        months asked for (else the months with logged time), widened for an external page."""
        privacy = Privacy.of_store(con, audience)
        ruleset = resolve_rules(con, rules)
        period = privacy.period(*report_period(con, start_month, end_month), latest_data_date(con))
        return cls(privacy, ruleset, period, clinic, Allocation.load(con, period.start, period.end, ruleset, clinic))


def workbook(con, report: Report, path: str | Path, *, share: bool = False) -> Path:
    """The page's tables as an Excel workbook finance can filter and sum: one sheet per table, the
    same rows and numbers as the page for the same parameters and audience (the same functions
    build them), with `suppressed` naming the cells hidden in each row of an external workbook
    (empty there, as a missing number is: '*' and '-' on the page). 'about' says what it is of.
    Per staff-member sheets in the internal workbook only, as on the page. Private (0600) unless
    `share` and the audience is external."""
    from bcm_analytics import private_files

    privacy, alloc = report.privacy, report.alloc
    grain, month_table = months(alloc, privacy)
    tables = breakdowns(alloc, privacy)
    sheets = {"about": _about(con, report, grain)}
    sheets[f"by {grain}"] = _sheet(month_table, MONTH_COLUMNS, privacy, {"period_start": _first_month(month_table)})
    sheets["where minutes went"] = _sheet(tables["outcome"], OUTCOME_COLUMNS, privacy)
    lost = lost_value(alloc, privacy)
    sheets["lost minutes value"] = _sheet(lost.assign(reason=lost["meaning"]), ["reason", *LOST_COLUMNS[1:]], privacy)
    for dim, name in DIMS.items():
        sheets[f"by {name}"] = _sheet(tables[dim], [SHOWN[dim], *BREAKDOWN_COLUMNS], privacy)
    sheets["thresholds"] = _sheet(thresholds(alloc, privacy), THRESHOLD_COLUMNS, privacy)
    if not privacy.external:
        staff = staff_months(alloc, privacy)
        staff["month"] = staff["month"].dt.date  # a DATE, shown yyyy-mm (a date-time would show its midnight)
        sheets[STAFF_MONTH_SHEET] = _sheet(staff, STAFF_COLUMNS, privacy)
        sheets[STAFF_TOTAL_SHEET] = _sheet(staff_totals(alloc, privacy), STAFF_TOTAL_COLUMNS, privacy)
        for dim, name in DIMS.items():
            frame = staff_period(alloc, privacy, dim)
            sheets[f"per staff, {name}"] = _sheet(frame, list(frame.columns), privacy)
    path = write_workbook(sheets, path)
    return private_files.set_mode(path, share=share and privacy.external)


def _first_month(frame: pd.DataFrame) -> pd.Series:
    return frame["period_start"].map(lambda v: None if pd.isna(v) else pd.Timestamp(v).date())


def _sheet(frame: pd.DataFrame, columns: list[str], privacy: Privacy, extra: dict | None = None) -> Sheet:
    """A protected table as a sheet: its page columns, with `suppressed` in an external one."""
    shown = frame[columns].copy()
    shown.attrs = {"suppressed": frame.attrs.get("suppressed", {})}
    out = shown.copy()
    out.attrs = {}
    for name, values in (extra or {}).items():
        out.insert(1, name, values)
    if privacy.external:
        out["suppressed"] = suppressed_names(shown)
    return Sheet(out.reset_index(drop=True))


def _about(con, report: Report, grain: str) -> pd.DataFrame:
    """What the workbook is of, as the page's header says it."""
    names = clinic_names(con)
    rows = [("report", f"{TITLE} (the tables of the time-allocation page)"),
            ("period", f"{report.period.start:%Y-%m} to {report.period.end:%Y-%m}"),
            ("rows of the first table", f"per {grain}"),
            ("clinic", names.get(report.clinic, report.clinic) if report.clinic else "all"),
            ("rules", report.rules.id), ("audience", report.privacy.audience)]
    if report.period.note:
        rows.append(("period note", report.period.note))
    if report.privacy.external:
        rows.append(("suppression", report.privacy.note() + " A hidden cell is empty; the row's `suppressed` column "
                                    "names its hidden cells."))
    else:
        rows.append(("privacy", f"Internal use only: true counts, including {report.privacy.range_words}, and per staff-member detail. "
                                "The external workbook (--audience external) applies the CMS cell-size rule."))
    return pd.DataFrame(rows, columns=["item", "value"])
