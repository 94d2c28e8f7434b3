"""The one load loop (ingest.load_paths) and the `bcm load` command around it."""

from __future__ import annotations

from click.testing import CliRunner
from hostile.helpers import store_fingerprint, write

from bcm_analytics.cli import cli
from bcm_analytics.ingest import FileRefused, FileResult, LoadOptions, load_paths

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n"
LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\nE1,P1,bhcm,2025-02-03,30,outreach\n"


def test_the_loop_loads_in_table_order_and_reports_each_file_as_it_starts(store, tmp_path):
    folder = tmp_path / "exports"
    write(folder, "time_logs.csv", LOGS)
    write(folder, "patients.csv", PATIENTS)
    write(folder, "notes.txt", "not an export\n")
    started = []
    results = list(load_paths(store, [folder], progress=started.append))
    assert [p.name for p in started] == ["patients.csv", "time_logs.csv"]  # notes.txt names no table: skipped
    assert [(p.name, type(r)) for p, r in results] == [("patients.csv", FileResult), ("time_logs.csv", FileResult)]
    assert results[1][1].rows_loaded == 1  # its patient loaded first, so nothing waits


def test_the_loop_yields_a_refusal_and_goes_on(store, tmp_path):
    bad = write(tmp_path, "patients_bad.csv", "")
    good = write(tmp_path, "patients.csv", PATIENTS)
    results = dict(load_paths(store, [bad, good]))
    assert isinstance(results[bad], FileRefused) and isinstance(results[good], FileResult)


def test_table_option_names_the_table_of_a_file_named_otherwise(store, tmp_path):
    export = write(tmp_path, "export_2025-02.csv", PATIENTS)
    [(_, result)] = load_paths(store, [export], LoadOptions(table="patients"))
    assert (result.table, result.rows_loaded) == ("patients", 1)


def test_bcm_load_table_on_the_command_line(tmp_path):
    export = write(tmp_path, "Registry Export (Feb).csv", PATIENTS)
    db = tmp_path / "s.duckdb"
    refused = CliRunner().invoke(cli, ["load", str(export), "--db", str(db)])
    assert refused.exit_code == 1 and "cannot tell which table" in refused.output
    loaded = CliRunner().invoke(cli, ["load", str(export), "--table", "patients", "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    assert "patients: read 1 = loaded 1 + quarantined 0 + duplicates 0" in loaded.output


def test_a_load_that_loads_nothing_leaves_no_store_behind(tmp_path):
    db = tmp_path / "new.duckdb"
    result = CliRunner().invoke(cli, ["load", str(write(tmp_path, "patients.csv", "")), "--db", str(db)])
    assert result.exit_code == 1
    assert "patients.csv: refused: the file is empty" in result.output
    assert f"({db} was not created)" in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "patients.csv"]


def test_a_refused_load_into_an_existing_store_keeps_it(tmp_path):
    db = tmp_path / "s.duckdb"
    assert CliRunner().invoke(cli, ["load", str(write(tmp_path, "patients.csv", PATIENTS)), "--db", str(db)]).exit_code == 0
    before = store_fingerprint(db)
    result = CliRunner().invoke(cli, ["load", str(write(tmp_path, "patients_2.csv", "")), "--db", str(db)])
    assert result.exit_code == 1
    assert store_fingerprint(db) == before


def test_the_refusal_of_a_header_names_the_columns_found(tmp_path):
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(cli, ["load", str(write(tmp_path, "patients.csv", "id,insurer\nP1,M\n")), "--db", str(db)])
    assert "missing required columns patient_id, payer, enrollment_date for patients (the file has: id, insurer)" in result.output


def test_the_library_loop_never_prints(store, tmp_path, capsys):
    list(load_paths(store, [write(tmp_path, "patients.csv", PATIENTS), write(tmp_path, "visits.csv", "a\n1\n")]))
    assert capsys.readouterr() == ("", "")


def test_a_folder_load_names_what_it_passes_over_and_why(tmp_path):
    """A stray file and a subfolder are each named with the reason; hidden and _ names are not."""
    exports = tmp_path / "exports"
    write(exports, "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n")
    write(exports, "notes.txt", "hello\n")
    write(exports / "february", "time_logs.csv", "entry_id\n")
    write(exports / "_answer_key", "dirty_rows.csv", "x\n")
    write(exports, ".DS_Store", "x")
    result = CliRunner().invoke(cli, ["load", str(exports), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "ignored" in line]
    assert said == [f"{exports / 'february'}: ignored (a folder inside a folder: name it to load it)",
                    f"{exports / 'notes.txt'}: ignored (not named after a canonical table)"]


def test_a_load_line_names_a_dozen_extra_columns_and_counts_the_rest(tmp_path):
    header = "patient_id,payer,enrollment_date," + ",".join(f"x{i}" for i in range(40))
    export = write(tmp_path, "patients.csv", header + "\nP1,Medicare,2025-01-01" + ",1" * 40 + "\n")
    result = CliRunner().invoke(cli, ["load", str(export), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    assert "; extra columns dropped: x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 and 28 more" in result.output
