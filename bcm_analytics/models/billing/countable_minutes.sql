-- Minutes per patient and local calendar month: logged, countable, and logged without consent.
-- kind: table
-- per_patient: true
SELECT patient_id, service_month,
       sum(counted_minutes) AS countable_minutes,
       sum(minutes) AS logged_minutes,
       coalesce(sum(minutes) FILTER (WHERE status IN ('no_consent', 'before_consent')), 0) AS unconsented_minutes,
       count(*) AS entries,
       count(*) FILTER (WHERE counted_minutes > 0) AS counted_entries
FROM marts.billing_entries
GROUP BY patient_id, service_month
