"""The finance workbook: one work queue, the totals it adds up to, and the evidence.

Sheets, in order:
  work queue  one row per finding that needs work (revenue or compliance), most dollars first,
              then those that ask for the data to be checked (review: a claim line in the
              quarantine, no initiating visit, a claim to a payer the coverage does not name, a
              denial to let stand), with the payer's reason beside a denied line (denial_reason,
              where the claims export gives one), a claim dated before its threshold was met with
              its date (date_of_service) and the day the minutes reached it (threshold_met_on), as
              dates to sort by, a payer_mismatch's payer billed and the month's coverage on file
              (billed_payer, coverage_on_file), and empty status / owner / notes / due columns for
              finance to fill
  summary     findings and dollars per finding and severity (the queue and the info notes
              add up to it; matched months are not findings), and how many findings' dollars
              are not priced (no fee on file, no charge amount: not in the sum), with a totals
              row that a filter on severity turns into that severity's total; counted_at_stake
              holds a claim line in two findings once, so its totals are by_month's
  by_month    expected, billed, paid and at stake per service month, with a totals row (and the
              expected lines and findings whose dollars are not in them for want of a fee, and
              claims_not_loaded: no claim line of the month is in the store, so its expected lines
              all read as missed billing)
  expected_to_billed
              the walk from expected to billed dollars, line by line (missed, claim lines in the
              quarantine, exposure, claims for unknown patients, moved to another code or NPI,
              charges other than the fee), with the findings behind each line: by_month's
              expected and billed are its ends, and its lines
              add up from one to the other to the cent (the headline's missed revenue and exposure
              do not: marts.recon_bridge)
  info        findings with no dollars at stake (e.g. minutes logged without consent on file,
              never billed): worth knowing, not worth a queue row
  evidence    the time-log entries behind every expected line
  about       what the workbook is of, as the page's header says it: the service months, the
              rules, the data's freshness, that it names patients, what each sheet holds and that
              by_month's totals row is the page's headline (last: the work queue stays first)
It names patients, so it is a separate, explicit output (`bcm reconcile --out FILE.xlsx`, the
demo's reports/billing_reconciliation.xlsx), never part of the HTML report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bcm_analytics.billing import evidence
from bcm_analytics.billing.engine import billing_marts
from bcm_analytics.billing.reconcile import (
    FINDINGS,
    SEVERITIES,
    TO_WORK,
    bridge,
    finding_name,
    finding_words,
    findings,
    monthly_totals,
    months_without_claims,
)
from bcm_analytics.reports.export import Sheet, in_service_months, no_rows, write_workbook
from bcm_analytics.reports.page import clinic_names, data_freshness, fmt

# denial_reason (the payer's reason for a denied line) beside the claims, after the columns the queue
# had; then a dated_before_threshold's claim date and the day the month's minutes reached its
# threshold, as dates of their own (the sentence says them too) for finance to sort and filter by;
# then a payer_mismatch's payer billed and the month's coverage on file (recon_findings' columns,
# empty on every other finding: `payer` is the payer in force), to filter the claims to rebill by:
# a new column goes after those the queue had, and the columns finance fills in stay the last four
QUEUE_COLUMNS = ["severity", "finding", "finding_label", "patient_id", "service_month", "clinic_id", "clinic_name",
                 "care_manager_id", "payer", "codes",
                 "amount_at_stake", "explanation", "claim_ids", "denial_reason", "date_of_service", "threshold_met_on",
                 "countable_minutes", "billed_payer", "coverage_on_file", "status", "owner", "notes", "due"]


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings counted and summed per finding and severity, severity first (revenue, compliance,
    review, info: the info rows had stood among the compliance ones): the totals are sums of the rows."""
    keys = pd.DataFrame([(f, s) for s in SEVERITIES for f in FINDINGS], columns=["finding", "severity"])
    grouped = frame.groupby(["finding", "severity"], as_index=False).agg(
        finding_rows=("patient_id", "size"),
        patient_months=("patient_id", lambda s: len(set(zip(s, frame.loc[s.index, "service_month"])))),
        amount_at_stake=("amount_at_stake", "sum"),
        counted_at_stake=("counted_at_stake", "sum"),
        findings_not_priced=("not_priced", "sum"),  # marts.recon_findings decides which
    )
    out = keys.merge(grouped, how="inner", on=["finding", "severity"])
    # the finding in words beside its id (the rows carry it from findings_query; the workbook's
    # other sheets too): finance reads 'billed without consent', not 'missing_consent'
    out.insert(1, "finding_label", [finding_name(f, s) for f, s in zip(out["finding"], out["severity"])])
    out["meaning"] = [finding_words(f, s).meaning for f, s in zip(out["finding"], out["severity"])]
    return out


def codes(rows: pd.DataFrame) -> pd.Series:
    """'expected 99493 x2; billed 99493 on 2 claim lines' per finding row (either side may be
    absent): a duplicate's code billed twice read 'expected 99493; billed 99493', a match."""
    def side(word, code, units, lines=None):
        if pd.isna(code) or code == "":
            return ""
        return (f"{word} {code}" + (f" x{int(units)}" if pd.notna(units) and int(units) > 1 else "")
                + (f" on {int(lines)} claim lines" if pd.notna(lines) and int(lines) > 1 else ""))

    return pd.Series([
        "; ".join(p for p in (side("expected", e, eu), side("billed", b, bu, bl)) if p)
        for e, eu, b, bu, bl in zip(rows.expected_code, rows.expected_units, rows.billed_code, rows.billed_units, rows.billed_lines)
    ], index=rows.index, dtype=object)


def _as_month(text: pd.Series) -> pd.Series:
    """'2026-03' -> 2026-03-01 as a real date (Excel shows it yyyy-mm), a Python date: a workbook
    shows a pandas date-time with its time of day (reports.export)."""
    return pd.to_datetime(text.astype(str).str.slice(0, 7) + "-01").dt.date


def _as_day(values: pd.Series) -> pd.Series:
    """A date column as Python dates, None where there is none: a workbook shows a pandas
    date-time with its time of day (reports.export), and a date of service has none."""
    days = pd.to_datetime(values)
    return pd.Series([d.date() if pd.notna(d) else None for d in days], index=values.index, dtype=object)


def with_clinic_names(rows: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The rows with clinic_name beside clinic_id (the id where the export names none): the page and
    the worklists name clinics, and an id alone (CL003) is not how finance knows them."""
    out = rows.copy()
    out.insert(list(out.columns).index("clinic_id") + 1, "clinic_name", out["clinic_id"].map(lambda c: names.get(c, c)))
    return out


def work_queue(rows: pd.DataFrame, names: dict, keep_index: bool = False) -> pd.DataFrame:
    """Findings that need work, most dollars at stake first (then revenue, compliance, review,
    oldest month first), with the clinics' names (`names`, clinic_id -> name) and the columns
    finance fills in left empty. `keep_index`: each row keeps its index in `rows` (the page finds
    a clinic's findings among every clinic's queue by it)."""
    work = with_clinic_names(rows[rows.severity.isin(TO_WORK)], names)
    work["codes"] = codes(work)
    # a dated_before_threshold's rule_date is the day the month's minutes reached the claim's threshold
    work["threshold_met_on"] = work["rule_date"].where(work["finding"] == "dated_before_threshold")
    work["amount_at_stake"] = work["amount_at_stake"].round(2)
    work["_severity"] = work["severity"].map({s: i for i, s in enumerate(TO_WORK)})
    work = work.sort_values(["amount_at_stake", "_severity", "service_month", "patient_id", "finding"],
                            ascending=[False, True, True, True, True], kind="stable")
    for col in ("status", "owner", "notes", "due"):
        work[col] = None
    return work[QUEUE_COLUMNS] if keep_index else work[QUEUE_COLUMNS].reset_index(drop=True)


def _evidence(con, start, end, rules) -> pd.DataFrame:
    """The evidence lines with each entry's day and its start time where one was logged, not
    service_at, which shows a day alone as midnight (a finance lead read 00:00 as a time logged)."""
    frame = evidence(con, start, end, rules).drop(columns="service_at")
    if "service_month" in frame.columns and len(frame):
        frame["service_month"] = _as_month(frame["service_month"])
        frame["service_date"] = _as_day(frame["service_date"])
    return frame


# The totals row of a sheet of findings adds missed revenue and compliance exposure together: the
# page's headline never does (a finance lead read the work queue's total as a figure of its own).
MIXED_TOTAL = "revenue and compliance dollars together, of the rows shown: filter severity for one of them"

SHEETS = {
    "work queue": "one row per finding to work, most dollars at stake first, with the payer's reason beside a denied line "
                  "(denial_reason, where the claims export gives one) and, for a claim dated before its threshold was met, "
                  "the claim's date (date_of_service) and the day the minutes reached it (threshold_met_on); the month's "
                  "countable minutes (countable_minutes: the codes follow from them); for a claim billed to a payer "
                  "the coverage does not name, the payer billed (billed_payer) and the month's coverage on file "
                  "(coverage_on_file); status, owner, notes and due are yours to fill",
    "summary": "findings and dollars per finding; filter severity for one severity's total (counted_at_stake holds a "
               "claim line in two findings once)",
    "by_month": "expected, billed, paid, missed revenue and compliance exposure per service month",
    "expected_to_billed": "the walk from expected to billed dollars: each line, the findings behind it; its lines add up "
                          "from by_month's expected to its billed to the cent (missed revenue and exposure do not)",
    "info": "findings with no dollars at stake (minutes logged without consent on file): worth knowing, no work-queue row",
    "evidence": "the time-log entries behind every expected line: each entry's day and its start time where one was logged",
}


def about(con, start, end, rules_id: str) -> pd.DataFrame:
    """What the workbook is of, as the page's header says it: a finance lead handed the file alone
    could not tell its months, its rules or how fresh its data was."""
    first, last = (str(m)[:7] for m in (start, end))
    rows = [("report", "Billing reconciliation: the patient-level rows behind the billing reconciliation page"),
            ("service months", first if first == last else f"{first} to {last}"),
            ("rules", rules_id), ("clinic", "all"), ("payer", "all"),
            ("privacy", "Internal use only: names patients, claims and dollars per patient; never share it outside the "
                        "program (the page's external version is the one to share)."),
            ("totals", "by_month's totals row is the page's headline for the same months and rules (expected, billed, "
                       "paid, missed revenue, compliance exposure); the work queue's total adds the dollars of each "
                       "finding row, so a claim line in two findings counts twice there (summary's counted_at_stake "
                       "counts it once)")]
    rows += [(key, fmt(value)) for key, value in data_freshness(con).items()]
    rows += [(f"sheet {name}", words) for name, words in SHEETS.items()]
    return pd.DataFrame(rows, columns=["item", "value"])


def reconciliation_workbook(con, start, end, path: str | Path, rules=None) -> Path:
    """Write the finance workbook for the service months start..end (see the module doc)."""
    rows = findings(con, start, end, rules)
    names = clinic_names(con)
    queue = work_queue(rows, names)
    queue["service_month"] = _as_month(queue["service_month"])
    for day in ("date_of_service", "threshold_met_on"):
        queue[day] = _as_day(queue[day])
    table = summary(rows[rows.finding != "matched"])  # as the info sheet: a matched month is no finding to count
    table[["amount_at_stake", "counted_at_stake"]] = table[["amount_at_stake", "counted_at_stake"]].round(2)
    months = monthly_totals(con, start, end, rules)
    months["service_month"] = _as_month(months["service_month"])
    months["pct_reconciled"] = months["reconciled_months"] / months["patient_months"].where(months["patient_months"] > 0)
    money = ["expected_amount", "billed_amount", "paid_amount", "missed_revenue", "compliance_exposure"]
    months[money] = months[money].round(2)
    # a month whose claims are not loaded reads all its expected lines as missed (the page's banner)
    marts = billing_marts(con, rules)
    months["claims_not_loaded"] = months["service_month"].isin(months_without_claims(marts, start, end))
    info = with_clinic_names(rows[(rows.severity == "info") & (rows.finding != "matched")], names)
    info["service_month"] = _as_month(info["service_month"])
    info = info[["finding", "finding_label", "patient_id", "service_month", "clinic_id", "clinic_name", "care_manager_id", "payer", "explanation"]]
    sheets = {
        "work queue": Sheet(queue, totals=["amount_at_stake"], widths={"explanation": 60, "denial_reason": 30, "notes": 30, "owner": 14,
                                                                   "status": 14, "due": 12, "date_of_service": 12,
                                                                   "threshold_met_on": 12, "billed_payer": 14,
                                                                   "coverage_on_file": 40},
                            totals_note={"explanation": MIXED_TOTAL}),
        "summary": Sheet(table[["finding", "finding_label", "severity", "meaning", "finding_rows", "patient_months", "amount_at_stake",
                                "counted_at_stake", "findings_not_priced"]],
                         totals=["finding_rows", "amount_at_stake", "counted_at_stake", "findings_not_priced"],
                         totals_note={"meaning": MIXED_TOTAL + "; finding_rows counts the info rows too"}),
        "by_month": Sheet(months, totals=money + ["patient_months", "reconciled_months", "months_with_revenue_finding",
                                                  "months_with_compliance_finding", "findings_not_priced", "lines_not_priced",
                                                  "billed_lines_without_charge"]),
        "expected_to_billed": Sheet(bridge(con, start, end, rules)[["line", "line_label", "walk_amount", "line_patient_months",
                                                                    "findings_behind", "meaning"]],
                                    widths={"line_label": 44, "findings_behind": 50, "meaning": 80}),
        "info": Sheet(info.reset_index(drop=True), widths={"explanation": 60}),
        "evidence": Sheet(_evidence(con, start, end, rules)),
    }
    for sheet in sheets.values():
        sheet.empty = no_rows(in_service_months(start, end))
    sheets["about"] = Sheet(about(con, start, end, marts.rules.id), widths={"item": 24, "value": 100})
    return write_workbook(sheets, path)
