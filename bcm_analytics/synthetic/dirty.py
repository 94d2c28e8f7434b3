"""Deliberately broken rows, and the answer key that lists them.

Dirty rows are extra copies of clean rows with one field broken, inserted among the clean rows:
the program without them is complete, so a loader that quarantines exactly the answer-key lines
loads the whole clean program. Every flaw is one a real export has: a blank required field, a
value that is not a number or a date, a score outside its range, an unknown code or patient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

DIRTY_SHARE = 0.005  # of time-log and assessment rows
DIRTY_PATIENT_SHARE = 0.0015
KEY_COLUMNS = ["file", "line", "key", "column", "value", "problem", "expected_outcome"]


@dataclass(frozen=True)
class Flaw:
    problem: str
    column: str
    value: pl.Expr | None  # the broken text, from the copied row; None leaves the cell empty
    only: pl.Expr | None = None  # which clean rows may be copied


def _year_feb_30(column: str) -> pl.Expr:
    return pl.col(column).str.slice(0, 4) + "-02-30"


TIME_LOG_FLAWS = [
    Flaw("missing_required", "patient_id", None),
    Flaw("missing_required", "staff_role", None),
    Flaw("missing_required", "service_date", None),
    Flaw("missing_required", "minutes", None),
    Flaw("missing_required", "activity_type", None),
    Flaw("negative_minutes", "minutes", pl.lit("-5")),
    Flaw("minutes_not_a_number", "minutes", pl.lit("abc")),
    Flaw("implausible_minutes", "minutes", pl.lit("2000")),
    Flaw("impossible_date", "service_date", _year_feb_30("service_date")),
    Flaw("unknown_activity_type", "activity_type", pl.lit("peer_support_group")),
    # P + 6 digits: a digit lost in typing; no patient has such an id
    Flaw("unknown_patient", "patient_id", pl.lit("P") + pl.col("patient_id").str.slice(2)),
]

_total = pl.col("total_score").cast(pl.Int64)
ASSESSMENT_FLAWS = [
    Flaw("missing_required", "patient_id", None),
    Flaw("missing_required", "instrument", None),
    Flaw("missing_required", "administered_on", None),
    Flaw("missing_required", "total_score", None),
    Flaw("total_out_of_range", "total_score", pl.lit("31"), only=pl.col("instrument") == "PHQ-9"),
    Flaw("items_do_not_sum", "total_score", pl.when(_total <= 19).then(_total + 2).otherwise(_total - 2).cast(str)),
    Flaw("impossible_date", "administered_on", _year_feb_30("administered_on")),
]

PATIENT_FLAWS = [
    Flaw("missing_required", "patient_id", None),
    Flaw("missing_required", "payer", None),
    Flaw("missing_required", "enrollment_date", None),
    Flaw("impossible_date", "enrollment_date", _year_feb_30("enrollment_date")),
]


def dirty_count(rng: np.random.Generator, rows: int, share: float, flaws: list[Flaw], first_chunk: bool) -> int:
    """About `share` of the rows; the first chunk carries every kind of flaw at least once
    (unless it is tiny: then at most one row in twenty is broken)."""
    least = min(len(flaws), rows // 20) if first_chunk else 0
    return max(int(rng.binomial(rows, share)), least)


def plant(
    rng: np.random.Generator,
    clean: pl.DataFrame,
    flaws: list[Flaw],
    count: int,
    prepare: Callable[[pl.DataFrame], pl.DataFrame] = lambda rows: rows,
) -> pl.DataFrame:
    """`clean` with `count` broken copies of its rows inserted at random places.

    Adds `_problem` and `_column` (set on the broken rows only); `prepare` runs on the copies
    before they are broken (patients use it to give the copies ids of their own).
    """
    kinds = (rng.integers(len(flaws)) + np.arange(count)) % len(flaws)
    copies = []
    for k, flaw in enumerate(flaws):
        eligible = np.arange(clean.height)
        if flaw.only is not None:
            eligible = np.flatnonzero(clean.select(flaw.only).to_series().to_numpy())
        n = int((kinds == k).sum())
        if n == 0 or len(eligible) == 0:
            continue
        rows = prepare(clean[rng.choice(eligible, n)].with_columns(_trap=pl.lit(None, pl.String)))
        broken = flaw.value if flaw.value is not None else pl.lit(None, pl.String)
        marks = {"_problem": pl.lit(flaw.problem), "_column": pl.lit(flaw.column)}
        copies.append(rows.with_columns(broken.alias(flaw.column), **marks))
    marked = clean.with_columns(_problem=pl.lit(None, pl.String), _column=pl.lit(None, pl.String))
    if not copies:
        return marked
    dirty = pl.concat(copies)
    places = np.concatenate([np.arange(clean.height, dtype=float), rng.random(dirty.height) * clean.height])
    return pl.concat([marked, dirty])[np.argsort(places, kind="stable")]


def answer_rows(frame: pl.DataFrame, file: str, key: str, first_line: int) -> pl.DataFrame:
    """Answer-key rows for the broken rows of a written chunk whose first row is `first_line`."""
    lines = frame.with_row_index("line", offset=first_line).filter(pl.col("_problem").is_not_null())
    columns = [c for c in frame.columns if not c.startswith("_")]
    value = pl.coalesce([pl.when(pl.col("_column") == c).then(pl.col(c)) for c in columns])
    return lines.select(
        pl.lit(file).alias("file"),
        pl.col("line").cast(pl.Int64),
        pl.col(key).alias("key"),
        pl.col("_column").alias("column"),
        value.alias("value"),
        pl.col("_problem").alias("problem"),
        pl.lit("quarantine").alias("expected_outcome"),
    )
