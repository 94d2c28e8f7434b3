"""What becomes of a logged minute, in words: the one place the outcomes of time are named.

Every logged minute ends in exactly one outcome (marts.time_allocation): counted, or not counted
for a reason that marts.billing_entries gave its entry (marts.uncounted_outcome tells a
non-countable activity's administrative and separately billed time apart). The time-allocation
tables head their columns with `HEADINGS`, its glossary explains them with `OUTCOMES`, and the
audit packets subtotal an entry's minutes that did not count under the same headings, so an
auditor and a director read one name for one reason. This module imports nothing heavy: the
formats every output uses read it.
"""

from __future__ import annotations

# outcome -> (the heading a table gives its minutes, what it means), in the order a report lists them (counted first)
WORDS = {
    "supported_code": ("counted, supporting a billable code", "counted, and the month bills a code"),
    "below_threshold": ("counted, month reaches no code", "counted, but the month reaches no code"),
    "overlap": ("overlapping time", "overlapping time, counted once"),
    "administrative": ("administrative", "administrative or clerical time"),
    "separately_billed": ("separately billed service", "inside a separately billed service (psychotherapy, E/M ...)"),
    "activity_not_countable": ("other activity not countable", "another activity that does not count (a no-show ...)"),
    "role_not_countable": ("staff role not countable", "a role whose minutes do not count (the psychiatric consultant ...)"),
    "during_facility_stay": ("while in hospital", "while the patient was in hospital (inpatient or observation)"),
    "after_discharge": ("after the discharge", "after the patient's discharge, before any re-enrolment"),
    "no_consent": ("no consent on file", "no consent on file"),
    "before_consent": ("before the consent date", "before the consent date"),
    "no_rule_in_force": ("no rule in force", "no billing rule in force for the patient-month"),
    "activity_unknown": ("activity outside the vocabulary", "activity type outside the vocabulary"),
}
HEADINGS = {outcome: heading for outcome, (heading, _) in WORDS.items()}
OUTCOMES = {outcome: meaning for outcome, (_, meaning) in WORDS.items()}
COUNTED = ("supported_code", "below_threshold")
