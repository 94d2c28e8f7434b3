"""The `bcm` command line. Each area keeps its commands in a module of this package."""

from __future__ import annotations

import click

from bcm_analytics import __version__
from bcm_analytics.cli.audit import audit
from bcm_analytics.cli.billing import billing, reconcile
from bcm_analytics.cli.data import generate, load, quarantine
from bcm_analytics.cli.marts import build
from bcm_analytics.cli.outcomes import outcomes
from bcm_analytics.cli.profile import profile
from bcm_analytics.cli.reports import demo, report
from bcm_analytics.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bcm")
def cli() -> None:
    """Analytics for collaborative-care (CoCM) behavioral health programs.

    Load registry/EHR exports into a DuckDB file, check them against the data contracts,
    compute billing lines and outcomes, and render reports. Try `bcm demo`.
    """
    from bcm_analytics.config.settings import SettingsError, load_settings

    try:
        load_settings()  # a misspelled or wrong BCM_* variable is one line, before any default is read
    except SettingsError as e:
        raise click.ClickException(str(e)) from None


for command in (generate, load, build, quarantine, report, demo, validate, outcomes, billing, reconcile, profile, audit):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="bcm")
