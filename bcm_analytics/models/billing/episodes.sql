-- Months of service (countable minutes > 0) grouped into episodes, each with its month type.
--
-- A new episode starts after `episode_gap_months` (6) or more calendar months in a row with no
-- countable minutes (marts.starts_episode). The initial month is the episode's first month; with
-- carry_initial_forward the following months stay initial until one reaches the initial code
-- (99492). With initial_code_once_per = calendar_year, an episode whose initial code would fall in
-- the same calendar year as an earlier episode's initial code has no initial month (99493 instead):
-- `initial_code_reached_in` is then the month that earlier episode reached it (NULL otherwise).
-- The window functions run over a few narrow columns; the month's terms join at the end
-- (marts.month_terms: its payer, a coverage period else the registry's, and its enrolment's consent,
-- clinic, setting, practitioner and program), which the rule in force, the month's codes and its
-- billing lines follow.
-- kind: table
-- per_patient: true
-- cumulative_by_month: service_month
WITH m AS (
  SELECT b.patient_id, b.service_month, b.countable_minutes,
         marts.rule_in_force(y.payer, y.payer_class, y.billing_setting, y.program, b.service_month) AS r
  FROM marts.countable_minutes b
  JOIN marts.month_terms y ON y.patient_id = b.patient_id AND b.service_month BETWEEN y.from_month AND y.until_month
  WHERE b.countable_minutes > 0
),
slim AS (
  SELECT patient_id, service_month, countable_minutes, r.episode_gap_months AS gap_months, r.initial_from,
         r.carry_initial_forward, r.initial_code_once_per,
         lag(service_month) OVER (PARTITION BY patient_id ORDER BY service_month) AS previous_month
  FROM m WHERE r IS NOT NULL
),
numbered AS (  -- one window pass: the episode (a running count of starts), its first month (the latest
               -- start so far) and the latest earlier month that reached the initial code's minutes
  SELECT *, sum(CASE WHEN starts THEN 1 ELSE 0 END) OVER (w ROWS UNBOUNDED PRECEDING) AS episode_no,
         max(CASE WHEN starts THEN service_month END) OVER (w ROWS UNBOUNDED PRECEDING) AS episode_start,
         max(CASE WHEN countable_minutes >= initial_from THEN service_month END)
           OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached_before
  FROM (SELECT *, marts.starts_episode(previous_month, service_month, gap_months) AS starts FROM slim)
  WINDOW w AS (PARTITION BY patient_id ORDER BY service_month)
),
typed AS (  -- carried forward, a month stays initial until a month of its episode before it reached the initial code
  SELECT *, CASE WHEN service_month = episode_start THEN 'initial'
                 WHEN carry_initial_forward AND (reached_before IS NULL OR reached_before < episode_start)
                   THEN 'initial'
                 ELSE 'subsequent' END AS episode_month_type
  FROM numbered
),
initial_code_months AS (
  SELECT patient_id, episode_no, min(service_month) AS initial_code_month
  FROM typed WHERE episode_month_type = 'initial' AND countable_minutes >= initial_from
  GROUP BY patient_id, episode_no
)
SELECT t.patient_id, t.service_month, t.countable_minutes,
       y.* EXCLUDE (patient_id, from_month, until_month, payer_source),
       t.episode_no, t.episode_start,
       t.patient_id || '-' || strftime(t.episode_start, '%Y-%m') AS episode_id,
       CASE WHEN t.initial_code_reached_in IS NOT NULL THEN 'subsequent' ELSE t.episode_month_type END AS month_type,
       t.initial_code_reached_in
FROM (SELECT t.*,  -- calendar_year: the month an earlier episode of the year reached the initial code
             CASE WHEN t.episode_month_type = 'initial' AND t.initial_code_once_per = 'calendar_year'
                  THEN (SELECT min(i.initial_code_month) FROM initial_code_months i
                        WHERE i.patient_id = t.patient_id AND i.episode_no < t.episode_no
                          AND year(i.initial_code_month) = year(t.service_month)) END AS initial_code_reached_in
      FROM typed t) t
JOIN marts.month_terms y ON y.patient_id = t.patient_id AND t.service_month BETWEEN y.from_month AND y.until_month
