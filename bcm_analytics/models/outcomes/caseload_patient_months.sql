-- Each episode's months on the program (enrolment month to discharge or as-of month), with the
-- state the caseload and process measures count (AIMS Center style). A month's state is taken at
-- its last day, or at the as-of date in the as-of month (month_end):
--   payer                the payer in force that month (marts.payer_name_periods): a patient who
--                        moved from Medicaid to Medicare counts under Medicaid in the months before
--   active               on the caseload at month_end (marts.on_caseload)
--   enrolled_in_month, discharged_in_month
--   contacted            active, and a contact in the contacted_within_days (30) before month_end
--   scored, scored_long  active, and a score in the last scored_within_days / _long days
--   scored_on, scored_long_on  the instruments (as measured: PHQ-A is the PHQ-9) of those scores,
--                        empty when not active: a report filtered to one instrument counts a
--                        patient scored on it alone (marts.caseload_months_for)
--   reviewed             active, and a psychiatric case review in the last review_within_days
--   not_improving        active, and marts.is_not_improving on some instrument at month_end
--   not_improving_on     the instruments it is not improving on (empty when not active)
--   not_improving_no_review   ... and no case review in the last not_improving_review_days
--   assessed, followed_up     the episode's initial assessment (an assessment activity, else the
--                        first score, the baseline by default; with outcome.baseline:
--                        first_eligible still the first score, a process measure of the first
--                        contact, not an outcome; before enrolment counts in the enrolment month) falls in
--                        the month and its followup_within_days window has closed; and a contact
--                        came within it
--   contacts, minutes    logged in the month
-- Recency (the latest contact, review or score on or before month_end) is each month's own latest
-- carried forward over the episode's months: every event of a month is on or before its month_end
-- (activity and scores stop at the as-of date), so the latest event by month_end is the latest of
-- the months up to it. The cost grows with months and events, not with their product, and a
-- window over the months costs less than an as-of join over the events.
-- kind: table
-- per_patient: true
WITH s AS (SELECT * FROM config.outcome_settings),
months AS (
  SELECT e.episode_id, e.patient_id, e.enrollment_date, e.discharge_date, e.clinic_id, e.care_manager_id,
         CAST(m.month AS DATE) AS month, a.as_of
  FROM marts.outcome_episodes e
  CROSS JOIN config.as_of_date a
  CROSS JOIN LATERAL (SELECT unnest(generate_series(date_trunc('month', e.enrollment_date),
                                                    date_trunc('month', coalesce(e.discharge_date, a.as_of)),
                                                    INTERVAL 1 MONTH)) AS month) m
),
pm AS (  -- the payer of each month: the payer in force that month (marts.payer_name_periods)
  SELECT m.*, least(last_day(m.month), m.as_of) AS month_end, y.payer
  FROM months m
  JOIN marts.payer_name_periods y ON y.patient_id = m.patient_id AND m.month BETWEEN y.from_month AND y.until_month
),
activity AS (  -- the episode's entries up to the as-of date (outcome_activity may hold later entries for an
              -- earlier as-of, and contacts after the discharge)
  SELECT a.* FROM marts.outcome_activity a CROSS JOIN config.as_of_date d WHERE a.in_episode AND a.service_date <= d.as_of
),
in_month AS (
  SELECT episode_id, service_month AS month, count(*) FILTER (WHERE is_contact) AS contacts, sum(minutes) AS minutes,
         max(service_date) FILTER (WHERE is_contact) AS month_contact, max(service_date) FILTER (WHERE is_review) AS month_review
  FROM activity GROUP BY ALL
),
recency AS (  -- the months' own latest contact and review carried forward; the months with activity
              -- before enrolment (or after discharge) carry into the episode's months too
  SELECT episode_id, month, last_contact, last_review FROM (
    SELECT episode_id, month, on_program,
           max(month_contact) OVER upto AS last_contact, max(month_review) OVER upto AS last_review
    FROM (SELECT episode_id, month, month_contact, month_review, false AS on_program FROM in_month
          UNION ALL SELECT episode_id, month, NULL, NULL, true FROM pm)
    WINDOW upto AS (PARTITION BY episode_id ORDER BY month RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
  WHERE on_program
),
instrument_months AS (
  SELECT pm.episode_id, pm.month, pm.month_end, b.instrument, b.baseline_date, b.baseline_score
  FROM pm JOIN marts.outcome_baselines b USING (episode_id)
  WHERE b.baseline_date <= pm.month_end
),
score_months AS (  -- each month's latest score of an instrument (one score per day at most)
  SELECT episode_id, instrument, date_trunc('month', administered_on) AS month,
         max(administered_on) AS month_date, arg_max(total_score, administered_on) AS month_score
  FROM marts.outcome_scores GROUP BY ALL
),
scores_then AS (  -- the latest score by month_end; a month with none by then has no row (an inner as-of join)
  SELECT * EXCLUDE (on_program) FROM (
    SELECT episode_id, month, month_end, instrument, baseline_date, baseline_score, on_program,
           max(month_date) OVER upto AS latest_date, arg_max(month_score, month_date) OVER upto AS latest_score
    FROM (SELECT im.*, true AS on_program, NULL AS month_date, NULL AS month_score FROM instrument_months im
          UNION ALL BY NAME
          SELECT episode_id, CAST(month AS DATE) AS month, instrument, false AS on_program, month_date, month_score
          FROM score_months)
    WINDOW upto AS (PARTITION BY episode_id, instrument ORDER BY month RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
  WHERE on_program AND latest_date IS NOT NULL
),
targets AS (  -- per instrument first, so that a report filtered to one counts on it alone
  SELECT episode_id, month,
         list(instrument ORDER BY instrument) FILTER (WHERE latest_date > month_end - s.scored_within_days::INTEGER) AS scored_with,
         list(instrument ORDER BY instrument) FILTER (WHERE latest_date > month_end - s.scored_within_days_long::INTEGER)
           AS scored_long_with,
         list(instrument ORDER BY instrument)
           FILTER (WHERE marts.is_not_improving(baseline_date, baseline_score, latest_date, latest_score, month_end))
           AS not_improving_with,
         any_value(baseline_score) FILTER (WHERE instrument = 'PHQ-9') AS phq9_first,
         any_value(latest_score) FILTER (WHERE instrument = 'PHQ-9') AS phq9_last,
         any_value(baseline_score) FILTER (WHERE instrument = 'GAD-7') AS gad7_first,
         any_value(latest_score) FILTER (WHERE instrument = 'GAD-7') AS gad7_last
  FROM scores_then CROSS JOIN s GROUP BY episode_id, month
),
initial_assessment AS (
  SELECT e.episode_id, e.enrollment_date,
         coalesce((SELECT min(a.service_date) FROM activity a WHERE a.episode_id = e.episode_id AND a.is_assessment),
                  (SELECT min(sc.administered_on) FROM marts.outcome_scores sc WHERE sc.episode_id = e.episode_id)) AS assessed_on
  FROM marts.outcome_episodes e
),
followed AS (
  SELECT ia.episode_id, greatest(ia.assessed_on, ia.enrollment_date) AS counted_on,
         coalesce(bool_or(a.is_contact AND a.service_date > ia.assessed_on
                          AND a.service_date <= ia.assessed_on + s.followup_within_days::INTEGER), false) AS followed_up
  FROM initial_assessment ia
  CROSS JOIN s
  CROSS JOIN config.as_of_date d
  LEFT JOIN activity a USING (episode_id)
  WHERE ia.assessed_on + s.followup_within_days::INTEGER <= d.as_of
  GROUP BY ALL
)
SELECT pm.episode_id, pm.patient_id, pm.month, pm.month_end, pm.enrollment_date, pm.clinic_id, pm.care_manager_id, pm.payer,
       marts.on_caseload(pm.enrollment_date, pm.discharge_date, pm.month_end) AS active,
       pm.enrollment_date >= pm.month AS enrolled_in_month,
       coalesce(pm.discharge_date <= pm.month_end, false) AS discharged_in_month,
       active AND coalesce(lc.last_contact > pm.month_end - s.contacted_within_days::INTEGER, false) AS contacted,
       CASE WHEN active THEN coalesce(t.scored_with, []) ELSE [] END AS scored_on,
       CASE WHEN active THEN coalesce(t.scored_long_with, []) ELSE [] END AS scored_long_on,
       CASE WHEN active THEN coalesce(t.not_improving_with, []) ELSE [] END AS not_improving_on,
       len(scored_on) > 0 AS scored,
       len(scored_long_on) > 0 AS scored_long,
       active AND coalesce(lc.last_review > pm.month_end - s.process_review_within_days::INTEGER, false) AS reviewed,
       len(not_improving_on) > 0 AS not_improving,
       not_improving
         AND NOT coalesce(lc.last_review > pm.month_end - s.not_improving_review_days::INTEGER, false) AS not_improving_no_review,
       coalesce(f.counted_on BETWEEN pm.month AND pm.month_end, false) AS assessed,
       coalesce(f.counted_on BETWEEN pm.month AND pm.month_end AND f.followed_up, false) AS followed_up,
       coalesce(im.contacts, 0) AS contacts,
       coalesce(im.minutes, 0) AS minutes,
       CASE WHEN active THEN datediff('day', pm.enrollment_date, pm.month_end) / 7.0 END AS weeks_in_treatment,
       CASE WHEN active THEN t.phq9_first END AS phq9_first,
       CASE WHEN active THEN t.phq9_last END AS phq9_last,
       CASE WHEN active THEN t.gad7_first END AS gad7_first,
       CASE WHEN active THEN t.gad7_last END AS gad7_last
FROM pm
CROSS JOIN s
LEFT JOIN recency lc USING (episode_id, month)
LEFT JOIN in_month im USING (episode_id, month)
LEFT JOIN targets t USING (episode_id, month)
LEFT JOIN followed f USING (episode_id)
