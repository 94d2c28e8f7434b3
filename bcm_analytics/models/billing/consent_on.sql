-- The consent date an entry of `day` is judged by (billing_rules.md section 3: minutes before the
-- patient's consent date do not count): that of the enrolment in force on the day, the one that
-- starts latest on or before it (marts.billing_patients.consents, each enrolment's start and
-- consent, core.enrolments), else the first enrolment's (a day before every enrolment: the
-- loader warns of it). A month is billed under one enrolment (marts.month_terms), but a
-- re-enrolment in the month of a discharge (discharged on the 3rd, back on the 20th with a new
-- consent) leaves the days before it to the earlier enrolment: its minutes were served under
-- the consent then on file, and the episode goes on (section 2), so they count. With one
-- enrolment, its consent, whatever the day.
-- kind: macro
CREATE OR REPLACE MACRO marts.consent_on(consents, day) AS
  CASE WHEN len(consents) = 1 THEN consents[1].consent_date
       ELSE coalesce(list_last(list_filter(consents, lambda c: c.enrolled_on <= day)), consents[1]).consent_date END
