-- A contact with the patient (outcome_measures.md section 4): a time-log entry with a real contact
-- mode (not one of no_contact_modes, not empty) or a patient-facing activity type
-- (contact_activity_types), never an activity without the patient whatever its mode
-- (non_contact_activity_types: a caseload review with the consultant by video counted as one).
-- outcome_activity marks each episode's entries with it (and keeps the contacts after a
-- discharge): every reader of contacts reads them there.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_contact(contact_mode, activity_type, no_contact_modes, contact_activity_types,
                                         non_contact_activity_types) AS
  NOT coalesce(list_contains(non_contact_activity_types, activity_type), false)
  AND ((contact_mode IS NOT NULL AND NOT list_contains(no_contact_modes, contact_mode))
       OR list_contains(contact_activity_types, activity_type))
