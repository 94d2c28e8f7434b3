-- The base code of a month under a rule: the initial tier in an episode's initial month, the
-- subsequent tier otherwise (a monthly code set has the same code in both), with the minutes
-- that bill it (`from_minutes`, the CPT midpoint) and its base time (`base_minutes`, where
-- add-on time starts).
-- kind: macro
CREATE OR REPLACE MACRO marts.month_base(r, month_type) AS
  CASE month_type WHEN 'initial'
       THEN {'code': r.initial_code, 'from_minutes': r.initial_from, 'base_minutes': r.initial_base}
       ELSE {'code': r.subsequent_code, 'from_minutes': r.subsequent_from, 'base_minutes': r.subsequent_base} END
