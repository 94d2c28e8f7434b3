"""Audit packets: each page lists exactly the entries the billing engine counted, the others with
their reasons, and adds up; the files are private; `bcm audit` refuses bad input in one line.

The hand-written program (patients A, B, C) has one entry of every kind an auditor asks about;
the synthetic program checks every page against marts.billing_evidence.
"""

from __future__ import annotations

import html
import os
import re
import stat
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import PRINT_WIDTH, chromium, inspect
from click.testing import CliRunner

from bcm_analytics.billing.audit import audit_claims, audit_entries, audit_findings, audit_lines, audit_months
from bcm_analytics.cli.audit import audit
from bcm_analytics.models import refresh
from bcm_analytics.reports.audit import page_name, write_packets
from bcm_analytics.synthetic import generate_program, write_claims
from bcm_analytics.warehouse import connect

CLINIC = {"clinic_id": "PP", "clinic_name": "Prairie Practice", "setting": "physician_practice", "timezone": "America/Chicago"}


def patient(pid: str, consent: str) -> dict:
    return {"patient_id": pid, "clinic_id": "PP", "payer": "Medicare", "program": "cocm", "care_manager_id": "BCM1",
            "treating_provider_npi": "1234567893", "enrollment_date": "2025-01-01", "consent_date": consent}


def entry(eid, pid, day, minutes, activity="follow_up_contact", role="bhcm", staff="BCM1", start="") -> dict:
    return {"entry_id": eid, "patient_id": pid, "staff_id": staff, "staff_role": role, "service_date": day,
            "minutes": str(minutes), "activity_type": activity, "start_time": start}


# A, March 2025 (consent 10 March), logged 103 minutes, 60 countable -> 99492 (initial month):
#   a1  5 Mar  outreach            10  before consent
#   a2 12 Mar  assessment          30  counted
#   a3 14 Mar  administrative       8  activity not countable (administrative time)
#   a4 14 Mar  caseload review     15  psychiatric consultant: role not countable
#   a5 20 Mar  10:00-10:20         20  counted
#   a6 20 Mar  10:10-10:30         20  counted 10 (10:10-10:20 overlaps a5)
# B: no consent on file; 40 minutes in April 2025 count nothing, and a claim bills 99492 anyway.
# C: consent 5 June 2025; 20 minutes on 20 May (before consent), 40 in June -> June is initial (99492).
ENTRIES = [
    entry("a1", "A", "2025-03-05", 10, "outreach"),
    entry("a2", "A", "2025-03-12", 30, "assessment"),
    entry("a3", "A", "2025-03-14", 8, "administrative"),
    entry("a4", "A", "2025-03-14", 15, "caseload_review", role="psychiatric_consultant", staff="PSY1"),
    entry("a5", "A", "2025-03-20", 20, start="10:00"),
    entry("a6", "A", "2025-03-20", 20, "care_coordination", start="10:10"),
    entry("b1", "B", "2025-04-08", 40),
    entry("c1", "C", "2025-05-20", 20, "outreach"),
    entry("c2", "C", "2025-06-10", 40),
]
CLAIMS = [
    {"claim_id": "CL1", "line_number": "1", "patient_id": "A", "date_of_service": "2025-03-31", "procedure_code": "99492",
     "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145", "claim_status": "paid"},
    {"claim_id": "CL2", "line_number": "1", "patient_id": "B", "date_of_service": "2025-04-30", "procedure_code": "99492",
     "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145", "claim_status": "submitted"},
]


@pytest.fixture
def program(store, load_rows):
    for table, rows in (("clinics", [CLINIC]),
                        ("patients", [patient("A", "2025-03-10"), patient("B", ""), patient("C", "2025-06-05")]),
                        ("time_logs", ENTRIES), ("claims", CLAIMS)):
        result = load_rows(table, rows)
        assert result.rows_quarantined == 0, table
    refresh(store)
    return store


class Page(HTMLParser):
    """An audit page read back: the page's patient-month, each entry row's data, the totals."""

    def __init__(self, text: str):
        super().__init__()
        self.main, self.entries, self.totals, self._total = {}, {}, {}, None
        self.text = text
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.main = a
        elif tag == "tr" and "data-entry" in a:
            self.entries[a["data-entry"]] = (a["data-status"], number(a["data-logged"]), number(a["data-counted"]))
        elif tag == "td" and a.get("id", "").startswith("total-"):
            self._total = a["id"]

    def handle_data(self, data):
        if self._total:
            self.totals[self._total] = number(data)
            self._total = None

    @property
    def counted(self) -> dict[str, Decimal]:
        return {e: counted for e, (_, _, counted) in self.entries.items() if counted > 0}


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def test_a_packet_lists_every_entry_with_minutes_counted_and_reasons_that_add_up(program, tmp_path):
    run = write_packets(program, tmp_path / "packets", "2025-03", "2025-06")
    assert (run.packets, run.patients) == (3, 3)  # A March (expected + billed), B April (billed), C June (expected)
    page = Page((tmp_path / "packets" / "A_2025-03.html").read_text())
    assert page.entries == {
        "a1": ("before_consent", 10, 0), "a2": ("counted", 30, 30), "a3": ("activity_not_countable", 8, 0),
        "a4": ("role_not_countable", 15, 0), "a5": ("counted", 20, 20), "a6": ("counted_in_part_overlap", 20, 10)}
    assert page.totals == {"total-logged": 103, "total-counted": 60}
    assert page.main["data-countable"] == "60"
    text = re.sub(r"\s+", " ", page.text)
    for words in ("Logged on 2025-03-05, before the patient&#39;s consent on 2025-03-10",
                  "&#39;administrative&#39; is not a countable care-management activity",
                  "Minutes of staff role &#39;psychiatric_consultant&#39; do not count",
                  "10 of its 20 minutes overlap time already counted for another entry of the same staff member",
                  "overlaps a5 (follow_up_contact 10:00-10:20)",
                  "Initial: the first month with countable minutes for this patient, so it starts episode A-2025-03.",
                  "60 countable minutes in an initial month reach 99492 (from 36 minutes)",
                  "from the patient row at", "line 2",  # the consent date's source: A is the patients file's first row
                  "CL1", "matched", "$145.00"):
        assert words in text, words
    # the subtotals of what did not count add up with the counted minutes to what was logged
    # under the headings of the time-allocation tables (billing/time_outcomes.py), one name for one reason
    for label, minutes in (("before the consent date", 10), ("administrative", 8), ("staff role not countable", 15),
                           ("overlapping time", 10)):
        assert re.search(rf"not counted: {label} \(1 entry\)</td>\s*<td class=\"num\">{minutes}</td>", page.text), label


def test_office_visits_on_the_claims_are_context_not_billed_minutes(program, load_rows, tmp_path):
    """An E/M visit (the initiating visit) is on the month's claims, but it is not billed for
    minutes: it does not add to what was billed, and a month with only a visit has no packet."""
    visit = {**CLAIMS[0], "claim_id": "V1", "procedure_code": "99213", "charge_amount": "92"}
    load_rows("claims", [{**visit, "date_of_service": "2025-03-05"},
                         {**visit, "claim_id": "V2", "patient_id": "C", "date_of_service": "2025-05-20"}])
    refresh(program)
    run = write_packets(program, tmp_path / "packets", "2025-03", "2025-06")
    assert (run.packets, run.patients) == (3, 3), "C's May (a visit, no minutes billed) is not a packet"
    text = re.sub(r"\s+", " ", (tmp_path / "packets" / "A_2025-03.html").read_text())
    assert "billed <b>99492</b> ($145.00) (the month's claims also carry 99213, not billed for minutes)" in text
    # the billing episode (P-2025-03) is not the enrolment the care-team worklists number (P-1): an
    # auditor matching the two read 'Episode' on both
    assert re.search(r"<dt>Billing episode</dt><dd>A-2025-03, begun 2025-03;.* not the program enrolment the care-team "
                     r"worklists number\)", text)


def test_a_billed_month_without_minutes_gets_a_packet_with_the_findings(program, tmp_path):
    write_packets(program, tmp_path, "2025-04")
    page = Page((tmp_path / "B_2025-04.html").read_text())
    assert page.entries == {"b1": ("no_consent", 40, 0)}
    text = re.sub(r"\s+", " ", page.text)
    assert "The patient has no consent date on file" in text
    assert "no consent date on file" in text and "nothing was billed" not in text
    assert "unsupported_claim" in text.replace(" ", "_") or "unsupported claim" in text
    assert "the patient has no consent on file; record the consent or void the line." in text
    assert "No countable minutes this month: it is not a month of service" in text


def test_the_library_returns_the_same_rows_as_frames(program):
    months = audit_months(program, "2025-03", "2025-06")
    assert list(zip(months.patient_id, months.service_month, months.expected_codes.fillna(""), months.billed_codes.fillna(""))) == [
        ("A", "2025-03", "99492", "99492"), ("B", "2025-04", "", "99492"), ("C", "2025-06", "99492", "")]
    assert months.patient_source_line.tolist() == [2, 3, 4]
    entries = audit_entries(program, "2025-03", "2025-06", patient="A")
    assert entries.minutes_counted.sum() == 60 and entries.reason.notna().sum() == 4
    assert entries.entry_id.tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]
    lines = audit_lines(program, "2025-03")
    assert list(zip(lines.code, lines.unit_fee, lines.fee_verified)) == [("99492", 145.0, False)]
    assert lines.fee_source.str.contains("billing_rules.md").all()
    assert audit_claims(program, "2025-04").source_line.tolist() == [3]
    findings = audit_findings(program, "2025-03", "2025-06", patient="B")
    assert list(zip(findings.service_month, findings.finding)) == [("2025-04", "missing_consent"), ("2025-04", "unsupported_claim")]


def test_a_month_of_an_earlier_enrolment_names_the_patients_row_it_came_from(program, load_rows, tmp_path):
    """A re-enrolment replaces the patient's row (the export is keyed by patient). C's discharge on 20
    June 2025 comes in patients_4.csv, and a re-enrolment on 1 October with a new consent date in
    patients_5.csv: the June packet's consent (5 June) names the row it came from, patients_4.csv, not
    the row now on file (which holds the new consent date, and named it before)."""
    load_rows("patients", [patient("C", "2025-06-05") | {"discharge_date": "2025-06-20"}])
    load_rows("patients", [patient("C", "2025-10-01") | {"enrollment_date": "2025-10-01"}])
    write_packets(program, tmp_path, "2025-06")
    months = audit_months(program, "2025-06")
    assert [(str(c)[:10], Path(f).name, n) for c, f, n in zip(months.consent_date, months.patient_source_file, months.patient_source_line)] == [
        ("2025-06-05", "patients_4.csv", 2)]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (tmp_path / "C_2025-06.html").read_text()))
    assert re.search(r"from the patient row at \S*/patients_4\.csv line 2 ", text)
    assert "Enrolment 2025-01-01; discharged 2025-06-20 " in page_text(tmp_path / "C_2025-06.html")  # that enrolment's discharge: the row on file has none
    assert "Earlier enrolment this month" not in text


def page_text(path: Path) -> str:
    """A page's words as a reader sees them: each tag a space, entities read, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", path.read_text())))


def test_a_month_with_a_re_enrolment_names_the_earlier_enrolment_whose_consent_its_entries_before_it_had(program, load_rows, tmp_path):
    """C, consented on 5 June 2025, is discharged on 20 June and enrolled again on 25 June with a new
    consent (25 June). June is billed under the new enrolment, and C's 40 minutes of 10 June count
    (core.enrolment_on: served under the consent then on file). The packet names the consent of 25
    June from the new row and, beside it, the earlier enrolment with its discharge and its consent of
    5 June from the row it came from, so an auditor reading 10 June beside a consent of 25 June sees
    why it counts."""
    load_rows("patients", [patient("C", "2025-06-05") | {"discharge_date": "2025-06-20"}])
    load_rows("patients", [patient("C", "2025-06-25") | {"enrollment_date": "2025-06-25"}])
    load_rows("time_logs", [entry("c3", "C", "2025-06-27", 10)])
    write_packets(program, tmp_path, "2025-06")
    assert dict(zip(audit_entries(program, "2025-06").entry_id, audit_entries(program, "2025-06").status)) == {
        "c2": "counted", "c3": "counted"}
    text = page_text(tmp_path / "C_2025-06.html")
    assert re.search(r"Consent 2025-06-25 — from the patient row at \S*/patients_5\.csv line 2 ", text)
    assert re.search(r"Earlier enrolment this month 2025-01-01; discharged 2025-06-20; consent 2025-06-05 "
                     r"— from the patient row at \S*/patients_4\.csv line 2 ?\. The patient was enrolled again on 2025-06-25", text)


def test_a_month_whose_add_on_units_stop_at_the_payers_cap_says_so(store, load_rows):
    """250 minutes in an initial month support 99492 and 99494 x6 (70 + 6 x 30 = 250, from 16 of
    each 30); a Medicaid payer allows at most 4 a month (billing_rules.md, the default cap). The
    page read 'x4 for the time past the 70-minute base time', as if the minutes stopped there."""
    load_rows("clinics", [CLINIC])
    load_rows("patients", [{**patient("M", "2025-01-01"), "payer": "Medicaid"}, patient("R", "2025-01-01")])
    load_rows("time_logs", [entry(f"{p}{i}", p, f"2025-07-{i + 10:02d}", 50) for p in ("M", "R") for i in range(5)])
    refresh(store)
    reasons = dict(zip(*audit_months(store, "2025-07")[["patient_id", "codes_reason"]].to_numpy().T))
    assert reasons["M"] == ("250 countable minutes in an initial month reach 99492 (from 36 minutes) and 99494 x4 for the "
                            "time past the 70-minute base time (the payer allows at most 4 a month).")
    assert reasons["R"] == ("250 countable minutes in an initial month reach 99492 (from 36 minutes) and 99494 x6 for the "
                            "time past the 70-minute base time; the next code (99494 x7) would need 266.")


def test_one_patient_and_an_empty_period(program, tmp_path):
    run = write_packets(program, tmp_path / "one", "2025-01", "2025-12", patient="C")
    assert run.packets == 1 and (tmp_path / "one" / "C_2025-06.html").exists()
    empty = write_packets(program, tmp_path / "none", "2024-01")
    assert empty.packets == 0
    assert "No billed or expected patient-month" in (tmp_path / "none" / "index.html").read_text()


def test_pages_are_private_and_the_index_links_each(program, tmp_path):
    folder = tmp_path / "new" / "packets"
    write_packets(program, folder, "2025-03", "2025-06")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["A_2025-03.html", "B_2025-04.html", "C_2025-06.html", "index.html"]
    assert {stat.S_IMODE((folder / f).stat().st_mode) for f in files} == {0o600}
    index = (folder / "index.html").read_text()
    for f in files[:-1]:
        assert f'href="{f}"' in index


def test_a_folder_that_was_there_says_what_others_can_see_and_what_an_earlier_run_left(program, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    first = write_packets(program, folder, "2025-03", "2025-06")
    assert len(first.notes) == 1 and "others can list it (mode 0755)" in first.notes[0]
    os.chmod(folder, 0o700)
    (folder / "notes.html").write_text("mine")  # not a packet: not counted
    again = write_packets(program, folder, "2025-06")
    assert again.notes == [f"2 page(s) in {folder} are from an earlier run and not in this index (e.g. A_2025-03.html); "
                           "delete them if they should not travel with it"]
    assert write_packets(program, tmp_path / "new", "2025-03").notes == []


def test_a_patient_id_never_becomes_a_path():
    from datetime import date

    assert page_name("../etc/passwd", date(2025, 3, 1)) == "~2e~2e~2fetc~2fpasswd_2025-03.html"
    assert page_name("P-01_x", date(2025, 3, 1)) == "P-01_x_2025-03.html"


# --- every page of a synthetic program against the evidence mart ----------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A small synthetic program with its claims, loaded and built; the store path."""
    folder = tmp_path_factory.mktemp("audit_program")
    generate_program(folder / "data", patients=80, months=6, start="2025-10", seed=5)
    db = folder / "store.duckdb"
    con = connect(db, timezone="America/New_York")
    from bcm_analytics.ingest import load_file
    from bcm_analytics.ingest.loader import discover

    for path in discover([folder / "data"])[0]:
        load_file(con, path)
    refresh(con, folder / "data" / "program_rules.yaml")
    from bcm_analytics.billing import billing_lines

    claims = write_claims(billing_lines(con, "2025-10", "2026-03"), folder / "data", seed=5)
    load_file(con, claims)
    refresh(con)
    con.close()
    return db


def test_every_page_lists_exactly_the_entries_the_engine_counted(synthetic, tmp_path):
    con = connect(synthetic, read_only=True)
    try:
        run = write_packets(con, tmp_path, "2025-10", "2026-03")
        evidence = con.execute(
            """SELECT patient_id, strftime(service_month, '%Y-%m'), entry_id, any_value(minutes_counted)
               FROM marts.billing_evidence GROUP BY ALL""").fetchall()
        entries = con.execute(
            """SELECT patient_id, strftime(service_month, '%Y-%m'), entry_id, status, counted_minutes FROM marts.billing_entries
               WHERE (patient_id, service_month) IN (SELECT patient_id, service_month FROM marts.audit_patient_months)
                 AND service_month BETWEEN DATE '2025-10-01' AND DATE '2026-03-01'""").fetchall()
        months = con.execute(
            """SELECT patient_id, strftime(service_month, '%Y-%m'), countable_minutes, logged_minutes FROM marts.audit_months
               WHERE service_month BETWEEN DATE '2025-10-01' AND DATE '2026-03-01'""").fetchall()
    finally:
        con.close()
    assert run.packets == len(months) > 50
    counted: dict[tuple, dict] = {}
    for pid, month, eid, minutes in evidence:
        counted.setdefault((pid, month), {})[eid] = Decimal(str(minutes))
    listed: dict[tuple, dict] = {}
    engine_counted: dict[tuple, dict] = {}  # a month whose minutes reach no code (a page for its claim) has no evidence
    for pid, month, eid, status, minutes in entries:
        listed.setdefault((pid, month), {})[eid] = status
        if minutes > 0:
            engine_counted.setdefault((pid, month), {})[eid] = Decimal(str(minutes))
    not_counted_seen = 0
    for pid, month, countable, logged in months:
        page = Page((tmp_path / f"{pid}_{month}.html").read_text())
        assert (page.main["data-patient"], page.main["data-month"]) == (pid, month)
        assert page.counted == engine_counted.get((pid, month), {}), (pid, month)
        if (pid, month) in counted:
            assert page.counted == counted[(pid, month)], (pid, month)
        assert {e: s for e, (s, _, _) in page.entries.items()} == listed.get((pid, month), {}), (pid, month)
        if page.entries:
            assert page.totals["total-counted"] == Decimal(str(countable)) == sum(page.counted.values(), Decimal(0))
            assert page.totals["total-logged"] == Decimal(str(logged))
        for eid, (status, logged_minutes, counted_minutes) in page.entries.items():
            if counted_minutes < logged_minutes:
                not_counted_seen += 1
                row = re.search(rf'data-entry="{eid}"(?:(?!</tr>).)*</tr>\s*<tr class="not-counted why">'
                                r'<td></td><td colspan="8" class="reason">Why not counted[^:]*: (.*?)</td>', page.text, re.S)
                assert row and row.group(1).strip(), f"{pid} {month} {eid}: no reason for {status}"
    assert not_counted_seen > 10


def test_packets_from_other_rules_and_from_an_older_store_read_only(synthetic, tmp_path):
    """Other rules are built in a scratch catalog beside a read-only store; so are the audit views of
    a store built before they existed (its manifest lacks them)."""
    con = connect(synthetic, read_only=True)
    try:
        assert write_packets(con, tmp_path / "texas", "2026-01", rules="texas_medicaid").packets > 0
    finally:
        con.close()
    older = tmp_path / "older.duckdb"
    older.write_bytes(Path(synthetic).read_bytes())
    con = connect(older)
    con.execute("DELETE FROM meta.marts_manifest WHERE model LIKE 'audit%'")
    con.execute("DROP VIEW marts.audit_months")
    con.close()
    con = connect(older, read_only=True)
    try:
        assert write_packets(con, tmp_path / "older", "2026-01").packets > 0
    finally:
        con.close()


# --- the command ------------------------------------------------------------------------------------


def run_cli(*args):
    return CliRunner().invoke(audit, [str(a) for a in args])


def test_bcm_audit_writes_the_index_and_says_where(synthetic, tmp_path):
    result = run_cli("--db", synthetic, "--month", "2026-02", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ audit packet\(s\) for \d+ patient\(s\) \(2026-02..2026-02, bcm-default [^)]+ \+ program_rules\): "
                     r".*index.html", result.output)
    assert (tmp_path / "out" / "index.html").exists()
    assert "claim lines are loaded" not in result.output, "the synthetic claims cover every month"


def test_bcm_audit_notes_a_folder_others_can_list(synthetic, tmp_path):
    (tmp_path / "out").mkdir(mode=0o755)
    os.chmod(tmp_path / "out", 0o755)
    result = run_cli("--db", synthetic, "--month", "2026-02", "--out", tmp_path / "out")
    assert result.exit_code == 0 and "note: " in result.output and "chmod 700" in result.output


@pytest.mark.parametrize("args, message", [
    (["--month", "2026-02", "--to", "2026-01"], "--to 2026-01 is before --month 2026-02"),
    (["--month", "2026-02", "--patient", "NOBODY"], "no patient NOBODY in"),
    (["--month", "2026-2"], "'2026-2' is not a month YYYY-MM"),
    (["--to", "2026-02"], "--month YYYY-MM is required"),
])
def test_bcm_audit_refuses_in_one_line(synthetic, tmp_path, args, message):
    result = run_cli("--db", synthetic, *args, "--out", tmp_path / "out")
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_bcm_audit_refuses_a_file_as_the_folder(synthetic, tmp_path):
    (tmp_path / "f").write_text("x")
    result = run_cli("--db", synthetic, "--month", "2026-02", "--out", tmp_path / "f")
    assert result.exit_code != 0 and "is a file" in result.output and "Traceback" not in result.output


def test_bcm_audit_warns_of_months_whose_claims_are_not_loaded(program, tmp_path):
    """C's June minutes support a code and the store's claims end in April: June's packet reads as
    missed billing, which an auditor should not take as unbilled before the claims are loaded."""
    program.close()
    result = run_cli("--db", tmp_path / "test.duckdb", "--month", "2025-03", "--to", "2025-06", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: no claim lines are loaded for 2025-06 (the store's claims run 2025-03 to 2025-04)" in result.output


def flat(path: Path) -> str:
    return re.sub(r"\s+", " ", path.read_text())


def test_a_month_whose_claims_are_not_loaded_says_so_on_its_page_and_the_index(program, tmp_path):
    """The store's claims end in April: C's June page must not read "nothing was billed" (and bill
    it) as if someone had checked the claims; it says the month's claims are not loaded, as
    `bcm reconcile` and the billing page do (the CLI's warning does not travel with the pages)."""
    write_packets(program, tmp_path, "2025-03", "2025-06")
    gap = "No claim lines are loaded for 2025-06 (the store&#39;s claims run 2025-03 to 2025-04)"
    june = flat(tmp_path / "C_2025-06.html")
    assert gap in june and "nothing was billed" not in june
    assert gap in flat(tmp_path / "index.html")
    assert "No claim lines are loaded" not in flat(tmp_path / "A_2025-03.html")



def test_a_month_whose_claim_is_in_the_quarantine_does_not_read_unbilled(program, load_rows, tmp_path):
    """billing_rules.md s6 item 13: a claim line set aside at load is not a missing claim. C's June
    claim has an unreadable amount: the page says a claim line of the month is in the quarantine,
    never that nothing was billed."""
    result = load_rows("claims", [{**CLAIMS[0], "claim_id": "CL3", "patient_id": "C", "date_of_service": "2025-06-30",
                                   "charge_amount": "abc"}])
    assert result.rows_quarantined == 1
    refresh(program)
    write_packets(program, tmp_path, "2025-06")
    june = flat(tmp_path / "C_2025-06.html")
    assert "nothing was billed" not in june and "No claim line bills this month" not in june
    assert "a claim line of this month is in the quarantine" in june


def test_the_summary_and_the_entries_read_in_words_not_column_values(program, tmp_path):
    """The packet's summary named findings as column values (missing_consent, unsupported_claim)
    where the index and the findings table read them in words; an entry exported without a contact
    mode read 'follow up contact ()'."""
    write_packets(program, tmp_path, "2025-04")
    text = flat(tmp_path / "B_2025-04.html")
    assert '<span class="pill warn">billed without consent, unsupported claim</span>' in text
    assert "()" not in text


def test_findings_are_named_on_the_packet_and_the_index_as_the_reconciliation_page_names_them(program, tmp_path):
    """B's claim billed without consent read 'missing consent' on its packet and the index (the id
    with its underscores replaced), where the reconciliation page and the finance workbook call it
    'billed without consent' (and 'minutes logged without consent' is the note, a different thing)."""
    write_packets(program, tmp_path, "2025-04")
    page = Page((tmp_path / "B_2025-04.html").read_text())
    assert "billed without consent" in re.sub(r"\s+", " ", page.text)
    assert "missing consent" not in page.text
    index = flat(tmp_path / "index.html")
    assert "billed without consent, unsupported claim" in index and "missing consent" not in index


def test_an_fqhc_claim_under_the_organization_npi_is_not_marked_wrong_on_the_page(store, load_rows, tmp_path):
    """billing_rules.md s4: FQHC/RHC claims are institutional; an organisation NPI on them is not a
    wrong billing NPI. Reconciliation knows (no wrong_billing_npi finding), but the packet's claims
    table marked every NPI other than the treating practitioner's '(not the treating
    practitioner's)', the organisation's too; a claim under another NPI is still marked."""
    org = "1306849450"
    load_rows("clinics", [{"clinic_id": "FQ", "clinic_name": "Health center", "setting": "fqhc",
                           "timezone": "America/Chicago", "organization_npi": org}])
    load_rows("patients", [{**patient("F", "2025-12-01"), "clinic_id": "FQ"}])
    load_rows("time_logs", [entry("f1", "F", "2026-01-12", 40), entry("f2", "F", "2026-02-12", 40)])
    load_rows("claims", [{**CLAIMS[0], "claim_id": "K1", "patient_id": "F", "date_of_service": "2026-01-31",
                          "billing_provider_npi": org},
                         {**CLAIMS[0], "claim_id": "K2", "patient_id": "F", "date_of_service": "2026-02-27",
                          "procedure_code": "99493", "billing_provider_npi": "1999999984"}])
    refresh(store)
    write_packets(store, tmp_path, "2026-01", "2026-02")
    january, february = flat(tmp_path / "F_2026-01.html"), flat(tmp_path / "F_2026-02.html")
    assert "wrong billing npi" not in january.lower() and "(not the treating practitioner" not in january
    assert "wrong billing NPI" in february and "1999999984 <span class=\"reason\">(not the treating practitioner" in february


@pytest.mark.skipif(chromium() is None, reason="no Chromium binary on PATH (Debian: apt-get install chromium)")
def test_the_index_fits_a_1024_px_screen_and_an_a4_page(store, load_rows, tmp_path):
    """Eleven columns, a clinic name, a denied line beside its rebill and 99494 x2 on one row: the
    reconciliation column and the packet link were past the right edge of a 1024 px screen."""
    clinic = dict(CLINIC, clinic_name="Riverside Community Health Center of the Prairie")
    load_rows("clinics", [clinic])
    load_rows("patients", [patient("P0000123", "2025-01-01")])
    load_rows("time_logs", [entry("e1", "P0000123", "2025-02-10", 106)])
    line = {"patient_id": "P0000123", "date_of_service": "2025-02-28", "units": "1", "billing_provider_npi": "1234567893",
            "charge_amount": "134", "claim_status": "paid"}
    load_rows("claims", [dict(line, claim_id="D1", line_number="1", procedure_code="99492", claim_status="denied"),
                         dict(line, claim_id="D2", line_number="1", procedure_code="99492"),
                         dict(line, claim_id="D2", line_number="2", procedure_code="99494", units="2")])
    refresh(store)
    write_packets(store, tmp_path / "packets", "2025-02")
    index = tmp_path / "packets" / "index.html"
    screen, printed = inspect(index, tmp_path), inspect(index, tmp_path, print_pass=True)
    assert not screen["errors"] and screen["page_width"] <= 1024, "horizontal overflow at 1024 px"
    assert printed["page_width"] <= PRINT_WIDTH, "the printed index is wider than A4"


def test_a_month_with_only_a_denied_line_and_no_minutes_carries_its_denied_finding_on_the_index(store, load_rows, tmp_path):
    """A claim the payer denied for a month with no minutes bills nothing and is owed nothing, but
    it is not to be appealed: its packet read 'no finding' (and the index had counted it among the
    months that 'carry a finding' before that). It carries a denied unsupported claim (denied_claim,
    compliance, reason denied_unsupported), named so on the index; a month whose only line was
    voided still has no finding."""
    load_rows("clinics", [CLINIC])
    load_rows("patients", [patient("A", "2025-01-01")])
    load_rows("time_logs", [entry("a1", "A", "2025-01-10", 40)])
    line = {"patient_id": "A", "line_number": "1", "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145"}
    load_rows("claims", [dict(line, claim_id="V1", date_of_service="2024-12-05", procedure_code="99213", claim_status="paid"),
                         dict(line, claim_id="C1", date_of_service="2025-01-31", procedure_code="99492", claim_status="paid"),
                         dict(line, claim_id="C2", date_of_service="2025-02-28", procedure_code="99493", claim_status="denied"),
                         dict(line, claim_id="C3", date_of_service="2025-03-31", procedure_code="99493", claim_status="voided")])
    refresh(store)
    write_packets(store, tmp_path / "packets", "2025-01", "2025-03")
    index = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "packets" / "index.html").read_text()))
    assert "3 billed or expected patient-months" in index
    assert "1 reconcile, 1 carry a finding, 1 has no finding (no claim line that bills, no code expected)." in index
    assert "2025-02 Prairie Practice Medicare 0 none 99493 (denied) denied unsupported claim open" in index
    assert "2025-03 Prairie Practice Medicare 0 none 99493 (voided) no finding open" in index


def test_a_denied_line_in_a_packet_gives_the_payers_reason(store, load_rows, tmp_path):
    """An auditor reading a denied 99492 saw 'denied' and had to find the remittance for why; a
    paid line's contractual CO-45 is no denial and is not shown."""
    load_rows("clinics", [CLINIC])
    load_rows("patients", [patient("A", "2025-01-01")])
    load_rows("time_logs", [entry("a1", "A", "2025-01-10", 40), entry("a2", "A", "2025-02-10", 40)])
    line = {"patient_id": "A", "line_number": "1", "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145"}
    load_rows("claims", [dict(line, claim_id="C1", date_of_service="2025-01-31", procedure_code="99492", claim_status="denied",
                              denial_reason="CO-16: Claim/service lacks information"),
                         dict(line, claim_id="C2", date_of_service="2025-02-28", procedure_code="99493", claim_status="paid",
                              denial_reason="CO-45")])
    refresh(store)
    write_packets(store, tmp_path, "2025-01", "2025-02")
    january, february = flat(tmp_path / "A_2025-01.html"), flat(tmp_path / "A_2025-02.html")
    assert "denied <span class=\"reason\">(the payer's reason: CO-16: Claim/service lacks information)</span>" in january
    assert "CO-45" not in february


def test_an_entry_across_a_clock_change_reads_its_real_local_end(store, load_rows, tmp_path):
    """Chicago. 8 Mar 2026, 02:00 CST becomes 03:00 CDT: S's entry at 01:50 of 30 minutes ends at
    03:20 (it read 01:50-02:20, a time that never happened). 1 Nov 2026, 01:00-02:00 happens twice:
    F's entry at 01:50 CDT (-05:00) of 30 minutes ends at 01:20 CST, its entry at 01:50 CST (-06:00)
    at 02:20 CST; a time in the repeated hour says which of the two it was (both read 01:50-02:20).
    A wall-clock entry at 01:30 cannot say: it reads as the engine read it, the second (CST)."""
    for table, rows in (("clinics", [CLINIC]), ("patients", [patient("S", "2026-01-01"), patient("F", "2026-01-01")]),
                        ("time_logs", [entry("s1", "S", "2026-03-08", 30, start="01:50"),
                                       entry("f1", "F", "2026-11-01T01:50:00-05:00", 30, start="2026-11-01T01:50:00-05:00"),
                                       entry("f2", "F", "2026-11-01T01:50:00-06:00", 30, start="2026-11-01T01:50:00-06:00"),
                                       entry("f3", "F", "2026-11-01", 10, start="01:30")])):
        assert load_rows(table, rows).rows_quarantined == 0, table
    refresh(store)
    write_packets(store, tmp_path, "2026-03", "2026-11")
    assert "<td class=\"nowrap\">2026-03-08 01:50-03:20</td>" in flat(tmp_path / "S_2026-03.html")
    november = flat(tmp_path / "F_2026-11.html")
    assert "<td class=\"nowrap\">2026-11-01 01:50 CDT-01:20 CST</td>" in november
    assert "<td class=\"nowrap\">2026-11-01 01:50-02:20 CST</td>" in november
    assert "<td class=\"nowrap\">2026-11-01 01:30-01:40 CST</td>" in november
    assert Page((tmp_path / "F_2026-11.html").read_text()).counted == {"f1": 30, "f2": 30, "f3": 10}


def test_a_days_entries_read_in_the_order_they_happened_however_the_export_gave_their_time(store, load_rows):
    """t1 was exported as a timestamp (07:00, no start_time), t2 as a date with a start time
    (08:00), t3 as a date alone. They read t3, t2, t1: a timestamp sorted by its clock time after
    every entry given a date and a start time, which sorted from midnight."""
    for table, rows in (("clinics", [CLINIC]), ("patients", [patient("O", "2026-01-01")]),
                        ("time_logs", [entry("t1", "O", "2026-03-10T07:00:00", 20),
                                       entry("t2", "O", "2026-03-10", 20, start="08:00"),
                                       entry("t3", "O", "2026-03-10", 10)])):
        assert load_rows(table, rows).rows_quarantined == 0, table
    refresh(store)
    assert audit_entries(store, "2026-03", patient="O")["entry_id"].tolist() == ["t3", "t1", "t2"]


def test_an_entry_set_aside_by_a_hospital_stay_names_the_stay_and_its_export_row(store, load_rows, tmp_path):
    """An auditor must trace 'during the patient's hospital stay' to the stay. H, April 2025; the
    facility_stays export: line 2 ADM-0001 (January: touches no April entry), line 3 ADM-0077
    inpatient 10 Apr 14:00 to 12 Apr 09:30, line 4 OBS-9 observation 20-21 Apr (dates alone).
      h0  2 Apr, 40 min: counted (the month bills 99492, so it has a packet)
      h1 10 Apr 13:50, 20 min: runs across the admission, 10 count
      h2 11 Apr, 15 min: inside ADM-0077
      h3 20 Apr, 10 min, no time: on OBS-9's admission day (edge, excluded by default)
    Each reason names its stay (type, key as exported, admission and discharge as exported), and
    the provenance lists the stays file's lines 3 and 4, not line 2."""
    stays = [{"stay_id": sid, "patient_id": "H", "stay_type": kind, "admitted_at": admitted, "discharged_at": discharged}
             for sid, kind, admitted, discharged in (("ADM-0001", "inpatient", "2025-01-05", "2025-01-07"),
                                                     ("ADM-0077", "inpatient", "2025-04-10 14:00", "2025-04-12 09:30"),
                                                     ("OBS-9", "observation", "2025-04-20", "2025-04-21"))]
    for table, rows in (("clinics", [CLINIC]), ("patients", [patient("H", "2025-01-01")]),
                        ("time_logs", [entry("h0", "H", "2025-04-02", 40), entry("h1", "H", "2025-04-10", 20, start="13:50"), entry("h2", "H", "2025-04-11", 15),
                                       entry("h3", "H", "2025-04-20", 10)]),
                        ("facility_stays", stays)):
        assert load_rows(table, rows).rows_quarantined == 0, table
    refresh(store)
    write_packets(store, tmp_path, "2025-04")
    page = Page((tmp_path / "H_2025-04.html").read_text())
    assert page.entries == {"h0": ("counted", 40, 40), "h1": ("counted_in_part_facility_stay", 20, 10), "h2": ("during_facility_stay", 15, 0),
                            "h3": ("during_facility_stay", 10, 0)}
    text = re.sub(r"\s+", " ", page.text)
    adm = "inpatient stay ADM-0077, admitted 2025-04-10 14:00, discharged 2025-04-12 09:30"
    for words in (f"10 of its 20 minutes fall inside the patient&#39;s hospital stay ({adm};",
                  f"Logged on 2025-04-11 during the patient&#39;s hospital stay ({adm});",
                  "Logged on 2025-04-20 on the day of a hospital admission or discharge "
                  "(observation stay OBS-9, admitted 2025-04-20, discharged 2025-04-21),"):
        assert words in text, words
    assert "ADM-0001" not in text
    [stays_row] = [row for row in re.findall(r"<tr>(.*?)</tr>", text) if "facility_stays_" in row]
    assert "hospital stays (lines 3, 4)" in stays_row
    frame = audit_entries(store, "2025-04", patient="H").set_index("entry_id")
    assert [[s["stay_id"] for s in frame.facility_stays[e]] for e in ("h1", "h2", "h3")] == [["ADM-0077"], ["ADM-0077"], ["OBS-9"]]
