-- Treatment episodes for outcomes: one per enrolment started on or before the as-of date.
--
-- The export keeps one enrolment per patient (patients are keyed by patient_id), so the sequence
-- is 1 today; it is numbered anyway so a re-enrolment export keeps distinct ids. A discharge after
-- the as-of date is not known yet: the episode is on the caseload at the as-of date.
-- scores_until: with discharge_closes_windows, the last day a score counts (the discharge plus
-- followup_after_discharge_days); NULL otherwise: discharge does not close follow-up, scores count
-- up to the as-of date. No column holds the as-of date itself, so a discharged patient's row does
-- not change when the data's last day moves on (marts.as_of_moved).
-- kind: table
-- per_patient: true
WITH p AS (
  SELECT p.*, a.as_of,
         CASE WHEN p.discharge_date <= a.as_of THEN p.discharge_date END AS known_discharge,
         date_sub('year', p.birth_date, p.enrollment_date) AS age_at_enrolment
  FROM core.patients p CROSS JOIN config.as_of_date a
  WHERE p.enrollment_date <= a.as_of
)
SELECT
  p.patient_id,
  p.patient_id || '-' || row_number() OVER (PARTITION BY p.patient_id ORDER BY p.enrollment_date) AS episode_id,
  p.enrollment_date,
  p.known_discharge AS discharge_date,
  marts.on_caseload(p.enrollment_date, p.known_discharge, p.as_of) AS active,
  coalesce(p.known_discharge, p.as_of) AS episode_end,
  CASE WHEN s.discharge_closes_windows THEN p.known_discharge + s.after_discharge_days::INTEGER END AS scores_until,
  p.discharge_reason,
  p.clinic_id,
  p.care_manager_id,
  p.payer,
  p.program,
  p.sex,
  p.race,
  p.ethnicity,
  p.age_at_enrolment,
  (SELECT arg_max(b.band, b.lower) FROM config.age_bands b WHERE b.lower <= p.age_at_enrolment) AS age_band
FROM p CROSS JOIN config.outcome_settings s
