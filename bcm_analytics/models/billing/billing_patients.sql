-- Each registry patient with what the billing rules key on: payer class (from the payer name the
-- program writes), billing setting (from the clinic) and program. An unmapped payer name takes the
-- ruleset's default class and keeps payer_mapped = false so `bcm billing` can report it.
-- kind: table
-- per_patient: true
SELECT p.patient_id, p.clinic_id, p.care_manager_id, p.treating_provider_npi, p.payer,
       coalesce(n.payer_class, rs.default_payer_class) AS payer_class,
       n.payer_class IS NOT NULL AS payer_mapped,
       lower(trim(p.setting)) AS billing_setting,
       lower(trim(coalesce(p.program, 'cocm'))) AS program,
       p.enrollment_date, p.consent_date, p.discharge_date
FROM core.patients p
CROSS JOIN config.ruleset rs
LEFT JOIN config.payer_names n ON n.payer_name = lower(trim(p.payer))
