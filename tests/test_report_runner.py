"""The report runner: code hidden, charts offline, the same data gives the same bytes."""

import re

import pytest

from bcm_analytics.reports.runner import render_report

pytestmark = pytest.mark.slow


@pytest.fixture
def small_store(store, load_rows, tmp_path):
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "North", "setting": "physician_practice", "timezone": "America/Chicago"}])
    patients = [{"patient_id": f"P{i}", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-02"} for i in range(30)]
    load_rows("patients", patients)
    logs = [{"entry_id": f"E{i}", "patient_id": f"P{i}", "staff_role": "bhcm", "service_date": "2025-01-15",
             "minutes": "40", "activity_type": "assessment"} for i in range(30)]
    load_rows("time_logs", logs)
    store.close()
    return tmp_path / "test.duckdb"


def test_overview_report_is_self_contained_and_repeatable(small_store, tmp_path):
    first = render_report("program_overview", small_store, {"start_month": "2025-01"}, tmp_path / "a.html").read_text()
    second = render_report("program_overview", small_store, {"start_month": "2025-01"}, tmp_path / "b.html").read_text()
    assert first == second
    assert "Program overview" in first
    assert "from bcm_analytics" not in first, "code cells must be hidden"
    assert first.count("bcm-figure-") >= 3
    assert len(re.findall(r"plotly\.js \(basic - minified\) v\d", first)) == 1, "plotly.js embedded exactly once"
    assert not re.search(r'<script[^>]*src="https?://', first), "no script from a CDN"


def test_file_parameters_are_read_relative_to_where_bcm_runs(small_store, tmp_path, monkeypatch):
    """The kernel runs in notebooks/; a rules file named relative to the user's folder still counts."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_rules.yaml").write_text("payer_names:\n  Medicare: medicaid\n")
    html = render_report("billing_reconciliation", "test.duckdb", {"rules": "my_rules.yaml"}, "r.html").read_text()
    assert "Billing reconciliation" in html
