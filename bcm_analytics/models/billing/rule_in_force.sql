-- The billing rule in force for a patient-month: the row of config.rule_periods (code set, thresholds
-- and every setting) for the patient's payer class, billing setting and program whose dates cover
-- the month, as a struct; NULL when no rule covers it (the month bills nothing and `bcm billing`
-- says so). A payer name with a profile of its own (payer_names: {payer_class, settings}) has rows
-- of its own (`payer_profile` = the lower-cased name) covering the same dates as its class's:
-- they win, so G2214 and the 99494 cap are decided per payer, defaulting by class
-- (billing_rules.md section 4). Entries, episodes, the near-threshold worklist and reconciliation
-- all ask here.
-- kind: macro
CREATE OR REPLACE MACRO marts.rule_in_force(payer_, payer_class_, billing_setting_, program_, month_) AS (
  SELECT arg_min(r, r.payer_profile IS NULL) FROM config.rule_periods r
  WHERE r.payer_class = payer_class_ AND r.billing_setting = billing_setting_ AND r.program = program_
    AND (r.payer_profile IS NULL OR r.payer_profile = lower(trim(payer_)))
    AND month_ >= r.valid_from AND (r.valid_to IS NULL OR month_ < r.valid_to)
)
