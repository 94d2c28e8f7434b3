-- Whether a patient has a diagnosis that takes them out of HEDIS DRR-E and CMS159 by a day
-- (outcome_measures.md section 3: bipolar, personality, psychotic, pervasive developmental
-- disorders): a code of theirs (core.diagnoses) that starts with a prefix of diagnosis_exclusions
-- (excluding_diagnosis_codes, upper-cased and without the dot), compared upper-cased and without
-- its dot, so F31.0 and f310 both match F31, and F32 (depression) matches none; dated on or
-- before until_ (DRR-E: the end of its measurement period; CMS159: the day cms159.exclusion_until
-- names) and not after the as-of date (marts.exclusion_day: a diagnosis dated later is not known yet). A diagnosis
-- counts however long before (HEDIS: "any time during the member's history"). With no diagnoses
-- exported no patient has one, and the measures are as before.
-- kind: macro
CREATE OR REPLACE MACRO marts.has_excluding_diagnosis(patient_id_, until_) AS EXISTS (
  -- aliases a caller's own do not shadow: a macro's arguments are expanded inside its body
  SELECT 1
  FROM core.diagnoses x_diagnosis
  CROSS JOIN (SELECT unnest(excluding_diagnosis_codes) AS prefix FROM config.outcome_settings) x_code
  CROSS JOIN config.as_of_date x_as_of
  WHERE x_diagnosis.patient_id = patient_id_
    AND starts_with(replace(upper(x_diagnosis.code), '.', ''), x_code.prefix)
    AND x_diagnosis.diagnosis_date <= marts.exclusion_day(until_, x_as_of.as_of)
)
