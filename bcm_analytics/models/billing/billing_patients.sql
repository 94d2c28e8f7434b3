-- Each registry patient with what the billing rules key on: payer name and class (from the payer
-- name the program writes), billing setting (from the clinic) and program, and the NPIs a claim
-- may bill under: the treating practitioner's, and the clinic's organization NPI (FQHC/RHC claims
-- are institutional, billed under the organization's type 2 NPI). An unmapped payer name takes the
-- ruleset's default class and keeps payer_mapped = false so `bcm billing` can report it.
-- `enrolment_gaps`: the spans between a discharge and a re-enrolment (core.enrolment_gaps), in
-- which no minutes count (marts.enrolment_gap_on).
-- kind: table
-- per_patient: true
SELECT p.patient_id, p.clinic_id, p.care_manager_id, p.treating_provider_npi, p.payer,
       p.class_of.payer_class AS payer_class, p.class_of.mapped AS payer_mapped,
       lower(trim(p.setting)) AS billing_setting,
       lower(trim(coalesce(p.program, 'cocm'))) AS program,
       p.enrollment_date, p.consent_date, p.discharge_date,
       CASE WHEN lower(trim(p.setting)) IN ('fqhc', 'rhc') THEN nullif(trim(c.organization_npi), '') END AS organization_npi,
       g.enrolment_gaps
FROM (SELECT *, marts.payer_class_of(payer) AS class_of FROM (SELECT * REPLACE (marts.payer_name(payer) AS payer) FROM core.patients)) p
LEFT JOIN staging.clinics c ON c.clinic_id = p.clinic_id
LEFT JOIN (SELECT patient_id, list({discharged_on: discharged_on, reenrolled_on: reenrolled_on} ORDER BY discharged_on) AS enrolment_gaps
           FROM core.enrolment_gaps GROUP BY patient_id) g ON g.patient_id = p.patient_id
