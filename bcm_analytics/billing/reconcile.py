"""Reconciliation: claims against the lines the logged minutes support (billing_rules.md section 6).

`findings` returns one row per finding (a patient-month can carry several), each with the
money at stake and a sentence a biller can act on; the SQL is models/reconcile/*.sql. The report's
tables and the finance workbook are built from these in bcm_analytics.reports. Claims come
from staging.claims and staging.claims_unknown_patient (claim lines the loader keeps aside
because their patient is not in the registry).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from bcm_analytics.billing.engine import MONTH_TEXT, billing_marts, period
from bcm_analytics.models import Marts, Query
from bcm_analytics.months import runs_text


class Finding(NamedTuple):
    """A finding in words: its `name` is what a page, a chart or a workbook calls it (never its
    id), its `meaning` what it means, in words a biller reads."""

    name: str
    meaning: str


FINDINGS = {
    # finding: its name and what it means (reports, the finance workbook and the glossary use them)
    "matched": Finding("matched", "claims agree with the minutes"),
    "missed_billing": Finding("missed billing", "minutes support a code no claim bills"),
    "denied_claim": Finding("denied claim", "code denied by the payer (the minutes support it, or not: by its severity)"),
    "unsupported_claim": Finding("unsupported claim", "claim without the minutes to support it"),
    "dated_before_threshold": Finding("dated before threshold",
                                      "claim dated before the month's minutes reached its code's threshold, or for a code they never reach"),
    "wrong_code": Finding("wrong code", "code wrong for the month type, the episode or the period"),
    "units_mismatch": Finding("units mismatch", "units other than the minutes support, or above the payer's cap"),
    "same_month_conflict": Finding("same month conflict", "codes that are never billed together in one month"),
    "duplicate_claim": Finding("duplicate claim", "the same code billed twice for one month"),
    "missing_consent": Finding("missing consent", "billed, or minutes logged, without consent on file"),
    "wrong_billing_npi": Finding("wrong billing NPI", "billed under an NPI other than the treating practitioner's"),
    "unknown_patient": Finding("unknown patient", "claim for a patient not in the registry"),
    "claim_quarantined": Finding("claim quarantined", "a claim line of the month is in the quarantine: fix and reload before acting"),
    "no_initiating_visit": Finding("no initiating visit",
                                   "no E/M, AWV, IPPE or TCM visit before the first billed month in the claims loaded"),
    "payer_mismatch": Finding("payer mismatch",
                              "claim billed to a payer the coverage on file does not name for its month: check the "
                              "coverage, then rebill the right payer or correct the coverage export"),
}
# A finding that is two things by its severity: one id, read apart wherever a severity is known
# (the page's findings-that-need-work and its notes would otherwise name it twice in the same words)
FINDINGS_BY_SEVERITY = {
    ("missing_consent", "compliance"): Finding("billed without consent",
                                               "billed for a month before the consent date, or with no consent on file"),
    ("missing_consent", "info"): Finding("minutes logged without consent",
                                         "minutes logged with no consent on file at all; nothing billed (no dollars at stake)"),
    # a denied line: of a code the minutes support (resubmit or appeal, its dollars missed revenue; a
    # 99494 line of more units than they support, to correct), of one they do not (reason
    # denied_unsupported: not to appeal or resubmit as billed, nothing at stake), or of one they do not
    # in a month billed again with a code that holds (reason denied_billed_again: to let stand)
    ("denied_claim", "revenue"): Finding("denied claim", "supported code denied by the payer (or the supported units "
                                         "of a 99494 line denied for more: to correct, not appeal as billed)"),
    ("denied_claim", "compliance"): Finding("denied unsupported claim",
                                            "code the minutes do not support, denied by the payer: not to appeal or resubmit "
                                            "as billed (nothing billed stands: no dollars at stake)"),
    ("denied_claim", "review"): Finding("denial to let stand",
                                        "code the minutes do not support, denied by the payer, in a month billed again with "
                                        "a code that holds: let the denial stand, do not appeal it (no dollars at stake)"),
}


def finding_words(finding: str, severity: str | None = None) -> Finding:
    """A finding's name and meaning, by its severity where that tells two things apart; an id
    this library does not know reads with its underscores as spaces."""
    known = FINDINGS_BY_SEVERITY.get((finding, severity)) or FINDINGS.get(finding)
    return known or Finding(str(finding).replace("_", " "), "")


def finding_name(finding: str, severity: str | None = None) -> str:
    """'unsupported_claim' -> 'unsupported claim'; ('missing_consent', 'info') -> 'minutes logged without consent'."""
    return finding_words(finding, severity).name


def counts_in_words(counts: dict[tuple[str, str], int]) -> str:
    """'matched 54, denied claim 1, minutes logged without consent 2': the findings of
    {(finding, severity): count} named as the page names them, in FINDINGS order (the ids told a
    finance reader 'missing_consent 2', one id for two things, billed or only logged)."""
    order = {finding: n for n, finding in enumerate(FINDINGS)}
    keys = sorted(counts, key=lambda k: (order.get(k[0], len(order)), SEVERITIES.index(k[1]) if k[1] in SEVERITIES else 0))
    return ", ".join(f"{finding_name(f, s)} {counts[(f, s)]:,}" for f, s in keys)


def finding_terms() -> list[Finding]:
    """Every finding a page or a workbook can name, as the glossary defines it (not `matched`)."""
    split = {f for f, _ in FINDINGS_BY_SEVERITY}
    return [w for f, w in FINDINGS.items() if f != "matched" and f not in split] + \
           [w for (f, _), w in FINDINGS_BY_SEVERITY.items()]


# revenue and compliance carry money at stake; review asks a person to check the data first
# (claim_quarantined, no_initiating_visit, payer_mismatch, a denial to let stand); info is for the
# record (matched, minutes without consent).
SEVERITIES = ("revenue", "compliance", "review", "info")
AT_STAKE = SEVERITIES[:2]  # the severities whose findings put dollars at stake
TO_WORK = SEVERITIES[:3]  # those a person works (the finance work queue); info is for the record


def finding_name_sql() -> str:
    """finding_name as a SQL expression over a row's finding and severity, written from the same
    map, so an export streamed by DuckDB (the findings CSV) names findings as the page does."""
    def text(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"
    cases = [f"WHEN finding = {text(f)} AND severity = {text(s)} THEN {text(w.name)}"
             for (f, s), w in FINDINGS_BY_SEVERITY.items()]
    cases += [f"WHEN finding = {text(f)} THEN {text(w.name)}" for f, w in FINDINGS.items()]
    return f"CASE {' '.join(cases)} ELSE replace(finding, '_', ' ') END"


# Findings tied on everything a reader sorts by (a month's matched 99493 and 99494) in one order
# whatever the build, so an export written twice from the same data is the same file
# (findings_query; the audit packets' findings section).
FINDING_TIES = "finding, expected_code, billed_code, claim_ids, explanation"


def findings_query(marts: Marts, start, end=None) -> Query:
    """Findings of the service months start..end, most money at stake first (ties: FINDING_TIES)."""
    return marts.select(
        f"""SELECT patient_id, {MONTH_TEXT}, finding, {finding_name_sql()} AS finding_label,
                   * EXCLUDE (patient_id, service_month, finding)
            FROM marts.recon_findings WHERE service_month BETWEEN $start AND $end
            ORDER BY list_position({list(SEVERITIES)}, severity),
                     amount_at_stake DESC, patient_id, service_month, {FINDING_TIES}""",
        period(start, end),
    )


def totals_query(marts: Marts, start, end=None, clinic: str | None = None, payer: str | None = None) -> Query:
    return marts.select(
        f"SELECT * REPLACE ({MONTH_TEXT}) FROM marts.recon_monthly_totals($start, $end, $clinic, $payer)",
        {**period(start, end), "clinic": clinic, "payer": payer},
    )


class BridgeLine(NamedTuple):
    """A line of the walk from expected to billed dollars: its `name` on a page or a sheet, what it
    means, and the findings whose claims its dollars come from (ids of FINDINGS), so a finance lead
    can take a line to the work queue."""

    name: str
    meaning: str
    findings: tuple[str, ...]  # a finding id, or 'id:severity' where the severity tells two things apart

    def findings_text(self) -> str:
        """The findings behind the line as the page names them ('billed without consent', not 'missing consent')."""
        return ", ".join(finding_name(*f.split(":")) for f in self.findings)


BRIDGE = {
    # line (marts.recon_bridge): its words and the findings behind it, in the walk's order
    "expected": BridgeLine("expected (supported by logged minutes)", "the headline's expected dollars", ()),
    "missed": BridgeLine("supported but not billed", "supported units no claim bills under their code, at the fee "
                         "(the headline's missed revenue, less what was billed under another code)",
                         ("missed_billing", "denied_claim:revenue", "units_mismatch")),
    "quarantined": BridgeLine("supported, claim line in the quarantine (not missed)", "supported units of a month with a claim line "
                              "set aside at load (in the quarantine), which no loaded claim line bills, at the fee: not "
                              "missed revenue, the month's claim may be that line; fix it and load it again before billing "
                              "the month (a line whose date does not read counts in each month it could be the claim of)",
                              ("claim_quarantined",)),
    "exposure": BridgeLine("billed without support or over-billed units", "units billed without the minutes, consent "
                           "or code to support them, at the fee (duplicates and conflicting codes too)",
                           ("unsupported_claim", "units_mismatch", "duplicate_claim", "same_month_conflict", "missing_consent:compliance")),
    "unknown": BridgeLine("billed for patients not in the registry", "their claims' charges", ("unknown_patient",)),
    "moved": BridgeLine("billed under another code or NPI (moved, not new)",
                        "a supported month billed under another code: that code's fee less the supported code's; "
                        "a claim under another NPI moves no dollar, though the headline counts it in full as exposure",
                        ("wrong_code", "unsupported_claim", "wrong_billing_npi")),
    "charge": BridgeLine("charge differs from the fee schedule", "billed charges less the same units at the fee "
                         "(also a line without a charge amount, or a code with no fee on file)", ()),
    "residual": BridgeLine("not explained", "billed less expected and every line above: always $0 (anything else is a bug)", ()),
    "billed": BridgeLine("billed", "the headline's billed dollars (not denied or voided)", ()),
}


def bridge_query(marts: Marts, start, end=None, clinic: str | None = None, payer: str | None = None) -> Query:
    return marts.select("SELECT * FROM marts.recon_bridge($start, $end, $clinic, $payer)",
                        {**period(start, end), "clinic": clinic, "payer": payer})


def bridge(con, start, end=None, rules=None, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """The walk from expected to billed dollars of the service months start..end, one row per line
    of BRIDGE (models/reconcile/recon_bridge.sql), with its name, meaning and the findings behind
    it: expected and the lines between add up to billed to the cent."""
    frame = bridge_query(billing_marts(con, rules), start, end, clinic, payer).df()
    return pd.DataFrame({
        "line": frame["line"],
        "line_label": [BRIDGE[line].name for line in frame["line"]],
        "walk_amount": frame["amount"].astype("float64"),  # cents, exact: DECIMAL in the mart
        "line_patient_months": frame["patient_months"].astype("Int64"),  # none for expected, residual and billed
        "meaning": [BRIDGE[line].meaning for line in frame["line"]],
        "findings_behind": [BRIDGE[line].findings_text() for line in frame["line"]],
    })


def findings(con, start, end=None, rules=None) -> pd.DataFrame:
    """One row per finding for the service months start..end, most money at stake first."""
    return findings_query(billing_marts(con, rules), start, end).df()


def monthly_totals(con, start, end=None, rules=None, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """Per service month: expected, billed and paid dollars, money at stake, patient-months reconciled.

    `payer` is a payer name or a payer class; None means all.
    """
    return totals_query(billing_marts(con, rules), start, end, clinic, payer).df()


def denial_reasons_query(marts: Marts, start, end=None, clinic: str | None = None, payer: str | None = None) -> Query:
    return marts.select(
        """SELECT * FROM marts.recon_denial_reasons($start, $end, $clinic, $payer)
           ORDER BY denied_lines DESC, denial_reason IS NULL, denial_reason""",
        {**period(start, end), "clinic": clinic, "payer": payer},
    )


def denial_reasons(con, start, end=None, rules=None, clinic: str | None = None, payer: str | None = None) -> pd.DataFrame:
    """Why the payer denied: the claim lines it denied in the service months start..end per the
    reason it gave (denial_reason as the claims export wrote it, None where it gave none), with
    how many lines and claims, most lines first (models/reconcile/recon_denial_reasons.sql).
    `clinic` and `payer` narrow it as monthly_totals."""
    return denial_reasons_query(billing_marts(con, rules), start, end, clinic, payer).df()


def months_without_claims(marts: Marts, start, end=None) -> list[dt.date]:
    """Months of the period whose expected lines all read missed_billing because the store holds
    no claim line of the month (models/reconcile/recon_months_without_claims.sql)."""
    rows = marts.query("SELECT service_month FROM marts.recon_months_without_claims($start, $end)", period(start, end))
    return [month for (month,) in rows.fetchall()]


def claim_statuses() -> list[str]:
    """The claim_status vocabulary of the data contract (suites/claims.json): the words
    reconciliation reads (denied and voided lines bill nothing, the others bill)."""
    from bcm_analytics.contracts.suites import vocabularies

    return list(vocabularies("claims")["claim_status"].kwargs["value_set"])


def unknown_status_note(marts: Marts, start, end=None) -> str | None:
    """Claim lines of the period whose claim_status is outside the vocabulary are reconciled as
    billed: a line exported as 'Suspended' read as a second claim (duplicate_claim, 'void the
    duplicate line') beside its replacement, with nothing said but by `bcm validate`."""
    known = claim_statuses()
    rows = marts.query(
        """SELECT claim_status, count(*) FROM marts.recon_claim_lines
           WHERE time_based AND service_month BETWEEN $start AND $end AND NOT list_contains($known, claim_status)
           GROUP BY claim_status ORDER BY count(*) DESC, claim_status""",
        {**period(start, end), "known": known}).fetchall()
    if not rows:
        return None
    listed = ", ".join(f"'{status}' ({n:,})" for status, n in rows)
    return (f"{sum(n for _, n in rows):,} claim line(s) with a claim_status reconciliation does not know, reconciled as "
            f"billed: {listed}; the statuses are {', '.join(known)} (a voided line written another way: "
            f"correct the export, or map the word in a profile's value_maps, docs/profiles.md)")


def unlinked_claims_note(marts: Marts) -> str | None:
    """Claim lines in the quarantine that name no patient (core.quarantined_claims): reconciliation
    cannot place them in a patient's month (marts.recon_quarantined_claims), so the month one of
    them bills reads missed_billing, "bill it", the billing twice section 6 item 13 forbids. A paid
    99492 set aside for a blank patient id read so with nothing said. Any month may be theirs: said
    for every period."""
    rows = marts.query(
        "SELECT source_file, line_number FROM core.quarantined_claims WHERE patient_id IS NULL ORDER BY load_id, line_number"
    ).fetchall()
    if not rows:
        return None
    named = "; ".join(f"{Path(file).name} line {line}" for file, line in rows[:3]) + ("; ..." if len(rows) > 3 else "")
    return (f"{len(rows):,} claim line(s) in the quarantine name no patient ({named}): a month one of them bills reads "
            f"as missed billing here. Fix them in the export and load it again (bcm quarantine --table claims) "
            f"before billing a missed month.")


def claims_gap_note(marts: Marts, start, end=None, month_format: str = "%Y-%m") -> str | None:
    """Why a period's findings may be mostly missed_billing: its claims are not loaded. A store
    with no claims at all read "$58,194 missed revenue" for a program that had billed every
    month, and a claims export ending in October made November and December look unbilled."""
    months = months_without_claims(marts, start, end)
    if not months:
        return None
    first, last = marts.query("SELECT min(service_month), max(service_month) FROM marts.recon_claim_lines").fetchone()
    if first is None:
        asked = period(start, end)
        return (f"The store holds no claims, so every expected line of {asked['start']:{month_format}} to "
                f"{asked['end']:{month_format}} reads as missed billing: load the claims export (bcm load claims.csv) "
                f"before acting on these findings.")
    return (f"No claim lines are loaded for {runs_text(months, month_format)} (the store's claims run {first:{month_format}} to "
            f"{last:{month_format}}): every expected line of those months reads as missed billing until their claims "
            f"are loaded.")

