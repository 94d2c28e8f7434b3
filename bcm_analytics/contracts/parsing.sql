-- Text-to-value readers for exported dates and numbers. Exports mix formats (ISO, US, Excel
-- serials, epoch seconds and milliseconds); each macro returns NULL for what it cannot read,
-- and the loader turns that NULL into a quarantine reason naming the value.
--
-- Speed: a million values go through each macro per load. The common shapes (an ISO date, a
-- clock time) are recognised by length and a LIKE pattern and read with a cast; only other
-- values reach the format lists and regular expressions, which cost ten times as much. CASE
-- evaluates a branch only for the rows that reach it.

-- An ISO calendar date alone (2025-01-31).
CREATE OR REPLACE TEMP MACRO bcm_is_iso_date(s) AS
  length(s) = 10 AND s LIKE '____-__-__';

-- A clock time alone (09:30, 09:30:15): a time of day, no date.
CREATE OR REPLACE TEMP MACRO bcm_is_clock(s) AS
  (length(s) = 5 AND s LIKE '__:__') OR (length(s) = 8 AND s LIKE '__:__:__');

-- 5-digit Excel serial day numbers (1954-2119), with an optional fraction of a day.
CREATE OR REPLACE TEMP MACRO bcm_is_excel_serial(s) AS
  regexp_full_match(s, '[2-7][0-9]{4}(\.[0-9]+)?');

-- 10-digit epoch seconds or 13-digit epoch milliseconds: always an instant (UTC).
CREATE OR REPLACE TEMP MACRO bcm_is_epoch(s) AS
  regexp_full_match(s, '1[0-9]{9}|1[0-9]{12}');

CREATE OR REPLACE TEMP MACRO bcm_has_offset(s) AS
  regexp_matches(s, '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}:?[0-9]{2})$');

-- Wall-clock readings (no offset): the clinic's local time. The slow path, for values that are
-- not an ISO date.
CREATE OR REPLACE TEMP MACRO bcm_parse_local_other(s) AS
  CASE
    WHEN bcm_is_clock(s) OR bcm_has_offset(s) OR bcm_is_epoch(s) THEN NULL
    WHEN bcm_is_excel_serial(s) THEN
      TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(s AS DOUBLE) * 86400000000) AS BIGINT))
    ELSE try_strptime(s, [
      '%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M',
      '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f',
      '%m/%d/%Y', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p',
      '%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%d.%m.%Y', '%Y%m%d'])
  END;

CREATE OR REPLACE TEMP MACRO bcm_parse_local(s) AS
  CASE
    WHEN s IS NULL THEN NULL
    WHEN bcm_is_iso_date(s) THEN try_cast(s AS TIMESTAMP)
    ELSE bcm_parse_local_other(s)
  END;

CREATE OR REPLACE TEMP MACRO bcm_parse_instant(s) AS
  CASE
    WHEN s IS NULL OR bcm_is_iso_date(s) OR bcm_is_clock(s) THEN NULL
    WHEN bcm_is_epoch(s) AND length(s) = 10 THEN to_timestamp(CAST(s AS BIGINT))
    WHEN bcm_is_epoch(s) THEN to_timestamp(CAST(s AS BIGINT) / 1000.0)
    WHEN bcm_has_offset(s) THEN try_strptime(regexp_replace(s, '\s*Z$', '+00:00'), [
      '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M%z', '%Y-%m-%d %H:%M%z',
      '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S.%f%z'])
    ELSE NULL
  END;

CREATE OR REPLACE TEMP MACRO bcm_has_time(s) AS
  CASE
    WHEN s IS NULL OR bcm_is_iso_date(s) THEN false
    WHEN bcm_is_clock(s) THEN true
    ELSE bcm_is_epoch(s) OR regexp_matches(s, '[0-9]{1,2}:[0-9]{2}')
         OR (bcm_is_excel_serial(s) AND regexp_matches(s, '\.[0-9]*[1-9]'))
  END;

-- A calendar date: the local reading, or the UTC date of an instant.
CREATE OR REPLACE TEMP MACRO bcm_parse_date(s) AS
  CASE
    WHEN s IS NULL THEN NULL
    WHEN bcm_is_iso_date(s) THEN try_cast(s AS DATE)
    ELSE coalesce(CAST(bcm_parse_local_other(s) AS DATE), CAST(timezone('UTC', bcm_parse_instant(s)) AS DATE))
  END;

-- A time of day alone (start_time = '09:30'): the time part, else NULL.
CREATE OR REPLACE TEMP MACRO bcm_parse_time_of_day(s) AS
  CASE
    WHEN bcm_is_clock(s) THEN try_cast(s AS TIME)
    ELSE CAST(try_strptime(s, ['%H:%M', '%H:%M:%S', '%I:%M %p', '%I:%M:%S %p']) AS TIME)
  END;

CREATE OR REPLACE TEMP MACRO bcm_parse_number(s) AS
  try_cast(s AS DOUBLE);

CREATE OR REPLACE TEMP MACRO bcm_parse_integer(s) AS
  CASE WHEN try_cast(s AS DOUBLE) = floor(try_cast(s AS DOUBLE)) THEN try_cast(try_cast(s AS DOUBLE) AS BIGINT) END;
