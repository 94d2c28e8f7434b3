-- Each billing claim line of a month whose rule says claim_date_rule: on_or_after_threshold, with
-- the day the month's countable minutes first reached its code's threshold (`threshold_met_on`;
-- NULL: never that month). The minutes so far on a day are the month's countable minutes of the
-- entries up to and including that day (marts.billing_entries.service_date, the local day, which a
-- claim's date of service is compared with), counted as a month's are (marts.month_minutes, to the
-- whole second): the running sum per patient-month in the order the entries were logged, read at
-- the end of each day, since a date of service is a day. A code's threshold is the one that bills
-- it in the month (recon_codes.code_from_minutes: the base, monthly, fallback or accepted code's);
-- the add-on's (99494) is the minutes that bill the units the month bills, or of those the
-- minutes support when it bills more (units_mismatch says the rest: marts.add_on_from past the
-- month's base, marts.month_base); an APCM add-on has none (`threshold_minutes` 0), so it is
-- the first countable minute's day. A code with no threshold of its own in the month (a code outside
-- the code set, 99492 in a subsequent month) is left out: its wrong_code finding says so. With
-- the default any_day_in_month no line is here, and nothing is computed.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH months AS (
  SELECT patient_id, service_month, month_type,
         marts.rule_in_force(payer, payer_class, billing_setting, program, service_month) AS r
  FROM marts.recon_months WHERE claim_date_rule = 'on_or_after_threshold'
),
counted AS (
  SELECT e.patient_id, e.service_month, e.service_date, e.counted_minutes
  FROM marts.billing_entries e JOIN months m USING (patient_id, service_month)
  WHERE e.counted_minutes > 0
),
so_far AS (  -- the month's countable minutes at the end of each day minutes were counted: a running
  -- sum ordered by day, whose frame (RANGE, the default) takes in the day's other entries too
  SELECT DISTINCT patient_id, service_month, service_date AS day,
         marts.month_minutes(counted_minutes) OVER (PARTITION BY patient_id, service_month ORDER BY service_date) AS minutes_so_far
  FROM counted
),
thresholds AS (
  SELECT c.patient_id, c.service_month, c.code, CASE c.code_role
           WHEN 'add_on' THEN marts.add_on_from(m.r, marts.month_base(m.r, m.month_type), greatest(CASE WHEN c.expected_units > 0 THEN least(c.billed_units, c.expected_units)
                                                                                    ELSE c.billed_units END, 1))
           WHEN 'apcm_add_on' THEN 0
           ELSE c.code_from_minutes END AS threshold_minutes
  FROM marts.recon_codes c JOIN months m USING (patient_id, service_month)
  WHERE c.active_lines > 0
)
SELECT l.patient_id, l.service_month, l.claim_id, l.line_number, l.code, l.units, l.date_of_service, l.charge_amount,
       t.threshold_minutes,
       (SELECT min(s.day) FROM so_far s
        WHERE s.patient_id = l.patient_id AND s.service_month = l.service_month
          AND CASE WHEN t.threshold_minutes = 0 THEN s.minutes_so_far > 0
                   ELSE s.minutes_so_far >= t.threshold_minutes END) AS threshold_met_on
FROM marts.recon_claim_lines l
JOIN thresholds t USING (patient_id, service_month, code)
WHERE l.time_based AND l.bills AND l.known_patient AND t.threshold_minutes IS NOT NULL
