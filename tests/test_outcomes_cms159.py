"""CMS159 / MIPS #370 per measurement period (marts.cms159_for) on hand-written patients, each rule at its edge.

Measurement period 2025: identification period 2023-11-01..2024-10-31 (definitions cms159: 14 to 2
months before the period), the index a PHQ-9 of 10+ on the day of a contact or up to 7 days before
one, the window days 305-425 after the index (windows.12m), ages at the index. Each patient is
enrolled on 2023-06-01 (before every score and contact), and the as-of date is late enough that
every window has closed (2024-10-31 + 425 days = 2025-12-30).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_drr_e import later_episode

from bcm_analytics.config.definitions import DefinitionsError, load_definitions
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare

YEAR = 2025
CLOSED = "2026-01-15"
INDEX = "2024-06-01"


def day(text: str, plus: int = 0) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=plus)).isoformat()


class Patients:
    """Patients written as (id, [(date, score, instrument)...], contact days) with birth date and discharge.
    A patient's contact is on the day of their first score unless `contacts` says otherwise."""

    def __init__(self, load_rows):
        self.load_rows, self.patients, self.scores, self.logs = load_rows, [], [], []

    def add(self, pid, scores, contacts=None, birth="1980-06-01", reason="", discharged=""):
        self.patients.append({"patient_id": pid, "clinic_id": "C1", "payer": "Medicaid", "care_manager_id": "CM1",
                              "birth_date": birth, "enrollment_date": "2023-06-01", "discharge_date": discharged,
                              "discharge_reason": reason})
        for n, (when, total, *inst) in enumerate(scores):
            self.scores.append({"assessment_id": f"{pid}-{n}", "patient_id": pid, "instrument": inst[0] if inst else "PHQ-9",
                                "administered_on": when, "total_score": total})
        for n, when in enumerate([scores[0][0]] if contacts is None else contacts):
            self.logs.append({"entry_id": f"{pid}-t{n}", "patient_id": pid, "staff_role": "bhcm", "service_date": when,
                              "minutes": 20, "activity_type": "follow_up_contact", "contact_mode": "phone"})

    def load(self):
        self.load_rows("patients", self.patients)
        self.load_rows("assessments", self.scores)
        self.load_rows("time_logs", self.logs)

    def measure(self, store, as_of=CLOSED, **overrides):
        """CMS159 for YEAR as of `as_of`, with the definitions changed by `overrides`, by stratum."""
        self.load()
        run = prepare(store, as_of, load_definitions(overrides=overrides) if overrides else None)
        return cl.cms159(run, YEAR).set_index("stratum")


@pytest.fixture(name="cms")
def _cms(load_rows):
    return Patients(load_rows)


def test_the_index_is_a_score_of_10_or_more_not_9(cms, store):
    cms.add("nine", [(INDEX, 9)])
    cms.add("ten", [(INDEX, 10)])
    assert cms.measure(store).loc["All", "denominator"] == 1


@pytest.mark.parametrize(("contact_after", "counted"), [(0, True), (7, True), (8, False), (-1, False)])
def test_the_index_score_is_on_the_day_of_a_contact_or_up_to_7_days_before_it(cms, store, contact_after, counted):
    cms.add("p", [(INDEX, 15)], contacts=[day(INDEX, contact_after)])
    assert cms.measure(store).loc["All", "denominator"] == int(counted)


def test_the_index_is_the_first_score_of_10_or_more_that_has_its_contact(cms, store):
    """The 15 of January has no contact: the index is the 12 of March, whose window holds the 2 on its
    day 420 (day 480 after January, outside January's window)."""
    cms.add("p", [("2024-01-01", 15), ("2024-03-01", 12), (day("2024-03-01", 420), 2)], contacts=["2024-03-01"])
    row = cms.measure(store).loc["All"]
    assert (row["denominator"], row["numerator"], row["no_follow_up_score"]) == (1, 1, 0)


@pytest.mark.parametrize(("days_after", "counted"), [(304, False), (305, True), (425, True), (426, False)])
def test_the_follow_up_score_counts_from_day_305_to_day_425(cms, store, days_after, counted):
    cms.add("p", [(INDEX, 20), (day(INDEX, days_after), 2)])
    row = cms.measure(store).loc["All"]
    assert (row["denominator"], row["followed_up"], row["numerator"], row["no_follow_up_score"]) == (
        1, int(counted), int(counted), int(not counted))


@pytest.mark.parametrize(("last", "remitted"), [(4, True), (5, False)])
def test_remission_is_a_score_below_5(cms, store, last, remitted):
    cms.add("p", [(INDEX, 20), (day(INDEX, 360), last)])
    row = cms.measure(store).loc["All"]
    assert (row["followed_up"], row["numerator"], row["rate"]) == (1, int(remitted), float(remitted))


def test_the_most_recent_score_in_the_window_counts_not_the_best(cms, store):
    cms.add("p", [(INDEX, 20), (day(INDEX, 310), 2), (day(INDEX, 400), 8),
                  (day(INDEX, 430), 1)])  # after the window: ignored
    row = cms.measure(store).loc["All"]
    assert (row["denominator"], row["followed_up"], row["numerator"], row["no_follow_up_score"]) == (1, 1, 0, 0)


def test_a_patient_with_no_score_in_the_window_stays_in_the_denominator_not_met(cms, store):
    cms.add("scored", [(INDEX, 20), (day(INDEX, 365), 3)])
    cms.add("silent", [(INDEX, 20)])
    row = cms.measure(store).loc["All"]
    assert (row["denominator"], row["numerator"], row["no_follow_up_score"], row["rate"]) == (2, 1, 1, 0.5)


def test_the_strata_are_12_17_and_18_plus_by_the_age_at_the_index(cms, store):
    """Born 2006-06-02: 17 on the index day (and 18 when the measurement period starts) is 12-17;
    born 2006-06-01: 18 on the index day; born 2012-06-02: 11, under program.min_age, not counted."""
    cms.add("seventeen", [(INDEX, 15)], birth="2006-06-02")
    cms.add("eighteen", [(INDEX, 15)], birth="2006-06-01")
    cms.add("eleven", [(INDEX, 15)], birth="2012-06-02")
    frame = cms.measure(store)
    assert list(frame.index) == ["All", "12-17", "18+"]
    assert frame["denominator"].tolist() == [2, 1, 1]


@pytest.mark.parametrize(("when", "counted"), [("2023-11-01", True), ("2024-10-31", True),
                                               ("2023-10-31", False), ("2024-11-01", False)])
def test_the_index_is_dated_in_the_identification_period(cms, store, when, counted):
    cms.add("p", [(when, 12)])
    frame = cms.measure(store)
    assert frame.loc["All", "denominator"] == int(counted)
    assert (frame.loc["All", "identification_start"], frame.loc["All", "identification_end"]) == (
        dt.date(2023, 11, 1), dt.date(2024, 10, 31))


@pytest.mark.parametrize("reason", ["died", "palliative_care", "Hospice"])
def test_a_death_hospice_or_palliative_care_by_the_end_of_the_period_excludes(cms, store, reason):
    cms.add("out", [(INDEX, 20), (day(INDEX, 360), 2)], reason=reason, discharged="2025-06-01")
    cms.add("kept", [(INDEX, 20), (day(INDEX, 360), 2)], reason="completed", discharged="2025-06-01")
    assert cms.measure(store).loc["All", "denominator"] == 1


def test_a_death_after_the_end_of_the_period_does_not_exclude(cms, store):
    cms.add("p", [(INDEX, 20)], reason="died", discharged="2026-01-10")
    assert cms.measure(store, as_of="2026-02-01").loc["All", "denominator"] == 1


@pytest.mark.parametrize(("until", "excluded"), [
    ("assessment_period", {"died_last_day", "hospice_last_day"}),
    ("measurement_period", {"died_last_day", "hospice_last_day", "died_day_after", "hospice_day_after", "died_december"})])
def test_a_discharge_excludes_up_to_the_patients_window_end_or_the_period_end(cms, store, until, excluded):
    """Indexed on 2024-06-01, whose 12-month window's last day (day 425) is 2025-07-31: a death or a
    hospice discharge that day excludes under either setting; the day after (2025-08-01) or on
    2025-12-31 only under `measurement_period`, which reads December 31 for every patient.
    `assessment_period` (the default: the eCQM's "Patient Expired", on or before the end of the
    patient's "Measure Assessment Period") reads each patient's own window."""
    for pid, reason, discharged in (("died_last_day", "died", "2025-07-31"), ("hospice_last_day", "hospice", "2025-07-31"),
                                    ("died_day_after", "died", "2025-08-01"), ("hospice_day_after", "hospice", "2025-08-01"),
                                    ("died_december", "died", "2025-12-31")):
        cms.add(pid, [(INDEX, 20), (day(INDEX, 360), 2)], reason=reason, discharged=discharged)
    cms.add("kept", [(INDEX, 20), (day(INDEX, 360), 2)])
    assert day(INDEX, 425) == "2025-07-31"
    frame = cms.measure(store) if until == "assessment_period" else cms.measure(store, cms159={"exclusion_until": until})
    assert frame.loc["All", "denominator"] == 6 - len(excluded)


def test_the_window_end_that_bounds_a_death_is_each_patients_own(cms, store):
    """Two patients who died on 2025-01-01: indexed on the identification period's first day
    (2023-11-01, window's last day 2024-12-30) the death came after it and the patient stays; indexed
    on its last day (2024-10-31, window to 2025-12-30) the death excludes."""
    cms.add("early", [("2023-11-01", 20)], reason="died", discharged="2025-01-01")
    cms.add("late", [("2024-10-31", 20)], reason="died", discharged="2025-01-01")
    assert cms.measure(store).loc["All", "denominator"] == 1
    assert cms.measure(store, cms159={"exclusion_until": "measurement_period"}).loc["All", "denominator"] == 0


def test_a_phq_a_counts_as_the_phq_9(cms, store):
    cms.add("teen", [(INDEX, 16, "PHQ-A"), (day(INDEX, 365), 3, "PHQ-A")], birth="2010-01-01")
    row = cms.measure(store).loc["12-17"]
    assert (row["denominator"], row["numerator"]) == (1, 1)


@pytest.mark.parametrize(("as_of", "closed"), [("2025-12-29", False), ("2025-12-30", True)])
def test_a_year_is_complete_once_its_last_window_has_closed(cms, store, as_of, closed):
    """Indexed on the identification period's last day: the window's day 425 is 2025-12-30."""
    cms.add("p", [("2024-10-31", 20), ("2025-09-15", 2)])
    row = cms.measure(store, as_of=as_of).loc["All"]
    assert (bool(row["complete"]), row["pending"], row["last_follow_up_day"]) == (closed, int(not closed), dt.date(2025, 12, 30))


def test_the_encounter_days_and_the_identification_period_are_settings(cms, store):
    cms.add("eight_days", [(INDEX, 15)], contacts=[day(INDEX, 8)])
    cms.add("november", [("2024-11-30", 15)])
    cms.add("december", [("2024-12-01", 15)])
    frame = cms.measure(store, cms159={"encounter_within_days": 8, "identification_end_months": 1})
    assert frame.loc["All", "denominator"] == 2
    assert frame.loc["All", "identification_end"] == dt.date(2024, 11, 30)


@pytest.mark.parametrize(("holds", "contact", "counted"), [
    ("score", "2024-10-31", True), ("score", "2024-11-01", True),
    ("score_and_encounter", "2024-10-31", True), ("score_and_encounter", "2024-11-01", False),
    ("encounter", "2024-10-31", True), ("encounter", "2024-11-01", False)])
def test_whether_the_contact_must_fall_in_the_identification_period_is_a_setting(cms, store, holds, contact, counted):
    """A PHQ-9 of 15 on 2024-10-28 with its contact on the period's last day (2024-10-31) or the day
    after: by default (`score`) only the score must be in the period; `score_and_encounter` and
    `encounter` (the eCQM's reading) need the contact there too."""
    cms.add("p", [("2024-10-28", 15)], contacts=[contact])
    frame = cms.measure(store) if holds == "score" else cms.measure(store, cms159={"in_identification_period": holds})
    assert frame.loc["All", "denominator"] == int(counted)


@pytest.mark.parametrize(("holds", "score_day", "counted"), [
    ("score", "2023-10-25", False), ("score_and_encounter", "2023-10-25", False),
    ("encounter", "2023-10-25", True), ("encounter", "2023-10-24", False), ("encounter", "2023-11-01", True)])
def test_with_the_encounter_in_the_period_its_score_may_come_up_to_7_days_before_the_period(cms, store, holds, score_day, counted):
    """`encounter` dates the contact in the period (2023-11-01, its first day) and takes a score of its
    day or up to 7 days before it, the eCQM's "Index Depression Assessment": 2023-10-25 is 7 days before
    (indexed), 2023-10-24 eight (not); the other settings need the score in the period."""
    cms.add("p", [(score_day, 15)], contacts=["2023-11-01"])
    assert cms.measure(store, cms159={"in_identification_period": holds}).loc["All", "denominator"] == int(counted)


@pytest.mark.parametrize(("look_back", "reason", "excluded"), [
    ("any_time", "hospice", {"day_before", "first_day"}),
    ("measurement_period", "hospice", {"first_day"}),
    ("measurement_period", "Palliative_Care", {"first_day"}),
    ("measurement_period", "died", {"day_before", "first_day"})])  # a death excludes whenever it came
def test_the_hospice_look_back_from_the_measurement_period_is_a_setting(cms, store, look_back, reason, excluded):
    """Indexed on 2024-06-01 and discharged for `reason` on 2024-12-31 (the day before the measurement
    period) or on 2025-01-01 (its first day): `any_time` (the default) excludes both; `measurement_period`
    a hospice or palliative care discharge from the period's first day only, a death either way."""
    cms.add("day_before", [(INDEX, 20)], reason=reason, discharged="2024-12-31")
    cms.add("first_day", [(INDEX, 20)], reason=reason, discharged="2025-01-01")
    cms.add("kept", [(INDEX, 20)])
    frame = cms.measure(store) if look_back == "any_time" else cms.measure(store, cms159={"care_exclusion_from": look_back})
    assert frame.loc["All", "denominator"] == 3 - len(excluded)


@pytest.mark.parametrize(("look_back", "excluded"), [
    ("any_time", {"day_before", "first_day", "died_before"}),
    ("identification_period", {"first_day", "died_before"}),
    ("index", {"died_before"})])
def test_the_hospice_look_back_from_the_identification_period_or_the_index_reads_every_episode(cms, store, look_back, excluded):
    """An earlier enrolment discharged to hospice on 2023-10-31 (the day before the identification period)
    or on 2023-11-01 (its first day), then the index episode (indexed 2024-06-01): `identification_period`
    (the eCQM's CQL) excludes from the period's first day, `index` from the index day; a death on
    2023-10-31 excludes under every setting."""
    for pid in ("day_before", "first_day", "died_before", "kept"):
        cms.add(pid, [(INDEX, 20)])
    cms.load()
    run = prepare(store, CLOSED, load_definitions(overrides={"cms159": {"care_exclusion_from": look_back}}))
    later_episode(run, "day_before", "2023-01-02", "2023-10-31", "hospice")
    later_episode(run, "first_day", "2023-01-02", "2023-11-01", "hospice")
    later_episode(run, "died_before", "2023-01-02", "2023-10-31", "died")
    assert cl.cms159(run, YEAR).set_index("stratum").loc["All", "denominator"] == 4 - len(excluded)


def test_the_care_exclusion_reasons_are_reasons_that_exclude():
    with pytest.raises(DefinitionsError, match="cms159.care_exclusion_reasons: 'moved' not among program.excluded_discharge_reasons"):
        load_definitions(overrides={"cms159": {"care_exclusion_reasons": ["hospice", "moved"]}})
    with pytest.raises(DefinitionsError, match="cms159.care_exclusion_from"):
        load_definitions(overrides={"cms159": {"care_exclusion_from": "ever"}})
    load_definitions(overrides={"cms159": {"care_exclusion_reasons": ["Hospice "]}})  # matched whatever its case


def test_exclusion_until_is_refused_in_one_line_naming_its_values():
    with pytest.raises(DefinitionsError) as refused:
        load_definitions(overrides={"cms159": {"exclusion_until": "measurement_year"}})
    assert str(refused.value) == ("overrides: cms159.exclusion_until: must be assessment_period or measurement_period "
                                  "(got 'measurement_year')")


def test_the_identification_period_must_start_before_it_ends():
    with pytest.raises(DefinitionsError, match="cms159"):
        load_definitions(overrides={"cms159": {"identification_start_months": 2}})
    with pytest.raises(DefinitionsError, match="cms159.instrument"):
        load_definitions(overrides={"cms159": {"instrument": "PHQ-A"}})


def _program(load_rows):
    """14 adults and 3 teens, each indexed on 2024-06-01 with a PHQ-9 of 20 and a contact that day:
    12 adults score 2 on day 365, 2 adults are never scored again; the 3 teens score 2 on day 365."""
    cms = Patients(load_rows)
    for i in range(17):
        follow = [] if i in (0, 1) else [(day(INDEX, 365), 2)]
        cms.add(f"P{i:02d}", [(INDEX, 20), *follow], birth="2010-01-01" if i >= 14 else "1980-06-01")
    cms.load()


def _bcm(tmp_path, *args):
    """`bcm outcomes` on the test store (closed first), as a program runs it."""
    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    return CliRunner().invoke(cli, ["outcomes", "--db", str(tmp_path / "test.duckdb"), *args])


def _cms159_file(store, load_rows, tmp_path, as_of, suffix=".csv"):
    _program(load_rows)
    store.close()
    out = tmp_path / f"cms159{suffix}"
    result = _bcm(tmp_path, "--as-of", as_of, "--cms159", str(out), "--year", "2025")
    assert result.exit_code == 0, result.output
    read = pd.read_csv if suffix == ".csv" else lambda path: pd.read_excel(path, sheet_name="cms159")
    return result.output, out, read(out).set_index("stratum")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_bcm_outcomes_cms159_writes_the_year_per_stratum_suppressed(store, load_rows, tmp_path, suffix):
    """The 12-17 stratum's 3 patients are hidden, and so is a cell that would give them back by
    subtraction from the program's row; the 2 adults with no follow-up score too."""
    output, out, frame = _cms159_file(store, load_rows, tmp_path, CLOSED, suffix)
    assert f"CMS159 (counts 1-10 suppressed) written to {out}" in output and "not complete" not in output
    assert list(frame.index) == ["All", "12-17", "18+"]
    assert frame["measurement_year"].unique().tolist() == [2025] and frame["complete"].all()
    assert pd.isna(frame.at["12-17", "denominator"]) and "denominator" in frame.at["12-17", "suppressed"]
    assert pd.isna(frame.at["All", "denominator"]) or pd.isna(frame.at["18+", "denominator"])
    assert pd.isna(frame.at["18+", "no_follow_up_score"])
    shown = frame[["denominator", "followed_up", "numerator", "no_follow_up_score"]]
    assert not shown.isin(range(1, 11)).any().any()


def test_bcm_outcomes_cms159_says_when_the_year_is_not_complete(store, load_rows, tmp_path):
    output, out, frame = _cms159_file(store, load_rows, tmp_path, "2025-06-30")
    assert "measurement year 2025 is not complete: 12-month windows run until 2025-12-30" in output
    assert not frame["complete"].any()
    refused = _bcm(tmp_path, "--year", "2025", "--out", str(out))
    assert refused.exit_code != 0 and "--year is the measurement year of --drr-e and --cms159" in refused.output


def test_the_caseload_page_shows_a_period_once_its_windows_have_closed(cms, store):
    """The director's page shows CMS159 for the periods its months fall in whose 12-month windows
    have all closed within its data, as it shows DRR-E: 2025 as of 2026-01-15, with the same counts
    as `bcm outcomes --cms159`; as of 2025-12-29 (a day before the last window closes) no period,
    and the note names 2025 with the day its windows close."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    cms.add("P1", [(INDEX, 15), (day(INDEX, 330), 3)])
    cms.add("P2", [(INDEX, 12), (day(INDEX, 330), 8)])
    cms.load()
    internal = Privacy("internal", (1, 10))
    table = co.cms159_years(prepare(store, CLOSED), "2025-01", "2025-12", internal)
    assert list(table.columns) == co.CMS159_COLUMNS
    shown = table.set_index("stratum").loc["All", ["measurement_year", "denominator", "followed_up", "numerator", "rate"]]
    assert shown.tolist() == [2025, 2, 2, 1, 0.5]
    assert "12-month" not in co.cms159_title(prepare(store, CLOSED)) and "305-425 days" in co.cms159_title(prepare(store, CLOSED))
    still = co.cms159_years(prepare(store, "2025-12-29"), "2025-01", "2025-12", internal)
    assert still.empty and still.attrs["open_years"] == {2025: dt.date(2025, 12, 30)}
    assert "Measurement year 2025 is left out: its follow-up windows run until 30 Dec 2025" in co.years_note(
        prepare(store, "2025-12-29"), still, internal)


def test_a_period_whose_index_months_begin_before_the_first_score_says_it_can_read_low(cms, store):
    """A program whose exports begin in March 2024 has no score from November 2023 to February 2024,
    four of CMS159 2025's twelve index months: the page showed 2025 as a measure of all twelve."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    cms.add("P1", [("2024-03-04", 15), (day("2024-03-04", 330), 3)])
    cms.load()
    for audience, begins, first in (("internal", "2023-11-01", "2024-03-04"), ("external", "Nov 2023", "Mar 2024")):
        privacy = Privacy(audience, (1, 10))
        table = co.cms159_years(prepare(store, CLOSED), "2025-01", "2025-12", privacy)
        assert table.attrs["before_scores"] == {2025: dt.date(2023, 11, 1)}
        assert (f"Measurement year 2025 looks for index scores from {begins}, "
                f"before the first score this store holds ({first}): it counts only the patients scored since") in co.years_note(
            prepare(store, CLOSED), table, privacy)
    cms.add("P0", [("2023-11-01", 12)])
    cms.load()
    assert co.cms159_years(prepare(store, CLOSED), "2025-01", "2025-12").attrs["before_scores"] == {}


@pytest.mark.parametrize(("holds", "first_index_day", "read_low"), [
    ("score", dt.date(2023, 11, 1), False), ("encounter", dt.date(2023, 10, 25), True)])
def test_the_note_on_when_scores_begin_reads_the_earliest_day_an_index_can_have(cms, store, holds, first_index_day, read_low):
    """The store's first score is on 2023-10-28, three days before the identification period of 2025.
    Under `score` no index can come before 2023-11-01, so the year's index months are all in the store;
    under `encounter` a score up to 7 days before a contact on 2023-11-01 is an index, from 2023-10-25,
    before the first score: the note names that day, not the period's first."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    cms.add("P1", [("2023-10-28", 15), (day("2023-10-28", 330), 3)], contacts=["2023-11-01"])
    cms.load()
    run = prepare(store, CLOSED, load_definitions(overrides={"cms159": {"in_identification_period": holds}}))
    assert cl.cms159(run, YEAR).set_index("stratum").loc["All", "first_index_day"] == first_index_day
    privacy = Privacy("internal", (1, 10))
    table = co.cms159_years(run, "2025-01", "2025-12", privacy)
    assert table.attrs["before_scores"] == ({2025: first_index_day} if read_low else {})
    note = co.years_note(run, table, privacy)
    assert ("Measurement year 2025 looks for index scores from 2023-10-25, before the first score this store holds "
            "(2023-10-28)" in note) == read_low


CMS159_TERM = "depression remission at twelve months (CMS159)"


def test_the_glossary_says_cms159_with_the_settings_in_force():
    """The caseload page's glossary words CMS159 from the definitions: the identification period's
    days, where the index must fall, the window, and the exclusions' reach, each a setting."""
    from bcm_analytics.reports.glossary import outcome_terms

    default = dict(outcome_terms(load_definitions()))[CMS159_TERM]
    assert "is dated from 1 Nov two years before to 31 Oct of the year before (CMS159's identification months)" in default
    assert "a score 305-425 days after it" in default and "below 5 (remission, the numerator)" in default
    assert "for deceased, death or died, or for hospice or palliative care, up to the last day of the patient's window (day 425" in default
    changed = dict(outcome_terms(load_definitions(overrides={
        "cms159": {"identification_start_months": 13, "identification_end_months": 1, "in_identification_period": "encounter",
                   "care_exclusion_from": "measurement_period", "exclusion_until": "measurement_period"},
        "windows": {"12m": {"from": 300, "to": 420}}})))[CMS159_TERM]
    assert "comes on the day of a contact dated from 1 Dec two years before to 30 Nov of the year before (CMS159's identification months)" in changed
    assert "a score 300-420 days after it" in changed
    assert ("or for hospice or palliative care (from 1 Jan of the measurement year), up to the end of the measurement year"
            in changed)
