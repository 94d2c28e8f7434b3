-- Every time-log entry of a registry patient: the rule in force in its (local) month, whether it
-- counts and why not, and the minutes it adds once overlapping time is counted once.
--
-- Overlaps: intervals (entries with a start time) of one staff member on one patient are cut at
-- every start and end, and at a local month's first midnight, into segments, whatever month the
-- entries are in: 23:50-00:10 on 31 October and 00:00-00:20 on 1 November share ten minutes, which
-- count once (billing_rules.md s3). The cutting is done on the entries' instants
-- (core.time_logs.start_instant, end_instant), so that two entries exported with offsets an hour
-- apart in the hour a fall-back repeats do not overlap, and one running across a spring-forward
-- ends when it really did; a segment's month is the local month it lies in. An entry's minutes still belong to its service month, so a
-- segment counts once, for the countable entry covering it whose month the segment lies in (the
-- shared minutes of 1 November count in November), else the earliest-starting one covering it,
-- and not at all while a non-countable activity of the same person covers it
-- (BCM time inside psychotherapy or an E/M visit); an activity outside the vocabulary neither
-- counts nor blocks, and `bcm billing` reports it. Only islands of two or more intersecting
-- intervals are cut, so the range join stays small. Entries without a start time count whole,
-- except one logged again under another id (the same patient, staff member, date, minutes and
-- activity: a re-keyed export, a double click), whose minutes are the same minutes and count once,
-- for the first id (`copy_of`); the other reads not_counted_overlap (data contract "no entry logged
-- twice"). Minutes logged while the patient was in hospital (core.facility_stays) do not count
-- (during_facility_stay; marts.facility_stay_part, and the setting facility_stay_edge_days for an
-- admission or discharge day the export gives no time to judge by); an entry with a start time that
-- runs across a timed admission or discharge (judged on instants, like overlaps: across a
-- spring-forward an entry ends an hour later on the clock) is cut there like an overlap, and only its minutes
-- outside the stay count (counted_in_part_facility_stay; named for the stay when it also overlaps). Minutes logged after the
-- patient's discharge date (a follow-up call with a check-in score) do not count (after_discharge):
-- the episode ended at the discharge, and the export, keyed by patient, shows a re-enrolment as a
-- new enrolment with the discharge cleared (billing_rules.md section 2); minutes between the
-- discharge it replaced and the re-enrolment stay after_discharge (core.discharged_before). `facility_stay_ids` names
-- the stays (core.facility_stays.stay_id, as exported) that placed the entry as `facility_stay`
-- says, so that an audit can name the stay behind during_facility_stay and
-- counted_in_part_facility_stay (marts.audit_entries) without judging the entry a second time.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH terms AS (  -- the terms a rule is chosen by, numbered, per run of months under one payer and enrolment
                 -- (marts.month_terms: one run per patient without coverage rows or a re-enrolment), with
                 -- each enrolment's consent and discharge: an entry is judged by those of the enrolment in force on its day
  SELECT p.patient_id, p.enrolments, y.from_month, y.until_month, y.payer, y.payer_class,
         y.billing_setting, y.program,
         dense_rank() OVER (ORDER BY y.payer, y.payer_class, y.billing_setting, y.program) AS terms
  FROM marts.billing_patients p JOIN marts.month_terms y USING (patient_id)
),
stays AS (  -- each patient's hospital stays, as one list: joined to the entries without repeating them;
            -- local days, and the times (where exported) as instants, which entries are cut at
  SELECT patient_id, list({stay_id: stay_id, admitted_on: admitted_on, discharged_on: discharged_on,
                           admitted_at: CASE WHEN admitted_at_has_time THEN admitted_instant END,
                           discharged_at: CASE WHEN discharged_at_has_time THEN discharged_instant END}) AS stays
  FROM core.facility_stays GROUP BY patient_id
),
logs AS (
  SELECT t.entry_id, t.patient_id, t.staff_id, lower(trim(t.staff_role)) AS staff_role,
         lower(trim(t.activity_type)) AS activity_type, t.contact_mode, t.service_at, t.service_date, t.service_month,
         t.start_at, t.end_at, t.start_instant, t.end_instant, t.timezone,
         CAST(greatest(t.minutes, 0) AS DECIMAL(18, 4)) AS minutes,
         core.enrolment_on(p.enrolments, t.service_date) AS _enrolment, struct_extract(_enrolment, 'consent_date') AS consent_date,
         core.discharged_before(_enrolment, t.service_date) IS NOT NULL AS after_discharge, t._source_file, t._line, t._load_id, t._row_hash AS _source_hash, p.terms,
         list_transform(h.stays, lambda s: {part: marts.facility_stay_part(
           t.service_date, marts.entry_at(t.start_time_has_time, t.start_instant, t.service_date_has_time,
                                          core.instant(t._service_date_local, t._service_date_instant, t.timezone)),
           CASE WHEN t.start_time_has_time THEN t.end_instant END, s), stay_id: s.stay_id}) AS _placed,
         list_min(list_transform(_placed, lambda p: p.part)) AS facility_stay,
         CASE WHEN facility_stay = 'part' THEN list_transform(  -- the stays it runs across: its minutes in them do not count
           list_filter(h.stays, lambda s: marts.facility_stay_part(t.service_date, t.start_instant, t.end_instant, s) = 'part'),
           lambda s: marts.facility_stay_span(s, t.timezone)) END AS stay_spans
  FROM core.time_logs t
  JOIN terms p ON p.patient_id = t.patient_id AND t.service_month BETWEEN p.from_month AND p.until_month
  LEFT JOIN stays h ON h.patient_id = t.patient_id
),
span AS (  -- the months the entries span, widened each side by the local month's slack: read from the
           -- stored readings, so that `logs` is read once and streams (read twice, DuckDB kept all of
           -- it, and a 10M-row program spilled gigabytes)
  SELECT CAST(unnest(generate_series(
           date_trunc('month', least(min(service_date_local), min(service_date_instant)::TIMESTAMP)) - marts.local_month_slack(),
           date_trunc('month', greatest(max(service_date_local), max(service_date_instant)::TIMESTAMP)) + marts.local_month_slack(),
           INTERVAL 1 MONTH)) AS DATE) AS service_month
  FROM staging.time_logs
),
rules AS (  -- the rule in force for each terms and month, looked up once each; only the rule's fields
            -- this model needs travel on (the rule is a wide struct)
  SELECT terms, service_month, r IS NULL AS no_rule, r.code_set, r.countable_activities, r.countable_roles,
         r.facility_stay_edge_days
  FROM (SELECT k.terms, m.service_month,
               marts.rule_in_force(k.payer, k.payer_class, k.billing_setting, k.program, m.service_month) AS r
        FROM (SELECT DISTINCT terms, payer, payer_class, billing_setting, program FROM terms) k
        CROSS JOIN span m)
),
e AS (
  SELECT l.* EXCLUDE (terms), coalesce(r.no_rule, true) AS no_rule, r.code_set, r.countable_activities, r.countable_roles,
         r.facility_stay_edge_days
  FROM logs l LEFT JOIN rules r ON r.terms = l.terms AND r.service_month = l.service_month
),
judged AS (
  SELECT * EXCLUDE (no_rule, countable_activities, countable_roles, facility_stay_edge_days, after_discharge, _enrolment), CASE
      WHEN no_rule THEN 'no_rule_in_force'
      WHEN activity_type NOT IN (SELECT activity_type FROM config.activity_types) THEN 'activity_unknown'
      WHEN NOT list_contains(countable_activities, activity_type) THEN 'activity_not_countable'
      WHEN NOT list_contains(countable_roles, staff_role) THEN 'role_not_countable'
      WHEN facility_stay = 'during' OR (facility_stay = 'edge' AND facility_stay_edge_days = 'exclude') THEN 'during_facility_stay'
      WHEN after_discharge THEN 'after_discharge'
      WHEN consent_date IS NULL THEN 'no_consent'
      WHEN service_date < consent_date THEN 'before_consent'
      ELSE 'countable' END AS status
  FROM e
),
intervals AS (  -- on the instants (core.time_logs): reach: how far the earlier intervals of the staff member
                -- reach; next_s: where the next starts
  SELECT entry_id, patient_id, staff_id, service_month, timezone, start_instant AS s, end_instant AS e,
         status = 'countable' AS counts, coalesce(facility_stay = 'part', false) AS part, stay_spans,
         max(end_instant) OVER w_before AS reach, lead(start_instant) OVER w AS next_s
  FROM judged
  WHERE status IN ('countable', 'activity_not_countable') AND start_at IS NOT NULL AND staff_id IS NOT NULL
    AND minutes > 0
  WINDOW w AS (PARTITION BY patient_id, staff_id ORDER BY start_instant, end_instant, entry_id),
         w_before AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
shared AS (  -- intervals that intersect another: an interval starts an island when no earlier one
             -- reaches past its start, and is alone in it when the next interval starts one too;
             -- and those that run across a hospital admission or discharge, cut there
  SELECT entry_id, patient_id, staff_id, service_month, timezone, s, e, counts, part, stay_spans FROM intervals
  WHERE part OR NOT ((reach IS NULL OR s >= reach)
             AND (next_s IS NULL OR next_s >= CASE WHEN reach IS NULL OR e > reach THEN e ELSE reach END))
),
-- Islands never overlap in time, so cutting all of a staff member's shared intervals at once gives
-- each island its own segments; a segment in the gap between two islands is covered by no interval
-- and drops out of the join. An interval that runs past a local month's first midnight is cut there
-- too (at that midnight's instant), so that every segment lies in one local month.
points AS (
  SELECT DISTINCT patient_id, staff_id,
         unnest(list_concat([s, e], list_filter(
           list_concat([core.instant(core.local_month(NULL, e, timezone), NULL, timezone)],  -- the midnight starting e's month
                       coalesce(flatten(list_transform(stay_spans, lambda sp: [sp.lo, sp.hi])), [])),
           lambda x: x > s AND x < e))) AS t
  FROM shared
),
segments AS (
  SELECT * FROM (
    SELECT patient_id, staff_id, t AS seg_start,
           lead(t) OVER (PARTITION BY patient_id, staff_id ORDER BY t) AS seg_end
    FROM points)
  WHERE seg_end IS NOT NULL
),
owners AS (  -- the segment's owner: a countable entry of the segment's own month first, then the earliest;
             -- never an entry for a segment inside the hospital stay it runs across
  SELECT g.seg_start, g.seg_end, bool_or(NOT i.counts) AS blocked,
         arg_min(i.entry_id, (i.service_month <> core.local_month(NULL, g.seg_start, i.timezone), i.s, i.entry_id))
           FILTER (WHERE i.counts AND NOT (i.part AND len(list_filter(i.stay_spans,
                     lambda sp: g.seg_start >= sp.lo AND g.seg_end <= sp.hi)) > 0)) AS owner
  FROM segments g
  JOIN shared i ON i.patient_id = g.patient_id AND i.staff_id = g.staff_id
              AND i.s <= g.seg_start AND i.e >= g.seg_end
  GROUP BY g.patient_id, g.staff_id, g.seg_start, g.seg_end
),
shared_counted AS (
  SELECT owner AS entry_id,
         CAST(sum(datediff('microsecond', seg_start, seg_end)) / 60000000 AS DECIMAL(18, 4)) AS counted
  FROM owners WHERE owner IS NOT NULL AND NOT blocked
  GROUP BY owner
),
logged_again AS (  -- untimed countable entries after the first of their kind (see the header), with that first one
  SELECT entry_id, copy_of FROM (
    SELECT entry_id, first_value(entry_id) OVER copies AS copy_of, row_number() OVER copies AS copy
    FROM judged WHERE status = 'countable' AND start_at IS NULL
    WINDOW copies AS (PARTITION BY patient_id, staff_id, service_at, minutes, activity_type ORDER BY entry_id))
  WHERE copy > 1
),
counted AS (
  SELECT j.*, a.copy_of, CASE WHEN j.status <> 'countable' OR a.entry_id IS NOT NULL THEN 0
                   WHEN s.entry_id IS NULL THEN j.minutes
                   ELSE coalesce(c.counted, 0) END AS counted_minutes
  FROM judged j
  LEFT JOIN (SELECT DISTINCT entry_id FROM shared) s USING (entry_id)
  LEFT JOIN shared_counted c USING (entry_id)
  LEFT JOIN logged_again a USING (entry_id)
)
SELECT * EXCLUDE (status, counted_minutes, consent_date, stay_spans, timezone, _placed),
       CAST(counted_minutes AS DECIMAL(18, 4)) AS counted_minutes,
       CASE WHEN status <> 'countable' THEN status
            WHEN counted_minutes = minutes THEN 'counted'
            WHEN facility_stay = 'part' AND counted_minutes > 0 THEN 'counted_in_part_facility_stay'
            WHEN facility_stay = 'part' THEN 'during_facility_stay'
            WHEN counted_minutes > 0 THEN 'counted_in_part_overlap'
            ELSE 'not_counted_overlap' END AS status,
       list_sort(list_transform(list_filter(_placed, lambda p: p.part = facility_stay), lambda p: p.stay_id)) AS facility_stay_ids
FROM counted
