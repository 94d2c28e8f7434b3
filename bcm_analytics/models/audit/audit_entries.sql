-- Every time-log entry as an auditor reads it: what marts.billing_entries decided (status, minutes
-- counted) and, for an entry not counted or counted in part, the outcome its minutes not counted
-- are subtotalled under (`not_counted_as`, marts.uncounted_outcome) and the reason in plain words; for
-- overlapping time, the entries of the same staff member and patient it overlaps; and where the
-- entry came from (source file, line, the load and when it ran). The audit packets and the
-- time-allocation report read it; it decides nothing billing_entries has not decided. An entry's
-- `end_at` is its real local end, read from its end instant in the clinic's zone (`timezone`): on
-- the night the clocks spring forward an entry at 01:50 of 30 minutes ends at 03:20 (02:20 never
-- happens), and on the night they fall back one at 01:50 CDT ends at 01:20 CST; the audit page
-- names the offset of a time in the hour that happens twice (reports/audit.py). An entry set aside
-- or cut by a hospital stay names the stay in its reason (its type, its key as exported, the
-- admission and discharge on the clinic's clock, with times where the export gave them:
-- marts.stay_time_text) and lists it in `facility_stays` with the facility_stays export's file,
-- line and load, which the packet's provenance lists: the stays are those billing_entries placed
-- it by (`facility_stay_ids`).
-- kind: view
WITH entries AS (
  SELECT e.* REPLACE (timezone(z.timezone, e.end_instant) AS end_at), z.timezone
  FROM marts.billing_entries e
  LEFT JOIN core.patients z USING (patient_id)
),
partners AS (  -- for overlapping time: the intervals it overlaps that count or block
  SELECT o.entry_id,
         list(p.entry_id || ' (' || p.activity_type || ' ' || strftime(p.start_at, '%H:%M') || '-' || strftime(p.end_at, '%H:%M')
              || CASE WHEN p.status = 'activity_not_countable' THEN ', not countable' ELSE '' END || ')'
              ORDER BY p.start_instant, p.entry_id) AS overlaps_with,
         bool_or(p.status = 'activity_not_countable') AS any_blocking, bool_and(p.status = 'activity_not_countable') AS all_blocking
  FROM entries o
  JOIN entries p
    ON p.patient_id = o.patient_id AND p.staff_id = o.staff_id AND p.entry_id <> o.entry_id
   AND p.start_instant < o.end_instant AND p.end_instant > o.start_instant  -- as billing_entries judges overlap
   AND p.status IN ('counted', 'counted_in_part_overlap', 'activity_not_countable')
  WHERE o.status IN ('counted_in_part_overlap', 'not_counted_overlap')
  GROUP BY o.entry_id
),
stays AS (  -- the hospital stays that set an entry's minutes aside or cut them, as the export gave them
  SELECT u.entry_id,
         list({stay_id: s.stay_id, stay_type: s.stay_type, admitted_at: s.admitted_at, discharged_at: s.discharged_at,
               source_file: s._source_file, source_line: s._line, load_id: s._load_id}
              ORDER BY s.admitted_instant, s.stay_id) AS facility_stays,
         array_to_string(list(format('{} stay {}, admitted {}, {}', s.stay_type, s.stay_id,
                                     marts.stay_time_text(s.admitted_at, s.admitted_at_has_time),
                                     coalesce('discharged ' || marts.stay_time_text(s.discharged_at, s.discharged_at_has_time),
                                              'no discharge in the export'))
                              ORDER BY s.admitted_instant, s.stay_id), '; ') AS stays_text
  FROM (SELECT entry_id, patient_id, unnest(facility_stay_ids) AS stay_id FROM entries
        WHERE status IN ('during_facility_stay', 'counted_in_part_facility_stay')) u
  JOIN core.facility_stays s ON s.patient_id = u.patient_id AND s.stay_id = u.stay_id
  GROUP BY u.entry_id
),
described AS (
  SELECT e.*, y.payer_class, y.billing_setting, y.program,
         core.enrolment_on(p.enrolments, e.service_date) AS _enrolment, struct_extract(_enrolment, 'consent_date') AS consent_date,
         core.discharged_before(_enrolment, e.service_date) AS ended, w.overlaps_with, h.facility_stays, h.stays_text,
         format('{:g}', CAST(e.minutes - e.counted_minutes AS DOUBLE)) AS lost_text,
         format('{:g}', CAST(e.minutes AS DOUBLE)) AS minutes_text,
         CASE WHEN w.all_blocking THEN 'a non-countable activity of the same staff member on this patient'
              WHEN w.any_blocking THEN 'time already counted for another entry, or a non-countable activity, of the same staff member on this patient'
              ELSE 'time already counted for another entry of the same staff member on this patient' END AS overlap_text
  FROM entries e
  JOIN marts.billing_patients p USING (patient_id)
  JOIN marts.month_terms y ON y.patient_id = e.patient_id AND e.service_month BETWEEN y.from_month AND y.until_month
  LEFT JOIN partners w USING (entry_id)
  LEFT JOIN stays h USING (entry_id)
)
SELECT d.entry_id, d.patient_id, d.service_month, d.service_at, d.service_date, d.start_at, d.end_at,
       d.start_instant, d.end_instant, d.timezone,
       d.staff_id, d.staff_role, d.activity_type, d.contact_mode, d.minutes AS minutes_logged,
       d.counted_minutes AS minutes_counted, d.minutes - d.counted_minutes AS minutes_not_counted, d.status,
       CASE WHEN d.status <> 'counted' THEN marts.uncounted_outcome(d.status, marts.activity_category(d.activity_type)) END
         AS not_counted_as,
       CASE d.status
         WHEN 'counted' THEN NULL
         WHEN 'counted_in_part_overlap' THEN
           format('{} of its {} minutes overlap {} (overlaps {}); overlapping time counts once.',
                  d.lost_text, d.minutes_text, d.overlap_text, array_to_string(d.overlaps_with, ', '))
         WHEN 'not_counted_overlap' THEN coalesce(
           format('The same {} minutes as entry {} (same staff member, day, minutes and activity, no start time); '
                  || 'minutes logged twice count once.', d.minutes_text, d.copy_of),
           format('All {} minutes overlap {} (overlaps {}); overlapping time counts once.',
                  d.minutes_text, d.overlap_text, array_to_string(d.overlaps_with, ', ')))
         WHEN 'activity_not_countable' THEN
           format('''{}'' is not a countable care-management activity under the rule in force (separately billed, clerical, or a no-show).',
                  d.activity_type)
         WHEN 'activity_unknown' THEN
           format('Activity type ''{}'' is outside the rules'' vocabulary, so it never counts; map it to a known activity.',
                  d.activity_type)
         WHEN 'role_not_countable' THEN
           format('Minutes of staff role ''{}'' do not count under the rule in force (only care-management staff time counts).',
                  d.staff_role)
         WHEN 'counted_in_part_facility_stay' THEN
           format('{} of its {} minutes fall inside the patient''s hospital stay ({}it runs across the admission or discharge); '
                  || 'time while the patient is inpatient or in observation does not count.', d.lost_text, d.minutes_text,
                  coalesce(d.stays_text || '; ', ''))
         WHEN 'during_facility_stay' THEN
           format('Logged on {} {}; time while the patient is inpatient or in observation does not count.',
                  strftime(d.service_date, '%Y-%m-%d'),
                  CASE WHEN d.facility_stay IN ('during', 'part') THEN 'during the patient''s hospital stay' || coalesce(' (' || d.stays_text || ')', '')
                       ELSE 'on the day of a hospital admission or discharge' || coalesce(' (' || d.stays_text || ')', '')
                            || ', with no time to tell before from after (setting facility_stay_edge_days)' END)
         WHEN 'after_discharge' THEN coalesce(
           format('Logged on {}, after the patient''s discharge on {} and before their re-enrolment on {}; '
                  'the episode ended at the discharge, and minutes between the two do not count.',
                  strftime(d.service_date, '%Y-%m-%d'), strftime(d.ended.discharge_date, '%Y-%m-%d'),
                  strftime(d.ended.next_enrolled_on, '%Y-%m-%d')),
           format('Logged on {}, after the patient''s discharge on {}; the episode ended there and no re-enrolment is on file.',
                  strftime(d.service_date, '%Y-%m-%d'), strftime(d.ended.discharge_date, '%Y-%m-%d')))
         WHEN 'no_consent' THEN 'The patient has no consent date on file; minutes count only from consent on.'
         WHEN 'before_consent' THEN
           format('Logged on {}, before the patient''s consent on {}; minutes count only from consent on.',
                  strftime(d.service_date, '%Y-%m-%d'), strftime(d.consent_date, '%Y-%m-%d'))
         WHEN 'no_rule_in_force' THEN
           format('No billing rule is in force for a {} patient in a {} ({} program) in {}; no minutes count that month.',
                  d.payer_class, replace(d.billing_setting, '_', ' '), d.program, strftime(d.service_month, '%Y-%m'))
         ELSE d.status END AS reason,
       d.overlaps_with, d.code_set,
       d._source_file AS source_file, d._line AS source_line, d._load_id AS load_id, l.finished_at AS loaded_at,
       d.facility_stays
FROM described d
LEFT JOIN meta.load_log l ON l.load_id = d._load_id
