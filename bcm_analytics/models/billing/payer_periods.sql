-- The payer in force for each patient and service month with its payer class, as periods of
-- months: marts.payer_name_periods (the one place that decides which payer a month is under: a
-- coverage period, else the registry's payer), each name mapped to its class as the rules map it
-- (marts.payer_class_of, the registry's names and the coverage periods' alike). Every billing model
-- that meets a payer with a month joins it with
--   ON y.patient_id = x.patient_id AND x.service_month BETWEEN y.from_month AND y.until_month
-- (a range join on a few rows per patient, never a patient x month grid). `payer_source` says where
-- the payer came from (coverage | patients).
-- kind: table
-- per_patient: true
SELECT n.patient_id, n.from_month, n.until_month, n.payer,
       n.class_of.payer_class AS payer_class, n.class_of.mapped AS payer_mapped, n.payer_source
FROM (SELECT *, marts.payer_class_of(payer) AS class_of FROM marts.payer_name_periods) n
