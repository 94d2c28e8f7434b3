-- Every billed or expected patient-month (marts.audit_patient_months) as an audit packet's header
-- reads it: the patient and where their row came from (the consent date's source file and line;
-- the month's enrolment, and its own discharge: marts.enrolment_periods), an earlier enrolment whose
-- days reach into the month (`earlier_enrolments`: a discharge on the 3rd and a re-enrolment on
-- the 20th; its entries are judged by its consent, core.enrolment_on, so the packet names it),
-- the episode and why the month is initial or subsequent, the minutes, the rule in force with its
-- thresholds, what the minutes bill and why, what was billed, and the reconciliation findings.
-- Sentences are written from columns the billing and reconciliation marts decided; nothing is
-- decided here.
-- kind: view
WITH ep AS (
  SELECT patient_id, service_month, episode_id, episode_start, month_type,
         lag(service_month) OVER (PARTITION BY patient_id ORDER BY service_month) AS previous_service_month,
         row_number() OVER (PARTITION BY patient_id, episode_id ORDER BY service_month) AS month_of_episode
  FROM marts.episodes
),
ruled AS (
  SELECT k.patient_id, k.service_month, y.* EXCLUDE (patient_id, from_month, until_month, payer_source),
         s.discharge_date,
         marts.rule_in_force(y.payer, y.payer_class, y.billing_setting, y.program, k.service_month) AS r,
         s.source_file AS patient_source_file, s.source_line AS patient_source_line, s.source_load_id AS patient_load_id,
         (SELECT list({enrollment_date: x.enrollment_date, discharge_date: x.discharge_date, consent_date: x.consent_date,
                       source_file: x.source_file, source_line: x.source_line} ORDER BY x.enrollment_date)
          FROM core.enrolments x WHERE x.patient_id = k.patient_id AND x.enrollment_date < s.enrollment_date
            AND x.discharge_date >= k.service_month AND x.enrollment_date <= last_day(k.service_month)) AS earlier_enrolments
  FROM marts.audit_patient_months k
  JOIN marts.month_terms y ON y.patient_id = k.patient_id AND k.service_month BETWEEN y.from_month AND y.until_month
  JOIN marts.enrolment_periods s  -- the patients row of the month's enrolment (a re-enrolment replaced an earlier one's)
    ON s.patient_id = k.patient_id AND k.service_month BETWEEN s.from_month AND s.until_month
),
expected AS (
  SELECT patient_id, service_month, sum(expected_amount) AS expected_amount, count(*) AS expected_lines
  FROM marts.billing_lines GROUP BY patient_id, service_month
),
billed AS (
  SELECT patient_id, service_month,
         string_agg(code || CASE WHEN units > 1 THEN ' x' || units ELSE '' END || CASE WHEN denied THEN ' (denied)' WHEN voided THEN ' (voided)' ELSE '' END,
                    ' + ' ORDER BY claim_id, line_number) FILTER (WHERE time_based) AS billed_codes,
         sum(charge_amount) FILTER (WHERE time_based AND bills) AS billed_amount,
         sum(paid_amount) FILTER (WHERE time_based AND NOT voided) AS paid_amount,
         string_agg(DISTINCT code, ' + ' ORDER BY code) FILTER (WHERE NOT time_based) AS other_codes,
         count(*) AS claim_lines
  FROM marts.recon_claim_lines WHERE known_patient GROUP BY patient_id, service_month
),
found AS (
  SELECT patient_id, service_month, string_agg(DISTINCT finding, ', ' ORDER BY finding) AS findings,
         bool_and(finding = 'matched') AS reconciled,
         bool_or(finding = 'claim_quarantined') AS claim_quarantined  -- a claim line of the month was set aside at load
  FROM marts.recon_findings GROUP BY patient_id, service_month
),
joined AS (
  SELECT k.*, c.clinic_name, pl.finished_at AS patient_loaded_at,
         e.episode_id, e.episode_start, e.month_type, e.previous_service_month, e.month_of_episode,
         coalesce(m.logged_minutes, 0) AS logged_minutes, coalesce(m.countable_minutes, 0) AS countable_minutes,
         coalesce(m.entries, 0) AS entries, coalesce(m.counted_entries, 0) AS counted_entries,
         mc.billed_base_code, mc.add_on_units, mc.next_code, mc.next_units, mc.next_from,
         concat_ws(' + ', mc.billed_base_code, CASE WHEN mc.add_on_units > 0
                   THEN mc.add_on_code || CASE WHEN mc.add_on_units > 1 THEN ' x' || mc.add_on_units ELSE '' END END) AS expected_codes,
         x.expected_amount, coalesce(x.expected_lines, 0) AS expected_lines,
         b.billed_codes, b.billed_amount, b.paid_amount, b.other_codes, coalesce(b.claim_lines, 0) AS claim_lines, f.findings, f.reconciled,
         coalesce(f.claim_quarantined, false) AS claim_quarantined,
         marts.month_base(k.r, coalesce(e.month_type, 'subsequent')) AS base,
         format('{:g}', CAST(coalesce(m.countable_minutes, 0) AS DOUBLE)) AS minutes_text
  FROM ruled k
  LEFT JOIN meta.load_log pl ON pl.load_id = k.patient_load_id
  LEFT JOIN staging.clinics c ON c.clinic_id = k.clinic_id
  LEFT JOIN ep e USING (patient_id, service_month)
  LEFT JOIN marts.countable_minutes m USING (patient_id, service_month)
  LEFT JOIN marts.billing_month_codes mc USING (patient_id, service_month)
  LEFT JOIN expected x USING (patient_id, service_month)
  LEFT JOIN billed b USING (patient_id, service_month)
  LEFT JOIN found f USING (patient_id, service_month)
)
SELECT patient_id, service_month, clinic_id, clinic_name, care_manager_id, treating_provider_npi,
       payer, payer_class, payer_mapped, billing_setting, program, enrollment_date, consent_date, discharge_date,
       patient_source_file, patient_source_line, patient_load_id, patient_loaded_at, earlier_enrolments,
       episode_id, episode_start, month_of_episode, month_type, previous_service_month,
       CASE
         WHEN month_type IS NULL THEN
           'No countable minutes this month: it is not a month of service, so it has no episode or month type.'
         WHEN month_type = 'initial' AND service_month = episode_start AND previous_service_month IS NULL THEN
           format('Initial: the first month with countable minutes for this patient, so it starts episode {}.', episode_id)
         WHEN month_type = 'initial' AND service_month = episode_start THEN
           format('Initial: it starts episode {}: the previous month of service was {}, and {} or more calendar months in a row without countable minutes end an episode.',
                  episode_id, strftime(previous_service_month, '%Y-%m'), r.episode_gap_months)
         WHEN month_type = 'initial' THEN
           format('Initial, carried forward: no earlier month of episode {} reached {} ({:g} minutes), and the rules keep the month type initial until one does.',
                  episode_id, r.initial_code, r.initial_from)
         WHEN service_month = episode_start THEN
           format('Subsequent: it starts episode {}, but {} was already reached in {} in an earlier episode and the payer allows it once per calendar year.',
                  episode_id, r.initial_code, year(service_month))
         ELSE
           format('Subsequent: month of service {} of episode {} (begun {}); the previous month of service was {}, fewer than {} empty months before, so the episode continues.',
                  month_of_episode, episode_id, strftime(episode_start, '%Y-%m'), strftime(previous_service_month, '%Y-%m'), r.episode_gap_months)
       END || CASE WHEN month_type IS NOT NULL AND r.initial_code = r.subsequent_code
                   THEN format(' The code set {} bills one monthly code ({}) whatever the month type.', r.code_set, r.initial_code)
                   ELSE '' END AS month_type_reason,
       logged_minutes, countable_minutes, logged_minutes - countable_minutes AS minutes_not_counted, entries, counted_entries,
       rs.ruleset, r.valid_from AS rule_valid_from, r.valid_to AS rule_valid_to, r.code_set,
       r.initial_code, r.initial_from, r.initial_base, r.subsequent_code, r.subsequent_from, r.subsequent_base,
       r.add_on_code, r.add_on_step, r.add_on_from_extra, r.max_99494_units,
       r.fallback_code, r.fallback_from, r.fallback_to, r.bills_g2214, r.g2214_initial_31_35,
       r.countable_activities, r.countable_roles, r.episode_gap_months, r.carry_initial_forward, r.initial_code_once_per,
       billed_base_code, add_on_units, next_code, next_units, next_from, nullif(expected_codes, '') AS expected_codes,
       CASE
         WHEN r IS NULL THEN 'No billing rule is in force for this patient-month, so it bills nothing.'
         WHEN countable_minutes = 0 THEN 'No countable minutes, so the month bills nothing.'
         WHEN billed_base_code IS NULL THEN
           format('{} countable minutes reach no code{}.', minutes_text,
                  CASE WHEN next_code IS NOT NULL THEN format(' (the first, {}, needs {:g})', next_code, next_from) ELSE '' END)
         ELSE format('{} countable minutes in {} month reach {} (from {:g} minutes){}{}.', minutes_text,
                     CASE month_type WHEN 'initial' THEN 'an initial' ELSE 'a subsequent' END, billed_base_code,
                     CASE WHEN billed_base_code = base.code THEN base.from_minutes ELSE r.fallback_from END,
                     CASE WHEN add_on_units > 0
                          THEN format(' and {} x{} for the time past the {:g}-minute base time{}', r.add_on_code, add_on_units, base.base_minutes,
                                      CASE WHEN add_on_units = r.max_99494_units  -- the cap, not the minutes, may stop the units
                                           THEN format(' (the payer allows at most {} a month)', r.max_99494_units) ELSE '' END)
                          ELSE '' END,
                     CASE WHEN next_code IS NOT NULL
                          THEN format('; the next code ({}{}) would need {:g}', next_code,
                                      CASE WHEN next_code = r.add_on_code THEN ' x' || next_units ELSE '' END, next_from)
                          ELSE '' END)
       END AS codes_reason,
       expected_amount, expected_lines, billed_codes, billed_amount, paid_amount, other_codes, claim_lines, findings, reconciled, claim_quarantined
FROM joined CROSS JOIN config.ruleset rs
