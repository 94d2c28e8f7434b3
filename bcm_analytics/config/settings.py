"""Run-time settings, read from the environment so scripts and CI can set them without flags.

BCM_DB        the DuckDB file (default ./bcm.duckdb): an embedded file, nothing to start
BCM_TIMEZONE  the program's time zone for clinics that name none (default America/New_York);
              months are assigned in local time, never in UTC. A store keeps the zone of its
              first load (meta.store_settings): a later command uses it, and one given another
              zone is refused
BCM_MEMORY_LIMIT  how much memory DuckDB may use before it spills to disk (default 1.5GB), so
              a 10-million-row export runs in bounded memory on a small machine: the whole
              10M-row load peaks at 1.7 GiB of process memory with it
BCM_RULES     the program's billing rules file, merged over the shipped rules (default: none)
BCM_WAIT      seconds a command waits for a store another process is using (default 30)
BCM_SHARE     1: aggregate outputs (external reports, suppressed measures) are written with the
              user's umask instead of 0600; patient-level outputs stay private whatever it says
BCM_LOG_DIR   where an unexpected error's log goes (default ~/.cache/bcm/logs)

Each is checked when read: a time zone that does not exist or a memory limit DuckDB would not
understand is refused in one line naming the variable, before a store is opened. A variable
that looks like a misspelling of one of these (BCM_TIMEZON) is refused naming the right one,
since otherwise the default would be used without a word; so is BCM_DEFINITIONS, which people
set by analogy with BCM_RULES (NOT_READ says where definitions go). Other BCM_ names are left alone.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, ClassVar, Mapping

from pydantic import AfterValidator, Field

from bcm_analytics.config.files import ConfigError, Strict, nearest, validate

DEFAULT_DB = "bcm.duckdb"
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_MEMORY_LIMIT = "1.5GB"
DEFAULT_WAIT = "30"
YES, NO = ("1", "true", "yes"), ("0", "false", "no", "")
SOURCE = "environment"
MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE)


class SettingsError(ConfigError):
    """An environment variable the program cannot use: `environment: BCM_X: problem`."""


def _time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"must be an IANA time zone name such as America/Chicago (got {name!r})") from None
    return name


def _memory(value: str) -> str:
    if not MEMORY.fullmatch(value.strip()):
        raise ValueError(f"must be an amount of memory such as 2GB, 512MB or 80% (got {value!r})")
    if value.strip().endswith("%") and not 0 < float(value.strip()[:-1]) <= 100:
        raise ValueError(f"a share of the computer's memory is more than 0% and at most 100% (got {value!r})")
    return value.strip()


def _seconds(value: str) -> str:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"must be a number of seconds such as 30 (got {value!r})")
    return value.strip()


def _yes_no(value: str) -> str:
    if value.strip().lower() not in YES + NO:
        raise ValueError(f"must be 1 or 0 (got {value!r})")
    return value.strip().lower()


class Settings(Strict):
    """The environment's settings, by variable name."""

    noun: ClassVar[str] = "setting"
    BCM_DB: Annotated[str, Field(min_length=1, description="a file path")] = DEFAULT_DB
    BCM_TIMEZONE: Annotated[str, AfterValidator(_time_zone)] = DEFAULT_TIMEZONE
    BCM_MEMORY_LIMIT: Annotated[str, AfterValidator(_memory)] = DEFAULT_MEMORY_LIMIT
    BCM_RULES: str | None = None


# Names a user sets by analogy with BCM_RULES that bcm does not read: said, not ignored.
NOT_READ = {"BCM_DEFINITIONS": "outcome definitions are not read from the environment: give them to a command with "
                               "--definitions FILE, or make them the store's own with `bcm build --definitions FILE`"}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from `environ` (default os.environ), checked."""
    environ = os.environ if environ is None else environ
    known = list(Settings.model_fields)
    values = {}
    for name, value in environ.items():
        if name in known:
            if value != "":
                values[name] = value
        elif name in NOT_READ and value != "":
            raise SettingsError(SOURCE, name, NOT_READ[name])
        elif name.startswith("BCM_") or name.upper().startswith("BCM"):
            near = nearest(name, known, cutoff=0.8)
            if near and near not in environ:
                raise SettingsError(SOURCE, name, f"unknown setting; did you mean {near}?")
    return validate(Settings, values, SettingsError, lambda loc: SOURCE)


def default_db_path() -> Path:
    return Path(load_settings().BCM_DB)


def chosen_timezone() -> str | None:
    """$BCM_TIMEZONE when it is set (checked), else None: a store keeps the zone of its first
    load, and only a zone someone chose may disagree with it (the default never does)."""
    settings = load_settings()
    return settings.BCM_TIMEZONE if os.environ.get("BCM_TIMEZONE") else None


def memory_limit() -> str:
    return load_settings().BCM_MEMORY_LIMIT


# The hardening settings are read (and checked) where they are used, outside the model above.


def _checked(name: str, default: str, check) -> str:
    text = os.environ.get(name, "").strip() or default
    try:
        return check(text)
    except ValueError as e:
        raise SettingsError(SOURCE, name, str(e)) from None


def wait_seconds() -> float:
    return float(_checked("BCM_WAIT", DEFAULT_WAIT, _seconds))


def share_aggregates() -> bool:
    return _checked("BCM_SHARE", "0", _yes_no) in YES
