"""Audit packets: everything behind the claim lines of a billed (or expected) patient-month.

An auditor or a payer asks "show me the minutes behind this claim line". A packet answers for
one patient-month, in five sections, each one query over a mart of models/audit/ for the whole
period (never one query per patient):

    months    the patient, the episode and month type with the reason, the minutes, the rule in
              force and its thresholds, the codes and why, what was billed, the findings
    entries   every time entry of the month: minutes logged and counted, the reason in words
              for an entry not counted (or counted in part), its source file, line and load
    lines     the expected billing lines with the fee per unit and its source
    claims    the claim lines billed for the month, with their source file and line
    findings  the reconciliation findings, each a sentence a biller can act on

Each function returns a DataFrame for a notebook (`service_month` as YYYY-MM);
reports/audit.py renders the same queries as one HTML page per patient-month.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bcm_analytics.billing.engine import MONTH_TEXT, billing_marts, period
from bcm_analytics.billing.reconcile import FINDING_TIES
from bcm_analytics.models import Marts, Query

# section -> (mart, its order within a patient-month)
# A day's entries in the order they happened: by the start time, else the time an export gave as a
# timestamp, else the day's start (a date alone).
SECTIONS = {
    "months": ("audit_months", "patient_id, service_month"),
    "entries": ("audit_entries", "patient_id, service_month, CAST(service_at AS DATE), coalesce(start_at, service_at), entry_id"),
    "lines": ("audit_lines", "patient_id, service_month, units = 1 DESC, code"),
    "claims": ("audit_claims", "patient_id, service_month, claim_id, line_number"),
    "findings": ("recon_findings", f"patient_id, service_month, severity = 'info', amount_at_stake DESC, {FINDING_TIES}"),
}


@dataclass(frozen=True)
class Scope:
    """The patient-months of a packet run: service months start..end, optionally one patient."""

    start: str
    end: str | None = None
    patient: str | None = None

    def params(self) -> dict:
        return {**period(self.start, self.end), "patient": self.patient}

    def where(self, alias: str = "") -> str:
        a = f"{alias}." if alias else ""
        return (f"{a}service_month BETWEEN $start AND $end AND ($patient IS NULL OR {a}patient_id = $patient) "
                f"AND ({a}patient_id, {a}service_month) IN "
                "(SELECT patient_id, service_month FROM marts.audit_patient_months)")


def section_query(marts: Marts, section: str, scope: Scope, month_text: bool = True) -> Query:
    """One section's rows for every patient-month of the scope, in packet order.

    month_text: service_month as YYYY-MM (for frames and files); False keeps dates (for pages).
    """
    mart, order = SECTIONS[section]
    columns = f"* REPLACE ({MONTH_TEXT})" if month_text else "*"
    return marts.select(f"SELECT {columns} FROM marts.{mart} WHERE {scope.where()} ORDER BY {order}", scope.params())


def _frame(con, section: str, start, end, patient, rules) -> pd.DataFrame:
    return section_query(billing_marts(con, rules), section, Scope(start, end, patient)).df()


def audit_months(con, start, end=None, patient: str | None = None, rules=None) -> pd.DataFrame:
    """One row per billed or expected patient-month of start..end: patient, consent and where it
    came from, episode, month type and why, minutes, the rule and its thresholds, codes and why,
    expected and billed codes and dollars, findings."""
    return _frame(con, "months", start, end, patient, rules)


def audit_entries(con, start, end=None, patient: str | None = None, rules=None) -> pd.DataFrame:
    """Every time entry of those patient-months: minutes logged and counted, status, the reason in
    plain words when not counted in full, the entries it overlaps, source file, line and load."""
    return _frame(con, "entries", start, end, patient, rules)


def audit_lines(con, start, end=None, patient: str | None = None, rules=None) -> pd.DataFrame:
    """The expected billing lines with the fee per unit, whether it is verified, and its source."""
    return _frame(con, "lines", start, end, patient, rules)


def audit_claims(con, start, end=None, patient: str | None = None, rules=None) -> pd.DataFrame:
    """The claim lines billed for those patient-months (claim, line, code, units, NPI, status)."""
    return _frame(con, "claims", start, end, patient, rules)


def audit_findings(con, start, end=None, patient: str | None = None, rules=None) -> pd.DataFrame:
    """The reconciliation findings of those patient-months, with their explanations."""
    return _frame(con, "findings", start, end, patient, rules)
