"""The `bcm` command line: summaries that add up, refusals in one line, outputs by extension."""

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import openpyxl
from click.testing import CliRunner
from conftest import write_csv

from bcm_analytics.cli import cli

PATIENTS = [
    {"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-05"},
    {"patient_id": "P2", "clinic_id": "C1", "payer": "Medicaid", "enrollment_date": "2025-02-30"},
]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_load_prints_a_summary_that_adds_up_and_reload_changes_nothing(tmp_path):
    folder = tmp_path / "export"
    write_csv(folder / "patients.csv", PATIENTS)
    db = tmp_path / "s.duckdb"
    first = run("load", folder, "--db", db)
    assert first.exit_code == 0, first.output
    assert re.search(r"patients: read 2 = loaded 1 \+ quarantined 1 \+ duplicates 0", first.output)
    second = run("load", folder, "--db", db)
    assert "already loaded" in second.output and second.exit_code == 0


def test_refused_file_is_one_line_with_nonzero_exit(tmp_path):
    bad = tmp_path / "time_logs.csv"
    bad.write_text("entry_id,patient_id\nE1,P1\n")
    result = CliRunner().invoke(cli, ["load", str(bad), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    refusal = [line for line in result.output.splitlines() if "refused:" in line]
    assert len(refusal) == 1 and "missing required columns" in refusal[0] and "minutes" in refusal[0]


def quarantine_outputs(tmp_path):
    """A store with one patient row set aside, its quarantine written as CSV and as a workbook."""
    folder = tmp_path / "export"
    write_csv(folder / "patients.csv", PATIENTS)
    db = tmp_path / "s.duckdb"
    run("load", folder, "--db", db)
    out_csv, out_xlsx = tmp_path / "q.csv", tmp_path / "q.xlsx"
    assert run("quarantine", "--db", db, "--out", out_csv).exit_code == 0
    assert run("quarantine", "--db", db, "--out", out_xlsx).exit_code == 0
    return out_csv, out_xlsx


def test_quarantine_writes_csv_and_xlsx(tmp_path):
    out_csv, out_xlsx = quarantine_outputs(tmp_path)
    rows = list(csv.DictReader(open(out_csv)))
    assert [(r["line_number"], r["table_name"]) for r in rows] == [("3", "patients")]
    assert "2025-02-30" in rows[0]["reason"]
    sheet = openpyxl.load_workbook(out_xlsx)["quarantine"]
    assert sheet.max_row == 2 and sheet["B2"].value == "patients"


def test_quarantine_refuses_other_extensions_and_missing_store(tmp_path):
    result = CliRunner().invoke(cli, ["quarantine", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "q.json")])
    assert result.exit_code == 1 and "unsupported output type" in result.output
    result = CliRunner().invoke(cli, ["quarantine", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 1 and "no store at" in result.output and "Traceback" not in result.output


def warned_export(folder):
    """A clinic and three patients: P2 names a clinic the export lacks and P3 an NPI whose check
    digit fails (both warn-level: kept, flagged); a time log whose care manager is not named (line 2)."""
    write_csv(folder / "clinics.csv", [{"clinic_id": "C1", "clinic_name": "Main"}])
    write_csv(folder / "patients.csv", [
        {"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-05", "treating_provider_npi": ""},
        {"patient_id": "P2", "clinic_id": "C9", "payer": "Medicare", "enrollment_date": "2025-01-06", "treating_provider_npi": ""},
        {"patient_id": "P3", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-07",
         "treating_provider_npi": "1234567890"}])
    write_csv(folder / "time_logs.csv", [
        {"entry_id": "E1", "patient_id": "P1", "staff_id": "", "staff_role": "bhcm", "service_date": "2025-01-10",
         "minutes": "30", "activity_type": "follow_up_contact"},
        {"entry_id": "E2", "patient_id": "P1", "staff_id": "cm1", "staff_role": "bhcm", "service_date": "2025-01-11",
         "minutes": "20", "activity_type": "follow_up_contact"}])
    return folder


def test_warnings_lists_each_row_loaded_with_a_warning_with_its_file_line_key_and_column(tmp_path):
    """`bcm load` said '2 loaded with a warning' and the data-quality page counted them, but nothing
    listed which rows: a data manager could not find them without SQL. `bcm warnings --out FILE`
    writes one row per warning (file, line, table, key, column, check, the sentence), CSV or
    XLSX, and `--table` keeps one table's; the load line points at it."""
    folder = warned_export(tmp_path / "export")
    db = tmp_path / "s.duckdb"
    loaded = run("load", folder, "--db", db)
    patients = next(line for line in loaded.output.splitlines() if ": patients: read" in line)
    assert patients.endswith("; 2 loaded with a warning (`bcm warnings --out FILE` lists them)")
    out_csv, out_xlsx = tmp_path / "w.csv", tmp_path / "w.xlsx"
    listed = run("warnings", "--db", db, "--out", out_csv)
    assert listed.exit_code == 0, listed.output
    assert listed.output == f"3 row warning(s) written to {out_csv}\n"
    rows = list(csv.DictReader(open(out_csv)))
    assert [(Path(r["source_file"]).name, r["line_number"], r["table_name"], r["row_key"], r["column_name"], r["check_name"])
            for r in rows] == [
        ("patients.csv", "3", "patients", "P2", "clinic_id", "clinic known"),
        ("patients.csv", "4", "patients", "P3", "treating_provider_npi", "treating provider NPI valid"),
        ("time_logs.csv", "2", "time_logs", "E1", "staff_id", "care manager named")]
    assert rows[0]["warning"] == ("clinic_id 'C9' is not in the clinics export; "
                                  "the program's default time zone and setting apply")
    assert all(Path(r["source_file"]) == folder / Path(r["source_file"]).name for r in rows)
    assert run("warnings", "--db", db, "--out", out_xlsx, "--table", "time_logs").exit_code == 0
    sheet = openpyxl.load_workbook(out_xlsx)["warnings"]
    header = [c.value for c in sheet[1]]
    assert sheet.max_row == 2 and sheet.cell(2, header.index("row_key") + 1).value == "E1"
    assert private_mode(out_csv) and private_mode(out_xlsx)


def test_a_listed_key_excel_would_run_as_a_formula_is_quoted_in_the_csv_and_kept_in_the_workbook(tmp_path):
    """A patient id from a messy export, =HYPERLINK(...), named in `bcm warnings`' CSV ran as a formula
    when finance opened it in Excel; the CSV now writes it after a ', the workbook as it is (a string cell)."""
    formula = '=HYPERLINK("http://x","click")'
    folder = tmp_path / "export"
    write_csv(folder / "clinics.csv", [{"clinic_id": "C1", "clinic_name": "Main"}])
    write_csv(folder / "patients.csv", [{"patient_id": formula, "clinic_id": "C9", "payer": "Medicare",
                                         "enrollment_date": "2025-01-06"}])
    db, out_csv, out_xlsx = tmp_path / "s.duckdb", tmp_path / "w.csv", tmp_path / "w.xlsx"
    assert run("load", folder, "--db", db).exit_code == 0
    assert run("warnings", "--db", db, "--out", out_csv).exit_code == 0
    assert run("warnings", "--db", db, "--out", out_xlsx).exit_code == 0
    assert [r["row_key"] for r in csv.DictReader(open(out_csv, newline=""))] == ["'" + formula]
    sheet = openpyxl.load_workbook(out_xlsx)["warnings"]
    key = sheet.cell(2, [c.value for c in sheet[1]].index("row_key") + 1)
    assert (key.value, key.data_type) == (formula, "s")


def private_mode(path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_warnings_of_a_store_with_none_writes_the_header_and_says_so_in_one_line(tmp_path):
    """An empty store, no warning, or none of the --table asked for: a header-only file, and one
    line saying so."""
    from bcm_analytics.warehouse import connect

    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    out = tmp_path / "w.csv"
    listed = run("warnings", "--db", empty, "--out", out)
    assert listed.output == f"no row loaded with a warning: {out} holds the header only\n"
    assert len(out.read_text().splitlines()) == 1
    folder = tmp_path / "export"
    write_csv(folder / "patients.csv", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-05"}])
    db = tmp_path / "s.duckdb"
    run("load", folder, "--db", db)
    out = tmp_path / "w.csv"
    listed = run("warnings", "--db", db, "--out", out)
    assert listed.exit_code == 0
    assert listed.output == f"no row loaded with a warning: {out} holds the header only\n"
    assert out.read_text().splitlines() == [
        "load_id,table_name,source_file,sheet,line_number,row_key,column_name,check_name,warning,recorded_at"]
    run("load", warned_export(tmp_path / "warned"), "--db", db)
    listed = run("warnings", "--db", db, "--out", out, "--table", "clinics")
    assert listed.output == f"no row of clinics loaded with a warning: {out} holds the header only\n"
    assert len(out.read_text().splitlines()) == 1


def test_warnings_lists_a_row_a_later_export_corrected_only_with_status_all(tmp_path):
    """A warning belongs to the row its load stored: once a corrected export replaces that row (P2
    with its clinic now in the clinics export), it is no longer to look at, and the list leaves
    it out unless --status all."""
    folder = warned_export(tmp_path / "export")
    db = tmp_path / "s.duckdb"
    run("load", folder, "--db", db)
    fixed = tmp_path / "fixed"
    write_csv(fixed / "patients.csv", [
        {"patient_id": "P2", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-06", "treating_provider_npi": ""}])
    run("load", fixed, "--db", db)
    out = tmp_path / "w.csv"
    run("warnings", "--db", db, "--out", out)
    assert [r["row_key"] for r in csv.DictReader(open(out))] == ["P3", "E1"]
    run("warnings", "--db", db, "--out", out, "--status", "all")
    assert [r["row_key"] for r in csv.DictReader(open(out))] == ["P2", "P3", "E1"]


def test_the_quarantine_and_warnings_lists_are_streamed_to_their_files_not_built_as_frames(tmp_path):
    """`bcm quarantine` fetched the whole list into a pandas frame before writing it: a quarantine of
    millions of rows (an export in the wrong format) held them all in memory. Both lists are now
    written as `bcm billing` writes its lines (DuckDB's COPY, or a workbook in batches): the
    command never imports pandas, and the files hold the same rows."""
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    run("load", warned_export(tmp_path / "export"), "--db", db)
    run("load", write_csv(tmp_path / "more" / "patients.csv", PATIENTS), "--db", db)  # P2's enrolment 2025-02-30 set aside
    for command, out, rows in (("quarantine", tmp_path / "q.csv", 1), ("quarantine", tmp_path / "q.xlsx", 1),
                               ("warnings", tmp_path / "w.csv", 3), ("warnings", tmp_path / "w.xlsx", 3)):
        probe = (f"import sys; from bcm_analytics.cli import cli; "
                 f"cli([{command!r}, '--db', {str(db)!r}, '--out', {str(out)!r}], standalone_mode=False); "
                 f"print('pandas' in sys.modules)")
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        assert done.stdout.splitlines()[-1] == "False", (command, out.suffix)
        written = list(csv.DictReader(open(out))) if out.suffix == ".csv" else list(openpyxl.load_workbook(out).active.values)[1:]
        assert len(written) == rows, (command, out.suffix)


def test_warnings_refuses_other_extensions_and_a_missing_store(tmp_path):
    result = CliRunner().invoke(cli, ["warnings", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "w.json")])
    assert result.exit_code == 1 and "unsupported output type" in result.output
    result = CliRunner().invoke(cli, ["warnings", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "w.csv")])
    assert result.exit_code == 1 and "no store at" in result.output and "Traceback" not in result.output


def test_changes_refuses_other_extensions_and_a_missing_store(tmp_path):
    result = CliRunner().invoke(cli, ["changes", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "c.json")])
    assert result.exit_code == 1 and "unsupported output type" in result.output
    result = CliRunner().invoke(cli, ["changes", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 1 and "no store at" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_report_names_unknown_report_and_missing_store(tmp_path):
    result = CliRunner().invoke(cli, ["report", "no_such_report", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1 and "available: " in result.output and "program_overview" in result.output
    result = CliRunner().invoke(cli, ["report", "program_overview", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1 and "no store at" in result.output


def test_bad_months_and_dates_are_usage_errors_not_tracebacks(tmp_path):
    for args in (["outcomes", "--out", "o.csv", "--start-month", "2025-13"], ["outcomes", "--out", "o.csv", "--as-of", "2025-02-30"],
                 ["generate", "--start", "2025/01"], ["billing", "--month", "25-01", "--out", "x.csv"]):
        result = CliRunner().invoke(cli, args + ["--db", str(tmp_path / "x.duckdb")] if args[0] != "generate" else args)
        assert result.exit_code == 2 and "Traceback" not in result.output, args
        assert "is not a" in result.output, args


def every_command(command=cli, path=("bcm",)):
    """Each command and subcommand with the words that call it."""
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from every_command(command.get_command(click.Context(command), name), path + (name,))


def test_every_help_shows_defaults_in_one_style():
    """Click writes every default from the option's show_default, as [default: X]: help showed
    '(default: --month)' and 'internal (default)' beside '[default: the data's last day]'."""
    for path, command in every_command():
        for option in (p for p in command.params if isinstance(p, click.Option)):
            assert not re.search(r"[\[(]default\b|\bdefault\)", option.help or ""), \
                f"{' '.join(path)} {option.opts[0]}: give the default as show_default, not in the help text"
        shown = " ".join(command.get_help(click.Context(command, info_name=" ".join(path))).split())
        assert not re.search(r"\(default\b", shown), f"{' '.join(path)} --help: {shown}"


def test_help_says_when_month_is_required_and_which_periods_utilisation_holds():
    """`bcm reconcile --help` marked only --out [required], and a finance lead met --month's need in
    an error; `bcm outcomes --utilisation` held only whole assessment periods, which no help said."""
    def shown(*path):
        command = cli
        for name in path:
            command = command.get_command(None, name)
        return " ".join(command.get_help(click.Context(command, info_name=" ".join(path))).split())

    for name in ("reconcile", "audit"):
        assert "--month YYYY-MM First service month (required)." in shown(name), name
    assert "First service month (required, except with --worklist)." in shown("billing")
    start = next(p for p in cli.get_command(None, "outcomes").params if p.name == "start_month")
    assert "the file holds only the assessment periods, Jan-Apr, May-Aug and Sep-Dec, wholly inside" in start.help


def test_help_names_the_cell_size_setting_and_its_packaged_range_as_the_file_says(monkeypatch):
    """`bcm report --help` said 'external: counts 1-10 (the definitions' suppression.threshold)' and
    `bcm outcomes --help` 'counts of 1-10 suppressed': the range written out beside the setting,
    stale as soon as definitions.yaml says otherwise. Both name the setting and give the packaged
    range read from the file: packaged as [1, 15], the help says 1-15."""
    import importlib

    from bcm_analytics.cli import outcomes, reports
    from bcm_analytics.config import definitions

    def shown(name):
        command = cli.get_command(None, name)
        return " ".join(command.get_help(click.Context(command, info_name=name)).split())

    lo, hi = definitions.packaged_threshold()
    for name in ("report", "outcomes"):
        assert f"suppression.threshold, {lo}-{hi} as packaged" in shown(name), name
    monkeypatch.setattr(definitions, "packaged_threshold", lambda: (1, 15))
    try:
        importlib.reload(reports), importlib.reload(outcomes)
        for name in ("report", "outcomes"):
            assert "suppression.threshold, 1-15 as packaged" in shown(name) and "1-10" not in shown(name), name
    finally:
        monkeypatch.undo()
        importlib.reload(reports), importlib.reload(outcomes)


def test_every_command_is_listed_and_loading_imports_no_pandas():
    """Commands are imported when they run; `bcm load` starts without the reports' pandas."""
    import subprocess
    import sys

    from bcm_analytics.cli import COMMANDS

    listed = run("--help").output
    assert all(re.search(rf"^\s+{name}\s", listed, re.MULTILINE) for name in COMMANDS)
    assert all(cli.get_command(None, name).name == name for name in COMMANDS)
    probe = "import sys; from bcm_analytics.cli import cli; cli.get_command(None, 'load'); print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_every_command_a_cli_module_defines_is_listed():
    """COMMANDS is kept by hand (so `bcm load` imports only its own module): a top-level command
    written in a cli module but left out of it would never run, and no other test would notice."""
    import importlib
    import pkgutil

    import bcm_analytics.cli as package
    from bcm_analytics.cli import COMMANDS

    defined = {}
    for module in pkgutil.iter_modules(package.__path__):
        names = vars(importlib.import_module(f"bcm_analytics.cli.{module.name}"))
        subcommands = {c for g in names.values() if isinstance(g, click.Group) for c in g.commands.values()}
        defined |= {n: module.name for n, c in names.items()
                    if isinstance(c, click.Command) and c is not cli and c not in subcommands
                    and c.callback.__module__ == f"bcm_analytics.cli.{module.name}"}
    assert defined == COMMANDS


def test_quarantine_workbook_keeps_the_time_a_row_was_set_aside(tmp_path):
    """The CSV says 2026-12-03 09:40:12.345+00:00; the workbook showed only the day (a date format on
    a date-time), so two loads of one day could not be told apart."""
    import datetime as dt

    out_csv, out_xlsx = quarantine_outputs(tmp_path)
    written = dt.datetime.fromisoformat(next(csv.DictReader(open(out_csv)))["quarantined_at"])
    sheet = openpyxl.load_workbook(out_xlsx)["quarantine"]
    column = [c.value for c in sheet[1]].index("quarantined_at") + 1
    cell = sheet.cell(2, column)
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"
    assert abs(cell.value - written.astimezone(dt.timezone.utc).replace(tzinfo=None)) < dt.timedelta(seconds=1)


def test_generate_says_which_files_are_exports_and_how_to_use_its_rules_file(tmp_path):
    """`bcm generate` listed dirty_rows, planted_traps ... as if they were exports and never named
    program_rules.yaml: loaded without it, the program's 'State Medicaid MCO' billed as commercial."""
    out = tmp_path / "program"
    result = run("generate", "--out", out, "--patients", 10, "--months", 1)
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^  (\S+) +[\d,]+ rows$", result.stdout, re.M)  # stderr: the progress bar
    assert listed[:7] == ["clinics.csv", "patients.csv", "time_logs.csv", "assessments.csv", "facility_stays.csv", "coverage.csv",
                          "diagnoses.csv"]
    assert listed[7:] and all(name.startswith("_answer_key/") and (out / name).is_file() for name in listed[7:])
    rules = out / "program_rules.yaml"
    assert rules.is_file() and f"bcm build --rules {rules}" in result.output
    assert "past today" not in result.output  # 2024-01, the default start


def test_generate_says_when_its_months_run_past_today(tmp_path):
    """`bcm generate --start 2025-01 --months 30` wrote months to come without a word, and `bcm load`
    set 90 of 204 patients aside as dated in the future."""
    from datetime import date

    from bcm_analytics.months import add_months

    this_month = date.today().replace(day=1)
    start = add_months(this_month, -2)
    result = run("generate", "--out", tmp_path / "p", "--patients", 10, "--months", 4, "--start", f"{start:%Y-%m}")
    assert result.exit_code == 0, result.output
    assert f"the program runs to {add_months(this_month, 1):%Y-%m}, past today ({date.today()})" in result.output
    assert f"--start {add_months(this_month, -4):%Y-%m} ends it last month" in result.output


def test_bcm_rules_check_reads_a_rules_file_without_a_store(tmp_path):
    """An administrator could check a rules file only by building a store with it."""
    (tmp_path / "fees").mkdir()
    (tmp_path / "fees" / "blue_shield_2026.csv").write_text(
        "code,effective_from,effective_to,amount,source,verified\n99492,2026-01-01,2026-12-31,170.00,contract 2026,true\n")
    rules = tmp_path / "program_rules.yaml"
    rules.write_text("fee_schedules: fees\npayer_classes: {blue_shield: {extends: commercial}}\n"
                     "payer_names: {Blue Shield PPO: blue_shield, Acme: medicare}\n")
    result = run("rules", "check", rules)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{rules}: rules valid: bcm-default 2026.12.2 + program_rules (default.yaml + program_rules.yaml)"
    assert "blue_shield (from commercial)" in lines[1]
    assert lines[2] == "  payer names this file maps (matched ignoring case): 'acme' -> medicare, 'blue shield ppo' -> blue_shield"
    # a class's own file for a year stands for the year: 99493 is not priced for blue_shield in 2026
    assert "    blue_shield 2026: 99492 (blue_shield_2026.csv)" in lines
    assert "    blue_shield 2025: 99484 99492 99493 99494 G0511 G0512 G2214 (commercial_2025.csv)" in lines
    shipped = run("rules", "check", "default")
    assert shipped.exit_code == 0 and "payer names this file maps" not in shipped.output
    assert "blue_shield" not in shipped.output and "    commercial 2026: " in shipped.output

    rules.write_text("payer_names: {Aetna: commercal}\n")
    refused = run("rules", "check", rules)
    assert refused.exit_code == 1 and "no payer class named 'commercal'; did you mean 'commercial'?" in refused.output
    assert "Traceback" not in refused.output


def test_a_load_that_set_rows_aside_ends_by_saying_how_to_list_them(tmp_path):
    """The load line counted 'quarantined 2' and nothing said where those rows were: a data manager
    had to know `bcm quarantine`. A load that set rows aside now ends naming it; one that set none
    aside does not."""
    folder = tmp_path / "export"
    folder.mkdir()
    write_csv(folder / "patients.csv", [
        {"patient_id": "P1", "clinic_id": "", "payer": "Medicare", "enrollment_date": "2025-01-05"}])
    write_csv(folder / "time_logs.csv", [
        {"entry_id": "E1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-30", "minutes": "30",
         "activity_type": "follow_up_contact"},
        {"entry_id": "E2", "patient_id": "P9", "staff_role": "bhcm", "service_date": "2025-02-03", "minutes": "20",
         "activity_type": "follow_up_contact"}])
    db = tmp_path / "s.duckdb"
    loaded = run("load", folder, "--db", db)
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.splitlines()[-1] == (
        "2 row(s) set aside in the quarantine (1 waiting for rows they refer to): `bcm quarantine --out FILE` lists "
        "each with its file, line and reason")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "patients.csv").write_text("patient_id,clinic_id,payer,enrollment_date\nP2,,Medicare,2025-01-05\n,,,\n"
                                       "Page 1 of 1\n")  # an empty row and a footer: passed over, nothing to fix
    again = run("load", clean, "--db", db)
    assert "quarantined 2 (" in again.output and "bcm quarantine" not in again.output


def test_the_listings_say_when_in_the_programs_time_to_the_second_as_excel_reads_it(tmp_path):
    """quarantined_at and recorded_at were written '2026-12-05 07:04:37.611163+00': Excel keeps
    that as text, so a data manager could not sort or filter by it. They are the program's local
    time (the store's zone) to the second, a date-time in a workbook."""
    folder = warned_export(tmp_path / "export")
    write_csv(folder / "assessments.csv", [
        {"assessment_id": "A1", "patient_id": "P1", "instrument": "PHQ-9", "administered_on": "2025-02-30", "total_score": "9"}])
    db = tmp_path / "s.duckdb"
    assert run("load", folder, "--db", db, "--timezone", "America/Denver").exit_code == 0
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    for command, column in (("quarantine", "quarantined_at"), ("warnings", "recorded_at")):
        out = tmp_path / f"{command}.csv"
        assert run(command, "--db", db, "--out", out).exit_code == 0
        rows = list(csv.DictReader(open(out)))
        assert rows and all(stamp.match(r[column]) for r in rows), rows[0][column]
        book = tmp_path / f"{command}.xlsx"
        assert run(command, "--db", db, "--out", book).exit_code == 0
        sheet = openpyxl.load_workbook(book).active
        at = [c.value for c in next(sheet.iter_cols(min_col=[c.value for c in sheet[1]].index(column) + 1))][1:]
        assert all(hasattr(v, "hour") and v.tzinfo is None and v.microsecond == 0 for v in at), at
        denver = datetime.now(ZoneInfo("America/Denver")).replace(tzinfo=None)
        assert all(abs(v - denver) < timedelta(minutes=5) for v in at), (at, denver)


def test_a_corrected_coverage_file_names_the_period_it_withdraws_and_additions_sets_it_aside(tmp_path):
    """`bcm load` reads a coverage file as the payer history of the patients it names: the stored
    period a corrected export no longer holds is withdrawn and named on the load line;
    `--coverage-file additions` keeps the stored periods and sets the overlapping one aside."""
    write_csv(tmp_path / "patients.csv", PATIENTS[:1])
    db, additions_db = tmp_path / "s.duckdb", tmp_path / "a.duckdb"
    wrong = write_csv(tmp_path / "wrong" / "coverage.csv", [
        {"patient_id": "P1", "payer": "Medicaid", "start_date": "2024-01-01", "end_date": "2025-02-28"},
        {"patient_id": "P1", "payer": "Medicare", "start_date": "2025-03-01", "end_date": ""}])
    corrected = write_csv(tmp_path / "corrected" / "coverage.csv", [
        {"patient_id": "P1", "payer": "Medicaid", "start_date": "2024-01-01", "end_date": "2025-04-14"},
        {"patient_id": "P1", "payer": "Medicare", "start_date": "2025-04-15", "end_date": ""}])
    for store in (db, additions_db):
        assert run("load", tmp_path / "patients.csv", wrong, "--db", store).exit_code == 0
    loaded = run("load", corrected, "--db", db)
    assert loaded.exit_code == 0, loaded.output
    assert "coverage: read 2 = loaded 2 (1 changed) + quarantined 0 + duplicates 0" in loaded.output
    assert ("withdrew 1 stored coverage period(s) of the patients it names that it no longer holds "
            "(patient 'P1': Medicare from 2025-03-01 with no end date (load 2)); `bcm changes --out FILE` lists each") in loaded.output
    assert "already loaded" in run("load", corrected, "--db", db).output
    added = run("load", corrected, "--db", additions_db, "--coverage-file", "additions")
    assert "coverage: read 2 = loaded 0 + quarantined 2 + duplicates 0" in added.output and "withdrew" not in added.output
    refused = CliRunner().invoke(cli, ["load", str(corrected), "--db", str(db), "--coverage-file", "replace"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_changes_lists_each_changed_and_withdrawn_row_before_and_after(tmp_path):
    """`bcm changes`: a patient whose payer and discharge a later export changed, and a corrected
    coverage history that changes one period's end and withdraws the other, each listed with its
    load, file and line (none for the withdrawn period: no line holds it), what changed in words,
    both versions without the store's provenance, and the load that had stored the old one;
    --table and --load narrow it, and a selection with none writes the header and says so."""
    patients = write_csv(tmp_path / "a" / "patients.csv", PATIENTS[:1])
    write_csv(tmp_path / "a" / "coverage.csv", [
        {"patient_id": "P1", "payer": "Medicaid", "start_date": "2024-01-01", "end_date": "2025-02-28"},
        {"patient_id": "P1", "payer": "Medicare", "start_date": "2025-03-01", "end_date": ""}])
    write_csv(tmp_path / "b" / "patients.csv", [{**PATIENTS[0], "payer": "Medicaid", "discharge_date": "2025-06-30"}])
    write_csv(tmp_path / "b" / "coverage.csv", [
        {"patient_id": "P1", "payer": "Medicaid", "start_date": "2024-01-01", "end_date": "2025-04-14"},
        {"patient_id": "P1", "payer": "Medicare", "start_date": "2025-04-15", "end_date": ""}])
    db = tmp_path / "s.duckdb"
    assert run("load", patients.parent, "--db", db).exit_code == 0
    second = run("load", tmp_path / "b", "--db", db)
    assert second.output.count("`bcm changes --out FILE` lists each changed row before and after") == 2, second.output
    out = tmp_path / "changes.csv"
    listed = run("changes", "--db", db, "--out", out)
    assert listed.exit_code == 0 and f"3 changed or withdrawn row(s) written to {out}" in listed.output
    rows = list(csv.DictReader(open(out)))
    assert [(r["load_id"], r["table_name"], r["row_key"], r["change"], Path(r["source_file"]).name, r["line_number"],
             r["what_changed"], r["before_from_load"]) for r in rows] == [
        ("3", "patients", "P1", "changed", "patients.csv", "2", "payer: Medicare -> Medicaid; discharge_date: empty -> 2025-06-30", "1"),
        ("4", "coverage", "P1/2024-01-01", "changed", "coverage.csv", "2", "end_date: 2025-02-28 -> 2025-04-14", "2"),
        ("4", "coverage", "P1/2025-03-01", "withdrawn", "coverage.csv", "",
         "not in the newer file: patient_id P1, payer Medicare, start_date 2025-03-01, end_date empty", "2")]
    assert json.loads(rows[2]["before"]) == {"patient_id": "P1", "payer": "Medicare", "start_date": "2025-03-01", "end_date": None}
    assert rows[2]["after"] == "" and json.loads(rows[0]["after"])["payer"] == "Medicaid"
    assert private_mode(out)
    book = tmp_path / "changes.xlsx"
    assert run("changes", "--db", db, "--out", book, "--table", "coverage").exit_code == 0
    assert [c.value for c in openpyxl.load_workbook(book).active["D"]][1:] == ["changed", "withdrawn"]
    none = run("changes", "--db", db, "--out", tmp_path / "none.csv", "--table", "patients", "--load", 4)
    assert none.exit_code == 0 and "no stored row of patients was changed or withdrawn by load 4" in none.output
    assert len((tmp_path / "none.csv").read_text().splitlines()) == 1
