-- Each billing line with the fee behind its expected amount: the amount per unit in force for the
-- line's payer class and month (marts.fee_in_force), whether finance verified it, and its source,
-- so an audit packet can say where every dollar figure comes from.
-- kind: view
SELECT l.line_id, l.patient_id, l.service_month, l.code, l.units, l.countable_minutes, l.expected_amount,
       l.fee.amount AS unit_fee, l.fee.verified AS fee_verified, l.fee.source AS fee_source,
       l.billing_provider_npi, l.payer_class, l.ruleset, l.code_set
FROM (SELECT *, marts.fee_in_force(payer_class, billing_setting, code, service_month) AS fee FROM marts.billing_lines) l
