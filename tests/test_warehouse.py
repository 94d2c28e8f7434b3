"""The store: schema created once and kept, local months resolved in each clinic's time zone."""

from datetime import date, datetime

from bcm_analytics.warehouse import connect


def test_schema_is_created_and_reconnecting_keeps_data(tmp_path, load_rows, store):
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "A", "setting": "rhc", "timezone": "America/Denver"}])
    store.close()
    again = connect(tmp_path / "test.duckdb")
    tables = {r[0] for r in again.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()}
    assert {"raw.time_logs", "staging.time_logs", "meta.load_log", "meta.quarantine", "meta.row_changes"} <= tables
    assert again.execute("SELECT count(*) FROM staging.clinics").fetchone()[0] == 1


def test_utc_instant_lands_in_the_clinics_local_month(store, load_rows):
    """23:30 in Denver on 31 January is 06:30 UTC on 1 February: the entry belongs to January."""
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "A", "setting": "rhc", "timezone": "America/Denver"}])
    load_rows("patients", [{"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    load_rows("time_logs", [
        {"entry_id": "E1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-01T06:30:00Z", "minutes": "20", "activity_type": "outreach"},
        {"entry_id": "E2", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-01-31 23:30", "minutes": "10", "activity_type": "outreach"},
    ])
    rows = store.execute("SELECT entry_id, service_at, service_month FROM core.time_logs ORDER BY entry_id").fetchall()
    assert rows == [
        ("E1", datetime(2025, 1, 31, 23, 30), date(2025, 1, 1)),
        ("E2", datetime(2025, 1, 31, 23, 30), date(2025, 1, 1)),
    ]


def test_clinic_without_zone_uses_the_program_zone(tmp_path, load_rows, store):
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "A", "setting": "fqhc", "timezone": ""}])
    load_rows("patients", [{"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    load_rows("time_logs", [
        {"entry_id": "E1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-01T04:30:00Z", "minutes": "20", "activity_type": "outreach"},
    ])
    # the store fixture's program zone is America/New_York: 04:30 UTC is 23:30 on 31 January
    assert store.execute("SELECT service_month FROM core.time_logs").fetchone()[0] == date(2025, 1, 1)
