-- The registry patients a reconciliation summary narrows to, with the months it keeps of each
-- (from_month .. until_month, first days of months, both included): clinic_ (a clinic id) and
-- payer_ (a payer name, whatever its case, read as marts.payer_name reads it, or a payer class) narrow them; NULL means all. A payer
-- narrows to the months billed under it, and a clinic to the months of an enrolment there
-- (marts.month_terms): a patient who moved from Medicaid to Medicare is in a Medicare summary from
-- the month Medicare pays, and one re-enrolled at another clinic in each clinic's for its own months. Unnarrowed, each patient's
-- periods cover every month once. The headline's totals and the walk from expected to billed ask
-- here, so they cannot narrow two ways.
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_patients(clinic_, payer_) AS TABLE
SELECT p.patient_id, y.from_month, y.until_month
FROM marts.billing_patients p JOIN marts.month_terms y USING (patient_id)
WHERE (clinic_ IS NULL OR y.clinic_id = clinic_)
  AND (payer_ IS NULL OR lower(y.payer) = lower(marts.payer_name(payer_)) OR y.payer_class = lower(payer_))
