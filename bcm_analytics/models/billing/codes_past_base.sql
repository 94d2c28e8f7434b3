-- marts.codes_for_minutes with the month's base code `b` and whether the fallback can bill (`fb`)
-- worked out: the codes a month bills and the next threshold up. A code with no time threshold (an
-- APCM add-on, from_minutes 0) bills on any countable minutes, never on none. The fallback's range
-- is in whole minutes (G2214 "16-30"): its last minute runs to the second before the next one, so a
-- subsequent month of 30:59 bills G2214 (99493 starts at 31:00; billing_rules.md section 1).
-- kind: macro
CREATE OR REPLACE MACRO marts.codes_past_base(r, month_type, minutes, b, fb) AS {
  'billed_base_code': CASE WHEN minutes >= b.from_minutes AND minutes > 0 THEN b.code
                           WHEN fb AND minutes >= r.fallback_from
                                AND (floor(minutes) <= r.fallback_to OR (month_type = 'initial' AND r.g2214_initial_31_35))
                           THEN r.fallback_code END,
  'add_on_code': r.add_on_code,
  'add_on_units': marts.add_on_units(r, b, minutes),
  'next_code': CASE WHEN fb AND minutes < r.fallback_from THEN r.fallback_code
                    WHEN minutes < b.from_minutes THEN b.code
                    WHEN r.add_on_code IS NOT NULL
                         AND (r.max_99494_units IS NULL OR marts.add_on_units(r, b, minutes) < r.max_99494_units)
                    THEN r.add_on_code END,
  'next_units': CASE WHEN fb AND minutes < r.fallback_from THEN 1
                     WHEN minutes < b.from_minutes THEN 1
                     ELSE marts.add_on_units(r, b, minutes) + 1 END,
  'next_from': CASE WHEN fb AND minutes < r.fallback_from THEN r.fallback_from
                    WHEN minutes < b.from_minutes THEN b.from_minutes
                    ELSE marts.add_on_from(r, b, marts.add_on_units(r, b, minutes) + 1) END
}
