-- When a time-log entry happened, where the export says: its start time, or a service date with a
-- time of day (also where a start time of day could not be placed on a service date that carries
-- its own zone: contracts/frames.sql, start_time_without_day); NULL for a day alone. Billing compares it with a hospital stay's admission and
-- discharge (billing_entries); outcomes with a score's time (outcome_activity: when a contact was,
-- so that a same-day order with a score is known or unknown).
-- kind: macro
CREATE OR REPLACE MACRO marts.entry_at(start_time_has_time, start_at, service_date_has_time, service_at) AS
  CASE WHEN start_time_has_time AND start_at IS NOT NULL THEN start_at WHEN service_date_has_time THEN service_at END
