"""One chunk of patients: who they are and the shape of their treatment episode.

Everything later (monthly minutes, scores) is drawn from these arrays, so the course of a
patient (when care starts, how long it lasts, whether they improve) is decided once, here, and
the time logs, assessments and discharge reason agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from bcm_analytics.synthetic.months import Horizon, draw, uniform_day
from bcm_analytics.synthetic.roster import Roster
from bcm_analytics.synthetic.text import MISSING_DAY, day_text, lookup, patient_ids
from bcm_analytics.synthetic.vocab import (
    DISCHARGE_REASONS,
    ETHNICITIES,
    ETHNICITY_SHARES,
    PAYER_CLASS_OF,
    PAYER_NAMES,
    PAYER_SHARES,
    PROGRAMS,
    RACE_SHARES,
    RACES,
    SEX_SHARES,
    SEXES,
)

# Course of treatment: regular (discharged after 3-12 months), drop-out (no follow-up score),
# restart (a pause of 6+ months with no care, then care again: a new billing episode; discharged at
# the pause and enrolled again after it, where both fall in the program's months: re_enrolments),
# long stay.
REGULAR, DROPOUT, RESTART, LONG = range(4)
COURSE_SHARES = [0.61, 0.25, 0.04, 0.10]
NO_DISCHARGE = MISSING_DAY
NO_CONSENT = MISSING_DAY


@dataclass
class PatientChunk:
    number: np.ndarray  # patient number; patient_id is P + 7 digits
    clinic: np.ndarray
    bcm: np.ndarray  # staff index
    provider: np.ndarray  # staff index
    consultant: np.ndarray  # staff index
    payer: np.ndarray  # index into PAYER_NAMES
    bhi: np.ndarray  # bool: general BHI program instead of CoCM
    birth: np.ndarray  # day number
    sex: np.ndarray
    race: np.ndarray
    ethnicity: np.ndarray
    enroll: np.ndarray  # day number
    consent: np.ndarray  # day number or NO_CONSENT
    start: np.ndarray  # day counted care can start: consent (or enrolment when consent is missing)
    start_month: np.ndarray
    end_month: np.ndarray  # last month of care (discharge month, or the last program month)
    discharge: np.ndarray  # day number or NO_DISCHARGE
    reason: np.ndarray  # index into DISCHARGE_REASONS, -1 when not discharged
    course: np.ndarray
    pause_from: np.ndarray  # RESTART: first month (within the episode) of the pause, else -1
    pause_months: np.ndarray
    improvement: np.ndarray  # share of the baseline score lost by the end of treatment

    def __len__(self) -> int:
        return len(self.number)


def _clinic_staff(rng: np.random.Generator, clinic: np.ndarray, teams: list[np.ndarray]) -> np.ndarray:
    """A random member of each patient's clinic team (care managers or providers)."""
    sizes = np.array([len(t) for t in teams])
    flat = np.concatenate(teams)
    offsets = np.cumsum(sizes) - sizes
    return flat[offsets[clinic] + (rng.random(len(clinic)) * sizes[clinic]).astype(np.int64)]


def _ages(rng: np.random.Generator, payer_class: np.ndarray) -> np.ndarray:
    """Medicare patients mostly 65+, a few teens (12-17) on Medicaid and commercial plans."""
    n = len(payer_class)
    adult = rng.integers(18, 65, n)
    senior = rng.integers(65, 91, n)
    teen = rng.integers(12, 18, n)
    medicare = np.where(rng.random(n) < 0.78, senior, adult)
    teen_share = np.where(payer_class == 1, 0.10, 0.05)
    other = np.where(rng.random(n) < teen_share, teen, adult)
    return np.where(payer_class == 0, medicare, other)


def _improvement(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two kinds of course: ~38% improve strongly, the rest partly or not at all.

    Tuned so 30-50% respond and 20-35% remit at 6 months among baselines of 10 or more.
    """
    strong = rng.random(n) < 0.38
    return np.where(strong, rng.uniform(0.6, 1.0, n), rng.uniform(-0.2, 0.45, n))


def _episode_months(rng: np.random.Generator, course: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Months of care from the first month (inclusive of both ends), and the pause of RESTART."""
    n = len(course)
    pause_from = np.where(course == RESTART, rng.integers(2, 6, n), -1)
    pause_months = np.where(course == RESTART, rng.integers(6, 9, n), 0)
    months = np.select(
        [course == REGULAR, course == DROPOUT, course == LONG],
        [rng.integers(3, 13, n), rng.integers(2, 5, n), rng.integers(13, 25, n)],
        default=pause_from + pause_months + rng.integers(3, 9, n),
    )
    return months, pause_from, pause_months


def _discharge_reasons(rng: np.random.Generator, course: np.ndarray, improvement: np.ndarray) -> np.ndarray:
    """Improvers mostly leave with goals met; drop-outs are lost to follow-up."""
    n = len(course)
    goals = rng.random(n) < np.where(improvement > 0.5, 0.75, 0.25)
    other = 1 + draw(rng, n, [0.45, 0.35, 0.20])  # referred_out, lost_to_follow_up, moved
    return np.where(course == DROPOUT, 2, np.where(goals, 0, other))


def make_patients(
    rng: np.random.Generator, first_number: int, n: int, horizon: Horizon, roster: Roster
) -> PatientChunk:
    clinic = draw(rng, n, roster.weights)
    payer = draw(rng, n, PAYER_SHARES)
    enroll = uniform_day(rng, np.full(n, horizon.first), np.full(n, horizon.last))
    birth = enroll - (_ages(rng, np.array(PAYER_CLASS_OF)[payer]) * 365.25 + rng.integers(1, 360, n)).astype(np.int64)

    delay = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 8, n))
    consent = np.minimum(enroll + delay, horizon.last)
    consent = np.where(rng.random(n) < 0.03, NO_CONSENT, consent)
    start = np.where(consent == NO_CONSENT, enroll, consent)
    start_month = horizon.month_of(start)

    course = draw(rng, n, COURSE_SHARES)
    span, pause_from, pause_months = _episode_months(rng, course)
    last_month = start_month + span - 1
    discharged = last_month <= horizon.months - 1
    end_month = np.minimum(last_month, horizon.months - 1)
    discharge = np.where(
        discharged, uniform_day(rng, horizon.first_day(end_month), horizon.last_day(end_month)), NO_DISCHARGE
    )
    improvement = _improvement(rng, n)
    reason = np.where(discharged, _discharge_reasons(rng, course, improvement), -1)

    return PatientChunk(
        number=np.arange(first_number, first_number + n),
        clinic=clinic,
        bcm=_clinic_staff(rng, clinic, roster.bcms),
        provider=_clinic_staff(rng, clinic, roster.providers),
        consultant=roster.consultant[clinic],
        payer=payer,
        bhi=rng.random(n) < 0.10,
        birth=birth,
        sex=draw(rng, n, SEX_SHARES),
        race=draw(rng, n, RACE_SHARES),
        ethnicity=draw(rng, n, ETHNICITY_SHARES),
        enroll=enroll,
        consent=consent,
        start=start,
        start_month=start_month,
        end_month=end_month,
        discharge=discharge,
        reason=reason,
        course=course,
        pause_from=pause_from,
        pause_months=pause_months,
        improvement=improvement,
    )


def patients_frame(p: PatientChunk, roster: Roster) -> pl.DataFrame:
    """The patients.csv rows of a chunk, every column as text."""
    return pl.DataFrame(
        [
            patient_ids(p.number),
            roster.clinics["clinic_id"].gather(p.clinic).rename("clinic_id"),
            lookup("payer", PAYER_NAMES, p.payer),
            lookup("program", PROGRAMS, p.bhi.astype(np.int64)),
            roster.staff_ids.gather(p.bcm).rename("care_manager_id"),
            roster.staff_npis.gather(p.provider).rename("treating_provider_npi"),
            day_text(p.birth, "birth_date"),
            lookup("sex", SEXES, p.sex),
            lookup("race", RACES, p.race),
            lookup("ethnicity", ETHNICITIES, p.ethnicity),
            day_text(p.enroll, "enrollment_date"),
            day_text(p.consent, "consent_date"),
            day_text(p.discharge, "discharge_date"),
            lookup("discharge_reason", DISCHARGE_REASONS, p.reason),
        ]
    )


def re_enrolments(p: PatientChunk, horizon: Horizon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The restarts written as a discharge and a re-enrolment, as a registry's episode list writes
    them: discharged on the last day of the month before the pause (lost to follow-up), enrolled
    again with a new consent on the first day of the month care resumes, where that month is in
    the program. No care falls between (the pause), so the same minutes count as when the pause was
    one enrolment: the consent of each enrolment comes before its care (a patient without consent
    keeps none). Returns (which patients, the earlier discharge, the re-enrolment day)."""
    pause = p.start_month + p.pause_from
    back = pause + p.pause_months
    chosen = (p.course == RESTART) & (p.consent != NO_CONSENT) & (back <= horizon.months - 1)
    return chosen, horizon.last_day(pause - 1), horizon.first_day(back)


def episode_list_frame(p: PatientChunk, roster: Roster, horizon: Horizon) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The patients.csv rows of a chunk as an episode list: each patient's row (a re-enrolled
    patient's current enrolment), and apart the earlier enrolments of the re-enrolled patients."""
    chosen, discharged, back = re_enrolments(p, horizon)
    rows = patients_frame(p, roster)
    current = rows.with_columns(
        pl.when(pl.Series(chosen)).then(day_text(back)).otherwise(pl.col(c)).alias(c) for c in ("enrollment_date", "consent_date"))
    earlier = rows.filter(pl.Series(chosen)).with_columns(
        day_text(discharged[chosen], "discharge_date"),
        pl.lit(DISCHARGE_REASONS[2], pl.String).alias("discharge_reason"))  # lost_to_follow_up
    return current, earlier
