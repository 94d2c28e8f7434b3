-- Claim lines billed to a payer the coverage on file does not name for their month: one row per
-- billing (not denied, not voided), time-based claim line of a registry patient. A claim to the
-- wrong payer is denied or, worse, paid and taken back later, and the month's codes, units and fee
-- were decided under the rules of the payer in force (G2214 per payer, the 99494 cap, the payer's
-- profile), not those of the payer billed. recon_findings reads it as `payer_mismatch`, a review
-- finding: the coverage export can be the one that is wrong.
--
-- Compared by month, as the engine bills: the payer in force is the month's (marts.payer_name_periods,
-- the one place that decides it: the coverage period overlapping the month that starts latest), and
-- the line's payer is recon_claim_lines.payer; both, and each coverage period's payer, are read
-- through marts.payer_name (the rules' payer_aliases, case and surrounding spaces), so a payer
-- written two ways is one payer. Not a mismatch:
--   - a line billed to the payer of any coverage period that shares a day with its month
--     (`coverage_payers`, earliest start first): a change on the 15th, where the old payer covered
--     the first half of the month; two stored periods that overlap (secondary coverage, which the
--     loader sets aside, so only a store written otherwise holds it);
--   - a line that names no payer (the claims export has none);
--   - a month no coverage period touches (payer_source 'patients': the registry's payer stands in,
--     and nothing on file says who covered the patient then; a patient with no coverage rows at all);
--   - a denied or a voided line: it bills nothing (a payer's denial for not covering the patient,
--     CO-109 or PR-27, is a denied_claim whose advice says to bill the payer that covers them).
-- `coverage_on_file`: the month's coverage periods as a person reads them, each in the words every
-- sentence names a period in (core.period_text): "Medicaid from 2024-01-01 to 2025-03-14 and
-- Medicare from 2025-03-15 with no end date", which the finding's sentence quotes.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH lines AS (
  SELECT l.patient_id, l.service_month, l.claim_id, l.line_number, l.code, l.units, l.charge_amount, l.date_of_service,
         l.payer AS billed_payer, y.payer AS payer_in_force
  FROM marts.recon_claim_lines l
  JOIN marts.payer_name_periods y ON y.patient_id = l.patient_id AND l.service_month BETWEEN y.from_month AND y.until_month
  WHERE l.known_patient AND l.time_based AND l.bills AND l.payer IS NOT NULL AND y.payer_source = 'coverage'
),
covered AS (  -- each such month's coverage periods: those sharing a day with it
  SELECT m.patient_id, m.service_month,
         list(marts.payer_name(c.payer) ORDER BY c.start_date, c.payer) AS coverage_payers,
         string_agg(core.period_text(marts.payer_name(c.payer), c.start_date, c.end_date),
                    ' and ' ORDER BY c.start_date, c.payer) AS coverage_on_file
  FROM (SELECT DISTINCT patient_id, service_month FROM lines) m
  JOIN core.coverage c ON c.patient_id = m.patient_id
   AND core.periods_overlap(c.start_date, c.end_date, m.service_month, last_day(m.service_month))
  GROUP BY m.patient_id, m.service_month
)
SELECT l.*, m.coverage_payers, m.coverage_on_file
FROM lines l JOIN covered m USING (patient_id, service_month)
WHERE NOT list_contains(m.coverage_payers, l.billed_payer)
