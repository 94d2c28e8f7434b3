-- Clinically significant improvement (MHIP), also "at target" for treat-to-target: a score below
-- improvement_below (10) or a response.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_improved(score, baseline) AS
  score < (SELECT improvement_below FROM config.outcome_settings) OR marts.is_response(score, baseline)
