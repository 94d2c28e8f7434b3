"""Patient outcomes on random small programs, checked against an oracle written from the reference.

The oracle below is plain Python read from /work/shared/domain/outcome_measures.md (sections 1-3):
it takes only the numbers (windows in days, thresholds, the DRR-E intake period) from the shipped
definitions.yaml, and decides by itself the day's score among same-day duplicates (and their flag),
the episode's scores (the 14-day look-back, nothing after the as-of date), the baseline (the first
score, never one after the discharge), its eligibility, each window's score (the most recent from
day `from` to day `to` after the baseline, counted in days, discharge closing nothing), the window's
status (pending until its last day), response, remission and improvement at each window and at the
latest score, "not improving", the program measures' counts per window, and HEDIS DRR-E's counts per
measurement year. Each example loads a handful of patients through the real ingest and reads
patient_outcomes, program_measures and the DRR-E table at two as-of dates: the data's last day (the
marts every load keeps), and a day where something turns (a window's last day, the day "not
improving" can start, enrolment, discharge) or the day before it, where off-by-one errors live.

Covered: the PHQ-9 alone, adults, discharges that exclude no one (goals met), the shipped
definitions, one enrolment per patient. Left to the fixture tests (test_outcomes.py, test_drr_e.py,
test_outcomes_cms159.py, test_caseload.py): other instruments and PHQ-A pooling, item 9, ages and
strata, deaths and hospice, diagnoses, contacts and CMS159, filters, report periods, the settings'
other values, suppression, caseload and process measures, cohorts, worklists, re-enrolments
(test_outcomes_reenrolment.py).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from conftest import write_csv
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from test_outcomes import patient, score

from bcm_analytics.ingest import load_paths
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare
from bcm_analytics.warehouse import connect

DEFINITIONS = yaml.safe_load(resources.files("bcm_analytics.config").joinpath("definitions.yaml").read_text())
OUTCOME, EPISODE, DRR_E = DEFINITIONS["outcome"], DEFINITIONS["episode"], DEFINITIONS["drr_e"]
WINDOWS = {name: (w["from"], w["to"]) for name, w in DEFINITIONS["windows"].items()}
LOOKBACK = EPISODE["baseline_lookback_days"]

# The oracle follows the reference's own rules; a shipped default that picks another reading would
# need its own oracle, so it fails here rather than being compared with the wrong one.
assert OUTCOME["baseline"] == "first_score" and OUTCOME["not_improving_no_followup"] == "all"
assert EPISODE["discharge_closes_windows"] is False and DRR_E["instrument"] == "PHQ-9"

START = dt.date(2024, 3, 1)
YEARS = (2024, 2025, 2026)  # DRR-E measurement years whose intake periods the generated days reach


@dataclass(frozen=True)
class Score:
    day: dt.date
    total: int
    time: str | None  # "HH:MM", or None: a day alone


@dataclass(frozen=True)
class Patient:
    pid: str
    enrolled: dt.date
    discharged: dt.date | None
    scores: tuple[Score, ...]


# ---------------------------------------------------------------------------------------------
# The oracle


def score_of_day(scores: list[Score]) -> int:
    """Section 1: two scores on one day, the later timestamp; with no time the order is unknown and
    the higher (conservative) is used. Two at the same latest time have no later one: the higher."""
    if all(s.time is not None for s in scores):
        latest = max(s.time for s in scores)
        scores = [s for s in scores if s.time == latest]
    return max(s.total for s in scores)


def episode_days(p: Patient, as_of: dt.date) -> dict[dt.date, list[Score]]:
    """The episode's scores by day: from the look-back before enrolment to the as-of date (scores
    after the discharge are follow-up, section 2); none before the patient is enrolled."""
    days: dict[dt.date, list[Score]] = {}
    for s in p.scores:
        if p.enrolled <= as_of and p.enrolled - dt.timedelta(days=LOOKBACK) <= s.day <= as_of:
            days.setdefault(s.day, []).append(s)
    return days


def series(p: Patient, as_of: dt.date) -> list[tuple[dt.date, int]]:
    """The episode's scores, one a day, in date order."""
    return sorted((d, score_of_day(same)) for d, same in episode_days(p, as_of).items())


def untimed_duplicates(p: Patient, as_of: dt.date) -> bool:
    """Section 1's flag: a day of the episode with two scores whose order no time gives."""
    return any(len(same) > 1 and any(s.time is None for s in same) for same in episode_days(p, as_of).values())


def baseline(p: Patient, scored: list[tuple[dt.date, int]]) -> tuple[dt.date, int] | None:
    """Section 2: the first score in the treatment episode, which ends at the discharge: a later
    score is a relapse-prevention check-in following up a baseline, never one itself (docs/outcomes.md,
    the "baseline" row). `scored` already ends at the as-of date, so a discharge not yet known
    changes nothing here."""
    in_episode = [s for s in scored if p.discharged is None or s[0] <= p.discharged]
    return in_episode[0] if in_episode else None


def is_response(total: int, base: int) -> bool:
    return total <= Fraction(str(OUTCOME["response_max_fraction"])) * base  # exactly 50% counts


def is_remission(total: int) -> bool:
    return total < OUTCOME["remission_below"]  # 5 is not a remission


def is_improved(total: int, base: int) -> bool:
    return total < OUTCOME["improvement_below"] or is_response(total, base)


def window(scored, base: tuple[dt.date, int], days: tuple[int, int], as_of: dt.date) -> dict:
    """Section 2: the most recent score (never the best) from day `from` to day `to` after the
    baseline; pending while the window can still take a score. On its last day the window counts
    as closed, the as-of date's scores being in (docs/outcomes.md, followup_due: "on its last day
    the window counts as closed"; test_outcomes.py reads day 240 of the 6-month window as decided)."""
    first, last = days
    inside = [s for s in scored if first <= (s[0] - base[0]).days <= last]
    day, total = inside[-1] if inside else (None, None)
    if base[1] < OUTCOME["eligible_baseline_min"]:
        status = "not_eligible"
    elif base[0] + dt.timedelta(days=last) > as_of:
        status = "pending"
    else:
        status = "no_followup" if total is None else "decided"
    decided = status in ("no_followup", "decided")
    response = decided and total is not None and is_response(total, base[1])
    remission = decided and total is not None and is_remission(total)
    return {"score": total, "score_date": day,
            "followup": total is not None if decided else None,
            "response": response if decided else None,
            "remission": remission if decided else None,
            "response_status": ("met" if response else "not_met") if status == "decided" else status,
            "remission_status": ("met" if remission else "not_met") if status == "decided" else status}


def not_improving(p: Patient, base, latest, as_of: dt.date) -> bool | None:
    """Section 2's treat-to-target flag, for an episode open at the as-of date: 70 days or more
    since the baseline and the latest score neither < 10 nor a response; no score since the
    baseline is no evidence of change, so it counts."""
    if base is None or (p.discharged is not None and p.discharged <= as_of):
        return None
    if (as_of - base[0]).days < OUTCOME["not_improving_after_days"]:
        return False
    return latest[0] == base[0] or not is_improved(latest[1], base[1])


def expected_row(p: Patient, as_of: dt.date) -> dict | None:
    """What the patient's PHQ-9 row should say, or None when the patient has no score to measure."""
    scored = series(p, as_of)
    if not scored:
        return None
    base, latest = baseline(p, scored), scored[-1]
    followed = base is not None and latest[0] > base[0]
    row = {"baseline_date": base and base[0], "baseline_score": base and base[1],
           "eligible": base is not None and base[1] >= OUTCOME["eligible_baseline_min"],
           "latest_date": latest[0], "latest_score": latest[1],
           "response": is_response(latest[1], base[1]) if followed else None,
           "remission": is_remission(latest[1]) if followed else None,
           "improvement": is_improved(latest[1], base[1]) if followed else None,
           "same_day_scores_untimed": untimed_duplicates(p, as_of),
           "not_improving": not_improving(p, base, latest, as_of)}
    for name, days in WINDOWS.items():
        got = window(scored, base, days, as_of) if base else dict.fromkeys(WINDOW_KEYS)  # no baseline, no window
        row |= {column(key, name): value for key, value in got.items()}
    return row


WINDOW_KEYS = ("score", "score_date", "followup", "response", "remission", "response_status", "remission_status")


def column(key: str, name: str) -> str:
    """outcome_patients' column for a window's value: score_6m, response_6m_status."""
    return key.replace("_status", f"_{name}_status") if key.endswith("_status") else f"{key}_{name}"


def intake(year: int) -> tuple[dt.date, dt.date]:
    def on(edge):
        return dt.date(year + edge["year"], edge["month"], edge["day"])

    return on(DRR_E["intake_start"]), on(DRR_E["intake_end"])


def drr_e_counts(program: list[Patient], year: int, as_of: dt.date) -> dict:
    """Section 3's HEDIS DRR-E over the program: the index (IESD) is a patient's first PHQ-9 > 9 in
    the intake period; followed up, remitted and responded read the most recent score of days
    120-240 after it (the 6-month window's days). A patient's scores are their episode's
    (docs/outcomes.md: "A patient's scores count across their episodes, one per day"), so a score
    before the look-back is no index."""
    first, last = intake(year)
    low, high = WINDOWS["6m"]
    counts = dict.fromkeys(("denominator", "followed_up", "remitted", "responded", "pending"), 0)
    for p in program:
        scored = series(p, as_of)
        index = next((s for s in scored if first <= s[0] <= last and s[1] >= OUTCOME["eligible_baseline_min"]), None)
        if index is None:
            continue
        inside = [s[1] for s in scored if low <= (s[0] - index[0]).days <= high]
        counts["denominator"] += 1
        counts["followed_up"] += bool(inside)
        counts["remitted"] += bool(inside) and is_remission(inside[-1])
        counts["responded"] += bool(inside) and is_response(inside[-1], index[1])
        counts["pending"] += index[0] + dt.timedelta(days=high) > as_of
    return counts


def program_counts(program: list[Patient], as_of: dt.date) -> dict:
    """Section 2's program measures over every baseline: per window, the eligible baselines, those
    pending ("not yet measurable", outside the denominator), the denominator (closed windows, with
    a score or not: the HEDIS way), those measured, the responders and the remitters."""
    counts = {}
    for name in WINDOWS:
        rows = [r for r in (expected_row(p, as_of) for p in program) if r and r["eligible"]]
        status = [r[column("response_status", name)] for r in rows]
        counts[name] = {"eligible": len(rows), "pending": status.count("pending"),
                        "denominator": len(rows) - status.count("pending"),
                        "measured": sum(r[column("followup", name)] is True for r in rows),
                        "responders": sum(r[column("response", name)] is True for r in rows),
                        "remitters": sum(r[column("remission", name)] is True for r in rows)}
    return counts


def edge_days(program: list[Patient]) -> list[dt.date]:
    """Days where something turns, and the day before: enrolment, discharge, each window's last day
    and the day "not improving" can start (from each patient's baseline with every score known)."""
    turns = [OUTCOME["not_improving_after_days"], *(last for _, last in WINDOWS.values())]
    days = set()
    for p in program:
        base = baseline(p, series(p, dt.date.max))
        starts = [p.enrolled, p.discharged, *(base[0] + dt.timedelta(days=d) for d in turns if base)]
        days |= {day - dt.timedelta(days=before) for day in starts if day for before in (0, 1)}
    return sorted(days)


# ---------------------------------------------------------------------------------------------
# The generator: days cluster at the windows' edges (the day before, the first, the last, the day
# after) counted from a first score near enrolment, and totals at the thresholds, so the boundaries
# come up often among the few examples a loaded store allows.

EDGES = sorted({0, *(d + e for days in WINDOWS.values() for d in days for e in (-1, 0, 1))})
TOTALS = st.one_of(st.integers(0, 27), st.sampled_from([4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20]))
FIRST_TOTALS = st.sampled_from([5, 9, 10, 10, 11, 12, 14, 15, 16, 18, 20, 22, 24, 27])  # mostly eligible
TIMES = st.one_of(st.none(), st.sampled_from(["00:05", "09:00", "09:00", "13:30", "17:45", "23:55"]))


@st.composite
def patients(draw, pid: str) -> Patient:
    enrolled = START + dt.timedelta(days=draw(st.integers(0, 420)))
    first = enrolled + dt.timedelta(days=draw(st.one_of(st.sampled_from([-LOOKBACK - 1, -LOOKBACK, 0]),
                                                        st.integers(-LOOKBACK - 2, 30))))
    offsets = draw(st.lists(st.one_of(st.sampled_from(EDGES), st.integers(-25, 540)), min_size=1, max_size=10))
    scores = (Score(first, draw(FIRST_TOTALS), draw(TIMES)),
              *(Score(first + dt.timedelta(days=n), draw(TOTALS), draw(TIMES)) for n in offsets))
    # no discharge, any day, or on a score's day or the day before (its last day as a baseline; the
    # day before the first score leaves the episode without one)
    near_scores = sorted(d for d in {s.day - dt.timedelta(days=k) for s in scores for k in (0, 1)} if d >= enrolled)
    discharged = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n: enrolled + dt.timedelta(days=n)),
                                st.sampled_from(near_scores[:2] or [None]), st.sampled_from(near_scores or [None])))
    return Patient(pid, enrolled, discharged, scores)


@st.composite
def programs(draw) -> list[Patient]:
    size = draw(st.integers(3, 8))
    return [draw(patients(f"P{n}")) for n in range(size)]


# ---------------------------------------------------------------------------------------------
# The engine, through the real ingest and the helpers of test_outcomes.py


def load(folder: Path, program: list[Patient]):
    patient_rows = [patient(p.pid, p.enrolled.isoformat(), p.discharged.isoformat() if p.discharged else "",
                            discharge_reason="goals_met" if p.discharged else "") for p in program]
    # items 1-8 reach 24 at most: the rest of a higher total is item 9, so the items add up
    score_rows = [score(p.pid, f"{s.day} {s.time}" if s.time else s.day.isoformat(), s.total, item9=max(0, s.total - 24),
                        sid=f"{p.pid}-{n}") for p in program for n, s in enumerate(p.scores)]
    write_csv(folder / "exports" / "patients.csv", patient_rows)
    write_csv(folder / "exports" / "assessments.csv", score_rows)
    con = connect(folder / "program.duckdb", timezone="America/New_York")
    for path, result in load_paths(con, [folder / "exports"]):
        assert result.rows_quarantined == 0, f"{path.name}: generated rows were quarantined"
    return con


def plain(value):
    """A frame cell as the oracle writes it: dates as dates, NaN and NaT as None, numpy as Python."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def engine_rows(run) -> dict:
    frame = run.patients()
    assert set(frame["instrument"]) <= {"PHQ-9"} and frame["patient_id"].is_unique
    return {r["patient_id"]: r for r in frame.to_dict("records")}


def describe(p: Patient) -> str:
    scores = ", ".join(f"{s.day}{' ' + s.time if s.time else ''}={s.total}" for s in sorted(p.scores, key=lambda s: s.day))
    return f"{p.pid}: enrolled {p.enrolled}, discharged {p.discharged}; scores {scores}"


def check(run, program: list[Patient]) -> None:
    as_of, rows = run.as_of, engine_rows(run)
    for p in program:
        want, got = expected_row(p, as_of), rows.get(p.pid)
        if want is None:
            assert got is None, f"as of {as_of}, {describe(p)}: the engine has a row, the oracle none"
            continue
        assert got is not None, f"as of {as_of}, {describe(p)}: the oracle has a row, the engine none"
        differ = {k: (v, plain(got[k])) for k, v in want.items() if v != plain(got[k])}
        assert not differ, f"as of {as_of}, {describe(p)}: (oracle, engine) {differ}"
    measures = run.program_measures(f"{START.year - 1}-12", f"{as_of:%Y-%m}").set_index("window_name")
    for name, want in program_counts(program, as_of).items():
        got = measures.loc[name].to_dict() if name in measures.index else dict.fromkeys(want, 0)
        assert {k: int(got[k]) for k in want} == want, f"program measures, {name}, as of {as_of}"
    for year in YEARS:
        got = cl.drr_e(run, year).set_index("stratum").loc["All"]
        want = drr_e_counts(program, year, as_of)
        assert {k: int(got[k]) for k in want} == want, f"DRR-E {year} as of {as_of}"


# Each example loads a store (a few seconds here), so examples are few and rich: several patients,
# two as-of dates (the data's last day, and a day where something turns, which prepare builds apart).
# No shrinking: a failure names the one patient whose rows differ, with its inputs, about as small as
# a shrink would get, in seconds rather than the many minutes of reloading a store per attempt.
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate])
@given(program=programs(), data=st.data())
def test_patient_outcomes_program_measures_and_drr_e_agree_with_the_oracle(program, data):
    edges = edge_days(program)
    with tempfile.TemporaryDirectory() as folder:
        con = load(Path(folder), program)
        try:
            latest = prepare(con)
            # docs/outcomes.md: the as-of date defaults to the latest score or time-log date
            assert latest.as_of == max(s.day for p in program for s in p.scores)
            check(latest, program)
            if edges:
                check(prepare(con, data.draw(st.sampled_from(edges), label="as-of").isoformat()), program)
        finally:
            con.close()
