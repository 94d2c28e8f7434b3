-- What each month of service bills (marts.codes_for_minutes under the rule in force): the base or
-- fallback code, add-on units, and how far the minutes are from the next code.
-- kind: table
-- per_patient: true
-- by_month: service_month
SELECT * EXCLUDE (r, c), c.billed_base_code, c.add_on_code, c.add_on_units, c.next_code, c.next_units, c.next_from,
       r.code_set, r.max_99494_units
FROM (SELECT *, marts.codes_for_minutes(r, month_type, countable_minutes) AS c
      FROM (SELECT *, marts.rule_in_force(payer, payer_class, billing_setting, program, service_month) AS r FROM marts.episodes))
