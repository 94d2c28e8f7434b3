-- What a month's countable minutes bill under the code set in force (billing_rules.md section 1):
-- the base code of the month type once its threshold is reached; otherwise the fallback (G2214)
-- when the payer bills it and the minutes are in its range; add-on units (99494) for each
-- further step past the base code's base time, capped per payer; and the next threshold up,
-- for the near-threshold worklist. Applied to {months}: rows shaped like billing_episode_months.
SELECT *,
  CASE WHEN reaches_base THEN base_code WHEN reaches_fallback THEN fallback_code END AS billed_base_code,
  CASE WHEN fallback_possible AND countable_minutes < fallback_from THEN fallback_code
       WHEN countable_minutes < base_from THEN base_code
       WHEN add_on_code IS NOT NULL AND (max_99494_units IS NULL OR add_on_units < max_99494_units) THEN add_on_code
  END AS next_code,
  CASE WHEN fallback_possible AND countable_minutes < fallback_from THEN 1
       WHEN countable_minutes < base_from THEN 1
       ELSE add_on_units + 1 END AS next_units,
  CASE WHEN fallback_possible AND countable_minutes < fallback_from THEN fallback_from
       WHEN countable_minutes < base_from THEN base_from
       ELSE base_minutes + add_on_from_extra + add_on_units * add_on_step END AS next_from
FROM (
  SELECT *,
    CASE WHEN reaches_base AND add_on_code IS NOT NULL AND countable_minutes - base_minutes >= add_on_from_extra
         THEN CAST(least(floor((countable_minutes - base_minutes - add_on_from_extra) / add_on_step) + 1,
                         coalesce(max_99494_units, 1000000)) AS BIGINT)
         ELSE 0 END AS add_on_units
  FROM (
    SELECT *,
      countable_minutes >= base_from AS reaches_base,
      fallback_possible AND countable_minutes < base_from AND countable_minutes >= fallback_from
        AND (countable_minutes <= fallback_to OR (month_type = 'initial' AND g2214_initial_31_35)) AS reaches_fallback
    FROM (
      SELECT *,
        CASE month_type WHEN 'initial' THEN initial_code ELSE subsequent_code END AS base_code,
        CASE month_type WHEN 'initial' THEN initial_from ELSE subsequent_from END AS base_from,
        CASE month_type WHEN 'initial' THEN initial_base ELSE subsequent_base END AS base_minutes,
        bills_g2214 AND fallback_code IS NOT NULL AS fallback_possible
      FROM {months})))
