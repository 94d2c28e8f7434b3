-- Whether an episode is inside a report's filters: clinics_ (a list), care_manager_, payer_; NULL
-- means all. Every filtered outcome query asks here. A payer is read as the marts read every payer
-- name (marts.payer_name): `--payer Medicare` keeps the rows an alias or another case made Medicare.
-- kind: macro
CREATE OR REPLACE MACRO marts.in_filter(clinic_id, care_manager_id, payer, clinics_, care_manager_, payer_) AS
  coalesce(list_contains(clinics_, clinic_id), true)
  AND (care_manager_ IS NULL OR care_manager_id = care_manager_)
  AND (payer_ IS NULL OR lower(payer) = lower(marts.payer_name(payer_)))
