-- Minutes per patient and local calendar month: logged, countable (to the whole second,
-- marts.month_minutes), and logged without consent.
-- kind: table
-- per_patient: true
-- by_month: service_month
SELECT patient_id, service_month,
       marts.month_minutes(counted_minutes) AS countable_minutes,
       marts.month_minutes(minutes) AS logged_minutes,
       coalesce(sum(minutes) FILTER (WHERE status IN ('no_consent', 'before_consent')), 0) AS unconsented_minutes,
       count(*) AS entries,
       count(*) FILTER (WHERE counted_minutes > 0) AS counted_entries
FROM marts.billing_entries
GROUP BY patient_id, service_month
