"""Diagnoses: the problem list a registry exports beside its patients (diagnoses.csv).

Every patient has the diagnosis care is for, recorded on the enrolment day: a depressive
episode or recurrent depression for most, an anxiety or adjustment disorder for some. A few also
have a diagnosis HEDIS DRR-E and CMS159 leave out (bipolar, personality, psychotic or pervasive
developmental disorder: definitions diagnosis_exclusions), recorded before enrolment (history) or
during care (a diagnosis revised), so the demo's measures show the exclusion at work from the
day it applies. Codes are written with the dot mostly and without it in some registries' style
(F331), as the contract allows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from bcm_analytics.synthetic.months import Horizon, draw, uniform_day
from bcm_analytics.synthetic.patients import NO_DISCHARGE, PatientChunk
from bcm_analytics.synthetic.text import day_text, patient_ids

WORKING = ["F32.1", "F32.2", "F33.1", "F33.0", "F32.A", "F41.1", "F43.23"]
WORKING_SHARES = [0.24, 0.10, 0.26, 0.08, 0.07, 0.19, 0.06]
EXCLUDING = ["F31.81", "F31.9", "F60.3", "F20.9", "F25.0", "F84.0"]
EXCLUDING_SHARES = [0.30, 0.20, 0.22, 0.10, 0.12, 0.06]
EXCLUDING_SHARE = 0.04  # of patients, each with one excluding diagnosis
HISTORY_SHARE = 0.5  # of those, recorded before enrolment (up to two years)
NO_DOT_SHARE = 0.1  # of rows, the code written without its dot


def diagnoses_frame(rng: np.random.Generator, p: PatientChunk, horizon: Horizon) -> pl.DataFrame:
    """The diagnoses.csv rows of a chunk: a working diagnosis per patient, then the excluding ones."""
    n = len(p)
    working = np.array(WORKING)[draw(rng, n, WORKING_SHARES)]
    excluded = np.flatnonzero(rng.random(n) < EXCLUDING_SHARE)
    codes = np.array(EXCLUDING)[draw(rng, len(excluded), EXCLUDING_SHARES)]
    enroll = p.enroll[excluded]
    last = np.where(p.discharge[excluded] == NO_DISCHARGE, horizon.last, p.discharge[excluded])
    history = rng.random(len(excluded)) < HISTORY_SHARE
    day = np.where(history, uniform_day(rng, enroll - 730, enroll - 1), uniform_day(rng, enroll, np.maximum(last, enroll)))
    rows = pl.DataFrame({
        "patient_id": pl.concat([patient_ids(p.number), patient_ids(p.number[excluded])]),
        "code": np.concatenate([working, codes]),
        "diagnosis_date": pl.concat([day_text(p.enroll), day_text(day)]),
    })
    no_dot = pl.Series(rng.random(rows.height) < NO_DOT_SHARE)
    return rows.with_columns(code=pl.when(no_dot).then(pl.col("code").str.replace(".", "", literal=True)).otherwise("code"))
