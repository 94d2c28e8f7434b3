-- The last day an exclusion from the outcome measures counts on: until_, the day a measure names
-- (DRR-E's period end, CMS159's cms159.exclusion_until), none meaning the as-of date, and never
-- after the as-of date, since a discharge or a diagnosis dated later is not known yet. The
-- discharge exclusions (marts.excluded_by_discharge) and the diagnosis exclusions
-- (marts.has_excluding_diagnosis) both read it.
-- kind: macro
CREATE OR REPLACE MACRO marts.exclusion_day(until_, as_of_) AS least(coalesce(until_, as_of_), as_of_)
