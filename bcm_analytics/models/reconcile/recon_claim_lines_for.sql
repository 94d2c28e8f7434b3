-- The claim lines a reconciliation summary reads: those of the registry patients and months clinic_
-- and payer_ narrow to (marts.recon_patients; NULL means all) and, with neither given, those of patients not
-- in the registry too, who have no clinic or payer to narrow by. The headline's billed and paid, the
-- walk's unknown patients and the denials by reason ask here, so they cannot narrow two ways.
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_claim_lines_for(clinic_, payer_) AS TABLE
SELECT c.* FROM marts.recon_claim_lines c
WHERE EXISTS (SELECT 1 FROM marts.recon_patients(clinic_, payer_) k WHERE k.patient_id = c.patient_id AND c.service_month BETWEEN k.from_month AND k.until_month)
   OR (NOT c.known_patient AND clinic_ IS NULL AND payer_ IS NULL)
