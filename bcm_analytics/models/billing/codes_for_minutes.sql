-- What a month's countable minutes bill under a rule (billing_rules.md section 1): the base code of
-- the month type once its threshold is reached, otherwise the fallback (G2214) when the payer bills
-- it and the minutes are in its range (31-35 initial-month minutes by the g2214_initial_31_35
-- setting); add-on units past the base time; and the next threshold up, for the near-threshold
-- worklist. `r` is a rule (marts.rule_in_force), `month_type` initial or subsequent.
-- kind: macro
CREATE OR REPLACE MACRO marts.codes_for_minutes(r, month_type, minutes) AS
  marts.codes_past_base(r, month_type, minutes, marts.month_base(r, month_type),
                        r.bills_g2214 AND r.fallback_code IS NOT NULL)
