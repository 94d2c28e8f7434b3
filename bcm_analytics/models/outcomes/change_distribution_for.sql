-- Distribution of change from baseline to the latest score, for eligible baselines in
-- start_..period_end_ with a later score (episodes inside the filters and in the measure population,
-- as the program measures: marts.in_measure_population; the payer is outcome_patients', the one in
-- force in the baseline's month): bands of percent change;
-- the first band is a response (marts.is_response), labelled with the smallest whole-percent drop
-- that rule counts as one (50% by default), so a definitions file's threshold names its bands too.
-- kind: macro
CREATE OR REPLACE MACRO marts.change_distribution_for(start_, period_end_, clinics_, care_manager_, payer_, instrument_) AS TABLE
WITH changes AS (
  SELECT instrument, (latest_score - baseline_score) / baseline_score::DOUBLE AS change,
         marts.is_response(latest_score, baseline_score) AS responded
  FROM marts.outcome_patients o CROSS JOIN config.outcome_settings s
  WHERE eligible AND latest_date > baseline_date AND baseline_date BETWEEN CAST(start_ AS DATE) AND CAST(period_end_ AS DATE)
    AND marts.in_measure_population(o.patient_id, age_at_enrolment, s.min_age)
    AND marts.in_filter(clinic_id, care_manager_id, payer, clinics_, care_manager_, payer_)
    AND (instrument_ IS NULL OR instrument = instrument_)
),
banded AS (
  SELECT instrument,
         CASE WHEN responded THEN 1 WHEN change <= -0.25 THEN 2 WHEN change < 0 THEN 3
              WHEN change = 0 THEN 4 ELSE 5 END AS band_order
  FROM changes
),
response AS (
  SELECT min(p) AS pct FROM range(0, 101) AS t(p) WHERE marts.is_response(100 - p, 100)
),
bands AS (
  SELECT b.* FROM response, (VALUES (1, 'improved by ' || pct || '% or more'), (2, 'improved by 25-' || (pct - 1) || '%'),
                                    (3, 'improved by under ' || least(pct, 25) || '%'), (4, 'no change'), (5, 'worse'))
                            AS b(band_order, change_band)
  WHERE band_order <> 2 OR pct > 25  -- a response at a drop of 25% or less leaves no band between
)
SELECT i.instrument, b.band_order, b.change_band, count(x.band_order) AS patients
FROM bands b
CROSS JOIN (SELECT DISTINCT instrument FROM banded) i
LEFT JOIN banded x ON x.instrument = i.instrument AND x.band_order = b.band_order
GROUP BY ALL
ORDER BY i.instrument, b.band_order
