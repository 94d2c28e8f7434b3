-- Text-to-value readers for exported dates and numbers. Exports mix formats (ISO, US, Excel
-- serials, epoch seconds and milliseconds); each macro returns NULL for what it cannot read,
-- and the loader turns that NULL into a quarantine reason naming the value.
--
-- Speed: a million values go through each macro per load. The common shapes (an ISO date, a
-- clock time, an ISO date-time to the second) are recognised by length and a LIKE pattern (the
-- last confirmed by one regular expression) and read directly; only other
-- values reach the format lists and regular expressions, which cost ten times as much. CASE
-- evaluates a branch only for the rows that reach it.

-- An ISO calendar date alone (2025-01-31).
CREATE OR REPLACE TEMP MACRO bcm_is_iso_date(s) AS
  length(s) = 10 AND s LIKE '____-__-__';

-- A clock time alone (09:30, 09:30:15): a time of day, no date.
CREATE OR REPLACE TEMP MACRO bcm_is_clock(s) AS
  (length(s) = 5 AND s LIKE '__:__') OR (length(s) = 8 AND s LIKE '__:__:__');

-- An ISO date with a time to the second (2025-01-31 14:05:00, 2025-01-31T14:05:00), digits
-- where digits go: none of the other shapes' tests below can match it (no offset, not an
-- epoch, not a short or 2-digit year, not a serial) and of the wall-clock formats only its own
-- two can read it, so the readers go straight to their answer (a format that fails costs ten
-- times one that reads).
CREATE OR REPLACE TEMP MACRO bcm_is_iso_datetime(s) AS
  length(s) = 19 AND (s LIKE '____-__-__ __:__:__' OR s LIKE '____-__-__T__:__:__')
  AND regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}');

-- 5-digit Excel serial day numbers (1954-2119), with an optional fraction of a day.
CREATE OR REPLACE TEMP MACRO bcm_is_excel_serial(s) AS
  regexp_full_match(s, '[2-7][0-9]{4}(\.[0-9]+)?');

-- 10-digit epoch seconds or 13-digit epoch milliseconds: always an instant (UTC).
CREATE OR REPLACE TEMP MACRO bcm_is_epoch(s) AS
  regexp_full_match(s, '1[0-9]{9}|1[0-9]{12}');

-- A time with a UTC offset: Z, +01:00, +0100 or +01 (DuckDB's own text for a TIMESTAMPTZ, as a
-- Parquet export's typed instants read, ends in +00).
CREATE OR REPLACE TEMP MACRO bcm_offset() AS '\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$';
CREATE OR REPLACE TEMP MACRO bcm_has_offset(s) AS
  regexp_matches(s, '[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?' || bcm_offset());

-- A 2-digit year (2/10/25, 10.02.25, Excel's default short date) is never guessed: without a
-- pivot the value is unreadable and its reason says so; with one (a profile's
-- two_digit_year_pivot, a year such as 1950) it is the year in [pivot, pivot + 99] ending so.
CREATE OR REPLACE TEMP MACRO bcm_two_digit_year(s) AS
  regexp_matches(s, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}([ T]|$)|^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2}([ T]|$)');

CREATE OR REPLACE TEMP MACRO bcm_pivot_year(yy, yp) AS
  yp + (CAST(yy AS INTEGER) - yp % 100 + 100) % 100;

CREATE OR REPLACE TEMP MACRO bcm_full_year(s, yp) AS
  regexp_replace(s, '^([0-9]{1,2}[/.][0-9]{1,2}[/.])([0-9]{2})',
    '\1' || CAST(bcm_pivot_year(regexp_extract(s, '^[0-9]{1,2}[/.][0-9]{1,2}[/.]([0-9]{2})', 1), yp) AS VARCHAR));

-- A year written with 1 or 3 digits (2/10/025, 25-02-10) is no year at all, whatever strptime's
-- %Y would make of it.
CREATE OR REPLACE TEMP MACRO bcm_short_year(s) AS
  regexp_matches(s, '^[0-9]{1,2}[/.][0-9]{1,2}[/.]([0-9]|[0-9]{3})([ T]|$)|^[0-9]{1,3}[-/][0-9]{1,2}[-/][0-9]{1,2}([ T]|$)');

-- A date written with dashes around its day and month (03-04-2025, 03-04-2025 14:30) as the slash
-- date it is (03/04/2025), the one rule every slash date goes by: it is read as a slash date is
-- (month first by bcm_parse_local_other's formats, day first in a column that writes the day
-- first: landing.slash_date_evidence, bcm_month_first), and one that reads two ways where nothing
-- decides is set aside naming both readings (TextOptions.undecided, bcm_slash_reading). A 4-digit
-- year only: 25-02-10 may be written year first. `short`: a 2-digit year too (03-04-25), for
-- bcm_date_in_number, which only tells that a value looks like a date. `s` is written once: DuckDB
-- copies a macro's argument wherever the macro names it, and the date macros call one another, so
-- a guard naming it twice more (a dash second or third) multiplied the parsing expressions and
-- every load's row checks took three times as long to plan. Unguarded, the anchored pattern costs
-- 0.03 s per 1M ISO dates (landing's bool_or over a date column; the readers reach it only for
-- values their ISO fast paths leave).
CREATE OR REPLACE TEMP MACRO bcm_slashed(s, short) AS
  regexp_replace(s, CASE WHEN short THEN '^([0-9]{1,2})-([0-9]{1,2})-([0-9]{2}|[0-9]{4})([ T]|$)'
                         ELSE '^([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})([ T]|$)' END, '\1/\2/\3\4');

-- A day-first slash date (in a column that writes 14/02/2025, or 14-02-2025: bcm_slashed) as the
-- month-first slash date the readers take: the first two numbers swapped, the rest (year, time) as written.
CREATE OR REPLACE TEMP MACRO bcm_month_first(s) AS
  regexp_replace(bcm_slashed(s, false), '^([0-9]{1,2})/([0-9]{1,2})/', '\2/\1/');

-- A slash date (or its dashed form: bcm_slashed) whose first two numbers could each be the month
-- and differ (01/10/2026, 02/10/2026 14:30): 1 October day first, 10 January month first.
-- 03/03/2026 reads one way either way.
CREATE OR REPLACE TEMP MACRO bcm_two_way_date(s) AS
  regexp_full_match(bcm_slashed(s, false), '(0?[1-9]|1[0-2])/(0?[1-9]|1[0-2])/[0-9]{4}([ T].*)?')
  AND CAST(split_part(bcm_slashed(s, false), '/', 1) AS INTEGER) <> CAST(split_part(bcm_slashed(s, false), '/', 2) AS INTEGER);

-- A date with its month written as a word, as EHR report exports and Excel's dd-mmm-yyyy write
-- it: Jan 31, 2025 (January, JAN, Jan., Sept; a comma or not), 31-Jan-2025, 31 Jan 2025,
-- 2025-Jan-31, each with a time the US formats take (Jan 31, 2025 2:05 PM). A month named is
-- read one way only, so nothing is guessed. A 2-digit year (31-JAN-25, as Oracle and Excel's
-- d-mmm-yy write it) only day first, and read as any 2-digit year is: with a pivot, never
-- without (bcm_date_problem says so). The groups: the month, day and year of each order (the
-- two that do not match are ''), then the time.
CREATE OR REPLACE TEMP MACRO bcm_month_date_pattern() AS
  '(?i)^(?:([a-z]+)\.?\s+([0-9]{1,2}),?\s+([0-9]{4})'
  || '|([0-9]{1,2})[-\s]([a-z]+)\.?,?[-\s]([0-9]{4}|[0-9]{2})'
  || '|([0-9]{4})-([a-z]+)\.?-([0-9]{1,2}))(?:(?:,?\s+|T)([0-9].*))?$';

-- An English month as its name or its 3 letters (or Sept), any case: its number, else NULL.
CREATE OR REPLACE TEMP MACRO bcm_month_number(w) AS
  coalesce(list_position(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], lower(w)),
           list_position(['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
                          'october', 'november', 'december'], lower(w)),
           CASE WHEN lower(w) = 'sept' THEN 9 END);

-- The month-word date read (as the month-first slash date it is, with its time), else NULL: an
-- unknown month word, February 30 or a 2-digit year without a pivot. The pattern runs once per
-- value (the list-of-one lambda: bcm_score_label says why), and only for values no other form read.
-- 1M values through bcm_parse_local: 0.6 s month-word dates or words (values starting with a
-- letter skip the format list, 6.5 s before), 2.6 s US dates as before.
CREATE OR REPLACE TEMP MACRO bcm_parse_month_date(s, yp) AS
  list_transform([regexp_extract(s, bcm_month_date_pattern(), ['m1', 'd1', 'y1', 'd2', 'm2', 'y2', 'y3', 'm3', 'd3', 'clock'])],
    lambda g: try_strptime(
      CAST(bcm_month_number(g.m1 || g.m2 || g.m3) AS VARCHAR) || '/' || (g.d1 || g.d2 || g.d3) || '/'
      || CASE WHEN length(g.y2) = 2 THEN CAST(bcm_pivot_year(g.y2, yp) AS VARCHAR) ELSE g.y1 || g.y2 || g.y3 END
      || CASE WHEN g.clock <> '' THEN ' ' || g.clock ELSE '' END,
      ['%m/%d/%Y', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p']))[1];

-- A month-word date with a 2-digit year (31-JAN-25), for the reason (rows set aside only).
CREATE OR REPLACE TEMP MACRO bcm_month_two_digit_year(s) AS
  length(regexp_extract(s, bcm_month_date_pattern(), 6)) = 2
  AND bcm_month_number(regexp_extract(s, bcm_month_date_pattern(), 5)) IS NOT NULL;

-- Wall-clock readings (no offset): the clinic's local time. The slow path, for values that are
-- not an ISO date (or date-time to the second); a month written as a word when the value starts
-- with it, or when no format of numbers reads the value (31-Jan-2025).
CREATE OR REPLACE TEMP MACRO bcm_parse_local_other(s, yp) AS
  CASE
    WHEN bcm_is_clock(s) OR bcm_has_offset(s) OR bcm_is_epoch(s) OR bcm_short_year(s) THEN NULL
    -- every format of numbers starts with a digit: a value starting with a letter (Jan 31, 2025,
    -- or words) goes straight to the month-word reader, not through the list (6.5 s per 1M values)
    WHEN regexp_matches(s, '^[A-Za-z]') THEN bcm_parse_month_date(s, yp)
    WHEN bcm_is_excel_serial(s) THEN
      TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(s AS DOUBLE) * 86400000000) AS BIGINT))
    ELSE coalesce(try_strptime(bcm_slashed(s, false), [
      '%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M',
      '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f',
      '%m/%d/%Y', '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %I:%M:%S %p',
      '%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%d.%m.%Y', '%d.%m.%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%Y%m%d']),
      bcm_parse_month_date(s, yp))  -- coalesce evaluates it only for the values the formats left NULL
  END;

CREATE OR REPLACE TEMP MACRO bcm_parse_local(s, yp) AS
  CASE
    WHEN s IS NULL THEN NULL
    WHEN bcm_is_iso_date(s) THEN try_cast(s AS TIMESTAMP)
    WHEN bcm_is_clock(s) THEN NULL
    WHEN bcm_is_iso_datetime(s) THEN try_strptime(s, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S'])
    WHEN bcm_two_digit_year(s) THEN CASE WHEN yp IS NOT NULL THEN bcm_parse_local_other(bcm_full_year(s, yp), yp) END
    ELSE bcm_parse_local_other(s, yp)
  END;

CREATE OR REPLACE TEMP MACRO bcm_parse_instant(s) AS
  CASE
    WHEN s IS NULL OR bcm_is_iso_date(s) OR bcm_is_clock(s) OR bcm_is_iso_datetime(s) THEN NULL
    WHEN bcm_is_epoch(s) AND length(s) = 10 THEN to_timestamp(CAST(s AS BIGINT))
    WHEN bcm_is_epoch(s) THEN to_timestamp(CAST(s AS BIGINT) / 1000.0)
    WHEN bcm_has_offset(s) THEN try_strptime(regexp_replace(regexp_replace(s, '\s*Z$', '+00:00'), '([+-][0-9]{2})$', '\1:00'), [
      '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M%z', '%Y-%m-%d %H:%M%z',
      '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S.%f%z'])
    ELSE NULL
  END;

CREATE OR REPLACE TEMP MACRO bcm_has_time(s) AS
  CASE
    WHEN s IS NULL OR bcm_is_iso_date(s) THEN false
    WHEN bcm_is_clock(s) OR bcm_is_iso_datetime(s) THEN true
    ELSE bcm_is_epoch(s) OR regexp_matches(s, '[0-9]{1,2}:[0-9]{2}')
         OR (bcm_is_excel_serial(s) AND regexp_matches(s, '\.[0-9]*[1-9]'))
  END;

-- A calendar date: the date as written. A date-time with an offset (2025-01-31T20:00:00-05:00,
-- an enrolment or a claim's date of service from a system that writes its local time so) is the
-- day in that offset: its UTC date would be the next day for every evening west of Greenwich,
-- and move a consent past the month's first contact or a claim into the next month. Epoch
-- numbers have no written day and are read as UTC dates.
CREATE OR REPLACE TEMP MACRO bcm_parse_date(s, yp) AS
  CASE
    WHEN s IS NULL THEN NULL
    WHEN bcm_is_iso_date(s) THEN try_cast(s AS DATE)
    WHEN bcm_has_offset(s) THEN CAST(bcm_parse_local(regexp_replace(s, bcm_offset(), ''), yp) AS DATE)
    ELSE coalesce(CAST(bcm_parse_local(s, yp) AS DATE), CAST(timezone('UTC', bcm_parse_instant(s)) AS DATE))
  END;

-- The date a two-way slash date (or its dashed form: bcm_slashed) is read day first (as a
-- day-first column's: bcm_month_first) or month first, by bcm_parse_date. Its date part alone: a
-- time the readers do not take (02/10/2026T14:30) must not hide the two dates from the reason.
CREATE OR REPLACE TEMP MACRO bcm_slash_reading(s, day_first) AS
  bcm_parse_date(regexp_extract(CASE WHEN day_first THEN bcm_month_first(s) ELSE bcm_slashed(s, false) END,
                                '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}'), NULL);

-- Why such a date is read neither way (a ;-delimited file whose column never decides).
CREATE OR REPLACE TEMP MACRO bcm_two_way_date_problem(column_name, s) AS
  column_name || ' ''' || s || ''' is ' || strftime(bcm_slash_reading(s, true), '%-d %B') || ' read day first, '
  || strftime(bcm_slash_reading(s, false), '%-d %B') || ' read month first: this ;-delimited file comes from a system that '
  || 'may write the day first, and no date of the column can be read only one way; write the date as '
  || strftime(bcm_slash_reading(s, true), '%Y-%m-%d') || ' (year-month-day), or load the file through a profile that sets date_formats';

-- Why a date could not be read, for the quarantine (evaluated only for rows set aside). `accepted`
-- is what the column reads, in the contract README's words (columns.accepted, from DATE_FORMS), and
-- for a file a profile read, the profile's own formats and pivot (columns.profile_words);
-- `own_years`: a format of the profile reads 2-digit years (%y), so a pivot is not what is missing.
CREATE OR REPLACE TEMP MACRO bcm_date_problem(column_name, s, yp, own_years, accepted) AS
  CASE
    WHEN (bcm_two_digit_year(s) OR bcm_month_two_digit_year(s)) AND yp IS NULL AND NOT own_years THEN
      column_name || ': 2-digit year in ''' || s || ''': write the year in full, or set two_digit_year_pivot in a profile'
    ELSE column_name || ' ''' || s || ''' is not ' || accepted
  END;

-- Why a start time could not be read: it is a time of day, or a date-time (evaluated only for
-- rows set aside); `accepted` as the README says it (columns.accepted, from TIME_FORMS).
CREATE OR REPLACE TEMP MACRO bcm_time_problem(column_name, s, accepted) AS
  column_name || ' ''' || s || ''' is not ' || accepted;

-- A time of day alone (start_time = '09:30', '2:30 PM', '2:30pm', '14:30:00.000'): the time part, else NULL.
CREATE OR REPLACE TEMP MACRO bcm_parse_time_of_day(s) AS
  CASE
    WHEN bcm_is_clock(s) THEN try_cast(s AS TIME)
    ELSE CAST(try_strptime(s, ['%H:%M', '%H:%M:%S', '%H:%M:%S.%f', '%I:%M %p', '%I:%M:%S %p', '%I:%M%p']) AS TIME)
  END;

-- Numbers: digits with a decimal point (or, in a ;-delimited file whose column uses it
-- throughout, a decimal comma: `comma`). Never `1_000` (DuckDB alone would read 1000), NaN, inf
-- or an exponent: 1e3 or 1.5E+02 is how a spreadsheet shows a number its cell is too narrow for,
-- or a value that was never a count of minutes; 1e3 minutes would bill as 1000.
CREATE OR REPLACE TEMP MACRO bcm_finite(x) AS
  CASE WHEN isfinite(x) THEN x END;

CREATE OR REPLACE TEMP MACRO bcm_parse_number(s, comma) AS
  CASE
    WHEN s IS NULL OR contains(s, '_') OR contains(s, 'e') OR contains(s, 'E') THEN NULL
    WHEN comma AND contains(s, ',') THEN bcm_finite(try_cast(replace(s, ',', '.') AS DOUBLE))
    ELSE bcm_finite(try_cast(s AS DOUBLE))
  END;

-- A whole number past BIGINT (a 20-digit account number in the units column) is no integer:
-- a CAST of it refused the whole file.
CREATE OR REPLACE TEMP MACRO bcm_integral(x) AS
  CASE WHEN x = floor(x) THEN TRY_CAST(x AS BIGINT) END;

CREATE OR REPLACE TEMP MACRO bcm_parse_integer(s, comma) AS
  bcm_integral(bcm_parse_number(s, comma));

-- Money: a currency symbol and thousands separators are allowed ($1,145.00 is 1145.00; with a
-- decimal comma 1.145,00 is 1145.00), the groups of exactly three digits.
CREATE OR REPLACE TEMP MACRO bcm_parse_signed_amount(s, comma) AS
  CASE
    WHEN s IS NULL THEN NULL
    WHEN NOT comma AND regexp_full_match(s, '[+-]?\s*[$€£]?\s*[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?')
      THEN try_cast(regexp_replace(s, '[$€£,+\s]', '', 'g') AS DOUBLE)
    WHEN comma AND regexp_full_match(s, '[+-]?\s*[$€£]?\s*[+-]?([0-9]{1,3}([. ][0-9]{3})+|[0-9]+)(,[0-9]+)?')
      THEN try_cast(replace(regexp_replace(s, '[$€£.+\s]', '', 'g'), ',', '.') AS DOUBLE)
  END;

-- Accounting format (Excel's, and a remittance's): parentheses around an amount are its minus sign,
-- ($153.19) and $(153.19) are -153.19; a sign inside them as well, (-12.00), is not read.
CREATE OR REPLACE TEMP MACRO bcm_parse_amount(s, comma) AS
  CASE
    WHEN s IS NOT NULL AND regexp_full_match(s, '[$€£]?\s*\(\s*[$€£]?\s*[0-9][0-9., ]*\)')
      THEN -bcm_parse_signed_amount(trim(regexp_replace(s, '[()]', '', 'g')), comma)
    ELSE bcm_parse_signed_amount(s, comma)
  END;

-- Durations in minutes: a number of minutes, H:MM, HH:MM:SS, '90 min', '1.5 h' or '1h 5m' (whole hours, then
-- minutes 0-59: a registry writes an entry so; '1h 75m' is set aside). H:MM is
-- read only under 4 hours: 20:00 is as likely 20 minutes written MM:SS as 20 hours, and a care
-- manager's single entry of 4 hours or more is not the likely reading of either.
CREATE OR REPLACE TEMP MACRO bcm_parse_duration(s, comma) AS
  coalesce(bcm_parse_number(s, comma), CASE
    WHEN s IS NULL OR contains(s, '_') THEN NULL
    WHEN regexp_full_match(s, '[0-3]?[0-9]:[0-5][0-9]') AND CAST(split_part(s, ':', 1) AS INTEGER) < 4 THEN
      60 * CAST(split_part(s, ':', 1) AS DOUBLE) + CAST(split_part(s, ':', 2) AS DOUBLE)
    WHEN regexp_full_match(s, '[0-9]{1,2}:[0-5][0-9]:[0-5][0-9]') THEN
      60 * CAST(split_part(s, ':', 1) AS DOUBLE) + CAST(split_part(s, ':', 2) AS DOUBLE) + CAST(split_part(s, ':', 3) AS DOUBLE) / 60
    WHEN regexp_full_match(lower(s), '[0-9]+([.,][0-9]+)?\s*(m|min|mins|minute|minutes)') THEN
      bcm_parse_number(regexp_extract(s, '^[0-9]+([.,][0-9]+)?'), comma)
    WHEN regexp_full_match(lower(s), '[0-9]+([.,][0-9]+)?\s*(h|hr|hrs|hour|hours)') THEN
      60 * bcm_parse_number(regexp_extract(s, '^[0-9]+([.,][0-9]+)?'), comma)
    WHEN regexp_full_match(lower(s), '[0-9]+\s*(h|hr|hrs|hour|hours)\s*[0-5]?[0-9]\s*(m|min|mins|minute|minutes)') THEN
      60 * CAST(regexp_extract(s, '^[0-9]+') AS DOUBLE) + CAST(regexp_extract(s, '([0-9]+)\s*[A-Za-z]*$', 1) AS DOUBLE)
  END);

-- A total score written with its severity label ('14 (moderate)', '7 - mild', '3: minimal',
-- '14 moderate'): the number, and the label lower-cased with hyphens and underscores as spaces
-- ('Moderately-Severe' is 'moderately severe'); NULL for any other text.
--
-- A macro's argument is copied wherever the macro names it, and each copy is evaluated again:
-- these macros name a value they use more than once (the pattern's groups, the score and its
-- label) as the one element of a list a lambda runs over, so the regular expression runs once
-- per value (and once per band in bcm_score_band when the score was a copy: 10x slower).
CREATE OR REPLACE TEMP MACRO bcm_score_label_pattern() AS
  '^([0-9]{1,6})\s*(?:\(\s*([A-Za-z][A-Za-z _-]*[A-Za-z])\s*\)|[-–:]?\s*([A-Za-z][A-Za-z _-]*[A-Za-z]))$';
CREATE OR REPLACE TEMP MACRO bcm_score_label(s) AS
  CASE WHEN s IS NOT NULL AND regexp_matches(s, '^[0-9]+\s*\D') THEN
    list_transform([regexp_extract(s, bcm_score_label_pattern(), ['score', 'in_brackets', 'after'])],
      lambda groups: CASE WHEN groups.score <> '' THEN {  -- '' when the pattern does not match: a score has a digit
        'score': CAST(groups.score AS BIGINT),
        'label': trim(regexp_replace(lower(groups.in_brackets || groups.after), '[\s_-]+', ' ', 'g'))} END)[1]
  END;

-- The severity band of `score` on instrument `inst`: `bands` is a list of {instrument, band,
-- lower} (definitions.yaml severity_bands, ordered by lower bound); the last band it reaches.
CREATE OR REPLACE TEMP MACRO bcm_score_band(score, inst, bands) AS
  list_last(list_transform(list_filter(bands, lambda b: b.instrument = inst AND b.lower <= score), lambda b: b.band));

-- A total score with its severity label reads as the score only when the label is the score's
-- band on the row's instrument: '14 (moderate)' on the PHQ-9 is 14, '14 (mild)' is not read
-- (one of the two is wrong, and which cannot be told).
CREATE OR REPLACE TEMP MACRO bcm_parse_labelled_score(s, inst, bands) AS
  list_transform([bcm_score_label(s)],
    lambda found: CASE WHEN found.label = bcm_score_band(found.score, inst, bands) THEN found.score END)[1];

-- Why a total score written with a label was not read, for the quarantine; NULL for text that
-- is no score with a label (bcm_number_problem says why).
CREATE OR REPLACE TEMP MACRO bcm_labelled_score_problem(column_name, s, inst, bands) AS
  list_transform([bcm_score_label(s)], lambda found:
    CASE WHEN found IS NOT NULL THEN column_name || ' ''' || s || ''': ' || CASE
      WHEN inst IS NULL OR NOT list_contains(list_transform(bands, lambda b: b.instrument), inst) THEN
        'the ' || coalesce(inst, 'row''s instrument (empty)') || ' has no severity bands to check the label against; write the score alone'
      WHEN NOT list_contains(list_transform(list_filter(bands, lambda b: b.instrument = inst), lambda b: b.band), found.label) THEN
        '''' || found.label || ''' is not a severity band of the ' || inst || ' ('
        || array_to_string(list_transform(list_filter(bands, lambda b: b.instrument = inst), lambda b: b.band), ', ')
        || '); write the score alone'
      ELSE 'score ' || found.score || ' is ' || bcm_score_band(found.score, inst, bands)
        || ' on the ' || inst || ', the label says ' || found.label || '; correct the score or the label'
    END END)[1];

-- A value a number column could not read that is a date as bcm reads one (2025-01-31, 1/31/2025,
-- 2025-01-31 00:00:00, Jan 31, 2025, 31.01.2025, or day first 31/01/2025; not a number such as an
-- Excel serial 45688.5 in a column of whole numbers): the date-time, else NULL. An
-- Excel date cell that reached a column of numbers as text: the export's columns shifted, a
-- date pasted there, or (a date of Excel's first years) the column formatted as a date.
-- A 2-digit year too (3/4/25, 3.4.25, 31-JAN-25: Excel's default short date m/d/yy), and a date
-- written with dashes around its day and month (03-04-25, 03-04-2025), month or day first: none
-- is a number, a time (12:30) or a range (10-15), which have fewer parts. Three numbers that make a
-- date one way or the other are one (10-15-20 is 15 October 2020 as mm-dd-yy writes it: the row is
-- set aside whatever it is, and the hint names the likeliest cause); 13-15-20 makes none. Its year is read in
-- 1900-1999 (pivot 1900): the reason never shows the date, only whether it is one of Excel's
-- first years, and 1/30/00 in a column of minutes is how m/d/yy shows the number 30.
CREATE OR REPLACE TEMP MACRO bcm_date_in_number(s) AS
  CASE WHEN NOT regexp_full_match(s, '[0-9]+(\.[0-9]+)?') THEN
    -- read as written, else day first: the first that reads (bcm_parse_local written once, as it is large)
    list_filter(list_transform([bcm_slashed(s, true), bcm_month_first(bcm_slashed(s, true))], lambda t: bcm_parse_local(t, 1900)),
                lambda d: d IS NOT NULL)[1]
  END;

-- The number Excel shows as the date-time `d` in a cell formatted as a date (its serial day, with
-- the time as a fraction): 1900-01-30 is 30, 1900-03-30 12:00 is 90.5. Excel counts a 29
-- February 1900 that never was, so its days before March 1900 are one less than the calendar's.
CREATE OR REPLACE TEMP MACRO bcm_excel_number(d) AS
  round((epoch(d) - epoch(TIMESTAMP '1899-12-30')) / 86400.0 - CASE WHEN d < TIMESTAMP '1900-03-01' THEN 1 ELSE 0 END, 4);

-- Why a date in a column of numbers is not read: a date of 1900-1903 is how Excel shows a number
-- up to 1461 (a day's minutes and more) in a cell formatted as a date; any other date is a
-- value of another column. Said after '... is not a duration'.
CREATE OR REPLACE TEMP MACRO bcm_date_in_number_problem(column_name, d) AS
  ': it looks like a date, ' || CASE
    WHEN d >= TIMESTAMP '1900-01-01' AND d < TIMESTAMP '1904-01-01' THEN
      'and it is how Excel shows the number ' || regexp_replace(CAST(bcm_excel_number(d) AS VARCHAR), '\.0$', '') || ' in a cell formatted as a date '
      || '(the column formatted as a date in Excel?): format the column as a number in Excel and export again'
    ELSE 'not a value of this column (a date pasted into the column, or the export''s columns shifted?): write the row''s '
      || column_name || ' in it, each value under its column''s name, and load the export again'
  END;

-- Why a number could not be read, for the quarantine. `kind` is number, integer, amount, duration
-- or answer, and `noun` what a value of it is in words (columns.NOUNS: 'a whole number', 'an
-- amount', the nouns TYPE_WORDS and FORMAT_WORDS start with); `accepted` is what the column reads,
-- in the contract README's words (columns.accepted, from FORMAT_WORDS and loinc.yaml), said when no
-- one mistake explains the value.
CREATE OR REPLACE TEMP MACRO bcm_number_problem(column_name, s, kind, noun, accepted) AS
  column_name || ' ''' || s || ''' is not ' || CASE
    WHEN contains(s, '_') THEN 'a number: an underscore is not read as a thousands separator; write 1000'
    WHEN isnan(try_cast(s AS DOUBLE)) OR isinf(try_cast(s AS DOUBLE)) THEN 'a finite number'
    WHEN regexp_full_match(s, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+') THEN
      'read in scientific notation (it would be ' || bcm_show(try_cast(s AS DOUBLE)) || '): a spreadsheet shows a number so when its cell is too narrow; write the number in full'
    WHEN regexp_full_match(s, '[0-9]+,[0-9]{1,2}') AND kind <> 'amount' THEN
      'a number here: a decimal comma (1,5) is read only in a ;-delimited file whose column writes every decimal with one; write it with a point (1.5)'
    WHEN kind = 'duration' AND regexp_full_match(s, '[0-9]{1,2}:[0-5][0-9](:[0-5][0-9])? ?[AaPp]\.?[Mm]\.?') THEN
      'a duration but a time of day (AM/PM): a start time exported in the duration column, or the columns shifted? '
      || 'Write the minutes (45), or hours:minutes (0:45)'
    WHEN kind = 'duration' AND regexp_full_match(s, '[0-9]{1,2}:[0-5][0-9]') THEN
      'read: as hours:minutes it would be ' || split_part(s, ':', 1) || ' h ' || split_part(s, ':', 2)
      || ' min, as minutes:seconds ' || split_part(s, ':', 1) || ' min ' || split_part(s, ':', 2)
      || ' s (H:MM is read only under 4 hours); write the minutes (20 or 1200), or HH:MM:SS (00:20:00)'
    WHEN bcm_date_in_number(s) IS NOT NULL THEN
      noun || list_transform([bcm_date_in_number(s)], lambda d: bcm_date_in_number_problem(column_name, d))[1]
    ELSE accepted
  END;

-- Procedure codes with modifiers (99492-25, 99492 25, 99492:25): the code, and the modifiers.
CREATE OR REPLACE TEMP MACRO bcm_split_code(s) AS
  regexp_full_match(upper(s), '[0-9A-Z]{5}([-: ][0-9A-Z]{2})+');

CREATE OR REPLACE TEMP MACRO bcm_procedure_code(s) AS
  CASE WHEN bcm_split_code(s) THEN upper(left(s, 5)) ELSE upper(s) END;

CREATE OR REPLACE TEMP MACRO bcm_procedure_modifiers(s) AS
  CASE WHEN bcm_split_code(s) THEN array_to_string(regexp_extract_all(upper(substr(s, 6)), '[0-9A-Z]{2}'), ' ') END;

-- A claim line's modifiers: those written after its procedure code and its modifier column's,
-- the code's first and each once (99492-25 with 95 is 25 95, with 25 is 25), separated by one
-- space however the export wrote them ('25,59', '25;59' and '25 59' are 25 59). An export that
-- glues one to the code and fills the column too means both.
CREATE OR REPLACE TEMP MACRO bcm_line_modifiers(code, written) AS
  CASE WHEN bcm_split_code(code) AND written IS NOT NULL THEN
         array_to_string(list_concat(string_split(bcm_procedure_modifiers(code), ' '),
           list_filter(regexp_extract_all(upper(written), '[0-9A-Z]+'),
                       lambda m: NOT list_contains(string_split(bcm_procedure_modifiers(code), ' '), m))), ' ')
       ELSE coalesce(nullif(array_to_string(regexp_extract_all(upper(written), '[0-9A-Z]+'), ' '), ''),
                     bcm_procedure_modifiers(code)) END;
