-- Per service month of start_..end_ (first days of months): expected dollars (billing lines), and
-- how many lines have no fee on file for their code and month, so are not in them; billed
-- (charges of claim lines not denied or voided; such lines without a charge amount, which a claims
-- export may leave out, are counted apart: billed dollars leave them out) and paid (of lines not
-- voided); the money findings put at stake; how many
-- patient-months reconcile (only `matched`) out of those with anything expected or billed, and how
-- many carry a revenue or a compliance finding; and how many of those findings' dollars are not
-- priced (recon_findings.not_priced: no fee on file and no charge amount; the sums leave them out,
-- and would otherwise look complete). Each such finding counts, as in the finance workbook's
-- summary, also when another finding on the same claim line holds its dollars in the sums
-- (counted_at_stake 0). clinic_ and payer_ (a payer name or class) narrow it; NULL means all.
-- Claims for unknown patients have no clinic.
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_monthly_totals(start_, end_, clinic_, payer_) AS TABLE
WITH months AS (
  SELECT CAST(range AS DATE) AS service_month FROM range(CAST(start_ AS DATE), CAST(end_ AS DATE) + INTERVAL 1 MONTH, INTERVAL 1 MONTH)
),
patients AS (SELECT * FROM marts.recon_patients(clinic_, payer_)),
expected AS (  -- lines whose code has no fee on file for the month are not in the sum: counted
  SELECT l.service_month, sum(l.expected_amount) AS expected_amount, count(*) FILTER (WHERE l.expected_amount IS NULL) AS lines_not_priced
  FROM marts.billing_lines l
  JOIN patients k ON k.patient_id = l.patient_id AND l.service_month BETWEEN k.from_month AND k.until_month
  GROUP BY l.service_month
),
billed AS (
  SELECT service_month, sum(charge_amount) FILTER (WHERE bills) AS billed_amount,
         sum(paid_amount) FILTER (WHERE NOT voided) AS paid_amount,
         count(*) FILTER (WHERE bills AND charge_amount IS NULL) AS billed_lines_without_charge
  FROM marts.recon_claim_lines_for(clinic_, payer_)
  WHERE time_based
  GROUP BY service_month
),
per_month AS (
  SELECT patient_id, service_month, bool_and(finding = 'matched') AS reconciled,
         bool_or(severity <> 'info' OR finding = 'matched') AS has_lines,
         sum(counted_at_stake) FILTER (WHERE severity = 'revenue') AS revenue,
         sum(counted_at_stake) FILTER (WHERE severity = 'compliance') AS compliance,
         bool_or(severity = 'revenue') AS revenue_finding, bool_or(severity = 'compliance') AS compliance_finding,
         count(*) FILTER (WHERE not_priced) AS not_priced
  FROM marts.recon_findings f
  WHERE EXISTS (SELECT 1 FROM patients k WHERE k.patient_id = f.patient_id AND f.service_month BETWEEN k.from_month AND k.until_month)
     OR (f.clinic_id IS NULL AND clinic_ IS NULL AND payer_ IS NULL)
  GROUP BY patient_id, service_month
),
outcome AS (
  SELECT service_month, count(*) FILTER (WHERE has_lines) AS patient_months,
         count(*) FILTER (WHERE has_lines AND reconciled) AS reconciled_months,
         count(*) FILTER (WHERE revenue_finding) AS months_with_revenue_finding,
         count(*) FILTER (WHERE compliance_finding) AS months_with_compliance_finding,
         coalesce(sum(revenue), 0) AS missed_revenue, coalesce(sum(compliance), 0) AS compliance_exposure,
         CAST(sum(not_priced) AS BIGINT) AS findings_not_priced
  FROM per_month GROUP BY service_month
)
SELECT m.service_month, coalesce(e.expected_amount, 0) AS expected_amount, coalesce(b.billed_amount, 0) AS billed_amount,
       coalesce(b.paid_amount, 0) AS paid_amount, coalesce(o.missed_revenue, 0) AS missed_revenue,
       coalesce(o.compliance_exposure, 0) AS compliance_exposure, coalesce(o.patient_months, 0) AS patient_months,
       coalesce(o.reconciled_months, 0) AS reconciled_months,
       coalesce(o.months_with_revenue_finding, 0) AS months_with_revenue_finding,
       coalesce(o.months_with_compliance_finding, 0) AS months_with_compliance_finding,
       coalesce(o.findings_not_priced, 0) AS findings_not_priced, coalesce(e.lines_not_priced, 0) AS lines_not_priced,
       coalesce(b.billed_lines_without_charge, 0) AS billed_lines_without_charge
FROM months m
LEFT JOIN expected e USING (service_month)
LEFT JOIN billed b USING (service_month)
LEFT JOIN outcome o USING (service_month)
ORDER BY m.service_month
