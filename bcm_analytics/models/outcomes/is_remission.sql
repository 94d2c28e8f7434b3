-- Remission: a score below remission_below (5); a score of 5 is not remission.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_remission(score) AS
  score < (SELECT remission_below FROM config.outcome_settings)
