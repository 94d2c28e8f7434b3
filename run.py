#!/usr/bin/env python3
"""Set up and run bcm-analytics in one command, on any machine with Python 3.11+.

    python3 run.py demo     # create .venv, install pinned dependencies, run `bcm demo`
    python3 run.py test     # the same set-up with test extras, then run pytest (a worker per core, up to 4)
    python3 run.py bcm ...  # any bcm command inside the project's environment, run where you are

The virtual environment is created once and re-installed only when pyproject.toml or
constraints.txt change, so the second run starts at once. Extra arguments pass through.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the package with its pinned dependencies, when needed."""
    stamp_file = VENV / ".bcm-installed"
    if stamp_file.exists() and stamp_file.read_text() == _stamp():
        return
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing pinned dependencies (about a minute the first time) ...", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"],
        check=True,
    )
    stamp_file.write_text(_stamp())


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        sys.exit(f"bcm-analytics needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not argv or argv[0] not in ("demo", "test", "bcm"):
        sys.exit(__doc__)
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":  # test files spread over the cores, each file's tests in one worker (its module fixtures built once)
        return subprocess.call([str(BIN / "pytest"), "-n", "auto", "--maxprocesses", "4", "--dist", "loadfile", *rest], cwd=ROOT)
    if command == "demo":
        return subprocess.call([str(BIN / "bcm"), "demo", *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "bcm"), *rest])  # relative paths are the caller's, as for any command


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
