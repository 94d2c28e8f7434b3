-- Whether a claim code's family (config.claim_codes) is billed for logged minutes: CoCM, general
-- BHI and their APCM add-ons, the codes reconciled against the minutes and counted as billed; the
-- other families (APCM base codes, initiating visits, CCM, digital mental health) are context.
-- A loaded claim line's `time_based` (marts.recon_claim_lines) and which month's codes a line in the
-- quarantine could be the claim of (marts.recon_quarantined_months) both read it.
-- kind: macro
CREATE OR REPLACE MACRO marts.time_based_family(family) AS
  family IN ('cocm', 'general_bhi', 'apcm_behavioral_add_on')
