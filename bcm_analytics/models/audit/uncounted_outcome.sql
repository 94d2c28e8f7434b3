-- Why an entry's minutes that did not count did not, as the reports name it: the entry's status in
-- marts.billing_entries, with a non-countable activity told apart by its category (administrative
-- time, a separately billed service, or another activity such as a no-show) and both overlap
-- statuses as 'overlap' (an entry counted in part around a hospital stay as 'during_facility_stay'). marts.time_allocation sorts minutes by it and the audit packets subtotal
-- an entry's minutes by it, under the headings of billing/time_outcomes.py.
-- kind: macro
CREATE OR REPLACE MACRO marts.uncounted_outcome(status_, activity_category_) AS
  CASE WHEN status_ IN ('counted_in_part_overlap', 'not_counted_overlap') THEN 'overlap'
       WHEN status_ = 'counted_in_part_facility_stay' THEN 'during_facility_stay'
       WHEN status_ = 'activity_not_countable' AND activity_category_ = 'administrative' THEN 'administrative'
       WHEN status_ = 'activity_not_countable' AND activity_category_ = 'separately billed service' THEN 'separately_billed'
       ELSE status_ END
