"""Bad input on purpose: every file of the hostile corpus loads, quarantines or is refused as its manifest says.

The corpus and its manifest are written by tests/hostile/make_corpus.py; the 10 MB field is
written here so it is never committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hostile.helpers import fingerprint

from bcm_analytics.ingest import FileRefused, load_file
from bcm_analytics.warehouse import connect

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST = yaml.safe_load((HOSTILE / "manifest.yaml").read_text())


def ten_megabyte_field(folder: Path) -> Path:
    path = folder / "time_logs_10mb_field.csv"
    note = "x" * 10_000_000
    path.write_text(
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type,note\n"
        f"E1,P1,S1,bhcm,2025-02-03,30,outreach,\"{note}\"\nE2,P1,S1,bhcm,2025-02-04,30,outreach,short\n"
    )
    return path


def source(case: dict, folder: Path) -> Path:
    return globals()[case["generate"]](folder) if "generate" in case else HOSTILE / case["file"]


@pytest.fixture
def con():
    con = connect(":memory:", timezone="America/New_York")
    yield con
    con.close()


@pytest.mark.parametrize("case", MANIFEST["cases"], ids=lambda c: Path(c["file"]).name)
def test_hostile_file(con, tmp_path, case):
    path = source(case, tmp_path)
    if not path.name.startswith("patients"):
        load_file(con, HOSTILE / MANIFEST["base_patients"], table="patients")
    before = fingerprint(con)
    if case["outcome"] == "refused":
        with pytest.raises(FileRefused) as refused:
            load_file(con, path)
        assert case["refused"] in refused.value.problem
        assert "\n" not in str(refused.value) and "Traceback" not in str(refused.value)
        assert fingerprint(con) == before
        return
    result = load_file(con, path)
    got = {"read": result.rows_read, "loaded": result.rows_loaded, "quarantined": result.rows_quarantined, "duplicates": result.rows_duplicate}
    assert got == {k: case[k] for k in got}
    assert result.adds_up
    quarantined = dict(con.execute(
        "SELECT line_number, failed_checks FROM meta.quarantine WHERE load_id = ? ORDER BY line_number", [result.load_id]
    ).fetchall())
    assert quarantined == {int(k): v for k, v in case.get("quarantined_lines", {}).items()}
    assert (case["outcome"] == "quarantined") == bool(quarantined)
    for key, line in case.get("lines", {}).items():
        assert con.execute("SELECT _line FROM staging.time_logs WHERE entry_id = ?", [key]).fetchall() == [(line,)]
    for query, value in case.get("values", {}).items():
        assert con.execute(query).fetchall() == [(value,)]
    assert result.rows_waiting == case.get("waiting", 0)
    after = fingerprint(con)
    assert load_file(con, path).already_loaded
    assert fingerprint(con) == after


def test_a_refusal_on_the_command_line_is_one_line_without_a_traceback(tmp_path):
    from bcm_analytics.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["load", str(HOSTILE / "files" / "patients_binary.csv"), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(line.endswith("refused: binary content, not a text CSV file") for line in lines)
    assert "Traceback" not in result.output


def test_the_corpus_on_disk_matches_the_manifest():
    listed = {Path(c["file"]).name for c in MANIFEST["cases"] if "generate" not in c} | {Path(MANIFEST["base_patients"]).name}
    assert {p.name for p in (HOSTILE / "files").iterdir()} == listed
