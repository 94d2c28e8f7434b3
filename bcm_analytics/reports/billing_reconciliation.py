"""The billing reconciliation report's numbers: headlines, months, findings, breakdowns.

Everything comes from the billing API (billing.reconcile.findings and monthly_totals,
billing.near_threshold) and is protected through privacy.Privacy. The page's families, each
protected once and sharing nothing but the period's grand totals (which each treats as known):

  months        expected / billed / paid with the patient-months behind them and the
                reconciliation rate, per month (or quarter, year: privacy.roll_up)
  at stake      missed revenue, denied dollars and compliance exposure with the patient-months
                that carry them, per month (rolled up on its own: these counts are small)
  categories    findings and dollars per finding, within revenue / compliance
  denials       denied claim lines per the payer's reason (counts of lines, with their total)
  breakdowns    patient-months and dollars at stake by clinic, care manager and payer class,
                tied together by their hidden cross-tab
  near          patients near their next code, by that code

A dollar amount is hidden whenever the count of patient-months (or findings) it sums over is,
and adds up over exactly the same cells, so it is exactly as protected as its count.

Findings whose dollars are unknown (no fee on file, no charge amount) are in no dollar sum: each
sum says how many it leaves out, counted from what it sums (the monthly totals, or the finding
rows), and that count is protected like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from bcm_analytics.billing import near_threshold, payer_name
from bcm_analytics.billing.engine import NEAR_MARGIN
from bcm_analytics.billing.reconcile import (
    AT_STAKE,
    FINDINGS,
    bridge,
    denial_reasons,
    finding_name,
    finding_words,
    findings,
    monthly_totals,
)
from bcm_analytics.months import month_start
from bcm_analytics.reports import formats
from bcm_analytics.reports.finance_workbook import work_queue
from bcm_analytics.reports.page import Headline, clinic_names
from bcm_analytics.reports.privacy import GRAINS, MOST_HIDDEN, TOTAL, Privacy, by_period, grain_note, hidden_share, hide_beside

UNKNOWN = "(claims for unknown patients)"
NO_REASON = "(no reason in the claims export)"
# A payer's reason as an outside reader sees it: its code alone (CO-16, 97, N130, the CARC or RARC
# with its group), never its words, which a claims export may write freely (a name, a diagnosis).
REASON_CODE = re.compile(r"\s*(?:(CO|PR|OA|PI|CR)\s*[-: ]?\s*)?([A-Z]{0,2}\d{1,4})\b", re.IGNORECASE)
WORDS_ONLY = "(a reason in words only: not shown outside)"
OUTSIDE_REASONS = ("Each reason is shown by its code alone (CO-16, 97): a claims export may write a reason's words "
                   "freely, and they could name a patient or a diagnosis. The glossary says how to read a code.")
NOT_RECORDED = "(none recorded)"
SETTINGS = {"fqhc": "FQHC", "rhc": "RHC", "physician_practice": "physician practice"}
PROGRAMS = {"cocm": "CoCM", "general_bhi": "general BHI"}

MONTH_COUNTS = ["patient_months", "reconciled_months"]
MONTH_DOLLARS = ["expected_amount", "billed_amount", "paid_amount"]
BILLED_PAID = ["billed_amount", "paid_amount"]
STAKE_COUNTS = ["months_with_revenue_finding", "months_with_denial", "months_with_compliance_finding"]
NOT_PRICED = "findings_not_priced"
LINES_NOT_PRICED = "lines_not_priced"
BILLED_WITHOUT_CHARGE = "billed_lines_without_charge"
ADD_FEES = "Add the year's fee schedule (fee_schedules in the rules file; docs/billing.md, Fee schedules)."
STAKE_TABLE = ["period", "months_with_revenue_finding", "missed_revenue", "months_with_denial", "denied_amount",
               "months_with_compliance_finding", "compliance_exposure"]
STAKE_DOLLARS = {"missed_revenue": ["months_with_revenue_finding"], "denied_amount": ["months_with_denial"],
                 "compliance_exposure": ["months_with_compliance_finding"]}
BREAKDOWN_COUNTS = ["patient_months", "reconciled_months", "months_with_revenue_finding", "months_with_compliance_finding"]
BREAKDOWN_DOLLARS = {"missed_revenue": ["months_with_revenue_finding"],
                     "compliance_exposure": ["months_with_compliance_finding"]}
RECONCILED = {"pct_reconciled": ("reconciled_months", "patient_months")}
# Expected minus billed is about the missed revenue less the compliance exposure (a wrong code or
# NPI counts its whole claim as exposure while the supported code stays expected), and billed minus
# paid the denied dollars: where a count of months at stake is hidden, billed and paid are too.
HIDE_BILLED_WITH_STAKES = {"expected_amount": ["patient_months"], "billed_amount": ["patient_months", *STAKE_COUNTS],
                           "paid_amount": ["patient_months", *STAKE_COUNTS]}


@dataclass
class Reconciliation:
    """The period's findings and monthly totals for one clinic / payer selection; `every`: the
    period's findings of every clinic and payer, as the finance workbook lists them (None: `rows`)."""

    rows: pd.DataFrame
    months: pd.DataFrame
    start: date
    end: date
    clinic_names: dict
    every: pd.DataFrame | None = None

    @classmethod
    def load(cls, con, start, end, rules, clinic=None, payer=None) -> Reconciliation:
        every = findings(con, start, end, rules)
        rows = narrow(every, clinic, payer, payer_name(con, payer, rules))
        months = monthly_totals(con, start, end, rules, clinic, payer)
        months = months.merge(_denials(rows), on="service_month", how="left").fillna(
            {"months_with_denial": 0, "denied_amount": 0.0})
        months["months_with_denial"] = months["months_with_denial"].astype("int64")
        months["month"] = pd.to_datetime(months["service_month"] + "-01")
        return cls(rows, months, month_start(start), month_start(end), clinic_names(con), every)

    def payer_shown(self, payer: str | None) -> str | None:
        """The payer asked for, as the page's header states it. A word that is also a payer class
        (Medicaid) keeps every payer of that class here (narrow), where the outcome pages, which
        read a payer name only, keep the payer of that name: the header names the payers kept."""
        if payer is None:
            return None
        kept = sorted(self.rows.loc[self.rows.payer_class == payer.lower(), "payer"].dropna().unique())
        if {k.lower() for k in kept} <= {payer.lower()}:
            return payer
        return f"{payer} (payer class {payer.lower()}: {', '.join(kept)})"

    def totals(self) -> pd.Series:
        return self.months[MONTH_COUNTS + MONTH_DOLLARS + STAKE_COUNTS + list(STAKE_DOLLARS)].sum()


def narrow(rows: pd.DataFrame, clinic: str | None = None, payer: str | None = None, name: str | None = None) -> pd.DataFrame:
    """Findings of one clinic and/or one payer (a payer name or class); None keeps all. `name`: the
    payer as the marts read it (billing.payer_name: an alias is the payer it names), else `payer`.

    Claims for unknown patients have neither, so they stay only when nothing is narrowed.
    """
    keep = pd.Series(True, index=rows.index)
    if clinic is not None:
        keep &= rows.clinic_id == clinic
    if payer is not None:
        keep &= (rows.payer.str.lower() == (name or payer).lower()) | (rows.payer_class == payer.lower())
    return rows[keep]


def _denials(rows: pd.DataFrame) -> pd.DataFrame:
    """Denied dollars per service month with the patient-months behind them (not in monthly_totals): of
    supported codes, part of missed revenue (a denied line the minutes do not support, denied_claim
    of severity compliance, has no dollars at stake and is not a denial to work back)."""
    denied = rows[(rows.finding == "denied_claim") & (rows.severity == "revenue")]
    # typed even when no claim was denied: an empty group-by gives text columns, which the
    # monthly table's zeros would not fill (pandas 3 warns, and a later pandas refuses)
    return denied.groupby("service_month", as_index=False).agg(
        months_with_denial=("patient_id", "nunique"), denied_amount=("amount_at_stake", "sum")).astype(
        {"months_with_denial": "int64", "denied_amount": "float64"})


# --- headline -------------------------------------------------------------------------------


def headlines(recon: Reconciliation, privacy: Privacy) -> list[Headline]:
    """Expected, billed, paid, missed revenue, compliance exposure and denied dollars for the period."""
    total = privacy.protect(recon.totals().to_frame().T, MONTH_COUNTS + STAKE_COUNTS,
                            hide_with={**HIDE_BILLED_WITH_STAKES, **STAKE_DOLLARS})
    hidden = total.attrs["suppressed"]
    row = total.iloc[0]

    def card(col, detail=""):
        return Headline(formats.label(col), None if col in hidden else row[col], "dollars", detail, col in hidden)

    # The count is of patient-months billed or expected (the months table's heading): a claim with no
    # minutes behind it adds a patient-month and no expected dollar, so 'expected over N' misled a
    # reader dividing one by the other. Denied dollars are part of missed revenue, not beside it.
    # Exposure is more than the walk's 'billed without support' line: wrong codes and NPIs (minutes
    # behind them) and unknown patients' claims, each claim in full.
    expected = "supported by logged minutes"
    if "patient_months" not in hidden:
        expected += f"; {formats.count(row['patient_months'])} patient-months billed or expected"
    exposure = "billed without support, under a wrong code or NPI, or for unknown patients"
    return [card("expected_amount", expected), card("billed_amount", "not denied or voided"), card("paid_amount"),
            card("missed_revenue", "not billed, denied, or billed short: G2214 for a base code, too few units"), card("compliance_exposure", exposure),
            card("denied_amount", "supported codes the payer denied (part of missed revenue)")]


WALK_COLUMNS = ["line_label", "walk_amount", "line_patient_months", "findings_behind", "meaning"]


def walk(con, recon: Reconciliation, rules, privacy: Privacy, clinic=None, payer=None) -> pd.DataFrame | None:
    """The walk from the headline's expected dollars to its billed dollars (marts.recon_bridge), each
    line with the findings behind it: the headline's missed revenue and compliance exposure do not
    add up to billed (a claim under a wrong code or NPI is exposure in full while its supported code
    stays expected), and finance leads asked for the walk that does.

    None outside: each line's dollars sum over a few claims, and beside the headline's expected and
    billed a line divided by a code's fee gives back a count of 1-10 (the page's other families
    hide billed beside expected for the same reason). Its ends are the headline's (the same months,
    rules, clinic and payer, read from marts.recon_monthly_totals)."""
    if privacy.external:
        return None
    return bridge(con, recon.start, recon.end, rules, clinic, payer)


def walk_note(frame: pd.DataFrame) -> str:
    """Under the walk: how its lines differ from the headline's, and an alarm if anything is left over."""
    left = float(frame.set_index("line").at["residual", "walk_amount"])
    alarm = (f" {formats.dollars(left)} is not explained: a bug in the walk, report it." if left else "")
    return ("Every line is priced at the fee schedule, so expected and the lines add up to billed to the cent; the "
            "headline's missed revenue and compliance exposure count each finding's own dollars (a claim under a wrong "
            "code or NPI in full, while the code the minutes support stays in expected), which is why they do not." + alarm)


def largest_actions(recon: Reconciliation, n: int = 5) -> pd.DataFrame:
    """The n findings with most dollars at stake: the first rows of the workbook's work queue
    (patient-level, so the page shows them without the patient: the workbook row says who). The
    queue's review rows, which come after, put no dollars at stake and are not among them. Each
    finding reads as in the page's findings tables and the queue: its name (finding_label) and
    what it means (meaning).

    Each names the row Excel shows it on in the workbook of the same months (`bcm reconcile --out`),
    which lists every clinic's and payer's findings under a header row: the first finding is row 2,
    and a page for one clinic names its findings' rows among everyone's."""
    every = recon.rows if recon.every is None else recon.every
    queue = work_queue(every, recon.clinic_names, keep_index=True)
    queue["workbook_row"] = range(2, len(queue) + 2)  # row 1 is the header
    queue = queue[queue.index.isin(recon.rows.index) & queue.severity.isin(AT_STAKE)].head(n)
    return pd.DataFrame({
        "rank": [f"row {i}" for i in queue["workbook_row"]],
        "finding_label": queue["finding_label"],
        "meaning": [finding_words(f, s).meaning for f, s in zip(queue["finding"], queue["severity"])],
        "service_month": pd.to_datetime(queue["service_month"]),
        "clinic": _or_blank_label(queue, "clinic_name"),
        "codes": queue["codes"],
        "amount_at_stake": queue["amount_at_stake"],
    }).reset_index(drop=True)


def _or_blank_label(rows: pd.DataFrame, col: str) -> pd.Series:
    """`col` with its empty values named: a claim for a patient not in the registry has no clinic,
    care manager or payer class; a registered patient whose export records none (the Akello
    registry has no clinic) is not one, and read as a claim for an unknown patient on the page."""
    blank = rows["finding"].eq("unknown_patient").map({True: UNKNOWN, False: NOT_RECORDED})
    return rows[col].astype("object").where(rows[col].notna(), blank)


# --- months ---------------------------------------------------------------------------------


def monthly(recon: Reconciliation, privacy: Privacy) -> tuple[str, pd.DataFrame]:
    """Expected, billed and paid per month (or coarser), with the patient-months behind them
    and the period's total row.

    Billed and paid dollars are hidden with a period's hidden dollars at stake too
    (HIDE_BILLED_WITH_STAKES), with a partner period where one alone would be; where that hides
    them in most months, billed_paid shows them at a coarser grain of their own."""
    return privacy.roll_up(lambda grain: _dollars_per(recon, privacy, grain), ["expected_amount"])


def _dollars_per(recon: Reconciliation, privacy: Privacy, grain: str) -> pd.DataFrame:
    frame = with_total(by_period(recon.months, "month", grain, ["patient_months", *STAKE_COUNTS, *MONTH_DOLLARS],
                                 start=recon.start, end=recon.end))
    safe = protect_periods(privacy, frame, ["patient_months", *STAKE_COUNTS], hide_with=HIDE_BILLED_WITH_STAKES)
    return _hide_beside_hidden_stakes(safe, BILLED_PAID)


def billed_paid(recon: Reconciliation, privacy: Privacy, grain: str, months: pd.DataFrame) -> tuple[str, pd.DataFrame] | None:
    """Billed and paid dollars at the finest grain coarser than the months table's (`grain` and
    `months`: monthly's, as the page shows them) that shows them, where that table hides them in
    most of its periods (outside, a month's few denials or findings); None where it shows them
    (inside, always).

    The external demo page showed expected dollars for 24 months and billed and paid in 2: a table
    that compared nothing. The months table then drops billed and paid, and this table holds them
    at one grain only, without expected (whose coarser sums could give back a month's hidden
    expected dollars), so no figure of one grain can be set against another's."""
    if not privacy.external or hidden_share(series_rows(months), BILLED_PAID) <= MOST_HIDDEN:
        return None
    coarser = GRAINS[GRAINS.index(grain) + 1:]
    if not coarser:
        return None
    return privacy.roll_up(lambda g: _dollars_per(recon, privacy, g), BILLED_PAID, grains=coarser)


def billed_hidden_note(grain: str, privacy: Privacy, frame: pd.DataFrame | None = None) -> str:
    """Why billed and paid are not shown per month outside, once, in plain words, and where they
    are (`grain` and `frame`: billed_paid's): beside each other (and beside expected) they give back
    the dollars at stake, and those divided by one code's fee give back a count of 1-10 claims."""
    if not privacy.external or grain == "month":
        return ""
    low, high = privacy.threshold
    where = ("for the whole period only, in the figures at the top of the page" if grain == "period"
             else f"per {grain} in the table below (a {grain} marked * has {low}-{high} too)")
    if frame is not None and hidden_share(frame, BILLED_PAID) == 1:
        where = "for no period: even the whole period's would give such a number away"
    return (f"Billed and paid are not shown per month: in most months only {low}-{high} claims were denied or had "
            "dollars at stake, and a month's billed less paid (its denied dollars) or expected less billed, divided "
            f"by a code's fee, would give that number away (CMS cell-size rule). They are shown {where}.")


def one_period_sentence(frame: pd.DataFrame, grain: str, recon: Reconciliation, privacy: Privacy) -> str:
    """The reconciled share in words when the family rolls up to a single period (outside, where per
    month, quarter or year too many shares would be suppressed; inside, a one-month page): a chart
    of one bar and a table of one row and its total said less than one sentence. "" when there are
    several periods to chart."""
    rows = series_rows(frame)
    if len(rows) != 1:
        return ""
    index = rows.index[0]
    label = str(rows.at[index, "period"])
    first, last = formats.month(recon.start), formats.month(recon.end)
    span = first if first == last else f"{first} - {last}"
    when = span if label == span else f"{label} ({span})"
    if index in frame.attrs.get("suppressed", {}).get("pct_reconciled", ()):
        share = (f"the share of patient-months reconciled is suppressed: it would let a reader work out a count "
                 f"of {privacy.threshold[0]}-{privacy.threshold[1]} (CMS cell-size rule)")
    else:
        share = f"{formats.percent(rows.at[index, 'pct_reconciled'])} of patient-months reconciled"
    why = f" {grain_note(grain, privacy)}" if grain != "month" else ""
    return f"Over {when}, {share}.{why}"


def reconciled(recon: Reconciliation, privacy: Privacy) -> tuple[str, pd.DataFrame]:
    """The share of patient-months that reconcile, per month (or coarser: the patient-months that
    do not reconcile are often few). Only the rate is shown, at one grain, so it can never be
    set against another grain's."""
    def build(grain):
        frame = with_total(by_period(recon.months, "month", grain, MONTH_COUNTS + STAKE_COUNTS, start=recon.start, end=recon.end))
        frame["pct_reconciled"] = frame["reconciled_months"] / frame["patient_months"].where(frame["patient_months"] > 0)
        return _hide_beside_hidden_stakes(protect_periods(privacy, frame, MONTH_COUNTS + STAKE_COUNTS, rates=RECONCILED),
                                          ["pct_reconciled"])
    return privacy.roll_up(build, ["pct_reconciled"])


def at_stake(recon: Reconciliation, privacy: Privacy) -> tuple[str, pd.DataFrame]:
    """Missed revenue, denied dollars and compliance exposure per month (or coarser), with the total
    row, and beside them the findings each period's sums leave out for want of a price."""
    def build(grain):
        frame = with_total(by_period(recon.months, "month", grain, [*STAKE_COUNTS, NOT_PRICED, *STAKE_DOLLARS],
                                     start=recon.start, end=recon.end))
        return protect_periods(privacy, frame, [*STAKE_COUNTS, NOT_PRICED], hide_with=STAKE_DOLLARS)
    return privacy.roll_up(build, ["missed_revenue", "compliance_exposure"])


def stake_columns(recon: Reconciliation) -> list[str]:
    """The at-stake table's columns: the findings not priced only where there are any, since a
    column of zeros would say nothing."""
    return STAKE_TABLE + ([NOT_PRICED] if not_priced(recon) else [])


def with_total(frame: pd.DataFrame) -> pd.DataFrame:
    """A period table with its total row (period TOTAL) appended."""
    sums = [c for c in frame.columns if c not in ("period", "period_start")]
    total = frame[sums].sum().to_frame().T.assign(period=TOTAL, period_start=pd.NaT)
    out = pd.concat([frame, total[frame.columns]], ignore_index=True)
    for col in sums:
        out[col] = out[col].astype(frame[col].dtype)
    return out


def protect_periods(privacy: Privacy, frame: pd.DataFrame, counts: list[str], **options) -> pd.DataFrame:
    """Periods add up to the total row; the period's first day is a label, not a row key."""
    starts = frame["period_start"]
    safe = privacy.protect(frame.drop(columns="period_start"), counts, ["period"], **options)
    safe["period_start"] = starts
    return safe


def series_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart plots: every period but the total (suppression marks kept)."""
    out = frame[frame["period"] != TOTAL].copy()
    out.attrs["suppressed"] = frame.attrs.get("suppressed", {})
    return out


def period_x(frame: pd.DataFrame, grain: str) -> str:
    """The column a chart of a rolled-up frame plots against: month dates, or period labels."""
    if grain == "month":
        frame["month"] = frame["period_start"]
        return "month"
    return "period"


def change_note(changes: list[tuple], drawn: bool = True) -> str:
    """Words under a chart for the rule changes of its period: drawn as dashed lines on a monthly
    chart; a chart rolled up to quarters or years draws none, and its note must not point at them."""
    if not changes:
        return ""
    lead = "Dashed lines: billing rule changes" if drawn else "Billing rule changes inside the period"
    return (f"{lead} that move the series (codes in force change, so expected dollars "
            "change with them): " + "; ".join(text for _, text in changes) + ".")


# --- findings not priced --------------------------------------------------------------------


def not_priced(recon: Reconciliation) -> int:
    """Findings the headline and monthly dollar sums leave out, counted where those sums are made
    (monthly_totals), so the page can never say a sum is complete when it is not."""
    return int(recon.months[NOT_PRICED].sum())


def not_priced_in_rows(rows: pd.DataFrame) -> int:
    """Findings the category and breakdown sums leave out: those sums add the finding rows up in
    pandas, so the count comes from the same rows, by the flag the findings carry (not_priced,
    decided in marts.recon_findings, which monthly_totals counts too)."""
    return int(rows.not_priced.sum())


def not_priced_note(count: int, privacy: Privacy) -> str:
    """The sentence beside a dollar sum that leaves findings out (none: no sentence), so a reader
    does not take $0 for nothing at stake. The external page treats the count like its other
    counts: 1-10 is suppressed, 0 and above 10 are shown. Nothing else on the page adds up to it
    but the at-stake table's column, whose total it is (that family treats its total as known)."""
    if not count:
        return ""
    return f"{how_many(count, 'finding', privacy)} not priced (no fee on file and no charge amount): not in these sums."


def expected_not_priced_note(recon: Reconciliation, privacy: Privacy) -> str:
    """The sentence beside expected dollars that leave lines out: a code with no fee on file for
    its month, as every line of a new year has until its fee schedule is added. Without it January
    would read as if the minutes supported nothing. Protected like the findings' count."""
    months = recon.months[recon.months[LINES_NOT_PRICED] > 0]
    if months.empty:
        return ""
    first, last = (formats.month(pd.Timestamp(m)) for m in (months["month"].min(), months["month"].max()))
    when = first if first == last else f"{first} - {last}"
    return (f"{how_many(int(months[LINES_NOT_PRICED].sum()), 'expected line', privacy)} not priced ({when}: no fee on "
            f"file for the code and month): expected dollars leave them out. {ADD_FEES}")


def billed_without_charge_note(recon: Reconciliation, privacy: Privacy) -> str:
    """The sentence beside billed dollars that leave claim lines out: the charge amount is optional
    in a claims export, and a line without one adds nothing to billed. Without it, an export
    with no charges would read as if nothing were billed while its findings are priced at the fee
    schedule. Protected like the findings' count."""
    count = int(recon.months[BILLED_WITHOUT_CHARGE].sum())
    if not count:
        return ""
    return (f"{how_many(count, 'billed claim line', privacy)} without a charge amount in the claims export: "
            "billed dollars leave such lines out.")


def how_many(count: int, noun: str, privacy: Privacy) -> str:
    """'4 findings are', '1 finding is', or on an external page for 1-10 'Some findings (fewer
    than 11: the count is suppressed) are', as the page's other counts."""
    safe = privacy.protect(pd.DataFrame({"n": [count]}), ["n"])
    if safe.attrs["suppressed"]:
        return f"Some {noun}s (fewer than {privacy.threshold[1] + 1}: the count is suppressed) are"
    return f"{formats.count(count)} {noun}{'s are' if count != 1 else ' is'}"


# --- findings by category -------------------------------------------------------------------


def categories(recon: Reconciliation, privacy: Privacy) -> pd.DataFrame:
    """Findings and dollars at stake per finding that needs work (revenue, compliance), with
    each severity's total row; info-level notes are counted apart (no dollars at stake).

    A claim line in two findings of one severity (billed without consent, and unsupported) puts
    its dollars at stake in each finding's row, but once in the total (counted_at_stake), so the
    total is the headline figure: a finance lead checks one against the other."""
    work = recon.rows[recon.rows.severity.isin(AT_STAKE)]
    counted = work.groupby(["severity", "finding"], as_index=False).agg(
        findings=("patient_id", "size"), amount_at_stake=("amount_at_stake", "sum"))
    parts = []
    for severity in AT_STAKE:
        rows = counted[counted.severity == severity]
        rows = rows.sort_values("finding", key=lambda s: s.map(list(FINDINGS).index))
        once = float(work.loc[work.severity == severity, "counted_at_stake"].sum())
        total = pd.DataFrame({"severity": [severity], "finding": [TOTAL], "findings": [int(rows.findings.sum())],
                              "amount_at_stake": [once]})
        parts += [rows, total]
    frame = pd.concat(parts, ignore_index=True)
    safe = privacy.protect(frame, ["findings"], ["finding"], hide_with={"amount_at_stake": ["findings"]})
    safe["finding_label"] = [TOTAL if f == TOTAL else finding_name(f, s) for f, s in zip(safe.finding, safe.severity)]
    safe["meaning"] = [f"all {s} findings" if f == TOTAL else finding_words(f, s).meaning
                       for f, s in zip(safe.finding, safe.severity)]
    return safe


DENIAL_COLUMNS = ["denial_reason", "denied_lines"]


def denials(con, recon: Reconciliation, rules, privacy: Privacy, clinic=None, payer=None) -> pd.DataFrame:
    """Why the payer denied: the claim lines it denied in the page's months, per the reason it gave
    (the claims export's denial_reason, a CARC code such as CO-16 with its words; lines with none
    under NO_REASON), most lines first, with the total row. Finance asked why the denied dollars
    were denied; the findings say which lines. Every denied line of the selection counts, also one
    whose month was billed again. Counts of lines, protected as the page's other counts (outside,
    1-10 hidden, with whatever would give a hidden one back, and each reason by its code alone,
    reason_code); empty when nothing was denied."""
    frame = denial_reasons(con, recon.start, recon.end, rules, clinic, payer)[DENIAL_COLUMNS]
    if frame.empty:
        return privacy.protect(frame, ["denied_lines"], ["denial_reason"])
    frame["denial_reason"] = frame["denial_reason"].astype("object").where(frame["denial_reason"].notna(), NO_REASON)
    if privacy.external:
        frame["denial_reason"] = frame["denial_reason"].map(reason_code)
        frame = (frame.groupby("denial_reason", as_index=False, sort=False)["denied_lines"].sum()
                 .sort_values(["denied_lines", "denial_reason"], ascending=[False, True], kind="stable"))
    total = pd.DataFrame({"denial_reason": [TOTAL], "denied_lines": [int(frame["denied_lines"].sum())]})
    frame = pd.concat([frame, total], ignore_index=True).astype({"denied_lines": "int64"})
    return privacy.protect(frame, ["denied_lines"], ["denial_reason"])


def reason_code(reason: str) -> str:
    """A denial reason as an external page shows it (REASON_CODE): 'CO-16: Claim/service lacks
    information ...' reads CO-16; one with no code at its start, WORDS_ONLY."""
    if reason == NO_REASON:
        return reason
    found = REASON_CODE.match(reason)
    if not found:
        return WORDS_ONLY
    group, code = found.groups()
    return f"{group.upper()}-{code.upper()}" if group else code.upper()


def notes(recon: Reconciliation, privacy: Privacy, severity: str = "info") -> pd.DataFrame:
    """Findings of a severity with no dollars counted, per finding: `review` asks a person to check
    the data before anything is counted (a claim line in the quarantine, no initiating visit, a claim
    to a payer the month's coverage does not name, a denial to let stand), and `info` is for the
    record (minutes logged without consent, never billed). Named by severity: missing_consent and
    denied_claim are also findings of another severity, named apart (finding_words)."""
    rows = recon.rows[(recon.rows.severity == severity) & (recon.rows.finding != "matched")]
    frame = rows.groupby("finding", as_index=False).agg(findings=("patient_id", "size"))
    safe = privacy.protect(frame, ["findings"])
    safe["finding_label"] = [finding_name(f, severity) for f in safe["finding"]]
    safe["meaning"] = [finding_words(f, severity).meaning for f in safe["finding"]]
    return safe


# --- breakdowns -----------------------------------------------------------------------------


def patient_months(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per patient-month with anything expected or billed: its clinic, care manager and
    payer class, whether it reconciles (only `matched`), carries a revenue or a compliance
    finding, and its dollars at stake."""
    flagged = rows.assign(
        reconciled=rows.finding == "matched",
        has_lines=(rows.severity != "info") | (rows.finding == "matched"),
        missed_revenue=rows.counted_at_stake.where(rows.severity == "revenue", 0.0),
        compliance_exposure=rows.counted_at_stake.where(rows.severity == "compliance", 0.0),
        revenue_finding=rows.severity == "revenue",
        compliance_finding=rows.severity == "compliance",
    )
    for col in ("clinic_id", "care_manager_id", "payer_class"):
        flagged[col] = _or_blank_label(flagged, col)
    per_month = flagged.groupby(["clinic_id", "care_manager_id", "payer_class", "patient_id", "service_month"]).agg(
        reconciled=("reconciled", "all"), has_lines=("has_lines", "any"), missed_revenue=("missed_revenue", "sum"),
        compliance_exposure=("compliance_exposure", "sum"), revenue_finding=("revenue_finding", "any"),
        compliance_finding=("compliance_finding", "any")).reset_index()
    return per_month[per_month.has_lines]


def breakdowns(recon: Reconciliation, privacy: Privacy) -> dict[str, pd.DataFrame]:
    """Patient-months, reconciled share and dollars at stake by clinic, care manager and payer
    class, each with the period's total row, protected together."""
    per_month = patient_months(recon.rows)
    finest = per_month.groupby(["clinic_id", "care_manager_id", "payer_class"], as_index=False).agg(
        patient_months=("patient_id", "size"), reconciled_months=("reconciled", "sum"),
        months_with_revenue_finding=("revenue_finding", "sum"),
        months_with_compliance_finding=("compliance_finding", "sum"),
        missed_revenue=("missed_revenue", "sum"), compliance_exposure=("compliance_exposure", "sum"))
    for col in BREAKDOWN_COUNTS:
        finest[col] = finest[col].astype("int64")
    dims = ["clinic_id", "care_manager_id", "payer_class"]
    tables = privacy.breakdowns(finest, dims, [("clinic_id",), ("care_manager_id",), ("payer_class",), ()],
                                BREAKDOWN_COUNTS + list(BREAKDOWN_DOLLARS), BREAKDOWN_COUNTS, rates=RECONCILED,
                                hide_with=BREAKDOWN_DOLLARS)
    grand = tables[()]
    out = {}
    for dim, name in (("clinic_id", "clinic"), ("care_manager_id", "care manager"), ("payer_class", "payer class")):
        part = pd.concat([tables[(dim,)], grand])
        part.attrs["suppressed"] = {c: tables[(dim,)].attrs["suppressed"].get(c, frozenset())
                                    | grand.attrs["suppressed"].get(c, frozenset())
                                    for c in set(tables[(dim,)].attrs["suppressed"]) | set(grand.attrs["suppressed"])}
        label = part[dim].map(lambda v: "All" if v == TOTAL else recon.clinic_names.get(v, v) if dim == "clinic_id" else v)
        part.insert(0, "group", label)
        out[name] = _hide_beside_hidden_stakes(part, ["pct_reconciled"], key="group", total="All")
    return out


def _hide_beside_hidden_stakes(frame: pd.DataFrame, cols: list[str], key: str = "period", total=TOTAL) -> pd.DataFrame:
    """`cols` hidden where a row's count of months at stake is (privacy.hide_beside): the months
    that do not reconcile are those with a revenue or a compliance finding, so beside the
    patient-months and one shown count the reconciled share gives back the other (478 x 96.0% =
    459; 478 - 459 - 16 = 3); and billed dollars beside expected ones give back the dollars at
    stake (HIDE_BILLED_WITH_STAKES)."""
    hidden = frame.attrs.get("suppressed", {})
    stakes = sorted({i for c in STAKE_COUNTS for i in hidden.get(c, ())} & set(frame.index))
    return hide_beside(frame, cols, stakes, key=key, total=total) if stakes else frame


# --- near threshold -------------------------------------------------------------------------


# Why the near-threshold count is taken on its day (near_threshold_day gives the key), in the
# caption's words: inside, in brackets after the day; outside, in place of the day (near_caption).
NEAR_DAY = {"as_of": ("the as-of parameter", "the as-of date"),
            "last_logged": ("the last day with logged time", "the last day with logged time")}


def near_threshold_day(con, as_of: str | None, end: date) -> tuple[date, str]:
    """The day the near-threshold count is taken, and why that day (a key of NEAR_DAY): the as-of
    parameter, else the last day with logged time (never after the report's last month)."""
    if as_of:
        return date.fromisoformat(str(as_of)), "as_of"
    last = con.execute("SELECT max(service_date) FROM core.time_logs WHERE service_date < ?",
                       [pd.Timestamp(end) + pd.offsets.MonthBegin(1)]).fetchall()[0][0]
    return (last or end), "last_logged"


def near_caption(day: date, why: str, privacy: Privacy) -> str:
    """The near-threshold table's caption: the day and why it is that day (`why`, a key of
    NEAR_DAY: any other is a KeyError, never a caption in the wrong words). Outside, the day is
    given by its month (privacy.data_date): 'As of Sep 2026 (the last day with logged time)' read
    as a month where the brackets promise a day, so the caption names the day in words."""
    inside, outside = NEAR_DAY[why]
    if not privacy.external:
        return f"As of {privacy.data_date(day)} ({inside})"
    return f"As of {outside}, in {privacy.data_date(day)}"


def near_codes(con, day: date, rules, clinic, payer, privacy: Privacy, margin: int = NEAR_MARGIN) -> pd.DataFrame:
    """Patients within `margin` minutes of their next code on `day`, by that next code, with the total."""
    near = narrow(near_threshold(con, day, margin=margin, rules=rules), clinic, payer, payer_name(con, payer, rules))
    frame = near.groupby("next_code", as_index=False).agg(near_threshold=("patient_id", "size"))
    frame = pd.concat([frame, pd.DataFrame({"next_code": [TOTAL], "near_threshold": [len(near)]})], ignore_index=True)
    return privacy.protect(frame, ["near_threshold"], ["next_code"])


# --- rule changes ---------------------------------------------------------------------------


def rule_changes(rules, recon: Reconciliation) -> list[tuple[date, str]]:
    """Code-set changes inside the period for the settings, programs and payer classes the
    findings have: (first month, words), e.g. the 2026 FQHC/RHC move from G0512 to CPT codes."""
    periods = rules.periods.to_pandas()
    used = recon.rows[["payer_class", "billing_setting", "program"]].dropna().drop_duplicates()
    periods = periods.merge(used, on=["payer_class", "billing_setting", "program"])
    changes: dict[tuple, set] = {}
    for (cls, setting, program), rows in periods.sort_values("valid_from").groupby(["payer_class", "billing_setting", "program"]):
        rows = rows.reset_index(drop=True)
        for i in range(1, len(rows)):
            when = pd.Timestamp(rows.loc[i, "valid_from"]).date()
            if recon.start < when <= recon.end and rows.loc[i, "code_set"] != rows.loc[i - 1, "code_set"]:
                key = (when, program, _codes(rows.loc[i - 1]), _codes(rows.loc[i]))
                changes.setdefault(key, set()).add((SETTINGS.get(setting, setting), cls))
    out = []
    for (when, program, old, new), where in sorted(changes.items()):
        settings = "/".join(sorted({s for s, _ in where}))
        out.append((when, f"{formats.month(when)}: {settings} {PROGRAMS.get(program, program)} {old} → {new}"))
    return out


def _codes(row) -> str:
    codes = [row.get(c) for c in ("initial_code", "subsequent_code", "add_on_code", "fallback_code")]
    return "/".join(dict.fromkeys(str(c) for c in codes if isinstance(c, str) and c))
