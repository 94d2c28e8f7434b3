-- Months of start_..end_ (first days of months) in which time is logged but the store holds not
-- one score (any instrument). A follow-up window that closes in such a month counts as closed
-- with no follow-up score (in the denominator, not measured), and a patient with no score since
-- baseline counts as not improving (outcome_measures.md section 2): true only if nobody was
-- scored; far more often the assessments export ends before the time-log export does, or has
-- not been loaded. Commands and the caseload page say so beside the measures.
-- kind: macro
CREATE OR REPLACE MACRO marts.outcome_months_without_scores(start_, end_) AS TABLE
SELECT service_month FROM (
  SELECT service_month FROM core.time_logs
  WHERE service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  EXCEPT
  SELECT CAST(date_trunc('month', administered_on) AS DATE) FROM core.assessments
  WHERE administered_on BETWEEN CAST(start_ AS DATE) AND last_day(CAST(end_ AS DATE))
)
ORDER BY service_month
