-- Expected and billed, code by code (CoCM, general BHI and APCM behavioral-health add-on codes),
-- per patient-month, with each code's role under the rule in force: initial, subsequent,
-- monthly, add_on (99494), fallback (G2214, when the payer bills it), also_accepted (a code
-- accepted beside the code set in force, such as 99484 beside G0511 at an FQHC in 2025),
-- apcm_add_on (G0568-G0570, read whether or not the program bills APCM) or outside_code_set.
-- An APCM add-on's checks (add_on_problem, marts.apcm_add_on_problem) are of its lines that bill,
-- or, billed only on denied lines, of those: a denied add-on the month cannot bill is not to be
-- appealed (recon_findings).
-- Billed units are one line's for a code billed once a month (a second line is a duplicate,
-- reported apart: duplicate_lines, and duplicate_amount, the charges of the lines after the earliest
-- (marts.claim_line_order),
-- which stands: the dollars of the lines to void, not their average); the add-on (99494) is billed in units, so its
-- lines' units add up, and a line that repeats one of an earlier claim (same code and units) is a
-- duplicate only when the month still has the supported units without it (a 99494 x1 on each of
-- two claims where x2 are due is the month's two units; where x1 is due, one repeats the other).
-- A claim line's
-- NPI is judged by marts.wrong_billing_npi. A code's claims (claim_ids, voided_claim_ids) are lists, sorted:
-- a reader takes the ids as they are, and only recon_findings joins them for a person (a claim id
-- is free text and may hold a comma). Grain: one row per patient, month and procedure code expected or billed. The month's own
-- columns (patient, rule in force, minutes, month type) stay in recon_months, once per month: readers
-- join it (copied onto every code they were half of this table's columns, and of the time to write it).
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH expected AS (
  SELECT patient_id, service_month, code, units AS expected_units, expected_amount
  FROM marts.billing_lines
),
lines AS (
  SELECT c.*, marts.wrong_billing_npi(c.bills, c.billing_provider_npi, c.rendering_provider_npi, y.treating_provider_npi, y.organization_npi) AS wrong_npi,
         coalesce(c.billing_provider_npi = y.organization_npi, false) AS under_organization,  -- which NPI a wrong line names
         c.family = 'apcm_behavioral_add_on' AND NOT EXISTS (  -- a denied base line is on the claim (as a denied 99492 is for 99494); a voided one is not
           SELECT 1 FROM marts.recon_claim_lines b
           WHERE b.patient_id = c.patient_id AND b.service_month = c.service_month AND b.family = 'apcm'
             AND (b.bills OR b.denied)
             AND marts.same_practitioner(b.billing_provider_npi, b.rendering_provider_npi, c.billing_provider_npi,
                                         c.rendering_provider_npi, y.organization_npi)) AS without_apcm_base,
         c.bills AND EXISTS (
           SELECT 1 FROM marts.recon_claim_lines o
           WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month AND o.code = c.code
             AND o.units = c.units AND o.bills AND o.claim_id <> c.claim_id
             AND marts.claim_line_order(o.date_of_service, o.claim_id, 0) < marts.claim_line_order(c.date_of_service, c.claim_id, 0)) AS repeats,
         c.bills AND EXISTS (  -- a code billed once a month: the earliest line stands, a later one is the duplicate to void
           SELECT 1 FROM marts.recon_claim_lines o
           WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month AND o.code = c.code AND o.bills
             AND marts.claim_line_order(o.date_of_service, o.claim_id, o.line_number)
                 < marts.claim_line_order(c.date_of_service, c.claim_id, c.line_number)) AS later
  FROM marts.recon_claim_lines c
  JOIN marts.month_terms y ON y.patient_id = c.patient_id AND c.service_month BETWEEN y.from_month AND y.until_month
  WHERE c.time_based
),
billed AS (
  SELECT patient_id, service_month, code,
         count(*) FILTER (WHERE bills) AS active_lines,
         count(*) FILTER (WHERE denied) AS denied_lines,
         sum(units) FILTER (WHERE denied) AS denied_units,
         list(DISTINCT claim_id ORDER BY claim_id) FILTER (WHERE denied) AS denied_claim_ids,
         max(units) FILTER (WHERE bills) AS line_units,
         sum(units) FILTER (WHERE bills) AS all_units,
         sum(units) FILTER (WHERE repeats) AS repeat_units,
         count(*) FILTER (WHERE repeats) AS repeat_lines,
         sum(charge_amount) FILTER (WHERE repeats) AS repeat_charge,
         sum(charge_amount) FILTER (WHERE later) AS later_charge,
         sum(units) FILTER (WHERE later AND charge_amount IS NULL) AS later_units_uncharged,
         list(DISTINCT claim_id ORDER BY claim_id) FILTER (WHERE NOT voided) AS claim_ids,  -- lists: the findings join them
         list(DISTINCT claim_id ORDER BY claim_id) FILTER (WHERE voided) AS voided_claim_ids,
         sum(charge_amount) FILTER (WHERE bills) AS charge_amount,
         sum(paid_amount) FILTER (WHERE NOT voided) AS paid_amount,
         string_agg(DISTINCT claim_status, ', ' ORDER BY claim_status) AS claim_status,
         string_agg(DISTINCT billing_provider_npi, ', ' ORDER BY billing_provider_npi) FILTER (WHERE bills) AS billing_npi,
         count(*) FILTER (WHERE wrong_npi) AS wrong_npi_lines,
         -- the NPI that is wrong: the billing NPI, or under the organization NPI the rendering one
         coalesce(string_agg(DISTINCT CASE WHEN under_organization THEN rendering_provider_npi ELSE billing_provider_npi END, ', '
                             ORDER BY CASE WHEN under_organization THEN rendering_provider_npi ELSE billing_provider_npi END)
                    FILTER (WHERE wrong_npi), '(none)') AS wrong_npis,
         bool_and(under_organization) FILTER (WHERE wrong_npi) AS wrong_npi_rendered,
         sum(charge_amount) FILTER (WHERE wrong_npi) AS wrong_npi_charge,
         list(DISTINCT claim_id ORDER BY claim_id) FILTER (WHERE wrong_npi) AS wrong_npi_claim_ids,  -- the claims to rebill
         -- an APCM add-on's base code by its lines that bill, or, billed only on denied lines, by those
         -- (its checks then say whether the denial is to be let stand: recon_findings)
         CASE WHEN count(*) FILTER (WHERE bills) > 0 THEN count(*) FILTER (WHERE bills AND without_apcm_base) = 0
              ELSE count(*) FILTER (WHERE denied AND without_apcm_base) = 0 END AS with_apcm_base
  FROM lines
  GROUP BY patient_id, service_month, code
),
joined AS (
  SELECT patient_id, service_month, code, coalesce(e.expected_units, 0) AS expected_units, e.expected_amount,
         coalesce(b.active_lines, 0) AS active_lines, coalesce(b.denied_lines, 0) AS denied_lines,
         coalesce(b.denied_units, 0) AS denied_units, b.denied_claim_ids,
         coalesce(b.line_units, 0) AS line_units, coalesce(b.all_units, 0) AS all_units,
         coalesce(b.repeat_units, 0) AS repeat_units, coalesce(b.repeat_lines, 0) AS repeat_lines, b.repeat_charge,
         b.later_charge, b.later_units_uncharged,
         b.claim_ids, b.voided_claim_ids, b.charge_amount, b.paid_amount, b.claim_status,
         b.billing_npi, coalesce(b.wrong_npi_lines, 0) AS wrong_npi_lines, b.wrong_npis, b.wrong_npi_charge, b.wrong_npi_claim_ids,
         coalesce(b.wrong_npi_rendered, false) AS wrong_npi_rendered,
         coalesce(b.with_apcm_base, false) AS with_apcm_base
  FROM expected e FULL JOIN billed b USING (patient_id, service_month, code)
),
roled AS (
  SELECT j.*, m.payer_class, m.billing_setting, m.program, m.month_type, m.countable_minutes, m.initial_code, m.subsequent_code,
         m.add_on_code, m.fallback_code, m.bills_g2214, m.initial_from, m.subsequent_from, m.fallback_from, m.also_accepted, k.family,
         marts.fee_in_force(m.payer_class, m.billing_setting, j.code, j.service_month) AS fee,
         list_filter(m.also_accepted, lambda x: x.code = j.code AND x.accepted_from <= j.service_month)[1] AS accepted,
         a AS add_on,
         CASE WHEN k.family = 'apcm_behavioral_add_on' THEN 'apcm_add_on'
              WHEN j.code = m.add_on_code THEN 'add_on'
              WHEN j.code = m.initial_code AND m.initial_code = m.subsequent_code THEN 'monthly'
              WHEN j.code = m.initial_code THEN 'initial'
              WHEN j.code = m.subsequent_code THEN 'subsequent'
              WHEN j.code = m.fallback_code AND m.bills_g2214 THEN 'fallback'
              WHEN list_contains(list_transform(list_filter(m.also_accepted, lambda x: x.accepted_from <= j.service_month),
                                                lambda x: x.code), j.code) THEN 'also_accepted'
              ELSE 'outside_code_set' END AS code_role,
         CASE WHEN k.family = 'apcm_behavioral_add_on' THEN a.program ELSE k.family END AS code_program,
         marts.apcm_add_on_for(m.program, m.month_type, j.service_month) AS month_add_on
  FROM joined j
  JOIN marts.recon_months m USING (patient_id, service_month)
  JOIN config.claim_codes k ON k.code = j.code
  LEFT JOIN config.apcm_add_ons a ON a.code = j.code
),
counted AS (  -- the add-on's lines add up; a line repeating an earlier claim's is a duplicate when the rest hold the supported units
  SELECT *, code_role = 'add_on' AND repeat_lines > 0 AND all_units - repeat_units >= expected_units AS add_on_repeated
  FROM roled
),
units AS (
  SELECT * EXCLUDE (line_units, all_units, repeat_units, repeat_lines, repeat_charge, later_charge, later_units_uncharged,
                    add_on_repeated),
         CASE WHEN code_role <> 'add_on' THEN line_units WHEN add_on_repeated THEN all_units - repeat_units
              ELSE all_units END AS billed_units,
         CASE WHEN code_role <> 'add_on' THEN greatest(active_lines - 1, 0) WHEN add_on_repeated THEN repeat_lines
              ELSE 0 END AS duplicate_lines,
         CASE WHEN code_role <> 'add_on' THEN
                CASE WHEN active_lines > 1 THEN  -- the later lines' own charges (at the fee where a line has none), not an average
                  coalesce(later_charge, 0) + CASE WHEN later_units_uncharged > 0 THEN fee.amount * later_units_uncharged ELSE 0 END END
              WHEN add_on_repeated THEN coalesce(repeat_charge, fee.amount * repeat_units) END AS duplicate_amount
  FROM counted
)
SELECT * EXCLUDE (fee, accepted, add_on, payer_class, billing_setting, program, month_type, countable_minutes, initial_code,
                  subsequent_code, add_on_code, fallback_code, bills_g2214, initial_from, subsequent_from, fallback_from, also_accepted),
       fee.amount AS unit_fee, coalesce(charge_amount, fee.amount * billed_units) AS billed_amount,
       CASE code_role WHEN 'initial' THEN CASE WHEN month_type = 'initial' THEN initial_from END
                      WHEN 'subsequent' THEN subsequent_from
                      WHEN 'monthly' THEN initial_from
                      WHEN 'fallback' THEN fallback_from
                      WHEN 'also_accepted' THEN accepted.from_minutes END AS code_from_minutes,
       accepted.accepted_from,
       add_on.mirror_code AS add_on_mirror_code, add_on.program AS add_on_program, add_on.month_type AS add_on_month_type,
       add_on.billable_from AS add_on_billable_from,
       CASE WHEN code_role = 'apcm_add_on' AND (active_lines > 0 OR denied_lines > 0)
            THEN marts.apcm_add_on_problem(add_on, with_apcm_base, countable_minutes, service_month, program, month_type) END
         AS add_on_problem
FROM units
