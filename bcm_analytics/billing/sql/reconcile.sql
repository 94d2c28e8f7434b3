-- Reconciliation of claims against the billing lines the logged minutes support
-- (billing_rules.md section 6), for the service months $start..$end. Needs the billing build
-- (billing_* tables) and billing_claim_codes (code -> family). Claim lines are staging.claims plus
-- staging.claims_unknown_patient (lines the loader keeps aside until their patient arrives).
--
-- Grain: recon_codes has one row per patient, month and procedure code that is expected or
-- billed; recon_findings one row per finding. A finding is about one code unless it is about a
-- combination (same_month_conflict, wrong_code for 99492 with 99493).

-- Claim lines of the period with a recognised code; the month is the date of service's month.
CREATE OR REPLACE TEMP TABLE recon_claim_lines AS
SELECT c.claim_id, c.line_number, c.patient_id, CAST(date_trunc('month', c.date_of_service) AS DATE) AS service_month,
       upper(trim(c.procedure_code)) AS code, coalesce(c.units, 1) AS units, c.billing_provider_npi,
       c.charge_amount, c.paid_amount, lower(trim(coalesce(c.claim_status, 'submitted'))) AS claim_status,
       lower(trim(coalesce(c.claim_status, ''))) = 'denied' AS denied, k.family,
       p.patient_id IS NOT NULL AS known_patient
FROM (
  SELECT claim_id, line_number, patient_id, date_of_service, procedure_code, units, billing_provider_npi,
         charge_amount, paid_amount, claim_status FROM staging.claims
  UNION ALL
  SELECT claim_id, line_number, patient_id, date_of_service, procedure_code, units, billing_provider_npi,
         charge_amount, paid_amount, claim_status FROM staging.claims_unknown_patient
) c
JOIN billing_claim_codes k ON k.code = upper(trim(c.procedure_code))
LEFT JOIN billing_patients p ON p.patient_id = c.patient_id
WHERE date_trunc('month', c.date_of_service) BETWEEN $start AND $end;

-- Every registry patient-month with an expected line, a claim line, or minutes logged without
-- consent: the patient, the rules in force, and what the minutes support.
CREATE OR REPLACE TEMP TABLE recon_months AS
WITH keys AS (
  SELECT patient_id, service_month FROM billing_lines WHERE service_month BETWEEN $start AND $end
  UNION
  SELECT patient_id, service_month FROM recon_claim_lines WHERE known_patient
  UNION
  SELECT m.patient_id, m.service_month FROM billing_months m JOIN billing_patients p USING (patient_id)
  WHERE p.consent_date IS NULL AND m.unconsented_minutes > 0 AND m.service_month BETWEEN $start AND $end
)
SELECT k.patient_id, k.service_month, p.* EXCLUDE (patient_id),
       r.code_set, r.initial_code, r.subsequent_code, r.add_on_code, r.fallback_code, r.bills_g2214, r.max_99494_units,
       r.initial_from, r.subsequent_from, r.fallback_from,
       mc.month_type, mc.episode_id, coalesce(m.countable_minutes, 0) AS countable_minutes,
       coalesce(m.unconsented_minutes, 0) AS unconsented_minutes, mc.billed_base_code AS expected_base_code,
       (SELECT sum(expected_amount) FROM billing_lines l WHERE l.patient_id = k.patient_id AND l.service_month = k.service_month
           AND l.code = mc.billed_base_code) AS expected_base_amount,
       CASE WHEN p.program = 'general_bhi' THEN 'general_bhi' ELSE 'cocm' END AS program_family
FROM keys k
JOIN billing_patients p USING (patient_id)
LEFT JOIN billing_rule_periods r
  ON r.payer_class = p.payer_class AND r.billing_setting = p.billing_setting AND r.program = p.program
 AND k.service_month >= r.valid_from AND (r.valid_to IS NULL OR k.service_month < r.valid_to)
LEFT JOIN billing_months m ON m.patient_id = k.patient_id AND m.service_month = k.service_month
LEFT JOIN billing_month_codes mc ON mc.patient_id = k.patient_id AND mc.service_month = k.service_month;

-- Expected and billed, code by code (CoCM and general BHI codes), with each code's role in the
-- code set in force: initial, subsequent, monthly, add_on, fallback (when the payer bills it) or
-- outside_code_set. Billed units are one line's (a second line is a duplicate, reported apart).
CREATE OR REPLACE TEMP TABLE recon_codes AS
WITH expected AS (
  SELECT patient_id, service_month, code, units AS expected_units, expected_amount
  FROM billing_lines WHERE service_month BETWEEN $start AND $end
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
        FROM recon_claim_lines c JOIN billing_patients p USING (patient_id)
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
SELECT j.*, m.* EXCLUDE (patient_id, service_month), k.family, f.amount AS unit_fee,
       coalesce(j.charge_amount, f.amount * j.billed_units) AS billed_amount,
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
JOIN recon_months m USING (patient_id, service_month)
JOIN billing_claim_codes k ON k.code = j.code
LEFT JOIN billing_fee_schedule f
  ON f.payer_class = m.payer_class AND f.code = j.code
 AND last_day(j.service_month) >= f.valid_from AND last_day(j.service_month) < f.valid_to;

-- Codes billed together that must not be (section 4), per patient-month. The participants are
-- the billed codes the minutes do not support; they get no other per-code finding.
CREATE OR REPLACE TEMP TABLE recon_conflicts AS
WITH active AS (SELECT * FROM recon_codes WHERE active_lines > 0),
apcm AS (  -- APCM behavioral add-ons need an APCM base code from the same practitioner
  SELECT a.patient_id, a.service_month, a.code, a.claim_id, a.charge_amount
  FROM recon_claim_lines a
  WHERE a.known_patient AND a.family = 'apcm_behavioral_add_on' AND NOT a.denied
    AND NOT EXISTS (SELECT 1 FROM recon_claim_lines b
                    WHERE b.patient_id = a.patient_id AND b.service_month = a.service_month AND b.family = 'apcm'
                      AND NOT b.denied AND b.billing_provider_npi IS NOT DISTINCT FROM a.billing_provider_npi)
),
kinds AS (
  SELECT patient_id, service_month, 'same_month_conflict' AS finding, 'cocm_with_bhi' AS kind,
         list(code ORDER BY code) AS codes,
         list(code ORDER BY code) FILTER (WHERE family <> program_family AND expected_units = 0) AS participants
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(family = 'cocm') AND bool_or(family = 'general_bhi')
  UNION ALL
  SELECT patient_id, service_month, 'same_month_conflict', 'fallback_with_base',
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent') OR code = fallback_code),
         list(code ORDER BY code) FILTER (WHERE (code_role IN ('initial', 'subsequent') OR code = fallback_code) AND expected_units = 0)
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code = fallback_code) AND bool_or(code_role IN ('initial', 'subsequent'))
  UNION ALL
  SELECT patient_id, service_month, 'same_month_conflict', 'add_on_without_base',
         list(code ORDER BY code) FILTER (WHERE code_role = 'add_on'), list(code ORDER BY code) FILTER (WHERE code_role = 'add_on')
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code_role = 'add_on') AND NOT bool_or(code_role IN ('initial', 'subsequent'))
  UNION ALL
  SELECT patient_id, service_month, 'wrong_code', 'initial_with_subsequent',
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent')),
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent') AND expected_units = 0)
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code_role = 'initial') AND bool_or(code_role = 'subsequent')
  UNION ALL
  SELECT patient_id, service_month, 'same_month_conflict', 'apcm_add_on_without_base', list(code ORDER BY code), []
  FROM apcm GROUP BY patient_id, service_month
)
SELECT k.*, coalesce((SELECT sum(c.billed_amount) FROM recon_codes c
             WHERE c.patient_id = k.patient_id AND c.service_month = k.service_month AND list_contains(k.participants, c.code)), 0)
              + coalesce((SELECT sum(a.charge_amount) FROM apcm a
                          WHERE k.kind = 'apcm_add_on_without_base' AND a.patient_id = k.patient_id
                            AND a.service_month = k.service_month), 0) AS amount_at_stake,
       (SELECT string_agg(DISTINCT a.claim_id, ', ') FROM apcm a
         WHERE k.kind = 'apcm_add_on_without_base' AND a.patient_id = k.patient_id AND a.service_month = k.service_month) AS apcm_claim_ids
FROM kinds k;

CREATE OR REPLACE TEMP TABLE recon_findings AS
WITH c AS (
  SELECT r.*, coalesce(list_contains(x.participants, r.code), false) AS in_conflict,
         strftime(r.service_month, '%Y-%m') AS month_text,
         format('{:g}', CAST(r.countable_minutes AS DOUBLE)) AS minutes_text,
         (SELECT count(*) FROM recon_codes o WHERE o.patient_id = r.patient_id AND o.service_month = r.service_month
             AND o.active_lines > 0 AND o.code_role <> 'add_on' AND o.code <> r.code) AS other_bases_billed
  FROM recon_codes r
  LEFT JOIN (SELECT patient_id, service_month, flatten(list(coalesce(participants, []::VARCHAR[]))) AS participants
             FROM recon_conflicts GROUP BY patient_id, service_month) x USING (patient_id, service_month)
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
            FROM recon_codes o WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND o.expected_units > 0) AS expected_code,
         NULL::BIGINT AS expected_units, array_to_string(x.codes, ' + ') AS billed_code, NULL::BIGINT AS billed_units,
         coalesce(x.apcm_claim_ids, (SELECT string_agg(DISTINCT o.claim_ids, ', ') FROM recon_codes o
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
  FROM recon_conflicts x JOIN recon_months m USING (patient_id, service_month)
  UNION ALL
  SELECT m.*, 'missing_consent', 'info', NULL, NULL, NULL, NULL, NULL, 0,
         format('{:g} minutes of care-management time logged in {} but the patient has no consent on file; they count only once consent is recorded.',
                CAST(m.unconsented_minutes AS DOUBLE), strftime(m.service_month, '%Y-%m'))
  FROM recon_months m
  WHERE m.consent_date IS NULL AND m.unconsented_minutes > 0
    AND NOT EXISTS (SELECT 1 FROM recon_codes o WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND o.active_lines > 0)
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
  FROM recon_codes r
  WHERE expected_units > 0
    AND NOT EXISTS (SELECT 1 FROM problems p WHERE p.patient_id = r.patient_id AND p.service_month = r.service_month)
),
unknown AS (
  SELECT patient_id, service_month, 'unknown_patient' AS finding, 'compliance' AS severity, NULL AS expected_code,
         NULL::BIGINT AS expected_units, code AS billed_code, max(units) AS billed_units,
         string_agg(DISTINCT claim_id, ', ' ORDER BY claim_id) AS claim_ids, coalesce(sum(charge_amount), 0) AS amount_at_stake,
         format('Claim {} bills {} for patient id {}, who is not in the registry; correct the patient id or enrol the patient.',
                string_agg(DISTINCT claim_id, ', ' ORDER BY claim_id), code, patient_id) AS explanation
  FROM recon_claim_lines WHERE NOT known_patient AND family IN ('cocm', 'general_bhi')
  GROUP BY patient_id, service_month, code
)
SELECT f.patient_id, f.service_month, f.finding, f.severity, f.expected_code, f.expected_units, f.billed_code,
       f.billed_units, f.claim_ids, round(coalesce(f.amount_at_stake, 0), 2) AS amount_at_stake, f.explanation,
       m.clinic_id, m.care_manager_id, m.payer, m.payer_class, m.billing_setting, m.program, m.month_type,
       m.episode_id, m.countable_minutes,
       (SELECT sum(expected_amount) FROM recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_expected_amount,
       (SELECT sum(billed_amount) FROM recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_billed_amount,
       (SELECT sum(paid_amount) FROM recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month) AS month_paid_amount
FROM (SELECT * FROM problems UNION ALL SELECT * FROM matched UNION ALL SELECT * FROM unknown) f
LEFT JOIN recon_months m USING (patient_id, service_month);
