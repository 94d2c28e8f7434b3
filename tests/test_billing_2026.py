"""The 2025-2026 billing rules (issue 10) and the quarantine (issue 11 item 5), on hand-written
patients, minutes and claims: each rule at its boundary dates, and the situations issue 10 lists.

Helpers come from test_reconcile: patient A-style Medicare patients at the practice PP (treating
NPI 1234567893, consent 2024-12-01), the health centre FQ (an FQHC whose organization NPI is
ORG_NPI), and an office visit for every patient on 2024-12-02 unless a test says otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from test_reconcile import NPI, OTHER_NPI, claim, found, minutes, patient, program, visit  # noqa: F401 (program: a fixture)

from bcm_analytics.billing import billing_lines, load_rules
from bcm_analytics.billing.reconcile import FINDINGS, SEVERITIES, findings

ORG_NPI = "1306849450"
CLINICS = [
    {"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice", "timezone": "America/Chicago",
     "organization_npi": ""},
    {"clinic_id": "FQ", "clinic_name": "Health center", "setting": "fqhc", "timezone": "America/Chicago",
     "organization_npi": ORG_NPI},
]


def rules_file(tmp_path, text: str, name: str = "program_rules.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_rules(path)


def by_key(frame: pd.DataFrame) -> dict:
    """(patient, month, finding) -> the finding's row, for tests that look at one finding's columns."""
    return {(r["patient_id"], r["service_month"], r["finding"]): r for r in frame.to_dict("records")}


# --- FQHC/RHC by period (billing_rules.md section 4) -----------------------------------------------


def test_fqhc_general_bhi_99484_accepted_from_2025_01_01_and_g0511_ends_2025_09_30(program):
    """F: general BHI at the FQHC, 25 minutes every month. 99484 on 2024-12-31 is outside the period
    (G0511 only), on 2025-01-01 accepted beside G0511; G0511 on 2025-09-30 is still accepted, on
    2025-10-01 it is not (99484 only)."""
    con = program([patient("F", clinic="FQ", program="general_bhi")],
                  [minutes("F", day, 25) for day in ("2024-12-10", "2025-01-10", "2025-09-10", "2025-10-10")],
                  [claim("F1", "F", "2024-12-31", "99484"), claim("F2", "F", "2025-01-01", "99484"),
                   claim("F3", "F", "2025-09-30", "G0511"), claim("F4", "F", "2025-10-01", "G0511")],
                  clinics=CLINICS)
    assert found(con, "2024-12") == [("F", "2024-12", "wrong_code", "G0511", "99484"),
                                     ("F", "2025-01", "matched", "99484", "99484"),
                                     ("F", "2025-09", "matched", "G0511", "G0511"),
                                     ("F", "2025-10", "wrong_code", "99484", "G0511")]
    rows = findings(con, "2025-01").set_index("finding")
    assert rows.loc["matched", "explanation"] == (
        "99484 billed as the 25 countable minutes support (99484 needs 20; accepted beside the bhi_g0511 codes from 2025-01-01).")
    assert rows.loc["matched", "threshold_minutes"] == 20
    text = findings(con, "2025-10").explanation.iloc[0]
    assert text == ("Claim F4 bills G0511 but it is not billable for this medicare patient (fqhc, general_bhi) in 2025-10; "
                    "the code in force is 99484.")
    assert list(billing_lines(con, "2024-12", "2025-10").code) == ["G0511", "G0511", "G0511", "99484"]


def test_fqhc_g0511_and_99484_for_one_month_is_the_same_service_billed_twice(program):
    """billing_rules.md s4: in 2025 an FQHC bills general BHI with 99484 *or* G0511 (accepted alongside
    it until 2025-09-30), s6 item 5: the same service billed twice for one patient-month is a finding.
    D: 25 minutes in May 2025, G0511 and 99484 on two claims; E: the same on one claim. Both read
    matched, $0 at stake, though the month was paid twice. By hand: one line is the month's general
    BHI (G0511, the code in force), the 99484 line is a duplicate: compliance, its $100 charge at stake.
    S: 99484 alone is still matched."""
    con = program([patient(p, clinic="FQ", program="general_bhi") for p in "DES"],
                  [minutes(p, "2025-05-10", 25) for p in "DES"],
                  [claim("D1", "D", "2025-05-31", "G0511", npi=ORG_NPI), claim("D2", "D", "2025-05-31", "99484", npi=ORG_NPI),
                   claim("E1", "E", "2025-05-31", "G0511", npi=ORG_NPI), claim("E1", "E", "2025-05-31", "99484", line=2, npi=ORG_NPI),
                   claim("S1", "S", "2025-05-31", "99484", npi=ORG_NPI)],
                  clinics=CLINICS)
    assert found(con, "2025-05", "2025-05") == [("D", "2025-05", "duplicate_claim", "G0511", "99484"),
                                                ("E", "2025-05", "duplicate_claim", "G0511", "99484"),
                                                ("S", "2025-05", "matched", "99484", "99484")]
    row = by_key(findings(con, "2025-05"))[("D", "2025-05", "duplicate_claim")]
    assert (row["severity"], row["amount_at_stake"], row["claim_ids"]) == ("compliance", 100, "D2")
    assert row["explanation"] == ("G0511 and 99484 are billed for 2025-05: 99484 is accepted in place of G0511 from 2025-01-01, "
                                  "not beside it, so the month's general BHI is billed twice; void the 99484 line (claim D2).")


def test_fqhc_g0323_is_accepted_with_the_codes_g0511_stood_for_from_2025(program):
    """billing_rules.md s4: at an FQHC/RHC "the individual codes (99484, and the other codes G0511
    stood for) are accepted from 2025-01-01", then the physician-practice codes. G0323 read
    wrong_code, compliance, its charge at stake, in every month of 2025 and 2026. By hand, general
    BHI at the FQHC, G0323 each month: Dec 2024 (G0511 only) wrong_code; May 2025 beside G0511,
    Nov 2025 beside 99484 (G0511 ended) and Feb 2026: matched; 19 minutes in Nov 2025: unsupported."""
    con = program([patient("F", clinic="FQ", program="general_bhi"), patient("L", clinic="FQ", program="general_bhi")],
                  [minutes("F", day, 25) for day in ("2024-12-10", "2025-05-10", "2025-11-10", "2026-02-10")]
                  + [minutes("L", "2025-11-10", 19)],
                  [claim(f"F{i}", "F", day, "G0323", npi=ORG_NPI)
                   for i, day in enumerate(("2024-12-31", "2025-05-31", "2025-11-30", "2026-02-28"))]
                  + [claim("L1", "L", "2025-11-30", "G0323", npi=ORG_NPI)],
                  clinics=CLINICS)
    assert found(con, "2024-12", "2026-02") == [("F", "2024-12", "wrong_code", "G0511", "G0323"),
                                                ("F", "2025-05", "matched", "G0323", "G0323"),
                                                ("F", "2025-11", "matched", "G0323", "G0323"),
                                                ("F", "2026-02", "matched", "G0323", "G0323"),
                                                ("L", "2025-11", "unsupported_claim", None, "G0323")]


def test_g0323_is_general_bhi_at_20_minutes_from_2023_beside_99484(program):
    """billing_rules.md s1: G0323 (general BHI by a clinical psychologist or social worker, 2023+) bills
    at 20 minutes, no midpoint. The export does not say who billed, so the engine still expects 99484;
    a G0323 claim read `wrong_code`, compliance, its $100 at stake ("G0323 is not billable ... the code
    in force is 99484"). By hand, Medicare physician practice, general BHI:
    G 20 minutes, May 2025, G0323: matched.    H 19 minutes, G0323: unsupported, G0323 needs 20.
    J 25 minutes, Dec 2022, G0323: wrong_code (G0323 exists from 2023-01-01), 99484 in force; Jan 2023: matched.
    K 25 minutes, May 2025, 99484 and G0323: the month's general BHI twice, the G0323 line a duplicate."""
    con = program([patient(p, program="general_bhi", consent="2022-11-01") for p in "GHJK"],
                  [minutes("G", "2025-05-10", 20), minutes("H", "2025-05-10", 19), minutes("J", "2022-12-10", 25),
                   minutes("J", "2023-01-10", 25), minutes("K", "2025-05-10", 25)],
                  [claim("G1", "G", "2025-05-31", "G0323"), claim("H1", "H", "2025-05-31", "G0323"),
                   claim("J1", "J", "2022-12-31", "G0323"), claim("J2", "J", "2023-01-31", "G0323"),
                   claim("K1", "K", "2025-05-31", "99484"), claim("K1", "K", "2025-05-31", "G0323", line=2)]
                  + [visit(p, "2025-01-15") for p in "GHK"] + [visit("J", "2022-11-15")], visits=False)
    assert found(con, "2022-12", "2025-05") == [("G", "2025-05", "matched", "G0323", "G0323"),
                                                ("H", "2025-05", "unsupported_claim", None, "G0323"),
                                                ("J", "2022-12", "wrong_code", "99484", "G0323"),
                                                ("J", "2023-01", "matched", "G0323", "G0323"),
                                                ("K", "2025-05", "duplicate_claim", "99484", "G0323")]
    rows = by_key(findings(con, "2022-12", "2025-05"))
    assert rows[("H", "2025-05", "unsupported_claim")]["explanation"] == (
        "Claim H1 bills G0323 but the 19 countable minutes in 2025-05 support no code (G0323 needs 20); "
        "void the line or document the time.")
    assert list(billing_lines(con, "2025-05", "2025-05").code) == ["99484", "99484"]  # G and K: the code in force


def test_a_denied_code_rebilled_with_an_accepted_code_is_not_revenue_to_resubmit(program):
    """The payer denies the code the minutes support and the month is billed again with a code
    accepted in its place: D, FQHC 2025, G0511 denied then 99484 paid; G, practice, 99484 denied then
    G0323 paid; A, 2026, 99493 denied then G0557 + G0569 (an APCM month "is not missed revenue for
    its mirror code", billing_rules.md s4). Each read denied_claim, revenue ($72, $53, $138.71 at
    stake), "correct and resubmit or appeal": advice to bill the month a second time. By hand: the
    month is billed once, with a code the minutes support: matched, nothing at stake."""
    con = program([patient("D", clinic="FQ", program="general_bhi"), patient("G", program="general_bhi"), patient("A")],
                  [minutes("D", "2025-05-10", 25), minutes("G", "2025-05-10", 25), minutes("A", "2025-12-10", 40),
                   minutes("A", "2026-01-10", 45)],
                  [claim("D1", "D", "2025-05-31", "G0511", npi=ORG_NPI, status="denied"),
                   claim("D2", "D", "2025-05-31", "99484", npi=ORG_NPI),
                   claim("G1", "G", "2025-05-31", "99484", status="denied"), claim("G2", "G", "2025-05-31", "G0323"),
                   claim("A0", "A", "2025-12-31", "99492"), claim("A1", "A", "2026-01-31", "99493", status="denied")]
                  + apcm_month("A", "A2", "G0569") + [visit(p, "2025-04-01") for p in "DGA"],
                  visits=False, clinics=CLINICS)
    assert found(con, "2025-05", "2026-01") == [("A", "2025-12", "matched", "99492", "99492"),
                                                ("A", "2026-01", "matched", "G0569", "G0569"),
                                                ("D", "2025-05", "matched", "99484", "99484"),
                                                ("G", "2025-05", "matched", "G0323", "G0323")]
    assert findings(con, "2025-05", "2026-01").amount_at_stake.sum() == 0


def test_fqhc_99484_below_its_threshold_in_2025_is_unsupported_not_wrong(program):
    con = program([patient("F", clinic="FQ", program="general_bhi")], [minutes("F", "2025-03-10", 12)],
                  [claim("F1", "F", "2025-03-31", "99484")], clinics=CLINICS)
    row = findings(con, "2025-03").iloc[0]
    assert (row.finding, row.threshold_code, row.threshold_minutes) == ("unsupported_claim", "99484", 20)
    assert row.explanation == ("Claim F1 bills 99484 but the 12 countable minutes in 2025-03 support no code "
                               "(99484 needs 20); void the line or document the time.")


def test_fqhc_cocm_g0512_through_2025_12_31_cpt_from_2026_01_01_at_the_health_centre_rate(program):
    """Q: CoCM at the FQHC from November 2025. G0512 bills through 2025-12-31; from 2026-01-01 the
    CPT codes, at the FQHC/RHC national rate (99493 $144.96, not the practice's $138.71). The
    claims carry the organization's NPI: never wrong_billing_npi."""
    con = program([patient("Q", clinic="FQ"), patient("R", clinic="FQ")],
                  [minutes(p, day, m) for p in "QR" for day, m in (("2025-11-10", 60), ("2025-12-10", 60), ("2026-01-10", 40))],
                  [claim("Q1", "Q", "2025-11-30", "G0512", npi=ORG_NPI), claim("Q2", "Q", "2025-12-31", "G0512", npi=ORG_NPI),
                   claim("Q3", "Q", "2026-01-01", "99493", npi=ORG_NPI),
                   claim("R1", "R", "2025-11-30", "G0512"), claim("R2", "R", "2025-12-31", "99493"),
                   claim("R3", "R", "2026-01-01", "G0512", npi=OTHER_NPI)],
                  clinics=CLINICS)
    assert found(con, "2025-11", "2026-01") == [
        ("Q", "2025-11", "matched", "G0512", "G0512"), ("Q", "2025-12", "matched", "G0512", "G0512"),
        ("Q", "2026-01", "matched", "99493", "99493"),
        ("R", "2025-11", "matched", "G0512", "G0512"), ("R", "2025-12", "wrong_code", "G0512", "99493"),
        ("R", "2026-01", "wrong_billing_npi", None, "G0512"), ("R", "2026-01", "wrong_code", "99493", "G0512")]
    lines = billing_lines(con, "2025-12", "2026-01").set_index(["patient_id", "service_month"])
    assert lines.loc[("Q", "2026-01"), "expected_amount"] == 144.96
    assert lines.loc[("Q", "2025-12"), "code"] == "G0512"
    npi = by_key(findings(con, "2026-01"))[("R", "2026-01", "wrong_billing_npi")]
    assert npi["explanation"] == (f"Claim R3 bills G0512 under NPI {OTHER_NPI}, not the treating practitioner's NPI {NPI} "
                                  f"or the clinic's organization NPI {ORG_NPI}; rebill under the treating practitioner.")


def test_a_practice_claim_under_another_npi_is_still_wrong_billing_npi(program):
    """The organization NPI exception is for FQHC/RHC claims only."""
    clinics = [{**CLINICS[0], "organization_npi": ORG_NPI}]
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [claim("C1", "A", "2025-01-31", "99492", npi=ORG_NPI)],
                  clinics=clinics)
    assert found(con) == [("A", "2025-01", "wrong_billing_npi", "99492", "99492")]


def test_a_health_centre_claim_rendered_by_the_care_manager_is_wrong_billing_npi(program):
    """billing_rules.md s4: an FQHC/RHC claim is billed under the organisation's NPI "with the treating
    practitioner as rendering provider"; s6 item 7: billed under the BCM's NPI. G's 99492 under the
    organisation NPI with the care manager's NPI as rendering provider read matched. H's, rendered
    by the treating practitioner, and J's, with no rendering NPI, stay matched."""
    con = program([patient(p, clinic="FQ") for p in "GHJ"], [minutes(p, "2026-01-10", 45) for p in "GHJ"],
                  [rendered(claim("G1", "G", "2026-01-31", "99492", npi=ORG_NPI), OTHER_NPI),
                   rendered(claim("H1", "H", "2026-01-31", "99492", npi=ORG_NPI), NPI),
                   claim("J1", "J", "2026-01-31", "99492", npi=ORG_NPI)] + [visit(p, "2025-06-02") for p in "GHJ"],
                  clinics=CLINICS)
    assert found(con, "2026-01", "2026-01") == [("G", "2026-01", "wrong_billing_npi", "99492", "99492"),
                                                ("H", "2026-01", "matched", "99492", "99492"),
                                                ("J", "2026-01", "matched", "99492", "99492")]
    row = by_key(findings(con, "2026-01"))[("G", "2026-01", "wrong_billing_npi")]
    assert (row["reason"], row["amount_at_stake"]) == ("wrong_rendering_npi", 100)
    assert row["explanation"] == (
        f"Claim G1 bills 99492 under the clinic's organization NPI {ORG_NPI} with NPI {OTHER_NPI} as rendering provider, "
        f"not the treating practitioner's NPI {NPI}; name the treating practitioner as rendering provider.")


def test_texas_medicaid_keeps_g0512_at_health_centres_in_2026(program):
    con = program([patient("T", payer="Medicaid", clinic="FQ")],
                  [minutes("T", "2025-12-10", 60), minutes("T", "2026-01-10", 60)],
                  [claim("T1", "T", "2025-12-31", "G0512", npi=ORG_NPI), claim("T2", "T", "2026-01-31", "99493", npi=ORG_NPI)],
                  clinics=CLINICS)
    assert found(con, "2025-12", "2026-01") == [("T", "2025-12", "matched", "G0512", "G0512"),
                                                ("T", "2026-01", "matched", "99493", "99493")]
    texas = load_rules("texas_medicaid")
    assert found(con, "2025-12", "2026-01", texas) == [("T", "2025-12", "matched", "G0512", "G0512"),
                                                       ("T", "2026-01", "wrong_code", "G0512", "99493")]


def test_a_claim_in_a_month_no_code_is_billable_says_so_not_that_no_minutes_were_logged(program):
    """billing_rules.md s6 item 9 (codes outside their period): Texas Medicaid health centres bill
    CoCM from 2025-03-01 only. T logged 60 minutes in February and in March 2025 and billed G0512 for
    both. February read "no countable minutes are logged that month", though 60 were: the month has
    no code at all under these rules. March is matched."""
    con = program([patient("T", payer="Medicaid", clinic="FQ")],
                  [minutes("T", "2025-02-10", 60), minutes("T", "2025-03-10", 60)],
                  [claim("T1", "T", "2025-02-28", "G0512", npi=ORG_NPI), claim("T2", "T", "2025-03-31", "G0512", npi=ORG_NPI)],
                  clinics=CLINICS)
    texas = load_rules("texas_medicaid")
    assert found(con, "2025-02", "2025-03", texas) == [("T", "2025-02", "unsupported_claim", None, "G0512"),
                                                       ("T", "2025-03", "matched", "G0512", "G0512")]
    row = by_key(findings(con, "2025-02", "2025-02", texas))[("T", "2025-02", "unsupported_claim")]
    assert (row["reason"], row["severity"], row["amount_at_stake"]) == ("no_rule_in_force", "compliance", 100)
    assert row["explanation"] == ("Claim T1 bills G0512 but no code is billable for this medicaid patient "
                                  "(fqhc, cocm) in 2025-02 under the rules in force, so its minutes count toward none; "
                                  "void the line.")


# --- payer profiles: G2214 and the 99494 cap per payer name ---------------------------------------------


def test_g2214_is_decided_per_payer_name_and_the_sentence_states_the_threshold_that_applied(program, tmp_path):
    """A commercial plan's 20-minute G2214 (issue 10): unsupported, and the sentence names the code the
    payer pays and its threshold (99493 needs 31), not G2214's 16. Regence (a commercial profile
    with bills_g2214) bills it: expected and matched."""
    rules = rules_file(tmp_path, "payer_names:\n  Regence BlueShield: {payer_class: commercial, settings: {bills_g2214: true}}\n")
    con = program([patient("C", payer="Commercial"), patient("G", payer="Regence BlueShield")],
                  [minutes(p, day, m) for p in "CG" for day, m in (("2025-02-10", 40), ("2025-03-10", 20))],
                  [claim(f"{p}1", p, "2025-02-28", "99492") for p in "CG"]
                  + [claim(f"{p}2", p, "2025-03-31", "G2214") for p in "CG"])
    assert found(con, "2025-03", "2025-03", rules) == [("C", "2025-03", "unsupported_claim", None, "G2214"),
                                                       ("G", "2025-03", "matched", "G2214", "G2214")]
    row = findings(con, "2025-03", "2025-03", rules).set_index("patient_id").loc["C"]
    assert (row.threshold_code, row.threshold_minutes) == ("99493", 31)
    assert row.explanation == (
        "Claim C2 bills G2214 but Commercial (commercial) does not pay it (bills_g2214 is off for this payer), and the "
        "20 countable minutes in 2025-03 support no code it pays (99493 needs 31); void the line or document the time.")
    assert "G2214 needs 16" not in row.explanation
    lines = billing_lines(con, "2025-03", "2025-03", rules)
    assert list(zip(lines.patient_id, lines.code, lines.payer_class)) == [("G", "G2214", "commercial")]


def test_the_99494_cap_is_decided_per_payer_name(program, tmp_path):
    """An MCO capped at 2 from 2026 (a profile of the medicaid class, capped at 4): 226 subsequent
    minutes support x6 uncapped; the class bills x4, the MCO x2 in 2026 and x4 in 2025."""
    rules = rules_file(tmp_path, "payer_names:\n  State MCO:\n    payer_class: medicaid\n"
                                 "    settings_from: {2026-01-01: {max_99494_units: 2}}\n")
    con = program([patient("M", payer="Medicaid"), patient("S", payer="State MCO")],
                  [minutes(p, day, m) for p in "MS" for day, m in (("2025-11-10", 40), ("2025-12-10", 226), ("2026-01-10", 226))])
    lines = billing_lines(con, "2025-12", "2026-01", rules)
    add_ons = lines[lines.code == "99494"]
    assert list(zip(add_ons.patient_id, add_ons.service_month, add_ons.units)) == [
        ("M", "2025-12", 4), ("M", "2026-01", 4), ("S", "2025-12", 4), ("S", "2026-01", 2)]


# --- APCM behavioral-health add-ons (billing_rules.md section 4, APCM) ------------------------------------

def apcm_month(pid: str, claim_id: str, add_on: str, day: str = "2026-01-31", base: str | None = "G0557",
               npi: str = NPI, units: int = 1) -> list[dict]:
    lines = [claim(claim_id, pid, day, base, npi=npi)] if base else []
    return lines + [claim(claim_id, pid, day, add_on, line=2, units=units)]


def test_an_add_on_billed_with_its_base_is_never_missed_revenue_for_its_mirror(program):
    """Issue 10's first situation: G0557 + G0569 with 45 CoCM minutes in a subsequent month was
    `missed_billing 99493, bill it`. It is matched, and neither 99493 nor 99494 is missed."""
    con = program([patient("A"), patient("B")],
                  [minutes(p, "2025-12-10", 40) for p in "AB"] + [minutes("A", "2026-01-10", 45), minutes("B", "2026-01-10", 95)],
                  [claim(f"{p}0", p, "2025-12-31", "99492") for p in "AB"] + apcm_month("A", "A1", "G0569") + apcm_month("B", "B1", "G0569"))
    assert found(con, "2026-01") == [("A", "2026-01", "matched", "G0569", "G0569"), ("B", "2026-01", "matched", "G0569", "G0569")]
    assert findings(con, "2026-01").amount_at_stake.sum() == 0


def test_an_add_on_of_the_other_program_is_a_wrong_code_and_no_99494_is_missed_beside_it(program):
    """100 CoCM minutes in an initial month billed G0556 + G0570 (general BHI's add-on): the add-on
    is the wrong one (G0568), and 99494 read missed as well ("bill it"); doing both bills 99494
    beside an add-on, without its base code 99492 (billing_rules.md section 4: no add-on mirrors
    99494, and it is never billed without its base)."""
    con = program([patient("Q")], [minutes("Q", "2026-01-10", 100)], apcm_month("Q", "Q1", "G0570", base="G0556") + [visit("Q", "2025-06-02")])
    assert found(con, "2026-01") == [("Q", "2026-01", "wrong_code", "G0568", "G0570")]


def test_add_on_boundaries_base_minutes_period_and_month_type(program):
    """Each add-on situation of issue 10 item 1, one patient each (40 minutes in December 2025,
    then 45 in January 2026, a subsequent month):
    K base and minutes: matched.         N no APCM base code: unsupported_claim, said so.
    O base by another NPI: unsupported.  P with its mirror 99493: same_month_conflict (void the add-on).
    W G0568 in a subsequent month: wrong_code (G0569).  X no countable minutes in February: unsupported.
    Y G0569 on 2025-12-31 with base: wrong_code (add-ons from 2026-01-01); Z on 2026-01-01: matched."""
    pids = "KNOPWXYZ"
    entries = [minutes(p, "2025-11-10", 40) for p in pids] + [minutes(p, "2025-12-10", 40) for p in pids if p != "Y"] \
        + [minutes(p, "2026-01-10", 45) for p in pids]
    claims = [claim(f"{p}0", p, "2025-11-30", "99492") for p in pids] + [claim(f"{p}9", p, "2025-12-31", "99493") for p in pids if p != "Y"]
    claims += apcm_month("K", "K1", "G0569") + apcm_month("N", "N1", "G0569", base=None) \
        + [claim("O1", "O", "2026-01-31", "G0557", npi=OTHER_NPI), claim("O1", "O", "2026-01-31", "G0569", line=2)] \
        + apcm_month("P", "P1", "G0569") + [claim("P1", "P", "2026-01-31", "99493", line=3)] \
        + apcm_month("W", "W1", "G0568") + [claim("X8", "X", "2026-01-31", "99493")] + apcm_month("X", "X1", "G0569", day="2026-02-28") \
        + [claim("Y8", "Y", "2026-01-31", "99493")] + apcm_month("Y", "Y1", "G0569", day="2025-12-31") \
        + apcm_month("Z", "Z1", "G0569", day="2026-01-01")
    entries.append(minutes("Y", "2025-12-10", 40))
    con = program([patient(p) for p in pids], entries, claims)
    got = [f for f in found(con, "2025-12", "2026-02") if f[2] != "matched" or f[1] != "2025-12"]
    assert got == [
        ("K", "2026-01", "matched", "G0569", "G0569"),
        ("N", "2026-01", "unsupported_claim", None, "G0569"),
        ("O", "2026-01", "unsupported_claim", None, "G0569"),
        ("P", "2026-01", "same_month_conflict", "99493", "99493 + G0569"),
        ("W", "2026-01", "wrong_code", "G0569", "G0568"),
        ("X", "2026-01", "matched", "99493", "99493"),
        ("X", "2026-02", "unsupported_claim", None, "G0569"),
        ("Y", "2025-12", "wrong_code", "99493", "G0569"),
        ("Y", "2026-01", "matched", "99493", "99493"),
        ("Z", "2026-01", "matched", "G0569", "G0569"),
    ]
    rows = by_key(findings(con, "2025-12", "2026-02"))
    assert rows[("N", "2026-01", "unsupported_claim")]["explanation"] == (
        "Claim N1 bills G0569 but no APCM base code (G0556, G0557 or G0558) by the same practitioner is billed with it in "
        "2026-01; an APCM behavioral-health add-on is billed only with its base code: add the base code or void the line.")
    assert rows[("P", "2026-01", "same_month_conflict")]["explanation"] == (
        "99493 and G0569 billed in one month: an APCM add-on and the code it mirrors are never billed together for a "
        "patient; void the G0569 line.")
    assert rows[("W", "2026-01", "wrong_code")]["explanation"] == (
        "Claim W1 bills G0568 but 2026-01 is a subsequent month of episode W-2025-11, which bills G0569; bill G0569 instead.")
    assert rows[("X", "2026-02", "unsupported_claim")]["explanation"] == (
        "Claim X1 bills G0569 but no countable minutes are logged in 2026-02; void the line or document the time.")
    assert rows[("Y", "2025-12", "wrong_code")]["explanation"] == (
        "Claim Y1 bills G0569 but the APCM add-ons are billable only from 2026-01-01, not in 2025-12; void the line and bill 99493.")
    assert str(rows[("Y", "2025-12", "wrong_code")]["rule_date"])[:10] == "2026-01-01"
    assert {rows[k]["amount_at_stake"] for k in rows if k[2] != "matched"} == {100.0}


def test_an_add_on_the_month_cannot_bill_beside_its_cpt_base_is_voided_and_99494_is_still_billable(program):
    """A compliance review of the APCM advice (billing_rules.md section 4, APCM; section 6 items 3, 5, 11).
    Each patient: 40 minutes in November 2025 (99492 billed), then a subsequent month:
    B 100 minutes in December 2025, G0557 + G0569 (add-ons billable from 2026-01-01): void it and bill
      99493, and 99494 x1 as well (76-105 minutes); it read only "bill 99493", and 99494 was never missed.
    C 45 minutes in January 2026, G0557 + G0568 beside 99493: the month's CoCM is on the claim twice;
      void G0568. It read "bill G0569 instead", which beside 99493 is the add-on with its mirror code.
    D 100 minutes in January 2026, G0557 + G0568 beside 99493: the same, and 99494 x1 is missed (the
      month bills through 99493, not an add-on)."""
    con = program([patient(p) for p in "BCD"],
                  [minutes(p, "2025-11-10", 40) for p in "BCD"]
                  + [minutes("B", "2025-12-10", 100), minutes("C", "2026-01-10", 45), minutes("D", "2026-01-10", 100)],
                  [claim(f"{p}0", p, "2025-11-30", "99492") for p in "BCD"]
                  + apcm_month("B", "B1", "G0569", day="2025-12-31")
                  + apcm_month("C", "C1", "G0568") + [claim("C1", "C", "2026-01-31", "99493", line=3)]
                  + apcm_month("D", "D1", "G0568") + [claim("D1", "D", "2026-01-31", "99493", line=3)])
    assert found(con, "2025-12", "2026-01") == [("B", "2025-12", "missed_billing", "99494", None), ("B", "2025-12", "wrong_code", "99493", "G0569"),
                                                ("C", "2026-01", "duplicate_claim", "99493", "G0568"),
                                                ("D", "2026-01", "duplicate_claim", "99493", "G0568"),
                                                ("D", "2026-01", "missed_billing", "99494", None)]
    rows = by_key(findings(con, "2025-12", "2026-01"))
    assert rows[("C", "2026-01", "duplicate_claim")]["explanation"] == (
        "99493 and G0568 are billed for 2026-01: 99493 bills the month's CoCM, and G0568, an APCM add-on the month "
        "cannot bill, would bill it again; void the G0568 line (claim C1).")
    assert rows[("C", "2026-01", "duplicate_claim")]["amount_at_stake"] == 100.0
    assert rows[("B", "2025-12", "missed_billing")]["expected_units"] == 1


def rendered(line: dict, npi: str) -> dict:
    """A claim line with the treating practitioner as rendering provider (institutional claims)."""
    return {**line, "rendering_provider_npi": npi}


def test_at_a_health_centre_the_add_on_and_its_base_are_by_the_same_practitioner_through_the_organisation(program):
    """billing_rules.md s4: add-ons are billed with an APCM base code "by the same practitioner", and
    FQHC/RHC claims carry the organisation's NPI with the practitioner as rendering provider. At FQ
    (40 minutes in December 2025, 45 in January 2026: G0569's month), in January:
    A base under ORG_NPI, add-on under NPI: matched (it read unsupported, "without an APCM base code").
    B base under NPI, add-on under ORG_NPI: matched.
    C both under ORG_NPI, rendering NPI on both: matched.
    D both under ORG_NPI, base rendered by OTHER_NPI, add-on by NPI: two practitioners, unsupported
      (it read matched: one billing NPI).
    E base under ORG_NPI rendered by OTHER_NPI, add-on under NPI: unsupported.
    At the practice PP the billing NPI stays the practitioner: G's base under OTHER_NPI rendered by
    NPI is another practitioner's (unsupported, as before); H's under NPI rendered by OTHER_NPI is matched."""
    day = "2026-01-31"
    entries = [minutes(p, d, m) for p in "ABCDEGH" for d, m in (("2025-12-10", 40), ("2026-01-10", 45))]
    claims = [
        claim("A1", "A", day, "G0557", npi=ORG_NPI), claim("A1", "A", day, "G0569", line=2),
        claim("B1", "B", day, "G0557"), claim("B1", "B", day, "G0569", line=2, npi=ORG_NPI),
        rendered(claim("C1", "C", day, "G0557", npi=ORG_NPI), NPI), rendered(claim("C1", "C", day, "G0569", line=2, npi=ORG_NPI), NPI),
        rendered(claim("D1", "D", day, "G0557", npi=ORG_NPI), OTHER_NPI),
        rendered(claim("D1", "D", day, "G0569", line=2, npi=ORG_NPI), NPI),
        rendered(claim("E1", "E", day, "G0557", npi=ORG_NPI), OTHER_NPI), claim("E1", "E", day, "G0569", line=2),
        rendered(claim("G1", "G", day, "G0557", npi=OTHER_NPI), NPI), claim("G1", "G", day, "G0569", line=2),
        rendered(claim("H1", "H", day, "G0557"), OTHER_NPI), claim("H1", "H", day, "G0569", line=2)]
    claims += [visit(p, "2025-06-02") for p in "ABCDEGH"]  # in the 12 months before January
    claims = [line if "rendering_provider_npi" in line else rendered(line, "") for line in claims]  # one header
    con = program([patient(p, clinic="FQ") for p in "ABCDE"] + [patient(p) for p in "GH"], entries, claims,
                  visits=False, clinics=CLINICS)
    assert found(con, "2026-01", "2026-01") == [
        ("A", "2026-01", "matched", "G0569", "G0569"),
        ("B", "2026-01", "matched", "G0569", "G0569"),
        ("C", "2026-01", "matched", "G0569", "G0569"),
        ("D", "2026-01", "unsupported_claim", None, "G0569"),
        ("E", "2026-01", "unsupported_claim", None, "G0569"),
        ("G", "2026-01", "unsupported_claim", None, "G0569"),
        ("H", "2026-01", "matched", "G0569", "G0569"),
    ]


def test_an_add_on_whose_apcm_base_line_was_denied_is_billed_with_its_base(program):
    """billing_rules.md s4: an add-on "without an APCM base code in that month" is a finding. D's claim
    D1 carries G0557 (denied) and G0569 (paid), 45 minutes in a subsequent month: the base code is on
    the claim, as a denied 99492 beside 99494 is (test_reconcile), so G0569 is matched. It read
    unsupported_claim, $100 at stake: "... without an APCM base code (G0556, G0557 or G0558) by the same
    practitioner in 2026-01; ... add the base code", though G0557 is on that claim. V's base line was
    voided (withdrawn): V's add-on is still without its base."""
    con = program([patient(p) for p in "DV"],
                  [minutes(p, "2025-12-10", 40) for p in "DV"] + [minutes(p, "2026-01-10", 45) for p in "DV"],
                  [claim(f"{p}0", p, "2025-12-31", "99492") for p in "DV"]
                  + [claim("D1", "D", "2026-01-31", "G0557", status="denied"), claim("D1", "D", "2026-01-31", "G0569", line=2),
                     claim("V1", "V", "2026-01-31", "G0557", status="voided"), claim("V1", "V", "2026-01-31", "G0569", line=2)])
    assert found(con, "2026-01", "2026-01") == [("D", "2026-01", "matched", "G0569", "G0569"),
                                                ("V", "2026-01", "unsupported_claim", None, "G0569")]


def test_a_program_that_bills_apcm_expects_the_add_on_at_its_fee(program, tmp_path):
    """bills_apcm for CoCM from 2026: expected lines carry G0568/G0569 (any countable minutes, no 99494,
    no G2214) at the add-on's fee; not billed is missed revenue for the add-on; billed with its base,
    matched; the mirror billed with it is the one to void. 2025 is unchanged."""
    rules = rules_file(tmp_path, "settings_from:\n  2026-01-01: {bills_apcm: [cocm]}\n")
    con = program([patient(p) for p in "ABCD"],
                  [minutes(p, "2025-12-10", 95) for p in "ABCD"] + [minutes("A", "2026-01-10", 5), minutes("B", "2026-01-10", 95),
                                                                     minutes("C", "2026-01-10", 95), minutes("D", "2026-01-10", 95)],
                  [claim("A0", "A", "2025-12-31", "99492"), claim("A0", "A", "2025-12-31", "99494", line=2)]
                  + apcm_month("A", "A1", "G0569") + apcm_month("C", "C1", "G0569") + apcm_month("D", "D1", "G0569")
                  + [claim("D1", "D", "2026-01-31", "99493", line=3)] + [visit(p, "2025-06-02") for p in "ABCD"], visits=False)
    lines = billing_lines(con, "2025-12", "2026-01", rules)
    assert list(zip(lines.patient_id, lines.service_month, lines.code, lines.units, lines.expected_amount))[:3] == [
        ("A", "2025-12", "99492", 1, 145.0), ("A", "2025-12", "99494", 1, 56.0), ("A", "2026-01", "G0569", 1, 145.96)]
    assert set(lines[lines.service_month == "2026-01"].code) == {"G0569"}
    assert found(con, "2026-01", "2026-01", rules) == [
        ("A", "2026-01", "matched", "G0569", "G0569"), ("B", "2026-01", "missed_billing", "G0569", None),
        ("C", "2026-01", "matched", "G0569", "G0569"), ("D", "2026-01", "same_month_conflict", "G0569", "99493 + G0569")]
    rows = by_key(findings(con, "2026-01", "2026-01", rules))
    assert rows[("B", "2026-01", "missed_billing")]["amount_at_stake"] == 145.96
    assert rows[("D", "2026-01", "same_month_conflict")]["explanation"].endswith("void the 99493 line.")


def test_the_general_bhi_add_on_g0570_mirrors_99484_in_any_month(program):
    con = program([patient("H", program="general_bhi")], [minutes("H", "2026-01-10", 25), minutes("H", "2026-02-10", 25)],
                  apcm_month("H", "H1", "G0570") + apcm_month("H", "H2", "G0569", day="2026-02-28") + [visit("H", "2025-06-02")],
                  visits=False)
    assert found(con, "2026-01", "2026-02") == [("H", "2026-01", "matched", "G0570", "G0570"),
                                                ("H", "2026-02", "wrong_code", "G0570", "G0569")]
    assert findings(con, "2026-02").explanation.iloc[0] == (
        "Claim H2 bills G0569 but it is an APCM add-on of another program than this patient's (general_bhi); the add-on for this "
        "month is G0570.")


# --- the quarantine (issue 11 item 5) -----------------------------------------------------------------------


def test_a_month_with_a_quarantined_claim_line_is_never_missed_billing(program):
    """A: 99492 loaded, its 99494 line set aside (charge '1x45'). B: the only claim line of January, a
    99492, is set aside. C: a 99492 line whose date does not read stands for every month it could be
    the claim of. D: the same months loaded cleanly (the control). A set-aside 99492 cannot be the
    99494 no line bills: B's and C's January 99494 are missed (it read claim_quarantined: a line held
    back every code of its month, whatever its own code)."""
    def bad(row: dict, **fields) -> dict:
        return {**row, **fields}
    con = program([patient(p) for p in "ABCD"],
                  [minutes(p, "2025-01-10", 90) for p in "ABCD"] + [minutes(p, "2025-02-10", 40) for p in "ABCD"],
                  [claim("A1", "A", "2025-01-31", "99492"), bad(claim("A1", "A", "2025-01-31", "99494", line=2), charge_amount="1x45"),
                   claim("A2", "A", "2025-02-28", "99493"),
                   bad(claim("B1", "B", "2025-01-31", "99492"), units="one"), claim("B2", "B", "2025-02-28", "99493"),
                   bad(claim("C1", "C", "2025-01-31", "99492"), date_of_service="13/45/2025"),
                   claim("D1", "D", "2025-01-31", "99492"), claim("D2", "D", "2025-02-28", "99493")])
    assert found(con, "2025-01", "2025-02") == [
        ("A", "2025-01", "claim_quarantined", "99494", "99494"), ("A", "2025-02", "matched", "99493", "99493"),
        ("B", "2025-01", "claim_quarantined", "99492", "99492"), ("B", "2025-01", "missed_billing", "99494", None),
        ("B", "2025-02", "matched", "99493", "99493"),
        ("C", "2025-01", "claim_quarantined", "99492", "99492"), ("C", "2025-01", "missed_billing", "99494", None),
        ("C", "2025-02", "claim_quarantined", "99493", "99492"),
        ("D", "2025-01", "missed_billing", "99494", None),
        ("D", "2025-02", "matched", "99493", "99493")]
    rows = findings(con, "2025-01", "2025-02")
    quarantined = rows[rows.finding == "claim_quarantined"].set_index(["patient_id", "service_month"])
    a = quarantined.loc[("A", "2025-01")]
    assert (a.severity, a.amount_at_stake, a.quarantine_line, a.claim_ids) == ("review", 0, 3, "A1")
    assert "charge_amount '1x45'" in a.quarantine_reason and a.quarantine_file.endswith(".csv")
    assert a.explanation == (f"A claim line for this month is in the quarantine: {a.quarantine_file} line 3, "
                             f"{a.quarantine_reason}; fix it and reload before acting.")
    assert quarantined.loc[("C", "2025-02")].explanation.startswith(
        "A claim line of this patient whose date of service does not read is in the quarantine: ")
    assert "'13/45/2025'" in quarantined.loc[("C", "2025-02")].quarantine_reason
    missed = rows[(rows.finding == "missed_billing") & rows.patient_id.isin(["A", "B", "C"])]
    assert sorted(zip(missed.patient_id, missed.service_month, missed.expected_code)) == [
        ("B", "2025-01", "99494"), ("C", "2025-01", "99494")]


def test_a_dated_quarantined_line_holds_back_only_the_codes_it_could_be_the_claim_of(program):
    """billing_rules.md s6 item 13, code by code: a line set aside at load held back every missed code
    of its month, whatever its own code. Each patient logs 90 minutes in January (99492 + 99494 due)
    and has one January line, set aside (charge '1x45'). A's is the 99494: the 99494 may be that
    line, the 99492 no line bills is missed. B's is a 99493: the month's base billed under another
    code (99492, 99493 and G2214 are alternatives of one base), not its 99494, which is missed. C's
    code does not read: it may be either, nothing is missed. D's is an office visit: no claim of
    the month's codes, both are missed."""
    def set_aside(claim_id: str, pid: str, code: str, line: int = 1) -> dict:
        return {**claim(claim_id, pid, "2025-01-31", code, line=line), "charge_amount": "1x45"}

    con = program([patient(p) for p in "ABCD"], [minutes(p, "2025-01-10", 90) for p in "ABCD"],
                  [set_aside("A1", "A", "99494", line=2), set_aside("B1", "B", "99493"), set_aside("C1", "C", "9949E"),
                   set_aside("D1", "D", "99213")])
    assert set(found(con, "2025-01", "2025-01")) == {
        ("A", "2025-01", "claim_quarantined", "99494", "99494"), ("A", "2025-01", "missed_billing", "99492", None),
        ("B", "2025-01", "claim_quarantined", "99492", "99493"), ("B", "2025-01", "missed_billing", "99494", None),
        ("C", "2025-01", "claim_quarantined", "99492 + 99494", "9949E"),
        ("D", "2025-01", "claim_quarantined", None, "99213"), ("D", "2025-01", "missed_billing", "99492", None),
        ("D", "2025-01", "missed_billing", "99494", None)}


def test_a_claim_line_whose_date_does_not_read_stands_only_for_the_months_it_could_be_the_claim_of(program):
    """A line set aside because its date of service does not read read claim_quarantined, "it may be
    this month's claim", in any month of its patient with a code not billed: one 99493 line also held
    back February's 99494, missing beside a billed 99493, which a 99493 line cannot be. By hand, every
    patient: January 90 minutes (initial), 99492 + 99494 billed; February 90 minutes, 99493 billed, 99494
    not; March 40 minutes, nothing billed. P's undated line bills 99493: it can be March's claim, not
    February's 99494 (missed). Q's bills 99494: February's 99494, not March's 99493 (missed). R's code
    does not read either: it may be either. U logs 90 minutes in March too and bills 99494 alone: the
    base code it needs may be U's undated 99493 line, so no conflict either (billing_rules.md s6 item 13).
    V logs 10 minutes in March and bills 99494 alone: they support no base code, so V's undated 99492
    line cannot be one the month lacks, and 99494 without its base is the conflict it is (it read as
    if the line might be its base). January, billed in full, reads claim_quarantined for nobody."""
    def undated(claim_id: str, pid: str, code: str) -> dict:
        return {**claim(claim_id, pid, "2025-03-31", code, line=9), "date_of_service": "13/45/2025"}

    months = [("2025-01-10", 90), ("2025-02-10", 90), ("2025-03-10", 40)]
    con = program([patient(p) for p in "PQRUV"],
                  [minutes(p, day, m) for p in "PQRU" for day, m in months] + [minutes("U", "2025-03-20", 50),
                                                                               minutes("V", "2025-03-10", 10)],
                  [line for p in "PQRU" for line in (claim(f"{p}1", p, "2025-01-31", "99492"),
                                                     claim(f"{p}1", p, "2025-01-31", "99494", line=2),
                                                     claim(f"{p}2", p, "2025-02-28", "99493"))]
                  + [undated("PX", "P", "99493"), undated("QX", "Q", "99494"), undated("RX", "R", "9949E"),
                     claim("U3", "U", "2025-03-31", "99494"), undated("UX", "U", "99493"),
                     claim("V3", "V", "2025-03-31", "99494"), undated("VX", "V", "99492")])
    rows = [r for r in found(con, "2025-01", "2025-03") if r[2] != "matched"]
    assert rows == [
        ("P", "2025-02", "missed_billing", "99494", None), ("P", "2025-03", "claim_quarantined", "99493", "99493"),
        ("Q", "2025-02", "claim_quarantined", "99494", "99494"), ("Q", "2025-03", "missed_billing", "99493", None),
        ("R", "2025-02", "claim_quarantined", "99494", "9949E"), ("R", "2025-03", "claim_quarantined", "99493", "9949E"),
        ("U", "2025-02", "missed_billing", "99494", None), ("U", "2025-03", "claim_quarantined", "99493", "99493"),
        ("V", "2025-03", "same_month_conflict", None, "99494")]
    held = findings(con, "2025-01", "2025-03").query("finding == 'claim_quarantined'")
    assert set(held.reason) == {"quarantined_undated"}
    assert (held.explanation.str.startswith("A claim line of this patient whose date of service does not read is in the "
                                            "quarantine: ")).all()


def test_a_claim_line_whose_date_does_not_read_of_a_patient_billed_in_full_is_in_the_quarantine_listing(program, tmp_path):
    """billing_rules.md s6 item 13. A's months are all billed, so the line whose date does not read is
    the claim of no month and no finding names it; it does not vanish: `bcm quarantine` lists it, open."""
    from bcm_analytics.cli import cli

    con = program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99492"), claim("A2", "A", "2025-02-28", "99493"),
                   {**claim("A3", "A", "2025-02-28", "99493"), "date_of_service": "02/30/2025"}])
    assert found(con, "2025-01", "2025-02") == [("A", "2025-01", "matched", "99492", "99492"),
                                                ("A", "2025-02", "matched", "99493", "99493")]
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    out = tmp_path / "quarantine.csv"
    result = CliRunner().invoke(cli, ["quarantine", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    listed = pd.read_csv(out)
    assert list(listed.status) == ["open"] and "'02/30/2025'" in listed.reason.iloc[0] and '"A3"' in listed.record.iloc[0]


def test_a_claim_line_set_aside_for_a_blank_patient_id_is_warned_of(program, tmp_path):
    """billing_rules.md s6 item 13: a claim line set aside at load is not a missing claim. E's paid
    99492, exported with a blank patient id, cannot be placed in E's month, which reads missed_billing
    ("bill it"); `bcm reconcile` and the page now warn of the line, by file and line, before anyone
    bills the month again."""
    from bcm_analytics.billing.reconcile import unlinked_claims_note
    from bcm_analytics.cli.billing import reconcile
    from bcm_analytics.models.marts import current

    con = program([patient("E")], [minutes("E", "2025-01-10", 45)], [{**claim("E1", "E", "2025-01-31", "99492"), "patient_id": ""}])
    assert found(con, "2025-01", "2025-01") == [("E", "2025-01", "missed_billing", "99492", None)]
    note = unlinked_claims_note(current(con))
    assert re.fullmatch(r"1 claim line\(s\) in the quarantine name no patient \(claims_\d+\.csv line 2\): a month one of them bills "
                        r"reads as missed billing here\. .*", note)
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 0 and "warning: 1 claim line(s) in the quarantine name no patient" in result.stderr


def test_an_add_on_whose_base_line_is_in_the_quarantine_is_no_conflict(program):
    """E's 99492 line has units 0 (set aside); its 99494 line loads. The base code is on the claim,
    only set aside: the month reads claim_quarantined, not 99494 billed without a base code. F bills
    99494 alone and has a quarantined line of 99494 itself (a copy): still a conflict."""
    con = program([patient("E"), patient("F")], [minutes("E", "2025-01-10", 90), minutes("F", "2025-01-10", 90)],
                  [{**claim("E1", "E", "2025-01-31", "99492"), "units": "0"}, claim("E1", "E", "2025-01-31", "99494", line=2),
                   claim("F1", "F", "2025-01-31", "99494"), {**claim("F1", "F", "2025-01-31", "99494", line=2), "units": "0"}])
    rows = found(con, "2025-01", "2025-01")
    assert [r[2] for r in rows if r[0] == "E"] == ["claim_quarantined"]
    assert [r for r in rows if r[0] == "E" and r[2] == "same_month_conflict"] == []
    assert [r[2] for r in rows if r[0] == "F"].count("same_month_conflict") == 1


def test_only_a_quarantined_line_that_could_be_the_missing_base_holds_back_99494_without_it(program):
    """billing_rules.md s6 item 13: any line of the month in the quarantine but the add-on itself
    held back "99494 billed without its base code", so a set-aside office visit hid the conflict.
    Each patient bills 99494 alone in January and has one more January line, set aside (charge
    '1x45'). V's is a 99213: no base code, the conflict stands. W's is a 99493 and X's code does not
    read: either may be the base the claim lacks (the month's claim_quarantined), no conflict. Y logs
    10 minutes, which support no base code, and its set-aside line is a 99493 dated in the month: still
    the base the claim may hold, no conflict (the minutes do not say what the claim billed)."""
    def set_aside(claim_id: str, pid: str, code: str) -> dict:
        return {**claim(claim_id, pid, "2025-01-31", code, line=2), "charge_amount": "1x45"}

    con = program([patient(p) for p in "VWXY"], [minutes(p, "2025-01-10", 90) for p in "VWX"] + [minutes("Y", "2025-01-10", 10)],
                  [line for p, code in zip("VWXY", ["99213", "99493", "9949E", "99493"])
                   for line in (claim(f"{p}1", p, "2025-01-31", "99494"), set_aside(f"{p}1", p, code))])
    conflicts = [r for r in found(con, "2025-01", "2025-01") if r[2] == "same_month_conflict"]
    assert conflicts == [("V", "2025-01", "same_month_conflict", "99492 + 99494", "99494")]


def test_a_quarantined_time_based_code_that_99494_cannot_ride_on_leaves_the_conflict(program):
    """99494 is an add-on to 99492 or 99493 alone (billing_rules.md s2): a claim that bills it beside
    G2214, general BHI's 99484 or an APCM add-on (G0568, G0569) has no base code either. Each patient
    bills 99494 alone in January, an initial month of 90 minutes, and has one more January line set
    aside: S's a G2214, T's a 99484, U's a G0569. Any of them may be the month's claim (they hold back
    the missing 99492, claim_quarantined), but none is a base the 99494 may ride on: the conflict stands
    for each, as for R, whose set-aside line is a 99492 in a month whose claim lacks it: no conflict."""
    def set_aside(claim_id: str, pid: str, code: str) -> dict:
        return {**claim(claim_id, pid, "2025-01-31", code, line=2), "charge_amount": "1x45"}

    con = program([patient(p) for p in "RSTU"], [minutes(p, "2025-01-10", 90) for p in "RSTU"],
                  [line for p, code in zip("RSTU", ["99492", "G2214", "99484", "G0569"])
                   for line in (claim(f"{p}1", p, "2025-01-31", "99494"), set_aside(f"{p}1", p, code))])
    rows = found(con, "2025-01", "2025-01")
    assert [r for r in rows if r[2] == "same_month_conflict"] == [
        (p, "2025-01", "same_month_conflict", "99492 + 99494", "99494") for p in "STU"]
    assert [r[:3] for r in rows if r[2] == "claim_quarantined"] == [(p, "2025-01", "claim_quarantined") for p in "RSTU"]


def test_a_claim_dated_with_a_two_digit_year_is_quarantined_in_its_month_not_missed(program):
    """Issue 11's `2/10/25`: the loader sets the line aside (2-digit year); February 2025 is
    claim_quarantined, not missed_billing, and January (billed) is matched."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-02-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99492"), {**claim("A2", "A", "2025-02-10", "99493"), "date_of_service": "2/10/25"}])
    assert found(con, "2025-01", "2025-02") == [("A", "2025-01", "matched", "99492", "99492"),
                                                ("A", "2025-02", "claim_quarantined", "99493", "99493")]
    assert "2/10/25" in findings(con, "2025-02").explanation.iloc[0]


def test_a_claim_fixed_and_reloaded_leaves_the_quarantine_and_reconciles(program, load_rows):
    """The quarantined line stays in meta.quarantine (open); a later load of the same claim line settles it."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [{**claim("A1", "A", "2025-01-31", "99492"), "charge_amount": "1x45"}])
    assert found(con, "2025-01") == [("A", "2025-01", "claim_quarantined", "99492", "99492")]
    load_rows("claims", [claim("A1", "A", "2025-01-31", "99492")])
    assert found(con, "2025-01") == [("A", "2025-01", "matched", "99492", "99492")]


def profile_claims(rows: list[dict]):
    """Claim lines as a mapping profile hands them to the loader: canonical text columns, the source
    line of each, and the source record (its own field names), which the quarantine keeps."""
    import json

    import pyarrow as pa

    from bcm_analytics.ingest import ArrowSource

    columns = {k: [r[k] for r in rows] for k in rows[0]}
    columns["_line"] = pa.array([10 + i for i in range(len(rows))], pa.int64())
    columns["_record"] = [json.dumps({"ClaimNo": r["claim_id"], "Member": r["patient_id"], "Amt": r["charge_amount"]})
                          for r in rows]
    return ArrowSource(rows=pa.table(columns), path=Path("/exports/payer_remit.json"), sha256="f" * 64, table="claims",
                       format="profile")


def test_a_profile_loads_claim_in_the_quarantine_is_claim_quarantined_incrementally(program):
    """A profile load quarantines the source record, not the canonical row: the patient and month come
    from raw.claims, and the patient is rebuilt after the load (marts built before it)."""
    from bcm_analytics.ingest import load_file

    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)])
    assert [f[2] for f in found(con, "2025-01")] == ["missed_billing", "missed_billing"]
    result = load_file(con, profile_claims([{**claim("A1", "A", "2025-01-31", "99492"), "charge_amount": "1x45"}]))
    assert result.rows_quarantined == 1
    assert con.execute("SELECT record ->> 'ClaimNo' FROM meta.quarantine WHERE table_name = 'claims'").fetchone()[0] == "A1"
    assert found(con, "2025-01") == [("A", "2025-01", "claim_quarantined", "99492", "99492"),
                                     ("B", "2025-01", "missed_billing", "99492", None)]
    row = findings(con, "2025-01").set_index("patient_id").loc["A"]
    assert (row.quarantine_file, row.quarantine_line) == ("/exports/payer_remit.json", 10)



def test_a_claim_line_set_aside_for_a_spaced_patient_id_is_claim_quarantined_incrementally(program, load_rows):
    """A's line, exported as " A " and set aside (its charge unreadable), belongs to A
    (core.quarantined_claims trims it). The build's fingerprints read the patient again, untrimmed:
    the load changed patient " A ", A's month was not rebuilt and read missed_billing ("bill it")
    until a full rebuild."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)])
    assert [f[2] for f in found(con, "2025-01")] == ["missed_billing"]
    load_rows("claims", [{**claim("A1", " A ", "2025-01-31", "99492"), "charge_amount": "1x45"}])
    assert found(con, "2025-01") == [("A", "2025-01", "claim_quarantined", "99492", "99492")]

# --- initiating visit ----------------------------------------------------------------------------------------


def test_no_initiating_visit_in_the_12_months_before_the_first_billed_month(program):
    """First billed month 2026-01 (window 2025-01 .. 2026-01). A: visit 2025-01-01 (first day in).
    B: visit 2024-12-31 (a day out). C: no visit at all. D: visit in the first billed month.
    E: visit 2025-06 by another practitioner. G: AWV (G0439) in 2025-03. H: second episode, its
    first billed month 2026-01, with only the visit of the first episode (2024-12-02)."""
    pids = "ABCDEGH"
    entries = [minutes(p, "2026-01-10", 40) for p in pids] + [minutes("H", "2025-01-10", 40)]
    claims = [claim(f"{p}1", p, "2026-01-31", "99492") for p in pids] + [claim("H0", "H", "2025-01-31", "99492")]
    claims += [visit("A", "2025-01-01"), visit("B", "2024-12-31"), visit("D", "2026-01-05"), visit("E", "2025-06-10", npi=OTHER_NPI),
               visit("G", "2025-03-03", code="G0439"), visit("H", "2024-12-02")]
    con = program([patient(p) for p in pids], entries, claims, visits=False)
    missing = findings(con, "2025-01", "2026-01").query("finding == 'no_initiating_visit'")
    assert list(zip(missing.patient_id, missing.service_month)) == [("B", "2026-01"), ("C", "2026-01"), ("E", "2026-01"),
                                                                    ("H", "2026-01")]
    row = missing.set_index("patient_id").loc["C"]
    assert (row.severity, row.amount_at_stake, str(row.rule_date)[:10], row.billing_npi) == ("review", 0, "2025-01-01", NPI)
    assert row.explanation == (
        f"No E/M, AWV, IPPE or TCM claim by the billing practitioner (NPI {NPI}) from 2025-01 through 2026-01 is in the "
        "claims you loaded, and 2026-01 is the first billed month of episode C-2026-01: CoCM and BHI need an initiating "
        "visit when the practitioner has not seen the patient in that time. Check the visit; claims exports are often partial.")
    assert set(findings(con, "2026-01").query("patient_id == 'C'").finding) == {"matched", "no_initiating_visit"}


def test_the_initiating_visit_lookback_is_a_setting(program, tmp_path):
    rules = rules_file(tmp_path, "settings: {initiating_visit_months: 6}\n")
    con = program([patient("A")], [minutes("A", "2025-09-10", 40)], [claim("A1", "A", "2025-09-30", "99492"),
                                                                     visit("A", "2025-02-27")], visits=False)
    assert [f[2] for f in found(con)] == ["matched"]
    assert [f[2] for f in found(con, rules=rules)] == ["matched", "no_initiating_visit"]


def test_the_initiating_visit_window_ends_with_the_first_billed_month_and_its_setting_starts_on_the_first(program, tmp_path):
    """billing_rules.md s6 item 12: the visit is looked for "in the 12 months before the first billed
    month"; a visit after that month does not start the episode. First billed month 2026-01, by hand:
    L visit on 2026-01-31 (the month's last day): counted; M on 2026-02-01 (the next day): no visit.
    With initiating_visit_months 6, first billed month 2025-09 (window from 2025-03-01): S's visit on
    2025-03-01 counts (the other test of the setting has 2025-02-27, a day out)."""
    con = program([patient(p) for p in "LMS"],
                  [minutes(p, "2026-01-10", 40) for p in "LM"] + [minutes("S", "2025-09-10", 40)],
                  [claim(f"{p}1", p, "2026-01-31", "99492") for p in "LM"] + [claim("S1", "S", "2025-09-30", "99492"),
                   visit("L", "2026-01-31"), visit("M", "2026-02-01"), visit("S", "2025-03-01")], visits=False)
    missing = findings(con, "2025-01", "2026-02").query("finding == 'no_initiating_visit'")
    assert list(zip(missing.patient_id, missing.service_month)) == [("M", "2026-01")]
    six = rules_file(tmp_path, "settings: {initiating_visit_months: 6}\n")
    assert [f for f in found(con, "2025-09", "2025-09", six) if f[0] == "S"] == [("S", "2025-09", "matched", "99492", "99492")]


# --- every finding's sentence states its own columns ---------------------------------------------------------

NUMBER_COLUMNS = ("countable_minutes", "threshold_minutes", "expected_units", "billed_units", "units_cap", "billed_lines",
                  "unconsented_minutes", "quarantine_line")


def every_finding(program, tmp_path):
    """A store in which every finding and every reason occurs at least once. The payer "Medicare
    dated" follows claim_date_rule on_or_after_threshold (its patients' claims dated before their
    threshold, or of a month that never reaches it); every other payer the shipped default."""
    pids = "ABCDEFGHIJKLMNOPRSTUVWXYZ"
    pats = [patient(p) for p in pids if p not in "CFGN"] + [patient("C", payer="Commercial"), patient("N", consent=""),
                                                             patient("F", clinic="FQ", program="general_bhi"),
                                                             patient("G", payer="Medicaid"),
                                                             patient("DA", payer="Medicare dated"), patient("DB", payer="Medicare dated"),
                                                             patient("DU"), patient("PM"), patient("DP"), patient("DR"), patient("DS")]
    e = [minutes(p, "2025-01-10", 40) for p in pids if p not in "FN"]
    e += [minutes("A", "2025-02-10", "00:40:30"), minutes("B", "2025-02-10", 90.25), minutes("C", "2025-02-10", 20),
          minutes("D", "2025-02-10", "00:20:59"), minutes("E", "2025-02-10", 40), minutes("F", "2025-03-10", 12),
          minutes("G", "2025-02-10", 226), minutes("H", "2025-02-10", 40), minutes("I", "2025-02-10", 40),
          minutes("J", "2025-02-10", 40), minutes("K", "2025-02-10", 80), minutes("L", "2025-02-10", 40),
          minutes("M", "2025-02-10", 40), minutes("N", "2025-02-10", "00:30:15"), minutes("O", "2025-02-10", 10),
          minutes("P", "2025-02-10", 40), minutes("R", "2026-01-10", 45), minutes("S", "2026-01-10", 45),
          minutes("T", "2026-01-10", 45), minutes("U", "2026-01-10", 45), minutes("V", "2025-02-10", 40),
          minutes("W", "2025-02-10", 40), minutes("X", "2025-02-10", 40), minutes("Y", "2025-02-10", 90), minutes("Z", "2025-02-10", 40)]
    c = [claim(f"{p}0", p, "2025-01-31", "99492") for p in pids if p not in "FN"]
    c += [claim("A1", "A", "2025-02-28", "99493"),                                                       # matched
          claim("B1", "B", "2025-02-28", "99493"),                                                       # missed 99494
          claim("C1", "C", "2025-02-28", "G2214"),                                                       # payer_does_not_bill
          claim("D1", "D", "2025-02-28", "99493"),                                                       # below_base
          claim("E1", "E", "2025-02-28", "99493", status="denied"),                                      # denied_claim
          claim("F1", "F", "2025-03-31", "99484"),                                                       # below_threshold
          claim("G1", "G", "2025-02-28", "99493"), claim("G1", "G", "2025-02-28", "99494", line=2, units=5),  # above the cap
          claim("H1", "H", "2025-02-28", "99492"),                                                       # initial_in_subsequent
          claim("I1", "I", "2025-02-28", "G2214"),                                                       # fallback_reached_base
          claim("J1", "J", "2025-02-28", "99493"), claim("J2", "J", "2025-02-28", "99493"),              # duplicate
          claim("K1", "K", "2025-02-28", "99493"), claim("K1", "K", "2025-02-28", "99494", line=2, units=2),  # units
          claim("L1", "L", "2025-02-28", "99493", npi=OTHER_NPI),                                        # wrong_billing_npi
          claim("M1", "M", "2025-03-31", "99493"),                                                       # no_minutes
          claim("N1", "N", "2025-03-31", "99493"),                                                       # no_consent
          claim("O1", "O", "2025-02-28", "G0512"),                                                       # outside, no base
          claim("P1", "P", "2025-02-28", "99493"), claim("P1", "P", "2025-02-28", "99484", line=2),      # cocm_with_bhi
          claim("R1", "R", "2026-01-31", "G0569"),                                                       # no_apcm_base
          claim("S1", "S", "2026-01-31", "G0557"), claim("S1", "S", "2026-01-31", "G0568", line=2),      # other_month_type
          claim("T1", "T", "2026-01-31", "G0557"), claim("T1", "T", "2026-01-31", "G0569", line=2),      # apcm matched
          claim("T1", "T", "2026-01-31", "99493", line=3),                                               # ... add_on_with_mirror
          claim("U1", "U", "2026-01-31", "G0557"), claim("U1", "U", "2026-01-31", "G0570", line=2),      # other_program
          claim("V1", "V", "2025-02-28", "99493"), claim("V1", "V", "2025-02-28", "G2214", line=2),      # fallback_with_base
          claim("W1", "W", "2025-02-28", "99494"),                                                       # add_on_without_base
          claim("X1", "X", "2025-02-28", "99492"), claim("X1", "X", "2025-02-28", "99493", line=2),      # initial_with_subsequent
          {**claim("Y1", "Y", "2025-02-28", "99493"), "charge_amount": "1x45"},                          # claim_quarantined
          {**claim("Z1", "Z", "2025-02-28", "99493"), "date_of_service": "02/30/2025"},                  # quarantined_undated
          claim("Q1", "Q9", "2025-02-28", "99493"),                                                      # unknown_patient
          claim("R7", "R", "2025-11-30", "G0569"), claim("R7", "R", "2025-11-30", "G0557", line=2)]      # before_billable
    c += [claim("DA1", "DA", "2025-01-09", "99492"), claim("DB1", "DB", "2025-02-28", "99493")]        # before_threshold_met, threshold_never_met
    e += [minutes("DA", "2025-01-10", 40), minutes("DB", "2025-02-10", 20)]
    c += [claim("DU0", "DU", "2025-01-31", "99492"), claim("DU1", "DU", "2025-02-28", "99493", status="denied")]  # denied_unsupported
    e += [minutes("DU", "2025-01-10", 40), minutes("DU", "2025-02-10", 20)]
    c += [{**claim("PM1", "PM", "2025-01-31", "99492"), "payer": "Medicaid"}]                              # payer_mismatch
    e += [minutes("PM", "2025-01-10", 40)]
    c += [claim("DP0", "DP", "2025-01-31", "99492"), claim("DP1", "DP", "2025-02-28", "99493"),       # denied_partly_supported
          claim("DP1", "DP", "2025-02-28", "99494", line=2, units=3, status="denied"),
          claim("DR0", "DR", "2025-01-31", "99492"), claim("DR1", "DR", "2025-02-14", "99493", status="denied"),  # denied_billed_again
          claim("DR2", "DR", "2025-02-28", "G2214"),
          claim("DS0", "DS", "2025-12-31", "99492"), claim("DS1", "DS", "2026-01-31", "G0557"),       # a denied APCM add-on
          claim("DS1", "DS", "2026-01-31", "G0568", line=2, status="denied")]
    e += [minutes("DP", "2025-01-10", 40), minutes("DP", "2025-02-10", 100), minutes("DR", "2025-01-10", 40),
          minutes("DR", "2025-02-10", 30), minutes("DS", "2025-12-10", 40), minutes("DS", "2026-01-10", 45)]
    c += [visit(p["patient_id"]) for p in pats if p["patient_id"] != "S"]                             # S: no initiating visit
    e += [minutes("R", "2025-11-10", 40), minutes("N", "2025-01-10", 40), minutes("Q", "2025-02-10", 40),
          minutes("S", "2025-12-10", 40)]
    con = program(pats, e, c, visits=False, clinics=CLINICS,
                  coverage=[{"patient_id": "PM", "payer": "Medicare", "start_date": "2024-06-01", "end_date": ""}])
    dated = rules_file(tmp_path, "payer_names:\n  Medicare dated: {payer_class: medicare, settings: {claim_date_rule: on_or_after_threshold}}\n",
                       "dated_rules.yaml")
    return findings(con, "2024-12", "2026-12", dated)


def test_every_finding_type_occurs_and_each_number_in_its_sentence_is_one_of_its_columns(program, tmp_path):
    rows = every_finding(program, tmp_path)
    assert set(rows.finding) == set(FINDINGS)
    assert set(rows.severity) == set(SEVERITIES)
    assert {"no_minutes", "payer_does_not_bill", "outside_code_set", "below_threshold", "fallback_reached_base",
            "initial_in_subsequent", "below_base", "no_apcm_base", "before_billable", "other_program", "other_month_type",
            "cocm_with_bhi", "fallback_with_base", "add_on_without_base", "initial_with_subsequent", "add_on_with_mirror",
            "quarantined", "quarantined_undated", "no_consent", "minutes_without_consent", "above_cap", "units",
            "no_initiating_visit", "before_threshold_met", "threshold_never_met", "denied_unsupported", "denied_partly_supported",
            "denied_billed_again", "also_accepted", "payer_mismatch"} - set(rows.reason) == {
        "also_accepted"}  # also_accepted: see the FQHC test
    for row in rows.to_dict("records"):
        text = row["explanation"]
        assert isinstance(text, str) and text, row
        for column in ("claim_ids", "quarantine_file", "quarantine_reason", "episode_id", "code_set", "patient_id",
                       "coverage_on_file"):
            if isinstance(row[column], str):
                text = text.replace(row[column], " ")
        values = {round(float(row[c]), 4) for c in NUMBER_COLUMNS if row[c] is not None and row[c] == row[c]}
        for minutes_, what in re.findall(r"(\d+) (countable )?minutes", text):
            column = "countable_minutes" if what else "unconsented_minutes"
            assert float(minutes_) == row[column], (row["finding"], text)
        for what, minutes_, seconds in re.findall(r"([Cc]ountable minutes \()?(\d+) min (\d+) s", text):
            column = "countable_minutes" if what else "unconsented_minutes"
            assert 0 < int(seconds) < 60 and round(int(minutes_) + int(seconds) / 60, 4) == row[column], (row["finding"], text)
        text = re.sub(r"\d+ min \d+ s", " ", text)
        for code, needs in re.findall(r"(\w+) needs (\d+(?:\.\d+)?)", text):
            assert (code, float(needs)) == (row["threshold_code"], row["threshold_minutes"]), (row["finding"], text)
        for cap in re.findall(r"at most (\d+)", text):
            assert int(cap) == row["units_cap"], text
        for npi in re.findall(r"NPI (\d{10})", text):
            assert npi in {row["billing_npi"], row["treating_provider_npi"], row["organization_npi"]}, text
        dates = {str(row[c])[:10] for c in ("consent_date", "rule_date", "date_of_service") if row[c] is not None and row[c] == row[c]}
        for day in re.findall(r"\d{4}-\d{2}-\d{2}", text):
            assert day in dates, text
        text = re.sub(r"\d{4}-\d{2}-\d{2}", " ", text)
        months = {row["service_month"]} | {d[:7] for d in dates}
        for month in re.findall(r"\d{4}-\d{2}", text):
            assert month in months, text
        text = re.sub(r"\d{4}-\d{2}|\b[A-Z]\d{4}\b|\b\d{5}\b|\b\d{10}\b|\b\w+_\w+\b", " ", text)  # months, codes, NPIs, setting names
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            assert round(float(number), 4) in values, (row["finding"], number, row["explanation"])


# --- `bcm reconcile` on the situations at the top of issue 10 -------------------------------------------------


def test_bcm_reconcile_on_the_situations_issue_10_lists(program, tmp_path):
    from bcm_analytics.cli.billing import reconcile

    con = program([patient("A"), patient("F", clinic="FQ", program="general_bhi"), patient("C", payer="Commercial"),
                   patient("Q", clinic="FQ")],
                  [minutes("A", "2025-12-10", 40), minutes("A", "2026-01-10", 45), minutes("F", "2025-03-10", 25),
                   minutes("C", "2025-02-10", 40), minutes("C", "2025-03-10", 20), minutes("Q", "2026-01-10", 40)],
                  [claim("A0", "A", "2025-12-31", "99492")] + apcm_month("A", "A1", "G0569")
                  + [claim("F1", "F", "2025-03-31", "99484"), claim("C0", "C", "2025-02-28", "99492"),
                     claim("C1", "C", "2025-03-31", "G2214"), claim("Q1", "Q", "2026-01-31", "99492", npi=ORG_NPI),
                     visit("A", "2025-12-01"), visit("Q", "2026-01-05", npi=ORG_NPI)],
                  clinics=CLINICS)
    db = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    con.close()
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(reconcile, ["--db", db, "--month", "2025-01", "--to", "2026-12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str)
    got = {(r.patient_id, r.service_month): r for r in rows.itertuples()}
    assert (got["A", "2026-01"].finding, got["A", "2026-01"].billed_code) == ("matched", "G0569")  # not missed 99493
    assert (got["F", "2025-03"].finding, got["F", "2025-03"].billed_code) == ("matched", "99484")  # not wrong_code
    assert got["C", "2025-03"].finding == "unsupported_claim" and "99493 needs 31" in got["C", "2025-03"].explanation
    assert (got["Q", "2026-01"].finding, got["Q", "2026-01"].expected_code) == ("matched", "99492")  # the organization NPI
    assert set(rows.finding) == {"matched", "unsupported_claim"}
    assert "claim_quarantined" in reconcile.__doc__ and "no_initiating_visit" in reconcile.__doc__


def test_both_base_codes_in_one_month_says_which_line_to_void(program, tmp_path):
    rows = every_finding(program, tmp_path)
    [text] = rows[rows.reason == "initial_with_subsequent"].explanation.tolist()
    assert text.startswith("99492 and 99493 billed in one month; only ") and text.endswith(" line.")
    assert "void the 9949" in text
