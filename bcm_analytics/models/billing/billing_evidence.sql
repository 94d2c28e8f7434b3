-- The time-log entries behind each billing line: every entry of the line's patient-month that
-- counted, with the minutes it counted for (an auditor's "show me the minutes"): its day, its start
-- time where the export logged one (NULL otherwise: a day alone is no midnight), and service_at,
-- the service date as exported (midnight for a date alone).
-- kind: view
SELECT l.line_id, e.entry_id, e.counted_minutes AS minutes_counted, e.minutes AS minutes_logged,
       e.patient_id, e.service_month, l.code, e.service_date, e.start_at, e.service_at, e.staff_id, e.staff_role, e.activity_type, e.status,
       e._source_file AS source_file, e._line AS source_line
FROM marts.billing_lines l
JOIN marts.billing_entries e ON e.patient_id = l.patient_id AND e.service_month = l.service_month
WHERE e.counted_minutes > 0
