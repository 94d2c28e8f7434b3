-- Treatment episodes for outcomes: one per enrolment (outcome_enrolments) started on or before the
-- as-of date. A discharge after the as-of date is not known yet: the episode is on the caseload at
-- the as-of date, and its reason is not known either (a report as of December left out of its
-- measures a patient who died in March). A reason with no discharge date (a FHIR death with no
-- date) is kept.
-- Each episode's enrolment, discharge, discharge reason, clinic, care manager and program are its
-- own (outcome_enrolments: an earlier enrolment as exported then); sex, race, ethnicity and the
-- birth date (age at the episode's enrolment) are the patient's (core.patients).
-- counts_from: the first day a score counts for the episode (outcome_enrolments).
-- scores_until: the last day a score counts: with discharge_closes_windows, the discharge plus
-- followup_after_discharge_days; and, once the patient has enrolled again by the as-of date, the
-- day before the next episode's counts_from (a score belongs to one episode only: the re-enrolment's
-- lookback is its own, never a follow-up of the episode before); NULL otherwise: discharge does not
-- close follow-up, scores count up to the as-of date. No column holds the as-of date itself, so a
-- discharged patient's row does not change when the data's last day moves on, unless it moves past
-- an enrolment's day (marts.as_of_moved names those patients).
-- No payer: the payer an outcome is counted under is the payer in force (marts.payer_name_periods)
-- in the month a measure looks at (the month itself, the index or baseline, the as-of month), which
-- each reader takes there; the registry's payer alone would put a patient who moved from Medicaid
-- to Medicare at 65 under Medicare for every month and measure.
-- kind: table
-- per_patient: true
WITH started AS (  -- the patient's enrolments started by the as-of date (a later one is not known yet)
  SELECT n.*, lead(n.counts_from) OVER (PARTITION BY n.patient_id ORDER BY n.enrollment_date) AS next_counts_from
  FROM marts.outcome_enrolments n
  CROSS JOIN config.as_of_date a
  WHERE n.enrollment_date <= a.as_of
),
p AS (
  SELECT n.*, p.birth_date, p.sex, p.race, p.ethnicity, a.as_of,
         CASE WHEN n.discharge_date <= a.as_of THEN n.discharge_date END AS known_discharge,
         date_sub('year', p.birth_date, n.enrollment_date) AS age_at_enrolment
  FROM started n
  JOIN core.patients p USING (patient_id)
  CROSS JOIN config.as_of_date a
)
SELECT
  p.patient_id,
  p.episode_id,
  p.enrollment_date,
  p.known_discharge AS discharge_date,
  marts.on_caseload(p.enrollment_date, p.known_discharge, p.as_of) AS active,
  coalesce(p.known_discharge, p.as_of) AS episode_end,
  p.counts_from,
  least(CASE WHEN s.discharge_closes_windows THEN p.known_discharge + s.after_discharge_days::INTEGER END,
        p.next_counts_from - 1) AS scores_until,
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
