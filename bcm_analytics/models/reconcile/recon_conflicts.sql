-- Codes billed together that must not be (billing_rules.md section 4), per patient-month. The
-- participants are the billed codes the minutes do not support; they get no other per-code finding.
-- kind: table
-- per_patient: true
WITH active AS (SELECT * FROM marts.recon_codes WHERE active_lines > 0),
apcm AS (  -- APCM behavioral add-ons need an APCM base code from the same practitioner
  SELECT a.patient_id, a.service_month, a.code, a.claim_id, a.charge_amount
  FROM marts.recon_claim_lines a
  WHERE a.known_patient AND a.family = 'apcm_behavioral_add_on' AND NOT a.denied
    AND NOT EXISTS (SELECT 1 FROM marts.recon_claim_lines b
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
SELECT k.*, coalesce((SELECT sum(c.billed_amount) FROM marts.recon_codes c
             WHERE c.patient_id = k.patient_id AND c.service_month = k.service_month AND list_contains(k.participants, c.code)), 0)
              + coalesce((SELECT sum(a.charge_amount) FROM apcm a
                          WHERE k.kind = 'apcm_add_on_without_base' AND a.patient_id = k.patient_id
                            AND a.service_month = k.service_month), 0) AS amount_at_stake,
       (SELECT string_agg(DISTINCT a.claim_id, ', ') FROM apcm a
         WHERE k.kind = 'apcm_add_on_without_base' AND a.patient_id = k.patient_id AND a.service_month = k.service_month) AS apcm_claim_ids
FROM kinds k
