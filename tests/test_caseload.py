"""Caseload and process measures, cohorts and worklists on four hand-written patients.

    P1  CM1  enrolled Jan 6   assessment Jan 6 (in person), follow-up Jan 20 (phone), Mar 25 (video)
             PHQ-9 20 on Jan 6, 15 on Mar 20: not improving at the end of March, never reviewed
    P2  CM1  enrolled Jan 15  assessment Jan 15 (in person), discharged Feb 10, never followed up
    P3  CM2  enrolled Feb 3   assessment Feb 3 (video), follow-up Feb 28 (phone), caseload review Mar 1
             PHQ-9 12 on Feb 3 with item 9 = 1
    P4  CM2  enrolled Mar 20  assessment Mar 20 (phone): its 4-week follow-up window is still open

As of 2025-03-31; months January to March 2025.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare

AS_OF = "2025-03-31"


def patient(pid, cm, enrolled, discharged=""):
    return {"patient_id": pid, "clinic_id": "C1", "payer": "Medicaid", "care_manager_id": cm, "birth_date": "1980-01-01",
            "enrollment_date": enrolled, "discharge_date": discharged}


def log(entry, pid, when, activity, mode, role="bhcm"):
    return {"entry_id": entry, "patient_id": pid, "staff_role": role, "service_date": when, "minutes": 20,
            "activity_type": activity, "contact_mode": mode}


def phq9(sid, pid, when, total, item9=0):
    answers = [min(3, max(0, total - item9 - 3 * i)) for i in range(8)] + [item9]
    return {"assessment_id": sid, "patient_id": pid, "instrument": "PHQ-9", "administered_on": when,
            "total_score": total, **{f"item_{i + 1}": a for i, a in enumerate(answers)}}


@pytest.fixture
def run(load_rows, store):
    load_rows("patients", [patient("P1", "CM1", "2025-01-06"), patient("P2", "CM1", "2025-01-15", "2025-02-10"),
                           patient("P3", "CM2", "2025-02-03"), patient("P4", "CM2", "2025-03-20")])
    load_rows("time_logs", [
        log("T1", "P1", "2025-01-06", "assessment", "in_person"), log("T2", "P1", "2025-01-20", "follow_up_contact", "phone"),
        log("T3", "P1", "2025-03-25", "follow_up_contact", "video"), log("T4", "P2", "2025-01-15", "assessment", "in_person"),
        log("T5", "P3", "2025-02-03", "assessment", "video"), log("T6", "P3", "2025-02-28", "follow_up_contact", "phone"),
        log("T7", "P3", "2025-03-01", "caseload_review", "none"), log("T8", "P4", "2025-03-20", "assessment", "phone"),
    ])
    load_rows("assessments", [phq9("A1", "P1", "2025-01-06", 20), phq9("A2", "P1", "2025-03-20", 15),
                              phq9("A3", "P3", "2025-02-03", 12, item9=1)])
    return prepare(store, AS_OF)


def program_months(run) -> pd.DataFrame:
    frame = cl.caseload_months(run, "2025-01", "2025-03")
    program = frame[(frame["clinic"] == "All") & (frame["care_manager"] == "All")]
    return program.assign(month=program["month"].dt.strftime("%Y-%m")).set_index("month")


def test_caseload_stocks_and_flows(run):
    m = program_months(run)
    assert m["served"].tolist() == [2, 3, 3]
    assert m["active"].tolist() == [2, 2, 3]
    assert m["new_enrolments"].tolist() == [2, 1, 1]
    assert m["discharges"].tolist() == [0, 1, 0]


def test_contacted_in_the_last_30_days_of_the_month(run):
    """A caseload review with mode none is not a contact; Feb 28 is 31 days before Mar 31."""
    assert program_months(run)["contacted"].tolist() == [2, 1, 2]


def test_a_caseload_review_by_video_is_no_contact_with_the_patient(load_rows, store):
    """A caseload review with the psychiatric consultant logged by video counted as a contact with
    the patient (a real contact mode): the patient read as contacted in March. The definitions'
    non_contact_activity_types are never a contact, whatever their mode; emptied, it counts again."""
    from bcm_analytics.outcomes import load_definitions

    load_rows("patients", [patient("P3", "CM2", "2025-02-03")])
    load_rows("time_logs", [log("T5", "P3", "2025-02-03", "assessment", "video"),
                            log("T7", "P3", "2025-03-10", "caseload_review", "video")])
    assert program_months(prepare(store, AS_OF))["contacted"].tolist() == [1, 0]  # February, March
    counted = load_definitions(overrides={"activity": {"non_contact_activity_types": []}})
    assert program_months(prepare(store, AS_OF, counted))["contacted"].tolist() == [1, 1]


def test_follow_up_within_4_weeks_of_the_initial_assessment(run):
    """January: P1 followed up (day 14), P2 not; February: P3 (day 25); March: P4 still open."""
    m = program_months(run)
    assert m["assessed"].tolist() == [2, 1, 0]
    assert m["followed_up"].tolist() == [1, 1, 0]
    assert m["pct_followed_up"].iloc[0] == pytest.approx(0.5) and pd.isna(m["pct_followed_up"].iloc[2])


def test_scores_reviews_and_not_improving_at_month_end(run):
    march = program_months(run).loc["2025-03"]
    assert (march["scored"], march["reviewed"], march["not_improving"], march["not_improving_no_review"]) == (1, 1, 1, 1)


def test_care_manager_rows_and_the_caseload_band(run):
    frame = cl.caseload_months(run, "2025-03", "2025-03")
    cms = frame[(frame["clinic"] == "All") & (frame["care_manager"] != "All")].set_index("care_manager")
    assert cms["active"].to_dict() == {"CM1": 1, "CM2": 2}
    assert cms["band_low"].tolist() == [60, 60] and set(cms["caseload_vs_band"]) == {"below"}
    detail = frame[(frame["clinic"] == "C1") & (frame["care_manager"] != "All")]
    assert detail["active"].sum() == 3


def test_contacts_by_mode(run):
    modes = cl.contacts_by_mode(run, "2025-01", "2025-01")
    program = modes[(modes["clinic"] == "All") & (modes["care_manager"] == "All")]
    assert dict(zip(program["contact_mode"], program["contacts"])) == {"in_person": 2, "phone": 1}


def test_worklists(run):
    lists = cl.worklists(run)
    assert lists["needs_case_review"]["patient_id"].tolist() == ["P1"]
    assert lists["item9_positive"]["patient_id"].tolist() == ["P3"]
    assert lists["overdue_score"]["patient_id"].tolist() == ["P3"]  # P4 enrolled 11 days ago: not due yet


def test_change_bands(run):
    """P1: 20 -> 15 is a 25% improvement; P3 has no follow-up score."""
    change = cl.change_distribution(run, "2025-01", "2025-03").set_index("change_band")["patients"]
    assert change["improved by 25-49%"] == 1 and change.sum() == 1


def test_change_bands_name_the_response_threshold_of_the_definitions_in_force(run, store):
    """With response at 40% of the baseline (a 60% drop), the first band read "improved by 50% or
    more" though it holds only responses, and a 55% improvement was counted under "25-49%"."""
    from bcm_analytics.outcomes import load_definitions

    stricter = prepare(store, AS_OF, load_definitions(overrides={"outcome": {"response_max_fraction": 0.4}}))
    bands = cl.change_distribution(stricter, "2025-01", "2025-03")["change_band"].unique().tolist()
    assert bands[:3] == ["improved by 60% or more", "improved by 25-59%", "improved by under 25%"]
    looser = prepare(store, AS_OF, load_definitions(overrides={"outcome": {"response_max_fraction": 0.8}}))
    change = cl.change_distribution(looser, "2025-01", "2025-03").set_index("change_band")["patients"]
    assert change.to_dict() == {"improved by 20% or more": 1, "improved by under 20%": 0, "no change": 0, "worse": 0}


def test_cohort_months_appear_once_the_whole_cohort_reached_them(load_rows, store):
    """A January-2025 cohort (monthly cohorts): month 2 is shown as of Apr 2, month 3 is not yet."""
    load_rows("patients", [patient("P1", "CM1", "2025-01-06"), patient("P2", "CM1", "2025-01-31")])
    load_rows("assessments", [phq9("A1", "P1", "2025-01-06", 20), phq9("A2", "P1", "2025-02-20", 9),
                              phq9("A3", "P2", "2025-01-31", 14), phq9("A4", "P2", "2025-03-01", 6)])
    from bcm_analytics.outcomes import load_definitions

    monthly = load_definitions(overrides={"cohorts": {"period": "month"}})
    curves = cl.cohort_curves(prepare(store, "2025-04-02", monthly), "2025-01", "2025-01")
    assert curves["months_since_enrolment"].tolist() == [1, 2]
    assert curves[["patients", "measured", "responders", "remitters"]].values.tolist() == [[2, 1, 1, 0], [2, 2, 2, 0]]


def test_cohorts_and_the_change_distribution_count_the_measure_population_as_the_measures_do(load_rows, store):
    """Three January patients respond (20 -> 8): KEEP, DIED (discharged deceased) and KID (aged 10
    at enrolment). The program measures leave the last two out (outcome_measures.md section 3); the
    cohort curve and the change distribution on the same page counted all three."""
    rows = [patient("KEEP", "CM1", "2025-01-06"), patient("DIED", "CM1", "2025-01-06", "2025-03-15"),
            {**patient("KID", "CM1", "2025-01-06"), "birth_date": "2014-06-01"}]
    load_rows("patients", [{**r, "discharge_reason": "deceased" if r["patient_id"] == "DIED" else ""} for r in rows])
    load_rows("assessments", [phq9(f"{p}{n}", p, day, score) for p in ("KEEP", "DIED", "KID")
                              for n, (day, score) in enumerate([("2025-01-06", 20), ("2025-02-20", 8)])])
    from bcm_analytics.outcomes import load_definitions

    run = prepare(store, "2025-04-30", load_definitions(overrides={"cohorts": {"period": "month"}}))
    curves = cl.cohort_curves(run, "2025-01", "2025-01")
    assert curves[["patients", "responders"]].values.tolist() == [[1, 0], [1, 1]]
    change = cl.change_distribution(run, "2025-01", "2025-03").set_index("change_band")["patients"]
    assert change.iloc[0] == 1 and change.sum() == 1


def test_the_follow_up_note_says_the_last_month_is_not_complete():
    import datetime as dt
    from types import SimpleNamespace

    import pandas as pd

    from bcm_analytics.reports import caseload_outcomes as co

    run = SimpleNamespace(as_of=dt.date(2026, 10, 31), definitions={"process": {"followup_within_days": 28}})
    follow = pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01"]), "period": ["Sep 2026", "Oct 2026"]})
    assert co.follow_up_note(run, follow, "month") == (
        "Assessments after 2026-10-03 are not counted yet (28 days to follow up have not passed by 2026-10-31): "
        "Oct 2026 covers only the assessments up to then.")
    assert co.follow_up_note(run, follow[follow["month"] < "2026-10-01"], "month") == "", "September's 4 weeks have all passed"
    rolled = pd.DataFrame({"month": pd.to_datetime(["2025-11-01"]), "period": ["Nov 2025 - Oct 2026"]})
    assert "Nov 2025 - Oct 2026 covers only" in co.follow_up_note(run, rolled, "period")


def test_the_follow_up_charts_unfinished_last_month_is_ringed_and_named():
    """October's follow-up rate, over the assessments up to Oct 3 alone (1 of 2), was drawn as any
    month: a fall from 92% to 50% to the eye, the note below saying why. The line stops at the last
    whole month and a dotted step leads to a ring named 'not complete yet'; a whole month is drawn
    as before, and a last month whose rate is hidden keeps its gap mark alone."""
    import datetime as dt
    from types import SimpleNamespace

    import pandas as pd

    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports import outcome_figures as figures

    run = SimpleNamespace(as_of=dt.date(2026, 10, 31), definitions={"process": {"followup_within_days": 28}})
    follow = pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01"]), "period": ["Sep 2026", "Oct 2026"],
                           "assessed": [13, 2], "followed_up": [12, 1], "pct_followed_up": [12 / 13, 0.5]})
    assert co.follow_up_unfinished(run, follow, "month")["period"] == "Oct 2026"
    assert co.follow_up_unfinished(run, follow.iloc[:1], "month") is None
    fig = figures.follow_up_trend(follow, "month", "within 4 weeks", unfinished=True)
    ring = [t for t in fig.data if (t.name or "").startswith("not complete yet")]
    assert len(ring) == 1 and list(ring[0].y) == [0.5] and pd.Timestamp(ring[0].x[0]) == pd.Timestamp("2026-10-01")
    assert list(fig.data[0].y) == [12 / 13, None], "the line stops at September; a dotted step leads on"
    assert [list(t.y) for t in fig.data if t.line.dash == "dot"] == [[12 / 13, 0.5]]
    whole = figures.follow_up_trend(follow, "month", "within 4 weeks")
    assert len(whole.data) == 1 and list(whole.data[0].y) == [12 / 13, 0.5]
    quarters = figures.follow_up_trend(follow.assign(period=["2026 Q3", "2026 Q4"]), "quarter", "within 4 weeks", unfinished=True)
    assert list(quarters.data[0].y) == [12 / 13, 0.5] and quarters.data[-1].name.startswith("not complete yet"), "a bar stays, ringed"
    hidden = follow.assign(pct_followed_up=[12 / 13, None])  # as a protected frame hides it
    hidden.attrs["suppressed"] = {"pct_followed_up": (1,)}
    assert len(figures.follow_up_trend(hidden, "month", "within 4 weeks", unfinished=True).data) == 2, "a gap mark, no ring"


def test_the_follow_up_note_is_not_said_of_a_quarter_whose_four_weeks_have_passed():
    """An external page (whole quarters to Sep 2026, as of Oct 31) said 'Assessments in the last 28
    days before the as-of date (Oct 2026) are not counted yet: 2026 Q3 covers only the assessments
    before them', yet the last of Q3's assessments (Sep 30) had its 28 days by Oct 28: Q3 is whole."""
    import datetime as dt
    from types import SimpleNamespace

    import pandas as pd

    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    run = SimpleNamespace(as_of=dt.date(2026, 10, 31), definitions={"process": {"followup_within_days": 28}})
    quarters = pd.DataFrame({"month": pd.to_datetime(["2026-04-01", "2026-07-01"]), "period": ["2026 Q2", "2026 Q3"]})
    assert co.follow_up_note(run, quarters, "quarter", Privacy.packaged("external"), end="2026-09") == ""
    assert co.follow_up_note(run, quarters, "quarter", end="2026-09") == ""
    years = pd.DataFrame({"month": pd.to_datetime(["2025-10-01", "2026-01-01"]), "period": ["2025, Oct-Dec", "2026, Jan-Sep"]})
    assert co.follow_up_note(run, years, "year", Privacy.packaged("external"), end="2026-09") == ""
    mid_october = SimpleNamespace(as_of=dt.date(2026, 10, 15), definitions=run.definitions)
    assert "2026 Q3 covers only the assessments before them" in co.follow_up_note(mid_october, quarters, "quarter",
                                                                                  Privacy.packaged("external"), end="2026-09")
    whole = pd.DataFrame({"month": pd.to_datetime(["2025-10-01"]), "period": ["Oct 2025 - Sep 2026"]})
    assert co.follow_up_note(run, whole, "period", Privacy.packaged("external"), end="2026-09") == ""
    assert "Oct 2025 - Oct 2026 covers only" in co.follow_up_note(run, whole.assign(period="Oct 2025 - Oct 2026"), "period",
                                                                  end="2026-10")


def test_follow_up_and_case_review_boundaries_in_days(load_rows, store):
    """Assessed Jan 6: a contact on day 28 (Feb 3) is within 4 weeks, day 29 (Feb 4) is not.
    As of Apr 30, not improving (baseline 20, no score since): a psychiatric case review on
    day -59 (Mar 2) is in the last 60 days, one on day -60 (Mar 1) is not, so that patient
    needs one (the contacted-in-30-days rule counts the same way)."""
    load_rows("patients", [patient(p, "CM1", "2025-01-06") for p in ("F28", "F29", "R59", "R60")])
    load_rows("time_logs", [
        log("A1", "F28", "2025-01-06", "assessment", "in_person"), log("C1", "F28", "2025-02-03", "follow_up_contact", "phone"),
        log("A2", "F29", "2025-01-06", "assessment", "in_person"), log("C2", "F29", "2025-02-04", "follow_up_contact", "phone"),
        log("V1", "R59", "2025-03-02", "caseload_review", "none"), log("V2", "R60", "2025-03-01", "caseload_review", "none"),
    ])
    load_rows("assessments", [phq9(f"S{p}", p, "2025-01-06", 20) for p in ("F28", "F29", "R59", "R60")])
    run = prepare(store, "2025-04-30")
    january = program_months(run).loc["2025-01"]
    assert (january["assessed"], january["followed_up"]) == (4, 1)  # R59/R60: assessed at their baseline, no contact
    lists = cl.worklists(run)
    assert lists["needs_case_review"]["patient_id"].tolist() == ["F28", "F29", "R60"]
    april = cl.caseload_months(run, "2025-04", "2025-04").iloc[0]  # the program row comes first
    assert (april["clinic"], april["care_manager"], april["not_improving"], april["not_improving_no_review"]) == ("All", "All", 4, 3)


def test_the_no_contact_list_names_the_patients_the_contacted_measure_counts_out(load_rows, store, run):
    """The director's page counts P3 out of "contacted in the last 30 days" of March (last contact
    Feb 28, 31 days before; a caseload review on Mar 1 is no contact), and the care team had no list
    of who that was. P2, discharged, is on no list; P5, enrolled on Mar 25 and not contacted yet, is
    counted out by the measure too but has not gone 30 days without a contact."""
    load_rows("patients", [patient("P5", "CM2", "2025-03-25")])
    run = prepare(store, AS_OF)
    march = program_months(run).loc["2025-03"]
    assert march["active"] - march["contacted"] == 2
    listed = cl.worklists(run)["no_recent_contact"]
    assert listed["patient_id"].tolist() == ["P3"]
    assert listed["last_contact_date"].astype(str).tolist() == ["2025-02-28"]


def test_no_score_since_a_baseline_already_at_target_is_a_setting(load_rows, store):
    """The reference counts a patient with no score since the baseline as not improving, and the
    psychiatric consultant's review list held a patient whose only score was a PHQ-9 of 6 (below 10:
    at target from the start). Whether that is "not improving" is the program's call:
    outcome.not_improving_no_followup, default `all` (the reference's rule), or `above_target`.
    LOW: 6 and nothing since; HIGH: 20 and nothing since; ROSE: 6, then 15 (not at target)."""
    from bcm_analytics.outcomes import load_definitions

    load_rows("patients", [patient(p, "CM1", "2025-01-06") for p in ("LOW", "HIGH", "ROSE")])
    load_rows("assessments", [phq9("S1", "LOW", "2025-01-06", 6), phq9("S2", "HIGH", "2025-01-06", 20),
                              phq9("S3", "ROSE", "2025-01-06", 6), phq9("S4", "ROSE", "2025-03-20", 15)])
    listed = cl.worklists(prepare(store, "2025-03-31"))["needs_case_review"]["patient_id"].tolist()
    assert listed == ["HIGH", "LOW", "ROSE"]
    above = load_definitions(overrides={"outcome": {"not_improving_no_followup": "above_target"}})
    run = prepare(store, "2025-03-31", above)
    assert cl.worklists(run)["needs_case_review"]["patient_id"].tolist() == ["HIGH", "ROSE"]
    march = cl.caseload_months(run, "2025-03", "2025-03").iloc[0]
    assert march["not_improving"] == 2, "the director's count follows the same rule"


# --- follow-up scores due: the outcome windows open now with no score in them --------------------

BASELINE = dt.date(2025, 1, 1)  # day 0 of every window below


def day(n: int) -> str:
    return (BASELINE + dt.timedelta(days=n)).isoformat()


def due(run) -> list[tuple]:
    listed = cl.worklists(run)["followup_due"]
    return [(r.patient_id, r.window_name, r.closes_on.isoformat(), r.days_left) for r in listed.itertuples()]


@pytest.mark.parametrize("as_of, expected", [
    (69, []), (70, [("12w", 98, 28)]), (97, [("12w", 98, 1)]), (98, []),
    (119, []), (120, [("6m", 240, 120)]), (239, [("6m", 240, 1)]), (240, []),
    (304, []), (305, [("12m", 425, 120)]), (424, [("12m", 425, 1)]), (425, []),
])
def test_a_follow_up_score_is_due_from_a_windows_first_day_until_the_day_before_its_last(load_rows, store, as_of, expected):
    """PHQ-9 of 15 on day 0 and no score since. A window (12w days 70-98, 6m 120-240, 12m 305-425)
    is due from its first day; on its last day the as-of date has reached it and outcome_windows
    counts it closed with no follow-up (no longer a call to make)."""
    load_rows("patients", [patient("P", "CM1", day(0))])
    load_rows("assessments", [phq9("B", "P", day(0), 15)])
    assert due(prepare(store, day(as_of))) == [("P", name, day(last), left) for name, last, left in expected]


def test_follow_up_due_lists_discharged_patients_and_not_those_no_measure_counts(load_rows, store):
    """As of day 200, every 6-month window (days 120-240) is open. EARLY was scored on day 119 (before
    the window: still due), SCORED on day 120 (not due); LEFT was discharged on day 100 (discharge
    does not close the window: due, with its discharge date); LOW's baseline of 9 is below the
    measures' 10, DIED was discharged deceased (not in the measures: never called for a score). GAD
    is due on GAD-7 alone (its PHQ-9 scored on day 150), closing sooner (baseline day 2) than EARLY.
    Soonest closing first."""
    load_rows("patients", [{**patient(p, cm, day(0), day(100) if why else ""), "discharge_reason": why} for p, cm, why in [
        ("EARLY", "CM1", ""), ("SCORED", "CM1", ""), ("LEFT", "CM1", "goals_met"), ("LOW", "CM1", ""),
        ("DIED", "CM1", "deceased"), ("GAD", "CM2", "")]])
    gad7 = {"patient_id": "GAD", "instrument": "GAD-7", "total_score": 12}
    load_rows("assessments", [
        *(phq9(f"B{p}", p, day(0), 15) for p in ("EARLY", "SCORED", "LEFT", "DIED")), phq9("BLOW", "LOW", day(0), 9),
        phq9("S1", "EARLY", day(119), 12), phq9("S2", "SCORED", day(120), 12),
        phq9("BGAD", "GAD", day(-2), 15), phq9("S3", "GAD", day(150), 8),
        {**gad7, "assessment_id": "G1", "administered_on": day(-2)}])
    run = prepare(store, day(200))
    assert due(run) == [("GAD", "6m", day(238), 38), ("EARLY", "6m", day(240), 40), ("LEFT", "6m", day(240), 40)]
    listed = cl.worklists(run)["followup_due"].set_index("patient_id")
    assert listed.loc["GAD", "instrument"] == "GAD-7"
    assert listed.loc["LEFT", "discharge_date"] == dt.date.fromisoformat(day(100))
    assert pd.isna(listed.loc["EARLY", "discharge_date"])


# --- boundaries in days and at month end (outcome_measures.md section 4) --------------------------


def per_patient(run, month: str) -> pd.DataFrame:
    """The month's care-manager rows: each patient below has a care manager of their own, so a row
    reads as that patient."""
    frame = cl.caseload_months(run, month, month)
    return frame[(frame["clinic"] == "All") & (frame["care_manager"] != "All")].set_index("care_manager")


def test_a_discharge_on_the_last_day_of_a_month_leaves_that_months_caseload(load_rows, store):
    """The active caseload is counted at month end: D31, discharged Jan 31, is a January discharge
    and not on January's caseload; D1, discharged Feb 1, is on it; E31, enrolled Jan 31, is."""
    load_rows("patients", [patient("D31", "D31", "2025-01-06", "2025-01-31"), patient("D1", "D1", "2025-01-06", "2025-02-01"),
                           patient("E31", "E31", "2025-01-31")])
    january = per_patient(prepare(store, "2025-03-31"), "2025-01")
    assert january["active"].to_dict() == {"D1": 1, "D31": 0, "E31": 1}
    assert january["discharges"].to_dict() == {"D1": 0, "D31": 1, "E31": 0}
    assert january["new_enrolments"].to_dict() == {"D1": 1, "D31": 1, "E31": 1}


def test_the_last_30_60_and_90_days_end_on_the_month_end(load_rows, store):
    """March 31 is the month end; "in the last N days" is the N days up to and including it, so
    day -29 is in the last 30 and day -30 is not. C29/C30: last contact Mar 2 / Mar 1; S29/S30:
    last score Mar 2 / Mar 1; L59/L60: last score Jan 31 / Jan 30 (scored in the last 60);
    R89/R90: psychiatric case review Jan 1 / Dec 31 (reviewed in the last 90). All enrolled
    Dec 1 2024 with a PHQ-9 of 8 that day. The worklists count the same days: C30 has gone 30
    days without a contact and S30 30 days without a score."""
    ids = ("C29", "C30", "S29", "S30", "L59", "L60", "R89", "R90")
    load_rows("patients", [patient(p, p, "2024-12-01") for p in ids])
    load_rows("time_logs", [log("T1", "C29", "2025-03-02", "follow_up_contact", "phone"),
                            log("T2", "C30", "2025-03-01", "follow_up_contact", "phone"),
                            log("T3", "R89", "2025-01-01", "caseload_review", "none"),
                            log("T4", "R90", "2024-12-31", "caseload_review", "none")])
    load_rows("assessments", [phq9(f"B{p}", p, "2024-12-01", 8) for p in ids] + [
        phq9("A1", "S29", "2025-03-02", 8), phq9("A2", "S30", "2025-03-01", 8),
        phq9("A3", "L59", "2025-01-31", 8), phq9("A4", "L60", "2025-01-30", 8)])
    run = prepare(store, "2025-03-31")
    march = per_patient(run, "2025-03")

    def counted(col):
        return sorted(march.index[march[col] == 1])

    assert counted("contacted") == ["C29"]
    assert counted("scored") == ["S29"]
    assert counted("scored_long") == ["L59", "S29", "S30"]
    assert counted("reviewed") == ["R89"]
    lists = cl.worklists(run)
    assert "C30" in set(lists["no_recent_contact"]["patient_id"]) and "C29" not in set(lists["no_recent_contact"]["patient_id"])
    assert "S30" in set(lists["overdue_score"]["patient_id"]) and "S29" not in set(lists["overdue_score"]["patient_id"])


def test_an_assessment_counts_for_the_4_week_follow_up_once_its_28_days_have_passed(load_rows, store):
    """As of Mar 31, A3 (assessed Mar 3, day 28 is Mar 31) is counted in March, followed up or
    not; A4 (assessed Mar 4) is not counted yet: its 4 weeks run to Apr 1."""
    load_rows("patients", [patient(p, p, d) for p, d in (("A3", "2025-03-03"), ("A4", "2025-03-04"))])
    load_rows("time_logs", [log("T1", "A3", "2025-03-03", "assessment", "in_person"),
                            log("T2", "A4", "2025-03-04", "assessment", "in_person")])
    march = per_patient(prepare(store, "2025-03-31"), "2025-03")
    assert march["assessed"].to_dict() == {"A3": 1, "A4": 0}


def test_the_caseload_band_is_inclusive_at_both_ends(load_rows, store):
    """AIMS guidance 60-80 per 1.0 FTE; at 0.05 FTE that is 3-4 patients. LOW2 has 2 (below), AT3
    has 3 and AT4 4 (within), HIGH5 5 (above)."""
    from bcm_analytics.outcomes import load_definitions

    sizes = {"LOW2": 2, "AT3": 3, "AT4": 4, "HIGH5": 5}
    load_rows("patients", [patient(f"{cm}-{i}", cm, "2025-01-06") for cm, n in sizes.items() for i in range(n)])
    part_time = load_definitions(overrides={"caseload": {"fte": {cm: 0.05 for cm in sizes}}})
    march = per_patient(prepare(store, "2025-03-31", part_time), "2025-03")
    assert march["active"].to_dict() == sizes
    assert (march["band_low"].unique().tolist(), march["band_high"].unique().tolist()) == ([3], [4])
    assert march["caseload_vs_band"].to_dict() == {"LOW2": "below", "AT3": "within", "AT4": "within", "HIGH5": "above"}


def test_only_rates_above_the_alarm_ask_for_a_data_quality_look():
    """Section 4: 6-month results of 30-50% response and 20-35% remission are typical; rates
    "far above about 60% response or 45% remission" deserve a data-quality look. The range's ends
    are typical, the alarm itself is not yet a look, a point above it is."""
    from types import SimpleNamespace

    from bcm_analytics.outcomes import load_definitions
    from bcm_analytics.reports import caseload_outcomes as co

    run = SimpleNamespace(definitions=load_definitions())
    rates = {"LOW": (0.30, 0.20), "HIGH": (0.50, 0.35), "ALARM": (0.60, 0.45), "ABOVE": (0.61, 0.46)}
    table = pd.DataFrame({"instrument": list(rates), "window_name": "6m",
                          "pct_response_of_measured": [r for r, _ in rates.values()],
                          "pct_remission_of_measured": [m for _, m in rates.values()]})
    said = dict(zip(rates, co.plausibility(run, table).split(". ")))
    assert "response 30% (within the typical 30%-50%); remission 20% (within the typical 20%-35%)" in said["LOW"]
    assert "response 50% (within the typical 30%-50%); remission 35% (within the typical 20%-35%)" in said["HIGH"]
    assert "response 60% (outside the typical 30%-50%); remission 45% (outside the typical 20%-35%)" in said["ALARM"]
    assert said["ABOVE"].count("worth a data-quality look") == 2


def plausibility_said(rates: dict) -> dict:
    """{row: the plausibility note's sentence} for 6-month rates {row: (response, remission, measured)}."""
    from types import SimpleNamespace

    from bcm_analytics.outcomes import load_definitions
    from bcm_analytics.reports import caseload_outcomes as co

    table = pd.DataFrame({"instrument": list(rates), "window_name": "6m",
                          "pct_response_of_measured": [r for r, _, _ in rates.values()],
                          "pct_remission_of_measured": [m for _, m, _ in rates.values()],
                          "measured": [n for _, _, n in rates.values()]})
    return dict(zip(rates, co.plausibility(SimpleNamespace(definitions=load_definitions()), table).split(". ")))


def test_a_rate_above_the_alarm_on_a_few_measured_does_not_ask_for_a_data_quality_look():
    """A clinic page read "response 75% (above the typical 30%-50%: worth a data-quality look)" for
    3 of 4 patients measured: 4 patients are consistent with a true 30% (95% Wilson interval
    30%-95%), so they say nothing of the data. The look is asked for when even the interval's lower
    end is above the alarm: 150 of 200 measured, or 4 of 4 remitting (interval from 51%)."""
    said = plausibility_said({"FEW": (0.75, 0.75, 4), "MANY": (0.75, 0.75, 200), "ALL": (0.75, 1.0, 4)})
    assert ("response 75% (above the typical 30%-50%, on too few measured to tell from chance); "
            "remission 75% (above the typical 20%-35%, on too few measured to tell from chance)") in said["FEW"]
    assert said["MANY"].count("worth a data-quality look") == 2
    assert "remission 100% (above the typical 20%-35%: worth a data-quality look)" in said["ALL"]
    assert "response 75% (above the typical 30%-50%, on too few" in said["ALL"]


def test_a_rate_below_the_typical_on_a_few_measured_says_so_on_the_note_and_the_card():
    """PHQ-9 response 25% (4 of 16) and remission 12.5% (2 of 16) read "(below)" on the cards and
    "outside the typical" in the note, where the above side already allowed for small numbers: 4 of
    16 is consistent with a true 30-50% (95% Wilson interval 10%-50%); 20 of 200 (7%-15%) is below."""
    from bcm_analytics.reports import caseload_outcomes as co

    said = plausibility_said({"FEW": (0.25, 0.125, 16), "MANY": (0.10, 0.05, 200)})
    assert ("response 25% (outside the typical 30%-50%, on too few measured to tell from chance); "
            "remission 12% (outside the typical 20%-35%, on too few measured to tell from chance)") in said["FEW"]
    assert "response 10% (outside the typical 30%-50%); remission 5% (outside the typical 20%-35%)" in said["MANY"]
    assert co._side(0.25, 0.30, 0.50, 16) == "below, on too few measured to tell"
    assert co._side(0.10, 0.30, 0.50, 200) == "below"
    assert co._side(0.40, 0.30, 0.50, 3) == "within"


def test_under_the_baseline_setting_cohorts_count_from_the_first_score_of_10_and_the_assessment_stays_the_first_score(load_rows, store):
    """LATE is scored 3 at enrolment (Jan 6) and 15 on Mar 10; EARLY 20 at enrolment and 12 on Feb 1.
    With outcome.baseline: first_eligible LATE's baseline is the 15: at month 1 (Feb 5) it has no
    score from its baseline on, so it is not counted, and its 3 (before the baseline) is never a
    remission. The initial assessment of the process measures is still each patient's first score
    (Jan 6): a process measure of the first contact, not an outcome."""
    from bcm_analytics.outcomes import load_definitions

    load_rows("patients", [patient("LATE", "CM1", "2025-01-06"), patient("EARLY", "CM1", "2025-01-06")])
    load_rows("assessments", [phq9("L1", "LATE", "2025-01-06", 3), phq9("L2", "LATE", "2025-03-10", 15),
                              phq9("E1", "EARLY", "2025-01-06", 20), phq9("E2", "EARLY", "2025-02-01", 12)])
    under = prepare(store, "2025-06-30", load_definitions(overrides={"cohorts": {"period": "month"},
                                                                     "outcome": {"baseline": "first_eligible"}}))
    curves = cl.cohort_curves(under, "2025-01", "2025-01").set_index("months_since_enrolment")
    assert curves.loc[1, ["patients", "measured", "responders", "remitters"]].tolist() == [1, 1, 0, 0]
    assert curves.loc[3, ["patients", "measured", "responders", "remitters"]].tolist() == [2, 1, 0, 0]
    assert program_months(under).loc["2025-01", "assessed"] == 2


def test_a_phq_a_is_a_score_for_the_overdue_score_list(load_rows, store):
    """The list is "No PHQ-9/GAD-7 score in the last 30 days": a teen scored only with the PHQ-A
    (the PHQ-9 for teens, counted as the PHQ-9: instruments.PHQ-A.measure_as) is scored, never listed
    as unscored. As of 2025-03-31, A29 was last scored with a PHQ-A on Mar 2 (not due) and A30 on Mar 1
    (due, with that day as its last score); both enrolled Dec 1 2024 with a PHQ-A of 8."""
    load_rows("patients", [{**patient(p, p, "2024-12-01"), "birth_date": "2010-06-01"} for p in ("A29", "A30")])
    load_rows("assessments", [{**phq9(sid, pid, when, 8), "instrument": "PHQ-A"} for sid, pid, when in (
        ("B1", "A29", "2024-12-01"), ("B2", "A30", "2024-12-01"), ("A1", "A29", "2025-03-02"), ("A2", "A30", "2025-03-01"))])
    run = prepare(store, "2025-03-31")
    overdue = cl.worklists(run)["overdue_score"].set_index("patient_id")
    assert list(overdue.index) == ["A30"] and overdue.at["A30", "last_score_date"] == dt.date(2025, 3, 1)
    assert overdue.at["A30", "scores"] == "PHQ-9 8 -> 8"  # measured as the PHQ-9
