"""Hospital stays (inpatient or observation) for a chunk of patients, and the minutes they take out.

Time logged while a patient is in hospital does not count (billing_rules.md section 3), so a
few percent of patients get one stay of a few days, placed around one of their care manager's
entries: that entry, and any other of the patient's entries in those days, falls inside the stay
or on its admission or discharge day. Half the stays give dates only, half a time of day too (an
entry on an edge day is then before or after the stay to the minute); a stay still going on at
the export date has no discharge. The countable-minutes answer key leaves those minutes out by
the rule written here in numpy, apart from the engine's SQL, so the key stays a real check of it.
Like the engine, the rule compares times in real time: its times of day are the minutes really
passed since the local midnight (real_clocks), which differ from the clock's on the nights the
clocks change.

Stays come from a random stream of their own: the patients, time logs and scores a seed gives
are the same with or without them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from bcm_analytics.config.rules import default_settings
from bcm_analytics.synthetic.activity import DATE_ONLY, OVERLAP, Entries
from bcm_analytics.synthetic.months import Horizon
from bcm_analytics.synthetic.patients import NO_CONSENT, NO_DISCHARGE, PatientChunk
from bcm_analytics.synthetic.text import choose, clock_text, day_text, lookup, patient_ids
from bcm_analytics.synthetic.vocab import BHCM

STAY_SHARE = 0.03  # of patients with care-manager time
FIRST_CHUNK_LEAST = 6  # the first chunk has at least this many (a 120-patient program shows every kind)
STAY_TYPES = ["inpatient", "observation"]
INPATIENT, OBSERVATION = range(2)
# Stays are dealt kinds in turn from a random place in this cycle: every other one timed, three
# in ten observation stays (a night or the same day; inpatient stays last 2-9 nights).
KIND_CYCLE = [(INPATIENT, False), (INPATIENT, True), (OBSERVATION, False), (INPATIENT, True), (INPATIENT, False),
              (OBSERVATION, True), (INPATIENT, False), (INPATIENT, True), (OBSERVATION, False), (INPATIENT, True)]
OPEN_WITHIN_DAYS = 10  # each chunk has one stay still open: admitted near an entry of its last days
NO_CLOCK = -1
ONGOING = np.iinfo(np.int64).max  # the last day of a stay with no discharge
DAYS_APART = 10_000_000  # a zone and a day number (after 1970) as one key: zone * DAYS_APART + day


@dataclass
class Stays:
    patient: np.ndarray  # index into the chunk (or the program), one stay per patient at most, in patient order
    kind: np.ndarray  # INPATIENT | OBSERVATION
    admitted: np.ndarray  # day number
    admitted_clock: np.ndarray  # minute of the day, or NO_CLOCK when only the date is written
    discharged: np.ndarray  # day number, or NO_DISCHARGE while the patient is still in
    discharged_clock: np.ndarray

    def __len__(self) -> int:
        return len(self.patient)

    @staticmethod
    def concat(parts: list[Stays]) -> Stays:
        return Stays(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Stays)})


@cache
def default_edge_days() -> str:
    """The shipped rules' facility_stay_edge_days, as the engine reads them: the answer key is for
    the default rules."""
    return default_settings().facility_stay_edge_days


def make_stays(rng: np.random.Generator, p: PatientChunk, e: Entries, horizon: Horizon, first_chunk: bool) -> Stays:
    """One stay for about STAY_SHARE of the patients with care-manager work, one still open.

    `e` is sorted by patient (chunk_entries), so each patient's entries are one run of rows and
    an anchor is drawn per chosen patient without sorting the chunk's entries.
    """
    care = np.flatnonzero((e.role == BHCM) & (e.origin >= 0) & (e.trap != OVERLAP))  # planned countable work
    first = np.searchsorted(e.patient[care], np.arange(len(p)))
    count = np.diff(np.append(first, len(care)))
    recent = care[(e.day[care] > horizon.last - OPEN_WITHIN_DAYS) & (p.discharge[e.patient[care]] == NO_DISCHARGE)]
    still_in = recent[:0] if len(recent) == 0 else recent[[rng.integers(len(recent))]]
    candidates = np.flatnonzero((count > 0) & ~np.isin(np.arange(len(p)), e.patient[still_in]))
    draw = rng.random(len(candidates))
    least = min(FIRST_CHUNK_LEAST, len(candidates) // 10) if first_chunk else 0
    chosen = candidates[(draw < STAY_SHARE) | (draw.argsort().argsort() < least)]
    anchor = np.concatenate([care[first[chosen] + (rng.random(len(chosen)) * count[chosen]).astype(np.int64)], still_in])
    order = np.argsort(e.patient[anchor], kind="stable")
    anchor, ongoing = anchor[order], (np.arange(len(anchor)) >= len(chosen))[order]
    hospital = _around(rng, e.patient[anchor], e.day[anchor], ongoing, horizon)
    _cut_through(hospital, e.day[anchor], np.where(e.form[anchor] != DATE_ONLY, e.start[anchor], NO_CLOCK), e.minutes[anchor])
    return hospital


def _around(rng: np.random.Generator, patient: np.ndarray, anchor: np.ndarray, ongoing: np.ndarray,
            horizon: Horizon) -> Stays:
    """Stays covering each anchor day, on its admission or discharge day or in between."""
    n = len(patient)
    dealt = (rng.integers(len(KIND_CYCLE)) + np.arange(n)) % len(KIND_CYCLE)
    kind_of, timed = (np.array(column)[dealt] for column in zip(*KIND_CYCLE))
    nights = np.where(kind_of == OBSERVATION, rng.integers(0, 2, n), rng.integers(2, 10, n))
    admitted = anchor - (rng.random(n) * (nights + 1)).astype(np.int64)
    admitted = np.where(ongoing, anchor - rng.integers(0, 3, n), admitted)
    discharged = admitted + nights
    discharged = np.where(ongoing | (discharged > horizon.last), NO_DISCHARGE, discharged)
    admitted_clock = np.where(timed, rng.integers(6 * 60, 24 * 60, n), NO_CLOCK)
    discharged_clock = rng.integers(9 * 60, 19 * 60, n)
    same_day = discharged == admitted
    discharged_clock = np.where(same_day, np.minimum(admitted_clock + rng.integers(120, 600, n), 24 * 60 - 1),
                                discharged_clock)
    discharged_clock = np.where(timed & (discharged != NO_DISCHARGE), discharged_clock, NO_CLOCK)
    return Stays(patient, kind_of, admitted, admitted_clock, discharged, discharged_clock)


def _cut_through(s: Stays, day: np.ndarray, start: np.ndarray, minutes: np.ndarray) -> None:
    """A timed stay admitted (or discharged) on its anchor entry's day, where that entry has a start
    time, is admitted (discharged) halfway through the entry: the entry runs across the admission
    (discharge), and only its minutes outside the stay count (minutes_in_stay). Decided by the
    stay, not drawn, so the program's other draws stay as they were. `start` is NO_CLOCK for an
    entry without a start time; a halfway point past the entry's midnight is left alone."""
    halfway = start + minutes // 2
    usable = (start != NO_CLOCK) & (minutes >= 2) & (halfway < 24 * 60)
    admit = usable & (s.admitted_clock != NO_CLOCK) & (s.admitted == day)
    leave = usable & (s.discharged_clock != NO_CLOCK) & (s.discharged == day) & (s.admitted != day)
    same_day = admit & (s.discharged == day) & (s.discharged_clock != NO_CLOCK)  # discharged as long after as drawn
    s.discharged_clock[same_day] = np.minimum(halfway + s.discharged_clock - s.admitted_clock, 24 * 60 - 1)[same_day]
    s.admitted_clock[admit] = halfway[admit]
    s.discharged_clock[leave] = halfway[leave]


def real_clocks(s: Stays, e: Entries, zones: np.ndarray) -> tuple[Stays, Entries]:
    """The stays and entries with each time of day (an entry's start, an admission or discharge
    time) as the minutes really passed since its day's local midnight in its patient's zone
    (`zones`, per patient of the chunk), for in_stay and minutes_in_stay: the engine judges an
    entry against a stay on instants, and on the night the clocks spring forward an entry at 01:50
    of 30 minutes runs to 03:00 + 20 (02:00 is 03:00). The same as the clock on every other day."""
    names, zone_of = np.unique(zones, return_inverse=True)
    zone_of = zone_of.reshape(-1)
    entries = replace(e, start=_since_midnight(e.day, e.start, zone_of[e.patient], names))
    stays = replace(s, admitted_clock=_since_midnight(s.admitted, s.admitted_clock, zone_of[s.patient], names),
                    discharged_clock=_since_midnight(s.discharged, s.discharged_clock, zone_of[s.patient], names))
    return stays, entries


def _since_midnight(day: np.ndarray, clock: np.ndarray, zone: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Minutes from the local midnight of `day` to its time of day `clock` (NO_CLOCK stays so) in
    the zone names[zone], read as the engine reads a wall-clock time (core.instant): in the hour a
    fall-back repeats, the second time; in the hour a spring-forward skips, with the offset before
    it. Both are the smaller of the two offsets the clock could mean. Only a day whose midnights
    differ in offset has a clock change (a few days a year), so only its times are looked at one by one."""
    out = clock.copy()
    timed = np.flatnonzero((clock != NO_CLOCK) & (day != NO_DISCHARGE))
    pairs, pair_of = np.unique(zone[timed] * DAYS_APART + day[timed], return_inverse=True)
    days = [(ZoneInfo(str(names[k // DAYS_APART])), dt.datetime(1970, 1, 1) + dt.timedelta(days=int(k % DAYS_APART)))
            for k in pairs]
    for k in [k for k, (tz, midnight) in enumerate(days) if _offset(tz, midnight) != _offset(tz, midnight + dt.timedelta(days=1))]:
        tz, midnight = days[k]
        for r in timed[pair_of.reshape(-1) == k]:
            shift = _offset(tz, midnight + dt.timedelta(minutes=int(clock[r]))) - _offset(tz, midnight)
            out[r] = clock[r] - shift // dt.timedelta(minutes=1)
    return out


def _offset(tz: ZoneInfo, local: dt.datetime) -> dt.timedelta:
    """The UTC offset the engine reads a wall-clock time with (_since_midnight)."""
    return min(local.replace(tzinfo=tz, fold=0).utcoffset(), local.replace(tzinfo=tz, fold=1).utcoffset())


def in_stay(s: Stays, chunk_size: int, e: Entries, edge_days: str) -> np.ndarray:
    """Whether each entry falls in its patient's stay, by billing_rules.md section 3 and the setting
    facility_stay_edge_days (`edge_days`: exclude or count).

    The days strictly between admission and discharge are in it (every day from the admission on
    while there is no discharge). On the admission or discharge day an entry is placed by its start
    when both it and the stay's time are known: from the admission time on and before the
    discharge time is inside. With either time unknown the day is an edge day: in the stay when
    edge days are excluded. A timed entry that runs across a timed admission or discharge is in it
    only in part (minutes_in_stay), so not here. Times of day are compared in real time: pass the
    stays and entries through real_clocks first.
    """
    if len(s) == 0:
        return np.zeros(len(e), bool)
    has, stay = _entry_stays(s, chunk_size, e)
    first, last = s.admitted[stay], np.where(s.discharged == NO_DISCHARGE, ONGOING, s.discharged)[stay]
    timed = e.form != DATE_ONLY
    in_clock, out_clock = s.admitted_clock[stay], s.discharged_clock[stay]
    after_admission = (e.day > first) | (timed & (in_clock != NO_CLOCK) & (e.start >= in_clock))
    before_discharge = (e.day < last) | (timed & (out_clock != NO_CLOCK) & (e.start < out_clock))
    known_outside = ((e.day == first) & timed & (in_clock != NO_CLOCK) & (e.start < in_clock)) | (
        (e.day == last) & timed & (out_clock != NO_CLOCK) & (e.start >= out_clock))
    inside = has & (e.day >= first) & (e.day <= last) & ~known_outside
    if edge_days != "exclude":
        inside = inside & after_admission & before_discharge
    return inside & ~(has & _across(s, stay, e))


def _entry_stays(s: Stays, chunk_size: int, e: Entries) -> tuple[np.ndarray, np.ndarray]:
    """Per entry, whether its patient has a stay, and that stay's row in `s` (0 where none: read it
    only where the first is true). in_stay and minutes_in_stay look stays up alike."""
    of = np.full(chunk_size, -1)
    of[s.patient] = np.arange(len(s))
    stay = of[e.patient]
    return stay >= 0, np.maximum(stay, 0)


def _across(s: Stays, stay: np.ndarray, e: Entries) -> np.ndarray:
    """Whether each timed entry runs across its stay's timed admission or discharge (its stay's row
    `stay`): it is then in the stay in part. An entry can run past midnight (activity.py
    ACROSS_MIDNIGHT), so its end is not clipped to its day."""
    timed = e.form != DATE_ONLY
    in_clock, out_clock = s.admitted_clock[stay], s.discharged_clock[stay]
    end = e.start + e.minutes
    return timed & (((e.day == s.admitted[stay]) & (in_clock != NO_CLOCK) & (e.start < in_clock) & (end > in_clock))
                    | ((e.day == s.discharged[stay]) & (out_clock != NO_CLOCK) & (e.start < out_clock) & (end > out_clock)))


def minutes_in_stay(s: Stays, chunk_size: int, e: Entries, covered: np.ndarray) -> np.ndarray:
    """Per entry, its minutes in its patient's stay: all of them for an entry in it (`covered`,
    in_stay); for a timed entry that runs across a timed admission or discharge, the minutes
    between (only the minutes outside the stay count, billing_rules.md s3); else none."""
    inside = np.where(covered, e.minutes, 0)
    if len(s) == 0:
        return inside
    has, stay = _entry_stays(s, chunk_size, e)
    across = has & _across(s, stay, e)
    in_clock, out_clock = s.admitted_clock[stay], s.discharged_clock[stay]
    lo = np.where((e.day == s.admitted[stay]) & (in_clock != NO_CLOCK), in_clock, 0)
    hi = np.where((e.day == s.discharged[stay]) & (out_clock != NO_CLOCK), out_clock, e.start + e.minutes)
    between = np.clip(np.minimum(e.start + e.minutes, hi) - np.maximum(e.start, lo), 0, e.minutes)
    return np.where(across, between, inside)


def minutes_taken_out(e: Entries, p: PatientChunk, inside: np.ndarray) -> np.ndarray:
    """Per entry, the countable minutes a stay takes out of its month.

    A planned countable entry loses its minutes inside a stay (`inside`, minutes_in_stay: all of
    them when it is in the stay; those past the admission or before the discharge when it runs
    across one). An overlapping copy lies inside the entry it was made from, so it is in the stay
    wherever that entry is and adds nothing either way. Nothing counts for a patient without
    consent anyway.
    """
    original = (e.origin >= 0) & (e.trap != OVERLAP)
    return np.where(p.consent[e.patient] == NO_CONSENT, 0, np.where(original, inside, 0))


def stays_frame(s: Stays, numbers: np.ndarray) -> pl.DataFrame:
    """The facility_stays.csv rows as text (stay_id is given when the chunk is written)."""

    def moment(day: np.ndarray, clock: np.ndarray, name: str) -> pl.Series:
        date = day_text(day)
        return choose(clock != NO_CLOCK, date + " " + clock_text(np.maximum(clock, 0), seconds=False), date).rename(name)

    return pl.DataFrame(
        [
            pl.Series("stay_id", [None] * len(s), dtype=pl.String),
            patient_ids(numbers[s.patient]),
            lookup("stay_type", STAY_TYPES, s.kind),
            moment(s.admitted, s.admitted_clock, "admitted_at"),
            moment(s.discharged, s.discharged_clock, "discharged_at"),
        ]
    )
