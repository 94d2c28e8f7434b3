-- Time-log entries of each episode, marked as contacts and psychiatric case reviews, and the
-- contacts after its discharge (in_episode false: relapse-prevention check-ins, which the item-9
-- worklist reads for a positive answer after the discharge). Every reader of contacts reads them
-- here, so marts.is_contact and marts.entry_at are applied to contacts once.
--
-- Contact: marts.is_contact (a real contact mode, or a patient-facing activity type).
-- Psychiatric case review: a caseload-review activity or time logged by the consultant.
-- contact_at: when it started, where the export says (marts.entry_at); NULL for a day alone.
-- in_episode: from the episode's counts_from (baseline_lookback_days before enrolment, an assessment
-- before enrolment counts, never on or before the discharge of the patient's episode before:
-- outcome_enrolments) to the discharge date, so an entry is in one episode only; caseload and
-- process measures read these rows alone. Entries after the as-of date are the readers' to leave
-- out (they exist only when an earlier as-of date is asked for), so a later as-of date changes no
-- row here.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH marked AS (
  SELECT e.episode_id, e.patient_id, t.entry_id, t.service_date, t.service_month, t.minutes,
         marts.entry_at(t.start_time_has_time, t.start_at, t.service_date_has_time, t.service_at) AS contact_at,
         t.activity_type, t.staff_role,
         CASE WHEN t.contact_mode IS NULL OR list_contains(s.no_contact_modes, t.contact_mode) THEN 'no mode'
              ELSE t.contact_mode END AS contact_mode,
         marts.is_contact(t.contact_mode, t.activity_type, s.no_contact_modes, s.contact_activity_types,
                          s.non_contact_activity_types) AS is_contact,
         list_contains(s.review_activity_types, t.activity_type)
           OR list_contains(s.review_staff_roles, t.staff_role) AS is_review,
         list_contains(s.initial_assessment_activity_types, t.activity_type) AS is_assessment,
         e.discharge_date IS NULL OR t.service_date <= e.discharge_date AS in_episode
  FROM core.time_logs t
  CROSS JOIN config.outcome_settings s
  JOIN marts.outcome_enrolments e
    ON t.patient_id = e.patient_id
   AND t.service_date >= e.counts_from
)
SELECT * FROM marked WHERE in_episode OR is_contact
