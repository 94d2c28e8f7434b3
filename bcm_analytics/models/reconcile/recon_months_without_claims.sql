-- Service months of start_..end_ (first days of months) in which the minutes support billing lines
-- but the store holds no claim line at all: not one recognised code (recon_claim_lines, patients
-- known or not) and none set aside in the quarantine (a line whose date does not read is of no
-- month here: one such line says nothing of whether a month's claims were loaded, though the
-- findings read it as the claim of a month that lacks one, recon_quarantined_months).
-- Reconciliation reads every expected line of such a month as missed_billing, which is true only
-- if nobody billed it; far more often the claims export has not been loaded yet, or ends before
-- the period does (claims lag the minutes by weeks). Commands and the billing page say so beside
-- the findings (billing_rules.md section 6).
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_months_without_claims(start_, end_) AS TABLE
SELECT DISTINCT l.service_month
FROM marts.billing_lines l
WHERE l.service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  AND NOT EXISTS (SELECT 1 FROM marts.recon_claim_lines c WHERE c.service_month = l.service_month)
  AND NOT EXISTS (SELECT 1 FROM marts.recon_quarantined_claims q WHERE q.service_month = l.service_month)
ORDER BY l.service_month
