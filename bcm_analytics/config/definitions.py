"""Measure definitions as data: the shipped defaults (definitions.yaml) plus any overrides.

Thresholds and windows change with the program's contract or a new measure year, so they are a
versioned file a quality analyst can read and override, never constants in the SQL. The SQL
files receive them as named parameters ($response_max_fraction, ...), listed by `sql_params`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

WINDOWS = ("12w", "6m", "12m")  # the names are fixed (they name output columns); their days are not


@dataclass(frozen=True)
class Definitions:
    """The measure definitions in force: the nested YAML mapping, plus where it came from."""

    data: dict
    source: str

    def __getitem__(self, key: str):
        return self.data[key]

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def threshold(self) -> tuple[int, int]:
        lo, hi = self.data["suppression"]["threshold"]
        return int(lo), int(hi)

    def sql_params(self) -> dict:
        """Every definition as a flat named parameter for the SQL files."""
        d = self.data
        out = {
            "instruments": [
                {"name": name, "measured_as": v.get("measure_as", name), "min_score": v["min"],
                 "max_score": v["max"], "item9": bool(v.get("item9", False))}
                for name, v in d["instruments"].items()
            ],
            "bands": [
                {"instrument": inst, "band": band, "lower": lower}
                for inst, bands in d["severity_bands"].items() for band, lower in bands.items()
            ],
            "lookback_days": d["episode"]["baseline_lookback_days"],
            "after_discharge_days": d["episode"]["followup_after_discharge_days"],
            "discharge_closes_windows": bool(d["episode"]["discharge_closes_windows"]),
            **{k: v for k, v in d["outcome"].items()},
            "min_age": d["program"]["min_age"],
            "age_bands": [{"band": b, "lower": lo} for b, lo in sorted(d["program"]["age_bands"].items(), key=lambda x: x[1])],
            "excluded_discharge_reasons": list(d["program"]["excluded_discharge_reasons"]),
            **{k: list(v) for k, v in d["activity"].items()},
            "contacted_within_days": d["process"]["contacted_within_days"],
            "scored_within_days": d["process"]["scored_within_days"][0],
            "scored_within_days_long": d["process"]["scored_within_days"][1],
            "followup_within_days": d["process"]["followup_within_days"],
            "process_review_within_days": d["process"]["review_within_days"],
            "cohort_period": d["cohorts"]["period"],
            "cohort_max_months": d["cohorts"]["max_months"],
            "days_per_month": d["cohorts"]["days_per_month"],
        }
        for name in WINDOWS:
            out[f"w{name}_from"] = d["windows"][name]["from"]
            out[f"w{name}_to"] = d["windows"][name]["to"]
        return out

    def caseload_band(self) -> tuple[int, int]:
        lo, hi = self.data["caseload"]["guidance"][self.data["caseload"]["band"]]
        return int(lo), int(hi)

    def describe(self) -> pd.DataFrame:
        """The definitions as a two-column table a report prints (setting, value)."""
        rows = [("definitions version", self.version), ("definitions source", self.source)]
        rows += [(key, _text(value)) for key, value in _flatten(self.data) if key != "version"]
        return pd.DataFrame(rows, columns=["setting", "value"])


def load_definitions(path: str | Path | None = None, overrides: dict | None = None) -> Definitions:
    """The shipped defaults, updated with a YAML file and/or a mapping of the same shape."""
    data = yaml.safe_load(resources.files("bcm_analytics.config").joinpath("definitions.yaml").read_text())
    source = "bcm_analytics/config/definitions.yaml"
    if path is not None:
        _merge(data, yaml.safe_load(Path(path).read_text()) or {})
        source += f" + {path}"
    if overrides:
        _merge(data, overrides)
        source += " + overrides"
    for name in WINDOWS:
        if name not in data["windows"]:
            raise ValueError(f"definitions: window {name} is missing (windows: {', '.join(WINDOWS)})")
    return Definitions(data, source)


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and value:
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _flatten(data: dict, prefix: str = ""):
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not _is_leaf(value):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _is_leaf(value: dict) -> bool:
    """A small mapping of scalars (a window, an instrument) reads best on one line."""
    return all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 5


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, (list, dict)) and not value:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)
