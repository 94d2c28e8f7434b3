-- The terms each patient's months are billed under, as periods of months: the payer in force with
-- its payer class (marts.payer_name_periods, the one place that decides which payer a month is
-- under: a coverage period, else the registry's payer; each name mapped to its class as the rules
-- map it, marts.payer_class_of) and the enrolment in force (marts.enrolment_periods: consent date,
-- clinic and billing setting, care manager, treating practitioner and organization NPI, program).
-- One row per patient and run of months under one payer and one enrolment. Every billing model
-- that meets a patient with a month joins it with
--   ON y.patient_id = x.patient_id AND x.service_month BETWEEN y.from_month AND y.until_month
-- (a range join on a few rows per patient, never a patient x month grid) and takes the month's
-- rule, codes, consent and NPIs from it, never from the patient's current row. `payer_source` says
-- where the payer came from (coverage | patients).
-- kind: table
-- per_patient: true
SELECT n.patient_id, greatest(n.from_month, e.from_month) AS from_month, least(n.until_month, e.until_month) AS until_month,
       n.payer, n.class_of.payer_class AS payer_class, n.class_of.mapped AS payer_mapped, n.payer_source,
       e.enrollment_date, e.consent_date, e.clinic_id, e.care_manager_id, e.treating_provider_npi, e.program,
       e.billing_setting, e.organization_npi
FROM (SELECT *, marts.payer_class_of(payer) AS class_of FROM marts.payer_name_periods) n
JOIN marts.enrolment_periods e ON e.patient_id = n.patient_id AND e.from_month <= n.until_month AND n.from_month <= e.until_month
