-- The display spelling of each payer name the exports write in more than one way that differ only in
-- case or surrounding spaces ("Medicare", "MEDICARE", "Medicare "): the spelling on the most rows of
-- patients, coverage and claims together, the first in sort order between equals. Read before each
-- build into config.payer_spellings (models/inputs.py), which marts.payer_name looks names up in; a
-- name written one way only is not listed (it is its own spelling, trimmed). An alias in the rules
-- (payer_aliases) decides before this does: its target is written as the setting writes it.
SELECT lower(spelling) AS payer_key, first(spelling ORDER BY row_count DESC, spelling) AS payer
FROM core.payer_names_written
GROUP BY ALL
HAVING count(*) > 1
ORDER BY payer_key
