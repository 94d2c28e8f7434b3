"""Time-log entries for a chunk of patients, built from monthly minute targets.

Each month of care first gets a target of countable minutes (under the default rules of
billing_rules.md section 3), then that target is split into entries. The uncounted time
(consultant reviews, administrative time, psychotherapy, work before consent) and the traps
(re-exported duplicates, overlapping intervals, entries at 23:30 on a month's last day and some
that run past its midnight) come on top, built so they never change the countable total. That makes the countable minutes of every
patient-month known exactly, and many of them sit right at a billing threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from bcm_analytics.synthetic.months import Horizon, draw, draw_by_row, exclusive_cumsum, group_starts, uniform_day
from bcm_analytics.synthetic.patients import DROPOUT, NO_CONSENT, NO_DISCHARGE, PatientChunk
from bcm_analytics.synthetic.roster import Roster
from bcm_analytics.synthetic.text import choose, clock_text, day_text, lookup, number_text, patient_ids
from bcm_analytics.synthetic.vocab import (
    ACTIVITIES,
    ADMINISTRATIVE,
    ASSESSMENT,
    BCM_ACTIVITY_SHARES,
    BHCM,
    BHI_THRESHOLD_MINUTES,
    CASELOAD_REVIEW,
    COCM_THRESHOLD_MINUTES,
    CONSULTANT,
    CONTACT_MODES,
    CONTACT_NONE,
    COORDINATION,
    FOLLOW_UP,
    LOW_THRESHOLD_MINUTES,
    MAINTENANCE_THRESHOLD_MINUTES,
    MODE_SHARES_BY_ACTIVITY,
    OUTREACH,
    PRACTITIONER,
    PRACTITIONER_ACTIVITY_SHARES,
    PSYCHOTHERAPY,
    ROLES,
)

MAX_MONTHLY_MINUTES = 240
# How an entry's time is written: date only; date plus a start time of day; local timestamps.
DATE_ONLY, DATE_AND_CLOCK, TIMESTAMP = range(3)
# Traps an engine must handle, recorded in the answer key (re-exported rows are added on writing).
NO_TRAP, OVERLAP, LATE_EVENING, BEFORE_CONSENT, ACROSS_MIDNIGHT = range(5)
TRAP_NAMES = [None, "overlapping_interval", "late_evening_month_end", "before_consent", "across_midnight_month_end"]
DAY_START = 8 * 60  # the first entry of a month starts at 08:00; later ones follow without overlap
LATE_EVENING_START = 23 * 60 + 30
ACROSS_MIDNIGHT_START = 23 * 60 + 50  # a late entry of ACROSS_MIDNIGHT_FROM minutes or more starts here
ACROSS_MIDNIGHT_FROM = 24


@dataclass
class PatientMonths:
    patient: np.ndarray  # index into the chunk
    month: np.ndarray  # program month
    step: np.ndarray  # months since the episode's first month
    lo: np.ndarray  # first day care can happen this month
    hi: np.ndarray  # last day care can happen this month
    month_end: np.ndarray  # last day of the calendar month
    minutes: np.ndarray  # minutes logged as countable-type work
    target: np.ndarray  # of which count: all, or none when the patient never consented

    def __len__(self) -> int:
        return len(self.month)


@dataclass
class Entries:
    patient: np.ndarray
    day: np.ndarray
    minutes: np.ndarray
    role: np.ndarray
    staff: np.ndarray
    activity: np.ndarray
    mode: np.ndarray
    form: np.ndarray  # DATE_ONLY | DATE_AND_CLOCK | TIMESTAMP
    start: np.ndarray  # minute of the day the entry starts
    trap: np.ndarray
    origin: np.ndarray  # countable-type work: the chunk's number of the entry it was made from (itself,
    # or for an overlapping copy the entry it lies inside); -1 for time that never counts

    def __len__(self) -> int:
        return len(self.day)

    def take(self, rows: np.ndarray) -> Entries:
        return Entries(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Entries]) -> Entries:
        return Entries(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Entries)})


def patient_months(rng: np.random.Generator, p: PatientChunk, horizon: Horizon) -> PatientMonths:
    span = p.end_month - p.start_month + 1
    patient = np.repeat(np.arange(len(p)), span)
    step = np.arange(len(patient)) - group_starts(span)
    month = p.start_month[patient] + step
    month_end = horizon.last_day(month)
    lo = np.where(step == 0, p.start[patient], horizon.first_day(month))
    discharged_now = (p.discharge[patient] != NO_DISCHARGE) & (month == p.end_month[patient])
    hi = np.where(discharged_now, p.discharge[patient], month_end)
    minutes = monthly_minutes(rng, step, p.bhi[patient], p.course[patient] == DROPOUT)
    paused = (step >= p.pause_from[patient]) & (step < p.pause_from[patient] + p.pause_months[patient])
    minutes = np.where(paused, 0, minutes)
    target = np.where(p.consent[patient] == NO_CONSENT, 0, minutes)
    return PatientMonths(patient, month, step, lo, hi, month_end, minutes, target)


def monthly_minutes(rng: np.random.Generator, step: np.ndarray, bhi: np.ndarray, dropout: np.ndarray) -> np.ndarray:
    """45% exactly at a billing threshold, the rest from a gamma whose mean falls from 65 to 38."""
    n = len(step)
    mean = np.where(bhi, 30.0, 38.0 + 27.0 * np.exp(-step / 2.5)) * np.where(dropout, 0.45, 1.0)
    spread = np.rint(rng.gamma(2.5, mean / 2.5))
    anchor = np.select(
        [bhi, dropout, step >= 3],
        [
            rng.choice(BHI_THRESHOLD_MINUTES, n),
            rng.choice(LOW_THRESHOLD_MINUTES, n),
            rng.choice(MAINTENANCE_THRESHOLD_MINUTES, n),
        ],
        default=rng.choice(COCM_THRESHOLD_MINUTES, n),
    )
    minutes = np.clip(np.where(rng.random(n) < 0.45, anchor, spread), 1, MAX_MONTHLY_MINUTES).astype(np.int64)
    idle = rng.random(n) < np.where(step == 0, 0.03, np.where(dropout, 0.30, 0.07))
    return np.where(idle, 0, minutes)


def split_minutes(rng: np.random.Generator, totals: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Split each total into `count` parts of at least one minute that add up exactly.

    Each part is 1 plus a share of the spare minutes; the shares are the floored running total
    of random weights, and the last running total of a group is set to its spare minutes.
    """
    starts = group_starts(counts)
    group = np.repeat(np.arange(len(totals)), counts)
    weights = rng.random(len(group)) + 0.5
    running = exclusive_cumsum(weights, starts) + weights
    group_weight = np.bincount(group, weights, minlength=len(totals))
    spare = (totals - counts)[group]
    reached = np.floor(spare * running / group_weight[group]).astype(np.int64)
    last = np.cumsum(counts)[counts > 0] - 1
    reached[last] = spare[last]
    previous = np.where(starts == np.arange(len(group)), 0, np.roll(reached, 1))
    return 1 + reached - previous


def counted_entries(rng: np.random.Generator, pm: PatientMonths, p: PatientChunk) -> Entries:
    """The care manager's (and a little of the treating provider's) countable-type work."""
    counts = np.clip(np.rint(pm.minutes / rng.uniform(7, 16, len(pm))), 1, 16).astype(np.int64)
    counts = np.where(pm.minutes > 0, np.minimum(counts, pm.minutes), 0)
    row = np.repeat(np.arange(len(pm)), counts)
    starts = group_starts(counts)
    rank = np.arange(len(row)) - starts
    day = uniform_day(rng, pm.lo[row], pm.hi[row])
    day = day[np.lexsort((day, row))]  # rows are grouped already: this sorts days within a month
    minutes = split_minutes(rng, pm.minutes, counts)
    patient = pm.patient[row]

    practitioner = rng.random(len(row)) < 0.04
    activity = draw_by_row(rng, BCM_ACTIVITY_SHARES, np.minimum(pm.step[row], 2))
    activity = np.where((pm.step[row] == 0) & (rank == 0), ASSESSMENT, activity)
    activity = np.where(practitioner, draw(rng, len(row), PRACTITIONER_ACTIVITY_SHARES), activity)
    entries = Entries(
        patient=patient,
        day=day,
        minutes=minutes,
        role=np.where(practitioner, PRACTITIONER, BHCM),
        staff=np.where(practitioner, p.provider[patient], p.bcm[patient]),
        activity=activity,
        mode=draw_by_row(rng, MODE_SHARES_BY_ACTIVITY, activity),
        form=draw(rng, len(row), [0.55, 0.25, 0.20]),
        start=DAY_START + exclusive_cumsum(minutes + rng.integers(5, 31, len(row)), starts),
        trap=np.zeros(len(row), dtype=np.int64),
        origin=np.arange(len(row)),
    )
    is_last = rank == counts[row] - 1
    late = is_last & (pm.hi[row] == pm.month_end[row]) & (minutes <= 29) & (rng.random(len(row)) < 0.03)
    _move_to_late_evening(entries, late, pm.month_end[row])
    return entries


def _move_to_late_evening(entries: Entries, late: np.ndarray, month_end: np.ndarray) -> None:
    """23:30 local on the month's last day: in UTC it is already next month.

    Only a month's last entry moves, and only when it is under 30 minutes, so it overlaps no
    entry before it. One of ACROSS_MIDNIGHT_FROM minutes or more starts at 23:50 instead and runs
    past midnight into the next month: its minutes still count whole in the month it starts in
    (billing_rules.md s3, an entry belongs to its service month), and the next month's first entry
    starts at 08:00, so the key is unchanged. Chosen by its minutes, not by a draw, so the
    program's other draws stay as they were.
    """
    across = late & (entries.minutes >= ACROSS_MIDNIGHT_FROM)
    entries.day[late] = month_end[late]
    entries.form[late] = TIMESTAMP
    entries.start[late] = np.where(across[late], ACROSS_MIDNIGHT_START, LATE_EVENING_START)
    entries.trap[late] = np.where(across[late], ACROSS_MIDNIGHT, LATE_EVENING)


def overlapping_copies(rng: np.random.Generator, counted: Entries) -> Entries:
    """Entries of the same person on the same patient that lie inside another's interval.

    They are counted-type work, so a plain sum counts minutes twice; the union of intervals is
    unchanged, so the countable total stays the target.
    """
    pick = (counted.form != DATE_ONLY) & (counted.minutes >= 10) & (counted.trap == NO_TRAP)
    pick &= rng.random(len(counted)) < 0.004
    copies = counted.take(np.flatnonzero(pick))
    n = len(copies)
    offset = (rng.random(n) * (copies.minutes - 4)).astype(np.int64)  # 0 .. minutes - 5
    copies.minutes = 5 + (rng.random(n) * (copies.minutes - offset - 4)).astype(np.int64)
    copies.start = copies.start + offset
    copies.activity = np.full(n, COORDINATION)
    copies.mode = np.full(n, CONTACT_NONE)
    copies.trap = np.full(n, OVERLAP)
    return copies


def uncounted_entries(rng: np.random.Generator, pm: PatientMonths, p: PatientChunk) -> Entries:
    """Consultant caseload reviews, administrative time and psychotherapy in months of care."""
    active = np.flatnonzero(pm.minutes > 0)
    n = len(active)
    review = active[(rng.random(n) < 0.30) & ~p.bhi[pm.patient[active]]]
    admin = active[rng.random(n) < 0.12]
    therapy = active[rng.random(n) < 0.04]
    parts = [
        _simple(rng, pm, p, review, CONSULTANT, CASELOAD_REVIEW, rng.choice([5, 10, 10, 15, 20, 30], len(review))),
        _simple(rng, pm, p, admin, BHCM, ADMINISTRATIVE, rng.integers(3, 16, len(admin))),
        _simple(rng, pm, p, therapy, PRACTITIONER, PSYCHOTHERAPY, rng.choice([30, 45, 53, 60], len(therapy))),
    ]
    return Entries.concat(parts)


def _simple(rng, pm: PatientMonths, p: PatientChunk, rows, role: int, activity: int, minutes) -> Entries:
    """Date-only entries of one role and activity, one per given patient-month."""
    n = len(rows)
    patient = pm.patient[rows]
    staff = {BHCM: p.bcm, CONSULTANT: p.consultant, PRACTITIONER: p.provider}[role][patient]
    activities = np.full(n, activity)
    return Entries(
        patient=patient,
        day=uniform_day(rng, pm.lo[rows], pm.hi[rows]),
        minutes=np.asarray(minutes, dtype=np.int64),
        role=np.full(n, role),
        staff=staff,
        activity=activities,
        mode=draw_by_row(rng, MODE_SHARES_BY_ACTIVITY, activities),
        form=np.full(n, DATE_ONLY),
        start=np.full(n, DAY_START),
        trap=np.zeros(n, dtype=np.int64),
        origin=np.full(n, -1),
    )


def before_consent_entries(rng: np.random.Generator, p: PatientChunk) -> Entries:
    """Outreach between enrolment and a later consent: logged, never countable."""
    waiting = np.flatnonzero((p.consent != NO_CONSENT) & (p.consent > p.enroll))
    n = len(waiting)
    activities = np.full(n, OUTREACH)
    return Entries(
        patient=waiting,
        day=uniform_day(rng, p.enroll[waiting], p.consent[waiting] - 1),
        minutes=rng.integers(5, 21, n),
        role=np.full(n, BHCM),
        staff=p.bcm[waiting],
        activity=activities,
        mode=draw_by_row(rng, MODE_SHARES_BY_ACTIVITY, activities),
        form=np.full(n, DATE_ONLY),
        start=np.full(n, DAY_START),
        trap=np.full(n, BEFORE_CONSENT),
        origin=np.full(n, -1),
    )


CHECK_IN_CALL_MINUTES = (8, 26)  # a follow-up call with a PHQ-9 after discharge: 8-25 minutes


def check_in_entries(rng: np.random.Generator, patient: np.ndarray, day: np.ndarray, clock: np.ndarray,
                     p: PatientChunk) -> Entries:
    """The care manager's follow-up contact of each post-discharge check-in score, logged on the
    score's day (from the score's time, less a few minutes, where the score has one).

    Logged like any contact, but never countable: after the discharge the episode is over
    (goals met, referred on, moved), and no re-enrolment follows (billing_rules.md section 2), so
    origin is -1 and the countable-minutes key leaves the minutes out (a 0 row when the month has
    nothing else).
    """
    n = len(patient)
    minutes = rng.integers(*CHECK_IN_CALL_MINUTES, n)
    activities = np.full(n, FOLLOW_UP)
    timed = clock >= 0
    return Entries(
        patient=patient,
        day=day,
        minutes=minutes,
        role=np.full(n, BHCM),
        staff=p.bcm[patient],
        activity=activities,
        mode=draw_by_row(rng, MODE_SHARES_BY_ACTIVITY, activities),
        form=np.where(timed, DATE_AND_CLOCK, DATE_ONLY),
        start=np.where(timed, np.maximum(clock - rng.integers(2, 6, n), DAY_START), DAY_START),
        trap=np.zeros(n, dtype=np.int64),
        origin=np.full(n, -1),
    )


def chunk_entries(rng: np.random.Generator, pm: PatientMonths, p: PatientChunk) -> Entries:
    """All clean entries of a chunk, ordered by patient, day and start time."""
    counted = counted_entries(rng, pm, p)
    entries = Entries.concat(
        [counted, overlapping_copies(rng, counted), uncounted_entries(rng, pm, p), before_consent_entries(rng, p)]
    )
    return entries.take(np.lexsort((entries.start, entries.day, entries.patient)))


def time_logs_frame(e: Entries, p: PatientChunk, roster: Roster) -> pl.DataFrame:
    """The time_logs.csv rows as text (entry_id is given when the chunk is written)."""
    date = day_text(e.day)
    stamp = date + " " + clock_text(e.start, seconds=True)
    service_date = choose(e.form == TIMESTAMP, stamp, date)
    start_time = choose(e.form == TIMESTAMP, stamp, clock_text(e.start, seconds=False))
    start_time = start_time.set(pl.Series(e.form == DATE_ONLY), None) if (e.form == DATE_ONLY).any() else start_time
    return pl.DataFrame(
        [
            pl.Series("entry_id", [None] * len(e), dtype=pl.String),
            patient_ids(p.number[e.patient]),
            roster.staff_ids.gather(e.staff).rename("staff_id"),
            lookup("staff_role", ROLES, e.role),
            service_date.rename("service_date"),
            number_text(e.minutes, "minutes"),
            lookup("activity_type", ACTIVITIES, e.activity),
            lookup("contact_mode", CONTACT_MODES, e.mode),
            start_time.rename("start_time"),
            lookup("_trap", TRAP_NAMES, e.trap),
        ]
    )


def minutes_logged_twice(e: Entries, counts: np.ndarray) -> np.ndarray:
    """Per entry, the minutes that count once though the plan has them twice (answer key).

    Two untimed entries of the same patient, staff member, day, minutes and activity cannot be
    told from one entry exported again under another id (data contract "no entry logged twice"),
    so only one counts; the plan makes such twins by chance now and then. `counts`: the entries
    that count otherwise (planned countable work, consented, outside a hospital stay). `e` is
    sorted by patient and day (chunk_entries), so one number per entry says which twins it has.
    """
    rows = np.flatnonzero(counts & (e.form == DATE_ONLY))
    patient, day = e.patient[rows], e.day[rows]
    group = np.cumsum(np.r_[True, (patient[1:] != patient[:-1]) | (day[1:] != day[:-1])])
    same = group
    for values in (e.staff, e.minutes, e.activity):
        same = same * (int(values.max(initial=0)) + 1) + values[rows]
    order = np.argsort(same, kind="stable")
    again = rows[order[1:][same[order][1:] == same[order][:-1]]]
    twice = np.zeros(len(e), np.int64)
    twice[again] = e.minutes[again]
    return twice


def countable_minutes_frame(
    pm: PatientMonths, e: Entries, p: PatientChunk, horizon: Horizon, taken_out: np.ndarray
) -> pl.DataFrame:
    """Countable minutes of every patient-month that has a time-log entry (answer key).

    Countable under the defaults of billing_rules.md section 3: care-manager and treating-
    provider care work, after consent, each minute once, none while the patient is in hospital
    (`taken_out`: per entry, the minutes a stay takes out, stays.minutes_taken_out, and those
    logged twice, minutes_logged_twice). Months with only uncounted time show 0.
    """
    width = horizon.months + 1
    logged, month_of_entry = np.unique(e.patient * width + horizon.month_of(e.day), return_inverse=True)
    planned = pm.patient * width + pm.month  # sorted: patient, then month
    at = np.minimum(np.searchsorted(planned, logged), len(planned) - 1)
    lost = np.bincount(month_of_entry, weights=taken_out, minlength=len(logged)).astype(np.int64)
    minutes = np.where(planned[at] == logged, pm.target[at], 0) - lost
    month = (horizon.month0 + (logged % width)).astype(str)
    return pl.DataFrame(
        [
            patient_ids(p.number[logged // width]),
            pl.Series("service_month", month),
            pl.Series("countable_minutes", minutes),
        ]
    )
