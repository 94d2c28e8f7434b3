-- Each claim line in the quarantine (marts.recon_quarantined_claims) and the months it stands for:
-- a month where it may be the claim, so reconciliation says the claim is in the quarantine there
-- (claim_quarantined) and does not advise billing the month again (billing_rules.md section 6 item
-- 13). The findings, the same-month conflicts and the walk from expected to billed (its
-- `quarantined` line) all read the months from here, so they agree on them.
--
-- A dated line stands for its own month (a month of marts.recon_months), whatever was billed there.
-- A line whose date does not read (`undated`) stands for a month of its patient only where it could
-- be the claim line that month lacks. `stands_for`: the codes of the month whose claim it could be,
-- which it holds back from missed_billing (the findings and the walk's `quarantined` line read
-- it): codes the minutes support that no claim line bills or denies, and that the line could be.
-- It could be such a code when
--   - its code does not read as a claim code (config.claim_codes), or there is none: any of them;
--   - its code is that code (a 99494 line is the missing 99494, nothing else);
--   - it is a base code (not the add-on) of a month where no code but the add-on is billed, and the
--     line could be the month's base (`could_be_base`: its code does not read, or is a time-based code
--     (marts.time_based_family: CoCM, general BHI, an APCM add-on) other than the month's add-on):
--     99492, 99493 and G2214 are alternatives of one month's base, and a base billed under another
--     code is still the month's claim;
--   - it is the add-on (99494) and the line an APCM add-on: a month billed through an APCM add-on
--     bills no 99494 (recon_findings, apcm_add_on_billed).
-- So a quarantined 99493 holds back the month's base, not a 99494 no line bills (missed, as it
-- would be beside a billed 99493), and a 99494 line does not hold back a missing 99493; a claim
-- code that is not time-based (a visit, CCM, an APCM base code) could be none of them. A line whose
-- code does not read holds back the whole month. A fully billed month has no code without a line.
-- `could_bear_add_on`: the line could be the base code the month's add-on rides on, which is
-- narrower than could_be_base: its code does not read, or is the month's initial or subsequent code
-- (99494 is an add-on to 99492 or 99493 alone, billing_rules.md section 2). 99494 billed without
-- its base code (recon_conflicts, add_on_without_base) is no conflict in a month where a line it is
-- true of stands, whatever the minutes support (a base the minutes do not reach is in no
-- stands_for, but may still be the line the claim lacks); a set-aside G2214, 99484 or APCM add-on
-- may be the month's claim yet leaves 99494 without a base, and an office visit, APCM base code
-- or 99494 is no base at all: none of them hides the conflict.
-- One line may stand for several months: until it is fixed and reloaded nobody can tell
-- which is its own, and billing any of them again might bill it twice. A line that stands for no
-- month (its patient's months are all billed) is in no finding, and does not vanish: `bcm load`
-- counts it and points to `bcm quarantine`, which lists it (file, line, reason, record), and the
-- data-quality page counts it among the rows to act on, until a later load settles it.
-- kind: table
-- per_patient: true
WITH unbilled AS (  -- supported codes no claim line bills or denies, and whether a code other than the add-on is billed
  SELECT c.patient_id, c.service_month, c.code, c.code_role,
         EXISTS (SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month
                   AND o.active_lines > 0 AND o.code_role <> 'add_on') AS base_billed
  FROM marts.recon_codes c
  WHERE c.expected_units > 0 AND c.active_lines = 0 AND c.denied_lines = 0
),
lines AS (  -- each quarantined line with its code's family (none: the code does not read as a claim code)
  SELECT q.*, (SELECT min(k.family) FROM config.claim_codes k WHERE k.code = q.procedure_code) AS family
  FROM marts.recon_quarantined_claims q
),
line_months AS (  -- each line and the months of its patient it may be of (its own, when dated), and whether it could
                  -- be the month's base code: its code does not read, or is time-based and not the month's add-on
  SELECT q.*, m.service_month AS month,
         q.family IS NULL OR (marts.time_based_family(q.family) AND q.procedure_code IS DISTINCT FROM m.add_on_code) AS could_be_base,
         q.family IS NULL OR coalesce(q.procedure_code IN (m.initial_code, m.subsequent_code), false) AS could_bear_add_on
  FROM lines q
  JOIN marts.recon_months m ON m.patient_id = q.patient_id AND (q.service_month IS NULL OR m.service_month = q.service_month)
),
could_be AS (  -- each line and the unbilled codes of those months it could be the claim of
  SELECT q.patient_id, q.quarantine_load_id, q.quarantine_line, u.service_month, u.code
  FROM line_months q
  JOIN unbilled u ON u.patient_id = q.patient_id AND u.service_month = q.month
  WHERE q.family IS NULL
     OR q.procedure_code = u.code
     OR (q.could_be_base AND u.code_role <> 'add_on' AND NOT u.base_billed)
     OR (q.family = 'apcm_behavioral_add_on' AND u.code_role = 'add_on')
),
stands AS (
  SELECT patient_id, quarantine_load_id, quarantine_line, service_month, list(code ORDER BY code) AS stands_for
  FROM could_be GROUP BY ALL
)
SELECT q.patient_id, q.month AS service_month, false AS undated, q.claim_id, q.procedure_code, q.quarantine_file, q.quarantine_line,
       q.quarantine_reason, coalesce(s.stands_for, []::VARCHAR[]) AS stands_for, q.could_bear_add_on
FROM line_months q
LEFT JOIN stands s ON s.patient_id = q.patient_id AND s.quarantine_load_id = q.quarantine_load_id
 AND s.quarantine_line = q.quarantine_line AND s.service_month = q.month
WHERE q.service_month IS NOT NULL
UNION ALL
SELECT q.patient_id, q.month, true, q.claim_id, q.procedure_code, q.quarantine_file, q.quarantine_line,
       q.quarantine_reason, s.stands_for, q.could_bear_add_on
FROM line_months q
JOIN stands s ON s.patient_id = q.patient_id AND s.quarantine_load_id = q.quarantine_load_id AND s.quarantine_line = q.quarantine_line
 AND s.service_month = q.month
WHERE q.service_month IS NULL
