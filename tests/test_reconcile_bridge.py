"""The walk from expected to billed dollars (models/reconcile/recon_bridge.sql), one line at a time
on hand-written patients, minutes and claims (the helpers of test_reconcile: Medicare at a physician
practice in 2025, where 99492 is $145, 99493 $134 and 99494 $56 at the fee schedule).

Every walk is checked whole too: expected and the lines between add up to billed to the cent, its
ends are the headline's expected and billed (monthly_totals), and the line of dollars the walk does
not explain is $0. A walk with a residual fails every test here."""

from __future__ import annotations

import pytest
from test_reconcile import OTHER_NPI, claim, minutes, patient, program  # noqa: F401 (program: a fixture)

from bcm_analytics.billing.reconcile import BRIDGE, bridge, findings, monthly_totals


def walk(con, start="2025-01", end=None, **narrow) -> dict[str, float]:
    """The walk's dollars by line, after checking it adds up to the headline's billed with no residual."""
    frame = bridge(con, start, end, **narrow)
    assert list(frame["line"]) == list(BRIDGE), "every line, in the walk's order"
    lines = dict(zip(frame["line"], frame["walk_amount"]))
    assert lines["residual"] == 0, f"the walk leaves ${lines['residual']:,.2f} unexplained: {lines}"
    steps = sum(v for k, v in lines.items() if k not in ("expected", "billed"))
    assert round(lines["expected"] + steps, 2) == lines["billed"]
    totals = monthly_totals(con, start, end, **narrow)
    assert (lines["expected"], lines["billed"]) == (round(totals.expected_amount.sum(), 2), round(totals.billed_amount.sum(), 2))
    return lines


def between(lines: dict[str, float]) -> dict[str, float]:
    """The lines between expected and billed that are not zero."""
    return {k: v for k, v in lines.items() if k not in ("expected", "billed", "residual") and v != 0}


def test_a_missed_month_is_the_supported_line_not_billed(program):
    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)],
                  [claim("B1", "B", "2025-01-31", "99492", charge=145)])
    lines = walk(con)
    assert (lines["expected"], lines["billed"]) == (2 * 145, 145)
    assert between(lines) == {"missed": -145}


def test_a_month_whose_claim_line_is_in_the_quarantine_is_its_own_line_not_missed(program):
    """billing_rules.md s6 item 13: a claim line set aside at load is not a missing claim. The walk put
    such a month's supported dollars on the missed line ("supported but not billed") while the findings
    said claim_quarantined. A's only claim line has charge '1x45' (set aside); C's 99494 line units
    'one'; D's 99492 line a date that does not read, for January, D's one month with nothing billed
    (February bills 99493). B's month is missed (the control). In the quarantine: $145 + $56 + $145."""
    con = program([patient(p) for p in "ABCD"],
                  [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40), minutes("C", "2025-01-10", 90),
                   minutes("D", "2025-01-10", 40), minutes("D", "2025-02-10", 40)],
                  [{**claim("A1", "A", "2025-01-31", "99492"), "charge_amount": "1x45"},
                   claim("C1", "C", "2025-01-31", "99492", charge=145),
                   {**claim("C1", "C", "2025-01-31", "99494", line=2), "units": "one"},
                   {**claim("D1", "D", "2025-01-31", "99492"), "date_of_service": "13/45/2025"},
                   claim("D2", "D", "2025-02-28", "99493", charge=134)])
    lines = walk(con, "2025-01", "2025-02")
    assert between(lines) == {"missed": -145, "quarantined": -(145 + 56 + 145)}
    frame = bridge(con, "2025-01", "2025-02").set_index("line")
    assert frame.at["quarantined", "line_patient_months"] == 3 and frame.at["missed", "line_patient_months"] == 1
    assert frame.at["quarantined", "findings_behind"] == "claim quarantined"
    held = findings(con, "2025-01", "2025-02").query("finding == 'claim_quarantined'")
    assert sorted(zip(held.patient_id, held.service_month)) == [("A", "2025-01"), ("C", "2025-01"), ("D", "2025-01")]


def test_a_quarantined_line_whose_code_reads_holds_back_only_its_code_and_the_rest_is_missed(program):
    """90 minutes in January support 99492 ($145) + 99494 ($56). A's only January line, a 99494, is set
    aside at load (charge '1x45'): its $56 are in the quarantine, the 99492 no line bills is missed.
    B's, a 99492 (units 'one'): its $145 in the quarantine, the 99494 missed. C's code does not read:
    the whole month is in the quarantine. The walk still adds up to billed with no residual."""
    con = program([patient(p) for p in "ABC"], [minutes(p, "2025-01-10", 90) for p in "ABC"],
                  [{**claim("A1", "A", "2025-01-31", "99494", line=2), "charge_amount": "1x45"},
                   {**claim("B1", "B", "2025-01-31", "99492"), "units": "one"},
                   {**claim("C1", "C", "2025-01-31", "9949E"), "charge_amount": "1x45"}])
    assert between(walk(con)) == {"missed": -(145 + 56), "quarantined": -(56 + 145 + 145 + 56)}
    missed = findings(con, "2025-01").query("finding == 'missed_billing'")
    assert sorted(zip(missed.patient_id, missed.expected_code, missed.amount_at_stake)) == [("A", "99492", 145), ("B", "99494", 56)]


def test_a_wrong_code_moves_the_month_to_the_code_billed_and_is_not_new_exposure(program):
    """A's initial month supports 99492 ($145) and bills 99493 at its fee ($134): the headline
    counts $134 of exposure and keeps $145 expected; the walk moves the month, -$11."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [claim("A1", "A", "2025-01-31", "99493", charge=134)])
    lines = walk(con)
    assert between(lines) == {"moved": 134 - 145}
    assert monthly_totals(con, "2025-01").compliance_exposure.sum() == 134


def test_a_charge_other_than_the_fee_is_its_own_line(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [claim("A1", "A", "2025-01-31", "99492", charge=150)])
    assert between(walk(con)) == {"charge": 5}


def test_a_claim_line_without_a_charge_amount_is_the_fee_less_in_the_charge_line(program):
    """Billed dollars leave such a line out; the month is billed as supported, so it is no missed revenue."""
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)], [{**claim("A1", "A", "2025-01-31", "99492"), "charge_amount": ""}])
    assert between(walk(con)) == {"charge": -145}


def test_a_claim_without_support_and_extra_units_are_exposure_at_the_fee(program):
    """B bills 99492 with 10 minutes; C's 90 minutes support 99492 + 99494 x1 and bill 99494 x2."""
    con = program([patient("B"), patient("C")], [minutes("B", "2025-01-10", 10), minutes("C", "2025-01-10", 90)],
                  [claim("B1", "B", "2025-01-31", "99492", charge=145), claim("C1", "C", "2025-01-31", "99492", charge=145),
                   claim("C1", "C", "2025-01-31", "99494", units=2, line=2, charge=112)])
    assert between(walk(con)) == {"exposure": 145 + 56}


def test_a_duplicate_line_is_exposure(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99492", charge=145), claim("A2", "A", "2025-01-31", "99492", charge=145)])
    assert between(walk(con)) == {"exposure": 145}


def test_a_claim_under_another_npi_moves_no_dollar_though_the_headline_counts_it_as_exposure(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99492", npi=OTHER_NPI, charge=145)])
    frame = bridge(con, "2025-01")
    moved = frame[frame.line == "moved"].iloc[0]
    assert (moved.walk_amount, moved.line_patient_months) == (0, 1), "the month is named on the moved line, at $0"
    assert between(walk(con)) == {}
    assert monthly_totals(con, "2025-01").compliance_exposure.sum() == 145


def test_claims_for_unknown_patients_are_their_own_line_and_only_when_nothing_is_narrowed(program):
    con = program([patient("A")], [minutes("A", "2025-01-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99492", charge=145), claim("Z1", "Z", "2025-01-31", "99492", charge=140)])
    assert between(walk(con)) == {"unknown": 140}
    assert between(walk(con, clinic="PP")) == {}


def test_every_line_at_once_adds_up_to_billed_and_to_the_headlines_gap(program):
    """One missed month, one wrong code, one charge other than the fee, one claim under another
    NPI: the walk closes where expected less missed plus exposure is $285 away from billed (B's
    and D's $145 supported codes still expected beside their claims' exposure, less C's $5 over the fee)."""
    con = program([patient("A"), patient("B"), patient("C"), patient("D")],
                  [minutes(p, "2025-01-10", 40) for p in "ABCD"],
                  [claim("B1", "B", "2025-01-31", "99493", charge=134), claim("C1", "C", "2025-01-31", "99492", charge=150),
                   claim("D1", "D", "2025-01-31", "99492", npi=OTHER_NPI, charge=145)])
    lines = walk(con)
    assert between(lines) == {"missed": -145, "moved": -11, "charge": 5}
    month = monthly_totals(con, "2025-01").iloc[0]
    assert month.expected_amount - month.missed_revenue + month.compliance_exposure - month.billed_amount == 145 + 145 - 5


@pytest.mark.parametrize("narrow", [{}, {"payer": "medicare"}, {"clinic": "PP"}, {"payer": "commercial"}])
def test_the_walk_is_narrowed_as_the_headline_is(program, narrow):
    con = program([patient("A"), patient("B", payer="Aetna")],
                  [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)],
                  [claim("A1", "A", "2025-01-31", "99493", charge=134), claim("B1", "B", "2025-01-31", "99492", charge=160)])
    walk(con, **narrow)


def test_each_line_names_the_findings_behind_it_as_the_page_does():
    """A finance lead takes a line to the work queue by the findings it names, in the page's words."""
    from bcm_analytics.billing.reconcile import FINDINGS, finding_terms

    named = {w.name for w in finding_terms()}
    for line in BRIDGE.values():
        for finding in line.findings:
            assert finding.split(":")[0] in FINDINGS
        assert all(name in named for name in filter(None, line.findings_text().split(", ")))
    assert "billed without consent" in BRIDGE["exposure"].findings_text()


def test_a_payer_narrows_to_the_months_billed_under_it(program, load_rows):
    """A patient on Medicaid through March 2025 and on Medicare from April (a coverage export): a
    summary narrowed to Medicare held all four months, Medicaid's among them, and one narrowed
    to Medicaid none. Each now holds the months its payer pays, and the two add up to the whole."""
    con = program([patient("A", payer="Medicare")],
                  [minutes("A", f"2025-0{m}-10", 40) for m in (2, 3, 4, 5)],
                  [claim(f"A{m}", "A", f"2025-0{m}-28", "99493", charge=134) for m in (2, 3, 4, 5)])
    load_rows("coverage", [{"patient_id": "A", "payer": "Medicaid", "start_date": "2024-01-01", "end_date": "2025-03-31"},
                           {"patient_id": "A", "payer": "Medicare", "start_date": "2025-04-01", "end_date": ""}])
    months = {}
    for payer in ("Medicare", "medicaid", None):
        totals = monthly_totals(con, "2025-02", "2025-05", payer=payer)
        months[payer] = [m for m, e, b in zip(totals.service_month, totals.expected_amount, totals.billed_amount) if e or b]
        walk(con, "2025-02", "2025-05", payer=payer)
    assert months == {"Medicare": ["2025-04", "2025-05"], "medicaid": ["2025-02", "2025-03"],
                      None: ["2025-02", "2025-03", "2025-04", "2025-05"]}
    whole = walk(con, "2025-02", "2025-05")
    parts = [walk(con, "2025-02", "2025-05", payer=p) for p in ("medicare", "medicaid")]
    assert {k: round(parts[0][k] + parts[1][k], 2) for k in whole} == whole
