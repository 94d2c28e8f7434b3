-- The first billed month of each episode (a CoCM, general BHI or APCM add-on claim line not
-- denied or voided) and whether the claims loaded hold an initiating visit for it: an E/M, AWV, IPPE or TCM
-- claim (claim_codes.initiating_visit) by the billing practitioner in the `initiating_visit_months`
-- (12) months before that month, or in the month itself (billing_rules.md section 4). The billing
-- practitioner is the patient's treating practitioner (billing the visit, or rendering it under a
-- group's NPI), the clinic's organization NPI (FQHC/RHC), or an NPI on the month's own claim lines (billing_npi, a list: only recon_findings joins it, for a
-- reader). Claims exports are often partial: no visit found means none in the claims loaded, which
-- is why the finding asks for a review.
-- kind: table
-- per_patient: true
WITH first_billed AS (
  SELECT patient_id, m.episode_id, min(service_month) AS service_month
  FROM marts.recon_codes c JOIN marts.recon_months m USING (patient_id, service_month)
  WHERE c.active_lines > 0 AND m.episode_id IS NOT NULL
  GROUP BY patient_id, m.episode_id
),
windowed AS (
  SELECT f.*, CAST(f.service_month - to_months(m.initiating_visit_months) AS DATE) AS lookback_from,
         m.treating_provider_npi, m.organization_npi,
         (SELECT list(DISTINCT l.billing_provider_npi ORDER BY l.billing_provider_npi) FILTER (WHERE l.billing_provider_npi IS NOT NULL)
            FROM marts.recon_claim_lines l
           WHERE l.patient_id = f.patient_id AND l.service_month = f.service_month AND l.bills
             AND l.time_based) AS billing_npi
  FROM first_billed f JOIN marts.recon_months m USING (patient_id, service_month)
)
SELECT w.*, EXISTS (
    SELECT 1 FROM marts.recon_claim_lines v
    WHERE v.patient_id = w.patient_id AND v.family = 'initiating_visit' AND v.bills
      AND v.service_month BETWEEN w.lookback_from AND w.service_month
      AND (v.billing_provider_npi = w.treating_provider_npi OR v.billing_provider_npi = w.organization_npi
           OR v.rendering_provider_npi = w.treating_provider_npi
           OR list_contains(w.billing_npi, v.billing_provider_npi))) AS visit_found
FROM windowed w
