-- Helpers the compiled checks call. Temporary: they live in the connection, not the store.

-- An NPI is 10 digits whose last is a Luhn check digit computed over '80840' followed by
-- the first 9 digits (CMS "NPI check digit"): from the right, every second digit doubles.
-- The digits are read with TRY_CAST: DuckDB computes the sum for a value of a column that is not
-- 10 digits too ('PCP NPI', 12345), and a CAST of 'P' or '' refused the whole file.
CREATE OR REPLACE TEMP MACRO bcm_npi_valid(s) AS
  regexp_full_match(s, '[0-9]{10}')
  AND coalesce(list_sum(list_transform(range(1, 16), lambda i:
        CASE WHEN i % 2 = 0
             THEN TRY_CAST(substr('80840' || s, i, 1) AS INTEGER) * 2
                  - CASE WHEN TRY_CAST(substr('80840' || s, i, 1) AS INTEGER) >= 5 THEN 9 ELSE 0 END
             ELSE TRY_CAST(substr('80840' || s, i, 1) AS INTEGER) END)) % 10 = 0, false);

-- A field's text as the checks read it: blanks around it (spaces, tabs, line ends, no-break
-- spaces from Excel, and what no one sees: a zero-width space, a byte-order mark pasted into a
-- cell, the Ctrl-Z an old Windows program ends a file with) are not part of the value, and a
-- field of blanks is empty (NULL). A key written as '<tab>P1' is patient P1, and a payer
-- 'Medicare<Ctrl-Z>' is Medicare. Most values start and end with neither, and looking at
-- the two ends first costs less than trimming every value (10M values: 0.4 s against 1.6 s).
CREATE OR REPLACE TEMP MACRO bcm_blanks() AS ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(26) || chr(8203) || chr(65279);
CREATE OR REPLACE TEMP MACRO bcm_field(s) AS
  nullif(CASE WHEN contains(bcm_blanks(), left(s, 1)) OR contains(bcm_blanks(), right(s, 1))
              THEN trim(s, bcm_blanks()) ELSE s END, '');

-- An id as a spreadsheet may have rewritten it: without a trailing .0 (123.0, a number) and
-- without leading zeros (00123), for telling a person that a waiting row's patient may be
-- loaded under another spelling. Never used to match rows: that would be a guess.
CREATE OR REPLACE TEMP MACRO bcm_id_number(s) AS
  ltrim(regexp_replace(s, '\.0+$', ''), '0');

-- A value as a reason sentence quotes it: whole numbers without '.0', empty as '(empty)'. Text
-- is quoted as written: a patient id '123.0' (an id a spreadsheet made a number) is not '123'.
CREATE OR REPLACE TEMP MACRO bcm_show(x) AS
  coalesce(CASE WHEN typeof(x) = 'VARCHAR' THEN CAST(x AS VARCHAR)
                ELSE regexp_replace(CAST(x AS VARCHAR), '\.0$', '') END, '(empty)');

-- A reason's hint for a number that is an Excel date serial of the data's years (36526-55153:
-- 2000-01-01 to 2050-12-31, with a fraction of a day as its time): 45688.5 in a minutes column
-- is 2025-01-31 12:00 pasted there, or the columns shifted, not a long day's minutes. Empty for
-- any other value (a reason template's {column:date_serial}: contracts/checks.py). A date written as
-- text in a column of numbers (2025-01-31) is not read at all: parsing.sql, bcm_date_in_number_problem.
CREATE OR REPLACE TEMP MACRO bcm_date_serial_hint(x) AS
  CASE WHEN x >= 36526 AND x < 55154 THEN
    '; ' || bcm_show(x) || ' looks like a date, not a value of this column: as an Excel date serial it is '
    || CASE WHEN x = floor(x) THEN strftime(DATE '1899-12-30' + CAST(x AS INTEGER), '%Y-%m-%d')
            ELSE strftime(CAST(DATE '1899-12-30' AS TIMESTAMP) + to_minutes(CAST(round(x * 1440) AS BIGINT)), '%Y-%m-%d %H:%M') END
    || ' (a date pasted into the column, or the export''s columns shifted?)'
  ELSE '' END;

-- A date in a reason as the export wrote it (`written`), then how it was read when the text does
-- not start with that: '3/4/68' (read as 2068-03-04) with a pivot of 2000, never 2068-03-04 alone,
-- a value that is nowhere in the file. An ISO date, or a date-time on that day, shows as before.
CREATE OR REPLACE TEMP MACRO bcm_show_date(written, x) AS
  CASE WHEN written IS NULL OR x IS NULL OR starts_with(written, bcm_show(x)) THEN bcm_show(x)
       ELSE chr(39) || written || chr(39) || ' (read as ' || bcm_show(x) || ')' END;

-- A reason sentence naming a column as the export's file names it: the first time `col` stands
-- as a word in `t` it becomes the file's name with bcm's in brackets ('Encounter ID [entry_id] is
-- empty'), when `labels` (a JSON object: canonical column -> the file's name for it) names one.
-- A person fixing the export looks for the column under the name their file gives it. `t` is
-- read once (without a label the name is replaced by itself): calls nest, one per column a
-- reason names, and a macro reading its argument twice would double the SQL at each level.
CREATE OR REPLACE TEMP MACRO bcm_name_column(t, col, labels) AS
  regexp_replace(t, '(^|[^A-Za-z0-9_])' || col || '([^A-Za-z0-9_]|$)',
                 '\1' || CASE WHEN (labels ->> col) IS NULL THEN col
                               ELSE replace(labels ->> col, '\', '\\') || ' [' || col || ']' END || '\2');
