"""Run-time settings, read from the environment so scripts and CI can set them without flags.

BCM_DB        the DuckDB file (default ./bcm.duckdb): an embedded file, nothing to start
BCM_TIMEZONE  the program's time zone for clinics that name none (default America/New_York);
              months are assigned in local time, never in UTC
BCM_MEMORY_LIMIT  how much memory DuckDB may use before it spills to disk (default 4GB), so
              a 10-million-row export runs in bounded memory on a small machine
BCM_WAIT      seconds a command waits for a store another process is writing (default 30)
BCM_SHARE     1: aggregate outputs (external reports, suppressed measures) are written with the
              user's umask instead of 0600; patient-level outputs stay private whatever it says
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "bcm.duckdb"
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_MEMORY_LIMIT = "4GB"
DEFAULT_WAIT = 30.0


def default_db_path() -> Path:
    return Path(os.environ.get("BCM_DB", DEFAULT_DB))


def default_timezone() -> str:
    return os.environ.get("BCM_TIMEZONE", DEFAULT_TIMEZONE)


def memory_limit() -> str:
    return os.environ.get("BCM_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def wait_seconds() -> float:
    """$BCM_WAIT as seconds; a value that is not a number of seconds is refused, not ignored."""
    text = os.environ.get("BCM_WAIT", "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"BCM_WAIT={text!r} is not a number of seconds")
    return seconds


def share_aggregates() -> bool:
    return os.environ.get("BCM_SHARE", "").strip().lower() in ("1", "true", "yes")
