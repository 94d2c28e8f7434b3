-- HEDIS DRR-E for measurement year year_ (outcome_measures.md section 3; definitions drr_e), for
-- the program ('All') and each age stratum of drr_e.age_strata (at drr_e.age_on; 'Unknown' when the
-- birth date is), one row each:
--   denominator  patients whose index (IESD: their first drr_e.instrument score, PHQ-A counting as
--                the PHQ-9, that is an eligible baseline, marts.is_eligible_baseline: > 9) is dated
--                in the intake period (drr_e.intake_start..intake_end of year_), in the measure
--                population (marts.in_measure_population: program.min_age at drr_e.age_on) and
--                inside the filters, less those who died or were in hospice any time up to the
--                end of the measurement period, whichever of their episodes records it
--                (marts.excluded_by_discharge): December 31 of year_, or the year's last
--                follow-up day if the settings run follow-up beyond it, and less those with an
--                excluding diagnosis (bipolar, personality, psychotic, pervasive developmental
--                disorder: marts.has_excluding_diagnosis) dated any time up to that same day
--   followed_up  a score in the follow-up period: days windows.6m from..to after the IESD, inclusive
--   remitted     the period's most recent score (not the best) is a remission (marts.is_remission)
--   responded    it is a response to the IESD score (marts.is_response)
--   pending      of the denominator, patients whose follow-up period is still open at the as-of date
--   complete     every follow-up period of the year has closed (the intake period's last day plus
--                the period's last day, by the as-of date): before then the rates can still rise
-- Scores are a patient's across their episodes (one per day, marts.patient_day_scores), and so
-- are the exclusions; the index episode gives the clinic and care manager, and the payer is the one in
-- force in the IESD's month (marts.payer_name_periods: a patient indexed under Medicaid who moved to
-- Medicare at 65 during follow-up is Medicaid's, as every index measure takes the payer at its index). The program's
-- enrolment stands for DRR-E's depression diagnosis; its diagnosis exclusions read the optional
-- diagnoses export, and with none exported no patient is out by one.
-- kind: macro
CREATE OR REPLACE MACRO marts.drr_e_for(year_, clinics_, care_manager_, payer_) AS TABLE
WITH s AS (SELECT * FROM config.outcome_settings),
w AS (SELECT from_day, to_day FROM config.outcome_windows WHERE window_name = '6m'),
bounds AS (
  SELECT make_date(CAST(year_ AS INTEGER) + s.drr_e_intake_start[1], s.drr_e_intake_start[2], s.drr_e_intake_start[3]) AS intake_start,
         make_date(CAST(year_ AS INTEGER) + s.drr_e_intake_end[1], s.drr_e_intake_end[2], s.drr_e_intake_end[3]) AS intake_end,
         make_date(CAST(year_ AS INTEGER) + s.drr_e_age_on[1], s.drr_e_age_on[2], s.drr_e_age_on[3]) AS age_on
  FROM s
),
period AS (  -- the measurement period's end: the exclusions look this far
  SELECT greatest(make_date(CAST(year_ AS INTEGER), 12, 31), b.intake_end + w.to_day::INTEGER) AS period_end
  FROM bounds b CROSS JOIN w
),
scores AS (SELECT * FROM marts.patient_day_scores((SELECT drr_e_instrument FROM config.outcome_settings))),
first_days AS (  -- the IESD: not the episode's baseline (marts.outcome_baselines) but the first in the intake period
  SELECT sc.patient_id, min(sc.administered_on) AS iesd
  FROM scores sc CROSS JOIN bounds b
  WHERE sc.administered_on BETWEEN b.intake_start AND b.intake_end AND marts.is_eligible_baseline(sc.total_score)
  GROUP BY sc.patient_id
),
indexed AS (
  SELECT f.patient_id, f.iesd, sc.total_score AS iesd_score, sc.episode_id
  FROM first_days f JOIN scores sc ON sc.patient_id = f.patient_id AND sc.administered_on = f.iesd
),
population AS (
  SELECT i.*, date_sub('year', p.birth_date, b.age_on) AS age
  FROM indexed i
  JOIN marts.outcome_episodes e USING (episode_id)
  JOIN core.patients p ON p.patient_id = i.patient_id
  JOIN marts.payer_name_periods y ON y.patient_id = i.patient_id
   AND CAST(date_trunc('month', i.iesd) AS DATE) BETWEEN y.from_month AND y.until_month
  CROSS JOIN bounds b CROSS JOIN period CROSS JOIN s
  WHERE marts.in_measure_population(i.patient_id, date_sub('year', p.birth_date, b.age_on), s.min_age, period.period_end)
    AND NOT marts.has_excluding_diagnosis(i.patient_id, period.period_end)
    AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
),
followed AS (
  SELECT p.patient_id, arg_max(sc.total_score, sc.administered_on) AS score
  FROM population p CROSS JOIN w
  JOIN scores sc ON sc.patient_id = p.patient_id
   AND datediff('day', p.iesd, sc.administered_on) BETWEEN w.from_day AND w.to_day
  GROUP BY p.patient_id
),
judged AS (
  SELECT p.patient_id,
         coalesce((SELECT arg_max(t.stratum, t.lower)
                   FROM (SELECT unnest(s.drr_e_strata) AS stratum, unnest(s.drr_e_strata_lowers) AS lower FROM s) t
                   WHERE t.lower <= p.age), 'Unknown') AS stratum,
         f.score IS NOT NULL AS followed_up,
         coalesce(marts.is_remission(f.score), false) AS remitted,
         coalesce(marts.is_response(f.score, p.iesd_score), false) AS responded,
         NOT marts.window_closed(p.iesd + w.to_day::INTEGER, (SELECT as_of FROM config.as_of_date)) AS pending
  FROM population p CROSS JOIN w LEFT JOIN followed f USING (patient_id)
),
strata AS (
  SELECT 'All' AS stratum, 0 AS position
  UNION ALL SELECT unnest(s.drr_e_strata), generate_subscripts(s.drr_e_strata, 1) FROM s
  UNION ALL SELECT 'Unknown', 1000 WHERE EXISTS (SELECT 1 FROM judged WHERE stratum = 'Unknown')
),
counted AS (
  SELECT patient_id, 'All' AS stratum, followed_up, remitted, responded, pending FROM judged
  UNION ALL SELECT patient_id, stratum, followed_up, remitted, responded, pending FROM judged
)
SELECT CAST(year_ AS INTEGER) AS measurement_year, st.stratum,
       count(r.patient_id) AS denominator,
       count(r.patient_id) FILTER (WHERE r.followed_up) AS followed_up,
       count(r.patient_id) FILTER (WHERE r.remitted) AS remitted,
       count(r.patient_id) FILTER (WHERE r.responded) AS responded,
       count(r.patient_id) FILTER (WHERE r.pending) AS pending,
       any_value(b.intake_start) AS intake_start, any_value(b.intake_end) AS intake_end,
       any_value(b.intake_end + w.to_day::INTEGER) AS last_follow_up_day,
       marts.window_closed(any_value(b.intake_end + w.to_day::INTEGER), (SELECT as_of FROM config.as_of_date)) AS complete
FROM strata st CROSS JOIN bounds b CROSS JOIN w LEFT JOIN counted r USING (stratum)
GROUP BY st.stratum, st.position
ORDER BY st.position
