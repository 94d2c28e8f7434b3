-- When a time-log entry happened, where the export says: its start time (one that stands on a day:
-- core.time_logs), or a service date with a time of day; NULL for a day alone. Billing compares it
-- with a hospital stay's admission and discharge (billing_entries); outcomes with a score's time
-- (outcome_activity: when a contact was, so that a same-day order with a score is known or unknown).
-- kind: macro
CREATE OR REPLACE MACRO marts.entry_at(start_time_has_time, start_at, service_date_has_time, service_at) AS
  CASE WHEN start_time_has_time THEN start_at WHEN service_date_has_time THEN service_at END
