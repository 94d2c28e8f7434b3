"""Validation results without identifiers: value sets of ids, unexpected-value lists and examples
of identifier, date and free-text columns leave every saved result (the store, `bcm validate
--out`, the demo's reports/data_contracts_result.json); the counts stay."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hardening_stores import bcm, write_exports

from bcm_analytics.warehouse import connect

PROBLEMS = {
    # a second copy of E1 under another id: "no entry logged twice" (a table check listing patient values)
    "time_logs_again.csv": (
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"
        "E9,P0000001,S1,bhcm,2025-01-06,40,assessment\n"
    ),
    # two PHQ-9 scores on one day without times: "one score per instrument per day" returns patient and date
    "assessments_again.csv": (
        "assessment_id,patient_id,instrument,administered_on,total_score\nA9,P0000001,PHQ-9,2025-01-06,12\n"
    ),
}


def identifiers(db: Path) -> list[str]:
    """Every value that points at a patient or a row of one: ids, birth dates, dates of care."""
    con = connect(db, read_only=True)
    try:
        rows = con.execute("""
            SELECT patient_id FROM staging.patients UNION SELECT CAST(birth_date AS VARCHAR) FROM staging.patients
            UNION SELECT entry_id FROM staging.time_logs UNION SELECT assessment_id FROM staging.assessments
            UNION SELECT patient_id FROM staging.time_logs UNION SELECT CAST(administered_on AS VARCHAR) FROM core.assessments
        """).fetchall()
    finally:
        con.close()
    return sorted({str(v) for (v,) in rows if v is not None})


def saved_results(db: Path) -> str:
    con = connect(db, read_only=True)
    try:
        runs = con.execute("SELECT CAST(gx_result AS VARCHAR) FROM meta.validation_runs").fetchall()
        examples = con.execute("SELECT CAST(examples AS VARCHAR) FROM meta.validation_results").fetchall()
    finally:
        con.close()
    return "\n".join(str(v) for (v,) in runs + examples if v)


def found(ids: list[str], text: str) -> list[str]:
    return [i for i in ids if f'"{i}' in text or f"'{i}" in text or i in text.replace('"', " ").split()]


@pytest.fixture
def db(tmp_path):
    exports = write_exports(tmp_path / "exports")
    for name, text in PROBLEMS.items():
        (exports / name).write_text(text)
    db = tmp_path / "s.duckdb"
    assert bcm("load", exports, "--db", db).exit_code in (0, 1)
    con = connect(db)  # a time log for a patient nobody exported, written around the loader
    con.execute("INSERT INTO staging.time_logs (entry_id, patient_id, staff_role, service_date_local, minutes, activity_type, _line)"
                " VALUES ('E404', 'P0000404', 'bhcm', '2025-01-08', 20, 'outreach', 99)")
    con.close()
    return db


def test_no_identifier_in_the_saved_result_and_the_counts_stay(db, tmp_path):
    out = tmp_path / "result.json"
    result = bcm("validate", "--db", db, "--sample", "1000", "--out", out)
    assert "reject time_logs: patient known: 1 rows" in result.output
    ids = identifiers(db) + ["P0000404", "E404"]
    assert "P0000001" in ids and "1950-02-03" in ids and "E9" in ids
    text = out.read_text()
    assert found(ids, text) == [], "an identifier in bcm validate --out"
    assert found(ids, saved_results(db)) == [], "an identifier in meta.validation_runs / meta.validation_results"
    document = json.loads(text)
    by_name = {(o["engine"], o["table"], o["name"]): o for o in document["outcomes"]}
    assert by_name[("duckdb", "time_logs", "patient known")]["unexpected"] == 1
    assert by_name[("great_expectations", "time_logs", "patient known")]["unexpected"] == 1
    assert by_name[("duckdb", "time_logs", "no entry logged twice")]["unexpected"] >= 1
    examples = by_name[("duckdb", "time_logs", "no entry logged twice")]["examples"]
    assert examples and all(set(e) <= {"_source_file", "_line"} for e in examples), "file and line find the row"
    same_day = by_name[("duckdb", "assessments", "one score per instrument per day")]
    assert same_day["unexpected"] == 1 and same_day["examples"] == [{"instrument": "PHQ-9", "scores": 2}], "no patient, date or score"
    known = next(r for r in document["great_expectations"]["time_logs"]["results"]
                 if r["expectation_config"]["meta"]["name"] == "patient known")
    assert known["expectation_config"]["kwargs"]["value_set"] == {"$PARAMETER": "known_patient_ids", "values": 2}
    assert known["result"]["unexpected_count"] == 1 and "partial_unexpected_list" not in known["result"]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_an_exception_message_in_a_result_loses_its_values():
    from bcm_analytics.contracts.gx_run import without_values

    result = {"results": [{"expectation_config": {"type": "expect_column_values_to_be_in_set", "meta": {"name": "x"},
                                                  "kwargs": {"column": "patient_id", "value_set": ["P0000001"]}},
                           "result": {"observed_value": "1950-02-03", "element_count": 3, "partial_unexpected_list": ["P0000001"],
                                      "details": {"value_counts": [{"value": "P0000001", "count": 1}]}},
                           "exception_info": {"raised_exception": True, "exception_message": "bad value 'P0000001'",
                                              "exception_traceback": "Traceback ..."}}]}
    text = json.dumps(without_values("patients", result))
    assert "P0000001" not in text and "1950" not in text and '"element_count": 3' in text


@pytest.mark.slow
def test_the_demos_saved_result_and_files_hold_no_patient_id_and_are_private(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = bcm("demo", "--patients", "60", "--months", "6", "--seed", "5")
    assert result.exit_code == 0, result.output
    db, reports = tmp_path / "demo.duckdb", tmp_path / "reports"
    ids = identifiers(db)
    assert len([i for i in ids if i.startswith("P")]) >= 60
    saved = (reports / "data_contracts_result.json").read_text()
    assert found(ids, saved) == []
    assert found(ids, saved_results(db)) == []
    for path in [db, *reports.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(reports.stat().st_mode) == 0o700
