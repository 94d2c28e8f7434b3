-- Patient-months with countable minutes that bill no code, and how far they are from the first.
-- kind: view
SELECT m.patient_id, m.service_month, m.episode_id, m.month_type,
       m.countable_minutes, m.next_code AS first_code, round(m.next_from - m.countable_minutes, 4) AS minutes_short,
       m.payer, m.payer_class, m.treating_provider_npi AS billing_provider_npi, rs.ruleset,
       m.code_set, m.billing_setting, m.program, m.clinic_id, m.care_manager_id
FROM marts.billing_month_codes m CROSS JOIN config.ruleset rs
WHERE m.billed_base_code IS NULL
