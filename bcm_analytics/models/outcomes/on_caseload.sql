-- The one definition of "on the caseload" (the active caseload every report counts): enrolled on
-- or before the day and not discharged on or before it. A patient discharged on the last day of a
-- month is not on that month's end-of-month caseload.
-- kind: macro
CREATE OR REPLACE MACRO marts.on_caseload(enrollment_date, discharge_date, day_) AS
  enrollment_date <= day_ AND (discharge_date IS NULL OR discharge_date > day_)
