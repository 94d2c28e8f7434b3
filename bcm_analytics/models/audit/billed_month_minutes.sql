-- Minutes per billed patient-month against the thresholds of the rule in force: the base (or
-- fallback) code the month bills and the fewest minutes that bill it, the last threshold the
-- month reached (the base code's, or its last add-on unit's: 99492 with one 99494 reached 86
-- minutes), how far the month's countable minutes are past that last threshold, and the next code
-- up with the minutes it would need. Shows whether care managers log just past a threshold, or far
-- past it with no further code to gain (minutes past the base code alone read an 89-minute month
-- billing 99492 and 99494 as 53 minutes unpaid, where it is 3 past the add-on it bills).
-- kind: view
SELECT patient_id, service_month, care_manager_id, clinic_id, payer_class, billing_setting, program, code_set, month_type,
       countable_minutes, billed_base_code, add_on_code, add_on_units, code_from_minutes, last_threshold_from,
       countable_minutes - last_threshold_from AS minutes_past_threshold, next_code, next_from, minutes_to_next
FROM (SELECT m.*,
             CASE WHEN m.billed_base_code = m.b.code THEN m.b.from_minutes ELSE m.r.fallback_from END AS code_from_minutes,
             CASE WHEN m.billed_base_code = m.b.code AND m.add_on_units > 0 THEN marts.add_on_from(m.r, m.b, m.add_on_units)
                  WHEN m.billed_base_code = m.b.code THEN m.b.from_minutes ELSE m.r.fallback_from END AS last_threshold_from,
             m.next_from - m.countable_minutes AS minutes_to_next
      FROM (SELECT c.*, marts.month_base(c.r, c.month_type) AS b
            FROM (SELECT *, marts.rule_in_force(payer, payer_class, billing_setting, program, service_month) AS r
                  FROM marts.billing_month_codes WHERE billed_base_code IS NOT NULL) c) m)
