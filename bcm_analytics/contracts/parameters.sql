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

-- The earliest date of service, enrolment, consent, discharge, administration or claim: before
-- it, a date is a typo or a 2-digit year read in the wrong century (2/10/25 as the year 25).
-- name: earliest_date
SELECT DATE '1990-01-01'

-- The earliest birth date of a patient in care.
-- name: earliest_birth_date
SELECT DATE '1900-01-01'
