-- Enrolment-cohort curves: response and remission by months since enrolment.
--
-- Cohort: the enrolment $cohort_period (quarter by default) of episodes enrolled in the report
-- period, baseline >= $eligible_baseline_min. Month k is day round(k * $days_per_month) after
-- enrolment. A cohort shows month k only once every member has reached it (so a curve follows
-- the same patients); a patient counts from the month their baseline is on or before, with the
-- latest score up to that day (within the episode: after discharge the last status carries).
WITH eligible AS (
  SELECT s.episode_id, s.instrument, e.enrollment_date,
         date_trunc($cohort_period, e.enrollment_date)::DATE AS cohort_start,
         least(CAST(date_trunc($cohort_period, e.enrollment_date)
                    + CASE $cohort_period WHEN 'quarter' THEN INTERVAL 3 MONTH WHEN 'year' THEN INTERVAL 1 YEAR
                           ELSE INTERVAL 1 MONTH END - INTERVAL 1 DAY AS DATE), $period_end::DATE) AS cohort_end,
         min(s.administered_on) AS baseline_date,
         arg_min(s.total_score, s.administered_on) AS baseline_score
  FROM outcome_scores s
  JOIN outcome_episodes e USING (episode_id)
  WHERE e.enrollment_date BETWEEN $start_month AND $period_end
  GROUP BY ALL
  HAVING arg_min(s.total_score, s.administered_on) >= $eligible_baseline_min
),
points AS (
  SELECT el.*, k AS months_since_enrolment,
         el.enrollment_date + CAST(round(k * $days_per_month) AS INTEGER) AS point_date
  FROM eligible el
  CROSS JOIN (SELECT unnest(range(1, $cohort_max_months + 1)) AS k)
  WHERE el.cohort_end + CAST(round(k * $days_per_month) AS INTEGER) <= $as_of
),
status AS (
  SELECT p.episode_id, p.instrument, p.cohort_start, p.months_since_enrolment, p.baseline_date, p.baseline_score,
         max(s.administered_on) AS latest_date,
         arg_max(s.total_score, s.administered_on) AS latest_score
  FROM points p
  JOIN outcome_scores s ON s.episode_id = p.episode_id AND s.instrument = p.instrument AND s.administered_on <= p.point_date
  GROUP BY ALL
)
SELECT CASE $cohort_period WHEN 'quarter' THEN strftime(cohort_start, '%Y') || '-Q' || quarter(cohort_start)
                           WHEN 'year' THEN strftime(cohort_start, '%Y') ELSE strftime(cohort_start, '%Y-%m') END AS cohort,
       instrument, months_since_enrolment,
       count(*) AS patients,
       count(*) FILTER (WHERE latest_date > baseline_date) AS measured,
       count(*) FILTER (WHERE latest_score <= round($response_max_fraction * baseline_score, 6)) AS responders,
       count(*) FILTER (WHERE latest_score < $remission_below) AS remitters
FROM status
GROUP BY ALL
ORDER BY instrument, cohort, months_since_enrolment
