-- Whether a patient is out of a measure by a day, whichever of their episodes says so (HEDIS DRR-E's
-- exclusions, outcome_measures.md section 3: a member who died, or was in hospice, any time up to
-- the end of the measurement period): an episode of theirs discharged for a reason that excludes
-- (marts.is_excluding_discharge) on or before until_ (none: the as-of date), or with no discharge date at all (a FHIR
-- death with no date, deceasedBoolean, loads as 'died' with none: left out, as a death is). A death
-- recorded on a later episode than the one a measure is indexed on counts too; a discharge after
-- the as-of date is not known yet (outcome_episodes), nor is one after until_ an exclusion.
-- since_ (none: any time) is the first day a discharge for a reason of since_reasons excludes from:
-- CMS159's hospice and palliative care look-back (cms159.care_exclusion_from); the other reasons
-- (death) exclude whenever they came, and a discharge with no date is kept out whatever since_ says.
-- kind: macro
CREATE OR REPLACE MACRO marts.excluded_by_discharge(patient_id_, until_, since_ := NULL, since_reasons := NULL) AS EXISTS (
  -- aliases a caller's own do not shadow: a macro's arguments are expanded inside its body
  SELECT 1
  FROM marts.outcome_episodes x_episode
  JOIN marts.outcome_enrolments x_enrolment ON x_enrolment.episode_id = x_episode.episode_id  -- the discharge date as exported
  CROSS JOIN config.outcome_settings x_settings
  CROSS JOIN config.as_of_date x_as_of
  WHERE x_episode.patient_id = patient_id_
    AND marts.is_excluding_discharge(x_episode.discharge_reason, x_settings.excluded_discharge_reasons)
    AND (x_enrolment.discharge_date IS NULL OR x_enrolment.discharge_date <= marts.exclusion_day(until_, x_as_of.as_of))
    AND (since_ IS NULL OR x_enrolment.discharge_date IS NULL OR x_enrolment.discharge_date >= since_
         OR NOT marts.is_excluding_discharge(x_episode.discharge_reason, since_reasons))
)
