"""Options shared by several commands, so they read the same everywhere."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from bcm_analytics.config import settings as config

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: str(config.default_db_path()),
    show_default="$BCM_DB or ./bcm.duckdb",
    help="The DuckDB store file.",
)

timezone_option = click.option(
    "--timezone",
    default=lambda: config.default_timezone(),
    show_default="$BCM_TIMEZONE or America/New_York",
    help="Program time zone for clinics that name none.",
)


def fail(message: str) -> None:
    """Exit non-zero with one line, no traceback."""
    raise click.ClickException(message)


def require_store(db: Path) -> None:
    """Exit with one line saying how to create the store, when there is none at `db`."""
    if not Path(db).exists():
        fail(f"no store at {db}; create one with `bcm load PATH --db {db}` (or `bcm demo`)")


def open_store(db: Path):
    """Open an existing store read-only (commands that only read never create a file)."""
    from bcm_analytics.warehouse import connect

    require_store(db)
    return connect(db, read_only=True)


MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def check_month(ctx, param, value: str | None) -> str | None:
    """Option callback: a month YYYY-MM, or a usage error naming the option (never a traceback)."""
    if value is not None and not MONTH.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a month YYYY-MM")
    return value


def check_date(ctx, param, value: str | None) -> str | None:
    """Option callback: a real calendar date YYYY-MM-DD."""
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None
    return value
