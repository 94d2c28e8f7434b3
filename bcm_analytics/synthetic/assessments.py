"""PHQ-9 and GAD-7 scores for a chunk of patients.

Scores follow each patient's improvement (decided with the patient), so outcome measures on the
demo land in the published range: 30-50% response and 20-35% remission at 6 months among
baselines of 10 or more, with a quarter of patients never measured again after baseline.
Scores stop at discharge, except relapse-prevention check-ins: some discharged patients give a
PHQ-9 inside their 6- or 12-month outcome window after they left (check_in_scores).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache

import numpy as np
import polars as pl

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.synthetic.months import Horizon, uniform_day
from bcm_analytics.synthetic.patients import DROPOUT, NO_DISCHARGE, PatientChunk
from bcm_analytics.synthetic.text import choose, clock_text, day_text, lookup, number_text, patient_ids

PHQ9, GAD7 = 0, 1
INSTRUMENTS = ["PHQ-9", "GAD-7"]
RECOVERY_DAYS = 45.0  # time constant of improvement
FOLLOW_UP_DAYS = (21, 43)  # days between scores: 21-42
# Share of discharged patients who give a check-in score after discharge, by discharge reason
# (goals_met, referred_out, lost_to_follow_up, moved): the rest leave windows open with no score.
CHECK_IN_SHARES = [0.55, 0.35, 0.0, 0.15]
RELAPSE_SHARE = 0.2  # of check-ins: the patient has lost much of the improvement
CHECK_IN_WINDOWS = ["6m", "12m"]


@dataclass
class Scores:
    patient: np.ndarray
    instrument: np.ndarray
    day: np.ndarray
    clock: np.ndarray  # minute of the day, or -1 when only the date is written
    total: np.ndarray
    same_day_repeat: np.ndarray  # bool: a second score of the instrument on the same day

    def __len__(self) -> int:
        return len(self.day)

    def take(self, rows) -> Scores:
        return Scores(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Scores]) -> Scores:
        return Scores(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Scores)})


def visit_days(rng: np.random.Generator, p: PatientChunk, horizon: Horizon) -> tuple[np.ndarray, np.ndarray]:
    """Baseline (sometimes up to 14 days before enrolment), then about monthly while in care.

    Drop-outs have only the baseline; nobody is scored during a pause in care.
    """
    n = len(p)
    early = rng.random(n) < 0.25
    baseline = np.where(early, p.enroll - rng.integers(1, 15, n), p.start + rng.integers(0, 4, n))
    last = np.where(p.discharge == NO_DISCHARGE, horizon.last, p.discharge)
    baseline = np.minimum(baseline, last)
    visits = horizon.months * 31 // FOLLOW_UP_DAYS[0] + 1
    follow = baseline[:, None] + np.cumsum(rng.integers(*FOLLOW_UP_DAYS, (n, visits)), axis=1)
    step = horizon.month_of(follow) - p.start_month[:, None]
    paused = (step >= p.pause_from[:, None]) & (step < (p.pause_from + p.pause_months)[:, None])
    keep = (follow <= last[:, None]) & ~paused & (rng.random((n, visits)) >= 0.12)
    keep &= (p.course != DROPOUT)[:, None]
    patient = np.concatenate([np.arange(n), np.nonzero(keep)[0]])
    day = np.concatenate([baseline, follow[keep]])
    return patient, day


def trajectory(rng: np.random.Generator, baseline: np.ndarray, improvement: np.ndarray, days: np.ndarray, top: int):
    """Score after `days`: the baseline less a growing share of it, plus noise."""
    progress = improvement * (1.0 - np.exp(-days / RECOVERY_DAYS))
    return np.clip(np.rint(baseline * (1.0 - progress) + rng.normal(0.0, 1.8, len(days))), 0, top).astype(np.int64)


def make_scores(rng: np.random.Generator, p: PatientChunk, horizon: Horizon) -> Scores:
    n = len(p)
    phq_base = np.where(rng.random(n) < 0.85, rng.normal(16.0, 4.5, n), rng.uniform(3, 10, n))
    phq_base = np.clip(np.rint(phq_base), 0, 27)
    gad_base = np.clip(np.rint(phq_base * 0.72 + rng.normal(0.0, 3.0, n)), 0, 21)
    patient, day = visit_days(rng, p, horizon)
    since = (day - day[:len(p)][patient]).astype(float)
    phq = trajectory(rng, phq_base[patient], p.improvement[patient], since, 27)
    gad_improvement = np.clip(p.improvement + rng.normal(0.0, 0.1, n), -0.3, 1.0)
    with_gad = rng.random(len(day)) < np.where(since == 0, 0.9, 0.7)
    gad = trajectory(rng, gad_base[patient], gad_improvement[patient], since, 21)
    clock = np.where(rng.random(len(day)) < 0.2, rng.integers(8 * 60, 18 * 60, len(day)), -1)
    first = Scores(patient, np.full(len(day), PHQ9), day, clock, phq, np.zeros(len(day), bool))
    second = Scores(patient, np.full(len(day), GAD7), day, clock, gad, np.zeros(len(day), bool)).take(with_gad)
    scores = Scores.concat([first, second, same_day_repeats(rng, Scores.concat([first, second]))])
    return scores.take(np.lexsort((scores.same_day_repeat, scores.instrument, scores.day, scores.patient)))


def same_day_repeats(rng: np.random.Generator, scores: Scores) -> Scores:
    """A few instruments given twice on one day, the second score 1-2 points off (later if timed)."""
    repeat = scores.take(np.flatnonzero(rng.random(len(scores)) < 0.005))
    m = len(repeat)
    top = np.where(repeat.instrument == PHQ9, 27, 21)
    repeat.total = np.clip(repeat.total + rng.choice([-2, -1, 1, 2], m), 0, top)
    repeat.clock = np.where(repeat.clock >= 0, repeat.clock + rng.integers(5, 91, m), -1)
    repeat.same_day_repeat = np.ones(m, bool)
    return repeat


@cache
def outcome_windows() -> list[tuple[int, int]]:
    """The shipped definitions' 6- and 12-month windows, (first day, last day) after the baseline,
    as the measures read them (load_definitions, checked against its model)."""
    windows = load_definitions()["windows"]
    return [(windows[name]["from"], windows[name]["to"]) for name in CHECK_IN_WINDOWS]


def check_in_scores(rng: np.random.Generator, scores: Scores, p: PatientChunk, horizon: Horizon) -> Scores:
    """Relapse-prevention check-ins: one PHQ-9 after discharge, inside the 6- or 12-month window.

    Discharge does not close an outcome window (outcome_measures.md section 2), so a score a
    discharged patient gives in it is the window's score. Each patient's first score is the
    baseline PHQ-9 (scores are sorted by patient, day and instrument). A window qualifies when
    some of its days fall after the discharge and by the export date; of two, one is taken at
    random.
    """
    n = len(p)
    first = np.unique(scores.patient, return_index=True)[1]
    base_day, base_total = scores.day[first], scores.total[first]
    wanted = (p.discharge != NO_DISCHARGE) & (rng.random(n) < np.array(CHECK_IN_SHARES)[np.maximum(p.reason, 0)])
    lo = np.stack([np.maximum(base_day + start, p.discharge + 1) for start, _ in outcome_windows()])
    hi = np.stack([np.minimum(base_day + end, horizon.last) for _, end in outcome_windows()])
    open_ = lo <= hi
    late = np.where(open_.all(axis=0), rng.random(n) < 0.5, open_[1])  # the 12-month window
    who = np.flatnonzero(wanted & open_.any(axis=0))
    window = late[who].astype(np.int64)
    day = uniform_day(rng, lo[window, who], hi[window, who])
    improvement = np.where(rng.random(len(who)) < RELAPSE_SHARE, 0.4, 1.0) * p.improvement[who]
    total = trajectory(rng, base_total[who].astype(float), improvement, (day - base_day[who]).astype(float), 27)
    clock = np.where(rng.random(len(who)) < 0.2, rng.integers(8 * 60, 18 * 60, len(who)), -1)
    return Scores(who, np.full(len(who), PHQ9), day, clock, total, np.zeros(len(who), bool))


def split_items(rng: np.random.Generator, totals: np.ndarray, items: int) -> np.ndarray:
    """Item answers (0-3 each) adding up to each total: `total` of the items*3 points at random."""
    points = rng.random((len(totals), items * 3)).argsort(axis=1).argsort(axis=1) < totals[:, None]
    return points.reshape(len(totals), items, 3).sum(axis=2)


def phq9_items(rng: np.random.Generator, totals: np.ndarray) -> np.ndarray:
    """Item 9 (self-harm thoughts) is above 0 on about 5% of forms (forced above 0 by totals over 24)."""
    n = len(totals)
    item9 = np.where(rng.random(n) < 0.035, rng.choice([1, 1, 1, 1, 1, 1, 1, 2, 2, 3], n), 0)
    item9 = np.clip(np.maximum(item9, totals - 24), 0, np.minimum(totals, 3))
    return np.column_stack([split_items(rng, totals - item9, 8), item9])


def assessments_frame(rng: np.random.Generator, s: Scores, numbers: np.ndarray) -> pl.DataFrame:
    """The assessments.csv rows as text (assessment_id is given when the chunk is written)."""
    items = np.full((len(s), 9), -1)
    phq = s.instrument == PHQ9
    items[phq] = phq9_items(rng, s.total[phq])
    items[~phq, :7] = split_items(rng, s.total[~phq], 7)
    date = day_text(s.day)
    stamp = date + " " + clock_text(np.maximum(s.clock, 0), seconds=True)
    columns = [
        pl.Series("assessment_id", [None] * len(s), dtype=pl.String),
        patient_ids(numbers[s.patient]),
        lookup("instrument", INSTRUMENTS, s.instrument),
        choose(s.clock >= 0, stamp, date).rename("administered_on"),
        number_text(s.total, "total_score"),
    ]
    columns += [number_text(items[:, i], f"item_{i + 1}") for i in range(9)]
    frame = pl.DataFrame(columns)
    return frame.with_columns(_trap=lookup("_trap", [None, "same_day_repeat"], s.same_day_repeat.astype(np.int64)))
