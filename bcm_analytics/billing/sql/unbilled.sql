-- Patient-months with countable minutes that bill no code, and how far they are from the first.
SELECT patient_id, strftime(service_month, '%Y-%m') AS service_month, episode_id, month_type,
       countable_minutes, next_code AS first_code, next_from - countable_minutes AS minutes_short,
       payer, payer_class, treating_provider_npi AS billing_provider_npi, getvariable('bcm_ruleset') AS ruleset,
       code_set, billing_setting, program, clinic_id, care_manager_id
FROM billing_month_codes
WHERE billed_base_code IS NULL AND service_month BETWEEN $start AND $end
ORDER BY patient_id, service_month;
