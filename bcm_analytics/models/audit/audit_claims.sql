-- Claim lines of registry patients as an audit packet lists them (claim, line, code, units, the
-- billing NPI, status and the payer's reason for a denied line, charge and payment), with the
-- export file and line each came from.
-- wrong_billing_npi: the line's NPI judged as reconciliation judges it (marts.wrong_billing_npi:
-- neither the treating practitioner's nor, at an FQHC/RHC, the clinic's organization NPI).
-- kind: view
SELECT c.patient_id, c.service_month, c.claim_id, c.line_number, c.code, c.units, c.billing_provider_npi,
       c.claim_status, c.denied, c.voided, c.bills, c.charge_amount, c.paid_amount, c.family,
       CASE WHEN c.denied THEN c.denial_reason END AS denial_reason,
       marts.wrong_billing_npi(c.bills, c.billing_provider_npi, c.rendering_provider_npi, y.treating_provider_npi, y.organization_npi) AS wrong_billing_npi,
       s.date_of_service, s._source_file AS source_file, s._line AS source_line, s._load_id AS load_id
FROM marts.recon_claim_lines c
LEFT JOIN staging.claims s ON s.claim_id = c.claim_id AND s.line_number IS NOT DISTINCT FROM c.line_number
LEFT JOIN marts.month_terms y ON y.patient_id = c.patient_id AND c.service_month BETWEEN y.from_month AND y.until_month
WHERE c.known_patient
