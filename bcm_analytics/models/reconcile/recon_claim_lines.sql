-- Claim lines with a recognised procedure code (config.claim_codes: code -> family), from
-- staging.claims and staging.claims_unknown_patient (lines the loader keeps aside until their
-- patient arrives); the service month is the date of service's month. `time_based`: a code
-- billed for logged minutes (marts.time_based_family: CoCM, general BHI and their APCM add-ons), the lines reconciled
-- against the minutes and counted as billed; the other families (APCM base codes, initiating
-- visits ...) are context. `denied`: the payer denied the line; `voided`: the line was voided or
-- reversed after billing (claim_status voided). `rendering_provider_npi`: the practitioner on an
-- institutional (FQHC/RHC) claim billed under the organisation's NPI, where the export has it. Neither bills: `bills` is the line's one test of
-- being billed, which every reader of the claims takes from here. `denial_reason`: the payer's reason
-- as the export wrote it (a CARC code such as CO-16, with or without its words; NULL when it has
-- none), kept on every line as loaded: its readers take it from the lines that are `denied`.
-- `date_of_service`: the line's own day (its month is `service_month`), which claim_date_rule
-- compares with the day the month's minutes reached the code's threshold (marts.recon_claim_dates).
-- `payer`: the payer the line was billed to, as every payer name is read (marts.payer_name); NULL when the export has none.
-- kind: table
-- per_patient: true
SELECT c.claim_id, c.line_number, c.patient_id, CAST(date_trunc('month', c.date_of_service) AS DATE) AS service_month,
       upper(trim(c.procedure_code)) AS code, coalesce(c.units, 1) AS units, c.billing_provider_npi,
       nullif(trim(c.rendering_provider_npi), '') AS rendering_provider_npi,
       c.charge_amount, c.paid_amount, lower(trim(coalesce(c.claim_status, 'submitted'))) AS claim_status,
       lower(trim(coalesce(c.claim_status, ''))) = 'denied' AS denied,
       lower(trim(coalesce(c.claim_status, ''))) = 'voided' AS voided,
       NOT denied AND NOT voided AS bills, k.family,
       marts.time_based_family(k.family) AS time_based,
       p.patient_id IS NOT NULL AS known_patient, nullif(trim(c.denial_reason), '') AS denial_reason,
       CAST(c.date_of_service AS DATE) AS date_of_service,
       marts.payer_name(nullif(trim(c.payer), '')) AS payer
FROM (
  SELECT claim_id, line_number, patient_id, date_of_service, procedure_code, units, billing_provider_npi, rendering_provider_npi,
         charge_amount, paid_amount, claim_status, denial_reason, payer FROM staging.claims
  UNION ALL
  SELECT claim_id, line_number, patient_id, date_of_service, procedure_code, units, billing_provider_npi, rendering_provider_npi,
         charge_amount, paid_amount, claim_status, denial_reason, payer FROM staging.claims_unknown_patient
) c
JOIN config.claim_codes k ON k.code = upper(trim(c.procedure_code))
LEFT JOIN marts.billing_patients p ON p.patient_id = c.patient_id
