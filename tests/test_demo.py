"""`bcm demo` end to end on a small program: every step runs and every report is written."""

import openpyxl
import pytest
from click.testing import CliRunner
from html_tables import small_counts_in

from bcm_analytics.cli import cli

pytestmark = pytest.mark.slow

EXPECTED = [
    "data_quality.html", "program_overview.html", "billing_reconciliation.html", "billing_reconciliation.xlsx",
    "caseload_outcomes.html", "care_team_worklists.xlsx", "data_contracts_result.json",
    "program_overview_external.html", "billing_reconciliation_external.html", "caseload_outcomes_external.html",
    "time_allocation.html", "time_allocation_external.html", "time_allocation.xlsx", "time_allocation_external.xlsx",
]


def sheet(path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def in_hospital(path) -> float:
    """Minutes the time-allocation workbook says were logged while the patient was in hospital."""
    return next(row["minutes"] for row in sheet(path, "where minutes went") if row["outcome_label"] == "while in hospital")


def test_demo_writes_every_report_and_a_second_run_reuses_the_store(tmp_path):
    args = ["demo", "--db", str(tmp_path / "demo.duckdb"), "--reports", str(tmp_path / "reports"),
            "--data", str(tmp_path / "data"), "--patients", "120", "--months", "8", "--seed", "3"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    for name in EXPECTED:
        path = tmp_path / "reports" / name
        assert path.exists() and path.stat().st_size > 0, name
        assert str(path.resolve()) in first.output
    assert openpyxl.load_workbook(tmp_path / "reports" / "billing_reconciliation.xlsx").sheetnames[0] == "work queue"
    for page in (tmp_path / "reports").glob("*.html"):  # a warning a cell printed (pandas, plotly) is no reader's business
        assert "output_stderr" not in page.read_text(), page.name
    for aggregate in ("program_overview_external.html", "billing_reconciliation_external.html", "caseload_outcomes_external.html",
                      "time_allocation_external.html"):
        assert small_counts_in((tmp_path / "reports" / aggregate).read_text()) == [], aggregate
    assert any("facility_stays.csv: facility_stays: read" in line for line in first.output.splitlines())
    assert any("coverage.csv: coverage: read" in line for line in first.output.splitlines()), "the demo loads payer history"
    assert any("diagnoses.csv: diagnoses: read" in line for line in first.output.splitlines()), "the demo loads diagnoses"
    assert in_hospital(tmp_path / "reports" / "time_allocation.xlsx") > 0, "stays take minutes out of the demo's months"
    due = sheet(tmp_path / "reports" / "care_team_worklists.xlsx", "followup_due")
    assert due and any(row["discharge_date"] for row in due), "windows after discharge still due a score"
    rules = next(line.split("=", 1)[1] for line in first.output.splitlines() if line.strip().startswith("export BCM_RULES="))
    billing = next(line.split()[1:] for line in first.output.splitlines() if " billing --db " in line)
    hinted = CliRunner().invoke(cli, [a.replace("lines.csv", str(tmp_path / "lines.csv")) for a in billing], env={"BCM_RULES": rules})
    assert hinted.exit_code == 0, hinted.output
    assert "note:" not in hinted.output, "the hinted command built marts again instead of reading the demo's"
    overview = (tmp_path / "reports" / "program_overview.html").read_bytes()
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output and "loaded 0" not in second.output
    assert (tmp_path / "reports" / "program_overview.html").read_bytes() == overview, "same data, same bytes"
