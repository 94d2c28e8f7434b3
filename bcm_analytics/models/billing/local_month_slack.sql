-- How far a reading's local month can be from its month read without a zone: a zone moves an
-- instant by under a day, so one month. Where the marts need the months readings may fall in before
-- any zone is applied, they widen by it: billing_entries' rule lookups, and the scan filter of an
-- incremental build (build._readings_since). The local month itself is core.local_month.
-- kind: macro
CREATE OR REPLACE MACRO marts.local_month_slack() AS INTERVAL 1 MONTH
