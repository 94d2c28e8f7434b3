-- Helpers the compiled checks call. Temporary: they live in the connection, not the store.

-- An NPI is 10 digits whose last is a Luhn check digit computed over '80840' followed by
-- the first 9 digits (CMS "NPI check digit"): from the right, every second digit doubles.
CREATE OR REPLACE TEMP MACRO bcm_npi_valid(s) AS
  regexp_full_match(s, '[0-9]{10}')
  AND list_sum(list_transform(range(1, 16), lambda i:
        CASE WHEN i % 2 = 0
             THEN CAST(substr('80840' || s, i, 1) AS INTEGER) * 2
                  - CASE WHEN CAST(substr('80840' || s, i, 1) AS INTEGER) >= 5 THEN 9 ELSE 0 END
             ELSE CAST(substr('80840' || s, i, 1) AS INTEGER) END)) % 10 = 0;

-- A value as a reason sentence quotes it: whole numbers without '.0', empty as '(empty)'.
CREATE OR REPLACE TEMP MACRO bcm_show(x) AS
  coalesce(regexp_replace(CAST(x AS VARCHAR), '\.0$', ''), '(empty)');
