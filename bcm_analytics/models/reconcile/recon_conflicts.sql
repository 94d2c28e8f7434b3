-- Codes billed together that must not be (billing_rules.md section 4), per patient-month. The
-- participants are the billed codes to void: those the minutes do not support (for an APCM add-on
-- with its mirror code, the one of the pair that is neither expected nor, for the add-on,
-- supported on its own). Participants get no other per-code finding.
-- kind: table
-- per_patient: true
WITH active AS (SELECT c.*, m.fallback_code, m.program_family FROM marts.recon_codes c
                JOIN marts.recon_months m USING (patient_id, service_month) WHERE c.active_lines > 0),
mirrored AS (  -- an APCM add-on and the CPT code it mirrors, in one month
  SELECT a.patient_id, a.service_month, [m.code, a.code] AS codes,
         CASE WHEN m.expected_units > 0 THEN [a.code]
              WHEN a.expected_units > 0 OR a.add_on_problem IS NULL THEN [m.code]
              ELSE [m.code, a.code] END AS participants
  FROM active a JOIN active m ON m.patient_id = a.patient_id AND m.service_month = a.service_month
                            AND m.code = a.add_on_mirror_code
  WHERE a.code_role = 'apcm_add_on'
),
kinds AS (
  SELECT patient_id, service_month, 'same_month_conflict' AS finding, 'cocm_with_bhi' AS kind,
         list(code ORDER BY code) AS codes,
         list(code ORDER BY code) FILTER (WHERE code_program <> program_family AND expected_units = 0) AS participants
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code_program = 'cocm') AND bool_or(code_program = 'general_bhi')
  UNION ALL
  SELECT patient_id, service_month, 'same_month_conflict', 'fallback_with_base',
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent') OR code = fallback_code
                                                OR (code_role = 'apcm_add_on' AND code_program = 'cocm')),
         list(code ORDER BY code) FILTER (WHERE (code_role IN ('initial', 'subsequent') OR code = fallback_code
                                                 OR (code_role = 'apcm_add_on' AND code_program = 'cocm')) AND expected_units = 0)
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code = fallback_code) AND bool_or(code_role IN ('initial', 'subsequent') OR (code_role = 'apcm_add_on' AND code_program = 'cocm'))
  UNION ALL
  SELECT * FROM (  -- not when a line of the month in the quarantine could be the base code the add-on
                   -- rides on (billing_rules.md section 6 item 13; the month reads claim_quarantined):
                   -- could_bear_add_on of recon_quarantined_months (its code does not read, or is the
                   -- month's initial or subsequent code; a set-aside G2214, 99484, APCM add-on, office
                   -- visit, APCM base code or 99494 leaves the add-on without a base);
                   -- a dated line in its month, whatever the minutes support; a line whose date does not
                   -- read, in a month it stands for. A base code on a denied line is billed (the month
                   -- reads denied_claim for it, or missed_billing when it is not the base the minutes support)
    SELECT patient_id, service_month, 'same_month_conflict', 'add_on_without_base',
           list(code ORDER BY code) FILTER (WHERE code_role = 'add_on' AND active_lines > 0) AS codes,
           list(code ORDER BY code) FILTER (WHERE code_role = 'add_on' AND active_lines > 0) AS participants
    FROM marts.recon_codes WHERE active_lines > 0 OR denied_lines > 0 GROUP BY patient_id, service_month
    HAVING bool_or(code_role = 'add_on' AND active_lines > 0) AND NOT bool_or(code_role IN ('initial', 'subsequent'))) a
  WHERE NOT EXISTS (SELECT 1 FROM marts.recon_quarantined_months q
                    WHERE q.patient_id = a.patient_id AND q.service_month = a.service_month AND q.could_bear_add_on)
  UNION ALL
  SELECT patient_id, service_month, 'wrong_code', 'initial_with_subsequent',
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent')),
         list(code ORDER BY code) FILTER (WHERE code_role IN ('initial', 'subsequent') AND expected_units = 0)
  FROM active GROUP BY patient_id, service_month
  HAVING bool_or(code_role = 'initial') AND bool_or(code_role = 'subsequent')
  UNION ALL
  SELECT patient_id, service_month, 'same_month_conflict', 'add_on_with_mirror', codes, participants FROM mirrored
)
SELECT k.*, (SELECT CASE WHEN count(*) = count(c.billed_amount) THEN coalesce(sum(c.billed_amount), 0) END  -- unknown when a line is not priced
              FROM marts.recon_codes c
              WHERE c.patient_id = k.patient_id AND c.service_month = k.service_month AND list_contains(k.participants, c.code))
              AS amount_at_stake
FROM kinds k
