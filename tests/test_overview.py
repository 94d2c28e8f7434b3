"""Program overview: caseload, flows and minutes per clinic and month, on rows a reader can check."""

import datetime as dt

import pandas as pd

from bcm_analytics.overview import data_period, minutes_period, program_overview
from bcm_analytics.reports import program_overview as po
from bcm_analytics.reports.privacy import Privacy

CLINICS = [{"clinic_id": "C1", "clinic_name": "North", "setting": "physician_practice", "timezone": "America/Chicago"}]
PATIENTS = [
    # enrolled in January, discharged 1 March: active January-March (the discharge month counts)
    {"patient_id": "P1", "clinic_id": "C1", "payer": "Medicare", "enrollment_date": "2025-01-10", "discharge_date": "2025-03-01"},
    # enrolled on the last day of February: active from February
    {"patient_id": "P2", "clinic_id": "C1", "payer": "Medicaid", "enrollment_date": "2025-02-28", "discharge_date": ""},
]
TIME_LOGS = [
    {"entry_id": "E1", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-01-31 23:30", "minutes": "20", "activity_type": "outreach"},
    {"entry_id": "E2", "patient_id": "P1", "staff_role": "bhcm", "service_date": "2025-02-01", "minutes": "15", "activity_type": "assessment"},
    {"entry_id": "E3", "patient_id": "P2", "staff_role": "bhcm", "service_date": "2025-02-28", "minutes": "30", "activity_type": "assessment"},
]


def test_the_months_with_minutes_are_asked_in_one_place(store, load_rows):
    """minutes_period answers `bcm billing`'s note on empty months (None: no minutes at all) and
    data_period, the reports' default period, which reads no minutes as this month."""
    this_month = dt.date.today().replace(day=1)
    assert minutes_period(store) is None and data_period(store) == (this_month, this_month)
    load_rows("clinics", CLINICS)
    load_rows("patients", PATIENTS)
    load_rows("time_logs", TIME_LOGS)
    assert minutes_period(store) == data_period(store) == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))


def test_overview_counts_caseload_flows_and_minutes(store, load_rows):
    load_rows("clinics", CLINICS)
    load_rows("patients", PATIENTS)
    load_rows("time_logs", TIME_LOGS)
    got = program_overview(store, "2025-01", "2025-04")
    got = got.set_index(got.month.dt.strftime("%Y-%m"))
    assert got.loc["2025-01"].active_patients == 1
    assert got.loc["2025-02"].active_patients == 2
    assert got.loc["2025-03"].active_patients == 2  # P1 discharged on 1 March still counts in March
    assert got.loc["2025-04"].active_patients == 1
    assert got.new_enrolments.tolist() == [1, 1, 0, 0]
    assert got.discharges.tolist() == [0, 0, 1, 0]
    assert got.minutes_logged.tolist() == [20, 45, 0, 0]
    assert got.patients_with_time.tolist() == [1, 2, 0, 0]


def test_overview_filters_one_clinic(store, load_rows):
    load_rows("clinics", CLINICS + [{"clinic_id": "C2", "clinic_name": "South", "setting": "fqhc", "timezone": ""}])
    load_rows("patients", PATIENTS + [{"patient_id": "P3", "clinic_id": "C2", "payer": "Medicare", "enrollment_date": "2025-01-02", "discharge_date": ""}])
    got = program_overview(store, "2025-01", "2025-01", clinic="C2")
    assert got.clinic_id.tolist() == ["C2"]
    assert got.active_patients.tolist() == [1]


def _clinic_months(clinic: str, enrolments: list[int], discharges: list[int]) -> pd.DataFrame:
    months = pd.date_range("2025-01-01", periods=len(enrolments), freq="MS")
    caseload = pd.Series(enrolments).cumsum() - pd.Series(discharges).cumsum()
    return pd.DataFrame({"month": months, "clinic_id": clinic, "active_caseload": caseload, "new_enrolments": enrolments,
                         "discharges": discharges, "patients_with_time": caseload, "minutes_logged": caseload * 40.0})


def test_external_period_table_hides_the_flows_that_would_give_back_a_hidden_caseload():
    """Clinics A and B end the year with 9 and 7 patients (hidden) after 36 and 24 enrolments:
    with the year starting at the program's start, their shown enrolments minus discharges would
    be those caseloads. Their flows are hidden; C's caseload (large) and flows stay shown."""
    raw = pd.concat([_clinic_months("A", [3] * 12, [0, 0] + [3] * 9 + [0]),   # 36 in, 27 out: 9
                     _clinic_months("B", [2] * 12, [0, 0, 0] + [2] * 8 + [1]),  # 24 in, 17 out: 7
                     _clinic_months("C", [6] * 12, [0, 0] + [2] * 10)],           # 72 in, 20 out: 52
                    ignore_index=True)
    privacy = Privacy.packaged("external")
    stocks, _, flows = po.stocks_and_flows(raw, privacy, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    table = po.by_clinic(stocks, flows, po.period_minutes(raw, privacy), {})
    hidden = table.attrs["suppressed"]
    shown = {(table.at[n, "group"], col): table.at[n, col] for n in table.index for col in po.FLOWS + ["active_caseload"]
             if n not in hidden.get(col, ())}
    for clinic in ("A", "B"):
        assert (clinic, "active_caseload") not in shown
        assert not ((clinic, "new_enrolments") in shown and (clinic, "discharges") in shown)
    assert shown[("C", "active_caseload")] == 52 and shown[("C", "new_enrolments")] == 72


def test_internal_period_table_hides_nothing():
    raw = _clinic_months("A", [3] * 12, [0, 0] + [3] * 9 + [0])
    privacy = Privacy.packaged("internal")
    stocks, _, flows = po.stocks_and_flows(raw, privacy, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    table = po.by_clinic(stocks, flows, po.period_minutes(raw, privacy), {})
    assert not any(table.attrs["suppressed"].values()) and table.loc[0, "active_caseload"] == 9


def test_external_clinics_do_not_add_up_to_a_hidden_period_total():
    """The program discharges 7 in 2025 Q4 (1-10, the last quarter: it waits for 2026 Q1), so the
    year's total is hidden on an external page; three clinics with every figure large would add up
    to it (and it minus the three shown quarters is Q4's 7). One clinic's flows are hidden too."""
    raw = pd.concat([_clinic_months("A", [6] * 12, [2] * 9 + [1, 1, 1]),   # 72 in, 21 out
                     _clinic_months("B", [6] * 12, [3] * 9 + [1, 1, 1]),   # 72 in, 30 out
                     _clinic_months("C", [6] * 12, [2] * 9 + [0, 0, 1])],  # 72 in, 19 out
                    ignore_index=True)
    grain, flows = po.flows(raw, Privacy.packaged("external"), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    assert grain == "block" and flows["periods"]["period"].tolist() == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    assert flows["periods"]["discharges"].isna().tolist() == [False, False, False, True]
    assert flows["total"][po.FLOWS].isna().all(axis=None)
    clinics = flows["clinics"]
    for col in po.FLOWS:
        assert clinics[col].isna().sum() >= 1, f"the clinics' {col} do not add up to the hidden total"
    internal = po.flows(raw, Privacy.packaged("internal"), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))[1]
    assert internal["total"]["discharges"].tolist() == [70] and not internal["clinics"]["discharges"].isna().any()


def test_a_program_caseload_of_1_to_10_cannot_be_worked_out_from_its_enrolments_and_discharges():
    """A clinic's own external page for 2025, the clinic's first year: 58 enrolled and 50 discharged
    (each quarter's flows 0 or above 10, so every calendar block was shown), leaving 8 patients on
    the caseload at the end of December. The page hid the 8 and showed 58 and 50 beside it: from
    the start of the program the caseload is the enrolments less the discharges. So is it on any
    page, from the blocks every page shows: a quarter that ends with a caseload of 1-10 is joined
    with the next, like one whose flows are 1-10, and waits here."""
    raw = _clinic_months("K", [8, 6, 6, 5, 5, 5, 4, 4, 4, 4, 4, 3], [0, 0, 0, 4, 4, 4, 4, 4, 4, 8, 9, 9])
    stocks, grain, flows = po.stocks_and_flows(raw, Privacy.packaged("external"), pd.Timestamp("2025-01-01"),
                                               pd.Timestamp("2025-12-01"))
    program = po.program(stocks).set_index("month")["active_caseload"]
    assert pd.isna(program[pd.Timestamp("2025-12-01")]) and program[pd.Timestamp("2025-09-01")] == 23
    blocks = flows["periods"].set_index("period")[po.FLOWS]
    assert blocks.loc["2025 Q3"].tolist() == [12, 12]
    # 23 at the end of September; what shows of the last quarter's flows must not give its 8
    assert blocks.loc["2025 Q4"].isna().all() and flows["total"][po.FLOWS].isna().all(axis=None)


def test_the_minutes_logged_are_said_to_be_everyone_s_as_they_are(store, load_rows):
    """The overview's glossary and purpose called its minutes logged 'care-manager time', while
    they add every role's minutes: here a psychiatric consultant's 25 minutes of caseload review."""
    from bcm_analytics.reports import glossary

    load_rows("clinics", CLINICS)
    load_rows("patients", PATIENTS)
    load_rows("time_logs", TIME_LOGS + [{"entry_id": "E4", "patient_id": "P2", "staff_role": "psychiatric_consultant",
                                         "service_date": "2025-02-20", "minutes": "25", "activity_type": "caseload_review"}])
    got = program_overview(store, "2025-02", "2025-02")
    assert got.minutes_logged.tolist() == [70], "the consultant's minutes are in the total"
    meaning = dict(glossary.overview_terms(Privacy.packaged("internal")))["minutes logged"]
    assert "care-manager" not in meaning and "every role" in meaning


def test_the_caseload_change_says_from_which_day():
    """The card 'active caseload, end of Oct 2026' said '+6 since Sep 2026': the change is from the
    caseload at the end of September, not from its first day."""
    months = pd.to_datetime(["2026-09-01", "2026-10-01"])
    stocks = pd.DataFrame({"month": months, "clinic_id": ["All", "All"], "active_caseload": [584, 590]})
    stocks.attrs["suppressed"] = {}
    total = pd.DataFrame({"clinic_id": ["All"], "new_enrolments": [40], "discharges": [34]})
    total.attrs["suppressed"] = {}
    time = pd.DataFrame({"month": months, "clinic_id": ["All", "All"], "minutes_per_patient": [52.0, 52.8]})
    time.attrs["suppressed"] = {}
    card = po.headlines(stocks, {"total": total}, time)[0]
    assert (card.label, card.value, card.detail) == ("active caseload, end of Oct 2026", 590, "+6 since the end of Sep 2026")


def test_the_external_caseload_chart_draws_the_program_the_hidden_clinics_leave_the_bars_short_of():
    """Small clinic S (4 patients) is hidden every month and big clinic B with it (their sum is
    the program less the shown clinic), so the stacked bars showed only clinic C: 30 of a program
    of 64. The program's protected row is the line 'all clinics', and the note names who is hidden."""
    raw = pd.concat([_clinic_months("S", [4] + [0] * 11, [0] * 12), _clinic_months("B", [30] + [0] * 11, [0] * 12),
                     _clinic_months("C", [30] + [0] * 11, [0] * 12)], ignore_index=True)
    stocks, _, _ = po.stocks_and_flows(raw, Privacy.packaged("external"), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    figure, note = po.clinic_chart(stocks, "active_caseload", {"S": "Small", "B": "Big", "C": "Central"}, stacked=True,
                                   title="Caseload")
    bars = {t.name: list(t.y) for t in figure.data if t.type == "bar"}
    assert bars["Small"] == [None] * 12 and sum(v is not None for v in bars["Central"] + bars["Big"]) == 12
    line = [t for t in figure.data if t.name == po.ALL_CLINICS][0]
    assert list(line.y) == [64.0] * 12
    assert "Small: Jan 2025 to Dec 2025" in note and note.startswith(po.LINE_NOTES["active_caseload"])
