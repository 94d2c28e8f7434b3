"""Rows handed to the loader in memory (a profile's or the Excel reader's output) load like a file:
the same contracts, quarantine with the source's lines and records, provenance, idempotency and
a summary that adds up."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hostile.helpers import fingerprint, write

from bcm_analytics.ingest import ArrowSource, FileRefused, load_file

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n"


def source(rows: dict, *, table: str = "time_logs", sha: str = "abc123", path: str = "/exports/akello_log.json") -> ArrowSource:
    return ArrowSource(rows=pa.table(rows), path=Path(path), sha256=sha, table=table, format="akello")


def time_logs(lines: list[int], entries: list[str], patients: list[str], minutes: list[str], records: list[dict] | None = None) -> dict:
    n = len(lines)
    rows = {
        "entry_id": entries, "patient_id": patients, "staff_role": ["bhcm"] * n, "service_date": ["2025-02-03"] * n,
        "minutes": minutes, "activity_type": ["outreach"] * n, "_line": pa.array(lines, pa.int64()),
    }
    if records is not None:
        rows["_record"] = [json.dumps(r) for r in records]
    return rows


def test_in_memory_rows_go_through_contracts_quarantine_and_provenance(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    records = [{"id": 11, "mins": "30"}, {"id": 12, "mins": "abc"}, {"id": 13, "mins": "20"}, {"id": 14, "mins": "30"}]
    rows = time_logs([5, 9, 14, 20], ["E1", "E2", "E3", "E1"], ["P1", "P1", "P9", "P1"], ["30", "abc", "20", "30"], records)
    result = load_file(store, source(rows))

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate, result.rows_waiting) == (4, 1, 2, 1, 1)
    assert result.adds_up and result.table == "time_logs"
    assert store.execute("SELECT entry_id, _line, _source_file, _load_id FROM staging.time_logs").fetchall() == [
        ("E1", 5, "/exports/akello_log.json", result.load_id)
    ]
    quarantined = store.execute(
        "SELECT line_number, status, failed_checks, source_file, CAST(record AS VARCHAR) FROM meta.quarantine ORDER BY line_number"
    ).fetchall()
    assert [q[:4] for q in quarantined] == [
        (9, "open", ["minutes readable as number"], "/exports/akello_log.json"),
        (14, "waiting", ["patient known"], "/exports/akello_log.json"),
    ]
    assert [json.loads(q[4]) for q in quarantined] == [records[1], records[2]]  # the source record, not the canonical one
    assert store.execute("SELECT file_hash, file_format, rows_read FROM meta.load_log WHERE table_name = 'time_logs'").fetchall() == [
        ("abc123", "akello", 4)
    ]
    assert store.execute("SELECT count(*) FROM raw.time_logs WHERE _file_hash = 'abc123'").fetchall() == [(4,)]


def test_the_same_hash_again_is_already_loaded(store, tmp_path):
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    rows = time_logs([2], ["E1"], ["P1"], ["30"])
    first = load_file(store, source(rows))
    before = fingerprint(store)
    again = load_file(store, source(rows, path="/elsewhere/copy.json"))
    assert again.already_loaded and again.load_id == first.load_id and again.rows_duplicate == 1
    assert fingerprint(store) == before


def test_a_waiting_row_with_a_source_record_is_admitted_when_its_patient_arrives(store, tmp_path):
    rows = time_logs([7], ["E1"], ["P1"], ["30"], [{"id": 70, "patient": "P1"}])
    first = load_file(store, source(rows))
    assert first.rows_waiting == 1
    patients = load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    assert patients.rows_admitted == 1
    assert store.execute("SELECT entry_id, minutes, _line FROM staging.time_logs").fetchall() == [("E1", 30.0, 7)]
    assert store.execute("SELECT status FROM meta.quarantine").fetchall() == [("admitted",)]


def test_a_source_without_a_required_column_is_refused_whole(store):
    rows = time_logs([2], ["E1"], ["P1"], ["30"])
    del rows["minutes"]
    before = fingerprint(store)
    with pytest.raises(FileRefused) as refused:
        load_file(store, source(rows))
    assert "missing required column minutes for time_logs" in refused.value.problem
    assert fingerprint(store) == before


@pytest.mark.parametrize(
    "lines, problem",
    [(None, "no _line column"), ([2, 2], "_line repeats"), ([2, None], "have no _line")],
)
def test_rows_without_usable_line_numbers_are_refused(store, lines, problem):
    rows = time_logs([2, 3], ["E1", "E2"], ["P1", "P1"], ["30", "30"])
    if lines is None:
        del rows["_line"]
    else:
        rows["_line"] = pa.array(lines, pa.int64())
    with pytest.raises(FileRefused) as refused:
        load_file(store, source(rows))
    assert problem in refused.value.problem
