-- Near-threshold worklist for the open month of $as_of: patients whose countable minutes so far
-- (entries up to and including $as_of) are within $margin minutes below the next code.
-- Candidates are patients with countable minutes this month, and consented, enrolled patients not
-- discharged by $as_of who have none yet. A month not yet in an episode is initial when no month
-- of service lies within the episode gap before it.
CREATE OR REPLACE TEMP TABLE billing_worklist_months AS
WITH so_far AS (
  SELECT patient_id, sum(counted_minutes) AS countable_minutes
  FROM billing_entries
  WHERE service_month = date_trunc('month', $as_of) AND service_date <= $as_of AND counted_minutes > 0
  GROUP BY patient_id
),
previous AS (
  SELECT patient_id, max(service_month) AS previous_month
  FROM billing_episode_months WHERE service_month < date_trunc('month', $as_of)
  GROUP BY patient_id
),
candidates AS (
  SELECT p.*, coalesce(s.countable_minutes, 0) AS countable_minutes,
         CAST(date_trunc('month', $as_of) AS DATE) AS service_month
  FROM billing_patients p LEFT JOIN so_far s USING (patient_id)
  WHERE s.patient_id IS NOT NULL
     OR (p.consent_date <= $as_of AND p.enrollment_date <= $as_of AND (p.discharge_date IS NULL OR p.discharge_date > $as_of))
)
SELECT c.*, r.* EXCLUDE (payer_class, billing_setting, program),
       coalesce(em.month_type, CASE WHEN v.previous_month IS NULL
                                      OR datediff('month', v.previous_month, c.service_month) - 1 >= r.episode_gap_months
                                    THEN 'initial' ELSE 'subsequent' END) AS month_type
FROM candidates c
JOIN billing_rule_periods r
  ON r.payer_class = c.payer_class AND r.billing_setting = c.billing_setting AND r.program = c.program
 AND c.service_month >= r.valid_from AND (r.valid_to IS NULL OR c.service_month < r.valid_to)
LEFT JOIN billing_episode_months em ON em.patient_id = c.patient_id AND em.service_month = c.service_month
LEFT JOIN previous v ON v.patient_id = c.patient_id;

SELECT patient_id, care_manager_id, clinic_id, payer, payer_class, strftime(service_month, '%Y-%m') AS service_month,
       month_type, countable_minutes,
       concat_ws(' + ', billed_base_code, CASE WHEN add_on_units > 0 THEN add_on_code || ' x' || add_on_units END) AS bills_now,
       CASE WHEN next_code = add_on_code THEN next_code || ' x' || next_units ELSE next_code END AS next_code,
       next_from - countable_minutes AS minutes_needed,
       CAST(last_day($as_of) - $as_of + 1 AS BIGINT) AS days_left,
       $as_of AS as_of
FROM ({month_codes})
WHERE next_code IS NOT NULL AND next_from - countable_minutes <= $margin
ORDER BY minutes_needed, care_manager_id, patient_id;
