-- The category an activity type of the shipped vocabulary belongs to, for reports of where care
-- managers' time goes: patient contact, care planning and coordination, a separately billed
-- service (its minutes never count as care management), administrative, a no-show. A type a
-- program adds to its rules file's vocabulary is 'other'; a type outside the vocabulary is
-- 'outside the vocabulary'. Categories describe time; whether it counts is the rule in force's
-- countable_activities (marts.billing_entries), never this grouping.
-- kind: macro
CREATE OR REPLACE MACRO marts.activity_category(activity_type_) AS
  CASE WHEN lower(trim(activity_type_)) NOT IN (SELECT activity_type FROM config.activity_types) THEN 'outside the vocabulary'
       WHEN lower(trim(activity_type_)) IN ('outreach', 'assessment', 'follow_up_contact', 'brief_intervention', 'relapse_prevention')
         THEN 'patient contact'
       WHEN lower(trim(activity_type_)) IN ('care_coordination', 'treatment_planning', 'caseload_review', 'registry_tracking')
         THEN 'care planning and coordination'
       WHEN lower(trim(activity_type_)) IN ('psychotherapy', 'psychiatric_evaluation', 'e_m_visit', 'digital_mental_health', 'chronic_care_management')
         THEN 'separately billed service'
       WHEN lower(trim(activity_type_)) = 'administrative' THEN 'administrative'
       WHEN lower(trim(activity_type_)) = 'no_show' THEN 'no-show'
       ELSE 'other' END
