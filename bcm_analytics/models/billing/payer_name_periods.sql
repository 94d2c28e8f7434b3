-- The payer in force for each patient and month, by name, as periods of months: one row per
-- patient and run of months under one payer (from_month .. until_month, first days of months,
-- both included; 0001-01 and 9999-12 at the open ends, dates every reader can convert). This is
-- the one place that decides which payer a month is under. It reads no billing rule, so the
-- outcome marts read it (a month's caseload, the payer at a measure's index or baseline) without
-- depending on the rules; marts.month_terms adds each name's payer class for billing. A reader
-- joins it with
--   ON y.patient_id = x.patient_id AND x.service_month BETWEEN y.from_month AND y.until_month
-- (a range join on a few rows per patient, never a patient x month grid; a day is read in its
-- month: CAST(date_trunc('month', day) AS DATE)). The join is written in each reader, not wrapped in a
-- macro: a LATERAL table macro decorrelates into a delim join, measured 45-60% slower on the
-- audit_entries view of a 60,000-patient program; tests/test_models.py checks every reader's join.
--
-- The rule: a month is billed under the coverage period (core.coverage) overlapping the calendar
-- month that starts latest, so a payer change on the 15th prices that month under the new payer;
-- coverage ending on the 31st and the next starting on the 1st change payer with the month. A month
-- no coverage period touches, and every month of a patient with no coverage rows, falls back to the
-- registry payer of the enrolment in force (marts.enrolment_periods: the patients row, or the one a
-- re-enrolment replaced for the months before it): with no coverage export and no re-enrolment each
-- patient has one period, 0001-01 .. 9999-12, under their row's payer. Periods that overlap are set aside by the coverage suite
-- ("periods do not overlap"); were two stored ones to overlap, the later start still wins the
-- months from its start on. `payer_source` says where the payer came from (coverage | patients).
-- Each name is the payer to use (marts.payer_name: aliases, case and surrounding spaces).
-- kind: table
-- per_patient: true
WITH cov AS (
  SELECT c.patient_id, marts.payer_name(c.payer) AS payer, c.start_date,
         CAST(date_trunc('month', c.start_date) AS DATE) AS start_month,
         coalesce(CAST(date_trunc('month', c.end_date) AS DATE), DATE '9999-12-01') AS end_month
  FROM core.coverage c SEMI JOIN core.patients p ON p.patient_id = c.patient_id
),
owned AS (  -- the months each period wins: from its first month up to the month before a later-starting
            -- period's first month (the later start wins a month both touch)
  SELECT patient_id, payer, start_month AS from_month,
         least(end_month, coalesce(CAST(lead(start_month) OVER w - INTERVAL 1 MONTH AS DATE), DATE '9999-12-01')) AS until_month
  FROM cov
  WINDOW w AS (PARTITION BY patient_id ORDER BY start_date, payer)
),
covered AS (
  SELECT *, lag(until_month) OVER (PARTITION BY patient_id ORDER BY from_month) AS previous_until,
         row_number() OVER (PARTITION BY patient_id ORDER BY from_month DESC) = 1 AS is_last
  FROM owned WHERE from_month <= until_month
),
gaps AS (  -- the months no period wins: before the first, between two, after the last (registry payer)
  SELECT c.patient_id, coalesce(CAST(c.previous_until + INTERVAL 1 MONTH AS DATE), DATE '0001-01-01') AS from_month,
         CAST(c.from_month - INTERVAL 1 MONTH AS DATE) AS until_month
  FROM covered c
  UNION ALL
  SELECT c.patient_id, CAST(c.until_month + INTERVAL 1 MONTH AS DATE), DATE '9999-12-01'
  FROM covered c WHERE c.is_last AND c.until_month < DATE '9999-12-01'
),
fallback AS (
  SELECT g.patient_id, g.from_month, g.until_month FROM gaps g WHERE g.from_month <= g.until_month
  UNION ALL
  SELECT patient_id, DATE '0001-01-01', DATE '9999-12-01' FROM core.patients p
  WHERE NOT EXISTS (SELECT 1 FROM covered c WHERE c.patient_id = p.patient_id)
)
SELECT c.patient_id, c.from_month, c.until_month, c.payer, 'coverage' AS payer_source
FROM covered c
UNION ALL
SELECT f.patient_id, greatest(f.from_month, e.from_month), least(f.until_month, e.until_month), e.payer, 'patients'
FROM fallback f
JOIN marts.enrolment_periods e ON e.patient_id = f.patient_id AND e.from_month <= f.until_month AND f.from_month <= e.until_month
