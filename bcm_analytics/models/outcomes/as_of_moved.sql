-- The patients whose outcome rows can change when the as-of date moves on from old_ to new_ with no
-- new data of theirs: episodes open at old_ or discharged less than a month plus followup_within_days
-- before it (the month of a discharge, the follow-up window of an assessment before it), windows
-- that close in between, and enrolments dated in between (any of a patient's, marts.outcome_enrolments:
-- a re-enrolment started by new_ ends the scores of the episode before, outcome_episodes.scores_until).
-- The build recomputes them, with the patients whose data changed, instead of every outcome mart
-- whole; tests/test_models.py proves the result equals a rebuild.
-- kind: macro
CREATE OR REPLACE MACRO marts.as_of_moved(old_, new_) AS TABLE
SELECT patient_id FROM marts.outcome_episodes
WHERE discharge_date IS NULL
   OR discharge_date >= CAST(old_ AS DATE) - 31 - (SELECT followup_within_days FROM config.outcome_settings)::INTEGER
UNION
SELECT patient_id FROM marts.outcome_windows
WHERE NOT marts.window_closed(closes_on, CAST(old_ AS DATE)) AND marts.window_closed(closes_on, CAST(new_ AS DATE))
UNION
SELECT patient_id FROM marts.outcome_enrolments WHERE enrollment_date > CAST(old_ AS DATE) AND enrollment_date <= CAST(new_ AS DATE)
