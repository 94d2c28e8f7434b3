"""Turning day numbers, minutes and indices into the text the CSV exports carry.

Missing values are nulls, never empty strings: polars writes a null as an empty cell but an
empty string as "", which a loader could read as a value.
"""

from __future__ import annotations

import numpy as np
import polars as pl

MISSING_DAY = -1_000_000  # a day number no real date has (dates before 1970 are negative)


def patient_ids(numbers, name: str = "patient_id") -> pl.Series:
    """P and 7 digits; a 6-digit form never names a real patient (used for orphans)."""
    return pl.Series(name, np.asarray(numbers)).cast(pl.String).str.zfill(7).str.replace("^", "P")


def numbered(prefix: str, first: int, count: int, digits: int = 9) -> pl.Series:
    return pl.Series(np.arange(first, first + count)).cast(pl.String).str.zfill(digits).str.replace("^", prefix)


def _blank(series: pl.Series, missing: np.ndarray) -> pl.Series:
    return series.set(pl.Series(missing), None) if missing.any() else series


def day_text(days, name: str = "") -> pl.Series:
    """ISO dates; MISSING_DAY (no consent, no discharge) becomes an empty cell."""
    days = np.asarray(days)
    missing = days == MISSING_DAY
    text = pl.Series(name, np.where(missing, 0, days)).cast(pl.Int32).cast(pl.Date).dt.to_string("%Y-%m-%d")
    return _blank(text, missing)


def clock_text(minutes, seconds: bool) -> pl.Series:
    """HH:MM (or HH:MM:SS) for a minute of the day."""
    minutes = pl.Series(np.asarray(minutes))
    text = (minutes // 60).cast(pl.String).str.zfill(2) + ":" + (minutes % 60).cast(pl.String).str.zfill(2)
    return text + ":00" if seconds else text


def lookup(name: str, words, index) -> pl.Series:
    """Words picked by index; an index of -1 becomes an empty cell."""
    index = np.asarray(index)
    words = pl.Series(name, list(words), dtype=pl.String).gather(np.maximum(index, 0))
    return _blank(words, index < 0)


def number_text(values, name: str = "") -> pl.Series:
    """Whole numbers as text; negative values (no answer) become empty cells."""
    values = np.asarray(values)
    return _blank(pl.Series(name, values).cast(pl.String), values < 0)


def choose(condition, when_true: pl.Series, otherwise: pl.Series) -> pl.Series:
    return pl.select(pl.when(pl.Series(np.asarray(condition))).then(when_true).otherwise(otherwise)).to_series()
