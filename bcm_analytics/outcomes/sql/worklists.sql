-- Patient-level worklists for care teams (never part of the director's report): open episodes
-- that need action as of the as-of date, one row per patient with the reasons.
--   needs_review     not improving on an instrument and no psychiatric case review in the
--                    last $not_improving_review_days days
--   item9_positive   the latest PHQ-9 has item 9 above 0 (same-day follow-up)
--   overdue_score    no score in the last $scored_within_days days (counted from enrolment when
--                    there is no score yet)
WITH per_patient AS (
  SELECT episode_id,
         bool_or(coalesce(not_improving, false)) AS not_improving,
         bool_or(coalesce(item9_positive, false)) AS item9_positive,
         max(latest_date) AS last_score_date,
         string_agg(instrument || ' ' || baseline_score || ' -> ' || latest_score, '; ' ORDER BY instrument) AS scores,
         string_agg(CASE WHEN not_improving THEN instrument END, ', ') AS not_improving_on,
         max(CASE WHEN item9_positive THEN latest_date END) AS item9_date
  FROM outcome_patients
  WHERE active
  GROUP BY ALL
)
SELECT e.patient_id, e.episode_id, e.clinic_id, e.care_manager_id, e.enrollment_date,
       round(datediff('day', e.enrollment_date, $as_of::DATE) / 7.0, 1) AS weeks_in_treatment,
       p.scores, p.last_score_date, a.last_contact_date, a.last_review_date,
       coalesce(p.not_improving, false) AND (a.last_review_date IS NULL
         OR a.last_review_date <= $as_of::DATE - $not_improving_review_days::INTEGER) AS needs_review,
       p.not_improving_on,
       coalesce(p.item9_positive, false) AS item9_positive,
       p.item9_date,
       coalesce(p.last_score_date, e.enrollment_date) <= $as_of::DATE - $scored_within_days::INTEGER AS overdue_score
FROM outcome_episodes e
LEFT JOIN per_patient p USING (episode_id)
LEFT JOIN (SELECT episode_id, max(service_date) FILTER (WHERE is_contact) AS last_contact_date,
                  max(service_date) FILTER (WHERE is_review) AS last_review_date
           FROM outcome_activity GROUP BY ALL) a USING (episode_id)
WHERE e.active
ORDER BY e.care_manager_id, e.patient_id
