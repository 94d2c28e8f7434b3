-- The time a hospital stay covers, for cutting an entry that runs across its admission or
-- discharge (marts.facility_stay_part 'part'): from the admission to the discharge where their
-- times are known; a bound given as a date alone reaches to that day's edge that keeps the stay
-- whole (the admission day's start, the discharge day's end), and a stay with no discharge goes
-- on. billing_entries counts the minutes of a 'part' entry outside every such span.
-- kind: macro
CREATE OR REPLACE MACRO marts.facility_stay_span(stay) AS
  {lo: coalesce(stay.admitted_at, CAST(stay.admitted_on AS TIMESTAMP)),
   hi: coalesce(stay.discharged_at, CAST(stay.discharged_on + 1 AS TIMESTAMP), CAST('infinity' AS TIMESTAMP))}
