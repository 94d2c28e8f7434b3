"""What a failed command says: one line naming the file and what to do, never a traceback.

Every command runs inside `Boundary`, the `bcm` group's class (cli/__init__.py). Failures a user can meet and fix (the
store locked, damaged, not a store; permission denied; a full disk; a bad setting, rules or
definitions file) become that one line. Anything else is a bug in bcm: the user gets one line
with the path of a log file holding the traceback. The log holds code locations, error types and
messages with quoted values and digit runs hidden (redact.py), so no row value is written there.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from datetime import datetime
from pathlib import Path

import click

from bcm_analytics import __version__
from bcm_analytics.redact import scrub

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
OUT_OF_MEMORY = "DuckDB ran out of memory; raise BCM_MEMORY_LIMIT, or free disk space beside the store for it to spill to"
# Ctrl-C inside a DuckDB query (between queries click says "Aborted!"): no bug, and nothing half-done is kept
INTERRUPTED = ("interrupted (Ctrl-C): what the command had finished is kept, a load's files each whole or not at all; "
               "run it again to finish")
DUCKDB_DAMAGED = ("Corrupt database file", "Could not read enough bytes", "not a valid DuckDB database")
QUOTED_PATH = re.compile(r'"(/[^"]+?)\\?"')  # DuckDB's JSON-shaped messages escape the quote: "\"/a/b.csv\""


def out_argument(args: list[str]) -> str | None:
    """The --out a command was given (the file a full disk was stopping when a writer does not say)."""
    for i, arg in enumerate(args):
        if arg == "--out" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--out="):
            return arg.split("=", 1)[1]
    return None


def one_line(error: BaseException, store: str | None, out: str | None = None) -> str:
    """The line for an anticipated failure, else the line pointing at a fresh log file."""
    for e in _chain(error):
        line = _anticipated(e, store, out)
        if line:
            return " ".join(line.split())
    log = write_log(error)
    return (f"unexpected error ({type(error).__name__}), a bug in bcm: the details are in {log}; "
            "please report it with that file (it holds no row values)")


def _chain(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _anticipated(e: BaseException, store: str | None, out: str | None) -> str | None:
    import duckdb
    import yaml

    from bcm_analytics.config.files import ConfigError
    from bcm_analytics.reports.parameters import ParameterError
    from bcm_analytics.reports.runner import ReportError
    from bcm_analytics.warehouse import StoreError

    if isinstance(e, (StoreError, ConfigError, ParameterError)):  # their messages are written as the line
        return str(e)
    if isinstance(e, ReportError):
        return report_failure(e)
    if isinstance(e, OSError) and e.errno is not None:
        return _os_error(e, store, out)
    if isinstance(e, duckdb.InterruptException) or (isinstance(e, RuntimeError) and str(e).startswith("Query interrupted")):
        return INTERRUPTED
    if isinstance(e, duckdb.Error):
        return _duckdb_error(e, store)
    if isinstance(e, yaml.YAMLError):
        mark = getattr(e, "problem_mark", None)
        where = f"{mark.name} line {mark.line + 1}" if mark else "a YAML file"
        return f"{where} is not valid YAML ({getattr(e, 'problem', None) or 'unreadable'}); fix the file or leave it out"
    if isinstance(e, MemoryError):
        return "out of memory; lower BCM_MEMORY_LIMIT so DuckDB spills to disk, or run on a larger machine"
    return None


def _os_error(e: OSError, store: str | None, out: str | None) -> str | None:
    from bcm_analytics import private_files

    name = private_files.final_name(e.filename or private_files.last_output() or out or store or "a file")
    if e.errno in NO_SPACE:
        return f"no space left on the disk to write {name}; free some space and run the command again"
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"{name}: permission denied; fix its permissions or choose a path you may use"
    if e.errno == errno.EROFS:
        return f"{name} is on a read-only file system; choose a writable place"
    if e.errno == errno.EISDIR:
        return f"{name} is a folder; give a file path"
    if e.errno == errno.ENOTDIR:
        return f"{name}: a part of this path is a file, not a folder; check the path"
    if e.errno == errno.ENOENT and e.filename:
        return f"{name}: no such file or folder; check the path"
    if e.filename:
        return f"{name}: {e.strerror}"
    return None


def _duckdb_error(e: BaseException, store: str | None) -> str | None:
    from bcm_analytics import failures, private_files

    text = str(e)
    quoted = QUOTED_PATH.search(text)
    name = private_files.final_name(quoted.group(1)) if quoted else store or "the store"
    if failures.no_space(text):
        return f"no space left on the disk to write {name}; free some space and run the command again"
    if "Permission denied" in text:
        return f"{name}: permission denied; fix its permissions or choose a path you may use"
    if any(sign in text for sign in DUCKDB_DAMAGED):
        return (f"{store or name} is damaged or truncated: DuckDB cannot read it; restore it from a backup, "
                "or load the exports again into a new --db")
    if "Out of Memory" in text:
        return OUT_OF_MEMORY
    return None


def report_failure(error) -> str:
    """A report's failure in one line, values hidden; where its run is kept when a cell failed
    (the hidden values there include the names a fix needs, such as a column's). A cell that ran
    out of memory or disk, or was interrupted, is said as any command says it."""
    machine = getattr(error, "machine", None)
    if machine:
        return {"memory": OUT_OF_MEMORY, "space": "no space left on the disk for the report's work; free some space and "
                "run the command again", "interrupted": INTERRUPTED}[machine]
    line = scrub(str(error))
    kept = getattr(error, "kept", None)
    return f"{line}; the run, with the cell's error in full, is kept privately in {kept}" if kept else line


def write_log(error: BaseException) -> Path:
    """The traceback of an unexpected error, without row values, in a private file."""
    from bcm_analytics import private_files

    lines = [f"bcm {__version__}, Python {sys.version.split()[0]}, {datetime.now():%Y-%m-%d %H:%M:%S}",
             "command: " + " ".join(["bcm", *map(_argument, sys.argv[1:])]), ""]
    for e in reversed(list(_chain(error))):
        lines.append("Traceback (most recent call last):")
        lines += [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {f.line or ""}'
                  for f in traceback.extract_tb(e.__traceback__)]
        lines += [f"{type(e).__module__}.{type(e).__qualname__}: {scrub(str(e))}", ""]
    path = private_files.log_folder() / f"bcm-error-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    return private_files.write_text(path, "\n".join(lines))


def _argument(arg: str) -> str:
    """A command-line argument as the log keeps it: a file that exists as given, else values
    hidden as in messages (`--patient P0000042` names a patient)."""
    return arg if os.path.exists(arg) else scrub(arg)


def quiet_cleanup() -> None:
    """A writer abandoned by a failure (an XlsxWriter zip on a full disk) fails again when it is
    collected, and Python prints that as "Exception ignored ... Traceback". The failure itself
    has been said in one line: such reports are dropped for the rest of the process."""
    sys.unraisablehook = lambda unraisable: None


class Boundary(click.Group):
    """The `bcm` group: each command runs with a private umask and inside the error boundary."""

    def invoke(self, ctx: click.Context):
        from bcm_analytics import private_files
        from bcm_analytics.config import settings as config

        wait = os.environ.get("BCM_WAIT")  # --wait sets it for the report kernels: not beyond this command
        private_files.last_output(forget=True)
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        try:
            with private_files.private_umask():
                line = None
                try:
                    config.wait_seconds(), config.share_aggregates()  # a bad BCM_WAIT / BCM_SHARE: before anything
                    return super().invoke(ctx)
                except click.UsageError as e:
                    e.ctx = None  # one line: the error, without the usage text above it
                    raise
                except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
                    raise
                except Exception as e:  # noqa: BLE001 (the boundary: every failure ends here as one line)
                    line = one_line(e, ctx.meta.get("bcm.db"), out_argument(args))
                raise click.ClickException(line)
        finally:
            if wait is None:
                os.environ.pop("BCM_WAIT", None)
            else:
                os.environ["BCM_WAIT"] = wait
