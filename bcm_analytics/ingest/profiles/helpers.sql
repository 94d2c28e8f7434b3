-- Macros a profile's expressions may call, installed in the profile's own DuckDB after the LOINC
-- catalogue's tables (mapping.install), which they read.

-- Epoch seconds or milliseconds (a float such as 1706810400.123456 too) as an ISO instant in
-- UTC; anything else unchanged, so the loader can say what it is.
CREATE OR REPLACE TEMP MACRO from_epoch(x) AS
  CASE WHEN try_cast(x AS DOUBLE) IS NULL OR NOT isfinite(try_cast(x AS DOUBLE)) THEN CAST(x AS VARCHAR)
       ELSE strftime(make_timestamp(CAST(round(try_cast(x AS DOUBLE)
              * CASE WHEN abs(try_cast(x AS DOUBLE)) >= 1e11 THEN 1000 ELSE 1000000 END) AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%fZ')
  END;

-- A coded value that is a score: a total or an item of an instrument the catalogue knows (PHQ-2,
-- PHQ-9, PHQ-A, GAD-7 and a profile's own codes), not a panel's own code, which only names the
-- instrument. EHR exports have no enrolment: the profiles take a patient with such a value as in
-- the program, enrolled on the day of the first (fhir.sql's {source}_scored, synthea.yaml).
CREATE OR REPLACE TEMP MACRO score_code(code) AS
  code IN (SELECT k.code FROM loinc_codes k WHERE k.item <> 'panel');

-- The day a Synthea payer transition starts: START_DATE's day (Synthea 3), else the first of
-- January of START_YEAR (Synthea 2). Its start and end columns both read it.
CREATE OR REPLACE TEMP MACRO synthea_start(start_date, start_year) AS
  CAST(coalesce(left(start_date, 10), start_year || '-01-01') AS DATE);
