"""The package contains itself: the built wheel carries the export format, the suites, the rules
and the report notebooks, installs into a clean virtual environment, and `bcm demo` works there
in an empty folder outside the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAPPED = PYPROJECT["tool"]["setuptools"]["package-dir"]  # package -> folder outside bcm_analytics/
BUILD_INPUTS = ["pyproject.toml", "README.md", "LICENSE", "bcm_analytics", *MAPPED.values()]
REPORTS = [
    "data_quality.html", "program_overview.html", "billing_reconciliation.html", "billing_reconciliation.xlsx",
    "caseload_outcomes.html", "care_team_worklists.xlsx", "data_contracts_result.json", "time_allocation.html",
    *(f"{name}_external.html" for name in ("program_overview", "billing_reconciliation", "caseload_outcomes", "time_allocation")),
]
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def source_folders() -> dict[str, Path]:
    """Every package of the source tree and its folder: bcm_analytics's own, then the mapped ones."""
    found = {".".join(p.parent.relative_to(ROOT).parts): p.parent for p in (ROOT / "bcm_analytics").rglob("__init__.py")}
    return found | {package: ROOT / folder for package, folder in MAPPED.items()}


def expected_in_wheel() -> set[str]:
    """Each file of bcm_analytics/ and of the mapped folders, named where the wheel puts it."""
    folders = {"bcm_analytics": ROOT / "bcm_analytics"} | {package: ROOT / folder for package, folder in MAPPED.items()}
    return {
        "/".join([*package.split("."), *path.relative_to(folder).parts])
        for package, folder in folders.items() for path in folder.rglob("*")
        if path.is_file() and not {"__pycache__", ".ipynb_checkpoints"} & set(path.parts)
    }


def test_every_package_is_listed_in_pyproject():
    """setuptools finds no packages by itself here (two live outside bcm_analytics/): a new one is listed by hand."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    missing, stale = set(source_folders()) - listed, listed - set(source_folders())
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert not stale, f"{sorted(stale)} listed in pyproject.toml but not in the source tree"


# developer scripts that write pages of the repository's docs/ (not package data): run from a checkout
DOC_WRITERS = {"bcm_analytics/ingest/profiles/docs.py"}


def test_package_data_is_read_through_the_package_not_the_source_tree():
    """A path relative to the repository (parents[2] / "notebooks") breaks in an installed wheel."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "bcm_analytics").rglob("*.py")
        if str(path.relative_to(ROOT)) not in DOC_WRITERS
        for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"__file__|parents\[", line)
    ]
    assert not offenders, f"use importlib.resources: {offenders}"


def test_the_mapped_folders_are_what_the_library_reads():
    from bcm_analytics.reports.runner import NOTEBOOKS_DIR, available_reports
    from bcm_analytics.warehouse.store import CONTRACTS_DIR

    assert Path(str(CONTRACTS_DIR)).resolve() == (ROOT / "data_contracts").resolve()
    assert Path(str(NOTEBOOKS_DIR)).resolve() == (ROOT / "notebooks").resolve()
    assert available_reports() == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def clean_environment() -> dict[str, str]:
    """This process's environment without what would point bcm back at the repository or its store."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("BCM_")}


def run(args: list, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=clean_environment(), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_the_wheel_installs_into_a_clean_environment_and_runs_the_demo(tmp_path):
    """Build the wheel with build isolation from a copy of the sources, install it with the pinned
    versions into a new virtual environment, and run `bcm demo` in an empty folder."""
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=JUNK)
        else:
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", tmp_path / "dist", source],
        tmp_path, 600)
    (wheel,) = (tmp_path / "dist").glob("bcm_analytics-*.whl")
    in_wheel = {name for name in zipfile.ZipFile(wheel).namelist() if not name.startswith("bcm_analytics-")}
    assert in_wheel == expected_in_wheel()
    assert f"bcm_analytics-{wheel.name.split('-')[1]}.dist-info/licenses/LICENSE" in zipfile.ZipFile(wheel).namelist()

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    try:
        check_installed(env, wheel, tmp_path)
    finally:
        shutil.rmtree(env, ignore_errors=True)  # about 1 GB


def check_installed(env: Path, wheel: Path, tmp_path: Path) -> None:
    """Install the wheel with the pinned versions, then `bcm demo` in an empty folder."""
    python, bcm = env / "bin" / "python", env / "bin" / "bcm"
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-compile",
         "-c", ROOT / "constraints.txt", wheel], tmp_path, 1500)
    empty = tmp_path / "empty"
    empty.mkdir()
    where = run([python, "-c", "import bcm_analytics.notebooks as n; print(n.__file__)"], empty, 60).stdout
    assert Path(where.strip()).is_relative_to(env), "the installed package, not the repository"

    result = run([bcm, "demo", "--patients", "60", "--months", "6"], empty, 1500)
    for name in REPORTS:
        path = empty / "reports" / name
        assert path.exists() and path.stat().st_size > 0, f"{name} missing:\n{result.stdout[-3000:]}"
        assert str(path.resolve()) in result.stdout
    assert (empty / "demo.duckdb").exists() and (empty / "demo_data" / "time_logs.csv").exists()
    assert "Billing reconciliation" in (empty / "reports" / "billing_reconciliation.html").read_text()
