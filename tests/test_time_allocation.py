"""Where the care team's time goes: every logged minute in one outcome, the minutes add up to the
store's time logs, and minutes lost to consent are priced with the billing rules' own macros.

Medicare, physician practice, 2025 fees (config/fee_schedules/medicare_2025.csv): 99492 $145,
99493 $134, G2214 $52.
"""

from __future__ import annotations

import pytest

from bcm_analytics.billing.time_allocation import (
    billed_month_minutes,
    lost_minutes_value,
    lost_value_summary,
    minutes_by_outcome,
    time_allocation,
)
from bcm_analytics.billing.time_outcomes import OUTCOMES
from bcm_analytics.ingest import load_file
from bcm_analytics.ingest.loader import discover
from bcm_analytics.models import refresh
from bcm_analytics.synthetic import generate_program
from bcm_analytics.warehouse import connect

CLINIC = {"clinic_id": "PP", "clinic_name": "Prairie Practice", "setting": "physician_practice", "timezone": "America/Chicago"}


def patient(pid: str, consent: str) -> dict:
    return {"patient_id": pid, "clinic_id": "PP", "payer": "Medicare", "program": "cocm", "care_manager_id": "BCM1",
            "treating_provider_npi": "1234567893", "enrollment_date": "2025-01-01", "consent_date": consent}


def entry(eid, pid, day, minutes, activity="follow_up_contact", role="bhcm", staff="BCM1", start="", mode="phone") -> dict:
    return {"entry_id": eid, "patient_id": pid, "staff_id": staff, "staff_role": role, "service_date": day,
            "minutes": str(minutes), "activity_type": activity, "start_time": start, "contact_mode": mode}


# outcome of each entry (minutes):
#   A (consent 10 Mar): a1 before_consent 10, a2 supported 30, a3 administrative 8, a4 role (consultant) 15,
#                       a5 supported 20, a6 supported 10 + overlap 10 -> March bills 99492 on 60 minutes
#   B (no consent):     b1 no_consent 40 in April
#   C (consent 5 Jun):  c1 before_consent 20 in May; c2 supported 40 in June (initial: 99492)
#   D:                  d1 below_threshold 10 in July (G2214 needs 16)
#   E:                  e1 separately_billed 30 (psychotherapy by the treating practitioner) in July
ENTRIES = [
    entry("a1", "A", "2025-03-05", 10, "outreach"),
    entry("a2", "A", "2025-03-12", 30, "assessment", mode="in_person"),
    entry("a3", "A", "2025-03-14", 8, "administrative", mode="none"),
    entry("a4", "A", "2025-03-14", 15, "caseload_review", role="psychiatric_consultant", staff="PSY1", mode="none"),
    entry("a5", "A", "2025-03-20", 20, start="10:00"),
    entry("a6", "A", "2025-03-20", 20, "care_coordination", start="10:10"),
    entry("b1", "B", "2025-04-08", 40),
    entry("c1", "C", "2025-05-20", 20, "outreach"),
    entry("c2", "C", "2025-06-10", 40),
    entry("d1", "D", "2025-07-02", 10),
    entry("e1", "E", "2025-07-09", 30, "psychotherapy", role="treating_practitioner", staff="DOC1", mode="in_person"),
]


@pytest.fixture
def program(store, load_rows):
    for table, rows in (("clinics", [CLINIC]),
                        ("patients", [patient("A", "2025-03-10"), patient("B", ""), patient("C", "2025-06-05"),
                                      patient("D", "2025-01-01"), patient("E", "2025-01-01")]),
                        ("time_logs", ENTRIES)):
        assert load_rows(table, rows).rows_quarantined == 0, table
    refresh(store)
    return store


def test_every_logged_minute_lands_in_one_outcome(program):
    rows = time_allocation(program, "2025-01", "2025-12")
    by_outcome = rows.groupby("outcome").minutes.sum().to_dict()
    assert by_outcome == {"supported_code": 100, "below_threshold": 10, "overlap": 10, "administrative": 8,
                          "separately_billed": 30, "role_not_countable": 15, "no_consent": 40, "before_consent": 30}
    assert rows.minutes.sum() == program.execute("SELECT sum(minutes) FROM staging.time_logs").fetchall()[0][0] == 243
    assert set(rows.outcome) <= set(OUTCOMES)
    assert set(rows[rows.counted].outcome) == {"supported_code", "below_threshold"}
    categories = rows.groupby("activity_category").minutes.sum().to_dict()
    assert categories == {"patient contact": 170, "care planning and coordination": 35, "administrative": 8,
                          "separately billed service": 30}


def test_minutes_per_care_manager_and_month_with_the_share_behind_a_billed_code(program):
    frame = minutes_by_outcome(program, "2025-03")
    bcm = frame[frame.staff_id == "BCM1"].iloc[0]
    assert (bcm.logged_minutes, bcm.counted_minutes, bcm.supported_code, bcm.overlap, bcm.administrative,
            bcm.before_consent) == (88, 60, 60, 10, 8, 10)
    assert bcm.pct_supported_code == round(100 * 60 / 88, 1)
    assert (bcm.patients, bcm.patient_months) == (1, 1)
    psy = frame[frame.staff_id == "PSY1"].iloc[0]
    assert (psy.staff_role, psy.logged_minutes, psy.role_not_countable, psy.pct_supported_code) == (
        "psychiatric_consultant", 15, 15, 0)
    by_mode = minutes_by_outcome(program, "2025-01", "2025-12", by=("contact_mode",))
    assert by_mode.set_index("contact_mode").logged_minutes.to_dict() == {"in_person": 60, "none": 23, "phone": 160}
    assert by_mode.set_index("contact_mode").patients.to_dict() == {"in_person": 2, "none": 1, "phone": 4}
    with pytest.raises(ValueError, match="cannot group time by patient_id"):
        minutes_by_outcome(program, "2025-03", by=("patient_id",))


def test_minutes_lost_to_consent_priced_with_the_rules(program):
    """B: 40 minutes with consent would bill 99492 ($145). C: 20 minutes in May would bill G2214 ($52)
    and make June subsequent (99493 $134 instead of 99492 $145: -$11). A: 10 more minutes in a month
    that bills 99492 anyway: $0."""
    rows = lost_minutes_value(program, "2025-01", "2025-12").fillna({"codes_now": "none"})
    got = {(r.patient_id, r.service_month, r.reason): (r.codes_now, r.codes_with, r.value) for r in rows.itertuples()}
    assert got == {
        ("A", "2025-03", "before_consent"): ("99492", "99492", 0),
        ("A", "2025-03", "all"): ("99492", "99492", 0),
        ("B", "2025-04", "no_consent"): ("none", "99492", 145),
        ("B", "2025-04", "all"): ("none", "99492", 145),
        ("C", "2025-05", "before_consent"): ("none", "G2214", 52),
        ("C", "2025-06", "before_consent"): ("99492", "99493", -11),
        ("C", "2025-05", "all"): ("none", "G2214", 52),
        ("C", "2025-06", "all"): ("99492", "99493", -11),
    }
    summary = lost_value_summary(program, "2025-01", "2025-12").set_index("reason")
    assert summary.value.to_dict() == {"no_consent": 145, "before_consent": 41, "all": 186}
    assert summary.minutes_lost.to_dict() == {"no_consent": 40, "before_consent": 30, "all": 70}


def test_billed_months_against_their_thresholds(program):
    rows = billed_month_minutes(program, "2025-01", "2025-12")
    got = [(r.patient_id, r.service_month, r.billed_base_code, r.code_from_minutes, r.minutes_past_threshold, r.next_code,
            r.minutes_to_next) for r in rows.itertuples()]
    assert got == [("A", "2025-03", "99492", 36, 24, "99494", 26), ("C", "2025-06", "99492", 36, 4, "99494", 46)]


def test_a_month_billing_an_add_on_is_measured_from_the_add_ons_threshold(program, load_rows):
    """F's 89 minutes in an initial month bill 99492 (from 36 minutes) and one 99494 (from 86: 70 +
    16). They are 3 minutes past the last threshold they reached, not 53: the page read the 53 as
    time far past its code, which the program is not paid for, where 99494 pays for it."""
    load_rows("patients", [patient("F", "2025-01-01")])
    load_rows("time_logs", [entry("f1", "F", "2025-08-04", 45), entry("f2", "F", "2025-08-18", 44)])
    refresh(program)
    row = billed_month_minutes(program, "2025-08", "2025-08").iloc[0]
    assert (row.billed_base_code, row.add_on_units, row.code_from_minutes) == ("99492", 1, 36)
    assert (row.last_threshold_from, row.minutes_past_threshold) == (86, 3)
    assert (row.next_code, row.next_from, row.minutes_to_next) == ("99494", 116, 27)


def test_time_allocation_reconciles_to_the_stores_logged_minutes_on_a_synthetic_program(tmp_path):
    generate_program(tmp_path / "data", patients=60, months=5, start="2025-09", seed=3)
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    for path in discover([tmp_path / "data"])[0]:
        load_file(con, path)
    refresh(con, tmp_path / "data" / "program_rules.yaml")
    total = con.execute("SELECT sum(minutes) FROM staging.time_logs").fetchall()[0][0]
    per_month = dict(con.execute("SELECT strftime(service_month, '%Y-%m'), sum(minutes) FROM core.time_logs GROUP BY 1").fetchall())
    first, last = min(per_month), max(per_month)
    rows = time_allocation(con, first, last)
    assert rows.minutes.sum() == pytest.approx(total) and total > 1000
    assert rows.groupby("service_month").minutes.sum().to_dict() == pytest.approx(per_month)
    frame = minutes_by_outcome(con, first, last)
    assert (frame.logged_minutes == frame[list(OUTCOMES)].sum(axis=1)).all()
    con.close()
