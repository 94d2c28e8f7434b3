-- The payer class a payer name bills under, as the program writes the name (a registry's payer or
-- a coverage period's): the ruleset's payer_names, matched ignoring case and surrounding spaces,
-- else the ruleset's default class with `mapped` false, so `bcm billing` can name the payer.
-- kind: macro
CREATE OR REPLACE MACRO marts.payer_class_of(payer_) AS (
  SELECT {'payer_class': coalesce(n.payer_class, rs.default_payer_class), 'mapped': n.payer_class IS NOT NULL}
  FROM config.ruleset rs LEFT JOIN config.payer_names n ON n.payer_name = lower(trim(payer_))
)
