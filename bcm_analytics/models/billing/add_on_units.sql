-- Add-on units (99494) a month's minutes bill past the base code `b` (marts.month_base):
-- floor((extra - from_extra) / step) + 1 once extra = minutes - base time reaches `from_extra`
-- (16 of each 30), capped by the payer's max_99494_units; none when the base code is not reached.
-- kind: macro
CREATE OR REPLACE MACRO marts.add_on_units(r, b, minutes) AS
  CASE WHEN minutes >= b.from_minutes AND r.add_on_code IS NOT NULL AND minutes - b.base_minutes >= r.add_on_from_extra
       THEN CAST(least(floor((minutes - b.base_minutes - r.add_on_from_extra) / r.add_on_step) + 1,
                       coalesce(r.max_99494_units, 1000000)) AS BIGINT)
       ELSE 0 END
