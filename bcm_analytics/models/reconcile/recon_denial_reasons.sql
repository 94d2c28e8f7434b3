-- Why the payer denied: the claim lines it denied in the service months start_..end_ (first days of
-- months), per the reason it gave (recon_claim_lines.denial_reason as the export wrote it; NULL
-- where it gave none), with how many lines and claims. The lines reconciliation reads (time_based),
-- narrowed by clinic_ and payer_ as recon_monthly_totals narrows billed lines (recon_claim_lines_for).
-- Every denied line counts, also one whose month was billed again afterwards (no denied_claim finding).
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_denial_reasons(start_, end_, clinic_, payer_) AS TABLE
SELECT denial_reason, count(*) AS denied_lines, count(DISTINCT claim_id) AS denied_claims
FROM marts.recon_claim_lines_for(clinic_, payer_)
WHERE denied AND time_based AND service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
GROUP BY denial_reason
