"""Report parameters are checked before anything runs: names against the notebook's parameters
cell, values against what each takes, clinics, payers, care managers and instruments against the
store. Each refusal is one line with the valid names or values."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest
from hardening_stores import bcm, make_store, stderr_lines

from bcm_analytics.reports import parameters
from bcm_analytics.reports.parameters import ParameterError
from bcm_analytics.reports.runner import NOTEBOOKS_DIR, notebook_path, render_report


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("store"))


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if a notebook would be executed."""
    calls = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: calls.append(a) or pytest.fail("a notebook ran"))
    return calls


def refusal(*args) -> str:
    result = bcm(*args)
    lines = stderr_lines(result.stderr)
    assert result.exit_code != 0 and len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_parameter_name_holding_code_runs_nothing(db, tmp_path, monkeypatch, no_kernel):
    """papermill only warned about an unknown name and wrote it into the injected cell: it ran."""
    monkeypatch.chdir(tmp_path)
    line = refusal("report", "program_overview", "-p", '__import__("os").system("touch pwned"); clinic', "None",
                   "--db", db, "--out", tmp_path / "o.html")
    assert "program_overview has no parameter" in line
    assert "its parameters: start_month, end_month, clinic" in line
    assert no_kernel == []
    assert not (tmp_path / "pwned").exists() and not (NOTEBOOKS_DIR / "pwned").exists() and not Path("pwned").exists()
    assert not (tmp_path / "o.html").exists()


def test_a_misspelled_name_is_refused_with_the_nearest_match(db, no_kernel):
    line = refusal("report", "program_overview", "-p", "strat_month", "2025-03", "--db", db)
    assert line == ("Error: program_overview has no parameter strat_month (did you mean start_month?); "
                    "its parameters: start_month, end_month, clinic, audience")
    line = refusal("report", "caseload_outcomes", "-p", "clinic", "C1", "--db", db)
    assert "(did you mean clinics?)" in line


def test_an_external_data_quality_page_is_refused_before_anything_runs(db, tmp_path, no_kernel):
    """The data-quality report has no external version: asked for one, it ran its first cells and
    failed with "cell 3 failed: ValueError ...", keeping a failed-run log. Its notebook says so in
    its audience parameter's comment, which --list-parameters shows and the check reads."""
    said = ("Error: data_quality has no external version: the report is for the people who fix the data "
            "(it counts rows, files and checks)")
    assert refusal("report", "data_quality", "--audience", "external", "--db", db, "--out", tmp_path / "e.html") == said
    assert refusal("report", "data_quality", "-p", "audience", "external", "--db", db) == said
    assert no_kernel == [] and not (tmp_path / "e.html").exists()
    listed = bcm("report", "data_quality", "--list-parameters").output
    assert listed.startswith("audience       internal only: the report is for the people who fix the data")


@pytest.mark.parametrize("report, name, value, said", [
    ("program_overview", "start_month", "2025-13", "start_month '2025-13' is not a month YYYY-MM"),
    ("program_overview", "end_month", "March", "end_month 'March' is not a month YYYY-MM"),
    ("billing_reconciliation", "as_of", "2025-02-30", "as_of '2025-02-30' is not a date YYYY-MM-DD"),
    ("billing_reconciliation", "rules", "no_such_rules.yaml", "rules 'no_such_rules.yaml' is not a file"),
    ("caseload_outcomes", "definitions", "nowhere.yaml", "definitions 'nowhere.yaml' is not a file"),
])
def test_values_are_parsed_to_what_the_parameter_takes(db, no_kernel, report, name, value, said):
    assert said in refusal("report", report, "-p", name, value, "--db", db)


@pytest.mark.parametrize("report, name, value, said", [
    ("program_overview", "clinic", "NO-SUCH", "program_overview: clinic 'NO-SUCH' is not in the store; valid: C1"),
    ("caseload_outcomes", "clinics", "C1,C9", "caseload_outcomes: clinics 'C9' is not in the store"),
    ("caseload_outcomes", "care_manager", "CM2", "care_manager 'CM2' is not in the store (did you mean CM1?); valid: CM1"),
    ("caseload_outcomes", "payer", "Medicar", "payer 'Medicar' is not in the store (did you mean Medicare?); valid: Medicaid, Medicare"),
    ("caseload_outcomes", "instrument", "GAD-7", "instrument 'GAD-7' is not in the store; valid: PHQ-9"),
    ("billing_reconciliation", "payer", "Aetna", "valid: Medicaid, Medicare, commercial (payer class)"),
])
def test_things_a_value_names_must_be_in_the_store(db, no_kernel, report, name, value, said):
    assert said in refusal("report", report, "-p", name, value, "--db", db)


@pytest.mark.parametrize("report", ["program_overview", "caseload_outcomes", "billing_reconciliation", "time_allocation"])
def test_a_period_ending_before_it_starts_is_refused_before_a_notebook_runs(db, no_kernel, report):
    """The notebook failed in a cell: 'cell 3 failed: IndexError: single positional indexer is out-of-bounds'."""
    line = refusal("report", report, "-p", "start_month", "2025-03", "-p", "end_month", "2025-01", "--db", db)
    assert line == f"Error: {report}: start_month 2025-03 is after end_month 2025-01"


def test_an_out_that_is_not_html_is_refused(db, no_kernel, tmp_path):
    """It was written, HTML in a file named x.pdf that no PDF reader opens."""
    line = refusal("report", "program_overview", "--db", db, "--out", tmp_path / "x.pdf")
    assert line == f"Error: {tmp_path / 'x.pdf'}: unsupported output type; use one of .html, .htm"
    assert not (tmp_path / "x.pdf").exists()


def test_the_store_is_given_with_db_and_a_name_once(db, no_kernel):
    assert "the store is given with --db" in refusal("report", "program_overview", "-p", "db", "other.duckdb", "--db", db)
    assert "clinic given more than once" in refusal("report", "program_overview", "-p", "clinic", "C1", "-p", "clinic", "C1",
                                                    "--db", db)


def test_valid_parameters_are_listed(no_kernel):
    result = bcm("report", "billing_reconciliation", "--list-parameters")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["start_month", "end_month", "clinic", "payer", "rules", "as_of", "audience"]
    assert "a month YYYY-MM" in lines[0] and "a date YYYY-MM-DD" in lines[5] and "a rules YAML file" in lines[4]
    assert "internal or external" in lines[-1]
    assert "or a payer class" in lines[3]


def test_the_outcome_report_takes_a_payer_name_only(no_kernel):
    """Its marts carry the payer name, not the class the billing reports also take."""
    lines = bcm("report", "caseload_outcomes", "--list-parameters").stdout.splitlines()
    payer = next(line for line in lines if line.startswith("payer "))
    assert "a payer name in the store" in payer and "class" not in payer


def test_values_pass_typed_and_as_the_store_spells_them(db):
    source = notebook_path("caseload_outcomes")
    values = parameters.parse("caseload_outcomes", source, {"clinics": "C1", "instrument": "phq-9", "as_of": "none"})
    assert values == {"clinics": ["C1"], "instrument": "phq-9", "as_of": None}
    assert parameters.check("caseload_outcomes", source, db, values)["instrument"] == "PHQ-9"
    numeric_clinic = parameters.parse("program_overview", notebook_path("program_overview"), {"clinic": "007"})
    assert numeric_clinic == {"clinic": "007"}, "a clinic id stays text, zeros and all"


def test_a_report_takes_a_shipped_ruleset_by_name_as_bcm_billing_does(db):
    """`bcm billing --rules texas_medicaid` bills by the shipped Texas rules (docs/billing.md); the
    same name given to the billing report was refused: "rules 'texas_medicaid' is not a file"."""
    source = notebook_path("billing_reconciliation")
    values = parameters.parse("billing_reconciliation", source, {"rules": "texas_medicaid"})
    assert values == {"rules": "texas_medicaid"}
    assert parameters.check("billing_reconciliation", source, db, values)["rules"] == "texas_medicaid"
    line = refusal("report", "billing_reconciliation", "-p", "rules", "texas_medicad", "--db", db)
    assert "rules 'texas_medicad' is not a file, nor a shipped ruleset (did you mean texas_medicaid?)" in line


def test_a_notebook_run_without_bcm_report_checks_its_values_as_bcm_report_does(db):
    """Run in JupyterLab or by papermill directly, a payer typed wrong rendered the billing page
    with $0 everywhere, a clinic not in the store failed in a cell (IndexError), and clinics
    written "C1" were the clinics C and 1."""
    from bcm_analytics.warehouse import connect

    con = connect(db, read_only=True)
    try:
        with pytest.raises(ParameterError, match="payer 'Medicaid MCO' is not in the store"):
            parameters.given("billing_reconciliation", con, payer="Medicaid MCO", rules=None)
        with pytest.raises(ParameterError, match="clinic 'C9' is not in the store"):
            parameters.given("program_overview", con, clinic="C9")
        assert parameters.given("caseload_outcomes", con, clinics="C1", instrument="phq-9", definitions=None) == {
            "clinics": ["C1"], "instrument": "PHQ-9", "definitions": None}
        assert parameters.given("billing_reconciliation", con, payer="medicaid", rules=None)["payer"] == "medicaid"  # a class
    finally:
        con.close()


@pytest.mark.parametrize("report", sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")))
def test_each_notebook_checks_every_parameter_it_declares_in_its_first_cell(report):
    """A parameter added to a notebook and left out of its check is taken unchecked when the
    notebook runs outside `bcm report` (the data-quality page checks its audience itself)."""
    import ast
    import json

    cells = [c for c in json.loads(notebook_path(report).read_text())["cells"] if c["cell_type"] == "code"]
    declared = set(parameters.declared(notebook_path(report)))
    assert "db" in declared, "papermill could not read the db line (an '=' in its comment) and warned on every render"
    declared -= {"db"}
    calls = [node for node in ast.walk(ast.parse("".join(cells[1]["source"])))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "given"]
    if report == "data_quality":
        assert declared == {"audience"} and not calls
        return
    assert len(calls) == 1 and calls[0].args[0].value == report
    assert {k.arg for k in calls[0].keywords} == declared
    assert all(isinstance(k.value, ast.Name) and k.value.id == k.arg for k in calls[0].keywords)


def test_the_library_checks_names_too(db, no_kernel, tmp_path):
    with pytest.raises(ParameterError, match="has no parameter"):
        render_report("program_overview", db, {"x = 1; import os; os.system('touch pwned'); y": 1}, tmp_path / "o.html")
    with pytest.raises(ParameterError, match="clinic 'NO-SUCH' is not in the store"):
        render_report("program_overview", db, {"clinic": "NO-SUCH"}, tmp_path / "o.html")
    assert not (tmp_path / "o.html").exists()


@pytest.mark.slow
def test_checked_parameters_render(db, tmp_path):
    result = bcm("report", "program_overview", "-p", "clinic", "C1", "-p", "start_month", "2025-01", "--db", db,
                 "--out", tmp_path / "o.html")
    assert result.exit_code == 0, result.output
    assert "C1" in (tmp_path / "o.html").read_text()


def test_an_external_page_for_one_clinic_is_written_with_a_note_that_it_stands_alone(db, no_kernel, monkeypatch, tmp_path):
    from bcm_analytics.cli import reports as cli_reports

    monkeypatch.setattr(cli_reports, "render_report", lambda name, db, values, out, share: tmp_path / f"{name}.html")
    result = bcm("report", "program_overview", "--audience", "external", "-p", "clinic", "C1", "--db", db)
    assert result.exit_code == 0, result.output
    note = stderr_lines(result.stderr)
    assert len(note) == 1 and note[0].startswith("note: This page covers part of the program (clinic C1).")
    whole = bcm("report", "program_overview", "--audience", "external", "--db", db)
    internal = bcm("report", "program_overview", "-p", "clinic", "C1", "--db", db)
    assert (whole.exit_code, whole.stderr, internal.exit_code, internal.stderr) == (0, "", 0, "")


@pytest.mark.parametrize("report, given, months", [
    ("program_overview", [], "Jan 2025"),
    ("billing_reconciliation", ["-p", "start_month", "2025-01", "-p", "end_month", "2025-03"], "Jan 2025 - Mar 2025"),
    ("time_allocation", ["-p", "start_month", "2024-11"], None),  # 2024 Q4 has ended: it renders
    ("caseload_outcomes", [], None),  # its default, 12 months to the as-of date: 2024 Q1 - Q4, ended
    ("caseload_outcomes", ["-p", "start_month", "2025-01"], "Jan 2025"),
    ("caseload_outcomes", ["-p", "as_of", "2024-12-30", "-p", "start_month", "2024-10"], "Oct 2024 - Dec 2024"),
])
def test_an_external_page_with_no_ended_quarter_is_refused_in_plain_dates(db, no_kernel, report, given, months):
    """The store's data ends on 7 January 2025, inside 2025 Q1: an external page has no whole quarter
    to show. Refused before the notebook runs, naming the months; inside the run the runner masked
    them ("Oct … holds none")."""
    if months is None:
        with pytest.raises(pytest.fail.Exception, match="a notebook ran"):
            bcm("report", report, "--audience", "external", *given, "--db", db)
        return
    line = refusal("report", report, "--audience", "external", *given, "--db", db)
    assert f"{months} holds none (" in line and "has not ended): ask for earlier months" in line, line
    assert line.startswith(f"Error: {report}: an external page shows whole calendar quarters ended by the data's last date")
    assert no_kernel == []


def test_an_instrument_the_definitions_measure_as_another_is_refused_before_a_notebook_runs(store, load_rows, tmp_path, no_kernel):
    """A caseload page filtered to PHQ-A read 0% scored: outcomes hold PHQ-A scores as the PHQ-9's."""
    load_rows("patients", [{"patient_id": "T1", "clinic_id": "C1", "payer": "Medicaid", "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [{"assessment_id": "A1", "patient_id": "T1", "instrument": "PHQ-A", "administered_on": "2025-01-06",
                               "total_score": 16}])
    store.close()
    line = refusal("report", "caseload_outcomes", "-p", "instrument", "phq-a", "--db", tmp_path / "test.duckdb")
    assert line == ("Error: caseload_outcomes: instrument PHQ-A: the definitions measure its scores as the PHQ-9's "
                    "(instruments.PHQ-A.measure_as), so outcomes hold them under PHQ-9: filter on PHQ-9, which counts both")
