-- The fewest minutes that bill a month's `units`-th add-on unit (99494) past the base code `b`
-- (marts.month_base): the base time plus from_extra (16) for the first unit, plus a step (30) for
-- each unit after it. The next threshold up (marts.codes_past_base) and the last one a billed
-- month reached (marts.billed_month_minutes) both read it.
-- kind: macro
CREATE OR REPLACE MACRO marts.add_on_from(r, b, units) AS
  b.base_minutes + r.add_on_from_extra + (units - 1) * r.add_on_step
