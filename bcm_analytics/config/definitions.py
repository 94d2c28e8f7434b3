"""Measure definitions as data: the shipped defaults (definitions.yaml) plus any overrides.

Thresholds and windows change with the program's contract or a new measure year, so they are a
versioned file a quality analyst can read and override, never constants in the SQL. The models
read them from the store's config tables (config.outcome_settings and the others), which
models/inputs.py fills from `sql_params`.

The merged definitions are checked against the typed model below: a misspelled key (which would
otherwise be ignored, and the default silently used) or a value of the wrong kind is refused in
one line naming the file that wrote it, the key, and the nearest valid key or what the value
must be.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from bcm_analytics.config.files import ConfigError, Strict, digest, read_yaml, validate

if TYPE_CHECKING:
    import pandas as pd

WINDOWS = ("12w", "6m", "12m")  # the names are fixed (they name output columns); their days are not
DEFAULTS = Path(str(resources.files("bcm_analytics.config").joinpath("definitions.yaml")))
SHIPPED = "bcm_analytics/config/definitions.yaml"


class DefinitionsError(ConfigError):
    """A definitions file or override the measures cannot use: `file: key: problem` on one line."""


Version = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
                    Field(description='text, such as "2026.1" (in quotes: 2026.10 unquoted is the number 2026.1)')]
Days = Annotated[int, Field(ge=0, description="a whole number of days, 0 or more")]
Score = Annotated[int, Field(ge=0, description="a whole-number score, 0 or more")]
Names = Annotated[list[str], Field(description="a list of names")]
Fraction = Annotated[float, Field(ge=0, le=1, description="a fraction from 0 to 1")]


class Instrument(Strict):
    min: int = Field(description="the lowest total score, a whole number")
    max: int = Field(description="the highest total score, a whole number")
    item9: bool = Field(False, description="true or false")
    measure_as: str = Field(None, description="the name of another instrument")

    @model_validator(mode="after")
    def _range(self):
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class Episode(Strict):
    baseline_lookback_days: Days
    discharge_closes_windows: bool = Field(description="true or false")
    followup_after_discharge_days: Days


class Outcome(Strict):
    baseline: Literal["first_score", "first_eligible"] = Field(description="first_score or first_eligible")
    eligible_baseline_min: Score
    response_max_fraction: Fraction
    remission_below: Score
    improvement_below: Score
    not_improving_after_days: Days
    not_improving_review_days: Days
    not_improving_no_followup: Literal["all", "above_target"] = Field(description="all or above_target")
    item9_same_day_untimed: Literal["does_not_count", "counts", "unknown"] = Field(
        description="does_not_count, counts or unknown")


class Window(Strict):
    start: Days = Field(alias="from")
    to: Days

    @model_validator(mode="after")
    def _ordered(self):
        if self.start > self.to:
            raise ValueError(f"`from` ({self.start}) must not be after `to` ({self.to})")
        return self


class Windows(Strict):
    noun: ClassVar[str] = "window"
    w12w: Window = Field(alias="12w")
    w6m: Window = Field(alias="6m")
    w12m: Window = Field(alias="12m")


class Program(Strict):
    min_age: Annotated[int, Field(ge=0, description="an age in whole years")]
    age_bands: dict[str, Annotated[int, Field(ge=0, description="the band's lowest age in whole years")]]
    excluded_discharge_reasons: Names


class Activity(Strict):
    review_activity_types: Names
    review_staff_roles: Names
    no_contact_modes: Names
    contact_activity_types: Names
    non_contact_activity_types: Names
    initial_assessment_activity_types: Names


class Process(Strict):
    contacted_within_days: Days
    scored_within_days: Annotated[list[Days], Field(min_length=2, max_length=2, description="two numbers of days [short, long]")]
    followup_within_days: Days
    review_within_days: Days


class Utilisation(Strict):
    instrument: str = Field(description="the name of an instrument under instruments, measured as itself")
    period_start_months: Annotated[list[Annotated[int, Field(ge=1, le=12)]], Field(
        min_length=1, description="months (1-12) that begin an assessment period, in order, each once")]

    @field_validator("period_start_months")
    @classmethod
    def _in_order(cls, months: list[int]) -> list[int]:
        if months != sorted(set(months)):
            raise ValueError(f"{months} must list each month once, in order (such as [1, 5, 9])")
        return months


class YearDay(Strict):
    """A day of a measurement year: `year` 0 is the measurement year itself, -1 the year before."""

    year: Annotated[int, Field(ge=-1, le=0, description="0 (the measurement year) or -1 (the year before)")]
    month: Annotated[int, Field(ge=1, le=12, description="a month, 1-12")]
    day: Annotated[int, Field(ge=1, le=31, description="a day of the month, 1-31")]

    @model_validator(mode="after")
    def _exists(self):
        import datetime as dt

        try:  # 2023 has no 29 February: a day that is not in every year is refused
            dt.date(2023, self.month, self.day)
        except ValueError:
            raise ValueError(f"month {self.month} has no day {self.day} in every year") from None
        return self

    def order(self) -> tuple[int, int, int]:
        return self.year, self.month, self.day


class DrrE(Strict):
    instrument: str = Field(description="the name of an instrument under instruments, measured as itself")
    intake_start: YearDay
    intake_end: YearDay
    age_on: YearDay
    age_strata: dict[str, Annotated[int, Field(ge=0, description="the stratum's lowest age in whole years")]]

    @model_validator(mode="after")
    def _intake_in_order(self):
        if self.intake_start.order() > self.intake_end.order():
            raise ValueError("intake_start must not be after intake_end")
        return self


class Cms159(Strict):
    instrument: str = Field(description="the name of an instrument under instruments, measured as itself")
    identification_start_months: Annotated[int, Field(ge=1, le=36, description="whole months before the measurement period, 1-36")]
    identification_end_months: Annotated[int, Field(ge=0, le=35, description="whole months before the measurement period, 0-35")]
    encounter_within_days: Annotated[int, Field(ge=0, le=365, description="whole days, 0-365")]
    in_identification_period: Literal["score", "score_and_encounter", "encounter"] = Field(
        description="score, score_and_encounter or encounter")
    care_exclusion_from: Literal["any_time", "identification_period", "measurement_period", "index"] = Field(
        description="any_time, identification_period, measurement_period or index")
    care_exclusion_reasons: Names
    exclusion_until: Literal["assessment_period", "measurement_period"] = Field(
        description="assessment_period or measurement_period")
    age_strata: dict[str, Annotated[int, Field(ge=0, description="the stratum's lowest age in whole years")]]

    @model_validator(mode="after")
    def _identification_in_order(self):
        if self.identification_start_months <= self.identification_end_months:
            raise ValueError("identification_start_months must be more than identification_end_months "
                             "(the period starts further before the measurement period than it ends)")
        return self


IcdPrefix = Annotated[str, Field(pattern=r"^[A-Za-z][0-9]([0-9A-Za-z]\.?[0-9A-Za-z]{0,4})?$",
                                  description="an ICD-10-CM code or its first characters, such as F31 or F60.3")]


Band = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2, description="a pair [low, high] of whole numbers")]


class Caseload(Strict):
    guidance: dict[str, Band]
    band: str = Field(description="the name of a band under caseload.guidance")
    fte_default: Annotated[float, Field(gt=0, description="a positive number of full-time equivalents")]
    fte: dict[str, Annotated[float, Field(gt=0, description="a positive number of full-time equivalents")]]

    @field_validator("band")
    @classmethod
    def _band_is_listed(cls, band: str, info: ValidationInfo) -> str:
        guidance = info.data.get("guidance") or {}
        if band not in guidance:
            raise ValueError(f"no band named {band!r} under caseload.guidance ({', '.join(guidance)})")
        return band


class Cohorts(Strict):
    period: Literal["quarter", "month", "year"] = Field(description="quarter, month or year")
    max_months: Annotated[int, Field(ge=1, description="a whole number of months, 1 or more")]
    days_per_month: Annotated[float, Field(gt=0, description="a positive number of days")]


class Suppression(Strict):
    threshold: Band


Range = Annotated[list[Fraction], Field(min_length=3, max_length=3, description="three fractions [low, high, alarm]")]


class Plausibility(Strict):
    response: Range
    remission: Range


class DefinitionsFile(Strict):
    """Every key of definitions.yaml; an override file has the same shape with only the keys it changes."""

    version: Version
    instruments: dict[str, Instrument]
    severity_bands: dict[str, dict[str, Score]]
    episode: Episode
    outcome: Outcome
    windows: Windows
    program: Program
    activity: Activity
    process: Process
    utilisation: Utilisation
    drr_e: DrrE
    cms159: Cms159
    diagnosis_exclusions: dict[str, list[IcdPrefix]]
    caseload: Caseload
    cohorts: Cohorts
    suppression: Suppression
    plausibility: Plausibility


@dataclass(frozen=True)
class Definitions:
    """The measure definitions in force: the nested YAML mapping, plus where it came from.

    `sources`: the shipped file, then each file or "overrides" merged over it, in order;
    `unversioned`: those that changed values without a `version:` of their own (a file's name, or
    "overrides"), in order."""

    data: dict
    sources: tuple[str, ...]
    unversioned: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """Where the definitions came from, as a report's parameters state it."""
        return " + ".join(self.sources)

    def __getitem__(self, key: str):
        return self.data[key]

    @property
    def version(self) -> str:
        """The version in force, and each local change made on top of it without a version of its
        own ("2026.3 + my_definitions"), as a rules file without one is named in the rules' id: a
        local edit does not read as the version it changes."""
        return " + ".join([str(self.data["version"]), *self.unversioned])

    @property
    def threshold(self) -> tuple[int, int]:
        lo, hi = self.data["suppression"]["threshold"]
        return int(lo), int(hi)

    def sql_params(self) -> dict:
        """Every definition as one flat value, the columns of config.outcome_settings (models/inputs.py)."""
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
            "utilisation_instrument": d["utilisation"]["instrument"],
            "utilisation_period_starts": list(d["utilisation"]["period_start_months"]),
            **_drr_e_params(d["drr_e"]),
            **_cms159_params(d["cms159"]),
            "excluding_diagnosis_codes": excluding_diagnosis_codes(d["diagnosis_exclusions"]),
            "cohort_period": d["cohorts"]["period"],
            "cohort_max_months": d["cohorts"]["max_months"],
            "days_per_month": d["cohorts"]["days_per_month"],
        }
        for name in WINDOWS:
            out[f"w{name}_from"] = d["windows"][name]["from"]
            out[f"w{name}_to"] = d["windows"][name]["to"]
        return out

    @cached_property
    def digest(self) -> str:
        """sha256 of the merged definitions: the same content gives the same digest whatever
        file it came from or how its keys are ordered (values as the model reads them: 1 and 1.0
        for a fraction are the same)."""
        return digest(DefinitionsFile.model_validate(self.data).model_dump(mode="json", by_alias=True))

    def caseload_band(self) -> tuple[int, int]:
        lo, hi = self.data["caseload"]["guidance"][self.data["caseload"]["band"]]
        return int(lo), int(hi)

    def describe(self) -> pd.DataFrame:
        """The definitions as a two-column table a report prints (setting, value). pandas is imported
        here, not with the module: loading and building read the definitions, and need no pandas."""
        import pandas as pd

        rows = [("definitions version", self.version), ("definitions source", self.source)]
        rows += [(key, _text(value)) for key, value in _flatten(self.data) if key != "version"]
        return pd.DataFrame(rows, columns=["setting", "value"])


def load_definitions(path: str | Path | None = None, overrides: dict | None = None) -> Definitions:
    """The shipped defaults, updated with a YAML file and/or a mapping of the same shape.

    A mistake is refused as DefinitionsError naming the source that wrote the key: the file,
    "overrides", or the shipped file.
    """
    data = read_yaml(DEFAULTS, DefinitionsError, "definitions file")
    sources: list[tuple[str, dict]] = [(SHIPPED, data)]
    if path is not None and str(path) != "default":  # `bcm build --definitions default`: the shipped ones alone
        sources.append((str(path), read_yaml(Path(path), DefinitionsError, "definitions file")))
    if overrides:
        sources.append(("overrides", overrides))
    merged = copy.deepcopy(data)
    unversioned: list[str] = []
    for name, extra in sources[1:]:
        _merge(merged, extra)
        if "version" in extra:
            unversioned.clear()  # a version of its own names everything up to it
        elif extra:
            unversioned.append(Path(name).stem)

    def origin(loc: tuple) -> str:
        """The last source that set the key at `loc` (or the deepest part of it that one set)."""
        for depth in range(len(loc), 0, -1):
            for name, extra in reversed(sources):
                if _has_path(extra, loc[:depth]):
                    return name
        return sources[-1][0]

    checked = validate(DefinitionsFile, merged, DefinitionsError, origin)
    for name, inst in checked.instruments.items():
        if inst.measure_as is not None and inst.measure_as not in checked.instruments:
            key = ("instruments", name, "measure_as")
            raise DefinitionsError(origin(key), ".".join(key), f"no instrument named {inst.measure_as!r}")
    for section in ("utilisation", "drr_e", "cms159"):
        _check_measured_instrument(checked, section, origin)
    _check_care_exclusion_reasons(checked, origin)
    return Definitions(merged, tuple(name for name, _ in sources), tuple(unversioned))


def _drr_e_params(drr: dict) -> dict:
    """DRR-E's days as [year offset, month, day] lists, and its strata as names and lowest ages in
    parallel lists ordered by age (the SQL unnests them together)."""
    strata = sorted(drr["age_strata"].items(), key=lambda x: x[1])
    day = {key: [int(drr[key]["year"]), int(drr[key]["month"]), int(drr[key]["day"])]
           for key in ("intake_start", "intake_end", "age_on")}
    return {"drr_e_instrument": drr["instrument"], **{f"drr_e_{k}": v for k, v in day.items()},
            "drr_e_strata": [name for name, _ in strata], "drr_e_strata_lowers": [lo for _, lo in strata]}


def _cms159_params(cms: dict) -> dict:
    """CMS159's settings under cms159_ names, its strata as names and lowest ages in parallel lists
    ordered by age (the SQL finds a patient's stratum by counting the lowest ages they reach)."""
    strata = sorted(cms["age_strata"].items(), key=lambda x: x[1])
    return {"cms159_instrument": cms["instrument"],
            **{f"cms159_{k}": int(cms[k]) for k in ("identification_start_months", "identification_end_months",
                                                     "encounter_within_days")},
            **{f"cms159_{k}": str(cms[k]) for k in ("in_identification_period", "care_exclusion_from", "exclusion_until")},
            "cms159_care_exclusion_reasons": list(cms["care_exclusion_reasons"]),
            "cms159_strata": [name for name, _ in strata], "cms159_strata_lowers": [lo for _, lo in strata]}


def excluding_diagnosis_codes(groups: dict) -> list[str]:
    """The ICD-10-CM prefixes of every diagnosis exclusion, upper-cased and without the dot, once each
    in order: marts.has_excluding_diagnosis compares a code written either way (F31.0, f310) to them."""
    return sorted({str(p).upper().replace(".", "") for prefixes in groups.values() for p in prefixes})


def _check_measured_instrument(checked: DefinitionsFile, section: str, origin) -> None:
    """The utilisation, DRR-E and CMS159 measures count scores as the outcome marts pool them (PHQ-A as
    PHQ-9), so their instrument must be one that others are measured as, not one measured as another."""
    name, instruments = getattr(checked, section).instrument, checked.instruments
    if name not in instruments or instruments[name].measure_as not in (None, name):
        pooled = sorted(n for n, i in instruments.items() if i.measure_as in (None, n))
        key = (section, "instrument")
        raise DefinitionsError(origin(key), ".".join(key),
                               f"{name!r} is not an instrument measured as itself (one of {', '.join(pooled)})")


def _check_care_exclusion_reasons(checked: DefinitionsFile, origin) -> None:
    """cms159.care_exclusion_reasons names the discharge reasons whose look-back cms159.care_exclusion_from
    sets: a reason that no measure excludes (not in program.excluded_discharge_reasons, matched whatever
    its case, as marts.is_excluding_discharge matches) would read as an exclusion and change nothing."""
    excluded = {r.strip().lower() for r in checked.program.excluded_discharge_reasons}
    stray = [r for r in checked.cms159.care_exclusion_reasons if r.strip().lower() not in excluded]
    if stray:
        key = ("cms159", "care_exclusion_reasons")
        raise DefinitionsError(origin(key), ".".join(key), f"{', '.join(map(repr, stray))} not among "
                               f"program.excluded_discharge_reasons ({', '.join(checked.program.excluded_discharge_reasons)})")


@cache
def packaged_threshold() -> tuple[int, int]:
    """The packaged definitions' cell-size range (suppression.threshold in definitions.yaml): the
    one default of the rule, for a library user with no store. A report takes its store's
    (Privacy.of_store)."""
    return load_definitions().threshold


def _has_path(data, loc: tuple) -> bool:
    node = data
    for part in loc:
        if not isinstance(node, dict):
            return False
        match = [k for k in node if k == part or str(k) == str(part)]
        if not match:
            return False
        node = node[match[0]]
    return True


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
