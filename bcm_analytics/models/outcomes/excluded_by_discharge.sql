-- Whether a patient is out of a measure by a day, whichever of their episodes says so (HEDIS DRR-E's
-- exclusions, outcome_measures.md section 3: a member who died, or was in hospice, any time up to
-- the end of the measurement period): an episode of theirs discharged for a reason that excludes
-- (marts.is_excluding_discharge) on or before until_, or with no discharge date at all (a FHIR
-- death with no date, deceasedBoolean, loads as 'died' with none: left out, as a death is). A death
-- recorded on a later episode than the one a measure is indexed on counts too; a discharge after
-- the as-of date is not known yet (outcome_episodes), nor is one after until_ an exclusion.
-- kind: macro
CREATE OR REPLACE MACRO marts.excluded_by_discharge(patient_id_, until_) AS EXISTS (
  SELECT 1
  FROM marts.outcome_episodes e
  JOIN marts.outcome_enrolments n ON n.episode_id = e.episode_id  -- the discharge date as exported
  CROSS JOIN config.outcome_settings s
  CROSS JOIN config.as_of_date a
  WHERE e.patient_id = patient_id_
    AND marts.is_excluding_discharge(e.discharge_reason, s.excluded_discharge_reasons)
    AND (n.discharge_date IS NULL OR n.discharge_date <= least(until_, a.as_of))
)
