-- Why the month does not support a code as billed, in the words every finding about it says it
-- (billing_rules.md section 6): the unsupported_claim and wrong_code sentences ("Claim C2 bills
-- 99493 but <why>; bill G2214."), a denied line's ("99493 on claim C2 was denied, and <why>: do
-- not appeal or resubmit it as billed."), units_mismatch's and add_on_beside_base's. The words were
-- written once per sentence and could drift apart (a denied line saying one thing, the same code
-- billed another). `why` is the rule that decided it (recon_findings' reason, or for a denied line
-- unsupported_because); `f` the finding's row as recon_findings writes its sentence, of which it
-- reads billed_code, expected_code, expected_units, units_cap, threshold_note, rule_date,
-- countable_text, countable_minutes, unconsented_minutes, consent_date, month_text, month_type,
-- episode_id, payer, payer_class, billing_setting and program. An independent clause naming the
-- month where it matters, without the action (what to bill, void or let stand is the finding's);
-- NULL for a reason it does not know.
-- kind: macro
CREATE OR REPLACE MACRO marts.unsupported_why(why, f) AS
  CASE why
    -- base codes and G2214 (recon_findings.billed_unsupported)
    WHEN 'no_rule_in_force' THEN
      format('no code is billable for this {} patient ({}, {}) in {} under the rules in force, so its minutes count toward none',
             f.payer_class, f.billing_setting, f.program, f.month_text)
    WHEN 'no_minutes' THEN
      format('no countable minutes are logged in {}{}', f.month_text,
             CASE WHEN f.unconsented_minutes > 0
                  THEN format(' ({} logged {})', marts.minutes_text(f.unconsented_minutes, '{}', '{} min {} s'),
                              CASE WHEN f.consent_date IS NULL THEN 'with no consent on file' ELSE 'before consent' END)
                  ELSE '' END)
    WHEN 'payer_does_not_bill' THEN
      format('{} ({}) does not pay it (bills_g2214 is off for this payer), and the {} in {} {}{}',
             f.payer, f.payer_class, f.countable_text, f.month_text,
             CASE WHEN f.expected_code IS NULL THEN 'support no code it pays' ELSE 'reach ' || f.expected_code END, f.threshold_note)
    WHEN 'outside_code_set' THEN
      format('it is not billable for this {} patient ({}, {}) in {}{}', f.payer_class, f.billing_setting, f.program, f.month_text,
             CASE WHEN f.expected_code IS NULL THEN format(', and the {} support no code{}', f.countable_text, f.threshold_note)
                  ELSE '' END)
    WHEN 'above_fallback_range' THEN  -- g2214_initial_31_35 off (billing_rules.md section 1)
      format('the {} in {} are past its range in {} month{} and reach no other code{}',
             f.countable_text, f.month_text, CASE f.month_type WHEN 'initial' THEN 'an initial' ELSE 'a subsequent' END,
             CASE WHEN f.month_type = 'initial' THEN ' (g2214_initial_31_35 is off)' ELSE '' END, f.threshold_note)
    WHEN 'below_threshold' THEN format('the {} in {} support no code{}', f.countable_text, f.month_text, f.threshold_note)
    WHEN 'fallback_reached_base' THEN format('the {} in {} reach {}{}', f.countable_text, f.month_text, f.expected_code, f.threshold_note)
    WHEN 'below_base' THEN format('the {} in {} reach only {}{}', f.countable_text, f.month_text, f.expected_code, f.threshold_note)
    WHEN 'initial_once_per_year' THEN
      format('this payer bills {} once per calendar year and an earlier episode reached it in {}',
             f.billed_code, strftime(f.rule_date, '%Y-%m'))
    WHEN 'initial_in_subsequent' THEN
      format('{} is a subsequent month of episode {} ({} is billed once, in the initial month)', f.month_text, f.episode_id, f.billed_code)
    WHEN 'subsequent_in_initial' THEN format('{} is the initial month of episode {}', f.month_text, f.episode_id)
    -- the add-on's units (99494): those the minutes support, under the payer's cap
    WHEN 'units' THEN format('the {} support x{}', f.countable_text, f.expected_units)
    WHEN 'above_cap' THEN
      format('the {} support x{} (the payer allows at most {} a month)', f.countable_text, f.expected_units, f.units_cap)
    -- APCM behavioral-health add-ons (marts.apcm_add_on_problem; beside the CPT base code the minutes support)
    WHEN 'no_apcm_base' THEN
      format('no APCM base code (G0556, G0557 or G0558) by the same practitioner is billed with it{} in {}',
             CASE WHEN f.countable_minutes = 0 THEN ', and no countable minutes are logged' ELSE '' END, f.month_text)
    WHEN 'before_billable' THEN
      format('the APCM add-ons are billable only from {}, not in {}', strftime(f.rule_date, '%Y-%m-%d'), f.month_text)
    WHEN 'other_program' THEN format('it is an APCM add-on of another program than this patient''s ({})', f.program)
    WHEN 'other_month_type' THEN
      format('{} is {} month of episode {}, which bills {}', f.month_text,
             CASE f.month_type WHEN 'initial' THEN 'the initial' ELSE 'a subsequent' END, f.episode_id,
             coalesce(f.expected_code, 'no add-on'))
    WHEN 'add_on_beside_base' THEN
      format('{} bills the month''s {}, and {}, an APCM add-on the month cannot bill, would bill it again',
             f.expected_code, CASE f.program WHEN 'general_bhi' THEN 'general BHI' ELSE 'CoCM' END, f.billed_code)
  END
