"""`bcm outcomes`: patient-level file by extension, aggregate measures, worklists workbook, refusals."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from bcm_analytics.cli import cli


def run(*args):
    return CliRunner().invoke(cli, ["outcomes", *map(str, args)], catch_exceptions=False)


@pytest.fixture
def db(store, load_rows, tmp_path):
    """Two patients: P1 improves to remission at 6 months, P2 has a positive item 9 and no follow-up."""
    load_rows("patients", [
        {"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1", "enrollment_date": "2025-01-06"},
        {"patient_id": "P2", "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1", "enrollment_date": "2025-01-06"},
    ])
    rows = [("A1", "P1", "2025-01-06", 18, 0), ("A2", "P1", "2025-06-10", 3, 0), ("A3", "P2", "2025-01-06", 14, 2)]
    load_rows("assessments", [
        {"assessment_id": a, "patient_id": p, "instrument": "PHQ-9", "administered_on": d, "total_score": t, "item_9": i}
        for a, p, d, t, i in rows
    ])
    store.close()
    return tmp_path / "test.duckdb"


@pytest.fixture
def program_db(store, load_rows, tmp_path):
    """30 patients, all with a PHQ-9 baseline of 15 in January 2025: 15 at clinic C1, 12 at C2 and
    3 at C3; every third one remits by six months (score 3), the others stay at 12."""
    clinics = ["C1"] * 15 + ["C2"] * 12 + ["C3"] * 3
    load_rows("patients", [
        {"patient_id": f"P{i:02d}", "clinic_id": c, "payer": "Medicare", "care_manager_id": "CM1", "enrollment_date": "2025-01-06"}
        for i, c in enumerate(clinics)
    ])
    load_rows("assessments", [
        {"assessment_id": f"A{i:02d}{n}", "patient_id": f"P{i:02d}", "instrument": "PHQ-9", "administered_on": day,
         "total_score": score, "item_9": 0}
        for i in range(len(clinics))
        for n, (day, score) in enumerate([("2025-01-06", 15), ("2025-06-10", 3 if i % 3 == 0 else 12)])
    ])
    store.close()
    return tmp_path / "test.duckdb"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_patient_level_file_by_extension(db, tmp_path, suffix):
    out = tmp_path / f"outcomes{suffix}"
    result = run("--db", db, "--as-of", "2025-12-31", "--out", out)
    assert result.exit_code == 0, result.output
    assert "2 patient-episode-instrument rows" in result.output and "as of 2025-12-31" in result.output
    frame = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix](out)
    p1 = frame.set_index("patient_id").loc["P1"]
    assert (p1["episode_id"], p1["remission_6m_status"], bool(p1["remission_6m"])) == ("P1-1", "met", True)


def test_measures_are_suppressed(program_db, tmp_path):
    out = tmp_path / "measures.csv"
    result = run("--db", program_db, "--as-of", "2025-12-31", "--measures", out, "--start-month", "2025-01", "--end-month", "2025-01")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    counts = frame[["denominator", "measured", "responders", "remitters"]]
    assert not counts.isin(range(1, 11)).any().any()
    assert {"dimension", "stratum", "window_name", "as_of", "definitions"} <= set(frame.columns)
    six_months = frame[frame.window_name == "6m"].set_index(["dimension", "stratum"]).denominator
    assert six_months[("program", "All")] == 30 and six_months[("clinic", "C1")] == 15, "large counts are shown"
    clinics = six_months["clinic"]
    assert pd.isna(clinics["C3"]) and clinics.isna().sum() >= 2, "C3's 3 patients hidden, and a second clinic so 30 - 15 - 12 cannot reveal them"
    program = frame[frame.dimension == "program"].set_index("window_name").window_status.fillna("")
    assert (program["6m"], program["12m"]) == ("", "not yet measurable"), "12 months from January 2025 is not closed"


def test_a_strata_row_of_a_window_not_closed_yet_says_so_as_the_programs_does(program_db, tmp_path):
    """A clinic's 12-month row read denominator 0 and empty rates with no status: the 0 of a
    window not yet closed looked like a clinic with no eligible patient. A closed window's
    rows, and a clinic's row hidden for privacy, carry no status."""
    out = tmp_path / "measures.csv"
    result = run("--db", program_db, "--as-of", "2025-12-31", "--measures", out, "--month", "2025-01", "--to", "2025-01")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).fillna({"window_status": ""})
    clinics = frame[frame.dimension == "clinic"].set_index(["window_name", "stratum"]).window_status
    assert set(clinics["12m"]) == {"not yet measurable"} and set(clinics["6m"]) == {""}
    assert (frame[frame.window_name == "12m"].window_status == "not yet measurable").all()


@pytest.mark.parametrize("months", [["--start-month", "2025-01", "--end-month", "2025-03"], ["--month", "2025-01", "--to", "2025-03"]])
def test_measures_period_takes_month_and_to_as_billing_does(program_db, tmp_path, months):
    """`bcm billing` and `bcm reconcile` take --month/--to; `bcm outcomes --month` was 'No such option'."""
    out = tmp_path / "measures.csv"
    result = run("--db", program_db, "--as-of", "2025-12-31", "--measures", out, *months)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert (set(frame.baseline_from), set(frame.baseline_to)) == ({"2025-01-01"}, {"2025-03-31"})


def test_measures_cover_the_whole_quarters_an_external_page_shows(program_db, tmp_path):
    """As of 15 November, the file took baselines from December to November and the external page
    the four quarters ended by then (October to September): subtracting one from the other left two
    months' counts, 8 measured and 3 responders, that neither showed. The file covers the page's
    quarters and says so."""
    from bcm_analytics.outcomes import prepare
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy
    from bcm_analytics.warehouse import connect

    out = tmp_path / "measures.csv"
    result = CliRunner().invoke(cli, ["outcomes", "--db", str(program_db), "--as-of", "2025-11-15", "--measures", str(out)])
    assert result.exit_code == 0, result.output
    assert "note: the program measures: whole calendar quarters 2024 Q4 - 2025 Q3 (Oct 2024 - Sep 2025), in place of " \
           "Dec 2024 - Nov 2025." in result.stderr
    frame = pd.read_csv(out)
    assert (set(frame.baseline_from), set(frame.baseline_to)) == ({"2024-10-01"}, {"2025-09-30"})
    con = connect(program_db, read_only=True)
    run_ = prepare(con, "2025-11-15")
    privacy = Privacy("external", run_.definitions.threshold)
    period = privacy.period(run_.period()["start_month"], run_.period()["end_month"], run_.as_of, months=12)
    page = co.headline(run_, period.start, period.end, privacy)
    con.close()
    program = frame[frame.dimension == "program"]
    assert program.denominator.tolist() == page.denominator.tolist() and program.measured.tolist() == page.measured.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_measures_name_the_cells_they_suppress(program_db, tmp_path, suffix):
    """A hidden count was written empty, as a count that is missing is: a reader could not tell C3's
    3 patients (hidden) from no count at all. Numbers stay numbers; `suppressed` names what is hidden."""
    out = tmp_path / f"measures{suffix}"
    assert run("--db", program_db, "--as-of", "2025-12-31", "--measures", out, "--month", "2025-01", "--to", "2025-01").exit_code == 0
    frame = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix](out)
    counts = ["denominator", "measured", "responders", "remitters"]
    assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in counts + ["pct_response", "pct_remission"])
    named = frame["suppressed"].fillna("").map(lambda text: set(text.split(", ")) - {""})
    c3 = frame[(frame.stratum == "C3") & (frame.window_name == "6m")].index[0]
    assert set(counts) <= named[c3]
    for i, row in frame.iterrows():
        assert {c for c in counts if pd.isna(row[c])} == named[i] & set(counts), "a count is empty exactly when named"
        assert all(pd.isna(row[c]) for c in named[i]), "a named column is empty"
    program = frame[(frame.dimension == "program") & (frame.window_name == "12w")].index[0]
    assert pd.isna(frame.at[program, "pct_response_of_measured"]) and named[program] == set(), "no base is not a suppression"


def test_worklists_workbook(db, tmp_path):
    out = tmp_path / "worklists.xlsx"
    result = run("--db", db, "--as-of", "2025-12-31", "--worklists", out)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["about", "needs_case_review", "item9_positive", "overdue_score", "no_recent_contact",
                               "followup_due", "definitions"]
    item9 = [row[0].value for row in book["item9_positive"].iter_rows(min_row=2)]
    assert item9 == ["P2"]


def test_refusals_are_one_line(db, tmp_path):
    assert "nothing to write" in run("--db", db).output
    assert "unsupported output type" in run("--db", db, "--out", tmp_path / "x.json").output
    assert "no store at" in run("--db", tmp_path / "missing.duckdb", "--out", tmp_path / "x.csv").output


@pytest.mark.parametrize("option, value, message", [
    ("--clinic", "C2", "bcm outcomes: clinics 'C2' is not in the store; valid: C1"),
    ("--payer", "Medicar", "bcm outcomes: payer 'Medicar' is not in the store (did you mean Medicare?); valid: Medicare"),
    ("--care-manager", "CM9", "bcm outcomes: care_manager 'CM9' is not in the store (did you mean CM1?); valid: CM1"),
    ("--instrument", "PHQ9", "bcm outcomes: instrument 'PHQ9' is not in the store (did you mean PHQ-9?); valid: PHQ-9"),
])
def test_a_filter_naming_nothing_in_the_store_is_refused_not_an_empty_file(db, tmp_path, option, value, message):
    out = tmp_path / "outcomes.csv"
    result = run("--db", db, "--out", out, option, value)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"
    assert not out.exists()


def test_a_filter_in_another_case_is_read_in_the_store_spelling(db, tmp_path):
    result = run("--db", db, "--as-of", "2025-12-31", "--out", tmp_path / "o.csv", "--instrument", "phq-9", "--clinic", "C1")
    assert result.exit_code == 0, result.output
    assert "2 patient-episode-instrument rows" in result.output


def test_a_filter_on_an_instrument_measured_as_another_is_refused_naming_the_one_that_holds_its_scores(store, load_rows, tmp_path):
    """The definitions measure PHQ-A scores as the PHQ-9's (measure_as), so a filter on PHQ-A found
    none: the file had no measures and the page read 0% scored, as if the teens were never scored."""
    load_rows("patients", [{"patient_id": "T1", "clinic_id": "C1", "payer": "Medicaid", "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [{"assessment_id": "A1", "patient_id": "T1", "instrument": "PHQ-A", "administered_on": "2025-01-06",
                               "total_score": 16}])
    store.close()
    db = tmp_path / "test.duckdb"
    refused = run("--db", db, "--as-of", "2025-12-31", "--out", tmp_path / "o.csv", "--instrument", "phq-a")
    assert refused.exit_code == 1 and not (tmp_path / "o.csv").exists()
    assert refused.output.strip().splitlines()[-1] == (
        "Error: bcm outcomes: instrument PHQ-A: the definitions measure its scores as the PHQ-9's (instruments.PHQ-A.measure_as), "
        "so outcomes hold them under PHQ-9: filter on PHQ-9, which counts both")
    accepted = run("--db", db, "--as-of", "2025-12-31", "--out", tmp_path / "o.csv", "--instrument", "PHQ-9")
    assert accepted.exit_code == 0, accepted.output  # no PHQ-9 in the store: PHQ-9 still holds the PHQ-A's score
    assert "1 patient-episode-instrument rows" in accepted.output


@pytest.mark.parametrize("months, message", [
    (["--start-month", "2025-06", "--end-month", "2025-01"], "--start-month/--month 2025-06 is after --end-month/--to 2025-01"),
    (["--month", "2025-06", "--to", "2025-01"], "--start-month/--month 2025-06 is after --end-month/--to 2025-01"),
    (["--start-month", "2026-02"], "--start-month/--month 2026-02 is after the as-of month 2025-12 (the default of --end-month/--to)"),
])
def test_a_baseline_period_ending_before_it_starts_is_one_line_and_writes_nothing(db, tmp_path, months, message):
    out = tmp_path / "outcomes.csv"
    result = CliRunner().invoke(cli, ["outcomes", "--db", str(db), "--as-of", "2025-12-31", "--out", str(out),
                                      "--measures", str(tmp_path / "measures.csv"), *months])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"
    assert not out.exists()


def test_measures_workbook_shows_its_period_and_as_of_as_dates(program_db, tmp_path):
    """They are Python dates in the frame, not a date column: Excel showed them as serial numbers (46022)."""
    out = tmp_path / "measures.xlsx"
    assert run("--db", program_db, "--as-of", "2025-12-31", "--measures", out).exit_code == 0
    sheet = openpyxl.load_workbook(out)["measures"]
    header = [c.value for c in sheet[1]]
    for column, day in (("baseline_from", (2025, 1, 1)), ("baseline_to", (2025, 12, 31)), ("as_of", (2025, 12, 31))):
        cell = sheet.cell(2, header.index(column) + 1)
        assert ((cell.value.year, cell.value.month, cell.value.day), cell.number_format) == (day, "yyyy-mm-dd"), column


def test_an_as_of_date_past_the_data_is_said(db, tmp_path):
    """The data ends on 2025-06-10: as of 2025-12-31, windows closing in between read as closed, a
    score not yet exported as missing. Allowed (a report dated at month end), and said."""
    later = CliRunner().invoke(cli, ["outcomes", "--db", str(db), "--as-of", "2025-12-31", "--out", str(tmp_path / "o.csv")])
    assert later.exit_code == 0, later.output
    assert ("note: as of 2025-12-31, after the data's last day (2025-06-10): a window closing in between counts as "
            "closed, so a score not yet exported reads as missing") in later.output
    default = run("--db", db, "--out", tmp_path / "d.csv")
    assert default.exit_code == 0 and "after the data's last day" not in default.output


def test_months_whose_scores_are_not_loaded_are_a_warning(store, load_rows, tmp_path):
    """Time logged through March, scores through January: measures and worklists read February's
    and March's follow-ups as missing; `bcm outcomes` says which months hold no score."""
    load_rows("patients", [{"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1",
                            "enrollment_date": "2025-01-06"}])
    load_rows("assessments", [{"assessment_id": "A1", "patient_id": "P1", "instrument": "PHQ-9",
                               "administered_on": "2025-01-06", "total_score": 15, "item_9": 0}])
    load_rows("time_logs", [{"entry_id": f"E{m}", "patient_id": "P1", "staff_role": "bhcm", "service_date": f"2025-0{m}-10",
                             "minutes": "20", "activity_type": "follow_up_contact"} for m in (1, 2, 3)])
    store.close()
    result = run("--db", tmp_path / "test.duckdb", "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert "warning: no scores are loaded for 2025-02 to 2025-03, though time is logged in them" in result.output


@pytest.mark.parametrize("name", ["program_definitions.yaml", "acme + pilot.yaml"])
def test_without_definitions_outcomes_use_the_ones_the_store_was_built_with(db, tmp_path, name):
    """`bcm build --definitions` makes a file the store's own; `bcm outcomes` without the option
    measured by the shipped definitions instead (P1's score of 3 a remission), named them, and
    called the store's own "outcome definitions other than the store's". The file was found again
    by cutting the joined sources at " + ", so one named "acme + pilot.yaml" never became the
    store's own."""
    definitions = tmp_path / name
    definitions.write_text("version: acme-1\noutcome: {remission_below: 3}\n")
    built = CliRunner().invoke(cli, ["build", "--db", str(tmp_path / "test.duckdb"), "--definitions", str(definitions)])
    assert built.exit_code == 0, built.output
    result = run("--db", db, "--as-of", "2025-12-31", "--out", tmp_path / "out.csv")
    assert result.output.startswith(f"as of 2025-12-31, definitions acme-1 (bcm_analytics/config/definitions.yaml + {definitions})")
    assert "other than the store's" not in result.output
    frame = pd.read_csv(tmp_path / "out.csv").set_index("patient_id")
    assert frame.loc["P1", "latest_score"] == 3 and not frame.loc["P1", "remission"]


def test_billing_rules_other_than_the_stores_are_not_an_outcome_runs_business(db, tmp_path, monkeypatch):
    """An analyst whose shell sets $BCM_RULES (for `bcm billing`) ran `bcm outcomes` every month and
    read "note: computed in a temporary schema for billing rules other than the store's": the
    outcome marts read no billing rule, yet every billing mart was computed again in a scratch
    catalog and the note spoke of them. Only the marts an outcome run reads are checked."""
    from bcm_analytics.outcomes import prepare
    from bcm_analytics.overview import program_overview
    from bcm_analytics.warehouse import connect

    built = CliRunner().invoke(cli, ["build", "--db", str(db)])
    assert built.exit_code == 0, built.output
    rules = tmp_path / "finance_rules.yaml"
    rules.write_text("payer_names: {Medicare: commercial}\n")
    monkeypatch.setenv("BCM_RULES", str(rules))
    result = run("--db", db, "--out", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "billing rules" not in result.output and "temporary schema" not in result.output, result.output
    con = connect(db, read_only=True)
    assert prepare(con).marts.note is None
    assert not program_overview(con, "2025-01", "2025-06").empty
    con.close()


def test_a_suppression_threshold_of_the_definitions_is_the_one_applied_and_named(program_db, tmp_path):
    """outcome_measures.md section 5 names 1-10; definitions.yaml makes it a setting
    (suppression.threshold). With [1, 15], C1's 15 patients are hidden as C2's and C3's are (by
    default C1's are shown), and the command names the range it applied: it said "counts 1-10
    suppressed" whatever the definitions said."""
    definitions = tmp_path / "stricter.yaml"
    definitions.write_text("version: strict-1\nsuppression: {threshold: [1, 15]}\n")
    out = tmp_path / "measures.csv"
    result = run("--db", program_db, "--as-of", "2025-12-31", "--measures", out, "--start-month", "2025-01",
                 "--end-month", "2025-01", "--definitions", definitions)
    assert result.exit_code == 0, result.output
    assert f"program measures (counts 1-15 suppressed) written to {out}" in result.output
    frame = pd.read_csv(out)
    six_months = frame[frame.window_name == "6m"].set_index(["dimension", "stratum"]).denominator
    assert six_months[("program", "All")] == 30
    assert six_months["clinic"].isna().to_dict() == {"C1": True, "C2": True, "C3": True}
    assert not frame[["denominator", "measured", "responders", "remitters"]].isin(range(1, 16)).any().any()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_utilisation_writes_each_assessment_period_suppressed(store, load_rows, tmp_path, suffix):
    """--utilisation: 12 patients with a contact in Jan-Apr 2025, 11 of them with a PHQ-9 in it; in
    May-Aug 12 with a contact and all scored. The 1 unscored patient of Jan-Apr is a count of 1-10:
    scored and its rate are hidden (the patients with a contact stay), and `suppressed` says so."""
    load_rows("patients", [{"patient_id": f"P{i:02d}", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-06"}
                           for i in range(12)])
    load_rows("time_logs", [{"entry_id": f"T{i:02d}{m}", "patient_id": f"P{i:02d}", "staff_role": "bhcm", "service_date": day,
                             "minutes": 20, "activity_type": "follow_up_contact", "contact_mode": "phone"}
                            for i in range(12) for m, day in enumerate(["2025-02-03", "2025-06-02"])])
    load_rows("assessments", [{"assessment_id": f"A{i:02d}{m}", "patient_id": f"P{i:02d}", "instrument": "PHQ-9",
                               "administered_on": day, "total_score": 12}
                              for i in range(12) for m, day in enumerate(["2025-02-03", "2025-06-02"]) if (i, m) != (0, 0)])
    store.close()
    out = tmp_path / f"utilisation{suffix}"
    result = run("--db", tmp_path / "test.duckdb", "--as-of", "2025-08-31", "--utilisation", out, "--month", "2025-01", "--to", "2025-08")
    assert result.exit_code == 0, result.output
    assert f"score utilisation (counts 1-10 suppressed) written to {out}" in result.output
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_excel(out, sheet_name="utilisation")
    assert frame["assessment_period"].tolist() == ["Jan-Apr 2025", "May-Aug 2025"]
    assert frame["patients_contacted"].tolist() == [12, 12]
    assert pd.isna(frame.at[0, "patients_scored"]) and frame.at[1, "patients_scored"] == 12
    assert frame.at[1, "pct_patients_scored"] == 1.0
    assert set(frame.at[0, "suppressed"].split(", ")) == {"patients_scored", "pct_patients_scored"}
