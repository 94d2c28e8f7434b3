-- Payer names the exports write (patients, coverage, claims) that differ only in case, spaces or
-- punctuation and are still two payers: no alias in the rules joins them (payer_aliases), and case
-- and surrounding spaces alone would have (marts.payer_name). "Blue Cross Blue Shield" and
-- "Blue Cross/Blue Shield" are likely one payer billed and measured as two. One row per payer
-- (as marts.payer_name reads it) of each such group (`payer_likeness`: the name lower-cased with
-- everything but letters and digits taken out), with its rows and the spellings that read as it
-- (most rows first), and `alias_to`: the group's payer on most rows (the first in sort order between
-- equals), the alias to add for the others (`payer_aliases: {payer: alias_to}`). `bcm validate` and
-- the data-quality report warn of them; only a person can tell whether they are one payer.
-- kind: view
WITH per_payer AS (
  SELECT lower(regexp_replace(spelling, '[^[:alnum:]]+', '', 'g')) AS payer_likeness, marts.payer_name(spelling) AS payer,
         sum(row_count) AS row_count, list(spelling ORDER BY row_count DESC, spelling) AS spellings
  FROM core.payer_names_written
  GROUP BY ALL
),
apart AS (
  SELECT *, count(*) OVER (PARTITION BY payer_likeness) AS payers,
         first(payer ORDER BY row_count DESC, payer) OVER (PARTITION BY payer_likeness) AS alias_to
  FROM per_payer WHERE payer_likeness <> ''
)
SELECT payer_likeness, payer, CAST(row_count AS BIGINT) AS row_count, spellings, alias_to
FROM apart WHERE payers > 1
ORDER BY payer_likeness, row_count DESC, payer
