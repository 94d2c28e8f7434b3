-- When a time-log entry (a contact) started, where the export says: its start time, or a service
-- date with a time of day; NULL for a day alone (then a same-day order with a score is unknown).
-- kind: macro
CREATE OR REPLACE MACRO marts.contact_at(start_time_has_time, start_at, service_date_has_time, service_at) AS
  CASE WHEN start_time_has_time THEN start_at WHEN service_date_has_time THEN service_at END
