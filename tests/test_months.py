"""Months as the rules count them (bcm_analytics.months): the period check every command and report shares."""

from __future__ import annotations

import datetime as dt

import pytest

from bcm_analytics.months import runs_text, runs_words, series_words, starts_after_end


@pytest.mark.parametrize("start, end, after", [
    ("2025-03", "2025-01", True),
    ("2025-01", "2025-03", False),
    ("2025-03", "2025-03", False),
    ("2025-03-17", "2025-03", False),  # one month: as text, '2025-03-17' sorts after '2025-03'
    (dt.date(2025, 3, 31), "2025-03", False),
    ("2024-12", dt.date(2025, 1, 1), False),
    (dt.date(2026, 1, 1), "2025-12-31", True),
])
def test_a_period_starts_after_it_ends_only_when_its_first_month_is_later(start, end, after):
    """The one check behind `bcm billing/reconcile --to` before --month, `bcm report -p start_month`
    after end_month, and an outcome period (it was written three times, one of them a text comparison)."""
    assert starts_after_end(start, end) is after


def test_months_read_as_runs():
    """The months a warning names (claims or scores not loaded), as a reader takes them in."""
    jan, feb, mar, jun, dec = (dt.date(2025, m, 1) for m in (1, 2, 3, 6, 12))
    assert runs_text([jan, feb, mar, jun]) == "2025-01 to 2025-03 and 2025-06"
    assert runs_text([jan, mar, jun], "%b %Y") == "Jan 2025, Mar 2025 and Jun 2025"
    assert runs_text([dec, dt.date(2026, 1, 1)]) == "2025-12 to 2026-01", "a run crosses the year"
    assert runs_text([jun]) == "2025-06"


def test_a_tables_periods_read_as_runs_as_months_do():
    """The time allocation page's note on periods with no time logged grouped its quarters into runs
    with a loop of its own beside runs_text's: one rule, now runs_words, which runs_text words months
    with (by their place in the calendar) and the note a table's periods (by their row)."""
    assert runs_words(["2025 Q1", "2025 Q2", "2025 Q4"], [0, 1, 3]) == "2025 Q1 to 2025 Q2 and 2025 Q4"
    assert runs_words(["2025 Q1", "2025 Q3", "2026"], [0, 2, 5]) == "2025 Q1, 2025 Q3 and 2026"
    assert runs_words(["2025, Nov-Dec"], [0]) == "2025, Nov-Dec"
    assert runs_words([], []) == ""


def test_words_are_listed_as_a_sentence_lists_them():
    """The glossary's discharge reasons and the caseload page's measurement years were listed by two
    joiners of their own; one rule now, with the conjunction the sentence needs."""
    assert series_words([]) == ""
    assert series_words(["2025"]) == "2025"
    assert series_words(["2024", "2025"]) == "2024 and 2025"
    assert series_words(["deceased", "death", "died"], "or") == "deceased, death or died"
