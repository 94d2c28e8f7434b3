-- Distribution of change from baseline to the latest score, for baselines >= $eligible_baseline_min
-- in the report period with a later score: bands of percent change (a 50%+ drop is a response).
WITH changes AS (
  SELECT instrument, (latest_score - baseline_score) / baseline_score::DOUBLE AS change
  FROM outcome_patients
  WHERE eligible AND latest_date > baseline_date AND baseline_date BETWEEN $start_month AND $period_end
),
banded AS (
  SELECT instrument,
         CASE WHEN change <= -$response_max_fraction THEN 1 WHEN change <= -0.25 THEN 2 WHEN change < 0 THEN 3
              WHEN change = 0 THEN 4 ELSE 5 END AS band_order
  FROM changes
),
bands AS (
  SELECT * FROM (VALUES (1, 'improved by 50% or more'), (2, 'improved by 25-49%'), (3, 'improved by under 25%'),
                        (4, 'no change'), (5, 'worse')) AS b(band_order, change_band)
)
SELECT i.instrument, b.band_order, b.change_band, count(x.band_order) AS patients
FROM bands b
CROSS JOIN (SELECT DISTINCT instrument FROM banded) i
LEFT JOIN banded x ON x.instrument = i.instrument AND x.band_order = b.band_order
GROUP BY ALL
ORDER BY i.instrument, b.band_order
