-- Treatment episodes for outcomes: one per enrolment (outcome_enrolments) started on or before the
-- as-of date. A discharge after the as-of date is not known yet: the episode is on the caseload at
-- the as-of date, and its reason is not known either (a report as of December left out of its
-- measures a patient who died in March). A reason with no discharge date (a FHIR death with no
-- date) is kept.
-- scores_until: with discharge_closes_windows, the last day a score counts (the discharge plus
-- followup_after_discharge_days); NULL otherwise: discharge does not close follow-up, scores count
-- up to the as-of date. No column holds the as-of date itself, so a discharged patient's row does
-- not change when the data's last day moves on (marts.as_of_moved).
-- No payer: the payer an outcome is counted under is the payer in force (marts.payer_name_periods)
-- in the month a measure looks at (the month itself, the index or baseline, the as-of month), which
-- each reader takes there; the registry's payer alone would put a patient who moved from Medicaid
-- to Medicare at 65 under Medicare for every month and measure.
-- kind: table
-- per_patient: true
WITH p AS (
  SELECT p.*, n.episode_id, a.as_of,
         CASE WHEN p.discharge_date <= a.as_of THEN p.discharge_date END AS known_discharge,
         date_sub('year', p.birth_date, p.enrollment_date) AS age_at_enrolment
  FROM marts.outcome_enrolments n
  JOIN core.patients p USING (patient_id)
  CROSS JOIN config.as_of_date a
  WHERE p.enrollment_date <= a.as_of
)
SELECT
  p.patient_id,
  p.episode_id,
  p.enrollment_date,
  p.known_discharge AS discharge_date,
  marts.on_caseload(p.enrollment_date, p.known_discharge, p.as_of) AS active,
  coalesce(p.known_discharge, p.as_of) AS episode_end,
  CASE WHEN s.discharge_closes_windows THEN p.known_discharge + s.after_discharge_days::INTEGER END AS scores_until,
  CASE WHEN p.discharge_date IS NULL OR p.known_discharge IS NOT NULL THEN p.discharge_reason END AS discharge_reason,
  p.clinic_id,
  p.care_manager_id,
  p.program,
  p.sex,
  p.race,
  p.ethnicity,
  p.age_at_enrolment,
  (SELECT arg_max(b.band, b.lower) FROM config.age_bands b WHERE b.lower <= p.age_at_enrolment) AS age_band
FROM p CROSS JOIN config.outcome_settings s
