-- Whether a contact followed a positive PHQ-9 item-9 answer: the one rule for the latest answer
-- (the worklist's contacted_since_item9) and for each earlier one (its history), so a care manager
-- reads both alike. A contact follows an answer on a later day, or later the same day where both the
-- answer (answer_at) and the contact have a time. A contact that day where either has a day alone
-- cannot be placed before or after it: outcome.item9_same_day_untimed says what it is (false for
-- does_not_count, the default; true for counts; NULL for unknown), and same_day_untimed says it
-- was so (the worklist says "same day, no time", never "no").
-- Each positive answer is its own same-day safety flag: a contact that follows the next positive
-- answer (next_on, next_at: NULL for the latest) is that answer's, not a follow-up of this one, so an
-- earlier answer reads as followed only by a contact before the next positive answer (or on its
-- day, where no time places the contact after it: it is certainly after this one).
-- contacts: a list of {on_day, at_time} (at_time NULL for a day alone), any order.
-- kind: macro
CREATE OR REPLACE MACRO marts.item9_follow_up(answer_on, answer_at, next_on, next_at, contacts) AS (
  SELECT struct_pack(
           contacted := CASE WHEN list_contains(placed, 'after') THEN true
                             WHEN list_contains(placed, 'same day') THEN
                               CASE s.item9_same_day_untimed WHEN 'counts' THEN true WHEN 'unknown' THEN NULL ELSE false END
                             ELSE false END,
           same_day_untimed := NOT list_contains(placed, 'after') AND list_contains(placed, 'same day'))
  FROM (SELECT list_transform(contacts, lambda c:
          CASE WHEN (c.on_day > answer_on OR c.at_time > answer_at)
                    AND NOT coalesce(c.on_day > next_on OR c.at_time > next_at, false) THEN 'after'
               WHEN c.on_day = answer_on AND (c.at_time IS NULL OR answer_at IS NULL) THEN 'same day'
          END) AS placed)
  CROSS JOIN config.outcome_settings s)
