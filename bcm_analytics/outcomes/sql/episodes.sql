-- Treatment episodes for outcomes: one per enrolment started on or before the as-of date.
--
-- The export keeps one enrolment per patient (patients are keyed by patient_id), so the
-- sequence is 1 today; it is numbered anyway so a re-enrolment export keeps distinct ids.
-- A discharge after the as-of date is not known yet: the episode is open at the as-of date.
-- scores_until: the last day a score counts for the episode ($after_discharge_days after
-- discharge, 0 by default: the episode's end).
-- Filters ($clinics, $care_manager, $payer) are NULL for "all".
CREATE OR REPLACE TEMP TABLE outcome_episodes AS
WITH p AS (
  SELECT p.*,
         CASE WHEN p.discharge_date <= $as_of THEN p.discharge_date END AS known_discharge,
         date_sub('year', p.birth_date, p.enrollment_date) AS age_at_enrolment
  FROM core.patients p
  WHERE p.enrollment_date <= $as_of
)
SELECT
  p.patient_id,
  p.patient_id || '-' || row_number() OVER (PARTITION BY p.patient_id ORDER BY p.enrollment_date) AS episode_id,
  p.enrollment_date,
  p.known_discharge AS discharge_date,
  p.known_discharge IS NULL AS active,
  coalesce(p.known_discharge, $as_of::DATE) AS episode_end,
  CASE WHEN $discharge_closes_windows THEN least(coalesce(p.known_discharge + $after_discharge_days::INTEGER, $as_of::DATE), $as_of::DATE) ELSE $as_of::DATE END AS scores_until,
  p.discharge_reason,
  p.clinic_id,
  p.care_manager_id,
  p.payer,
  p.program,
  p.sex,
  p.race,
  p.ethnicity,
  p.age_at_enrolment,
  list_last(list_filter($age_bands, lambda b: b.lower <= p.age_at_enrolment)).band AS age_band
FROM p
WHERE coalesce(list_contains($clinics, p.clinic_id), true)
  AND ($care_manager IS NULL OR p.care_manager_id = $care_manager)
  AND ($payer IS NULL OR p.payer = $payer)
