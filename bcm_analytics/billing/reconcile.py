"""Reconciliation: claims against the lines the logged minutes support (billing_rules.md section 6).

`findings` returns one row per finding (a patient-month can carry several), each with the
money at stake and a sentence a biller can act on; the SQL is sql/reconcile.sql. The report's
tables and the finance workbook are built from these in bcm_analytics.reports. Claims come
from staging.claims and staging.claims_unknown_patient (claim lines the loader keeps aside
because their patient is not in the registry).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from bcm_analytics.billing.engine import (
    build,
    built_token,
    period,
    sql_text,
    with_month_text,
)
from bcm_analytics.sqlfiles import run_sql
from bcm_analytics.warehouse.store import copy_to_temp

FINDINGS = {
    # finding: what it means, in words a biller reads (reports and the finance workbook use them)
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


def _prepare(con, start, end, rules) -> dict:
    """Build billing, then the reconciliation tables for start..end; returns the period parameters."""
    rules = build(con, rules)
    params = period(start, end)
    token = f"{built_token(con, rules)}/{params['start']}/{params['end']}"
    if con.execute("SELECT getvariable('bcm_reconciled')").fetchall()[0][0] == token:
        return params
    codes = [(code, family) for family, listed in rules.claim_codes.items() for code in listed]
    copy_to_temp(con, "billing_claim_codes", pa.table({"code": [c for c, _ in codes], "family": [f for _, f in codes]}))
    run_sql(con, sql_text("reconcile"), params)
    con.execute("SET VARIABLE bcm_reconciled = ?", [token])
    return params


def findings(con, start, end=None, rules=None) -> pd.DataFrame:
    """One row per finding for the service months start..end, most money at stake first."""
    _prepare(con, start, end, rules)
    return _findings(con)


def _findings(con) -> pd.DataFrame:
    frame = con.execute(
        """SELECT * FROM recon_findings
           ORDER BY CASE severity WHEN 'revenue' THEN 0 WHEN 'compliance' THEN 1 ELSE 2 END,
                    amount_at_stake DESC, patient_id, service_month, finding"""
    ).df()
    return with_month_text(frame)


def monthly_totals(con, start, end=None, rules=None, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """Per service month: expected, billed and paid dollars, money at stake, patient-months reconciled.

    `payer` is a payer name or a payer class; None means all.
    """
    return _totals(con, _prepare(con, start, end, rules), clinic, payer)


def _totals(con, params: dict, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    return with_month_text(run_sql(con, sql_text("recon_totals"), {**params, "clinic": clinic, "payer": payer}).df())
