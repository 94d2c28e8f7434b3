-- A contact with the patient (outcome_measures.md section 4): a time-log entry with a real contact
-- mode (not one of no_contact_modes, not empty) or a patient-facing activity type
-- (contact_activity_types). outcome_activity marks each episode's entries with it (and keeps the
-- contacts after a discharge): every reader of contacts reads them there.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_contact(contact_mode, activity_type, no_contact_modes, contact_activity_types) AS
  (contact_mode IS NOT NULL AND NOT list_contains(no_contact_modes, contact_mode))
  OR list_contains(contact_activity_types, activity_type)
