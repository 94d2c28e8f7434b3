-- The assessment period a day falls in (HEDIS DMS-E: the year in periods that begin on the first
-- day of each month of starts_, utilisation.period_start_months): its first and last day. A day
-- before the year's first start belongs to the period that began with last year's last start
-- (with starts [3, 9], 15 January is in September-February); a period ends the day before the next
-- start after the day's month.
-- kind: macro
CREATE OR REPLACE MACRO marts.assessment_period(day_, starts_) AS {
  'first_day': CASE WHEN list_min(starts_) <= month(day_)
                    THEN make_date(year(day_), list_max(list_filter(starts_, lambda m: m <= month(day_))), 1)
                    ELSE make_date(year(day_) - 1, list_max(starts_), 1) END,
  'last_day': CASE WHEN list_max(starts_) > month(day_)
                   THEN make_date(year(day_), list_min(list_filter(starts_, lambda m: m > month(day_))), 1)
                   ELSE make_date(year(day_) + 1, list_min(starts_), 1) END - 1
}
