-- Claim lines of registry patients that the loader set aside (core.quarantined_claims: status
-- open or waiting in meta.quarantine): a month whose claim is in the quarantine is not a month
-- nobody billed, so reconciliation reports it as claim_quarantined instead of advising to bill it
-- again (billing_rules.md section 6 item 13).
--
-- Which patient a line belongs to, and its other values, are core.quarantined_claims' (raw.claims,
-- else the quarantine record). The month is read leniently (ISO, m/d/yy and m/d/yyyy, d.m.yyyy,
-- yyyymmdd, an Excel serial): it only places the warning, and a date the loader refused is often
-- the reason the line is here. A line whose date still does not read has no service_month: it
-- stands for the months of the patient it could be the missing claim of (recon_quarantined_months).
-- A line whose claim line (claim_id, line_number) a later load supplied is settled: the fix was
-- reloaded.
-- kind: table
-- per_patient: true
WITH dated AS (
  SELECT *, CASE WHEN regexp_full_match(date_text, '[2-7][0-9]{4}(\.[0-9]+)?')
                 THEN DATE '1899-12-30' + CAST(floor(CAST(date_text AS DOUBLE)) AS INTEGER)
                 ELSE CAST(coalesce(try_strptime(date_text, ['%Y-%m-%d', '%m/%d/%y', '%m/%d/%Y', '%d.%m.%Y', '%Y%m%d', '%Y/%m/%d']),
                                    try_strptime(left(date_text, 10), ['%Y-%m-%d', '%m/%d/%Y', '%Y/%m/%d'])) AS DATE) END AS day
  FROM core.quarantined_claims
)
SELECT d.patient_id, CAST(date_trunc('month', d.day) AS DATE) AS service_month, d.claim_id, d.procedure_code,
       d.date_text, d.source_file AS quarantine_file, d.line_number AS quarantine_line, d.reason AS quarantine_reason,
       d.status AS quarantine_status, d.load_id AS quarantine_load_id
FROM dated d
JOIN marts.billing_patients p USING (patient_id)
WHERE NOT EXISTS (SELECT 1 FROM staging.claims s
                  WHERE s.patient_id = d.patient_id AND s.claim_id = d.claim_id AND s.line_number = d.claim_line
                    AND s._load_id > d.load_id)
