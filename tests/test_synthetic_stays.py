"""The synthetic program's hospital stays and post-discharge check-in scores, and their answer key.

The generator writes facility_stays.csv (a few percent of patients in hospital for a few days,
some dated only, some timed, one still in) and, for some discharged patients, a PHQ-9 inside
their 6- or 12-month window after they left. Its countable-minutes key leaves out the minutes
logged during a stay by its own numpy rule; here the engine, loaded with the program, must find
the same minutes, under the default edge-day setting and under `count`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_answer_keys import key

from bcm_analytics.billing import countable_minutes, load_rules, time_entries
from bcm_analytics.ingest import load_paths
from bcm_analytics.models import refresh
from bcm_analytics.outcomes import caseload, prepare
from bcm_analytics.synthetic import generate_program, stays
from bcm_analytics.synthetic.activity import DATE_AND_CLOCK, DATE_ONLY, NO_TRAP, OVERLAP, Entries
from bcm_analytics.synthetic.patients import NO_DISCHARGE
from bcm_analytics.warehouse import connect


def latest_enrolments(patients: pd.DataFrame) -> pd.DataFrame:
    """Each patient's row of their latest enrolment (a re-enrolled patient has a row per enrolment),
    by patient: the discharge a check-in follows."""
    return patients.sort_values("enrollment_date").drop_duplicates("patient_id", keep="last").set_index("patient_id")


def read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """150 patients over 12 months: one chunk, as small as the demo's test program."""
    out = tmp_path_factory.mktemp("stays") / "exports"
    generate_program(out, patients=150, months=12, start="2025-01", seed=5)
    return out


def loaded(folder, exports, rules_text: str = ""):
    """The program in a new store, with its rules file (plus `rules_text`) as the store's own."""
    rules = exports / "program_rules.yaml"
    if rules_text:
        rules = folder / "rules.yaml"
        rules.write_text((exports / "program_rules.yaml").read_text() + rules_text)
    con = connect(folder / "program.duckdb", timezone="America/New_York")
    list(load_paths(con, [exports]))
    refresh(con, load_rules(rules))
    return con, load_rules(rules)


def agree(exports, con, rules) -> pd.DataFrame:
    """The key's and the engine's countable minutes side by side, asserting they are equal."""
    expected = key(exports, "countable_minutes").astype({"countable_minutes": float})
    engine = countable_minutes(con, expected.service_month.min(), expected.service_month.max(), rules)
    both = expected.merge(engine, on=["patient_id", "service_month"], how="outer", suffixes=("_key", "_engine"), indicator=True)
    assert (both._merge == "both").all()
    differ = both[both.countable_minutes_key != both.countable_minutes_engine]
    assert differ.empty, differ[["patient_id", "service_month", "countable_minutes_key", "countable_minutes_engine"]]
    return both


def test_a_few_patients_have_one_stay_of_a_few_days_of_every_kind(exports):
    found = read(exports, "facility_stays.csv")
    patients = read(exports, "patients.csv")
    assert found.patient_id.is_unique and found.patient_id.isin(patients.patient_id).all()
    assert 0.02 <= len(found) / 150 <= 0.08
    assert set(found.stay_type) == {"inpatient", "observation"}
    timed = found.admitted_at.str.len() > 10
    assert timed.any() and (~timed).any(), "some stays dated only, some with a time of admission"
    still_in = found.discharged_at == ""
    assert 1 <= still_in.sum() <= 2
    days = (pd.to_datetime(found.discharged_at[~still_in].str[:10]) - pd.to_datetime(found.admitted_at[~still_in].str[:10])).dt.days
    assert days.between(0, 9).all() and days.max() >= 2


def test_time_logs_fall_inside_stays_and_on_their_edge_days(exports):
    logs = read(exports, "time_logs.csv").merge(read(exports, "facility_stays.csv"), on="patient_id")
    day, first = logs.service_date.str[:10], logs.admitted_at.str[:10]
    last = logs.discharged_at.str[:10].replace("", "9999-12-31")
    assert ((day > first) & (day < last)).sum() >= 3, "entries strictly inside a stay"
    assert ((day == first) | (day == last)).sum() >= 2, "entries on an admission or discharge day"


def test_the_answer_key_leaves_out_hospital_minutes_as_the_engine_does(exports, tmp_path):
    con, rules = loaded(tmp_path, exports)
    statuses = time_entries(con, "2025-01", "2025-12", rules).status.value_counts()
    assert statuses.get("during_facility_stay", 0) >= 5
    agree(exports, con, rules)
    con.close()


@pytest.mark.parametrize("edge_days", ["exclude", "count"])
def test_the_key_agrees_with_the_engine_with_many_stays(tmp_path, monkeypatch, edge_days):
    """Half the patients in hospital, so every case meets the rule (timed and dated edge days,
    overlapping copies, late-evening entries, stays still going on); with edge days counted too."""
    monkeypatch.setattr(stays, "STAY_SHARE", 0.5)
    monkeypatch.setattr(stays, "default_edge_days", lambda: edge_days)
    exports = tmp_path / "exports"
    generate_program(exports, patients=400, months=10, start="2025-01", seed=2)
    assert len(read(exports, "facility_stays.csv")) >= 150
    con, rules = loaded(tmp_path, exports, f"settings: {{facility_stay_edge_days: {edge_days}}}\n")
    both = agree(exports, con, rules)
    assert (both.countable_minutes_key > 0).mean() > 0.7
    statuses = time_entries(con, "2025-01", "2025-10", rules).status.value_counts()
    assert statuses.get("counted_in_part_facility_stay", 0) >= 5, "entries that run across a timed admission or discharge"
    con.close()


def entries(day, form, start, minutes, trap, origin) -> Entries:
    """Hand-made entries of patient 0 (staff 0, care coordination)."""
    n = len(day)
    return Entries(patient=np.zeros(n, np.int64), day=np.array(day), minutes=np.array(minutes), role=np.zeros(n, np.int64),
                   staff=np.zeros(n, np.int64), activity=np.full(n, 3), mode=np.zeros(n, np.int64), form=np.array(form),
                   start=np.array(start), trap=np.array(trap), origin=np.array(origin))


def test_an_entry_across_the_discharge_time_loses_only_its_minutes_in_the_stay():
    """Stay from day 100 14:00 to day 102 09:30. The entry of day 102 at 09:00 (40 minutes) runs
    across the discharge: its 30 minutes before 09:30 are in the stay, its last 10 count (the key
    took out all 40, judging the entry by its start); the copy
    at 09:35 (5 minutes) lies inside those 10 and adds nothing. On day 100, an untimed entry is on
    an edge day (in the stay unless edge days count), one at 13:00 is before the admission, and one
    at 13:50 (20 minutes) runs 10 minutes into it."""
    s = stays.Stays(patient=np.array([0]), kind=np.array([stays.INPATIENT]), admitted=np.array([100]),
                    admitted_clock=np.array([14 * 60]), discharged=np.array([102]), discharged_clock=np.array([9 * 60 + 30]))
    e = entries(day=[100, 100, 101, 102, 102, 100],
                form=[DATE_ONLY, DATE_AND_CLOCK, DATE_ONLY, DATE_AND_CLOCK, DATE_AND_CLOCK, DATE_AND_CLOCK],
                start=[480, 780, 480, 540, 575, 830], minutes=[20, 15, 25, 40, 5, 20],
                trap=[NO_TRAP, NO_TRAP, NO_TRAP, NO_TRAP, OVERLAP, NO_TRAP], origin=[0, 1, 2, 3, 3, 4])
    covered = stays.in_stay(s, 1, e, "exclude")
    assert covered.tolist() == [True, False, True, False, False, False]
    assert stays.in_stay(s, 1, e, "count").tolist() == [False, False, True, False, False, False]
    inside = stays.minutes_in_stay(s, 1, e, covered)
    assert inside.tolist() == [20, 0, 25, 30, 0, 10]

    class Consented:
        consent = np.array([0])

    assert stays.minutes_taken_out(e, Consented, inside).tolist() == [20, 0, 25, 30, 0, 10]
    still_in = stays.Stays(s.patient, s.kind, s.admitted, s.admitted_clock, np.array([NO_DISCHARGE]), np.array([stays.NO_CLOCK]))
    assert stays.in_stay(still_in, 1, e, "exclude").tolist() == [True, False, True, True, True, False]


def test_an_entry_past_midnight_across_the_admission_loses_its_minutes_after_it():
    """Admitted on day 100 at 23:55. An entry of day 100 at 23:50 of 20 minutes runs past midnight:
    its 15 minutes from the admission on are in the stay (the key took out 5, cutting the entry at
    its day's midnight), its first 5 count."""
    s = stays.Stays(patient=np.array([0]), kind=np.array([stays.INPATIENT]), admitted=np.array([100]),
                    admitted_clock=np.array([23 * 60 + 55]), discharged=np.array([103]), discharged_clock=np.array([10 * 60]))
    e = entries(day=[100], form=[DATE_AND_CLOCK], start=[23 * 60 + 50], minutes=[20], trap=[NO_TRAP], origin=[0])
    covered = stays.in_stay(s, 1, e, "exclude")
    assert covered.tolist() == [False]
    assert stays.minutes_in_stay(s, 1, e, covered).tolist() == [15]


def test_some_discharged_patients_give_a_score_in_their_window_after_discharge(exports):
    patients = latest_enrolments(read(exports, "patients.csv"))
    dirty = key(exports, "dirty_rows").query("file == 'assessments.csv'").line.astype(int) - 2
    phq = read(exports, "assessments.csv").drop(index=dirty).query("instrument == 'PHQ-9'")
    phq = phq.assign(day=pd.to_datetime(phq.administered_on.str[:10])).sort_values(["patient_id", "day"])
    baseline = phq.groupby("patient_id").day.first()
    discharge = pd.to_datetime(phq.patient_id.map(patients.discharge_date).replace("", None))
    after = phq[phq.day > discharge]
    assert after.patient_id.nunique() >= 3
    since = (after.day - after.patient_id.map(baseline)).dt.days
    assert (since.between(120, 240) | since.between(305, 425)).all(), "inside the 6- or 12-month window"
    assert not after.patient_id.map(patients.discharge_reason).eq("lost_to_follow_up").any()
    discharged = patients.index[patients.discharge_date != ""]
    assert len(set(discharged) - set(after.patient_id)) > len(set(after.patient_id)), "most leave no score behind"


def test_the_engine_measures_check_ins_after_discharge_and_lists_windows_still_due(exports, tmp_path):
    con, _ = loaded(tmp_path, exports)
    measured = con.execute("""SELECT count(*) FROM marts.outcome_windows w JOIN marts.outcome_episodes e USING (episode_id)
                          WHERE w.score_date > e.discharge_date AND w.window_name IN ('6m', '12m')""").fetchone()[0]
    assert measured >= 3
    due = caseload.worklists(prepare(con))["followup_due"]
    assert len(due) > 0 and due.discharge_date.notna().any()
    con.close()


def test_each_check_in_comes_with_its_care_managers_call_that_day_which_counts_for_nothing(exports, tmp_path):
    """A check-in score after discharge is given on a follow-up call the care manager logs that day
    (8-25 minutes); the episode ended at the discharge (billing_rules.md s2), so the engine reads
    each call after_discharge and the key, by its own rule, counts none of it (agree: same minutes)."""
    patients = latest_enrolments(read(exports, "patients.csv"))
    dirty = key(exports, "dirty_rows").query("file == 'assessments.csv'").line.astype(int) - 2
    scores = read(exports, "assessments.csv").drop(index=dirty)
    scores = scores.assign(day=scores.administered_on.str[:10])
    after = scores[scores.day > scores.patient_id.map(patients.discharge_date).replace("", "9999")]
    logs = read(exports, "time_logs.csv").assign(day=lambda t: t.service_date.str[:10])
    late = logs[logs.day > logs.patient_id.map(patients.discharge_date).replace("", "9999")]
    assert sorted(zip(late.patient_id, late.day)) == sorted(zip(after.patient_id, after.day))
    assert (late.staff_id.to_numpy() == late.patient_id.map(patients.care_manager_id).to_numpy()).all()
    assert set(late.activity_type) == {"follow_up_contact"} and late.minutes.astype(int).between(8, 25).all()
    con, rules = loaded(tmp_path, exports)
    statuses = time_entries(con, "2025-01", "2025-12", rules).set_index("entry_id").status
    assert set(statuses[late.entry_id]) == {"after_discharge"}
    agree(exports, con, rules)
    con.close()


def test_the_key_cuts_an_entry_across_the_spring_forward_at_the_stay_in_real_time():
    """As the engine does (test_billing_stays), Chicago, 8 Mar 2026: an entry at 01:50 of 30 minutes
    ends at 03:20, 02:00 CST being 03:00 CDT. Admitted at 03:00 its last 20 minutes are in the
    stay, at 03:10 its last 10; discharged at 03:00 its first 10, at 03:10 its first 20 (by the
    clock, 01:50-02:20 ended before any of them: 0 or 30). real_clocks reads each time of day as
    the minutes really passed since the day's local midnight, in the patient's clinic's zone."""
    day = (np.datetime64("2026-03-08") - np.datetime64("1970-01-01")).astype(np.int64)
    s = stays.Stays(patient=np.arange(4), kind=np.full(4, stays.INPATIENT),
                    admitted=np.array([day, day, day - 4, day - 4]), admitted_clock=np.array([180, 190, 600, 600]),
                    discharged=np.array([day + 4, day + 4, day, day]), discharged_clock=np.array([600, 600, 180, 190]))
    e = Entries(patient=np.arange(4), day=np.full(4, day), minutes=np.full(4, 30), role=np.zeros(4, np.int64),
                staff=np.zeros(4, np.int64), activity=np.full(4, 3), mode=np.zeros(4, np.int64),
                form=np.full(4, DATE_AND_CLOCK), start=np.full(4, 110), trap=np.full(4, NO_TRAP), origin=np.arange(4))
    s, e = stays.real_clocks(s, e, np.full(4, "America/Chicago"))
    covered = stays.in_stay(s, 4, e, "exclude")
    assert covered.tolist() == [False] * 4
    assert stays.minutes_in_stay(s, 4, e, covered).tolist() == [20, 10, 10, 20]
