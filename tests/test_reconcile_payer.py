"""A claim billed to a payer the coverage on file does not name for its month (payer_mismatch).

Helpers come from test_reconcile: Medicare patients at the practice PP (treating NPI 1234567893,
consent 2024-12-01, an office visit on 2024-12-02), 40 minutes in January 2025 support 99492. A
claim line bills the payer its `payer` column names (test_reconcile's claims bill "Medicare"); the
payer in force for a month is the coverage period overlapping it that starts latest
(marts.payer_name_periods). The finding is a review finding: no dollars counted, the month's
matched rows stay, and it names the payer billed and the month's coverage.
"""

from __future__ import annotations

from test_reconcile import claim, found, minutes, patient, program  # noqa: F401 (program: a fixture)

from bcm_analytics.billing import load_rules
from bcm_analytics.billing.reconcile import findings, monthly_totals


def cover(pid: str, payer: str, start: str, end: str = "") -> dict:
    return {"patient_id": pid, "payer": payer, "start_date": start, "end_date": end}


def billed_to(payer: str, claim_id: str, pid: str, day: str, code: str, **kw) -> dict:
    """A claim line billed to `payer` ('' when the export names none)."""
    return {**claim(claim_id, pid, day, code, **kw), "payer": payer}


def mismatches(con, start="2025-01", end="2025-12", rules=None) -> list[tuple]:
    rows = findings(con, start, end, rules)
    rows = rows[rows.finding == "payer_mismatch"].sort_values(["patient_id", "service_month", "billed_code"])
    return list(zip(rows.patient_id, rows.service_month, rows.billed_code, rows.claim_ids, rows.billed_payer, rows.payer))


def test_a_claim_to_a_payer_the_coverage_does_not_name_is_a_payer_mismatch(program):
    """A: Medicare covers from 2024 on; January's 99492 + 99494 are billed to Medicaid on C1. B: the
    same, billed to Medicare. A's month reads matched for its codes (the minutes support them) and
    payer_mismatch for each code, a review finding with no dollars counted, naming both payers."""
    con = program(
        [patient("A"), patient("B")],
        [minutes("A", "2025-01-10", 90), minutes("B", "2025-01-10", 40)],
        [
            billed_to("Medicaid", "C1", "A", "2025-01-31", "99492"),
            billed_to("Medicaid", "C1", "A", "2025-01-31", "99494", line=2, charge=56),
            claim("C2", "B", "2025-01-31", "99492"),
        ],
        coverage=[cover("A", "Medicare", "2024-01-01"), cover("B", "Medicare", "2024-01-01")],
    )
    assert found(con) == [
        ("A", "2025-01", "matched", "99492", "99492"),
        ("A", "2025-01", "matched", "99494", "99494"),
        ("A", "2025-01", "payer_mismatch", None, "99492"),
        ("A", "2025-01", "payer_mismatch", None, "99494"),
        ("B", "2025-01", "matched", "99492", "99492"),
    ]
    rows = findings(con, "2025-01").query("finding == 'payer_mismatch'").set_index("billed_code")
    assert set(rows.severity) == {"review"} and list(rows.amount_at_stake) == [0, 0] and not rows.not_priced.any()
    assert (rows.loc["99492", "billed_payer"], rows.loc["99492", "payer"]) == ("Medicaid", "Medicare")
    assert rows.loc["99492", "coverage_on_file"] == "Medicare from 2024-01-01 with no end date"
    assert rows.loc["99492", "explanation"] == (
        "Claim C1 bills 99492 to Medicaid, but the coverage on file for 2025-01 is Medicare from 2024-01-01 with no end date, and the "
        "month's codes, units and fee follow Medicare's rules; a claim to another payer is denied, or paid and taken back "
        "later. Check the patient's coverage: rebill Medicare, or correct the coverage export if Medicaid covered 2025-01."
    )
    # the month is not reconciled while the finding is open, and no dollars are counted for it
    totals = monthly_totals(con, "2025-01", "2025-01")
    assert (totals.patient_months[0], totals.reconciled_months[0], totals.compliance_exposure[0]) == (2, 1, 0)


def test_a_payer_written_another_way_or_through_an_alias_is_the_same_payer(program, tmp_path):
    """The coverage says "Medicare"; A's claim writes "MEDICARE " (case and spaces never make two
    payers), B's "Medicare Part B": a mismatch, until the rules' payer_aliases joins it to Medicare.
    A's never is."""
    con = program(
        [patient("A"), patient("B")],
        [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)],
        [
            billed_to("MEDICARE ", "C1", "A", "2025-01-31", "99492"),
            billed_to("Medicare Part B", "C2", "B", "2025-01-31", "99492"),
        ],
        coverage=[cover("A", "Medicare", "2024-01-01"), cover("B", "Medicare", "2024-01-01")],
    )
    assert mismatches(con) == [("B", "2025-01", "99492", "C2", "Medicare Part B", "Medicare")]
    path = tmp_path / "program_rules.yaml"
    path.write_text('payer_aliases:\n  "Medicare Part B": "Medicare"\n')
    assert mismatches(con, rules=load_rules(path)) == []


def test_two_coverages_in_a_month_either_payer_is_not_a_mismatch(program):
    """Medicaid until 14 March 2025, Medicare from the 15th: March bills under Medicare (the later
    start), but Medicaid covered its first half. P's March claim to Medicaid and Q's to Medicare are
    not mismatches; R's to Commercial is, and its sentence names both periods of the month."""
    history = [cover(p, "Medicaid", "2024-01-01", "2025-03-14") for p in "PQR"] + [
        cover(p, "Medicare", "2025-03-15") for p in "PQR"
    ]
    con = program(
        [patient(p) for p in "PQR"],
        [minutes(p, "2025-03-10", 40) for p in "PQR"],
        [
            billed_to("Medicaid", "P1", "P", "2025-03-31", "99492"),
            billed_to("Medicare", "Q1", "Q", "2025-03-31", "99492"),
            billed_to("Commercial", "R1", "R", "2025-03-31", "99492"),
        ],
        coverage=history,
    )
    assert mismatches(con) == [("R", "2025-03", "99492", "R1", "Commercial", "Medicare")]
    [row] = findings(con, "2025-03").query("finding == 'payer_mismatch'").to_dict("records")
    assert row["coverage_on_file"] == "Medicaid from 2024-01-01 to 2025-03-14 and Medicare from 2025-03-15 with no end date"
    assert (
        "the coverage on file for 2025-03 is Medicaid from 2024-01-01 to 2025-03-14 and Medicare from 2025-03-15 with no end date, "
        in row["explanation"]
    )


def test_a_coverage_period_reads_in_the_same_words_in_a_finding_as_at_load(program):
    """A period is worded once (core.period_text): the finding's coverage on file, and the load
    line's withdrawn period and a quarantine reason's overlapping period, which the loader writes
    with the same macro. An open period is one the coverage row gives no end date, and says so:
    'to no end' (the load line) and nothing at all (the finding) were two wordings of it."""
    con = program(
        [patient("P")], [minutes("P", "2025-04-10", 40)],
        [billed_to("Medicaid", "P4", "P", "2025-04-30", "99492")],
        coverage=[cover("P", "Medicaid", "2024-01-01", "2025-03-14"), cover("P", "Medicare", "2025-03-15")],
    )
    [row] = findings(con, "2025-04").query("finding == 'payer_mismatch'").to_dict("records")
    assert row["coverage_on_file"] == "Medicare from 2025-03-15 with no end date"
    as_loaded = con.execute("""SELECT core.period_text('Medicare', DATE '2025-03-15', NULL),
                                      core.period_text('Medicaid', DATE '2024-01-01', DATE '2025-03-14')""").fetchone()
    assert as_loaded == ("Medicare from 2025-03-15 with no end date", "Medicaid from 2024-01-01 to 2025-03-14")


def test_the_work_queue_names_the_payer_billed_and_the_coverage_on_file(program, tmp_path):
    """A finance lead works a payer_mismatch from the work queue: it had the payer in force (`payer`)
    but not the payer billed nor the coverage the finding quotes. They are the queue's columns after
    those it had (before the four finance fills in), empty on every other finding, and the columns it
    had keep their names and order."""
    from openpyxl import load_workbook

    from bcm_analytics.reports.finance_workbook import reconciliation_workbook

    con = program(
        [patient("P"), patient("Q")], [minutes("P", "2025-04-10", 40), minutes("Q", "2025-04-10", 40)],
        [billed_to("Medicaid", "P4", "P", "2025-04-30", "99492")],
        coverage=[cover("P", "Medicaid", "2024-01-01", "2025-03-14"), cover("P", "Medicare", "2025-03-15")],
    )
    path = reconciliation_workbook(con, "2025-04", "2025-04", tmp_path / "q.xlsx")
    rows = list(load_workbook(path, read_only=True)["work queue"].values)
    header = list(rows[0])
    had = ["severity", "finding", "finding_label", "patient_id", "service_month", "clinic_id", "clinic_name", "care_manager_id",
           "payer", "codes", "amount_at_stake", "explanation", "claim_ids", "denial_reason", "date_of_service",
           "threshold_met_on", "countable_minutes", "status", "owner", "notes", "due"]
    assert [c for c in header if c in had] == had
    assert header[header.index("countable_minutes") + 1:] == ["billed_payer", "coverage_on_file", "status", "owner", "notes", "due"]
    work = {(r[header.index("patient_id")], r[header.index("finding")]): r for r in rows[1:-1]}
    mismatch, missed = work[("P", "payer_mismatch")], work[("Q", "missed_billing")]
    assert (mismatch[header.index("payer")], mismatch[header.index("billed_payer")], mismatch[header.index("coverage_on_file")]) == (
        "Medicare", "Medicaid", "Medicare from 2025-03-15 with no end date")
    assert (missed[header.index("billed_payer")], missed[header.index("coverage_on_file")]) == (None, None)


def test_two_stored_coverages_that_overlap_either_payer_is_not_a_mismatch(program):
    """Secondary coverage: Medicare and Medicaid both open from 2024. The loader sets such a pair
    aside ('periods do not overlap'), so a store holds it only when written otherwise; were it held,
    the later start bills the month (Medicaid), and a claim to either payer is not a mismatch (S to
    Medicare, T to Medicaid); U's to Commercial is."""
    con = program(
        [patient(p) for p in "STU"],
        [minutes(p, "2025-01-10", 40) for p in "STU"],
        [
            billed_to("Medicare", "S1", "S", "2025-01-31", "99492"),
            billed_to("Medicaid", "T1", "T", "2025-01-31", "99492"),
            billed_to("Commercial", "U1", "U", "2025-01-31", "99492"),
        ],
        coverage=[cover(p, "Medicare", "2024-01-01") for p in "STU"],
    )
    con.execute("""INSERT INTO staging.coverage BY NAME
                   SELECT * REPLACE ('Medicaid' AS payer, DATE '2024-06-01' AS start_date) FROM staging.coverage""")
    assert mismatches(con) == [("U", "2025-01", "99492", "U1", "Commercial", "Medicaid")]
    assert con.execute("""SELECT DISTINCT payer FROM marts.payer_name_periods WHERE patient_id IN ('S', 'T', 'U')
                          AND DATE '2025-01-01' BETWEEN from_month AND until_month""").fetchall() == [("Medicaid",)]


def test_a_line_that_names_no_payer_is_not_a_mismatch(program):
    """Medicaid covers A and B. A's line names no payer (the claims export left it empty): nothing
    says it went to another payer. B's names Medicare."""
    con = program(
        [patient("A"), patient("B")],
        [minutes(p, "2025-01-10", 40) for p in "AB"],
        [billed_to("", "C1", "A", "2025-01-31", "99492"), billed_to("Medicare", "C2", "B", "2025-01-31", "99492")],
        coverage=[cover(p, "Medicaid", "2024-01-01") for p in "AB"],
    )
    assert found(con) == [
        ("A", "2025-01", "matched", "99492", "99492"),
        ("B", "2025-01", "matched", "99492", "99492"),
        ("B", "2025-01", "payer_mismatch", None, "99492"),
    ]


def test_a_month_with_no_coverage_on_file_is_not_a_mismatch(program):
    """A has no coverage rows (the registry's Medicare bills every month); B's coverage is Commercial
    in March only and from June: May bills under the registry's Medicare, with no coverage on file.
    Claims to Medicaid in those months are not mismatches; B's June claim to Medicaid is."""
    con = program(
        [patient("A"), patient("B")],
        [minutes("A", "2025-05-10", 40), minutes("B", "2025-05-10", 40), minutes("B", "2025-06-10", 40)],
        [
            billed_to("Medicaid", "A1", "A", "2025-05-31", "99492"),
            billed_to("Medicaid", "B1", "B", "2025-05-31", "99492"),
            billed_to("Medicaid", "B2", "B", "2025-06-30", "99493"),
        ],
        coverage=[cover("B", "Commercial", "2025-03-01", "2025-03-31"), cover("B", "Commercial", "2025-06-01")],
    )
    assert mismatches(con) == [("B", "2025-06", "99493", "B2", "Medicaid", "Commercial")]


def test_after_a_change_of_coverage_a_claim_to_the_old_payer_is_a_mismatch(program):
    """Medicaid until 14 March 2025, Medicare from the 15th. March's claim to Medicaid stands (it
    covered part of the month); April's to Medicaid is a mismatch, and May's to Medicare is not."""
    con = program(
        [patient("P")],
        [minutes("P", m, 40) for m in ("2025-03-10", "2025-04-10", "2025-05-10")],
        [
            billed_to("Medicaid", "P3", "P", "2025-03-31", "99492"),
            billed_to("Medicaid", "P4", "P", "2025-04-30", "99493"),
            billed_to("Medicare", "P5", "P", "2025-05-31", "99493"),
        ],
        coverage=[cover("P", "Medicaid", "2024-01-01", "2025-03-14"), cover("P", "Medicare", "2025-03-15")],
    )
    assert mismatches(con) == [("P", "2025-04", "99493", "P4", "Medicaid", "Medicare")]
    [text] = findings(con, "2025-04").query("finding == 'payer_mismatch'").explanation
    assert text.startswith("Claim P4 bills 99493 to Medicaid, but the coverage on file for 2025-04 is Medicare from 2025-03-15")


def test_a_voided_or_denied_line_is_not_a_mismatch(program):
    """Medicare covers A, D and E. A's C1 to Medicaid was voided and rebilled to Medicare on C2; D1
    to Medicaid was denied (its denied_claim says what to do). Only lines that bill are compared:
    E's C3 to Medicaid, paid, is the one mismatch."""
    con = program(
        [patient(p) for p in "ADE"],
        [minutes(p, "2025-01-10", 40) for p in "ADE"],
        [
            billed_to("Medicaid", "C1", "A", "2025-01-31", "99492", status="voided"),
            claim("C2", "A", "2025-01-31", "99492"),
            billed_to("Medicaid", "D1", "D", "2025-01-31", "99492", status="denied"),
            billed_to("Medicaid", "C3", "E", "2025-01-31", "99492"),
        ],
        coverage=[cover(p, "Medicare", "2024-01-01") for p in "ADE"],
    )
    assert found(con) == [
        ("A", "2025-01", "matched", "99492", "99492"),
        ("D", "2025-01", "denied_claim", "99492", "99492"),
        ("E", "2025-01", "matched", "99492", "99492"),
        ("E", "2025-01", "payer_mismatch", None, "99492"),
    ]


def test_a_mismatch_is_under_the_payer_of_the_month_when_a_summary_is_narrowed_to_a_payer(program):
    """A summary narrowed to a payer holds the months billed under it (marts.recon_patients): A's
    January is Medicare's by its coverage, billed to Medicaid. It is in the Medicare summary (not
    reconciled while the mismatch is open), and not in Medicaid's, as the month's billed dollars are."""
    con = program(
        [patient("A")],
        [minutes("A", "2025-01-10", 40)],
        [billed_to("Medicaid", "C1", "A", "2025-01-31", "99492")],
        coverage=[cover("A", "Medicare", "2024-01-01")],
    )
    medicare = monthly_totals(con, "2025-01", "2025-01", payer="Medicare")
    medicaid = monthly_totals(con, "2025-01", "2025-01", payer="Medicaid")
    assert (medicare.patient_months[0], medicare.reconciled_months[0], medicare.billed_amount[0]) == (1, 0, 100)
    assert (medicaid.patient_months[0], medicaid.billed_amount[0]) == (0, 0)
