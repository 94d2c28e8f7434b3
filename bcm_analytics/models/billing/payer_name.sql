-- The payer name to use for a payer name as an export writes it (a registry's payer, a coverage
-- period's, a claim line's) or as someone asks for it (a `--payer` filter): the one place a raw payer
-- name becomes a payer, which every reader of one goes through, so that one payer written two ways
-- is one payer. Case and surrounding spaces never make two payers: the name is matched trimmed and
-- lower-cased, first to the rules' payer_aliases (config.payer_aliases: an alias -> the name the
-- setting gives, and that name -> itself, as the setting writes it), then to the spellings the
-- exports write (config.payer_spellings: the spelling on most rows); a name written one way only is
-- itself, trimmed. Two names that differ otherwise (inner spaces, punctuation, "BCBS" and "Blue
-- Cross") are two payers until an alias joins them (the data-quality warning lists the likely ones).
-- kind: macro
CREATE OR REPLACE MACRO marts.payer_name(raw_) AS (
  coalesce((SELECT a.payer FROM config.payer_aliases a WHERE a.payer_key = lower(trim(raw_))),
           (SELECT s.payer FROM config.payer_spellings s WHERE s.payer_key = lower(trim(raw_))),
           trim(raw_))
)
