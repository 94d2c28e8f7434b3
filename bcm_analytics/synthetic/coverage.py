"""Payer history: the coverage export of a chunk of patients, and who changed payer when.

Two kinds of change, as a program's registry sees them:
- turning 65: a patient whose 65th birthday falls inside the program's months moves to Medicare
  on the first day of the birth month (Part B starts then), from Medicaid or a commercial plan;
- a job: a small share of the others leave Medicaid for a commercial plan once, mid-month.

Every patient gets coverage rows, as real exports carry coverage for all (one open period when
the payer never changed; a closed one and an open one when it did), so the demo's loader and
billing read a history for everyone, not only for the few who changed. patients.payer is the
payer at the export date, the latest, as a registry keeps it. The first chunk also carries two
broken histories (PLANTED) that the loader must set aside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from bcm_analytics.synthetic.months import Horizon, draw
from bcm_analytics.synthetic.patients import PatientChunk
from bcm_analytics.synthetic.text import MISSING_DAY, day_text, lookup, patient_ids
from bcm_analytics.synthetic.vocab import PAYER_CLASS_OF, PAYER_NAMES, PAYER_SHARES

MEDICARE = PAYER_NAMES.index("Medicare")
MEDICAID = [i for i, c in enumerate(PAYER_CLASS_OF) if c == 1]
COMMERCIAL = [i for i, c in enumerate(PAYER_CLASS_OF) if c == 2]
JOB_SHARE = 0.03  # of all patients not turning 65: Medicaid, then a commercial plan
COMMERCIAL_SHARE = sum(PAYER_SHARES[i] for i in COMMERCIAL)  # the job changers are drawn among them
# planted broken rows (first chunk): a previous period written with its dates swapped, and a
# previous period whose end date was never filled in (it overlaps the current one, so the loader
# sets both aside: the patient then bills under patients.payer, the same payer)
PLANTED = ["end_before_start", "overlapping_period"]


@dataclass
class PayerHistory:
    payer: np.ndarray  # index into PAYER_NAMES: the payer at the export date (patients.payer)
    earlier: np.ndarray  # the payer before the change, -1 when the payer never changed
    change: np.ndarray  # day number the later payer starts, MISSING_DAY when it never changed
    first_start: np.ndarray  # day number the first coverage period starts

    @property
    def changed(self) -> np.ndarray:
        return self.earlier >= 0


def _others(rng: np.random.Generator, n: int, names: list[int]) -> np.ndarray:
    """Payers drawn from `names` with their PAYER_SHARES."""
    shares = np.array(PAYER_SHARES)[names]
    return np.array(names)[draw(rng, n, shares)]


def payer_history(rng: np.random.Generator, p: PatientChunk, horizon: Horizon) -> PayerHistory:
    """Who changed payer, from what, and when (a stream of its own: no other row moves)."""
    n = len(p)
    payer = p.payer.copy()
    birth_month = p.birth.astype("datetime64[D]").astype("datetime64[M]")
    medicare_day = (birth_month + 65 * 12).astype("datetime64[D]").astype(np.int64)
    turns_65 = (medicare_day >= horizon.first) & (medicare_day <= horizon.last)
    before_65 = np.where(payer == MEDICARE, _others(rng, n, MEDICAID + COMMERCIAL), payer)

    commercial = np.isin(payer, COMMERCIAL)
    job = ~turns_65 & commercial & (rng.random(n) < JOB_SHARE / COMMERCIAL_SHARE)
    job_month = p.start_month + np.floor(rng.random(n) * (p.end_month - p.start_month + 1)).astype(np.int64)
    job_day = horizon.first_day(job_month) + rng.integers(1, 28, n)  # the 2nd to the 28th: mid-month

    earlier = np.select([turns_65, job], [before_65, _others(rng, n, MEDICAID)], -1)
    payer = np.where(turns_65, MEDICARE, payer)
    change = np.select([turns_65, job], [medicare_day, job_day], MISSING_DAY)
    first_day = np.where(earlier >= 0, np.minimum(change, p.enroll), p.enroll)
    first_month = first_day.astype("datetime64[D]").astype("datetime64[M]") - rng.integers(1, 120, n)
    return PayerHistory(payer, earlier, change, first_month.astype("datetime64[D]").astype(np.int64))


def coverage_frame(rng: np.random.Generator, p: PatientChunk, history: PayerHistory, plant: bool) -> pl.DataFrame:
    """The coverage.csv rows of a chunk, by patient and start, with the answer-key marks of
    dirty.plant (_problem, _column, _trap); with `plant`, the PLANTED rows among them."""
    changed = history.changed
    first = pl.DataFrame(
        [
            patient_ids(p.number),
            lookup("payer", PAYER_NAMES, np.where(changed, history.earlier, history.payer)),
            day_text(history.first_start, "start_date"),
            day_text(np.where(changed, history.change - 1, MISSING_DAY), "end_date"),
        ]
    ).with_columns(_order=pl.Series(np.arange(len(p)) * 3))
    later = pl.DataFrame(
        [
            patient_ids(p.number[changed]),
            lookup("payer", PAYER_NAMES, history.payer[changed]),
            day_text(history.change[changed], "start_date"),
            day_text(np.full(int(changed.sum()), MISSING_DAY), "end_date"),
        ]
    ).with_columns(_order=pl.Series(np.flatnonzero(changed) * 3 + 1))
    marks = {"_problem": pl.lit(None, pl.String), "_column": pl.lit(None, pl.String), "_trap": pl.lit(None, pl.String)}
    rows = pl.concat([first, later]).with_columns(**marks)
    single = np.flatnonzero(~changed)
    if plant and len(single) >= 2 and len(p) >= 20:
        rows = _plant(rng, rows, p, history, rng.choice(single, 2, replace=False))
    return rows.sort("_order").drop("_order")


def _plant(rng: np.random.Generator, rows: pl.DataFrame, p: PatientChunk, history: PayerHistory,
           chosen: np.ndarray) -> pl.DataFrame:
    swapped, unended = chosen
    start = history.first_start
    # a previous period (two years to the day before the current one) with its dates swapped
    bad = [(swapped, _others(rng, 1, MEDICAID + COMMERCIAL)[0], start[swapped] - 1, start[swapped] - 730,
            "end_before_start")]
    # a previous period, one to four years before the current one, whose end was never written
    opened = start[unended].astype("datetime64[D]").astype("datetime64[M]") - rng.integers(12, 48)
    bad.append((unended, _others(rng, 1, MEDICAID + COMMERCIAL)[0], int(opened.astype("datetime64[D]").astype(np.int64)),
                MISSING_DAY, "overlapping_period"))
    extra = pl.DataFrame(
        [
            patient_ids(np.array([p.number[i] for i, *_ in bad])),
            lookup("payer", PAYER_NAMES, np.array([payer for _, payer, *_ in bad])),
            day_text(np.array([s for _, _, s, _, _ in bad]), "start_date"),
            day_text(np.array([e for _, _, _, e, _ in bad]), "end_date"),
        ]
    ).with_columns(
        _order=pl.Series(np.array([i * 3 - 1 for i, *_ in bad])),
        _problem=pl.Series([problem for *_, problem in bad]),
        _column=pl.lit("end_date"),
        _trap=pl.lit(None, pl.String),
    )
    # the current period the unended one overlaps is set aside with it (the reason names the other)
    current = (pl.col("_order") == int(unended) * 3)
    rows = rows.with_columns(
        _problem=pl.when(current).then(pl.lit("overlapping_period")).otherwise(pl.col("_problem")),
        _column=pl.when(current).then(pl.lit("end_date")).otherwise(pl.col("_column")),
    )
    return pl.concat([rows, extra.select(rows.columns)])
