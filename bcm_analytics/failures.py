"""Failures of the machine, not of the data or the code: DuckDB out of memory, a full disk, Ctrl-C.

Each command says them in one line of what to do (raise BCM_MEMORY_LIMIT, free some space, run it
again), never as a file's refusal or a bug in bcm: a load stops on them where it went on without
the file (ingest.loader), and a report's cell that meets one keeps no run (reports.runner).
"""

from __future__ import annotations

# How DuckDB and the system word a full disk or a quota reached, in the errors they raise
NO_SPACE_SIGNS = ("No space left on device", "File too large", "Disk quota exceeded")


def no_space(message: str) -> bool:
    return any(sign in message for sign in NO_SPACE_SIGNS)


def machine_failure(kind: str, message: str) -> str | None:
    """'memory', 'space' or 'interrupted' for such a failure, else None. `kind`: the exception's
    class name (a report's cell gives only that and its message)."""
    if kind == "OutOfMemoryException":
        return "memory"
    if kind == "IOException" and no_space(message):
        return "space"
    if kind in ("InterruptException", "KeyboardInterrupt"):
        return "interrupted"
    return None
