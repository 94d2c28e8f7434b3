"""Calendar months as the billing and outcome rules count them: a month is its first day.

Every command and report takes months as "YYYY-MM"; one place reads them so "2025-03",
"2025-03-17" and a date all mean the same month everywhere.
"""

from __future__ import annotations

import datetime as dt


def as_date(value) -> dt.date:
    """A date from a date, a datetime or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def month_start(value) -> dt.date:
    """'2025-03', '2025-03-17' or a date -> the first day of that month."""
    if isinstance(value, dt.date):
        return as_date(value).replace(day=1)
    text = str(value)
    return as_date(text + "-01" if len(text) == 7 else text).replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after (or before, n < 0) `month`'s."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of `month`'s month."""
    return add_months(month_start(month), 1) - dt.timedelta(days=1)


def starts_after_end(start, end) -> bool:
    """Whether a period's first month comes after its last: the one check behind every refusal of a
    period that ends before it starts (commands, report parameters, outcome periods), each in its
    own words. Months are read as months, never compared as text ('2025-03-17' is in 2025-03)."""
    return month_start(start) > month_start(end)


def runs_text(months: list[dt.date], month_format: str = "%Y-%m") -> str:
    """Months as runs a reader takes in at once: Jan, Feb, Mar, Jun -> '2025-01 to 2025-03 and 2025-06'."""
    return runs_words([f"{m:{month_format}}" for m in months], [m.year * 12 + m.month for m in months])


def runs_words(names: list[str], positions: list[int]) -> str:
    """Named things in order as runs a reader takes in at once: those at consecutive `positions`
    read 'first to last', and the runs 'a, b and c'. runs_text places months by the calendar; a
    table's periods (quarters, years, a part of one) are placed by their row."""
    runs: list[list[int]] = []
    for i, position in enumerate(positions):
        if runs and positions[runs[-1][1]] + 1 == position:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return series_words([names[a] if a == b else f"{names[a]} to {names[b]}" for a, b in runs])


def series_words(words: list[str], conjunction: str = "and") -> str:
    """Words as a sentence lists them: 'a', 'a and b', 'a, b and c' (or 'a, b or c')."""
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}" if len(words) > 1 else "".join(words)
