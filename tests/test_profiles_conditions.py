"""FHIR Condition resources load as the optional `diagnoses` table (fhir profile), which HEDIS DRR-E
and CMS159 read for their diagnosis exclusions (tests/test_outcomes_diagnoses.py).

tests/fixtures/exports/fhir_conditions/: pat-b, pat-d and pat-s are in the program (a PHQ-9 of 18 on
2024-06-03 and one of 3 on 2024-10-31), pat-x is not (no score). Condition.ndjson, line by line:

1. cond-b1 pat-b F31.81 (ICD-10-CM, beside its SNOMED CT coding), onset 2023-11-02T10:15:00-05:00
   (recorded a week later); its code.text and note name people: never read
2. cond-b2 pat-b F319 (no dot, the ICD-10-CM OID), resolved, recordedDate 2024-02-14 only
3. cond-d1 pat-d F33.1 (depression), onsetPeriod from 2024-05-20
4. cond-d2 pat-d F31.0 refuted
5. cond-d3 pat-d F20.9 entered in error
6. cond-d4 pat-d f41.1 (system ICD-10), provisional, onset '2025-03' (a month only)
7. cond-s1 pat-s SNOMED CT 13746004 (bipolar disorder) only: left out, counted
8. cond-s2 pat-s F32.A with an onsetAge and no date
9. cond-x1 pat-x F31.0: a patient the export holds and never scores

bundle_conditions.json: pat-u (fullUrl urn:uuid), a PHQ-9 and F84.0 since 2012-04-09, each referring
to the patient by that urn:uuid.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from test_profiles import by, rows, use
from test_profiles_load import counts, load_profile, quarantine

from bcm_analytics.ingest.profiles import load, map_export
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare

FIXTURE = Path(__file__).parent / "fixtures" / "exports" / "fhir_conditions"
SKIPPED = ("Conditions with no ICD-10-CM coding (SNOMED CT alone: the measures' diagnosis exclusions are read by ICD-10-CM "
           "code), refuted or entered in error (verificationStatus), or of a patient this export holds with no PHQ-2, PHQ-9, "
           "PHQ-A or GAD-7 score (not in the program)")


def mapped():
    return map_export(load("fhir"), [FIXTURE])


def test_each_icd_10_cm_coding_of_a_condition_is_a_diagnosis_with_its_day():
    """The measures read ICD-10-CM codes with a day: every system name of ICD-10-CM (and ICD-10) is
    read, the code as written, the day of onsetDateTime, else onsetPeriod.start, else recordedDate;
    a resolved Condition is history and still loads."""
    got = {(r["patient_id"], r["code"]): (r["diagnosis_date"], r["_line"]) for r in rows(mapped(), "diagnoses")}
    assert got == {
        ("pat-b", "F31.81"): ("2023-11-02", 1),  # onsetDateTime's own day, not the recordedDate
        ("pat-b", "F319"): ("2024-02-14", 2),  # the OID; recordedDate alone
        ("pat-d", "F33.1"): ("2024-05-20", 3),  # onsetPeriod.start
        ("pat-d", "f41.1"): ("2025-03-31", 6),  # provisional loads; a month only is its last day
        ("pat-s", "F32.A"): (None, 8),  # no date: handed on to be set aside (below)
        ("pat-u", "F84.0"): ("2012-04-09", 3),  # subject by the Patient's fullUrl
    }


def test_a_partial_onset_is_its_last_day_with_a_warning_and_an_undated_one_says_why():
    """A diagnosis written as March 2025 is known to be dated by March 31 only; the row says so. A
    Condition with no date cannot be placed before or after the day a measure reads up to: its
    reason says what to write."""
    notes = {r["_line"]: json.loads(r["_notes"]) for r in rows(mapped(), "diagnoses", "Condition.ndjson") if r["_notes"]}
    assert notes == {
        6: [{"name": "fhir profile: diagnosis_date", "waits": False,
             "reason": "Condition/cond-d4 onsetDateTime '2025-03' gives only the month: diagnosis_date is its last day, 2025-03-31"}],
        8: [{"name": "fhir profile: diagnosis_date", "waits": False, "reject": True,
             "reason": "Condition/cond-s2 gives no date (onsetDateTime, onsetPeriod.start or recordedDate): the measures read a "
                       "diagnosis dated up to a day; write when it began or was recorded in the source and export again"}],
    }


def test_refuted_entered_in_error_and_not_in_program_conditions_are_left_out_counted():
    """Condition resources were left out as a type bcm does not read; now only those coded in SNOMED CT
    alone (an EHR's problem list holds every condition: set aside, each would be a quarantine row
    nobody can fix), the refuted, the void and those of a patient not in the program are, each
    counted under the table's reason."""
    m = mapped()
    conditions = use(m, "Condition.ndjson")
    assert (conditions.records, conditions.used, conditions.by_table, conditions.unused_kinds) == (9, 5, {"diagnoses": 5}, {"Condition": 4})
    assert conditions.unused_reason == SKIPPED
    bundle = use(m, "bundle_conditions.json")
    assert (bundle.records, bundle.used, bundle.unused_kinds) == (3, 3, {})


def test_a_conditions_record_keeps_its_codings_dates_and_statuses_only():
    """The quarantine shows a row's record: it holds the Condition's codings, dates and statuses, never
    the code's text or notes, which name people."""
    got = by([{**r, "_record": json.loads(r["_record"])} for t in mapped().tables if t.table == "diagnoses"
              for layer in t.layers for r in layer.to_pylist()], "_line")
    record = got[1]["_record"]
    assert record == {"resourceType": "Condition", "id": "cond-b1", "subject": "Patient/pat-b",
                      "code": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F31.81", "display": "Bipolar II disorder"},
                               {"system": "http://snomed.info/sct", "code": "83225003", "display": "Bipolar II disorder"}],
                      "onsetDateTime": "2023-11-02T10:15:00-05:00", "onsetPeriodStart": None, "recordedDate": "2023-11-09",
                      "clinicalStatus": "active", "verificationStatus": "confirmed"}
    text = json.dumps([layer.to_pylist() for t in mapped().tables for layer in t.layers])
    assert "Quillfeather" not in text and "Imogen" not in text and "Vantwest" not in text


def test_fhir_conditions_load_into_the_diagnoses_and_the_load_adds_up(store):
    """Through the loader: the readable diagnoses are in staging.diagnoses and core.diagnoses, the one
    with no date is quarantined with its reason, the partial date's warning is kept, and
    read = loaded + quarantined + duplicates."""
    results = load_profile(store, "fhir", [FIXTURE])
    assert counts(results[("Condition.ndjson", "diagnoses")]) == (5, 4, 1, 0)
    assert counts(results[("bundle_conditions.json", "diagnoses")]) == (1, 1, 0, 0)
    assert all(r.adds_up for r in results.values())
    expected = [("pat-b", "F31.81", dt.date(2023, 11, 2)), ("pat-b", "F319", dt.date(2024, 2, 14)),
                ("pat-d", "F33.1", dt.date(2024, 5, 20)), ("pat-d", "F41.1", dt.date(2025, 3, 31)),
                ("pat-u", "F84.0", dt.date(2012, 4, 9))]
    for table in ("staging.diagnoses", "core.diagnoses"):
        assert store.execute(f"SELECT patient_id, upper(code), diagnosis_date FROM {table} ORDER BY ALL").fetchall() == expected
    assert [(q[0], q[2], q[3]) for q in quarantine(store) if q[0] == "diagnoses"] == [("diagnoses", 8, "open")]
    reasons = dict(store.execute("SELECT line_number, reason FROM meta.quarantine WHERE table_name = 'diagnoses'").fetchall())
    assert reasons[8].startswith("Condition/cond-s2 gives no date (onsetDateTime, onsetPeriod.start or recordedDate)")
    assert store.execute("SELECT reason FROM meta.row_warnings WHERE check_name = 'fhir profile: diagnosis_date'").fetchall() == [
        ("Condition/cond-d4 onsetDateTime '2025-03' gives only the month: diagnosis_date is its last day, 2025-03-31",)]
    again = load_profile(store, "fhir", [FIXTURE])
    assert again[("Condition.ndjson", "diagnoses")].already_loaded


def test_a_fhir_bipolar_condition_leaves_the_patient_out_of_drr_e(store):
    """End to end: the export's patients and scores without their Conditions put pat-b, pat-d and pat-s
    in DRR-E 2025 (indexed 2024-06-03, remitted). A later export of the Conditions alone (no Patient: they
    join the patients loaded before) takes out pat-b (F31.81); pat-d's refuted F31.0 and pat-s's bipolar
    disorder coded in SNOMED CT alone (left out, not read) leave them in."""
    load_profile(store, "fhir", [FIXTURE / "Patient.ndjson", FIXTURE / "Observation.ndjson"])

    def denominator() -> int:
        return int(cl.drr_e(prepare(store, "2026-02-01"), 2025).set_index("stratum").loc["All", "denominator"])

    assert denominator() == 3
    results = load_profile(store, "fhir", [FIXTURE / "Condition.ndjson"])
    assert counts(results[("Condition.ndjson", "diagnoses")]) == (6, 4, 2, 0)  # pat-x's F31.0 waits: that export did not hold pat-x
    assert denominator() == 2
    assert store.execute("SELECT DISTINCT patient_id FROM core.diagnoses WHERE code LIKE 'F31%' ORDER BY 1").fetchall() == [("pat-b",)]
