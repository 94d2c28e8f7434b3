-- Enrolment-cohort curves: response and remission by months since enrolment.
--
-- Cohort: the enrolment cohort_period (quarter by default) of episodes inside the filters enrolled
-- in start_..period_end_, baseline eligible, in the measure population (as the program measures:
-- marts.in_measure_population). Month k is day round(k * days_per_month) after
-- enrolment. A cohort shows month k only once every member has reached it (so a curve follows the
-- same patients); a patient counts from the month their baseline is on or before, with the latest
-- score from the baseline up to that day (with outcome.baseline: first_eligible a score before
-- the baseline is not an outcome). The payer filter takes the payer in force in the baseline's month
-- (marts.payer_name_periods), as the program measures do.
-- firsts_, lasts_: an external page's calendar blocks it holds whole (first and last days, in
-- order), the cohorts in their place, labelled by their first month; an enrolment in none of them
-- is in no cohort. A quarter's cohort counted its enrolments beside blocks that join quarters, and
-- the caseload at the quarter's ends gave its discharges back. NULL: cohort_period.
-- kind: macro
CREATE OR REPLACE MACRO marts.cohorts_for(start_, period_end_, clinics_, care_manager_, payer_, instrument_, firsts_, lasts_) AS TABLE
WITH s AS (SELECT * FROM config.outcome_settings),
blocks AS (SELECT unnest(CAST(firsts_ AS DATE[])) AS block_first, unnest(CAST(lasts_ AS DATE[])) AS block_last),
eligible AS (
  SELECT b.episode_id, b.instrument, e.enrollment_date, b.baseline_date, b.baseline_score,
         CAST(CASE s.cohort_period WHEN 'quarter' THEN date_trunc('quarter', e.enrollment_date)
                                   WHEN 'year' THEN date_trunc('year', e.enrollment_date)
                                   ELSE date_trunc('month', e.enrollment_date) END AS DATE) AS cohort_start,
         least(CAST(cohort_start + CASE s.cohort_period WHEN 'quarter' THEN INTERVAL 3 MONTH WHEN 'year' THEN INTERVAL 1 YEAR
                                                        ELSE INTERVAL 1 MONTH END - INTERVAL 1 DAY AS DATE),
               CAST(period_end_ AS DATE)) AS cohort_end,
         s.cohort_period, s.days_per_month, s.cohort_max_months
  FROM marts.outcome_baselines b
  JOIN marts.outcome_episodes e USING (episode_id)
  JOIN marts.payer_name_periods y ON y.patient_id = e.patient_id
   AND CAST(date_trunc('month', b.baseline_date) AS DATE) BETWEEN y.from_month AND y.until_month
  CROSS JOIN s
  WHERE e.enrollment_date BETWEEN CAST(start_ AS DATE) AND CAST(period_end_ AS DATE)
    AND marts.is_eligible_baseline(b.baseline_score)
    AND marts.in_measure_population(e.patient_id, e.age_at_enrolment, s.min_age)
    AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
    AND (instrument_ IS NULL OR b.instrument = instrument_)
),
cohorts AS (
  SELECT el.* REPLACE (coalesce(bl.block_first, el.cohort_start) AS cohort_start,
                       coalesce(bl.block_last, el.cohort_end) AS cohort_end,
                       CASE WHEN firsts_ IS NULL THEN el.cohort_period ELSE 'block' END AS cohort_period)
  FROM eligible el
  LEFT JOIN blocks bl ON el.enrollment_date BETWEEN bl.block_first AND bl.block_last
  WHERE firsts_ IS NULL OR bl.block_first IS NOT NULL
),
points AS (
  SELECT el.*, k AS months_since_enrolment,
         el.enrollment_date + CAST(round(k * el.days_per_month) AS INTEGER) AS point_date
  FROM cohorts el
  CROSS JOIN (SELECT unnest(range(1, (SELECT cohort_max_months FROM s) + 1)) AS k)
  CROSS JOIN config.as_of_date a
  WHERE el.cohort_end + CAST(round(k * el.days_per_month) AS INTEGER) <= a.as_of
),
status AS (
  SELECT p.episode_id, p.instrument, p.cohort_start, p.cohort_period, p.months_since_enrolment, p.baseline_date,
         p.baseline_score,
         max(sc.administered_on) AS latest_date,
         arg_max(sc.total_score, sc.administered_on) AS latest_score
  FROM points p
  JOIN marts.outcome_scores sc ON sc.episode_id = p.episode_id AND sc.instrument = p.instrument
   AND sc.administered_on BETWEEN p.baseline_date AND p.point_date
  GROUP BY ALL
)
SELECT CASE cohort_period WHEN 'quarter' THEN strftime(cohort_start, '%Y') || '-Q' || quarter(cohort_start)
                          WHEN 'year' THEN strftime(cohort_start, '%Y') ELSE strftime(cohort_start, '%Y-%m') END AS cohort,
       instrument, months_since_enrolment,
       count(*) AS patients,
       count(*) FILTER (WHERE latest_date > baseline_date) AS measured,
       count(*) FILTER (WHERE marts.is_response(latest_score, baseline_score)) AS responders,
       count(*) FILTER (WHERE marts.is_remission(latest_score)) AS remitters
FROM status
GROUP BY ALL
ORDER BY instrument, cohort, months_since_enrolment
