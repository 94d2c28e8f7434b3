-- Caseload and process measures per month for the whole program, each clinic, each care manager
-- and each care manager at each clinic (marts.caseload_months_for without filters, every month).
-- kind: table
SELECT * FROM marts.caseload_months_for(DATE '1900-01-01', DATE '9999-12-01', NULL, NULL, NULL, NULL)
