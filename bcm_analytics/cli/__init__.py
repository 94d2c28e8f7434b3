"""The `bcm` command line. Each area keeps its commands in a module of this package."""

from __future__ import annotations

import logging
import sys

import click

from bcm_analytics import __version__
from bcm_analytics.cli.audit import audit
from bcm_analytics.cli.billing import billing, reconcile
from bcm_analytics.cli.data import generate, load, quarantine
from bcm_analytics.cli.errors import Boundary, quiet_cleanup
from bcm_analytics.cli.marts import build
from bcm_analytics.cli.outcomes import outcomes
from bcm_analytics.cli.profile import profile
from bcm_analytics.cli.reports import demo, report
from bcm_analytics.cli.validate import validate


@click.group(cls=Boundary, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bcm")
def cli() -> None:
    """Analytics for collaborative-care (CoCM) behavioral health programs.

    Load registry/EHR exports into a DuckDB file, check them against the data contracts,
    compute billing lines and outcomes, and render reports. Try `bcm demo`.

    What bcm writes is private (files 0600, folders 0700); a failure is one line saying
    which file and what to do.
    """
    from bcm_analytics.config.settings import SettingsError, load_settings

    try:
        load_settings()  # a misspelled or wrong BCM_* variable is one line, before any default is read
    except SettingsError as e:
        raise click.ClickException(str(e)) from None


for command in (generate, load, build, quarantine, report, demo, validate, outcomes, billing, reconcile, profile, audit):
    cli.add_command(command)


def main() -> None:
    quiet_cleanup()
    if sys.stderr.isatty():  # say so while waiting for a busy store (scripts get only the outcome)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("bcm_analytics").addHandler(handler)
        logging.getLogger("bcm_analytics").setLevel(logging.INFO)
    cli(prog_name="bcm")
