-- A hospital stay's admission or discharge as an audit reason writes it, on the clinic's clock:
-- the date and time of day where the export gave a time (`has_time_`), else the date alone, so a
-- reason never shows a midnight the export did not say.
-- kind: macro
CREATE OR REPLACE MACRO marts.stay_time_text(at_, has_time_) AS
  CASE WHEN has_time_ THEN strftime(at_, '%Y-%m-%d %H:%M') ELSE strftime(at_, '%Y-%m-%d') END
