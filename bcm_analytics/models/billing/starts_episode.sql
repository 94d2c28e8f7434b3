-- Whether a month of service starts a new episode: there is no earlier month of service, or the
-- months between the previous one and this one (exclusive) number `gap_months` or more
-- (billing_rules.md section 2: 6 empty calendar months end an episode).
-- kind: macro
CREATE OR REPLACE MACRO marts.starts_episode(previous_month, month_, gap_months) AS
  previous_month IS NULL OR datediff('month', previous_month, month_) - 1 >= gap_months
