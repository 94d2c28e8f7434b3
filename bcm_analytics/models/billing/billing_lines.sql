-- Billing lines: one per code a patient-month supports (base or fallback, and the add-on), with
-- the expected amount at the fee in force (marts.fee_in_force) for the month's payer class (the
-- payer columns come from marts.episodes: the month's payer, marts.month_terms).
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH lines AS (
  SELECT *, billed_base_code AS code, 1 AS units FROM marts.billing_month_codes WHERE billed_base_code IS NOT NULL
  UNION ALL
  SELECT *, add_on_code AS code, add_on_units AS units FROM marts.billing_month_codes WHERE add_on_units > 0
),
priced AS (
  SELECT *, marts.fee_in_force(payer_class, billing_setting, code, service_month) AS fee FROM lines
)
SELECT l.patient_id || '|' || strftime(l.service_month, '%Y-%m') || '|' || l.code AS line_id,
       l.patient_id, l.service_month, l.episode_id, l.month_type, l.code, CAST(l.units AS BIGINT) AS units,
       l.countable_minutes, l.payer, l.payer_class, l.treating_provider_npi AS billing_provider_npi,
       round(l.fee.amount * l.units, 2) AS expected_amount, l.fee.verified AS fee_verified,
       rs.ruleset, l.code_set, l.billing_setting, l.program, l.clinic_id, l.care_manager_id
FROM priced l CROSS JOIN config.ruleset rs
