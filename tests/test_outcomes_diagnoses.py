"""Diagnosis exclusions: a patient with bipolar, personality, psychotic or pervasive developmental
disorder is out of HEDIS DRR-E and CMS159 (outcome_measures.md section 3).

A program may export diagnoses (patient_id, code: ICD-10-CM with or without the dot, any case,
diagnosis_date). marts.has_excluding_diagnosis decides whether a patient has a code starting with a
prefix of definitions diagnosis_exclusions (F31 bipolar, F60 personality, F20-F29 psychotic, F84
pervasive developmental) dated by a day: DRR-E's measurement period end (December 31 of the year),
CMS159's day of cms159.exclusion_until (the end of the patient's 12-month window by default).
Without a diagnoses file every count is what it was.
"""

from __future__ import annotations

import pytest
from test_drr_e import Store
from test_models import snapshot
from test_outcomes_cms159 import INDEX, Patients, day

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.models.marts import refresh
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare
from bcm_analytics.reports import glossary


def dx(pid: str, code: str, when: str) -> dict:
    return {"patient_id": pid, "code": code, "diagnosis_date": when}


def drr_e_patients(drr: Store) -> Store:
    """Four DRR-E patients of 2025, indexed in June 2024, each followed up and remitted."""
    for pid in ("bipolar", "later", "depressed", "plain"):
        drr.add(pid, [("2024-06-01", 20), (day("2024-06-01", 150), 2)])
    return drr


def test_no_diagnoses_file_leaves_drr_e_and_cms159_as_they_were(load_rows, store):
    """The same patients with and without a diagnoses file that excludes none of them: the same counts
    (the CMS159 patients, indexed in June 2024, are in DRR-E's 2025 intake period too)."""
    drr = drr_e_patients(Store(load_rows))
    cms = Patients(load_rows)
    for pid in ("a", "b"):
        cms.add(pid, [(INDEX, 20), (day(INDEX, 360), 2)])
    cms.load()
    before = (drr.measure(store), cl.cms159(prepare(store, "2026-01-15"), 2025))
    assert before[0].loc["All", "denominator"] == 6 and before[1].set_index("stratum").loc["All", "denominator"] == 2
    load_rows("diagnoses", [dx("plain", "F32.1", "2024-01-10"), dx("a", "F41.1", "2024-01-10")])
    after = (drr.measure(store), cl.cms159(prepare(store, "2026-01-15"), 2025))
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_drr_e_a_bipolar_diagnosis_by_the_period_end_excludes_one_after_it_and_depression_do_not(load_rows, store):
    """F31.0 on the measurement period's last day (2025-12-31) excludes; F31.0 the day after does not
    (the period is over), nor does F32.1 (depression, the measure's own diagnosis)."""
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    load_rows("diagnoses", [dx("bipolar", "F31.0", "2025-12-31"), dx("later", "F31.0", "2026-01-01"),
                            dx("depressed", "F32.1", "2024-01-10")])
    row = drr.measure(store, as_of="2026-02-01").loc["All"]
    assert (row["denominator"], row["followed_up"], row["remitted"]) == (3, 3, 3)


@pytest.mark.parametrize("code", ["F31.0", "f310", "F310", " f31.0 ", "F60.3", "F20.9", "F25.0", "F84.0"])
def test_a_code_with_or_without_its_dot_in_any_case_matches_its_prefix(load_rows, store, code):
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    result = load_rows("diagnoses", [dx("bipolar", code, "2020-03-01")])
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert drr.measure(store).loc["All", "denominator"] == 3


@pytest.mark.parametrize("code", ["F32.A", "F33.1", "F41.1", "F30.10", "F61"])
def test_codes_outside_the_exclusions_do_not_exclude(load_rows, store, code):
    """Depression (F32, F33), anxiety (F41), a manic episode (F30: not F31), F61 (not F60)."""
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    load_rows("diagnoses", [dx("bipolar", code, "2020-03-01")])
    assert drr.measure(store).loc["All", "denominator"] == 4


@pytest.mark.parametrize("labile", ["F60.3", "f603", "F603"])
def test_the_prefixes_are_definitions_an_override_narrows(load_rows, store, labile):
    """CMS159's personality value set is emotionally labile personality disorder (F60.3) alone: an
    override naming it keeps a patient with F60.2 and still leaves out one with F60.3, however the
    code writes the dot (a prefix past the dot is where it matters)."""
    drr = Store(load_rows)
    for pid in ("labile", "other"):
        drr.add(pid, [("2024-06-01", 20)])
    drr.load_rows("patients", drr.patients)
    load_rows("diagnoses", [dx("labile", labile, "2024-01-01"), dx("other", "F60.2", "2024-01-01")])
    assert drr.measure(store).loc["All", "denominator"] == 0
    narrowed = drr.measure(store, diagnosis_exclusions={"personality": ["F60.3"]})
    assert narrowed.loc["All", "denominator"] == 1


@pytest.mark.parametrize(("until", "excluded"), [("assessment_period", {"on_window_end"}),
                                                 ("measurement_period", {"on_window_end", "after_window"})])
def test_cms159_a_diagnosis_excludes_up_to_the_day_exclusion_until_names(load_rows, store, until, excluded):
    """Indexed on 2024-06-01, whose window ends on 2025-07-31 (day 425): F31.0 that day excludes under
    either setting; on 2025-08-01 only under `measurement_period` (December 31 for everyone); F32.9
    never."""
    cms = Patients(load_rows)
    for pid in ("on_window_end", "after_window", "depressed", "plain"):
        cms.add(pid, [(INDEX, 20), (day(INDEX, 360), 2)])
    cms.load()
    load_rows("diagnoses", [dx("on_window_end", "F31.0", "2025-07-31"), dx("after_window", "f3181", "2025-08-01"),
                            dx("depressed", "F32.9", "2024-01-01")])
    frame = cms.measure(store) if until == "assessment_period" else cms.measure(store, cms159={"exclusion_until": until})
    assert (frame.loc["All", "denominator"], frame.loc["All", "numerator"]) == (4 - len(excluded), 4 - len(excluded))


def test_a_diagnosis_after_the_as_of_date_is_not_known_yet(load_rows, store):
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    load_rows("diagnoses", [dx("bipolar", "F31.0", "2025-12-01")])
    assert drr.measure(store, as_of="2025-11-30").loc["All", "denominator"] == 4
    assert drr.measure(store, as_of="2025-12-01").loc["All", "denominator"] == 3


def test_unknown_patient_waits_and_unreadable_code_or_date_is_quarantined_with_a_reason(load_rows, store):
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    result = load_rows("diagnoses", [dx("bipolar", "F31.0", "2024-01-01"), dx("nobody", "F31.0", "2024-01-01"),
                                     dx("plain", "Bipolar disorder", "2024-01-01"), dx("plain", "296.40", "2024-01-01"),
                                     dx("later", "F31.0", "2024-02-30")])
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4), result
    rows = store.execute("""SELECT line_number, status, reason FROM meta.quarantine
                            WHERE table_name = 'diagnoses' ORDER BY line_number""").fetchall()
    assert [(line, status) for line, status, _ in rows] == [(3, "waiting"), (4, "open"), (5, "open"), (6, "open")]
    assert "patient_id 'nobody' is not in the patients exports" in rows[0][2]
    assert "code 'BIPOLAR DISORDER' is not an ICD-10-CM code" in rows[1][2]
    assert "code '296.40' is not an ICD-10-CM code" in rows[2][2]
    assert "diagnosis_date" in rows[3][2]
    assert store.execute("SELECT DISTINCT source_file FROM meta.quarantine WHERE table_name = 'diagnoses'").fetchone()[0].endswith(".csv")
    # the patient arrives: the waiting row is admitted and excludes them
    drr.add("nobody", [("2024-06-01", 20)])
    drr.load_rows("patients", drr.patients)
    assert store.execute("SELECT count(*) FROM staging.diagnoses WHERE patient_id = 'nobody'").fetchone()[0] == 1
    assert drr.measure(store).loc["All", "denominator"] == 3


def test_loading_twice_changes_nothing_and_a_diagnosis_rebuilds_only_its_patients_outcomes(load_rows, store):
    """The same file again is already loaded, its rows in another order all duplicates; the marts stay.
    A diagnosis is a kind of data of its own (the fingerprint's 'diagnoses'): no billing mart is
    recomputed for it."""
    drr = drr_e_patients(Store(load_rows))
    drr.load_rows("patients", drr.patients)
    drr.load_rows("assessments", drr.scores)
    refresh(store)
    before = snapshot(store)
    rows = [dx("bipolar", "F31.0", "2024-01-01"), dx("bipolar", "F32.1", "2024-01-01")]
    first = load_rows("diagnoses", rows)
    assert (first.rows_loaded, first.rows_quarantined) == (2, 0)
    steps = refresh(store).steps
    assert {s.how for s in steps} <= {"kept", "patients"}
    fingerprints = store.execute("""SELECT patient_id FROM meta.marts_fingerprints
                                    WHERE component = 'diagnoses'""").fetchall()
    assert fingerprints == [("bipolar",)]
    assert [t for t in before if not before[t].equals(snapshot(store)[t])] == []  # no mart table reads diagnoses
    again = load_rows("diagnoses", rows[::-1])
    assert (again.rows_duplicate, again.rows_quarantined, again.rows_loaded) == (2, 0, 0), again
    assert store.execute("SELECT count(*) FROM staging.diagnoses").fetchone()[0] == 2
    assert {s.how for s in refresh(store).steps} == {"kept"}
    assert drr.measure(store).loc["All", "denominator"] == 3


DRR_E, CMS159 = "depression remission or response (HEDIS DRR-E style)", "depression remission at twelve months (CMS159)"


def test_the_glossary_names_the_excluded_categories_as_runs():
    """The DRR-E and CMS159 entries listed psychotic disorders as 'F20, F21, F22, F23, F24, F25,
    F28, F29'; categories in a row read as a run, and a longer prefix stands on its own."""
    terms = dict(glossary.outcome_terms(load_definitions()))
    words = ("bipolar (F31), personality (F60), psychotic (F20 to F25 and F28 to F29) or pervasive "
             "developmental (F84) disorder dated up to the same day")
    assert words in terms[DRR_E] and words in terms[CMS159]
    overridden = load_definitions(overrides={"diagnosis_exclusions": {"personality": ["F60.3"], "psychotic": ["F20", "F22"]}})
    assert "personality (F60.3), psychotic (F20 and F22)" in dict(glossary.outcome_terms(overridden))[DRR_E]
