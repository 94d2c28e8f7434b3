-- Whether a discharge reason leaves a patient out of the outcome measures (outcome_measures.md
-- section 3: death, hospice, palliative care; program.excluded_discharge_reasons), matched whatever
-- its case and spaces: 'died', as the synthea and fhir profiles write a death, and 'Deceased' alike.
-- The measures read it across a patient's episodes, through marts.excluded_by_discharge.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_excluding_discharge(discharge_reason, excluded_discharge_reasons) AS
  coalesce(list_contains(list_transform(excluded_discharge_reasons, lambda r: lower(trim(r))),
                         lower(trim(discharge_reason))), false)
