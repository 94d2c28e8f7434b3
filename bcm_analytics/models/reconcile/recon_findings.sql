-- Reconciliation findings (billing_rules.md section 6): one row per finding, with severity, the
-- money at stake and a sentence a biller can act on. A patient-month can carry several findings;
-- one that reconciles carries `matched`. A finding is about one code unless it is about a
-- combination (same_month_conflict, wrong_code for 99492 with 99493).
-- kind: table
-- per_patient: true
WITH c AS (
  SELECT r.*, coalesce(list_contains(x.participants, r.code), false) AS in_conflict,
         strftime(r.service_month, '%Y-%m') AS month_text,
         format('{:g}', CAST(r.countable_minutes AS DOUBLE)) AS minutes_text,
         (SELECT count(*) FROM marts.recon_codes o WHERE o.patient_id = r.patient_id AND o.service_month = r.service_month
             AND o.active_lines > 0 AND o.code_role <> 'add_on' AND o.code <> r.code) AS other_bases_billed
  FROM marts.recon_codes r
  LEFT JOIN (SELECT patient_id, service_month, flatten(list(coalesce(participants, []::VARCHAR[]))) AS participants
             FROM marts.recon_conflicts GROUP BY patient_id, service_month) x USING (patient_id, service_month)
),
per_code AS (
  -- expected, not billed, not denied, and no other base code billed in its place
  SELECT c.*, 'missed_billing' AS finding, 'revenue' AS severity, code AS expected_code, expected_units,
         NULL AS billed_code, NULL AS billed_units, expected_amount AS amount_at_stake,
         format('{} countable minutes in {} support {}{} but no claim line bills it; bill it.',
                minutes_text, month_text, code, CASE WHEN expected_units > 1 THEN ' x' || expected_units ELSE '' END) AS explanation
  FROM c WHERE expected_units > 0 AND active_lines = 0 AND denied_lines = 0
    AND (code_role = 'add_on' OR other_bases_billed = 0)
  UNION ALL
  SELECT c.*, 'denied_claim', 'revenue', code, expected_units, code, NULL, expected_amount - coalesce(paid_amount, 0),
         format('{} on claim {} was denied although {} countable minutes support it; correct and resubmit or appeal.',
                code, claim_ids, minutes_text)
  FROM c WHERE expected_units > 0 AND active_lines = 0 AND denied_lines > 0
  UNION ALL
  SELECT c.*, 'units_mismatch', CASE WHEN billed_units > expected_units THEN 'compliance' ELSE 'revenue' END,
         code, expected_units, code, billed_units,
         abs(billed_units - expected_units) * coalesce(unit_fee, charge_amount / billed_units),
         format('{} billed x{} but the {} countable minutes support x{}{}; correct the units.', code, billed_units,
                minutes_text, expected_units,
                CASE WHEN code_role = 'add_on' AND max_99494_units IS NOT NULL AND billed_units > max_99494_units
                     THEN format(' (the payer allows at most {} a month)', max_99494_units) ELSE '' END)
  FROM c WHERE active_lines > 0 AND billed_units <> expected_units AND NOT in_conflict
    AND (expected_units > 0 OR code_role = 'add_on')
  UNION ALL
  -- billed base codes the minutes do not support as billed
  SELECT c.*, CASE WHEN expected_base_code IS NULL THEN 'unsupported_claim'
                   WHEN code_role IN ('outside_code_set', 'fallback') THEN 'wrong_code'
                   WHEN code_role = 'initial' AND month_type = 'subsequent' THEN 'wrong_code'
                   WHEN code_role = 'subsequent' AND month_type = 'initial' THEN 'wrong_code'
                   ELSE 'unsupported_claim' END AS finding,
         CASE WHEN expected_base_code IS NOT NULL AND code_role = 'fallback' THEN 'revenue' ELSE 'compliance' END,
         expected_base_code, CASE WHEN expected_base_code IS NOT NULL THEN 1 END, code, billed_units,
         CASE WHEN expected_base_code IS NOT NULL AND code_role = 'fallback' THEN expected_base_amount - billed_amount
              ELSE billed_amount END,
         CASE WHEN expected_base_code IS NULL AND countable_minutes = 0 THEN
                format('Claim {} bills {} for {} but no countable minutes are logged that month; void the line or document the time.',
                       claim_ids, code, month_text)
              WHEN expected_base_code IS NULL THEN
                format('Claim {} bills {} but the {} countable minutes in {} support no code{}; void the line or document the time.',
                       claim_ids, code, minutes_text, month_text,
                       CASE WHEN code_from_minutes IS NOT NULL THEN format(' ({} needs {:g})', code, code_from_minutes) ELSE '' END)
              WHEN code_role = 'outside_code_set' THEN
                format('{} is not billable for this {} patient ({}, {}) in {}; the code in force is {}.',
                       code, payer_class, billing_setting, program, month_text, expected_base_code)
              WHEN code_role = 'fallback' THEN
                format('{} billed although the {} countable minutes reach {}; bill {} instead.',
                       code, minutes_text, expected_base_code, expected_base_code)
              WHEN code_role = 'initial' AND month_type = 'subsequent' THEN
                format('{} billed in a subsequent month of episode {} (it is billed once, in the initial month); bill {}.',
                       code, episode_id, expected_base_code)
              WHEN code_role = 'subsequent' AND month_type = 'initial' THEN
                format('{} billed in the initial month of episode {}; the initial month bills {}.',
                       code, episode_id, expected_base_code)
              ELSE format('Claim {} bills {} but the {} countable minutes in {} reach only {}{}; bill {}.',
                          claim_ids, code, minutes_text, month_text, expected_base_code,
                          CASE WHEN code_from_minutes IS NOT NULL THEN format(' ({} needs {:g})', code, code_from_minutes) ELSE '' END,
                          expected_base_code) END
  FROM c WHERE active_lines > 0 AND expected_units = 0 AND code_role <> 'add_on' AND NOT in_conflict
  UNION ALL
  SELECT c.*, 'duplicate_claim', 'compliance', CASE WHEN expected_units > 0 THEN code END, nullif(expected_units, 0), code, billed_units,
         (active_lines - 1) * coalesce(charge_amount / active_lines, unit_fee * billed_units),
         format('{} is billed {} times for {} (claims {}); void the duplicate line(s).', code, active_lines, month_text, claim_ids)
  FROM c WHERE active_lines > 1
  UNION ALL
  SELECT c.*, 'wrong_billing_npi', 'compliance', CASE WHEN expected_units > 0 THEN code END, nullif(expected_units, 0), code, billed_units,
         coalesce(wrong_npi_charge, unit_fee * billed_units),
         format('Claim {} bills {} under NPI {}, not the treating practitioner''s NPI {}; rebill under the treating practitioner.',
                claim_ids, code, wrong_npis, treating_provider_npi)
  FROM c WHERE wrong_npi_lines > 0
  UNION ALL
  SELECT c.*, 'missing_consent', 'compliance', CASE WHEN expected_units > 0 THEN code END, nullif(expected_units, 0), code, billed_units, billed_amount,
         CASE WHEN consent_date IS NULL
              THEN format('{} is billed for {} but the patient has no consent on file; record the consent or void the line.', code, month_text)
              ELSE format('{} is billed for {} but consent is dated {}, after that month; bill only months from consent on.',
                          code, month_text, strftime(consent_date, '%Y-%m-%d')) END
  FROM c WHERE active_lines > 0 AND (consent_date IS NULL OR consent_date > last_day(service_month))
),
month_rows AS (
  SELECT m.*, x.finding, 'compliance' AS severity,
         (SELECT string_agg(code || CASE WHEN expected_units > 1 THEN ' x' || expected_units ELSE '' END, ' + ' ORDER BY code_role <> 'add_on' DESC, code)
            FROM marts.recon_codes o WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND o.expected_units > 0) AS expected_code,
         NULL::BIGINT AS expected_units, array_to_string(x.codes, ' + ') AS billed_code, NULL::BIGINT AS billed_units,
         coalesce(x.apcm_claim_ids, (SELECT string_agg(DISTINCT o.claim_ids, ', ') FROM marts.recon_codes o
            WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND list_contains(x.codes, o.code))) AS claim_ids,
         coalesce(x.amount_at_stake, 0) AS amount_at_stake,
         CASE x.kind
           WHEN 'cocm_with_bhi' THEN format('{} billed in one month: CoCM and general BHI are never billed together for a patient; void the {} line(s).',
                                            array_to_string(x.codes, ' and '), coalesce(nullif(array_to_string(x.participants, ' and '), ''), 'unsupported'))
           WHEN 'fallback_with_base' THEN format('{} billed in one month: G2214 applies only when 99492/99493 is not reached; void the {} line.',
                                                 array_to_string(x.codes, ' and '), coalesce(nullif(array_to_string(x.participants, ' and '), ''), 'unsupported'))
           WHEN 'add_on_without_base' THEN format('{} billed without 99492 or 99493 in the month; an add-on needs its base code on the claim.',
                                                  array_to_string(x.codes, ' and '))
           WHEN 'initial_with_subsequent' THEN format('{} billed in one month; only {} is supported.',
                                                      array_to_string(x.codes, ' and '), coalesce(m.expected_base_code, 'neither'))
           ELSE format('{} billed without an APCM base code (G0556-G0558) by the same practitioner in the month.',
                       array_to_string(x.codes, ' and '))
         END AS explanation
  FROM marts.recon_conflicts x JOIN marts.recon_months m USING (patient_id, service_month)
  UNION ALL
  SELECT m.*, 'missing_consent', 'info', NULL, NULL, NULL, NULL, NULL, 0,
         format('{:g} minutes of care-management time logged in {} but the patient has no consent on file; they count only once consent is recorded.',
                CAST(m.unconsented_minutes AS DOUBLE), strftime(m.service_month, '%Y-%m'))
  FROM marts.recon_months m
  WHERE m.consent_date IS NULL AND m.unconsented_minutes > 0
    AND NOT EXISTS (SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND o.active_lines > 0)
),
problems AS (
  SELECT patient_id, service_month, finding, severity, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, explanation
  FROM per_code
  UNION ALL
  SELECT patient_id, service_month, finding, severity, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, explanation
  FROM month_rows
),
matched AS (
  SELECT patient_id, service_month, 'matched' AS finding, 'info' AS severity, code AS expected_code, expected_units,
         code AS billed_code, billed_units, claim_ids, 0 AS amount_at_stake,
         format('{}{} billed as the {} countable minutes support.', code,
                CASE WHEN billed_units > 1 THEN ' x' || billed_units ELSE '' END,
                format('{:g}', CAST(countable_minutes AS DOUBLE))) AS explanation
  FROM marts.recon_codes r
  WHERE expected_units > 0
    AND NOT EXISTS (SELECT 1 FROM problems p WHERE p.patient_id = r.patient_id AND p.service_month = r.service_month)
),
unknown AS (
  SELECT patient_id, service_month, 'unknown_patient' AS finding, 'compliance' AS severity, NULL AS expected_code,
         NULL::BIGINT AS expected_units, code AS billed_code, max(units) AS billed_units,
         string_agg(DISTINCT claim_id, ', ' ORDER BY claim_id) AS claim_ids, coalesce(sum(charge_amount), 0) AS amount_at_stake,
         format('Claim {} bills {} for patient id {}, who is not in the registry; correct the patient id or enrol the patient.',
                string_agg(DISTINCT claim_id, ', ' ORDER BY claim_id), code, patient_id) AS explanation
  FROM marts.recon_claim_lines WHERE NOT known_patient AND family IN ('cocm', 'general_bhi')
  GROUP BY patient_id, service_month, code
)
SELECT f.patient_id, f.service_month, f.finding, f.severity, f.expected_code, f.expected_units, f.billed_code,
       f.billed_units, f.claim_ids, round(coalesce(f.amount_at_stake, 0), 2) AS amount_at_stake, f.explanation,
       m.clinic_id, m.care_manager_id, m.payer, m.payer_class, m.billing_setting, m.program, m.month_type,
       m.episode_id, m.countable_minutes,
       (SELECT sum(expected_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_expected_amount,
       (SELECT sum(billed_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_billed_amount,
       (SELECT sum(paid_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_paid_amount
FROM (SELECT * FROM problems UNION ALL SELECT * FROM matched UNION ALL SELECT * FROM unknown) f
LEFT JOIN marts.recon_months m USING (patient_id, service_month)
