-- Minutes as a sentence writes them: whole minutes in the form `whole` ('{} countable minutes'),
-- others in `with_seconds` ('countable minutes ({} min {} s)'), to the whole second, as a month's
-- minutes are counted (marts.month_minutes). A decimal ran long (35.9833) and, rounded, would
-- reach a threshold the minutes miss (36.0 where 99492 needs 36).
-- kind: macro
CREATE OR REPLACE MACRO marts.minutes_text(minutes, whole, with_seconds) AS
  CASE WHEN CAST(round(minutes * 60) AS BIGINT) % 60 = 0 THEN format(whole, CAST(round(minutes * 60) AS BIGINT) // 60)
       ELSE format(with_seconds, CAST(round(minutes * 60) AS BIGINT) // 60, CAST(round(minutes * 60) AS BIGINT) % 60) END
