-- Caseload and process measures per month, for the program, each clinic, each care manager and
-- each care manager at each clinic ('All' where summed over; AIMS Center style). Months run
-- from $start_month to $end_month; a month's state is taken at its last day, or at the as-of
-- date in the as-of month.
--
--   served               open any day of the month (the base of per-patient-month rates)
--   active               on the caseload at month end (enrolled, not discharged before that day)
--   new_enrolments, discharges   in the month
--   contacted            of active: a contact in the last $contacted_within_days days
--   scored, scored_long  of active: a score in the last $scored_within_days / $scored_within_days_long days
--   reviewed             of active: a psychiatric case review in the last $process_review_within_days days
--   not_improving        of active: an instrument $not_improving_after_days+ days past baseline, not at target
--   not_improving_no_review      ... and no case review in the last $not_improving_review_days days
--   assessed, followed_up        initial assessments in the month (an assessment before enrolment
--                        counts in the enrolment month) whose $followup_within_days-day window has
--                        closed, and those with a contact within it
--   contacts, minutes    in the month (per patient-month: divide by served)
WITH months AS (
  SELECT m::DATE AS month, least(last_day(m::DATE), $as_of::DATE) AS month_end
  FROM (SELECT unnest(generate_series($start_month::DATE, least($end_month::DATE, $as_of::DATE), INTERVAL 1 MONTH)) AS m)
),
patient_months AS (
  SELECT m.month, m.month_end, e.episode_id, e.enrollment_date, e.clinic_id, e.care_manager_id,
         e.discharge_date IS NULL OR e.discharge_date >= m.month_end AS active,
         e.enrollment_date >= m.month AS enrolled_in_month,
         coalesce(e.discharge_date <= m.month_end, false) AS discharged_in_month
  FROM months m
  JOIN outcome_episodes e
    ON e.enrollment_date <= m.month_end AND (e.discharge_date IS NULL OR e.discharge_date >= m.month)
),
recent_activity AS (
  SELECT pm.episode_id, pm.month,
         bool_or(a.is_contact AND a.service_date > pm.month_end - $contacted_within_days::INTEGER) AS contacted,
         bool_or(a.is_review AND a.service_date > pm.month_end - $process_review_within_days::INTEGER) AS reviewed,
         bool_or(a.is_review AND a.service_date > pm.month_end - $not_improving_review_days::INTEGER) AS reviewed_for_target,
         count(*) FILTER (WHERE a.is_contact AND a.service_date >= pm.month) AS contacts,
         coalesce(sum(a.minutes) FILTER (WHERE a.service_date >= pm.month), 0) AS minutes
  FROM patient_months pm
  JOIN outcome_activity a ON a.episode_id = pm.episode_id AND a.service_date <= pm.month_end
  GROUP BY ALL
),
baselines AS (
  SELECT episode_id, instrument, min(administered_on) AS baseline_date,
         arg_min(total_score, administered_on) AS baseline_score
  FROM outcome_scores GROUP BY ALL
),
scores_then AS (
  SELECT pm.episode_id, pm.month, s.instrument,
         max(s.administered_on) AS latest_date,
         arg_max(s.total_score, s.administered_on) AS latest_score
  FROM patient_months pm
  JOIN outcome_scores s ON s.episode_id = pm.episode_id AND s.administered_on <= pm.month_end
  GROUP BY ALL
),
targets AS (
  SELECT st.episode_id, st.month,
         bool_or(st.latest_date > pm.month_end - $scored_within_days::INTEGER) AS scored,
         bool_or(st.latest_date > pm.month_end - $scored_within_days_long::INTEGER) AS scored_long,
         bool_or(datediff('day', b.baseline_date, pm.month_end) >= $not_improving_after_days
                 AND NOT (st.latest_score < $improvement_below
                          OR st.latest_score <= round($response_max_fraction * b.baseline_score, 6))) AS not_improving,
         any_value(b.baseline_score) FILTER (WHERE st.instrument = 'PHQ-9') AS phq9_first,
         any_value(st.latest_score) FILTER (WHERE st.instrument = 'PHQ-9') AS phq9_last,
         any_value(b.baseline_score) FILTER (WHERE st.instrument = 'GAD-7') AS gad7_first,
         any_value(st.latest_score) FILTER (WHERE st.instrument = 'GAD-7') AS gad7_last
  FROM scores_then st
  JOIN patient_months pm USING (episode_id, month)
  JOIN baselines b USING (episode_id, instrument)
  GROUP BY ALL
),
initial_assessment AS (
  SELECT e.episode_id,
         coalesce((SELECT min(a.service_date) FROM outcome_activity a WHERE a.episode_id = e.episode_id AND a.is_assessment),
                  (SELECT min(b.baseline_date) FROM baselines b WHERE b.episode_id = e.episode_id)) AS assessed_on
  FROM outcome_episodes e
),
followed AS (
  SELECT ia.episode_id, greatest(ia.assessed_on, e.enrollment_date) AS counted_on,
         bool_or(a.is_contact AND a.service_date > ia.assessed_on
                 AND a.service_date <= ia.assessed_on + $followup_within_days::INTEGER) AS followed_up
  FROM initial_assessment ia
  JOIN outcome_episodes e USING (episode_id)
  LEFT JOIN outcome_activity a USING (episode_id)
  WHERE ia.assessed_on + $followup_within_days::INTEGER <= $as_of
  GROUP BY ALL
),
flags AS (
  SELECT pm.*,
         pm.active AND coalesce(r.contacted, false) AS contacted,
         pm.active AND coalesce(t.scored, false) AS scored,
         pm.active AND coalesce(t.scored_long, false) AS scored_long,
         pm.active AND coalesce(r.reviewed, false) AS reviewed,
         pm.active AND coalesce(t.not_improving, false) AS not_improving,
         pm.active AND coalesce(t.not_improving, false) AND NOT coalesce(r.reviewed_for_target, false) AS not_improving_no_review,
         f.counted_on BETWEEN pm.month AND pm.month_end AS assessed,
         f.counted_on BETWEEN pm.month AND pm.month_end AND f.followed_up AS followed_up,
         coalesce(r.contacts, 0) AS contacts,
         coalesce(r.minutes, 0) AS minutes,
         CASE WHEN pm.active THEN datediff('day', pm.enrollment_date, pm.month_end) / 7.0 END AS weeks_in_treatment,
         CASE WHEN pm.active THEN t.phq9_first END AS phq9_first,
         CASE WHEN pm.active THEN t.phq9_last END AS phq9_last,
         CASE WHEN pm.active THEN t.gad7_first END AS gad7_first,
         CASE WHEN pm.active THEN t.gad7_last END AS gad7_last
  FROM patient_months pm
  LEFT JOIN recent_activity r USING (episode_id, month)
  LEFT JOIN targets t USING (episode_id, month)
  LEFT JOIN followed f USING (episode_id)
)
SELECT month,
       CASE WHEN grouping(clinic_id) = 0 THEN coalesce(clinic_id, 'Unknown') ELSE 'All' END AS clinic,
       CASE WHEN grouping(care_manager_id) = 0 THEN coalesce(care_manager_id, 'Unknown') ELSE 'All' END AS care_manager,
       count(*) AS served,
       count(*) FILTER (WHERE active) AS active,
       count(*) FILTER (WHERE enrolled_in_month) AS new_enrolments,
       count(*) FILTER (WHERE discharged_in_month) AS discharges,
       count(*) FILTER (WHERE contacted) AS contacted,
       count(*) FILTER (WHERE scored) AS scored,
       count(*) FILTER (WHERE scored_long) AS scored_long,
       count(*) FILTER (WHERE reviewed) AS reviewed,
       count(*) FILTER (WHERE not_improving) AS not_improving,
       count(*) FILTER (WHERE not_improving_no_review) AS not_improving_no_review,
       count(*) FILTER (WHERE assessed) AS assessed,
       count(*) FILTER (WHERE followed_up) AS followed_up,
       sum(contacts) AS contacts,
       sum(minutes) AS minutes,
       avg(weeks_in_treatment) AS mean_weeks_in_treatment,
       avg(phq9_first) AS mean_phq9_first,
       avg(phq9_last) AS mean_phq9_last,
       avg(gad7_first) AS mean_gad7_first,
       avg(gad7_last) AS mean_gad7_last
FROM flags
GROUP BY GROUPING SETS ((month), (month, clinic_id), (month, care_manager_id), (month, clinic_id, care_manager_id))
ORDER BY month, clinic = 'All' DESC, clinic, care_manager = 'All' DESC, care_manager
