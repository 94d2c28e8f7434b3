"""Options shared by several commands, so they read the same everywhere."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import click

from bcm_analytics.config import settings as config
from bcm_analytics.months import starts_after_end


def remember_db(ctx: click.Context, param, value):
    """The error boundary names the store in its one line."""
    ctx.meta["bcm.db"] = str(value) if value is not None else None
    return value


def _set_wait(ctx: click.Context, param, value: float | None):
    """--wait goes to the environment, so the report kernels papermill starts wait as long."""
    if value is not None:
        os.environ["BCM_WAIT"] = f"{value:g}"
    return value


wait_option = click.option(
    "--wait", type=click.FloatRange(min=0), expose_value=False, callback=_set_wait, metavar="SECONDS",
    show_default="$BCM_WAIT or 30", help="How long to wait for a store another process is using.",
)


def db_option(command):
    """--db STORE, and --wait SECONDS for a store another process is writing."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, readable=False, path_type=Path),  # the store check says it better
        default=lambda: str(config.default_db_path()),
        show_default="$BCM_DB or ./bcm.duckdb",
        callback=remember_db,
        help="The DuckDB store file.",
    )(wait_option(command))


def cell_size_words() -> str:
    """The cell-size rule as help text names it: the setting, and its range in the packaged
    definitions read from that file. Help that wrote the range out beside the setting went stale with
    definitions.yaml, and a report follows its store's range, which a program may have changed."""
    from bcm_analytics.config.definitions import packaged_threshold

    return "the definitions' suppression.threshold, {}-{} as packaged".format(*packaged_threshold())


def cell_size_help(command):
    """Put cell_size_words() in a command's docstring (its --help) where it says {cell_size}; the
    innermost decorator, so click reads the docstring filled in."""
    command.__doc__ = command.__doc__.replace("{cell_size}", cell_size_words())
    return command


share_option = click.option(
    "--share", is_flag=True, default=lambda: config.share_aggregates(), show_default="$BCM_SHARE",
    help="Write aggregate outputs (external reports, suppressed measures) with your umask instead of 0600. "
         "Patient-level outputs stay private.",
)

timezone_option = click.option(
    "--timezone",
    default=None,
    show_default="the store's (its first load's), else $BCM_TIMEZONE or America/New_York",
    help="Program time zone for clinics that name none. A store keeps the zone of its first load; "
         "another zone is refused (it would move the months of entries already loaded).",
)


def fail(message: str) -> None:
    """Exit non-zero with one line, no traceback."""
    raise click.ClickException(message)


def require_store(db: Path) -> None:
    """Exit with one line saying how to create the store, when there is none at `db`."""
    if not Path(db).exists():
        fail(f"no store at {db}; create one with `bcm load PATH --db {db}` (or `bcm demo`)")


def open_store(db: Path, timezone: str | None = None):
    """Open an existing store read-only (commands that only read never create a file); a
    `timezone` given that is not the store's is refused (warehouse.store.store_timezone)."""
    from bcm_analytics.warehouse import connect

    require_store(db)
    return connect(db, read_only=True, timezone=timezone)


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


def note_as_of_past_the_data(con, as_of, consequence: str) -> None:
    """An as-of date after the data's last day reads what the export has not reached yet as absent.
    Allowed (a list or report dated at month end), but said, with what it means for the command."""
    from bcm_analytics.models.marts import data_ends_before

    last = data_ends_before(con, as_of)
    if last is not None:
        click.echo(f"note: as of {as_of}, after the data's last day ({last}): {consequence}", err=True)


def warn(sentence: str | None) -> None:
    """A sentence the library writes for a page ("No claim lines are loaded ..."), as a command's
    warning line on stderr; nothing when there is none."""
    if sentence:
        click.echo(f"warning: {sentence[:1].lower()}{sentence[1:]}", err=True)


def month_range(start: str | None, end: str | None, missing: str = "--month YYYY-MM is required") -> tuple[str, str]:
    """--month START and --to END (default START) as a range, or a one-line refusal: `missing` when
    there is no --month, or --to before --month."""
    if start is None:
        fail(missing)
    end = end or start
    if starts_after_end(start, end):
        fail(f"--to {end} is before --month {start}")
    return start, end
