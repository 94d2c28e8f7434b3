"""Run-time settings, read from the environment so scripts and CI can set them without flags.

BCM_DB        the DuckDB file (default ./bcm.duckdb): an embedded file, nothing to start
BCM_TIMEZONE  the program's time zone for clinics that name none (default America/New_York);
              months are assigned in local time, never in UTC
BCM_MEMORY_LIMIT  how much memory DuckDB may use before it spills to disk (default 1.5GB), so
              a 10-million-row export runs in bounded memory on a small machine: the whole
              10M-row load peaks at 1.7 GiB of process memory with it
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "bcm.duckdb"
DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_MEMORY_LIMIT = "1.5GB"


def default_db_path() -> Path:
    return Path(os.environ.get("BCM_DB", DEFAULT_DB))


def default_timezone() -> str:
    return os.environ.get("BCM_TIMEZONE", DEFAULT_TIMEZONE)


def memory_limit() -> str:
    return os.environ.get("BCM_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
