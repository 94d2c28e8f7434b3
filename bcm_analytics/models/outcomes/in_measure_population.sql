-- Whether an episode counts in the program's outcome measures (outcome_measures.md section 3):
-- aged min_age or more at enrolment (an unknown age is kept) and its patient not out by a discharge
-- (marts.excluded_by_discharge: death, hospice, palliative care, on whichever of their episodes it is
-- recorded) on or before until_, the as-of date when none is given. The measures, the cohort curves,
-- the change distribution and DMS-E count these episodes, and the follow-up-due worklist calls only
-- them: a patient who died on a later episode is no longer called for an earlier one's score. DRR-E
-- gives the end of its measurement period; CMS159 the end of the patient's 12-month window or of the
-- period (cms159.exclusion_until), and since_ and since_reasons, the day from which a hospice or
-- palliative care discharge excludes (cms159.care_exclusion_from; none: any time).
-- kind: macro
CREATE OR REPLACE MACRO marts.in_measure_population(patient_id_, age_at_enrolment, min_age, until_ := NULL,
                                                    since_ := NULL, since_reasons := NULL) AS
  (age_at_enrolment IS NULL OR age_at_enrolment >= min_age)
  AND NOT marts.excluded_by_discharge(patient_id_, until_, since_ := since_, since_reasons := since_reasons)
