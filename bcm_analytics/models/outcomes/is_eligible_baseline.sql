-- An eligible baseline (outcome_measures.md section 2): eligible_baseline_min (10) or more. Only
-- these enter the response and remission denominators; with outcome.baseline: first_eligible the
-- baseline is the first score that is one (marts.outcome_baselines).
-- kind: macro
CREATE OR REPLACE MACRO marts.is_eligible_baseline(score) AS
  score >= (SELECT eligible_baseline_min FROM config.outcome_settings)
