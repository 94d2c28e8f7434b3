-- Billing lines: one per code a patient-month supports (base or fallback, and the add-on), with
-- the expected amount from the fee schedule in force on the month's last day.
CREATE OR REPLACE TEMP TABLE billing_month_codes AS
{month_codes};

CREATE OR REPLACE TEMP TABLE billing_lines AS
WITH lines AS (
  SELECT *, billed_base_code AS code, 1 AS units FROM billing_month_codes WHERE billed_base_code IS NOT NULL
  UNION ALL
  SELECT *, add_on_code AS code, add_on_units AS units FROM billing_month_codes WHERE add_on_units > 0
)
SELECT l.patient_id || '|' || strftime(l.service_month, '%Y-%m') || '|' || l.code AS line_id,
       l.patient_id, l.service_month, l.episode_id, l.month_type, l.code, CAST(l.units AS BIGINT) AS units,
       l.countable_minutes, l.payer, l.payer_class, l.treating_provider_npi AS billing_provider_npi,
       round(f.amount * l.units, 2) AS expected_amount, f.verified AS fee_verified,
       getvariable('bcm_ruleset') AS ruleset, l.code_set, l.billing_setting, l.program, l.clinic_id,
       l.care_manager_id
FROM lines l
LEFT JOIN billing_fee_schedule f
  ON f.payer_class = l.payer_class AND f.code = l.code
 AND last_day(l.service_month) >= f.valid_from AND last_day(l.service_month) < f.valid_to;

CREATE OR REPLACE TEMP VIEW billing_evidence AS
SELECT l.line_id, e.entry_id, e.counted_minutes AS minutes_counted, e.minutes AS minutes_logged,
       e.patient_id, e.service_month, l.code, e.service_at, e.staff_id, e.staff_role, e.activity_type, e.status
FROM billing_lines l
JOIN billing_entries e ON e.patient_id = l.patient_id AND e.service_month = l.service_month
WHERE e.counted_minutes > 0;
