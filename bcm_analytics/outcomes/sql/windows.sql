-- Fixed-time outcomes: one row per episode, instrument and window (12w, 6m, 12m).
--
-- Baseline: the first score of the instrument in the episode. The window's score is the most
-- recent one from day `from_day` to day `to_day` after baseline (inclusive, counted in days),
-- never the best; later scores are ignored. A window closes at its last day, or when the
-- episode stops taking scores (discharge + $after_discharge_days) if that comes first. Status:
--   not_eligible  baseline below $eligible_baseline_min (outside the denominators)
--   pending       the window is still open at the as-of date (outside the denominators)
--   no_followup   closed with no score in it: stays in the denominator as not met (HEDIS)
--   met / not_met response: score <= $response_max_fraction of baseline (exactly 50% counts);
--                 remission: score < $remission_below (5 is not remission)
CREATE OR REPLACE TEMP TABLE outcome_windows AS
WITH windows AS (
  SELECT * FROM (VALUES ('12w', $w12w_from, $w12w_to), ('6m', $w6m_from, $w6m_to), ('12m', $w12m_from, $w12m_to))
    AS w(window_name, from_day, to_day)
),
baselines AS (
  SELECT episode_id, instrument, min(administered_on) AS baseline_date,
         arg_min(total_score, administered_on) AS baseline_score
  FROM outcome_scores
  GROUP BY ALL
),
in_window AS (
  SELECT b.episode_id, b.instrument, w.window_name,
         max(s.administered_on) AS score_date,
         arg_max(s.total_score, s.administered_on) AS score
  FROM baselines b
  CROSS JOIN windows w
  JOIN outcome_scores s
    ON s.episode_id = b.episode_id AND s.instrument = b.instrument
   AND datediff('day', b.baseline_date, s.administered_on) BETWEEN w.from_day AND w.to_day
  GROUP BY ALL
),
judged AS (
  SELECT b.episode_id, b.instrument, b.baseline_date, b.baseline_score, w.window_name, w.from_day, w.to_day,
         b.baseline_score >= $eligible_baseline_min AS eligible,
         CASE WHEN $discharge_closes_windows THEN least(b.baseline_date + w.to_day::INTEGER, e.discharge_date + $after_discharge_days::INTEGER) ELSE b.baseline_date + w.to_day::INTEGER END AS closes_on,
         i.score_date, i.score,
         i.score <= round($response_max_fraction * b.baseline_score, 6) AS responded,
         i.score < $remission_below AS remitted
  FROM baselines b
  CROSS JOIN windows w
  JOIN outcome_episodes e USING (episode_id)
  LEFT JOIN in_window i USING (episode_id, instrument, window_name)
),
final AS (
  SELECT *, eligible AND closes_on <= $as_of AS decided FROM judged
)
SELECT episode_id, instrument, baseline_date, baseline_score, window_name, from_day, to_day, eligible, closes_on,
       score_date, score,
       CASE WHEN decided THEN score IS NOT NULL END AS followup,
       CASE WHEN decided THEN coalesce(responded, false) END AS response,
       CASE WHEN decided THEN coalesce(remitted, false) END AS remission,
       CASE WHEN NOT eligible THEN 'not_eligible' WHEN NOT decided THEN 'pending' WHEN score IS NULL THEN 'no_followup'
            WHEN responded THEN 'met' ELSE 'not_met' END AS response_status,
       CASE WHEN NOT eligible THEN 'not_eligible' WHEN NOT decided THEN 'pending' WHEN score IS NULL THEN 'no_followup'
            WHEN remitted THEN 'met' ELSE 'not_met' END AS remission_status
FROM final
