"""Billing rules as data: load the shipped ruleset, merge a program's own file, refuse mistakes.

The rules change by payer, setting and date, and programs disagree with public sources on some
of them, so they live in YAML files (rulesets/default.yaml, plus an optional program file) and
the engine reads them as one flat table: a row per payer class, billing setting, program and
date range, holding the code set and every setting in force. A file with a mistake is refused
with one line naming the file, the key and the problem, before anything is computed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import pyarrow as pa
import yaml

RULES_ENV = "BCM_RULES"
SETTINGS = ("physician_practice", "fqhc", "rhc")
PROGRAMS = ("cocm", "general_bhi")
ROLES = ("bhcm", "psychiatric_consultant", "treating_practitioner", "other")
TOP_KEYS = ("ruleset", "version", "default_payer_class", "payer_names", "activity_types", "code_sets",
            "settings", "payer_classes", "claim_codes", "fee_schedules")
CLASS_KEYS = ("extends", "settings", "settings_from", "periods")
TIER_KEYS = {
    "initial": ("code", "from_minutes", "base_minutes"),
    "subsequent": ("code", "from_minutes", "base_minutes"),
    "add_on": ("code", "step_minutes", "from_extra_minutes"),
    "fallback": ("code", "from_minutes", "to_minutes"),
    "monthly": ("code", "from_minutes"),
}


class RulesError(ValueError):
    """A rules or fee file the engine cannot use: `file: key: problem` on one line."""

    def __init__(self, file: str | Path, key: str, problem: str):
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


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


# --- value checks: each returns the cleaned value or raises RulesError -------------------------


def _is_bool(v) -> bool:
    return isinstance(v, bool)


def _whole(v, minimum: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _minutes(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _as_date(v) -> date | None:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            return None
    return None


def _month_start(file, key: str, v) -> date:
    d = _as_date(v)
    if d is None:
        raise RulesError(file, key, f"must be a date YYYY-MM-DD (got {v!r})")
    if d.day != 1:
        raise RulesError(file, key, f"must be the first day of a month: codes are monthly (got {d})")
    return d


SETTING_CHECKS = {
    # name: (test, what it must be)
    "countable_activities": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of activity types"),
    "countable_roles": (lambda v: isinstance(v, list) and all(x in ROLES and x != "psychiatric_consultant" for x in v),
                        f"a list of roles from {', '.join(r for r in ROLES if r != 'psychiatric_consultant')} "
                        "(consultant time is the setting count_psychiatric_consultant)"),
    "count_psychiatric_consultant": (_is_bool, "true or false"),
    "bills_g2214": (_is_bool, "true or false"),
    "g2214_initial_31_35": (_is_bool, "true or false"),
    "carry_initial_forward": (_is_bool, "true or false"),
    "initial_code_once_per": (lambda v: v in ("episode", "calendar_year"), "episode or calendar_year"),
    "max_99494_units": (lambda v: v is None or _whole(v, 1), "a whole number of 1 or more, or null for no cap"),
    "episode_gap_months": (lambda v: _whole(v, 1), "a whole number of months, 1 or more"),
    "g0511_replaced_on": (lambda v: _as_date(v) is not None and _as_date(v).day == 1, "the first day of a month, YYYY-MM-DD"),
}
DATE_SETTINGS = ("g0511_replaced_on",)


def _check_settings(file, key: str, settings) -> None:
    _need_mapping(file, key, settings)
    for name, value in settings.items():
        if name not in SETTING_CHECKS:
            raise RulesError(file, f"{key}.{name}", f"unknown setting; known: {', '.join(SETTING_CHECKS)}")
        test, what = SETTING_CHECKS[name]
        if not test(value):
            raise RulesError(file, f"{key}.{name}", f"must be {what} (got {value!r})")


def _need_mapping(file, key: str, value) -> None:
    if not isinstance(value, dict):
        raise RulesError(file, key, f"must be a mapping of names to values (got {type(value).__name__})")


def _only_keys(file, key: str, value: dict, allowed) -> None:
    for k in value:
        if k not in allowed:
            raise RulesError(file, f"{key}.{k}" if key else str(k), f"unknown key; expected one of: {', '.join(allowed)}")


def _check_code_set(file, key: str, cs) -> dict:
    """A code set's tiers: codes as text, thresholds in minutes that make sense together."""
    _need_mapping(file, key, cs)
    _only_keys(file, key, cs, ("program",) + tuple(TIER_KEYS))
    if cs.get("program") not in PROGRAMS:
        raise RulesError(file, f"{key}.program", f"must be one of {', '.join(PROGRAMS)} (got {cs.get('program')!r})")
    tiers = [t for t in TIER_KEYS if t in cs]
    if "monthly" in cs and len(tiers) > 1:
        raise RulesError(file, key, "a code set has either `monthly` or `initial` and `subsequent`, not both")
    if "monthly" not in cs and not {"initial", "subsequent"} <= set(tiers):
        raise RulesError(file, key, "needs `initial` and `subsequent` (or `monthly`)")
    out = {"program": cs["program"]}
    for tier in tiers:
        t = cs[tier]
        _need_mapping(file, f"{key}.{tier}", t)
        _only_keys(file, f"{key}.{tier}", t, TIER_KEYS[tier])
        for field in TIER_KEYS[tier]:
            if field not in t:
                raise RulesError(file, f"{key}.{tier}", f"missing `{field}`")
            if field != "code" and not _minutes(t[field]):
                raise RulesError(file, f"{key}.{tier}.{field}", f"must be a positive number of minutes (got {t[field]!r})")
        code = str(t["code"]).strip().upper()
        if not code:
            raise RulesError(file, f"{key}.{tier}.code", "is empty")
        out[tier] = {**t, "code": code}
    for tier in ("initial", "subsequent"):
        if tier in out and out[tier]["base_minutes"] < out[tier]["from_minutes"]:
            raise RulesError(file, f"{key}.{tier}", "base_minutes must be at least from_minutes")
    if "add_on" in out and out["add_on"]["from_extra_minutes"] > out["add_on"]["step_minutes"]:
        raise RulesError(file, f"{key}.add_on.from_extra_minutes", "must not exceed step_minutes")
    if "fallback" in out:
        fb = out["fallback"]
        if not fb["from_minutes"] <= fb["to_minutes"] < out["subsequent"]["from_minutes"]:
            raise RulesError(file, f"{key}.fallback", "needs from_minutes <= to_minutes < subsequent.from_minutes")
    return out


def _check_file(file: Path, data) -> dict:
    """Shape and value checks that need only this file."""
    if data is None:
        return {}
    _need_mapping(file, "", data)
    _only_keys(file, "", data, TOP_KEYS)
    for key in ("payer_names", "activity_types", "code_sets", "settings", "payer_classes", "claim_codes"):
        if key in data:
            _need_mapping(file, key, data[key])
    for name, cls in (data.get("payer_names") or {}).items():
        if not isinstance(cls, str) or not cls.strip():
            raise RulesError(file, f"payer_names.{name}", f"must name a payer class (got {cls!r})")
    code_sets = {name: _check_code_set(file, f"code_sets.{name}", cs) for name, cs in (data.get("code_sets") or {}).items()}
    if "settings" in data:
        _check_settings(file, "settings", data["settings"])
    for name, cls in (data.get("payer_classes") or {}).items():
        key = f"payer_classes.{name}"
        _need_mapping(file, key, cls)
        _only_keys(file, key, cls, CLASS_KEYS)
        if "settings" in cls:
            _check_settings(file, f"{key}.settings", cls["settings"])
        for when, settings in (cls.get("settings_from") or {}).items():
            _month_start(file, f"{key}.settings_from.{when}", when)
            _check_settings(file, f"{key}.settings_from.{when}", settings)
        periods = cls.get("periods") or {}
        _need_mapping(file, f"{key}.periods", periods)
        for setting, programs in periods.items():
            if setting not in SETTINGS:
                raise RulesError(file, f"{key}.periods.{setting}", f"unknown billing setting; expected one of: {', '.join(SETTINGS)}")
            _need_mapping(file, f"{key}.periods.{setting}", programs)
            for program, dated in programs.items():
                if program not in PROGRAMS:
                    raise RulesError(file, f"{key}.periods.{setting}.{program}", f"unknown program; expected one of: {', '.join(PROGRAMS)}")
                _need_mapping(file, f"{key}.periods.{setting}.{program}", dated)
    for family, codes in (data.get("claim_codes") or {}).items():
        if not isinstance(codes, list) or not codes:
            raise RulesError(file, f"claim_codes.{family}", "must be a list of procedure codes")
    fee_dir = data.get("fee_schedules")
    if fee_dir is not None:
        path = (file.parent / str(fee_dir)).resolve()
        if not path.is_dir():
            raise RulesError(file, "fee_schedules", f"folder {path} does not exist")
        data = {**data, "fee_schedules": path}
    return {**data, "code_sets": code_sets} if code_sets else data


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


def _lower_names(names: dict) -> dict:
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


# --- resolving classes and flattening periods -------------------------------------------------


def _resolve_class(name: str, classes: dict, origin, seen: tuple = ()) -> dict:
    """A class with everything it inherits through `extends` filled in."""
    cls = classes[name]
    parent = cls.get("extends")
    if parent is None:
        return cls
    key = f"payer_classes.{name}.extends"
    if parent not in classes:
        raise RulesError(origin(key), key, f"no payer class named {parent!r}")
    if parent in seen:
        raise RulesError(origin(key), key, f"circular: {' -> '.join(seen + (name, parent))}")
    return _merge_class(_resolve_class(parent, classes, origin, seen + (name,)), {**cls, "extends": None})


def _period_starts(file, key: str, dated: dict, settings: dict, code_sets: dict, program: str) -> list[tuple[date, str | None]]:
    """{date or date-setting name: code set or null} -> [(first day, code set)] in date order."""
    starts = []
    for when, code_set in dated.items():
        at = _as_date(when)
        if at is None and isinstance(when, str) and when in DATE_SETTINGS:
            at = _as_date(settings.get(when))
        at = _month_start(file, f"{key}.{when}", at if at is not None else when)
        if code_set is not None:
            if code_set not in code_sets:
                raise RulesError(file, f"{key}.{when}", f"no code set named {code_set!r}; known: {', '.join(code_sets)}")
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
    dated = sorted(((_as_date(k), v) for k, v in (cls.get("settings_from") or {}).items()), key=lambda x: x[0])
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


def _check_merged(rules: dict, origin) -> None:
    """Cross-references: every name used is defined, every code set's codes are recognised."""
    classes = rules.get("payer_classes") or {}
    if not classes:
        raise RulesError(origin("payer_classes"), "payer_classes", "no payer class is defined")
    default = rules.get("default_payer_class")
    if default not in classes:
        raise RulesError(origin("default_payer_class"), "default_payer_class", f"no payer class named {default!r}")
    for name, cls in rules["payer_names"].items():
        if cls not in classes:
            raise RulesError(origin("payer_names"), f"payer_names.{name}", f"no payer class named {cls!r}; known: {', '.join(classes)}")
    missing = [k for k in SETTING_CHECKS if k not in rules["settings"]]
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
        for tier in TIER_KEYS:
            if tier in cs and cs[tier]["code"] not in known:
                key = f"code_sets.{name}.{tier}.code"
                raise RulesError(origin(key), key, f"{cs[tier]['code']} is not listed in claim_codes.{cs['program']}")


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise RulesError(path, "", f"cannot be read ({e.strerror})") from None
    try:
        return _check_file(path, yaml.safe_load(text))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise RulesError(path, where, f"not valid YAML: {problem}") from None


def _has_key(data: dict, dotted: str) -> bool:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in {str(k) for k in node}:
            return False
        node = next(v for k, v in node.items() if str(k) == part)
    return True


DEFAULT_RULES = Path(str(resources.files("bcm_analytics.config").joinpath("rulesets/default.yaml")))
DEFAULT_FEES = Path(str(resources.files("bcm_analytics.config").joinpath("fee_schedules")))


def load_rules(path: str | Path | None = None) -> Rules:
    """The shipped ruleset, with a program's file (`path`, else $BCM_RULES) merged over it."""
    path = path or os.environ.get(RULES_ENV) or None
    base = _read_yaml(DEFAULT_RULES)
    over = _read_yaml(Path(path)) if path else {}
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
        claim_codes={k: [str(c).upper() for c in v] for k, v in merged["claim_codes"].items()},
        class_parents={name: merged["payer_classes"][name].get("extends") for name in classes},
        periods=pa.Table.from_pylist(rows, schema=PERIOD_SCHEMA),
        fee_dirs=(DEFAULT_FEES,) + ((over["fee_schedules"],) if "fee_schedules" in over else ()),
    )


def as_rules(rules: Rules | str | Path | None) -> Rules:
    """Accept a loaded ruleset, a path to a program's file, or None (defaults and $BCM_RULES)."""
    return rules if isinstance(rules, Rules) else load_rules(rules)
