"""Reconciliation: claims against the lines the logged minutes support (billing_rules.md section 6).

`findings` returns one row per finding (a patient-month can carry several), each with the
money at stake and a sentence a biller can act on; the SQL is models/reconcile/*.sql. Claims come
from staging.claims and staging.claims_unknown_patient (claim lines the loader keeps aside
because their patient is not in the registry).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bcm_analytics.billing.engine import MONTH_TEXT, billing_marts, evidence_query, period
from bcm_analytics.models import Marts, Query

FINDINGS = {
    # finding: what it means, for the workbook's summary
    "matched": "claims agree with the minutes",
    "missed_billing": "minutes support a code no claim bills",
    "denied_claim": "supported code denied by the payer",
    "unsupported_claim": "claim without the minutes to support it",
    "wrong_code": "code wrong for the month type, the episode or the period",
    "units_mismatch": "units other than the minutes support, or above the payer's cap",
    "same_month_conflict": "codes that are never billed together in one month",
    "duplicate_claim": "the same code billed twice for one month",
    "missing_consent": "billed, or minutes logged, without consent on file",
    "wrong_billing_npi": "billed under an NPI other than the treating practitioner's",
    "unknown_patient": "claim for a patient not in the registry",
}
SEVERITIES = ("revenue", "compliance", "info")


def findings_query(marts: Marts, start, end=None) -> Query:
    """Findings of the service months start..end, most money at stake first."""
    return marts.select(
        f"""SELECT * REPLACE ({MONTH_TEXT}) FROM marts.recon_findings WHERE service_month BETWEEN $start AND $end
            ORDER BY CASE severity WHEN 'revenue' THEN 0 WHEN 'compliance' THEN 1 ELSE 2 END,
                     amount_at_stake DESC, patient_id, service_month, finding""",
        period(start, end),
    )


def totals_query(marts: Marts, start, end=None, clinic: str | None = None, payer: str | None = None) -> Query:
    return marts.select(
        f"SELECT * REPLACE ({MONTH_TEXT}) FROM marts.recon_monthly_totals($start, $end, $clinic, $payer)",
        {**period(start, end), "clinic": clinic, "payer": payer},
    )


def findings(con, start, end=None, rules=None) -> pd.DataFrame:
    """One row per finding for the service months start..end, most money at stake first."""
    return findings_query(billing_marts(con, rules), start, end).df()


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings counted and summed per finding and severity: the totals are sums of the rows."""
    keys = pd.DataFrame([(f, s) for f in FINDINGS for s in SEVERITIES], columns=["finding", "severity"])
    grouped = frame.groupby(["finding", "severity"], as_index=False).agg(
        finding_rows=("patient_id", "size"),
        patient_months=("patient_id", lambda s: len(set(zip(s, frame.loc[s.index, "service_month"])))),
        amount_at_stake=("amount_at_stake", "sum"),
    )
    out = keys.merge(grouped, how="inner", on=["finding", "severity"])
    out["meaning"] = out["finding"].map(FINDINGS)
    return out


def monthly_totals(con, start, end=None, rules=None, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """Per service month: expected, billed and paid dollars, money at stake, patient-months reconciled.

    `payer` is a payer name or a payer class; None means all.
    """
    return totals_query(billing_marts(con, rules), start, end, clinic, payer).df()


def reconciliation_workbook(con, start, end, path: str | Path, rules=None) -> Path:
    """The finance workbook: a summary, the months, one sheet per finding with the rows to work,
    and the time entries behind every expected line (patient-level: a separate, explicit output)."""
    from bcm_analytics.reports.export import write_workbook

    marts = billing_marts(con, rules)
    rows = findings_query(marts, start, end).df()
    sheets = {"summary": summary(rows), "by_month": totals_query(marts, start, end).df()}
    for finding in FINDINGS:
        part = rows[rows.finding == finding]
        if finding != "matched" and len(part):
            sheets[finding] = part
    sheets["evidence"] = evidence_query(marts, start, end).df()
    return write_workbook(sheets, path)


def narrow(rows: pd.DataFrame, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """Findings of one clinic and/or one payer (a payer name or class); None keeps all.

    Claims for unknown patients have neither, so they stay only when nothing is narrowed.
    """
    keep = pd.Series(True, index=rows.index)
    if clinic is not None:
        keep &= rows.clinic_id == clinic
    if payer is not None:
        keep &= (rows.payer.str.lower() == payer.lower()) | (rows.payer_class == payer.lower())
    return rows[keep]


def patient_months_by(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per value of `by` (clinic_id, care_manager_id, payer_class ...): patient-months with anything
    expected or billed, how many reconcile (only `matched`), how many carry a revenue or a
    compliance finding, and the dollars at stake. Counts are of patient-months, not yet suppressed."""
    per_month = rows.assign(
        reconciled=rows.finding == "matched",
        has_lines=(rows.severity != "info") | (rows.finding == "matched"),
        revenue=rows.amount_at_stake.where(rows.severity == "revenue", 0.0),
        compliance=rows.amount_at_stake.where(rows.severity == "compliance", 0.0),
        revenue_finding=rows.severity == "revenue",
        compliance_finding=rows.severity == "compliance",
    ).groupby([rows[by].fillna("(unknown patient)"), rows.patient_id, rows.service_month]).agg(
        reconciled=("reconciled", "all"), has_lines=("has_lines", "any"), revenue=("revenue", "sum"),
        compliance=("compliance", "sum"), revenue_finding=("revenue_finding", "any"),
        compliance_finding=("compliance_finding", "any"),
    )
    per_month = per_month[per_month.has_lines]
    out = per_month.groupby(level=0).agg(
        patient_months=("has_lines", "size"), reconciled_months=("reconciled", "sum"),
        months_with_revenue_finding=("revenue_finding", "sum"), months_with_compliance_finding=("compliance_finding", "sum"),
        missed_revenue=("revenue", "sum"), compliance_exposure=("compliance", "sum"),
    )
    return out.rename_axis(by).reset_index()
