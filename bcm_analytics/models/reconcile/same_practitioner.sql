-- Whether two claim lines are by the same practitioner (billing_rules.md s4: an APCM add-on is
-- billed only with an APCM base code by the same practitioner in the month). Outside an FQHC/RHC
-- a claim is professional and its billing NPI is the practitioner's: the two billing NPIs are
-- compared. FQHC/RHC claims are institutional: billed under the organisation's (type 2) NPI with
-- the treating practitioner as rendering provider, or under the practitioner's own NPI. There a
-- line's practitioner is marts.line_practitioner (its rendering NPI, else its billing NPI unless that
-- is the organisation's); a line under the organisation's NPI with no rendering NPI names no
-- practitioner, and the organisation is the same billing entity as its practitioners, so it is
-- taken as the same (claims exports often leave the rendering provider out: the honest reading of
-- such a line is "the health centre's", not "someone else's"). Two lines that name two
-- practitioners are not the same. `organization_npi` is the patient's clinic's
-- (marts.billing_patients: set at an FQHC/RHC only).
-- kind: macro
CREATE OR REPLACE MACRO marts.same_practitioner(billing_a, rendering_a, billing_b, rendering_b, organization_npi) AS
  CASE WHEN organization_npi IS NULL THEN billing_a IS NOT DISTINCT FROM billing_b
       ELSE coalesce(marts.line_practitioner(billing_a, rendering_a, organization_npi)
                     = marts.line_practitioner(billing_b, rendering_b, organization_npi), true) END
