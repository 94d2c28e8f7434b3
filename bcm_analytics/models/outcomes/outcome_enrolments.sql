-- Each enrolment of a patient as a treatment episode, whatever the as-of date: its id, enrolment
-- and discharge dates as exported. The export keeps one enrolment per patient (patients are keyed
-- by patient_id), so the sequence is 1 today; it is numbered anyway so a re-enrolment export keeps
-- distinct ids. outcome_episodes adds what the as-of date decides; outcome_activity needs only
-- this, so a later as-of date does not rewrite it.
-- kind: table
-- per_patient: true
SELECT p.patient_id,
       p.patient_id || '-' || row_number() OVER (PARTITION BY p.patient_id ORDER BY p.enrollment_date) AS episode_id,
       p.enrollment_date, p.discharge_date
FROM core.patients p
