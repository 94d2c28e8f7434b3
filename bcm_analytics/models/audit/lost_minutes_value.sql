-- What minutes that are countable in principle, but were not counted, would have been worth: time
-- lost to a consent not on file (no_consent), logged before the consent date (before_consent), or
-- under an activity name outside the vocabulary (activity_unknown). For each reason alone, and for
-- the three together ('all'), every affected patient-month is billed again with those minutes
-- counted: the codes marts.codes_for_minutes gives under the rule in force, priced with
-- marts.fee_in_force, less what the month bills now (marts.billing_lines). Months keep their month
-- type unless the added months change where an episode starts (marts.starts_episode): minutes
-- added in the month before an initial month make that month subsequent, so `value` can be
-- negative for it. Grain: patient, month, reason; rows where nothing changes are left out.
-- kind: view
WITH lost AS (
  SELECT patient_id, service_month, status AS reason, sum(minutes) AS minutes_lost
  FROM marts.billing_entries
  WHERE status IN ('no_consent', 'before_consent', 'activity_unknown')
  GROUP BY ALL
),
scenarios AS (
  SELECT * FROM lost
  UNION ALL
  SELECT patient_id, service_month, 'all', sum(minutes_lost) FROM lost GROUP BY ALL
),
served AS (  -- months of service now, with the previous one
  SELECT patient_id, service_month, month_type,
         lag(service_month) OVER (PARTITION BY patient_id ORDER BY service_month) AS previous_now
  FROM marts.episodes
),
months AS (  -- per scenario: its patients' months of service now, and the months it adds minutes to
  SELECT patient_id, reason, service_month, sum(minutes_lost) AS minutes_lost
  FROM (SELECT patient_id, service_month, reason, minutes_lost FROM scenarios
        UNION ALL
        SELECT s.patient_id, s.service_month, r.reason, 0
        FROM served s JOIN (SELECT DISTINCT patient_id, reason FROM scenarios) r USING (patient_id))
  GROUP BY ALL
),
placed AS (
  SELECT m.*, v.month_type AS month_type_now, v.previous_now, coalesce(c.countable_minutes, 0) AS countable_minutes,
         lag(m.service_month) OVER (PARTITION BY m.patient_id, m.reason ORDER BY m.service_month) AS previous_with,
         y.clinic_id, y.care_manager_id, y.payer, y.payer_class, y.billing_setting, y.program,
         marts.rule_in_force(y.payer, y.payer_class, y.billing_setting, y.program, m.service_month) AS r
  FROM months m
  JOIN marts.month_terms y ON y.patient_id = m.patient_id AND m.service_month BETWEEN y.from_month AND y.until_month
  LEFT JOIN served v ON v.patient_id = m.patient_id AND v.service_month = m.service_month
  LEFT JOIN marts.countable_minutes c ON c.patient_id = m.patient_id AND c.service_month = m.service_month
),
coded AS (
  SELECT *, marts.codes_for_minutes(r, month_type_with, countable_minutes + minutes_lost) AS k
  FROM (SELECT *, CASE WHEN month_type_now IS NOT NULL AND previous_with IS NOT DISTINCT FROM previous_now THEN month_type_now
                       WHEN marts.starts_episode(previous_with, service_month, r.episode_gap_months) THEN 'initial'
                       ELSE 'subsequent' END AS month_type_with
        FROM placed WHERE r IS NOT NULL)
),
now AS (
  SELECT l.patient_id, l.service_month, sum(l.expected_amount) AS amount_now,
         any_value(concat_ws(' + ', c.billed_base_code, CASE WHEN c.add_on_units > 0 THEN c.add_on_code || ' x' || c.add_on_units END)) AS codes_now
  FROM marts.billing_lines l JOIN marts.billing_month_codes c USING (patient_id, service_month)
  GROUP BY ALL
),
priced AS (
  SELECT c.*, nullif(concat_ws(' + ', k.billed_base_code, CASE WHEN k.add_on_units > 0 THEN k.add_on_code || ' x' || k.add_on_units END), '') AS codes_with,
         CASE WHEN k.billed_base_code IS NULL THEN 0
              ELSE round(marts.fee_in_force(payer_class, billing_setting, k.billed_base_code, service_month).amount, 2) END
         + CASE WHEN k.add_on_units > 0
                THEN round(marts.fee_in_force(payer_class, billing_setting, k.add_on_code, service_month).amount * k.add_on_units, 2)
                ELSE 0 END AS amount_with
  FROM coded c
)
SELECT p.patient_id, p.service_month, p.reason, p.minutes_lost, p.countable_minutes,
       p.countable_minutes + p.minutes_lost AS minutes_with, p.month_type_now, p.month_type_with,
       n.codes_now, coalesce(n.amount_now, 0) AS amount_now, p.codes_with, p.amount_with,
       p.amount_with - coalesce(n.amount_now, 0) AS value,
       p.clinic_id, p.care_manager_id, p.payer, p.payer_class, p.billing_setting, p.program
FROM priced p
LEFT JOIN now n USING (patient_id, service_month)
WHERE p.minutes_lost > 0 OR p.amount_with IS DISTINCT FROM coalesce(n.amount_now, 0)
