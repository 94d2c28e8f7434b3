-- The fee in force for a code billed in a service month: the fee schedule row of the payer class
-- and billing setting in force on the month's last day (amount per unit, whether someone verified
-- it, its source). A row naming a billing setting holds for that setting only (FQHC/RHC national
-- rates differ from a practice's, billing_rules.md section 5); a row without one for every setting
-- (the fee loader refuses both kinds for one code and day).
-- kind: macro
CREATE OR REPLACE MACRO marts.fee_in_force(payer_class_, billing_setting_, code_, month_) AS (
  SELECT {'amount': f.amount, 'verified': f.verified, 'source': f.source} FROM config.fee_schedule f
  WHERE f.payer_class = payer_class_ AND f.code = code_ AND coalesce(f.billing_setting, billing_setting_) = billing_setting_
    AND last_day(month_) >= f.valid_from AND last_day(month_) < f.valid_to
)
