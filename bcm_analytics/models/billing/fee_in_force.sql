-- The fee in force for a code billed in a service month: the fee schedule row of the payer class
-- in force on the month's last day (amount per unit, whether someone verified it, its source).
-- kind: macro
CREATE OR REPLACE MACRO marts.fee_in_force(payer_class_, code_, month_) AS (
  SELECT {'amount': f.amount, 'verified': f.verified, 'source': f.source} FROM config.fee_schedule f
  WHERE f.payer_class = payer_class_ AND f.code = code_
    AND last_day(month_) >= f.valid_from AND last_day(month_) < f.valid_to
)
