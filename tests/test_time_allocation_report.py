"""The time-allocation report: its minutes reconcile to the store's logged minutes, the headline
prices the minutes lost to consent, and the external version shows no count 1-10 (nor minutes
over fewer than 11 patient-months) and no care manager.

The program (Medicare, physician practice, March 2025; 99492 pays $145 on the 2025 schedule):
  PTA00-19  consent on file; 40 minutes of follow-up each (supported: 99492), and 5 minutes of
            administrative time for PTA00-14 (75 minutes over 15 patient-months)
  PTN0-2    no consent: 40 minutes each (120 minutes over 3 patient-months, $435 if consented)
  PTA00     15 minutes of caseload review by the psychiatric consultant (role not countable: 1)
All by care manager BCM1, except the consultant's PSY1.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest
from html_tables import small_counts_in

from bcm_analytics.models import refresh
from bcm_analytics.reports import time_allocation as ta
from bcm_analytics.reports.privacy import TOTAL, Privacy
from bcm_analytics.reports.runner import render_report

CLINIC = {"clinic_id": "PP", "clinic_name": "Prairie Practice", "setting": "physician_practice", "timezone": "America/Chicago"}
PATIENTS = [f"PTA{i:02d}" for i in range(20)] + ["PTN0", "PTN1", "PTN2"]
LOGGED = 20 * 40 + 15 * 5 + 3 * 40 + 15


def patient(pid: str) -> dict:
    return {"patient_id": pid, "clinic_id": "PP", "payer": "Medicare", "program": "cocm", "care_manager_id": "BCM1",
            "treating_provider_npi": "1234567893", "enrollment_date": "2025-01-01",
            "consent_date": "" if pid.startswith("PTN") else "2025-01-01"}


def entry(eid, pid, day, minutes, activity="follow_up_contact", role="bhcm", staff="BCM1", mode="phone") -> dict:
    return {"entry_id": eid, "patient_id": pid, "staff_id": staff, "staff_role": role, "service_date": day,
            "minutes": str(minutes), "activity_type": activity, "start_time": "", "contact_mode": mode}


def entries() -> list[dict]:
    rows = [entry(f"f{p}", p, "2025-03-10", 40) for p in PATIENTS]
    rows += [entry(f"a{p}", p, "2025-03-11", 5, "administrative", mode="none") for p in PATIENTS[:15]]
    rows.append(entry("psy", "PTA00", "2025-03-12", 15, "caseload_review", role="psychiatric_consultant", staff="PSY1",
                      mode="none"))
    return rows


@pytest.fixture
def program(store, load_rows):
    for table, rows in (("clinics", [CLINIC]), ("patients", [patient(p) for p in PATIENTS]), ("time_logs", entries())):
        assert load_rows(table, rows).rows_quarantined == 0, table
    refresh(store)
    return store


@pytest.fixture
def alloc(program):
    return ta.Allocation.load(program, "2025-03", "2025-03")


def logged_in_store(con) -> int:
    return con.execute("SELECT sum(minutes) FROM core.time_logs WHERE service_month = DATE '2025-03-01'").fetchall()[0][0]


def test_minutes_reconcile_to_the_stores_logged_minutes(program, alloc):
    internal = Privacy.packaged("internal")
    assert logged_in_store(program) == LOGGED == alloc.logged_minutes()
    _, months = ta.months(alloc, internal)
    total = months[months.period == TOTAL].iloc[0]
    assert (total.logged_minutes, total.counted_minutes, total.supported_code, total.not_counted) == (LOGGED, 800, 800, 210)
    assert total.patient_months_with_time == 23
    outcomes = ta.breakdown(alloc, internal, "outcome").set_index("outcome")
    assert outcomes.minutes.to_dict() == {"supported_code": 800, "administrative": 75, "role_not_countable": 15,
                                          "no_consent": 120, TOTAL: LOGGED}
    assert outcomes.patient_months_with.to_dict() == {"supported_code": 20, "administrative": 15, "role_not_countable": 1,
                                                      "no_consent": 3, TOTAL: 23}
    for dim in ("activity_category", "contact_mode"):
        frame = ta.breakdown(alloc, internal, dim)
        assert frame[frame[dim] != TOTAL].minutes.sum() == frame[frame[dim] == TOTAL].minutes.iloc[0] == LOGGED, dim
    staff = ta.staff_months(alloc, internal).set_index("staff_id")
    assert staff.logged_minutes.to_dict() == {"BCM1": LOGGED - 15, "PSY1": 15}
    assert staff.loc["BCM1", "share_supported_code"] == pytest.approx(800 / (LOGGED - 15))
    assert staff[list(ta.OUTCOMES)].sum(axis=1).to_dict() == staff.logged_minutes.to_dict()
    by_category = ta.staff_period(alloc, internal, "activity_category").set_index("staff_id")
    assert by_category.loc[TOTAL, "logged_minutes"] == LOGGED
    assert by_category.loc["BCM1", "administrative"] == 75


def test_headline_prices_the_minutes_lost_to_missing_consent(alloc):
    internal = Privacy.packaged("internal")
    lost = ta.lost_value(alloc, internal).set_index("reason")
    assert lost.loc["no_consent", "lost_value"] == lost.loc[TOTAL, "lost_value"] == 3 * 145
    assert (lost.loc[TOTAL, "months_affected"], lost.loc[TOTAL, "months_billing_more"]) == (3, 3)
    _, months = ta.months(alloc, internal)
    cards = {h.label: h for h in ta.headlines(months, lost.reset_index())}
    assert cards["what the minutes lost to consent or an unknown activity name would have been worth"].value == 435
    assert cards["minutes logged"].value == LOGGED
    assert cards["of them supported a billable code"].value == pytest.approx(800 / LOGGED)
    codes = ta.thresholds(alloc, internal).set_index("code")
    assert (codes.loc["99492", "billed_months"], codes.loc["99492", "threshold"], codes.loc["99492", "mean_minutes_past_threshold"]) \
        == (20, "36 minutes", 4)


def test_the_lost_value_names_the_months_that_would_bill_more():
    """$1,944 'in 57 patient-months' read as every month losing money, where 18 would bill more."""
    lost = pd.DataFrame({"reason": [TOTAL], "months_affected": [57], "months_billing_more": [18], "lost_value": [1944.44]})
    lost.attrs["suppressed"] = {}
    assert ta._lost_detail(lost, 0) == "at the fee schedule in the 18 patient-months that would bill more (of 57 with such minutes)"


def test_external_tables_hide_small_counts_and_the_minutes_over_them(alloc):
    external = Privacy.packaged("external")
    outcomes = ta.breakdown(alloc, external, "outcome").set_index("outcome")
    hidden = outcomes.attrs["suppressed"]
    for small in ("no_consent", "role_not_countable"):
        assert pd.isna(outcomes.loc[small, "minutes"]) and pd.isna(outcomes.loc[small, "patient_months_with"]), small
    # the hidden rows' minutes are the total less the shown ones: they must cover 11+ patient-months
    gone = [o for o in outcomes.index if o != TOTAL and pd.isna(outcomes.loc[o, "minutes"])]
    assert len(gone) >= 3 and hidden
    lost = ta.lost_value(alloc, external).set_index("reason")
    assert pd.isna(lost.loc[TOTAL, "lost_value"]), "$435 over 3 patient-months is hidden"
    with pytest.raises(ValueError, match="internal version only"):
        ta.staff_months(alloc, external)


def few_months_in_two_rows(n: int) -> ta.Allocation:
    """30 patient-months of supported minutes in March 2025, and the first `n` of them also with
    3 minutes of overlap and 3 before consent: two rows covering the same n patient-months."""
    rows = pd.DataFrame(
        [{"patient_id": f"S{i}", "service_month": "2025-03", "outcome": "supported_code", "minutes": 40} for i in range(30)]
        + [{"patient_id": f"S{i}", "service_month": "2025-03", "outcome": o, "minutes": 3}
           for i in range(n) for o in ("overlap", "before_consent")])
    return ta.Allocation(rows.assign(month=pd.Timestamp("2025-03-01")), pd.DataFrame(), pd.DataFrame(),
                         date(2025, 3, 1), date(2025, 3, 1))


def test_hidden_rows_that_together_cover_few_patient_months_take_another_row_with_them():
    """Six patient-months each with overlap and before-consent minutes: each row is hidden (6),
    their counts add up to 12 but they cover the same 6 patient-months, so the last shown row goes too."""
    alloc = few_months_in_two_rows(6)
    frame = ta.breakdown(alloc, Privacy.packaged("external"), "outcome").set_index("outcome")
    assert frame.loc[TOTAL, "minutes"] == 1236
    assert frame.drop(index=TOTAL).minutes.isna().all(), frame
    assert ta.breakdown(alloc, Privacy.packaged("internal"), "outcome").minutes.notna().all()


def test_hidden_rows_covering_a_count_in_the_stores_range_take_another_row_with_them():
    """The same under a program's 1-15 (suppression.threshold): twelve patient-months each with
    overlap and before-consent minutes, each row hidden (12), together covering 12 patient-months,
    which 1-10 would show but 1-15 hides: the last shown row goes too."""
    alloc = few_months_in_two_rows(12)
    default = ta.breakdown(alloc, Privacy.packaged("external"), "outcome").set_index("outcome")
    assert default.drop(index=TOTAL).minutes.notna().all(), "12 is shown under the packaged 1-10"
    frame = ta.breakdown(alloc, Privacy("external", (1, 15)), "outcome").set_index("outcome")
    assert frame.loc[TOTAL, "minutes"] == 30 * 40 + 12 * 6
    assert frame.drop(index=TOTAL).minutes.isna().all(), frame


def test_the_page_and_its_workbook_hide_the_stores_range(program, load_rows, tmp_path):
    """A program whose definitions hide 1-15: the external page and its tables workbook show no
    count of 1-15 (administrative time covers 15 patient-months, shown under 1-10), and say 1-15."""
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from bcm_analytics.cli import cli
    from bcm_analytics.reports import formats

    strict = tmp_path / "strict.yaml"
    strict.write_text("version: strict-1\nsuppression: {threshold: [1, 15]}\n")
    load_rows("time_logs", [entry("april", "PTA01", "2025-04-02", 5)])  # the data runs past 2025 Q1: shown outside
    refresh(program, definitions=strict)
    program.close()
    db, page, book = tmp_path / "test.duckdb", tmp_path / "page.html", tmp_path / "tables.xlsx"
    run = CliRunner().invoke(cli, ["report", "time_allocation", "--db", str(db), "-p", "start_month", "2025-01",
                                   "-p", "end_month", "2025-03", "--audience", "external", "--out", str(page),
                                   "--tables", str(book)])
    assert run.exit_code == 0, run.output
    html = page.read_text()
    assert "Counts from 1 to 15" in html and small_counts_in(html, (1, 15)) == []
    outcomes = {r[0]: r for r in list(load_workbook(book)["where minutes went"].values)[1:]}
    administrative = next(r for label, r in outcomes.items() if "dministrative" in str(label))
    assert administrative[-1], f"administrative time over 15 patient-months is suppressed: {administrative}"
    counts = []  # every cell of a column registered as a count (patient-months, billed months ...)
    for sheet in load_workbook(book):
        header, *rows = list(sheet.values)
        counts += [(sheet.title, col, row[i]) for row in rows for i, col in enumerate(header)
                   if formats.COLUMNS.get(col, ("", ""))[1] == "count" and row[i] is not None]
    assert counts and [c for c in counts if 1 <= c[2] <= 15] == [], counts


def test_the_page_renders_for_both_audiences(program, load_rows, tmp_path):
    """March asked for: staff see March; outside readers the whole quarter, 2025 Q1, once it has
    ended (a log in April says the data runs past it), with March's minutes the quarter's."""
    load_rows("time_logs", [entry("april", "PTA01", "2025-04-02", 5)])
    refresh(program)
    program.close()
    db = tmp_path / "test.duckdb"
    params = {"start_month": "2025-03", "end_month": "2025-03"}
    internal = render_report("time_allocation", db, params, tmp_path / "internal.html").read_text()
    external = render_report("time_allocation", db, {**params, "audience": "external"}, tmp_path / "external.html").read_text()
    assert "<title>Where the care team&#x27;s time goes, service months Mar 2025 - Mar 2025" in internal
    assert "<title>Where the care team&#x27;s time goes, service months Jan 2025 - Mar 2025" in external
    assert "Whole calendar quarters 2025 Q1 (Jan 2025 - Mar 2025), in place of Mar 2025." in external
    assert "Whole calendar quarters" not in internal
    for page in (internal, external):
        assert page.count("bcm-figure-") >= 3 and "from bcm_analytics" not in page
        assert "PTA" not in page and "PTN" not in page, "aggregate only: no patient ids"
    assert "$435.00" in internal and "BCM1" in internal and "1,010" in internal
    assert "BCM1" not in external and "PSY1" not in external, "no per care-manager detail outside the program"
    assert "$435.00" not in external and "1,010" in external
    assert small_counts_in(external) == []
    assert small_counts_in(internal) != [], "the internal page shows the true small counts"


def test_the_lost_value_says_how_many_patient_months_have_no_fee_on_file(store, load_rows):
    """March 2023, which no fee schedule covers (as none covers a new year until its schedule is
    added): PTN0-2's 40 minutes lost to a missing consent would reach 99492, at no known fee. The
    dollars read $0; the note says three patient-months are not priced, and what to do."""
    load_rows("clinics", [CLINIC])
    load_rows("patients", [{**patient(p), "enrollment_date": "2023-01-01"} for p in ("PTN0", "PTN1", "PTN2")]
              + [{**patient("PTA00"), "enrollment_date": "2023-01-01", "consent_date": "2023-01-01"}])
    load_rows("time_logs", [entry(f"f{p}", p, "2023-03-10", 40) for p in ("PTA00", "PTN0", "PTN1", "PTN2")])
    refresh(store)
    alloc = ta.Allocation.load(store, "2023-03", "2023-03")
    assert ta.lost_value_not_priced_note(alloc, Privacy.packaged("internal")) == (
        "3 patient-months are not priced (no fee on file for the code they would reach in their month): their value is "
        "not in these dollars. Add the year's fee schedule (fee_schedules in the rules file; docs/billing.md, Fee schedules).")
    assert ta.lost_value_not_priced_note(alloc, Privacy.packaged("external")).startswith("Some patient-months (fewer than 11")
    assert ta.lost_value(alloc, Privacy.packaged("internal")).set_index("reason").loc[TOTAL, "lost_value"] == 0


def test_a_clinic_s_page_holds_the_minutes_of_the_months_billed_under_it(store, load_rows):
    """R was at PP until a discharge on 15 February 2025 and came back on 20 March at the health
    center FQ: January's 40 minutes are PP's (billed there, 99492), April's 75 are FQ's (G0512). Each clinic's
    page holds its own months' minutes, as its billed months and the reconciliation do; the
    minutes went with the patient to FQ's page when the registry's row on file chose."""
    fqhc = {"clinic_id": "FQ", "clinic_name": "Health Center", "setting": "fqhc", "timezone": "America/Chicago"}
    load_rows("clinics", [CLINIC, fqhc])
    load_rows("patients", [{**patient("R"), "discharge_date": "2025-02-15"}])
    load_rows("patients", [{**patient("R"), "clinic_id": "FQ", "enrollment_date": "2025-03-20", "consent_date": "2025-03-20"}])
    load_rows("time_logs", [entry("r1", "R", "2025-01-10", 40), entry("r2", "R", "2025-04-10", 75)])
    refresh(store)
    for clinic, months in (("PP", {"2025-01": 40}), ("FQ", {"2025-04": 75}), (None, {"2025-01": 40, "2025-04": 75})):
        alloc = ta.Allocation.load(store, "2025-01", "2025-04", clinic=clinic)
        assert alloc.rows.groupby("service_month").minutes.sum().to_dict() == months, clinic
        assert set(alloc.billed.service_month) == set(months), clinic


def test_with_every_lost_minute_priced_nothing_is_said(alloc):
    assert ta.lost_value_not_priced_note(alloc, Privacy.packaged("internal")) == ""


def test_a_row_two_tables_share_is_hidden_in_both():
    """Administrative time is both an activity category and a reason minutes did not count: the
    same minutes in two tables. Here the category table hides separately billed time (7
    patient-months) with administrative time (the smallest other row), while the outcome table,
    whose smallest other row is the consultant's time, shows administrative time: the category
    total less the rows shown and the outcome table's administrative minutes left the 315 minutes
    of the 7 patient-months. Protected together, what one table hides the other hides too."""
    def rows_of(n, outcome, category, minutes, first=0):
        return [{"patient_id": f"S{i}", "service_month": "2025-03", "outcome": outcome, "activity_category": category,
                 "contact_mode": "phone", "minutes": minutes} for i in range(first, first + n)]
    rows = pd.DataFrame(rows_of(30, "supported_code", "patient contact", 40)
                        + rows_of(12, "role_not_countable", "patient contact", 2)
                        + rows_of(7, "separately_billed", "separately billed service", 45)
                        + rows_of(14, "administrative", "administrative", 5, first=10))
    alloc = ta.Allocation(rows.assign(month=pd.Timestamp("2025-03-01")), pd.DataFrame(), pd.DataFrame(),
                          date(2025, 3, 1), date(2025, 3, 1))
    tables = ta.breakdowns(alloc, Privacy.packaged("external"), ["outcome", "activity_category"])
    outcomes = tables["outcome"].set_index("outcome").minutes
    categories = tables["activity_category"].set_index("activity_category").minutes
    assert pd.isna(categories["separately billed service"])
    known = {c: (outcomes["administrative"] if c == "administrative" and pd.isna(m) else m)
             for c, m in categories.drop(index=TOTAL).items()}
    unknown = [c for c, m in known.items() if pd.isna(m)]
    assert len(unknown) > 1, f"{unknown[0]} is {categories[TOTAL] - sum(m for m in known.values() if pd.notna(m))} minutes"
    assert pd.isna(outcomes["administrative"]) and pd.isna(outcomes["separately_billed"])
    internal = ta.breakdowns(alloc, Privacy.packaged("internal"), ["outcome", "activity_category"])
    assert internal["activity_category"].minutes.notna().all()


def test_the_dollar_card_names_the_minutes_it_prices(alloc):
    """Beside '9,217 minutes not counted', '$2,346.84 what the uncounted minutes would have been
    worth' read as the worth of those 9,217 minutes; it prices only the 1,311 lost to a missing or
    late consent or an unknown activity name (the consultant's and administrative time are not
    billable however the record is fixed)."""
    internal = Privacy.packaged("internal")
    _, months = ta.months(alloc, internal)
    dollars, *_, not_counted = ta.headlines(months, ta.lost_value(alloc, internal))
    assert not_counted.label == "minutes not counted"
    assert "uncounted" not in dollars.label and "consent" in dollars.label and "activity name" in dollars.label


def sheet_as_page(ws) -> list[str]:
    """A workbook sheet as the page's table reads: its headers' words (a period column headed by
    its rows, 'month' or 'quarter', as the page heads it), then each cell as the page writes it
    ('*' where the row's `suppressed` names the column); the page has no period_start. The per
    staff member sheet keeps a column per reason minutes did not count, which the page shows in one
    column (ta.staff_table)."""
    from bcm_analytics.reports import formats

    rows = list(ws.values)
    if ws.title == ta.STAFF_TOTAL_SHEET:
        frame = ta.staff_table(pd.DataFrame(rows[1:], columns=rows[0]))[ta.STAFF_PAGE_COLUMNS]
        rows = [tuple(frame.columns), *frame.itertuples(index=False, name=None)]
    header = [c for c in rows[0] if c not in ("period_start", "suppressed")]
    periods = [dict(zip(rows[0], row)).get("period") for row in rows[1:]]
    cells = [formats.period_heading(periods, TOTAL) if c == "period" else formats.label(c) for c in header]
    for row in rows[1:]:
        values = dict(zip(rows[0], row))
        hidden = (values.get("suppressed") or "").split(", ")
        for col in header:
            v = values[col]
            kind = formats.kind(col) if col in formats.COLUMNS else ("number" if isinstance(v, (int, float)) else "text")
            cells.append(formats.HIDDEN if col in hidden else formats.cell(v, kind))
    return cells


@pytest.mark.parametrize("audience", ["internal", "external"])
def test_the_tables_workbook_holds_the_pages_numbers(program, load_rows, tmp_path, audience):
    """`bcm report time_allocation --tables FILE.xlsx` writes, beside the page, a workbook with a
    sheet per table of the page: every header and cell of each sheet reads as the page's table
    does (hidden cells empty, named in `suppressed`, outside), private (0600), and no per-staff
    sheet outside the program. Inside, the workbook also holds the per staff member and month
    detail the page leaves out: it adds up to the page's per staff member table, and the page says
    where it is."""
    import stat

    from click.testing import CliRunner
    from html_tables import Tables
    from openpyxl import load_workbook

    from bcm_analytics.cli import cli

    load_rows("time_logs", [entry("april", "PTA01", "2025-04-02", 5)])  # the data runs past 2025 Q1: shown outside
    refresh(program)
    program.close()
    db, page, book = tmp_path / "test.duckdb", tmp_path / "page.html", tmp_path / "tables.xlsx"
    run = CliRunner().invoke(cli, ["report", "time_allocation", "--db", str(db), "-p", "start_month", "2025-03",
                                   "--audience", audience, "--out", str(page), "--tables", str(book)])
    assert run.exit_code == 0, run.output
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    parser = Tables()
    parser.feed(page.read_text())
    shown = [cells for label, cells in parser.tables if label not in ("Report parameters", "Data freshness")]
    workbook = load_workbook(book)
    sheets = workbook.sheetnames
    assert sheets[0] == "about" and ("per staff and month" in sheets) == (audience == "internal")
    assert [sheet_as_page(workbook[name]) for name in sheets[1:] if name != "per staff and month"] == shown
    if audience == "internal":
        detail, totals = (pd.DataFrame(list(workbook[n].values)[1:], columns=list(workbook[n].values)[0])
                          for n in ("per staff and month", ta.STAFF_TOTAL_SHEET))
        assert list(detail.columns) == ta.STAFF_COLUMNS, "the sheet a user's scripts read keeps its columns"
        assert detail["month"].nunique() == 2 and len(totals) == detail["staff_id"].nunique() + 1  # the All row
        minutes = ["logged_minutes", "counted_minutes", *ta.NOT_COUNTED]
        summed = detail.groupby("staff_id")[minutes].sum()
        assert (summed == totals.set_index("staff_id").loc[summed.index, minutes]).all().all()
        assert "the sheet 'per staff and month' of this page's workbook" in page.read_text()
        assert "bcm report time_allocation --tables time_allocation.xlsx -p start_month 2025-03" in page.read_text()
    hidden = [r for r in list(workbook["where minutes went"].values)[1:] if r[-1]] if audience == "external" else []
    assert (audience == "external") == bool(hidden), "outside, the overlap and role rows are hidden"
    assert all(cell is None for row in hidden for cell in row[2:5])
    text = " ".join(str(c) for ws in workbook for row in ws.values for c in row if c is not None)
    assert "PTA" not in text and "PTN" not in text
    assert ("BCM1" in text) == (audience == "internal")


def test_contact_modes_read_as_words(alloc):
    """The contact-mode tables wrote the export's codes ('none', 'in_person'): 'none' is the
    caseload review and administrative time done without the patient, and says so."""
    internal = Privacy.packaged("internal")
    modes = ta.breakdowns(alloc, internal)["contact_mode"]
    assert modes[ta.SHOWN["contact_mode"]].tolist() == ["phone", "no contact with the patient", TOTAL]
    staff = ta.staff_period(alloc, internal, "contact_mode")
    assert "no contact with the patient" in staff.columns and "none" not in staff.columns
    assert staff.set_index("staff_id").loc["PSY1", "no contact with the patient"] == 15
    assert [ta.formats.contact_mode(m) for m in ("in_person", "video", "(none given)", "sms_text")] == [
        "in person", "video", "not recorded", "sms text"]


def test_staff_roles_read_as_words(alloc):
    """The per-staff tables printed the export's role codes ('bhcm', 'psychiatric_consultant') where
    the reader looks for 'care manager'; care managers are still picked by the code."""
    internal = Privacy.packaged("internal")
    staff = ta.staff_months(alloc, internal)
    assert "staff_role_label" in ta.STAFF_COLUMNS and "staff_role" not in ta.STAFF_COLUMNS
    assert staff.set_index("staff_id")["staff_role_label"].to_dict() == {"BCM1": "care manager", "PSY1": "psychiatric consultant"}
    assert ta.care_managers(staff).staff_id.tolist() == ["BCM1"]
    for dim in ta.DIMS:
        period = ta.staff_period(alloc, internal, dim)
        assert period["staff_role_label"].tolist() == ["care manager", "psychiatric consultant", ""], dim
        assert "staff_role" not in period.columns and "bhcm" not in period.to_string()
    assert [ta.formats.role(r) for r in ("treating_practitioner", "other", "peer_specialist")] == [
        "treating practitioner", "other staff", "peer specialist"]


def test_the_page_says_whose_minutes_its_totals_hold(alloc):
    """Titled "Where care managers' time goes", the page's totals held the psychiatric consultant's
    15 minutes of caseload review too: the title and the purpose name the care team, and the roles
    whose minutes are in the totals."""
    assert "care managers'" not in ta.TITLE and "care team" in ta.TITLE
    assert set(alloc.rows.staff_role) == {"bhcm", "psychiatric_consultant"}
    inside, outside = ta.purpose(alloc, Privacy.packaged("internal")), ta.purpose(alloc, Privacy.packaged("external"))
    assert "(here: care managers and psychiatric consultants)" in inside
    assert "by staff member and month" in inside and "staff member" not in outside, "no per-staff detail outside"
    only = dataclasses.replace(alloc, rows=alloc.rows[alloc.rows.staff_role == "bhcm"])
    assert "(here: care managers)" in ta.purpose(only, Privacy.packaged("internal"))


def test_the_per_staff_section_is_headed_by_what_it_holds():
    """The section holding the per-staff tables (care managers, psychiatric consultants, treating
    practitioners) was headed 'By care manager', and outside readers were told 'Per care-manager
    detail is in the internal version only': the heading and the note say staff member."""
    import nbformat

    from bcm_analytics.reports.runner import NOTEBOOKS_DIR

    notebook = nbformat.read(str(NOTEBOOKS_DIR / "time_allocation.ipynb"), as_version=4)
    heading = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading = cell.source.splitlines()[0]
        if cell.cell_type == "code" and "ta.staff_months(" in cell.source:
            break
    assert heading == "## By staff member"
    assert ta.STAFF_NOTE.startswith("Per staff-member detail") and "care manager" not in ta.STAFF_NOTE


def test_a_period_with_no_time_logged_is_said_in_words(program):
    """An external page widened to whole quarters showed 'Jan 2025 | 0 | 0 | 0 | 0 | 0 | –' (the
    program logged its first minute in March) as a row, and an empty slot in the chart, with nothing
    to tell a board a month with nothing logged from missing data. The zeros stay (0 is shown, never
    suppressed; the periods add up to All), and a note under the table names the months."""
    alloc = ta.Allocation.load(program, "2025-01", "2025-03")
    for audience in ("internal", "external"):
        _, months = ta.months(alloc, Privacy.packaged(audience))
        assert months.loc[months.period != TOTAL, "logged_minutes"].tolist() == [0, 0, LOGGED], audience
        assert ta.no_time_note(months) == "No time was logged in Jan 2025 to Feb 2025: their rows read 0 and their share –."
    _, march = ta.months(ta.Allocation.load(program, "2025-03", "2025-03"), Privacy.packaged("internal"))
    assert ta.no_time_note(march) == ""
    one = pd.DataFrame({"period": ["2025 Q1", "2025 Q2", "2025 Q3", TOTAL], "logged_minutes": [0.0, 30.0, 0.0, 30.0]})
    assert ta.no_time_note(one) == "No time was logged in 2025 Q1 and 2025 Q3: their rows read 0 and their share –."
    assert ta.no_time_note(one.iloc[[0, 1, 3]]) == "No time was logged in 2025 Q1: its row reads 0 and its share –."


def test_the_pages_per_staff_table_gives_the_reasons_minutes_did_not_count_in_one_column(alloc):
    """With a minutes column for each of the eleven reasons minutes may not count (most of them 0)
    the per staff member table ran to eighteen columns and scrolled sideways on a 1366 px laptop
    (test_report_browser). The page shows the minutes not counted and, beside them, each reason
    that had any with its minutes; they add up to the minutes not counted, so nothing is lost. The
    workbook keeps a column per reason."""
    staff = ta.staff_table(ta.staff_totals(alloc, Privacy.packaged("internal"))).set_index("staff_id")
    assert staff.loc["BCM1", "not_counted"] == 75 + 120 and staff.loc["PSY1", "not_counted"] == 15
    assert staff["not_counted_reasons"].drop(TOTAL).to_dict() == {"BCM1": "75 administrative; 120 no consent on file",
                                                                  "PSY1": "15 staff role not countable"}
    assert set(ta.STAFF_PAGE_COLUMNS) <= {*staff.reset_index().columns}
    assert len(ta.STAFF_PAGE_COLUMNS) < len(ta.STAFF_TOTAL_COLUMNS) and set(ta.NOT_COUNTED) <= set(ta.STAFF_TOTAL_COLUMNS)
    assert set(ta.NOT_COUNTED) <= set(ta.STAFF_COLUMNS)


def test_the_pages_per_staff_table_has_a_row_per_staff_member_not_per_month(program, load_rows):
    """The page's per-staff table had a row per staff member and month: some 260 rows at 200
    patients, which no director reads. It has a row per staff member over the report's period, and
    the All row: months with time logged, patients (each counted once however many months they had
    time), the minutes; the month-by-month detail stays in the workbook (staff_months)."""
    load_rows("time_logs", [entry("april", "PTA01", "2025-04-02", 5), entry("psy-april", "PTA02", "2025-04-03", 10,
                                                                            "caseload_review", role="psychiatric_consultant",
                                                                            staff="PSY1", mode="none")])
    refresh(program)
    internal = Privacy.packaged("internal")
    alloc = ta.Allocation.load(program, "2025-03", "2025-04")
    assert len(ta.staff_months(alloc, internal)) == 4, "two staff members in two months"
    totals = ta.staff_totals(alloc, internal).set_index("staff_id")
    assert list(totals.index) == ["BCM1", "PSY1", TOTAL]
    assert totals["months_with_time"].to_dict() == {"BCM1": 2, "PSY1": 2, TOTAL: 2}
    assert totals["patients"].to_dict() == {"BCM1": 23, "PSY1": 2, TOTAL: 23}
    assert totals["logged_minutes"].to_dict() == {"BCM1": 20 * 40 + 75 + 120 + 5, "PSY1": 25, TOTAL: LOGGED + 15}
    assert totals.loc[TOTAL, "role_not_countable"] == 25 and totals.loc[TOTAL, "staff_role_label"] == ""
    assert totals.loc["BCM1", "share_supported_code"] == pytest.approx(800 / 1000)
    with pytest.raises(ValueError, match="internal version only"):
        ta.staff_totals(alloc, Privacy.packaged("external"))
