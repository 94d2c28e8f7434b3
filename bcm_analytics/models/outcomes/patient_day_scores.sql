-- A patient's scores of one instrument (PHQ-A counting as the PHQ-9, as marts.outcome_scores pools
-- them), one a day across all their episodes: the day's higher total where two episodes hold a score
-- that day, and the latest-enrolled episode holding it (its clinic, care manager, payer). The
-- per-year measures (HEDIS DRR-E, CMS159) index a patient, not an episode, and read their scores here.
-- kind: macro
CREATE OR REPLACE MACRO marts.patient_day_scores(instrument_) AS TABLE
  SELECT sc.patient_id, sc.administered_on, max(sc.total_score) AS total_score,
         arg_max(sc.episode_id, e.enrollment_date) AS episode_id
  FROM marts.outcome_scores sc JOIN marts.outcome_episodes e USING (episode_id)
  WHERE sc.instrument = instrument_
  GROUP BY sc.patient_id, sc.administered_on
