-- A claim line billed under the wrong NPI (billing_rules.md section 6 item 7): neither the treating
-- practitioner's nor, at an FQHC/RHC, the clinic's organization NPI (marts.billing_patients holds
-- it for those settings only), and not rendered by the treating practitioner either: a group
-- practice bills under its group NPI with the practitioner as rendering provider (CMS-1500 box
-- 24J), which is the practitioner's claim (`rendering_npi`, the claims export's optional
-- rendering_provider_npi). Under the organization NPI, a rendering NPI given must be the treating
-- practitioner's (billing_rules.md section 4: "with the treating practitioner as rendering
-- provider"): the care manager as rendering provider is the claim of section 6 item 7, which read
-- matched. A denied or voided line bills nothing, and a patient with no treating
-- NPI on file cannot be judged. recon_codes counts such lines per code; audit_claims marks each line.
-- kind: macro
CREATE OR REPLACE MACRO marts.wrong_billing_npi(bills, billing_npi, rendering_npi, treating_npi, organization_npi) AS
  bills AND treating_npi IS NOT NULL AND rendering_npi IS DISTINCT FROM treating_npi
  AND CASE WHEN billing_npi = organization_npi THEN rendering_npi IS NOT NULL AND rendering_npi <> organization_npi
           ELSE billing_npi IS DISTINCT FROM treating_npi END
