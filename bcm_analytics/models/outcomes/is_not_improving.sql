-- Treat-to-target (outcome_measures.md section 2): on `day_`, not_improving_after_days (70) or more
-- have passed since the baseline and the latest score is not an improvement (marts.is_improved);
-- a patient with no score since the baseline counts as not improving (no evidence of change), or
-- with not_improving_no_followup = 'above_target' only when the baseline itself is not at target.
-- The caller decides that the episode is open.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_not_improving(baseline_date, baseline_score, latest_date, latest_score, day_) AS
  datediff('day', baseline_date, day_) >= (SELECT not_improving_after_days FROM config.outcome_settings)
  AND CASE WHEN latest_date <= baseline_date
           THEN (SELECT not_improving_no_followup FROM config.outcome_settings) = 'all'
                OR NOT marts.is_improved(baseline_score, baseline_score)
           ELSE NOT marts.is_improved(latest_score, baseline_score) END
