-- The registry patients a reconciliation summary narrows to: clinic_ (a clinic id) and payer_ (a
-- payer name, whatever its case, or a payer class); NULL means all. The headline's totals and the
-- walk from expected to billed ask here, so they cannot narrow two ways.
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_patients(clinic_, payer_) AS TABLE
SELECT patient_id FROM marts.billing_patients
WHERE (clinic_ IS NULL OR clinic_id = clinic_)
  AND (payer_ IS NULL OR lower(payer) = lower(payer_) OR payer_class = lower(payer_))
