-- Whether an episode counts in the program's outcome measures (outcome_measures.md section 3):
-- aged min_age or more at enrolment (an unknown age is kept) and not discharged for a reason that
-- excludes it (death, hospice, palliative care: excluded_discharge_reasons, matched whatever its
-- case). The measures, the cohort curves and the change distribution count these episodes, and the
-- follow-up-due worklist calls only them.
-- kind: macro
CREATE OR REPLACE MACRO marts.in_measure_population(age_at_enrolment, discharge_reason, min_age, excluded_discharge_reasons) AS
  (age_at_enrolment IS NULL OR age_at_enrolment >= min_age)
  AND NOT coalesce(list_contains(list_transform(excluded_discharge_reasons, lambda r: lower(trim(r))),
                                 lower(trim(discharge_reason))), false)
