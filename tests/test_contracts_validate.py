"""`bcm validate` on small stores, and the data-quality report that shows its result."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.ingest import load_file
from bcm_analytics.warehouse import connect

EXPORTS = {
    "clinics.csv": "clinic_id,setting,timezone\nC1,physician_practice,America/Chicago\n",
    "patients.csv": "patient_id,clinic_id,payer,enrollment_date\nP1,C1,Medicare,2025-01-01\nP2,C1,Medicaid,2025-01-01\n",
    "time_logs.csv": (
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"
        "E1,P1,S1,bhcm,2025-01-06,10,outreach\nE2,P2,S1,bhcm,2025-01-07,12,outreach\n"
        "E3,P1,S1,bhcm,2025-02-03,10,follow_up_contact\nE4,P2,S1,bhcm,2025-02-04,14,follow_up_contact\n"
    ),
    "assessments.csv": "assessment_id,patient_id,instrument,administered_on,total_score\nA1,P1,PHQ-9,2025-01-06,14\n",
    "claims.csv": "claim_id,patient_id,date_of_service,procedure_code,billing_provider_npi\nK1,P1,2025-01-31,99492,1234567893\n",
}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "store.duckdb"
    con = connect(path, timezone="America/New_York")
    for name, text in EXPORTS.items():
        load_file(con, write(tmp_path / "exports", name, text))
    con.close()
    return path


def validate(*args):
    return CliRunner().invoke(cli, ["validate", *map(str, args)])


def test_clean_data_passes_and_the_run_is_kept(db):
    result = validate("--db", db, "--sample", 0)
    assert result.exit_code == 0, result.output
    assert "0 reject, 0 warn" in result.output
    con = connect(db, read_only=True)
    assert con.execute("SELECT success, sample_rows FROM meta.validation_runs").fetchall() == [(True, None)]
    assert con.execute("SELECT count(DISTINCT table_name) FROM meta.validation_results WHERE engine = 'duckdb'").fetchall() == [(8,)]  # every table of tables.yaml, facility_stays, coverage and diagnoses too


def test_a_reject_expectation_failing_on_stored_data_fails_the_run(db):
    """A row written around the loader (here: a time log for a patient nobody exported)."""
    con = connect(db)
    con.execute("INSERT INTO staging.time_logs (entry_id, patient_id, staff_role, service_date_local, minutes, activity_type, _line) "
                "VALUES ('E9', 'P404', 'bhcm', '2025-02-05', 20, 'outreach', 99)")
    con.close()
    result = validate("--db", db, "--sample", 0)
    assert result.exit_code == 1
    assert "reject time_logs: patient known: 1 rows of 5" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: 1 reject-level expectation(s) fail on stored data")


def test_distribution_and_workload_warnings_do_not_fail_the_run(db, tmp_path):
    """March's median entry is ten times February's (minutes exported as seconds?), and S1 logs 25 hours on one day."""
    con = connect(db, timezone="America/New_York")
    load_file(con, write(tmp_path / "exports", "time_logs_march.csv", (
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"
        "E5,P1,S1,bhcm,2025-03-03,700,care_coordination\nE6,P2,S1,bhcm,2025-03-03,800,care_coordination\n"
    )))
    con.close()
    result = validate("--db", db, "--sample", 0)
    assert result.exit_code == 0, result.output
    # checks written as SQL count groups (a clinic's month, a staff member's day), not rows
    assert "warn   time_logs: clinic median minutes stable month to month: 1 group of 6 rows" in result.output
    assert "warn   time_logs: at most 24 hours per staff member per day: 1 group of 6 rows" in result.output


def test_great_expectations_validates_a_sample_and_the_result_is_written(db, tmp_path):
    out = tmp_path / "result.json"
    result = validate("--db", db, "--sample", 1000, "--out", out)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert set(document["great_expectations"]) == {"clinics", "patients", "time_logs", "assessments", "claims", "facility_stays", "coverage", "diagnoses"}
    assert all(suite["success"] for suite in document["great_expectations"].values())
    engines = {o["engine"] for o in document["outcomes"]}
    assert engines == {"duckdb", "great_expectations"}


def test_a_missing_store_is_one_line(tmp_path):
    result = validate("--db", tmp_path / "nowhere.duckdb")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no store at {tmp_path / 'nowhere.duckdb'}; create one with `bcm load PATH --db {tmp_path / 'nowhere.duckdb'}` (or `bcm demo`)"


@pytest.mark.slow
def test_the_data_quality_report_renders(db, tmp_path):
    from bcm_analytics.reports.runner import render_report

    assert validate("--db", db, "--sample", 1000).exit_code == 0
    html = render_report("data_quality", db, {}, tmp_path / "dq.html").read_text()
    for heading in ("What did each load do?", "Do the exports cover the same months?", "Why were rows set aside?",
                    "great-expectations validation result, per suite"):
        assert heading in html
    assert "No scores are loaded for Feb 2025, though time is logged in them" in html


def test_rows_per_month_of_each_export_show_the_one_that_stops(db):
    """Scores and claims end in January, time logs go on into February: each export has a row for
    February, 0 where it has none, so the report's line for it falls to 0."""
    from bcm_analytics.contracts.quality import export_months

    con = connect(db, read_only=True)
    rows = {(export, f"{month:%Y-%m}", n) for export, month, n in export_months(con).itertuples(index=False)}
    con.close()
    assert rows == {("time logs", "2025-01", 2), ("time logs", "2025-02", 2), ("assessments", "2025-01", 1),
                    ("assessments", "2025-02", 0), ("claims", "2025-01", 1), ("claims", "2025-02", 0)}


def test_great_expectations_samples_whole_patients_in_a_repeatable_order(store, load_rows):
    """GE's in-set checks cost in proportion to the distinct ids in its sample, so it takes every
    row of as many patients as fit rather than rows one by one."""
    from bcm_analytics.contracts.validate import sample_frames

    load_rows("clinics", [{"clinic_id": "C", "clinic_name": "C", "setting": "physician_practice", "timezone": ""}])
    load_rows("patients", [{"patient_id": f"P{i}", "clinic_id": "C", "payer": "Medicare", "enrollment_date": "2025-01-01"}
                           for i in range(30)])
    load_rows("time_logs", [{"entry_id": f"E{i}-{j}", "patient_id": f"P{i}", "staff_id": "S", "staff_role": "bhcm",
                             "service_date": f"2025-01-{10 + j}", "minutes": "10", "activity_type": "outreach"}
                            for i in range(30) for j in range(5)])
    frame = sample_frames(store, 12)["time_logs"]
    assert sorted(frame.groupby("patient_id").size().tolist()) == [5, 5]  # two whole patients; a third would not fit
    assert frame.equals(sample_frames(store, 12)["time_logs"])
    assert len(sample_frames(store, 3)["time_logs"]) == 3  # a first patient with more rows than the sample is cut
    assert len(sample_frames(store, 1000)["time_logs"]) == 150


@pytest.mark.slow
def test_the_set_aside_chart_counts_the_rows_still_to_act_on_not_the_closed_ones(db, tmp_path):
    """Three unreadable minutes fixed by the next export (superseded), one still open, one waiting
    for its patient: the chart 'Rows set aside, by check' counted 4 under the minutes check, as
    on a real store 2,805 superseded rows dwarfed the 16 still open. It shows open and waiting,
    as the table beside it splits them; the table still counts the closed ones."""
    from bcm_analytics.contracts import quality
    from bcm_analytics.reports.runner import render_report

    header = "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"
    rows = "".join(f"E{i},P1,S1,bhcm,2025-02-1{i},{{}},outreach\n" for i in (5, 6, 7))
    con = connect(db)
    load_file(con, write(tmp_path / "a", "time_logs.csv", header + rows.replace("{}", "abc")))
    load_file(con, write(tmp_path / "b", "time_logs.csv", header + rows.replace("{}", "10")
                         + "E8,P1,S1,bhcm,2025-02-18,lots,outreach\nE9,P9,S1,bhcm,2025-02-19,10,outreach\n"))
    reasons = quality.reasons_by_check(con)
    assert reasons[["check", "rows", "open", "waiting", "superseded"]].values.tolist() == [
        ["minutes readable as number", 4, 1, 0, 3], ["patient known", 1, 0, 1, 0]]
    assert quality.to_act_on(reasons)[["label", "status", "rows"]].values.tolist() == [
        ["minutes readable as number (time_logs)", "open", 1], ["patient known (time_logs)", "waiting", 1]]
    con.close()
    html = render_report("data_quality", db, {}, tmp_path / "dq.html").read_text()
    assert "Rows still to act on (open or waiting), by check" in html and "Rows set aside, by check" not in html


def test_every_check_that_set_rows_aside_is_listed_the_chart_says_what_it_leaves_to_the_table(store):
    """Sixteen time-log checks with two open rows each, and a patients export's one open row (as a
    150-patient program's four bad patient rows, one per check): the list of checks stopped at the
    fifteen largest, so the patients row was on no line of 'Why were rows set aside?' while the
    loads table counted it. The table lists every check; the chart keeps fifteen and says so."""
    from bcm_analytics.contracts import quality

    entries = [("time_logs", f"check {i:02d}", line) for i in range(16) for line in (1, 2)] + [("patients", "payer required", 7)]
    store.executemany("INSERT INTO meta.quarantine (load_id, table_name, source_file, line_number, failed_checks, reason, quarantined_at) "
                      "VALUES (1, ?, 'x.csv', ?, [?], 'a reason', now())", [(t, line, c) for t, c, line in entries])
    reasons = quality.reasons_by_check(store)
    assert len(reasons) == 17 and reasons.iloc[-1][["table", "check", "open"]].tolist() == ["patients", "payer required", 1]
    charted = quality.to_act_on(reasons)
    assert charted["label"].nunique() == 15 and "payer required (patients)" not in set(charted["label"])
    assert quality.not_charted_note(reasons) == (
        "The chart shows the 15 checks with most rows to act on; 2 more checks with 3 rows open or waiting are in the table below.")
    assert quality.not_charted_note(reasons.iloc[:15]) == ""


def test_a_store_never_validated_is_given_the_command_that_validates_it(tmp_path):
    """The note read "run `bcm validate --db STORE`", backticks and all: the page shows HTML, not
    Markdown, and knows which store it describes."""
    from bcm_analytics.reports.runner import render_report

    db = tmp_path / "program store.duckdb"
    con = connect(db)
    load_file(con, write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-02\n"))
    con.close()
    html = render_report("data_quality", db, {}, tmp_path / "dq.html").read_text()
    assert f"run <code>bcm validate --db '{db}'</code>." in html and "`" not in html.split("No validation has run")[1][:200]


def test_the_table_level_warnings_say_whether_they_count_rows_or_groups(db, tmp_path):
    """E5 logs E1's minutes again under another id (2 rows), and P1 has two PHQ-9 scores on one
    day (1 day, 2 scores). The page's one column 'rows or groups' read 2 and 1 without saying
    which was which: a steward looking for one row found two, or two scores where it said one."""
    from bcm_analytics.contracts import quality
    from bcm_analytics.reports import data_quality as dq

    con = connect(db)
    load_file(con, write(tmp_path / "a", "time_logs.csv", "entry_id,patient_id,staff_id,staff_role,service_date,minutes,"
                         "activity_type\nE5,P1,S1,bhcm,2025-01-06,10,outreach\n"))
    load_file(con, write(tmp_path / "a", "assessments.csv", "assessment_id,patient_id,instrument,administered_on,total_score\n"
                         "A2,P1,PHQ-9,2025-01-06,16\n"))
    con.close()
    assert validate("--db", db, "--sample", 0).exit_code == 0
    con = connect(db)
    warnings = dq.table_warnings(quality.latest_validation(con)[1])
    con.close()
    assert warnings.values.tolist() == [
        ["assessments", "one score per instrument per day", 1, "groups"],
        ["time_logs", "no entry logged twice", 2, "rows"]]
    assert list(warnings.columns) == ["table", "expectation", "found", "counting"]
