"""Shared fixtures: a fresh store per test, and a way to load small hand-written tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bcm_analytics.ingest import LoadOptions, load_file
from bcm_analytics.warehouse import connect


def generated(folder: Path, **program) -> tuple[Path, object, dict]:
    """A synthetic program (generate_program's arguments) written to folder/exports and loaded into
    a new store folder/program.duckdb: (exports, connection, load results by file name)."""
    from bcm_analytics.ingest import load_paths
    from bcm_analytics.synthetic import generate_program

    exports = folder / "exports"
    generate_program(exports, **program)
    con = connect(folder / "program.duckdb", timezone="America/New_York")
    return exports, con, {path.name: result for path, result in load_paths(con, [exports])}


@pytest.fixture
def store(tmp_path):
    """An empty DuckDB store in a temp folder (program time zone America/New_York)."""
    con = connect(tmp_path / "test.duckdb", timezone="America/New_York")
    yield con
    con.close()


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write rows (dicts; the first row's keys are the header) as a CSV export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def load_rows(store, tmp_path):
    """load_rows("time_logs", [{...}, ...]) writes a CSV export and loads it into `store`."""
    counter = iter(range(10_000))

    def _load(table: str, rows: list[dict], **options):
        """`options`: LoadOptions fields (coverage_file="additions")."""
        path = write_csv(tmp_path / "exports" / f"{table}_{next(counter)}.csv", rows)
        return load_file(store, path, options=LoadOptions(**options))

    return _load
