"""Clinics and the people who work in them.

The roster is small and made before any patient, so that every chunk of patients can be
assigned to the same clinics, care managers and providers without holding earlier chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from bcm_analytics.synthetic.npi import make_npis
from bcm_analytics.synthetic.vocab import SETTINGS, TIMEZONES

PLACES = [
    "Riverside", "Oak Valley", "Cedar Ridge", "Lakeshore", "Pine Hill", "Maple Grove", "Summit",
    "Harbor View", "Prairie", "Canyon", "Willow Creek", "Northgate", "Eastside", "Mesa Verde",
    "Bluebonnet", "Sierra", "Granite Falls", "Copper Basin", "Red River", "Silver Lake",
    "Bayfront", "Aspen", "Ironwood", "Juniper", "Hillcrest", "Meadowbrook", "Stonebridge",
    "Clearwater", "Highland", "Fox Run", "Sandstone", "Deer Park", "Elm Street", "Heritage",
    "Westfield", "Sunrise", "Laurel", "Magnolia", "Seaside", "Timberline",
]
SETTING_NAMES = {
    "physician_practice": ["Family Medicine", "Primary Care", "Internal Medicine", "Family Health"],
    "fqhc": ["Community Health Center"],
    "rhc": ["Rural Health Clinic"],
}

# Mean months a patient stays active; sizes the care-manager team to a 60-120 caseload.
MEAN_ACTIVE_MONTHS = 7.5
TARGET_CASELOAD = 90
PATIENTS_PER_PROVIDER = 120


@dataclass(frozen=True)
class Roster:
    clinics: pl.DataFrame  # the clinics.csv table
    weights: np.ndarray  # share of patients per clinic
    staff: pl.DataFrame  # staff_id, role, clinic_id (none for consultants), npi; row = staff index
    bcms: list[np.ndarray]  # per clinic: staff indices of its care managers
    providers: list[np.ndarray]  # per clinic: staff indices of its treating providers
    consultant: np.ndarray  # per clinic: staff index of its psychiatric consultant

    @property
    def staff_ids(self) -> pl.Series:
        return self.staff["staff_id"]

    @property
    def staff_npis(self) -> pl.Series:
        return self.staff["npi"]


def clinic_count(patients: int) -> int:
    """Grows with the log of the program size: 4 clinics up to 1,000 patients, ~23 at 200,000."""
    return max(4, round(4 + 2.5 * math.log2(max(patients, 1000) / 1000)))


def make_clinics(rng: np.random.Generator, count: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Every setting and the four mainland zones appear at least once, whatever the count."""
    settings = np.concatenate([[0, 1, 2], rng.choice(3, count - 3, p=[0.6, 0.25, 0.15])])
    zones = np.concatenate([rng.permutation(4), rng.choice(5, count - 4, p=[0.35, 0.3, 0.1, 0.2, 0.05])])
    places = rng.permutation(len(PLACES))
    rows = []
    for c in range(count):
        setting = SETTINGS[settings[c]]
        place = PLACES[places[c % len(PLACES)]] + (f" {c // len(PLACES) + 1}" if c >= len(PLACES) else "")
        kind = SETTING_NAMES[setting][rng.integers(len(SETTING_NAMES[setting]))]
        rows.append((f"CL{c + 1:03d}", f"{place} {kind}", setting, TIMEZONES[zones[c]]))
    weights = rng.dirichlet(np.full(count, 3.0)) * np.where(settings == 2, 0.5, 1.0)
    frame = pl.DataFrame(rows, schema=["clinic_id", "clinic_name", "setting", "timezone"], orient="row")
    # No organisation NPI: the synthetic health centres bill under the treating practitioner's NPI.
    frame = frame.with_columns(organization_npi=pl.lit(None, pl.String))
    return frame, weights / weights.sum()


def make_roster(rng: np.random.Generator, patients: int, months: int) -> Roster:
    """Staff indices run care managers, then consultants, then providers (BCM-001, PC-001, TP-001)."""
    clinics, weights = make_clinics(rng, clinic_count(patients))
    clinic_ids = clinics["clinic_id"].to_numpy()
    active = patients * min(MEAN_ACTIVE_MONTHS, months) / months
    n_bcm = np.maximum(1, np.round(active * weights / TARGET_CASELOAD)).astype(int)
    n_prov = np.clip(np.round(patients * weights / PATIENTS_PER_PROVIDER), 2, 40).astype(int)
    n_pc = math.ceil(len(weights) / 3)
    b, q = int(n_bcm.sum()), int(n_prov.sum())

    bcms = np.split(np.arange(b), np.cumsum(n_bcm)[:-1])
    providers = np.split(b + n_pc + np.arange(q), np.cumsum(n_prov)[:-1])
    consultant = b + np.arange(len(clinic_ids)) % n_pc
    staff = pl.DataFrame(
        {
            "staff_id": [f"BCM-{i + 1:03d}" for i in range(b)]
            + [f"PC-{i + 1:03d}" for i in range(n_pc)]
            + [f"TP-{i + 1:03d}" for i in range(q)],
            "role": ["bhcm"] * b + ["psychiatric_consultant"] * n_pc + ["treating_practitioner"] * q,
            "clinic_id": list(np.repeat(clinic_ids, n_bcm)) + [None] * n_pc + list(np.repeat(clinic_ids, n_prov)),
            "npi": make_npis(rng, b + n_pc + q),
        },
        schema={"staff_id": pl.String, "role": pl.String, "clinic_id": pl.String, "npi": pl.String},
    )
    return Roster(clinics, weights, staff, bcms, providers, consultant)


def staff_table(roster: Roster) -> pl.DataFrame:
    """Staff with each consultant listed once per clinic they cover (for the answer key)."""
    covered = pl.DataFrame({"index": roster.consultant, "covers": roster.clinics["clinic_id"]})
    staff = roster.staff.with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
    staff = staff.join(covered, on="index", how="left")
    staff = staff.with_columns(clinic_id=pl.coalesce("clinic_id", "covers"))
    return staff.select("staff_id", "role", "clinic_id", "npi").sort("staff_id", "clinic_id")
