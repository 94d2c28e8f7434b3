"""The `bcm` command line. Each area keeps its commands in a module of this package."""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from bcm_analytics import __version__
from bcm_analytics.cli.errors import Boundary, quiet_cleanup

# Each command and the module of this package that defines it.
COMMANDS = {
    "generate": "data", "load": "data", "quarantine": "data", "warnings": "data", "changes": "data", "build": "build", "compact": "build", "report": "reports",
    "demo": "reports", "validate": "validate", "outcomes": "outcomes", "billing": "billing",
    "reconcile": "billing", "profile": "profile", "audit": "audit", "rules": "rules",
}


class Commands(Boundary):
    """The `bcm` group, importing a command's module only when that command runs: `bcm load` or
    `bcm --version` need not import what the reports and great-expectations pull in (startup was
    1.7 s of every command when all were imported)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        return getattr(importlib.import_module(f"bcm_analytics.cli.{module}"), name) if module else None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
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


class ReaderMayLeave:
    """Standard output that lets the work finish when its reader leaves (`bcm load ... | head -1`).

    What is written after the pipe closed goes nowhere and the exit status is the work's. Python
    ignores SIGPIPE, so without this the first line printed after `head` exited raised
    BrokenPipeError in the middle of a multi-file load, leaving later files unloaded."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_nowhere()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_nowhere()

    def _to_nowhere(self) -> None:
        """Point the descriptor at /dev/null, so what is still buffered (and the interpreter's last
        flush) has somewhere to go."""
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, self._stream.fileno())
        os.close(nowhere)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main() -> None:
    quiet_cleanup()
    sys.stdout = ReaderMayLeave(sys.stdout)
    if sys.stderr.isatty():  # say so while waiting for a busy store (scripts get only the outcome)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("bcm_analytics").addHandler(handler)
        logging.getLogger("bcm_analytics").setLevel(logging.INFO)
    cli(prog_name="bcm")
