-- Patient-level outcomes: one row per episode and instrument, as of the as-of date.
--
-- response / remission / improvement compare the latest score with the baseline; they are NULL
-- until there is a score after the baseline. improvement is MHIP's "clinically significant":
-- below $improvement_below or a response. not_improving (treat to target) is set for open
-- episodes only: $not_improving_after_days or more since baseline and the latest score neither
-- below $improvement_below nor a response. item9_positive: the latest PHQ-9 has item 9 above 0
-- (NULL when the item was not exported: 0 is not "safe", and missing is not 0).
CREATE OR REPLACE TEMP TABLE outcome_patients AS
WITH firsts AS (
  SELECT episode_id, instrument,
         any_value(has_item9) AS has_item9,
         count(*) AS scores,
         min(administered_on) AS baseline_date,
         arg_min(total_score, administered_on) AS baseline_score,
         max(administered_on) AS latest_date,
         arg_max(total_score, administered_on) AS latest_score,
         arg_max(item9_max, administered_on) AS latest_item_9,
         bool_or(untimed_duplicate) AS untimed_duplicate
  FROM outcome_scores
  GROUP BY ALL
),
bands AS (
  SELECT b.instrument, b.band, b.lower,
         coalesce(lead(b.lower) OVER (PARTITION BY b.instrument ORDER BY b.lower), 1000) AS upper
  FROM (SELECT unnest($bands, recursive := true)) b
),
activity AS (
  SELECT episode_id,
         max(service_date) FILTER (WHERE is_contact) AS last_contact_date,
         max(service_date) FILTER (WHERE is_review) AS last_psychiatric_review_date
  FROM outcome_activity
  GROUP BY ALL
),
windows AS (
  PIVOT (SELECT episode_id, instrument, window_name, followup, response, remission, response_status,
                remission_status, score, score_date FROM outcome_windows)
  ON window_name IN ('12w', '6m', '12m')
  USING any_value(followup) AS followup, any_value(response) AS response, any_value(remission) AS remission,
        any_value(response_status) AS response_status, any_value(remission_status) AS remission_status,
        any_value(score) AS score, any_value(score_date) AS score_date
),
judged AS (
  SELECT f.*, e.*  EXCLUDE (episode_id),
         f.latest_date > f.baseline_date AS has_followup,
         f.latest_score <= round($response_max_fraction * f.baseline_score, 6) AS latest_responded,
         f.latest_score < $improvement_below OR latest_responded AS at_target
  FROM firsts f JOIN outcome_episodes e USING (episode_id)
)
SELECT
  j.patient_id, j.episode_id, j.instrument, j.clinic_id, j.care_manager_id, j.payer,
  j.enrollment_date, j.discharge_date, j.active,
  j.baseline_date, j.baseline_score, bb.band AS baseline_band,
  j.latest_date, j.latest_score, lb.band AS severity_band,
  j.scores,
  j.baseline_score >= $eligible_baseline_min AS eligible,
  CASE WHEN j.has_followup THEN j.latest_responded END AS response,
  CASE WHEN j.has_followup THEN j.latest_score < $remission_below END AS remission,
  CASE WHEN j.has_followup THEN j.at_target END AS improvement,
  CASE WHEN j.active THEN datediff('day', j.baseline_date, $as_of::DATE) >= $not_improving_after_days AND NOT j.at_target
       END AS not_improving,
  CASE WHEN j.has_item9 THEN j.latest_item_9 > 0 END AS item9_positive,
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
JOIN windows w USING (episode_id, instrument)
LEFT JOIN bands bb ON bb.instrument = j.instrument AND j.baseline_score >= bb.lower AND j.baseline_score < bb.upper
LEFT JOIN bands lb ON lb.instrument = j.instrument AND j.latest_score >= lb.lower AND j.latest_score < lb.upper
LEFT JOIN activity a USING (episode_id)
ORDER BY j.patient_id, j.episode_id, j.instrument
