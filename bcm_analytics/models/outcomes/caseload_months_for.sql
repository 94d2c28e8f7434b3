-- Caseload and process measures per month of start_..end_ for the program, each clinic, each care
-- manager and each care manager at each clinic ('All' where summed over), counted from
-- marts.caseload_patient_months for the episodes inside the filters (marts.in_filter).
--   served  patients on the program any day of the month (the base of per-patient-month rates): a
--           patient discharged and enrolled again in the month is one patient, with one discharge
--           and one new enrolment (the flows count episodes)
--   active  the active caseload at month end (marts.on_caseload): the number every report shows;
--           one episode of a patient at most (an earlier one ended at its discharge)
--   scored, scored_long, not_improving, not_improving_no_review  on any instrument, or with
--           instrument_ on that one alone (a patient scored only on the PHQ-9 is not scored on a
--           page filtered to the GAD-7); the caseload, contacts, reviews and the flows count
--           every patient on the caseload whatever the instrument
--   phq9_patients, gad7_patients  the active patients with a score of the instrument by month end,
--           whom the mean first and last scores are taken over
-- kind: macro
CREATE OR REPLACE MACRO marts.caseload_months_for(start_, end_, clinics_, care_manager_, payer_, instrument_) AS TABLE
SELECT month,
       CASE WHEN grouping(clinic_id) = 0 THEN coalesce(clinic_id, 'Unknown') ELSE 'All' END AS clinic,
       CASE WHEN grouping(care_manager_id) = 0 THEN coalesce(care_manager_id, 'Unknown') ELSE 'All' END AS care_manager,
       count(DISTINCT patient_id) AS served,
       count(*) FILTER (WHERE active) AS active,
       count(*) FILTER (WHERE enrolled_in_month) AS new_enrolments,
       count(*) FILTER (WHERE discharged_in_month) AS discharges,
       count(*) FILTER (WHERE contacted) AS contacted,
       count(*) FILTER (WHERE scored AND (instrument_ IS NULL OR list_contains(scored_on, instrument_))) AS scored,
       count(*) FILTER (WHERE scored_long AND (instrument_ IS NULL OR list_contains(scored_long_on, instrument_))) AS scored_long,
       count(*) FILTER (WHERE reviewed) AS reviewed,
       count(*) FILTER (WHERE not_improving AND (instrument_ IS NULL OR list_contains(not_improving_on, instrument_)))
         AS not_improving,
       count(*) FILTER (WHERE not_improving_no_review AND (instrument_ IS NULL OR list_contains(not_improving_on, instrument_)))
         AS not_improving_no_review,
       count(*) FILTER (WHERE assessed) AS assessed,
       count(*) FILTER (WHERE followed_up) AS followed_up,
       sum(contacts) AS contacts,
       sum(minutes) AS minutes,
       avg(weeks_in_treatment) AS mean_weeks_in_treatment,
       avg(phq9_first) AS mean_phq9_first,
       avg(phq9_last) AS mean_phq9_last,
       avg(gad7_first) AS mean_gad7_first,
       avg(gad7_last) AS mean_gad7_last,
       count(phq9_first) AS phq9_patients,
       count(gad7_first) AS gad7_patients
FROM marts.caseload_patient_months
WHERE month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  AND marts.in_filter(clinic_id, care_manager_id, payer, clinics_, care_manager_, payer_)
GROUP BY GROUPING SETS ((month), (month, clinic_id), (month, care_manager_id), (month, clinic_id, care_manager_id))
ORDER BY month, clinic = 'All' DESC, clinic, care_manager = 'All' DESC, care_manager
