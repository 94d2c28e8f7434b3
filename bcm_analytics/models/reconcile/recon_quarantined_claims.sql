-- Claim lines of registry patients that the loader set aside (meta.quarantine, status open or
-- waiting): a month whose claim is in the quarantine is not a month nobody billed, so
-- reconciliation reports it as claim_quarantined instead of advising to bill it again
-- (billing_rules.md section 6 item 13).
--
-- The canonical values come from raw.claims (every landed row, by load and line), which holds
-- them for a canonical CSV and for a profile load alike (a profile's quarantine record is the
-- source record); the quarantine record's own fields are the fallback. The month is read
-- leniently (ISO, m/d/yy and m/d/yyyy, d.m.yyyy, yyyymmdd, an Excel serial): it only places the
-- warning, and a date the loader refused is often the reason the line is here. A line whose date
-- still does not read has no service_month and stands for every month of the patient. A line
-- whose claim line (claim_id, line_number) a later load supplied is settled: the fix was reloaded.
-- kind: table
-- per_patient: true
WITH q AS (
  SELECT q.load_id, q.source_file, q.line_number, q.reason, q.status,
         nullif(trim(coalesce(r.patient_id, q.record ->> 'patient_id')), '') AS patient_id,
         nullif(trim(coalesce(r.claim_id, q.record ->> 'claim_id')), '') AS claim_id,
         nullif(upper(trim(coalesce(r.procedure_code, q.record ->> 'procedure_code'))), '') AS procedure_code,
         coalesce(try_cast(try_cast(nullif(trim(coalesce(r.line_number, q.record ->> 'line_number')), '') AS DOUBLE) AS BIGINT), 1)
           AS claim_line,
         nullif(trim(coalesce(r.date_of_service, q.record ->> 'date_of_service')), '') AS date_text
  FROM meta.quarantine q
  LEFT JOIN raw.claims r ON r._load_id = q.load_id AND r._line = q.line_number
  WHERE q.table_name = 'claims' AND q.status IN ('open', 'waiting')
),
dated AS (
  SELECT *, CASE WHEN regexp_full_match(date_text, '[2-7][0-9]{4}(\.[0-9]+)?')
                 THEN DATE '1899-12-30' + CAST(floor(CAST(date_text AS DOUBLE)) AS INTEGER)
                 ELSE CAST(coalesce(try_strptime(date_text, ['%Y-%m-%d', '%m/%d/%y', '%m/%d/%Y', '%d.%m.%Y', '%Y%m%d', '%Y/%m/%d']),
                                    try_strptime(left(date_text, 10), ['%Y-%m-%d', '%m/%d/%Y', '%Y/%m/%d'])) AS DATE) END AS day
  FROM q
)
SELECT d.patient_id, CAST(date_trunc('month', d.day) AS DATE) AS service_month, d.claim_id, d.procedure_code,
       d.date_text, d.source_file AS quarantine_file, d.line_number AS quarantine_line, d.reason AS quarantine_reason,
       d.status AS quarantine_status, d.load_id AS quarantine_load_id
FROM dated d
JOIN marts.billing_patients p USING (patient_id)
WHERE NOT EXISTS (SELECT 1 FROM staging.claims s
                  WHERE s.patient_id = d.patient_id AND s.claim_id = d.claim_id AND s.line_number = d.claim_line
                    AND s._load_id > d.load_id)
