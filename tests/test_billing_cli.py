"""`bcm billing`: files written per output type, the worklist, and one-line refusals."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_csv
from openpyxl import load_workbook

from bcm_analytics.cli.billing import billing
from bcm_analytics.ingest import load_file
from bcm_analytics.warehouse import connect


@pytest.fixture
def db(store, load_rows, tmp_path):
    """Two patients: A bills 99492 in January 2025; B has 10 minutes (unbilled). Store closed for the CLI."""
    load_rows("clinics", [{"clinic_id": "C", "clinic_name": "C", "setting": "physician_practice", "timezone": ""}])
    load_rows("patients", [
        {"patient_id": pid, "clinic_id": "C", "payer": payer, "program": "cocm", "treating_provider_npi": "1234567893",
         "enrollment_date": "2024-12-01", "consent_date": "2024-12-01"} for pid, payer in (("A", "Medicare"), ("B", "Acme"))
    ])
    load_rows("time_logs", [
        {"entry_id": eid, "patient_id": pid, "staff_id": "S", "staff_role": "bhcm", "service_date": day,
         "minutes": minutes, "activity_type": "assessment"}
        for eid, pid, day, minutes in (("1", "A", "2025-01-10", "40"), ("2", "B", "2025-01-10", "10"),
                                       ("3", "A", "2025-02-03", "25"))
    ])
    path = store.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    store.close()
    return path


def run(*args):
    return CliRunner().invoke(billing, [str(a) for a in args])


def test_billing_csv_writes_lines_and_a_sibling_unbilled_file(db, tmp_path):
    out = tmp_path / "lines.csv"
    result = run("--db", db, "--month", "2025-01", "--out", out)
    assert result.exit_code == 0, result.output
    lines = pd.read_csv(out, dtype=str)
    assert list(zip(lines.patient_id, lines.service_month, lines.code, lines.units)) == [("A", "2025-01", "99492", "1")]
    for column in ("episode_id", "month_type", "countable_minutes", "payer", "billing_provider_npi", "expected_amount", "ruleset"):
        assert column in lines
    unbilled = pd.read_csv(tmp_path / "lines_unbilled.csv", dtype=str)
    assert list(zip(unbilled.patient_id, unbilled.first_code, unbilled.minutes_short)) == [("B", "99492", "26")]
    assert "1 billing line(s) for 1 patient-month(s), expected $145.00" in result.output
    assert "'Acme' (1 patient)" in result.output


def test_billing_xlsx_has_an_unbilled_sheet_and_parquet_a_sibling(db, tmp_path):
    assert run("--db", db, "--month", "2025-01", "--to", "2025-02", "--out", tmp_path / "b.xlsx").exit_code == 0
    book = load_workbook(tmp_path / "b.xlsx", read_only=True)
    assert book.sheetnames == ["billing_lines", "unbilled"]
    assert run("--db", db, "--month", "2025-01", "--out", tmp_path / "b.parquet").exit_code == 0
    assert len(pd.read_parquet(tmp_path / "b_unbilled.parquet")) == 1


def test_billing_xlsx_is_formatted_for_finance(db, tmp_path):
    """Months as dates shown yyyy-mm, dollars as currency, and a total under them (SUBTOTAL, so a
    filtered sheet totals what it shows)."""
    assert run("--db", db, "--month", "2025-01", "--to", "2025-02", "--out", tmp_path / "b.xlsx").exit_code == 0
    sheet = load_workbook(tmp_path / "b.xlsx")["billing_lines"]
    header = [c.value for c in sheet[1]]
    month, amount = header.index("service_month") + 1, header.index("expected_amount") + 1
    first = sheet.cell(2, month)
    assert (first.value.year, first.value.month, first.value.day, first.number_format) == (2025, 1, 1, "yyyy-mm")
    assert sheet.cell(2, amount).number_format == '"$"#,##0.00' and sheet.cell(2, amount).value == 145.0
    total_row = sheet.max_row
    assert sheet.cell(total_row, 1).value == "total"
    assert sheet.cell(total_row, amount).value == f"=SUBTOTAL(109,{sheet.cell(2, amount).column_letter}2:" \
                                                 f"{sheet.cell(2, amount).column_letter}{total_row - 1})"


def test_worklist(db, tmp_path):
    out = tmp_path / "worklist.csv"
    result = run("--db", db, "--worklist", "--as-of", "2025-02-25", "--margin", 10, "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"next_code": str})
    assert list(zip(frame.patient_id, frame.next_code, frame.minutes_needed, frame.days_left)) == [("A", "99493", 6, 4)]
    assert frame.due_by.tolist() == ["2025-02-28"]  # the month's last day: a care manager's date to reach the code by


def test_a_worklist_date_past_the_data_is_said(db, tmp_path):
    """The data ends on 2025-02-03: a list for March is empty because nothing of March is loaded, not
    because no one is near a code; it printed 0 patients and nothing else. Said as bcm outcomes says it."""
    note = ("note: as of 2025-03-20, after the data's last day (2025-02-03): minutes logged since are not in the store, "
            "so a patient they bring near a code is not listed")
    later = run("--db", db, "--worklist", "--as-of", "2025-03-20", "--out", tmp_path / "w.csv")
    assert later.exit_code == 0 and note in later.output.splitlines(), later.output
    assert "after the data's last day" not in run("--db", db, "--worklist", "--out", tmp_path / "d.csv").output


def test_save_marts(db, tmp_path):
    result = run("--db", db, "--month", "2025-01", "--out", tmp_path / "x.csv", "--save-marts")
    assert result.exit_code == 0, result.output
    assert "marts.billing_lines" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2025-13"], "'2025-13' is not a month YYYY-MM"),
        (["--month", "2025-03", "--to", "2025-01"], "--to 2025-01 is before --month 2025-03"),
        ([], "--month YYYY-MM is required"),
        (["--month", "2025-01", "--out", "x.json"], "unsupported output type"),
    ],
)
def test_bad_arguments_are_one_line_errors(db, tmp_path, args, message):
    if "--out" not in args:
        args = args + ["--out", tmp_path / "x.csv"]
    result = run("--db", db, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_month_is_refused_before_other_rules_build_marts(db, tmp_path):
    rules = tmp_path / "other_rules.yaml"
    rules.write_text("payer_names: {acme: medicare}\n")
    result = run("--db", db, "--out", tmp_path / "x.csv", "--rules", rules)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --month YYYY-MM is required (or --worklist for the near-threshold list)"


def test_a_rules_file_with_a_mistake_is_one_line_naming_file_and_key(db, tmp_path):
    rules = tmp_path / "my_rules.yaml"
    rules.write_text("payer_classes:\n  medicaid:\n    settings: {max_99494_units: -1}\n")
    result = run("--db", db, "--month", "2025-01", "--out", tmp_path / "x.csv", "--rules", rules)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {rules}: payer_classes.medicaid.settings.max_99494_units: "
        "must be a whole number of 1 or more, or null for no cap (got -1)"
    )


def test_rules_from_environment(db, tmp_path, monkeypatch):
    rules = tmp_path / "env_rules.yaml"
    rules.write_text("payer_names: {acme: medicare}\n")
    monkeypatch.setenv("BCM_RULES", str(rules))
    out = tmp_path / "x.csv"
    assert run("--db", db, "--month", "2025-01", "--out", out).exit_code == 0
    assert "+ env_rules" in pd.read_csv(out).ruleset.iloc[0]


def test_missing_store(tmp_path):
    result = run("--db", tmp_path / "none.duckdb", "--month", "2025-01", "--out", tmp_path / "x.csv")
    assert result.exit_code == 1 and "no store at" in result.output


def test_without_rules_billing_and_reconcile_use_the_rules_the_store_was_built_with(db, tmp_path):
    """`bcm build --rules` makes a file the store's own: under it A's assessment minutes count for
    nothing, so January has no line and no missed billing (the shipped rules would bill 99492)."""
    from bcm_analytics.cli.billing import reconcile

    rules = tmp_path / "program_rules.yaml"
    rules.write_text("settings: {countable_activities: [treatment_planning]}\n")
    _bill_january_under_the_stores_own(db, tmp_path, rules, "+ program_rules")
    reconciled = CliRunner().invoke(reconcile, ["--db", str(db), "--month", "2025-01", "--out", str(tmp_path / "r.csv")])
    assert reconciled.exit_code == 0, reconciled.output
    assert "missed_billing" not in reconciled.output and "missed revenue $0.00" in reconciled.output


def test_bcm_build_keeps_the_program_file_itself_when_it_extends_another(db, tmp_path):
    """A program's file that `extends:` a state's ruleset (or its own base file) is the store's
    own, not the file it extends: the store kept the second file of the chain, so later commands
    billed under the base alone (here counting A's assessment minutes again) and called the file
    given to build "rules other than the store's"."""

    (tmp_path / "base_rules.yaml").write_text("payer_names: {acme: medicare}\n")
    rules = tmp_path / "program_rules.yaml"
    rules.write_text("extends: base_rules.yaml\nsettings: {countable_activities: [treatment_planning]}\n")
    _bill_january_under_the_stores_own(db, tmp_path, rules, "+ base_rules + program_rules")


def test_the_stores_own_rules_file_edited_since_the_build_is_named_so_with_what_to_run(db, tmp_path):
    """A program edits the rules file `bcm build --rules` made the store's own, then bills: the
    edit applies, and the note called the file "billing rules other than the store's" (nobody had
    given other rules) without saying that `bcm build` brings the store's marts up to date."""
    from bcm_analytics.cli.build import build

    rules = tmp_path / "program_rules.yaml"
    rules.write_text("payer_names: {acme: medicare}\n")
    assert CliRunner().invoke(build, ["--db", str(db), "--rules", str(rules)]).exit_code == 0
    rules.write_text("payer_names: {acme: medicare}\nsettings: {countable_activities: [treatment_planning]}\n")
    billed = run("--db", db, "--month", "2025-01", "--out", tmp_path / "lines.csv")
    assert billed.exit_code == 0, billed.output
    assert "0 billing line(s)" in billed.output  # the edit applies: A's assessment minutes no longer count
    assert ("note: computed in a temporary schema for the store's own billing rules as changed since its marts were built "
            "(run `bcm build` to update them); the store's marts are unchanged") in billed.output


def _bill_january_under_the_stores_own(db, tmp_path, rules, named: str) -> None:
    """`bcm build --rules rules`, then January billed without --rules: no line (A's assessment
    minutes count for nothing under `rules`), the ruleset `named`, no scratch catalog."""
    from bcm_analytics.cli.build import build

    assert CliRunner().invoke(build, ["--db", str(db), "--rules", str(rules)]).exit_code == 0
    billed = run("--db", db, "--month", "2025-01", "--out", tmp_path / "lines.csv")
    assert billed.exit_code == 0, billed.output
    assert "0 billing line(s)" in billed.output and named in billed.output
    assert "rules other than the store's" not in billed.output


def test_a_store_whose_own_rules_file_is_gone_refuses_rather_than_bill_by_the_defaults(db, tmp_path):
    """The file `bcm build --rules` made the store's own, moved away: every command billed under
    the shipped rules (A's January 99492 back, the program's payer names unmapped), and its note
    called them "rules other than the store's", which no one had asked for."""
    from bcm_analytics.cli import cli

    rules = tmp_path / "program_rules.yaml"
    rules.write_text("settings: {countable_activities: [treatment_planning]}\n")
    assert CliRunner().invoke(cli, ["build", "--db", str(db), "--rules", str(rules)]).exit_code == 0
    rules.rename(tmp_path / "moved.yaml")
    gone = (f"Error: {rules}: the store's own rules file (set by `bcm build --rules`) is not there any more: "
            "put it back, give its new place with `bcm build --rules FILE`, or go back to the shipped rules with "
            "`bcm build --rules default`")
    for command in (["billing", "--month", "2025-01", "--out", str(tmp_path / "lines.csv")],
                    ["reconcile", "--month", "2025-01", "--out", str(tmp_path / "r.csv")], ["build"],
                    ["load", str(write_csv(tmp_path / "feb" / "time_logs.csv", [
                        {"entry_id": "9", "patient_id": "A", "staff_id": "S", "staff_role": "bhcm",
                         "service_date": "2025-02-03", "minutes": "20", "activity_type": "assessment"}]))]):
        result = CliRunner().invoke(cli, [*command, "--db", str(db)])
        assert (result.exit_code, result.output.strip()) == (1, gone), command
    assert not (tmp_path / "lines.csv").exists()
    con = connect(db)
    assert con.execute("SELECT count(*) FROM staging.time_logs WHERE entry_id = '9'").fetchall() == [(0,)]  # nothing loaded
    con.close()
    moved = CliRunner().invoke(cli, ["build", "--db", str(db), "--rules", str(tmp_path / "moved.yaml")])
    assert moved.exit_code == 0, moved.output
    assert "0 billing line(s)" in run("--db", db, "--month", "2025-01", "--out", tmp_path / "lines.csv").output
    shipped = CliRunner().invoke(cli, ["build", "--db", str(db), "--rules", "default"])  # the program's file left
    assert shipped.exit_code == 0, shipped.output
    assert "1 billing line(s)" in run("--db", db, "--month", "2025-01", "--out", tmp_path / "lines.csv").output  # A's 99492


def test_the_shipped_definitions_are_named_default():
    from bcm_analytics.config.definitions import load_definitions

    assert load_definitions("default") == load_definitions()


def test_build_reconcile_worklist_and_audit_say_which_rules_they_used(db, tmp_path):
    """`bcm billing` named its ruleset; `bcm build --rules` (which makes a file the store's own),
    `bcm reconcile`, the worklist and `bcm audit` said nothing of the rules they judged by."""
    from bcm_analytics.cli import cli
    from bcm_analytics.config.rules import load_rules

    rules = tmp_path / "program_rules.yaml"
    rules.write_text("ruleset: acme\nversion: '3'\nsettings: {max_99494_units: 2}\n")
    ruleset = load_rules(rules).id
    assert ruleset.endswith(" + acme 3")
    built = CliRunner().invoke(cli, ["build", "--db", str(db), "--rules", str(rules)])
    assert f"  billing rules {ruleset} ({rules}); outcome definitions " in built.output
    for command, said in (
            (["reconcile", "--month", "2025-01", "--out", str(tmp_path / "r.csv")], f"finding(s) for 2025-01..2025-01 ({ruleset}): "),
            (["billing", "--worklist", "--out", str(tmp_path / "w.csv")], f"of their next code on 2025-02-03 ({ruleset}): "),
            (["audit", "--month", "2025-01", "--out", str(tmp_path / "audit")], f"(2025-01..2025-01, {ruleset}): ")):
        result = CliRunner().invoke(cli, [*command, "--db", str(db)])
        assert result.exit_code == 0 and said in result.output, (command, result.output)


def test_a_month_without_minutes_is_told_apart_from_a_quiet_month(db, tmp_path):
    """2052-01 typed for 2025-01: both commands still write their (empty) files, and say which months have minutes."""
    from bcm_analytics.cli.billing import reconcile

    note = "note: no minutes logged in 2052-01..2052-01; the store's minutes are logged in 2025-01..2025-02"
    billed = run("--db", db, "--month", "2052-01", "--out", tmp_path / "lines.csv")
    assert billed.exit_code == 0 and note in billed.output.splitlines()
    reconciled = CliRunner().invoke(reconcile, ["--db", str(db), "--month", "2052-01", "--out", str(tmp_path / "r.csv")])
    assert reconciled.exit_code == 0 and note in reconciled.output.splitlines()
    assert "" not in [line.strip() for line in reconciled.output.splitlines()], "no blank line for no findings"
    assert note not in run("--db", db, "--month", "2025-02", "--out", tmp_path / "feb.csv").output


def test_a_month_without_minutes_inside_the_data_is_noted(db, tmp_path):
    """A hole in the exports (no minutes in March between February and April) is noted as a
    mistyped month is, naming the months the store's minutes span."""
    con = connect(db)
    load_file(con, write_csv(tmp_path / "april" / "time_logs.csv", [
        {"entry_id": "4", "patient_id": "A", "staff_id": "S", "staff_role": "bhcm", "service_date": "2025-04-02",
         "minutes": "20", "activity_type": "assessment"}]))
    con.close()
    hole = run("--db", db, "--month", "2025-03", "--out", tmp_path / "march.csv")
    assert hole.exit_code == 0, hole.output
    assert "note: no minutes logged in 2025-03..2025-03; the store's minutes are logged in 2025-01..2025-04" in hole.output


def test_a_store_without_minutes_says_it_holds_none(tmp_path):
    empty = tmp_path / "empty.duckdb"
    con = connect(empty, timezone="America/New_York")
    load_file(con, write_csv(tmp_path / "patients.csv", [
        {"patient_id": "A", "clinic_id": "C", "payer": "Medicare", "enrollment_date": "2025-01-06"}]))
    con.close()
    result = run("--db", empty, "--month", "2025-01", "--out", tmp_path / "none.csv")
    assert result.exit_code == 0, result.output
    assert "note: no minutes logged in 2025-01..2025-01; the store holds no minutes" in result.output.splitlines()


def test_worklist_as_of_reads_and_is_refused_as_bcm_outcomes_as_of_is(db, tmp_path):
    """The same option, the same words: YYYY-MM-DD in the help, and a refusal that says so (it showed
    [%Y-%m-%d] and "does not match the format '%Y-%m-%d'")."""
    assert "--as-of YYYY-MM-DD" in run("--help").output
    result = run("--db", db, "--worklist", "--as-of", "2025/02/25", "--out", tmp_path / "w.csv")
    assert result.exit_code == 2
    assert "Invalid value for '--as-of': '2025/02/25' is not a date YYYY-MM-DD" in result.output


@pytest.mark.parametrize("args, message", [
    (["--worklist", "--month", "2025-01"], "--month/--to do not apply to --worklist, which lists the month of --as-of; "
                                           "give --as-of 2025-01-DD (default: the data's last day)"),
    (["--month", "2025-01", "--as-of", "2025-01-20"], "--as-of applies only to --worklist; billing lines take --month and --to"),
    (["--month", "2025-01", "--margin", "3"],
     "--margin applies only to --worklist (minutes below the next code); billing lines take --month and --to"),
])
def test_a_month_or_date_the_command_would_ignore_is_refused(db, tmp_path, args, message):
    out = tmp_path / "x.csv"
    result = run("--db", db, *args, "--out", out)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"
    assert not out.exists()


NO_PANDAS_PROBE = """import sys
from bcm_analytics.cli import main
sys.argv = ["bcm", *sys.argv[1:]]
try:
    main()
finally:
    print("pandas imported:", "pandas" in sys.modules)
"""


def test_the_monthly_step_imports_no_pandas(tmp_path):
    """`bcm load` and `bcm billing --out` read and write through DuckDB, yet each imported pandas
    (0.6-0.75 s, a sixth of a monthly update at 1M rows): pyarrow imports it on its first
    conversion of Python values, as the rules' and definitions' tables were made."""
    import subprocess
    import sys

    patients = [{"patient_id": p, "clinic_id": "C", "payer": "Medicare", "program": "cocm", "treating_provider_npi": "1234567893",
                 "enrollment_date": "2024-12-01", "consent_date": "2024-12-01"} for p in ("A", "B")]
    logs = [{"entry_id": e, "patient_id": p, "staff_id": "S", "staff_role": "bhcm", "service_date": day, "minutes": "40",
             "activity_type": "assessment"} for e, p, day in (("1", "A", "2025-01-10"), ("2", "B", "2025-02-10"))]
    exports = [write_csv(tmp_path / "clinics.csv", [{"clinic_id": "C", "clinic_name": "C", "setting": "physician_practice",
                                                     "timezone": ""}]),
               write_csv(tmp_path / "patients.csv", patients), write_csv(tmp_path / "time_logs.csv", logs[:1])]
    month = write_csv(tmp_path / "time_logs_2025-02.csv", logs[1:])
    db = tmp_path / "store.duckdb"
    steps = [["load", *exports, "--db", db], ["load", month, "--db", db],
             ["billing", "--db", db, "--month", "2025-02", "--out", tmp_path / "lines.csv"],
             ["billing", "--db", db, "--month", "2025-02", "--out", tmp_path / "lines.xlsx"]]
    for args in steps:
        done = subprocess.run([sys.executable, "-c", NO_PANDAS_PROBE, *map(str, args)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "pandas imported: False", f"bcm {args[0]} {args[-1]}"
    assert (tmp_path / "lines.csv").read_text().count("\n") == 2  # B's February line, under the header


def test_the_reconcile_summary_names_findings_as_the_page_does():
    """`bcm reconcile` printed 'matched 54, denied_claim 1, missing_consent 2': ids, one of them
    for two things (billed without consent, a compliance risk, or minutes only logged without it)."""
    from bcm_analytics.billing.reconcile import counts_in_words

    counts = {("missing_consent", "info"): 2, ("denied_claim", "revenue"): 1, ("matched", "info"): 54,
              ("missing_consent", "compliance"): 1}
    assert counts_in_words(counts) == ("matched 54, denied claim 1, billed without consent 1, "
                                       "minutes logged without consent 2")
