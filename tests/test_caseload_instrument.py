"""The caseload tables under the page's instrument filter, on five hand-written patients.

Each patient has a care manager of their own, so a care-manager row reads as that patient. As of
2025-03-31; March's month end. "Last 30 days" is Mar 2-31, "last 60" Jan 31-Mar 31.

    PHQ    PHQ-9 20 Jan 2, 18 Mar 20      scored (PHQ-9); not improving on the PHQ-9 (day 88, 18 > 10)
    GAD    GAD-7 15 Jan 2, 14 Mar 25      scored (GAD-7); not improving on the GAD-7, no review
    BOTH   PHQ-9 12 Jan 2, 12 Mar 10      scored (PHQ-9), not on the GAD-7 in 30 days but in 60;
           GAD-7 12 Jan 2, 12 Feb 10      not improving on both; a caseload review Mar 5
    TEEN   PHQ-A 15 Mar 15                scored: the PHQ-A is measured as the PHQ-9
    NONE   no score                       on the caseload, never scored

A director filtering the page to the GAD-7 read "scored, last 30 days" over every score (4 of 5)
and a glossary saying "a PHQ-9 or GAD-7 score"; the scores table showed the PHQ-9's means too.
"""

from __future__ import annotations

import pandas as pd
import pytest

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare
from bcm_analytics.reports import caseload_outcomes as co
from bcm_analytics.reports import formats, glossary
from bcm_analytics.reports.privacy import Privacy

AS_OF = "2025-03-31"
PATIENTS = ("PHQ", "GAD", "BOTH", "TEEN", "NONE")


def score(sid, pid, instrument, when, total):
    return {"assessment_id": sid, "patient_id": pid, "instrument": instrument, "administered_on": when, "total_score": total}


@pytest.fixture
def loaded(load_rows):
    load_rows("patients", [{"patient_id": p, "clinic_id": "C1", "payer": "Medicaid", "care_manager_id": p,
                            "birth_date": "2010-01-01" if p == "TEEN" else "1980-01-01",
                            "enrollment_date": "2025-03-01" if p == "TEEN" else "2025-01-02", "discharge_date": ""}
                           for p in PATIENTS])
    load_rows("time_logs", [{"entry_id": "T1", "patient_id": "BOTH", "staff_role": "bhcm", "service_date": "2025-03-05",
                             "minutes": 20, "activity_type": "caseload_review", "contact_mode": "none"}])
    load_rows("assessments", [
        score("A1", "PHQ", "PHQ-9", "2025-01-02", 20), score("A2", "PHQ", "PHQ-9", "2025-03-20", 18),
        score("A3", "GAD", "GAD-7", "2025-01-02", 15), score("A4", "GAD", "GAD-7", "2025-03-25", 14),
        score("A5", "BOTH", "PHQ-9", "2025-01-02", 12), score("A6", "BOTH", "PHQ-9", "2025-03-10", 12),
        score("A7", "BOTH", "GAD-7", "2025-01-02", 12), score("A8", "BOTH", "GAD-7", "2025-02-10", 12),
        score("A9", "TEEN", "PHQ-A", "2025-03-15", 15)])


def march(store, instrument=None) -> pd.DataFrame:
    frame = cl.caseload_months(prepare(store, AS_OF, instrument=instrument), "2025-03", "2025-03")
    return frame[(frame["clinic"] == "All") & (frame["care_manager"] != "All")].set_index("care_manager")


def counted(rows: pd.DataFrame, col: str) -> list[str]:
    return sorted(rows.index[rows[col] == 1])


@pytest.mark.parametrize("instrument, scored, scored_long, not_improving, no_review", [
    (None, ["BOTH", "GAD", "PHQ", "TEEN"], ["BOTH", "GAD", "PHQ", "TEEN"], ["BOTH", "GAD", "PHQ"], ["GAD", "PHQ"]),
    ("GAD-7", ["GAD"], ["BOTH", "GAD"], ["BOTH", "GAD"], ["GAD"]),
    ("PHQ-9", ["BOTH", "PHQ", "TEEN"], ["BOTH", "PHQ", "TEEN"], ["BOTH", "PHQ"], ["PHQ"]),
], ids=["any", "GAD-7", "PHQ-9"])
def test_scored_and_not_improving_follow_the_instrument_filter(loaded, store, instrument, scored, scored_long,
                                                               not_improving, no_review):
    rows = march(store, instrument)
    assert counted(rows, "scored") == scored
    assert counted(rows, "scored_long") == scored_long
    assert counted(rows, "not_improving") == not_improving
    assert counted(rows, "not_improving_no_review") == no_review


def test_the_caseload_contacts_and_reviews_do_not_follow_it(loaded, store):
    """A patient is on the caseload, not on an instrument: NONE, never scored, is on a GAD-7 page's caseload."""
    whole, gad7 = march(store), march(store, "GAD-7")
    for col in ("served", "active", "contacted", "reviewed", "new_enrolments", "discharges", "mean_weeks_in_treatment"):
        assert gad7[col].tolist() == whole[col].tolist(), col
    assert counted(gad7, "active") == sorted(PATIENTS) and counted(gad7, "reviewed") == ["BOTH"]
    program = cl.caseload_months(prepare(store, AS_OF, instrument="GAD-7"), "2025-03", "2025-03").iloc[0]
    assert (program["active"], program["scored"], program["pct_scored"]) == (5, 1, pytest.approx(0.2))


def test_the_page_names_the_filters_instrument_where_the_filter_reaches(loaded, store):
    run = prepare(store, AS_OF, instrument="GAD-7")
    labels = co.process_labels(run)
    assert labels["pct_scored"] == "scored on the GAD-7, last 30 days"
    assert labels["pct_scored_long"] == "scored on the GAD-7, last 60 days"
    assert labels["pct_not_improving"] == "not improving on the GAD-7"
    assert labels["not_improving_no_review"] == "not improving on the GAD-7, no recent review"
    assert "GAD-7" not in labels["pct_contacted"] + labels["pct_reviewed"] + labels["pct_followed_up"]
    assert co.process_note(run).startswith("Filtered to the GAD-7: scored and not improving count GAD-7 scores alone. "
                                           "The caseload, enrolments, discharges, contacts")
    unfiltered = prepare(store, AS_OF)
    assert co.process_note(unfiltered) == ""
    assert all(label == formats.label(col) for col, label in co.process_labels(unfiltered).items())  # packaged windows
    assert formats.label("pct_scored") == "scored, last 30 days"  # the unfiltered page's heading, any instrument


def test_the_headline_says_scored_on_the_filters_instrument(loaded, store):
    run = prepare(store, AS_OF, instrument="GAD-7")
    privacy = Privacy("internal", run.definitions.threshold)
    stocks = co.caseload(run, "2025-01", "2025-03", privacy)
    cards = {card.label: card for card in co.headlines(run, stocks, co.headline(run, "2025-01", "2025-03", privacy))}
    card = cards["scored on the GAD-7 in the last 30 days, Mar 2025"]
    assert card.value == pytest.approx(0.2) and card.detail == "of the active caseload"
    unfiltered = prepare(store, AS_OF)
    stocks = co.caseload(unfiltered, "2025-01", "2025-03", privacy)
    labels = [card.label for card in co.headlines(unfiltered, stocks, co.headline(unfiltered, "2025-01", "2025-03", privacy))]
    assert "scored in the last 30 days, Mar 2025" in labels


def test_the_scores_table_shows_the_filters_instrument_alone_and_says_time_in_treatment_does_not_follow(loaded, store):
    gad7 = prepare(store, AS_OF, instrument="GAD-7")
    assert co.score_columns(gad7) == ["month", "mean_gad7_first", "mean_gad7_last", "mean_weeks_in_treatment"]
    assert co.scores_title(gad7) == "Scores and time in treatment per month"
    note = co.scores_note(gad7)
    assert "the page's GAD-7 filter does not apply to it: time in treatment is the patient's" in note
    assert co.score_columns(prepare(store, AS_OF, instrument="PHQ-9"))[1:3] == ["mean_phq9_first", "mean_phq9_last"]
    whole = prepare(store, AS_OF)
    assert co.score_columns(whole) == ["month", "mean_phq9_first", "mean_phq9_last", "mean_gad7_first", "mean_gad7_last",
                                       "mean_weeks_in_treatment"]
    assert "filter" not in co.scores_note(whole)
    own = prepare(store, AS_OF, instrument="EPDS")  # a program's own instrument: no mean kept (PHQ-A is refused, test_outcomes_cli)
    assert co.score_columns(own) == ["month", "mean_weeks_in_treatment"]
    assert co.scores_title(own) == "Time in treatment per month"
    assert co.scores_note(own).startswith("There is no mean score of the EPDS")
    shown = co.program_rows(co.caseload(gad7, "2025-03", "2025-03", Privacy("internal", gad7.definitions.threshold)))
    assert shown[co.score_columns(gad7)].iloc[0].tolist()[1:3] == [pytest.approx(13.5), pytest.approx(13.0)]


def test_an_outside_readers_filtered_caseload_is_still_suppressed(loaded, store):
    """1 patient scored on the GAD-7 of 5 on the caseload: the count and its rate are hidden."""
    run = prepare(store, AS_OF, instrument="GAD-7")
    safe = co.caseload(run, "2025-03", "2025-03", Privacy("external", run.definitions.threshold))
    program = co.program_rows(safe)
    hidden = safe.attrs["suppressed"]
    for col in ("scored", "pct_scored", "not_improving", "pct_not_improving"):
        assert program.index[0] in hidden.get(col, ()) and program[col].isna().all(), col


def test_the_glossary_says_scored_on_the_filters_instrument(loaded, store):
    definitions = load_definitions()
    filtered = dict(glossary.outcome_terms(definitions, instrument="GAD-7"))
    assert filtered["scored, last 30 / 60 days"].startswith("of the active caseload, a GAD-7 score (the page's "
                                                            "instrument filter; without it, a score on any instrument)")
    assert "PHQ-9" not in filtered["scored, last 30 / 60 days"]
    assert filtered["not improving"].endswith("; on this page, on the GAD-7 (the page's instrument filter)")
    whole = dict(glossary.outcome_terms(definitions))
    assert whole["scored, last 30 / 60 days"] == ("of the active caseload, a score on any instrument (PHQ-9, PHQ-A, GAD-7) "
                                                  "in the last 30 / 60 days")
    assert "filter" not in whole["not improving"]


@pytest.mark.parametrize("instrument, condition", [("PHQ-9", "depression"), ("GAD-7", "anxiety")])
def test_the_glossarys_utilisation_diagnosis_follows_the_definitions_instrument(instrument, condition):
    """The glossary said 'enrolment in the program stands for the depression diagnosis' whatever
    instrument the definitions measure utilisation on; a GAD-7 monitors anxiety."""
    definitions = load_definitions(overrides={"utilisation": {"instrument": instrument}})
    term = dict(glossary.outcome_terms(definitions))["scored in the assessment period"]
    assert f"; enrolment in the program stands for the {condition} diagnosis (" in term
    other = {"depression": "anxiety", "anxiety": "depression"}[condition]
    assert other not in term


def test_the_utilisation_help_names_the_definitions_instrument():
    """`bcm outcomes --help` said 'A PHQ-9 in each assessment period' whatever the definitions set."""
    from click.testing import CliRunner

    from bcm_analytics.cli.outcomes import outcomes

    text = " ".join(CliRunner().invoke(outcomes, ["--help"]).output.split())
    assert "A PHQ-9 in each assessment period" not in text
    assert "A score on the definitions' utilisation instrument (utilisation.instrument, the PHQ-9 as packaged)" in text


def test_a_filter_on_a_pooled_instrument_is_refused_before_any_mart_is_built(loaded, store):
    """The CLI and the report parameters refused --instrument PHQ-A at once; a library call built
    the outcome marts first (seconds on a real program) and refused after. It now refuses first."""
    from bcm_analytics.models.build import manifest

    assert manifest(store) == ({}, {})  # loaded by the library's load_file: never built
    with pytest.raises(ValueError, match="filter on PHQ-9"):
        prepare(store, AS_OF, instrument="PHQ-A")
    assert manifest(store) == ({}, {})
