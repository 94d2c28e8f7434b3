-- Whether a time-log entry fell inside a hospital stay (inpatient or observation: its minutes do
-- not count, billing_rules.md s3): 'during', 'part', 'edge', or NULL (outside). `entry_day` is the
-- entry's local date and `entry_at` the instant it happened where the export gives a time
-- (marts.entry_at on core.time_logs' instants); `entry_end` the end instant of an entry with a start
-- time (NULL for one without); `stay` a row of core.facility_stays with its local days and its
-- admission and discharge as instants (`admitted_at`, `discharged_at`: NULL where only dates were
-- exported). Times are compared as instants, as overlapping entries are (billing_entries): an
-- entry at 01:50 of 30 minutes on the night the clocks spring forward ends at 03:20, so it runs
-- across a 03:10 admission, and one at 01:20 CST is after a 01:30 CDT discharge; days stay local.
-- An entry with a start time that runs across a timed admission or discharge is 'part': only its
-- minutes outside the stay count (billing_entries cuts it at the admission and discharge,
-- marts.facility_stay_span); an interval that ends at the admission instant, or starts at the
-- discharge instant, is outside. Otherwise an entry is placed by its time: days strictly between
-- admission and discharge are during; on the admission or discharge day an entry is before or
-- after the stay when both times are known, else 'edge' (which the setting
-- facility_stay_edge_days decides: a date has no time to cut an entry at, so an entry is judged by
-- the day it starts on). A stay without a discharge is still going on.
-- kind: macro
CREATE OR REPLACE MACRO marts.facility_stay_part(entry_day, entry_at, entry_end, stay) AS
  CASE WHEN entry_end > entry_at AND ((entry_at < stay.admitted_at AND entry_end > stay.admitted_at)
                                      OR (entry_at < stay.discharged_at AND entry_end > stay.discharged_at)) THEN 'part'
       WHEN entry_day < stay.admitted_on OR entry_day > stay.discharged_on THEN NULL
       WHEN entry_day = stay.admitted_on AND entry_at < stay.admitted_at THEN NULL
       WHEN entry_day = stay.discharged_on AND entry_at >= stay.discharged_at THEN NULL
       WHEN (entry_day > stay.admitted_on OR entry_at >= stay.admitted_at)
        AND (stay.discharged_on IS NULL OR entry_day < stay.discharged_on OR entry_at < stay.discharged_at) THEN 'during'
       ELSE 'edge' END
