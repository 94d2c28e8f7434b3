-- Baseline: the first score of each instrument in the episode (outcome_scores already allows
-- scores from baseline_lookback_days before enrolment, and gives a re-enrolled patient's score to
-- one episode: the lookback of a re-enrolment after the earlier discharge is the new one's); with
-- outcome.baseline: first_eligible, the first that is an eligible baseline (marts.is_eligible_baseline:
-- HEDIS DRR-E's index, the first PHQ-9 > 9), so an episode never scored that high has no baseline.
-- Either way the baseline is a score of the treatment episode, up to its discharge day: a score
-- after the discharge (a relapse-prevention check-in) follows up an earlier baseline, never starts
-- one, so an episode first scored after its discharge has no baseline. The one place every
-- outcome, window, cohort and caseload measure takes its baseline from.
-- kind: table
-- per_patient: true
SELECT s.episode_id, any_value(s.patient_id) AS patient_id, s.instrument,
       min(s.administered_on) AS baseline_date,
       arg_min(s.total_score, s.administered_on) AS baseline_score
FROM marts.outcome_scores s
JOIN marts.outcome_episodes e USING (episode_id)
CROSS JOIN config.outcome_settings st
WHERE (st.baseline = 'first_score' OR marts.is_eligible_baseline(s.total_score))
  AND (e.discharge_date IS NULL OR s.administered_on <= e.discharge_date)
GROUP BY s.episode_id, s.instrument
