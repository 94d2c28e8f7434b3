-- A month's countable minutes from its entries' (each stored to 4 decimals), counted to the whole
-- second, the finest unit an export records: three entries of 00:05:20 are 16 minutes (G2214),
-- not the 15.9999 their 4-decimal parts add up to. Entries in decimal minutes (12.5) are whole
-- seconds too; a total is moved by at most half a second.
-- kind: macro
CREATE OR REPLACE MACRO marts.month_minutes(entry_minutes) AS
  CAST(round(sum(entry_minutes) * 60) / 60 AS DECIMAL(18, 4))
