"""Program overview: caseload, flows and minutes per clinic and month, on rows a reader can check."""

from bcm_analytics.overview import program_overview

CLINICS = [{"clinic_id": "C1", "clinic_name": "North", "setting": "physician_practice", "timezone": "America/Chicago"}]
PATIENTS = [
    # enrolled in January, discharged 1 March: active January-March (the discharge month counts)
    {"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-10", "discharge_date": "2025-03-01"},
    # enrolled on the last day of February: active from February
    {"patient_id": "P2", "clinic_id": "C1", "payer": "Medicaid", "enrollment_date": "2025-02-28", "discharge_date": ""},
]
TIME_LOGS = [
    {"entry_id": "E1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-01-31 23:30", "minutes": "20", "activity_type": "outreach"},
    {"entry_id": "E2", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-01", "minutes": "15", "activity_type": "assessment"},
    {"entry_id": "E3", "patient_id": "P2", "staff_role": "bhcm", "service_date": "2025-02-28", "minutes": "30", "activity_type": "assessment"},
]


def test_overview_counts_caseload_flows_and_minutes(store, load_rows):
    load_rows("clinics", CLINICS)
    load_rows("patients", PATIENTS)
    load_rows("time_logs", TIME_LOGS)
    got = program_overview(store, "2025-01", "2025-04")
    got = got.set_index(got.month.dt.strftime("%Y-%m"))
    assert got.loc["2025-01"].active_patients == 1
    assert got.loc["2025-02"].active_patients == 2
    assert got.loc["2025-03"].active_patients == 2  # P1 discharged on 1 March still counts in March
    assert got.loc["2025-04"].active_patients == 1
    assert got.new_enrolments.tolist() == [1, 1, 0, 0]
    assert got.discharges.tolist() == [0, 0, 1, 0]
    assert got.minutes_logged.tolist() == [20, 45, 0, 0]
    assert got.patients_with_time.tolist() == [1, 2, 0, 0]


def test_overview_filters_one_clinic(store, load_rows):
    load_rows("clinics", CLINICS + [{"clinic_id": "C2", "clinic_name": "South", "setting": "fqhc", "timezone": ""}])
    load_rows("patients", PATIENTS + [{"patient_id": "P3", "clinic_id": "C2", "payer": "Medicare", "enrollment_date": "2025-01-02", "discharge_date": ""}])
    got = program_overview(store, "2025-01", "2025-01", clinic="C2")
    assert got.clinic_id.tolist() == ["C2"]
    assert got.active_patients.tolist() == [1]
