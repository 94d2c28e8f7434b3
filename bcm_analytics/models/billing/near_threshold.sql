-- Near-threshold worklist for the open month of `as_of_`: patients whose countable minutes so far
-- (entries up to and including as_of_) are within `margin` minutes below the next code, with the
-- days left in the month (as_of_ included) and its last day (due_by), and the clinic's name beside its id
-- (the id where the export names none). Candidates are patients not discharged by as_of_ (a
-- discharged patient is no one to call to reach a code; marts.on_caseload, with countable minutes
-- before the enrolment date as good as enrolled): those with countable minutes this month, and
-- consented, enrolled patients who have none yet. A month not yet in an episode is initial
-- when it would start one (marts.starts_episode).
-- kind: macro
CREATE OR REPLACE MACRO marts.near_threshold(as_of_, margin) AS TABLE
WITH so_far AS (
  SELECT patient_id, marts.month_minutes(counted_minutes) AS countable_minutes
  FROM marts.billing_entries
  WHERE service_month = date_trunc('month', CAST(as_of_ AS DATE)) AND service_date <= CAST(as_of_ AS DATE) AND counted_minutes > 0
  GROUP BY patient_id
),
previous AS (
  SELECT patient_id, max(service_month) AS previous_month
  FROM marts.episodes WHERE service_month < date_trunc('month', CAST(as_of_ AS DATE))
  GROUP BY patient_id
),
candidates AS (
  SELECT p.patient_id, p.discharge_date, y.* EXCLUDE (patient_id, from_month, until_month, payer_source),
         coalesce(s.countable_minutes, 0) AS countable_minutes, CAST(date_trunc('month', CAST(as_of_ AS DATE)) AS DATE) AS service_month
  FROM marts.billing_patients p LEFT JOIN so_far s USING (patient_id)
  JOIN marts.month_terms y ON y.patient_id = p.patient_id
   AND CAST(date_trunc('month', CAST(as_of_ AS DATE)) AS DATE) BETWEEN y.from_month AND y.until_month
  WHERE marts.on_caseload(least(y.enrollment_date, CAST(as_of_ AS DATE)), p.discharge_date, CAST(as_of_ AS DATE))  -- not discharged
    AND (s.patient_id IS NOT NULL
         OR (y.consent_date <= CAST(as_of_ AS DATE) AND y.enrollment_date <= CAST(as_of_ AS DATE)))
),
typed AS (
  SELECT c.*, marts.rule_in_force(c.payer, c.payer_class, c.billing_setting, c.program, c.service_month) AS r,
         em.month_type AS episode_month_type, v.previous_month
  FROM candidates c
  LEFT JOIN marts.episodes em ON em.patient_id = c.patient_id AND em.service_month = c.service_month
  LEFT JOIN previous v ON v.patient_id = c.patient_id
),
coded AS (
  SELECT *, marts.codes_for_minutes(r, month_type, countable_minutes) AS k
  FROM (SELECT *, coalesce(episode_month_type,
                           CASE WHEN marts.starts_episode(previous_month, service_month, r.episode_gap_months)
                                THEN 'initial' ELSE 'subsequent' END) AS month_type
        FROM typed WHERE r IS NOT NULL)
)
SELECT patient_id, care_manager_id, clinic_id,
       coalesce((SELECT nullif(trim(n.clinic_name), '') FROM staging.clinics n WHERE n.clinic_id = coded.clinic_id), clinic_id) AS clinic_name,
       payer, payer_class, strftime(service_month, '%Y-%m') AS service_month,
       month_type, countable_minutes,
       concat_ws(' + ', k.billed_base_code, CASE WHEN k.add_on_units > 0 THEN k.add_on_code || ' x' || k.add_on_units END) AS bills_now,
       CASE WHEN k.next_code = k.add_on_code THEN k.next_code || ' x' || k.next_units ELSE k.next_code END AS next_code,
       round(k.next_from - countable_minutes, 4) AS minutes_needed,
       CAST(last_day(CAST(as_of_ AS DATE)) - CAST(as_of_ AS DATE) + 1 AS BIGINT) AS days_left,
       last_day(CAST(as_of_ AS DATE)) AS due_by,  -- the last day whose minutes count toward this month's code
       CAST(as_of_ AS DATE) AS as_of
FROM coded
WHERE k.next_code IS NOT NULL AND k.next_from - countable_minutes <= margin
ORDER BY minutes_needed, care_manager_id, patient_id
