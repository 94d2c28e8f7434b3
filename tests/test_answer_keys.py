"""The synthetic program's answer keys, against the billing engine and the loader.

The generator knows, for every patient-month with a time-log entry, how many minutes count under
the default rules (_answer_key/countable_minutes.csv), which rows it broke on purpose
(dirty_rows.csv) and which rows it exported twice (planted_traps.csv, exact_duplicate). A small
program loaded as a user loads it must give exactly those: the engine's countable minutes per
patient-month, a quarantine holding the broken rows and nothing else, and duplicates counted.
test_synthetic.py checks the keys against the CSVs; this checks the code against the keys.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import generated

from bcm_analytics.billing import countable_minutes, load_rules
from bcm_analytics.ingest import FileResult


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """150 patients over 8 months across a new year, loaded into a new store."""
    exports, con, results = generated(tmp_path_factory.mktemp("answer_keys"), patients=150, months=8, start="2024-11", seed=5)
    yield exports, con, results
    con.close()


def key(exports: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(exports / "_answer_key" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_countable_minutes_per_patient_month_are_the_answer_key(program):
    exports, con, _ = program
    expected = key(exports, "countable_minutes").astype({"countable_minutes": float})
    first, last = expected.service_month.min(), expected.service_month.max()
    engine = countable_minutes(con, first, last, load_rules(exports / "program_rules.yaml"))
    both = expected.merge(engine, on=["patient_id", "service_month"], how="outer", suffixes=("_key", "_engine"), indicator=True)
    assert (both._merge == "both").all(), both[both._merge != "both"][["patient_id", "service_month", "_merge"]]
    differ = both[both.countable_minutes_key != both.countable_minutes_engine]
    assert differ.empty, differ[["patient_id", "service_month", "countable_minutes_key", "countable_minutes_engine"]]
    assert len(both) > 300 and (both.countable_minutes_key > 0).mean() > 0.8


def test_the_quarantine_holds_exactly_the_broken_rows(program):
    exports, con, _ = program
    dirty = key(exports, "dirty_rows").astype({"line": int})
    assert set(dirty.expected_outcome) == {"quarantine"}
    held = con.sql("SELECT source_file, line_number, reason, status FROM meta.quarantine").df()
    held["file"] = held.source_file.map(lambda f: Path(f).name)
    rows = dirty.merge(held, left_on=["file", "line"], right_on=["file", "line_number"], how="outer", indicator=True)
    assert (rows._merge == "both").all(), rows[rows._merge != "both"][["file", "line", "line_number", "problem", "reason"]]
    unnamed = rows[[column not in reason for column, reason in zip(rows.column, rows.reason)]]
    assert unnamed.empty, f"the reason names the broken column: {unnamed[['file', 'line', 'column', 'reason']].to_dict('records')}"
    waits = rows.status == "waiting"
    assert (waits == (rows.problem == "unknown_patient")).all(), "only a row whose patient may come later waits"
    assert len(rows) >= 15 and dirty.file.nunique() == 4


def test_each_file_adds_up_with_the_planted_duplicates(program):
    exports, _, results = program
    dirty = key(exports, "dirty_rows")
    twice = key(exports, "planted_traps").query("trap == 'exact_duplicate'")
    assert len(twice) > 0
    for name in ("clinics.csv", "patients.csv", "time_logs.csv", "assessments.csv"):
        result = results[name]
        assert isinstance(result, FileResult), f"{name}: {result}"
        assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate, name
        assert result.rows_quarantined == (dirty.file == name).sum(), name
        assert result.rows_duplicate == (twice.file == name).sum(), name
