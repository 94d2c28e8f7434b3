"""The billing engine on hand-written rows loaded through the real loader.

Each test writes a few patients and time-log entries, and reads the billing lines back as
(patient, month, code, units) tuples, so a failure shows which month billed what.
"""

from __future__ import annotations

from datetime import date

import pytest
from test_models import differs_from_full

from bcm_analytics.billing import (
    billing_lines,
    countable_minutes,
    evidence,
    load_rules,
    materialize,
    near_threshold,
    time_entries,
    unbilled_months,
)
from bcm_analytics.cli.data import summary_line
from bcm_analytics.models.marts import refresh

CLINICS = [
    {"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice", "timezone": "America/Chicago"},
    {"clinic_id": "FQ", "clinic_name": "Health center", "setting": "fqhc", "timezone": "America/New_York"},
]


def patient(pid: str, payer: str = "Medicare", clinic: str = "PP", program: str = "cocm",
            consent: str = "2024-01-01", npi: str = "1234567893") -> dict:
    return {"patient_id": pid, "clinic_id": clinic, "payer": payer, "program": program, "care_manager_id": "BCM1",
            "treating_provider_npi": npi, "enrollment_date": "2024-01-01", "consent_date": consent}


def entry(eid: str, pid: str, day: str, minutes: float, activity: str = "follow_up_contact", role: str = "bhcm",
          staff: str = "BCM1", start: str = "") -> dict:
    return {"entry_id": eid, "patient_id": pid, "staff_id": staff, "staff_role": role, "service_date": day,
            "minutes": str(minutes), "activity_type": activity, "start_time": start}


@pytest.fixture
def program(store, load_rows):
    """load(patients, entries): clinics PP (physician practice, Chicago) and FQ (FQHC) included."""

    def _load(patients: list[dict], entries: list[dict]):
        for table, rows in (("clinics", CLINICS), ("patients", patients), ("time_logs", entries)):
            result = load_rows(table, rows)
            assert result.rows_quarantined == 0, table
        return store

    return _load


def codes(con, start="2024-01", end="2026-12", rules=None) -> list[tuple]:
    frame = billing_lines(con, start, end, rules)
    return list(zip(frame.patient_id, frame.service_month, frame.code, frame.units))


# Minutes -> codes, Medicare physician practice (billing_rules.md section 1), at both edges of every band.
INITIAL = {0: [], 15: [], 16: ["G2214"], 30: ["G2214"], 31: ["G2214"], 35: ["G2214"], 36: ["99492"],
           75: ["99492"], 76: ["99492"], 85: ["99492"], 86: ["99492", "99494 x1"], 105: ["99492", "99494 x1"],
           106: ["99492", "99494 x1"], 115: ["99492", "99494 x1"], 116: ["99492", "99494 x2"],
           135: ["99492", "99494 x2"], 136: ["99492", "99494 x2"], 145: ["99492", "99494 x2"],
           146: ["99492", "99494 x3"]}
SUBSEQUENT = {0: [], 15: [], 16: ["G2214"], 30: ["G2214"], 31: ["99493"], 35: ["99493"], 36: ["99493"],
              75: ["99493"], 76: ["99493", "99494 x1"], 85: ["99493", "99494 x1"], 86: ["99493", "99494 x1"],
              105: ["99493", "99494 x1"], 106: ["99493", "99494 x2"], 115: ["99493", "99494 x2"],
              116: ["99493", "99494 x2"], 135: ["99493", "99494 x2"], 136: ["99493", "99494 x3"],
              145: ["99493", "99494 x3"], 146: ["99493", "99494 x3"]}


def month_codes(con, month: str, rules=None) -> dict[str, list[str]]:
    frame = billing_lines(con, month, month, rules)
    out: dict[str, list[str]] = {}
    for pid, code, units in zip(frame.patient_id, frame.code, frame.units):
        out.setdefault(pid, []).append(code if code != "99494" else f"99494 x{units}")
    return out


def test_minutes_to_codes_initial_and_subsequent_at_every_band_edge(program):
    """Initial: one month of m minutes. Subsequent: 40 minutes in January, then m in February."""
    patients, entries = [], []
    for m in INITIAL:
        patients += [patient(f"I{m:03d}"), patient(f"S{m:03d}")]
        entries.append(entry(f"S{m:03d}-jan", f"S{m:03d}", "2025-01-10", 40))
        if m:
            entries += [entry(f"I{m:03d}-feb", f"I{m:03d}", "2025-02-10", m), entry(f"S{m:03d}-feb", f"S{m:03d}", "2025-02-10", m)]
    con = program(patients, entries)
    got = month_codes(con, "2025-02")
    assert {m: got.get(f"I{m:03d}", []) for m in INITIAL} == INITIAL
    assert {m: got.get(f"S{m:03d}", []) for m in SUBSEQUENT} == SUBSEQUENT
    lines = billing_lines(con, "2025-02")
    assert set(lines.month_type[lines.patient_id.str.startswith("I")]) == {"initial"}
    assert set(lines.month_type[lines.patient_id.str.startswith("S")]) == {"subsequent"}


def test_a_billing_line_carries_what_finance_needs(program):
    con = program([patient("P1")], [entry("e1", "P1", "2025-03-03", 50), entry("e2", "P1", "2025-03-20", 70.5)])
    lines = billing_lines(con, "2025-03")
    assert list(lines.code) == ["99492", "99494"]
    row = lines.iloc[1].to_dict()
    assert {k: row[k] for k in ("patient_id", "service_month", "episode_id", "month_type", "code", "units",
                                "countable_minutes", "payer", "billing_provider_npi", "expected_amount")} == {
        "patient_id": "P1", "service_month": "2025-03", "episode_id": "P1-2025-03", "month_type": "initial",
        "code": "99494", "units": 2, "countable_minutes": 120.5, "payer": "Medicare",
        "billing_provider_npi": "1234567893", "expected_amount": 112.0}
    assert row["ruleset"] == "bcm-default 2026.12.2" and row["payer_class"] == "medicare"
    assert lines.expected_amount.iloc[0] == 145.0


def test_episodes_five_empty_months_continue_six_start_anew_across_a_year_boundary(program):
    """A: Jul 2024, gap Aug-Dec (5), Jan 2025 -> same episode. B: Jul 2024, gap Aug-Jan (6), Feb 2025 -> new."""
    con = program(
        [patient("A"), patient("B")],
        [entry("a1", "A", "2024-07-05", 40), entry("a2", "A", "2025-01-05", 40),
         entry("b1", "B", "2024-07-05", 40), entry("b2", "B", "2025-02-05", 40)],
    )
    assert codes(con) == [("A", "2024-07", "99492", 1), ("A", "2025-01", "99493", 1),
                          ("B", "2024-07", "99492", 1), ("B", "2025-02", "99492", 1)]
    lines = billing_lines(con, "2024-07", "2025-02")
    assert list(lines.episode_id) == ["A-2024-07", "A-2024-07", "B-2024-07", "B-2025-02"]


def test_a_month_with_only_uncounted_time_does_not_continue_an_episode(program):
    con = program(
        [patient("A")],
        [entry("a1", "A", "2024-07-05", 40)]
        + [entry(f"adm{m}", "A", f"2024-{m:02d}-05", 30, activity="administrative") for m in range(8, 13)]
        + [entry("c", "A", "2025-01-05", 30, role="psychiatric_consultant", staff="PC1", activity="caseload_review"),
           entry("a2", "A", "2025-02-05", 40)],
    )
    assert codes(con) == [("A", "2024-07", "99492", 1), ("A", "2025-02", "99492", 1)]


def test_consent_in_mid_month_and_no_consent(program):
    con = program(
        [patient("MID", consent="2025-01-15"), patient("NONE", consent="")],
        [entry("m1", "MID", "2025-01-14", 30), entry("m2", "MID", "2025-01-15", 20), entry("m3", "MID", "2025-01-28", 20),
         entry("n1", "NONE", "2025-01-10", 90)],
    )
    assert codes(con) == [("MID", "2025-01", "99492", 1)]
    assert list(billing_lines(con, "2025-01").countable_minutes) == [40.0]
    status = time_entries(con, "2025-01").set_index("entry_id").status.to_dict()
    assert status == {"m1": "before_consent", "m2": "counted", "m3": "counted", "n1": "no_consent"}
    assert set(evidence(con, "2025-01").entry_id) == {"m2", "m3"}


def test_duplicate_and_overlapping_entries_count_once(program, load_rows):
    """Same staff on one patient: 10:00-10:30 and 10:15-10:45 overlap (45 min, not 60); a re-exported
    entry counts once; another staff member's overlapping time counts on its own; a psychotherapy
    session 11:00-11:30 blocks the BCM time logged inside it."""
    rows = [
        entry("a", "P", "2025-03-03", 30, start="10:00"),
        entry("b", "P", "2025-03-03", 30, start="10:15"),
        entry("c", "P", "2025-03-03", 20, staff="TP1", role="treating_practitioner", activity="care_coordination",
              start="10:00"),
        entry("t", "P", "2025-03-03", 30, activity="psychotherapy", start="11:00"),
        entry("d", "P", "2025-03-03", 40, start="10:50"),
        entry("e", "P", "2025-03-04", 5),
    ]
    con = program([patient("P")], rows)
    load_rows("time_logs", rows[-2:])  # the same entries exported again
    minutes = time_entries(con, "2025-03").set_index("entry_id")
    assert minutes.counted_minutes.to_dict() == {"a": 30, "b": 15, "c": 20, "t": 0, "d": 10, "e": 5}
    assert minutes.status.to_dict()["b"] == "counted_in_part_overlap"
    assert list(countable_minutes(con, "2025-03").countable_minutes) == [80]
    assert codes(con) == [("P", "2025-03", "99492", 1)]


def test_overlap_across_a_month_boundary_counts_the_minutes_once_in_their_own_month(program, load_rows):
    """billing_rules.md s3: the same minutes logged twice count once, and calendar month only.
    Chicago, by hand. A: 31 Oct 2025 23:50 for 20 min (to 00:10 on 1 Nov) and 1 Nov 00:00 for 20:
    00:00-00:10 is logged twice and counts once, in November (the November entry's): October 10,
    November 20. B: 31 Dec 23:50-00:10 and 1 Jan 00:10-00:30 only touch: 20 and 20. C: 31 Jan 2026
    23:50-00:10 and 1 Feb 00:09-00:19 share one minute: 19 and 10. D is A exported as UTC instants:
    1 Mar 2026 05:50Z is 23:50 on 28 Feb in Chicago (CST), 20 min, and 06:00Z is 00:00 on 1 Mar, 20
    min: February 10, March 20, though every instant is on 1 March in UTC."""
    con = program([patient(p) for p in "ABCD"], [
        entry("a-oct", "A", "2025-10-31", 20, start="23:50"), entry("a-nov", "A", "2025-11-01", 20, start="00:00"),
        entry("b-dec", "B", "2025-12-31", 20, start="23:50"), entry("b-jan", "B", "2026-01-01", 20, start="00:10"),
        entry("c-jan", "C", "2026-01-31", 20, start="23:50"), entry("c-feb", "C", "2026-02-01", 10, start="00:09"),
        entry("d-feb", "D", "2026-03-01T05:50:00Z", 20, start="2026-03-01T05:50:00Z"),
        entry("d-mar", "D", "2026-03-01T06:00:00Z", 20, start="2026-03-01T06:00:00Z")])
    counted = {e: float(m) for frame in (time_entries(con, m) for m in ("2025-10", "2025-11", "2025-12", "2026-01",
                                                                        "2026-02", "2026-03"))
               for e, m in zip(frame.entry_id, frame.counted_minutes)}
    assert counted == {"a-oct": 10, "a-nov": 20, "b-dec": 20, "b-jan": 20, "c-jan": 19, "c-feb": 10,
                       "d-feb": 10, "d-mar": 20}
    months = countable_minutes(con, "2025-10", "2026-03")
    assert {(p, m): float(x) for p, m, x in zip(months.patient_id, months.service_month, months.countable_minutes)} == {
        ("A", "2025-10"): 10, ("A", "2025-11"): 20, ("B", "2025-12"): 20, ("B", "2026-01"): 20,
        ("C", "2026-01"): 19, ("C", "2026-02"): 10, ("D", "2026-02"): 10, ("D", "2026-03"): 20}


def test_overlap_is_judged_on_the_instants_an_export_gives_across_daylight_saving_changes(program, load_rows):
    """Chicago, by hand. Fall-back, 1 Nov 2026: 01:00-02:00 happens twice (CDT -05:00, then CST
    -06:00). N's two entries are exported with their offsets, an hour apart: 01:30-01:50 CDT
    (06:30Z) and 01:30-01:50 CST (07:30Z). Both read 01:30 on the local clock, but they share no
    minute: 40 minutes (99492), not 20. Spring-forward, 8 Mar 2026: 02:00 CST becomes 03:00 CDT.
    S's 01:50 CST entry of 30 minutes ends at 03:20 CDT (08:20Z), so its 03:00 CDT entry of 20
    minutes (08:00Z-08:20Z) lies inside it: 30 minutes (G2214), not 50. Months and days stay local:
    every entry is in its local month, on its local day. The second fall-back entry comes in a later
    export: the incremental build counts as a full one does."""
    con = program([patient("N"), patient("S")], [
        entry("n-cdt", "N", "2026-11-01T01:30:00-05:00", 20, start="2026-11-01T01:30:00-05:00"),
        entry("s-cst", "S", "2026-03-08T01:50:00-06:00", 30, start="2026-03-08T01:50:00-06:00"),
        entry("s-cdt", "S", "2026-03-08T03:00:00-05:00", 20, start="2026-03-08T03:00:00-05:00")])
    load_rows("time_logs", [entry("n-cst", "N", "2026-11-01T01:30:00-06:00", 20, start="2026-11-01T01:30:00-06:00")])
    refresh(con)
    entries = time_entries(con, "2026-03", "2026-11").set_index("entry_id")
    assert {e: float(m) for e, m in entries.counted_minutes.items()} == {"n-cdt": 20, "n-cst": 20, "s-cst": 30, "s-cdt": 0}
    assert {e: f"{d:%Y-%m-%d}" for e, d in entries.service_date.items()} == {
        "n-cdt": "2026-11-01", "n-cst": "2026-11-01", "s-cst": "2026-03-08", "s-cdt": "2026-03-08"}
    assert codes(con) == [("N", "2026-11", "99492", 1), ("S", "2026-03", "G2214", 1)]
    reasons = dict(con.execute("SELECT entry_id, reason FROM marts.audit_entries WHERE patient_id IN ('N', 'S')").fetchall())
    assert reasons["n-cdt"] is None and reasons["n-cst"] is None
    assert reasons["s-cdt"] == ("All 20 minutes overlap time already counted for another entry of the same staff member "
                                "on this patient (overlaps s-cst (follow_up_contact 01:50-03:20)); overlapping time counts once.")
    assert not differs_from_full(con)


def test_wall_clock_entries_in_the_repeated_hour_still_overlap(program):
    """Entries given as a date and a clock time alone cannot say which 01:30 of 1 Nov 2026 they
    were (the hour happens twice): they are read on the one local clock as before, so two entries
    at 01:30 of 20 minutes share those 20 minutes and count them once."""
    con = program([patient("W")], [entry("w1", "W", "2026-11-01", 20, start="01:30"),
                                   entry("w2", "W", "2026-11-01", 20, start="01:30")])
    entries = time_entries(con, "2026-11").set_index("entry_id")
    assert {e: float(m) for e, m in entries.counted_minutes.items()} == {"w1": 20, "w2": 0}
    assert entries.status.to_dict()["w2"] == "not_counted_overlap"
    assert codes(con) == [("W", "2026-11", "G2214", 1)]


def test_an_entry_of_the_next_month_rebuilds_the_month_before_as_a_full_build_would(program, load_rows):
    """A November export whose first entry shares minutes with an October entry that ran past
    midnight changes October's count (10, not 20): an incremental build recomputes October too."""
    con = program([patient("A"), patient("Z")], [entry("a-oct", "A", "2025-10-31", 20, start="23:50"),
                                                 entry("z-oct", "Z", "2025-10-30", 20, start="23:50")])
    assert codes(con) == [("A", "2025-10", "G2214", 1), ("Z", "2025-10", "G2214", 1)]
    load_rows("time_logs", [entry("a-nov", "A", "2025-11-01", 20, start="00:00"),
                            entry("z-nov", "Z", "2025-11-01", 20, start="00:00")])
    refresh(con)
    assert codes(con) == [("A", "2025-11", "G2214", 1), ("Z", "2025-10", "G2214", 1), ("Z", "2025-11", "G2214", 1)]
    assert not differs_from_full(con)


def test_the_same_untimed_minutes_under_two_entry_ids_count_once(program):
    """O1's 20 minutes on 10 March are logged twice under two ids with no start time (a re-keyed
    export): 20 minutes, G2214, not 40 and 99492. O2's second 20 minutes that day are another
    activity, and a second staff member's are their own time: both count."""
    con = program([patient("O1"), patient("O2")], [
        entry("x1", "O1", "2025-03-10", 20), entry("x2", "O1", "2025-03-10", 20),
        entry("y1", "O2", "2025-03-10", 20), entry("y2", "O2", "2025-03-10", 20, activity="care_coordination"),
        entry("y3", "O2", "2025-03-10", 20, staff="BCM2")])
    minutes = time_entries(con, "2025-03").set_index("entry_id")
    assert minutes.counted_minutes.to_dict() == {"x1": 20, "x2": 0, "y1": 20, "y2": 20, "y3": 20}
    assert minutes.status.to_dict()["x2"] == "not_counted_overlap"
    assert codes(con) == [("O1", "2025-03", "G2214", 1), ("O2", "2025-03", "99492", 1)]
    [(reason,)] = con.execute("SELECT reason FROM marts.audit_entries WHERE entry_id = 'x2'").fetchall()
    assert reason.startswith("The same 20 minutes as entry x1 ")


def test_time_inside_an_e_m_visit_a_psychiatric_evaluation_or_digital_treatment_does_not_count(program):
    """billing_rules.md s3: not counted is "time inside a separately billed service (psychotherapy,
    psychiatric evaluation, E/M visit, digital mental health treatment G0552-G0554)", and the treating
    practitioner's BCM-type time counts "when it is not part of a separately billed service"
    (psychotherapy and CCM have their own tests). One patient, 3 March 2025, by hand:
    TP1's E/M visit 10:00-10:30 (0) with care coordination 10:10-10:20 inside it (0) and 11:00-11:10 after it (10);
    TP1's psychiatric evaluation 14:00-14:30 (0) with treatment planning 14:05-14:15 inside it (0);
    BCM1's digital mental health treatment 13:00-13:20 (0) with outreach 13:05-13:10 inside it (0);
    BCM1's 26 untimed minutes of follow-up (26). The month: 36 minutes, 99492 at its edge."""
    tp = {"staff": "TP1", "role": "treating_practitioner"}
    con = program([patient("P")], [
        entry("em", "P", "2025-03-03", 30, activity="e_m_visit", start="10:00", **tp),
        entry("cc-in", "P", "2025-03-03", 10, activity="care_coordination", start="10:10", **tp),
        entry("cc-out", "P", "2025-03-03", 10, activity="care_coordination", start="11:00", **tp),
        entry("eval", "P", "2025-03-03", 30, activity="psychiatric_evaluation", start="14:00", **tp),
        entry("plan-in", "P", "2025-03-03", 10, activity="treatment_planning", start="14:05", **tp),
        entry("dmh", "P", "2025-03-03", 20, activity="digital_mental_health", start="13:00"),
        entry("out-in", "P", "2025-03-03", 5, activity="outreach", start="13:05"),
        entry("fu", "P", "2025-03-04", 26)])
    minutes = time_entries(con, "2025-03").set_index("entry_id")
    assert minutes.counted_minutes.to_dict() == {"em": 0, "cc-in": 0, "cc-out": 10, "eval": 0, "plan-in": 0, "dmh": 0,
                                                 "out-in": 0, "fu": 26}
    assert {e: minutes.status[e] for e in ("em", "eval", "dmh")} == dict.fromkeys(("em", "eval", "dmh"), "activity_not_countable")
    assert list(countable_minutes(con, "2025-03").countable_minutes) == [36]
    assert codes(con) == [("P", "2025-03", "99492", 1)]


def test_fully_covered_interval_counts_nothing(program):
    con = program([patient("P")], [entry("long", "P", "2025-03-03", 60, start="09:00"),
                                   entry("inside", "P", "2025-03-03", 20, start="09:10")])
    assert time_entries(con, "2025-03").set_index("entry_id").counted_minutes.to_dict() == {"long": 60, "inside": 0}


def test_a_months_minutes_count_to_the_whole_second(program):
    """Three entries of 00:05:20 are 16:00 (G2214 at its lower edge), though each is stored as
    5.3333 minutes; three of 00:05:19 are 15:57, short of it by 3 seconds."""
    con = program([patient("P"), patient("Q")],
                  [entry(f"P{i}", "P", f"2025-03-0{i}", "00:05:20") for i in (3, 4, 5)]
                  + [entry(f"Q{i}", "Q", f"2025-03-0{i}", "00:05:19") for i in (3, 4, 5)])
    assert codes(con) == [("P", "2025-03", "G2214", 1)]
    unbilled = unbilled_months(con, "2025-03", "2025-03")
    assert unbilled.set_index("patient_id").minutes_short.to_dict() == {"Q": 0.05}


def test_month_is_the_clinics_local_month(program):
    """23:30 on 31 January in Chicago, exported as the UTC instant 05:30 on 1 February."""
    con = program([patient("P")], [entry("late", "P", "2025-02-01T05:30:00Z", 40), entry("feb", "P", "2025-02-10", 20)])
    assert codes(con) == [("P", "2025-01", "99492", 1), ("P", "2025-02", "G2214", 1)]


def test_the_local_day_decides_month_ends_rule_periods_consent_discharge_and_the_episode_gap(program):
    """billing_rules.md s3: months (and days) are the clinic's local ones. Each entry below is
    exported as a UTC instant a few hours from a local midnight; by hand, in local time:
    A (Chicago, daylight time ends 1 Nov 2026 at 07:00 UTC): 04:30Z is 23:30 on 31 Oct, 05:30Z is
    00:30 on 1 Nov -> 99492 in October, G2214 in November (a fixed UTC-6 would put both in October).
    F (FQHC, New York): 04:30Z on 1 Jan 2026 is 23:30 on 31 Dec -> G0512 (the 2025 code); 05:00Z is
    00:00 on 1 Jan -> the 2026 codes, a subsequent month: G2214.
    K (consent 15 Jan 2025): 05:30Z is 23:30 on the 14th (before consent), 06:00Z midnight on the 15th.
    D (discharged 15 Mar 2025, daylight time): 04:00Z on the 16th is 23:00 on the 15th (counted),
    05:00Z midnight on the 16th (after discharge).
    G: January, then 04:30Z on 1 Aug is 23:30 on 31 Jul: five empty months (Feb-Jun), the same episode (99493)."""
    pats = [patient(p) | {"discharge_date": "2025-03-15" if p == "D" else ""} for p in "ADG"] \
        + [patient("F", clinic="FQ") | {"discharge_date": ""}, patient("K", consent="2025-01-15") | {"discharge_date": ""}]
    con = program(pats, [
        entry("a1", "A", "2026-11-01T04:30:00Z", 40), entry("a2", "A", "2026-11-01T05:30:00Z", 20),
        entry("f1", "F", "2026-01-01T04:30:00Z", 60), entry("f2", "F", "2026-01-01T05:00:00Z", 16),
        entry("k1", "K", "2025-01-15T05:30:00Z", 20), entry("k2", "K", "2025-01-15T06:00:00Z", 20),
        entry("d0", "D", "2025-01-10", 40), entry("d1", "D", "2025-03-16T04:00:00Z", 20),
        entry("d2", "D", "2025-03-16T05:00:00Z", 20),
        entry("g0", "G", "2025-01-10", 40), entry("g1", "G", "2025-08-01T04:30:00Z", 40)])
    assert codes(con) == [("A", "2026-10", "99492", 1), ("A", "2026-11", "G2214", 1),
                          ("D", "2025-01", "99492", 1), ("D", "2025-03", "G2214", 1),
                          ("F", "2025-12", "G0512", 1), ("F", "2026-01", "G2214", 1),
                          ("G", "2025-01", "99492", 1), ("G", "2025-07", "99493", 1), ("K", "2025-01", "G2214", 1)]
    status = time_entries(con, "2025-01", "2026-12").set_index("entry_id").status.to_dict()
    assert {e: status[e] for e in ("k1", "k2", "d1", "d2")} == {
        "k1": "before_consent", "k2": "counted", "d1": "counted", "d2": "after_discharge"}


def test_fqhc_codes_by_period(program):
    """Medicare FQHC: G0512 (60 min, no midpoint) through 2025, CPT codes from 2026; general BHI:
    G0511 until the transition date setting, then 99484. A commercial plan takes CPT codes."""
    con = program(
        [patient("C", clinic="FQ"), patient("B", clinic="FQ", program="general_bhi"),
         patient("X", clinic="FQ", payer="Commercial")],
        [entry("c1", "C", "2024-06-05", 59), entry("c2", "C", "2024-07-05", 60), entry("c3", "C", "2025-12-05", 130),
         entry("c4", "C", "2026-01-05", 31),
         entry("b1", "B", "2024-06-05", 20), entry("b2", "B", "2025-09-05", 20), entry("b3", "B", "2025-10-05", 20),
         entry("b4", "B", "2026-01-05", 19),
         entry("x1", "X", "2024-06-05", 40)],
    )
    assert codes(con) == [
        ("B", "2024-06", "G0511", 1), ("B", "2025-09", "G0511", 1), ("B", "2025-10", "99484", 1),
        ("C", "2024-07", "G0512", 1), ("C", "2025-12", "G0512", 1), ("C", "2026-01", "99493", 1),
        ("X", "2024-06", "99492", 1),
    ]
    assert set(billing_lines(con, "2024-01", "2026-12").code_set) == {"bhi_g0511", "bhi_99484", "cocm_g0512", "cocm_cpt"}


def test_g0511_transition_date_is_a_setting(program, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("settings: {g0511_replaced_on: 2025-07-01}\n")
    con = program([patient("B", clinic="FQ", program="general_bhi")],
                  [entry("b1", "B", "2025-06-05", 25), entry("b2", "B", "2025-07-05", 25)])
    assert codes(con) == [("B", "2025-06", "G0511", 1), ("B", "2025-07", "G0511", 1)]
    assert codes(con, rules=load_rules(path)) == [("B", "2025-06", "G0511", 1), ("B", "2025-07", "99484", 1)]


def test_a_code_set_without_an_add_on_needs_no_base_minutes_and_bills_no_add_on(program, tmp_path):
    """A state that pays 99492/99493 alone (no 99494): its code set had to give base_minutes, the
    time add-on steps start from, for an add-on it does not have."""
    path = tmp_path / "rules.yaml"
    path.write_text("code_sets:\n  cocm_no_add_on:\n    program: cocm\n    initial: {code: '99492', from_minutes: 36}\n"
                    "    subsequent: {code: '99493', from_minutes: 30}\npayer_classes:\n  medicare:\n    periods:\n"
                    "      physician_practice:\n        cocm: {2021-01-01: cocm_no_add_on}\n")
    con = program([patient("A"), patient("B")], [entry("a1", "A", "2025-02-10", 146), entry("b1", "B", "2025-01-10", 40),
                                                 entry("b2", "B", "2025-02-10", 30), entry("b3", "B", "2025-03-10", 29)])
    assert codes(con, rules=load_rules(path)) == [("A", "2025-02", "99492", 1), ("B", "2025-01", "99492", 1),
                                                  ("B", "2025-02", "99493", 1)]


def rules_file(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return load_rules(path)


def test_setting_99494_cap(program, tmp_path):
    """Subsequent month of 226 minutes: 99494 x6 uncapped; Medicaid caps at 4; a program sets 2."""
    patients = [patient("CARE", payer="Medicare"), patient("CAID", payer="medicaid ")]
    entries = [e for p in ("CARE", "CAID") for e in (entry(f"{p}1", p, "2025-01-05", 40), entry(f"{p}2", p, "2025-02-05", 226))]
    con = program(patients, entries)
    assert month_codes(con, "2025-02") == {"CARE": ["99493", "99494 x6"], "CAID": ["99493", "99494 x4"]}
    two = rules_file(tmp_path, "payer_classes:\n  medicaid:\n    settings: {max_99494_units: 2}\n")
    assert month_codes(con, "2025-02", two)["CAID"] == ["99493", "99494 x2"]


def test_setting_g2214_and_its_initial_31_35_range(program, tmp_path):
    con = program([patient("CARE"), patient("COM", payer="Commercial")],
                  [entry("a", "CARE", "2025-01-05", 33), entry("b", "COM", "2025-01-05", 20)])
    assert codes(con) == [("CARE", "2025-01", "G2214", 1)]
    unbilled = unbilled_months(con, "2025-01")
    assert list(zip(unbilled.patient_id, unbilled.first_code, unbilled.minutes_short)) == [("COM", "99492", 16)]
    off = rules_file(tmp_path, "settings: {g2214_initial_31_35: false}\n")
    assert codes(con, rules=off) == []
    unbilled = unbilled_months(con, "2025-01", rules=off)
    assert list(zip(unbilled.patient_id, unbilled.first_code, unbilled.minutes_short)) == [
        ("CARE", "99492", 3), ("COM", "99492", 16)]


def test_setting_psychiatric_consultant_minutes(program, tmp_path):
    con = program([patient("P")], [entry("b", "P", "2025-01-05", 20),
                                   entry("c", "P", "2025-01-06", 20, role="psychiatric_consultant", staff="PC1",
                                         activity="caseload_review")])
    assert codes(con) == [("P", "2025-01", "G2214", 1)]
    assert codes(con, rules=rules_file(tmp_path, "settings: {count_psychiatric_consultant: true}\n")) == [
        ("P", "2025-01", "99492", 1)]


def test_setting_carry_initial_forward(program, tmp_path):
    """January misses 36 minutes: strict CPT makes February subsequent; carrying makes it initial."""
    con = program([patient("P")], [entry("j", "P", "2025-01-05", 20), entry("f", "P", "2025-02-05", 40),
                                   entry("m", "P", "2025-03-05", 40)])
    assert codes(con) == [("P", "2025-01", "G2214", 1), ("P", "2025-02", "99493", 1), ("P", "2025-03", "99493", 1)]
    carry = rules_file(tmp_path, "settings: {carry_initial_forward: true}\n")
    assert codes(con, rules=carry) == [("P", "2025-01", "G2214", 1), ("P", "2025-02", "99492", 1),
                                       ("P", "2025-03", "99493", 1)]


def test_setting_99492_once_per_calendar_year(program, tmp_path):
    """Episodes start in Jan 2025, Aug 2025 (after Feb-Jul empty) and Mar 2026 (after Sep-Feb empty)."""
    con = program([patient("P")], [entry("1", "P", "2025-01-05", 40), entry("2", "P", "2025-08-05", 40),
                                   entry("3", "P", "2026-03-05", 40)])
    assert [c for _, _, c, _ in codes(con)] == ["99492", "99492", "99492"]
    yearly = rules_file(tmp_path, "settings: {initial_code_once_per: calendar_year}\n")
    assert [c for _, _, c, _ in codes(con, rules=yearly)] == ["99492", "99493", "99492"]


def test_bcbs_michigans_99492_once_a_year_and_whole_team_minutes_are_settings_of_its_payer_name(program, tmp_path):
    """billing_rules.md s2 and s3: BCBS Michigan bills 99492 once per calendar year and counts the
    whole care team's minutes, each "a per-payer setting". M (BCBS Michigan) and C (another commercial
    plan) have 40 minutes in January 2025, then, after six empty months, 20 BCM and 20 consultant
    minutes in August: a new episode. By hand: M's August is 40 minutes (the consultant's count) and
    bills 99493 (99492 was billed in January of the same year); C's August is 20 minutes and bills
    nothing (no G2214 for a commercial plan, the consultant's minutes do not count)."""
    rules = rules_file(tmp_path, "payer_names:\n  BCBS Michigan:\n    payer_class: commercial\n"
                                 "    settings: {initial_code_once_per: calendar_year, count_psychiatric_consultant: true}\n")
    consultant = {"role": "psychiatric_consultant", "staff": "PC1", "activity": "caseload_review"}
    con = program([patient("M", payer="BCBS Michigan"), patient("C", payer="Commercial")],
                  [e for p in "MC" for e in (entry(f"{p}1", p, "2025-01-05", 40), entry(f"{p}2", p, "2025-08-05", 20),
                                             entry(f"{p}3", p, "2025-08-06", 20, **consultant))])
    assert codes(con, rules=rules) == [("C", "2025-01", "99492", 1), ("M", "2025-01", "99492", 1), ("M", "2025-08", "99493", 1)]


def test_setting_episode_gap_months(program, tmp_path):
    """Jan 2025, then Apr 2025 after two empty months: same episode by default, new with a gap of 2."""
    con = program([patient("P")], [entry("1", "P", "2025-01-05", 40), entry("2", "P", "2025-04-05", 40)])
    assert [c for _, _, c, _ in codes(con)] == ["99492", "99493"]
    short = rules_file(tmp_path, "settings: {episode_gap_months: 2}\n")
    assert [c for _, _, c, _ in codes(con, rules=short)] == ["99492", "99492"]


def test_settings_from_a_date(program, tmp_path):
    """Medicaid caps 99494 at 4, and at 1 from January 2026 in this program's file."""
    dated = rules_file(tmp_path, "payer_classes:\n  medicaid:\n    settings_from:\n      2026-01-01: {max_99494_units: 1}\n")
    con = program([patient("M", payer="Medicaid")],
                  [entry("1", "M", "2025-11-05", 40), entry("2", "M", "2025-12-05", 226), entry("3", "M", "2026-01-05", 226)])
    lines = billing_lines(con, "2025-12", "2026-01", dated).query("code == '99494'")
    assert list(zip(lines.service_month, lines.units)) == [("2025-12", 4), ("2026-01", 1)]


def test_setting_countable_activities_and_roles(program, tmp_path):
    con = program([patient("P")], [entry("o", "P", "2025-01-05", 20, activity="outreach"),
                                   entry("t", "P", "2025-01-06", 20, role="treating_practitioner", staff="TP1",
                                         activity="treatment_planning")])
    assert codes(con) == [("P", "2025-01", "99492", 1)]
    narrow = rules_file(tmp_path, "settings: {countable_activities: [treatment_planning], countable_roles: [bhcm]}\n")
    assert codes(con, rules=narrow) == []
    status = time_entries(con, "2025-01", rules=narrow).set_index("entry_id").status.to_dict()
    assert status == {"o": "activity_not_countable", "t": "role_not_countable"}


def test_payer_names_map_case_insensitively_and_unmapped_names_bill_as_commercial(program, tmp_path):
    con = program([patient("A", payer="MEDICARE"), patient("B", payer="Acme Health")],
                  [entry("a", "A", "2025-01-05", 20), entry("b", "B", "2025-01-05", 20)])
    lines = billing_lines(con, "2025-01")
    assert list(zip(lines.patient_id, lines.payer_class)) == [("A", "medicare")]
    assert list(unbilled_months(con, "2025-01").payer_class) == ["commercial"]
    from bcm_analytics.billing.engine import warnings

    assert warnings(con) == ["payer names not mapped to a payer class, billed as commercial: 'Acme Health' (1 patient); "
                             "map them under payer_names in a rules file (--rules)"]
    mapped = rules_file(tmp_path, "payer_names: {acme health: medicaid}\n")
    assert list(billing_lines(con, "2025-01", rules=mapped).payer_class) == ["medicare", "medicaid"]


def test_a_payer_name_in_the_program_rules_that_no_patient_has_is_warned_of(program, tmp_path):
    # "Blue Shield  PPO" (two spaces) gave G2214 to no one: the store's Blue Shield PPO stayed as the
    # earlier line mapped it, so no 'not mapped' warning showed the slip
    from bcm_analytics.billing.engine import warnings

    con = program([patient("A", payer="Blue Shield PPO"), patient("B", payer="Medicare")],
                  [entry("a", "A", "2025-01-05", 20), entry("b", "B", "2025-01-05", 20)])
    assert not [w for w in warnings(con) if "no patient's payer" in w]  # the shipped names (Medicaid, Commercial) are no program's to check
    typo = rules_file(tmp_path, "payer_names:\n  ' blue shield ppo ': commercial\n  Medicare: medicare\n"
                                "  Blue Shield  PPO: {payer_class: commercial, settings: {bills_g2214: true}}\n"
                                "  Aetna Better Health: medicaid\n")
    assert warnings(con, typo) == [
        "payer names in the rules file that no patient's payer matches: 'aetna better health', 'blue shield  ppo' "
        "(the store has 'Blue Shield PPO'); their class and settings apply to no one: check the spelling under payer_names"]
    assert list(billing_lines(con, "2025-01", rules=typo).patient_id) == ["B"]


def test_each_lines_evidence_adds_up_to_its_countable_minutes(program):
    con = program(
        [patient("A"), patient("B")],
        [entry("a1", "A", "2025-01-05", 50.25, start="09:00"), entry("a2", "A", "2025-01-05", 50, start="09:30"),
         entry("a3", "A", "2025-01-20", 17.5), entry("b1", "B", "2025-01-05", 10), entry("b2", "B", "2025-02-05", 35)],
    )
    lines = billing_lines(con, "2025-01", "2025-02")
    proof = evidence(con, "2025-01", "2025-02").groupby("line_id").minutes_counted.sum()
    assert len(lines) == 3
    for line_id, minutes in zip(lines.line_id, lines.countable_minutes):
        assert proof[line_id] == minutes
    assert set(evidence(con, "2025-01").query("line_id == 'A|2025-01|99494'").entry_id) == {"a1", "a2", "a3"}


def test_near_threshold_worklist(program):
    """As of 20 Feb 2025 (9 days left): R needs 3 for 99493; S needs 2 for 99494 x1; T (no minutes
    yet, consented) needs 16 for G2214 -> outside a 10-minute margin; U is 12 short."""
    con = program(
        [patient("R"), patient("S"), patient("T"), patient("U")],
        [entry("r1", "R", "2025-01-05", 40), entry("r2", "R", "2025-02-05", 28), entry("r3", "R", "2025-02-25", 30),
         entry("s1", "S", "2025-01-05", 40), entry("s2", "S", "2025-02-05", 74),
         entry("u1", "U", "2025-02-05", 24)],
    )
    worklist = near_threshold(con, date(2025, 2, 20), margin=10)
    assert list(zip(worklist.patient_id, worklist.bills_now, worklist.next_code, worklist.minutes_needed,
                    worklist.days_left)) == [("S", "99493", "99494 x1", 2, 9), ("R", "G2214", "99493", 3, 9)]
    wide = near_threshold(con, "2025-02-20", margin=16)
    assert list(zip(wide.patient_id, wide.month_type, wide.next_code, wide.minutes_needed)) == [
        ("S", "subsequent", "99494 x1", 2), ("R", "subsequent", "99493", 3), ("U", "initial", "99492", 12),
        ("T", "initial", "G2214", 16)]


def test_the_near_threshold_worklist_names_each_patients_clinic(program):
    """The list read clinic 'PP' or 'FQ', ids a care manager or finance lead does not know the
    clinics by: it gives the clinic's name beside the id."""
    con = program([patient("R"), patient("Q", clinic="FQ")],
                  [entry("r1", "R", "2025-02-05", 28), entry("q1", "Q", "2025-02-05", 28)])
    worklist = near_threshold(con, date(2025, 2, 20), margin=60).set_index("patient_id")
    assert list(worklist.loc[["Q", "R"], "clinic_name"]) == ["Health center", "Practice"]
    assert list(worklist.columns[:3]) == ["care_manager_id", "clinic_id", "clinic_name"]


def test_materialize_writes_marts_idempotently(program):
    con = program([patient("P")], [entry("a", "P", "2025-01-05", 40)])
    assert materialize(con) == ["marts.billing_entries", "marts.countable_minutes", "marts.episodes",
                                "marts.billing_lines", "marts.billing_evidence"]
    materialize(con)
    assert con.execute("SELECT count(*) FROM marts.billing_lines").fetchone()[0] == 1
    assert con.execute("SELECT sum(minutes_counted) FROM marts.billing_evidence").fetchone()[0] == 40


def test_a_build_is_reused_until_the_next_load(program, load_rows):
    """The marts are built once per ruleset and state of the data, and again after new data
    (the marts are emptied by hand here: a rebuild would bring the line back)."""
    con = program([patient("P1")], [entry("E1", "P1", "2025-03-05", 40)])
    rules = load_rules()
    assert codes(con, "2025-03", "2025-03", rules) == [("P1", "2025-03", "99492", 1)]
    con.execute("DELETE FROM marts.billing_lines")
    assert codes(con, "2025-03", "2025-03", rules) == [], "same rules, same data: the build is reused"
    load_rows("time_logs", [entry("E2", "P1", "2025-03-20", 50)])
    assert codes(con, "2025-03", "2025-03", rules) == [("P1", "2025-03", "99492", 1), ("P1", "2025-03", "99494", 1)]


def test_warnings_for_a_period_name_only_what_falls_in_it(program):
    """`bcm billing --month 2026-01` is read by someone billing January 2026: a fee missing in 2022
    is not theirs to act on, and is said only for 2022."""
    from bcm_analytics.billing.engine import warnings

    since_2021 = patient("A", consent="2021-06-01") | {"enrollment_date": "2021-06-01"}
    con = program([since_2021], [entry("old", "A", "2022-03-05", 40), entry("new", "A", "2026-01-05", 40)])
    old = ["no fee for 99492 in 2022 (medicare): expected_amount is empty on 1 line(s)"]
    assert warnings(con) == old
    assert warnings(con, start="2022-01", end="2022-12") == old
    assert warnings(con, start="2026-01") == []
    assert warnings(con, start="2021-01", end="2022-03") == old


def test_chronic_care_management_time_does_not_count_and_blocks_cocm_time_inside_it(load_rows, store):
    """billing_rules.md s6 item 8: time double counted with CCM. A care manager's CCM call is
    separately billed: its 30 minutes do not count, nor do the 10 minutes of outreach logged inside it."""
    from bcm_analytics.billing import billing_lines, time_entries

    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-02", "consent_date": "2025-01-02",
                            "treating_provider_npi": "1234567893"}])
    load_rows("time_logs", [
        {"entry_id": "E1", "patient_id": "P1", "staff_id": "S1", "staff_role": "bhcm", "service_date": "2025-01-10",
         "start_time": "09:00", "minutes": "30", "activity_type": "chronic_care_management"},
        {"entry_id": "E2", "patient_id": "P1", "staff_id": "S1", "staff_role": "bhcm", "service_date": "2025-01-10",
         "start_time": "09:10", "minutes": "10", "activity_type": "outreach"},
        {"entry_id": "E3", "patient_id": "P1", "staff_id": "S1", "staff_role": "bhcm", "service_date": "2025-01-20",
         "minutes": "36", "activity_type": "follow_up_contact"}])
    entries = time_entries(store, "2025-01").set_index("entry_id")
    assert entries.loc[["E1", "E2", "E3"], "counted_minutes"].tolist() == [0, 0, 36]
    assert billing_lines(store, "2025-01")["code"].tolist() == ["99492"]


def test_minutes_of_patients_without_a_consent_date_are_warned_of(program):
    """The Akello registry records no consent: every minute was 'no_consent', `bcm billing` wrote
    0 lines and 0 unbilled months and said nothing of why, as for a period nobody worked."""
    from bcm_analytics.billing.engine import warnings

    con = program([patient("A", consent=""), patient("B")],
                  [entry("a1", "A", "2025-03-05", 40), entry("a2", "A", "2025-04-05", 30), entry("b1", "B", "2025-03-05", 40)])
    said = [w for w in warnings(con, start="2025-03", end="2025-04") if "consent" in w]
    assert said == ["1 patient(s) have no consent date: their 70 minutes in 2 patient-month(s) never count; "
                    "load their consent_date (an export that lacks it: map it in the profile, docs/profiles.md)"]
    assert not [w for w in warnings(con, start="2025-05") if "consent" in w]


# --- boundaries the tests above do not pin (billing review, billing_rules.md sections 1 and 4) ----------


RURAL = {"clinic_id": "RH", "clinic_name": "Rural clinic", "setting": "rhc", "timezone": "America/Chicago"}


def test_fqhc_rhc_cocm_g2214_rows_bill_nothing_through_2025_and_bill_g2214_from_2026(program, load_rows):
    """Medicare FQHC/RHC: "FQHC/RHC before 2026: the G2214 rows bill nothing" (G0512 needs 60, no
    midpoint); from 2026-01-01 the physician-practice table, G2214 included. By hand:
    2025-06, a first month: 16, 35, 59 -> nothing; 60 at the RHC -> G0512.
    2026-01, a first month: 15 -> nothing; 16, 35 -> G2214 (initial 16-35); 36 -> 99492; 85 -> 99492; 86 -> + 99494 x1.
    2026-01 after G0512 in 2025-12 (subsequent): 30 -> G2214; 31 -> 99493; 75 -> 99493; 76 -> + 99494 x1."""
    load_rows("clinics", [RURAL])
    first_2025 = {"A16": 16, "A35": 35, "A59": 59}
    first_2026 = {"N15": 15, "N16": 16, "N35": 35, "N36": 36, "N85": 85, "N86": 86}
    later_2026 = {"S30": 30, "S31": 31, "S75": 75, "S76": 76}
    pids = [*first_2025, *first_2026, *later_2026]
    con = program(
        [patient(p, clinic="FQ") for p in pids] + [patient("R60", clinic="RH")],
        [entry(p, p, "2025-06-10", m) for p, m in first_2025.items()] + [entry("R60", "R60", "2025-06-10", 60)]
        + [entry(p, p, "2026-01-10", m) for p, m in first_2026.items()]
        + [entry(f"{p}-dec", p, "2025-12-10", 60) for p in later_2026]
        + [entry(p, p, "2026-01-10", m) for p, m in later_2026.items()])
    assert month_codes(con, "2025-06") == {"R60": ["G0512"]}
    assert month_codes(con, "2026-01") == {
        "N16": ["G2214"], "N35": ["G2214"], "N36": ["99492"], "N85": ["99492"], "N86": ["99492", "99494 x1"],
        "S30": ["G2214"], "S31": ["99493"], "S75": ["99493"], "S76": ["99493", "99494 x1"]}
    assert month_codes(con, "2025-12") == {p: ["G0512"] for p in later_2026}


def test_general_bhi_codes_at_20_minutes_with_no_midpoint(program):
    """99484 (physician practice) and G0511 (FQHC, 2024): 19 minutes bill nothing, 20 bill the code."""
    con = program([patient(p, program="general_bhi") for p in ("P19", "P20")]
                  + [patient(p, clinic="FQ", program="general_bhi") for p in ("F19", "F20")],
                  [entry(p, p, "2024-12-10", int(p[1:])) for p in ("P19", "P20", "F19", "F20")])
    assert codes(con) == [("F20", "2024-12", "G0511", 1), ("P20", "2024-12", "99484", 1)]


def test_thresholds_are_met_to_the_second_at_36_and_86_initial_minutes(program):
    """35:59 is short of 99492 (G2214); 36:00 bills it. 85:59 is short of 99494; 86:00 bills x1."""
    con = program([patient(p) for p in ("A", "B", "C", "D")],
                  [entry("A", "A", "2025-03-10", "00:35:59"), entry("B", "B", "2025-03-10", "00:36:00"),
                   entry("C", "C", "2025-03-10", "01:25:59"), entry("D", "D", "2025-03-10", "01:26:00")])
    assert month_codes(con, "2025-03") == {"A": ["G2214"], "B": ["99492"], "C": ["99492"], "D": ["99492", "99494 x1"]}


def test_g2214_runs_to_the_last_second_before_99493_and_before_31_initial_minutes(program, tmp_path):
    """billing_rules.md s1: G2214 bills 16-30 minutes of a subsequent month, "when 99492/99493 is not
    reached", and 99493 starts at 31:00. Minutes count to the second, so 30:30 and 30:59 are still
    the 30-minute row: they billed nothing, in neither row. By hand, after 40 minutes in January:
    S3000 30:00, S3030 30:30, S3059 30:59 -> G2214; S3100 31:00 -> 99493. With g2214_initial_31_35
    off, an initial month bills G2214 for 16-30 minutes: I3059 30:59 -> G2214, I3100 31:00 -> nothing."""
    sub = {"S3000": "00:30:00", "S3030": "00:30:30", "S3059": "00:30:59", "S3100": "00:31:00"}
    initial = {"I3059": "00:30:59", "I3100": "00:31:00"}
    con = program([patient(p) for p in (*sub, *initial)],
                  [entry(f"{p}-jan", p, "2025-01-10", 40) for p in sub]
                  + [entry(p, p, "2025-02-10", m) for p, m in (sub | initial).items()])
    assert month_codes(con, "2025-02") == {"S3000": ["G2214"], "S3030": ["G2214"], "S3059": ["G2214"], "S3100": ["99493"],
                                          "I3059": ["G2214"], "I3100": ["G2214"]}
    off = rules_file(tmp_path, "settings: {g2214_initial_31_35: false}\n")
    got = month_codes(con, "2025-02", off)
    assert {p: got.get(p, []) for p in initial} == {"I3059": ["G2214"], "I3100": []}


def test_the_medicaid_99494_cap_at_its_edge(program):
    """Subsequent month: 195 minutes is 99494 x4 (extra 135: floor(149 / 30) = 4); 196 is x5 for
    Medicare (extra 136: floor(150 / 30) = 5) and x4 for Medicaid (cap 4)."""
    pats = [patient("M195", payer="Medicaid"), patient("M196", payer="Medicaid"), patient("K196")]
    con = program(pats, [e for p in pats for e in (entry(f"{p['patient_id']}-jan", p["patient_id"], "2025-01-10", 40),
                                                    entry(p["patient_id"], p["patient_id"], "2025-02-10", int(p["patient_id"][1:])))])
    assert month_codes(con, "2025-02") == {"K196": ["99493", "99494 x5"], "M195": ["99493", "99494 x4"],
                                          "M196": ["99493", "99494 x4"]}


def test_2024_fees_follow_the_conversion_factor_change_of_9_march_on_the_months_last_day(program):
    """billing_rules.md s5: 2024 conversion factor $32.7442 to 8 March, then $33.2875. The shipped 2024
    amounts scale the 2025 figure ($145 for 99492 at $32.3465): 145 x 32.7442 / 32.3465 = 146.78 and
    145 x 33.2875 / 32.3465 = 149.22. A line is priced on its month's last day, so February 2024
    reads 146.78 and March 2024 (from 9 March) 149.22; January 2025 the 2025 amount, 145."""
    pats = [patient(p) for p in ("FEB", "MAR", "JAN")]
    con = program(pats, [entry("f", "FEB", "2024-02-10", 40), entry("m", "MAR", "2024-03-05", 40),
                         entry("j", "JAN", "2025-01-10", 40)])
    lines = billing_lines(con, "2024-01", "2025-12")
    assert dict(zip(lines.patient_id, lines.expected_amount)) == {"FEB": 146.78, "MAR": 149.22, "JAN": 145.0}


def test_discharge_and_re_enrolment_inside_6_months_continue_the_episode(program):
    """billing_rules.md s2: D is discharged on 15 February 2025 and enrolled again on 1 May (the
    export, keyed by patient, now shows the new enrolment and no discharge), seen in May (Feb-Apr
    empty, 3 months): the same episode, May is subsequent (99493). E, discharged the same day, is
    enrolled again and seen in September after 7 empty months (Feb-Aug): a new episode (99492)."""
    pats = [patient("D") | {"enrollment_date": "2025-05-01"}, patient("E") | {"enrollment_date": "2025-09-01"}]
    con = program(pats, [entry("d1", "D", "2025-01-10", 40), entry("d2", "D", "2025-05-10", 40),
                         entry("e1", "E", "2025-01-10", 40), entry("e2", "E", "2025-09-10", 40)])
    assert codes(con) == [("D", "2025-01", "99492", 1), ("D", "2025-05", "99493", 1),
                          ("E", "2025-01", "99492", 1), ("E", "2025-09", "99492", 1)]


def test_minutes_after_the_discharge_do_not_count(program):
    """billing_rules.md s2: the episode ends at the discharge (goals met, referred on); with no
    re-enrolment on file, a follow-up call after it is no CoCM service. F, discharged on 15 March
    2025, has 20 minutes on the discharge day (counted) and a 20-minute check-in call on 16 March
    (after_discharge): March is 20 minutes, G2214, not 40 (99493). G's only minutes after the
    discharge, a check-in in August 2025, bill nothing (not a new episode's G2214)."""
    pats = [patient("F") | {"discharge_date": "2025-03-15"}, patient("G") | {"discharge_date": "2025-02-15"}]
    con = program(pats, [entry("f1", "F", "2025-01-10", 40), entry("f2", "F", "2025-03-15", 20),
                         entry("f3", "F", "2025-03-16", 20), entry("g1", "G", "2025-01-10", 40),
                         entry("g2", "G", "2025-08-20", 20)])
    status = time_entries(con, "2025-01", "2025-12").set_index("entry_id").status.to_dict()
    assert status == {"f1": "counted", "f2": "counted", "f3": "after_discharge", "g1": "counted", "g2": "after_discharge"}
    assert codes(con) == [("F", "2025-01", "99492", 1), ("F", "2025-03", "G2214", 1), ("G", "2025-01", "99492", 1)]



def test_a_re_enrolment_export_does_not_make_the_minutes_between_discharge_and_re_enrolment_count(program, load_rows):
    """billing_rules.md s2: R is discharged on 15 February 2025; a check-in call on 10 March is
    after the discharge and bills nothing. The next export (keyed by patient) shows R enrolled
    again on 1 May with the discharge cleared: 10 March is still between the discharge and the
    re-enrolment and still bills nothing (it billed G2214 before enrolment history was read),
    the re-enrolment day counts, and May continues the episode inside 6 months (99493). The audit
    names both days. The incremental build equals a full one."""
    con = program([patient("R") | {"discharge_date": "2025-02-15"}],
                  [entry("r1", "R", "2025-01-10", 40), entry("r2", "R", "2025-03-10", 20)])
    assert codes(con) == [("R", "2025-01", "99492", 1)]
    assert load_rows("patients", [patient("R") | {"enrollment_date": "2025-05-01"}]).rows_changed == 1
    assert load_rows("time_logs", [entry("r3", "R", "2025-05-01", 40)]).rows_quarantined == 0
    status = time_entries(con, "2025-01", "2025-12").set_index("entry_id").status.to_dict()
    assert status == {"r1": "counted", "r2": "after_discharge", "r3": "counted"}
    assert codes(con) == [("R", "2025-01", "99492", 1), ("R", "2025-05", "99493", 1)]
    [(reason,)] = con.execute("SELECT reason FROM marts.audit_entries WHERE entry_id = 'r2'").fetchall()
    assert "discharge on 2025-02-15 and before their re-enrolment on 2025-05-01" in reason
    assert differs_from_full(con) == []


def test_a_corrected_discharge_is_no_re_enrolment(program, load_rows):
    """A discharge cleared with the enrolment date unchanged was a mistake in the export, not a
    re-enrolment: C's minutes after the discharge that was cleared count again. And an older export
    loaded after a re-enrolment (the enrolment date moves back) takes the gap back: the row on file
    is the discharged one, and its discharge decides (after_discharge still, named without a re-enrolment)."""
    con = program([patient("C") | {"discharge_date": "2025-02-15"}, patient("O") | {"discharge_date": "2025-02-15"}],
                  [entry("c1", "C", "2025-01-10", 40), entry("c2", "C", "2025-03-10", 40),
                   entry("o1", "O", "2025-01-10", 40), entry("o2", "O", "2025-03-10", 40)])
    load_rows("patients", [patient("C"), patient("O") | {"enrollment_date": "2025-05-01"}])
    load_rows("patients", [patient("O") | {"discharge_date": "2025-02-15"}])
    status = time_entries(con, "2025-01", "2025-12").set_index("entry_id").status.to_dict()
    assert status == {"c1": "counted", "c2": "counted", "o1": "counted", "o2": "after_discharge"}
    assert codes(con) == [("C", "2025-01", "99492", 1), ("C", "2025-03", "99493", 1), ("O", "2025-01", "99492", 1)]
    [(reason,)] = con.execute("SELECT reason FROM marts.audit_entries WHERE entry_id = 'o2'").fetchall()
    assert "no re-enrolment is on file" in reason


def test_a_re_enrolment_date_corrected_later_moves_the_days_that_do_not_count(program, load_rows):
    """billing_rules.md s2: minutes between a discharge and the re-enrolment do not count. G is
    discharged on 3 March 2025; the next export enrols G again on 1 June, and the one after corrects
    that to 5 June (the enrolment date moved, no discharge between: a correction, not a third
    enrolment). An entry of 3 June falls after the discharge and before the re-enrolment on file:
    it does not count (it counted while the rule read the re-enrolment of the export that first
    brought it, 1 June), and the loader warns of it as billing judges it; 5 June counts. The audit
    names the re-enrolment on file."""
    con = program([patient("G") | {"discharge_date": "2025-03-03"}], [entry("g1", "G", "2025-02-10", 40)])
    load_rows("patients", [patient("G") | {"enrollment_date": "2025-06-01"}])
    assert load_rows("patients", [patient("G") | {"enrollment_date": "2025-06-05"}]).rows_reenrolled == 0
    load_rows("time_logs", [entry("g2", "G", "2025-06-03", 20), entry("g3", "G", "2025-06-05", 40)])
    status = time_entries(con, "2025-01", "2025-12").set_index("entry_id").status.to_dict()
    assert status == {"g1": "counted", "g2": "after_discharge", "g3": "counted"}
    assert codes(con) == [("G", "2025-02", "99492", 1), ("G", "2025-06", "99493", 1)]
    [(reason,)] = con.execute("SELECT reason FROM marts.audit_entries WHERE entry_id = 'g2'").fetchall()
    assert "after the patient's discharge on 2025-03-03 and before their re-enrolment on 2025-06-05" in reason
    assert con.execute("SELECT row_key FROM meta.row_warnings WHERE check_name = 'on or before discharge'").fetchall() == [("g2",)]
    assert differs_from_full(con) == []


def test_a_discharge_a_later_export_enters_or_moves_earlier_warns_of_the_entries_after_it(program, load_rows):
    """Data contract "on or before discharge", judged again when a patients export changes a
    discharge: D's entries of 10 and 20 March loaded clean; an export discharging D on 15 March
    makes the 20th a late entry, which billing stops counting (after_discharge), and the warning
    says so from that load on. Moving the discharge to 5 March warns of the 10th too, and the 20th
    keeps its warning (and its time), which names the discharge on file now; moving it to 25 March
    settles both. The date is quoted as its export wrote it (03/20/2025 read as 2025-03-20). A
    change to another column (the care manager) judges nothing again: a store an earlier version
    loaded, which has no warning for an entry a discharge precedes, is not told it moved."""
    con = program([patient("D")], [entry("d1", "D", "2025-03-10", 20), entry("d2", "D", "03/20/2025", 20)])
    warned = "SELECT row_key, reason, recorded_at FROM meta.row_warnings WHERE check_name = 'on or before discharge' ORDER BY row_key"
    assert con.execute(warned).fetchall() == []
    first = load_rows("patients", [patient("D") | {"discharge_date": "2025-03-15"}])
    assert summary_line(first.path, first).endswith(
        "; 1 stored time-log entry now after a discharge (billing counts none of their minutes; "
        "`bcm warnings --table time_logs` lists them)")
    [(key, reason, first_at)] = con.execute(warned).fetchall()
    assert (key, reason) == ("d2", "service_date '03/20/2025' (read as 2025-03-20) is after the patient's discharge_date 2025-03-15")
    assert time_entries(con, "2025-03").set_index("entry_id").status.to_dict() == {"d1": "counted", "d2": "after_discharge"}
    load_rows("patients", [patient("D") | {"discharge_date": "2025-03-05"}])
    (d1, d2) = con.execute(warned).fetchall()
    assert d1[:2] == ("d1", "service_date 2025-03-10 is after the patient's discharge_date 2025-03-05")
    assert d2 == ("d2", reason.replace("2025-03-15", "2025-03-05"), first_at)
    later = load_rows("patients", [patient("D") | {"discharge_date": "2025-03-25"}])
    assert "; 2 stored time-log entries no longer after a discharge (their warning is dropped)" in summary_line(later.path, later)
    assert con.execute(warned).fetchall() == []
    assert time_entries(con, "2025-03").set_index("entry_id").status.to_dict() == {"d1": "counted", "d2": "counted"}
    load_rows("time_logs", [entry("d3", "D", "2025-03-28", 20)])
    con.execute("DELETE FROM meta.row_warnings WHERE row_key = 'd3'")  # as a store an earlier version loaded
    other = load_rows("patients", [patient("D") | {"discharge_date": "2025-03-25", "care_manager_id": "BCM2"}])
    assert other.rows_changed == 1 and "after a discharge" not in summary_line(other.path, other)
    assert con.execute(warned).fetchall() == []


def test_a_warning_a_patients_load_adds_names_the_column_as_the_entry_s_file_does(program, load_rows):
    """An export writing "Service Date" for service_date: its warnings name the column so ("Service
    Date [service_date] ..."), the one given at its load and the one a later discharge adds alike,
    and both name the discharge on file."""
    own = [{("Service Date" if k == "service_date" else k): v for k, v in row.items()}
           for row in (entry("h1", "H", "2025-03-10", 20), entry("h2", "H", "2025-03-20", 20))]
    con = program([patient("H") | {"discharge_date": "2025-03-15"}], own)
    load_rows("patients", [patient("H") | {"discharge_date": "2025-03-05"}])
    assert con.execute("SELECT row_key, reason FROM meta.row_warnings WHERE check_name = 'on or before discharge' "
                       "ORDER BY row_key").fetchall() == [
        ("h1", "Service Date [service_date] 2025-03-10 is after the patient's discharge_date 2025-03-05"),
        ("h2", "Service Date [service_date] 2025-03-20 is after the patient's discharge_date 2025-03-05")]


def test_an_enrolment_date_a_later_export_corrects_moves_the_before_enrolment_warnings(program, load_rows):
    """Data contract "on or after enrolment", judged again when a patients export changes the
    enrolment date: E, enrolled on 1 March 2025, has entries of 20 February (warned: before the
    enrolment) and 10 March. A correction to 15 February settles the first; one to 15 March warns of
    both. Billing reads consent, not the enrolment date, so both count throughout."""
    con = program([patient("E") | {"enrollment_date": "2025-03-01"}],
                  [entry("e1", "E", "2025-02-20", 20), entry("e2", "E", "2025-03-10", 20)])
    warned = "SELECT row_key FROM meta.row_warnings WHERE check_name = 'on or after enrolment' ORDER BY row_key"
    assert con.execute(warned).fetchall() == [("e1",)]
    load_rows("patients", [patient("E") | {"enrollment_date": "2025-02-15"}])
    assert con.execute(warned).fetchall() == []
    load_rows("patients", [patient("E") | {"enrollment_date": "2025-03-15"}])
    assert con.execute(warned).fetchall() == [("e1",), ("e2",)]
    [(reason,)] = con.execute("SELECT reason FROM meta.row_warnings WHERE row_key = 'e2'").fetchall()
    assert reason == "service_date 2025-03-10 is before the patient's enrollment_date 2025-03-15"
    assert set(time_entries(con, "2025-02", "2025-03").status) == {"counted"}


def test_a_re_enrolment_leaves_the_earlier_months_under_the_earlier_enrolment(program, load_rows):
    """billing_rules.md s2-s4: a re-enrolment replaces the patient's row (the export is keyed by patient),
    and may come with a new consent date, another clinic (another billing setting), another treating
    practitioner or another program. The months before it are billed under the enrolment they were
    served in. R, in CoCM at the practice from 2024 and discharged on 15 February 2025, comes back on
    1 May with a new consent (1 May): January's 40 minutes were consented (counted, 99492, not
    before_consent), and May continues the episode inside 6 months (99493). P comes back in general
    BHI at the health center FQ, under another practitioner: January stays CoCM at the practice (99492
    under P's first NPI; it billed G0511 before), May is general BHI at an FQHC in 2025 (G0511 under the
    new NPI). The incremental build equals a full one."""
    con = program([patient("R") | {"discharge_date": "2025-02-15"}, patient("P") | {"discharge_date": "2025-02-15"}],
                  [entry("r1", "R", "2025-01-10", 40), entry("p1", "P", "2025-01-10", 40)])
    load_rows("patients", [patient("R", consent="2025-05-01") | {"enrollment_date": "2025-05-01"},
                           patient("P", clinic="FQ", program="general_bhi", npi="1245319599") | {"enrollment_date": "2025-05-01"}])
    assert load_rows("time_logs", [entry("r3", "R", "2025-05-01", 40), entry("p3", "P", "2025-05-02", 40)]).rows_quarantined == 0
    status = time_entries(con, "2025-01", "2025-12").set_index("entry_id").status.to_dict()
    assert status == {"p1": "counted", "p3": "counted", "r1": "counted", "r3": "counted"}
    assert codes(con) == [("P", "2025-01", "99492", 1), ("P", "2025-05", "G0511", 1),
                          ("R", "2025-01", "99492", 1), ("R", "2025-05", "99493", 1)]
    lines = billing_lines(con, "2025-01", "2025-12").set_index(["patient_id", "service_month"])
    assert lines.loc[("P", "2025-01"), ["clinic_id", "billing_setting", "program", "billing_provider_npi"]].tolist() == [
        "PP", "physician_practice", "cocm", "1234567893"]
    assert lines.loc[("P", "2025-05"), ["clinic_id", "billing_setting", "program", "billing_provider_npi"]].tolist() == [
        "FQ", "fqhc", "general_bhi", "1245319599"]
    assert differs_from_full(con) == []


def test_an_entry_of_an_earlier_enrolment_is_not_warned_as_before_enrolment(program, load_rows):
    """The loader warns of an entry before the patient's enrolment (data contract "on or after
    enrolment"). After a re-enrolment the row on file holds the new enrolment date, so the check reads
    the patient's first enrolment: W's January entry, served in the enrolment a re-enrolment on 1 May
    replaced, loads without a warning (it had one), and one from before the first enrolment (2023)
    still has one, naming the first enrolment's date."""
    con = program([patient("W") | {"discharge_date": "2025-02-15"}, patient("X")], [entry("x1", "X", "2025-01-10", 40)])
    load_rows("patients", [patient("W") | {"enrollment_date": "2025-05-01"}])
    load_rows("time_logs", [entry("w1", "W", "2025-01-10", 40), entry("w0", "W", "2023-12-20", 10),
                            entry("w3", "W", "2025-05-02", 40)])
    assert con.execute("SELECT row_key, reason FROM meta.row_warnings WHERE check_name = 'on or after enrolment'").fetchall() == [
        ("w0", "service_date 2023-12-20 is before the patient's enrollment_date 2024-01-01")]


def test_an_entry_after_a_discharge_is_warned_of_until_a_re_enrolment_takes_it_in(program, load_rows):
    """Data contract "on or before discharge": time after a discharge is a late entry or a missed
    re-enrolment. V is discharged on 3 March 2025; entries of 10 and 25 March load with the warning.
    V is enrolled again on 20 March: the 25th is the new enrolment's and counts, and its warning goes
    (it stayed, beside a billed minute); the 10th, between the discharge and the re-enrolment, keeps
    it; the load line says the change is a re-enrolment (a later correction of the row is not). Entries
    loaded after the re-enrolment are judged by the enrolment of their day: the 12th is warned (the
    row on file has no discharge, and it was not), the 26th is not."""
    con = program([patient("V") | {"discharge_date": "2025-03-03"}],
                  [entry("v1", "V", "2025-03-10", 20), entry("v2", "V", "2025-03-25", 20)])
    warned = "SELECT row_key, reason FROM meta.row_warnings WHERE check_name = 'on or before discharge' ORDER BY row_key"
    assert [k for k, _ in con.execute(warned).fetchall()] == ["v1", "v2"]
    back = load_rows("patients", [patient("V") | {"enrollment_date": "2025-03-20"}])
    assert "read 1 = loaded 1 (1 changed, 1 of them a re-enrolment) + quarantined 0" in summary_line(back.path, back)
    assert con.execute(warned).fetchall() == [("v1", "service_date 2025-03-10 is after the patient's discharge_date 2025-03-03")]
    moved = load_rows("patients", [patient("V", clinic="FQ") | {"enrollment_date": "2025-03-20"}])  # a correction: no re-enrolment
    assert (moved.rows_changed, moved.rows_reenrolled) == (1, 0) and "(1 changed) +" in summary_line(moved.path, moved)
    load_rows("time_logs", [entry("v3", "V", "2025-03-12", 20), entry("v4", "V", "2025-03-26", 20)])
    assert con.execute(warned).fetchall() == [("v1", "service_date 2025-03-10 is after the patient's discharge_date 2025-03-03"),
                                              ("v3", "service_date 2025-03-12 is after the patient's discharge_date 2025-03-03")]
    status = time_entries(con, "2025-03").set_index("entry_id").status.to_dict()
    assert status == {"v1": "after_discharge", "v2": "counted", "v3": "after_discharge", "v4": "counted"}


def test_an_earlier_enrolment_replaced_in_its_own_month_wins_no_month(program, load_rows):
    """Discharged on 3 March 2025 and enrolled again on 20 March in general BHI: March is billed under
    the enrolment that starts latest in it (as a month is under the payer period that starts latest),
    and the months before under the first. Q's 10 minutes on 2 March and 15 on 25 March make 25
    minutes of general BHI (99484, 20 minutes); February's 40 stay CoCM (99492)."""
    con = program([patient("Q") | {"discharge_date": "2025-03-03"}],
                  [entry("q1", "Q", "2025-02-10", 40), entry("q2", "Q", "2025-03-02", 10)])
    load_rows("patients", [patient("Q", program="general_bhi") | {"enrollment_date": "2025-03-20"}])
    load_rows("time_logs", [entry("q3", "Q", "2025-03-25", 15)])
    assert codes(con) == [("Q", "2025-02", "99492", 1), ("Q", "2025-03", "99484", 1)]
    assert con.execute("""SELECT strftime(from_month, '%Y-%m'), strftime(until_month, '%Y-%m'), program
                          FROM marts.enrolment_periods ORDER BY from_month""").fetchall() == [
        ("0001-01", "2025-02", "cocm"), ("2025-03", "9999-12", "general_bhi")]


def test_minutes_before_a_discharge_in_the_month_of_a_re_enrolment_are_judged_by_the_consent_then_on_file(program, load_rows):
    """billing_rules.md s3: minutes before the patient's consent date do not count; s2: a re-enrolment
    inside 6 months continues the episode. S, consented in 2024, is discharged on 3 March 2025 and
    enrolled again on 20 March with a new consent (20 March). March is billed under the new
    enrolment, but S's 30 minutes on 2 March were served under the consent then on file (2024), so
    they count (they read before_consent, judged by the consent of 20 March); 10 March falls between
    the discharge and the re-enrolment (after_discharge); 25 March counts. March: 30 + 10 = 40 minutes,
    99493 (February's 99492 began the episode; March was 10 minutes, nothing). An entry of 19 March
    under a patient first enrolled that month (T, consent 20 March) is still before consent."""
    con = program([patient("S") | {"discharge_date": "2025-03-03"},
                   patient("T", consent="2025-03-20") | {"enrollment_date": "2025-03-20"}],
                  [entry("s1", "S", "2025-02-10", 40), entry("s2", "S", "2025-03-02", 30),
                   entry("t1", "T", "2025-03-19", 30), entry("t2", "T", "2025-03-25", 40)])
    load_rows("patients", [patient("S", consent="2025-03-20") | {"enrollment_date": "2025-03-20"}])
    load_rows("time_logs", [entry("s3", "S", "2025-03-10", 20), entry("s4", "S", "2025-03-25", 10)])
    status = time_entries(con, "2025-02", "2025-03").set_index("entry_id").status.to_dict()
    assert status == {"s1": "counted", "s2": "counted", "s3": "after_discharge", "s4": "counted",
                      "t1": "before_consent", "t2": "counted"}
    assert codes(con) == [("S", "2025-02", "99492", 1), ("S", "2025-03", "99493", 1), ("T", "2025-03", "99492", 1)]
    assert differs_from_full(con) == []


def test_three_enrolments_in_one_month_judge_each_day_by_its_own(program, load_rows):
    """billing_rules.md s2-s3, with two re-enrolments in March 2025: Y, consented in 2024, is
    discharged on 3 March, enrolled again on 10 March (consent 10 March), discharged on 15 March and
    enrolled again on 20 March (consent 20 March). Each day is judged by the enrolment it fell in:
    2 March (the first, consented), 12 March (the second, consented that day) and 25 March count;
    5 March and 17 March fall between a discharge and the next enrolment. March: 3 x 15 = 45
    minutes after February's 99492 (40 minutes), 99493. The audit names each gap's own discharge
    and re-enrolment. An entry before every enrolment is judged by the first: Z, enrolled on 1 March
    with consent on 20 February, logs 40 minutes on 25 February (counted: the loader warns it is
    before enrolment, the consent rule is billing's)."""
    con = program([patient("Y") | {"discharge_date": "2025-03-03"},
                   patient("Z", consent="2025-02-20") | {"enrollment_date": "2025-03-01"}],
                  [entry("y1", "Y", "2025-02-10", 40), entry("y2", "Y", "2025-03-02", 15), entry("z1", "Z", "2025-02-25", 40)])
    load_rows("patients", [patient("Y", consent="2025-03-10") | {"enrollment_date": "2025-03-10", "discharge_date": "2025-03-15"}])
    assert load_rows("patients", [patient("Y", consent="2025-03-20") | {"enrollment_date": "2025-03-20"}]).rows_reenrolled == 1
    load_rows("time_logs", [entry("y3", "Y", "2025-03-05", 15), entry("y4", "Y", "2025-03-12", 15),
                            entry("y5", "Y", "2025-03-17", 15), entry("y6", "Y", "2025-03-25", 15)])
    status = time_entries(con, "2025-02", "2025-03").set_index("entry_id").status.to_dict()
    assert status == {"y1": "counted", "y2": "counted", "y3": "after_discharge", "y4": "counted",
                      "y5": "after_discharge", "y6": "counted", "z1": "counted"}
    assert codes(con) == [("Y", "2025-02", "99492", 1), ("Y", "2025-03", "99493", 1), ("Z", "2025-02", "99492", 1)]
    reasons = dict(con.execute("SELECT entry_id, reason FROM marts.audit_entries WHERE entry_id IN ('y3', 'y5')").fetchall())
    assert "discharge on 2025-03-03 and before their re-enrolment on 2025-03-10" in reasons["y3"]
    assert "discharge on 2025-03-15 and before their re-enrolment on 2025-03-20" in reasons["y5"]
    assert differs_from_full(con) == []


def test_texas_and_north_carolina_medicaid_bill_from_the_dates_their_sources_give(program):
    """The state rulesets through the engine, each rule at the date its cited source gives
    (texas_medicaid.yaml, north_carolina_medicaid.yaml `sources`). By hand:
    Texas (TMHP 2022-04-15): TP 40 minutes in 2022-05 bill nothing (CoCM is a benefit from 2022-06-01)
    and in 2022-06 bill 99492 (May's minutes count toward no code, so June starts the episode).
    Texas (TMHP 2025-01-10): TF at the FQHC, 60 minutes in 2025-02 bill nothing, in 2025-03 G0512,
    and G0512 again in 2026-01 (no switch to the CPT codes). North Carolina (2022-12-15): NG 20
    minutes in 2022-02 bill nothing (G2214 from 2022-03-01), 20 in 2022-03 G2214. North Carolina
    (2025-09-17): NC logs 40 BCM minutes in 2024-05, then 20 BCM + 20 consultant minutes in 2024-06
    (G2214: the consultant's do not count yet) and in 2024-07 (40 minutes: 99493), and 226 BCM minutes
    in 2024-08 (99494 x4, the cap; x6 uncapped). North Carolina (2025-02-28): NF at the FQHC, 60
    minutes in 2022-11 bill nothing, G0512 from 2022-12, still G0512 in 2026-01."""
    early = {"consent_date": "2022-01-01", "enrollment_date": "2022-01-01"}
    pats = [patient(p, payer="Medicaid", clinic=c) | early for p, c in (("TP", "PP"), ("TF", "FQ"), ("NG", "PP"),
                                                                        ("NC", "PP"), ("NF", "FQ"))]
    consultant = {"role": "psychiatric_consultant", "staff": "PC1", "activity": "caseload_review"}
    con = program(pats, [
        entry("tp1", "TP", "2022-05-10", 40), entry("tp2", "TP", "2022-06-10", 40),
        entry("tf1", "TF", "2025-02-10", 60), entry("tf2", "TF", "2025-03-10", 60), entry("tf3", "TF", "2026-01-10", 60),
        entry("ng1", "NG", "2022-02-10", 20), entry("ng2", "NG", "2022-03-10", 20),
        entry("nc1", "NC", "2024-05-10", 40), entry("nc2", "NC", "2024-06-10", 20), entry("nc3", "NC", "2024-06-11", 20, **consultant),
        entry("nc4", "NC", "2024-07-10", 20), entry("nc5", "NC", "2024-07-11", 20, **consultant), entry("nc6", "NC", "2024-08-10", 226),
        entry("nf1", "NF", "2022-11-10", 60), entry("nf2", "NF", "2022-12-10", 60), entry("nf3", "NF", "2026-01-10", 60)])
    texas = [c for c in codes(con, "2022-01", "2026-12", load_rules("texas_medicaid")) if c[0].startswith("T")]
    assert texas == [("TF", "2025-03", "G0512", 1), ("TF", "2026-01", "G0512", 1), ("TP", "2022-06", "99492", 1)]
    north_carolina = [c for c in codes(con, "2022-01", "2026-12", load_rules("north_carolina_medicaid")) if c[0].startswith("N")]
    assert north_carolina == [
        ("NC", "2024-05", "99492", 1), ("NC", "2024-06", "G2214", 1), ("NC", "2024-07", "99493", 1),
        ("NC", "2024-08", "99493", 1), ("NC", "2024-08", "99494", 4),
        ("NF", "2022-12", "G0512", 1), ("NF", "2026-01", "G0512", 1), ("NG", "2022-03", "G2214", 1)]


def test_the_near_threshold_worklist_leaves_out_patients_discharged_by_its_date(program):
    """V was discharged on 15 Feb with 28 minutes: as of 20 Feb the list read 'V needs 3 minutes for
    99493, 9 days left', a call to a patient off the caseload to reach a code. W, discharged on the
    25th, is still on the caseload on the 20th, as a patient with no minutes yet would be."""
    con = program(
        [patient("V") | {"discharge_date": "2025-02-15"}, patient("W") | {"discharge_date": "2025-02-25"}],
        [entry("v0", "V", "2025-01-05", 40), entry("v1", "V", "2025-02-05", 28),
         entry("w0", "W", "2025-01-05", 40), entry("w1", "W", "2025-02-05", 28)],
    )
    worklist = near_threshold(con, date(2025, 2, 20), margin=10)
    assert list(zip(worklist.patient_id, worklist.next_code, worklist.minutes_needed)) == [("W", "99493", 3)]
