"""Billing rules as data: load the shipped ruleset, merge a program's own file, refuse mistakes.

The rules change by payer, setting and date, and programs disagree with public sources on some
of them, so they live in YAML files (rulesets/default.yaml, plus an optional program file) and
the engine reads them as one flat table: a row per payer class, billing setting, program and
date range, holding the code set and every setting in force.

Each file is checked on its own against the typed models below (an unknown key, a wrong type or
a value out of range is refused naming that file); the merged ruleset is then checked for what
no single file can show (a payer class or code set named but defined nowhere). Either way the
message is one line: `file: key: problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BeforeValidator, Field, model_validator

from bcm_analytics.config.settings import load_settings
from bcm_analytics.config.files import ConfigError, Strict, digest, nearest, read_yaml, validate

SETTINGS = ("physician_practice", "fqhc", "rhc")
PROGRAMS = ("cocm", "general_bhi")
ROLES = ("bhcm", "psychiatric_consultant", "treating_practitioner", "other")
DATE_SETTINGS = ("g0511_replaced_on",)  # settings a period may start on, by name


class RulesError(ConfigError):
    """A rules or fee file the engine cannot use: `file: key: problem` on one line."""


# --- value types -------------------------------------------------------------------------------


def _code(value: Any) -> Any:
    """A procedure code as text, upper-case: YAML reads 99492 unquoted as a number."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, str)):
        return str(value).strip().upper()
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"must be a date YYYY-MM-DD (got {value!r})") from None
    return value


def _month_start(value: Any) -> Any:
    value = _iso_date(value)
    if isinstance(value, date) and value.day != 1:
        raise ValueError(f"must be the first day of a month: codes are monthly (got {value})")
    return value


def _period_start(value: Any) -> Any:
    """A period starts on the first of a month, or on the date a named date setting holds."""
    if isinstance(value, str) and value.strip() in DATE_SETTINGS:
        return value.strip()
    if isinstance(value, str) or isinstance(value, date):
        return _month_start(value)
    raise ValueError(f"must be a date YYYY-MM-DD or the name of a date setting ({', '.join(DATE_SETTINGS)})")


Code = Annotated[str, BeforeValidator(_code), Field(min_length=1, description="a procedure code such as 99492 or G2214")]
Minutes = Annotated[float, Field(gt=0, description="a positive number of minutes")]
MonthStart = Annotated[date, BeforeValidator(_month_start)]
PeriodStart = Annotated[date | str, BeforeValidator(_period_start)]
Text = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]
Version = Annotated[Text, Field(description='text, such as "3" or "2026.10" (in quotes: 2026.10 unquoted is the number 2026.1)')]
UNSET: Any = None  # a key the file leaves out (told apart from an explicit null by exclude_unset)


# --- code sets -------------------------------------------------------------------------------


class Tier(Strict):
    """A base code: billable from `from_minutes`; `base_minutes` is where its add-on steps start."""

    code: Code
    from_minutes: Minutes
    base_minutes: Minutes


class AddOn(Strict):
    """An add-on (99494): one unit per `step_minutes` past the base, from `from_extra_minutes` of a step."""

    code: Code
    step_minutes: Minutes
    from_extra_minutes: Minutes


class Fallback(Strict):
    """A code for months that reach no base code (G2214), from..to minutes."""

    code: Code
    from_minutes: Minutes
    to_minutes: Minutes


class Monthly(Strict):
    """One code whatever the month of the episode (no add-on, no midpoint)."""

    code: Code
    from_minutes: Minutes


class CodeSet(Strict):
    program: Literal["cocm", "general_bhi"] = Field(description="cocm or general_bhi")
    initial: Tier = UNSET
    subsequent: Tier = UNSET
    add_on: AddOn = UNSET
    fallback: Fallback = UNSET
    monthly: Monthly = UNSET

    @model_validator(mode="after")
    def _tiers_fit_together(self):
        if self.monthly is not None and any((self.initial, self.subsequent, self.add_on, self.fallback)):
            raise ValueError("a code set has either `monthly` or `initial` and `subsequent`, not both")
        if self.monthly is None and (self.initial is None or self.subsequent is None):
            raise ValueError("needs `initial` and `subsequent` (or `monthly`)")
        for name in ("initial", "subsequent"):
            tier = getattr(self, name)
            if tier is not None and tier.base_minutes < tier.from_minutes:
                raise ValueError(f"{name}: base_minutes must be at least from_minutes")
        if self.add_on is not None and self.add_on.from_extra_minutes > self.add_on.step_minutes:
            raise ValueError("add_on.from_extra_minutes must not exceed step_minutes")
        if self.fallback is not None and not (
                self.fallback.from_minutes <= self.fallback.to_minutes < self.subsequent.from_minutes):
            raise ValueError("fallback needs from_minutes <= to_minutes < subsequent.from_minutes")
        return self


# --- settings, payer classes, the file --------------------------------------------------------


class Settings(Strict):
    """What counts and how a month bills; defaults for every class, overridable per class and date."""

    noun: ClassVar[str] = "setting"
    countable_activities: list[str] = Field(UNSET, description="a list of activity types")
    countable_roles: list[Literal["bhcm", "treating_practitioner", "other"]] = Field(
        UNSET, description="a list of roles from bhcm, treating_practitioner, other "
                           "(consultant time is the setting count_psychiatric_consultant)")
    count_psychiatric_consultant: bool = Field(UNSET, description="true or false")
    bills_g2214: bool = Field(UNSET, description="true or false")
    g2214_initial_31_35: bool = Field(UNSET, description="true or false")
    carry_initial_forward: bool = Field(UNSET, description="true or false")
    initial_code_once_per: Literal["episode", "calendar_year"] = Field(UNSET, description="episode or calendar_year")
    max_99494_units: int | None = Field(UNSET, ge=1, description="a whole number of 1 or more, or null for no cap")
    episode_gap_months: int = Field(UNSET, ge=1, description="a whole number of months, 1 or more")
    g0511_replaced_on: MonthStart = Field(UNSET, description="the first day of a month, YYYY-MM-DD")


Dated = dict[PeriodStart, str | None]


class ProgramPeriods(Strict):
    """{first day: code set} per program; each code set is in force until the next date."""

    noun: ClassVar[str] = "program"
    cocm: Dated = UNSET
    general_bhi: Dated = UNSET


class Periods(Strict):
    noun: ClassVar[str] = "billing setting"
    physician_practice: ProgramPeriods = UNSET
    fqhc: ProgramPeriods = UNSET
    rhc: ProgramPeriods = UNSET


class PayerClass(Strict):
    extends: str = UNSET
    settings: Settings = UNSET
    settings_from: dict[MonthStart, Settings] = UNSET
    periods: Periods = UNSET


class RulesFile(Strict):
    """A rules file: the shipped one, or a program's (every key optional, merged over the shipped)."""

    ruleset: Text = UNSET
    version: Version = UNSET
    default_payer_class: str = UNSET
    payer_names: dict[Text, Annotated[str, Field(min_length=1, description="the name of a payer class")]] = UNSET
    activity_types: dict[str, str] = UNSET
    code_sets: dict[str, CodeSet] = UNSET
    settings: Settings = UNSET
    payer_classes: dict[str, PayerClass] = UNSET
    claim_codes: dict[str, Annotated[list[Code], Field(min_length=1, description="a list of procedure codes")]] = UNSET
    fee_schedules: str = UNSET


# --- the loaded ruleset ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A merged, checked ruleset. `periods` is the flat table the SQL joins on."""

    id: str
    files: tuple[Path, ...]
    default_payer_class: str
    payer_names: dict[str, str]  # lower-cased payer name -> payer class
    activity_types: dict[str, str]
    claim_codes: dict[str, list[str]]
    class_parents: dict[str, str | None]
    periods: pa.Table
    fee_dirs: tuple[Path, ...]

    def fees(self) -> pa.Table:
        from bcm_analytics.config.fees import load_fees

        return load_fees(self.fee_dirs, self.class_parents)

    @cached_property
    def digest(self) -> str:
        """sha256 of what the engine reads from these rules (periods, names, codes, fees): the
        same content gives the same digest whatever the files are called or how keys are ordered."""
        fees = self.fees().drop_columns(["fee_file"]).to_pylist()
        return digest({
            "periods": sorted(self.periods.to_pylist(), key=_row_key),
            "fees": sorted(fees, key=_row_key),
            "default_payer_class": self.default_payer_class, "payer_names": self.payer_names,
            "activity_types": self.activity_types, "claim_codes": {k: sorted(v) for k, v in self.claim_codes.items()},
            "class_parents": self.class_parents,
        })


def _row_key(row: dict) -> str:
    return repr(sorted((k, str(v)) for k, v in row.items()))


# --- merging a program's file over the defaults ----------------------------------------------


def _merge_class(base: dict | None, over: dict) -> dict:
    base = base or {}
    periods = {s: dict(p) for s, p in (base.get("periods") or {}).items()}
    for setting, programs in (over.get("periods") or {}).items():
        periods[setting] = {**periods.get(setting, {}), **programs}
    dated = {k: dict(v) for k, v in (base.get("settings_from") or {}).items()}
    for when, settings in (over.get("settings_from") or {}).items():
        dated[when] = {**dated.get(when, {}), **settings}
    merged = {"settings": {**(base.get("settings") or {}), **(over.get("settings") or {})},
              "settings_from": dated, "periods": periods}
    extends = over.get("extends", base.get("extends"))
    return {**merged, "extends": extends} if extends else merged


def _lower_names(names: dict | None) -> dict:
    return {str(k).strip().lower(): str(v).strip() for k, v in (names or {}).items()}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    out["payer_names"] = {**_lower_names(base.get("payer_names")), **_lower_names(over.get("payer_names"))}
    for key in ("activity_types", "code_sets", "settings", "claim_codes"):
        out[key] = {**(base.get(key) or {}), **(over.get(key) or {})}
    classes = dict(base.get("payer_classes") or {})
    for name, cls in (over.get("payer_classes") or {}).items():
        classes[name] = _merge_class(classes.get(name), cls)
    out["payer_classes"] = classes
    if "default_payer_class" in over:
        out["default_payer_class"] = over["default_payer_class"]
    return out


# --- cross-references: what no single file can check ------------------------------------------


def _no_such(kind: str, name: str, known) -> str:
    known = list(known)
    near = nearest(name, known)
    hint = f"; did you mean {near!r}?" if near else f"; known: {', '.join(known)}"
    return f"no {kind} named {name!r}{hint}"


def _check_merged(rules: dict, origin) -> None:
    """Every name used is defined, every code set's codes are recognised."""
    classes = rules.get("payer_classes") or {}
    if not classes:
        raise RulesError(origin("payer_classes"), "payer_classes", "no payer class is defined")
    default = rules.get("default_payer_class")
    if default not in classes:
        raise RulesError(origin("default_payer_class"), "default_payer_class", _no_such("payer class", default, classes))
    for name, cls in rules["payer_names"].items():
        if cls not in classes:
            raise RulesError(origin("payer_names"), f"payer_names.{name}", _no_such("payer class", cls, classes))
    missing = [k for k in Settings.model_fields if k not in rules["settings"]]
    if missing:
        raise RulesError(origin("settings"), "settings", f"missing: {', '.join(missing)}")
    activity_lists = [("settings.countable_activities", rules["settings"].get("countable_activities"))]
    for name, cls in classes.items():
        activity_lists.append((f"payer_classes.{name}.settings.countable_activities",
                               (cls.get("settings") or {}).get("countable_activities")))
        for when, settings in (cls.get("settings_from") or {}).items():
            activity_lists.append((f"payer_classes.{name}.settings_from.{when}.countable_activities",
                                   settings.get("countable_activities")))
    for key, activities in activity_lists:
        unknown = [a for a in activities or [] if a not in rules["activity_types"]]
        if unknown:
            raise RulesError(origin(key), key, f"not in activity_types: {', '.join(unknown)}")
    for name, cs in rules["code_sets"].items():
        known = rules["claim_codes"].get(cs["program"], [])
        for tier in ("initial", "subsequent", "add_on", "fallback", "monthly"):
            if tier in cs and cs[tier]["code"] not in known:
                key = f"code_sets.{name}.{tier}.code"
                raise RulesError(origin(key), key, f"{cs[tier]['code']} is not listed in claim_codes.{cs['program']}")


# --- resolving classes and flattening periods -------------------------------------------------


def _resolve_class(name: str, classes: dict, origin, seen: tuple = ()) -> dict:
    """A class with everything it inherits through `extends` filled in."""
    cls = classes[name]
    parent = cls.get("extends")
    if parent is None:
        return cls
    key = f"payer_classes.{name}.extends"
    if parent not in classes:
        raise RulesError(origin(key), key, _no_such("payer class", parent, classes))
    if parent in seen:
        raise RulesError(origin(key), key, f"circular: {' -> '.join(seen + (name, parent))}")
    return _merge_class(_resolve_class(parent, classes, origin, seen + (name,)), {**cls, "extends": None})


def _period_starts(file, key: str, dated: dict, settings: dict, code_sets: dict, program: str) -> list[tuple[date, str | None]]:
    """{date or date-setting name: code set or null} -> [(first day, code set)] in date order."""
    starts = []
    for when, code_set in dated.items():
        at = settings[when] if isinstance(when, str) else when
        if code_set is not None:
            if code_set not in code_sets:
                raise RulesError(file, f"{key}.{when}", _no_such("code set", code_set, code_sets))
            if code_sets[code_set]["program"] != program:
                raise RulesError(file, f"{key}.{when}", f"code set {code_set!r} is for {code_sets[code_set]['program']}, not {program}")
        starts.append((at, code_set))
    starts.sort(key=lambda s: s[0])
    for (a, _), (b, _) in zip(starts, starts[1:]):
        if a == b:
            raise RulesError(file, key, f"two code sets start on {a}")
    return starts


PERIOD_SCHEMA = pa.schema([
    ("payer_class", pa.string()), ("billing_setting", pa.string()), ("program", pa.string()),
    ("valid_from", pa.date32()), ("valid_to", pa.date32()), ("code_set", pa.string()),
    ("initial_code", pa.string()), ("initial_from", pa.float64()), ("initial_base", pa.float64()),
    ("subsequent_code", pa.string()), ("subsequent_from", pa.float64()), ("subsequent_base", pa.float64()),
    ("add_on_code", pa.string()), ("add_on_step", pa.float64()), ("add_on_from_extra", pa.float64()),
    ("fallback_code", pa.string()), ("fallback_from", pa.float64()), ("fallback_to", pa.float64()),
    ("countable_activities", pa.list_(pa.string())), ("countable_roles", pa.list_(pa.string())),
    ("bills_g2214", pa.bool_()), ("g2214_initial_31_35", pa.bool_()), ("carry_initial_forward", pa.bool_()),
    ("initial_code_once_per", pa.string()), ("max_99494_units", pa.int64()), ("episode_gap_months", pa.int64()),
])


def _code_columns(cs: dict) -> dict:
    initial = cs.get("initial") or cs["monthly"]
    subsequent = cs.get("subsequent") or cs["monthly"]
    add_on, fallback = cs.get("add_on") or {}, cs.get("fallback") or {}
    return {
        "initial_code": initial["code"], "initial_from": initial["from_minutes"], "initial_base": initial.get("base_minutes"),
        "subsequent_code": subsequent["code"], "subsequent_from": subsequent["from_minutes"],
        "subsequent_base": subsequent.get("base_minutes"),
        "add_on_code": add_on.get("code"), "add_on_step": add_on.get("step_minutes"),
        "add_on_from_extra": add_on.get("from_extra_minutes"),
        "fallback_code": fallback.get("code"), "fallback_from": fallback.get("from_minutes"),
        "fallback_to": fallback.get("to_minutes"),
    }


def _setting_columns(s: dict) -> dict:
    roles = list(s["countable_roles"]) + (["psychiatric_consultant"] if s["count_psychiatric_consultant"] else [])
    return {
        "countable_activities": [a.lower() for a in s["countable_activities"]], "countable_roles": roles,
        **{k: s[k] for k in ("bills_g2214", "g2214_initial_31_35", "carry_initial_forward", "initial_code_once_per",
                             "max_99494_units", "episode_gap_months")},
    }


def _flatten_class(name: str, cls: dict, defaults: dict, code_sets: dict, origin) -> list[dict]:
    """One row per billing setting, program and stretch of dates with the same rules."""
    base_settings = {**defaults, **(cls.get("settings") or {})}
    dated = sorted((cls.get("settings_from") or {}).items(), key=lambda x: x[0])
    rows = []
    for setting, programs in (cls.get("periods") or {}).items():
        for program, spec in programs.items():
            key = f"payer_classes.{name}.periods.{setting}.{program}"
            starts = _period_starts(origin(key), key, spec, base_settings, code_sets, program)
            if not starts:
                continue
            bounds = sorted({d for d, _ in starts} | {d for d, _ in dated if d > starts[0][0]})
            for i, start in enumerate(bounds):
                code_set = [cs for d, cs in starts if d <= start][-1]
                if code_set is None:
                    continue
                settings = {**base_settings}
                for d, over in dated:
                    if d <= start:
                        settings.update(over)
                rows.append({
                    "payer_class": name, "billing_setting": setting, "program": program,
                    "valid_from": start, "valid_to": bounds[i + 1] if i + 1 < len(bounds) else None,
                    "code_set": code_set, **_code_columns(code_sets[code_set]), **_setting_columns(settings),
                })
    return rows


# --- loading ---------------------------------------------------------------------------------


def _read_file(path: Path) -> dict:
    """A rules file checked on its own, as the keys it sets (nothing filled in)."""
    raw = read_yaml(path, RulesError, "rules file")
    checked = validate(RulesFile, raw, RulesError, lambda loc: path)
    data = checked.model_dump(exclude_unset=True)
    if "fee_schedules" in data:
        folder = (path.parent / data["fee_schedules"]).resolve()
        if not folder.is_dir():
            raise RulesError(path, "fee_schedules", f"folder {folder} does not exist")
        data["fee_schedules"] = folder
    return data


def _has_key(data: dict, dotted: str) -> bool:
    node = data
    for part in dotted.split("."):
        keys = {str(k): v for k, v in node.items()} if isinstance(node, dict) else {}
        if part not in keys:
            return False
        node = keys[part]
    return True


DEFAULT_RULES = Path(str(resources.files("bcm_analytics.config").joinpath("rulesets/default.yaml")))
DEFAULT_FEES = Path(str(resources.files("bcm_analytics.config").joinpath("fee_schedules")))


def load_rules(path: str | Path | None = None) -> Rules:
    """The shipped ruleset, with a program's file (`path`, else $BCM_RULES) merged over it."""
    path = path or load_settings().BCM_RULES or None
    base = _read_file(DEFAULT_RULES)
    over = _read_file(Path(path)) if path else {}
    merged = _merge(base, over)

    def origin(key: str) -> Path:
        """The file that wrote a key last: the program's file when it has the key."""
        return Path(path) if path and _has_key(over, key) else DEFAULT_RULES

    _check_merged(merged, origin)
    classes = {name: _resolve_class(name, merged["payer_classes"], origin) for name in merged["payer_classes"]}
    rows = [row for name, cls in classes.items()
            for row in _flatten_class(name, cls, merged["settings"], merged["code_sets"], origin)]
    rule_id = f"{base['ruleset']} {base['version']}"
    if path:
        rule_id += f" + {over.get('ruleset', Path(path).stem)}" + (f" {over['version']}" if "version" in over else "")
    return Rules(
        id=rule_id,
        files=(DEFAULT_RULES,) + ((Path(path),) if path else ()),
        default_payer_class=merged["default_payer_class"],
        payer_names=merged["payer_names"],
        activity_types=merged["activity_types"],
        claim_codes={k: list(v) for k, v in merged["claim_codes"].items()},
        class_parents={name: merged["payer_classes"][name].get("extends") for name in classes},
        periods=pa.Table.from_pylist(rows, schema=PERIOD_SCHEMA),
        fee_dirs=(DEFAULT_FEES,) + ((over["fee_schedules"],) if "fee_schedules" in over else ()),
    )


def as_rules(rules: Rules | str | Path | None) -> Rules:
    """Accept a loaded ruleset, a path to a program's file, or None (defaults and $BCM_RULES)."""
    return rules if isinstance(rules, Rules) else load_rules(rules)
