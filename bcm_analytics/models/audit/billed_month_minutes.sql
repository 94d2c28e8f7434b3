-- Minutes per billed patient-month against the thresholds of the rule in force: the base (or
-- fallback) code the month bills, the fewest minutes that bill it, how far the month's countable
-- minutes are past it, and the next code up with the minutes it would need. Shows whether care
-- managers log just past a threshold, or far past it with no further code to gain.
-- kind: view
SELECT m.patient_id, m.service_month, m.care_manager_id, m.clinic_id, m.payer_class, m.billing_setting, m.program,
       m.code_set, m.month_type, m.countable_minutes, m.billed_base_code, m.add_on_code, m.add_on_units,
       CASE WHEN m.billed_base_code = b.code THEN b.from_minutes ELSE m.r.fallback_from END AS code_from_minutes,
       m.countable_minutes - CASE WHEN m.billed_base_code = b.code THEN b.from_minutes ELSE m.r.fallback_from END AS minutes_past_threshold,
       m.next_code, m.next_from, m.next_from - m.countable_minutes AS minutes_to_next
FROM (SELECT c.*, marts.month_base(c.r, c.month_type) AS b
      FROM (SELECT *, marts.rule_in_force(payer, payer_class, billing_setting, program, service_month) AS r
            FROM marts.billing_month_codes WHERE billed_base_code IS NOT NULL) c) m
