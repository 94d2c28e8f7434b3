"""generate_program: a seeded synthetic CoCM program written as canonical exports.

Patients are made and written in fixed-size chunks, each from its own random stream
(seed, chunk number), so memory stays bounded at any size and the same seed gives the same
bytes. Hospital stays, post-discharge check-in scores and the follow-up calls logged with them
draw from streams of their own, so adding them changed none of the other rows; so do the payer
history (coverage.csv), which changed only the payer of patients who changed it, and the
diagnoses (diagnoses.csv), which changed no other row. Answer keys beside the exports say what a correct
pipeline must find.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl
from tqdm import tqdm

from bcm_analytics.synthetic import activity, assessments, coverage, diagnoses, dirty, stays
from bcm_analytics.synthetic.months import Horizon
from bcm_analytics.synthetic.patients import NO_CONSENT, PatientChunk, episode_list_frame, make_patients
from bcm_analytics.synthetic.roster import Roster, make_roster, staff_table
from bcm_analytics.synthetic.text import numbered, patient_ids
from bcm_analytics.synthetic.vocab import PAYER_CLASSES
from bcm_analytics.synthetic.writers import CsvFile, export_columns

CHUNK_PATIENTS = 2000  # part of the output's identity: changing it changes every file
DUPLICATE_SHARE = 0.002  # time-log rows exported twice
ANSWER_KEY = "_answer_key"
EXPORTS = ["clinics", "patients", "time_logs", "assessments", "facility_stays", "coverage", "diagnoses"]
KEYS = {
    "patients": "patient_id", "time_logs": "entry_id", "assessments": "assessment_id", "facility_stays": "stay_id",
    "coverage": "patient_id",  # a patient's periods: the answer key names the patient
}
ID_PREFIXES = {"time_logs": "T", "assessments": "A", "facility_stays": "S"}
# Random streams: (seed, stream, chunk); 0 is the roster's, 2 the claims' and 5 the check-ins' items (no chunk)
CHUNK_STREAM, STAY_STREAM, CHECK_IN_STREAM, CHECK_IN_ITEMS_STREAM, CHECK_IN_CALL_STREAM, COVERAGE_STREAM = 1, 3, 4, 5, 6, 7
DIAGNOSIS_STREAM = 8
KEY_FILES = {
    "dirty_rows": dirty.KEY_COLUMNS,
    "planted_traps": ["file", "line", "key", "trap"],
    "countable_minutes": ["patient_id", "service_month", "countable_minutes"],
    "staff": ["staff_id", "role", "clinic_id", "npi"],
}


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: Path
    paths: dict[str, Path]  # by name: clinics, patients, time_logs, assessments, dirty_rows, ...
    rows: dict[str, int]  # data rows written (header excluded), dirty rows included
    seconds: float


@dataclass
class _Run:
    """What the chunks share: the program, the open files, the next free id per table, and the
    rows written after the last chunk (patients are numbered from 0 across the program there)."""

    horizon: Horizon
    roster: Roster
    seed: int
    files: dict[str, CsvFile]
    next_id: dict[str, int]
    hospital_stays: list[stays.Stays] = field(default_factory=list)
    check_ins: list[assessments.Scores] = field(default_factory=list)
    check_in_calls: list[pl.DataFrame] = field(default_factory=list)

    def rng(self, chunk: int, stream: int = CHUNK_STREAM) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, chunk])


def generate_program(
    out_dir: str | Path,
    *,
    patients: int = 2000,
    months: int = 24,
    start: str = "2024-01",
    seed: int = 7,
    progress: bool = False,
) -> GenerationSummary:
    """Write clinics, patients, time_logs, assessments, facility_stays, coverage and diagnoses CSVs, and the answer keys, to out_dir."""
    if patients < 1 or months < 1:
        raise ValueError("patients and months must be at least 1")
    began = time.perf_counter()
    out = Path(out_dir)
    horizon = Horizon(start, months)
    roster = make_roster(np.random.default_rng([seed, 0]), patients, months)
    with ExitStack() as stack:
        files = {
            name: stack.enter_context(CsvFile(out / f"{name}.csv", export_columns(name)))
            for name in EXPORTS
        }
        for name, columns in KEY_FILES.items():
            files[name] = stack.enter_context(CsvFile(out / ANSWER_KEY / f"{name}.csv", columns))
        files["clinics"].append(roster.clinics)
        files["staff"].append(staff_table(roster))
        # broken patient rows are numbered after the real patients, so they shadow no one
        next_id = {"patients": patients + 1, "time_logs": 1, "assessments": 1, "facility_stays": 1}
        run = _Run(horizon, roster, seed, files, next_id)
        bar = stack.enter_context(tqdm(total=patients, unit="patient", file=sys.stderr, disable=not progress))
        for chunk, first in enumerate(range(0, patients, CHUNK_PATIENTS)):
            size = min(CHUNK_PATIENTS, patients - first)
            _write_chunk(run, chunk, first, size)
            bar.update(size)
        _write_last(run, patients)
    return GenerationSummary(
        out_dir=out,
        paths={name: f.path for name, f in files.items()} | {"program_rules": write_program_rules(out)},
        rows={name: f.rows for name, f in files.items()},
        seconds=time.perf_counter() - began,
    )


def write_program_rules(out: Path) -> Path:
    """The program's own billing-rules file: how its payer names map to payer classes.

    Real programs write one too (docs/billing.md); without it "Blue Shield PPO" would bill as
    the default class and the demo would not show the per-class rules at work.
    """
    path = out / "program_rules.yaml"
    lines = ["# Payer names of this (synthetic) program mapped to the billing engine's payer classes.", "payer_names:"]
    lines += [f"  {name}: {payer_class}" for name, payer_class in PAYER_CLASSES.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_chunk(run: _Run, chunk: int, first: int, size: int) -> None:
    rng = run.rng(chunk)
    p = make_patients(rng, first + 1, size, run.horizon, run.roster)
    payers = run.rng(chunk, COVERAGE_STREAM)
    history = coverage.payer_history(payers, p, run.horizon)
    p.payer = history.payer  # the registry keeps the payer at the export date
    _write_patients(run, rng, chunk, *episode_list_frame(p, run.roster, run.horizon))
    _write(run, "coverage", coverage.coverage_frame(payers, p, history, plant=chunk == 0))
    run.files["diagnoses"].append(diagnoses.diagnoses_frame(run.rng(chunk, DIAGNOSIS_STREAM), p, run.horizon))

    months = activity.patient_months(rng, p, run.horizon)
    entries = activity.chunk_entries(rng, months, p)
    hospital = stays.make_stays(run.rng(chunk, STAY_STREAM), p, entries, run.horizon, chunk == 0)
    run.hospital_stays.append(replace(hospital, patient=hospital.patient + first))
    logs = activity.time_logs_frame(entries, p, run.roster)
    _write_events(run, rng, chunk, "time_logs", logs, dirty.TIME_LOG_FLAWS)

    scores = assessments.make_scores(rng, p, run.horizon)
    forms = assessments.assessments_frame(rng, scores, p.number)
    _write_events(run, rng, chunk, "assessments", forms, dirty.ASSESSMENT_FLAWS)
    later = assessments.check_in_scores(run.rng(chunk, CHECK_IN_STREAM), scores, p, run.horizon)
    run.check_ins.append(replace(later, patient=later.patient + first))
    calls = activity.check_in_entries(run.rng(chunk, CHECK_IN_CALL_STREAM), later.patient, later.day, later.clock, p)
    run.check_in_calls.append(activity.time_logs_frame(calls, p, run.roster))
    run.files["countable_minutes"].append(
        _countable_minutes(run, p, months, activity.Entries.concat([entries, calls]), hospital)
    )


def _write_last(run: _Run, patients: int) -> None:
    """Hospital stays, the check-in scores entered after the patients left (so they follow
    every other score) and the follow-up calls logged with them (after every other time-log row):
    a few rows each, written once rather than chunk by chunk."""
    numbers = np.arange(1, patients + 1)
    _write_clean(run, "facility_stays", stays.stays_frame(stays.Stays.concat(run.hospital_stays), numbers))
    items = np.random.default_rng([run.seed, CHECK_IN_ITEMS_STREAM])
    scores = assessments.Scores.concat(run.check_ins)
    _write_clean(run, "assessments", assessments.assessments_frame(items, scores, numbers))
    _write_clean(run, "time_logs", pl.concat(run.check_in_calls))


def _countable_minutes(
    run: _Run, p: PatientChunk, months: activity.PatientMonths, entries: activity.Entries, hospital: stays.Stays
) -> pl.DataFrame:
    """The countable-minutes key of the chunk: the minutes planned to count, less those logged in
    a hospital stay and those logged twice, judged by the generator's own rules (not the engine's).
    The follow-up calls after a discharge are never planned to count (check_in_entries): their
    months read 0 unless care was logged in them before the discharge. Entries are placed against
    a stay in real time, in the clinic's zone (stays.real_clocks)."""
    zones = run.roster.clinics["timezone"].to_numpy()[p.clinic]
    real_stays, real_entries = stays.real_clocks(hospital, entries, zones)
    covered = stays.in_stay(real_stays, len(p), real_entries, stays.default_edge_days())
    counts = (entries.origin >= 0) & ~covered & (p.consent[entries.patient] != NO_CONSENT)
    inside = stays.minutes_in_stay(real_stays, len(p), real_entries, covered)
    taken_out = stays.minutes_taken_out(entries, p, inside) + activity.minutes_logged_twice(entries, counts)
    return activity.countable_minutes_frame(months, entries, p, run.horizon, taken_out)


def _write_patients(run: _Run, rng: np.random.Generator, chunk: int, clean: pl.DataFrame, earlier: pl.DataFrame) -> None:
    """The chunk's patients, broken copies planted among them, then the earlier enrolments of the
    re-enrolled ones (a second row of the patient, as an episode list writes it: after the
    planting, so the broken rows drawn are the ones drawn before the generator wrote them)."""

    def own_ids(rows: pl.DataFrame) -> pl.DataFrame:
        first = run.next_id["patients"]
        run.next_id["patients"] += rows.height
        return rows.with_columns(patient_ids(np.arange(first, first + rows.height)))

    count = dirty.dirty_count(rng, clean.height, dirty.DIRTY_PATIENT_SHARE, dirty.PATIENT_FLAWS, chunk == 0)
    frame = dirty.plant(rng, clean.with_columns(_trap=pl.lit(None, pl.String)), dirty.PATIENT_FLAWS, count, own_ids)
    _write(run, "patients", pl.concat([frame, earlier], how="diagonal_relaxed"))


def _write_events(
    run: _Run, rng: np.random.Generator, chunk: int, table: str, clean: pl.DataFrame, flaws: list[dirty.Flaw]
) -> None:
    """Time logs or assessments: broken copies planted among the rows, then all numbered in order."""
    key = KEYS[table]
    count = dirty.dirty_count(rng, clean.height, dirty.DIRTY_SHARE, flaws, chunk == 0)
    frame = dirty.plant(rng, clean, flaws, count)
    frame = frame.with_columns(numbered(ID_PREFIXES[table], run.next_id[table], frame.height).alias(key))
    run.next_id[table] += frame.height
    if table == "time_logs":
        frame = pl.concat([frame, _re_exported(rng, frame)])
    _write(run, table, frame)


def _write_clean(run: _Run, table: str, frame: pl.DataFrame) -> None:
    """Rows with nothing broken or planted in them (no answer-key rows), numbered on from the table's last id."""
    run.files[table].append(frame.with_columns(numbered(ID_PREFIXES[table], run.next_id[table], frame.height).alias(KEYS[table])))
    run.next_id[table] += frame.height


def _re_exported(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """Clean rows exported again at the end of the chunk: same entry_id, same values."""
    clean = np.flatnonzero(frame["_problem"].is_null().to_numpy())
    again = np.sort(rng.choice(clean, int(rng.binomial(len(clean), DUPLICATE_SHARE)), replace=False))
    return frame[again].with_columns(_trap=pl.lit("exact_duplicate"))


def _write(run: _Run, table: str, frame: pl.DataFrame) -> None:
    """Write a chunk of a table and the answer-key rows that point into it."""
    file, key = f"{table}.csv", KEYS[table]
    first_line = run.files[table].append(frame)
    run.files["dirty_rows"].append(dirty.answer_rows(frame, file, key, first_line))
    traps = frame.with_row_index("line", offset=first_line).filter(pl.col("_trap").is_not_null())
    run.files["planted_traps"].append(
        traps.select(
            file=pl.lit(file), line=pl.col("line").cast(pl.Int64), key=pl.col(key), trap=pl.col("_trap")
        )
    )
