-- What is wrong with a billed APCM behavioral-health add-on (G0568 mirrors 99492, G0569 mirrors
-- 99493, G0570 mirrors 99484; billing_rules.md section 4, APCM), or NULL when the month supports
-- it. The add-ons have no time threshold, but need, in order: an APCM base code (G0556-G0558) by
-- the same practitioner in the month, on a line billed or denied, not voided ('no_apcm_base'),
-- countable minutes that month ('no_minutes'), a month from their first billable day on ('before_billable'), the patient's
-- program ('other_program') and the add-on's month type of the episode ('other_month_type'; G0570
-- is for any month). `a` is the add-on's row of config.apcm_add_ons; an add-on with its mirror
-- code in the same month is a same-month conflict (recon_conflicts).
-- kind: macro
CREATE OR REPLACE MACRO marts.apcm_add_on_problem(a, with_apcm_base, minutes, month_, program_, month_type_) AS
  CASE WHEN NOT with_apcm_base THEN 'no_apcm_base'
       WHEN minutes IS NULL OR minutes <= 0 THEN 'no_minutes'
       WHEN month_ < a.billable_from THEN 'before_billable'
       WHEN a.program <> program_ THEN 'other_program'
       WHEN a.month_type <> 'any' AND a.month_type IS DISTINCT FROM month_type_ THEN 'other_month_type'
  END
