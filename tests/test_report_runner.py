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


def test_reports_without_rules_or_definitions_use_the_stores_own(small_store, tmp_path):
    """`bcm build --rules/--definitions` make files the store's own; the billing, time and outcome
    pages rendered without the parameter used the shipped ones instead (the page said
    "bcm-default 2026.12" where `bcm reconcile` judged by the program's rules)."""
    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    (tmp_path / "acme.yaml").write_text("ruleset: acme\nversion: '3'\npayer_names:\n  Medicare: medicaid\n")
    (tmp_path / "acme_defs.yaml").write_text("version: acme-defs-1\noutcome: {remission_below: 3}\n")
    built = CliRunner().invoke(cli, ["build", "--db", str(small_store), "--rules", str(tmp_path / "acme.yaml"),
                                     "--definitions", str(tmp_path / "acme_defs.yaml")])
    assert built.exit_code == 0, built.output
    for name in ("billing_reconciliation", "time_allocation"):
        html = render_report(name, small_store, {"start_month": "2025-01"}, tmp_path / f"{name}.html").read_text()
        assert "bcm-default 2026.12.2 + acme 3" in html, name
    html = render_report("caseload_outcomes", small_store, {"start_month": "2025-01"}, tmp_path / "co.html").read_text()
    assert "acme-defs-1" in html


def one_cell_report(tmp_path, monkeypatch, name: str, code: str) -> None:
    """A report `name` of one code cell after its parameters, the only report bcm knows; failed runs
    are kept in tmp_path/logs."""
    import nbformat

    from bcm_analytics.cli import reports as report_cli
    from bcm_analytics.reports import runner

    source = tmp_path / f"{name}.ipynb"
    cells = [nbformat.v4.new_code_cell('db = ""', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(code)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                                  "display_name": "Python 3"}}), source)
    monkeypatch.setattr(runner, "notebook_path", lambda _: source)
    monkeypatch.setattr(report_cli, "available_reports", lambda: [name])
    monkeypatch.setenv("BCM_LOG_DIR", str(tmp_path / "logs"))


def test_a_run_that_fails_in_a_cell_is_kept_privately_for_whoever_fixes_it(small_store, tmp_path, monkeypatch):
    """The one line hides quoted values, a column's name with them ("KeyError: '…'"), so the
    failing run is kept, 0600 in the log folder, with the name the fix needs; a run that
    renders leaves no notebook behind."""
    import json
    import stat

    import nbformat
    from click.testing import CliRunner

    from bcm_analytics import private_files
    from bcm_analytics.cli import cli

    one_cell_report(tmp_path, monkeypatch, "broken", 'import pandas as pd\npd.DataFrame({"patients": [12]})["responders"]')

    result = CliRunner().invoke(cli, ["report", "broken", "--db", str(small_store), "--out", str(tmp_path / "b.html")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    line, = [text for text in result.output.splitlines() if text.strip()]
    kept = sorted((tmp_path / "logs").glob("report-broken-failed-*.ipynb"))
    assert len(kept) == 1
    assert line == (f"Error: broken: cell 3 failed: KeyError: '…'; the run, with the cell's error in full, "
                    f"is kept privately in {kept[0]}")
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert "responders" in json.dumps(nbformat.read(kept[0], as_version=4)["cells"][-1]["outputs"])
    assert not (tmp_path / "b.html").exists()

    monkeypatch.undo()
    render_report("program_overview", small_store, {"start_month": "2025-01"}, tmp_path / "a.html")
    assert not list(private_files.run_folder(small_store).glob("*.ipynb")), "a run that rendered leaves nothing behind"


def test_a_cell_that_runs_out_of_memory_is_said_as_every_command_says_it(small_store, tmp_path, monkeypatch):
    """BCM_MEMORY_LIMIT=40MB: a report printed DuckDB's 600-character advice ('Reducing the number of
    threads (SET threads=X)') and kept its run as if for a bug; it now says what any command says."""
    import duckdb
    from click.testing import CliRunner

    from bcm_analytics.cli import cli
    from bcm_analytics.cli.errors import OUT_OF_MEMORY

    assert issubclass(duckdb.OutOfMemoryException, duckdb.Error)
    one_cell_report(tmp_path, monkeypatch, "hungry", 'import duckdb\nraise duckdb.OutOfMemoryException("Out of Memory '
                                                     'Error: failed to allocate data of size 16.0 MiB (40.0 MiB/40.0 MiB used)")')
    result = CliRunner().invoke(cli, ["report", "hungry", "--db", str(small_store), "--out", str(tmp_path / "h.html")])
    assert result.exit_code == 1
    assert [text for text in result.output.splitlines() if text.strip()] == [f"Error: {OUT_OF_MEMORY}"]
    assert not list((tmp_path / "logs").glob("report-hungry-failed-*.ipynb")), "no run kept: nothing to fix in the report"
