"""The workbooks finance and care teams open: what comes first, how cells are typed, how rows sort."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook

from bcm_analytics.outcomes import load_definitions, prepare
from bcm_analytics.reports.finance_workbook import reconciliation_workbook
from bcm_analytics.reports.worklists import worklists_workbook

NPI = "1234567893"


def patient(pid, consent="2024-12-01", cm="BCM1"):
    return {"patient_id": pid, "clinic_id": "PP", "payer": "Medicare", "program": "cocm", "care_manager_id": cm,
            "treating_provider_npi": NPI, "enrollment_date": "2024-12-01", "consent_date": consent, "birth_date": "1970-01-01"}


def minutes(pid, day, amount, activity="follow_up_contact", mode="phone"):
    return {"entry_id": f"{pid}-{day}-{amount}", "patient_id": pid, "staff_id": "BCM1", "staff_role": "bhcm",
            "service_date": day, "minutes": str(amount), "activity_type": activity, "contact_mode": mode}


def claim(claim_id, pid, day, code, status="paid", charge=145.0):
    return {"claim_id": claim_id, "line_number": "1", "patient_id": pid, "date_of_service": day, "procedure_code": code,
            "units": "1", "billing_provider_npi": NPI, "payer": "Medicare", "charge_amount": str(charge),
            "paid_amount": "0" if status == "denied" else str(charge), "claim_status": status}


@pytest.fixture
def finance(store, load_rows, tmp_path):
    """A: 90 minutes, 99492 billed (99494 missed); B: 99492 denied; C: minutes without consent,
    never billed (an info note); D: a claim with no minutes (compliance)."""
    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])
    load_rows("patients", [patient("A"), patient("B"), patient("C", consent=""), patient("D")])
    load_rows("time_logs", [minutes("A", "2025-01-10", 90), minutes("B", "2025-01-12", 40), minutes("C", "2025-02-03", 40)])
    load_rows("claims", [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "B", "2025-01-31", "99492", "denied"),
                         claim("C3", "D", "2025-02-28", "99493", charge=120.126)])
    path = reconciliation_workbook(store, "2025-01", "2025-02", tmp_path / "finance.xlsx")
    return load_workbook(path), load_workbook(path, data_only=True)


def test_the_work_queue_comes_first_most_dollars_first(finance):
    book, _ = finance
    assert book.sheetnames == ["work queue", "summary", "by_month", "expected_to_billed", "info", "evidence", "about"]
    rows = list(book["work queue"].values)
    header = rows[0]
    assert header[:11] == ("severity", "finding", "finding_label", "patient_id", "service_month", "clinic_id", "clinic_name",
                           "care_manager_id", "payer", "codes", "amount_at_stake")
    assert header[-4:] == ("status", "owner", "notes", "due")
    work = [dict(zip(header, r)) for r in rows[1:-1]]
    assert [(w["finding"], w["patient_id"]) for w in work] == [
        ("denied_claim", "B"), ("unsupported_claim", "D"), ("missed_billing", "A"), ("no_initiating_visit", "A")]
    assert [w["amount_at_stake"] for w in work] == sorted((w["amount_at_stake"] for w in work), reverse=True)
    assert all(w[c] is None for w in work for c in ("status", "owner", "notes", "due"))
    assert work[1]["amount_at_stake"] == 120.13, "amounts rounded to cents"
    assert work[2]["codes"] == "expected 99494"
    assert "C" not in {w["patient_id"] for w in work}, "info notes are not work"
    assert {w["clinic_name"] for w in work} == {"Practice"}, "the clinic by its name beside its id (PP)"


def test_cells_are_typed_for_excel(finance):
    book, values = finance
    queue = book["work queue"]
    month, amount = queue["E2"], queue["K2"]  # K: amount_at_stake, after clinic_name
    assert isinstance(month.value, dt.datetime) and month.value.day == 1 and month.number_format == "yyyy-mm"
    assert amount.number_format == '"$"#,##0.00'
    last = queue.max_row
    assert queue.cell(last, 1).value == "total" and queue.cell(last, 11).value.startswith("=SUBTOTAL(109,K2:K")
    cached = values["work queue"].cell(last, 11).value
    assert cached == pytest.approx(sum(r[10] for r in list(book["work queue"].values)[1:-1]))
    months = book["by_month"]
    assert months["A2"].number_format == "yyyy-mm" and months["B2"].number_format == '"$"#,##0.00'
    assert months.cell(months.max_row, 1).value == "total"


def test_the_summary_counts_findings_not_matched_months_and_evidence_months_are_dates(finance):
    book, values = finance
    summary = list(book["summary"].values)
    found = [r[0] for r in summary[1:-1]]
    assert "matched" not in found and set(found) == {"denied_claim", "unsupported_claim", "missed_billing", "missing_consent",
                                                     "no_initiating_visit"}
    assert values["summary"].cell(len(summary), 5).value == len(found), "the total counts the finding rows above it"
    evidence = book["evidence"]
    column = [c.value for c in evidence[1]].index("service_month") + 1
    assert isinstance(evidence.cell(2, column).value, dt.datetime) and evidence.cell(2, column).number_format == "yyyy-mm"


def test_both_summary_dollar_columns_read_as_currency(finance):
    """counted_at_stake is dollars too: it read 120.1 (one decimal, no $) beside $120.13."""
    summary = finance[0]["summary"]
    header = [c.value for c in summary[1]]
    for column in ("amount_at_stake", "counted_at_stake"):
        assert summary.cell(2, header.index(column) + 1).number_format == '"$"#,##0.00', column


def test_the_summary_counts_read_as_counts_beside_each_other(finance):
    """finding_rows read 1234 (General) beside patient_months' 1,234: it is a count too."""
    summary = finance[0]["summary"]
    header = [c.value for c in summary[1]]
    for column in ("finding_rows", "patient_months", "findings_not_priced"):
        assert summary.cell(2, header.index(column) + 1).number_format == "#,##0", column
    for column in ("finding_rows", "findings_not_priced"):  # the columns the totals row sums
        assert summary.cell(summary.max_row, header.index(column) + 1).number_format == "#,##0", column


def test_info_notes_have_their_own_sheet(finance):
    book, _ = finance
    info = list(book["info"].values)
    assert [(r[0], r[2]) for r in info[1:]] == [("missing_consent", "C")]
    assert dict(zip(info[0], info[1]))["clinic_name"] == "Practice"



def test_every_finding_the_summary_counts_is_listed_on_a_sheet(finance):
    """A's 99492 with no initiating visit (a review finding) was counted in the summary and listed
    on no sheet: finance read '1' and could not find which claim."""
    book, _ = finance
    counted = {r[0] for r in list(book["summary"].values)[1:-1]}
    listed = {r[1] for r in list(book["work queue"].values)[1:-1]} | {r[0] for r in list(book["info"].values)[1:]}
    assert counted == listed


def test_each_sheet_that_names_a_finding_says_it_in_words_beside_its_id(finance):
    """Finance read 'missing_consent', 'unsupported_claim' in the workbook, where the page reads them
    in words; the id stays (a filter, a lookup) and the words sit beside it, by severity where one id
    is two things (reconcile.finding_name)."""
    book, _ = finance
    named = {}
    for sheet in ("work queue", "summary", "info"):
        rows = list(book[sheet].values)
        header = list(rows[0])
        assert header.index("finding_label") == header.index("finding") + 1, sheet
        named[sheet] = {(r[header.index("finding")], r[header.index("finding_label")]) for r in rows[1:] if r[0] != "total"}
    assert named["work queue"] == {("denied_claim", "denied claim"), ("unsupported_claim", "unsupported claim"),
                                   ("missed_billing", "missed billing"), ("no_initiating_visit", "no initiating visit")}
    assert named["info"] == {("missing_consent", "minutes logged without consent")}
    assert ("missing_consent", "minutes logged without consent") in named["summary"]

def test_the_finance_workbook_says_what_it_is_of(store, finance):
    """A finance lead handed billing_reconciliation.xlsx could not tell its service months, its
    ruleset or how fresh its data was (the page's parameters and freshness box), nor that it names
    patients: the time-allocation and worklist workbooks say so on an 'about' sheet, this one said
    nothing. 'about' comes last (the work queue stays first) and says it, sheet by sheet."""
    from bcm_analytics.billing.engine import billing_marts

    book, _ = finance
    rows = list(book["about"].values)
    assert rows[0] == ("item", "value")
    about = dict(rows[1:])
    assert about["service months"] == "2025-01 to 2025-02"
    assert about["rules"] == billing_marts(store, None).rules.id
    assert (about["clinic"], about["payer"]) == ("all", "all")
    assert about["latest time-log date"] == "2025-02-03" and about["latest claim date"] == "2025-02-28"
    assert about["files loaded"] == "4"
    assert "names patients" in about["privacy"]
    assert {k for k in about if k.startswith("sheet ")} == {f"sheet {name}" for name in book.sheetnames if name != "about"}
    assert "by_month" in about["totals"] and "headline" in about["totals"]


# --- care-team worklists --------------------------------------------------------------------


def phq9(sid, pid, when, total, item9=0):
    answers = [min(3, max(0, total - item9 - 3 * i)) for i in range(8)] + [item9]
    return {"assessment_id": sid, "patient_id": pid, "instrument": "PHQ-9", "administered_on": when,
            "total_score": total, **{f"item_{i + 1}": a for i, a in enumerate(answers)}}


def test_item9_list_puts_positives_with_no_contact_since_first(store, load_rows, tmp_path):
    """P1 positive 1 Mar, contacted 5 Mar; P2 positive 10 Mar, contacted only that day; P3
    positive 20 Feb, no contact since: P3 (waiting longest), P2, then P1."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2", "P3")])
    load_rows("time_logs", [minutes("P1", "2025-03-05", 20), minutes("P2", "2025-03-10", 20), minutes("P3", "2025-02-10", 20)])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20), phq9("A1", "P1", "2025-03-01", 15, item9=1),
                              phq9("A2", "P2", "2025-03-10", 12, item9=2), phq9("A3", "P3", "2025-02-20", 22, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    header, rows = sheet[0], [dict(zip(sheet[0], r)) for r in sheet[1:]]
    assert header[:6] == ("patient_id", "contacted_since", "item9_now", "positive_since", "earlier_positives",
                          "last_contact_date")
    assert [(r["patient_id"], r["contacted_since"]) for r in rows] == [
        ("P3", "no"), ("P2", "not counted (same day, no time)"), ("P1", "yes")]  # P2's call: that day, no time on either
    p1 = rows[2]
    assert (p1["instrument"], p1["baseline"], p1["latest"], p1["change"]) == ("PHQ-9", 20, 15, -5)
    assert isinstance(p1["baseline"], int), "scores are numbers, not text"


def test_the_worklists_say_which_baseline_their_scores_count_from(store, load_rows, tmp_path):
    """The about sheet said "baseline (first score of the episode)" whatever outcome.baseline was:
    under first_eligible P1, scored 8 then 15 (item 9 positive), has the 15 as baseline, and the
    sheet says so in the words of every other report text (glossary.baseline_words)."""
    load_rows("patients", [{**patient("P1"), "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 8), phq9("A1", "P1", "2025-03-01", 15, item9=1)])
    about = {}
    for setting in ("first_score", "first_eligible"):
        path = tmp_path / f"{setting}.xlsx"
        worklists_workbook(prepare(store, "2025-03-31", load_definitions(overrides={"outcome": {"baseline": setting}})), path)
        book = load_workbook(path)
        about[setting] = dict(list(book["about"].values)[1:])["scores"]
        rows = [dict(zip(r[0], v)) for r in [list(book["item9_positive"].values)] for v in r[1:]]
        assert [(r["patient_id"], r["baseline"]) for r in rows] == [("P1", 8 if setting == "first_score" else 15)]
    assert about["first_score"].startswith("instrument, baseline (the first score of the episode), latest")
    assert about["first_eligible"].startswith("instrument, baseline (the first score of 10+ of the episode), latest")


def test_a_contact_later_the_same_day_follows_a_positive_item9_when_both_have_times(store, load_rows, tmp_path):
    """The answer at 10:15. P1 called at 14:00 (followed); P2 called at 08:30 (before it); P3 called
    that day with no time (order unknown); P4 answered with no time, called at 14:00 (unknown).
    Only P1's contact follows the answer: the others stay listed as not contacted."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2", "P3", "P4")])
    load_rows("time_logs", [{**minutes("P1", "2025-03-10 14:00", 20), "entry_id": "T1"},
                            {**minutes("P2", "2025-03-10 08:30", 20), "entry_id": "T2"},
                            {**minutes("P3", "2025-03-10", 20), "entry_id": "T3"},
                            {**minutes("P4", "2025-03-10 14:00", 20), "entry_id": "T4"}])
    load_rows("assessments", [phq9("A1", "P1", "2025-03-10 10:15", 12, item9=1), phq9("A2", "P2", "2025-03-10 10:15", 12, item9=1),
                              phq9("A3", "P3", "2025-03-10 10:15", 12, item9=1), phq9("A4", "P4", "2025-03-10", 12, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    rows = {r[0]: r[1] for r in sheet[1:]}
    assert rows == {"P1": "yes", "P2": "no", "P3": "not counted (same day, no time)", "P4": "not counted (same day, no time)"}


@pytest.mark.parametrize(("setting", "same_day", "discharged_listed"), [
    ("does_not_count", "not counted (same day, no time)", True),
    ("counts", "yes (same day, no time)", False),
    ("unknown", "unknown (same day, no time)", True)])
def test_a_same_day_contact_no_time_places_is_a_setting_and_never_reads_no(store, load_rows, tmp_path, setting, same_day,
                                                                           discharged_listed):
    """Answers on Mar 10. P3 answered at 10:15 and was called that day with no time; P4 answered with
    no time and was called at 14:00: neither order is known (outcome_measures.md section 1: whether
    a contact followed, and "no" it is not). P5 was called on Mar 11 with no time (a later day: yes);
    P6 at 08:30, before its 10:15 answer (no). D1, discharged Mar 10, answered on a check-in that day
    and was called that day, no time on either: listed until a contact follows the answer, so it
    leaves the list when a same-day contact counts."""
    load_rows("patients", [*({**patient(p), "enrollment_date": "2025-01-06", "discharge_date": ""} for p in ("P3", "P4", "P5", "P6")),
                           {**patient("D1"), "enrollment_date": "2025-01-06", "discharge_date": "2025-03-10"}])
    load_rows("time_logs", [{**minutes("P3", "2025-03-10", 20), "entry_id": "T3"},
                            {**minutes("P4", "2025-03-10 14:00", 20), "entry_id": "T4"},
                            {**minutes("P5", "2025-03-11", 20), "entry_id": "T5"},
                            {**minutes("P6", "2025-03-10 08:30", 20), "entry_id": "T6"},
                            {**minutes("D1", "2025-03-10", 20), "entry_id": "T7"}])
    load_rows("assessments", [phq9("A3", "P3", "2025-03-10 10:15", 12, item9=1), phq9("A4", "P4", "2025-03-10", 12, item9=1),
                              phq9("A5", "P5", "2025-03-10", 12, item9=1), phq9("A6", "P6", "2025-03-10 10:15", 12, item9=1),
                              phq9("A7", "D1", "2025-03-10", 12, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31", load_definitions(overrides={"outcome": {"item9_same_day_untimed": setting}})),
                       path)
    book = load_workbook(path)
    rows = {r[0]: r[1] for r in list(book["item9_positive"].values)[1:]}
    expected = {"P3": same_day, "P4": same_day, "P5": "yes", "P6": "no", **({"D1": same_day} if discharged_listed else {})}
    assert rows == expected
    assert list(rows)[-1] == "P5" if setting != "counts" else list(rows)[:1] == ["P6"]  # "yes" sorts last
    order = dict(list(book["about"].values)[1:])["sheet item9_positive order"]
    assert f"outcome.item9_same_day_untimed = {setting}" in order


def test_a_new_positive_item9_needs_a_contact_after_it_not_after_the_first_of_the_run(store, load_rows, tmp_path):
    """P1 answered item 9 = 1 on Mar 1, was called Mar 5, and answered 3 on Mar 20 with no call since;
    P2 answered 2 on Mar 10 and was called Mar 12; P3 answered 1 at 09:00 and 2 at 15:00 on Mar 25,
    called at 12:00, between the two. Every positive answer is a same-day safety flag: P1's Mar 20
    answer and P3's 15:00 one have had no contact. They read contacted_since = yes (a call after the
    first answer of the positive run, or of the day) and sorted below the patients still waiting."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2", "P3")])
    load_rows("time_logs", [minutes("P1", "2025-03-05", 20), minutes("P2", "2025-03-12", 20),
                            minutes("P3", "2025-03-25 12:00", 20)])
    load_rows("assessments", [phq9("A1", "P1", "2025-03-01", 15, item9=1), phq9("A2", "P1", "2025-03-20", 18, item9=3),
                              phq9("A3", "P2", "2025-03-10", 12, item9=2),
                              phq9("A4", "P3", "2025-03-25 09:00", 12, item9=1), phq9("A5", "P3", "2025-03-25 15:00", 14, item9=2)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    rows = [dict(zip(sheet[0], r)) for r in sheet[1:]]
    assert [(r["patient_id"], r["contacted_since"], r["item9_now"]) for r in rows] == [
        ("P1", "no", "positive"), ("P3", "no", "positive"), ("P2", "yes", "positive")]
    assert rows[0]["positive_since"] == dt.datetime(2025, 3, 1), "the run still starts on Mar 1"


@pytest.mark.parametrize(("setting", "untimed"), [("does_not_count", "same day, no time: not counted"),
                                                ("counts", "same day, no time: counted"),
                                                ("unknown", "same day, no time: unknown")])
def test_each_earlier_positive_item9_says_whether_a_contact_followed_it(store, load_rows, tmp_path, setting, untimed):
    """Every patient's latest positive answer is on Mar 20 with no contact since; the history is what
    differs. P1 was called the day after its Jan 10 answer (followed); P2 at 14:00 after a 10:15
    answer (followed); P3 at 08:30 before it (no); P4 answered with no time and was called at 14:00
    that day (no time places it: the setting says, never "no contact"); P5 answered Jan 10 and Feb 10,
    called on Jan 12 only: the first answer was followed, the second was not; P6 the same answers,
    called on Feb 12 only: that call follows the Feb 10 answer, not the Jan 10 one (each answer is
    its own same-day flag). D1, discharged Mar 15, answered Feb 10 in the episode and Mar 25 on a
    check-in, called Mar 20 after the discharge: a contact after the discharge follows the earlier
    answer as it would the latest (it is listed for the Mar 25 answer, never followed)."""
    load_rows("patients", [*({**patient(p), "enrollment_date": "2025-01-06", "discharge_date": ""}
                             for p in ("P1", "P2", "P3", "P4", "P5", "P6")),
                           {**patient("D1"), "enrollment_date": "2025-01-06", "discharge_date": "2025-03-15"}])
    load_rows("time_logs", [{**minutes("P1", "2025-01-11", 20), "entry_id": "T1"},
                            {**minutes("P2", "2025-01-10 14:00", 20), "entry_id": "T2"},
                            {**minutes("P3", "2025-01-10 08:30", 20), "entry_id": "T3"},
                            {**minutes("P4", "2025-01-10 14:00", 20), "entry_id": "T4"},
                            {**minutes("P5", "2025-01-12", 20), "entry_id": "T5"},
                            {**minutes("P6", "2025-02-12", 20), "entry_id": "T6"},
                            {**minutes("D1", "2025-03-20", 20), "entry_id": "T7"}])
    first = {"P1": "2025-01-10", "P2": "2025-01-10 10:15", "P3": "2025-01-10 10:15", "P4": "2025-01-10"}
    load_rows("assessments", [
        *(phq9(f"{p}a", p, when, 15, item9=1) for p, when in first.items()),
        *(phq9(f"{p}{i}", p, when, 15, item9=1) for p in ("P5", "P6", "D1") for i, when in enumerate(["2025-01-10", "2025-02-10"])
          if not (p == "D1" and i == 0)),
        *(phq9(f"{p}z", p, "2025-03-20", 16, item9=2) for p in ("P1", "P2", "P3", "P4", "P5", "P6")),
        phq9("D1z", "D1", "2025-03-25", 16, item9=2)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31", load_definitions(overrides={"outcome": {"item9_same_day_untimed": setting}})),
                       path)
    book = load_workbook(path)
    sheet = list(book["item9_positive"].values)
    rows = {r["patient_id"]: r for r in (dict(zip(sheet[0], v)) for v in sheet[1:])}
    assert {p: r["earlier_followed"] for p, r in rows.items()} == {
        "P1": "2025-01-10 (contact followed)",
        "P2": "2025-01-10 (contact followed)",
        "P3": "2025-01-10 (no contact after it)",
        "P4": f"2025-01-10 ({untimed})",
        "P5": "2025-01-10 (contact followed); 2025-02-10 (no contact after it)",
        "P6": "2025-01-10 (no contact after it); 2025-02-10 (contact followed)",
        "D1": "2025-02-10 (contact followed)"}
    assert {r["contacted_since"] for r in rows.values()} == {"no"}, "the latest answer's own contact is unchanged"
    assert sheet[0][:6] == ("patient_id", "contacted_since", "item9_now", "positive_since", "earlier_positives",
                            "last_contact_date"), "the columns there were stay where they were"
    about = dict(list(book["about"].values)[1:])
    assert "earlier_followed" in " ".join(about), "the about sheet says what the new column holds"


def test_earlier_positives_and_earlier_followed_name_the_same_answers(store, load_rows, tmp_path):
    """R1 answered item 9 = 1 on Jan 10 and Feb 10 (its latest PHQ-9, a positive run); H1 the same,
    then 0 on Mar 10. Both were called on Jan 12. earlier_positives held the answers before the run
    (R1: none, beside earlier_followed's verdict on Jan 10) and, with no run, every answer (H1: Feb
    10 too, the latest_positive contacted_since is about). Both columns now hold the answers before
    the latest positive one (outcome_measures.md section 1: each kept visible with its date and
    whether a contact followed it), so each answer is shown once; positive_since is as it was."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("R1", "H1")])
    load_rows("time_logs", [minutes(p, "2025-01-12", 20) for p in ("R1", "H1")])
    load_rows("assessments", [*(phq9(f"{p}{i}", p, day, 15, item9=1) for p in ("R1", "H1")
                                for i, day in enumerate(["2025-01-10", "2025-02-10"])),
                              phq9("H1z", "H1", "2025-03-10", 8)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    rows = {r["patient_id"]: r for r in (dict(zip(sheet[0], v)) for v in sheet[1:])}
    columns = ("item9_now", "positive_since", "earlier_positives", "latest_positive", "earlier_followed")
    jan10, feb10 = dt.datetime(2025, 1, 10), dt.datetime(2025, 2, 10)
    assert {p: tuple(r[c] for c in columns) for p, r in rows.items()} == {
        "R1": ("positive", jan10, "2025-01-10", feb10, "2025-01-10 (contact followed)"),
        "H1": ("no (earlier positive)", feb10, "2025-01-10", feb10, "2025-01-10 (contact followed)")}


def test_positives_not_followed_up_sort_by_the_answer_waiting_longest(store, load_rows, tmp_path):
    """P1 answered item 9 = 1 on Jan 10 (called Jan 12) and again on Mar 20; P2 answered on Mar 10.
    Neither has been called since: P2's answer has waited ten days longer than P1's, so P2 comes
    first. The sheet sorted by the start of the positive run (P1's Jan 10) and showed no date of
    the answer waiting for the call but in the scores columns at the right."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2")])
    load_rows("time_logs", [minutes("P1", "2025-01-12", 20)])
    load_rows("assessments", [phq9("A1", "P1", "2025-01-10", 15, item9=1), phq9("A2", "P1", "2025-03-20", 16, item9=1),
                              phq9("A3", "P2", "2025-03-10", 12, item9=2)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    rows = [dict(zip(sheet[0], r)) for r in sheet[1:]]
    assert [(r["patient_id"], r["contacted_since"], r["latest_positive"]) for r in rows] == [
        ("P2", "no", dt.datetime(2025, 3, 10)), ("P1", "no", dt.datetime(2025, 3, 20))]
    assert sheet[0][6] == "latest_positive", "beside last_contact_date, the date a contact must follow"


def test_patients_never_contacted_or_scored_sort_by_how_long_they_have_waited(store, load_rows, tmp_path):
    """Neither PA (enrolled Mar 1) nor PB (enrolled Jan 6) has been called or scored. PB has waited
    since January and came second, after PA, by patient id: the never-contacted and never-scored
    are listed first and now longest enrolled first."""
    load_rows("patients", [{**patient("PA"), "enrollment_date": "2025-03-01"}, {**patient("PB"), "enrollment_date": "2025-01-06"}])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    book = load_workbook(path)
    for name in ("no_recent_contact", "overdue_score"):
        assert [r[0] for r in list(book[name].values)[1:]] == ["PB", "PA"], name


def test_a_patient_on_several_lists_reads_so_on_each(store, load_rows, tmp_path):
    """P1 answered item 9 = 2 on Feb 10 and was last called Feb 3; P2 was last called and scored
    Feb 20. As of Mar 31 both are on no_recent_contact and overdue_score, and P1 on item9_positive
    too. A care manager calling from the no-contact sheet saw nothing to say P1's call was a safety
    call: each row now names the other lists its patient is on."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2")])
    load_rows("time_logs", [minutes("P1", "2025-02-03", 20), minutes("P2", "2025-02-20", 20)])
    load_rows("assessments", [phq9("A1", "P1", "2025-02-10", 12, item9=2), phq9("A2", "P2", "2025-02-20", 4)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    book = load_workbook(path)

    def also_on(name):
        header, *rows = list(book[name].values)
        return {r[0]: r[header.index("also_on")] for r in rows}

    assert also_on("no_recent_contact") == {"P1": "item9_positive, overdue_score", "P2": "overdue_score"}
    assert also_on("item9_positive") == {"P1": "overdue_score, no_recent_contact"}
    assert also_on("overdue_score") == {"P1": "item9_positive, no_recent_contact", "P2": "no_recent_contact"}


def test_a_patient_on_the_item9_list_for_its_history_alone_is_no_safety_call_on_the_others(store, load_rows, tmp_path):
    """P3 answered item 9 = 1 on Jan 20, was called Jan 22, and answered 0 on Feb 10; P4 answered 2
    on Feb 10 and was called Feb 12. Both are on item9_positive (P3 for the history) and on
    overdue_score as of Jun 30; the overdue sheet read 'item9_positive' for both, which the about
    sheet calls a safety call, though P3's answer is 0 now and was followed up."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P3", "P4")])
    load_rows("time_logs", [minutes("P3", "2025-01-22", 20), minutes("P4", "2025-02-12", 20)])
    load_rows("assessments", [phq9("A1", "P3", "2025-01-20", 12, item9=1), phq9("A2", "P3", "2025-02-10", 8),
                              phq9("A3", "P4", "2025-02-10", 12, item9=2)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-06-30"), path)
    book = load_workbook(path)
    header, *rows = list(book["overdue_score"].values)
    also = {r[0]: r[header.index("also_on")] for r in rows}
    assert also["P3"].split(", ")[0] == "item9_positive (history: followed up)"
    assert "item9_positive" in also["P4"].split(", "), "a positive latest answer stays a safety call"
    assert {r[0] for r in list(book["item9_positive"].values)[1:]} == {"P3", "P4"}
    about = dict(list(book["about"].values)[1:])
    assert "'item9_positive (history: followed up)' is a patient on that list" in about["also_on"]


def test_item9_now_reads_positive_beside_a_patient_whose_latest_phq9_has_no_items(store, load_rows, tmp_path):
    """A latest PHQ-9 without items makes the flag column nullable (pandas' boolean): the current
    positive is still "positive", listed before the unknown one, never "no (earlier positive)"."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("P1", "P2")])
    no_items = {**phq9("A3", "P2", "2025-03-03", 14), **{f"item_{i}": "" for i in range(1, 10)}}
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20), phq9("A1", "P1", "2025-03-01", 15, item9=2),
                              phq9("A2", "P2", "2025-01-07", 18, item9=1), no_items])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    rows = [dict(zip(sheet[0], r)) for r in sheet[1:]]
    assert [(r["patient_id"], r["item9_now"]) for r in rows] == [
        ("P1", "positive"), ("P2", "unknown (latest PHQ-9 has no item 9)")]


def test_the_summary_holds_a_claim_line_in_two_findings_once_where_it_adds_up_to_the_months(store, load_rows, tmp_path):
    """E, without consent, bills 99493 at $120: billed without consent and unsupported, $120 in each
    finding's row. counted_at_stake has it once, so the summary's compliance dollars add up to the
    by_month sheet's compliance exposure."""
    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])
    load_rows("patients", [patient("E", consent="")])
    load_rows("time_logs", [minutes("E", "2025-02-03", 40)])
    load_rows("claims", [claim("C1", "E", "2025-02-28", "99493", charge=120)])
    book = load_workbook(reconciliation_workbook(store, "2025-02", "2025-02", tmp_path / "finance.xlsx"))
    header, *rows = list(book["summary"].values)
    summary = [dict(zip(header, r)) for r in rows[:-1]]
    compliance = {r["finding"]: r for r in summary if r["severity"] == "compliance"}
    assert set(compliance) == {"missing_consent", "unsupported_claim"}
    assert [r["amount_at_stake"] for r in compliance.values()] == [120, 120]
    assert sum(r["counted_at_stake"] for r in compliance.values()) == 120
    month_header, *months = list(book["by_month"].values)
    assert dict(zip(month_header, months[0]))["compliance_exposure"] == 120


def test_a_streamed_true_false_column_is_not_formatted_as_a_count(tmp_path):
    """`active` is registered as a count (the active caseload); in a patient-level file it is true or
    false, and a count format showed TRUE as 1. A number column of the same name keeps its format."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query

    con = duckdb.connect()
    path, _ = write_query(Query(con, "SELECT 'P1' AS patient_id, true AS active", {}), tmp_path / "flags.xlsx")
    counts, _ = write_query(Query(con, "SELECT DATE '2025-01-01' AS month, 1234 AS active", {}), tmp_path / "counts.xlsx")
    flag = load_workbook(path)["data"].cell(2, 2)
    assert (flag.value, flag.number_format) == (True, "General")
    assert load_workbook(counts)["data"].cell(2, 2).number_format == "#,##0"


def formats_of(path, sheet: str = "data") -> dict:
    """Each column's number format in the first row of a sheet, by header."""
    rows = load_workbook(path)[sheet]
    return {head.value: rows.cell(2, i + 1).number_format for i, head in enumerate(rows[1])}


def test_both_workbook_writers_show_a_date_and_a_date_time_by_its_type(tmp_path):
    """The streamed writer (write_query) showed a TIMESTAMP with its time of day, the frame writer
    (write_workbook) only when some row had one: date-times that all fell at midnight read
    yyyy-mm-dd from one and yyyy-mm-dd hh:mm:ss from the other. The same table now reads alike."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_workbook

    query = Query(duckdb.connect(), """SELECT * FROM (VALUES
        (DATE '2025-03-01', DATE '2025-03-04', TIMESTAMP '2025-03-04 00:00:00', TIMESTAMP '2025-03-04 09:30:00',
         TIMESTAMPTZ '2025-03-04 00:00:00+00', 145.0),
        (DATE '2025-04-01', DATE '2025-04-07', TIMESTAMP '2025-04-07 00:00:00', TIMESTAMP '2025-04-07 00:00:00',
         TIMESTAMPTZ '2025-04-07 12:00:00+00', 98.5)
        ) t(service_month, service_date, midnight_at, logged_at, loaded_at, expected_amount)""", {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": query.df(dates=True)}, tmp_path / "frame.xlsx")
    assert formats_of(streamed) == formats_of(framed) == {
        "service_month": "yyyy-mm", "service_date": "yyyy-mm-dd", "midnight_at": "yyyy-mm-dd hh:mm:ss",
        "logged_at": "yyyy-mm-dd hh:mm:ss", "loaded_at": "yyyy-mm-dd hh:mm:ss", "expected_amount": '"$"#,##0.00'}

    def values(path) -> list[dict]:  # loaded_at left out: a frame holds it in the connection's zone
        header, *rows = list(load_workbook(path)["data"].values)
        return [{c: v for c, v in zip(header, row) if c != "loaded_at"} for row in rows[:2]]

    assert values(streamed) == values(framed)


@pytest.mark.parametrize("answered_since", [[], [phq9("A2", "P1", "2025-03-20", 14)]], ids=["in the run", "history"])
def test_the_worklists_show_their_dates_as_days(store, load_rows, tmp_path, answered_since):
    """The worklists' dates are DATEs: the frame writer shows a date-time with its time of day, so
    they are fetched as dates (Query.df(dates=True)), or they would read 2025-03-10 00:00:00. Also
    when the positive answer is history only (a later PHQ-9 without it): positive_since comes from
    the latest positive answer, beside a current run's date that no row has."""
    load_rows("patients", [{**patient("P1"), "enrollment_date": "2025-01-06"}])
    load_rows("time_logs", [minutes("P1", "2025-03-05", 20)])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20), phq9("A1", "P1", "2025-03-10", 15, item9=1), *answered_since])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    sheet = load_workbook(path)["item9_positive"]
    assert sheet.cell(2, [c.value for c in sheet[1]].index("positive_since") + 1).value == dt.datetime(2025, 3, 10)
    shown = formats_of(path, "item9_positive")
    dates = ["positive_since", "last_contact_date", "enrollment_date", "baseline_date", "latest_date", "last_score_date"]
    assert {c: shown[c] for c in dates} == dict.fromkeys(dates, "yyyy-mm-dd")


def test_an_empty_sheet_says_so_and_has_no_total_that_refers_to_itself(tmp_path):
    """A clean month leaves the work queue empty. The frame writer put its totals row straight under
    the header, =SUBTOTAL(109,B2:B2) in B2 itself: a circular reference Excel warns of on opening.
    Neither writer said the sheet was empty, so it read as a workbook that failed to fill. Both now
    write the header and a note, and no totals row."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import NO_ROWS, Sheet, write_query, write_workbook

    query = Query(duckdb.connect(), "SELECT 'P1' AS patient_id, 1.5 AS amount_at_stake WHERE false", {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": Sheet(query.df(), totals=["amount_at_stake"])}, tmp_path / "frame.xlsx")
    for path in (streamed, framed):
        assert list(load_workbook(path)["data"].values) == [("patient_id", "amount_at_stake"), (NO_ROWS, None)], path.name


def test_both_workbook_writers_show_a_zoned_date_time_in_utc(tmp_path):
    """When a row was quarantined is a TIMESTAMPTZ. The streamed writer shows it in UTC; the frame
    writer (bcm quarantine --out q.xlsx) dropped the zone of the connection's local time, so on a
    machine in Chicago the same moment read six hours earlier, with nothing to say which zone."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_workbook

    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Chicago'")
    query = Query(con, "SELECT TIMESTAMPTZ '2025-03-04 15:54:29+00' AS quarantined_at", {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": query.df()}, tmp_path / "frame.xlsx")
    for path in (streamed, framed):
        assert load_workbook(path)["data"]["A2"].value == dt.datetime(2025, 3, 4, 15, 54, 29), path.name


def test_both_workbook_writers_format_an_unregistered_number_alike(tmp_path):
    """A column formats.COLUMNS does not register: the frame writer guessed 'decimal' (#,##0.0) for any
    float, the streamed writer left it as stored, so weeks_in_treatment read 36.6 in bcm outcomes --out
    and in the worklists differently formatted, and a money column outside the registry (a claim's
    charge) showed $120.13 as 120.1. Both now format a column by its registered kind alone."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_workbook

    query = Query(duckdb.connect(), "SELECT 36.6::DOUBLE AS weeks_in_treatment, 20.0::DOUBLE AS minutes_counted, "
                                    "120.13::DOUBLE AS charge_amount, 145.0::DOUBLE AS expected_amount", {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": query.df()}, tmp_path / "frame.xlsx")
    assert formats_of(streamed) == formats_of(framed) == {
        "weeks_in_treatment": "General", "minutes_counted": "General", "charge_amount": "General",
        "expected_amount": '"$"#,##0.00'}


def test_both_workbook_writers_fit_a_column_to_its_values(tmp_path):
    """bcm billing --out lines.xlsx (streamed) sized each column by its header alone: a line_id
    (P0000005|2026-03|99493) and the ruleset's name were cut at 10 characters, where the frame
    writer fits a column to its first rows. Both now size a column the same way."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_workbook

    query = Query(duckdb.connect(), "SELECT 'P0000005|2026-03|99493' AS line_id, 'bcm-default 2026.12 + program_rules' AS ruleset, "
                                    "'P1' AS patient_id, 145.0 AS expected_amount", {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": query.df()}, tmp_path / "frame.xlsx")

    def widths(path) -> list[int]:
        sheet = load_workbook(path)["data"]
        spans = sheet.column_dimensions.values()
        return [next(round(d.width) for d in spans if d.min <= i <= d.max) for i in range(1, sheet.max_column + 1)]

    assert widths(streamed) == widths(framed)
    assert widths(streamed)[:2] >= [len("P0000005|2026-03|99493"), len("bcm-default 2026.12 + program_rules")]


def test_an_instrument_filter_leaves_the_worklists_scores_whole(store, load_rows, tmp_path):
    """The lists are for any instrument (marts.worklists_for takes no instrument), but their scores
    were read through the run's --instrument filter: with --instrument GAD-7 the item-9 sheet lost
    every PHQ-9 score, a patient listed for PHQ-9 read as not improving with no baseline or latest,
    and the about sheet said filters 'instrument=GAD-7' over lists it did not filter."""
    gad7 = {"assessment_id": "G0", "patient_id": "P1", "instrument": "GAD-7", "administered_on": "2025-01-06", "total_score": 8}
    load_rows("patients", [{**patient("P1"), "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20), phq9("A1", "P1", "2025-03-20", 18, item9=1), gad7])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-04-30", instrument="GAD-7"), path)
    book = load_workbook(path)
    for name in ("needs_case_review", "item9_positive"):
        header, *rows = list(book[name].values)
        phq = [dict(zip(header, r)) for r in rows if dict(zip(header, r))["instrument"] == "PHQ-9"]
        assert [(r["patient_id"], r["baseline"], r["latest"]) for r in phq] == [("P1", 20, 18)], name
    about = dict(list(book["about"].values)[1:])
    assert about["filters"] == "none (instrument=GAD-7 not applied: the lists are for any instrument)"


def test_the_about_sheet_says_how_many_days_each_list_is_counted_over(store, load_rows, tmp_path):
    """It read 'no psychiatric case review recently' and 'No PHQ-9/GAD-7 score recently': a care
    manager could not tell 60 days from the 90 of the director's review measure, nor 30 from 60."""
    from bcm_analytics.outcomes import load_definitions

    load_rows("patients", [{**patient("P1"), "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20)])
    path = tmp_path / "worklists.xlsx"
    defs = load_definitions(overrides={"outcome": {"not_improving_review_days": 45}})
    worklists_workbook(prepare(store, "2025-04-30", defs), path)
    about = dict(list(load_workbook(path)["about"].values)[1:])
    assert about["sheet needs_case_review"].startswith(
        "Not improving 70+ days after baseline and no psychiatric case review in the last 45 days")
    assert about["sheet overdue_score"].startswith("No PHQ-9/GAD-7 score in the last 30 days")
    assert about["sheet overdue_score"].endswith("(or none since enrolment) (1 patient)")  # it read '(1 patients)'
    # the page's 'contacted' counted a patient enrolled 3 weeks ago out, and the list did not list
    # them: 17 beside 16, with nothing saying why
    assert ("a patient enrolled less than 30 days ago is not listed yet, though the report's 'contacted' measure counts "
            "them out") in about["sheet no_recent_contact"]


def test_a_csv_writes_minutes_as_numbers_and_dollars_with_their_cents(tmp_path):
    """Minutes are DECIMAL(18,4) in the marts: bcm billing's CSV read 105.0000 minutes, 26.0 minutes
    short and $144.90 as 144.9. Both writers (a query, a frame) write 105, 14.5, 26 and 144.90; a
    Parquet file holds the minutes as a float column, not as Python Decimal objects."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_table

    con = duckdb.connect()
    sql = ("SELECT * FROM (VALUES (105.0000::DECIMAL(18,4), 26.0::DOUBLE, 144.9::DOUBLE, 2),"
           " (14.5000::DECIMAL(18,4), 0.875::DOUBLE, -0.0001::DOUBLE, 1)) t(countable_minutes, minutes_short, expected_amount, units)")
    expected = "countable_minutes,minutes_short,expected_amount,units\n105,26,144.90,2\n14.5,0.875,0.00,1\n"
    path, _ = write_query(Query(con, sql, {}), tmp_path / "q.csv")
    assert path.read_text() == expected
    frame = write_table(con.sql(sql).df(), tmp_path / "f.csv")
    assert frame.read_text() == expected
    parquet, _ = write_query(Query(con, sql, {}), tmp_path / "q.parquet")
    assert pd.read_parquet(parquet).countable_minutes.tolist() == [105.0, 14.5]


FORMULAS = """SELECT * FROM (VALUES ('=HYPERLINK("http://x","click")', 1), ('+1+1', 2), ('@SUM(A1)', 3), ('-1+2', -4),
                                   (chr(9) || 'P1', 5), ('P2', 6), ('-5', 7), ('-12.5', 8)) t(raw_value, minutes)"""
RAW_VALUES = ['=HYPERLINK("http://x","click")', "+1+1", "@SUM(A1)", "-1+2", "\tP1", "P2", "-5", "-12.5"]


def test_a_csv_writes_a_text_cell_excel_would_run_as_a_formula_after_a_quote(tmp_path):
    """Finance opens the CSVs in Excel, which runs a cell beginning with =, +, -, @, a tab or a
    carriage return as a formula (OWASP CSV injection): a quarantined raw value =HYPERLINK(...)
    became a live link. Both writers (a query, a frame) now put a ' before such text; other text,
    text that is only a number (-5) and number columns (-4) are written as they are, and Parquet
    keeps the raw values."""
    import csv

    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_table

    con = duckdb.connect()
    written = ["'=HYPERLINK(\"http://x\",\"click\")", "'+1+1", "'@SUM(A1)", "'-1+2", "'\tP1", "P2", "-5", "-12.5"]
    minutes = ["1", "2", "3", "-4", "5", "6", "7", "8"]
    path, _ = write_query(Query(con, FORMULAS, {}), tmp_path / "q.csv")
    frame = write_table(con.sql(FORMULAS).df(), tmp_path / "f.csv")
    for csv_file in (path, frame):
        with open(csv_file, newline="") as f:
            assert list(csv.reader(f)) == [["raw_value", "minutes"], *map(list, zip(written, minutes))], csv_file.name
    parquet, _ = write_query(Query(con, FORMULAS, {}), tmp_path / "q.parquet")
    assert pd.read_parquet(parquet).raw_value.tolist() == RAW_VALUES


def test_a_frame_and_a_query_write_one_csv_a_lone_carriage_return_quoted(tmp_path):
    """A frame's CSV was pandas': a cell holding a lone carriage return (a note pasted from an old
    Mac export) went unquoted, and a reader broke the row in two there. Frames are now written by
    the query's COPY: the two files are the same bytes and the cell stays in its row."""
    import csv

    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_table

    con = duckdb.connect()
    sql = "SELECT * FROM (VALUES ('line one' || chr(13) || 'line two', 1), ('P2', 2)) t(note, minutes)"
    path, _ = write_query(Query(con, sql, {}), tmp_path / "q.csv")
    frame = write_table(con.sql(sql).df(), tmp_path / "f.csv")
    assert frame.read_bytes() == path.read_bytes()
    with open(frame, newline="") as f:
        assert list(csv.reader(f)) == [["note", "minutes"], ["line one\rline two", "1"], ["P2", "2"]]


def test_both_workbook_writers_keep_a_formula_like_value_as_text(tmp_path):
    """A workbook needs no quote: XlsxWriter writes a string cell (strings_to_formulas off), which
    Excel shows as written and never runs."""
    import duckdb

    from bcm_analytics.models.marts import Query
    from bcm_analytics.reports.export import write_query, write_workbook

    query = Query(duckdb.connect(), FORMULAS, {})
    streamed, _ = write_query(query, tmp_path / "streamed.xlsx")
    framed = write_workbook({"data": query.df()}, tmp_path / "frame.xlsx")
    for path in (streamed, framed):
        cells = [row[0] for row in load_workbook(path)["data"].iter_rows(min_row=2)]
        assert [(c.value, c.data_type) for c in cells] == [(v, "s") for v in RAW_VALUES], path.name


def test_a_positive_item9_on_a_check_in_after_discharge_is_listed_until_a_contact_follows_it(store, load_rows, tmp_path):
    """Scores go on after a discharge (relapse-prevention check-ins), and any positive item 9 is a
    same-day safety flag. D1, discharged Mar 15, answered 2 on a Mar 25 check-in and D4 answered 1
    on the day of the discharge: neither has been called since, and both were on no list (the lists
    held open episodes only). D2 was called after a Mar 20 answer: followed up, off the list. D3's
    only positive answer was during the episode, before the discharge, and no contact followed it:
    still listed (it was left off as history of a closed episode, so a flag answered the day before
    a discharge and never followed up was on no list). A discharged patient is on the item-9 list
    alone, with the discharge date."""
    discharged = [{**patient(p), "enrollment_date": "2025-01-06", "discharge_date": "2025-03-15"} for p in ("D1", "D2", "D3", "D4")]
    load_rows("patients", [{**patient("A1"), "enrollment_date": "2025-01-06", "discharge_date": ""}, *discharged])
    load_rows("time_logs", [minutes("D2", "2025-03-22", 10), minutes("D1", "2025-03-10", 20), minutes("A1", "2025-03-28", 20)])
    load_rows("assessments", [phq9("A0", "A1", "2025-03-30", 12, item9=1), phq9("A1", "D1", "2025-03-25", 16, item9=2),
                              phq9("A2", "D2", "2025-03-20", 14, item9=1), phq9("A3", "D3", "2025-02-10", 15, item9=1),
                              phq9("A4", "D4", "2025-03-15", 11, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    book = load_workbook(path)
    sheet = list(book["item9_positive"].values)
    rows = [dict(zip(sheet[0], r)) for r in sheet[1:]]
    assert [(r["patient_id"], r["contacted_since"], r["discharge_date"]) for r in rows] == [
        ("D3", "no", dt.datetime(2025, 3, 15)), ("D4", "no", dt.datetime(2025, 3, 15)), ("D1", "no", dt.datetime(2025, 3, 15)),
        ("A1", "no", None)]
    assert rows[2]["last_contact_date"] == dt.datetime(2025, 3, 10) and rows[2]["also_on"] is None
    for name in ("needs_case_review", "overdue_score", "no_recent_contact"):
        assert not {"D1", "D2", "D3", "D4"} & {r[0] for r in list(book[name].values)[1:]}, name
        assert "discharge_date" not in list(book[name].values)[0], name


def test_a_flag_answered_the_day_before_a_discharge_stays_listed_until_a_contact_follows_it(store, load_rows, tmp_path):
    """Z1 answered item 9 = 2 on Mar 3 and was discharged on Mar 4 with no call since: the list
    held discharged patients only for answers after the discharge, and Z1 was on no list. Z2, the
    same but called on Mar 4 after the discharge, is followed up."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06", "discharge_date": "2025-03-04"} for p in ("Z1", "Z2")])
    load_rows("time_logs", [minutes("Z1", "2025-01-07", 20), minutes("Z2", "2025-01-07", 20), minutes("Z2", "2025-03-04", 5)])
    load_rows("assessments", [phq9("A1", "Z1", "2025-03-03", 14, item9=2), phq9("A2", "Z2", "2025-03-03", 14, item9=2)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-05"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    assert [(r[0], r[1]) for r in sheet[1:]] == [("Z1", "no")]


def test_a_missed_call_follows_up_nothing_whatever_its_contact_mode(store, load_rows, tmp_path):
    """An Akello export keeps a no-show's visit type (phone) as its contact mode: NS1's missed call
    two hours after a positive answer read as its follow-up, as NS2's real call does."""
    load_rows("patients", [{**patient(p), "enrollment_date": "2025-01-06"} for p in ("NS1", "NS2")])
    load_rows("time_logs", [{**minutes("NS1", "2025-03-03", 0, activity="no_show"), "start_time": "2025-03-03T11:00"},
                            {**minutes("NS2", "2025-03-03", 15), "start_time": "2025-03-03T11:00"}])
    load_rows("assessments", [{**phq9("A1", p, "2025-03-03T09:00", 14, item9=1), "assessment_id": f"A-{p}"} for p in ("NS1", "NS2")])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-05"), path)
    sheet = list(load_workbook(path)["item9_positive"].values)
    assert sorted((r[0], r[1]) for r in sheet[1:]) == [("NS1", "no"), ("NS2", "yes")]


def test_an_empty_sheet_claims_only_the_period_and_selection_the_command_made(store, load_rows, tmp_path):
    """A care team's worklists, drawn for the whole program, had an empty needs_case_review sheet
    reading "nothing matched for this period and selection": the lists have no period (an as-of
    date) and nobody had selected anything. Each writer's caller now says what applies."""
    load_rows("patients", [{**patient("P1"), "enrollment_date": "2025-01-06"}])
    load_rows("time_logs", [minutes("P1", "2025-03-05", 20)])
    load_rows("assessments", [phq9("A0", "P1", "2025-01-06", 20), phq9("A1", "P1", "2025-03-01", 4)])
    whole, part = tmp_path / "whole.xlsx", tmp_path / "part.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), whole)
    worklists_workbook(prepare(store, "2025-03-31", clinics=["PP"]), part)
    assert list(load_workbook(whole)["needs_case_review"].values)[1][0] == "no rows: nothing matched as of 2025-03-31"
    assert list(load_workbook(part)["needs_case_review"].values)[1][0] == (
        "no rows: nothing matched as of 2025-03-31, with the filters in 'about'")
    from bcm_analytics.reports.export import no_rows

    assert no_rows() == "no rows" and no_rows("", "") == "no rows"


def test_a_discharged_patients_weeks_in_treatment_end_at_the_discharge(store, load_rows, tmp_path):
    """D was in treatment four weeks (Jan 6 to Feb 3) and answered item 9 = 1 on a Mar 25 check-in;
    A is still open since Jan 6. As of Mar 31 the item-9 sheet read 12.0 weeks in treatment for
    both: D's weeks ran on to the as-of date, as if the discharge had never happened."""
    load_rows("patients", [{**patient("A"), "enrollment_date": "2025-01-06", "discharge_date": ""},
                           {**patient("D"), "enrollment_date": "2025-01-06", "discharge_date": "2025-02-03"}])
    load_rows("assessments", [phq9("A1", "A", "2025-03-25", 12, item9=1), phq9("A2", "D", "2025-03-25", 12, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    header, *rows = list(load_workbook(path)["item9_positive"].values)
    assert {r[0]: r[header.index("weeks_in_treatment")] for r in rows} == {"A": 12.0, "D": 4.0}


def test_the_follow_up_due_sheet_leads_with_the_windows_last_day_and_is_named_on_the_other_lists(store, load_rows, tmp_path):
    """P1 (PHQ-9 15 with item 9 = 1 on Jan 1, nothing since) is on day 89 on Mar 31: its 12-week
    window (days 70-98) is open with no score, and closes on Apr 9, nine days on. The care manager
    reads the day to call by first, and the item-9 sheet says the safety call is also the one that
    gets the follow-up score."""
    load_rows("patients", [patient("P1")])
    load_rows("assessments", [phq9("A1", "P1", "2025-01-01", 15, item9=1)])
    path = tmp_path / "worklists.xlsx"
    worklists_workbook(prepare(store, "2025-03-31"), path)
    book = load_workbook(path)
    assert book.sheetnames[-2:] == ["followup_due", "definitions"]
    header, *rows = list(book["followup_due"].values)
    assert header[:8] == ("patient_id", "closes_on", "days_left", "window", "instrument", "opens_on", "discharge_date", "also_on")
    assert rows == [rows[0]] and rows[0][:8] == ("P1", dt.datetime(2025, 4, 9), 9, "12w", "PHQ-9", dt.datetime(2025, 3, 12), None,
                                                 "needs_case_review, item9_positive, overdue_score, no_recent_contact")
    shown = formats_of(path, "followup_due")
    assert (shown["closes_on"], shown["opens_on"], shown["baseline_date"]) == ("yyyy-mm-dd",) * 3
    item9 = list(book["item9_positive"].values)
    assert item9[1][item9[0].index("also_on")] == "needs_case_review, overdue_score, no_recent_contact, followup_due"
    about = dict(list(book["about"].values)[1:])
    assert about["sheet followup_due"].startswith("A 12-week (days 70-98), 6-month (days 120-240) or 12-month (days 305-425")
    assert about["sheet followup_due"].endswith("(1 patient)")


def _missed_99494_without_visit(store, load_rows):
    """A's 90 initial minutes, billed 99492 only (99494 missed), with no initiating visit loaded."""
    from bcm_analytics.reports import billing_reconciliation as br

    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])
    load_rows("patients", [patient("A")])
    load_rows("time_logs", [minutes("A", "2025-01-10", 90)])
    load_rows("claims", [claim("C1", "A", "2025-01-31", "99492")])
    return br.Reconciliation.load(store, "2025-01", "2025-01", None)


def test_the_pages_largest_actions_are_the_queues_rows_with_dollars_at_stake(store, load_rows):
    """The work queue ends with the findings to check in the data (review, no dollars): the page's
    'five largest actions by dollars at stake' takes the rows before them, never a $0 review row."""
    from bcm_analytics.reports import billing_reconciliation as br

    recon = _missed_99494_without_visit(store, load_rows)
    assert set(recon.rows.severity) >= {"revenue", "review"}, "A: 99494 missed, and no initiating visit"
    assert list(br.largest_actions(recon).meaning) == ["minutes support a code no claim bills"]


def test_the_pages_largest_actions_name_each_finding_and_its_meaning_as_its_findings_tables_do(store, load_rows):
    """The five largest actions put a finding's meaning ('minutes support a code no claim bills')
    in a column named finding_label, which every other findings table of the page (and the work
    queue whose rows they are) uses for its name ('missed billing'): the table read 'finding' over
    a meaning, and a finance reader could not find the finding by its name in the findings tables
    or the workbook. finding_label is the name and meaning the meaning, as in the findings tables."""
    import nbformat

    from bcm_analytics.reports import billing_reconciliation as br
    from bcm_analytics.reports.privacy import Privacy
    from bcm_analytics.reports.runner import NOTEBOOKS_DIR

    recon = _missed_99494_without_visit(store, load_rows)
    actions = br.largest_actions(recon)
    tables = {"largest actions": actions, "findings that need work": br.categories(recon, Privacy.packaged("internal"))}
    for name, table in tables.items():
        missed = table[table.finding_label == "missed billing"]
        assert missed.meaning.tolist() == ["minutes support a code no claim bills"], name
    notebook = nbformat.read(str(NOTEBOOKS_DIR / "billing_reconciliation.ipynb"), as_version=4)
    cell = next(c.source for c in notebook.cells if "br.largest_actions(" in c.source)
    assert '"finding_label", "meaning"' in cell, "the page shows the name and, beside it, what it means"


def test_the_pages_largest_actions_name_the_row_the_workbook_shows_them_on(store, load_rows, tmp_path):
    """The page's 'row 1' was the work queue's header in Excel (the first finding is on row 2), and a
    page for one clinic counted the rows among that clinic's findings, where the workbook
    (`bcm reconcile --out`) lists every clinic's: finance went to the row named and found another
    finding. Each action now names the row Excel shows it on, in the workbook of the same months."""
    from bcm_analytics.reports import billing_reconciliation as br

    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"},
                          {"clinic_id": "QQ", "clinic_name": "Other practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])
    load_rows("patients", [patient("A"), patient("B"), {**patient("D"), "clinic_id": "QQ"}])
    load_rows("time_logs", [minutes("A", "2025-01-10", 90), minutes("B", "2025-01-12", 40)])
    load_rows("claims", [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "B", "2025-01-31", "99492", "denied"),
                         claim("C3", "D", "2025-02-28", "99493", charge=300.0)])
    queue = load_workbook(reconciliation_workbook(store, "2025-01", "2025-02", tmp_path / "finance.xlsx"))["work queue"]
    header = [c.value for c in queue[1]]

    def shown(n):
        row = dict(zip(header, (c.value for c in queue[n])))
        return row["finding_label"], row["clinic_name"], row["codes"], row["amount_at_stake"]

    for clinic in (None, "PP"):
        actions = br.largest_actions(br.Reconciliation.load(store, "2025-01", "2025-02", None, clinic))
        assert len(actions) == (3 if clinic is None else 2)
        for action in actions.itertuples():
            n = int(action.rank.removeprefix("row "))
            assert shown(n) == (action.finding_label, action.clinic, action.codes, action.amount_at_stake), (clinic, n)
    assert shown(2)[:2] == ("unsupported claim", "Other practice"), "the first finding is on Excel's row 2"


def test_the_walk_from_expected_to_billed_is_a_sheet_whose_lines_add_up_to_by_months_billed(finance):
    """Finance leads could not get from by_month's expected to its billed with missed revenue and
    exposure. The walk's sheet starts at by_month's expected total, ends at its billed total, and its
    lines add up from one to the other: A's 99494 missed (-$56), B's 99492 denied (-$145), D's 99493
    without minutes ($134 at the fee) charged $120.13 (-$13.87), nothing left over."""
    book, values = finance
    header, *rows = list(values["expected_to_billed"].values)
    walk = {row[0]: dict(zip(header, row)) for row in rows}
    assert list(walk) == ["expected", "missed", "quarantined", "exposure", "unknown", "moved", "charge", "residual", "billed"]
    month_header, *months = list(values["by_month"].values)
    totals = dict(zip(month_header, months[-1]))
    assert (walk["expected"]["walk_amount"], walk["billed"]["walk_amount"]) == (
        pytest.approx(totals["expected_amount"]), pytest.approx(totals["billed_amount"]))
    assert {k: w["walk_amount"] for k, w in walk.items() if k not in ("expected", "billed")} == {
        "missed": -56 - 145, "quarantined": 0, "exposure": 134, "unknown": 0, "moved": 0, "charge": pytest.approx(-13.87),
        "residual": 0}
    assert walk["missed"]["line_patient_months"] == 2 and "missed billing" in walk["missed"]["findings_behind"]
    assert book["expected_to_billed"]["C2"].number_format == '"$"#,##0.00'


def test_a_duplicate_names_its_claim_lines_and_the_evidence_a_logged_start_time(store, load_rows, tmp_path):
    """A code billed twice read 'expected 99492; billed 99492' in the work queue, a match to the
    eye; the evidence showed each entry's service date as a date-time, so a day alone read as a
    time logged at 00:00 and the start time logged (08:33) was not shown. The totals rows say that
    they add revenue and compliance dollars together."""
    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])
    load_rows("patients", [patient("A")])
    load_rows("time_logs", [minutes("A", "2025-01-10", 25) | {"start_time": "08:33"}, minutes("A", "2025-01-14", 15)])
    load_rows("claims", [claim("C1", "A", "2025-01-31", "99492"), claim("C2", "A", "2025-01-31", "99492")])
    book = load_workbook(reconciliation_workbook(store, "2025-01", "2025-01", tmp_path / "finance.xlsx"))
    queue = [dict(zip(next(book["work queue"].values), r)) for r in list(book["work queue"].values)[1:]]
    assert [(q["finding"], q["codes"]) for q in queue[:-1]] == [
        ("duplicate_claim", "expected 99492; billed 99492 on 2 claim lines"), ("no_initiating_visit", "billed 99492")]
    assert queue[-1]["severity"] == "total" and queue[-1]["explanation"].startswith("revenue and compliance dollars together")
    rows = list(book["evidence"].values)
    evidence = sorted((dict(zip(rows[0], r)) for r in rows[1:]), key=lambda r: r["entry_id"])
    assert "service_at" not in rows[0]
    assert [(e["service_date"], e["start_at"]) for e in evidence] == [
        (dt.datetime(2025, 1, 10), dt.datetime(2025, 1, 10, 8, 33)), (dt.datetime(2025, 1, 14), None)]
    assert book["evidence"].cell(2, rows[0].index("service_date") + 1).number_format == "yyyy-mm-dd"
    summary = list(book["summary"].values)
    assert summary[-1][3].startswith("revenue and compliance dollars together")


def test_the_summary_lists_findings_by_severity(finance):
    """The info-only missing_consent row stood among the compliance rows (the summary ran in the
    order of the findings): revenue first, then compliance, review and info."""
    summary = list(finance[0]["summary"].values)
    severities = [r[2] for r in summary[1:-1]]
    order = ["revenue", "compliance", "review", "info"]
    assert severities == sorted(severities, key=order.index) and severities[-1] == "info"
