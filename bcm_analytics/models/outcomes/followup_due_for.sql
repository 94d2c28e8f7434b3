-- Follow-up scores due (a care-team worklist, never part of an aggregate report): fixed-time outcome
-- windows open at the as-of date with no score in them yet, one row per episode, instrument and
-- window, soonest closing first, so the care team can get the score before the window closes.
-- Open and discharged episodes alike: discharge does not close a window (outcome_measures.md
-- section 2), and a relapse-prevention check-in supplies the score. The windows, their days and
-- their status are outcome_windows': open = opened (opens_on on or before the as-of date) and still
-- pending (its last day, closes_on, after it: marts.window_closed). Only the windows the program
-- measures count: an eligible baseline (pending is never not_eligible) and the episode in the
-- measure population (marts.in_measure_population: nobody is called after a death or hospice discharge).
--   days_left   days from the as-of date to the window's last day (1: the last day is tomorrow)
-- The payer filter takes the payer in force now, in the as-of month (marts.payer_name_periods), as
-- the worklists do.
-- kind: macro
CREATE OR REPLACE MACRO marts.followup_due_for(clinics_, care_manager_, payer_) AS TABLE
SELECT e.patient_id, e.episode_id, e.clinic_id, e.care_manager_id, e.enrollment_date, e.discharge_date,
       w.instrument, w.window_name, w.opens_on, w.closes_on, datediff('day', a.as_of, w.closes_on) AS days_left
FROM marts.outcome_windows w
JOIN marts.outcome_episodes e USING (episode_id)
CROSS JOIN config.as_of_date a
CROSS JOIN config.outcome_settings s
JOIN marts.payer_name_periods y ON y.patient_id = e.patient_id
 AND CAST(date_trunc('month', a.as_of) AS DATE) BETWEEN y.from_month AND y.until_month
WHERE w.response_status = 'pending' AND w.opens_on <= a.as_of AND w.score_date IS NULL
  AND marts.in_measure_population(e.patient_id, e.age_at_enrolment, s.min_age)
  AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
ORDER BY w.closes_on, e.patient_id, w.instrument
