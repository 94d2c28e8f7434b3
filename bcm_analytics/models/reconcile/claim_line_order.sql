-- When a claim line was billed, as a key two lines compare by: the earlier date of service, then
-- the claim id in number order (C9 before C10, 999 before 1000), then the line. Of a code billed
-- twice in a month the earliest line stands and the later ones are the duplicates to void
-- (recon_codes): compared as text, claim 1000 of 31 July came before claim 999 of 15 July, and the
-- finance queue voided the good claim and put the wrong one's charge at stake.
-- kind: macro
CREATE OR REPLACE MACRO marts.claim_line_order(date_of_service, claim_id, line_number) AS
  {day: date_of_service, id_length: length(claim_id), id: claim_id, line: line_number}
