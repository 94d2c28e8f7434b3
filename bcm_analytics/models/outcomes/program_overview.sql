-- The program overview per clinic and month of start_..end_ (first days of months): patients
-- served (on the caseload any day of the month), the active caseload at month end
-- (marts.on_caseload, the definition every report uses), enrolments, discharges, and the minutes
-- logged against them. clinic_ narrows it to one clinic (NULL: all). Each enrolment counts at its
-- own clinic (marts.outcome_enrolments): a re-enrolled patient's earlier months, enrolment and
-- discharge stay where they were, the re-enrolment is a new enrolment of its month, and a patient
-- is served or on the active caseload once a month. Minutes count at the clinic of the enrolment
-- whose days they fall in.
-- kind: macro
CREATE OR REPLACE MACRO marts.program_overview(start_, end_, clinic_) AS TABLE
WITH months AS (
  SELECT CAST(m AS DATE) AS month FROM range(CAST(start_ AS DATE), CAST(end_ AS DATE) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
),
episodes AS (  -- each enrolment (marts.outcome_enrolments) with its own clinic, and the days whose minutes it
              -- takes: from its counts_from (the first enrolment: any day before) to the next one's
  SELECT patient_id, coalesce(clinic_id, '(no clinic)') AS clinic_id, enrollment_date, discharge_date,
         CASE WHEN lag(counts_from) OVER w IS NOT NULL THEN counts_from END AS minutes_from,
         lead(counts_from) OVER w AS minutes_before
  FROM marts.outcome_enrolments
  WINDOW w AS (PARTITION BY patient_id ORDER BY enrollment_date)
),
patients AS (
  SELECT * FROM episodes WHERE clinic_ IS NULL OR clinic_id = clinic_
),
caseload AS (  -- a patient discharged and enrolled again in one month is served once, and each flow counted
  SELECT m.month, p.clinic_id,
         count(DISTINCT p.patient_id) FILTER (WHERE p.enrollment_date <= last_day(m.month)
                                               AND (p.discharge_date IS NULL OR p.discharge_date >= m.month)) AS served,
         count(DISTINCT p.patient_id) FILTER (WHERE marts.on_caseload(p.enrollment_date, p.discharge_date, last_day(m.month)))
           AS active_caseload,
         count(*) FILTER (WHERE date_trunc('month', p.enrollment_date) = m.month) AS new_enrolments,
         count(*) FILTER (WHERE date_trunc('month', p.discharge_date) = m.month) AS discharges
  FROM months m CROSS JOIN patients p
  GROUP BY ALL
),
minutes AS (
  SELECT t.service_month AS month, p.clinic_id,
         CAST(round(sum(t.minutes)) AS BIGINT) AS minutes_logged,
         count(DISTINCT t.patient_id) AS patients_with_time
  FROM core.time_logs t
  JOIN patients p ON p.patient_id = t.patient_id
   AND (p.minutes_from IS NULL OR t.service_date >= p.minutes_from)
   AND (p.minutes_before IS NULL OR t.service_date < p.minutes_before)
  WHERE t.service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  GROUP BY ALL
)
SELECT c.month, c.clinic_id, c.served AS active_patients, c.served, c.active_caseload, c.new_enrolments, c.discharges,
       coalesce(m.minutes_logged, 0) AS minutes_logged,
       coalesce(m.patients_with_time, 0) AS patients_with_time
FROM caseload c LEFT JOIN minutes m USING (month, clinic_id)
ORDER BY c.month, c.clinic_id
