-- Every registry patient-month with an expected line, a claim line (also one in the quarantine),
-- or minutes logged without consent: the month's terms (marts.month_terms), the rule in force, and what the minutes
-- support (the base code, or when they support none, the first code up and its threshold).
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH keys AS (
  SELECT patient_id, service_month FROM marts.billing_lines
  UNION
  SELECT patient_id, service_month FROM marts.recon_claim_lines WHERE known_patient
  UNION
  SELECT patient_id, service_month FROM marts.recon_quarantined_claims WHERE service_month IS NOT NULL
  UNION
  SELECT m.patient_id, m.service_month FROM marts.countable_minutes m
  JOIN marts.month_terms y ON y.patient_id = m.patient_id AND m.service_month BETWEEN y.from_month AND y.until_month
  WHERE y.consent_date IS NULL AND m.unconsented_minutes > 0
),
ruled AS (
  SELECT k.patient_id, k.service_month, y.* EXCLUDE (patient_id, from_month, until_month, payer_source),
         marts.rule_in_force(y.payer, y.payer_class, y.billing_setting, y.program, k.service_month) AS r
  FROM keys k
  JOIN marts.month_terms y ON y.patient_id = k.patient_id AND k.service_month BETWEEN y.from_month AND y.until_month
)
SELECT k.* EXCLUDE (r),
       k.r.code_set, k.r.payer_profile, k.r.initial_code, k.r.subsequent_code, k.r.add_on_code, k.r.fallback_code,
       k.r.bills_g2214, k.r.max_99494_units, k.r.initial_from, k.r.subsequent_from, k.r.fallback_from,
       k.r.bills_apcm, k.r.also_accepted, k.r.initiating_visit_months, k.r.claim_date_rule,
       mc.month_type, mc.episode_id, mc.initial_code_reached_in, coalesce(m.countable_minutes, 0) AS countable_minutes,
       coalesce(m.unconsented_minutes, 0) AS unconsented_minutes, mc.billed_base_code AS expected_base_code,
       CASE WHEN mc.billed_base_code IS NULL THEN mc.next_code END AS first_code,
       CASE WHEN mc.billed_base_code IS NULL THEN mc.next_from END AS first_from,
       (SELECT sum(expected_amount) FROM marts.billing_lines l WHERE l.patient_id = k.patient_id AND l.service_month = k.service_month
           AND l.code = mc.billed_base_code) AS expected_base_amount,
       CASE WHEN k.program = 'general_bhi' THEN 'general_bhi' ELSE 'cocm' END AS program_family
FROM ruled k
LEFT JOIN marts.countable_minutes m ON m.patient_id = k.patient_id AND m.service_month = k.service_month
LEFT JOIN marts.billing_month_codes mc ON mc.patient_id = k.patient_id AND mc.service_month = k.service_month
