-- Score utilisation per assessment period (HEDIS DMS-E style, outcome_measures.md section 3), for
-- the periods that overlap start_..end_ (counted whole, whatever part the report's months cover),
-- for the program ('All') and each clinic:
--   patients_contacted  patients of the measure population (marts.in_measure_population) with a
--             contact on the program (marts.is_contact, from enrolment to discharge) in the period
--   patients_scored     of them, those with a score of utilisation.instrument (PHQ-A counting as
--             the PHQ-9) dated in the same period, before or after the contact
--   complete  the period has ended by the as-of date; an open period's share can still rise
-- A patient counts once a period, at each clinic they had a contact at. Filtered to a payer, the
-- contacts are those made in months under it (the payer in force in the contact's month,
-- marts.payer_name_periods, as the caseload months count), and their scores any in the period.
-- No diagnosis is exported,
-- so the program's enrolment stands for DMS-E's depression diagnosis.
-- kind: macro
CREATE OR REPLACE MACRO marts.utilisation_for(start_, end_, clinics_, care_manager_, payer_) AS TABLE
WITH s AS (SELECT * FROM config.outcome_settings),
population AS (  -- the episodes in the filters, each with its patient's periods under a payer in them
                 -- (the contacts take the period holding their month: the payer is per contact)
  SELECT e.episode_id, e.patient_id, e.clinic_id, e.enrollment_date, y.from_month, y.until_month
  FROM marts.outcome_episodes e CROSS JOIN s
  JOIN marts.payer_name_periods y USING (patient_id)
  WHERE marts.in_measure_population(e.patient_id, e.age_at_enrolment, s.min_age)
    AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
),
contacts AS (
  SELECT DISTINCT p.patient_id, p.clinic_id,
         marts.assessment_period(a.service_date, s.utilisation_period_starts) AS period
  FROM marts.outcome_activity a CROSS JOIN s
  JOIN population p ON p.episode_id = a.episode_id AND a.service_month BETWEEN p.from_month AND p.until_month
  WHERE a.is_contact AND a.in_episode AND a.service_date >= p.enrollment_date
    AND a.service_date <= (SELECT as_of FROM config.as_of_date)
),
scores AS (  -- any score of a contacted patient's episodes in the filters: a patient with contacts has a
             -- period under the payer, so each of their episodes in the clinics and care manager is here
  SELECT DISTINCT sc.patient_id, marts.assessment_period(sc.administered_on, s.utilisation_period_starts) AS period
  FROM marts.outcome_scores sc SEMI JOIN population p USING (episode_id) CROSS JOIN s
  WHERE sc.instrument = s.utilisation_instrument
),
counted AS (
  SELECT c.period.first_day AS period_start, c.period.last_day AS period_end, c.clinic_id, c.patient_id,
         sc.patient_id IS NOT NULL AS scored
  FROM contacts c LEFT JOIN scores sc USING (patient_id, period)
  WHERE c.period.first_day <= last_day(CAST(end_ AS DATE)) AND c.period.last_day >= CAST(start_ AS DATE)
)
SELECT period_start, period_end,
       CASE WHEN grouping(clinic_id) = 0 THEN coalesce(clinic_id, 'Unknown') ELSE 'All' END AS clinic,
       count(DISTINCT patient_id) AS patients_contacted,
       count(DISTINCT patient_id) FILTER (WHERE scored) AS patients_scored,
       period_end <= (SELECT as_of FROM config.as_of_date) AS complete
FROM counted
GROUP BY GROUPING SETS ((period_start, period_end), (period_start, period_end, clinic_id))
ORDER BY period_start, clinic = 'All' DESC, clinic
