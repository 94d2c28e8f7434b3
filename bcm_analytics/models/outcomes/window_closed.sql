-- Whether a follow-up window has closed at the as-of date: "a window is pending until its last day
-- has passed the as-of date" (outcome_measures.md section 2), the as-of date read as the end of its
-- day (the data hold that day whole): a window whose last day is the as-of date has closed, and one
-- whose last day is later is pending, "not yet measurable". The patient windows, DRR-E and CMS159
-- (a patient's window and a measurement year's last follow-up day) and the as-of move all ask here.
-- kind: macro
CREATE OR REPLACE MACRO marts.window_closed(last_day, as_of) AS last_day <= as_of
