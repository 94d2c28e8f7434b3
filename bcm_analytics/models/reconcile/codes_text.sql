-- A list of codes (a conflict's codes, as marts.recon_conflicts holds them) as a sentence lists
-- them: '99484 and 99493', '99484, 99493 and 99494' (it read '99484 and 99493 and 99494'). It
-- takes the list, not the finding's billed_code ('99484 + 99493'), which is written for a reader.
-- kind: macro
CREATE OR REPLACE MACRO marts.codes_text(codes) AS
  CASE WHEN len(codes) > 1 THEN array_to_string(codes[1:-2], ', ') || ' and ' || codes[-1] ELSE codes[1] END
