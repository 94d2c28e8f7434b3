-- The billing rule in force for a patient-month: the row of config.rule_periods (code set, thresholds
-- and every setting) for the patient's payer class, billing setting and program whose dates cover
-- the month, as a struct; NULL when no rule covers it (the month bills nothing and `bcm billing`
-- says so). Entries, episodes, the near-threshold worklist and reconciliation all ask here.
-- kind: macro
CREATE OR REPLACE MACRO marts.rule_in_force(payer_class_, billing_setting_, program_, month_) AS (
  SELECT r FROM config.rule_periods r
  WHERE r.payer_class = payer_class_ AND r.billing_setting = billing_setting_ AND r.program = program_
    AND month_ >= r.valid_from AND (r.valid_to IS NULL OR month_ < r.valid_to)
)
