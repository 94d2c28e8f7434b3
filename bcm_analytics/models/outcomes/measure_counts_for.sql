-- Program measures (HEDIS DRR-E style at 12 weeks / 6 months, CMS159 at 12 months) by stratum.
--
-- Population: episodes inside the filters whose baseline falls in start_..period_end_, baseline
-- eligible (>= eligible_baseline_min), in the measure population (marts.in_measure_population: age
-- at enrolment, the patient not discharged for death or hospice on any episode). One row per stratum, instrument and
-- window; response and remission share the denominator:
--   eligible     baselines in the population
--   pending      the window is still open at the as-of date (outside the denominator: "not yet measurable")
--   denominator  eligible less pending: closed windows, with or without a score (HEDIS)
--   measured     a score in the window
--   responders, remitters   the window's most recent score met the definition
-- Strata: the program as a whole, clinic, payer, age band, sex, race, ethnicity and baseline month,
-- unknown values as 'Unknown'; the payer (stratum and filter) is the one in force in the baseline's
-- month (marts.payer_name_periods), as cohorts, the change distribution and outcome_patients take it. (Care managers are left out: with clinics they would form linked
-- tables; the report filters by care manager instead.)
-- kind: macro
CREATE OR REPLACE MACRO marts.measure_counts_for(start_, period_end_, clinics_, care_manager_, payer_, instrument_) AS TABLE
WITH population AS (
  SELECT w.*, e.* EXCLUDE (episode_id, patient_id), y.payer
  FROM marts.outcome_windows w
  JOIN marts.outcome_episodes e USING (episode_id)
  JOIN marts.payer_name_periods y ON y.patient_id = w.patient_id
   AND CAST(date_trunc('month', w.baseline_date) AS DATE) BETWEEN y.from_month AND y.until_month
  CROSS JOIN config.outcome_settings s
  WHERE w.eligible
    AND w.baseline_date BETWEEN CAST(start_ AS DATE) AND CAST(period_end_ AS DATE)
    AND marts.in_measure_population(e.patient_id, e.age_at_enrolment, s.min_age)
    AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
    AND (instrument_ IS NULL OR w.instrument = instrument_)
),
labelled AS (
  SELECT instrument, window_name, response_status, followup, response, remission,
         'All' AS program,
         coalesce(clinic_id, 'Unknown') AS clinic,
         coalesce(payer, 'Unknown') AS payer,
         coalesce(age_band, 'Unknown') AS age_band,
         coalesce(sex, 'Unknown') AS sex,
         coalesce(race, 'Unknown') AS race,
         coalesce(ethnicity, 'Unknown') AS ethnicity,
         strftime(baseline_date, '%Y-%m') AS baseline_month
  FROM population
),
long AS (
  UNPIVOT labelled
  ON program, clinic, payer, age_band, sex, race, ethnicity, baseline_month
  INTO NAME dimension VALUE stratum
)
SELECT dimension, stratum, instrument, window_name,
       count(*) AS eligible,
       count(*) FILTER (WHERE response_status = 'pending') AS pending,
       count(*) FILTER (WHERE response_status <> 'pending') AS denominator,
       count(*) FILTER (WHERE followup) AS measured,
       count(*) FILTER (WHERE response) AS responders,
       count(*) FILTER (WHERE remission) AS remitters
FROM long
GROUP BY dimension, stratum, instrument, window_name
ORDER BY dimension, stratum, instrument, list_position(['12w', '6m', '12m'], window_name)
