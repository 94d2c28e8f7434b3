"""Calendar arithmetic on whole arrays of days.

Dates are int64 day numbers (days since 1970-01-01) throughout the generator, because billing
works per calendar month and numpy can move between days and months for millions of rows at
once, which Python date objects cannot do fast enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Horizon:
    """The program's months: month 0 is `start`, the last one is `months - 1`."""

    start: str
    months: int

    @property
    def month0(self) -> np.datetime64:
        return np.datetime64(self.start, "M")

    def first_day(self, month) -> np.ndarray:
        month = np.asarray(month, dtype=np.int64)
        return (self.month0 + month).astype("datetime64[D]").astype(np.int64)

    def last_day(self, month) -> np.ndarray:
        return self.first_day(np.asarray(month, dtype=np.int64) + 1) - 1

    def month_of(self, days) -> np.ndarray:
        days = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
        return (days.astype("datetime64[M]") - self.month0).astype(np.int64)

    @property
    def first(self) -> int:
        return int(self.first_day(0))

    @property
    def last(self) -> int:
        """The export date: the last day of the last month."""
        return int(self.last_day(self.months - 1))


def uniform_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day drawn uniformly from [lo, hi] (both inclusive) for each pair."""
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def group_starts(sizes: np.ndarray) -> np.ndarray:
    """For rows repeated `sizes` times per group: each row's index of its group's first row."""
    first = np.cumsum(sizes) - sizes
    return np.repeat(first, sizes)


def exclusive_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running total of `values` before each row, restarting at each group (see group_starts)."""
    before = np.cumsum(values) - values
    return before - before[starts]


def draw_by_row(rng: np.random.Generator, table, rows: np.ndarray) -> np.ndarray:
    """A category per row, row i drawn with the probabilities in table[rows[i]]."""
    cumulative = np.cumsum(np.asarray(table, dtype=float), axis=1)
    cumulative /= cumulative[:, -1:]
    chosen = (rng.random(len(rows))[:, None] >= cumulative[rows]).sum(axis=1)
    return np.minimum(chosen, cumulative.shape[1] - 1)


def draw(rng: np.random.Generator, n: int, probabilities) -> np.ndarray:
    """n draws of category indices with the given probabilities."""
    cumulative = np.cumsum(probabilities) / np.sum(probabilities)
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(cumulative) - 1)
