-- Fixed-time outcomes: one row per episode, instrument and window (config.outcome_windows: 12w,
-- 6m, 12m). The window's score is the most recent one from day `from_day` to day `to_day` after
-- baseline (inclusive, counted in days), never the best; later scores are ignored. A window opens
-- on opens_on (baseline plus from_day) and closes on its last day, closes_on (with
-- discharge_closes_windows: at discharge plus followup_after_discharge_days, if that comes first).
-- Status:
--   not_eligible  baseline below eligible_baseline_min (outside the denominators: marts.is_eligible_baseline)
--   pending       the window is still open at the as-of date (marts.window_closed): "not yet measurable"
--   no_followup   closed with no score in it: stays in the denominator as not met (HEDIS)
--   met / not_met response (marts.is_response) or remission (marts.is_remission)
-- kind: table
-- per_patient: true
WITH in_window AS (
  SELECT b.episode_id, b.instrument, w.window_name,
         max(s.administered_on) AS score_date,
         arg_max(s.total_score, s.administered_on) AS score
  FROM marts.outcome_baselines b
  CROSS JOIN config.outcome_windows w
  JOIN marts.outcome_scores s
    ON s.episode_id = b.episode_id AND s.instrument = b.instrument
   AND datediff('day', b.baseline_date, s.administered_on) BETWEEN w.from_day AND w.to_day
  GROUP BY ALL
),
judged AS (
  SELECT b.episode_id, b.patient_id, b.instrument, b.baseline_date, b.baseline_score, w.window_name, w.from_day, w.to_day,
         marts.is_eligible_baseline(b.baseline_score) AS eligible,
         b.baseline_date + w.from_day::INTEGER AS opens_on,
         CASE WHEN st.discharge_closes_windows
              THEN least(b.baseline_date + w.to_day::INTEGER, e.discharge_date + st.after_discharge_days::INTEGER)
              ELSE b.baseline_date + w.to_day::INTEGER END AS closes_on,
         i.score_date, i.score,
         marts.is_response(i.score, b.baseline_score) AS responded,
         marts.is_remission(i.score) AS remitted,
         a.as_of
  FROM marts.outcome_baselines b
  CROSS JOIN config.outcome_windows w
  CROSS JOIN config.outcome_settings st
  CROSS JOIN config.as_of_date a
  JOIN marts.outcome_episodes e USING (episode_id)
  LEFT JOIN in_window i USING (episode_id, instrument, window_name)
),
final AS (
  SELECT *, eligible AND marts.window_closed(closes_on, as_of) AS decided FROM judged
)
SELECT episode_id, patient_id, instrument, baseline_date, baseline_score, window_name, from_day, to_day, eligible,
       opens_on, closes_on, score_date, score,
       CASE WHEN decided THEN score IS NOT NULL END AS followup,
       CASE WHEN decided THEN coalesce(responded, false) END AS response,
       CASE WHEN decided THEN coalesce(remitted, false) END AS remission,
       CASE WHEN NOT eligible THEN 'not_eligible' WHEN NOT decided THEN 'pending' WHEN score IS NULL THEN 'no_followup'
            WHEN responded THEN 'met' ELSE 'not_met' END AS response_status,
       CASE WHEN NOT eligible THEN 'not_eligible' WHEN NOT decided THEN 'pending' WHEN score IS NULL THEN 'no_followup'
            WHEN remitted THEN 'met' ELSE 'not_met' END AS remission_status
FROM final
