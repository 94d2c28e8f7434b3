-- The walk from expected dollars to billed dollars for the service months start_..end_ (first days
-- of months), one row per line, in order, whose dollars add up exactly to billed. The headline's
-- missed revenue and compliance exposure do not: a claim under a wrong code or NPI counts in full
-- as exposure while the code the minutes support stays in expected, and a charge can differ from
-- the fee schedule's price. Here every code of every patient-month is priced once, at its fee in
-- force (recon_codes.unit_fee, the fee expected dollars use), and what billed adds or lacks is put
-- on one line:
--   expected      expected dollars (recon_monthly_totals)
--   missed        supported units not billed under their code (missed billing, denied, too few
--                 units), at the fee
--   quarantined   supported units no claim line bills or denies, of a code whose claim may be a line
--                 in the quarantine, at the fee: not missed revenue, the claim may be the line set
--                 aside at load (claim_quarantined; billing_rules.md section 6 item 13). The codes are
--                 marts.recon_quarantined_months' (stands_for), the findings': of a dated line's own
--                 month those it could be (its code, the month's base for another base code, any for
--                 a code that does not read), and for a line whose date does not read the same in
--                 each month it could be the missing claim of (the
--                 same line may stand for several months, each counted: nobody can tell which is its
--                 own until it is fixed and reloaded, and none of them is to be billed again before).
--                 Units billed short or denied in such a month stay missed (units_mismatch, denied_claim)
--   exposure      units billed without support (unsupported claims, extra units, duplicates,
--                 conflicts, no consent), at the fee
--   unknown       charges of claims for patients not in the registry (no fee applies)
--   moved         a month whose supported base code went unbilled while another code was billed in
--                 its place (a wrong code, a fallback or an accepted code): the fee of the code
--                 billed less the fee of the code supported. A claim under another NPI bills the
--                 supported code, so it moves no dollar ($0 here, its whole charge in the exposure)
--   charge        billed charges less the same units at the fee (a charge other than the fee, a
--                 claim line without a charge amount, a code with no fee on file)
--   residual      billed less expected and every line above: $0, or a dollar this walk does not
--                 explain (an expected code reconciliation does not know); tests hold it at $0
--   billed        billed dollars (recon_monthly_totals)
-- Dollars are cents (DECIMAL(18,2)), so the lines add up exactly. patient_months: the
-- patient-months a line's dollars come from (moved: also those with a claim under another NPI).
-- clinic_ and payer_ (a payer name or class) narrow it as recon_monthly_totals does; NULL means all.
-- kind: macro
CREATE OR REPLACE MACRO marts.recon_bridge(start_, end_, clinic_, payer_) AS TABLE
WITH patients AS (SELECT * FROM marts.recon_patients(clinic_, payer_)),
totals AS (  -- the headline's expected and billed dollars
  SELECT CAST(round(sum(expected_amount), 2) AS DECIMAL(18,2)) AS expected, CAST(round(sum(billed_amount), 2) AS DECIMAL(18,2)) AS billed
  FROM marts.recon_monthly_totals(start_, end_, clinic_, payer_)
),
claimed AS (  -- every billing claim line's units (duplicates and lines without a charge too) and charges, per code
  SELECT patient_id, service_month, code, sum(units) AS units, CAST(coalesce(sum(charge_amount), 0) AS DECIMAL(18,2)) AS charged
  FROM marts.recon_claim_lines
  WHERE time_based AND bills AND service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  GROUP BY patient_id, service_month, code
),
codes AS (
  SELECT r.patient_id, r.service_month, r.code, r.code_role <> 'add_on' AS base, r.expected_units AS supported,
         coalesce(c.units, 0) AS billed, CAST(coalesce(r.unit_fee, 0) AS DECIMAL(18,2)) AS fee,
         coalesce(c.charged, 0) AS charged, r.wrong_npi_lines > 0 AS wrong_npi,
         -- no claim line bills or denies the code, and a line in the quarantine could be its claim
         r.active_lines = 0 AND r.denied_lines = 0 AND EXISTS (
           SELECT 1 FROM marts.recon_quarantined_months q WHERE q.patient_id = r.patient_id AND q.service_month = r.service_month
             AND list_contains(q.stands_for, r.code))
           AS held
  FROM marts.recon_codes r
  JOIN patients k ON k.patient_id = r.patient_id AND r.service_month BETWEEN k.from_month AND k.until_month
  LEFT JOIN claimed c ON c.patient_id = r.patient_id AND c.service_month = r.service_month AND c.code = r.code
  WHERE r.service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
),
valued AS (
  SELECT *, fee * greatest(supported - billed, 0) AS short, fee * greatest(billed - supported, 0) AS over,
         charged - fee * billed AS charge_gap,
         base AND supported > 0 AND billed = 0 AS unbilled_base, base AND supported = 0 AND billed > 0 AS unsupported_base
  FROM codes
),
months AS (  -- a month whose supported base code was billed as another code
  SELECT patient_id, service_month, bool_or(unbilled_base) AND bool_or(unsupported_base) AS moved, bool_or(wrong_npi) AS wrong_npi
  FROM valued GROUP BY patient_id, service_month
),
moves AS (  -- the code billed in its place is the month's dearest unsupported base code, one unit; the rest stays exposure
  SELECT v.*, m.moved OR m.wrong_npi AS moved_month,
         CASE WHEN m.moved AND v.unbilled_base THEN v.short ELSE 0 END AS moved_out,
         CASE WHEN m.moved AND v.unsupported_base AND row_number() OVER (
                PARTITION BY v.patient_id, v.service_month, v.unsupported_base ORDER BY v.fee DESC, v.code) = 1
              THEN v.fee ELSE 0 END AS moved_in
  FROM valued v JOIN months m USING (patient_id, service_month)
),
unknown AS (  -- claims for patients not in the registry: in billed only when nothing is narrowed
  SELECT CAST(coalesce(sum(charge_amount), 0) AS DECIMAL(18,2)) AS amount, count(DISTINCT (patient_id, service_month)) AS patient_months
  FROM marts.recon_claim_lines_for(clinic_, payer_)
  WHERE time_based AND bills AND NOT known_patient
    AND service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
),
lines AS (
  SELECT 'missed' AS line, -sum(short - moved_out) FILTER (WHERE NOT held) AS amount,
         count(DISTINCT (patient_id, service_month)) FILTER (WHERE short - moved_out <> 0 AND NOT held) AS patient_months FROM moves
  UNION ALL
  SELECT 'quarantined', -sum(short - moved_out) FILTER (WHERE held),
         count(DISTINCT (patient_id, service_month)) FILTER (WHERE short - moved_out <> 0 AND held) FROM moves
  UNION ALL
  SELECT 'exposure', sum(over) - sum(moved_in), count(DISTINCT (patient_id, service_month)) FILTER (WHERE over - moved_in <> 0) FROM moves
  UNION ALL
  SELECT 'unknown', amount, patient_months FROM unknown
  UNION ALL
  SELECT 'moved', sum(moved_in) - sum(moved_out), count(DISTINCT (patient_id, service_month)) FILTER (WHERE moved_month) FROM moves
  UNION ALL
  SELECT 'charge', sum(charge_gap), count(DISTINCT (patient_id, service_month)) FILTER (WHERE charge_gap <> 0) FROM moves
),
walk AS (
  SELECT 'expected' AS line, expected AS amount, NULL::BIGINT AS patient_months FROM totals
  UNION ALL
  SELECT line, CAST(coalesce(amount, 0) AS DECIMAL(18,2)), coalesce(patient_months, 0) FROM lines
  UNION ALL
  SELECT 'residual', billed - expected - (SELECT CAST(coalesce(sum(amount), 0) AS DECIMAL(18,2)) FROM lines), NULL FROM totals
  UNION ALL
  SELECT 'billed', billed, NULL FROM totals
)
SELECT list_position(['expected', 'missed', 'quarantined', 'exposure', 'unknown', 'moved', 'charge', 'residual', 'billed'], line) AS step,
       line, amount, patient_months
FROM walk
ORDER BY step
