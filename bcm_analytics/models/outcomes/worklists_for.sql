-- Patient-level worklists for care teams (never part of an aggregate report): episodes on the
-- caseload at the as-of date inside the filters, one row per patient, with the reasons to act:
--   needs_review     not improving on an instrument and no psychiatric case review in the last
--                    not_improving_review_days
--   item9_positive   the latest PHQ-9 has item 9 above 0 (same-day safety follow-up); NULL when the
--                    latest PHQ-9 has no item 9 (unknown, not "no")
--   item9_on_list    item9_positive, or an earlier positive answer in the episode (history)
--   item9_latest_positive_date   the latest positive answer: the one a contact must follow
--   contacted_since_item9   a contact after the latest positive answer (marts.item9_follow_up, the
--                    one rule for every answer: each positive answer is a same-day safety flag, so
--                    a call after an earlier answer of the run does not follow a new one): on a
--                    later day, or later the same day where both the answer and the contact have a
--                    time. A contact that day where either has a day alone cannot be placed
--                    (item9_contact_same_day_untimed): outcome.item9_same_day_untimed says what it
--                    is, false (does_not_count, the default: the patient stays listed), true
--                    (counts) or NULL (unknown: the patient stays listed too)
--   item9_contact_same_day_untimed   no contact placed after the answer, and one that day that
--                    cannot be placed before or after it (the worklist says so, never "no")
--   item9_earlier_follow_up   every positive answer before the latest one, oldest first, each
--                    {answered_on, contacted, same_day_untimed} by the same rule, a contact counting
--                    until the next positive answer (one that follows the next answer is the next
--                    answer's): the history a care manager reads, never the current flag
--   item9_earlier_positive_dates   the same answers' dates (the worklist's earlier_positives beside
--                    earlier_followed), read from item9_earlier_follow_up so the two never differ.
--                    They were the answers before the current positive run (every one, the latest
--                    included, when the latest PHQ-9 is not positive): a run of Jan 10 and Feb 10
--                    showed no earlier date beside Jan 10's verdict, and a Feb 10 answer followed by a
--                    0 was listed as earlier and as latest_positive. outcome_measures.md section 1:
--                    each positive answer is its own safety flag, kept visible with its date and
--                    whether a contact followed it; so each is shown once, the latest in
--                    item9_latest_positive_date with contacted_since_item9, every one before it here
--   overdue_score    no score in the last scored_within_days (from enrolment when none yet)
--   no_recent_contact   no contact in the last contacted_within_days (from enrolment when none
--                    yet, as overdue_score): the patients the caseload measure `contacted` counts
--                    out at the as-of date, but for those enrolled too recently to be overdue
-- A discharged patient is on the item-9 list alone, and only while a positive answer dated on or
-- after the discharge day (a relapse-prevention check-in: outcome_measures.md section 2 keeps scoring after
-- it) has no contact after it: each positive answer is a same-day safety flag, whether or not the
-- episode is open. Its contacts after the discharge are outcome_activity's rows outside the
-- episode (in_episode false). discharge_date says which patients these are. The payer filter takes
-- the payer in force now, in the as-of month (marts.payer_name_periods): a list is worked today.
-- kind: macro
CREATE OR REPLACE MACRO marts.worklists_for(clinics_, care_manager_, payer_) AS TABLE
WITH per_episode AS (
  SELECT episode_id,
         bool_or(coalesce(not_improving, false)) AS not_improving,
         bool_or(item9_positive) AS item9_positive,
         max(latest_date) AS last_score_date,
         string_agg(instrument || ' ' || coalesce(baseline_score || ' -> ', '') || latest_score, '; ' ORDER BY instrument) AS scores,
         string_agg(CASE WHEN not_improving THEN instrument END, ', ' ORDER BY instrument) AS not_improving_on,
         max(CASE WHEN item9_positive IS NOT NULL THEN latest_date END) AS item9_date,
         min(item9_positive_since) AS item9_positive_since,
         flatten(list(item9_positive_dates ORDER BY instrument)) AS item9_positive_dates
  FROM marts.outcome_patients
  GROUP BY ALL
),
anchored AS (  -- the answer a contact must follow: the latest positive one
  SELECT *, list_max(item9_positive_dates) AS item9_anchor FROM per_episode
),
contacts AS (  -- the latest contact, in the episode or after its discharge (what a discharged patient is
               -- listed for), every contact (what follows a positive answer); the latest psychiatric
               -- case review in the episode
  SELECT episode_id, max(service_date) FILTER (WHERE is_contact) AS last_contact_date,
         list(struct_pack(on_day := service_date, at_time := contact_at)) FILTER (WHERE is_contact) AS contacts,
         max(service_date) FILTER (WHERE is_review AND in_episode) AS last_review_date
  FROM marts.outcome_activity WHERE service_date <= (SELECT as_of FROM config.as_of_date)
  GROUP BY ALL
),
answered_at AS (  -- when each positive answer was given, where every positive answer that day has a time
  SELECT episode_id, administered_on,
         CASE WHEN bool_and(item9_positive_at IS NOT NULL) THEN max(item9_positive_at) END AS item9_positive_at
  FROM marts.outcome_scores WHERE has_item9 AND item9_max > 0
  GROUP BY ALL
),
answers AS (  -- every positive answer with the next one (a contact after that is the next one's)
  SELECT a.episode_id, a.answered_on, t.item9_positive_at AS answered_at,
         lead(a.answered_on) OVER w AS next_on, lead(t.item9_positive_at) OVER w AS next_at
  FROM (SELECT DISTINCT episode_id, unnest(item9_positive_dates) AS answered_on FROM per_episode) a
  LEFT JOIN answered_at t ON t.episode_id = a.episode_id AND t.administered_on = a.answered_on
  WINDOW w AS (PARTITION BY a.episode_id ORDER BY a.answered_on)
),
followed AS (  -- marts.item9_follow_up: one rule for the latest answer and each earlier one
  SELECT a.*, marts.item9_follow_up(a.answered_on, a.answered_at, a.next_on, a.next_at, coalesce(c.contacts, [])) AS f
  FROM answers a LEFT JOIN contacts c USING (episode_id)
),
per_answer AS (
  SELECT episode_id,
         any_value(f.contacted) FILTER (WHERE next_on IS NULL) AS contacted_since_item9,
         bool_or(f.same_day_untimed) FILTER (WHERE next_on IS NULL) AS item9_contact_same_day_untimed,
         list(struct_pack(answered_on := answered_on, contacted := f.contacted, same_day_untimed := f.same_day_untimed)
              ORDER BY answered_on) FILTER (WHERE next_on IS NOT NULL) AS item9_earlier_follow_up
  FROM followed
  GROUP BY ALL
),
listed AS (
  SELECT e.*, p.* EXCLUDE (episode_id), c.last_review_date, c.last_contact_date,
         CASE WHEN p.item9_anchor IS NULL THEN false ELSE f.contacted_since_item9 END AS contacted_since_item9,
         coalesce(f.item9_contact_same_day_untimed, false) AS item9_contact_same_day_untimed,
         f.item9_earlier_follow_up,
         y.payer
  FROM marts.outcome_episodes e
  JOIN marts.payer_name_periods y ON y.patient_id = e.patient_id
   AND CAST(date_trunc('month', (SELECT as_of FROM config.as_of_date)) AS DATE) BETWEEN y.from_month AND y.until_month
  LEFT JOIN anchored p USING (episode_id)
  LEFT JOIN contacts c USING (episode_id)
  LEFT JOIN per_answer f USING (episode_id)
  -- a discharged patient stays listed while the latest positive answer has no contact after it, given
  -- before the discharge as after it: a discharge the day after an unanswered flag is the gap the list is for
  WHERE e.active OR (p.item9_anchor IS NOT NULL AND NOT coalesce(f.contacted_since_item9, false))
)
SELECT e.patient_id, e.episode_id, e.clinic_id, e.care_manager_id, e.enrollment_date, e.discharge_date,
       round(datediff('day', e.enrollment_date, e.episode_end) / 7.0, 1) AS weeks_in_treatment,  -- to the discharge, if any
       e.scores, e.last_score_date, e.last_contact_date, e.last_review_date,
       e.active AND coalesce(e.not_improving, false) AND (e.last_review_date IS NULL
         OR e.last_review_date <= a.as_of - s.not_improving_review_days::INTEGER) AS needs_review,
       e.not_improving_on,
       e.item9_positive,
       e.item9_date,
       e.item9_positive_since,
       list_transform(coalesce(e.item9_earlier_follow_up, []), lambda a: a.answered_on) AS item9_earlier_positive_dates,
       CASE WHEN e.active THEN coalesce(e.item9_positive, false) OR len(coalesce(e.item9_positive_dates, [])) > 0
            ELSE true END AS item9_on_list,  -- a discharged patient is listed only for an answer still to follow up
       e.item9_anchor AS item9_latest_positive_date,
       e.contacted_since_item9,
       e.item9_contact_same_day_untimed,
       coalesce(e.item9_earlier_follow_up, []) AS item9_earlier_follow_up,
       e.active AND coalesce(e.last_score_date, e.enrollment_date) <= a.as_of - s.scored_within_days::INTEGER AS overdue_score,
       e.active AND coalesce(e.last_contact_date, e.enrollment_date) <= a.as_of - s.contacted_within_days::INTEGER AS no_recent_contact
FROM listed e
CROSS JOIN config.as_of_date a
CROSS JOIN config.outcome_settings s
WHERE marts.in_filter(e.clinic_id, e.care_manager_id, e.payer, clinics_, care_manager_, payer_)
ORDER BY e.care_manager_id, e.patient_id
