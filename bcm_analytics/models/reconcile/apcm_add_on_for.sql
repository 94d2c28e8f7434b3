-- The APCM behavioral-health add-on a month bills in place of its CPT code (billing_rules.md
-- section 4, APCM): G0568 for an initial CoCM month, G0569 for a subsequent one, G0570 for general
-- BHI in any month, from the add-ons' first billable day (config.apcm_add_ons, from the code sets'
-- apcm blocks); NULL when the program has none that month. Reconciliation names it as the code to
-- bill when an add-on of the other month type or program was billed.
-- kind: macro
CREATE OR REPLACE MACRO marts.apcm_add_on_for(program_, month_type_, month_) AS (
  SELECT min(o.code) FROM config.apcm_add_ons o
  WHERE o.program = program_ AND (o.month_type = 'any' OR o.month_type = month_type_) AND month_ >= o.billable_from
)
