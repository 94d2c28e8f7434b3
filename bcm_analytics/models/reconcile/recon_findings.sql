-- Reconciliation findings (billing_rules.md section 6): one row per finding, with severity, the
-- money at stake and a sentence a biller can act on. A patient-month can carry several findings;
-- one that reconciles carries `matched`. A finding is about one code unless it is about a
-- combination (same_month_conflict, wrong_code for 99492 with 99493) or the month
-- (claim_quarantined, no_initiating_visit, missing_consent without a claim).
--
-- Each finding is decided first, as columns: the finding, a `reason` (which rule decided it) and
-- the facts that decided it (the code and threshold that applied, the payer's cap, the consent
-- date, a rule's first day, the NPIs, the quarantined line, the payer's reason for a denied line:
-- `denial_reason`, recon_claim_lines'). The sentence is then written from
-- those columns alone, so it cannot say anything the finding's own columns do not. Dollars that
-- cannot be priced (no fee on file for the code that month, and no charge amount on the claim)
-- are unknown (NULL), not $0, and the sentence says so: $0 would read as nothing at stake. Such a
-- finding is `not_priced`, decided here alone: the sentence, the monthly totals
-- (marts.recon_monthly_totals), the report and the finance workbook read the flag, so every count
-- of findings left out of a dollar sum is the same count.
-- kind: table
-- per_patient: true
-- by_month: service_month
WITH quarantined AS (  -- claim lines in the quarantine, in each month they stand for: a dated line in its month, one
                      -- whose date does not read only where it could be the claim the month lacks, with the
                      -- codes of the month it could be the claim of (stands_for; recon_quarantined_months)
  SELECT patient_id, service_month, quarantine_file, quarantine_line, quarantine_reason, claim_id, procedure_code, undated,
         stands_for
  FROM marts.recon_quarantined_months
),
bases AS (  -- the CPT base code (or G2214) billed for a month that its minutes support
  SELECT patient_id, service_month, min(code) AS base_billed FROM marts.recon_codes
  WHERE active_lines > 0 AND expected_units > 0 AND code_role NOT IN ('add_on', 'apcm_add_on')
  GROUP BY patient_id, service_month
),
c AS (
  SELECT r.*, m.* EXCLUDE (patient_id, service_month), coalesce(list_contains(x.participants, r.code), false) AS in_conflict,
         b.base_billed,
         (SELECT count(*) FROM marts.recon_codes o WHERE o.patient_id = r.patient_id AND o.service_month = r.service_month
             AND o.active_lines > 0 AND o.code_role <> 'add_on' AND o.code <> r.code) AS other_bases_billed,
         -- an APCM add-on billed for the month, of either program: the month is billed through APCM, and an
         -- add-on of the other program is a wrong_code of its own (G0570 for G0568), so the CPT codes it stands
         -- for are not missed, 99494 least of all (no add-on mirrors it, and it is never billed without its base).
         -- Not an add-on dated before the add-ons' first billable day (its finding says to bill the CPT code,
         -- so 99494 is billable beside it), nor one beside a supported CPT base code, which bills the month
         b.base_billed IS NULL AND EXISTS (
           SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = r.patient_id AND o.service_month = r.service_month
             AND o.active_lines > 0 AND o.code_role = 'apcm_add_on' AND o.add_on_problem IS DISTINCT FROM 'before_billable')
           AS apcm_add_on_billed,
         -- the code's claim may be a line in the quarantine (one whose code does not read may be any code's)
         EXISTS (SELECT 1 FROM quarantined q WHERE q.patient_id = r.patient_id AND q.service_month = r.service_month
                   AND list_contains(q.stands_for, r.code)) AS quarantined,
         CASE WHEN r.expected_units > 0 THEN r.expected_units
              WHEN r.code_role = 'apcm_add_on' AND r.add_on_problem IS NULL THEN 1 ELSE 0 END AS supported_units,
         -- billed short of the support with the rest billed and denied (a denied_claim of the units)
         coalesce(r.active_lines > 0 AND r.denied_units > 0 AND r.billed_units < r.expected_units
                  AND r.billed_units + r.denied_units >= r.expected_units AND NOT coalesce(list_contains(x.participants, r.code), false), false)
           AS units_denied,
         CASE WHEN m.expected_base_code = m.fallback_code THEN m.fallback_from
              WHEN m.month_type = 'initial' THEN m.initial_from ELSE m.subsequent_from END AS expected_base_from,
         -- billed as the month supports it (the minutes, an accepted code's own threshold, an APCM
         -- add-on's checks): matched when the month has no problem, and what a month billed again after
         -- a denied line is billed as
         r.active_lines > 0 AND (r.expected_units > 0 OR (r.code_role = 'apcm_add_on' AND r.add_on_problem IS NULL)
                                 OR (r.code_role = 'also_accepted' AND m.countable_minutes >= r.code_from_minutes)) AS holds,
         -- the add-on's (99494) units against the payer's cap: those billed, or, billed only on denied
         -- lines, those denied (units_mismatch, and a denied line of more units than the minutes support)
         CASE WHEN r.code_role = 'add_on' AND m.max_99494_units IS NOT NULL
                   AND CASE WHEN r.active_lines > 0 THEN r.billed_units ELSE r.denied_units END > m.max_99494_units
              THEN 'above_cap' ELSE 'units' END AS units_reason
  FROM marts.recon_codes r
  JOIN marts.recon_months m USING (patient_id, service_month)
  LEFT JOIN (SELECT patient_id, service_month, flatten(list(coalesce(participants, []::VARCHAR[]))) AS participants
             FROM marts.recon_conflicts GROUP BY patient_id, service_month) x USING (patient_id, service_month)
  LEFT JOIN bases b USING (patient_id, service_month)
),
accepted_billed AS (  -- a code accepted in place of the code in force (99484 for G0511), billed and supported
  SELECT * FROM c WHERE code_role = 'also_accepted' AND holds
),
-- A month billed again, after a line the payer denied and the month does not support, with a code
-- that holds: a supported base code (or G2214), an accepted code or an APCM add-on
-- (`again`); for 99494, which is billed beside its base code, not in its place, an accepted code or
-- an APCM add-on (`again_add_on`). The codes that hold (`held_codes`) are what the month is billed
-- as; a month billed again with none (an APCM add-on the month cannot bill) is not.
billed_again AS (
  SELECT patient_id, service_month, (base OR other) AND held_codes IS NOT NULL AS again,
         other AND held_codes IS NOT NULL AS again_add_on, held_codes
  FROM (SELECT patient_id, service_month, bool_or(base_billed IS NOT NULL) AS base,
               bool_or(apcm_add_on_billed) OR bool_or(code_role = 'also_accepted' AND holds) AS other,
               list(code ORDER BY code) FILTER (WHERE holds) AS held_codes
        FROM c GROUP BY patient_id, service_month)
),
-- billed codes (not 99494, not an APCM add-on) the minutes do not support as billed; also a code
-- billed only on denied lines (`denied_only`: the payer denied what the minutes never supported, and
-- finance is told not to appeal or resubmit it as billed; in a month billed again with a code that
-- holds, to let the denial stand)
billed_unsupported AS (
  SELECT c.*, active_lines = 0 AS denied_only, CASE
      WHEN code_set IS NULL THEN 'no_rule_in_force'  -- no code billable that month (Texas health centres before 2025-03)
      WHEN countable_minutes = 0 THEN 'no_minutes'
      WHEN code = fallback_code AND NOT bills_g2214 THEN 'payer_does_not_bill'
      WHEN code_role = 'outside_code_set' THEN 'outside_code_set'
      -- G2214 past its range and short of the base code: an initial month of 31-35 minutes with
      -- g2214_initial_31_35 off (billing_rules.md section 1)
      WHEN code_role = 'fallback' AND expected_base_code IS NULL AND countable_minutes >= code_from_minutes
        THEN 'above_fallback_range'
      WHEN expected_base_code IS NULL THEN 'below_threshold'
      WHEN code_role = 'fallback' THEN 'fallback_reached_base'
      WHEN code_role = 'initial' AND month_type = 'subsequent' AND initial_code_reached_in IS NOT NULL
        THEN 'initial_once_per_year'  -- initial_code_once_per = calendar_year (marts.episodes)
      WHEN code_role = 'initial' AND month_type = 'subsequent' THEN 'initial_in_subsequent'
      WHEN code_role = 'subsequent' AND month_type = 'initial' THEN 'subsequent_in_initial'
      ELSE 'below_base' END AS reason
  FROM c
  WHERE expected_units = 0 AND code_role NOT IN ('add_on', 'apcm_add_on') AND NOT in_conflict
    AND NOT (code_role = 'also_accepted' AND countable_minutes >= code_from_minutes)
    AND (active_lines > 0 OR denied_lines > 0)
),
-- APCM behavioral-health add-ons the month cannot bill as billed: no time threshold, but a base
-- code, minutes, the period, the program and the month type (marts.apcm_add_on_problem), and never
-- beside the CPT base code its minutes support (`add_on_beside_base`, before any check: the month
-- is billed). `why` is the rule, `why_code` and `why_units` the code the month bills instead, if
-- any. Billed (per_code), or billed only on denied lines (unsupported: a denial to let stand).
apcm_checked AS (
  SELECT *, CASE WHEN base_billed IS NOT NULL THEN 'add_on_beside_base' ELSE add_on_problem END AS why,
         CASE WHEN base_billed IS NOT NULL THEN base_billed
              WHEN add_on_problem IN ('no_apcm_base', 'no_minutes') THEN NULL
              WHEN add_on_problem = 'before_billable' THEN expected_base_code ELSE month_add_on END AS why_code,
         CASE WHEN base_billed IS NOT NULL THEN 1
              WHEN add_on_problem IN ('no_apcm_base', 'no_minutes') THEN NULL
              WHEN add_on_problem = 'before_billable' AND expected_base_code IS NOT NULL THEN 1
              WHEN add_on_problem <> 'before_billable' AND month_add_on IS NOT NULL THEN 1 END AS why_units,
         CASE WHEN add_on_problem = 'before_billable' AND base_billed IS NULL THEN add_on_billable_from END AS why_date
  FROM c
  WHERE code_role = 'apcm_add_on' AND NOT in_conflict  -- add_on_problem: of a billed add-on, else a denied one
    AND (add_on_problem IS NOT NULL OR (active_lines = 0 AND denied_lines > 0 AND base_billed IS NOT NULL))
),
per_code AS (
  -- expected, not billed, not denied, no other base code (or APCM add-on) billed in its place, and
  -- no claim line in the quarantine that could be its claim; its claims are the code's voided lines, if any
  SELECT patient_id, service_month, 'missed_billing' AS finding, 'revenue' AS severity, 'not_billed' AS reason,
         code AS expected_code, expected_units, NULL AS billed_code, NULL::BIGINT AS billed_units, voided_claim_ids AS claim_ids,
         expected_amount AS amount_at_stake, NULL AS threshold_code, NULL::DOUBLE AS threshold_minutes, NULL::BIGINT AS units_cap,
         NULL::BIGINT AS billed_lines, NULL::DATE AS rule_date, NULL AS billing_npi
  FROM c WHERE expected_units > 0 AND active_lines = 0 AND denied_lines = 0
    AND (code_role = 'add_on' OR other_bases_billed = 0) AND NOT apcm_add_on_billed AND NOT quarantined
  UNION ALL
  SELECT patient_id, service_month, 'denied_claim', 'revenue', 'denied', code, expected_units, code, NULL, claim_ids,
         expected_amount - coalesce(paid_amount, 0), NULL, NULL, NULL, NULL, NULL, NULL
  -- not when the month was billed again with a code accepted in its place (99484 for a denied G0511,
  -- an APCM add-on for its mirror): the month is billed once, and that code's findings say so
  FROM c WHERE expected_units > 0 AND active_lines = 0 AND denied_lines > 0 AND NOT apcm_add_on_billed
    AND NOT (code_role = 'add_on' AND denied_units > expected_units)  -- partly supported (unsupported)
    AND NOT (code_role <> 'add_on' AND EXISTS (
      SELECT 1 FROM accepted_billed o WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month))
  UNION ALL
  SELECT patient_id, service_month, 'units_mismatch', CASE WHEN billed_units > supported_units THEN 'compliance' ELSE 'revenue' END,
         units_reason, code, supported_units, code, billed_units, claim_ids,
         abs(billed_units - supported_units) * coalesce(unit_fee, charge_amount / billed_units), NULL, NULL,
         CASE WHEN units_reason = 'above_cap' THEN max_99494_units END, NULL, NULL, NULL
  FROM c WHERE active_lines > 0 AND billed_units <> supported_units AND NOT in_conflict
    AND (supported_units > 0 OR code_role = 'add_on') AND NOT units_denied
  UNION ALL
  -- units billed short of the support because the rest were billed and denied (99494 x1 paid on one
  -- claim, x1 denied on another): the denied units, not a claim to correct ("correct the units" read
  -- as resubmitting a unit the payer had denied, and the denials left it out)
  SELECT patient_id, service_month, 'denied_claim', 'revenue', 'denied_units', code, supported_units - billed_units, code,
         billed_units, denied_claim_ids, (supported_units - billed_units) * coalesce(unit_fee, expected_amount / expected_units),
         NULL, NULL, NULL, NULL, NULL, NULL
  FROM c WHERE units_denied
  UNION ALL
  -- an APCM add-on the month cannot bill (apcm_checked). One beside the CPT base code its minutes
  -- support bills the month's service twice: the add-on is voided, not replaced by the add-on or CPT
  -- code the month bills, which is on the claim already (G0568 in a subsequent month beside 99493
  -- was told to bill G0569, which 99493 and G0569 together forbid)
  SELECT patient_id, service_month,
         CASE WHEN base_billed IS NOT NULL THEN 'duplicate_claim'
              WHEN add_on_problem IN ('no_apcm_base', 'no_minutes') THEN 'unsupported_claim' ELSE 'wrong_code' END,
         'compliance', why, why_code, why_units, code, billed_units, claim_ids, billed_amount, NULL, NULL, NULL, NULL,
         why_date, billing_npi
  FROM apcm_checked WHERE active_lines > 0
  UNION ALL
  SELECT patient_id, service_month, 'duplicate_claim', 'compliance', 'duplicate', CASE WHEN expected_units > 0 THEN code END,
         nullif(expected_units, 0), code, billed_units, claim_ids, duplicate_amount, NULL, NULL, NULL, active_lines, NULL, NULL
  FROM c WHERE duplicate_lines > 0  -- recon_codes: a second line of a code billed once a month, a repeated add-on line
  UNION ALL
  -- a code accepted in place of the code in force (99484 for G0511 at an FQHC/RHC in 2025) billed
  -- beside it: the month's service twice (billing_rules.md section 4, section 6 item 5)
  SELECT patient_id, service_month, 'duplicate_claim', 'compliance', 'accepted_beside_code_in_force', expected_base_code, 1,
         code, billed_units, claim_ids, billed_amount, NULL, NULL, NULL, active_lines, accepted_from, NULL
  FROM accepted_billed c
  WHERE EXISTS (SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = c.patient_id AND o.service_month = c.service_month
                  AND o.code = c.expected_base_code AND o.active_lines > 0)
  UNION ALL
  SELECT patient_id, service_month, 'wrong_billing_npi', 'compliance',
         CASE WHEN wrong_npi_rendered THEN 'wrong_rendering_npi' ELSE 'wrong_npi' END, CASE WHEN expected_units > 0 THEN code END,
         nullif(expected_units, 0), code, billed_units, wrong_npi_claim_ids, coalesce(wrong_npi_charge, unit_fee * billed_units),
         NULL, NULL, NULL, NULL, NULL, wrong_npis
  FROM c WHERE wrong_npi_lines > 0
  UNION ALL
  SELECT patient_id, service_month, 'missing_consent', 'compliance',
         CASE WHEN consent_date IS NULL THEN 'no_consent' ELSE 'before_consent' END,
         CASE WHEN expected_units > 0 THEN code END, nullif(expected_units, 0), code, billed_units, claim_ids, billed_amount,
         NULL, NULL, NULL, NULL, NULL, NULL
  FROM c WHERE active_lines > 0 AND (consent_date IS NULL OR consent_date > last_day(service_month))
),
-- A code billed as the minutes do not support it: unsupported_claim or wrong_code, by why
-- (billed_unsupported.reason); billed only on denied lines, a denied_claim (reason
-- `denied_unsupported`, why in `unsupported_because`, which its sentence says) with the same code
-- and threshold. Nothing stands billed and nothing was paid: $0 at stake (not unknown), and the
-- sentence says not to appeal or resubmit it as billed. In a month billed again with a code that
-- holds (billed_again), the denial is to be let stand: reason `denied_billed_again`, severity
-- review (the month's claims are right; a person checks the denial is closed, not appealed), the
-- codes the month is billed as in `billed_codes`. An add-on billed only on denied lines is judged
-- by the rule its billed lines are: 99494 by its units (units_mismatch's: the units the minutes
-- support, under the payer's cap), an APCM add-on by its checks (apcm_checked). A 99494 line of
-- more units than the minutes support, some of them, is partly supported: a revenue denied_claim
-- of the supported units (reason `denied_partly_supported`), to correct, not to appeal as billed.
unsupported AS (
  SELECT u.patient_id, u.service_month,
         CASE WHEN denied_only THEN 'denied_claim'
              WHEN reason IN ('no_rule_in_force', 'no_minutes', 'below_threshold', 'below_base', 'above_fallback_range') THEN 'unsupported_claim'
              WHEN expected_base_code IS NULL THEN 'unsupported_claim'
              ELSE 'wrong_code' END AS finding,
         CASE WHEN denied_only AND g.again THEN 'review'
              WHEN reason = 'fallback_reached_base' AND NOT denied_only THEN 'revenue' ELSE 'compliance' END AS severity,
         CASE WHEN denied_only AND g.again THEN 'denied_billed_again'
              WHEN denied_only THEN 'denied_unsupported' ELSE reason END AS reason,
         expected_base_code AS expected_code, CASE WHEN expected_base_code IS NOT NULL THEN 1 END AS expected_units, code AS billed_code,
         CASE WHEN NOT denied_only THEN billed_units END AS billed_units, claim_ids,
         CASE WHEN denied_only THEN 0
              WHEN reason = 'fallback_reached_base' THEN expected_base_amount - coalesce(unit_fee * billed_units, billed_amount)
              ELSE billed_amount END AS amount_at_stake,
         CASE WHEN reason = 'no_minutes' THEN NULL
              WHEN reason IN ('below_threshold', 'below_base') AND countable_minutes < code_from_minutes THEN code
              WHEN expected_base_code IS NULL THEN first_code
              WHEN reason IN ('payer_does_not_bill', 'fallback_reached_base') THEN expected_base_code END AS threshold_code,
         CASE WHEN reason = 'no_minutes' THEN NULL
              WHEN reason IN ('below_threshold', 'below_base') AND countable_minutes < code_from_minutes THEN code_from_minutes
              WHEN expected_base_code IS NULL THEN first_from
              WHEN reason IN ('payer_does_not_bill', 'fallback_reached_base') THEN expected_base_from END AS threshold_minutes,
         CASE WHEN reason = 'initial_once_per_year' THEN initial_code_reached_in END AS rule_date, NULL::BIGINT AS units_cap,
         CASE WHEN denied_only THEN reason END AS unsupported_because,
         CASE WHEN denied_only AND g.again THEN g.held_codes END AS billed_codes
  FROM billed_unsupported u JOIN billed_again g USING (patient_id, service_month)
  UNION ALL
  -- 99494 billed only on denied lines of more units than the minutes support
  SELECT patient_id, service_month, 'denied_claim',
         CASE WHEN g.again_add_on THEN 'review' WHEN supported_units > 0 THEN 'revenue' ELSE 'compliance' END,
         CASE WHEN g.again_add_on THEN 'denied_billed_again' WHEN supported_units > 0 THEN 'denied_partly_supported'
              ELSE 'denied_unsupported' END,
         CASE WHEN supported_units > 0 THEN code END, supported_units, code, denied_units, claim_ids,
         CASE WHEN supported_units > 0 AND NOT g.again_add_on THEN expected_amount - coalesce(paid_amount, 0) ELSE 0 END,
         NULL, NULL, NULL, CASE WHEN units_reason = 'above_cap' THEN max_99494_units END, units_reason,
         CASE WHEN g.again_add_on THEN g.held_codes END
  FROM c JOIN billed_again g USING (patient_id, service_month)
  WHERE code_role = 'add_on' AND active_lines = 0 AND denied_lines > 0 AND denied_units > supported_units
  UNION ALL
  -- an APCM add-on billed only on denied lines that the month cannot bill (or bills beside its CPT code)
  SELECT patient_id, service_month, 'denied_claim', CASE WHEN g.again THEN 'review' ELSE 'compliance' END,
         CASE WHEN g.again THEN 'denied_billed_again' ELSE 'denied_unsupported' END, why_code, why_units, code, NULL,
         claim_ids, 0, NULL, NULL, why_date, NULL, why, CASE WHEN g.again THEN g.held_codes END
  FROM apcm_checked JOIN billed_again g USING (patient_id, service_month)
  WHERE active_lines = 0
),
-- A month finding's claims: the lists of its codes' claims in one, so a claim with two of the
-- month's codes is named once.
month_rows AS (
  SELECT x.patient_id, x.service_month, x.finding, 'compliance' AS severity, x.kind AS reason,
         (SELECT string_agg(code || CASE WHEN expected_units > 1 THEN ' x' || expected_units ELSE '' END, ' + ' ORDER BY code_role <> 'add_on' DESC, code)
            FROM marts.recon_codes o WHERE o.patient_id = x.patient_id AND o.service_month = x.service_month AND o.expected_units > 0) AS expected_code,
         NULL::BIGINT AS expected_units, array_to_string(x.codes, ' + ') AS billed_code, NULL::BIGINT AS billed_units,
         (SELECT nullif(list_sort(list_distinct(flatten(list(o.claim_ids)))), []) FROM marts.recon_codes o
            WHERE o.patient_id = x.patient_id AND o.service_month = x.service_month AND list_contains(x.codes, o.code)) AS claim_ids,
         x.amount_at_stake, array_to_string(x.participants, ' and ') AS voided,
         NULL AS quarantine_file, NULL::BIGINT AS quarantine_line, NULL AS quarantine_reason,
         NULL::DATE AS rule_date, NULL AS billing_npi, x.codes AS billed_codes  -- a list, as the sentence names them
  FROM marts.recon_conflicts x
  UNION ALL
  SELECT m.patient_id, m.service_month, 'missing_consent', 'info', 'minutes_without_consent', NULL, NULL, NULL, NULL, NULL, 0,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM marts.recon_months m
  WHERE m.consent_date IS NULL AND m.unconsented_minutes > 0
    AND NOT EXISTS (SELECT 1 FROM marts.recon_codes o WHERE o.patient_id = m.patient_id AND o.service_month = m.service_month AND o.active_lines > 0)
  UNION ALL
  -- a month whose claim line is in the quarantine: every dated line of the month; a line whose date
  -- does not read, in each month whose missing claim it could be (recon_quarantined_months) and
  -- that would otherwise read missed_billing. Its expected code: the codes it holds back from
  -- missed_billing (stands_for), none when it could be the claim of none the month lacks
  SELECT q.patient_id, q.service_month, 'claim_quarantined', 'review', CASE WHEN q.undated THEN 'quarantined_undated' ELSE 'quarantined' END,
         (SELECT string_agg(code || CASE WHEN expected_units > 1 THEN ' x' || expected_units ELSE '' END, ' + ' ORDER BY code_role <> 'add_on' DESC, code)
            FROM marts.recon_codes o WHERE o.patient_id = q.patient_id AND o.service_month = q.service_month
              AND list_contains(q.stands_for, o.code)),
         NULL, q.procedure_code, NULL, CASE WHEN q.claim_id IS NOT NULL THEN [q.claim_id] END, 0, NULL, q.quarantine_file, q.quarantine_line, q.quarantine_reason,
         NULL, NULL, NULL
  FROM quarantined q
  WHERE NOT q.undated OR EXISTS (
    SELECT 1 FROM c WHERE c.patient_id = q.patient_id AND c.service_month = q.service_month AND list_contains(q.stands_for, c.code)
      AND (c.code_role = 'add_on' OR c.other_bases_billed = 0) AND NOT c.apcm_add_on_billed)
  UNION ALL
  -- no initiating visit before an episode's first billed month in the claims loaded (recon_initiating_visits)
  SELECT f.patient_id, f.service_month, 'no_initiating_visit', 'review', 'no_initiating_visit', NULL, NULL,
         (SELECT string_agg(o.code, ' + ' ORDER BY o.code) FROM marts.recon_codes o
           WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month AND o.active_lines > 0),
         NULL,
         (SELECT nullif(list_sort(list_distinct(flatten(list(o.claim_ids)))), []) FROM marts.recon_codes o
           WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month AND o.active_lines > 0),
         0, NULL, NULL, NULL, NULL, f.lookback_from, array_to_string(f.billing_npi, ', '), NULL
  FROM marts.recon_initiating_visits f
  WHERE NOT f.visit_found
),
-- A claim line dated before the day the month's countable minutes reached its code's threshold, or
-- of a code whose threshold they never reach that month (claim_date_rule: on_or_after_threshold;
-- marts.recon_claim_dates). Dated early (before_threshold_met): one finding per claim and code, with
-- that claim's own date of service (its earliest early line of the code: one line but on a claim
-- that bills the code twice, a duplicate_claim of its own), since each claim is re-dated on its
-- own and finance sorts the queue by date. Never reached (threshold_never_met): one finding per
-- code and month naming all its lines, with the earliest date: no day of the month could hold any
-- of them, the fix (void or document the time) is the month's, and its claims are those of the
-- month's unsupported_claim or wrong_code, so their dollars count once (counted_at_stake). Its
-- dollars are the lines' (their charge, else the fee): a claim dated before the work behind it is
-- what a payer takes back. A code part of a same-month conflict gets no second finding.
dated_lines AS (
  SELECT d.*, c.expected_units, c.billed_units, c.unit_fee,
         CASE WHEN d.threshold_met_on IS NULL THEN 'threshold_never_met' ELSE 'before_threshold_met' END AS reason,
         -- what one finding holds: a claim when dated early, the month's code when never datable
         CASE WHEN d.threshold_met_on IS NOT NULL THEN d.claim_id END AS one_claim
  FROM marts.recon_claim_dates d JOIN c USING (patient_id, service_month, code)
  WHERE (d.threshold_met_on IS NULL OR d.date_of_service < d.threshold_met_on) AND NOT c.in_conflict
),
dated AS (
  SELECT patient_id, service_month, 'dated_before_threshold' AS finding, 'compliance' AS severity, reason,
         CASE WHEN expected_units > 0 THEN code END AS expected_code, nullif(expected_units, 0) AS expected_units,
         -- the units its claim bills when dated early (finance corrects that claim), the month's when never datable
         code AS billed_code, CASE WHEN one_claim IS NOT NULL THEN sum(units) ELSE any_value(billed_units) END AS billed_units,
         list(DISTINCT claim_id ORDER BY claim_id) AS claim_ids,
         CASE WHEN count(*) = count(coalesce(charge_amount, unit_fee * units))
              THEN sum(coalesce(charge_amount, unit_fee * units)) END AS amount_at_stake,
         code AS threshold_code, threshold_minutes, NULL::BIGINT AS units_cap, NULL::BIGINT AS billed_lines,
         threshold_met_on AS rule_date, NULL AS billing_npi, min(date_of_service) AS date_of_service
  FROM dated_lines
  GROUP BY patient_id, service_month, code, one_claim, reason, expected_units, threshold_minutes, threshold_met_on
),
problems AS (
  SELECT patient_id, service_month, finding, severity, reason, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, threshold_code, threshold_minutes, units_cap, billed_lines, rule_date, billing_npi,
         NULL AS voided, NULL AS quarantine_file, NULL::BIGINT AS quarantine_line, NULL AS quarantine_reason,
         NULL::VARCHAR[] AS billed_codes, NULL::DATE AS date_of_service, NULL AS unsupported_because
  FROM per_code
  UNION ALL
  SELECT patient_id, service_month, finding, severity, reason, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, threshold_code, threshold_minutes, units_cap, NULL, rule_date, NULL, NULL, NULL, NULL, NULL,
         billed_codes, NULL, unsupported_because
  FROM unsupported
  UNION ALL
  SELECT patient_id, service_month, finding, severity, reason, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, NULL, NULL, NULL, NULL, rule_date, billing_npi, voided, quarantine_file, quarantine_line,
         quarantine_reason, billed_codes, NULL, NULL
  FROM month_rows
  UNION ALL
  SELECT patient_id, service_month, finding, severity, reason, expected_code, expected_units, billed_code, billed_units,
         claim_ids, amount_at_stake, threshold_code, threshold_minutes, units_cap, billed_lines, rule_date, billing_npi,
         NULL, NULL, NULL, NULL, NULL, date_of_service, NULL
  FROM dated
),
matched AS (  -- a code billed as the minutes support: expected and billed, or an accepted alternative that holds
  SELECT patient_id, service_month, 'matched' AS finding, 'info' AS severity,
         CASE WHEN expected_units > 0 THEN 'as_expected' WHEN code_role = 'apcm_add_on' THEN 'apcm_add_on' ELSE 'also_accepted' END AS reason,
         code AS expected_code, greatest(expected_units, 1) AS expected_units, code AS billed_code, billed_units, claim_ids,
         0 AS amount_at_stake, CASE WHEN code_role = 'also_accepted' THEN code END AS threshold_code,
         CASE WHEN code_role = 'also_accepted' THEN code_from_minutes END AS threshold_minutes, NULL::BIGINT AS units_cap,
         NULL::BIGINT AS billed_lines, CASE WHEN code_role = 'also_accepted' THEN accepted_from END AS rule_date,
         NULL AS billing_npi, NULL AS voided, NULL AS quarantine_file, NULL::BIGINT AS quarantine_line,
         NULL AS quarantine_reason, NULL::VARCHAR[] AS billed_codes, NULL::DATE AS date_of_service,
         NULL AS unsupported_because
  FROM c r
  WHERE holds
    -- a month with a problem has no matched rows, but for a review finding (no_initiating_visit, a
    -- denial to let stand in a month billed again) and a claim dated before its threshold was met:
    -- a date to correct, while the minutes support the units billed (a code whose threshold is never
    -- met is a units problem, and goes)
    AND NOT EXISTS (SELECT 1 FROM problems p WHERE p.patient_id = r.patient_id AND p.service_month = r.service_month
                      AND p.finding <> 'no_initiating_visit'
                      AND coalesce(p.reason, '') NOT IN ('before_threshold_met', 'denied_billed_again'))
),
unknown AS (
  SELECT patient_id, service_month, 'unknown_patient' AS finding, 'compliance' AS severity, 'unknown_patient' AS reason,
         NULL AS expected_code, NULL::BIGINT AS expected_units, code AS billed_code, max(units) AS billed_units,
         list(DISTINCT claim_id ORDER BY claim_id) AS claim_ids,
         -- what the lines that bill charge (a denied line is billed for nothing, as for a registered patient)
         CASE WHEN count(*) FILTER (WHERE bills) = count(charge_amount) FILTER (WHERE bills)
              THEN coalesce(sum(charge_amount) FILTER (WHERE bills), 0) END AS amount_at_stake,
         NULL AS threshold_code, NULL::DOUBLE AS threshold_minutes, NULL::BIGINT AS units_cap, NULL::BIGINT AS billed_lines,
         NULL::DATE AS rule_date, NULL AS billing_npi, NULL AS voided, NULL AS quarantine_file, NULL::BIGINT AS quarantine_line,
         NULL AS quarantine_reason, NULL::VARCHAR[] AS billed_codes, NULL::DATE AS date_of_service,
         NULL AS unsupported_because
  FROM marts.recon_claim_lines WHERE NOT known_patient AND time_based AND NOT voided
  GROUP BY patient_id, service_month, code
),
-- claim lines billed to a payer no coverage period of their month names (marts.recon_payer_mismatch):
-- one finding per code and payer billed, naming its claims, beside the month's other findings (its
-- matched rows stay: the minutes support the code, the payer is to check). A review finding: no
-- dollars counted, as the coverage export may be what is wrong. Its own columns, the payer billed
-- (`billed_payer`) and the month's coverage (`coverage_on_file`), are empty on every other finding.
mismatched AS (
  SELECT patient_id, service_month, 'payer_mismatch' AS finding, 'review' AS severity, 'payer_mismatch' AS reason,
         code AS billed_code, CAST(sum(units) AS BIGINT) AS billed_units, list(DISTINCT claim_id ORDER BY claim_id) AS claim_ids,
         0 AS amount_at_stake, billed_payer, coverage_on_file
  FROM marts.recon_payer_mismatch
  GROUP BY patient_id, service_month, code, billed_payer, coverage_on_file
),
decided AS (
  SELECT f.*, m.clinic_id, m.care_manager_id, m.payer, m.payer_class, m.billing_setting, m.program, m.month_type,
         m.episode_id, m.countable_minutes, m.unconsented_minutes, m.consent_date, m.code_set, m.treating_provider_npi,
         m.organization_npi, strftime(f.service_month, '%Y-%m') AS month_text,
         -- not priced: money is at stake (revenue, compliance) but no fee on file and no charge amount
         f.severity IN ('revenue', 'compliance') AND f.amount_at_stake IS NULL AS not_priced,
         marts.minutes_text(m.countable_minutes, '{} countable minutes', 'countable minutes ({} min {} s)') AS countable_text,
         -- the payer's reasons for the denied lines of the finding's code among its claims ('; ' between
         -- two): a denied_claim's, an unknown patient's denied line, a code billed again after a denial
         (SELECT string_agg(DISTINCT l.denial_reason, '; ' ORDER BY l.denial_reason) FROM marts.recon_claim_lines l
          WHERE l.patient_id = f.patient_id AND l.service_month = f.service_month AND l.denied AND l.time_based
            AND l.code = f.billed_code AND list_contains(f.claim_ids, l.claim_id)) AS denial_reason
  FROM (SELECT * FROM problems UNION ALL SELECT * FROM matched UNION ALL SELECT * FROM unknown
        UNION ALL BY NAME SELECT * FROM mismatched) f
  LEFT JOIN marts.recon_months m USING (patient_id, service_month)
),
written AS (
  SELECT *, CASE
    WHEN finding = 'matched' AND reason = 'apcm_add_on' THEN
      format('{} billed as the {} support: an APCM behavioral-health add-on (no time threshold), with an APCM base code by the same practitioner.',
             billed_code, countable_text)
    WHEN finding = 'matched' AND reason = 'also_accepted' THEN
      format('{} billed as the {} support ({} needs {:g}; accepted beside the {} codes from {}).',
             billed_code, countable_text, threshold_code, threshold_minutes, code_set, strftime(rule_date, '%Y-%m-%d'))
    WHEN finding = 'matched' THEN
      format('{}{} billed as the {} support.', billed_code,
             CASE WHEN billed_units > 1 THEN ' x' || billed_units ELSE '' END, countable_text)
    WHEN reason = 'not_billed' THEN
      format('{} in {} support {}{} but no claim line bills it{}; bill it.',  -- a capital to start the sentence
             upper(left(countable_text, 1)) || substr(countable_text, 2), month_text, expected_code, CASE WHEN expected_units > 1 THEN ' x' || expected_units ELSE '' END,
             CASE WHEN claims_text IS NOT NULL THEN format(' ({} voided)', claims_were) ELSE '' END)
    WHEN reason = 'denied_units' THEN
      format('{} x{} on {} denied{} although {} support it beside the x{} billed on another line; {}.',
             billed_code, expected_units, claims_were, denial_said,
             countable_text, billed_units,
             denial_advice)
    -- A denied line the month does not support, and why (marts.unsupported_why, in the words its
    -- unsupported_claim or wrong_code would say it): not to appeal or resubmit as billed, naming the
    -- code the minutes support in its place where the words before have not named it; in a month
    -- billed again, to let stand; a 99494 line of more units than the minutes support, to correct.
    WHEN reason = 'denied_unsupported' THEN
      format('{}{} on {} denied{}, and {}: do not appeal or resubmit it as billed{}.',
             billed_code, CASE WHEN billed_units IS NOT NULL THEN ' x' || billed_units ELSE '' END, claims_were,
             denial_said, why_text,
             CASE WHEN expected_code IS NOT NULL AND NOT contains(why_text, expected_code)
                  THEN format('; the month''s minutes support {}', expected_code) ELSE '' END)
    WHEN reason = 'denied_billed_again' THEN
      format('{}{} on {} denied{}: {}; let the denial stand, do not appeal or resubmit it: the month is billed as {}.',
             billed_code, CASE WHEN billed_units IS NOT NULL THEN ' x' || billed_units ELSE '' END, claims_were,
             denial_said, why_text, marts.codes_text(billed_codes))
    WHEN reason = 'denied_partly_supported' THEN
      format('{} x{} on {} denied{}, and {}: do not appeal it as billed; correct the units to x{} and resubmit.',
             billed_code, billed_units, claims_were, denial_said, why_text,
             expected_units)
    WHEN reason = 'denied' THEN  -- what to do, by the reason's CARC code (the rules' denial_advice)
      format('{} on {} denied{} although {} support it; {}.',
             billed_code, claims_were, denial_said, countable_text,
             denial_advice)
    WHEN finding = 'units_mismatch' THEN format('{} billed x{} but {}; correct the units.', billed_code, billed_units, why_text)
    -- a code billed as the month does not support it: why (marts.unsupported_why), then what to do
    WHEN finding IN ('unsupported_claim', 'wrong_code') AND reason <> 'initial_with_subsequent' THEN
      format('{} {} but {}; {}.', claim_bills, billed_code, why_text,
             CASE WHEN reason IN ('payer_does_not_bill', 'fallback_reached_base') AND expected_code IS NOT NULL
                    THEN format('bill {} instead', expected_code)
                  WHEN reason = 'outside_code_set' AND expected_code IS NOT NULL THEN format('the code in force is {}', expected_code)
                  WHEN reason IN ('below_base', 'initial_in_subsequent', 'initial_once_per_year') THEN format('bill {}', expected_code)
                  WHEN reason = 'subsequent_in_initial' THEN format('the initial month bills {}', expected_code)
                  WHEN reason = 'no_rule_in_force' THEN 'void ' || the_lines
                  WHEN reason = 'no_apcm_base' THEN 'an APCM behavioral-health add-on is billed only with its base code: add the base code or void ' || the_lines
                  WHEN reason = 'before_billable' THEN 'void ' || the_lines || coalesce(' and bill ' || expected_code, '')
                  WHEN reason = 'other_program' THEN coalesce('the add-on for this month is ' || expected_code, 'void ' || the_lines)
                  WHEN reason = 'other_month_type' THEN format('bill {} instead', coalesce(expected_code, 'nothing'))
                  ELSE 'void ' || the_lines || ' or document the time' END)
    WHEN reason = 'accepted_beside_code_in_force' THEN
      format('{} and {} are billed for {}: {} is accepted in place of {} from {}, not beside it, so the month''s {} is billed twice; void the {} line (claim {}).',
             expected_code, billed_code, month_text, billed_code, expected_code, strftime(rule_date, '%Y-%m-%d'),
             CASE program WHEN 'general_bhi' THEN 'general BHI' ELSE 'CoCM' END, billed_code, claims_text)
    WHEN reason = 'add_on_beside_base' THEN
      format('{} and {} are billed for {}: {}; void the {} line (claim {}).',
             expected_code, billed_code, month_text, why_text, billed_code, claims_text)
    WHEN finding = 'duplicate_claim' THEN
      format('{} is billed {} times for {} (claim{} {}); the earliest line stands: void the later {}.', billed_code, billed_lines,
             month_text, CASE WHEN len(claim_ids) > 1 THEN 's' ELSE '' END, claims_text,
             CASE WHEN billed_lines > 2 THEN 'lines' ELSE 'line' END)
    WHEN reason = 'wrong_rendering_npi' THEN
      format('{} {} under the clinic''s organization NPI {} with NPI {} as rendering provider, not the treating practitioner''s NPI {}; name the treating practitioner as rendering provider.',
             claim_bills, billed_code, organization_npi, billing_npi, treating_provider_npi)
    WHEN finding = 'wrong_billing_npi' THEN
      format('{} {} under NPI {}, not the treating practitioner''s NPI {}{}; rebill under the treating practitioner.',
             claim_bills, billed_code, billing_npi, treating_provider_npi,
             CASE WHEN organization_npi IS NOT NULL THEN format(' or the clinic''s organization NPI {}', organization_npi) ELSE '' END)
    WHEN reason = 'no_consent' THEN
      format('{} is billed for {} but the patient has no consent on file; record the consent or void the line.', billed_code, month_text)
    WHEN reason = 'before_consent' THEN
      format('{} is billed for {} but consent is dated {}, after that month; bill only months from consent on.',
             billed_code, month_text, strftime(consent_date, '%Y-%m-%d'))
    WHEN reason = 'minutes_without_consent' THEN
      format('{} of care-management time logged in {} but the patient has no consent on file; they count only once consent is recorded.',
             marts.minutes_text(unconsented_minutes, '{} minutes', '{} min {} s'), month_text)
    WHEN reason = 'cocm_with_bhi' THEN
      format('{} billed in one month: CoCM and general BHI are never billed together for a patient; void the {} line(s).',
             marts.codes_text(billed_codes), coalesce(nullif(voided, ''), 'unsupported'))
    WHEN reason = 'fallback_with_base' THEN
      format('{} billed in one month: G2214 applies only when 99492/99493 is not reached; void the {} line.',
             marts.codes_text(billed_codes), coalesce(nullif(voided, ''), 'unsupported'))
    WHEN reason = 'add_on_without_base' THEN
      format('{} billed without 99492 or 99493 in the month; an add-on needs its base code on the claim.',
             marts.codes_text(billed_codes))
    WHEN reason = 'initial_with_subsequent' THEN
      format('{} billed in one month; {}', marts.codes_text(billed_codes),
             CASE WHEN expected_code IS NULL THEN 'neither is supported: void both lines or document the time.'
                  ELSE format('only {} is supported: void the {} line.', expected_code, coalesce(nullif(voided, ''), 'other')) END)
    WHEN reason = 'add_on_with_mirror' THEN
      format('{} billed in one month: an APCM add-on and the code it mirrors are never billed together for a patient; void the {} line.',
             marts.codes_text(billed_codes), voided)
    WHEN reason = 'quarantined' THEN
      format('A claim line for this month is in the quarantine: {} line {}, {}; fix it and reload before acting.',
             quarantine_file, quarantine_line, quarantine_reason)
    WHEN reason = 'quarantined_undated' THEN
      format('A claim line of this patient whose date of service does not read is in the quarantine: {} line {}, {}; it may be this month''s claim: fix it and reload before acting.',
             quarantine_file, quarantine_line, quarantine_reason)
    WHEN reason = 'no_initiating_visit' THEN
      format('No E/M, AWV, IPPE or TCM claim by the billing practitioner (NPI {}) from {} through {} is in the claims you loaded, and {} is the first billed month of episode {}: CoCM and BHI need an initiating visit when the practitioner has not seen the patient in that time. Check the visit; claims exports are often partial.',
             coalesce(billing_npi, treating_provider_npi), strftime(rule_date, '%Y-%m'), month_text, month_text, episode_id)
    WHEN reason = 'before_threshold_met' AND threshold_minutes = 0 THEN
      format('{} {} dated {}, before any countable minutes of {} were logged (the first on {}); a claim is dated no earlier than the work behind it: correct the date of service to {} or later.',
             claim_bills, billed_code, strftime(date_of_service, '%Y-%m-%d'), month_text, strftime(rule_date, '%Y-%m-%d'),
             strftime(rule_date, '%Y-%m-%d'))
    WHEN reason = 'before_threshold_met' THEN
      format('{} {} dated {}, but the month''s countable minutes reached its threshold ({} needs {:g}) only on {}; a claim is dated no earlier than the work behind it: correct the date of service to {} or later.',
             claim_bills, billed_code, strftime(date_of_service, '%Y-%m-%d'), threshold_code, threshold_minutes,
             strftime(rule_date, '%Y-%m-%d'), strftime(rule_date, '%Y-%m-%d'))
    WHEN reason = 'threshold_never_met' AND threshold_minutes = 0 THEN
      format('{} {} dated {}, but no countable minutes are logged in {}, so there is no day it could be dated; void {} or document the time.',
             claim_bills, billed_code, strftime(date_of_service, '%Y-%m-%d'), month_text, the_lines)
    WHEN reason = 'threshold_never_met' THEN
      format('{} {} dated {}, but the {} in {} never reach its threshold ({} needs {:g}), so there is no day it could be dated; void {} or document the time.',
             claim_bills, billed_code, strftime(date_of_service, '%Y-%m-%d'), countable_text, month_text, threshold_code,
             threshold_minutes, the_lines)
    WHEN reason = 'payer_mismatch' THEN
      format('{} {} to {}, but the coverage on file for {} is {}, and the month''s codes, units and fee follow {}''s rules; a claim to another payer is denied, or paid and taken back later. Check the patient''s coverage: rebill {}, or correct the coverage export if {} covered {}.',
             claim_bills, billed_code, billed_payer, month_text, coverage_on_file, payer, payer, billed_payer, month_text)
    WHEN finding = 'unknown_patient' THEN
      format('{} {} for patient id {}, who is not in the registry; correct the patient id or enrol the patient.',
             claim_bills, billed_code, patient_id)
  END || unpriced_note AS explanation
  -- why the month does not support a code as billed (by its reason, or a denied line's
  -- unsupported_because), in the words every sentence about it says it
  FROM (SELECT *, marts.unsupported_why(coalesce(unsupported_because, reason), w) AS why_text
        FROM (SELECT *, array_to_string(claim_ids, ', ') AS claims_text,  -- the claims as a person reads them
                  -- a sentence's subject, in the plural when it names several claims
                  CASE WHEN len(claim_ids) > 1 THEN 'Claims ' || array_to_string(claim_ids, ', ') || ' bill'
                       ELSE 'Claim ' || array_to_string(claim_ids, ', ') || ' bills' END AS claim_bills,
                  CASE WHEN len(claim_ids) > 1 THEN 'claims ' || array_to_string(claim_ids, ', ') || ' were'
                       ELSE 'claim ' || array_to_string(claim_ids, ', ') || ' was' END AS claims_were,
                  CASE WHEN len(claim_ids) > 1 THEN 'the lines' ELSE 'the line' END AS the_lines,
                  -- a denied line's reason as each denied_claim sentence gives it, after "was denied"
                  coalesce(format(' (the payer''s reason: {})', denial_reason), '') AS denial_said,
                  -- what to do with a denied line, by its reason's CARC code (the rules' denial_advice;
                  -- the code's form: config.rules.CARC_IN_REASON)
                  CASE WHEN finding = 'denied_claim' THEN
                    coalesce((SELECT a.advice FROM config.denial_advice a
                              WHERE a.carc = upper(regexp_extract(denial_reason, a.reason_pattern, 1))),
                             'correct and resubmit or appeal') END AS denial_advice,
                  CASE WHEN threshold_code IS NOT NULL THEN format(' ({} needs {:g})', threshold_code, threshold_minutes)
                       ELSE '' END AS threshold_note,  -- the threshold that applied, as the sentences quote it
                  CASE WHEN NOT not_priced THEN ''  -- why the dollars at stake are unknown
                       WHEN finding = 'unknown_patient' THEN ' A claim line has no charge amount: the dollars at stake are unknown.'
                       ELSE format(' No fee is on file for {} in {}{}: the dollars at stake are unknown.',
                                   CASE WHEN finding IN ('missed_billing', 'denied_claim') THEN expected_code
                                        WHEN reason = 'fallback_reached_base' THEN expected_code || ' or ' || billed_code
                                        ELSE coalesce(nullif(voided, ''), billed_code) END, month_text,
                                   CASE WHEN finding IN ('missed_billing', 'denied_claim') THEN ''
                                        ELSE ' and the claim line has no charge amount' END) END AS unpriced_note
              FROM decided) w)
)
SELECT f.patient_id, f.service_month, f.finding, f.severity, f.expected_code, f.expected_units, f.billed_code,
       f.billed_units, f.claims_text AS claim_ids, round(f.amount_at_stake, 2) AS amount_at_stake,  -- NULL: not priced (no fee on file, no charge)
       -- the finding's dollars as a month's totals count them: the same billed code on the same claims
       -- at stake twice in a severity (missing_consent and unsupported_claim) counts once
       round(CASE WHEN f.claim_ids IS NOT NULL AND row_number() OVER (
                    PARTITION BY f.patient_id, f.service_month, f.severity, f.billed_code, f.claim_ids
                    ORDER BY f.amount_at_stake DESC NULLS LAST, f.finding) > 1 THEN 0
                  ELSE f.amount_at_stake END, 2) AS counted_at_stake,
       f.not_priced, f.explanation,
       f.clinic_id, f.care_manager_id, f.payer, f.payer_class, f.billing_setting, f.program, f.month_type,
       f.episode_id, f.countable_minutes,
       round((SELECT sum(expected_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month), 2) AS month_expected_amount,
       -- a patient not in the registry has no codes reconciled: their month's claims, as marts.recon_monthly_totals counts them
       round(CASE WHEN f.finding = 'unknown_patient'
                  THEN (SELECT sum(charge_amount) FILTER (WHERE bills) FROM marts.recon_claim_lines o
                        WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month AND o.time_based)
                  ELSE (SELECT sum(billed_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month)
             END, 2) AS month_billed_amount,
       round(CASE WHEN f.finding = 'unknown_patient'
                  THEN (SELECT sum(paid_amount) FILTER (WHERE NOT voided) FROM marts.recon_claim_lines o
                        WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month AND o.time_based)
                  ELSE (SELECT sum(paid_amount) FROM marts.recon_codes o WHERE o.patient_id = f.patient_id AND o.service_month = f.service_month)
             END, 2) AS month_paid_amount,
       f.reason, f.code_set, f.threshold_code, f.threshold_minutes, f.units_cap, f.billed_lines, f.unconsented_minutes,
       f.consent_date, f.rule_date, f.date_of_service, f.billing_npi, f.treating_provider_npi, f.organization_npi,
       f.quarantine_file, f.quarantine_line, f.quarantine_reason, f.denial_reason, f.billed_payer, f.coverage_on_file
FROM written f
