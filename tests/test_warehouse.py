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


def _as_made_by_an_earlier_bcm(db):
    """What a store of the version before claims.rendering_provider_npi (and claims.denial_reason)
    holds: the columns absent from its claims tables, no record of the schema it was made with, and
    marts built by that version's models (which a reading command builds again, in a scratch catalog)."""
    import duckdb

    con = duckdb.connect(str(db))
    for schema in ("raw", "staging"):
        con.execute(f"ALTER TABLE {schema}.claims DROP COLUMN rendering_provider_npi")
        con.execute(f"ALTER TABLE {schema}.claims DROP COLUMN denial_reason")
    con.execute("ALTER TABLE staging.claims_unknown_patient DROP COLUMN denial_reason")
    con.execute("DELETE FROM meta.store_settings WHERE name = 'schema'")
    con.execute("UPDATE meta.marts_manifest SET input_digest = 'made by an earlier version'")
    con.close()


def test_a_store_made_by_an_earlier_bcm_is_named_in_one_line_until_bcm_build_brings_it_up_to_date(tmp_path):
    """A reading command cannot add what the code needs to the store (it opens it read-only):
    before, billing an older store stopped with "unexpected error ... a bug in bcm"."""
    from hardening_stores import bcm, make_store

    db = make_store(tmp_path)
    _as_made_by_an_earlier_bcm(db)
    out = tmp_path / "lines.csv"
    refused = bcm("billing", "--db", db, "--month", "2025-01", "--out", out)
    assert refused.exit_code == 1
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "bug" not in lines[0]
    assert str(db) in lines[0] and f"bcm build --db {db}" in lines[0]
    assert not out.exists()

    built = bcm("build", "--db", db)
    assert built.exit_code == 0, built.output
    billed = bcm("billing", "--db", db, "--month", "2025-01", "--out", out)
    assert billed.exit_code == 0, billed.output
    assert out.read_text().count("\n") == 3  # a header and a line per patient (40 and 75 minutes)


def test_bcm_build_drops_what_an_earlier_bcm_made_and_this_one_does_not(tmp_path):
    """An earlier bcm's core.enrolment_gaps view and marts.enrolment_gap_on macro (replaced by
    core.discharged_before) stayed in the stores it wrote, where any DuckDB client took them for
    current. `bcm build` drops them, and their manifest row; what this bcm makes stays."""
    import duckdb
    from hardening_stores import bcm, make_store

    db = make_store(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("CREATE VIEW core.enrolment_gaps AS SELECT 1 AS patient_id")
    con.execute("CREATE MACRO core.retired_rule(x) AS x")
    con.execute("CREATE MACRO marts.enrolment_gap_on(gaps, day) AS day")
    con.execute("CREATE MACRO marts.retired_table(x) AS TABLE SELECT x")
    con.execute("CREATE VIEW marts.retired_view AS SELECT 1 AS x")
    for name, kind in (("enrolment_gap_on", "macro"), ("retired_table", "macro"), ("retired_view", "view")):
        con.execute("INSERT INTO meta.marts_manifest (model, kind, input_digest, data_version) VALUES (?, ?, 'old', 0)", [name, kind])
    con.execute("DELETE FROM meta.store_settings WHERE name = 'schema'")
    con.close()
    assert bcm("build", "--db", db).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    objects = {r[0] for r in con.execute(
        "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE schema_name IN ('core', 'marts') "
        "UNION SELECT schema_name || '.' || function_name FROM duckdb_functions() WHERE schema_name IN ('core', 'marts')").fetchall()}
    assert not objects & {"core.enrolment_gaps", "core.retired_rule", "marts.enrolment_gap_on", "marts.retired_table",
                          "marts.retired_view"}
    assert {"core.time_logs", "core.enrolment_on", "core.discharged_before", "marts.audit_entries", "marts.payer_name"} <= objects
    manifest = {r[0] for r in con.execute("SELECT model FROM meta.marts_manifest").fetchall()}
    assert not manifest & {"enrolment_gap_on", "retired_table", "retired_view"} and "billing_entries" in manifest


def test_a_store_this_bcm_wrote_opens_for_reading_without_a_word(tmp_path):
    from hardening_stores import bcm, make_store

    db = make_store(tmp_path)
    result = bcm("billing", "--db", db, "--month", "2025-01", "--out", tmp_path / "lines.csv")
    assert result.exit_code == 0, result.output
    assert "bcm build" not in result.output


def test_a_store_made_before_its_settings_table_is_named_too(tmp_path):
    import duckdb
    from hardening_stores import bcm, make_store

    db = make_store(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE meta.store_settings")
    con.close()
    refused = bcm("outcomes", "--db", db, "--out", tmp_path / "o.csv")
    assert refused.exit_code == 1 and f"bcm build --db {db}" in refused.output


def test_a_row_an_earlier_bcm_left_waiting_under_two_loads_waits_under_the_newer_once_brought_up_to_date(tmp_path, load_rows, store):
    """bcm before supersede_open closed waiting entries (the previous release, d85ee2d) left a row
    still waiting for its patient waiting under every full export that carried it: `bcm quarantine`
    listed it once per export, the data-quality page counted it so. Bringing such a store up to date
    leaves it waiting under the newest load only, as a store this bcm loaded holds it."""
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "A", "setting": "rhc", "timezone": ""}])
    load_rows("patients", [{"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    entry = {"entry_id": "E9", "patient_id": "P9", "staff_role": "bhcm", "service_date": "2025-01-10", "minutes": "20", "activity_type": "outreach"}
    only_first = {**entry, "entry_id": "E8", "patient_id": "P8"}
    load_rows("time_logs", [entry, only_first])
    load_rows("time_logs", [entry, {**entry, "entry_id": "E1", "patient_id": "P1"}])
    first, second = (r[0] for r in store.execute(
        "SELECT DISTINCT load_id FROM meta.quarantine WHERE table_name = 'time_logs' ORDER BY 1").fetchall())
    # as the earlier bcm left the store: both E9 entries waiting, no record of this schema
    store.execute("UPDATE meta.quarantine SET status = 'waiting' WHERE table_name = 'time_logs'")
    store.execute("DELETE FROM meta.store_settings WHERE name = 'schema'")
    store.close()

    again = connect(tmp_path / "test.duckdb")
    rows = again.execute(
        """SELECT load_id, record ->> 'entry_id', status FROM meta.quarantine WHERE table_name = 'time_logs'
        ORDER BY load_id, line_number""").fetchall()
    assert rows == [(first, "E9", "superseded"), (first, "E8", "waiting"), (second, "E9", "waiting")]
    again.close()
