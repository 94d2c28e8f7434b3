"""HEDIS DRR-E per measurement year (marts.drr_e_for) on hand-written patients, each rule at its edge.

Measurement year 2025: intake period 2024-05-01..2025-04-30 (definitions drr_e), follow-up days
120-240 after the index (windows.6m), ages at 2025-01-01. Each patient is enrolled on the day of
their first score, and the as-of date is late enough that every follow-up period has closed.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bcm_analytics.config.definitions import DefinitionsError, load_definitions
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes import prepare

YEAR = 2025
CLOSED = "2026-01-15"  # 2025-04-30 + 240 days = 2025-12-26


def day(text: str, plus: int = 0) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=plus)).isoformat()


class Store:
    """Patients written as (id, [(date, score, instrument)...]) with birth date and discharge."""

    def __init__(self, load_rows):
        self.load_rows, self.patients, self.scores = load_rows, [], []

    def add(self, pid, scores, birth="1980-06-01", reason="", discharged=""):
        self.patients.append({"patient_id": pid, "clinic_id": "C1", "payer": "Medicaid", "care_manager_id": "CM1",
                              "birth_date": birth, "enrollment_date": scores[0][0], "discharge_date": discharged,
                              "discharge_reason": reason})
        for n, (when, total, *inst) in enumerate(scores):
            self.scores.append({"assessment_id": f"{pid}-{n}", "patient_id": pid, "instrument": inst[0] if inst else "PHQ-9",
                                "administered_on": when, "total_score": total})

    def measure(self, store, as_of=CLOSED, year=YEAR, **overrides):
        self.load_rows("patients", self.patients)
        self.load_rows("assessments", self.scores)
        defs = load_definitions(overrides=overrides) if overrides else None
        return cl.drr_e(prepare(store, as_of, defs), year).set_index("stratum")


@pytest.fixture
def drr(load_rows):
    return Store(load_rows)


def test_the_index_must_be_dated_in_the_intake_period(drr, store):
    drr.add("first_day", [("2024-05-01", 12)])
    drr.add("last_day", [("2025-04-30", 12)])
    drr.add("day_before", [("2024-04-30", 12)])
    drr.add("day_after", [("2025-05-01", 12)])
    assert drr.measure(store).loc["All", "denominator"] == 2


def test_the_index_is_a_score_of_10_or_more_not_9(drr, store):
    drr.add("nine", [("2024-06-01", 9)])
    drr.add("ten", [("2024-06-01", 10)])
    drr.add("nine_then_ten", [("2024-06-01", 9), ("2024-07-01", 10), ("2024-07-01", 10)])
    assert drr.measure(store).loc["All", "denominator"] == 2


@pytest.mark.parametrize(("days_after", "counted"), [(119, False), (120, True), (240, True), (241, False)])
def test_a_follow_up_score_counts_from_day_120_to_day_240(drr, store, days_after, counted):
    drr.add("p", [("2024-06-01", 20), (day("2024-06-01", days_after), 2)])
    row = drr.measure(store).loc["All"]
    assert (row["denominator"], row["followed_up"], row["remitted"], row["responded"]) == (1, *(3 * [int(counted)]))


def test_the_most_recent_score_in_the_period_counts_not_the_best(drr, store):
    drr.add("p", [("2024-06-01", 20), (day("2024-06-01", 130), 2), (day("2024-06-01", 200), 15),
                  (day("2024-06-01", 260), 1)])  # after the period: ignored
    row = drr.measure(store).loc["All"]
    assert (row["followed_up"], row["remitted"], row["responded"]) == (1, 0, 0)


def test_remission_is_below_5_and_response_at_exactly_half(drr, store):
    drr.add("four", [("2024-06-01", 12), (day("2024-06-01", 150), 4)])
    drr.add("five", [("2024-06-01", 12), (day("2024-06-01", 150), 5)])
    drr.add("half", [("2024-06-01", 14), (day("2024-06-01", 150), 7)])
    drr.add("over_half", [("2024-06-01", 14), (day("2024-06-01", 150), 8)])
    row = drr.measure(store).loc["All"]
    assert (row["denominator"], row["remitted"], row["responded"]) == (4, 1, 3)  # four, five (5 <= 6), half
    assert row["pct_responded"] == 0.75


def test_ages_are_taken_at_the_measures_age_date_and_stratified(drr, store):
    drr.add("eleven", [("2024-06-01", 12)], birth="2013-01-02")  # 11 on 2025-01-01
    drr.add("twelve", [("2024-06-01", 12)], birth="2013-01-01")  # 12 on 2025-01-01 (11 at the index)
    drr.add("adult", [("2024-06-01", 12)], birth="1970-01-01")
    frame = drr.measure(store)
    assert frame["denominator"].to_dict() == {"All": 2, "12-17": 1, "18-44": 0, "45-64": 1, "65+": 0}


def test_a_patient_discharged_for_death_or_hospice_is_excluded(drr, store):
    drr.add("died", [("2024-06-01", 12)], reason="Died", discharged="2024-08-01")
    drr.add("hospice", [("2024-06-01", 12)], reason="hospice", discharged="2024-08-01")
    drr.add("moved", [("2024-06-01", 12)], reason="moved", discharged="2024-08-01")
    assert drr.measure(store).loc["All", "denominator"] == 1


def later_episode(run, pid: str, enrolled: str, discharged: str | None, reason: str) -> None:
    """A second enrolment of `pid` written straight into the marts the run reads (a shortcut: a
    re-enrolment export loaded in sequence makes one too, core.enrolments, as
    test_outcomes_reenrolment.py does); the DRR-E exclusions must read every episode, not only the
    index episode's."""
    for mart, extra in (("outcome_enrolments", ""),
                        ("outcome_episodes", ", $reason AS discharge_reason, false AS active, "
                                             "coalesce($discharged::DATE, $enrolled::DATE) AS episode_end")):
        run.marts.query(f"""INSERT INTO marts.{mart} BY NAME
                            SELECT * REPLACE (patient_id || '-2' AS episode_id, $enrolled::DATE AS enrollment_date,
                                              $discharged::DATE AS discharge_date{extra})
                            FROM marts.{mart} WHERE patient_id = $pid""",
                        {"pid": pid, "enrolled": enrolled, "discharged": discharged,
                         **({"reason": reason} if extra else {})})


def test_a_death_on_a_later_episode_up_to_the_measurement_periods_end_excludes_the_patient(drr, store):
    """Death and hospice exclude a patient who died any time up to the end of the measurement
    period (December 31 of the year), whichever of their episodes records it; a death after it
    does not. Each patient is indexed on 2024-06-01 in a first episode discharged (goals met) on
    2024-12-01, then enrolled again on 2025-02-01."""
    for pid in ("died_dec31", "died_jan1", "hospice", "no_date"):
        drr.add(pid, [("2024-06-01", 12), (day("2024-06-01", 150), 3)], reason="goals met", discharged="2024-12-01")
    drr.add("index_died_jan1", [("2024-06-01", 12)], reason="died", discharged="2026-01-01")
    drr.load_rows("patients", drr.patients)
    drr.load_rows("assessments", drr.scores)
    run = prepare(store, CLOSED)
    later_episode(run, "died_dec31", "2025-02-01", "2025-12-31", "Died")
    later_episode(run, "died_jan1", "2025-02-01", "2026-01-01", "died")
    later_episode(run, "hospice", "2025-02-01", "2025-07-01", "hospice")
    later_episode(run, "no_date", "2025-02-01", None, "died")  # a FHIR death with no date (deceasedBoolean)
    row = cl.drr_e(run, YEAR).set_index("stratum").loc["All"]
    assert (row["denominator"], row["followed_up"], row["remitted"]) == (2, 1, 1)  # died_jan1, index_died_jan1


def test_a_death_after_the_as_of_date_is_not_known_yet(drr, store):
    """As of 2025-10-01 a death recorded for 2025-11-01 has not happened: the patient is in the
    denominator, their follow-up period still open; once the as-of date passes it, they are not."""
    drr.add("p", [("2025-04-01", 12)], reason="died", discharged="2025-11-01")
    before = drr.measure(store, as_of="2025-10-01").loc["All"]
    assert (before["denominator"], before["pending"]) == (1, 1)
    assert drr.measure(store, as_of="2025-11-01").loc["All", "denominator"] == 0


def test_a_phq_a_counts_as_the_phq_9(drr, store):
    drr.add("teen", [("2024-06-01", 16, "PHQ-A"), (day("2024-06-01", 180), 3, "PHQ-A")], birth="2010-01-01")
    row = drr.measure(store).loc["12-17"]
    assert (row["denominator"], row["followed_up"], row["remitted"], row["responded"]) == (1, 1, 1, 1)


def test_a_year_whose_follow_up_periods_are_open_says_so(drr, store):
    drr.add("p", [("2025-04-30", 20), ("2025-09-01", 2)])
    open_ = drr.measure(store, as_of="2025-12-25").loc["All"]
    assert not open_["complete"] and open_["pending"] == 1
    assert open_["last_follow_up_day"] == dt.date(2025, 12, 26)


def test_an_open_years_pending_patients_do_not_give_back_the_few_whose_follow_up_has_closed(drr, store):
    """As of 30 June 2025, 18 patients indexed and 15 of them pending: the file showed both, and
    18 - 15 gave back the 3 whose follow-up had closed (a count of 1-10 shown nowhere)."""
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    for i in range(3):
        drr.add(f"C{i}", [("2024-06-01", 20), (day("2024-06-01", 150), 2)])
    for i in range(15):
        drr.add(f"O{i}", [("2025-04-01", 20)])
    inside = drr.measure(store, as_of="2025-06-30").loc["All"]
    assert (inside["denominator"], inside["pending"]) == (18, 15)
    outside = co.drr_e(prepare(store, "2025-06-30"), YEAR, Privacy.packaged("external")).set_index("stratum").loc["All"]
    assert pd.isna(outside["denominator"]) or pd.isna(outside["pending"])


def test_the_intake_period_is_a_setting(drr, store):
    drr.add("june", [("2024-06-01", 12)])
    drr.add("may", [("2025-05-15", 12)])
    frame = drr.measure(store, drr_e={"intake_start": {"month": 6}, "intake_end": {"month": 5, "day": 31}})
    assert frame.loc["All", "denominator"] == 2
    assert frame.loc["All", "intake_start"] == dt.date(2024, 6, 1)


def test_the_intake_period_must_be_in_order_and_real_days():
    with pytest.raises(DefinitionsError, match="drr_e"):
        load_definitions(overrides={"drr_e": {"intake_start": {"year": 0, "month": 5, "day": 1}}})
    with pytest.raises(DefinitionsError, match="drr_e.intake_end"):
        load_definitions(overrides={"drr_e": {"intake_end": {"month": 2, "day": 30}}})


def _program(load_rows):
    """15 adults aged 44 and 3 aged 50 on 2025-01-01, each indexed on 2024-06-01 with a PHQ-9 of 20
    and scored 150 days later: 12 of the adults at 2, the other 3 at 15; the three aged 50 at 2."""
    drr = Store(load_rows)
    for i in range(18):
        birth = "1980-06-01" if i < 15 else "1974-06-01"
        drr.add(f"P{i:02d}", [("2024-06-01", 20), (day("2024-06-01", 150), 15 if i in (0, 1, 2) else 2)], birth=birth)
    drr.load_rows("patients", drr.patients)
    drr.load_rows("assessments", drr.scores)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_bcm_outcomes_drr_e_writes_the_year_per_stratum_suppressed(store, load_rows, tmp_path, suffix):
    """The 45-64 stratum's 3 patients are hidden, and so is a cell that would give them back by
    subtraction from the program's row; `suppressed` names the hidden columns. (A Parquet file
    failed: pandas' writer refused the frame's record of what it hid.)"""
    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    _program(load_rows)
    store.close()
    out = tmp_path / f"drr{suffix}"
    result = CliRunner().invoke(cli, ["outcomes", "--db", str(tmp_path / "test.duckdb"), "--as-of", CLOSED,
                                      "--drr-e", str(out), "--year", "2025"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"HEDIS DRR-E (counts 1-10 suppressed) written to {out}" in result.output
    assert "not complete" not in result.output
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": lambda f: pd.read_excel(f, sheet_name="drr_e")}
    frame = read[suffix](out).set_index("stratum")
    assert list(frame.index) == ["All", "12-17", "18-44", "45-64", "65+"]
    assert frame["measurement_year"].unique().tolist() == [2025] and frame["complete"].all()
    assert pd.isna(frame.at["45-64", "denominator"]) and "denominator" in frame.at["45-64", "suppressed"]
    assert pd.isna(frame.at["All", "denominator"]) or pd.isna(frame.at["18-44", "denominator"])
    shown = frame[["denominator", "followed_up", "remitted", "responded"]]
    assert not shown.isin(range(1, 11)).any().any()


def test_bcm_outcomes_drr_e_says_when_the_year_is_not_complete(store, load_rows, tmp_path):
    from click.testing import CliRunner

    from bcm_analytics.cli import cli

    _program(load_rows)
    store.close()
    out = tmp_path / "drr.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["outcomes", "--db", str(tmp_path / "test.duckdb"), "--as-of", "2025-06-30",
                                 "--drr-e", str(out), "--year", "2025"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "measurement year 2025 is not complete: follow-up periods run until 2025-12-26" in result.output
    frame = pd.read_csv(out)
    assert not frame["complete"].any()
    refused = runner.invoke(cli, ["outcomes", "--db", str(tmp_path / "test.duckdb"), "--year", "2025", "--out", str(out)])
    assert refused.exit_code != 0 and "--year is the measurement year of --drr-e" in refused.output


# --- the caseload page's table -------------------------------------------------------------------

PAGE_TITLE = "PHQ-9 remission and response 120-240 days after the index score, per measurement year"


def _page_program(load_rows):
    """Measurement year 2025, each patient indexed on 2024-06-01 with a PHQ-9 of 20 and logged time
    that day: 40 aged 30 (18-44), of whom 20 score 2 on day 150 (remission and response), 5 score 15
    (neither) and 15 are never scored again; 12 aged 50 (45-64), all scoring 2 on day 150. The
    program: 52 indexed, 37 followed up, 32 in remission and responding. In both the program and
    18-44, 25 - 20 = 5 patients are followed up and not in remission: a count of 1-10 no column shows."""
    drr = Store(load_rows)
    for i in range(52):
        later = [(day("2024-06-01", 150), 2 if i < 20 or i >= 40 else 15)] if i < 25 or i >= 40 else []
        drr.add(f"P{i:02d}", [("2024-06-01", 20), *later], birth="1994-06-01" if i < 40 else "1974-06-01")
    load_rows("patients", drr.patients)
    load_rows("assessments", drr.scores)
    load_rows("time_logs", [{"entry_id": f"T{p['patient_id']}", "patient_id": p["patient_id"], "staff_role": "bhcm",
                             "service_date": "2024-06-01", "minutes": "30", "activity_type": "assessment",
                             "contact_mode": "in_person"} for p in drr.patients]
              + [{"entry_id": "T-last", "patient_id": "P00", "staff_role": "bhcm", "service_date": "2026-01-31",
                  "minutes": "20", "activity_type": "follow_up_contact", "contact_mode": "phone"}])


def page_table(html: str) -> pd.DataFrame:
    """The DRR-E table of a rendered page, as its cells read ('*' hidden)."""
    from html_tables import Tables

    parser = Tables()
    parser.feed(html)
    found = [cells for label, cells in parser.tables if label == PAGE_TITLE]
    assert len(found) == 1, "one DRR-E table on the page"
    width = len(__import__("bcm_analytics.reports.caseload_outcomes", fromlist=["x"]).DRR_E_COLUMNS)
    cells = found[0]
    return pd.DataFrame([cells[i:i + width] for i in range(width, len(cells), width)], columns=cells[:width])


@pytest.mark.slow
def test_the_caseload_page_shows_drr_e_for_the_years_whose_follow_up_has_closed(store, load_rows, tmp_path):
    """As of 2026-01-31, the staff page (Feb 2025 - Jan 2026) shows 2025 and names 2026 as left out,
    its follow-up windows running until 26 Dec 2026; the external page (2025, whole quarters) shows
    2025 with no count of 1-10 left to read, nor to subtract: not a stratum from the program, nor the
    patients followed up and not in remission from those followed up."""
    from html_tables import small_counts_in

    from bcm_analytics.reports.runner import render_report

    _page_program(load_rows)
    store.close()
    pages = {audience: render_report("caseload_outcomes", tmp_path / "test.duckdb", {"audience": audience, "as_of": "2026-01-31"},
                                     tmp_path / f"{audience}.html").read_text() for audience in ("internal", "external")}
    assert all("Depression remission or response (HEDIS DRR-E style)" in html for html in pages.values())
    assert all("depression remission or response (HEDIS DRR-E style)" in html for html in pages.values()), "glossary"

    inside = page_table(pages["internal"]).set_index("age group")
    assert set(inside["measurement year"]) == {"2025"}
    counts = ["patients indexed", "with a follow-up score", "in remission", "responded"]
    assert inside.loc["All", counts].tolist() == ["52", "37", "32", "32"]
    assert inside.loc["18-44", counts].tolist() == ["40", "25", "20", "20"]
    assert inside.loc["45-64", counts].tolist() == ["12", "12", "12", "12"]
    assert inside.loc["65+", counts].tolist() == ["0", "0", "0", "0"]
    assert inside.loc["All", ["followed up, of all", "remission, of all", "response, of all"]].tolist() == [
        "71.2%", "61.5%", "61.5%"]
    assert ("Measurement year 2026 is left out: its follow-up windows run until 26 Dec 2026, after this page's data, "
            "which ends 2026-01-31") in pages["internal"]

    outside = page_table(pages["external"]).set_index("age group")
    assert set(outside["measurement year"]) == {"2025"} and "Measurement year 2026" not in pages["external"]
    assert small_counts_in(pages["external"]) == []
    number = outside[counts].map(lambda v: None if v == "*" else int(v.replace(",", "")))
    truth = inside[counts].map(int)
    assert number.notna().any().any() and number.isna().any().any(), "some cells shown, some hidden"
    assert (number.isna() | (number == truth)).all().all()
    pairs = [("patients indexed", "with a follow-up score"), ("patients indexed", "in remission"), ("patients indexed", "responded"),
             ("with a follow-up score", "in remission"), ("with a follow-up score", "responded"), ("responded", "in remission")]
    for stratum, row in number.iterrows():
        for whole, part in pairs:
            if pd.notna(row[whole]) and pd.notna(row[part]):
                assert not 1 <= row[whole] - row[part] <= 10, (stratum, whole, part)
    for col in counts:  # a single stratum hidden beside the program's row would be the difference
        hidden = number[col].drop("All").isna()
        assert pd.isna(number.at["All", col]) or hidden.sum() != 1, col
    assert pd.isna(number.at["18-44", "in remission"]) or pd.isna(number.at["18-44", "with a follow-up score"])


def test_a_page_whose_year_is_still_open_shows_no_year_and_says_why(store, load_rows):
    from bcm_analytics.reports import caseload_outcomes as co
    from bcm_analytics.reports.privacy import Privacy

    _page_program(load_rows)
    run = prepare(store, "2025-12-20")
    for audience in ("internal", "external"):
        table = co.drr_e_years(run, "2025-01", "2025-12", Privacy(audience, (1, 10)))
        assert table.empty and table.attrs["open_years"] == {2025: dt.date(2025, 12, 26)}
        note = co.years_note(run, table, Privacy(audience, (1, 10)))
        assert note.startswith("No measurement year of this page's months has closed all its follow-up windows")
        assert "Measurement year 2025 is left out: its follow-up windows run until 26 Dec 2025" in note
