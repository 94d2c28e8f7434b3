-- Expected and billed, code by code (CoCM, general BHI and APCM behavioral-health add-on codes),
-- per patient-month, with each code's role under the rule in force: initial, subsequent,
-- monthly, add_on (99494), fallback (G2214, when the payer bills it), also_accepted (a code
-- accepted beside the code set in force, such as 99484 beside G0511 at an FQHC in 2025),
-- apcm_add_on (G0568-G0570, read whether or not the program bills APCM) or outside_code_set.
-- Billed units are one line's (a second line is a duplicate, reported apart). A claim line under
-- neither the treating practitioner's NPI nor (FQHC/RHC) the clinic's organization NPI is a wrong
-- NPI. Grain: one row per patient, month and procedure code expected or billed.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH expected AS (
  SELECT patient_id, service_month, code, units AS expected_units, expected_amount
  FROM marts.billing_lines
),
lines AS (
  SELECT c.*, NOT c.denied AND p.treating_provider_npi IS NOT NULL
                AND c.billing_provider_npi IS DISTINCT FROM p.treating_provider_npi
                AND c.billing_provider_npi IS DISTINCT FROM p.organization_npi AS wrong_npi,
         c.family = 'apcm_behavioral_add_on' AND NOT EXISTS (
           SELECT 1 FROM marts.recon_claim_lines b
           WHERE b.patient_id = c.patient_id AND b.service_month = c.service_month AND b.family = 'apcm'
             AND NOT b.denied AND b.billing_provider_npi IS NOT DISTINCT FROM c.billing_provider_npi) AS without_apcm_base
  FROM marts.recon_claim_lines c JOIN marts.billing_patients p USING (patient_id)
  WHERE c.time_based
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
         string_agg(DISTINCT billing_provider_npi, ', ' ORDER BY billing_provider_npi) FILTER (WHERE NOT denied) AS billing_npi,
         count(*) FILTER (WHERE wrong_npi) AS wrong_npi_lines,
         coalesce(string_agg(DISTINCT billing_provider_npi, ', ' ORDER BY billing_provider_npi) FILTER (WHERE wrong_npi),
                  '(none)') AS wrong_npis,
         sum(charge_amount) FILTER (WHERE wrong_npi) AS wrong_npi_charge,
         count(*) FILTER (WHERE NOT denied AND without_apcm_base) = 0 AS with_apcm_base
  FROM lines
  GROUP BY patient_id, service_month, code
),
joined AS (
  SELECT patient_id, service_month, code, coalesce(e.expected_units, 0) AS expected_units, e.expected_amount,
         coalesce(b.active_lines, 0) AS active_lines, coalesce(b.denied_lines, 0) AS denied_lines,
         coalesce(b.billed_units, 0) AS billed_units, b.claim_ids, b.charge_amount, b.paid_amount, b.claim_status,
         b.billing_npi, coalesce(b.wrong_npi_lines, 0) AS wrong_npi_lines, b.wrong_npis, b.wrong_npi_charge,
         coalesce(b.with_apcm_base, false) AS with_apcm_base
  FROM expected e FULL JOIN billed b USING (patient_id, service_month, code)
),
roled AS (
  SELECT j.*, m.* EXCLUDE (patient_id, service_month), k.family,
         marts.fee_in_force(m.payer_class, m.billing_setting, j.code, j.service_month) AS fee,
         list_filter(m.also_accepted, lambda x: x.code = j.code AND x.accepted_from <= j.service_month)[1] AS accepted,
         a AS add_on,
         CASE WHEN k.family = 'apcm_behavioral_add_on' THEN 'apcm_add_on'
              WHEN j.code = m.add_on_code THEN 'add_on'
              WHEN j.code = m.initial_code AND m.initial_code = m.subsequent_code THEN 'monthly'
              WHEN j.code = m.initial_code THEN 'initial'
              WHEN j.code = m.subsequent_code THEN 'subsequent'
              WHEN j.code = m.fallback_code AND m.bills_g2214 THEN 'fallback'
              WHEN list_contains(list_transform(list_filter(m.also_accepted, lambda x: x.accepted_from <= j.service_month),
                                                lambda x: x.code), j.code) THEN 'also_accepted'
              ELSE 'outside_code_set' END AS code_role,
         CASE WHEN k.family = 'apcm_behavioral_add_on' THEN a.program ELSE k.family END AS code_program,
         marts.apcm_add_on_for(m.program, m.month_type, j.service_month) AS month_add_on
  FROM joined j
  JOIN marts.recon_months m USING (patient_id, service_month)
  JOIN config.claim_codes k ON k.code = j.code
  LEFT JOIN config.apcm_add_ons a ON a.code = j.code
)
SELECT * EXCLUDE (fee, accepted, add_on), fee.amount AS unit_fee, coalesce(charge_amount, fee.amount * billed_units) AS billed_amount,
       CASE code_role WHEN 'initial' THEN CASE WHEN month_type = 'initial' THEN initial_from END
                      WHEN 'subsequent' THEN subsequent_from
                      WHEN 'monthly' THEN initial_from
                      WHEN 'fallback' THEN fallback_from
                      WHEN 'also_accepted' THEN accepted.from_minutes END AS code_from_minutes,
       accepted.accepted_from,
       add_on.mirror_code AS add_on_mirror_code, add_on.program AS add_on_program, add_on.month_type AS add_on_month_type,
       add_on.billable_from AS add_on_billable_from,
       CASE WHEN code_role = 'apcm_add_on' AND active_lines > 0
            THEN marts.apcm_add_on_problem(add_on, with_apcm_base, countable_minutes, service_month, program, month_type) END
         AS add_on_problem
FROM roled
