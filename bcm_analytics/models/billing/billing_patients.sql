-- Each registry patient with what billing reads of them whatever the month: the registry's payer
-- name and class (the payer name the program writes; an unmapped name takes the ruleset's default
-- class and keeps payer_mapped = false so `bcm billing` can report it), the discharge, and
-- `enrolments`: each enrolment's start, consent and discharge (core.patient_enrolments): an entry is
-- judged by the consent and the discharge of the enrolment in force on its day (core.enrolment_on,
-- core.discharged_before), so minutes before a discharge in the month of a re-enrolment keep
-- theirs and minutes between a discharge and a re-enrolment do not count. What a month
-- is billed under (its payer, clinic and setting, practitioner, program) is the month's:
-- marts.month_terms.
-- kind: table
-- per_patient: true
SELECT p.patient_id, p.payer, p.class_of.payer_class AS payer_class, p.class_of.mapped AS payer_mapped,
       p.discharge_date, c.enrolments
FROM (SELECT *, marts.payer_class_of(payer) AS class_of FROM (SELECT * REPLACE (marts.payer_name(payer) AS payer) FROM core.patients)) p
LEFT JOIN core.patient_enrolments c ON c.patient_id = p.patient_id
