-- Whether an episode counts in the program's outcome measures (outcome_measures.md section 3):
-- aged min_age or more at enrolment (an unknown age is kept) and not discharged for a reason that
-- excludes it (marts.is_excluding_discharge: death, hospice, palliative care). The measures, the
-- cohort curves and the change distribution count these episodes, and the follow-up-due worklist
-- calls only them. DRR-E passes no discharge reason: it judges the patient's every episode up to
-- the end of its measurement period (marts.excluded_by_discharge).
-- kind: macro
CREATE OR REPLACE MACRO marts.in_measure_population(age_at_enrolment, discharge_reason, min_age, excluded_discharge_reasons) AS
  (age_at_enrolment IS NULL OR age_at_enrolment >= min_age)
  AND NOT marts.is_excluding_discharge(discharge_reason, excluded_discharge_reasons)
