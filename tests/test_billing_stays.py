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
    """Observation 5 Mar 2025 14:00 to 6 Mar 09:30; 10-minute entries of one staff member. 13:59 runs
    1 minute before it and 9 into it (1 counts), 14:00 is inside, 09:29 runs 1 minute inside and 9
    after it (9 count), 09:30 is after it (its first 9 minutes are 09:29's already: 1 more counts);
    a service date with a time counts as that time; an entry without a time on the admission day
    cannot be placed (edge: excluded by default)."""
    con = program([patient("P")],
                  [entry("1359", "P", "2025-03-05", 10, start="13:59"), entry("1400", "P", "2025-03-05", 10, start="14:00"),
                   entry("untimed", "P", "2025-03-05", 10), entry("stamped", "P", "2025-03-05 15:00", 10),
                   entry("0929", "P", "2025-03-06", 10, start="09:29"), entry("0930", "P", "2025-03-06", 10, start="09:30")])
    load_rows("facility_stays", [stay("O1", "P", "2025-03-05 14:00", "2025-03-06 09:30", kind="observation")])
    assert statuses(con, "2025-03") == {"1359": "counted_in_part_facility_stay", "1400": "during_facility_stay",
                                        "untimed": "during_facility_stay", "stamped": "during_facility_stay",
                                        "0929": "counted_in_part_facility_stay", "0930": "counted_in_part_overlap"}
    counted = time_entries(con, "2025-03").set_index("entry_id").counted_minutes
    assert {e: float(m) for e, m in counted.items()} == {"1359": 1, "1400": 0, "untimed": 0, "stamped": 0,
                                                        "0929": 9, "0930": 1}


def test_an_entry_across_a_timed_admission_or_discharge_counts_its_minutes_outside_the_stay(program, load_rows):
    """billing_rules.md s3: time while the patient is in hospital does not count, the rest does.
    Inpatient 10 Apr 2025 14:00 to 12 Apr 09:30; each staff member's entries by hand:
    BCM1 13:40-14:00 ends at the admission: 20 (touching is not inside).
    BCM2 13:50-14:10: 10 before it count, 10 inside do not (it counted 20, judged by its start).
    BCM3 13:59-14:09: 1 minute before it counts.
    BCM4 13:45-13:55 (10) and 13:50-14:10: the second keeps only 13:55-14:00 (5).
    BCM1 12 Apr 09:20-09:40: the 10 after the discharge count (it counted none).
    BCM2 09:30-09:40 starts at the discharge: 10.  BCM3 09:29-09:30 inside: 0.
    April: 20 + 10 + 1 + 10 + 5 + 10 + 10 = 66. Q, in observation 15 Apr 10:00-11:00: 09:30-11:30 spans
    the stay, 30 minutes before it and 30 after count (60)."""
    def at(eid, day, minutes, start, staff):
        return entry(eid, "P", day, minutes, start=start, staff=staff)
    con = program([patient("P"), patient("Q")], [
        at("touch", "2025-04-10", 20, "13:40", "BCM1"), at("across_in", "2025-04-10", 20, "13:50", "BCM2"),
        at("one_before", "2025-04-10", 10, "13:59", "BCM3"), at("first", "2025-04-10", 10, "13:45", "BCM4"),
        at("overlapped", "2025-04-10", 20, "13:50", "BCM4"), at("across_out", "2025-04-12", 20, "09:20", "BCM1"),
        at("at_discharge", "2025-04-12", 10, "09:30", "BCM2"), at("last_inside", "2025-04-12", 1, "09:29", "BCM3"),
        entry("spans", "Q", "2025-04-15", 120, start="09:30")])
    load_rows("facility_stays", [stay("S", "P", "2025-04-10 14:00", "2025-04-12 09:30"),
                                 stay("O", "Q", "2025-04-15 10:00", "2025-04-15 11:00", kind="observation")])
    frame = time_entries(con, "2025-04").set_index("entry_id")
    assert {e: float(m) for e, m in frame.counted_minutes.items()} == {
        "touch": 20, "across_in": 10, "one_before": 1, "first": 10, "overlapped": 5, "across_out": 10,
        "at_discharge": 10, "last_inside": 0, "spans": 60}
    assert frame.status.to_dict() == {
        "touch": "counted", "across_in": "counted_in_part_facility_stay", "one_before": "counted_in_part_facility_stay",
        "first": "counted", "overlapped": "counted_in_part_facility_stay", "across_out": "counted_in_part_facility_stay",
        "at_discharge": "counted", "last_inside": "during_facility_stay", "spans": "counted_in_part_facility_stay"}
    months = billing_lines(con, "2025-04")
    assert dict(zip(months.patient_id, months.countable_minutes)) == {"P": 66.0, "Q": 60.0}
    hospital = con.execute("""SELECT patient_id, sum(minutes) FROM marts.time_allocation
                              WHERE service_month = DATE '2025-04-01' AND outcome = 'during_facility_stay'
                              GROUP BY ALL ORDER BY 1""").fetchall()
    assert hospital == [("P", 10 + 9 + 15 + 10 + 1), ("Q", 60)]
    [(reason,)] = con.execute("SELECT reason FROM marts.audit_entries WHERE entry_id = 'across_in'").fetchall()
    assert reason.startswith("10 of its 20 minutes fall inside the patient's hospital stay")
    assert not differs_from_full(con)


def test_a_start_time_of_day_beside_a_zoned_service_date_keeps_the_service_dates_time_and_warns(program, load_rows):
    """An export that writes service_date as an instant (2025-03-05T19:00:00Z: 13:00 in Chicago) and
    start_time as a bare time of day gives the time of day no local day to stand on when the file is
    read. The entry is placed at the service date's own time, before the 14:00 admission, so it
    counts; it had been treated as untimed on the admission day (excluded), its start time dropped
    unsaid. A warning names the row. A time of day beside a local service date is used as before."""
    con = program([patient("P")],
                  [entry("zoned", "P", "2025-03-05T19:00:00Z", 10, start="09:30"),
                   entry("local", "P", "2025-03-05", 10, start="13:00", staff="BCM2")])
    load_rows("facility_stays", [stay("O1", "P", "2025-03-05 14:00", "2025-03-06 09:30", kind="observation")])
    assert statuses(con, "2025-03") == {"zoned": "counted", "local": "counted"}
    warned = con.execute("SELECT row_key, check_name, reason FROM meta.row_warnings WHERE table_name = 'time_logs'").fetchall()
    assert warned == [("zoned", "start time on the service date's day",
                       "start_time is a time of day, but service_date 2025-03-05 was exported as a date-time with its own "
                       "zone: the entry is placed at that time and its start time is not used")]


def test_a_timed_entry_is_placed_against_a_dated_admission_by_the_day_it_starts(program, load_rows, tmp_path):
    """A stay dated by days alone has no time to split an entry at: an entry is judged by the day it
    starts on, and on an admission or discharge day by facility_stay_edge_days, as an untimed one
    is. Stay 3-10 Feb 2025 (dates): 2 Feb 23:50-00:10 starts the day before and counts whole (20);
    10 Feb 23:50-00:10 starts on the discharge day: excluded by default, counted with `count`."""
    con = program([patient("P", consent="2024-12-01")],
                  [entry("eve", "P", "2025-02-02", 20, start="23:50"), entry("last_day", "P", "2025-02-10", 20, start="23:50")])
    load_rows("facility_stays", [stay("S1", "P", "2025-02-03", "2025-02-10")])
    frame = time_entries(con, "2025-02").set_index("entry_id")
    assert frame.counted_minutes.to_dict() == {"eve": 20, "last_day": 0}
    counting = rules_file(tmp_path, "settings: {facility_stay_edge_days: count}\n")
    frame = time_entries(con, "2025-02", rules=counting).set_index("entry_id")
    assert frame.counted_minutes.to_dict() == {"eve": 20, "last_day": 20}


def test_a_stay_without_a_discharge_goes_on_into_later_months(program, load_rows):
    con = program([patient("P"), patient("Q")], [entry("a", "P", "2025-04-19", 40), entry("b", "P", "2025-04-25", 40),
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
    con = program([patient("P"), patient("Q")], [entry("a", "P", "2025-02-02", 20)])
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
    con = program([patient("P"), patient("Q")], [entry("a", "P", "2025-02-02", 40), entry("b", "P", "2025-02-05", 25)])
    load_rows("facility_stays", [stay("S", "P", "2025-02-04", "2025-02-06")])
    row = outcomes_query(current(con), "2025-02", "2025-02", by=("service_month",)).df().iloc[0]
    assert row.during_facility_stay == 25
    assert sum(row[o] for o in OUTCOMES) == row.logged_minutes == 65


def test_an_entry_across_the_spring_forward_is_cut_at_a_stays_admission_or_discharge_in_real_time(program, load_rows):
    """Chicago, 8 Mar 2026: 02:00 CST becomes 03:00 CDT. An entry at 01:50 of 30 minutes really
    ends at 03:20 (02:20 never happens), so 20 of its minutes are after 03:00 and 10 after 03:10.
    A1 admitted at 03:00 counts the 10 before it, A2 at 03:10 the 20 before; D1 discharged at 03:00
    counts the 20 after it, D2 at 03:10 the 10 after (by the clock, 01:50-02:20, the entry ended
    before either: all 30 counted, or none). Fall-back, 1 Nov 2026: F is discharged at 01:30 CDT
    (-05:00); its entry at 01:20 CST (-06:00) is 50 minutes after the discharge and counts whole
    (by the clock it ran across 01:30: 10). The day stays the local one: every entry is on the
    stay's admission or discharge day."""
    spring = "2026-03-08"
    con = program([patient(p) for p in ("A1", "A2", "D1", "D2", "F")],
                  [entry(p.lower(), p, spring, 30, start="01:50") for p in ("A1", "A2", "D1", "D2")]
                  + [entry("f", "F", "2026-11-01T01:20:00-06:00", 20, start="2026-11-01T01:20:00-06:00")])
    result = load_rows("facility_stays", [stay("A1", "A1", f"{spring} 03:00", "2026-03-12 10:00"),
                                          stay("A2", "A2", f"{spring} 03:10", "2026-03-12 10:00"),
                                          stay("D1", "D1", "2026-03-04 10:00", f"{spring} 03:00"),
                                          stay("D2", "D2", "2026-03-04 10:00", f"{spring} 03:10"),
                                          stay("F", "F", "2026-10-28 10:00", "2026-11-01T01:30:00-05:00")])
    assert result.rows_quarantined == 0
    entries = time_entries(con, "2026-03", "2026-11").set_index("entry_id")
    assert {e: float(m) for e, m in entries.counted_minutes.items()} == {"a1": 10, "a2": 20, "d1": 20, "d2": 10, "f": 20}
    assert entries.status.to_dict() == {**dict.fromkeys(["a1", "a2", "d1", "d2"], "counted_in_part_facility_stay"),
                                        "f": "counted"}
    assert {e: f"{d:%Y-%m-%d}" for e, d in entries.service_date.items()} == {
        **dict.fromkeys(["a1", "a2", "d1", "d2"], spring), "f": "2026-11-01"}
    assert not differs_from_full(con)
