-- Expected and billed, code by code (CoCM and general BHI codes), per patient-month, with each
-- code's role in the code set in force: initial, subsequent, monthly, add_on, fallback (when the
-- payer bills it) or outside_code_set. Billed units are one line's (a second line is a duplicate,
-- reported apart). Grain: one row per patient, month and procedure code expected or billed.
-- kind: table
-- per_patient: true
WITH expected AS (
  SELECT patient_id, service_month, code, units AS expected_units, expected_amount
  FROM marts.billing_lines
),
billed AS (
  SELECT patient_id, service_month, code,
         count(*) FILTER (WHERE NOT denied) AS active_lines,
         count(*) FILTER (WHERE denied) AS denied_lines,
         max(units) FILTER (WHERE NOT denied) AS billed_units,
         string_agg(DISTINCT claim_id, ', ' ORDER BY claim_id) AS claim_ids,
         sum(charge_amount) FILTER (WHERE NOT denied) AS charge_amount,
         sum(paid_amount) AS paid_amount,
         string_agg(DISTINCT claim_status, ', ' ORDER BY claim_status) AS claim_status,
         count(*) FILTER (WHERE wrong_npi) AS wrong_npi_lines,
         coalesce(string_agg(DISTINCT billing_provider_npi, ', ' ORDER BY billing_provider_npi) FILTER (WHERE wrong_npi),
                  '(none)') AS wrong_npis,
         sum(charge_amount) FILTER (WHERE wrong_npi) AS wrong_npi_charge
  FROM (SELECT c.*, NOT c.denied AND p.treating_provider_npi IS NOT NULL
                    AND c.billing_provider_npi IS DISTINCT FROM p.treating_provider_npi AS wrong_npi
        FROM marts.recon_claim_lines c JOIN marts.billing_patients p USING (patient_id)
        WHERE c.family IN ('cocm', 'general_bhi'))
  GROUP BY patient_id, service_month, code
),
joined AS (
  SELECT patient_id, service_month, code, coalesce(e.expected_units, 0) AS expected_units, e.expected_amount,
         coalesce(b.active_lines, 0) AS active_lines, coalesce(b.denied_lines, 0) AS denied_lines,
         coalesce(b.billed_units, 0) AS billed_units, b.claim_ids, b.charge_amount, b.paid_amount, b.claim_status,
         coalesce(b.wrong_npi_lines, 0) AS wrong_npi_lines, b.wrong_npis, b.wrong_npi_charge
  FROM expected e FULL JOIN billed b USING (patient_id, service_month, code)
)
SELECT * EXCLUDE (fee), fee.amount AS unit_fee, coalesce(charge_amount, fee.amount * billed_units) AS billed_amount
FROM (
SELECT j.*, m.* EXCLUDE (patient_id, service_month), k.family,
       marts.fee_in_force(m.payer_class, j.code, j.service_month) AS fee,
       CASE WHEN j.code = m.add_on_code THEN 'add_on'
            WHEN j.code = m.initial_code AND m.initial_code = m.subsequent_code THEN 'monthly'
            WHEN j.code = m.initial_code THEN 'initial'
            WHEN j.code = m.subsequent_code THEN 'subsequent'
            WHEN j.code = m.fallback_code AND m.bills_g2214 THEN 'fallback'
            ELSE 'outside_code_set' END AS code_role,
       CASE WHEN j.code = m.initial_code AND m.month_type = 'initial' THEN m.initial_from
            WHEN j.code = m.subsequent_code THEN m.subsequent_from
            WHEN j.code = m.fallback_code THEN m.fallback_from END AS code_from_minutes
FROM joined j
JOIN marts.recon_months m USING (patient_id, service_month)
JOIN config.claim_codes k ON k.code = j.code
)
