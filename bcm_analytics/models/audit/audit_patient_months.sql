-- The patient-months an audit packet is made for: every month of a registry patient with an
-- expected billing line (the minutes support a code) or a claim line billed for minutes
-- (recon_claim_lines.time_based; a month with only an office visit on its claims has no packet).
-- kind: view
SELECT patient_id, service_month FROM marts.billing_lines
UNION
SELECT patient_id, service_month FROM marts.recon_claim_lines WHERE known_patient AND time_based
