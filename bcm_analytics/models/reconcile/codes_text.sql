-- Codes joined with ' + ' (a finding's billed_code) as a sentence lists them: '99484 and 99493',
-- '99484, 99493 and 99494' (it read '99484 and 99493 and 99494').
-- kind: macro
CREATE OR REPLACE MACRO marts.codes_text(codes) AS
  CASE WHEN codes LIKE '% + %'
       THEN array_to_string(string_split(codes, ' + ')[1:-2], ', ') || ' and ' || string_split(codes, ' + ')[-1]
       ELSE codes END
