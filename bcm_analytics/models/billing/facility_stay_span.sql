-- The time a hospital stay covers, as instants, for cutting an entry that runs across its admission
-- or discharge (marts.facility_stay_part 'part'; billing_entries cuts on instants): from the
-- admission to the discharge where their times are known; a bound given as a date alone reaches to
-- that day's edge that keeps the stay whole (the admission day's local midnight, the discharge
-- day's end, in the zone `tz`), and a stay with no discharge goes on. billing_entries counts the
-- minutes of a 'part' entry outside every such span.
-- kind: macro
CREATE OR REPLACE MACRO marts.facility_stay_span(stay, tz) AS
  {lo: coalesce(stay.admitted_at, core.instant(stay.admitted_on, NULL, tz)),
   hi: coalesce(stay.discharged_at, core.instant(stay.discharged_on + 1, NULL, tz), CAST('infinity' AS TIMESTAMPTZ))}
