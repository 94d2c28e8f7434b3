"""Mapping profiles: what a profile file may say, and the canonical rows each built-in profile
makes of the fixture exports in tests/fixtures/exports/ (written for these cases; each file's
comment rows are described in the test that reads them).

These tests stop before the store: they check the rows handed to the loader. Loading them
(contracts, quarantine, idempotency, outcomes) is tests/test_profiles_load.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile.helpers import write

from bcm_analytics.ingest import FileRefused
from bcm_analytics.ingest.profiles import ProfileError, builtin_names, load, map_export
from bcm_analytics.ingest.profiles.export import check_profile
from bcm_analytics.ingest.profiles.model import parse

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def rows(mapping, table: str, name: str | None = None) -> list[dict]:
    """Every mapped row of a table (all files and layers), without its source record and the dates
    as the file wrote them (arrow_source.WRITTEN)."""
    out = []
    for t in mapping.tables:
        if t.table == table and (name is None or t.path.name == name):
            for layer in t.layers:
                out += [{k: v for k, v in r.items() if k not in ("_record", "_written")} for r in layer.to_pylist()]
    return out


def by(items: list[dict], key: str) -> dict:
    return {r[key]: r for r in items}


def use(mapping, name: str):
    return next(u for u in mapping.files if u.path.name == name)


# --- the profile file -------------------------------------------------------------------------

MINIMAL = """
name: clinic
title: A clinic's time log
sources:
  visits:
    files: [visits*.csv]
    columns: [visit id, pt, minutes, when]
tables:
  time_logs:
    from: visits
    columns:
      entry_id: visit_id
      patient_id: pt
      staff_role: {value: bhcm, assumption: only care managers log here}
      service_date: {sql: when, date_format: "%d/%m/%Y"}
      minutes: minutes
      activity_type: {value: follow_up_contact}
"""


def test_the_built_in_profiles_are_valid_and_listed():
    assert builtin_names() == ["akello", "fhir", "synthea"]
    for name in builtin_names():
        assert load(name).name == name


@pytest.mark.parametrize(
    "change, message",
    [
        (("    from: visits", "    form: visits"), "tables.time_logs: unknown key 'form' (did you mean 'from'?)"),
        (("title:", "titel:"), "unknown key 'titel' (did you mean 'title'?)"),
        (("      minutes: minutes", "      minute: minutes"), "'minute' is not a column of time_logs (did you mean 'minutes'?)"),
        (("  time_logs:", "  time_log:"), "unknown table 'time_log' (did you mean 'time_logs'?)"),
        (("    from: visits", "    from: visit"), "'visit' is not a source (did you mean 'visits'?)"),
        (("      minutes: minutes\n", ""), "required column minutes of time_logs not mapped"),
        (("{value: bhcm, assumption: only care managers log here}", "{value: bhcm, sql: role}"),
         "give exactly one of column, sql, value (found sql, value)"),
        (("{sql: when, date_format", "{sql: when, map: roles, date_format"), "no value map 'roles'"),
        (("      patient_id: pt", "      patient_id: TODO"), "patient_id: still TODO"),
        (("title:", "timezone: America/Chicgo\ntitle:"), "timezone: unknown time zone 'America/Chicgo' (did you mean 'America/Chicago'?)"),
    ],
)
def test_a_mistake_in_a_profile_is_one_line_naming_the_file_and_key(tmp_path, change, message):
    path = write(tmp_path, "clinic.yaml", MINIMAL.replace(*change))
    with pytest.raises(ProfileError) as e:
        load(path)
    text = str(e.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_profile_that_is_not_yaml_or_not_a_file_is_refused_in_one_line(tmp_path):
    with pytest.raises(ProfileError, match=r"line 2: not valid YAML"):
        load(write(tmp_path, "bad.yaml", "name: x\n  title: [\n"))
    with pytest.raises(ProfileError, match=r"line 3: not valid YAML \(duplicate key 'name'\)"):  # PyYAML kept the last
        load(write(tmp_path, "twice.yaml", "name: x\ntitle: T\nname: y\n"))
    with pytest.raises(ProfileError, match=r"unknown profile 'synthia' \(did you mean 'synthea'\?\)"):
        load("synthia")
    with pytest.raises(ProfileError, match="no such profile file"):
        load(tmp_path / "missing.yaml")


def test_a_wrong_column_in_a_profiles_sql_is_named_before_any_file_is_read(tmp_path):
    path = write(tmp_path, "clinic.yaml", MINIMAL.replace("patient_id: pt", "patient_id: ptid"))
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,03/02/2025\n")
    with pytest.raises(ProfileError) as e:
        map_export(load(path), [export])
    assert "tables.time_logs.columns.patient_id: Binder Error" in str(e.value) and '"ptid"' in str(e.value)


def test_a_wrong_column_in_a_columns_note_is_named_before_any_file_is_read(tmp_path):
    profile = MINIMAL.replace("      minutes: minutes", "      minutes: {sql: minutes, note: \"CASE WHEN mins = '0' THEN 'none' END\"}")
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,03/02/2025\n")
    with pytest.raises(ProfileError) as e:
        map_export(load(write(tmp_path, "clinic.yaml", profile)), [export])
    assert "tables.time_logs.columns.minutes.note: Binder Error" in str(e.value) and '"mins"' in str(e.value)


@pytest.mark.parametrize("written", ["log_#", "Log #"])
def test_a_column_named_with_a_number_sign_is_read_as_written_in_the_file(tmp_path, written):
    """A tracker's 'Log #' column: the sources' columns accept 'log_#' (or 'Log #'), but the same
    words as a table map's column stopped `bcm profile check` with 'Parser Error: syntax error at
    or near "#"'. A name that is a source column once normalised reads that column: '#' is never SQL."""
    profile = MINIMAL.replace("[visit id,", f"[\"{written}\",").replace("entry_id: visit_id", f'entry_id: "{written}"')
    export = write(tmp_path, "visits.csv", "Log #,Pt,Minutes,When\nL-1,P1,30,03/02/2025\n")
    assert rows(map_export(load(write(tmp_path, "clinic.yaml", profile)), [export]), "time_logs")[0]["entry_id"] == "L-1"


def test_a_profiles_sql_cannot_read_or_write_files(tmp_path):
    secret = write(tmp_path, "secret.txt", "a\nsecret\n")
    profile = MINIMAL.replace("patient_id: pt", f"patient_id: \"(SELECT max(a) FROM read_csv('{secret}'))\"")
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,03/02/2025\n")
    with pytest.raises(ProfileError, match="file system operations are disabled"):
        map_export(load(write(tmp_path, "clinic.yaml", profile)), [export])


@pytest.mark.parametrize("key", ["where", "note"])
def test_a_profiles_sql_cannot_write_a_file_while_it_is_checked(tmp_path, key):
    """The profile's SQL is checked on empty sources before any file is read, and that check ran
    with file access on: a `where` (or a column's `note`) closing its parenthesis and adding a
    statement wrote a file at `bcm profile check` and at every load. The check now runs with file
    access off, as the mapping does."""
    written = tmp_path / "written.csv"
    sql = f"1) FROM visits; COPY (SELECT 42) TO '{written}'; SELECT (1"
    change = ("    from: visits", f'    from: visits\n    where: "{sql}"') if key == "where" else \
        ("      minutes: minutes", f'      minutes: {{sql: minutes, note: "{sql}"}}')
    profile = load(write(tmp_path, "clinic.yaml", MINIMAL.replace(*change)))
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,03/02/2025\n")
    for attempt in (lambda: check_profile(profile), lambda: map_export(profile, [export])):
        with pytest.raises(ProfileError):
            attempt()
        assert not written.exists()


def test_a_clinics_own_profile_renames_dates_and_constants(tmp_path):
    profile = load(write(tmp_path, "clinic.yaml", MINIMAL))
    export = write(tmp_path, "visits_jan.csv", "\ufeffVisit ID,PT,Minutes,When,Note\nV1,P1,30,03/02/2025,private note\nV2,P2,15,2025-02-04,\n")
    mapped = map_export(profile, [export])
    assert rows(mapped, "time_logs") == [
        {"entry_id": "V1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-03", "minutes": "30",
         "activity_type": "follow_up_contact", "_line": 2},
        {"entry_id": "V2", "patient_id": "P2", "staff_role": "bhcm", "service_date": "2025-02-04", "minutes": "15",
         "activity_type": "follow_up_contact", "_line": 3},
    ]
    record = json.loads(mapped.tables[0].layers[0].column("_record")[0].as_py())
    assert record == {"Visit ID": "V1", "PT": "P1", "Minutes": "30", "When": "03/02/2025"}  # the note is never read
    written = [json.loads(w) for w in mapped.tables[0].layers[0].column("_written").to_pylist()]
    assert written == [{"service_date": "03/02/2025"}, {"service_date": "2025-02-04"}]  # for the reasons: as the file wrote them


def test_a_profiles_date_format_never_reads_a_two_digit_year_as_the_year_25(tmp_path):
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,2/10/25\nV2,P1,30,2/10/2025\n")
    got = [r["service_date"] for r in rows(map_export(load(write(tmp_path, "clinic.yaml", MINIMAL)), [export]), "time_logs")]
    assert got == ["2/10/25", "2025-10-02"]


def test_a_two_digit_year_loads_only_with_the_profiles_pivot(store, tmp_path):
    """Without a pivot a 2-digit year passes on as written and the loader sets it aside; with one
    the loader reads it with the profile's pivot. The mapping passed on the year the pivot filled
    in (2/10/1985 9:30), so a reason quoted a value that is nowhere in the file: the text passes on
    as written, and the loader reads it with the same pivot."""
    from bcm_analytics.ingest import load_file
    from bcm_analytics.ingest.profiles import load_export

    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,2/10/25\nV2,P1,30,2/10/85 9:30\n")
    plain = MINIMAL.replace(', date_format: "%d/%m/%Y"', "")
    assert [r["service_date"] for r in rows(map_export(load(write(tmp_path, "a.yaml", plain)), [export]), "time_logs")] == [
        "2/10/25", "2/10/85 9:30"]  # passed on as written: the loader sets a 2-digit year aside
    pivoted = load(write(tmp_path, "b.yaml", plain.replace("title:", "two_digit_year_pivot: 1931\ntitle:")))
    assert [r["service_date"] for r in rows(map_export(pivoted, [export]), "time_logs")] == ["2/10/25", "2/10/85 9:30"]
    load_file(store, write(tmp_path / "patients", "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\n"))
    list(load_export(store, map_export(pivoted, [export])))
    assert store.execute("SELECT entry_id, CAST(service_date_local AS VARCHAR) FROM staging.time_logs").fetchall() == [
        ("V1", "2025-02-10 00:00:00")]
    assert store.execute("SELECT reason FROM meta.quarantine WHERE table_name = 'time_logs'").fetchall() == [
        ("service_date '2/10/85 9:30' (read as 1985-02-10) is before 1990: write the year in full "
         "(a 2-digit year is read as written)",)]


def test_a_profiles_time_zone_turns_wall_clock_times_into_instants(tmp_path):
    profile = MINIMAL.replace(', date_format: "%d/%m/%Y"', "").replace("title:", "timezone: America/Chicago\ntitle:")
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,2025-01-05 10:00\nV2,P1,30,2025-01-05\nV3,P1,30,2025-07-01T10:00:00Z\n")
    got = [r["service_date"] for r in rows(map_export(load(write(tmp_path, "c.yaml", profile)), [export]), "time_logs")]
    assert got == ["2025-01-05T16:00:00Z", "2025-01-05", "2025-07-01T10:00:00Z"]


def test_a_source_file_without_a_column_the_profile_reads_is_refused_listing_its_columns(tmp_path):
    export = write(tmp_path, "visits.csv", "Visit ID,Patient,Minutes,When\nV1,P1,30,03/02/2025\n")
    with pytest.raises(FileRefused) as e:
        map_export(load(write(tmp_path, "clinic.yaml", MINIMAL)), [export])
    assert str(e.value) == f"{export}: refused: missing column pt for visits files; found columns: Visit ID, Patient, Minutes, When"


def test_a_source_file_without_its_header_row_is_refused_without_listing_the_row(tmp_path):
    """'found columns: V1, P0000042, 30, 03/02/2025' put a patient's row on the terminal."""
    export = write(tmp_path, "visits.csv", "V1,P0000042,30,03/02/2025\nV2,P0000042,30,03/02/2025\n")
    with pytest.raises(FileRefused) as e:
        map_export(load(write(tmp_path, "clinic.yaml", MINIMAL)), [export])
    assert str(e.value) == (f"{export}: refused: its first line holds values, not column names: export the file with its "
                            "header row (the values are not repeated here)")


def test_a_line_that_does_not_split_refuses_the_source_file(tmp_path):
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When\nV1,P1,30,03/02/2025\nV2,P1,30,03/02/2025,extra\n")
    with pytest.raises(FileRefused, match=r"line 3 does not split into the header's 4 fields"):
        map_export(load(write(tmp_path, "clinic.yaml", MINIMAL)), [export])


def test_windows_1252_and_utf16_sources_read(tmp_path):
    text = "Visit ID,Pt,Minutes,When\r\nV1,O\u2019Brien,30,03/02/2025\r\n"
    for i, encoding in enumerate(["cp1252", "utf-16"]):
        export = tmp_path / f"e{i}" / "visits.csv"
        export.parent.mkdir()
        export.write_bytes(text.encode(encoding))
        got = rows(map_export(load(write(tmp_path, f"p{i}.yaml", MINIMAL)), [export]), "time_logs")
        assert [(r["patient_id"], r["_line"]) for r in got] == [("O\u2019Brien", 2)], encoding


# --- synthea --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthea():
    return map_export(load("synthea"), [EXPORTS / "synthea"])


def test_synthea_patients_take_the_latest_payer_and_enrol_at_their_first_score(synthea):
    """patients.csv: 0001 (Aetna, then Medicare), 0002 (NO_INSURANCE), 0003 (Dual Eligible, died
    2025-03-01), 0004 (a child never screened: not a program patient)."""
    got = by(rows(synthea, "patients"), "patient_id")
    assert set(got) == {"b1f6a0e2-0001", "b1f6a0e2-0002", "b1f6a0e2-0003"}
    assert got["b1f6a0e2-0001"] == {
        "patient_id": "b1f6a0e2-0001", "birth_date": "1961-04-12", "sex": "M", "race": "White", "ethnicity": "Not Hispanic or Latino",
        "program": "cocm", "enrollment_date": "2024-11-04T14:05:00Z", "payer": "Medicare", "discharge_date": None,
        "discharge_reason": None, "_line": 2}
    assert (got["b1f6a0e2-0002"]["payer"], got["b1f6a0e2-0002"]["race"]) == ("uninsured", "Black or African American")
    assert (got["b1f6a0e2-0003"]["payer"], got["b1f6a0e2-0003"]["discharge_date"], got["b1f6a0e2-0003"]["discharge_reason"]) == (
        "Medicare", "2025-03-01", "died")


def test_synthea_identifiers_never_leave_the_reader(synthea):
    records = " ".join(layer.column("_record").to_pylist()[i] for t in synthea.tables for layer in t.layers for i in range(layer.num_rows))
    for identifier in ("999-12-3456", "S99912345", "X12345678X", "Aldo123", "Reyes456", "12 Elm St", "52000"):
        assert identifier not in records


def test_synthea_scores_become_one_assessment_per_encounter_time_and_instrument(synthea):
    """observations.csv, patient 0001, encounter enc-101: a PHQ-2 total at 14:05, then the nine
    PHQ-9 items (two as answer words and an LA code) and the PHQ-9 total at 14:20."""
    got = by(rows(synthea, "assessments"), "assessment_id")
    assert set(got) == {"enc-101/PHQ-2", "enc-101/PHQ-9", "enc-102/PHQ-9", "enc-102/GAD-7", "enc-201/PHQ-9", "enc-202/PHQ-9",
                        "enc-301/PHQ-9", "enc-301/GAD-7"}
    phq9 = got["enc-101/PHQ-9"]
    assert [phq9[f"item_{i}"] for i in range(1, 10)] == ["2", "2", "3", "2", "1", "2", "1", "1", "1"]
    assert (phq9["total_score"], phq9["administered_on"], phq9["_line"]) == ("15.0", "2024-11-04T14:20:00Z", 13)
    phq2 = got["enc-101/PHQ-2"]
    assert (phq2["instrument"], phq2["total_score"], phq2["item_1"], phq2["_line"]) == ("PHQ-2", "4.0", None, 3)


def test_synthea_conflicting_answers_are_not_guessed(synthea):
    """Patient 0003's GAD-7 item 1 (69725-0) is exported twice, as 2 and as 3."""
    gad = by(rows(synthea, "assessments"), "assessment_id")["enc-301/GAD-7"]
    assert gad["item_1"] == "conflicting values: 2, 3"


def test_synthea_every_record_is_used_or_counted_with_a_reason(synthea):
    observations = use(synthea, "observations.csv")
    assert (observations.records, observations.used, observations.by_table) == (22, 19, {"assessments": 19})
    assert "vital signs" in observations.unused_reason
    patients = use(synthea, "patients.csv")
    assert (patients.records, patients.used, patients.unused) == (4, 3, 1)
    assert "never scored" in patients.unused_reason
    # payer_transitions.csv is the coverage table's source now (the patients' payer still reads it)
    assert (use(synthea, "payers.csv").used, use(synthea, "payer_transitions.csv").by_table) == (4, {"coverage": 4})


def test_synthea_2_payer_transitions_with_years_read_too(tmp_path):
    (tmp_path / "x").mkdir()
    for name in ("patients.csv", "observations.csv", "payers.csv"):
        (tmp_path / "x" / name).write_bytes((EXPORTS / "synthea" / name).read_bytes())
    write(tmp_path / "x", "payer_transitions.csv",
          "PATIENT,START_YEAR,END_YEAR,PAYER,OWNERSHIP\nb1f6a0e2-0001,1999,2020,pay-aetna,Self\nb1f6a0e2-0001,2021,2025,pay-medicare,Self\n")
    got = by(rows(map_export(load("synthea"), [tmp_path / "x"]), "patients"), "patient_id")
    assert (got["b1f6a0e2-0001"]["payer"], got["b1f6a0e2-0002"]["payer"]) == ("Medicare", "unknown")


# --- fhir -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fhir():
    return map_export(load("fhir"), [EXPORTS / "fhir"])


def test_fhir_panel_members_are_read_by_code_not_position(fhir):
    """bundle_clinic_a.json: a PHQ-9 panel (entry 4) whose hasMember lists nine item
    Observations, in the bundle in the order 9, 1, 4, 2, 6, 3, 8, 5, 7, and the total."""
    phq9 = by(rows(fhir, "assessments"), "assessment_id")["Observation/obs-a-panel/PHQ-9"]
    assert [phq9[f"item_{i}"] for i in range(1, 10)] == ["2", "2", "1", "2", "1", "2", "1", "1", "2"]
    assert (phq9["patient_id"], phq9["total_score"], phq9["administered_on"], phq9["_line"]) == (
        "pat-a", "14", "2025-01-06T09:30:00-05:00", 14)


def test_fhir_questionnaire_response_items_nested_and_shuffled_and_its_derived_total_are_one_score(fhir):
    """The GAD-7 QuestionnaireResponse nests its items in a group, item 7 before item 6; the
    bundle also holds a total Observation derivedFrom it (US Core style)."""
    got = by(rows(fhir, "assessments"), "assessment_id")
    gad = got["QuestionnaireResponse/qr-gad7-a/GAD-7"]
    assert [gad[f"item_{i}"] for i in range(1, 8)] == ["1", "1", "2", "1", "0", "2", "1"]
    assert gad["total_score"] == "8"
    assert not any(k.startswith("Observation/obs-a-gad7-total") for k in got)


def test_fhir_bulk_ndjson_components_ordinals_quantities_and_statuses(fhir):
    got = by(rows(fhir, "assessments"), "assessment_id")
    components = got["Observation/obs-b0/PHQ-9"]  # items as components, no total: their sum
    assert (components["total_score"], components["item_9"], components["_line"]) == ("16", "1", 2)
    assert got["Observation/obs-b2/PHQ-2"]["total_score"] == "3"  # valueQuantity
    ordinal = got["QuestionnaireResponse/qr-phq9-b/PHQ-9"]  # answers with ordinalValue, items reversed
    assert [ordinal[f"item_{i}"] for i in range(1, 10)] == ["1", "2", "1", "2", "2", "1", "1", "1", "0"]
    assert "Observation/obs-b-err/PHQ-9" not in got  # entered-in-error is not a score
    assert got["Observation/obs-x1/PHQ-9"]["patient_id"] == "pat-x"  # its patient is in no file: the loader holds it


def test_fhir_patients_keep_only_mapped_fields_and_take_coverage(fhir):
    got = by(rows(fhir, "patients"), "patient_id")
    assert set(got) == {"pat-a", "pat-b"}  # pat-c has no score
    assert (got["pat-a"]["sex"], got["pat-a"]["race"], got["pat-a"]["payer"], got["pat-b"]["payer"]) == ("F", "White", "Medicaid", "unknown")
    text = json.dumps([layer.to_pylist() for t in fhir.tables for layer in t.layers])
    for identifier in ("999-55-1234", "MRN-1032702", "Shaw", "Meadow", "555-0100", "Ortiz"):
        assert identifier not in text


OWN_FHIR = """
name: own_fhir
title: A program's own FHIR profile
sources:
  ehr: {files: ["*.ndjson"], format: fhir}
tables:
  patients:
    from: ehr_patients
    columns:
      patient_id: id
      payer: {value: unknown}
      enrollment_date: {value: "2025-01-01"}
      discharge_date: fhir_last_day(deceased)
      discharge_reason: fhir_date_precision(deceased)
"""


def test_a_fhir_sources_partial_dates_are_read_by_one_macro_any_profile_may_call(tmp_path):
    """fhir.yaml wrote its death-date patterns twice, in discharge_date and in discharge_reason,
    and a program's own FHIR profile had to copy them a third time. A fhir source now adds the
    macros fhir_date_precision (year, month or day: FHIR's partial dates 2025, 2025-03) and
    fhir_last_day (the last day such a date can mean) that both columns call."""
    paths = [EXPORTS / "fhir_deceased", EXPORTS / "fhir_deceased_partial"]
    got = {r["patient_id"]: (r.get("discharge_date"), r.get("discharge_reason"))
           for r in rows(map_export(load(write(tmp_path, "own.yaml", OWN_FHIR)), paths), "patients")}
    assert got == {"pat-d": ("2025-03-01", "day"), "pat-e": (None, None), "pat-m": ("2025-03-31", "month"),
                   "pat-y": ("2025-12-31", "year")}
    columns = load("fhir").tables["patients"][0].columns
    assert "fhir_last_day(deceased)" in columns["discharge_date"].sql
    assert "[0-9]" not in columns["discharge_reason"].sql  # a death of any date (or none) is 'died': it reads no date
    assert "[0-9]{4}" not in (Path(__file__).parents[1] / "bcm_analytics" / "ingest" / "profiles" / "fhir.yaml").read_text()


def test_fhir_usage_names_resource_types_left_out(fhir):
    bundle = use(fhir, "bundle_clinic_a.json")
    assert (bundle.records, bundle.used, bundle.unused_kinds) == (16, 15, {"Encounter": 1})
    observations = use(fhir, "Observation.ndjson")
    assert (observations.records, observations.used, observations.unused_kinds) == (6, 4, {"Observation": 2})


# --- akello ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def akello():
    return map_export(load("akello"), [EXPORTS / "akello"])


def test_akello_epoch_seconds_and_milliseconds_and_contact_types(akello):
    """treatment_logs.csv: tl-1 at 1704189600.5 s, tl-2 at 1706263200000 ms, tl-3 a no-show
    without minutes, tl-4 a psychiatric consultation, tl-6 a contact type Akello does not have."""
    got = by(rows(akello, "time_logs"), "entry_id")
    assert (got["tl-1"]["service_date"], got["tl-1"]["activity_type"], got["tl-1"]["contact_mode"]) == (
        "2024-01-02T10:00:00.500000Z", "assessment", "in_person")
    assert got["tl-2"]["service_date"] == "2024-01-26T10:00:00.000000Z"
    assert (got["tl-3"]["activity_type"], got["tl-3"]["minutes"]) == ("no_show", "0")
    assert got["tl-4"]["activity_type"] == "caseload_review"
    assert got["tl-6"]["activity_type"] == "Group Session"  # passed on: the contract names it
    assert "MRN-002@1715600000.0" in got  # a log without an id


def test_akello_two_scores_of_one_session_go_in_two_layers(akello):
    logs = next(t for t in akello.tables if t.table == "assessments")
    assert [layer.num_rows for layer in logs.layers] == [3, 1]
    assert {r["assessment_id"]: r["instrument"] for r in rows(akello, "assessments")} == {
        "tl-1/PHQ-9": "PHQ-9", "tl-1/GAD-7": "GAD-7", "tl-2/PHQ-9": "PHQ-9", "tl-5/PHQ9": "PHQ-9"}


def test_akello_registry_json_with_nested_treatment_logs(tmp_path):
    registry = [{"patient_mrn": "MRN-9", "first_name": "Eve", "date_created": 1704103200.5, "payer": "Medicaid",
                 "treatment_logs": [
                     {"id": "j1", "date": 1704189600.0, "minutes": 30, "contact_type": "Follow Up", "visit_type": "Phone",
                      "no_show": False, "scores": [{"score_name": "PHQ-9", "score_value": 14}, {"score_name": "GAD-7", "score_value": 9}]},
                     {"id": "j2", "date": 1706263200000, "contact_type": "Follow Up", "visit_type": "Phone", "no_show": True, "scores": []}]}]
    path = write(tmp_path, "registry_export.json", json.dumps(registry, indent=2))
    mapped = map_export(load("akello"), [path])
    logs = by(rows(mapped, "time_logs"), "entry_id")
    assert {k: (v["activity_type"], v["minutes"], v["_line"]) for k, v in logs.items()} == {
        "j1": ("follow_up_contact", "30", 1), "j2": ("no_show", "0", 1)}
    assert sorted(r["assessment_id"] for r in rows(mapped, "assessments")) == ["j1/GAD-7", "j1/PHQ-9"]
    assert by(rows(mapped, "patients"), "patient_id")["MRN-9"]["enrollment_date"] == "2024-01-01T10:00:00.500000Z"
    assert "Eve" not in json.dumps([layer.to_pylist() for t in mapped.tables for layer in t.layers])


def test_no_matching_file_is_one_line(tmp_path):
    with pytest.raises(ProfileError, match=r"no file matches the synthea profile's sources \(patients: patients.csv"):
        map_export(load("synthea"), [write(tmp_path, "conditions.csv", "a\n1\n")])


def test_the_profiles_page_shows_the_current_built_in_profiles():
    from bcm_analytics.ingest.profiles.docs import PAGE, render

    text = PAGE.read_text(encoding="utf-8")
    assert render(text) == text, "docs/profiles.md is stale: run python -m bcm_analytics.ingest.profiles.docs"
    for name in builtin_names():
        profile = load(name)
        for assumption in (spec.assumption for maps in profile.tables.values() for m in maps for spec in m.columns.values()):
            assert assumption is None or " ".join(assumption.split()) in text


def test_parse_keeps_the_profile_path_for_messages():
    assert parse(MINIMAL, "x.yaml").path == Path("x.yaml")


# --- files no test here wrote: tolerance ------------------------------------------------------


def test_crlf_ndjson_and_a_bulk_data_manifest_in_the_folder(tmp_path):
    obs = ('{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},'
           '"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-01-02","valueQuantity":{"value":12.0}}')
    write(tmp_path, "Observation.ndjson", obs + "\r\n\r\n" + obs.replace('"o1"', '"o2"') + "\r\n")
    write(tmp_path, "manifest.json", '{"transactionTime": "2025-01-03T00:00:00Z", "request": "$export", "output": []}')
    mapped = map_export(load("fhir"), [tmp_path])
    assert [(r["assessment_id"], r["total_score"], r["_line"]) for r in rows(mapped, "assessments")] == [
        ("Observation/o1/PHQ-9", "12.0", 1), ("Observation/o2/PHQ-9", "12.0", 3)]
    assert [(p.name, why) for p, why in mapped.ignored] == [("manifest.json", "no FHIR resource in it (a bulk-data manifest?)")]


def test_answers_as_words_in_a_coding_display_are_scored(tmp_path):
    qr = {"resourceType": "QuestionnaireResponse", "id": "q1", "status": "completed", "subject": {"reference": "Patient/p1"},
          "authored": "2025-01-02", "item": [{"linkId": "/44250-9", "answer": [{"valueCoding": {"display": "More than half the days"}}]},
                                              {"linkId": "/55758-7", "answer": [{"valueInteger": 2}]}]}
    mapped = map_export(load("fhir"), [write(tmp_path, "qr.json", json.dumps(qr))])
    got = rows(mapped, "assessments")[0]
    assert (got["instrument"], got["item_1"], got["total_score"]) == ("PHQ-2", "2", "2")


def test_akello_scores_that_are_not_json_give_a_row_the_contracts_set_aside(tmp_path):
    logs = "id,patient_mrn,contact_type,date,minutes,scores\nt1,M1,Follow Up,1706810400,20,PHQ-9=12\nt2,M1,Follow Up,1706810500,15,\n"
    mapped = map_export(load("akello"), [write(tmp_path, "treatment_logs.csv", logs)])
    got = rows(mapped, "assessments")
    assert [(r["assessment_id"], r["instrument"], r["total_score"], r["_line"]) for r in got] == [(None, None, None, 2)]
    record = mapped.tables[-1].layers[0].column("_record")[0].as_py()
    assert "PHQ-9=12" in record


def test_a_line_short_of_trailing_fields_reads_them_empty(tmp_path):
    export = write(tmp_path, "visits.csv", "Visit ID,Pt,Minutes,When,Note\nV1,P1,30,03/02/2025\nV2,P2,15,04/02/2025,x\n")
    got = rows(map_export(load(write(tmp_path, "clinic.yaml", MINIMAL)), [export]), "time_logs")
    assert [(r["entry_id"], r["_line"]) for r in got] == [("V1", 2), ("V2", 3)]
