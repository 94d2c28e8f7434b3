"""A re-enrolled patient's outcomes: each enrolment is its own treatment episode.

The patients export is keyed by patient, so a re-enrolment arrives as a later export whose row has
a later enrolment date and the discharge cleared; the loader keeps the replaced row in
meta.row_changes, and core.enrolments reads the earlier enrolment from it (as billing does). Each test loads two patients exports in sequence, as a program sends
them. R is enrolled on 6 January 2025 at clinic C1 with care manager CM1, discharged (goals met) on
15 April, and enrolled again on 8 September at clinic C2 with CM2. K, enrolled on 6 January and
never discharged, keeps every month on the caseload page.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_models import differs_from_full
from test_outcomes import LATE, patient, program, score  # noqa: F401  (program: the fixture)

from bcm_analytics.models.marts import refresh
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import patient_outcomes, prepare
from bcm_analytics.overview import program_overview
from bcm_analytics.reports import parameters

FIRST = patient("R", "2025-01-06", "2025-04-15", discharge_reason="goals_met")
AGAIN = patient("R", "2025-09-08", clinic_id="C2", care_manager_id="CM2")
STAYS = patient("K", "2025-01-06")


def log(eid: str, pid: str, when: str, minutes: int = 20) -> dict:
    return {"entry_id": eid, "patient_id": pid, "staff_role": "bhcm", "service_date": when, "minutes": minutes,
            "activity_type": "follow_up_contact", "contact_mode": "phone"}


def episodes(con, as_of: str = LATE) -> dict[str, list[tuple]]:
    """Each patient's episodes: (episode_id, enrolled, discharged, clinic, care manager), in order."""
    frame = prepare(con, as_of).marts.query(
        "SELECT * FROM marts.outcome_episodes ORDER BY patient_id, enrollment_date").df()
    out: dict[str, list[tuple]] = {}
    for row in frame.itertuples():
        discharged = None if pd.isna(row.discharge_date) else str(row.discharge_date.date())
        out.setdefault(row.patient_id, []).append(
            (row.episode_id, str(row.enrollment_date.date()), discharged, row.clinic_id, row.care_manager_id))
    return out


def months(con, clinic: str = "All") -> pd.DataFrame:
    frame = cl.caseload_months(prepare(con, LATE), "2025-01", "2025-12")
    rows = frame[(frame["clinic"] == clinic) & (frame["care_manager"] == "All")]
    return rows.assign(month=rows["month"].dt.strftime("%m")).set_index("month")


def test_a_re_enrolment_keeps_the_earlier_episode_on_the_caseload_with_its_own_baseline(program, load_rows):
    """R active January to April counts in those months' caseload (at C1, the clinic of the
    time), April counts R's discharge, September R's new enrolment (at C2), and R has two outcome
    rows, each with its own baseline: 20 on 6 January, discharged before the 12-week window closed
    (measured on 30 March: 8), and 18 on 8 September. Before, the re-enrolment export replaced the
    row and January to April lost R: caseload, enrolment, discharge and the first episode's
    outcomes. The program overview counts the same, and R's minutes at the clinic of the enrolment
    they were logged in."""
    con = program([FIRST, STAYS], [score("R", "2025-01-06", 20), score("R", "2025-03-30", 8),
                                   score("K", "2025-01-06", 15)],
                  [log("r1", "R", "2025-03-10"), log("k1", "K", "2025-03-10")])
    load_rows("patients", [AGAIN])
    load_rows("assessments", [score("R", "2025-09-08", 18), score("R", "2025-12-01", 6)])
    load_rows("time_logs", [log("r2", "R", "2025-10-10", 30)])
    assert episodes(con) == {"K": [("K-1", "2025-01-06", None, "C1", "CM1")],
                             "R": [("R-1", "2025-01-06", "2025-04-15", "C1", "CM1"),
                                   ("R-2", "2025-09-08", None, "C2", "CM2")]}
    m = months(con)
    assert m["served"].tolist() == [2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2]
    assert m["active"].tolist() == [2, 2, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert m["new_enrolments"].tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert m["discharges"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert months(con, "C2")["new_enrolments"].to_dict() == {"09": 1, "10": 0, "11": 0, "12": 0}
    assert months(con, "C1").loc["04", ["served", "discharges"]].tolist() == [2, 1]

    out = patient_outcomes(con, LATE).set_index("episode_id")
    assert out.loc[["R-1", "R-2"], ["clinic_id", "care_manager_id", "baseline_date", "baseline_score"]].astype(str).values.tolist() == [
        ["C1", "CM1", "2025-01-06", "20"], ["C2", "CM2", "2025-09-08", "18"]]
    assert out.loc[["R-1", "R-2"], "latest_score"].tolist() == [8, 6]  # R-2's scores are not R-1's follow-up
    assert out.loc["R-1", "remission_6m_status"] == "no_followup"  # days 120-240: May 6 to Sep 3, no score

    overview = program_overview(con, "2025-01", "2025-12").assign(month=lambda f: f["month"].dt.strftime("%m"))
    c1 = overview[overview["clinic_id"] == "C1"].set_index("month")
    c2 = overview[overview["clinic_id"] == "C2"].set_index("month")
    assert c1["active_caseload"].tolist() == [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert c1["new_enrolments"].tolist()[:4] == [2, 0, 0, 0] and c1.loc["04", "discharges"] == 1
    assert c1.loc["03", "minutes_logged"] == 40 and c2.loc["09", "new_enrolments"] == 1
    assert c2.loc["10", "minutes_logged"] == 30 and c1.loc["10", "minutes_logged"] == 0


def test_a_care_manager_of_an_earlier_enrolment_alone_is_a_filter_the_reports_take(program, load_rows):
    """R's first enrolment was CM0's, who has no patient on the row on file since R came back under
    CM2: a report or `bcm outcomes` filtered to CM0 was refused as "not in the store", while the
    caseload page lists CM0's months (R in January to April). A clinic known only from an earlier
    enrolment (no clinics export names C0) is taken too, and so is its registry payer."""
    con = program([patient("R", "2025-01-06", "2025-04-15", clinic_id="C0", care_manager_id="CM0") | {"payer": "Aetna"}, STAYS],
                  [score("R", "2025-01-06", 20)])
    load_rows("patients", [AGAIN])
    assert parameters.given("caseload_outcomes", con, care_manager="CM0", clinic="C0") == {"care_manager": "CM0", "clinic": "C0"}
    assert parameters.given("caseload_outcomes", con, payer="Aetna")["payer"] == "Aetna"
    with pytest.raises(parameters.ParameterError, match="CM7"):
        parameters.given("caseload_outcomes", con, care_manager="CM7")
    frame = cl.caseload_months(prepare(con, LATE), "2025-01", "2025-12")
    cm0 = frame[(frame["clinic"] == "All") & (frame["care_manager"] == "CM0")]
    assert cm0.set_index(cm0["month"].dt.strftime("%m"))["served"].to_dict() == {"01": 1, "02": 1, "03": 1, "04": 1}


def test_a_patient_discharged_and_enrolled_again_in_one_month_is_one_patient_of_its_caseload(program, load_rows):
    """M, discharged on 10 June and enrolled again on 20 June: June counts one patient served and on
    the active caseload, one discharge and one new enrolment (the caseload page and the overview)."""
    con = program([patient("M", "2025-01-06", "2025-06-10"), STAYS], [score("M", "2025-01-06", 12)])
    load_rows("patients", [patient("M", "2025-06-20")])
    june = months(con).loc["06"]
    assert june[["served", "active", "new_enrolments", "discharges"]].tolist() == [2, 2, 1, 1]
    overview = program_overview(con, "2025-06", "2025-06").iloc[0]
    assert overview[["served", "active_caseload", "new_enrolments", "discharges"]].tolist() == [2, 2, 1, 1]


def test_a_score_in_the_lookback_of_a_re_enrolment_belongs_to_one_episode(program, load_rows):
    """A score counts in one episode only. R's PHQ-9 of 16 on 1 September, in the 14 days before
    the re-enrolment and after the April discharge, is the new episode's baseline, not a follow-up
    of the first (whose 6-month window, May 6 to September 3, it would have filled: no follow-up).
    Q, discharged on 1 September and enrolled again on 8 September, was scored 9 on 30 August, in
    the lookback too but before that discharge: the first episode's score (its latest), and the new
    episode's baseline is its own first score, 14 on 8 September. Before, Q's 9 was taken as the
    re-enrolment's baseline (and Q's first episode was gone)."""
    q_first = patient("Q", "2025-01-06", "2025-09-01", discharge_reason="goals_met")
    con = program([FIRST, q_first], [score("R", "2025-01-06", 20), score("Q", "2025-01-06", 20),
                                     score("R", "2025-09-01", 16), score("Q", "2025-08-30", 9)])
    load_rows("patients", [AGAIN, patient("Q", "2025-09-08")])
    load_rows("assessments", [score("R", "2025-09-08", 15), score("Q", "2025-09-08", 14)])
    out = patient_outcomes(con, LATE).set_index("episode_id")
    got = out.loc[["R-1", "R-2", "Q-1", "Q-2"], ["baseline_date", "baseline_score", "latest_date", "latest_score"]]
    assert got.astype(str).values.tolist() == [
        ["2025-01-06", "20", "2025-01-06", "20"], ["2025-09-01", "16", "2025-09-08", "15"],
        ["2025-01-06", "20", "2025-08-30", "9"], ["2025-09-08", "14", "2025-09-08", "14"]]
    assert out.loc["R-1", "remission_6m_status"] == "no_followup"
    scores = prepare(con, LATE).marts.query("SELECT episode_id, count(*) AS n FROM marts.outcome_scores GROUP BY ALL").df()
    assert dict(zip(scores.episode_id, scores.n)) == {"R-1": 1, "R-2": 2, "Q-1": 2, "Q-2": 1}


def test_the_lookback_score_follows_up_the_earlier_episode_until_the_re_enrolment_has_started(program, load_rows):
    """As of 5 September, R's re-enrolment of 8 September has not started (not known yet): the
    score of 1 September follows up the first episode in its 6-month window. As of 8 September it
    is the new episode's baseline."""
    con = program([FIRST], [score("R", "2025-01-06", 20), score("R", "2025-09-01", 4)])
    load_rows("patients", [AGAIN])
    early = patient_outcomes(con, "2025-09-05").set_index("episode_id")
    assert list(early.index) == ["R-1"] and early.loc["R-1", "latest_score"] == 4
    later = patient_outcomes(con, "2025-09-08").set_index("episode_id")
    assert later.loc[["R-1", "R-2"], "latest_score"].tolist() == [20, 4]


def test_a_corrected_discharge_is_no_new_episode(program, load_rows):
    """C's discharge cleared with the enrolment date kept (a mistake in the export, as billing reads
    it: core.enrolments), and D's enrolment date corrected with no discharge on either row, are one
    episode each, open; R's re-enrolment in the same export is a second episode."""
    con = program([FIRST, patient("C", "2025-01-06", "2025-04-15"), patient("D", "2025-01-06")],
                  [score(p, "2025-01-06", 20) for p in "RCD"])
    load_rows("patients", [AGAIN, patient("C", "2025-01-06"), patient("D", "2025-01-10")])
    assert episodes(con) == {"C": [("C-1", "2025-01-06", None, "C1", "CM1")],
                             "D": [("D-1", "2025-01-10", None, "C1", "CM1")],
                             "R": [("R-1", "2025-01-06", "2025-04-15", "C1", "CM1"),
                                   ("R-2", "2025-09-08", None, "C2", "CM2")]}


def test_an_older_export_loaded_again_takes_the_re_enrolment_back(program, load_rows):
    """O's re-enrolment export, then the older export again (the row on file is the discharged one):
    O has the one episode it shows, not an invented second one (core.enrolments: a re-enrolment
    after the current enrolment date was taken back). R's re-enrolment stands. The newer export
    loaded once more brings O's second episode back, once (the first enrolment replaced twice is
    one episode)."""
    o_first = patient("O", "2025-01-06", "2025-04-15")
    con = program([FIRST, o_first], [score(p, "2025-01-06", 20) for p in "RO"])
    load_rows("patients", [AGAIN, patient("O", "2025-09-08")])
    load_rows("patients", [o_first])
    assert episodes(con) == {"O": [("O-1", "2025-01-06", "2025-04-15", "C1", "CM1")],
                             "R": [("R-1", "2025-01-06", "2025-04-15", "C1", "CM1"),
                                   ("R-2", "2025-09-08", None, "C2", "CM2")]}
    load_rows("patients", [patient("O", "2025-09-08")])
    assert [e[:3] for e in episodes(con)["O"]] == [("O-1", "2025-01-06", "2025-04-15"), ("O-2", "2025-09-08", None)]


def test_an_incremental_build_after_a_re_enrolment_equals_a_full_rebuild(program, load_rows):
    """The store's marts built after the first export, then brought up to date per patient after the
    re-enrolment export (and its scores and minutes), equal a rebuild from scratch; and the older
    export loaded again, once more."""
    con = program([FIRST, STAYS], [score("R", "2025-01-06", 20), score("R", "2025-03-30", 8), score("K", "2025-01-06", 15)],
                  [log("r1", "R", "2025-03-10"), log("k1", "K", "2025-03-10")])
    refresh(con)
    load_rows("patients", [AGAIN])
    load_rows("assessments", [score("R", "2025-09-01", 16), score("R", "2025-12-01", 6)])
    load_rows("time_logs", [log("r2", "R", "2025-10-10"), log("k2", "K", "2025-12-10")])
    steps = {s.model: s.how for s in refresh(con).steps}
    assert steps["outcome_enrolments"] == steps["outcome_patients"] == "patients"
    assert con.execute("SELECT list(episode_id ORDER BY episode_id) FROM marts.outcome_patients").fetchall()[0][0] == [
        "K-1", "R-1", "R-2"]
    assert differs_from_full(con) == []
    load_rows("patients", [FIRST])
    refresh(con)
    assert con.execute("SELECT list(episode_id ORDER BY episode_id) FROM marts.outcome_episodes").fetchall()[0][0] == ["K-1", "R-1"]
    assert differs_from_full(con) == []
