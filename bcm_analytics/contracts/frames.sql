-- The rows the expectations look at, one query per table. `{rows}` is the typed rows: the
-- file being loaded (temp._typed) or the stored table (staging.<table>). Beside the typed
-- columns a frame carries what checks need from elsewhere: local dates resolved in the
-- clinic's time zone (as in the core views) and the patient's enrolment and discharge.

-- name: clinics
SELECT r.* FROM {rows} r

-- name: patients
SELECT r.* FROM {rows} r

-- name: time_logs
-- patient columns: enrollment_date, discharge_date, clinic_id
-- (the patients export's columns this frame reads, the clinic for its time zone: a patients load
-- that changes one of them judges the stored entries' enrolment checks again, rows.py)
-- `start_time_without_day`: a start time of day with no day to stand on (core.start_stands): the
-- entry is placed at the service date's own time (marts.entry_at), and a warning says so.
-- `patient_enrollment_date`: the patient's first enrolment (core.patient_enrolments): an entry of an
-- earlier enrolment a re-enrolment replaced is no entry before enrolment. `patient_discharge_date`:
-- the discharge of the enrolment in force on the entry's day (core.enrolment_on), the row on file's
-- for a patient never re-enrolled (the list is joined for re-enrolled patients alone): an entry between an earlier discharge and the re-enrolment is
-- after a discharge (billing counts none of it), one after the re-enrolment is not.
SELECT r.*, p.clinic_id,
  r.start_time_has_time AND NOT core.start_stands(r.start_time_has_time, r.start_time_local, r.start_time_instant)
    AS start_time_without_day,
  core.zone(p.timezone) AS timezone,
  core.local_time(r.service_date_local, r.service_date_instant, p.timezone) AS service_at,
  CAST(service_at AS DATE) AS service_date,
  core.local_month(r.service_date_local, r.service_date_instant, p.timezone) AS service_month,
  coalesce(f.enrolments[1].enrolled_on, p.enrollment_date) AS patient_enrollment_date,
  CASE WHEN f.enrolments IS NULL THEN p.discharge_date
       ELSE core.enrolment_on(f.enrolments, service_date).discharge_date END AS patient_discharge_date
FROM {rows} r LEFT JOIN core.patients p ON p.patient_id = r.patient_id
LEFT JOIN core.patient_enrolments f ON f.patient_id = r.patient_id AND len(f.enrolments) > 1

-- name: assessments
SELECT r.*, p.clinic_id,
  core.zone(p.timezone) AS timezone,
  core.local_time(r.administered_on_local, r.administered_on_instant, p.timezone) AS administered_at,
  CAST(administered_at AS DATE) AS administered_on
FROM {rows} r LEFT JOIN core.patients p ON p.patient_id = r.patient_id

-- name: claims
SELECT r.* FROM {rows} r

-- name: facility_stays
SELECT r.*, p.clinic_id,
  core.local_time(r.admitted_at_local, r.admitted_at_instant, p.timezone) AS admitted_at,
  core.local_time(r.discharged_at_local, r.discharged_at_instant, p.timezone) AS discharged_at
FROM {rows} r LEFT JOIN core.patients p ON p.patient_id = r.patient_id

-- name: coverage
-- `overlapping_period`: another period of the patient that shares a day with the row's, from the
-- same rows or stored (a stored row the rows replace, same patient and start, is not compared),
-- written for the reason: the first such by start. A coverage file loaded as the history of the
-- patients it names (`bcm load --coverage-file history`, the default: variable
-- bcm_coverage_within_file set by the loader) is judged within itself only: it replaces those
-- patients' stored periods, so none of them is compared. The rows are typed once (`typed`): each
-- copy of the typed rows' SQL cost its plan and its dates' reading again (a 200-row file's checks
-- 0.25 s to plan and 0.2 s to run with three copies, 0.07 s and 0.06 s with one).
WITH typed AS MATERIALIZED (SELECT * FROM {rows})
SELECT r.*, (
  SELECT arg_min(core.period_text(o.payer, o.start_date, o.end_date)
                 || CASE WHEN o.stored THEN ' (stored)' ELSE '' END, (o.start_date, o.payer))
  FROM (SELECT patient_id, payer, start_date, end_date, false AS stored FROM typed
        UNION ALL
        SELECT s.patient_id, s.payer, s.start_date, s.end_date, true FROM staging.coverage s
        WHERE NOT coalesce(getvariable('bcm_coverage_within_file'), false) AND NOT EXISTS (SELECT 1 FROM typed n WHERE n.patient_id = s.patient_id AND n.start_date = s.start_date)) o
  WHERE o.patient_id = r.patient_id AND o.start_date IS DISTINCT FROM r.start_date
    AND core.periods_overlap(o.start_date, o.end_date, r.start_date, r.end_date)
) AS overlapping_period
FROM typed r

-- name: diagnoses
SELECT r.* FROM {rows} r
