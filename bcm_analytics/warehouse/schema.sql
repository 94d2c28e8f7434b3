-- Audit tables and core views. Raw and staging tables are generated from
-- data_contracts/tables.yaml (see store.py). Safe to run on every connect.

CREATE SEQUENCE IF NOT EXISTS meta.load_id_seq START 1;

-- Settings the store keeps for every later command: 'timezone', the program's zone its first
-- load was made in (--timezone, $BCM_TIMEZONE or the default). Months of entries already loaded
-- are assigned in it, so a command opening the store uses it and one given another is refused
-- (store.connect). A store made before this table takes the zone of its next load.
CREATE TABLE IF NOT EXISTS meta.store_settings (
  name VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL,
  set_by_load BIGINT,                 -- the load that recorded it
  set_at TIMESTAMPTZ NOT NULL
);

-- One row per file loaded: the summary a person checks (read = loaded + quarantined + duplicates).
CREATE TABLE IF NOT EXISTS meta.load_log (
  load_id BIGINT PRIMARY KEY,
  table_name VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  file_hash VARCHAR NOT NULL,
  file_format VARCHAR,
  encoding VARCHAR,
  delimiter VARCHAR,
  rows_read BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,        -- new rows plus changed rows
  rows_changed BIGINT NOT NULL,       -- of rows_loaded: an existing key with new values
  rows_quarantined BIGINT NOT NULL,
  rows_duplicate BIGINT NOT NULL,     -- identical to a stored row, or repeated inside the file
  rows_admitted_from_quarantine BIGINT NOT NULL DEFAULT 0,
  extra_columns VARCHAR[],
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  bcm_version VARCHAR NOT NULL,
  read_options JSON,                  -- how its text was read: two_digit_year_pivot, decimal_comma columns
  replaces_load BIGINT,               -- the earlier load this file is a corrected copy of (bcm load --replaces)
  rows_closed_of_replaced BIGINT DEFAULT 0,  -- quarantine entries of that load still open or waiting, superseded by this one
  rows_withdrawn BIGINT DEFAULT 0     -- coverage loaded as history: stored periods of the patients it names that it no longer
                                      -- holds, removed (meta.row_changes keeps each, new_record NULL); not rows of the file
);
ALTER TABLE meta.load_log ADD COLUMN IF NOT EXISTS read_options JSON;  -- stores made before it
ALTER TABLE meta.load_log ADD COLUMN IF NOT EXISTS replaces_load BIGINT;  -- stores made before --replaces
ALTER TABLE meta.load_log ADD COLUMN IF NOT EXISTS rows_closed_of_replaced BIGINT DEFAULT 0;
ALTER TABLE meta.load_log ADD COLUMN IF NOT EXISTS rows_withdrawn BIGINT DEFAULT 0;  -- stores made before coverage as history

-- Every rejected input row, with where it came from and why, so nothing disappears.
CREATE TABLE IF NOT EXISTS meta.quarantine (
  load_id BIGINT NOT NULL,
  table_name VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  line_number BIGINT,
  failed_checks VARCHAR[] NOT NULL,
  reason VARCHAR NOT NULL,
  record JSON,
  status VARCHAR NOT NULL DEFAULT 'open',   -- open (fix the export) | waiting (for a referenced row, e.g. its
                                            -- patient) | admitted (a later load supplied it) | superseded
                                            -- (a later load stored the same key, or set it aside again,
                                            -- or was loaded as a corrected copy of its file: --replaces)
                                            -- | passed_over (no record: a totals row below an export's
                                            -- records, an empty row or the column names again, ingest/non_records.py
                                            -- pass_over_non_records; nothing to fix)
  quarantined_at TIMESTAMPTZ NOT NULL
);

-- A changed row replaces the stored one; the old and new versions are kept here. A coverage period
-- a coverage file loaded as its patient's history no longer holds is withdrawn: kept here with no
-- new_record (line_number empty: no line of the file holds it).
CREATE TABLE IF NOT EXISTS meta.row_changes (
  load_id BIGINT NOT NULL,
  table_name VARCHAR NOT NULL,
  row_key VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  line_number BIGINT,
  old_record JSON,
  new_record JSON,
  changed_at TIMESTAMPTZ NOT NULL
);

-- Rows that were loaded but break a warn-level expectation (data_contracts/suites): kept, and flagged.
CREATE TABLE IF NOT EXISTS meta.row_warnings (
  load_id BIGINT NOT NULL,            -- the load that brought the row (for an admitted row: its original load)
  table_name VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  line_number BIGINT,
  row_key VARCHAR NOT NULL,
  check_name VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL
);

-- Claim lines whose patient is not (yet) in the patients exports, same columns as staging.claims.
-- Reconciliation reads them (billed without a registry patient); they move to staging.claims
-- when the patient arrives (their quarantine row goes from 'waiting' to 'admitted').
CREATE TABLE IF NOT EXISTS staging.claims_unknown_patient AS SELECT * FROM staging.claims LIMIT 0;
ALTER TABLE staging.claims_unknown_patient ADD COLUMN IF NOT EXISTS modifier VARCHAR;  -- stores made before it
ALTER TABLE staging.claims_unknown_patient ADD COLUMN IF NOT EXISTS rendering_provider_npi VARCHAR;  -- stores made before it
ALTER TABLE staging.claims_unknown_patient ADD COLUMN IF NOT EXISTS denial_reason VARCHAR;  -- stores made before it

-- `bcm validate`: one row per run, and one per expectation and engine in the run.
CREATE SEQUENCE IF NOT EXISTS meta.validation_id_seq START 1;

CREATE TABLE IF NOT EXISTS meta.validation_runs (
  run_id BIGINT PRIMARY KEY,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  sample_rows BIGINT,                 -- rows per table given to great-expectations; NULL when it did not run
  success BOOLEAN NOT NULL,           -- no reject-level expectation failed on the stored data
  gx_result JSON,                     -- great-expectations' validation results (one per suite)
  bcm_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS meta.validation_results (
  run_id BIGINT NOT NULL,
  engine VARCHAR NOT NULL,            -- duckdb (every stored row) | great_expectations (the sample)
  table_name VARCHAR NOT NULL,
  expectation VARCHAR NOT NULL,       -- its name in the suite
  expectation_type VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,          -- reject | warn
  scope VARCHAR NOT NULL,             -- row | table
  success BOOLEAN,                    -- NULL: the engine cannot run this expectation
  rows_checked BIGINT,
  unexpected_count BIGINT,
  examples JSON                       -- a few offending rows (key, file, line) for the data steward
);

-- The clinic's zone decides local dates and months (never UTC). These macros are the one place
-- that rule lives: the core views and the loader's checks (contracts/frames.sql) both call them.
-- core.zone: a clinic's zone, or the program's (BCM_TIMEZONE / --timezone) when it names none.
CREATE OR REPLACE MACRO core.zone(tz) AS coalesce(tz, getvariable('bcm_timezone'));
-- core.local_time: an exported reading as local clock time: a wall-clock reading as it is, an
-- instant (with an offset, or epoch) seen in the zone.
CREATE OR REPLACE MACRO core.local_time(local_ts, instant_ts, tz) AS
  coalesce(local_ts, timezone(core.zone(tz), instant_ts));
-- core.local_month: the first day of the local calendar month of a reading.
CREATE OR REPLACE MACRO core.local_month(local_ts, instant_ts, tz) AS
  CAST(date_trunc('month', core.local_time(local_ts, instant_ts, tz)) AS DATE);
-- core.instant: an exported reading as an instant, for what happened in real time (overlapping
-- minutes): an instant as given, a wall-clock reading placed in the zone. A wall-clock reading in
-- the hour a fall-back repeats cannot say which of the two it was and is read as the second
-- (standard time), one in the hour a spring-forward skips with the offset before it (02:30 is
-- 03:30 daylight time); a local date or month start is its midnight's instant.
CREATE OR REPLACE MACRO core.instant(local_ts, instant_ts, tz) AS
  coalesce(instant_ts, timezone(core.zone(tz), CAST(local_ts AS TIMESTAMP)));

-- core.periods_overlap: two periods share a day (an empty end runs on). The loader's check of a
-- coverage row (contracts/frames.sql) and the stored-periods check bcm validate runs (the
-- coverage suite) both call it.
CREATE OR REPLACE MACRO core.periods_overlap(a_start, a_end, b_start, b_end) AS
  a_start <= coalesce(b_end, DATE 'infinity') AND b_start <= coalesce(a_end, DATE 'infinity');

-- core.period_text: a coverage period in words, as every sentence names one: the load line's
-- withdrawn period, a quarantine reason's overlapping period (contracts/frames.sql, ingest/rows.py)
-- and a payer_mismatch finding's coverage on file (marts.recon_payer_mismatch): 'Medicaid from
-- 2024-01-01 to 2025-03-14', and an open period 'Medicare from 2025-03-15 with no end date' (what
-- the coverage row says, not a guess that it is still in force).
CREATE OR REPLACE MACRO core.period_text(payer, start_date, end_date) AS
  payer || ' from ' || strftime(start_date, '%Y-%m-%d')
  || coalesce(' to ' || strftime(end_date, '%Y-%m-%d'), ' with no end date');

-- core.setting_of: a clinic's billing setting, physician_practice where the clinics export names none
-- (or the patient's clinic is not in it): core.patients' and marts.enrolment_periods' (a re-enrolment's
-- earlier clinic).
CREATE OR REPLACE MACRO core.setting_of(setting) AS coalesce(setting, 'physician_practice');

CREATE OR REPLACE VIEW core.patients AS
SELECT p.*, core.zone(c.timezone) AS timezone, core.setting_of(c.setting) AS setting
FROM staging.patients p LEFT JOIN staging.clinics c USING (clinic_id);

-- core.start_stands: an export's start time of day stands on a day, its own or the service date's.
-- Beside a service date exported with its own zone it has none when the file is read (the day is
-- the clinic's, known only from the stored patient): no start time, then. core.time_logs reads its
-- start_time_has_time so (the entry is placed at the service date's own time: marts.entry_at), and
-- the loader's warning says which rows (contracts/frames.sql, start_time_without_day).
CREATE OR REPLACE MACRO core.start_stands(has_time, local_ts, instant_ts) AS
  has_time AND (local_ts IS NOT NULL OR instant_ts IS NOT NULL);

CREATE OR REPLACE VIEW core.time_logs AS
WITH t AS (
  SELECT t.*, p.clinic_id, core.zone(p.timezone) AS timezone
  FROM staging.time_logs t LEFT JOIN core.patients p USING (patient_id)
)
SELECT t.* EXCLUDE (service_date_local, service_date_instant, start_time_local, start_time_instant, start_time_has_time),
  core.start_stands(start_time_has_time, start_time_local, start_time_instant) AS start_time_has_time,
  -- the stored readings, for a filter DuckDB can apply while it scans (an incremental build's months)
  service_date_local AS _service_date_local, service_date_instant AS _service_date_instant,
  core.local_time(service_date_local, service_date_instant, timezone) AS service_at,
  CAST(service_at AS DATE) AS service_date,
  core.local_month(service_date_local, service_date_instant, timezone) AS service_month,
  core.local_time(start_time_local, start_time_instant, timezone) AS start_at,
  start_at + to_microseconds(CAST(round(minutes * 60000000) AS BIGINT)) AS end_at,
  -- the same interval as instants, which overlapping time is judged on (billing_entries): an entry
  -- exported as an instant keeps its own across a daylight-saving change, where two entries an hour
  -- apart can read the same local clock time (the hour a fall-back repeats) and an entry can end an
  -- hour later on the clock than start_at + minutes (across a spring-forward)
  core.instant(start_time_local, start_time_instant, timezone) AS start_instant,
  start_instant + (end_at - start_at) AS end_instant
FROM t;

-- Hospital stays (inpatient, observation) in local clock time, with the local days they begin and
-- end; `*_has_time` says whether the export gave a time of day or a date alone. The admission and
-- discharge as instants too: an entry is cut at them in real time (billing_entries), as
-- core.time_logs' intervals are, so a discharge exported with an offset in the hour a fall-back
-- repeats keeps its own.
CREATE OR REPLACE VIEW core.facility_stays AS
WITH s AS (
  SELECT s.*, core.zone(p.timezone) AS timezone
  FROM staging.facility_stays s LEFT JOIN core.patients p USING (patient_id)
)
SELECT s.* EXCLUDE (admitted_at_local, admitted_at_instant, discharged_at_local, discharged_at_instant),
  core.local_time(admitted_at_local, admitted_at_instant, timezone) AS admitted_at,
  core.local_time(discharged_at_local, discharged_at_instant, timezone) AS discharged_at,
  CAST(admitted_at AS DATE) AS admitted_on, CAST(discharged_at AS DATE) AS discharged_on,
  core.instant(admitted_at_local, admitted_at_instant, timezone) AS admitted_instant,
  core.instant(discharged_at_local, discharged_at_instant, timezone) AS discharged_instant
FROM s;

-- Payer history: the periods a payer covered a patient (dates as exported, end NULL = goes on).
-- marts.payer_name_periods turns them into the payer in force for each month (marts.month_terms adds the class).
CREATE OR REPLACE VIEW core.coverage AS
SELECT * FROM staging.coverage;

-- Enrolment history: each enrolment of a patient, the current one (staging.patients) and each
-- earlier one a re-enrolment replaced. The patients export is keyed by patient, so a re-enrolment
-- replaces the discharged row (a new enrolment date, the discharge cleared); the replaced row is
-- kept in meta.row_changes, and with it the earlier enrolment as it stood: its enrolment and
-- discharge dates, discharge reason, consent date, clinic, care manager, treating practitioner,
-- program and payer, and where that row came from (source_file, source_line, source_load_id: what
-- an audit packet names as the source of the month's consent). A replaced row is an earlier
-- enrolment when the new row's enrolment date (reenrolled_on) comes after its discharge; a change
-- that keeps the enrolment date (a corrected discharge) is no re-enrolment, nor is one with no
-- discharge; one whose re-enrolment comes after the patient's current enrolment date is one a later
-- load took back (an older export loaded again). An earlier enrolment replaced more than once (the
-- newer export loaded again) is one enrolment: its latest replaced row, and of one load's, the row
-- that load read (a list of enrolments correcting an earlier one while replacing the row on file,
-- ingest/rows.py _record_earlier_enrolments, which records a patients file's earlier rows so). reenrolled_on is NULL for
-- the current enrolment. The one place the rule of what is a re-enrolment lives: billing reads its
-- discharges (core.discharged_before) and the terms each month is billed under (marts.enrolment_periods: an
-- earlier enrolment's months keep its consent, clinic, practitioner and program), outcomes its
-- episodes (marts.outcome_enrolments).
CREATE OR REPLACE VIEW core.enrolments AS
WITH replaced AS (
  SELECT old_record ->> 'patient_id' AS patient_id,
         TRY_CAST(old_record ->> 'enrollment_date' AS DATE) AS enrollment_date,
         TRY_CAST(old_record ->> 'discharge_date' AS DATE) AS discharge_date,
         old_record ->> 'discharge_reason' AS discharge_reason,
         TRY_CAST(old_record ->> 'consent_date' AS DATE) AS consent_date,
         old_record ->> 'clinic_id' AS clinic_id,
         old_record ->> 'care_manager_id' AS care_manager_id,
         old_record ->> 'treating_provider_npi' AS treating_provider_npi,
         old_record ->> 'program' AS program,
         old_record ->> 'payer' AS payer,
         old_record ->> '_source_file' AS source_file, TRY_CAST(old_record ->> '_line' AS BIGINT) AS source_line,
         TRY_CAST(old_record ->> '_load_id' AS BIGINT) AS source_load_id,
         TRY_CAST(new_record ->> 'enrollment_date' AS DATE) AS reenrolled_on,
         load_id
  FROM meta.row_changes WHERE table_name = 'patients' AND new_record IS NOT NULL
),
earlier AS (
  SELECT r.* EXCLUDE (load_id)
  FROM replaced r JOIN staging.patients p ON p.patient_id = r.patient_id
  WHERE r.reenrolled_on > r.discharge_date AND r.reenrolled_on <= p.enrollment_date
    AND r.enrollment_date < p.enrollment_date
  QUALIFY row_number() OVER (PARTITION BY r.patient_id, r.enrollment_date ORDER BY r.load_id DESC, r.source_load_id DESC) = 1
)
SELECT * FROM earlier
UNION ALL
SELECT patient_id, enrollment_date, discharge_date, discharge_reason, consent_date, clinic_id, care_manager_id,
       treating_provider_npi, program, payer, _source_file, _line, _load_id, NULL::DATE AS reenrolled_on
FROM staging.patients;

-- The enrolment in force on a day, from a patient's enrolments as a list of structs, each with its
-- `enrolled_on` (core.enrolments' enrollment_date) and what the reader needs of it: the one that
-- starts latest on or before the day, else the first (a day before every enrolment). A month is
-- billed under one enrolment (marts.enrolment_periods), but a day belongs to the enrolment it
-- fell in: in a month with a discharge on the 3rd and a re-enrolment on the 20th, the 2nd is the
-- earlier enrolment's. An entry is judged by that enrolment's consent (marts.billing_entries,
-- marts.audit_entries), and whether it is after a discharge by that enrolment's discharge
-- (core.discharged_before).
CREATE OR REPLACE MACRO core.enrolment_on(enrolments, day) AS
  CASE WHEN len(enrolments) = 1 THEN enrolments[1]
       ELSE coalesce(list_last(list_filter(enrolments, lambda x: x.enrolled_on <= day)), enrolments[1]) END;

-- Each patient's enrolments (core.enrolments) as the one list core.enrolment_on reads, in enrolment
-- order: each one's start, consent and discharge, and the start of the next (`next_enrolled_on`,
-- NULL for the last). Billing and the audit judge an entry's consent and whether it is after a
-- discharge by it (marts.billing_patients.enrolments, core.discharged_before), the loader's "on or
-- before discharge" check the discharge (contracts/frames.sql); `enrolments[1].enrolled_on` is the
-- first enrolment.
CREATE OR REPLACE VIEW core.patient_enrolments AS
SELECT patient_id,
       list({enrolled_on: enrollment_date, consent_date: consent_date, discharge_date: discharge_date,
             next_enrolled_on: next_enrolled_on} ORDER BY enrollment_date NULLS FIRST) AS enrolments
FROM (SELECT *, lead(enrollment_date) OVER (PARTITION BY patient_id ORDER BY enrollment_date NULLS FIRST) AS next_enrolled_on
      FROM core.enrolments)
GROUP BY patient_id;

-- `enrolment`, the enrolment in force on `day` (core.enrolment_on), when the patient had been
-- discharged from it by then; else NULL. The episode ended at the discharge (billing_rules.md
-- section 2), so minutes logged after it and before a re-enrolment do not count
-- (marts.billing_entries, after_discharge), and a re-enrolment export, which replaces the
-- discharged row, does not make them count; the discharge day and the re-enrolment day are inside
-- an enrolment. The audit names the discharge and the re-enrolment (`next_enrolled_on`) around such
-- a day (marts.audit_entries); the loader warns of its entries (contracts/frames.sql). It takes the
-- enrolment, not the list: a macro's call of another is not found from a view built in a scratch
-- catalog (models/marts.py), so the caller calls both.
CREATE OR REPLACE MACRO core.discharged_before(enrolment, day) AS
  CASE WHEN day > enrolment.discharge_date THEN enrolment END;

-- Claim lines the loader set aside and not settled (meta.quarantine, status open or waiting), with
-- the values a claim line is read by: the canonical ones come from raw.claims (every landed row,
-- by load and line), which holds them for a canonical CSV and for a profile load alike (a
-- profile's quarantine record is the source record); the quarantine record's own fields are the
-- fallback. patient_id is the patient the line belongs to, NULL when it names none: reconciliation
-- places the others in their patient's months (marts.recon_quarantined_claims) and warns of these
-- (billing.reconcile.unlinked_claims_note). claim_line: the line number (1 when none reads).
CREATE OR REPLACE VIEW core.quarantined_claims AS
SELECT q.load_id, q.source_file, q.line_number, q.reason, q.status,
       nullif(trim(coalesce(r.patient_id, q.record ->> 'patient_id')), '') AS patient_id,
       nullif(trim(coalesce(r.claim_id, q.record ->> 'claim_id')), '') AS claim_id,
       nullif(upper(trim(coalesce(r.procedure_code, q.record ->> 'procedure_code'))), '') AS procedure_code,
       coalesce(try_cast(try_cast(nullif(trim(coalesce(r.line_number, q.record ->> 'line_number')), '') AS DOUBLE) AS BIGINT), 1)
         AS claim_line,
       nullif(trim(coalesce(r.date_of_service, q.record ->> 'date_of_service')), '') AS date_text
FROM meta.quarantine q
LEFT JOIN raw.claims r ON r._load_id = q.load_id AND r._line = q.line_number
WHERE q.table_name = 'claims' AND q.status IN ('open', 'waiting');

-- Diagnoses: each ICD-10-CM code of a patient and the day it was made or recorded, as exported
-- (upper-cased, with or without the dot). marts.has_excluding_diagnosis reads them for DRR-E's and
-- CMS159's diagnosis exclusions; a store with no diagnoses file has no rows, and the measures are as before.
CREATE OR REPLACE VIEW core.diagnoses AS
SELECT * FROM staging.diagnoses;

-- Each payer name as the exports write it (registry, coverage, claims), trimmed, with the rows that
-- write it: what marts.payer_name's spellings (warehouse/payer_spellings.sql) and the data-quality
-- warning of names alike (marts.payer_spellings_apart) both read. The registry's are those of every
-- enrolment (core.enrolments): an earlier one a re-enrolment replaced bills its months under its
-- payer, so its spelling is one of the payer's.
CREATE OR REPLACE VIEW core.payer_names_written AS
SELECT trim(payer) AS spelling, count(*) AS row_count
FROM (SELECT payer FROM core.enrolments
      UNION ALL SELECT payer FROM staging.coverage
      UNION ALL SELECT payer FROM staging.claims
      UNION ALL SELECT payer FROM staging.claims_unknown_patient)
WHERE trim(payer) <> ''
GROUP BY ALL;

CREATE OR REPLACE VIEW core.assessments AS
WITH a AS (
  SELECT a.*, p.clinic_id, core.zone(p.timezone) AS timezone
  FROM staging.assessments a LEFT JOIN core.patients p USING (patient_id)
)
SELECT a.* EXCLUDE (administered_on_local, administered_on_instant),
  core.local_time(administered_on_local, administered_on_instant, timezone) AS administered_at,
  CAST(administered_at AS DATE) AS administered_on
FROM a;
