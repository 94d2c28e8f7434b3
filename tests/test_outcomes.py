"""Patient-level outcome measures on hand-written rows, one boundary per test.

Every patient enrols on 2025-01-06 with a baseline that day unless the test says otherwise;
"day N" is N days after the baseline. The as-of date is far in the future (every window closed)
unless a test is about pending windows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_drr_e import later_episode

from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import load_definitions, patient_outcomes, prepare

ENROL = dt.date(2025, 1, 6)
LATE = "2026-12-31"


def day(n: int) -> str:
    return (ENROL + dt.timedelta(days=n)).isoformat()


def patient(pid: str, enrolled: str = ENROL.isoformat(), discharged: str = "", **extra) -> dict:
    row = {"patient_id": pid, "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1",
           "birth_date": "1970-05-01", "sex": "F", "enrollment_date": enrolled, "discharge_date": discharged,
           "discharge_reason": ""}
    return row | extra


def items(total: int, n: int, item9: int = 0) -> dict:
    """Item answers (0-3) adding up to `total`, item 9 as given (PHQ-9) so the row passes the item-sum check."""
    answers, rest = [0] * n, total - (item9 if n == 9 else 0)
    for i in range(n if n != 9 else 8):
        answers[i] = min(3, rest)
        rest -= answers[i]
    if n == 9:
        answers[8] = item9
    return {f"item_{i + 1}": (answers[i] if i < n else "") for i in range(9)}


def score(pid: str, when: str, total: int, instrument: str = "PHQ-9", item9: int = 0, sid: str | None = None) -> dict:
    n = 9 if instrument in ("PHQ-9", "PHQ-A") else 7
    return {"assessment_id": sid or f"{pid}-{instrument}-{when}", "patient_id": pid, "instrument": instrument,
            "administered_on": when, "total_score": total, **items(total, n, item9)}


@pytest.fixture
def program(load_rows, store):
    """program(patients, scores, time_logs=None) loads the rows and returns the store."""

    def _load(patients, scores, time_logs=None):
        for table, rows in (("patients", patients), ("assessments", scores), ("time_logs", time_logs)):
            if rows:
                result = load_rows(table, rows)
                assert result.rows_quarantined == 0, f"{table}: fixture rows were quarantined"
        return store

    return _load


def outcomes(con, as_of=LATE, **kw) -> pd.DataFrame:
    return patient_outcomes(con, as_of, **kw).set_index("patient_id")


def test_six_month_window_is_days_120_to_240_inclusive(program):
    """Baseline 20, one follow-up of 4 on day 119 / 120 / 240 / 241."""
    days = {"D119": 119, "D120": 120, "D240": 240, "D241": 241}
    con = program([patient(p) for p in days],
                  [score(p, day(0), 20) for p in days] + [score(p, day(n), 4) for p, n in days.items()])
    out = outcomes(con)
    assert out["remission_6m_status"].to_dict() == {"D119": "no_followup", "D120": "met", "D240": "met",
                                                    "D241": "no_followup"}
    assert out["followup_6m"].to_dict() == {"D119": False, "D120": True, "D240": True, "D241": False}
    assert out.loc["D241", "remission_6m"] == False  # noqa: E712  (no score in the window: not met)


def test_twelve_week_and_twelve_month_windows(program):
    """12 weeks: days 70-98; 12 months: 365 +/- 60 = days 305-425."""
    cases = {"W69": 69, "W70": 70, "W98": 98, "W99": 99, "M304": 304, "M305": 305, "M425": 425, "M426": 426}
    con = program([patient(p) for p in cases],
                  [score(p, day(0), 20) for p in cases] + [score(p, day(n), 4) for p, n in cases.items()])
    out = outcomes(con)
    assert out.loc[["W69", "W70", "W98", "W99"], "followup_12w"].tolist() == [False, True, True, False]
    assert out.loc[["M304", "M305", "M425", "M426"], "followup_12m"].tolist() == [False, True, True, False]


def test_response_at_exactly_half_of_baseline(program):
    """Baseline 20: 10 is a response (exactly 50%), 11 is not; baseline 15: 7 is, 8 is not."""
    cases = {"R10": (20, 10), "R11": (20, 11), "R7": (15, 7), "R8": (15, 8)}
    con = program([patient(p) for p in cases],
                  [score(p, day(0), b) for p, (b, _) in cases.items()] + [score(p, day(180), s) for p, (_, s) in cases.items()])
    out = outcomes(con)
    assert out["response_6m"].to_dict() == {"R10": True, "R11": False, "R7": True, "R8": False}
    assert out["response"].to_dict() == {"R10": True, "R11": False, "R7": True, "R8": False}


def test_remission_is_below_5(program):
    con = program([patient("S5"), patient("S4")],
                  [score("S5", day(0), 18), score("S5", day(150), 5), score("S4", day(0), 18), score("S4", day(150), 4)])
    out = outcomes(con)
    assert out["remission_6m"].to_dict() == {"S4": True, "S5": False}
    assert out["remission_6m_status"].to_dict() == {"S4": "met", "S5": "not_met"}


def test_the_most_recent_score_in_the_window_counts_not_the_best(program):
    """Day 130: 3 (remission), day 200: 12. The 6-month outcome is the 12."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(130), 3), score("P1", day(200), 12)])
    row = outcomes(con).loc["P1"]
    assert row["score_6m"] == 12 and row["remission_6m"] == False and row["response_6m"] == False  # noqa: E712


def test_scores_after_the_window_are_ignored(program):
    """Day 150: 15; day 260 (after the window): 2. 6 months: not met; latest: a remission."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 15), score("P1", day(260), 2)])
    row = outcomes(con).loc["P1"]
    assert (row["score_6m"], row["response_6m"], row["remission_6m"]) == (15, False, False)
    assert (row["latest_score"], row["response"], row["remission"]) == (2, True, True)


def test_baseline_below_10_is_outside_the_denominators(program):
    con = program([patient("LOW"), patient("HIGH")],
                  [score("LOW", day(0), 9), score("LOW", day(150), 2), score("HIGH", day(0), 12), score("HIGH", day(150), 2)])
    run = prepare(con, LATE)
    out = run.patients().set_index("patient_id")
    assert out.loc["LOW", "eligible"] == False and out.loc["LOW", "remission_6m_status"] == "not_eligible"  # noqa: E712
    assert pd.isna(out.loc["LOW", "remission_6m"])
    six = run.program_measures("2025-01", "2025-01").set_index("window_name").loc["6m"]
    assert (six["eligible"], six["denominator"], six["remitters"]) == (1, 1, 1)


def test_same_day_scores_later_time_wins(program):
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", f"{day(150)} 15:00", 8, sid="late"),
                                    score("P1", f"{day(150)} 09:00", 3, sid="early")])
    row = outcomes(con).loc["P1"]
    assert row["score_6m"] == 8 and row["same_day_scores_untimed"] == False  # noqa: E712


def test_same_day_scores_without_time_use_the_higher_and_are_flagged(program):
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 3, sid="a"),
                                    score("P1", day(150), 8, sid="b")])
    row = outcomes(con).loc["P1"]
    assert row["score_6m"] == 8 and row["same_day_scores_untimed"] == True  # noqa: E712


def test_item_9_positive_with_a_low_total(program):
    """Total 3 is a remission, and item 9 = 1 is still a safety flag (kept apart from the rates)."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 3, item9=1)])
    row = outcomes(con).loc["P1"]
    assert row["item9_positive"] == True and row["remission"] == True  # noqa: E712


def test_item_9_is_judged_on_the_latest_phq9_only(program):
    con = program([patient("P1")], [score("P1", day(0), 20, item9=2), score("P1", day(60), 9, item9=0)])
    assert outcomes(con).loc["P1", "item9_positive"] == False  # noqa: E712


def test_gad7_rows_follow_the_same_rules(program):
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 12),
                                    score("P1", day(0), 16, "GAD-7"), score("P1", day(150), 4, "GAD-7")])
    out = patient_outcomes(con, LATE).set_index("instrument")
    assert out.loc["GAD-7", ["baseline_score", "score_6m", "remission_6m", "response_6m"]].tolist() == [16, 4, True, True]
    assert out.loc["PHQ-9", ["remission_6m", "response_6m"]].tolist() == [False, False]
    assert out.loc["GAD-7", "severity_band"] == "minimal" and pd.isna(out.loc["GAD-7", "item9_positive"])


def test_open_windows_are_pending_not_failures(program):
    """As of day 200 the 6-month window (to day 240) is still open: pending, outside the denominator."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 15)])
    run = prepare(con, day(200))
    row = run.patients().iloc[0]
    assert row["remission_6m_status"] == "pending" and pd.isna(row["remission_6m"]) and pd.isna(row["followup_6m"])
    assert row["remission_12w_status"] == "no_followup"
    six = run.program_measures("2025-01", "2025-01").set_index("window_name").loc["6m"]
    assert (six["pending"], six["denominator"]) == (1, 0)
    assert prepare(con, day(240)).patients().iloc[0]["remission_6m_status"] == "not_met"


def test_discharge_closes_the_window_early(program):
    """With discharge_closes_windows (the earlier default): discharged on day 100 with no later
    score, the 6-month window is settled (no follow-up), not pending."""
    con = program([patient("P1", discharged=day(100), discharge_reason="goals_met")],
                  [score("P1", day(0), 20), score("P1", day(90), 4)])
    closing = load_definitions(overrides={"episode": {"discharge_closes_windows": True}})
    row = prepare(con, day(200), closing).patients().iloc[0]
    assert row["remission_6m_status"] == "no_followup" and row["active"] == False  # noqa: E712
    assert pd.isna(row["not_improving"])


def test_a_discharged_patients_window_stays_open_until_its_last_day(program):
    """By default discharge does not close the window: on day 200 the 6-month window (days
    120-240) of a patient discharged on day 100 is still pending, "not yet measurable"."""
    con = program([patient("P1", discharged=day(100), discharge_reason="goals_met")],
                  [score("P1", day(0), 20), score("P1", day(90), 4)])
    row = prepare(con, day(200)).patients().iloc[0]
    assert row["remission_6m_status"] == "pending" and row["active"] == False  # noqa: E712
    assert prepare(con, day(241)).patients().iloc[0]["remission_6m_status"] == "no_followup"


def test_baseline_may_come_up_to_14_days_before_enrolment(program):
    con = program([patient("P14"), patient("P15")],
                  [score("P14", day(-14), 20), score("P14", day(0), 12), score("P15", day(-15), 20), score("P15", day(0), 12)])
    out = outcomes(con)
    assert out["baseline_score"].to_dict() == {"P14": 20, "P15": 12}


def test_not_improving_from_day_70(program):
    """Baseline 20, day 60: 14 (not at target). As of day 69: not yet flagged; day 70: flagged."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(60), 14)])
    assert prepare(con, day(69)).patients().iloc[0]["not_improving"] == False  # noqa: E712
    assert prepare(con, day(70)).patients().iloc[0]["not_improving"] == True  # noqa: E712


def test_improvement_is_below_10_or_half(program):
    """MHIP: 9 from 12 is an improvement (below 10) though not a response."""
    con = program([patient("P1")], [score("P1", day(0), 12), score("P1", day(80), 9)])
    row = outcomes(con).loc["P1"]
    assert (row["improvement"], row["response"], row["not_improving"]) == (True, False, False)


def test_contacts_and_psychiatric_reviews(program):
    logs = [
        {"entry_id": "T1", "patient_id": "P1", "staff_role": "bhcm", "service_date": day(5), "minutes": 20,
         "activity_type": "care_coordination", "contact_mode": "none"},
        {"entry_id": "T2", "patient_id": "P1", "staff_role": "bhcm", "service_date": day(9), "minutes": 20,
         "activity_type": "care_coordination", "contact_mode": "phone"},
        {"entry_id": "T3", "patient_id": "P1", "staff_role": "bhcm", "service_date": day(30), "minutes": 10,
         "activity_type": "caseload_review", "contact_mode": "none"},
        {"entry_id": "T4", "patient_id": "P1", "staff_role": "psychiatric_consultant", "service_date": day(40),
         "minutes": 10, "activity_type": "care_coordination", "contact_mode": ""},
        {"entry_id": "T5", "patient_id": "P1", "staff_role": "bhcm", "service_date": day(50), "minutes": 15,
         "activity_type": "follow_up_contact", "contact_mode": ""},
    ]
    con = program([patient("P1")], [score("P1", day(0), 20)], logs)
    row = prepare(con, day(60)).patients().iloc[0]
    assert row["last_contact_date"].date().isoformat() == day(50)
    assert row["last_psychiatric_review_date"].date().isoformat() == day(40)
    assert row["weeks_in_treatment"] == round(60 / 7, 1)


def test_definitions_are_data(program):
    """A stricter response (<= 40%) turns a 50% drop into a non-response."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 10)])
    strict = load_definitions(overrides={"outcome": {"response_max_fraction": 0.4}})
    assert outcomes(con).loc["P1", "response_6m"] == True  # noqa: E712
    assert patient_outcomes(con, LATE, strict).iloc[0]["response_6m"] == False  # noqa: E712


def test_program_measures_of_all_and_of_measured(program):
    """Four eligible baselines: two remit at 6 months, one does not, one has no score in the window."""
    cases = {"A": 3, "B": 4, "C": 12, "D": None}
    scores = [score(p, day(0), 20) for p in cases] + [score(p, day(150), s) for p, s in cases.items() if s is not None]
    con = program([patient(p) for p in cases], scores)
    six = prepare(con, LATE).program_measures("2025-01", "2025-01").set_index("window_name").loc["6m"]
    assert (six["denominator"], six["measured"], six["remitters"], six["responders"]) == (4, 3, 2, 2)
    assert six["pct_remission"] == pytest.approx(0.5) and six["pct_remission_of_measured"] == pytest.approx(2 / 3)


def test_scores_after_discharge_count_only_when_the_definitions_say_so(program):
    """With discharge_closes_windows (the earlier default), discharged on day 100, a check-in score
    on day 150 is outside the episode unless followup_after_discharge_days allows it."""
    con = program([patient("P1", discharged=day(100), discharge_reason="goals_met")],
                  [score("P1", day(0), 20), score("P1", day(150), 3)])
    closing = load_definitions(overrides={"episode": {"discharge_closes_windows": True}})
    assert outcomes(con, params=closing).loc["P1", "remission_6m_status"] == "no_followup"
    allow = load_definitions(overrides={"episode": {"discharge_closes_windows": True, "followup_after_discharge_days": 90}})
    assert outcomes(con, params=allow).loc["P1", "remission_6m_status"] == "met"


def test_discharge_does_not_close_a_window_by_default(program):
    """outcome_measures.md section 2: HEDIS and CMS159 keep measuring after discharge, so the
    day-150 check-in of a patient discharged on day 100 is the 6-month score."""
    con = program([patient("P1", discharged=day(100), discharge_reason="goals_met")],
                  [score("P1", day(0), 20), score("P1", day(150), 3)])
    assert outcomes(con).loc["P1", "remission_6m_status"] == "met"


def test_a_score_after_the_discharge_follows_up_but_is_never_the_baseline(program):
    """Section 2: the baseline is the first score in the treatment episode; scores after discharge
    are follow-up (relapse-prevention check-ins), not a start. Each is discharged on day 20.
    CHECKIN has no score in the episode, then 15 on day 60 and 4 on day 150 (90 days after the 15):
    no baseline, so no window and in no denominator. ON_DAY is scored 15 on the discharge day itself,
    still the episode, and 4 on day 110: its 12-week window is met. Under first_eligible, EIGHT
    (8 in the episode, 15 on day 60 after the discharge) has no baseline either."""
    con = program([patient(p, discharged=day(20), discharge_reason="goals_met") for p in ("CHECKIN", "ON_DAY", "EIGHT")],
                  [score("CHECKIN", day(60), 15), score("CHECKIN", day(150), 4),
                   score("ON_DAY", day(20), 15), score("ON_DAY", day(110), 4),
                   score("EIGHT", day(0), 8), score("EIGHT", day(60), 15), score("EIGHT", day(150), 4)])
    out = outcomes(con)
    assert pd.isna(out.loc["CHECKIN", "baseline_date"]) and out.loc["CHECKIN", "eligible"] == False  # noqa: E712
    assert pd.isna(out.loc["CHECKIN", "remission_12w_status"]) and out.loc["CHECKIN", "latest_score"] == 4
    assert out.loc["ON_DAY", ["baseline_date", "remission_12w_status"]].tolist() == [pd.Timestamp(day(20)), "met"]
    twelve = prepare(con, LATE).program_measures("2025-01", "2025-03").set_index("window_name").loc["12w"]
    assert (twelve["denominator"], twelve["remitters"]) == (1, 1)  # ON_DAY alone
    under = prepare(con, LATE, load_definitions(overrides=FIRST_ELIGIBLE)).patients().set_index("patient_id")
    assert pd.isna(under.loc["EIGHT", "baseline_date"]) and pd.isna(under.loc["EIGHT", "remission_12w_status"])


def test_two_runs_on_one_connection_do_not_mix(program):
    """Temp tables belong to the connection: an earlier run rebuilds its own before answering."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", day(150), 15)])
    early, late = prepare(con, day(200)), prepare(con, day(300))
    assert early.patients().iloc[0]["remission_6m_status"] == "pending"
    assert late.patients().iloc[0]["remission_6m_status"] == "not_met"


def minutes(pid: str, when: str) -> dict:
    return {"entry_id": f"{pid}-{when}", "patient_id": pid, "staff_role": "bhcm", "service_date": when, "minutes": "20",
            "activity_type": "follow_up_contact"}


def test_months_with_time_logged_and_no_score_loaded_are_named(program):
    """An assessments export through March beside time logs through June: April's to June's windows
    read as closed without a score and the patients as not improving. The months are named, as runs."""
    patients = [patient("P1"), patient("P2")]
    con = program(patients, [score(p, f"2025-0{m}-10", 15) for p in ("P1", "P2") for m in (1, 2, 3)],
                  [minutes(p, f"2025-0{m}-12") for p in ("P1", "P2") for m in (1, 2, 3, 4, 5, 6)])
    run = prepare(con)
    assert run.as_of == dt.date(2025, 6, 12)
    assert run.scores_gap_note("2025-01") == (
        "No scores are loaded for 2025-04 to 2025-06, though time is logged in them (the store's scores run 2025-01 to "
        "2025-03): follow-up windows closing then count as without a score, and patients due a score as not improving, "
        "until those scores are loaded.")
    assert prepare(con, "2025-03-31").scores_gap_note("2025-01") is None, "as of March every month with time has scores"


def test_an_as_of_date_after_the_datas_last_day_is_said(program):
    """A director dated the page at month end, three weeks after the export's last entry: "0.0%
    contacted in the last 30 days" read as a collapse in care, and only `bcm outcomes` said why
    (on stderr). The run says it, with both days for staff and none for outside readers."""
    con = program([patient("P1")], [score("P1", "2025-03-10", 15)], [minutes("P1", "2025-03-12")])
    assert prepare(con).as_of_past_data_note() is None, "the default as-of date is the data's last day"
    assert prepare(con, "2025-03-12").as_of_past_data_note() is None
    late = prepare(con, "2025-03-31")
    assert late.as_of_past_data_note() == (
        "The as-of date, 2025-03-31, is after the data's last day, 2025-03-12: contacts and scores not yet exported read "
        "as absent, so the latest month's process rates read low and follow-up windows closing in between count as "
        "without a score, until a later export is loaded.")
    assert late.as_of_past_data_note(dated=False).startswith("The as-of date is after the data's last day: contacts")


def test_a_store_with_time_logs_and_no_scores_says_so(program):
    con = program([patient("P1")], [], [minutes("P1", "2025-01-12")])
    assert prepare(con).scores_gap_note("2025-01").startswith(
        "The store holds no scores: every follow-up window reads as without a score and every patient as not improving.")


def test_program_measures_leave_out_patients_who_died_or_went_to_hospice(program):
    """DRR-E / CMS159 exclude death and hospice (outcome_measures.md section 3), however the export
    spells the reason: 'died' is what the built-in synthea and fhir profiles write for a death,
    'Deceased' what a registry export may write. Each left in would count as a window closed
    without a follow-up score: 2 of 2 remitting would read 2 of 5."""
    reasons = {"KEEP": "goals_met", "DIED": "died", "DECEASED": "Deceased", "HOSPICE": "hospice", "PALL": "Palliative_Care"}
    con = program([patient(p, discharged=day(100), discharge_reason=r) for p, r in reasons.items()] + [patient("OPEN")],
                  [score(p, day(0), 20) for p in [*reasons, "OPEN"]] + [score("KEEP", day(150), 3), score("OPEN", day(150), 3)])
    six = prepare(con, LATE).program_measures("2025-01", "2025-01").set_index(["instrument", "window_name"]).loc[("PHQ-9", "6m")]
    assert (six["eligible"], six["denominator"], six["measured"], six["remitters"]) == (2, 2, 2, 2)



def test_a_death_after_the_as_of_date_does_not_leave_the_patient_out_yet(program):
    """A report as of day 260 (the 6-month window of day 0's baseline closed on day 240) left out of
    its measures a patient who died on day 300: the discharge was not known on day 260, and its
    reason counted all the same. As of day 300 the death is known and leaves the patient out; a
    death with no date is a death whatever the as-of date."""
    con = program([patient("LATER", discharged=day(300), discharge_reason="died"), patient("NODATE", discharge_reason="died"),
                   patient("KEEP")],
                  [score(p, day(0), 20) for p in ("LATER", "NODATE", "KEEP")] + [score(p, day(150), 3) for p in ("LATER", "KEEP")])

    def six(as_of):
        rows = prepare(con, as_of).program_measures("2025-01", "2025-01").set_index(["instrument", "window_name"])
        return rows.loc[("PHQ-9", "6m"), ["eligible", "denominator", "remitters"]].tolist()

    assert six(day(260)) == [2, 2, 2]
    assert six(day(300)) == [1, 1, 1]


def test_a_death_on_a_later_episode_leaves_an_earlier_episode_out_and_off_the_follow_up_worklist(program):
    """The episode measures excluded on the episode's own discharge reason only: a patient discharged
    (goals met) on day 100 and enrolled again, who died on day 130 in that later episode, counted in
    the first episode's 6-month measure as a window closed with no score, and was listed as due a
    follow-up score, the care team to call after a death. Death and hospice now exclude whichever of
    a patient's episodes records them, as DRR-E's do (marts.excluded_by_discharge)."""
    con = program([patient("LATER", discharged=day(100), discharge_reason="goals_met"), patient("KEEP")],
                  [score(p, day(0), 20) for p in ("LATER", "KEEP")] + [score("KEEP", day(150), 3)])
    run = prepare(con, day(150))
    later_episode(run, "LATER", day(110), day(130), "died")
    assert cl.worklists(run)["followup_due"]["patient_id"].tolist() == []  # KEEP was scored on day 150
    run = prepare(con, LATE)
    later_episode(run, "LATER", day(110), day(130), "died")
    six = run.program_measures("2025-01", "2025-01").set_index(["instrument", "window_name"]).loc[("PHQ-9", "6m")]
    assert (six["eligible"], six["denominator"], six["remitters"]) == (1, 1, 1)


def test_program_measures_start_at_age_12_at_enrolment(program):
    """Enrolled 2025-01-06: born 2013-01-06 is 12 that day (in), born 2013-01-07 is 11 (out);
    an unknown birth date is kept."""
    births = {"AGE12": "2013-01-06", "AGE11": "2013-01-07", "NOBIRTH": ""}
    con = program([patient(p, birth_date=b) for p, b in births.items()],
                  [score(p, day(0), 20) for p in births] + [score(p, day(150), 3) for p in births])
    counts = prepare(con, LATE).measure_counts("2025-01", "2025-01")
    six = counts[(counts["window_name"] == "6m") & (counts["instrument"] == "PHQ-9")].set_index(["dimension", "stratum"])
    assert six.loc[("program", "All"), "eligible"] == 2
    assert six.loc[("age_band", "12-17"), "eligible"] == 1 and six.loc[("age_band", "Unknown"), "eligible"] == 1


def test_windows_count_from_a_baseline_taken_before_enrolment(program):
    """Baseline 20 on day -14 (the earliest a baseline may come): the 6-month window is days
    120-240 after that score, enrolment days 106-226, so day 226 is in it and day 227 is not."""
    con = program([patient("P1")], [score("P1", day(-14), 20), score("P1", day(0), 18), score("P1", day(226), 4),
                                    score("P1", day(227), 19)])
    row = outcomes(con).loc["P1"]
    assert (row["baseline_score"], row["score_6m"], row["remission_6m_status"]) == (20, 4, "met")
    assert prepare(con, day(225)).patients().iloc[0]["remission_6m_status"] == "pending"
    assert prepare(con, day(226)).patients().iloc[0]["remission_6m_status"] == "met"


def test_a_phqa_baseline_and_phq9_follow_up_are_one_series(program):
    """PHQ-A is measured as PHQ-9: a teen's PHQ-A 20 at baseline and PHQ-9 8 on day 150 is a response."""
    con = program([patient("P1", birth_date="2010-03-01")], [score("P1", day(0), 20, "PHQ-A"), score("P1", day(150), 8)])
    out = patient_outcomes(con, LATE)
    assert out["instrument"].tolist() == ["PHQ-9"]
    assert out.iloc[0][["baseline_score", "score_6m", "response_6m_status", "remission_6m_status"]].tolist() == [20, 8, "met", "not_met"]


def test_no_score_since_baseline_is_not_improving(program):
    """Open episode, baseline 20 and nothing since: not improving from day 70 (no evidence of change);
    discharged, it is no longer flagged (treat to target is for open episodes)."""
    con = program([patient("OPEN"), patient("GONE", discharged=day(50), discharge_reason="moved")],
                  [score("OPEN", day(0), 20), score("GONE", day(0), 20)])
    assert prepare(con, day(69)).patients().set_index("patient_id")["not_improving"].to_dict() == {"GONE": None, "OPEN": False}
    out = prepare(con, day(70)).patients().set_index("patient_id")
    assert out.loc["OPEN", "not_improving"] == True and pd.isna(out.loc["GONE", "not_improving"])  # noqa: E712
    assert pd.isna(out.loc["OPEN", "response"]) and pd.isna(out.loc["OPEN", "remission"])


def test_a_baseline_of_exactly_10_is_in_the_denominators(program):
    """outcome_measures.md section 2: denominators include baselines >= 10. B10 (10, then 4 on
    day 150) counts and remits; B9 (9, then 4) is outside every denominator."""
    con = program([patient("B10"), patient("B9")],
                  [score("B10", day(0), 10), score("B10", day(150), 4), score("B9", day(0), 9), score("B9", day(150), 4)])
    run = prepare(con, LATE)
    out = run.patients().set_index("patient_id")
    assert out["eligible"].to_dict() == {"B10": True, "B9": False}
    assert out["remission_6m_status"].to_dict() == {"B10": "met", "B9": "not_eligible"}
    six = run.program_measures("2025-01", "2025-01").set_index("window_name").loc["6m"]
    assert (six["eligible"], six["denominator"], six["remitters"]) == (1, 1, 1)


def test_a_latest_score_of_10_is_no_improvement_and_leaves_the_patient_not_improving(program):
    """MHIP improvement is a score below 10 or a response (section 2), and treat to target flags
    the latest score that is neither. Baseline 18 on day 0, latest on day 60, as of day 80:
    T10 (10: not below 10, above 9 = half of 18) is not improved and is not improving;
    T9 (9: below 10, and exactly half) is improved; H10 (baseline 20, latest 10: exactly half, a
    response) is improved though not below 10."""
    cases = {"T10": (18, 10), "T9": (18, 9), "H10": (20, 10)}
    con = program([patient(p) for p in cases],
                  [score(p, day(0), b) for p, (b, _) in cases.items()] + [score(p, day(60), s) for p, (_, s) in cases.items()])
    out = prepare(con, day(80)).patients().set_index("patient_id")
    assert out["improvement"].to_dict() == {"H10": True, "T10": False, "T9": True}
    assert out["not_improving"].to_dict() == {"H10": False, "T10": True, "T9": False}


def test_severity_bands_at_their_lower_bounds(program):
    """Section 1: PHQ-9 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27
    severe; GAD-7 15-21 severe. Each patient's baseline is one score either side of a bound."""
    phq9 = {4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate", 15: "moderately severe",
            19: "moderately severe", 20: "severe", 27: "severe"}
    gad7 = {4: "minimal", 5: "mild", 9: "mild", 10: "moderate", 14: "moderate", 15: "severe", 21: "severe"}
    rows = [("PHQ-9", s) for s in phq9] + [("GAD-7", s) for s in gad7]
    con = program([patient(f"{i}{s}") for i, s in rows], [score(f"{i}{s}", day(0), s, i, item9=max(0, s - 24)) for i, s in rows])
    out = patient_outcomes(con, LATE)
    got = {(r.instrument, r.baseline_score): r.baseline_band for r in out.itertuples()}
    assert got == {**{("PHQ-9", s): b for s, b in phq9.items()}, **{("GAD-7", s): b for s, b in gad7.items()}}


def test_a_positive_item_9_on_either_score_of_a_day_is_the_days_flag(program):
    """Section 1: any item 9 above 0 is a same-day safety flag; two PHQ-9s on one day keep it
    whichever score the total is taken from. UNTIMED: 12 with item 9 = 1 and 14 with item 9 = 0,
    no times (the higher total, 14, is used); TIMED: item 9 = 1 at 09:00, 0 at 15:00 (the later
    total is used). ZERO: two answers of 0 that day, not positive (and not "safe": just no flag)."""
    con = program([patient(p) for p in ("UNTIMED", "TIMED", "ZERO")], [
        score("UNTIMED", day(0), 20), score("UNTIMED", day(30), 12, item9=1, sid="u1"), score("UNTIMED", day(30), 14, sid="u2"),
        score("TIMED", day(0), 20), score("TIMED", f"{day(30)} 09:00", 12, item9=1, sid="t1"),
        score("TIMED", f"{day(30)} 15:00", 14, sid="t2"),
        score("ZERO", day(0), 20), score("ZERO", day(30), 12, sid="z1"), score("ZERO", day(30), 14, sid="z2")])
    out = outcomes(con, day(40))
    assert out["latest_score"].to_dict() == {"TIMED": 14, "UNTIMED": 14, "ZERO": 14}
    assert out["item9_positive"].to_dict() == {"TIMED": True, "UNTIMED": True, "ZERO": False}


def test_a_days_score_with_no_item_9_is_unknown_though_the_other_score_answered_0(program):
    """Section 1: the flag describes the latest PHQ-9, unknown (not "no") when that score has no
    item 9. Two PHQ-9s on day 30, one answering item 9 = 0 and one a total alone (items blank):
    LATE_BLANK, 0 at 09:00 and the total alone at 15:00 (the later score is the day's: unknown);
    HIGH_BLANK, no times, 12 answering 0 and 14 alone (the higher is the day's: unknown);
    LATE_ZERO, the total alone at 09:00 and 0 at 15:00 (the day's score answered 0: no)."""
    blank = {f"item_{i}": "" for i in range(1, 10)}
    con = program([patient(p) for p in ("LATE_BLANK", "HIGH_BLANK", "LATE_ZERO")], [
        score("LATE_BLANK", day(0), 20), score("LATE_BLANK", f"{day(30)} 09:00", 12, sid="lb1"),
        score("LATE_BLANK", f"{day(30)} 15:00", 14, sid="lb2") | blank,
        score("HIGH_BLANK", day(0), 20), score("HIGH_BLANK", day(30), 12, sid="hb1"),
        score("HIGH_BLANK", day(30), 14, sid="hb2") | blank,
        score("LATE_ZERO", day(0), 20), score("LATE_ZERO", f"{day(30)} 09:00", 14, sid="lz1") | blank,
        score("LATE_ZERO", f"{day(30)} 15:00", 12, sid="lz2")])
    out = outcomes(con, day(40))
    assert out["latest_score"].to_dict() == {"LATE_BLANK": 14, "HIGH_BLANK": 14, "LATE_ZERO": 12}
    assert pd.isna(out.loc["LATE_BLANK", "item9_positive"]) and pd.isna(out.loc["HIGH_BLANK", "item9_positive"])
    assert out.loc["LATE_ZERO", "item9_positive"] == False  # noqa: E712


def test_age_bands_turn_on_the_birthday_at_enrolment(program):
    """CMS159 strata are 12-17 and 18+ (section 3): enrolled 2025-01-06, born 2007-01-07 is 17,
    born 2007-01-06 is 18 that day; 64 and 65 likewise at the 65+ band."""
    births = {"A17": "2007-01-07", "A18": "2007-01-06", "A64": "1960-01-07", "A65": "1960-01-06"}
    con = program([patient(p, birth_date=b) for p, b in births.items()], [score(p, day(0), 20) for p in births])
    out = outcomes(con)
    assert out["age_band"].to_dict() == {"A17": "12-17", "A18": "18-29", "A64": "45-64", "A65": "65+"}


def test_scores_after_discharge_count_up_to_the_last_day_the_definitions_allow(program):
    """With discharge_closes_windows, followup_after_discharge_days is the last day after the
    discharge (day 100) a score counts: the check-in on day 150 is 50 days after it, in with 50
    and out with 49."""
    con = program([patient("P1", discharged=day(100), discharge_reason="goals_met")],
                  [score("P1", day(0), 20), score("P1", day(150), 3)])

    def status(days):
        closing = load_definitions(overrides={"episode": {"discharge_closes_windows": True,
                                                          "followup_after_discharge_days": days}})
        return outcomes(con, params=closing).loc["P1", "remission_6m_status"]

    assert (status(50), status(49)) == ("met", "no_followup")


def test_same_day_scores_one_without_a_time_use_the_higher_and_are_flagged(program):
    """Section 1: the later timestamp wins only when both scores have one; a score of 3 at 15:00
    beside an untimed 8 that day leaves the order unknown: the higher, 8, is used and flagged."""
    con = program([patient("P1")], [score("P1", day(0), 20), score("P1", f"{day(150)} 15:00", 3, sid="timed"),
                                    score("P1", day(150), 8, sid="untimed")])
    row = outcomes(con).loc["P1"]
    assert row["score_6m"] == 8 and row["same_day_scores_untimed"] == True  # noqa: E712


def test_a_total_above_the_instruments_range_is_refused_not_scored(load_rows, store):
    """Section 1: PHQ-9 totals run 0-27 and GAD-7 0-21; a total outside is a data-quality failure,
    not a score. 27 and 21 are scores; 28 and 22 (no items to check them by) are quarantined and
    measure nothing."""
    load_rows("patients", [patient("P1")])
    rows = [("PHQ-9", 27), ("PHQ-9", 28), ("GAD-7", 21), ("GAD-7", 22)]
    result = load_rows("assessments", [{"assessment_id": f"{i}-{t}", "patient_id": "P1", "instrument": i,
                                        "administered_on": day(n), "total_score": t} for n, (i, t) in enumerate(rows)])
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    out = patient_outcomes(store, LATE).set_index("instrument")
    assert out[["baseline_score", "scores"]].to_dict("index") == {"PHQ-9": {"baseline_score": 27, "scores": 1},
                                                                 "GAD-7": {"baseline_score": 21, "scores": 1}}


FIRST_ELIGIBLE = {"outcome": {"baseline": "first_eligible"}}


def test_the_baseline_setting_starts_a_patient_first_scored_below_10_at_the_first_score_of_10(program):
    """LATE is scored 8 at enrolment, 15 on day 30, 4 on day 160 (day 130 after the 15). By default
    the baseline is the 8: outside the denominators. With outcome.baseline: first_eligible (DRR-E's
    index, the first PHQ-9 > 9) it is the 15 and the windows count from day 30: the 4 is in the
    6-month window (days 120-240 after the 15) and remits. TEN (first score 10) is the same either
    way; NEVER (8, then 6) has no baseline under the setting and is in no denominator."""
    con = program([patient("LATE"), patient("TEN"), patient("NEVER")],
                  [score("LATE", day(0), 8), score("LATE", day(30), 15), score("LATE", day(160), 4),
                   score("TEN", day(0), 10), score("TEN", day(150), 4),
                   score("NEVER", day(0), 8), score("NEVER", day(150), 6)])
    first = prepare(con, LATE)
    eligible = prepare(con, LATE, load_definitions(overrides=FIRST_ELIGIBLE))
    by_default, under = (run.patients().set_index("patient_id") for run in (first, eligible))
    assert by_default.loc["LATE", ["baseline_date", "baseline_score", "remission_6m_status"]].tolist() == [pd.Timestamp(day(0)), 8,
                                                                                                  "not_eligible"]
    assert under.loc["LATE", ["baseline_date", "baseline_score", "remission_6m_status"]].tolist() == [pd.Timestamp(day(30)), 15, "met"]
    assert under.loc["LATE", "score_date_6m"] == pd.Timestamp(day(160))
    cols = ["baseline_date", "baseline_score", "eligible", "remission_6m_status", "response_6m"]
    assert by_default.loc["TEN", cols].tolist() == under.loc["TEN", cols].tolist() == [pd.Timestamp(day(0)), 10, True, "met", True]
    assert under.loc["NEVER", "eligible"] == False and pd.isna(under.loc["NEVER", "baseline_score"])  # noqa: E712
    assert pd.isna(under.loc["NEVER", "remission_6m_status"]) and pd.isna(under.loc["NEVER", "not_improving"])
    six = {name: run.program_measures("2025-01", "2025-02").set_index("window_name").loc["6m"] for name, run in
           (("first_score", first), ("first_eligible", eligible))}
    assert (six["first_score"]["denominator"], six["first_score"]["remitters"]) == (1, 1)  # TEN alone
    assert (six["first_eligible"]["denominator"], six["first_eligible"]["remitters"]) == (2, 2)  # TEN and LATE


def test_under_the_baseline_setting_a_patient_never_scored_10_keeps_the_safety_flag_and_the_score_lists(program):
    """No baseline is no outcome, never a lost safety flag: NEVER (PHQ-9 of 6 with item 9 = 1) stays
    in the patient rows with its latest score and item 9, as by default."""
    con = program([patient("NEVER")], [score("NEVER", day(0), 6, item9=1)])
    from bcm_analytics.outcomes.caseload import worklists

    run = prepare(con, day(10), load_definitions(overrides=FIRST_ELIGIBLE))
    row = run.patients().iloc[0]
    assert (row["patient_id"], row["latest_score"], row["item9_positive"], row["eligible"]) == ("NEVER", 6, True, False)
    assert worklists(run)["item9_positive"]["patient_id"].tolist() == ["NEVER"]


def test_under_the_baseline_setting_not_improving_counts_from_the_first_score_of_10(program):
    """8 at enrolment, 18 on day 30, 16 on day 90. By default the 8 is the baseline and 16 is no
    improvement, flagged from day 70; under first_eligible the 18 is, and the flag waits until day
    100 (70 days after it)."""
    con = program([patient("P1")], [score("P1", day(0), 8), score("P1", day(30), 18), score("P1", day(60), 16)])
    under = load_definitions(overrides=FIRST_ELIGIBLE)
    assert prepare(con, day(70)).patients().iloc[0]["not_improving"] == True  # noqa: E712
    assert prepare(con, day(99), under).patients().iloc[0]["not_improving"] == False  # noqa: E712
    assert prepare(con, day(100), under).patients().iloc[0]["not_improving"] == True  # noqa: E712


def test_under_the_baseline_setting_a_baseline_may_still_come_up_to_14_days_before_enrolment(program):
    """The first score of 10+ is looked for among the episode's scores, which start 14 days before
    enrolment: P14's 8 on day -20 is outside the episode, its 12 on day -14 is the baseline; P15's 6 on
    day -14 is below 10, so its 11 on day 0 is."""
    con = program([patient("P14"), patient("P15")],
                  [score("P14", day(-20), 8), score("P14", day(-14), 12), score("P14", day(0), 20),
                   score("P15", day(-14), 6), score("P15", day(0), 11)])
    out = outcomes(con, params=load_definitions(overrides=FIRST_ELIGIBLE))
    assert out["baseline_score"].to_dict() == {"P14": 12, "P15": 11}


def test_a_wrong_baseline_setting_is_refused_in_one_line():
    from bcm_analytics.config.definitions import DefinitionsError

    with pytest.raises(DefinitionsError) as refused:
        load_definitions(overrides={"outcome": {"baseline": "first_above_9"}})
    assert str(refused.value) == "overrides: outcome.baseline: must be first_score or first_eligible (got 'first_above_9')"
