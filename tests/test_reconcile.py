"""Reconciliation findings on hand-written patients, minutes and claims (billing_rules.md section 6).

Each test reads findings back as (patient, month, finding, expected, billed) tuples. Patient A is
Medicare at a physician practice, consented 2024-12-01, treating NPI 1234567893. Every patient had
an office visit (E/M 99213) by the treating practitioner on 2024-12-02, the initiating visit CoCM
needs (so no_initiating_visit is not reported unless a test leaves the visit out).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from bcm_analytics.billing.reconcile import bridge, findings, monthly_totals
from bcm_analytics.models import current
from bcm_analytics.reports.finance_workbook import reconciliation_workbook, summary
from bcm_analytics.reports.glossary import billing_terms
from bcm_analytics.reports.privacy import Privacy

NPI = "1234567893"
OTHER_NPI = "1245319599"


def patient(pid: str, payer: str = "Medicare", clinic: str = "PP", program: str = "cocm", consent: str = "2024-12-01"):
    return {"patient_id": pid, "clinic_id": clinic, "payer": payer, "program": program, "care_manager_id": "BCM1",
            "treating_provider_npi": NPI, "enrollment_date": "2024-12-01", "consent_date": consent}


def minutes(pid: str, day: str, amount: float) -> dict:
    return {"entry_id": f"{pid}-{day}-{amount}", "patient_id": pid, "staff_id": "BCM1", "staff_role": "bhcm",
            "service_date": day, "minutes": str(amount), "activity_type": "follow_up_contact"}


def claim(claim_id: str, pid: str, day: str, code: str, units: int = 1, line: int = 1, npi: str = NPI,
          status: str = "paid", charge: float = 100.0, paid: float = 90.0) -> dict:
    return {"claim_id": claim_id, "line_number": str(line), "patient_id": pid, "date_of_service": day,
            "procedure_code": code, "units": str(units), "billing_provider_npi": npi, "payer": "Medicare",
            "charge_amount": str(charge), "paid_amount": str(paid if status != "denied" else 0), "claim_status": status}


def visit(pid: str, day: str = "2024-12-02", code: str = "99213", npi: str = NPI) -> dict:
    """An initiating visit (office E/M by default) by the treating practitioner."""
    return claim(f"V-{pid}-{day}", pid, day, code, npi=npi, charge=92, paid=80)


@pytest.fixture
def program(store, load_rows):
    def _load(patients: list[dict], entries: list[dict], claims: list[dict] | None = None, visits: bool = True,
              clinics: list[dict] | None = None, coverage: list[dict] | None = None):
        """`coverage`: the payer history (coverage rows), loaded after the patients; none by default."""
        load_rows("clinics", clinics or [
            {"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice", "timezone": "America/Chicago"},
            {"clinic_id": "FQ", "clinic_name": "Health center", "setting": "fqhc", "timezone": "America/Chicago"},
        ])
        load_rows("patients", patients)
        if coverage:
            load_rows("coverage", coverage)
        if entries:
            load_rows("time_logs", entries)
        claims = (claims or []) + ([visit(p["patient_id"]) for p in patients] if visits else [])
        if claims:
            load_rows("claims", claims)
        return store

    return _load


def found(con, start="2025-01", end="2026-12", rules=None) -> list[tuple]:
    frame = findings(con, start, end, rules).sort_values(["patient_id", "service_month", "finding", "billed_code"])
    return [tuple(None if v != v else v for v in row)
            for row in zip(frame.patient_id, frame.service_month, frame.finding, frame.expected_code, frame.billed_code)]


def one(con, finding: str, start="2025-01", end="2026-12") -> dict:
    frame = findings(con, start, end)
    rows = frame[frame.finding == finding]
    assert len(rows) == 1, frame[["patient_id", "service_month", "finding", "explanation"]]
    return rows.iloc[0].to_dict()


def test_matched(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [claim("C1", "A", "2025-01-31", "99492")])
    assert found(con) == [("A", "2025-01", "matched", "99492", "99492")]
    row = one(con, "matched")
    assert (row["severity"], row["amount_at_stake"], row["claim_ids"]) == ("info", 0, "C1")
    assert row["explanation"] == "99492 billed as the 40 countable minutes support."


def test_a_re_enrolment_leaves_the_earlier_months_claims_to_the_earlier_enrolment(program, load_rows):
    """R, in CoCM at the practice PP under NPI, is discharged on 15 February 2025 and comes back on
    1 May in general BHI at the health center FQ, with a new consent date and another practitioner
    (the export, keyed by patient, replaces the row). January's 99492 under NPI stays matched: not
    before the new consent, not a wrong NPI. May's G0511, billed under the health center's
    organization NPI with the new practitioner rendering, is matched. A summary narrowed to a clinic
    holds the months of the enrolment there: January in PP's, May in FQ's."""
    clinics = [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice", "timezone": "America/Chicago",
                "organization_npi": ""},
               {"clinic_id": "FQ", "clinic_name": "Health center", "setting": "fqhc", "timezone": "America/Chicago",
                "organization_npi": "1679576722"}]
    con = program([patient("R") | {"discharge_date": "2025-02-15"}], [minutes("R", "2025-01-10", 40)],
                  [claim("C1", "R", "2025-01-31", "99492")], clinics=clinics)
    load_rows("patients", [patient("R", clinic="FQ", program="general_bhi", consent="2025-05-01")
                           | {"enrollment_date": "2025-05-01", "treating_provider_npi": OTHER_NPI}])
    load_rows("time_logs", [minutes("R", "2025-05-06", 25)])
    load_rows("claims", [claim("C2", "R", "2025-05-30", "G0511", npi="1679576722") | {"rendering_provider_npi": OTHER_NPI}])
    assert found(con) == [("R", "2025-01", "matched", "99492", "99492"), ("R", "2025-05", "matched", "G0511", "G0511")]
    for clinic, month in (("PP", "2025-01"), ("FQ", "2025-05")):
        totals = monthly_totals(con, "2025-01", "2025-12", clinic=clinic)
        assert totals.loc[totals.patient_months > 0, "service_month"].tolist() == [month], clinic


def test_missed_billing_in_a_month_with_no_claims(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 90)])
    assert found(con) == [("A", "2025-01", "missed_billing", "99492", None), ("A", "2025-01", "missed_billing", "99494", None)]
    rows = findings(con, "2025-01")
    assert set(rows.severity) == {"revenue"} and rows.amount_at_stake.sum() == 145 + 56
    assert "90 countable minutes in 2025-01 support 99492 but no claim line bills it" in rows.explanation.iloc[0]


def test_unsupported_claims_with_no_or_too_few_minutes(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 20)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "A", "2025-02-28", "99493", charge=134),
                   claim("C3", "A", "2025-03-31", "99493", charge=134)])
    assert found(con) == [("A", "2025-01", "matched", "99492", "99492"),
                          ("A", "2025-02", "unsupported_claim", "G2214", "99493"),
                          ("A", "2025-03", "unsupported_claim", None, "99493")]
    rows = findings(con, "2025-02", "2025-03").set_index("service_month")
    assert rows.loc["2025-02", "explanation"] == (
        "Claim C2 bills 99493 but the 20 countable minutes in 2025-02 reach only G2214 (99493 needs 31); bill G2214.")
    assert rows.loc["2025-03", "explanation"] == (
        "Claim C3 bills 99493 but no countable minutes are logged in 2025-03; void the line or document the time.")
    assert list(rows.severity) == ["compliance", "compliance"] and list(rows.amount_at_stake) == [134, 134]


def test_wrong_code_for_the_month_type_and_the_period(program):
    """99493 in an initial month; 99492 in a subsequent month; G0512 at an FQHC in 2026 (CPT then)."""
    con = program([patient("A"), patient("F", clinic="FQ")],
                  [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40), minutes("F", "2025-12-10", 60),
                   minutes("F", "2026-01-10", 60)],
                  [claim("C1", "A", "2025-01-31", "99493"), claim("C2", "A", "2025-02-28", "99492"),
                   claim("C3", "F", "2025-12-31", "G0512"), claim("C4", "F", "2026-01-31", "G0512")])
    assert found(con) == [("A", "2025-01", "wrong_code", "99492", "99493"), ("A", "2025-02", "wrong_code", "99493", "99492"),
                          ("F", "2025-12", "matched", "G0512", "G0512"), ("F", "2026-01", "wrong_code", "99493", "G0512")]
    text = findings(con, "2025-01", "2026-12").set_index(["patient_id", "service_month"]).explanation
    assert text["A", "2025-01"] == "Claim C1 bills 99493 but 2025-01 is the initial month of episode A-2025-01; the initial month bills 99492."
    assert text["A", "2025-02"] == ("Claim C2 bills 99492 but 2025-02 is a subsequent month of episode A-2025-01 (99492 is billed "
                                    "once, in the initial month); bill 99493.")
    assert text["F", "2026-01"] == ("Claim C4 bills G0512 but it is not billable for this medicare patient (fqhc, cocm) in 2026-01; "
                                    "the code in force is 99493.")


def test_g2214_billed_where_99493_is_reached_is_lost_revenue(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "A", "2025-02-28", "G2214", charge=52)])
    row = one(con, "wrong_code")
    assert (row["severity"], row["expected_code"], row["billed_code"], row["amount_at_stake"]) == ("revenue", "99493", "G2214", 134 - 52)


def test_units_mismatch_above_the_minutes_and_above_a_payer_cap(program):
    """A: 90 initial minutes support 99494 x1, billed x2. M (Medicaid, cap 4): 226 subsequent minutes
    support x6 uncapped, x4 capped; billed x5."""
    con = program([patient("A"), patient("M", payer="Medicaid")],
                  [minutes("A", "2025-01-10", 90), minutes("M", "2024-12-10", 40), minutes("M", "2025-01-10", 226)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C1", "A", "2025-01-31", "99494", units=2, line=2),
                   claim("C2", "M", "2025-01-31", "99493"), claim("C2", "M", "2025-01-31", "99494", units=5, line=2)])
    rows = findings(con, "2025-01").query("finding == 'units_mismatch'").set_index("patient_id")
    assert list(rows.loc[:, ["expected_units", "billed_units"]].itertuples(index=False, name=None)) == [(1, 2), (4, 5)]
    assert set(rows.severity) == {"compliance"} and list(rows.amount_at_stake) == [56, 56]
    assert rows.loc["M", "explanation"] == ("99494 billed x5 but the 226 countable minutes support x4 "
                                            "(the payer allows at most 4 a month); correct the units.")


def test_units_under_billed_is_revenue(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 120)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C1", "A", "2025-01-31", "99494", units=1, line=2)])
    row = one(con, "units_mismatch")
    assert (row["severity"], row["expected_units"], row["billed_units"], row["amount_at_stake"]) == ("revenue", 2, 1, 56)


def test_same_month_conflicts(program):
    """Jan: 99493 with general BHI 99484. Feb: G2214 with 99493. Mar: 99494 without a base code."""
    con = program([patient("A")],
                  [minutes("A", "2024-12-10", 40), minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40),
                   minutes("A", "2025-03-10", 80)],
                  [claim("C1", "A", "2025-01-31", "99493"), claim("C1", "A", "2025-01-31", "99484", line=2, charge=53),
                   claim("C2", "A", "2025-02-28", "99493"), claim("C2", "A", "2025-02-28", "G2214", line=2, charge=52),
                   claim("C3", "A", "2025-03-31", "99494", charge=56)])
    assert found(con) == [("A", "2025-01", "same_month_conflict", "99493", "99484 + 99493"),
                          ("A", "2025-02", "same_month_conflict", "99493", "99493 + G2214"),
                          ("A", "2025-03", "missed_billing", "99493", None),
                          ("A", "2025-03", "same_month_conflict", "99493 + 99494", "99494")]
    rows = findings(con, "2025-01", "2025-03").query("finding == 'same_month_conflict'").set_index("service_month").sort_index()
    assert list(rows.amount_at_stake) == [53, 52, 56]
    assert rows.loc["2025-01", "explanation"] == ("99484 and 99493 billed in one month: CoCM and general BHI are never "
                                                  "billed together for a patient; void the 99484 line(s).")


def test_three_codes_billed_together_read_as_a_list(program):
    """99484 beside 99493 + 99494 read '99484 and 99493 and 99494 billed in one month'."""
    con = program([patient("A")], [minutes("A", "2024-12-10", 40), minutes("A", "2025-01-10", 80)],
                  [claim("C1", "A", "2025-01-31", "99493"), claim("C1", "A", "2025-01-31", "99494", line=2, charge=56),
                   claim("C1", "A", "2025-01-31", "99484", line=3, charge=53)])
    assert one(con, "same_month_conflict", "2025-01", "2025-01")["explanation"] == (
        "99484, 99493 and 99494 billed in one month: CoCM and general BHI are never billed together for a patient; "
        "void the 99484 line(s).")


def test_duplicate_claim_and_wrong_npi_in_one_month(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", charge=145), claim("C2", "A", "2025-01-31", "99492", charge=145),
                   claim("C3", "A", "2025-02-28", "99493", npi=OTHER_NPI, charge=134)])
    assert found(con) == [("A", "2025-01", "duplicate_claim", "99492", "99492"),
                          ("A", "2025-02", "unsupported_claim", None, "99493"),
                          ("A", "2025-02", "wrong_billing_npi", None, "99493")]
    dup = one(con, "duplicate_claim")
    assert (dup["claim_ids"], dup["amount_at_stake"]) == ("C1, C2", 145)
    npi = one(con, "wrong_billing_npi")
    assert npi["explanation"] == (f"Claim C3 bills 99493 under NPI {OTHER_NPI}, not the treating practitioner's NPI {NPI}; "
                                  "rebill under the treating practitioner.")


def test_a_wrong_billing_npi_names_only_the_claims_billed_under_it(program):
    """120 minutes: 99492 + 99494 x2. N2 bills 99492 and one 99494 unit under the treating NPI, N3
    the other unit under another: "Claim N2, N3 bills 99494 under NPI ..." sent the correct claim N2
    to be rebilled too. Only N3 is named, with its line's charge."""
    con = program([patient("N")], [minutes("N", "2025-01-10", 120)],
                  [claim("N2", "N", "2025-01-31", "99492", charge=145), claim("N2", "N", "2025-01-31", "99494", line=2, charge=56),
                   claim("N3", "N", "2025-01-31", "99494", npi=OTHER_NPI, charge=57)])
    npi = one(con, "wrong_billing_npi")
    assert (npi["claim_ids"], npi["amount_at_stake"]) == ("N3", 57)
    assert npi["explanation"].startswith(f"Claim N3 bills 99494 under NPI {OTHER_NPI}, not the treating practitioner's")


def test_a_duplicate_with_another_charge_puts_the_later_lines_charge_at_stake(program):
    """99492 billed on C1 at $145 and again on C2 at $200: the duplicate to void is C2's line, so
    $200 is at stake (it read $172.50, the two charges' average, on no line of any remittance);
    three lines on one claim and another: the two later lines' $145 + $150. A later line with no
    charge is priced at the fee."""
    con = program([patient("A"), patient("B"), patient("C")],
                  [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40), minutes("C", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", charge=145), claim("C2", "A", "2025-01-31", "99492", charge=200),
                   claim("B1", "B", "2025-01-31", "99492", charge=100), claim("B1", "B", "2025-01-31", "99492", line=2, charge=145),
                   claim("B2", "B", "2025-01-31", "99492", charge=150),
                   claim("D1", "C", "2025-01-31", "99492", charge=300),
                   {**claim("D2", "C", "2025-01-31", "99492"), "charge_amount": ""}])
    rows = findings(con, "2025-01").query("finding == 'duplicate_claim'").set_index("patient_id")
    assert list(rows.loc[["A", "B", "C"], "amount_at_stake"]) == [200, 145 + 150, 145]
    assert rows.loc["A", "explanation"] == (
        "99492 is billed 2 times for 2025-01 (claims C1, C2); the earliest line stands: void the later line.")
    assert rows.loc["B", "explanation"] == (
        "99492 is billed 3 times for 2025-01 (claims B1, B2); the earliest line stands: void the later lines.")


def test_wrong_billing_npi_on_a_supported_claim(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", npi=OTHER_NPI, charge=145)])
    assert found(con) == [("A", "2025-01", "wrong_billing_npi", "99492", "99492")]


def test_a_group_practice_claim_rendered_by_the_treating_practitioner_is_not_under_a_wrong_npi(program):
    """A group practice bills under its group NPI with the practitioner as rendering provider
    (CMS-1500 box 24J): A's 99492 and its initiating visit so are the treating practitioner's claims,
    and read matched with the visit found; B's, rendered by someone else (the care manager), is
    still under the wrong NPI. Before, A read wrong_billing_npi and no_initiating_visit."""
    group = "1326076890"
    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)],
                  [{**claim("C1", "A", "2025-01-31", "99492", npi=group, charge=145), "rendering_provider_npi": NPI},
                   {**claim("V1", "A", "2024-12-02", "99213", npi=group, charge=92), "rendering_provider_npi": NPI},
                   {**claim("C2", "B", "2025-01-31", "99492", npi=group, charge=145), "rendering_provider_npi": OTHER_NPI},
                   visit("B")], visits=False)
    assert found(con) == [("A", "2025-01", "matched", "99492", "99492"),
                          ("B", "2025-01", "wrong_billing_npi", "99492", "99492")]


def test_denied_claim_the_minutes_support(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 90)],
                  [claim("C1", "A", "2025-01-31", "99492", status="denied"),
                   claim("C1", "A", "2025-01-31", "99494", line=2, status="denied")])
    assert found(con) == [("A", "2025-01", "denied_claim", "99492", "99492"), ("A", "2025-01", "denied_claim", "99494", "99494")]
    assert findings(con, "2025-01").amount_at_stake.sum() == 145 + 56


def test_a_voided_claim_line_bills_nothing(program):
    """A voided and replaced: the replacement is the month's one claim, not a duplicate. B voided with
    no replacement: the month is not billed (the sentence names the voided claim), and its charge
    is in neither the month's billed nor paid dollars."""
    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 45), minutes("B", "2025-01-10", 45)],
                  [claim("C1", "A", "2025-01-31", "99492", status="voided", charge=145, paid=0),
                   claim("C2", "A", "2025-01-31", "99492", charge=145, paid=130),
                   claim("C3", "B", "2025-01-31", "99492", status="voided", charge=145, paid=130)])
    assert found(con) == [("A", "2025-01", "matched", "99492", "99492"), ("B", "2025-01", "missed_billing", "99492", None)]
    rows = findings(con, "2025-01").set_index("patient_id")
    assert rows.loc["A", "claim_ids"] == "C2"
    assert rows.loc["B", "explanation"] == (
        "45 countable minutes in 2025-01 support 99492 but no claim line bills it (claim C3 was voided); bill it.")
    month = monthly_totals(con, "2025-01").iloc[0]
    assert (month.billed_amount, month.paid_amount, month.missed_revenue) == (145, 130, 145)


def test_missing_consent_billed_and_minutes_logged(program):
    """N has no consent: minutes logged (info) in January, a claim in February. L consented in
    March 2025 and was billed for February."""
    con = program([patient("N", consent=""), patient("L", consent="2025-03-05")],
                  [minutes("N", "2025-01-10", 40), minutes("L", "2025-02-10", 40), minutes("L", "2025-03-10", 40)],
                  [claim("C1", "N", "2025-02-28", "99493"), claim("C2", "L", "2025-02-28", "99492"),
                   claim("C3", "L", "2025-03-31", "99492")])
    assert found(con) == [("L", "2025-02", "missing_consent", None, "99492"),
                          ("L", "2025-02", "unsupported_claim", None, "99492"),
                          ("L", "2025-03", "matched", "99492", "99492"),
                          ("N", "2025-01", "missing_consent", None, None),
                          ("N", "2025-02", "missing_consent", None, "99493"),
                          ("N", "2025-02", "unsupported_claim", None, "99493")]
    rows = findings(con, "2025-01", "2025-02").set_index(["patient_id", "service_month", "severity"])
    assert rows.loc[("N", "2025-01", "info"), "explanation"] == (
        "40 minutes of care-management time logged in 2025-01 but the patient has no consent on file; "
        "they count only once consent is recorded.")
    assert rows.query("finding == 'missing_consent'").loc[("L", "2025-02", "compliance"), "explanation"] == (
        "99492 is billed for 2025-02 but consent is dated 2025-03-05, after that month; bill only months from consent on.")


def test_unknown_patient(program):
    con = program([patient("A")], [], [claim("C1", "A9", "2025-01-31", "99493", charge=134)])
    rows = findings(con, "2025-01")
    assert list(zip(rows.patient_id, rows.finding, rows.severity, rows.billed_code, rows.amount_at_stake)) == [
        ("A9", "unknown_patient", "compliance", "99493", 134)]


def test_an_unknown_patients_denied_line_puts_nothing_at_stake(program):
    """A registered patient's denied line is billed for nothing and puts nothing at stake; a patient
    not in the registry's denied 99494 put its $56 into the compliance exposure beside billed totals
    that leave it out. The finding stays: the claim's patient id still needs correcting."""
    con = program([patient("A")], [], [claim("C9", "A9", "2025-01-31", "99493", charge=134),
                                       claim("C8", "A9", "2025-01-31", "99494", line=2, charge=56, status="denied"),
                                       claim("C7", "A8", "2025-01-31", "99492", charge=145, status="denied")])
    rows = findings(con, "2025-01")
    assert sorted(zip(rows.patient_id, rows.finding, rows.billed_code, rows.amount_at_stake)) == [
        ("A8", "unknown_patient", "99492", 0), ("A9", "unknown_patient", "99493", 134), ("A9", "unknown_patient", "99494", 0)]
    assert monthly_totals(con, "2025-01").iloc[0].compliance_exposure == 134


def test_an_unknown_patients_month_carries_its_claims_billed_and_paid_as_the_months_totals_count_them(program):
    """A claim for a patient not in the registry counts in the month's billed and paid (the page, the
    workbook's by_month); its finding left the month's billed and paid empty, so the findings CSV's
    month columns added up to $134 and $90 less than the page said."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", charge=145, paid=130),
                   claim("C9", "A9", "2025-01-31", "99493", charge=134),
                   claim("C8", "A9", "2025-01-31", "99494", line=2, charge=56, status="denied")])
    rows = findings(con, "2025-01").drop_duplicates(["patient_id", "service_month"]).set_index("patient_id")
    assert list(rows.loc["A9", ["month_billed_amount", "month_paid_amount"]]) == [134, 90]
    month = monthly_totals(con, "2025-01").iloc[0]
    assert (rows.month_billed_amount.sum(), rows.month_paid_amount.sum()) == (month.billed_amount, month.paid_amount)


def test_codes_that_are_not_cocm_are_recognised_not_reconciled(program):
    """Digital mental health (G0553) is not CoCM, and E/M 99213 is not reconciled (it is an initiating
    visit). The APCM behavioral add-ons are reconciled since issue 10: the add-on without an APCM base
    code by the same practitioner (G0568 in March), which this test used to expect as a
    same_month_conflict, is an unsupported_claim (issue 10 item 1; its other cases are in
    tests/test_billing_2026.py), and G0569 with its base code in February, a month with no
    countable minutes, is one too."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C1", "A", "2025-01-31", "G0553", line=2),
                   claim("C2", "A", "2025-02-28", "G0557"), claim("C2", "A", "2025-02-28", "G0569", line=2),
                   claim("C3", "A", "2025-03-31", "G0568", charge=40), claim("C4", "A", "2025-03-31", "99213")])
    assert found(con) == [("A", "2025-01", "matched", "99492", "99492"),
                          ("A", "2025-02", "unsupported_claim", None, "G0569"),
                          ("A", "2025-03", "unsupported_claim", None, "G0568")]
    rows = findings(con, "2025-02", "2025-03").set_index("service_month")
    assert rows.loc["2025-03", "amount_at_stake"] == 40
    assert rows.loc["2025-03", "explanation"].startswith(
        "Claim C3 bills G0568 but no APCM base code (G0556, G0557 or G0558) by the same practitioner is billed with it, "
        "and no countable minutes are logged in 2025-03; ")
    assert rows.loc["2025-02", "explanation"] == ("Claim C2 bills G0569 but no countable minutes are logged in 2025-02; "
                                                  "void the line or document the time.")


def test_claims_outside_the_period_are_left_out(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "A", "2025-02-28", "99492")])
    assert found(con, "2025-01", "2025-01") == [("A", "2025-01", "matched", "99492", "99492")]


def test_report_totals_are_sums_of_finding_rows_and_the_workbook_opens(program, tmp_path):
    con = program([patient("A"), patient("B")],
                  [minutes("A", "2025-01-10", 90), minutes("B", "2025-01-10", 40), minutes("B", "2025-02-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", charge=145, paid=140),
                   claim("C2", "B", "2025-01-31", "99492", charge=145, paid=145),
                   claim("C3", "B", "2025-02-28", "99493", charge=134, status="denied")])
    rows = findings(con, "2025-01", "2025-02")
    table = summary(rows)
    assert table.finding_rows.sum() == len(rows) and table.amount_at_stake.sum() == rows.amount_at_stake.sum()
    assert set(zip(table.finding, table.severity, table.finding_rows, table.amount_at_stake)) == {
        ("matched", "info", 1, 0), ("missed_billing", "revenue", 1, 56), ("denied_claim", "revenue", 1, 134)}
    months = monthly_totals(con, "2025-01", "2025-02")
    assert list(zip(months.service_month, months.expected_amount, months.billed_amount, months.paid_amount,
                    months.missed_revenue, months.patient_months, months.reconciled_months)) == [
        ("2025-01", 145 + 56 + 145, 290, 285, 56, 2, 1), ("2025-02", 134, 0, 0, 134, 1, 0)]
    only_b = monthly_totals(con, "2025-01", "2025-02", payer="medicare", clinic="PP")
    assert list(only_b.expected_amount) == list(months.expected_amount)
    path = reconciliation_workbook(con, "2025-01", "2025-02", tmp_path / "recon.xlsx")
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["work queue", "summary", "by_month", "expected_to_billed", "info", "evidence", "about"]
    queue = list(book["work queue"].values)
    assert [(r[1], r[3], r[10]) for r in queue[1:-1]] == [("denied_claim", "B", 134), ("missed_billing", "A", 56)]
    sheet = load_workbook(path)["work queue"]  # the columns finance fills in: a due date typed in reads as a date
    due = queue[0].index("due") + 1
    column = sheet.column_dimensions[sheet.cell(1, due).column_letter]
    assert (column.number_format, column.width >= 12) == ("yyyy-mm-dd", True)
    evidence = list(book["evidence"].values)
    assert len(evidence) == 1 + 4  # header + one entry for each expected line: A's 99492 and 99494, B's two months

    # Y has another payer at A and B's clinic, Z the same payer at another clinic: the filters leave both out
    program([patient("Y", payer="Medicaid"), patient("Z", clinic="FQ")],
            [minutes("Y", "2025-01-10", 90), minutes("Z", "2025-01-10", 90)])
    assert list(monthly_totals(con, "2025-01", "2025-02").patient_months) == [4, 1]
    assert list(monthly_totals(con, "2025-01", "2025-02", payer="medicare").patient_months) == [3, 1]
    assert list(monthly_totals(con, "2025-01", "2025-02", clinic="PP").patient_months) == [3, 1]
    only_a_and_b = monthly_totals(con, "2025-01", "2025-02", payer="medicare", clinic="PP")
    assert list(zip(only_a_and_b.expected_amount, only_a_and_b.patient_months)) == list(zip(months.expected_amount, months.patient_months))


def test_expected_less_missed_plus_exposure_misses_billed_by_the_wrong_code_and_npi_months_as_the_glossary_says(program):
    """The glossary tells finance why the headline does not add up: a claim under a wrong code or
    NPI counts whole as exposure while its month's supported code stays in expected. With charges at
    the fee, that is the only gap: A's 99493 in an initial month (99492, $145, expected) and B's
    99492 under another NPI ($145); C matched and D's 99494 not billed ($56) close."""
    con = program([patient("A"), patient("B"), patient("C"), patient("D")],
                  [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40), minutes("C", "2025-01-10", 40),
                   minutes("D", "2025-01-10", 90)],
                  [claim("A1", "A", "2025-01-31", "99493", charge=134), claim("B1", "B", "2025-01-31", "99492", npi=OTHER_NPI, charge=145),
                   claim("C1", "C", "2025-01-31", "99492", charge=145), claim("D1", "D", "2025-01-31", "99492", charge=145)])
    month = monthly_totals(con, "2025-01").iloc[0]
    assert (month.expected_amount, month.billed_amount, month.missed_revenue, month.compliance_exposure) == (
        4 * 145 + 56, 134 + 3 * 145, 56, 134 + 145)
    gap = month.expected_amount - month.missed_revenue + month.compliance_exposure - month.billed_amount
    assert gap == 145 + 145
    # the walk from expected to billed does add up: D's 99494 missed, A's month moved to 99493 (-$11), B's NPI $0
    walk = dict(zip(*bridge(con, "2025-01")[["line", "walk_amount"]].T.values))
    assert walk["expected"] - 56 - 11 == walk["billed"] and (walk["moved"], walk["residual"]) == (-11, 0)
    assert any(term == "why the figures do not add up" and "wrong code or NPI" in meaning for term, meaning in billing_terms("r", Privacy.packaged("internal")))


def test_reconcile_command_writes_findings_csv_and_the_workbook(program, tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A")], [minutes("A", "2025-01-10", 90)], [claim("C1", "A", "2025-01-31", "99492", charge=145)])
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype={"expected_code": str})
    assert list(zip(rows.finding, rows.expected_code, rows.amount_at_stake)) == [("missed_billing", "99494", 56.0)]
    for column in ("patient_id", "service_month", "severity", "expected_units", "billed_code", "billed_units",
                   "claim_ids", "explanation"):
        assert column in rows
    assert "missed revenue $56.00; compliance exposure $0.00" in result.output
    assert "reads as missed billing" not in result.output, "January's claims are loaded: no warning"
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    sheets = load_workbook(tmp_path / "r.xlsx", read_only=True).sheetnames
    assert sheets == ["work queue", "summary", "by_month", "expected_to_billed", "info", "evidence", "about"]
    helped = " ".join(CliRunner().invoke(reconcile, ["--help"]).output.split())
    assert ", ".join(sheets) in helped, "--help names the workbook's sheets as finance sees them"
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(tmp_path / "r.parquet")])
    assert result.exit_code == 1 and "unsupported output type" in result.output


def test_the_findings_csv_names_each_finding_in_words_beside_its_id(program, tmp_path):
    """Finance filtering the CSV read ids only (missing_consent); the id stays, and beside it the
    finding's name as the page and the workbook give it, by severity where one id is two things."""
    import pandas as pd
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A"), patient("D", consent=""), patient("F", consent="")],
                  [minutes("A", "2025-01-10", 90), minutes("D", "2025-01-10", 40), minutes("F", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", charge=145), claim("D1", "D", "2025-01-31", "99492", charge=145)])
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out)
    assert list(rows.columns).index("finding_label") == list(rows.columns).index("finding") + 1
    named = set(zip(rows.patient_id, rows.finding, rows.finding_label))
    assert {("A", "missed_billing", "missed billing"), ("D", "missing_consent", "billed without consent"),
            ("F", "missing_consent", "minutes logged without consent")} <= named, named


def test_g2214_initial_31_35_off_the_sentence_quotes_the_threshold_the_minutes_miss(program, tmp_path):
    """33 minutes in an initial month bill G2214 by default; with g2214_initial_31_35 off they bill
    nothing. A billed G2214 (A) or 99493 (C) is then unsupported, and the sentence quotes the
    threshold the 33 minutes do not reach (99492 needs 36), never one they pass (G2214 needs 16,
    99493 needs 31)."""
    from bcm_analytics.billing import load_rules

    con = program([patient("A"), patient("C")], [minutes("A", "2025-01-10", 33), minutes("C", "2025-01-10", 33)],
                  [claim("A1", "A", "2025-01-31", "G2214", charge=52), claim("C1", "C", "2025-01-31", "99493", charge=134)])
    assert found(con) == [("A", "2025-01", "matched", "G2214", "G2214"), ("C", "2025-01", "wrong_code", "G2214", "99493")]
    (tmp_path / "off.yaml").write_text("settings: {g2214_initial_31_35: false}\n")
    off = load_rules(tmp_path / "off.yaml")
    assert found(con, rules=off) == [("A", "2025-01", "unsupported_claim", None, "G2214"),
                                     ("C", "2025-01", "unsupported_claim", None, "99493")]
    rows = findings(con, "2025-01", rules=off).set_index("patient_id")
    assert list(zip(rows.loc[["A", "C"], "threshold_code"], rows.loc[["A", "C"], "threshold_minutes"])) == [
        ("99492", 36), ("99492", 36)]
    assert rows.loc["A", "explanation"] == (
        "Claim A1 bills G2214 but the 33 countable minutes in 2025-01 are past its range in an initial month "
        "(g2214_initial_31_35 is off) and reach no other code (99492 needs 36); void the line or document the time.")
    assert rows.loc["C", "explanation"] == (
        "Claim C1 bills 99493 but the 33 countable minutes in 2025-01 support no code (99492 needs 36); "
        "void the line or document the time.")


def test_99492_once_per_calendar_year_the_sentence_names_that_rule(program, tmp_path):
    """Episodes start in January and in August 2025 (after six empty months). By default August is the
    initial month of its episode and bills 99492; with initial_code_once_per: calendar_year it is
    subsequent, because January reached 99492 that year. The sentence says so, with the month
    (rule_date), instead of calling August a subsequent month of the episode it starts."""
    from bcm_analytics.billing import load_rules

    con = program([patient("P")], [minutes("P", "2025-01-05", 40), minutes("P", "2025-08-05", 40)],
                  [claim("P1", "P", "2025-01-31", "99492"), claim("P8", "P", "2025-08-31", "99492")])
    assert found(con) == [("P", "2025-01", "matched", "99492", "99492"), ("P", "2025-08", "matched", "99492", "99492")]
    (tmp_path / "yearly.yaml").write_text("settings: {initial_code_once_per: calendar_year}\n")
    yearly = load_rules(tmp_path / "yearly.yaml")
    assert found(con, rules=yearly) == [("P", "2025-01", "matched", "99492", "99492"),
                                        ("P", "2025-08", "wrong_code", "99493", "99492")]
    row = findings(con, "2025-08", rules=yearly).iloc[0]
    assert (row.month_type, row.episode_id, str(row.rule_date)[:10]) == ("subsequent", "P-2025-08", "2025-01-01")
    assert row.explanation == ("Claim P8 bills 99492 but this payer bills 99492 once per calendar year and an earlier "
                               "episode reached it in 2025-01; bill 99493.")


def test_an_add_on_beside_a_denied_base_code_is_not_an_add_on_without_base(program):
    """A: 99492 and 99494 on claim A1, 99492 denied. B: 99493 denied on B1, 99494 on B2. The base code is
    on the claims, so the add-on is not "billed without 99492 or 99493" (that sentence used to come
    with the minutes supporting both codes and 56 at stake to void a supported add-on): the month reads
    denied_claim for the base code, and the add-on is reconciled on its own (x1 as supported)."""
    con = program([patient("A"), patient("B")],
                  [minutes("A", "2025-01-10", 90), minutes("B", "2024-12-10", 40), minutes("B", "2025-01-10", 80)],
                  [claim("A1", "A", "2025-01-31", "99492", status="denied", charge=145),
                   claim("A1", "A", "2025-01-31", "99494", line=2, charge=56),
                   claim("B1", "B", "2025-01-31", "99493", status="denied", charge=134),
                   claim("B2", "B", "2025-01-31", "99494", charge=56)])
    assert found(con, "2025-01", "2025-01") == [("A", "2025-01", "denied_claim", "99492", "99492"),
                                                ("B", "2025-01", "denied_claim", "99493", "99493")]
    rows = findings(con, "2025-01").set_index("patient_id")
    assert list(rows.loc[["A", "B"], "amount_at_stake"]) == [145, 134]
    assert rows.loc["A", "explanation"] == ("99492 on claim A1 was denied although 90 countable minutes support it; "
                                            "correct and resubmit or appeal.")


def test_the_duplicate_to_void_is_the_later_claim_by_date_and_number_not_by_text(program):
    """Claim ids are text: claim 1000 of 31 July ($300, pending) sorted before claim 999 of 15 July
    ($134, paid), so the good claim read as the one to void and $134 as at stake. The later line is
    by date of service, then claim number: 1000's $300. On one day, C9 comes before C10: the 99494 x1
    repeated on C10 ($99) is the duplicate, not C9's ($56)."""
    con = program([patient("A"), patient("B")], [minutes("A", "2025-07-10", 40), minutes("B", "2025-07-10", 90)],
                  [claim("999", "A", "2025-07-15", "99492", charge=134), claim("1000", "A", "2025-07-31", "99492", charge=300, status="pending"),
                   claim("C9", "B", "2025-07-31", "99492", charge=145), claim("C9", "B", "2025-07-31", "99494", line=2, charge=56),
                   claim("C10", "B", "2025-07-31", "99494", charge=99)])
    rows = findings(con, "2025-07").query("finding == 'duplicate_claim'").set_index("patient_id")
    assert list(rows.loc[["A", "B"], "amount_at_stake"]) == [300, 99]


def test_a_99494_unit_billed_and_denied_on_another_claim_is_a_denied_claim_not_units_to_correct(program):
    """106 subsequent minutes support 99493 + 99494 x2. H bills 99493 and 99494 x1 on H2 (paid) and the
    other 99494 x1 on H3, denied CO-151: it read units_mismatch "billed x1 ... correct the units", which
    resubmits a unit the payer denied, and the denials left it out. It is a denied_claim of x1 on H3,
    with the payer's reason and its advice; K, whose second unit was never billed, stays units_mismatch."""
    con = program([patient("H"), patient("K")],
                  [minutes(p, "2025-01-10", 40) for p in "HK"] + [minutes(p, "2025-02-10", 106) for p in "HK"],
                  [{**claim("H3", "H", "2025-02-28", "99494", status="denied", charge=56), "denial_reason": "CO-151"}]
                  + [claim(f"{p}1", p, "2025-01-31", "99492") for p in "HK"]
                  + [claim("H2", "H", "2025-02-28", "99493", charge=134), claim("H2", "H", "2025-02-28", "99494", line=2, charge=56),
                     claim("K2", "K", "2025-02-28", "99493", charge=134), claim("K2", "K", "2025-02-28", "99494", line=2, charge=56)])
    assert found(con, "2025-02", "2025-02") == [("H", "2025-02", "denied_claim", "99494", "99494"),
                                                ("K", "2025-02", "units_mismatch", "99494", "99494")]
    h = one(con, "denied_claim", "2025-02", "2025-02")
    assert (h["severity"], h["expected_units"], h["billed_units"], h["claim_ids"], h["reason"]) == ("revenue", 1, 1, "H3", "denied_units")
    assert h["explanation"].startswith("99494 x1 on claim H3 was denied (the payer's reason: CO-151) although 106 countable "
                                       "minutes support it beside the x1 billed on another line; ")


def test_a_denied_line_the_minutes_do_not_support_is_not_to_appeal_or_resubmit(program):
    """A biller works the denials: a denied line the minutes never supported had no finding at all
    (unsupported_claim and wrong_code were of lines that bill), so it read as one to appeal. At the
    thresholds: A, an initial month of 35 minutes, 99492 (needs 36) denied CO-50; C, a subsequent
    month of 30 minutes, 99493 (needs 31) denied; E, 99493 denied for a month with no minutes. Each
    is a denied_claim of reason denied_unsupported, compliance, $0 at stake (nothing billed stands,
    nothing was paid; known, not unpriced), with the threshold its unsupported_claim would quote, and
    a sentence not to appeal or resubmit it; the code the minutes support is its own missed_billing.
    No such month reconciles, and the month's totals hold no compliance dollar for it."""
    con = program([patient("A"), patient("C"), patient("E")],
                  [minutes("A", "2025-01-10", 35), minutes("C", "2025-01-10", 40), minutes("C", "2025-02-10", 30),
                   minutes("E", "2025-01-10", 40)],
                  [{**claim("A1", "A", "2025-01-31", "99492", status="denied", charge=145), "denial_reason": "CO-50"},
                   claim("C0", "C", "2025-01-31", "99492", charge=145), claim("C1", "C", "2025-02-28", "99493", status="denied", charge=134),
                   claim("E0", "E", "2025-01-31", "99492", charge=145), claim("E1", "E", "2025-02-28", "99493", status="denied", charge=134)])
    assert found(con, "2025-01", "2025-02") == [
        ("A", "2025-01", "denied_claim", "G2214", "99492"), ("A", "2025-01", "missed_billing", "G2214", None),
        ("C", "2025-01", "matched", "99492", "99492"),
        ("C", "2025-02", "denied_claim", "G2214", "99493"), ("C", "2025-02", "missed_billing", "G2214", None),
        ("E", "2025-01", "matched", "99492", "99492"), ("E", "2025-02", "denied_claim", None, "99493")]
    rows = findings(con, "2025-01", "2025-02").query("finding == 'denied_claim'").set_index("patient_id")
    assert set(rows.reason) == {"denied_unsupported"} and set(rows.severity) == {"compliance"}
    assert list(rows.amount_at_stake) == [0, 0, 0] and not rows.not_priced.any()
    assert [(r.threshold_code, r.threshold_minutes, r.claim_ids) for r in rows.loc[["A", "C"]].itertuples()] == [
        ("99492", 36, "A1"), ("99493", 31, "C1")]
    assert rows.loc["A", "explanation"] == (
        "99492 on claim A1 was denied (the payer's reason: CO-50), and the 35 countable minutes in 2025-01 reach only G2214 "
        "(99492 needs 36): do not appeal or resubmit it as billed.")
    assert rows.loc["C", "explanation"] == (
        "99493 on claim C1 was denied, and the 30 countable minutes in 2025-02 reach only G2214 (99493 needs 31): "
        "do not appeal or resubmit it as billed.")
    assert rows.loc["E", "explanation"] == (
        "99493 on claim E1 was denied, and no countable minutes are logged in 2025-02: do not appeal or resubmit it as billed.")
    totals = monthly_totals(con, "2025-01", "2025-02").set_index("service_month")
    assert list(totals.compliance_exposure) == [0, 0] and list(totals.months_with_compliance_finding) == [1, 2]
    assert list(totals.reconciled_months) == [2, 0] and list(totals.patient_months) == [3, 2]
    assert list(totals.missed_revenue) == [52, 52]  # G2214 of A and C, at $52 (2025)


def test_a_denied_line_the_minutes_support_at_the_threshold_is_still_to_resubmit_or_appeal(program):
    """The other side of each threshold: B, an initial month of 36 minutes, 99492 denied CO-50; D, a
    subsequent month of 31 minutes, 99493 denied. The minutes support them: denied_claim, reason
    denied, revenue, the fee at stake and the payer's advice, as before."""
    con = program([patient("B"), patient("D")],
                  [minutes("B", "2025-01-10", 36), minutes("D", "2025-01-10", 40), minutes("D", "2025-02-10", 31)],
                  [{**claim("B1", "B", "2025-01-31", "99492", status="denied", charge=145), "denial_reason": "CO-50"},
                   claim("D0", "D", "2025-01-31", "99492", charge=145), claim("D1", "D", "2025-02-28", "99493", status="denied", charge=134)])
    assert found(con, "2025-01", "2025-02") == [("B", "2025-01", "denied_claim", "99492", "99492"),
                                                ("D", "2025-01", "matched", "99492", "99492"),
                                                ("D", "2025-02", "denied_claim", "99493", "99493")]
    rows = findings(con, "2025-01", "2025-02").query("finding == 'denied_claim'").set_index("patient_id")
    assert set(rows.reason) == {"denied"} and set(rows.severity) == {"revenue"} and rows.amount_at_stake.tolist() == [145, 134]
    assert rows.loc["B", "explanation"].startswith(
        "99492 on claim B1 was denied (the payer's reason: CO-50) although 36 countable minutes support it; ")
    assert rows.loc["D", "explanation"] == (
        "99493 on claim D1 was denied although 31 countable minutes support it; correct and resubmit or appeal.")


def test_a_denied_unsupported_line_beside_the_months_other_lines_is_said_once(program):
    """Subsequent months. G: 30 minutes, 99493 denied on G1 and the month billed again as G2214 on G2,
    which the minutes support: G2214 is matched, and the denial one to let stand (a review finding,
    test_a_denied_unsupported_line_in_a_month_billed_again_is_a_denial_to_let_stand; it was no finding,
    and the month reconciled). H: 30 minutes, 99493 denied on H1 and billed again on H2: the
    one unsupported_claim it always was, naming both claims ("bill G2214"), and no denied finding beside it. K: 80
    minutes (99493 + 99494 x1), 99492 denied on K1 beside 99494 paid on it: 99492 is not to be
    appealed (the wrong code for a subsequent month), 99493 is missed, and the 99494 the minutes
    support gets no finding of its own; the month does not reconcile."""
    con = program([patient(p) for p in "GHK"],
                  [minutes(p, "2025-01-10", 40) for p in "GHK"]
                  + [minutes("G", "2025-02-10", 30), minutes("H", "2025-02-10", 30), minutes("K", "2025-02-10", 80)],
                  [claim(f"{p}0", p, "2025-01-31", "99492", charge=145) for p in "GHK"]
                  + [claim("G1", "G", "2025-02-14", "99493", status="denied", charge=134), claim("G2", "G", "2025-02-28", "G2214", charge=52),
                     claim("H1", "H", "2025-02-14", "99493", status="denied", charge=134), claim("H2", "H", "2025-02-28", "99493", charge=134),
                     claim("K1", "K", "2025-02-28", "99492", status="denied", charge=145),
                     claim("K1", "K", "2025-02-28", "99494", line=2, charge=56)])
    assert found(con, "2025-02", "2025-02") == [
        ("G", "2025-02", "denied_claim", "G2214", "99493"), ("G", "2025-02", "matched", "G2214", "G2214"),
        ("H", "2025-02", "unsupported_claim", "G2214", "99493"),
        ("K", "2025-02", "denied_claim", "99493", "99492"), ("K", "2025-02", "missed_billing", "99493", None)]
    rows = findings(con, "2025-02", "2025-02").set_index(["patient_id", "finding"])
    assert (rows.loc[("H", "unsupported_claim"), "claim_ids"], rows.loc[("H", "unsupported_claim"), "amount_at_stake"]) == ("H1, H2", 134)
    k = rows.loc[("K", "denied_claim")]
    assert (k.reason, k.severity, k.amount_at_stake, k.claim_ids) == ("denied_unsupported", "compliance", 0, "K1")
    assert k.explanation == (f"99492 on claim K1 was denied, and 2025-02 is a subsequent month of episode {k.episode_id} "
                             "(99492 is billed once, in the initial month): do not appeal or resubmit it as billed; "
                             "the month's minutes support 99493.")
    totals = monthly_totals(con, "2025-02", "2025-02").iloc[0]
    assert (totals.reconciled_months, totals.months_with_compliance_finding, totals.compliance_exposure) == (0, 2, 134)


def test_a_denied_99494_the_minutes_do_not_support_is_not_to_appeal_and_one_they_partly_support_is_to_correct(program):
    """billing_rules.md s6 item 3: 99494's units are those the minutes support. A denied 99494 the
    minutes do not support had no finding (a516f54 gave one to base codes only), so a biller working
    the denials could appeal it. Subsequent months: A, 70 minutes (99493 alone), 99493 paid and
    99494 x1 denied CO-151 on A2; B, 30 minutes (G2214 only), 99493 and 99494 x1 both denied on B2;
    M (Medicaid, cap 4), 226 minutes (x6, x4 capped), 99494 x6 denied on M2. A denied add-on is
    judged by its units as its billed lines are (units_mismatch's rule): A's and B's support x0,
    a denied_unsupported (compliance, $0); C, 100 minutes (99493 + 99494 x1), 99494 x3 denied on
    C2: partly supported, the unit the minutes support is missed revenue ($56), the line to
    correct, not to appeal as billed (reason denied_partly_supported); so is M's, above the cap.
    D, 100 minutes, 99494 x1 denied: supported, the denied_claim to resubmit or appeal it was."""
    con = program([patient(p) for p in "ABCD"] + [patient("M", payer="Medicaid")],
                  [minutes(p, "2025-01-10", 40) for p in "ABCDM"]
                  + [minutes("A", "2025-02-10", 70), minutes("B", "2025-02-10", 30), minutes("C", "2025-02-10", 100),
                     minutes("D", "2025-02-10", 100), minutes("M", "2025-02-10", 226)],
                  [{**claim("A2", "A", "2025-02-28", "99494", line=2, status="denied", charge=56), "denial_reason": "CO-151"}]
                  + [claim(f"{p}1", p, "2025-01-31", "99492", charge=145) for p in "ABCDM"]
                  + [claim("A2", "A", "2025-02-28", "99493", charge=134),
                     claim("B2", "B", "2025-02-28", "99493", status="denied", charge=134),
                     claim("B2", "B", "2025-02-28", "99494", line=2, status="denied", charge=56),
                     claim("C2", "C", "2025-02-28", "99493", charge=134),
                     claim("C2", "C", "2025-02-28", "99494", units=3, line=2, status="denied", charge=168),
                     claim("D2", "D", "2025-02-28", "99493", charge=134),
                     claim("D2", "D", "2025-02-28", "99494", line=2, status="denied", charge=56),
                     claim("M2", "M", "2025-02-28", "99493", charge=134),
                     claim("M2", "M", "2025-02-28", "99494", units=6, line=2, status="denied", charge=336)])
    assert found(con, "2025-02", "2025-02") == [
        ("A", "2025-02", "denied_claim", None, "99494"),
        ("B", "2025-02", "denied_claim", "G2214", "99493"), ("B", "2025-02", "denied_claim", None, "99494"),
        ("B", "2025-02", "missed_billing", "G2214", None),
        ("C", "2025-02", "denied_claim", "99494", "99494"), ("D", "2025-02", "denied_claim", "99494", "99494"),
        ("M", "2025-02", "denied_claim", "99494", "99494")]
    rows = findings(con, "2025-02", "2025-02").query("billed_code == '99494'").set_index("patient_id").sort_index()
    assert [tuple(None if v != v else v for v in row) for row in zip(
        rows.index, rows.reason, rows.severity, rows.expected_units, rows.billed_units, rows.amount_at_stake)] == [
        ("A", "denied_unsupported", "compliance", 0, 1, 0), ("B", "denied_unsupported", "compliance", 0, 1, 0),
        ("C", "denied_partly_supported", "revenue", 1, 3, 56), ("D", "denied", "revenue", 1, None, 56),
        ("M", "denied_partly_supported", "revenue", 4, 6, 224)]
    assert rows.loc["A", "explanation"] == (
        "99494 x1 on claim A2 was denied (the payer's reason: CO-151), and the 70 countable minutes support x0: "
        "do not appeal or resubmit it as billed.")
    assert rows.loc["B", "explanation"] == (
        "99494 x1 on claim B2 was denied, and the 30 countable minutes support x0: do not appeal or resubmit it as billed.")
    assert rows.loc["C", "explanation"] == (
        "99494 x3 on claim C2 was denied, and the 100 countable minutes support x1: do not appeal it as billed; "
        "correct the units to x1 and resubmit.")
    assert rows.loc["M", "explanation"] == (
        "99494 x6 on claim M2 was denied, and the 226 countable minutes support x4 (the payer allows at most 4 a month): "
        "do not appeal it as billed; correct the units to x4 and resubmit.")
    assert rows.loc["D", "explanation"].startswith("99494 on claim D2 was denied although 100 countable minutes support it; ")
    totals = monthly_totals(con, "2025-02", "2025-02").iloc[0]
    assert (totals.compliance_exposure, totals.missed_revenue, totals.reconciled_months) == (0, 56 + 56 + 224 + 52, 0)


def test_a_denied_apcm_add_on_the_month_cannot_bill_is_not_to_appeal(program):
    """billing_rules.md s6 item 11: an APCM behavioral-health add-on needs its APCM base code by the same
    practitioner, and the add-on of the month's type and program. Denied, the ones the month cannot
    bill had no finding. 45 minutes in subsequent months of 2026: W bills G0557 + G0568 (the initial
    month's add-on), G0568 denied; N bills G0569 alone, denied. Each is a denied_unsupported with
    the words its wrong_code or unsupported_claim would say; the month's 99493 is missed (no add-on
    stands in its place). V's G0569, denied beside its G0557 in its own month, is one the month can
    bill: no finding says not to appeal it (the month's 99493 is missed, as before)."""
    con = program([patient(p) for p in "NVW"],
                  [minutes(p, "2025-11-10", 40) for p in "NVW"] + [minutes(p, "2026-01-10", 45) for p in "NVW"],
                  [claim(f"{p}0", p, "2025-11-30", "99492", charge=145) for p in "NVW"]
                  + [claim("W1", "W", "2026-01-31", "G0557"), claim("W1", "W", "2026-01-31", "G0568", line=2, status="denied"),
                     claim("N1", "N", "2026-01-31", "G0569", status="denied"),
                     claim("V1", "V", "2026-01-31", "G0557"), claim("V1", "V", "2026-01-31", "G0569", line=2, status="denied")])
    assert found(con, "2026-01", "2026-01") == [
        ("N", "2026-01", "denied_claim", None, "G0569"), ("N", "2026-01", "missed_billing", "99493", None),
        ("V", "2026-01", "missed_billing", "99493", None),
        ("W", "2026-01", "denied_claim", "G0569", "G0568"), ("W", "2026-01", "missed_billing", "99493", None)]
    rows = findings(con, "2026-01", "2026-01").query("finding == 'denied_claim'").set_index("patient_id")
    assert list(zip(rows.reason, rows.severity, rows.amount_at_stake)) == [("denied_unsupported", "compliance", 0)] * 2
    assert rows.loc["W", "explanation"] == (
        "G0568 on claim W1 was denied, and 2026-01 is a subsequent month of episode W-2025-11, which bills G0569: "
        "do not appeal or resubmit it as billed.")
    assert rows.loc["N", "explanation"] == (
        "G0569 on claim N1 was denied, and no APCM base code (G0556, G0557 or G0558) by the same practitioner is billed "
        "with it in 2026-01: do not appeal or resubmit it as billed.")


def test_a_denied_unsupported_line_in_a_month_billed_again_is_a_denial_to_let_stand(program):
    """A denied line the minutes do not support, in a month billed again with a code that holds, had
    no finding: the month read matched, and nothing said the denial was to stand (appealed, the month
    would bill twice). It is a denied_claim of severity review (reason denied_billed_again, $0), the
    why as a denied_unsupported says it, and the code the month is billed as; the codes that hold stay
    matched beside it (the month does not reconcile: a person checks the denial is closed). G: 30
    minutes, 99493 denied on G1, G2214 billed on G2. P: 45 minutes in January 2026, G0557 + G0569 on
    P1 with G0569 denied, and 99493 on P2: the add-on beside the CPT code it mirrors would bill the
    month twice. R: 99493 denied at 40 minutes and billed again on R2, the common case of a denied
    line corrected and billed again: the minutes support it, no finding beyond matched."""
    con = program([patient(p) for p in "GPR"],
                  [minutes(p, "2025-01-10", 40) for p in "GR"] + [minutes("P", "2025-11-10", 40)]
                  + [minutes("G", "2025-02-10", 30), minutes("R", "2025-02-10", 40), minutes("P", "2026-01-10", 45)],
                  [{**claim("P1", "P", "2026-01-31", "G0569", line=2, status="denied"), "denial_reason": "CO-97"},
                   claim("G0", "G", "2025-01-31", "99492", charge=145), claim("R0", "R", "2025-01-31", "99492", charge=145),
                   claim("P0", "P", "2025-11-30", "99492", charge=145),
                   claim("G1", "G", "2025-02-14", "99493", status="denied", charge=134), claim("G2", "G", "2025-02-28", "G2214", charge=52),
                   claim("P1", "P", "2026-01-31", "G0557"),
                   claim("P2", "P", "2026-01-31", "99493", charge=134),
                   claim("R1", "R", "2025-02-14", "99493", status="denied", charge=134), claim("R2", "R", "2025-02-28", "99493", charge=134)])
    assert [f for f in found(con, "2025-02", "2026-01") if f[1] in ("2025-02", "2026-01")] == [
        ("G", "2025-02", "denied_claim", "G2214", "99493"), ("G", "2025-02", "matched", "G2214", "G2214"),
        ("P", "2026-01", "denied_claim", "99493", "G0569"), ("P", "2026-01", "matched", "99493", "99493"),
        ("R", "2025-02", "matched", "99493", "99493")]
    rows = findings(con, "2025-02", "2026-01").query("finding == 'denied_claim'").set_index("patient_id")
    assert list(zip(rows.reason, rows.severity, rows.amount_at_stake, rows.not_priced)) == [("denied_billed_again", "review", 0, False)] * 2
    assert rows.loc["G", "explanation"] == (
        "99493 on claim G1 was denied: the 30 countable minutes in 2025-02 reach only G2214 (99493 needs 31); "
        "let the denial stand, do not appeal or resubmit it: the month is billed as G2214.")
    assert rows.loc["P", "explanation"] == (
        "G0569 on claim P1 was denied (the payer's reason: CO-97): 99493 bills the month's CoCM, and G0569, an APCM add-on "
        "the month cannot bill, would bill it again; let the denial stand, do not appeal or resubmit it: the month is billed "
        "as 99493.")
    totals = monthly_totals(con, "2025-02", "2025-02").iloc[0]
    assert (totals.reconciled_months, totals.months_with_compliance_finding, totals.compliance_exposure) == (1, 0, 0)


def test_a_code_billed_and_the_same_code_denied_say_why_in_the_same_words(program):
    """Why the month does not support a code was written once per sentence: the unsupported_claim and
    wrong_code sentences, a denied line's, units_mismatch's, and they drifted (a month with minutes
    logged before consent said so when billed, not when denied; "for 2025-02 ... that month" against
    "in 2025-02"). It is written once (marts.unsupported_why): each pair of patients below, one billing
    the code, one billed only on a denied line, says the same why. 1: 30 subsequent minutes, 99493.
    2: 20 minutes logged before the consent on 2025-02-20, none countable, 99493. 3: 40 minutes in a
    subsequent month, 99492. 4: 100 subsequent minutes, 99494 x2 beside 99493 (x1 supported). 5: 45
    subsequent minutes in 2026, G0557 + G0568 (the initial month's add-on)."""
    def pair(k: str, **fields) -> list[dict]:
        return [patient(f"{k}B", **fields), patient(f"{k}D", **fields)]

    def lines(k: str, month: str, code: str, units: int = 1, beside: tuple = ()) -> list[dict]:
        return [line for who, status in (("B", "paid"), ("D", "denied"))
                for line in [claim(f"{k}{who}", f"{k}{who}", month, b, line=n + 2) for n, b in enumerate(beside)]
                + [claim(f"{k}{who}", f"{k}{who}", month, code, units=units, status=status)]]

    con = program(pair("1") + pair("2", consent="2025-02-20") + pair("3") + pair("4") + pair("5"),
                  [minutes(f"{k}{w}", day, n) for w in "BD" for k, day, n in (
                      ("1", "2025-01-10", 40), ("1", "2025-02-10", 30), ("2", "2025-02-10", 20), ("3", "2025-01-10", 40),
                      ("3", "2025-02-10", 40), ("4", "2025-01-10", 40), ("4", "2025-02-10", 100), ("5", "2025-12-10", 40),
                      ("5", "2026-01-10", 45))],
                  [claim(f"{k}{w}0", f"{k}{w}", "2025-01-31", "99492") for w in "BD" for k in "134"]
                  + [claim(f"5{w}0", f"5{w}", "2025-12-31", "99492") for w in "BD"]
                  + lines("1", "2025-02-28", "99493") + lines("2", "2025-02-28", "99493") + lines("3", "2025-02-28", "99492")
                  + lines("4", "2025-02-28", "99494", units=2, beside=("99493",))
                  + lines("5", "2026-01-31", "G0568", beside=("G0557",)))
    rows = findings(con, "2025-02", "2026-01")
    said = {}
    for row in rows[rows.finding.isin(["unsupported_claim", "wrong_code", "units_mismatch", "denied_claim"])].itertuples():
        why = re.search(r" but (.*); [^;]*\.$", row.explanation) or re.search(r" was denied, and (.*?): do not appeal", row.explanation)
        said[row.patient_id] = (why.group(1) if why else row.explanation).replace(row.patient_id, "P")  # P's episode
    assert sorted(said) == [f"{k}{w}" for k in "12345" for w in "BD"], said
    for k in "12345":
        assert said[f"{k}B"] == said[f"{k}D"], k
    assert said["2D"] == "no countable minutes are logged in 2025-02 (20 logged before consent)"
    assert said["3D"] == "2025-02 is a subsequent month of episode P-2025-01 (99492 is billed once, in the initial month)"
    assert said["4D"] == "the 100 countable minutes support x1"
    assert said["5D"] == "2026-01 is a subsequent month of episode P-2025-12, which bills G0569"


def test_99494_units_on_several_lines_add_up_and_only_a_repeated_line_is_a_duplicate(program):
    """120 initial minutes support 99492 + 99494 x2 (D: 90 minutes, x1). A bills the two units as two
    lines of claim A1, T as x1 on each of two claims: both are the month's two units (matched, not a
    units_mismatch x1 with a duplicate_claim). R bills x2 on A1 and repeats the line on R2: a duplicate
    (x2 at stake), not a units_mismatch x4. D bills x1 on two claims where x1 is due: a duplicate."""
    con = program([patient("A"), patient("T"), patient("R"), patient("D")],
                  [minutes("A", "2025-01-10", 120), minutes("T", "2025-01-10", 120), minutes("R", "2025-01-10", 120),
                   minutes("D", "2025-01-10", 90)],
                  [claim("A1", "A", "2025-01-31", "99492", charge=145), claim("A1", "A", "2025-01-31", "99494", line=2, charge=56),
                   claim("A1", "A", "2025-01-31", "99494", line=3, charge=56),
                   claim("T1", "T", "2025-01-31", "99492", charge=145), claim("T1", "T", "2025-01-31", "99494", line=2, charge=56),
                   claim("T2", "T", "2025-01-31", "99494", charge=56),
                   claim("R1", "R", "2025-01-31", "99492", charge=145), claim("R1", "R", "2025-01-31", "99494", units=2, line=2, charge=112),
                   claim("R2", "R", "2025-01-31", "99494", units=2, charge=112),
                   claim("D1", "D", "2025-01-31", "99492", charge=145), claim("D1", "D", "2025-01-31", "99494", line=2, charge=56),
                   claim("D2", "D", "2025-01-31", "99494", charge=56)])
    assert found(con, "2025-01", "2025-01") == [
        ("A", "2025-01", "matched", "99492", "99492"), ("A", "2025-01", "matched", "99494", "99494"),
        ("D", "2025-01", "duplicate_claim", "99494", "99494"),
        ("R", "2025-01", "duplicate_claim", "99494", "99494"),
        ("T", "2025-01", "matched", "99492", "99492"), ("T", "2025-01", "matched", "99494", "99494")]
    rows = findings(con, "2025-01").set_index(["patient_id", "billed_code"])
    assert rows.loc[("A", "99494"), "explanation"] == "99494 x2 billed as the 120 countable minutes support."
    assert list(rows.loc[[("R", "99494"), ("D", "99494")], "amount_at_stake"]) == [112, 56]
    assert rows.loc[("R", "99494"), "explanation"] == (
        "99494 is billed 2 times for 2025-01 (claims R1, R2); the earliest line stands: void the later line.")


def test_a_claim_with_two_compliance_findings_counts_its_dollars_once_in_the_months_totals(program):
    """No consent on file: the 99492 claim is both missing_consent and unsupported_claim, each
    $100 at stake as a finding; the month's compliance exposure is the claim's $100, not $200, in
    the totals and in the line `bcm reconcile` prints."""
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A", consent="")], [minutes("A", "2025-01-10", 40)], [claim("C1", "A", "2025-01-31", "99492", charge=100)])
    rows = findings(con, "2025-01")
    compliance = rows[rows.severity == "compliance"]
    assert sorted(compliance.finding) == ["missing_consent", "unsupported_claim"] and list(compliance.amount_at_stake) == [100, 100]
    assert compliance.counted_at_stake.sum() == 100
    assert list(monthly_totals(con, "2025-01", "2025-01").compliance_exposure) == [100]
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    assert "compliance exposure $100.00" in CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", db + ".csv"]).output
    unsupported = compliance[compliance.finding == "unsupported_claim"].explanation.iloc[0]
    assert unsupported == ("Claim C1 bills 99492 but no countable minutes are logged in 2025-01 (40 logged "
                           "with no consent on file); void the line or document the time.")


def test_an_unsupported_claim_says_whether_its_minutes_came_before_consent_or_with_none_on_file(program):
    """Section 6 item 6 names two cases: minutes before the consent date, and no consent on file.
    The sentence had said "before consent" for a patient with no consent date at all."""
    con = program([patient("L", consent="2025-02-01"), patient("N", consent="")],
                  [minutes("L", "2025-01-10", 40), minutes("N", "2025-01-10", 40)],
                  [claim("L1", "L", "2025-01-31", "99492"), claim("N1", "N", "2025-01-31", "99492")])
    rows = findings(con, "2025-01").set_index(["patient_id", "reason"]).explanation
    assert rows["L", "no_minutes"].endswith("(40 logged before consent); void the line or document the time.")
    assert rows["N", "no_minutes"].endswith("(40 logged with no consent on file); void the line or document the time.")


def test_minutes_with_seconds_read_as_minutes_and_seconds_in_the_sentences(program):
    """35:59 logged is 35.9833 minutes: the sentences read '35.9833 countable minutes', and a
    rounded 36.0 would read as reaching 99492's 36."""
    con = program([patient("A"), patient("N", consent="")],
                  [minutes("A", "2025-01-10", "00:35:59"), minutes("N", "2025-01-10", "00:35:59"), minutes("N", "2025-02-10", "00:12:30")],
                  [claim("A1", "A", "2025-01-31", "99492"), claim("N1", "N", "2025-01-31", "99492")])
    rows = findings(con, "2025-01", "2025-02").set_index(["patient_id", "reason"]).explanation
    assert rows["A", "below_base"] == (
        "Claim A1 bills 99492 but the countable minutes (35 min 59 s) in 2025-01 reach only G2214 (99492 needs 36); bill G2214.")
    assert rows["N", "no_minutes"] == ("Claim N1 bills 99492 but no countable minutes are logged in 2025-01 "
                                       "(35 min 59 s logged with no consent on file); void the line or document the time.")
    assert rows["N", "minutes_without_consent"] == (
        "12 min 30 s of care-management time logged in 2025-02 but the patient has no consent on file; they count only once "
        "consent is recorded.")


def test_dollars_with_no_fee_on_file_and_no_charge_are_unknown_not_zero_and_the_totals_count_them(program, tmp_path):
    """No fee schedule covers 2023. A's supported 99492 is not billed, B bills 99493 in an initial
    month with no charge amount: both read $0 at stake, as if nothing were. C's 99493 carries its
    charge, which stands in for the fee."""
    import pandas as pd
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient(p, consent="2023-01-01") for p in "ABC"], [minutes(p, "2023-06-10", 40) for p in "ABC"],
                  [{**claim("B1", "B", "2023-06-30", "99493"), "charge_amount": ""}, claim("C1", "C", "2023-06-30", "99493", charge=120)]
                  + [visit(p, "2023-05-02") for p in "ABC"], visits=False)
    rows = findings(con, "2023-06").set_index("patient_id")
    assert rows.loc["A", "finding"] == "missed_billing" and pd.isna(rows.loc["A", "amount_at_stake"])
    assert rows.loc["A", "explanation"].endswith("bill it. No fee is on file for 99492 in 2023-06: the dollars at stake are unknown.")
    assert rows.loc["B", "finding"] == "wrong_code" and pd.isna(rows.loc["B", "counted_at_stake"])
    assert rows.loc["B", "explanation"].endswith(
        " No fee is on file for 99493 in 2023-06 and the claim line has no charge amount: the dollars at stake are unknown.")
    assert (rows.loc["C", "amount_at_stake"], rows.loc["C", "explanation"].endswith("bills 99492.")) == (120, True)
    months = monthly_totals(con, "2023-06", "2023-06")
    assert months[["missed_revenue", "compliance_exposure", "months_with_revenue_finding", "findings_not_priced"]].values.tolist() \
        == [[0, 120, 1, 2]]
    assert list(summary(findings(con, "2023-06")).findings_not_priced) == [1, 1]
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    output = CliRunner().invoke(reconcile, ["--db", db, "--month", "2023-06", "--out", str(tmp_path / "f.csv")]).output
    assert "compliance exposure $120.00; 2 finding(s) not priced (no fee on file, no charge amount)" in output


def test_a_claim_unpriced_in_two_findings_counts_the_same_in_the_workbook_summary_and_the_monthly_totals(program):
    """D has no consent and bills 99493 with no charge amount in 2023 (no fee schedule): the claim is
    unsupported and lacks consent, two compliance findings of unknown dollars. Its dollars count
    once in the sums (counted_at_stake), and both places that count findings not priced say 2."""
    con = program([patient("D", consent="")], [minutes("D", "2023-06-10", 40)],
                  [{**claim("D1", "D", "2023-06-30", "99493"), "charge_amount": ""}, visit("D", "2023-05-02")], visits=False)
    rows = findings(con, "2023-06")
    unpriced = rows[rows.severity == "compliance"]
    assert sorted(unpriced.finding) == ["missing_consent", "unsupported_claim"] and unpriced.amount_at_stake.isna().all()
    assert summary(rows).findings_not_priced.sum() == 2
    months = monthly_totals(con, "2023-06", "2023-06")
    assert months[["compliance_exposure", "findings_not_priced"]].values.tolist() == [[0, 2]]


def test_the_findings_flag_those_not_priced_once_and_every_count_of_them_reads_the_flag(program):
    """recon_findings decides which findings are not priced (not_priced: money at stake, no fee on
    file, no charge amount); the monthly totals, the report's count from the rows and the workbook
    summary each count that flag (they tested amount_at_stake themselves, three copies of a rule).
    D's unpriced claim is two such findings; C's claim carries its charge; B's minutes without
    consent are an info note with nothing at stake."""
    from bcm_analytics.reports import billing_reconciliation as br

    con = program([patient("D", consent=""), patient("C", consent="2023-01-01"), patient("B", consent="")],
                  [minutes("D", "2023-06-10", 40), minutes("C", "2023-06-10", 40), minutes("B", "2023-06-10", 40)],
                  [{**claim("D1", "D", "2023-06-30", "99493"), "charge_amount": ""}, claim("C1", "C", "2023-06-30", "99493", charge=120)]
                  + [visit(p, "2023-05-02") for p in "DCB"], visits=False)
    rows = findings(con, "2023-06")
    flags = {(r.patient_id, r.finding, r.severity): r.not_priced for r in rows.itertuples()}
    assert flags == {("D", "missing_consent", "compliance"): True, ("D", "unsupported_claim", "compliance"): True,
                     ("C", "wrong_code", "compliance"): False, ("B", "missing_consent", "info"): False}
    assert monthly_totals(con, "2023-06", "2023-06").findings_not_priced.tolist() == [2]
    assert br.not_priced_in_rows(rows) == summary(rows).findings_not_priced.sum() == 2
    unflagged = rows.assign(not_priced=False)  # the readers count the flag, not amount_at_stake again
    assert br.not_priced_in_rows(unflagged) == summary(unflagged).findings_not_priced.sum() == 0


def test_reconcile_warns_of_expected_lines_with_no_fee_as_billing_does(program, tmp_path):
    """A 2023 month has no fee schedule: `bcm billing` warned that its expected lines are empty,
    `bcm reconcile` (finance's command) said nothing of it."""
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A", consent="2023-01-01")], [minutes("A", "2023-06-10", 40)], [visit("A", "2023-05-02")], visits=False)
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2023-06", "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert "warning: no fee for 99492 in 2023 (medicare): expected_amount is empty on 1 line(s)" in result.output


def test_months_whose_claims_are_not_loaded_are_named_beside_the_findings(program, tmp_path):
    """Claims lag the minutes: an export through February made March, April and June read as
    missed billing, as if nobody had billed them. A claim line set aside in the quarantine is a
    claim of its month (claim_quarantined says so), so May is not named."""
    from bcm_analytics.billing.engine import billing_marts
    from bcm_analytics.billing.reconcile import claims_gap_note, months_without_claims

    entries = [minutes("A", f"2025-{m:02d}-10", 40) for m in (1, 2, 3, 4)] + [minutes("B", "2025-05-10", 40),
                                                                             minutes("B", "2025-06-10", 40)]
    bad_units = {**claim("C5", "B", "2025-05-31", "99492"), "units": "two"}
    con = program([patient("A"), patient("B")], entries,
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "A", "2025-02-28", "99493"), bad_units])
    marts = billing_marts(con)
    assert months_without_claims(marts, "2025-01", "2025-12") == [dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 1)]
    assert claims_gap_note(marts, "2025-01", "2025-12") == (
        "No claim lines are loaded for 2025-03 to 2025-04 and 2025-06 (the store's claims run 2024-12 to 2025-02): "
        "every expected line of those months reads as missed billing until their claims are loaded.")
    assert claims_gap_note(marts, "2025-01", "2025-02") is None, "both months hold claims"
    assert claims_gap_note(marts, "2025-06", "2025-06", "%b %Y").startswith("No claim lines are loaded for Jun 2025 (")
    sheet = load_workbook(reconciliation_workbook(con, "2025-01", "2025-06", tmp_path / "f.xlsx"), read_only=True)["by_month"]
    rows = list(sheet.values)
    flag = rows[0].index("claims_not_loaded")
    assert [(r[0].strftime("%Y-%m"), r[flag]) for r in rows[1:7]] == [
        ("2025-01", False), ("2025-02", False), ("2025-03", True), ("2025-04", True), ("2025-05", False), ("2025-06", True)]


def test_a_store_with_no_claims_says_so_in_reconcile_instead_of_only_missed_revenue(program, tmp_path):
    """With no claims loaded, `bcm reconcile` printed "missed revenue $201.00" and nothing else:
    a finance lead who had not loaded the claims export read it as revenue to chase."""
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A")], [minutes("A", "2025-01-10", 90)], visits=False)
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--to", "2025-03", "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert ("warning: the store holds no claims, so every expected line of 2025-01 to 2025-03 reads as missed billing: "
            "load the claims export (bcm load claims.csv) before acting on these findings.") in result.output


def test_reconcile_warns_of_claim_lines_whose_status_it_does_not_know(program, tmp_path):
    """A canonical export that writes a line 'Suspended' (no status of the contract) loads (a
    warn-level check) and the line is reconciled as billed: beside its replacement it read
    duplicate_claim, with nothing said."""
    from click.testing import CliRunner

    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A")], [minutes("A", "2025-01-10", 45)],
                  [claim("C1", "A", "2025-01-31", "99492", status="Suspended"), claim("C2", "A", "2025-01-31", "99492")])
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0, result.output
    assert "warning: 1 claim line(s) with a claim_status reconciliation does not know, reconciled as billed: 'suspended' (1)" \
        in result.output
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-02", "--out", str(tmp_path / "g.csv")])
    assert "claim_status" not in result.output, "February has no such line"


def test_a_claim_is_named_once_in_a_month_finding_however_many_of_its_lines_the_month_has(program):
    """Claim C1 bills 99492 and 99494 as two lines and C2 bills 99492 again, with no initiating
    visit: the no_initiating_visit finding listed its claims as 'C1, C1, C2' (each code's list
    of claims, joined)."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 110)],
                  [claim("C1", "A", "2025-01-31", "99492"), claim("C1", "A", "2025-01-31", "99494", line=2),
                   claim("C2", "A", "2025-01-31", "99492")], visits=False)
    assert one(con, "no_initiating_visit")["claim_ids"] == "C1, C2"


def test_a_codes_claims_stay_a_list_in_recon_codes_and_read_joined_in_the_findings(program):
    """recon_codes keeps each code's claims as a list (claim_ids, voided_claim_ids), so a model
    that reads them takes the claims as they are; only the findings join them for a reader. They
    were a string joined with ', ', which recon_findings split at ', ' and joined again."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C2", "A", "2025-01-31", "99492"), claim("C1", "A", "2025-01-31", "99492"),
                   claim("C0", "A", "2025-01-31", "99492", status="voided")])
    codes = current(con).query("SELECT claim_ids, voided_claim_ids FROM marts.recon_codes WHERE code = '99492'").fetchall()
    assert codes == [(["C1", "C2"], ["C0"])]
    assert one(con, "duplicate_claim")["claim_ids"] == "C1, C2"


def test_the_billing_npis_of_an_episodes_first_month_stay_a_list(program):
    """recon_initiating_visits keeps the NPIs billing the first month as a list, which the visit
    lookup reads as it is (it joined them with ', ' and split them again); the finding's
    billing_npi and its sentence read them joined, as before."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("C1", "A", "2025-01-31", "99492", npi=OTHER_NPI), claim("C2", "A", "2025-01-31", "99492")],
                  visits=False)
    npis = current(con).query("SELECT billing_npi FROM marts.recon_initiating_visits").fetchall()
    assert npis == [([NPI, OTHER_NPI],)]
    row = one(con, "no_initiating_visit")
    assert row["billing_npi"] == f"{NPI}, {OTHER_NPI}"
    assert f"(NPI {NPI}, {OTHER_NPI})" in row["explanation"]


def test_a_claim_id_with_a_comma_is_named_as_written(program):
    """claim_id is free text: '8812, corrected' is one claim. A's month finding named its claims
    '8812, C-8, corrected' (each code's claims split at ', ' and sorted as three), and B's voided
    claim read 'claims 9907,V were voided' (a comma taken for two claims)."""
    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 110), minutes("B", "2025-01-10", 45)],
                  [claim("8812, corrected", "A", "2025-01-31", "99492"), claim("C-8", "A", "2025-01-31", "99494"),
                   claim("9907,V", "B", "2025-01-31", "99492", status="voided")], visits=False)
    assert one(con, "no_initiating_visit")["claim_ids"] == "8812, corrected, C-8"
    assert one(con, "missed_billing")["explanation"] == (
        "45 countable minutes in 2025-01 support 99492 but no claim line bills it (claim 9907,V was voided); bill it.")


def test_codes_text_lists_the_codes_it_is_given_as_a_list(program):
    """A conflict's sentence names its codes from marts.recon_conflicts' list; codes_text read the
    finding's billed_code ('99484 + 99493 + 99494'), the list joined for a reader, and split it again."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [claim("C1", "A", "2025-01-31", "99492")])
    words = current(con).query("""SELECT marts.codes_text(['99484', '99493', '99494']), marts.codes_text(['99484', '99493']),
                                         marts.codes_text(['99493'])""").fetchall()
    assert words == [("99484, 99493 and 99494", "99484 and 99493", "99493")]


def test_findings_tied_on_the_money_come_by_code_whatever_the_build(program):
    """A month's matched 99492 and 99494 tie on severity, dollars, patient, month and finding: the
    findings CSV listed them in whichever order the build left them, so two builds of the same
    store wrote different files (191 rows moved on the demo program)."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 90)],
                  [claim("C1", "A", "2025-01-31", "99494", line=1), claim("C1", "A", "2025-01-31", "99492", line=2)])
    frame = findings(con, "2025-01")
    assert frame[["finding", "expected_code"]].values.tolist() == [["matched", "99492"], ["matched", "99494"]]


def test_a_denied_lines_reason_reaches_its_finding_the_csv_and_the_work_queue(program, tmp_path):
    """Finance reconciling a denial asked why the payer denied it: the claims export's optional
    denial_reason. A: 99492 and 99494 denied on C1, each with its reason (CO-16 with its words, and
    97): the denied_claim rows carry each line's reason and its sentence quotes it. B: 99492 denied
    with no reason exported: no reason, and the sentence as before. C: a paid line with a
    contractual adjustment (CO-45) is matched, and carries none (only a denied line's reason is read).
    The CSV of `bcm reconcile` has it as its last column; the workbook's work queue beside the claims."""
    import csv

    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    co16 = "CO-16: Claim/service lacks information or has submission/billing error(s)"
    con = program([patient("A"), patient("B"), patient("C")],
                  [minutes("A", "2025-01-10", 90), minutes("B", "2025-01-10", 40), minutes("C", "2025-01-10", 40)],
                  [{**claim("C1", "A", "2025-01-31", "99492", status="denied", charge=145), "denial_reason": co16},
                   {**claim("C1", "A", "2025-01-31", "99494", line=2, status="denied", charge=56), "denial_reason": " 97 "},
                   claim("C2", "B", "2025-01-31", "99492", status="denied", charge=145),
                   {**claim("C3", "C", "2025-01-31", "99492", charge=145), "denial_reason": "CO-45"}])
    rows = findings(con, "2025-01")
    got = sorted((r.patient_id, r.finding, r.billed_code, None if r.denial_reason != r.denial_reason else r.denial_reason)
                 for r in rows.itertuples())
    assert got == [("A", "denied_claim", "99492", co16), ("A", "denied_claim", "99494", "97"),
                   ("B", "denied_claim", "99492", None), ("C", "matched", "99492", None)]
    text = rows.set_index(["patient_id", "billed_code"]).explanation
    assert text[("A", "99492")] == (f"99492 on claim C1 was denied (the payer's reason: {co16}) although 90 countable minutes "
                                    "support it; correct and resubmit or appeal.")
    assert text[("B", "99492")] == ("99492 on claim C2 was denied although 40 countable minutes support it; "
                                    "correct and resubmit or appeal.")
    # a new column goes after every column the findings had (payer_mismatch's two came after it)
    assert list(rows.columns)[-3:] == ["denial_reason", "billed_payer", "coverage_on_file"]

    db = str(tmp_path / "test.duckdb")
    con.close()
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(cli, ["reconcile", "--db", db, "--month", "2025-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames[-3:] == ["denial_reason", "billed_payer", "coverage_on_file"]
        assert {(r["patient_id"], r["billed_code"]): r["denial_reason"] for r in reader} == {
            ("A", "99492"): co16, ("A", "99494"): "97", ("B", "99492"): "", ("C", "99492"): ""}
    book = tmp_path / "r.xlsx"
    assert CliRunner().invoke(cli, ["reconcile", "--db", db, "--month", "2025-01", "--out", str(book)]).exit_code == 0
    queue = list(load_workbook(book, read_only=True)["work queue"].values)
    header = queue[0]
    assert header[header.index("claim_ids") + 1] == "denial_reason" and header[-4:] == ("status", "owner", "notes", "due")
    work = {(r[header.index("patient_id")], r[header.index("codes")]): r[header.index("denial_reason")] for r in queue[1:-1]}
    assert work == {("A", "expected 99492; billed 99492"): co16, ("A", "expected 99494; billed 99494"): "97",
                    ("B", "expected 99492; billed 99492"): None}


def test_a_claims_export_without_denial_reason_loads_and_reconciles_as_before(program, store, tmp_path):
    """denial_reason is optional: a claims export written before it (no such column) loads every
    line with nothing dropped or warned, and loading the same lines again with the column present
    and empty changes nothing (duplicates, not changes): the stored lines are the same."""
    from bcm_analytics.ingest.loader import load_paths

    program([patient("A")], [minutes("A", "2025-01-10", 40)], visits=False)
    header = "claim_id,line_number,patient_id,date_of_service,procedure_code,units,billing_provider_npi,charge_amount,claim_status\n"
    lines = ["C1,1,A,2025-01-31,99492,1,1234567893,145,denied\n", "V1,1,A,2024-12-02,99213,1,1234567893,92,paid\n"]
    before = tmp_path / "old" / "claims.csv"
    before.parent.mkdir()
    before.write_text(header + "".join(lines))
    results = [r for _, r in load_paths(store, [before])]
    assert [(r.table, r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate, r.dropped_columns) for r in results] == [
        ("claims", 2, 2, 0, 0, [])]
    assert store.execute("SELECT count(*) FROM meta.row_warnings WHERE table_name = 'claims'").fetchall() == [(0,)]
    assert store.execute("SELECT claim_id, claim_status, denial_reason FROM staging.claims ORDER BY 1").fetchall() == [
        ("C1", "denied", None), ("V1", "paid", None)]
    rows = findings(store, "2025-01")
    assert list(zip(rows.finding, rows.denial_reason.isna(), rows.explanation)) == [
        ("denied_claim", True, "99492 on claim C1 was denied although 40 countable minutes support it; correct and resubmit or appeal.")]

    again = tmp_path / "new" / "claims.csv"
    again.parent.mkdir()
    again.write_text(header.replace("\n", ",denial_reason\n") + "".join(line.replace("\n", ",\n") for line in lines))
    results = [r for _, r in load_paths(store, [again])]
    assert [(r.rows_read, r.rows_loaded, r.rows_changed, r.rows_duplicate, r.dropped_columns) for r in results] == [(2, 0, 0, 2, [])]


# --- claim_date_rule: a claim dated before the work behind it ------------------------------------------------


def dated_program(program):
    """A and D (Medicare, subsequent months from February) reach 99493's 31 minutes on 2025-02-12
    (20 + 11): A's claim is dated that day, D's the day before. B logs 20 minutes in February and
    never reaches it; C's add-on: 90 minutes in February reach 99494's 76 on 2025-02-20
    (40 + 30 + 20), and its second 99494 line is dated the day before."""
    pids = "ABCD"
    return program([patient(p) for p in pids],
                   [minutes(p, "2025-01-10", 40) for p in pids]
                   + [minutes("A", "2025-02-05", 20), minutes("A", "2025-02-12", 11),
                      minutes("D", "2025-02-05", 20), minutes("D", "2025-02-12", 11), minutes("B", "2025-02-05", 20),
                      minutes("C", "2025-02-03", 40), minutes("C", "2025-02-10", 30), minutes("C", "2025-02-20", 20)],
                   [claim(f"{p}0", p, "2025-01-31", "99492") for p in pids]
                   + [claim("A1", "A", "2025-02-12", "99493"), claim("D1", "D", "2025-02-11", "99493", charge=134),
                      claim("B1", "B", "2025-02-28", "99493", charge=134),
                      claim("C1", "C", "2025-02-20", "99493"), claim("C1", "C", "2025-02-20", "99494", line=2, charge=56),
                      claim("C2", "C", "2025-02-19", "99494", charge=56)])


def on_or_after(tmp_path, where: str = "settings"):
    from bcm_analytics.billing import load_rules

    text = {"settings": "settings: {claim_date_rule: on_or_after_threshold}\n",
            "payer": "payer_names: {Medicare: {payer_class: medicare, settings: {claim_date_rule: on_or_after_threshold}}}\n"}
    (tmp_path / f"dated_{where}.yaml").write_text(text[where])
    return load_rules(tmp_path / f"dated_{where}.yaml")


def test_a_claim_dated_the_day_the_threshold_is_met_is_matched_the_day_before_is_a_finding(program, tmp_path):
    """A's 99493 is dated 2025-02-12, the day the month's minutes reach 31: matched. D's, dated a day
    earlier (20 minutes then), reads dated_before_threshold, with the day the threshold was met
    (rule_date) and the claim's own date, at the line's charge."""
    con = dated_program(program)
    rows = findings(con, "2025-02", rules=on_or_after(tmp_path))
    assert list(rows[rows.patient_id == "A"].finding) == ["matched"]
    # the date is to correct, the units are supported: the month keeps its matched 99493
    assert list(rows[rows.patient_id == "D"].finding) == ["dated_before_threshold", "matched"]
    row = rows[(rows.patient_id == "D") & (rows.finding == "dated_before_threshold")].iloc[0]
    assert (row.reason, row.severity, row.claim_ids, row.amount_at_stake) == ("before_threshold_met", "compliance", "D1", 134)
    assert (row.expected_code, row.billed_code, row.threshold_code, row.threshold_minutes) == ("99493", "99493", "99493", 31)
    assert (str(row.rule_date)[:10], str(row.date_of_service)[:10]) == ("2025-02-12", "2025-02-11")
    assert row.explanation == (
        "Claim D1 bills 99493 dated 2025-02-11, but the month's countable minutes reached its threshold (99493 needs 31) "
        "only on 2025-02-12; a claim is dated no earlier than the work behind it: correct the date of service to "
        "2025-02-12 or later.")


def test_a_claim_of_a_month_whose_minutes_never_reach_its_threshold_says_so(program, tmp_path):
    """B's 20 February minutes never reach 99493's 31: its claim, dated the month's last day, has no
    day it could be dated (beside the unsupported_claim that says what the minutes do reach); the
    month's dollars count once."""
    con = dated_program(program)
    rules = on_or_after(tmp_path)
    rows = findings(con, "2025-02", rules=rules)
    b = rows[rows.patient_id == "B"].set_index("finding")
    assert sorted(b.index) == ["dated_before_threshold", "unsupported_claim"]
    row = b.loc["dated_before_threshold"]
    assert (row.reason, row.claim_ids, row.amount_at_stake) == ("threshold_never_met", "B1", 134) and row.rule_date is pd.NaT
    assert row.explanation == (
        "Claim B1 bills 99493 dated 2025-02-28, but the 20 countable minutes in 2025-02 never reach its threshold "
        "(99493 needs 31), so there is no day it could be dated; void the line or document the time.")
    assert sorted(b.counted_at_stake) == [0, 134]
    exposure = monthly_totals(con, "2025-02", rules=rules).compliance_exposure.iloc[0]
    assert exposure == rows[rows.severity == "compliance"].counted_at_stake.sum()


def test_an_add_on_dated_before_its_minutes_and_a_payer_that_sets_the_rule(program, tmp_path):
    """C's 99494 needs 76 minutes in a subsequent month, reached on 2025-02-20: the add-on on claim C1
    dated that day holds, the one on C2 dated 2025-02-19 does not. The rule set for the payer name
    (a payer profile) decides as the ruleset's does."""
    con = dated_program(program)
    for where in ("settings", "payer"):
        rows = findings(con, "2025-02", rules=on_or_after(tmp_path, where))
        c = rows[(rows.patient_id == "C") & (rows.finding == "dated_before_threshold")]
        assert list(zip(c.billed_code, c.claim_ids, c.threshold_minutes, c.rule_date.astype(str).str[:10])) == [
            ("99494", "C2", 76, "2025-02-20")], where


def test_with_the_default_any_day_in_month_no_claim_date_is_judged(program, tmp_path):
    """The shipped default (any_day_in_month): the same claims read as before, with no
    dated_before_threshold and nothing in marts.recon_claim_dates."""
    from bcm_analytics.billing import load_rules

    con = dated_program(program)
    assert load_rules().periods.column("claim_date_rule").unique().to_pylist() == ["any_day_in_month"]
    rows = findings(con, "2025-02")
    assert "dated_before_threshold" not in set(rows.finding)
    assert list(rows[rows.patient_id.isin(["A", "D"])].finding) == ["matched", "matched"]
    assert con.execute("SELECT count(*) FROM marts.recon_claim_dates").fetchone() == (0,)
    (tmp_path / "any.yaml").write_text("settings: {claim_date_rule: any_day_in_month}\n")
    assert "dated_before_threshold" not in set(findings(con, "2025-02", rules=load_rules(tmp_path / "any.yaml")).finding)


def add_on_program(program):
    """E (Medicare, subsequent months from February) logs 40 + 40 + 30 minutes on 2025-02-03, -10 and
    -20: 99493 (31) is reached on 2025-02-03, 99494 x2 (106) on 2025-02-20. Its 99494 units are
    billed on two claims, E2 dated 2025-02-05 and E3 dated 2025-02-07: the units are supported, the
    dates are early, each its own."""
    return program([patient("E")],
                   [minutes("E", "2025-01-10", 40), minutes("E", "2025-02-03", 40), minutes("E", "2025-02-10", 40),
                    minutes("E", "2025-02-20", 30)],
                   [claim("E0", "E", "2025-01-31", "99492"), claim("E1", "E", "2025-02-03", "99493"),
                    claim("E2", "E", "2025-02-05", "99494", charge=56), claim("E3", "E", "2025-02-07", "99494", charge=57)])


def matched(rows: pd.DataFrame) -> list[tuple]:
    m = rows[rows.finding == "matched"].sort_values(["patient_id", "billed_code"])
    return list(zip(m.patient_id, m.billed_code, m.billed_units))


def test_a_claim_dated_early_keeps_the_months_matched_rows_and_units(program, tmp_path):
    """A date problem is not a units problem: with on_or_after_threshold, D's 99493 (dated the day
    before its threshold) and E's 99494 x2 (both claims dated before 106 minutes) keep their matched
    rows and units beside the dated_before_threshold findings. Before this rule, a month with any
    finding but no_initiating_visit lost its matched rows: the rule's matched count in February fell
    from 4 rows (A, D, E x2; 5 units) to 1 (A). B's claim, whose threshold is never met, is a units
    problem: no matched row either way. The months still do not reconcile while the finding is open."""
    dated_program(program)
    con = add_on_program(program)
    rules = on_or_after(tmp_path)
    before, after = findings(con, "2025-02"), findings(con, "2025-02", rules=rules)
    assert matched(before) == matched(after) == [("A", "99493", 1), ("D", "99493", 1), ("E", "99493", 1), ("E", "99494", 2)]
    assert sum(units for _, _, units in matched(after)) == 5
    dated = after[after.finding == "dated_before_threshold"]
    assert sorted(zip(dated.patient_id, dated.reason)) == [
        ("B", "threshold_never_met"), ("C", "before_threshold_met"), ("D", "before_threshold_met"),
        ("E", "before_threshold_met"), ("E", "before_threshold_met")]
    assert "matched" not in set(after[after.patient_id == "B"].finding)
    # C's month has a units_mismatch too: it has no matched rows, with the rule or without
    assert "matched" not in set(before[before.patient_id == "C"].finding) | set(after[after.patient_id == "C"].finding)
    totals = [monthly_totals(con, "2025-02", rules=r).iloc[0] for r in (None, rules)]
    assert [(t.patient_months, t.reconciled_months) for t in totals] == [(5, 3), (5, 1)]


def test_each_claim_dated_early_is_a_finding_with_its_own_date(program, tmp_path):
    """E's 99494 units are on two claims dated 2025-02-05 and 2025-02-07, both before the month's
    minutes reached 106 on 2025-02-20: one finding per claim, each with its own date of service, its
    own charge, its own units (one each, not the month's two) and a sentence quoting its own date
    (not both with the earlier one)."""
    con = add_on_program(program)
    rows = findings(con, "2025-02", rules=on_or_after(tmp_path))
    dated = rows[rows.finding == "dated_before_threshold"].sort_values("claim_ids")
    assert list(zip(dated.claim_ids, dated.date_of_service.astype(str).str[:10], dated.rule_date.astype(str).str[:10],
                    dated.amount_at_stake, dated.counted_at_stake, dated.billed_units)) == [
        ("E2", "2025-02-05", "2025-02-20", 56, 56, 1), ("E3", "2025-02-07", "2025-02-20", 57, 57, 1)]
    assert list(dated.explanation.str.extract(r"dated (\d{4}-\d\d-\d\d), ")[0]) == ["2025-02-05", "2025-02-07"]
    assert "E2, E3" not in " ".join(dated.explanation)


def test_the_work_queue_has_the_claim_date_and_the_threshold_day_as_columns(program, tmp_path):
    """The finance work queue carries the claim's date of service and the day the threshold was met
    as date cells of their own (to sort and filter by in Excel), after the columns it had and before
    the four finance fills in; its earlier columns keep their names and order. Other findings leave
    them empty (the findings CSV has both already: date_of_service, and the day as rule_date)."""
    from bcm_analytics.reports.finance_workbook import QUEUE_COLUMNS

    con = dated_program(program)
    rules = on_or_after(tmp_path)
    path = reconciliation_workbook(con, "2025-02", "2025-02", tmp_path / "q.xlsx", rules)
    sheet = load_workbook(path)["work queue"]
    header = [c.value for c in sheet[1]]
    had = ["severity", "finding", "finding_label", "patient_id", "service_month", "clinic_id", "clinic_name", "care_manager_id",
           "payer", "codes", "amount_at_stake", "explanation", "claim_ids", "denial_reason", "status", "owner", "notes", "due"]
    assert header == QUEUE_COLUMNS and [c for c in header if c in had] == had
    assert header[header.index("denial_reason") + 1:header.index("status")] == ["date_of_service", "threshold_met_on",
                                                                              "countable_minutes", "billed_payer",
                                                                              "coverage_on_file"]
    col = {name: i for i, name in enumerate(header)}
    rows = [[c for c in r] for r in sheet.iter_rows(min_row=2) if r[col["patient_id"]].value in ("B", "D")]
    days = {(r[col["patient_id"]].value, r[col["finding"]].value): (r[col["date_of_service"]].value, r[col["threshold_met_on"]].value)
            for r in rows}
    assert days == {("D", "dated_before_threshold"): (dt.datetime(2025, 2, 11), dt.datetime(2025, 2, 12)),
                    ("B", "dated_before_threshold"): (dt.datetime(2025, 2, 28), None),
                    ("B", "unsupported_claim"): (None, None)}
    d = next(r for r in rows if r[col["patient_id"]].value == "D")
    assert (d[col["date_of_service"]].number_format, d[col["threshold_met_on"]].number_format) == ("yyyy-mm-dd", "yyyy-mm-dd")


# the per-day self-join recon_claim_dates read the minutes so far with, before its running sum: the oracle
PER_DAY_SO_FAR = """
WITH counted AS (SELECT patient_id, service_month, service_date, counted_minutes FROM marts.billing_entries WHERE counted_minutes > 0)
SELECT d.patient_id, d.service_month, d.service_date AS day, marts.month_minutes(e.counted_minutes) AS minutes_so_far
FROM (SELECT DISTINCT patient_id, service_month, service_date FROM counted) d
JOIN counted e ON e.patient_id = d.patient_id AND e.service_month = d.service_month AND e.service_date <= d.service_date
GROUP BY d.patient_id, d.service_month, d.service_date"""


def test_the_running_sum_by_day_is_the_per_day_sum_it_replaced(program, tmp_path):
    """recon_claim_dates' running sum (a window ordered by day) reads the day each claim's threshold
    was met as the per-day self-join it replaced: several entries on one day (F's three on
    2025-02-04 reach 31 together), entries that reach a threshold only counted to the whole second
    (G's three of 5 min 20 s are 16 minutes, G2214's, on 2025-02-04, a day after its claim), an
    add-on, a month never reaching its threshold, and the months of several patients."""
    dated_program(program)
    add_on_program(program)
    con = program([patient("F"), patient("G")],
                  [minutes("F", "2025-01-10", 40), minutes("F", "2025-02-04", 10), minutes("F", "2025-02-04", 11),
                   minutes("F", "2025-02-04", 10.5), minutes("F", "2025-02-09", 6)]
                  + [minutes("G", "2025-01-10", 40)]
                  + [{**minutes("G", f"2025-02-0{d}", 5.3333), "entry_id": f"G-{d}"} for d in (2, 3, 4)],
                  [claim("F0", "F", "2025-01-31", "99492"), claim("F1", "F", "2025-02-04", "99493"),
                   claim("G0", "G", "2025-01-31", "99492"), claim("G1", "G", "2025-02-03", "G2214")])
    rows = findings(con, "2025-02", rules=on_or_after(tmp_path))
    got = con.execute("SELECT patient_id, service_month, claim_id, code, threshold_minutes, threshold_met_on "
                      "FROM marts.recon_claim_dates ORDER BY ALL").fetchall()
    oracle = con.execute(PER_DAY_SO_FAR).fetchall()
    expected = [(p, m, claim_id, code, t, min((day for q, n, day, so_far in oracle
                                                if (q, n) == (p, m) and (so_far > 0 if t == 0 else so_far >= t)), default=None))
                for p, m, claim_id, code, t, _ in got]
    assert got == expected and len(got) == 18  # 7 January lines, 11 February lines
    met = {(p, c): str(day) for p, m, _, c, _, day in got if str(m).startswith("2025-02")}
    assert (met[("F", "99493")], met[("G", "G2214")], met[("E", "99494")], met[("B", "99493")]) == (
        "2025-02-04", "2025-02-04", "2025-02-20", "None")
    assert "dated_before_threshold" not in set(rows[rows.patient_id.isin(["F", "A"])].finding)
    assert list(rows[(rows.patient_id == "G") & (rows.finding == "dated_before_threshold")].date_of_service.astype(str).str[:10]) == [
        "2025-02-03"]


def test_a_denied_line_is_told_what_to_do_by_its_reason_code(program, tmp_path):
    """Every denied line read 'correct and resubmit or appeal', whatever the payer said: a line
    denied as another payer's (CO-109) or after the coverage ended (PR-27) is billed to the right
    payer, not resubmitted to the same one. The rules' denial_advice says what to do by the CARC
    code, read without its group and however written (CO-109, pr27, 109); a reason with no advice,
    or none, keeps the general advice, and a program's file adds its own."""
    from bcm_analytics.billing import load_rules

    con = program([patient(p) for p in "ABCD"], [minutes(p, "2025-01-10", 40) for p in "ABCD"],
                  [{**claim(f"{p}1", p, "2025-01-31", "99492", status="denied", charge=145), "denial_reason": reason}
                   for p, reason in (("A", "CO-109: Claim/service not covered by this payer/contractor."), ("B", "pr27"),
                                     ("C", "CO-16"), ("D", "Coverage terminated"))])
    text = findings(con, "2025-01").set_index("patient_id").explanation
    assert text["A"].endswith("support it; not this payer's to pay: bill the payer that covers the patient that month.")
    assert text["B"].endswith("support it; the patient's coverage had ended: check eligibility and bill the coverage in "
                              "force that month.")
    assert text["C"].endswith("support it; correct and resubmit or appeal.")
    assert text["D"].endswith("support it; correct and resubmit or appeal.")
    (tmp_path / "program.yaml").write_text('denial_advice: {"16": "add the rendering NPI the payer asks for and resubmit"}\n')
    own = findings(con, "2025-01", rules=load_rules(tmp_path / "program.yaml")).set_index("patient_id").explanation
    assert own["C"].endswith("support it; add the rendering NPI the payer asks for and resubmit.")
    assert own["A"] == text["A"]
