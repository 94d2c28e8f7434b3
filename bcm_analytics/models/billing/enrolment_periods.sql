-- The enrolment in force for each patient and month, as periods of months (from_month ..
-- until_month, first days of months, both included; 0001-01 and 9999-12 at the open ends, as
-- marts.payer_name_periods writes them): what a month is billed under besides its payer. A
-- re-enrolment replaces the patient's row in the export (core.enrolments keeps the earlier one), and
-- it may come with a new consent date, another clinic (another billing setting: a move to an FQHC),
-- another treating practitioner or another program (CoCM, then general BHI): the months before it
-- keep the earlier enrolment's, so a January billed 99492 under CoCM at a practice does not turn
-- into G0511, or into minutes before consent, when the patient comes back in May.
--
-- The rule: a month is under the enrolment that starts latest on or before its end, as a month is
-- under the coverage period that starts latest (a re-enrolment on the 20th bills that month under
-- the new enrolment; minutes between the earlier discharge and the re-enrolment count for nothing
-- either way: core.discharged_before); the months before the first enrolment are under the first.
-- With no re-enrolment on file each patient has one period, 0001-01 .. 9999-12, under their row.
-- `organization_npi`: the clinic's type 2 NPI, at an FQHC/RHC only (their claims are institutional,
-- billed under it: marts.wrong_billing_npi). `payer`: the enrolment's registry payer (marts.payer_name),
-- which marts.payer_name_periods falls back to in a month no coverage period touches.
-- `discharge_date`: the enrolment's own discharge (an earlier enrolment's, which the row on file no
-- longer holds; an audit packet shows it). `source_file`, `source_line`, `source_load_id`: where the
-- enrolment's patients row came from (an audit packet names it as the source of the month's
-- consent). It reads no billing rule, so the outcome marts can read what reads it.
-- kind: table
-- per_patient: true
WITH e AS (
  SELECT e.patient_id, e.enrollment_date, e.discharge_date, e.consent_date, e.clinic_id, e.care_manager_id, e.treating_provider_npi,
         lower(trim(coalesce(e.program, 'cocm'))) AS program, marts.payer_name(e.payer) AS payer,
         e.source_file, e.source_line, e.source_load_id,
         lower(trim(core.setting_of(c.setting))) AS billing_setting, nullif(trim(c.organization_npi), '') AS clinic_npi,
         CAST(date_trunc('month', e.enrollment_date) AS DATE) AS start_month
  FROM core.enrolments e LEFT JOIN staging.clinics c ON c.clinic_id = e.clinic_id
),
owned AS (  -- the months each enrolment wins: up to the month before the next one's first month (an
            -- enrolment a later one of the same month replaces wins none)
  SELECT *, coalesce(CAST(lead(start_month) OVER (PARTITION BY patient_id ORDER BY enrollment_date NULLS FIRST)
                          - INTERVAL 1 MONTH AS DATE), DATE '9999-12-01') AS until_month
  FROM e
)
SELECT patient_id,
       CASE WHEN row_number() OVER (PARTITION BY patient_id ORDER BY enrollment_date NULLS FIRST) = 1
            THEN DATE '0001-01-01' ELSE start_month END AS from_month,
       until_month, enrollment_date, discharge_date, consent_date, clinic_id, care_manager_id, treating_provider_npi, program,
       billing_setting, CASE WHEN billing_setting IN ('fqhc', 'rhc') THEN clinic_npi END AS organization_npi, payer,
       source_file, source_line, source_load_id
FROM owned WHERE start_month IS NULL OR start_month <= until_month
