-- Each enrolment of a patient as a treatment episode, whatever the as-of date: the current one and
-- each earlier one a re-enrolment replaced (core.enrolments, the patients export's replaced rows in
-- meta.row_changes: the one place that says what is a re-enrolment), numbered in enrolment order
-- (episode_id patient_id-<n>). Each keeps its own enrolment and discharge dates, discharge reason,
-- clinic, care manager and program as exported then: an earlier episode is judged with the clinic
-- and care manager it had.
-- counts_from: the first day a score or time-log entry belongs to the episode: baseline_lookback_days
-- before enrolment, but never on or before the discharge of the patient's episode before (a score in
-- the lookback of a re-enrolment that came after the earlier discharge is the new episode's; one up
-- to that discharge is the earlier episode's, which it was scored in). An episode's scores after
-- its discharge (follow-up) run up to the day before the next enrolment's counts_from, once that
-- enrolment has started by the as-of date (outcome_episodes' scores_until), so a day's score
-- belongs to one episode only.
-- outcome_episodes adds what the as-of date decides; outcome_activity needs only this, so a later
-- as-of date does not rewrite it.
-- kind: table
-- per_patient: true
SELECT e.patient_id,
       e.patient_id || '-' || row_number() OVER w AS episode_id,
       e.enrollment_date, e.discharge_date, e.discharge_reason, e.clinic_id, e.care_manager_id, e.program,
       greatest(e.enrollment_date - s.lookback_days::INTEGER, lag(e.discharge_date) OVER w + 1) AS counts_from
FROM core.enrolments e
CROSS JOIN config.outcome_settings s
WINDOW w AS (PARTITION BY e.patient_id ORDER BY e.enrollment_date)
