-- Scores that count for outcomes: one per episode, instrument and day.
--
-- Only instruments with a definition (config.instruments; PHQ-A counts as PHQ-9), totals inside the
-- instrument's range, and dates from the episode's counts_from (baseline_lookback_days before
-- enrolment, never on or before the discharge of the patient's episode before) to the as-of date
-- (or the episode's scores_until: when discharge closes follow-up, and the day before a later
-- episode's counts_from, so a score belongs to one episode of a re-enrolled patient). Two scores
-- of one instrument on one day: the later timestamp wins; when any of them has no time of day the
-- order is unknown, so the higher (conservative) score is used and the day is flagged. item9_max
-- keeps the highest item 9 of the day (NULL when no score that day has one): the history of
-- answers, where a safety flag is never dropped with a duplicate. item9_of_day is the day's answer
-- for the current flag: item9_max when an answer that day is positive, else the item 9 of the
-- score used, NULL when it has none (unknown, as the reference says of a latest PHQ-9 with no
-- item 9: another score's 0 that day does not make it "no"). item9_positive_at: when the day's last
-- positive item 9 was answered, where every positive answer that day has a time (else NULL), so
-- a contact later that same day can be seen to follow it (and one between two answers does not).
-- kind: table
-- per_patient: true
WITH in_episode AS (
  SELECT e.episode_id, e.patient_id, i.measured_as AS instrument, i.item9 AS has_item9,
         a.assessment_id, a.administered_on, a.administered_at, a.administered_on_has_time,
         a.total_score, a.item_9
  FROM core.assessments a
  JOIN config.instruments i ON a.instrument = i.name
  CROSS JOIN config.as_of_date d
  JOIN marts.outcome_episodes e
    ON a.patient_id = e.patient_id
   AND a.administered_on BETWEEN e.counts_from AND least(coalesce(e.scores_until, d.as_of), d.as_of)
  WHERE a.total_score BETWEEN i.min_score AND i.max_score
),
days AS (  -- most days hold one score, which needs no ranking: only days with several are sorted
  SELECT episode_id, instrument, administered_on, count(*) AS scores_that_day,
         bool_and(administered_on_has_time) AS all_timed, max(item_9) AS item9_max,
         CASE WHEN bool_and(administered_on_has_time) FILTER (WHERE item_9 > 0)
              THEN max(administered_at) FILTER (WHERE item_9 > 0) END AS item9_positive_at
  FROM in_episode GROUP BY ALL
),
scored AS (
  SELECT i.*, d.scores_that_day, d.all_timed, d.item9_max, d.item9_positive_at,
         CASE WHEN d.item9_max > 0 THEN d.item9_max ELSE i.item_9 END AS item9_of_day
  FROM in_episode i JOIN days d USING (episode_id, instrument, administered_on)
)
SELECT episode_id, patient_id, instrument, has_item9, assessment_id, administered_on, administered_at,
       total_score, item9_max, item9_positive_at, false AS untimed_duplicate, item9_of_day
FROM scored WHERE scores_that_day = 1
UNION ALL
SELECT episode_id, patient_id, instrument, has_item9, assessment_id, administered_on, administered_at,
       total_score, item9_max, item9_positive_at, NOT all_timed AS untimed_duplicate, item9_of_day
FROM scored WHERE scores_that_day > 1
QUALIFY row_number() OVER (
  PARTITION BY episode_id, instrument, administered_on
  ORDER BY CASE WHEN all_timed THEN administered_at END DESC NULLS LAST, total_score DESC, assessment_id
) = 1
