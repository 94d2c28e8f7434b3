-- Patient-level outcomes: one row per episode and instrument, as of the as-of date.
--
-- response / remission / improvement compare the latest score with the baseline; they are NULL
-- until there is a score after the baseline. not_improving (treat to target, marts.is_not_improving)
-- is set for episodes on the caseload at the as-of date. item9_positive describes the latest
-- PHQ-9: TRUE when its item 9 is above 0, NULL (unknown, not "no") when that latest score has no
-- item 9; earlier positive answers are history (item9_positive_dates), never the current flag.
-- item9_positive_since: the first of the run of positive answers the latest PHQ-9 ends (after the
-- last answer of 0).
-- An instrument with scores and no baseline (outcome.baseline: first_eligible, never scored
-- eligible_baseline_min) keeps its row, for the latest score and item 9 (a safety flag is never
-- dropped with a baseline): its baseline, window and outcome columns are NULL and eligible false.
-- payer: the payer in force in the baseline's month (marts.payer_name_periods; the enrolment's month
-- for a row with no baseline), as the program measures stratify and filter an episode (one payer
-- an episode, the one its outcome is measured from).
-- kind: table
-- per_patient: true
WITH firsts AS (
  SELECT s.episode_id, s.instrument,
         any_value(s.has_item9) AS has_item9,
         count(*) AS scores,
         max(s.administered_on) AS latest_date,
         arg_max(s.total_score, s.administered_on) AS latest_score,
         arg_max_null(s.item9_of_day, s.administered_on) AS latest_item_9,
         list(s.administered_on ORDER BY s.administered_on) FILTER (WHERE s.item9_max > 0) AS item9_positive_dates,
         max(s.administered_on) FILTER (WHERE s.item9_max = 0) AS item9_last_zero_date,
         bool_or(s.untimed_duplicate) AS untimed_duplicate
  FROM marts.outcome_scores s
  GROUP BY ALL
),
bands AS (
  SELECT b.instrument, b.band, b.lower,
         coalesce(lead(b.lower) OVER (PARTITION BY b.instrument ORDER BY b.lower), 1000) AS upper
  FROM config.severity_bands b
),
activity AS (
  SELECT episode_id,
         max(service_date) FILTER (WHERE is_contact) AS last_contact_date,
         max(service_date) FILTER (WHERE is_review) AS last_psychiatric_review_date
  FROM marts.outcome_activity
  WHERE in_episode AND service_date <= (SELECT as_of FROM config.as_of_date)
  GROUP BY ALL
),
windows AS (
  PIVOT (SELECT episode_id, instrument, window_name, followup, response, remission, response_status,
                remission_status, score, score_date FROM marts.outcome_windows)
  ON window_name IN ('12w', '6m', '12m')
  USING any_value(followup) AS followup, any_value(response) AS response, any_value(remission) AS remission,
        any_value(response_status) AS response_status, any_value(remission_status) AS remission_status,
        any_value(score) AS score, any_value(score_date) AS score_date
),
judged AS (
  SELECT f.*, b.baseline_date, b.baseline_score, e.* EXCLUDE (episode_id), a.as_of,
         f.latest_date > b.baseline_date AS has_followup, y.payer
  FROM firsts f
  LEFT JOIN marts.outcome_baselines b USING (episode_id, instrument)
  JOIN marts.outcome_episodes e USING (episode_id)
  JOIN marts.payer_name_periods y ON y.patient_id = e.patient_id
   AND CAST(date_trunc('month', coalesce(b.baseline_date, e.enrollment_date)) AS DATE) BETWEEN y.from_month AND y.until_month
  CROSS JOIN config.as_of_date a
)
SELECT
  j.patient_id, j.episode_id, j.instrument, j.clinic_id, j.care_manager_id, j.payer,
  j.enrollment_date, j.discharge_date, j.active,
  j.baseline_date, j.baseline_score, bb.band AS baseline_band,
  j.latest_date, j.latest_score, lb.band AS severity_band,
  j.scores,
  coalesce(marts.is_eligible_baseline(j.baseline_score), false) AS eligible,
  CASE WHEN j.has_followup THEN marts.is_response(j.latest_score, j.baseline_score) END AS response,
  CASE WHEN j.has_followup THEN marts.is_remission(j.latest_score) END AS remission,
  CASE WHEN j.has_followup THEN marts.is_improved(j.latest_score, j.baseline_score) END AS improvement,
  CASE WHEN j.active AND j.baseline_date IS NOT NULL THEN marts.is_not_improving(j.baseline_date, j.baseline_score, j.latest_date, j.latest_score, j.as_of)
       END AS not_improving,
  CASE WHEN j.has_item9 THEN j.latest_item_9 > 0 END AS item9_positive,
  CASE WHEN j.has_item9 THEN coalesce(j.item9_positive_dates, []) END AS item9_positive_dates,
  CASE WHEN j.has_item9 AND j.latest_item_9 > 0
       THEN list_min(list_filter(j.item9_positive_dates, lambda d: j.item9_last_zero_date IS NULL OR d > j.item9_last_zero_date))
       END AS item9_positive_since,
  w."12w_followup" AS followup_12w, w."12w_response" AS response_12w, w."12w_remission" AS remission_12w,
  w."12w_response_status" AS response_12w_status, w."12w_remission_status" AS remission_12w_status,
  w."12w_score" AS score_12w, w."12w_score_date" AS score_date_12w,
  w."6m_followup" AS followup_6m, w."6m_response" AS response_6m, w."6m_remission" AS remission_6m,
  w."6m_response_status" AS response_6m_status, w."6m_remission_status" AS remission_6m_status,
  w."6m_score" AS score_6m, w."6m_score_date" AS score_date_6m,
  w."12m_followup" AS followup_12m, w."12m_response" AS response_12m, w."12m_remission" AS remission_12m,
  w."12m_response_status" AS response_12m_status, w."12m_remission_status" AS remission_12m_status,
  w."12m_score" AS score_12m, w."12m_score_date" AS score_date_12m,
  round(datediff('day', j.enrollment_date, j.episode_end) / 7.0, 1) AS weeks_in_treatment,
  a.last_contact_date,
  a.last_psychiatric_review_date,
  j.untimed_duplicate AS same_day_scores_untimed,
  j.age_at_enrolment, j.age_band, j.sex, j.race, j.ethnicity, j.discharge_reason
FROM judged j
LEFT JOIN windows w USING (episode_id, instrument)
LEFT JOIN bands bb ON bb.instrument = j.instrument AND j.baseline_score >= bb.lower AND j.baseline_score < bb.upper
LEFT JOIN bands lb ON lb.instrument = j.instrument AND j.latest_score >= lb.lower AND j.latest_score < lb.upper
LEFT JOIN activity a USING (episode_id)
