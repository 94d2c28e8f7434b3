-- Values the suites refer to as {"$PARAMETER": "<name>"}. The SQL checks use each query as a
-- subquery; the great-expectations run executes it and passes the result in.

-- name: known_patient_ids
SELECT patient_id FROM staging.patients

-- name: known_clinic_ids
SELECT clinic_id FROM staging.clinics

-- name: known_time_zones
SELECT name FROM pg_timezone_names()

-- The calendar date at the moment of the load where it is latest on earth (UTC+14): a date
-- after it had not started anywhere when the export was loaded, so it is in the future
-- whatever the clinic's time zone.
-- name: latest_possible_date
SELECT CAST(timezone('Etc/GMT-14', now()) AS DATE)
