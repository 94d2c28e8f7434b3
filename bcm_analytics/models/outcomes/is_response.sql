-- Response: a score at or below response_max_fraction (50%) of the baseline; exactly 50% counts.
-- kind: macro
CREATE OR REPLACE MACRO marts.is_response(score, baseline) AS
  score <= round((SELECT response_max_fraction FROM config.outcome_settings) * baseline, 6)
