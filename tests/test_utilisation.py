"""Score utilisation per assessment period (HEDIS DMS-E style) on hand-written patients.

Periods January-April, May-August, September-December 2025 (utilisation.period_start_months
[1, 5, 9]); as of 2025-10-15, so September-December is still open.

    U1  contact Apr 30, PHQ-9 Jan 10        Jan-Apr: scored (score and contact in one period)
        contact May 1, PHQ-9 Apr 30         May-Aug: not scored (its score is in the period before)
    U2  contact Feb 2, PHQ-A Mar 3          Jan-Apr: scored (PHQ-A is measured as the PHQ-9)
    U3  contact Feb 2 (mode none, a review) Jan-Apr: no contact, not counted
        GAD-7 Jun 1, contact Jun 2          May-Aug: counted, not scored (GAD-7 is not the instrument)
    U4  aged 10 at enrolment, contacts      never counted (under min_age)
    U5  died (discharge reason), contact Mar 1, PHQ-9 Mar 1   never counted (excluded)
    U6  contact Sep 10, PHQ-9 Oct 1         Sep-Dec: scored, period open
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bcm_analytics.config.definitions import DefinitionsError, load_definitions
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare

AS_OF = "2025-10-15"


def patient(pid, clinic="C1", birth="1980-01-01", discharged="", reason=""):
    return {"patient_id": pid, "clinic_id": clinic, "payer": "Medicaid", "care_manager_id": "CM1", "birth_date": birth,
            "enrollment_date": "2025-01-02", "discharge_date": discharged, "discharge_reason": reason}


def log(entry, pid, when, activity="follow_up_contact", mode="phone"):
    return {"entry_id": entry, "patient_id": pid, "staff_role": "bhcm", "service_date": when, "minutes": 20,
            "activity_type": activity, "contact_mode": mode}


def score(sid, pid, when, total, instrument="PHQ-9"):
    return {"assessment_id": sid, "patient_id": pid, "instrument": instrument, "administered_on": when, "total_score": total}


@pytest.fixture
def loaded(load_rows):
    load_rows("patients", [patient("U1"), patient("U2", clinic="C2"), patient("U3"), patient("U4", birth="2014-06-01"),
                           patient("U5", discharged="2025-03-20", reason="died"), patient("U6")])
    load_rows("time_logs", [
        log("T1", "U1", "2025-04-30"), log("T2", "U1", "2025-05-01"), log("T3", "U2", "2025-02-02"),
        log("T4", "U3", "2025-02-02", "caseload_review", "none"), log("T5", "U3", "2025-06-02"),
        log("T6", "U4", "2025-02-02"), log("T7", "U4", "2025-06-02"), log("T8", "U5", "2025-03-01"),
        log("T9", "U6", "2025-09-10"),
    ])
    load_rows("assessments", [score("A1", "U1", "2025-01-10", 14), score("A2", "U1", "2025-04-30", 12),
                              score("A3", "U2", "2025-03-03", 16, "PHQ-A"), score("A4", "U3", "2025-06-01", 11, "GAD-7"),
                              score("A5", "U4", "2025-02-02", 15), score("A6", "U5", "2025-03-01", 18),
                              score("A7", "U6", "2025-10-01", 9)])


def periods(run, clinic="All") -> pd.DataFrame:
    frame = cl.score_utilisation(run, "2025-01", "2025-10")
    return frame[frame["clinic"] == clinic].set_index("period_start")


def test_a_patient_counts_in_each_period_with_a_contact_and_is_scored_by_a_score_in_that_period(loaded, store):
    p = periods(prepare(store, AS_OF))
    assert list(p.index) == [dt.date(2025, 1, 1), dt.date(2025, 5, 1), dt.date(2025, 9, 1)]
    assert list(p["period_end"]) == [dt.date(2025, 4, 30), dt.date(2025, 8, 31), dt.date(2025, 12, 31)]
    assert p["patients_contacted"].tolist() == [2, 2, 1]  # U1, U2 | U1, U3 | U6
    assert p["patients_scored"].tolist() == [2, 0, 1]
    assert p["pct_patients_scored"].tolist() == [1.0, 0.0, 1.0]
    assert p["complete"].tolist() == [True, True, False]


def test_clinic_rows_count_the_patients_seen_at_each_clinic(loaded, store):
    c2 = periods(prepare(store, AS_OF), "C2")
    assert c2["patients_contacted"].tolist() == [1] and c2["patients_scored"].tolist() == [1]


def test_periods_are_a_setting_and_wrap_the_year(loaded, store):
    """With periods from March and September, January-February belong to September-February."""
    run = prepare(store, AS_OF, load_definitions(overrides={"utilisation": {"period_start_months": [3, 9]}}))
    p = periods(run)
    assert list(p.index) == [dt.date(2024, 9, 1), dt.date(2025, 3, 1), dt.date(2025, 9, 1)]
    assert list(p["period_end"]) == [dt.date(2025, 2, 28), dt.date(2025, 8, 31), dt.date(2026, 2, 28)]
    # Sep-Feb: U2 alone (contact Feb 2), its PHQ-A of Mar 3 in the next period; Mar-Aug: U1 (PHQ-9 Apr 30), U3
    assert p["patients_contacted"].tolist() == [1, 2, 1] and p["patients_scored"].tolist() == [0, 1, 1]


def test_the_instrument_must_be_one_others_are_measured_as():
    with pytest.raises(DefinitionsError, match="utilisation.instrument: 'PHQ-A' is not an instrument measured as itself"):
        load_definitions(overrides={"utilisation": {"instrument": "PHQ-A"}})
    with pytest.raises(DefinitionsError, match="period_start_months"):
        load_definitions(overrides={"utilisation": {"period_start_months": [9, 1]}})


def test_the_page_names_each_period_and_an_outside_reader_sees_the_program_alone(loaded, store):
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    run = prepare(store, AS_OF)
    inside = co.utilisation(run, "2025-01", "2025-10", Privacy("internal", (1, 10)))
    assert inside["assessment_period"].unique().tolist() == ["Jan-Apr 2025", "May-Aug 2025", "Sep-Dec 2025 (open until 31 Dec)"]
    assert set(inside["clinic"]) == {"All", "C1", "C2"}
    outside = co.utilisation(run, "2025-01", "2025-10", Privacy("external", (1, 10)))
    assert outside["assessment_period"].tolist() == ["Jan-Apr 2025", "May-Aug 2025"]  # Sep-Dec is open
    assert outside["clinic"].tolist() == ["All"] * 2
    assert outside["patients_contacted"].isna().all() and outside["pct_patients_scored"].isna().all()  # 1-2 patients each


def test_an_outside_reader_sees_only_the_assessment_periods_the_pages_quarters_hold_whole(loaded, store):
    """An external page covers whole calendar quarters that have ended; an assessment period
    reaching outside them counted months the page does not show (September of Sep-Dec beside a
    page from October, or weeks not yet over): a count another page's quarters could be
    subtracted from. Staff see every period the report's months touch."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    run = prepare(store, AS_OF)
    outside = co.utilisation(run, "2025-04", "2025-09", Privacy("external", (1, 10)))
    assert outside["assessment_period"].tolist() == ["May-Aug 2025"]  # Jan-Apr starts before April
    inside = co.utilisation(run, "2025-04", "2025-09", Privacy("internal", (1, 10)))
    assert inside[inside["clinic"] == "All"]["assessment_period"].tolist() == [
        "Jan-Apr 2025", "May-Aug 2025", "Sep-Dec 2025 (open until 31 Dec)"]
    assert "held whole" in co.utilisation_note(run, outside, Privacy("external", (1, 10)))


def test_a_period_across_the_new_year_names_both_years():
    from bcm_analytics.reports.caseload_outcomes import period_words

    assert period_words(dt.date(2025, 9, 1), dt.date(2026, 2, 28), True) == "Sep 2025-Feb 2026"
    assert period_words(dt.date(2026, 12, 1), dt.date(2026, 12, 31), False) == "Dec 2026 (open until 31 Dec)"


def test_the_glossary_names_the_periods_in_force():
    from bcm_analytics.reports.glossary import outcome_terms

    terms = dict(outcome_terms(load_definitions(overrides={"utilisation": {"period_start_months": [3, 9]}})))
    assert "assessment period (Mar-Aug, Sep-Feb)" in terms["scored in the assessment period"]
    assert "(Jan-Apr, May-Aug, Sep-Dec)" in dict(outcome_terms(load_definitions()))["scored in the assessment period"]


def test_months_without_contacts_give_an_empty_table_for_either_reader(loaded, store):
    """A period with no contact (a page's quarters before the program's first) made an empty
    frame whose period column pandas typed as numbers, and the external page failed on it."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    run = prepare(store, AS_OF)
    for audience in ("internal", "external"):
        table = co.utilisation(run, "2024-01", "2024-02", Privacy(audience, (1, 10)))
        assert table.empty and table["assessment_period"].dtype == object
        assert "open assessment period" not in co.utilisation_note(run, table)


def test_the_table_names_the_instrument_the_definitions_set_whatever_the_pages_filter(loaded, store):
    """The page's instrument filter does not reach this table (it measures the definitions'
    utilisation.instrument), yet a page filtered to another instrument gave no sign of it. The title
    and the note name the definitions' instrument, here the GAD-7, and say the filter does not
    change the table; a page filtered to that same instrument is told nothing extra in its title."""
    from bcm_analytics.reports import caseload_outcomes as co

    definitions = load_definitions(overrides={"utilisation": {"instrument": "GAD-7"}})
    filtered = prepare(store, AS_OF, definitions, instrument="PHQ-9")
    table = co.utilisation(filtered, "2025-01", "2025-10")
    assert co.utilisation_title(filtered) == ("Patients with a contact and a GAD-7 in the same assessment period (still the "
                                              "GAD-7: the page's PHQ-9 filter does not apply to this table)")
    note = co.utilisation_note(filtered, table)
    assert note.startswith("This table counts GAD-7 scores, the instrument the definitions set for this measure, "
                           "whatever the page's instrument filter.")
    assert "PHQ-9" not in note.split(".")[0]
    same = prepare(store, AS_OF, definitions, instrument="gad-7")
    assert co.utilisation_title(same) == co.utilisation_title(prepare(store, AS_OF, definitions)) == (
        "Patients with a contact and a GAD-7 in the same assessment period")
    assert co.utilisation_note(same, table) == co.utilisation_note(filtered, table)
    from bcm_analytics.reports.glossary import outcome_terms

    term = dict(outcome_terms(definitions))["scored in the assessment period"]
    assert "a GAD-7 score dated in the same assessment period, whatever the page's instrument filter" in term
    assert "PHQ" not in term, "the PHQ-A counts as the PHQ-9, not as the GAD-7"
    assert "(PHQ-A counts as the PHQ-9)" in dict(outcome_terms(load_definitions()))["scored in the assessment period"]
