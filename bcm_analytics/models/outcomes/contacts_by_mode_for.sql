-- Contacts per month of start_..end_ by contact mode for the program ('All'), each clinic, each
-- care manager, and each care manager at each clinic (episodes inside the filters). Contacts
-- without a mode (an assessment logged with mode "none") are "no mode". A contact is under the payer in
-- force in its month (marts.payer_name_periods), as the caseload months are.
-- kind: macro
CREATE OR REPLACE MACRO marts.contacts_by_mode_for(start_, end_, clinics_, care_manager_, payer_) AS TABLE
SELECT a.service_month AS month,
       CASE WHEN grouping(e.clinic_id) = 0 THEN coalesce(e.clinic_id, 'Unknown') ELSE 'All' END AS clinic,
       CASE WHEN grouping(e.care_manager_id) = 0 THEN coalesce(e.care_manager_id, 'Unknown') ELSE 'All' END AS care_manager,
       a.contact_mode,
       count(*) AS contacts
FROM marts.outcome_activity a
JOIN marts.outcome_episodes e USING (episode_id)
JOIN marts.payer_name_periods y ON y.patient_id = e.patient_id AND a.service_month BETWEEN y.from_month AND y.until_month
WHERE a.is_contact AND a.in_episode AND a.service_month BETWEEN CAST(start_ AS DATE) AND CAST(end_ AS DATE)
  AND a.service_date >= e.enrollment_date AND a.service_date <= (SELECT as_of FROM config.as_of_date)
  AND marts.in_filter(e.clinic_id, e.care_manager_id, y.payer, clinics_, care_manager_, payer_)
GROUP BY GROUPING SETS ((a.service_month, a.contact_mode), (a.service_month, a.contact_mode, e.clinic_id),
                        (a.service_month, a.contact_mode, e.care_manager_id),
                        (a.service_month, a.contact_mode, e.clinic_id, e.care_manager_id))
ORDER BY month, clinic, care_manager, contact_mode
