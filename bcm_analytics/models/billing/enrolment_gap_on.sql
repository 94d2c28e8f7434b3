-- The span between a discharge and a re-enrolment (marts.billing_patients.enrolment_gaps) that
-- `day` falls in, or NULL: the episode ended at the discharge, so minutes logged after it and
-- before the re-enrolment do not count (billing_rules.md section 2), and a re-enrolment export,
-- which replaces the discharged row, does not make them count (core.enrolment_gaps). The
-- discharge day and the re-enrolment day themselves are inside an enrolment.
-- kind: macro
CREATE OR REPLACE MACRO marts.enrolment_gap_on(gaps, day) AS
  list_filter(gaps, lambda g: day > g.discharged_on AND day < g.reenrolled_on)[1]
