-- Contacts per month by contact mode for the program ('All'), each clinic and each care manager,
-- and each care manager at each clinic.
-- Contacts without a mode (an assessment logged with mode "none") are "no mode".
SELECT a.service_month AS month,
       CASE WHEN grouping(e.clinic_id) = 0 THEN coalesce(e.clinic_id, 'Unknown') ELSE 'All' END AS clinic,
       CASE WHEN grouping(e.care_manager_id) = 0 THEN coalesce(e.care_manager_id, 'Unknown') ELSE 'All' END AS care_manager,
       a.contact_mode,
       count(*) AS contacts
FROM outcome_activity a
JOIN outcome_episodes e USING (episode_id)
WHERE a.is_contact AND a.service_month BETWEEN $start_month AND $end_month
  AND a.service_date >= e.enrollment_date
GROUP BY GROUPING SETS ((a.service_month, a.contact_mode), (a.service_month, a.contact_mode, e.clinic_id),
                        (a.service_month, a.contact_mode, e.care_manager_id),
                        (a.service_month, a.contact_mode, e.clinic_id, e.care_manager_id))
ORDER BY month, clinic, care_manager, contact_mode
