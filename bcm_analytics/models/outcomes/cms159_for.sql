-- CMS159 / MIPS #370, Depression Remission at Twelve Months, for the measurement period year_ (a
-- calendar year; outcome_measures.md section 3; definitions cms159), for the program ('All') and each
-- age stratum of cms159.age_strata (12-17, 18+ at the index; 'Unknown' when the birth date is):
--   denominator         patients whose index, their first cms159.instrument score (PHQ-A counting as
--                       the PHQ-9) above 9 (marts.is_eligible_baseline), is dated in the denominator
--                       identification period (cms159.identification_start_months before the
--                       measurement period, up to the day before identification_end_months before it:
--                       November 1 two years before to October 31 of the year before) on the day of a
--                       contact on the program (marts.is_contact, from enrolment to discharge) or up to
--                       cms159.encounter_within_days before one; cms159.in_identification_period says
--                       what the period must hold: the score (the default; its contact may come after
--                       the period's last day), the score and its contact, or the contact alone (the
--                       eCQM: the score may then come before the period's first day); in the measure population
--                       (marts.in_measure_population: program.min_age at the index) and inside the
--                       filters, less those out by a discharge reason that excludes (death, hospice,
--                       palliative care, marts.excluded_by_discharge) up to the day
--                       cms159.exclusion_until names: assessment_period, the last day of the patient's
--                       own windows.12m after their index (the eCQM's "Measure Assessment Period",
--                       whose end "Patient Expired" and the hospice and palliative care tests read);
--                       measurement_period, the end of the measurement period for everyone (December
--                       31, or the last window day if the settings run past it); a reason of
--                       cms159.care_exclusion_reasons (hospice, palliative care) only from the day
--                       cms159.care_exclusion_from names (any_time: whenever; the identification
--                       period's first day, the measurement period's, or the index), and less those
--                       with an excluding diagnosis (bipolar, personality, psychotic, pervasive
--                       developmental disorder: marts.has_excluding_diagnosis) dated any time up to
--                       the same day cms159.exclusion_until names
--   followed_up         a score in days windows.12m from..to after the index (12 months +/- 60 days)
--   numerator           the window's most recent score (not the best) is a remission (marts.is_remission)
--   no_follow_up_score  no score in the window: in the denominator, not met
--   pending             of the denominator, patients whose window is still open at the as-of date
--   complete            every window of the year has closed (the identification period's last day
--                       plus the window's last day, by the as-of date): until then the rate can rise
--   first_index_day     the earliest day an index can be dated: the identification period's first day,
--                       or cms159.encounter_within_days before it under in_identification_period
--                       `encounter` (a score up to that many days before a contact on the first day)
-- Scores are a patient's across their episodes (marts.patient_day_scores), and so are the contacts
-- and exclusions; the index score's episode gives the clinic and care manager, and the payer is the one
-- in force in the index's month (marts.payer_name_periods, as DRR-E takes it at its IESD). The program's
-- enrolment stands for the depression diagnosis; the diagnosis exclusions read the optional diagnoses
-- export, and with none exported no patient is out by one.
-- kind: macro
CREATE OR REPLACE MACRO marts.cms159_for(year_, clinics_, care_manager_, payer_) AS TABLE
WITH s AS (SELECT * FROM config.outcome_settings),
w AS (SELECT from_day, to_day FROM config.outcome_windows WHERE window_name = '12m'),
starts AS (SELECT make_date(CAST(year_ AS INTEGER), 1, 1) AS period_start),
bounds AS (
  SELECT CAST(st.period_start - INTERVAL (s.cms159_identification_start_months) MONTH AS DATE) AS identification_start,
         CAST(st.period_start - INTERVAL (s.cms159_identification_end_months) MONTH AS DATE) - 1 AS identification_end,
         make_date(CAST(year_ AS INTEGER), 12, 31) AS period_last_day,
         -- the earliest index day: only `encounter` lets the score come before the period's first day
         identification_start - CASE WHEN s.cms159_in_identification_period = 'encounter'
                                     THEN s.cms159_encounter_within_days::INTEGER ELSE 0 END AS first_index_day
  FROM starts st CROSS JOIN s
),
contacts AS (  -- the encounters: contacts on the program, from enrolment to discharge
  SELECT DISTINCT a.patient_id, a.service_date
  FROM marts.outcome_activity a JOIN marts.outcome_episodes e USING (episode_id)
  WHERE a.is_contact AND a.in_episode AND a.service_date >= e.enrollment_date
    AND a.service_date <= (SELECT as_of FROM config.as_of_date)
),
scores AS (SELECT * FROM marts.patient_day_scores((SELECT cms159_instrument FROM config.outcome_settings))),
index_days AS (  -- the index: the first score above 9 with its encounter, dated in the identification
                 -- period as cms159.in_identification_period says (the score, both, or the encounter)
  SELECT sc.patient_id, min(sc.administered_on) AS index_day
  FROM scores sc CROSS JOIN bounds b CROSS JOIN s
  WHERE sc.administered_on BETWEEN b.first_index_day AND b.identification_end
    AND marts.is_eligible_baseline(sc.total_score)
    AND EXISTS (SELECT 1 FROM contacts c
                WHERE c.patient_id = sc.patient_id
                  AND c.service_date BETWEEN sc.administered_on AND sc.administered_on + s.cms159_encounter_within_days::INTEGER
                  AND (s.cms159_in_identification_period = 'score'
                       OR c.service_date BETWEEN b.identification_start AND b.identification_end))
  GROUP BY sc.patient_id
),
exclusion_days AS (  -- the last day an exclusion (a discharge, a diagnosis) counts on, as cms159.exclusion_until says
  SELECT i.*, CASE s.cms159_exclusion_until
                WHEN 'assessment_period' THEN i.index_day + w.to_day::INTEGER
                WHEN 'measurement_period' THEN greatest(b.period_last_day, b.identification_end + w.to_day::INTEGER) END AS exclusions_until
  FROM index_days i CROSS JOIN bounds b CROSS JOIN w CROSS JOIN s
),
population AS (
  SELECT i.patient_id, i.index_day, date_sub('year', p.birth_date, i.index_day) AS age
  FROM exclusion_days i
  JOIN scores sc ON sc.patient_id = i.patient_id AND sc.administered_on = i.index_day
  JOIN marts.outcome_episodes e ON e.episode_id = sc.episode_id
  JOIN core.patients p ON p.patient_id = i.patient_id
  JOIN marts.payer_name_periods y ON y.patient_id = i.patient_id
   AND CAST(date_trunc('month', i.index_day) AS DATE) BETWEEN y.from_month AND y.until_month
  CROSS JOIN bounds b CROSS JOIN w CROSS JOIN s
  WHERE marts.in_measure_population(i.patient_id, date_sub('year', p.birth_date, i.index_day), s.min_age,
                                    i.exclusions_until,
                                    since_ := CASE s.cms159_care_exclusion_from
                                                WHEN 'identification_period' THEN b.identification_start
                                                WHEN 'measurement_period' THEN make_date(CAST(year_ AS INTEGER), 1, 1)
                                                WHEN 'index' THEN i.index_day END,
                                    since_reasons := s.cms159_care_exclusion_reasons)
    AND NOT marts.has_excluding_diagnosis(i.patient_id, i.exclusions_until)
    AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
),
judged AS (
  SELECT p.patient_id,
         coalesce(s.cms159_strata[nullif(len(list_filter(s.cms159_strata_lowers, lambda lowest: lowest <= p.age)), 0)],
                  'Unknown') AS stratum,
         arg_max(sc.total_score, sc.administered_on) AS last_score,
         NOT marts.window_closed(any_value(p.index_day) + any_value(w.to_day)::INTEGER, (SELECT as_of FROM config.as_of_date)) AS pending
  FROM population p CROSS JOIN w CROSS JOIN s
  LEFT JOIN scores sc ON sc.patient_id = p.patient_id
   AND datediff('day', p.index_day, sc.administered_on) BETWEEN w.from_day AND w.to_day
  GROUP BY p.patient_id, stratum
),
strata AS (
  SELECT * FROM (VALUES ('All', 0)) t(stratum, position)
  UNION ALL SELECT unnest(s.cms159_strata), generate_subscripts(s.cms159_strata, 1) FROM s
  UNION ALL SELECT DISTINCT 'Unknown', 1000 FROM judged WHERE stratum = 'Unknown'
)
SELECT CAST(year_ AS INTEGER) AS measurement_year, st.stratum,
       count(j.patient_id) AS denominator,
       count(j.patient_id) FILTER (WHERE j.last_score IS NOT NULL) AS followed_up,
       count(j.patient_id) FILTER (WHERE coalesce(marts.is_remission(j.last_score), false)) AS numerator,
       count(j.patient_id) FILTER (WHERE j.last_score IS NULL) AS no_follow_up_score,
       count(j.patient_id) FILTER (WHERE j.pending) AS pending,
       any_value(b.identification_start) AS identification_start, any_value(b.identification_end) AS identification_end,
       any_value(b.first_index_day) AS first_index_day,
       any_value(b.identification_end + w.to_day::INTEGER) AS last_follow_up_day,
       marts.window_closed(any_value(b.identification_end + w.to_day::INTEGER), (SELECT as_of FROM config.as_of_date)) AS complete
FROM strata st CROSS JOIN bounds b CROSS JOIN w
LEFT JOIN judged j ON st.stratum IN ('All', j.stratum)
GROUP BY st.stratum, st.position
ORDER BY st.position
