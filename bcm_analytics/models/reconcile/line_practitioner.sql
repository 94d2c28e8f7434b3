-- The practitioner a claim line names, at an FQHC/RHC (organization_npi set): its rendering NPI
-- where the claim has one, else its billing NPI unless that is the organisation's; NULL when the
-- line names no practitioner (billed under the organisation's NPI with no rendering NPI).
-- marts.same_practitioner compares two lines by it.
-- kind: macro
CREATE OR REPLACE MACRO marts.line_practitioner(billing_npi, rendering_npi, organization_npi) AS
  coalesce(nullif(rendering_npi, organization_npi), nullif(billing_npi, organization_npi))
