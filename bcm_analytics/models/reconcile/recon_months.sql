-- Every registry patient-month with an expected line, a claim line, or minutes logged without
-- consent: the patient, the rule in force, and what the minutes support.
-- kind: table
-- per_patient: true
WITH keys AS (
  SELECT patient_id, service_month FROM marts.billing_lines
  UNION
  SELECT patient_id, service_month FROM marts.recon_claim_lines WHERE known_patient
  UNION
  SELECT m.patient_id, m.service_month FROM marts.countable_minutes m JOIN marts.billing_patients p USING (patient_id)
  WHERE p.consent_date IS NULL AND m.unconsented_minutes > 0
),
ruled AS (
  SELECT k.patient_id, k.service_month, p.* EXCLUDE (patient_id),
         marts.rule_in_force(p.payer_class, p.billing_setting, p.program, k.service_month) AS r
  FROM keys k JOIN marts.billing_patients p USING (patient_id)
)
SELECT k.* EXCLUDE (r),
       k.r.code_set, k.r.initial_code, k.r.subsequent_code, k.r.add_on_code, k.r.fallback_code, k.r.bills_g2214,
       k.r.max_99494_units, k.r.initial_from, k.r.subsequent_from, k.r.fallback_from,
       mc.month_type, mc.episode_id, coalesce(m.countable_minutes, 0) AS countable_minutes,
       coalesce(m.unconsented_minutes, 0) AS unconsented_minutes, mc.billed_base_code AS expected_base_code,
       (SELECT sum(expected_amount) FROM marts.billing_lines l WHERE l.patient_id = k.patient_id AND l.service_month = k.service_month
           AND l.code = mc.billed_base_code) AS expected_base_amount,
       CASE WHEN k.program = 'general_bhi' THEN 'general_bhi' ELSE 'cocm' END AS program_family
FROM ruled k
LEFT JOIN marts.countable_minutes m ON m.patient_id = k.patient_id AND m.service_month = k.service_month
LEFT JOIN marts.billing_month_codes mc ON mc.patient_id = k.patient_id AND mc.service_month = k.service_month
