-- Each claim line in the quarantine (marts.recon_quarantined_claims) and the months it stands for:
-- a month where it may be the claim, so reconciliation says the claim is in the quarantine there
-- (claim_quarantined) and does not advise billing the month again (billing_rules.md section 6 item
-- 13). The findings, the same-month conflicts and the walk from expected to billed (its
-- `quarantined` line) all read the months from here, so they agree on them.
--
-- A dated line stands for its own month (a month of marts.recon_months), whatever was billed there.
-- A line whose date does not read (`undated`) stands for a month of its patient only where it could
-- be the claim line that month lacks: a code the minutes support has no claim line that bills or
-- denies it, and the line could be that code's. It could be when its code is that code, or does not
-- read as a claim code (config.claim_codes), or, for a base code (not the add-on) in a month where
-- no code but the add-on is billed, when it is any other code than the month's add-on (a base billed
-- under another code is still the month's claim). A 99493 line cannot be the 99494 missing beside a
-- billed 99493, and a 99494 line cannot be a missing 99493; a fully billed month has no code without
-- a line. One line may stand for several months: until it is fixed and reloaded nobody can tell
-- which is its own, and billing any of them again might bill it twice. A line that stands for no
-- month (its patient's months are all billed) is in no finding, and does not vanish: `bcm load`
-- counts it and points to `bcm quarantine`, which lists it (file, line, reason, record), and the
-- data-quality page counts it among the rows to act on, until a later load settles it.
-- kind: table
-- per_patient: true
WITH unbilled AS (  -- supported codes no claim line bills or denies, and whether a code other than the add-on is billed
  SELECT c.patient_id, c.service_month, c.code, c.code_role, m.add_on_code,
         EXISTS (SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month
                   AND o.active_lines > 0 AND o.code_role <> 'add_on') AS base_billed
  FROM marts.recon_codes c
  JOIN marts.recon_months m USING (patient_id, service_month)
  WHERE c.expected_units > 0 AND c.active_lines = 0 AND c.denied_lines = 0
)
SELECT m.patient_id, m.service_month, false AS undated, q.claim_id, q.procedure_code, q.quarantine_file, q.quarantine_line,
       q.quarantine_reason
FROM marts.recon_months m
JOIN marts.recon_quarantined_claims q ON q.patient_id = m.patient_id AND q.service_month = m.service_month
UNION ALL
SELECT DISTINCT u.patient_id, u.service_month, true, q.claim_id, q.procedure_code, q.quarantine_file, q.quarantine_line,
       q.quarantine_reason
FROM marts.recon_quarantined_claims q
JOIN unbilled u ON u.patient_id = q.patient_id
WHERE q.service_month IS NULL
  AND (q.procedure_code = u.code
       OR NOT EXISTS (SELECT 1 FROM config.claim_codes k WHERE k.code = q.procedure_code)
       OR (u.code_role <> 'add_on' AND NOT u.base_billed AND q.procedure_code IS DISTINCT FROM u.add_on_code))
