-- Where logged minutes go: per patient, staff member, month, activity and contact mode, the minutes
-- of each outcome (patient_id stays so a report can count the patients behind a cell). Counted minutes either support a code their patient-month bills (`supported_code`) or
-- sit in a month that reaches no code (`below_threshold`); uncounted minutes carry the reason
-- marts.billing_entries gave them (an entry counted in part splits into its counted part and its
-- `overlap` part), with non-countable activities told apart as `administrative`,
-- `separately_billed` or `activity_not_countable` (marts.uncounted_outcome). Every logged minute
-- of the store is in exactly one row: the minutes add up to the time logs. `clinic_id` is the
-- month's clinic (marts.month_terms), as billing and reconciliation place a month: an earlier
-- enrolment's minutes stay with the clinic it was at when a re-enrolment moves the patient.
-- kind: view
WITH e AS (
  SELECT e.patient_id, e.service_month, y.clinic_id, coalesce(e.staff_id, '(no staff id)') AS staff_id, e.staff_role,
         e.activity_type, coalesce(e.contact_mode, '(none given)') AS contact_mode, e.status, e.minutes, e.counted_minutes,
         marts.activity_category(e.activity_type) AS activity_category
  FROM marts.billing_entries e
  JOIN marts.month_terms y ON y.patient_id = e.patient_id AND e.service_month BETWEEN y.from_month AND y.until_month
),
billed AS (SELECT DISTINCT patient_id, service_month FROM marts.billing_lines),
parts AS (
  SELECT e.*, CASE WHEN b.patient_id IS NOT NULL THEN 'supported_code' ELSE 'below_threshold' END AS outcome,
         e.counted_minutes AS part
  FROM e LEFT JOIN billed b USING (patient_id, service_month)
  WHERE e.counted_minutes > 0
  UNION ALL
  SELECT e.*, marts.uncounted_outcome(status, activity_category), e.minutes - e.counted_minutes
  FROM e
  WHERE e.minutes > e.counted_minutes
)
SELECT patient_id, clinic_id, staff_id, staff_role, service_month, activity_category, activity_type, contact_mode, outcome,
       outcome IN ('supported_code', 'below_threshold') AS counted,
       sum(part) AS minutes
FROM parts
GROUP BY ALL
