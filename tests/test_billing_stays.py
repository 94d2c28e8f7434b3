"""Time while the patient is inpatient or in observation does not count (billing_rules.md s3).

A program exports its patients' hospital stays as facility_stays (admission and discharge, each a
date or a date and time). Days strictly between admission and discharge are in hospital; on the
admission or discharge day an entry is before or after the stay when both times are known, else
the setting facility_stay_edge_days decides (default: exclude).
"""

from __future__ import annotations

from test_billing_engine import codes, entry, patient, program, rules_file  # noqa: F401 (program: a fixture)
from test_models import differs_from_full

from bcm_analytics.billing import billing_lines, time_entries
from bcm_analytics.billing.time_allocation import outcomes_query
from bcm_analytics.billing.time_outcomes import OUTCOMES
from bcm_analytics.models.marts import current, refresh


def stay(sid: str, pid: str, admitted: str, discharged: str = "", kind: str = "inpatient") -> dict:
    return {"stay_id": sid, "patient_id": pid, "stay_type": kind, "admitted_at": admitted, "discharged_at": discharged}


def statuses(con, month: str) -> dict[str, str]:
    return time_entries(con, month).set_index("entry_id").status.to_dict()


def test_dated_stay_its_edge_days_and_the_35_36_boundary(program, load_rows, tmp_path):
    """Stay 3-10 Feb 2025, dates only. 20 min on the 2nd and 15 on the 11th make 35 (G2214); the
    minute logged on the admission day, with no time to place it, is the 36th only when edge days count."""
    con = program([patient("P", consent="2024-12-01")],
                  [entry("before", "P", "2025-02-02", 20), entry("admit_day", "P", "2025-02-03", 1),
                   entry("inside", "P", "2025-02-05", 30), entry("discharge_day", "P", "2025-02-10", 10),
                   entry("after", "P", "2025-02-11", 15)])
    assert codes(con) == [("P", "2025-02", "99492", 1)]  # 76 minutes before the stay is known
    assert load_rows("facility_stays", [stay("S1", "P", "2025-02-03", "2025-02-10")]).rows_quarantined == 0
    assert statuses(con, "2025-02") == {"before": "counted", "admit_day": "during_facility_stay",
                                        "inside": "during_facility_stay", "discharge_day": "during_facility_stay",
                                        "after": "counted"}
    assert codes(con) == [("P", "2025-02", "G2214", 1)]
    assert list(billing_lines(con, "2025-02").countable_minutes) == [35.0]
    counting = rules_file(tmp_path, "settings: {facility_stay_edge_days: count}\n")
    assert codes(con, rules=counting) == [("P", "2025-02", "99492", 1)]
    assert list(billing_lines(con, "2025-02", rules=counting).countable_minutes) == [46.0]


def test_timed_stay_is_judged_to_the_minute_on_its_edge_days(program, load_rows):
    """Observation 5 Mar 2025 14:00 to 6 Mar 09:30. A start at 13:59 is before it, 14:00 inside,
    09:29 inside, 09:30 after; a service date with a time counts as that time; an entry without a
    time on the admission day cannot be placed (edge: excluded by default)."""
    con = program([patient("P")],
                  [entry("1359", "P", "2025-03-05", 10, start="13:59"), entry("1400", "P", "2025-03-05", 10, start="14:00"),
                   entry("untimed", "P", "2025-03-05", 10), entry("stamped", "P", "2025-03-05 15:00", 10),
                   entry("0929", "P", "2025-03-06", 10, start="09:29"), entry("0930", "P", "2025-03-06", 10, start="09:30")])
    load_rows("facility_stays", [stay("O1", "P", "2025-03-05 14:00", "2025-03-06 09:30", kind="observation")])
    assert statuses(con, "2025-03") == {"1359": "counted", "1400": "during_facility_stay",
                                        "untimed": "during_facility_stay", "stamped": "during_facility_stay",
                                        "0929": "during_facility_stay", "0930": "counted"}


def test_a_stay_without_a_discharge_goes_on_into_later_months(program, load_rows):
    con = program([patient("P")], [entry("a", "P", "2025-04-19", 40), entry("b", "P", "2025-04-25", 40),
                                   entry("c", "P", "2025-05-10", 40)])
    load_rows("facility_stays", [stay("S", "P", "2025-04-20")])
    assert statuses(con, "2025-04") == {"a": "counted", "b": "during_facility_stay"}
    assert statuses(con, "2025-05") == {"c": "during_facility_stay"}
    assert codes(con) == [("P", "2025-04", "99492", 1)]


def test_a_stay_loaded_later_rebuilds_that_patient_as_a_full_build_would(program, load_rows):
    """The stay arrives in a later export: the marts already built are brought up to date for that
    patient alone (a stay is part of the patient's own data), and equal a full rebuild."""
    rows = [entry("a", "P", "2025-06-02", 40), entry("b", "P", "2025-07-08", 40), entry("q", "Q", "2025-07-08", 40)]
    con = program([patient("P"), patient("Q")], rows)
    assert codes(con) == [("P", "2025-06", "99492", 1), ("P", "2025-07", "99493", 1), ("Q", "2025-07", "99492", 1)]
    load_rows("facility_stays", [stay("S", "P", "2025-07-01", "2025-07-20")])
    report = refresh(con)
    assert {s.model: s.how for s in report.steps}["billing_entries"] == "patients" and report.patients == 1
    assert codes(con) == [("P", "2025-06", "99492", 1), ("Q", "2025-07", "99492", 1)]
    assert not differs_from_full(con)


def test_stays_that_cannot_be_used_wait_or_are_set_aside_with_a_reason(program, load_rows):
    con = program([patient("P")], [entry("a", "P", "2025-02-02", 20)])
    result = load_rows("facility_stays", [stay("ok", "P", "2025-02-03", "2025-02-04"),
                                          stay("who", "NOBODY", "2025-02-03", "2025-02-04"),
                                          stay("er", "P", "2025-02-03", "2025-02-03", kind="emergency"),
                                          stay("swap", "P", "2025-02-09", "2025-02-04")])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    reasons = dict(con.execute("SELECT record ->> 'stay_id', reason FROM meta.quarantine "
                               "WHERE table_name = 'facility_stays'").fetchall())
    assert "not in the patients exports (yet)" in reasons["who"]
    assert "'emergency' is not one of inpatient, observation" in reasons["er"]
    assert "is before admitted_at" in reasons["swap"]


def test_hospital_minutes_have_their_own_line_in_time_allocation_and_the_minutes_add_up(program, load_rows):
    con = program([patient("P")], [entry("a", "P", "2025-02-02", 40), entry("b", "P", "2025-02-05", 25)])
    load_rows("facility_stays", [stay("S", "P", "2025-02-04", "2025-02-06")])
    row = outcomes_query(current(con), "2025-02", "2025-02", by=("service_month",)).df().iloc[0]
    assert row.during_facility_stay == 25
    assert sum(row[o] for o in OUTCOMES) == row.logged_minutes == 65
