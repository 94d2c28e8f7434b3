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

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BeforeValidator, Field, model_validator

from bcm_analytics.config.files import ConfigError, Strict, digest, nearest, read_yaml, validate
from bcm_analytics.config.settings import load_settings
from bcm_analytics.config.tables import from_rows

SETTINGS = ("physician_practice", "fqhc", "rhc")
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
# A claim adjustment reason code as a remittance numbers it, without its group (CO, PR, OA, PI):
# 16, 109, A1 (denial_advice's keys). Reconciliation reads the code out of the payer's reason
# through CARC_IN_REASON ("CO-16 missing information", "PR 1", "109"), which it gets from the
# config.denial_advice table, so the code's form is written here only.
CARC_CODE = r"[A-Za-z]?[0-9]{1,3}"
CARC_IN_REASON = rf"^\s*(?:[A-Za-z]{{2}}\s*-?\s*)?({CARC_CODE})\b"
CarcCode = Annotated[Text, Field(pattern=rf"^{CARC_CODE}$", description="a reason code such as 16, 109 or A1, without its group (CO-)")]
UNSET: Any = None  # a key the file leaves out (told apart from an explicit null by exclude_unset)


# --- code sets -------------------------------------------------------------------------------


class Tier(Strict):
    """A base code: billable from `from_minutes`; `base_minutes` is where its add-on steps start
    (needed only where the code set has an add-on: Oregon's 99492/99493 without 99494 has none)."""

    code: Code
    from_minutes: Minutes
    base_minutes: Minutes = UNSET


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


class Apcm(Strict):
    """The APCM behavioral-health add-ons that replace a code set's base codes in the months a
    program bills APCM (G0556-G0558): G0568 for 99492, G0569 for 99493, G0570 for 99484. They have
    no time threshold (`from_minutes` 0: any countable minutes of the month) and no counterpart of
    the add-on (99494) or the fallback (G2214)."""

    initial: Code = UNSET
    subsequent: Code = UNSET
    monthly: Code = UNSET
    from_minutes: Annotated[float, Field(ge=0, description="a number of minutes, 0 or more")] = 0
    billable_from: MonthStart = Field(description="the first day of a month, YYYY-MM-DD: when the add-ons exist")


class CodeSet(Strict):
    program: Literal["cocm", "general_bhi"] = Field(description="cocm or general_bhi")
    initial: Tier = UNSET
    subsequent: Tier = UNSET
    add_on: AddOn = UNSET
    fallback: Fallback = UNSET
    monthly: Monthly = UNSET
    apcm: Apcm = UNSET

    @model_validator(mode="after")
    def _tiers_fit_together(self):
        if self.monthly is not None and any((self.initial, self.subsequent, self.add_on, self.fallback)):
            raise ValueError("a code set has either `monthly` or `initial` and `subsequent`, not both")
        if self.monthly is None and (self.initial is None or self.subsequent is None):
            raise ValueError("needs `initial` and `subsequent` (or `monthly`)")
        for name in ("initial", "subsequent"):
            tier = getattr(self, name)
            if tier is not None and tier.base_minutes is None and self.add_on is not None:
                raise ValueError(f"{name}.base_minutes is required with an add_on (where its steps start)")
            if tier is not None and tier.base_minutes is not None and tier.base_minutes < tier.from_minutes:
                raise ValueError(f"{name}: base_minutes must be at least from_minutes")
        if self.add_on is not None and self.add_on.from_extra_minutes > self.add_on.step_minutes:
            raise ValueError("add_on.from_extra_minutes must not exceed step_minutes")
        if self.fallback is not None and not (
                self.fallback.from_minutes <= self.fallback.to_minutes < self.subsequent.from_minutes):
            raise ValueError("fallback needs from_minutes <= to_minutes < subsequent.from_minutes")
        if self.apcm is not None:
            tiers = ("monthly",) if self.monthly is not None else ("initial", "subsequent")
            given = tuple(t for t in ("initial", "subsequent", "monthly") if getattr(self.apcm, t) is not None)
            if given != tiers:
                raise ValueError(f"apcm needs an add-on code for {' and '.join(tiers)}, as the code set has")
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
    bills_apcm: bool | list[Literal["cocm", "general_bhi"]] = Field(
        UNSET, description="true, false, or a list of programs (cocm, general_bhi)")
    initiating_visit_months: int = Field(UNSET, ge=1, description="a whole number of months, 1 or more")
    facility_stay_edge_days: Literal["exclude", "count"] = Field(UNSET, description="exclude or count")
    claim_date_rule: Literal["any_day_in_month", "on_or_after_threshold"] = Field(
        UNSET, description="any_day_in_month or on_or_after_threshold")


class AlsoAccept(Strict):
    """From a date on, the codes of other code sets are accepted alongside the one in force (the
    FQHC/RHC 2025 transition: 99484 accepted beside G0511 until G0511 ends)."""

    also_accept: Annotated[list[str], Field(min_length=1, description="a list of code set names")]


class CodeSetAccepting(Strict):
    """A code set coming into force with codes accepted beside it from its first day: an accepted
    code lasts only while the code set it was accepted beside is in force, so a code accepted
    beside G0511 (G0323 at an FQHC in 2025) is named again when 99484 replaces G0511."""

    code_set: str
    also_accept: Annotated[list[str], Field(default_factory=list, description="a list of code set names")]


Dated = dict[PeriodStart, Annotated[str | CodeSetAccepting | AlsoAccept | None, Field(
    description="the name of a code set, null (nothing billable), {also_accept: [code sets]}, "
                "or {code_set: name, also_accept: [code sets]}")]]


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


def _profile(value: Any) -> Any:
    """`Acme: medicaid` is short for `Acme: {payer_class: medicaid}`."""
    return {"payer_class": value} if isinstance(value, str) else value


class PayerProfile(Strict):
    """A payer name's class, and settings of its own (G2214, the 99494 cap ...) over the class's:
    G2214 and the caps are decided per payer, not per class (billing_rules.md section 4)."""

    payer_class: Annotated[str, Field(min_length=1, description="the name of a payer class")]
    settings: Settings = UNSET
    settings_from: dict[MonthStart, Settings] = UNSET


class Source(Strict):
    """Where a rules file's rules come from: shown in docs and kept with the file."""

    title: str
    url: str = UNSET
    published: date | str = UNSET
    about: str = UNSET


class RulesFile(Strict):
    """A rules file: the shipped one, a state's, or a program's (every key optional, merged in order)."""

    ruleset: Text = UNSET
    version: Version = UNSET
    extends: str = Field(UNSET, description="a shipped ruleset's name (texas_medicaid) or a rules file's path")
    sources: list[Source] = UNSET
    default_payer_class: str = UNSET
    payer_names: dict[Text, Annotated[PayerProfile, BeforeValidator(_profile)]] = UNSET
    payer_aliases: dict[Text, Annotated[Text, Field(min_length=1, description="the payer name to use instead, as text")]] = UNSET
    settings_from: dict[MonthStart, Settings] = UNSET
    activity_types: dict[str, str] = UNSET
    code_sets: dict[str, CodeSet] = UNSET
    settings: Settings = UNSET
    payer_classes: dict[str, PayerClass] = UNSET
    claim_codes: dict[str, Annotated[list[Code], Field(min_length=1, description="a list of procedure codes")]] = UNSET
    denial_advice: dict[CarcCode, Annotated[Text, Field(min_length=1, description="what to do, as text")]] = UNSET
    fee_schedules: str = UNSET


# --- the loaded ruleset ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A merged, checked ruleset. `periods` is the flat table the SQL joins on: one row per payer
    class (or profiled payer name), billing setting, program and stretch of dates."""

    id: str
    files: tuple[Path, ...]
    default_payer_class: str
    payer_names: dict[str, str]  # lower-cased payer name -> payer class
    activity_types: dict[str, str]
    claim_codes: dict[str, list[str]]
    class_parents: dict[str, str | None]
    periods: pa.Table
    fee_dirs: tuple[Path, ...]
    profiled_payers: tuple[str, ...] = ()  # lower-cased payer names with period rows of their own
    apcm_add_ons: pa.Table | None = None  # add-on code -> the code it mirrors, program, month type
    sources: tuple[dict, ...] = ()
    program_payer_names: tuple[str, ...] = ()  # lower-cased payer names a program's own file writes (not shipped ones)
    program_classes: tuple[str, ...] = ()  # payer classes a program's own file adds (none a shipped file has)
    # payer name as exported (lower-cased, trimmed) -> the payer name to use, as the file writes it
    # (trimmed): marts.payer_name reads it, and a target is also the spelling of its own name
    payer_aliases: dict[str, str] = field(default_factory=dict)
    alias_spellings: dict[str, str] = field(default_factory=dict)  # an alias's key above -> as its file writes it
    denial_advice: dict[str, str] = field(default_factory=dict)  # a CARC reason code (16, 109) -> what to do

    def aliased_away(self) -> dict[str, str]:
        """Payer names the program's file maps that an alias reads as another payer -> that payer."""
        return {name: self.payer_aliases[name] for name in self.program_payer_names
                if name in self.payer_aliases and self.payer_aliases[name].lower() != name}

    def classes_reaching_no_one(self) -> list[str]:
        """A sentence per payer class the program's file writes that nothing reaches: no payer name
        maps to it, no class extends it and it is not the default. `medicad:` (or `Medicaid:`) made
        a class beside medicaid, the file checked valid and Medicaid billed as before, unsaid. A
        warning, not a refusal: a state's file may add a class for programs to map."""
        reached = {self.default_payer_class, *self.payer_names.values(), *self.class_parents.values()}
        out = []
        for name in self.program_classes:
            if name not in reached:
                near = nearest(name, [c for c in self.class_parents if c != name])
                out.append(f"payer_classes.{name} applies to no one: no payer name maps to it, no class extends it and it "
                           f"is not the default_payer_class{f' (did you mean {near!r}?)' if near else ''}; "
                           "map payer names to it under payer_names, or correct its name")
        return out

    def names_aliased_away(self) -> list[str]:
        """A sentence per payer name the program's file maps (payer_names) that one of its aliases
        reads as another payer: marts.payer_name turns the name into the alias's target before
        payer_names is looked up, so the entry's class and settings apply to no one. Each names the
        alias and what to write instead (the target is the name to map)."""
        out = []
        for name, target in self.aliased_away().items():
            cls, mapped = self.payer_names[name], self.payer_names.get(target.lower())
            what = "class and settings apply" if name in self.profiled_payers else "class applies"
            said = (f"payer_names '{name}' applies to no one: payer_aliases reads '{name}' as '{target}' before "
                    f"payer_names is looked up, so its {what} to no patient; ")
            if mapped is None:
                fix = f"write the entry under payer_names as '{target}' instead ('{target}': {cls}), or remove the alias"
            elif mapped == cls and name in self.profiled_payers:
                fix = f"'{target}' is mapped to {mapped} already: move the entry's settings to '{target}' and remove '{name}'"
            elif mapped == cls:
                fix = f"'{target}' is mapped to {mapped} already: remove the '{name}' entry"
            else:
                fix = f"'{target}' is mapped to {mapped}: remove the '{name}' entry, or map '{target}' to {cls} if that is meant"
            out.append(said + fix)
        return out

    def fees(self) -> pa.Table:
        from bcm_analytics.config.fees import load_fees

        return load_fees(self.fee_dirs, self.class_parents, {c for codes in self.claim_codes.values() for c in codes})

    def fee_schedule(self) -> pa.Table:
        """The fees as the engine reads them, without the file each row came from: a packaged
        file's path changes with every install, and neither the digest nor the marts' inputs may
        change with it (the file is kept in fees() for the loader's messages)."""
        return self.fees().drop_columns(["fee_file"])

    @cached_property
    def digest(self) -> str:
        """sha256 of what the engine reads from these rules (periods, names, codes, fees): the
        same content gives the same digest whatever the files are called or how keys are ordered."""
        fees = self.fee_schedule().to_pylist()
        return digest({
            "periods": sorted(self.periods.to_pylist(), key=_row_key),
            "fees": sorted(fees, key=_row_key),
            "default_payer_class": self.default_payer_class, "payer_names": self.payer_names,
            "activity_types": self.activity_types, "claim_codes": {k: sorted(v) for k, v in self.claim_codes.items()},
            "class_parents": self.class_parents, "profiled_payers": sorted(self.profiled_payers),
            "apcm_add_ons": sorted(self.apcm_add_ons.to_pylist(), key=_row_key) if self.apcm_add_ons is not None else [],
            "payer_aliases": self.payer_aliases, "denial_advice": self.denial_advice,
        })


def _row_key(row: dict) -> str:
    return repr(sorted((k, str(v)) for k, v in row.items()))


# --- merging files in order: shipped, state, program --------------------------------------------


def _merge_class(base: dict | None, over: dict) -> dict:
    base = base or {}
    periods = {s: dict(p) for s, p in (base.get("periods") or {}).items()}
    for setting, programs in (over.get("periods") or {}).items():
        periods[setting] = {**periods.get(setting, {}), **programs}
    merged = {"settings": {**(base.get("settings") or {}), **(over.get("settings") or {})},
              "settings_from": _merge_dated(base.get("settings_from"), over.get("settings_from")), "periods": periods}
    extends = over.get("extends", base.get("extends"))
    return {**merged, "extends": extends} if extends else merged


def _merge_dated(base: dict | None, over: dict | None) -> dict:
    dated = {k: dict(v) for k, v in (base or {}).items()}
    for when, settings in (over or {}).items():
        dated[when] = {**dated.get(when, {}), **settings}
    return dated


def _lower_names(names: dict | None) -> dict:
    return {str(k).strip().lower(): {**v, "payer_class": v["payer_class"].strip()} for k, v in (names or {}).items()}


def _lower_aliases(aliases: dict | None) -> dict:
    return {str(k).strip().lower(): str(v).strip() for k, v in (aliases or {}).items()}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    out["payer_names"] = {**_lower_names(base.get("payer_names")), **_lower_names(over.get("payer_names"))}
    out["payer_aliases"] = {**_lower_aliases(base.get("payer_aliases")), **_lower_aliases(over.get("payer_aliases"))}
    for key in ("activity_types", "code_sets", "settings", "claim_codes", "denial_advice"):
        out[key] = {**(base.get(key) or {}), **(over.get(key) or {})}
    out["settings_from"] = _merge_dated(base.get("settings_from"), over.get("settings_from"))
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


def _check_aliases(aliases: dict, origin, written) -> None:
    """An alias points at the name to use, never at another alias: marts.payer_name looks a name
    up once, so a chain (A -> B, B -> C) would leave A's rows under B, a payer no one has. A
    refusal names the alias as its file writes it (`written`), not as the merge keys it."""
    for key, target in aliases.items():
        name = written(key)
        where = f"payer_aliases.{name}"
        if not target:
            raise RulesError(origin(f"payer_aliases.{key}"), where, "must name the payer to use (got '')")
        onward = aliases.get(target.lower())
        if onward is None or onward.lower() == target.lower():
            continue
        if onward.lower() == key:  # A -> B and B -> A: pointing A at B's target would point it at itself
            raise RulesError(origin(f"payer_aliases.{key}"), where,
                             f"{target!r} is itself an alias of {name!r}: the two point at each other; keep one of the two")
        raise RulesError(origin(f"payer_aliases.{key}"), where,
                         f"{target!r} is itself an alias of {onward!r}: point {name!r} at {onward!r}")


def _settings_blocks(rules: dict):
    """(key, settings) of every settings block of the merged rules, for checks over all of them."""
    yield "settings", rules["settings"]
    for when, settings in rules["settings_from"].items():
        yield f"settings_from.{when}", settings
    for name, cls in rules["payer_classes"].items():
        yield f"payer_classes.{name}.settings", cls.get("settings") or {}
        for when, settings in (cls.get("settings_from") or {}).items():
            yield f"payer_classes.{name}.settings_from.{when}", settings
    for name, profile in rules["payer_names"].items():
        yield f"payer_names.{name}.settings", profile.get("settings") or {}
        for when, settings in (profile.get("settings_from") or {}).items():
            yield f"payer_names.{name}.settings_from.{when}", settings


def _check_merged(rules: dict, origin, written) -> None:
    """Every name used is defined, every code set's codes are recognised."""
    classes = rules.get("payer_classes") or {}
    if not classes:
        raise RulesError(origin("payer_classes"), "payer_classes", "no payer class is defined")
    default = rules.get("default_payer_class")
    if default not in classes:
        raise RulesError(origin("default_payer_class"), "default_payer_class", _no_such("payer class", default, classes))
    for name, profile in rules["payer_names"].items():
        if profile["payer_class"] not in classes:
            raise RulesError(origin(f"payer_names.{name}"), f"payer_names.{name}", _no_such("payer class", profile["payer_class"], classes))
    _check_aliases(rules["payer_aliases"], origin, written)
    missing = [k for k in Settings.model_fields if k not in rules["settings"]]
    if missing:
        raise RulesError(origin("settings"), "settings", f"missing: {', '.join(missing)}")
    for key, settings in _settings_blocks(rules):
        unknown = [a for a in settings.get("countable_activities") or [] if a not in rules["activity_types"]]
        if unknown:
            key += ".countable_activities"
            raise RulesError(origin(key), key, f"not in activity_types: {', '.join(unknown)}")
    for name, cs in rules["code_sets"].items():
        known = rules["claim_codes"].get(cs["program"], [])
        for tier in ("initial", "subsequent", "add_on", "fallback", "monthly"):
            if tier in cs and cs[tier]["code"] not in known:
                key = f"code_sets.{name}.{tier}.code"
                raise RulesError(origin(key), key, f"{cs[tier]['code']} is not listed in claim_codes.{cs['program']}")
        add_ons = rules["claim_codes"].get("apcm_behavioral_add_on", [])
        for tier, code in (cs.get("apcm") or {}).items():
            if tier in ("initial", "subsequent", "monthly") and code not in add_ons:
                key = f"code_sets.{name}.apcm.{tier}"
                raise RulesError(origin(key), key, f"{code} is not listed in claim_codes.apcm_behavioral_add_on")


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


def _period_starts(file, key: str, dated: dict, settings: dict, code_sets: dict, program: str):
    """{date or date-setting name: code set, null, {also_accept: [...]} or {code_set: ..., also_accept: [...]}}
    -> ([(first day, code set)], [(first day, [accepted code sets])]), each in date order."""
    starts, accepts = [], []
    for when, entry in dated.items():
        at = settings[when] if isinstance(when, str) else when
        in_force = entry.get("code_set", ...) if isinstance(entry, dict) else entry  # ...: none starts here
        names = [*(entry.get("also_accept", []) if isinstance(entry, dict) else []), *([in_force] if in_force not in (None, ...) else [])]
        for code_set in names:
            if code_set not in code_sets:
                raise RulesError(file, f"{key}.{when}", _no_such("code set", code_set, code_sets))
            if code_sets[code_set]["program"] != program:
                raise RulesError(file, f"{key}.{when}", f"code set {code_set!r} is for {code_sets[code_set]['program']}, not {program}")
        if isinstance(entry, dict) and entry.get("also_accept"):
            accepts.append((at, entry["also_accept"]))
        if in_force is not ...:
            starts.append((at, in_force))
    starts.sort(key=lambda s: s[0])
    for (a, _), (b, _) in zip(starts, starts[1:]):
        if a == b:
            raise RulesError(file, key, f"two code sets start on {a}")
    if accepts and (not starts or min(a for a, _ in accepts) < starts[0][0]):
        raise RulesError(file, key, "also_accept needs a code set in force on its date")
    return starts, sorted(accepts, key=lambda a: a[0])


ACCEPTED = pa.struct([("code", pa.string()), ("role", pa.string()), ("from_minutes", pa.float64()),
                      ("accepted_from", pa.date32())])
PERIOD_SCHEMA = pa.schema([
    ("payer_class", pa.string()), ("payer_profile", pa.string()), ("billing_setting", pa.string()), ("program", pa.string()),
    ("valid_from", pa.date32()), ("valid_to", pa.date32()), ("code_set", pa.string()),
    ("initial_code", pa.string()), ("initial_from", pa.float64()), ("initial_base", pa.float64()),
    ("subsequent_code", pa.string()), ("subsequent_from", pa.float64()), ("subsequent_base", pa.float64()),
    ("add_on_code", pa.string()), ("add_on_step", pa.float64()), ("add_on_from_extra", pa.float64()),
    ("fallback_code", pa.string()), ("fallback_from", pa.float64()), ("fallback_to", pa.float64()),
    ("countable_activities", pa.list_(pa.string())), ("countable_roles", pa.list_(pa.string())),
    ("bills_g2214", pa.bool_()), ("g2214_initial_31_35", pa.bool_()), ("carry_initial_forward", pa.bool_()),
    ("initial_code_once_per", pa.string()), ("max_99494_units", pa.int64()), ("episode_gap_months", pa.int64()),
    ("initiating_visit_months", pa.int64()), ("facility_stay_edge_days", pa.string()), ("claim_date_rule", pa.string()),
    ("bills_apcm", pa.bool_()), ("mirror_initial_code", pa.string()), ("mirror_subsequent_code", pa.string()),
    ("also_accepted", pa.list_(ACCEPTED)),
])


def _code_columns(cs: dict, apcm: bool) -> dict:
    """The codes a month bills. In a month that bills APCM the add-ons take the base codes' place
    (any countable minutes, no 99494, no G2214), and the base codes they mirror are kept aside."""
    initial = cs.get("initial") or cs["monthly"]
    subsequent = cs.get("subsequent") or cs["monthly"]
    add_on, fallback = cs.get("add_on") or {}, cs.get("fallback") or {}
    columns = {
        "initial_code": initial["code"], "initial_from": initial["from_minutes"], "initial_base": initial.get("base_minutes"),
        "subsequent_code": subsequent["code"], "subsequent_from": subsequent["from_minutes"],
        "subsequent_base": subsequent.get("base_minutes"),
        "add_on_code": add_on.get("code"), "add_on_step": add_on.get("step_minutes"),
        "add_on_from_extra": add_on.get("from_extra_minutes"),
        "fallback_code": fallback.get("code"), "fallback_from": fallback.get("from_minutes"),
        "fallback_to": fallback.get("to_minutes"), "bills_apcm": apcm,
        "mirror_initial_code": None, "mirror_subsequent_code": None,
    }
    if not apcm:
        return columns
    codes = cs["apcm"]
    return {**columns, **{k: None for k in ("add_on_code", "add_on_step", "add_on_from_extra", "fallback_code",
                                             "fallback_from", "fallback_to", "initial_base", "subsequent_base")},
            "initial_code": codes.get("initial") or codes["monthly"], "initial_from": codes["from_minutes"],
            "subsequent_code": codes.get("subsequent") or codes["monthly"], "subsequent_from": codes["from_minutes"],
            "mirror_initial_code": columns["initial_code"], "mirror_subsequent_code": columns["subsequent_code"]}


def _accepted(code_sets: dict, names: list[str], since: date) -> list[dict]:
    """Every code of the accepted code sets, with its role and threshold, accepted from `since`."""
    out = []
    for name in names:
        for role, tier in code_sets[name].items():
            if role in ("initial", "subsequent", "monthly", "add_on", "fallback"):
                out.append({"code": tier["code"], "role": role, "from_minutes": tier.get("from_minutes"),
                            "accepted_from": since})
    return out


def _setting_columns(s: dict, program: str) -> dict:
    roles = list(s["countable_roles"]) + (["psychiatric_consultant"] if s["count_psychiatric_consultant"] else [])
    return {
        "countable_activities": [a.lower() for a in s["countable_activities"]], "countable_roles": roles,
        **{k: s[k] for k in ("bills_g2214", "g2214_initial_31_35", "carry_initial_forward", "initial_code_once_per",
                             "max_99494_units", "episode_gap_months", "initiating_visit_months",
                             "facility_stay_edge_days", "claim_date_rule")},
    }


def _bills_apcm(settings: dict, program: str) -> bool:
    value = settings["bills_apcm"]
    return program in value if isinstance(value, list) else bool(value)


def _layers(defaults: dict, top_dated: dict, cls: dict, profile: dict | None) -> list[tuple[dict, list]]:
    """The settings layers, least specific first: the ruleset's, the class's, the payer's. Within
    a layer, the dated settings in force override the undated ones."""
    layers = [(defaults, sorted(top_dated.items(), key=lambda x: x[0])),
              (cls.get("settings") or {}, sorted((cls.get("settings_from") or {}).items(), key=lambda x: x[0]))]
    if profile is not None:
        layers.append((profile.get("settings") or {}, sorted((profile.get("settings_from") or {}).items(), key=lambda x: x[0])))
    return layers


def _settings_on(layers: list[tuple[dict, list]], day: date) -> dict:
    out: dict = {}
    for undated, dated in layers:
        out.update(undated)
        for when, over in dated:
            if when <= day:
                out.update(over)
    return out


def _flatten_class(name: str, cls: dict, layers: list, code_sets: dict, origin, payer: str | None = None) -> list[dict]:
    """One row per billing setting, program and stretch of dates with the same rules."""
    dates = sorted({d for _, dated in layers for d, _ in dated})
    rows = []
    for setting, programs in (cls.get("periods") or {}).items():
        for program, spec in programs.items():
            key = f"payer_classes.{name}.periods.{setting}.{program}"
            starts, accepts = _period_starts(origin(key), key, spec, _settings_on(layers, date.min), code_sets, program)
            if not starts:
                continue
            apcm_dates = {code_sets[cs]["apcm"]["billable_from"] for _, cs in starts if cs and "apcm" in code_sets[cs]}
            bounds = sorted({d for d, _ in starts} | {d for d in set(dates) | apcm_dates if d > starts[0][0]})
            for i, start in enumerate(bounds):
                set_start, code_set = [(d, cs) for d, cs in starts if d <= start][-1]
                if code_set is None:
                    continue
                end = bounds[i + 1] if i + 1 < len(bounds) else None
                settings = _settings_on(layers, start)
                cs = code_sets[code_set]
                apcm = "apcm" in cs and start >= cs["apcm"]["billable_from"] and _bills_apcm(settings, program)
                accepted = [a for d, names in accepts if d >= set_start and (end is None or d < end)
                            for a in _accepted(code_sets, names, max(d, start))]
                rows.append({
                    "payer_class": name, "payer_profile": payer, "billing_setting": setting, "program": program,
                    "valid_from": start, "valid_to": end, "code_set": code_set,
                    **_code_columns(cs, apcm), **_setting_columns(settings, program), "also_accepted": accepted,
                })
    return _join_equal_stretches(rows)


def _join_equal_stretches(rows: list[dict]) -> list[dict]:
    """Adjacent rows with the same rules become one: a date that changes nothing for a setting
    and program (an APCM date for a class that does not bill APCM) does not split its row, nor
    does it split codes accepted since before the row (G0323 beside 99484 from 2023)."""
    out: list[dict] = []
    for row in rows:
        prev = out[-1] if out else None
        same = prev is not None and prev["valid_to"] == row["valid_from"] and all(
            prev[k] == row[k] for k in row if k not in ("valid_from", "valid_to", "also_accepted"))
        if same and _accepted_continue(prev["also_accepted"], row):
            prev["valid_to"] = row["valid_to"]
        else:
            out.append(dict(row))
    return out


def _accepted_continue(before: list[dict], row: dict) -> bool:
    """Whether `row` accepts the same codes as the row before it, each already accepted when `row`
    starts (its accepted_from is then the row's first day, the earlier row's holds)."""
    def codes(accepted):
        return [(a["code"], a["role"], a["from_minutes"]) for a in accepted]
    return codes(before) == codes(row["also_accepted"]) and all(
        a["accepted_from"] <= row["valid_from"] for a in row["also_accepted"])


def _apcm_add_ons(code_sets: dict, origin) -> pa.Table:
    """Each APCM add-on code with the code it mirrors, its program and month type, from every
    code set that names one: claims are read with it whether or not a program bills APCM."""
    found: dict[str, dict] = {}
    for name, cs in code_sets.items():
        for tier, code in (cs.get("apcm") or {}).items():
            if tier not in ("initial", "subsequent", "monthly"):
                continue
            row = {"code": code, "mirror_code": cs[tier]["code"], "program": cs["program"],
                   "month_type": tier if tier != "monthly" else "any", "billable_from": cs["apcm"]["billable_from"]}
            if code in found and found[code] != row:
                key = f"code_sets.{name}.apcm.{tier}"
                raise RulesError(origin(key), key, f"{code} mirrors {found[code]['mirror_code']} in another code set")
            found[code] = row
    schema = pa.schema([("code", pa.string()), ("mirror_code", pa.string()), ("program", pa.string()),
                        ("month_type", pa.string()), ("billable_from", pa.date32())])
    return from_rows(sorted(found.values(), key=lambda r: r["code"]), schema)


# --- loading ---------------------------------------------------------------------------------


SHIPPED = Path(str(resources.files("bcm_analytics.config").joinpath("rulesets")))
DEFAULT_RULES = SHIPPED / "default.yaml"
DEFAULT_FEES = Path(str(resources.files("bcm_analytics.config").joinpath("fee_schedules")))


def shipped_rulesets() -> list[str]:
    """The rulesets shipped beside the default (state Medicaid profiles), by name."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml") if p != DEFAULT_RULES)


def default_settings() -> Settings:
    """The settings of the shipped default ruleset alone, read and checked as load_rules reads it
    (no program's file, no $BCM_RULES): what a program bills by without a file of its own, and
    what the synthetic program's answer keys are computed for."""
    return validate(RulesFile, read_yaml(DEFAULT_RULES, RulesError, "rules file"), RulesError, lambda loc: DEFAULT_RULES).settings


def _locate(name: str | Path, relative_to: Path | None = None) -> Path:
    """A rules file by path, or a shipped ruleset by name (`--rules texas_medicaid`)."""
    path = Path(name)
    if relative_to is not None and not path.is_absolute():
        path = relative_to.parent / path
    if path.exists() or path.suffix:
        return path
    if str(name) == "default":  # the shipped rules alone: `bcm build --rules default` leaves a program's file
        return DEFAULT_RULES
    if (SHIPPED / f"{name}.yaml").exists():
        return SHIPPED / f"{name}.yaml"
    near = nearest(str(name), shipped_rulesets(), cutoff=0.9)  # kansas_medicaid is not a misspelled texas_medicaid
    hint = f"did you mean {near!r}?" if near else f"shipped: {', '.join(shipped_rulesets())}"
    raise RulesError(name, "", f"no such rules file, and no shipped ruleset of that name ({hint})")


def _read_file(path: Path) -> dict:
    """A rules file checked on its own, as the keys it sets (nothing filled in)."""
    raw = read_yaml(path, RulesError, "rules file")
    checked = validate(RulesFile, raw, RulesError, lambda loc: path)
    data = checked.model_dump(exclude_unset=True)
    _one_name_per_payer(path, data.get("payer_names") or {})
    _one_name_per_payer(path, data.get("payer_aliases") or {}, "payer_aliases")
    if "fee_schedules" in data:
        folder = (path.parent / data["fee_schedules"]).resolve()
        if not folder.is_dir():
            raise RulesError(path, "fee_schedules", f"folder {folder} does not exist")
        data["fee_schedules"] = folder
    return data


def _one_name_per_payer(path: Path, names: dict, key: str = "payer_names") -> None:
    """Payer names are matched ignoring case and surrounding spaces, so two names of one file that
    differ only so ("Aetna" and "aetna ") are one payer: the merge would keep the last unsaid."""
    seen: dict[str, str] = {}
    for name in names:
        same = str(name).strip().lower()
        if same in seen:
            raise RulesError(path, key, f"{name!r} and {seen[same]!r} are the same payer (names are matched "
                                                  "ignoring case and surrounding spaces): keep one of the two")
        seen[same] = name


def _chain(path: Path) -> list[tuple[Path, dict]]:
    """A program file and the files it extends, shipped default excluded, base first."""
    files: list[tuple[Path, dict]] = []
    while path is not None and path.resolve() != DEFAULT_RULES.resolve():  # --rules default.yaml: the default once
        if any(p.resolve() == path.resolve() for p, _ in files):
            raise RulesError(path, "extends", f"circular: {' -> '.join(str(p) for p, _ in reversed(files))} -> {path}")
        data = _read_file(path)
        files.append((path, data))
        parent = data.get("extends")
        path = _extended(parent, path) if parent else None
    return list(reversed(files))


def _extended(name: str, by: Path) -> Path:
    """The file `extends: name` in the rules file `by` names, or a refusal naming that key: a
    missing file said only "cannot be read", and a name meant as a file beside it (oregon_medicaid
    for oregon_medicaid.yaml) was looked for among the shipped rulesets alone."""
    try:
        path = _locate(name, relative_to=by)
    except RulesError as e:
        beside = by.parent / f"{name}.yaml"
        hint = f"; did you mean {beside.name!r}, the file beside it?" if beside.exists() else ""
        raise RulesError(by, "extends", f"{name}: {e.problem}{hint}") from None
    if not path.exists():
        raise RulesError(by, "extends", f"no such file {path}")
    return path


def _shipped(path: Path) -> bool:
    """A ruleset file bcm ships (default.yaml, a state's), not a program's own."""
    return path.resolve().is_relative_to(SHIPPED.resolve())


def periods_cut_short(rules: Rules) -> list[str]:
    """A sentence per payer class, setting and program whose periods the last file starts later
    than the rules it extends did (for a class it adds, its parent's): a file's periods replace the
    setting's whole list, so writing only the new date (`cocm: {2027-01-01: cocm_cpt_oregon}`) left
    every earlier month with no code billable, and the file checked valid. The first date the file
    writes counts, a `null` one too (no code from that day is said outright). `bcm rules check`
    warns of it. A shipped state's later start is its own (Texas Medicaid's CoCM from 2022-06): a
    program's file alone is read."""
    if len(rules.files) < 2 or _shipped(rules.files[-1]):
        return []
    base = _first_periods(load_rules("default" if rules.files[-2] == DEFAULT_RULES else rules.files[-2]))
    out = []
    for cls, block in (_read_file(rules.files[-1]).get("payer_classes") or {}).items():
        for setting, programs in (block.get("periods") or {}).items():
            for program, dated in programs.items():
                first, now = _inherited(base, rules.class_parents, cls, setting, program), min(dated, default=None)
                if first is None or not all(isinstance(d, date) for d in dated) or now <= first:
                    continue  # a date setting's name: its day is in the settings
                out.append(f"payer_classes.{cls}.periods.{setting}.{program} starts {now}, where the rules it extends start "
                           f"{first}: a file's periods replace the setting's whole list, so no {program} code is billable for "
                           f"{cls} at {setting} from {first} to {now - timedelta(days=1)}; write the earlier periods too")
    return out


def _inherited(first: dict, parents: dict[str, str | None], cls: str | None, setting: str, program: str) -> date | None:
    """The first day of a class's periods for a setting and program, or of the class it extends."""
    while cls is not None and (cls, setting, program) not in first:
        cls = parents.get(cls)
    return first.get((cls, setting, program)) if cls is not None else None


def _first_periods(rules: Rules) -> dict[tuple[str, str, str], date]:
    """The first day each payer class's periods start, per billing setting and program."""
    first: dict[tuple[str, str, str], date] = {}
    for row in rules.periods.to_pylist():
        if row["payer_profile"] is None:
            key = (row["payer_class"], row["billing_setting"], row["program"])
            first[key] = min(first.get(key, row["valid_from"]), row["valid_from"])
    return first


def _has_key(data: dict, dotted: str) -> bool:
    """Whether a file sets a dotted key (payer names compared as the rules compare them)."""
    node = data
    for part in dotted.split("."):
        keys = {str(k): v for k, v in node.items()} if isinstance(node, dict) else {}
        keys.update({str(k).strip().lower(): v for k, v in list(keys.items()) if str(k).strip().lower() not in keys})
        if part not in keys:
            return False
        node = keys[part]
    return True


def load_rules(path: str | Path | None = None) -> Rules:
    """The shipped ruleset, with a program's file (`path`, else $BCM_RULES) merged over it.

    `path` may also name a shipped ruleset (texas_medicaid), and a program's file may extend
    one (`extends: texas_medicaid`): files merge in order, shipped default first.
    """
    path = path or load_settings().BCM_RULES or None
    files = [(DEFAULT_RULES, _read_file(DEFAULT_RULES))] + (_chain(_locate(path)) if path else [])
    merged: dict = {}
    for _, data in files:
        merged = _merge(merged, data)

    def origin(key: str) -> Path:
        """The file that wrote a key last."""
        return next((p for p, data in reversed(files) if _has_key(data, key)), files[-1][0])

    def written(alias: str) -> str:
        """A payer alias as the file that wrote it last spells it (the merge keys it lower-cased)."""
        return next((str(k).strip() for _, data in reversed(files) for k in data.get("payer_aliases") or {}
                     if str(k).strip().lower() == alias), alias)

    _check_merged(merged, origin, written)
    classes = {name: _resolve_class(name, merged["payer_classes"], origin) for name in merged["payer_classes"]}
    rows = []
    for name, cls in classes.items():
        rows += _flatten_class(name, cls, _layers(merged["settings"], merged["settings_from"], cls, None),
                               merged["code_sets"], origin)
    profiled = tuple(sorted(n for n, p in merged["payer_names"].items() if p.get("settings") or p.get("settings_from")))
    for payer in profiled:
        profile = merged["payer_names"][payer]
        cls = classes[profile["payer_class"]]
        rows += _flatten_class(profile["payer_class"], cls, _layers(merged["settings"], merged["settings_from"], cls, profile),
                               merged["code_sets"], origin, payer=payer)
    rule_id = " + ".join(f"{data.get('ruleset', p.stem)}" + (f" {data['version']}" if "version" in data else "")
                         for p, data in files)
    return Rules(
        id=rule_id,
        files=tuple(p for p, _ in files),
        default_payer_class=merged["default_payer_class"],
        payer_names={name: profile["payer_class"] for name, profile in merged["payer_names"].items()},
        activity_types=merged["activity_types"],
        claim_codes={k: list(v) for k, v in merged["claim_codes"].items()},
        class_parents={name: merged["payer_classes"][name].get("extends") for name in classes},
        periods=from_rows(rows, PERIOD_SCHEMA),
        fee_dirs=(DEFAULT_FEES,) + tuple(data["fee_schedules"] for _, data in files if "fee_schedules" in data),
        profiled_payers=profiled,
        apcm_add_ons=_apcm_add_ons(merged["code_sets"], origin),
        sources=tuple({**src, "file": p.name} for p, data in files for src in data.get("sources", [])),
        program_payer_names=tuple(sorted({name for p, data in files if not _shipped(p)
                                          for name in _lower_names(data.get("payer_names"))})),
        program_classes=tuple(sorted({name for p, data in files if not _shipped(p) for name in data.get("payer_classes") or {}}
                                     - {name for p, data in files if _shipped(p) for name in data.get("payer_classes") or {}})),
        payer_aliases=dict(merged["payer_aliases"]),
        alias_spellings={alias: written(alias) for alias in merged["payer_aliases"]},
        denial_advice={str(k).upper(): v.strip() for k, v in (merged.get("denial_advice") or {}).items()},
    )


def as_rules(rules: Rules | str | Path | None) -> Rules:
    """Accept a loaded ruleset, a path to a program's file, or None (defaults and $BCM_RULES)."""
    return rules if isinstance(rules, Rules) else load_rules(rules)
