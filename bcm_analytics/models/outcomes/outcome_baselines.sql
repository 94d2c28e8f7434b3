-- Baseline: the first score of each instrument in the episode (outcome_scores already allows
-- scores from baseline_lookback_days before enrolment). The one place every outcome, window,
-- cohort and caseload measure takes its baseline from.
-- kind: table
-- per_patient: true
SELECT episode_id, any_value(patient_id) AS patient_id, instrument,
       min(administered_on) AS baseline_date,
       arg_min(total_score, administered_on) AS baseline_score
FROM marts.outcome_scores
GROUP BY episode_id, instrument
