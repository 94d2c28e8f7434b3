-- The patient-months an audit packet is made for: every month of a registry patient with an
-- expected billing line (the minutes support a code) or a claim line (something was billed).
-- kind: view
SELECT patient_id, service_month FROM marts.billing_lines
UNION
SELECT patient_id, service_month FROM marts.recon_claim_lines WHERE known_patient
