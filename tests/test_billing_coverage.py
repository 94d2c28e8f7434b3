"""Payer history: each month bills under the payer that covered the patient then.

A program may export coverage (patient_id, payer, start_date, end_date: empty = goes on). A month is
billed under the coverage period overlapping it that starts latest (a change on the 15th prices that
month under the new payer); a month no period touches, or a patient with no coverage rows, bills
under patients.payer as before (marts.month_terms). Commercial bills no G2214 (default ruleset),
Medicaid caps 99494 at 4 units a month, Medicare does neither.
"""

from __future__ import annotations

import pytest
from test_billing_engine import codes, entry, patient, program, rules_file  # noqa: F401 (program: a fixture)
from test_models import differs_from_full, snapshot

from bcm_analytics.billing import billing_lines
from bcm_analytics.billing.engine import near_threshold, warnings
from bcm_analytics.cli.data import summary_line
from bcm_analytics.contracts import quality
from bcm_analytics.ingest import LoadOptions
from bcm_analytics.models.marts import refresh


def cover(pid: str, payer: str, start: str, end: str = "") -> dict:
    return {"patient_id": pid, "payer": payer, "start_date": start, "end_date": end}


def payers(con) -> list[tuple]:
    """(month, payer, payer_class) of each billing line's month, once a month."""
    frame = billing_lines(con, "2024-01", "2026-12")
    return sorted(set(zip(frame.service_month, frame.payer, frame.payer_class)))


# 20 minutes bill G2214 under Medicare, nothing under Commercial; 226 in a subsequent month bill
# 99493 + 99494 x6 under Medicare, x4 under Medicaid.
def twenty(pid: str, month: str) -> dict:
    return entry(f"{pid}{month}", pid, f"{month}-10", 20)


def test_commercial_through_march_then_medicare_from_april(program, load_rows):
    con = program([patient("P", payer="Commercial")], [twenty("P", m) for m in ("2025-02", "2025-03", "2025-04", "2025-05")])
    assert codes(con) == []  # Commercial bills no G2214
    result = load_rows("coverage", [cover("P", "Commercial", "2019-06-01", "2025-03-31"), cover("P", "Medicare", "2025-04-01")])
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert codes(con) == [("P", "2025-04", "G2214", 1), ("P", "2025-05", "G2214", 1)]
    assert payers(con) == [("2025-04", "Medicare", "medicare"), ("2025-05", "Medicare", "medicare")]
    assert list(billing_lines(con, "2025-04").expected_amount) == [52.0]  # Medicare's G2214 fee


def test_medicaid_cap_until_the_change_and_none_after(program, load_rows):
    """Medicare in the registry; Medicaid until 31 March 2025: March's 226 minutes bill 99494 x4 at
    Medicaid's fee, April's x6 under Medicare."""
    entries = [entry("jan", "P", "2025-01-05", 40), entry("mar", "P", "2025-03-05", 226), entry("apr", "P", "2025-04-05", 226)]
    con = program([patient("P", payer="Medicare")], entries)
    load_rows("coverage", [cover("P", "Medicaid", "2024-01-01", "2025-03-31"), cover("P", "Medicare", "2025-04-01")])
    frame = billing_lines(con, "2025-03", "2025-04")
    got = {(m, c): (u, p) for m, c, u, p in zip(frame.service_month, frame.code, frame.units, frame.payer_class)}
    assert got == {("2025-03", "99493"): (1, "medicaid"), ("2025-03", "99494"): (4, "medicaid"),
                   ("2025-04", "99493"): (1, "medicare"), ("2025-04", "99494"): (6, "medicare")}
    assert con.execute("""SELECT strftime(service_month, '%Y-%m'), payer_class FROM marts.audit_months
                          ORDER BY 1""").fetchall() == [("2025-01", "medicaid"), ("2025-03", "medicaid"), ("2025-04", "medicare")]


def test_a_change_on_the_15th_bills_that_month_under_the_new_payer(program, load_rows):
    con = program([patient("P", payer="Commercial")], [twenty("P", m) for m in ("2025-03", "2025-04")])
    load_rows("coverage", [cover("P", "Commercial", "2020-01-01", "2025-03-14"), cover("P", "Medicare", "2025-03-15")])
    assert codes(con) == [("P", "2025-03", "G2214", 1), ("P", "2025-04", "G2214", 1)]
    near = near_threshold(con, "2025-03-20", margin=20)  # the open month's worklist prices it under Medicare too
    assert list(zip(near.payer, near.bills_now, near.next_code)) == [("Medicare", "G2214", "99492")]


def test_an_end_on_the_last_day_changes_payer_with_the_month(program, load_rows):
    """P: Medicare ends 31 March, Commercial starts 1 April: March is Medicare's (G2214), April
    Commercial's (nothing). Q: Medicare ends 1 April, Commercial starts 2 April: both touch April,
    the later start wins it."""
    con = program([patient("P", payer="Medicare"), patient("Q", payer="Medicare")],
                  [twenty(p, m) for p in ("P", "Q") for m in ("2025-03", "2025-04")])
    load_rows("coverage", [cover("P", "Medicare", "2020-01-01", "2025-03-31"), cover("P", "Commercial", "2025-04-01"),
                           cover("Q", "Medicare", "2020-01-01", "2025-04-01"), cover("Q", "Commercial", "2025-04-02")])
    assert codes(con) == [("P", "2025-03", "G2214", 1), ("Q", "2025-03", "G2214", 1)]


def test_a_month_no_coverage_touches_bills_under_the_registry_payer(program, load_rows):
    """Registry Medicare; Commercial only in March 2025 and from June: February, April and May are
    Medicare's (G2214), March and June Commercial's; a patient with no coverage rows is untouched."""
    months = ("2025-02", "2025-03", "2025-04", "2025-05", "2025-06")
    con = program([patient("P", payer="Medicare"), patient("R", payer="Medicare")],
                  [twenty(p, m) for p in ("P", "R") for m in months])
    load_rows("coverage", [cover("P", "Commercial", "2025-03-01", "2025-03-31"), cover("P", "Commercial", "2025-06-01")])
    assert [(m, c) for p, m, c, _ in codes(con) if p == "P"] == [("2025-02", "G2214"), ("2025-04", "G2214"), ("2025-05", "G2214")]
    assert [m for p, m, _, _ in codes(con) if p == "R"] == list(months)
    assert con.execute("""SELECT strftime(from_month, '%Y-%m'), strftime(until_month, '%Y-%m'), payer, payer_source
                          FROM marts.month_terms WHERE patient_id = 'P' ORDER BY from_month""").fetchall() == [
        ("0001-01", "2025-02", "Medicare", "patients"), ("2025-03", "2025-03", "Commercial", "coverage"),
        ("2025-04", "2025-05", "Medicare", "patients"), ("2025-06", "9999-12", "Commercial", "coverage")]


def test_the_months_before_a_re_enrolment_bill_under_the_registry_payer_of_the_row_it_replaced(program, load_rows):
    """With no coverage rows the registry's payer decides, and a re-enrolment replaces it with the row:
    M, on a commercial plan (no G2214 in the default ruleset), discharged on 15 March 2025, comes back
    on 1 June on Medicare. February and March stay Commercial's (20 minutes bill nothing; they billed
    G2214 under the returning row's Medicare), June is Medicare's (G2214). With a coverage period for June on, the months it does not
    touch still fall back to the enrolment's own payer. The incremental build equals a full one."""
    con = program([patient("M", payer="Commercial") | {"discharge_date": "2025-03-15"}],
                  [twenty("M", "2025-02"), twenty("M", "2025-03")])
    load_rows("patients", [patient("M", payer="Medicare") | {"enrollment_date": "2025-06-01"}])
    load_rows("time_logs", [twenty("M", "2025-06")])
    assert codes(con) == [("M", "2025-06", "G2214", 1)]
    periods = """SELECT strftime(from_month, '%Y-%m'), strftime(until_month, '%Y-%m'), payer, payer_source
                 FROM marts.month_terms ORDER BY from_month"""
    assert con.execute(periods).fetchall() == [("0001-01", "2025-05", "Commercial", "patients"),
                                               ("2025-06", "9999-12", "Medicare", "patients")]
    load_rows("coverage", [cover("M", "Medicare", "2025-07-01")])
    assert codes(con) == [("M", "2025-06", "G2214", 1)]
    assert con.execute(periods).fetchall() == [("0001-01", "2025-05", "Commercial", "patients"),
                                               ("2025-06", "2025-06", "Medicare", "patients"),
                                               ("2025-07", "9999-12", "Medicare", "coverage")]
    assert differs_from_full(con) == []


def test_an_empty_coverage_file_changes_no_mart(program, load_rows):
    con = program([patient("P", payer="Medicaid"), patient("Q", payer="Commercial")],
                  [entry("a", "P", "2025-02-05", 226), entry("b", "Q", "2025-02-05", 40), twenty("Q", "2025-03")])
    refresh(con)
    before = snapshot(con)
    load_rows("coverage", [cover("Z", "Medicare", "2025-01-01")])  # waits for patient Z: no row stored
    refresh(con)
    after = snapshot(con)
    assert [t for t in before if not before[t].equals(after[t])] == []


def test_an_unmapped_coverage_payer_is_reported(program, load_rows):
    con = program([patient("P", payer="Medicare")], [twenty("P", "2025-03")])
    load_rows("coverage", [cover("P", "Acme Health", "2025-01-01")])
    assert any("'Acme Health' (1 patient)" in w for w in warnings(con))


def test_an_unmapped_payer_of_an_enrolment_a_re_enrolment_replaced_is_reported(program, load_rows, tmp_path):
    """M's first enrolment was under 'Acme Health', a name the rules do not map: February bills under
    the default class. M comes back on Medicare; the row on file now names Medicare, but February is
    still billed under Acme Health, so the warning still names it; and a rules file that maps the
    name is not told that no patient's payer matches it."""
    con = program([patient("M", payer="Acme Health") | {"discharge_date": "2025-03-15"}], [twenty("M", "2025-02")])
    load_rows("patients", [patient("M", payer="Medicare") | {"enrollment_date": "2025-06-01"}])
    assert [w for w in warnings(con) if "not mapped" in w] == [
        "payer names not mapped to a payer class, billed as commercial: 'Acme Health' (1 patient); "
        "map them under payer_names in a rules file (--rules)"]
    mapped = rules_file(tmp_path, "payer_names: {Acme Health: medicaid, Medicare: medicare}\n")
    assert [w for w in warnings(con, mapped) if "payer" in w] == []


def test_overlapping_periods_and_an_end_before_the_start_are_quarantined(program, load_rows):
    con = program([patient("P"), patient("Q")], [twenty("P", "2025-03")])
    result = load_rows("coverage", [
        cover("P", "Medicaid", "2020-01-01"), cover("P", "Medicare", "2025-04-01"),  # Medicaid never ends
        cover("Q", "Medicaid", "2025-05-01", "2025-04-30"),
        cover("Q", "Medicare", "2025-06-01")])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    reasons = dict(con.execute("SELECT line_number, reason FROM meta.quarantine ORDER BY 1").fetchall())
    assert reasons[2] == ("this period of patient 'P' (Medicaid from 2020-01-01) shares days with Medicare from 2025-04-01 "
                          "with no end date: end the earlier period before the later one starts (send both rows, the earlier with its end_date)")
    assert reasons[3].startswith("this period of patient 'P' (Medicare from 2025-04-01) shares days with Medicaid from 2020-01-01 with no end date")
    assert reasons[4] == "end_date 2025-04-30 is before start_date 2025-05-01: the two dates are swapped or one is mistyped"
    # against a stored period, with coverage files as additions (a program that exports only what
    # changed): a later export's period inside it is set aside too
    again = load_rows("coverage", [cover("Q", "Medicaid", "2025-07-01", "2025-08-31")], coverage_file="additions")
    assert again.rows_quarantined == 1
    assert con.execute("SELECT reason FROM meta.quarantine WHERE record ->> 'start_date' = '2025-07-01'").fetchall() == [
        ("this period of patient 'Q' (Medicaid from 2025-07-01) shares days with Medicare from 2025-06-01 with no end date (stored): "
         "end the earlier period before the later one starts (send both rows, the earlier with its end_date)",)]


def test_coverage_loaded_after_the_time_logs_recomputes_as_a_full_build_would(program, load_rows):
    con = program([patient("P", payer="Commercial"), patient("Q", payer="Medicare")],
                  [twenty(p, m) for p in ("P", "Q") for m in ("2025-02", "2025-03", "2025-04")]
                  + [entry("big", "P", "2025-04-20", 200)])
    assert [(m, c, u) for p, m, c, u in codes(con) if p == "P"] == [("2025-04", "99493", 1), ("2025-04", "99494", 5)]  # built, Commercial
    load_rows("coverage", [cover("P", "Commercial", "2019-01-01", "2025-02-14"), cover("P", "Medicaid", "2025-02-15")])
    assert [(m, c, u) for p, m, c, u in codes(con) if p == "P"] == [
        ("2025-02", "G2214", 1), ("2025-03", "G2214", 1), ("2025-04", "99493", 1), ("2025-04", "99494", 4)]  # Medicaid's cap
    assert not differs_from_full(con)


def test_a_later_export_closes_the_open_period_and_adds_the_next_and_again_changes_nothing(program, load_rows):
    """A registry exports the period open (Commercial, no end); next month it exports it closed and
    the Medicare period after it. The closed row replaces the stored open one (same patient and
    start), so the new period is judged against it, not against the open period it replaces: both
    rows load, none is set aside. The second export again (the same file, or its rows in another
    order: a file of its own) changes no stored row and no mart."""
    con = program([patient("P", payer="Commercial")], [twenty("P", m) for m in ("2025-03", "2025-04")])
    first = load_rows("coverage", [cover("P", "Commercial", "2019-06-01")])
    assert (first.rows_loaded, first.rows_quarantined) == (1, 0)
    assert codes(con) == []  # Commercial bills no G2214
    second = [cover("P", "Commercial", "2019-06-01", "2025-03-31"), cover("P", "Medicare", "2025-04-01")]
    result = load_rows("coverage", second)
    assert (result.rows_read, result.rows_quarantined, result.rows_changed) == (2, 0, 1), result
    stored = "SELECT payer, strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d') FROM staging.coverage ORDER BY start_date"
    expected = [("Commercial", "2019-06-01", "2025-03-31"), ("Medicare", "2025-04-01", None)]
    assert con.execute(stored).fetchall() == expected
    assert con.execute("SELECT count(*) FROM meta.quarantine WHERE table_name = 'coverage'").fetchone()[0] == 0
    assert codes(con) == [("P", "2025-04", "G2214", 1)]
    refresh(con)
    before, changes = snapshot(con), con.execute("SELECT count(*) FROM meta.row_changes").fetchone()[0]
    assert load_rows("coverage", second).already_loaded
    again = load_rows("coverage", second[::-1])
    assert (again.already_loaded, again.rows_duplicate, again.rows_quarantined) == (False, 2, 0), again
    assert con.execute(stored).fetchall() == expected
    assert con.execute("SELECT count(*) FROM meta.quarantine WHERE table_name = 'coverage'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM meta.row_changes").fetchone()[0] == changes
    assert {s.how for s in refresh(con).steps} == {"kept"}
    after = snapshot(con)
    assert [t for t in before if not before[t].equals(after[t])] == []


# A coverage file is the payer history of every patient it names (`bcm load --coverage-file
# history`, the default): a corrected period replaces the wrong one, which is withdrawn.
STORED = "SELECT patient_id, payer, strftime(start_date, '%Y-%m-%d'), strftime(end_date, '%Y-%m-%d') FROM staging.coverage ORDER BY 1, 3"


def month_payers(con, pid: str) -> list[tuple]:
    return con.execute("""SELECT strftime(from_month, '%Y-%m'), strftime(until_month, '%Y-%m'), payer FROM marts.month_terms
                          WHERE patient_id = ? ORDER BY from_month""", [pid]).fetchall()


def test_a_corrected_start_date_withdraws_the_wrong_period_and_march_bills_under_the_corrected_payer(program, load_rows):
    """Medicare was entered from 1 March; the corrected export says 15 April (Commercial until the
    14th). The Medicare row has a new key, so it does not replace the stored one: the file is P's
    history, so the stored period it no longer holds is withdrawn, named in the load line and kept
    in meta.row_changes. March goes back to Commercial (no G2214); April bills under Medicare (the
    change on the 15th). The same export again, or its rows in another order, changes nothing."""
    con = program([patient("P", payer="Commercial")], [twenty("P", m) for m in ("2025-02", "2025-03", "2025-04", "2025-05")])
    wrong = load_rows("coverage", [cover("P", "Commercial", "2019-06-01", "2025-02-28"), cover("P", "Medicare", "2025-03-01")])
    assert codes(con) == [("P", "2025-03", "G2214", 1), ("P", "2025-04", "G2214", 1), ("P", "2025-05", "G2214", 1)]
    corrected = [cover("P", "Commercial", "2019-06-01", "2025-04-14"), cover("P", "Medicare", "2025-04-15")]
    result = load_rows("coverage", corrected)
    assert (result.rows_read, result.rows_loaded, result.rows_changed, result.rows_quarantined, result.rows_withdrawn) == (2, 2, 1, 0, 1)
    assert result.adds_up
    assert result.withdrawn == (f"patient 'P': Medicare from 2025-03-01 with no end date (load {wrong.load_id})",)
    line = summary_line(result.path, result)
    assert "read 2 = loaded 2 (1 changed) + quarantined 0 + duplicates 0" in line
    assert ("; withdrew 1 stored coverage period(s) of the patients it names that it no longer holds "
            f"(patient 'P': Medicare from 2025-03-01 with no end date (load {wrong.load_id})); "
            "`bcm changes --out FILE` lists each changed row before and after") in line
    assert con.execute(STORED).fetchall() == [("P", "Commercial", "2019-06-01", "2025-04-14"), ("P", "Medicare", "2025-04-15", None)]
    assert con.execute("""SELECT row_key, old_record ->> 'payer', new_record FROM meta.row_changes
                          WHERE load_id = ? AND new_record IS NULL""", [result.load_id]).fetchall() == [("P/2025-03-01", "Medicare", None)]
    assert con.execute("SELECT rows_withdrawn FROM meta.load_log WHERE load_id = ?", [result.load_id]).fetchone()[0] == 1
    page = quality.loads(con)  # the data-quality page's loads table: its own column, outside adds_up
    assert page.withdrawn.tolist()[-2:] == [0, 1] and page.adds_up.all()
    assert codes(con) == [("P", "2025-04", "G2214", 1), ("P", "2025-05", "G2214", 1)]  # March: Commercial again
    assert month_payers(con, "P") == [("0001-01", "2019-05", "Commercial"), ("2019-06", "2025-03", "Commercial"),
                                      ("2025-04", "9999-12", "Medicare")]  # before June 2019: the registry's payer
    assert not differs_from_full(con)  # the incremental build of P's months equals a full one
    before, changes = snapshot(con), con.execute("SELECT count(*) FROM meta.row_changes").fetchone()[0]
    assert load_rows("coverage", corrected).already_loaded
    again = load_rows("coverage", corrected[::-1])
    assert (again.rows_duplicate, again.rows_loaded, again.rows_withdrawn, again.withdrawn) == (2, 0, 0, ())
    assert "withdrew" not in summary_line(again.path, again)
    assert con.execute("SELECT count(*) FROM meta.row_changes").fetchone()[0] == changes
    assert {s.how for s in refresh(con).steps} == {"kept"}
    after = snapshot(con)
    assert [t for t in before if not before[t].equals(after[t])] == []


def test_a_file_naming_only_patient_a_leaves_the_periods_of_b(program, load_rows):
    """P and Q both have a history; a file naming only P replaces P's periods, and Q's stay (and so
    do Q's months). A file whose every row of P is set aside (two periods overlapping) gives P no
    history: P's stored periods stay. The corrected file replaces them and closes what the broken
    one set aside. Only P's months are recomputed, as a full build would."""
    con = program([patient("P", payer="Commercial"), patient("Q", payer="Commercial")],
                  [twenty(p, m) for p in ("P", "Q") for m in ("2025-03", "2025-04")])
    first = load_rows("coverage", [cover("P", "Medicaid", "2020-01-01", "2025-03-31"), cover("P", "Commercial", "2025-04-01"),
                                   cover("Q", "Commercial", "2020-01-01", "2025-03-31"), cover("Q", "Medicare", "2025-04-01")])
    assert first.rows_quarantined == 0
    stored = con.execute(STORED).fetchall()
    bad = load_rows("coverage", [cover("P", "Medicaid", "2020-01-01"), cover("P", "Medicare", "2025-03-01")])  # overlapping
    assert (bad.rows_quarantined, bad.rows_withdrawn) == (2, 0)
    assert con.execute(STORED).fetchall() == stored
    refresh(con)
    result = load_rows("coverage", [cover("P", "Medicaid", "2020-01-01", "2025-02-28"), cover("P", "Medicare", "2025-03-01")])
    assert (result.rows_loaded, result.rows_changed, result.rows_quarantined, result.rows_withdrawn) == (2, 1, 0, 1)
    assert result.withdrawn == (f"patient 'P': Commercial from 2025-04-01 with no end date (load {first.load_id})",)
    assert con.execute("SELECT status, count(*) FROM meta.quarantine WHERE table_name = 'coverage' GROUP BY ALL").fetchall() == [
        ("superseded", 2)]
    assert con.execute(STORED).fetchall() == [
        ("P", "Medicaid", "2020-01-01", "2025-02-28"), ("P", "Medicare", "2025-03-01", None),
        ("Q", "Commercial", "2020-01-01", "2025-03-31"), ("Q", "Medicare", "2025-04-01", None)]
    assert month_payers(con, "Q") == [("0001-01", "2019-12", "Commercial"), ("2020-01", "2025-03", "Commercial"),
                                      ("2025-04", "9999-12", "Medicare")]
    assert refresh(con).patients == 1  # P's months only
    assert codes(con) == [("P", "2025-03", "G2214", 1), ("P", "2025-04", "G2214", 1), ("Q", "2025-04", "G2214", 1)]
    assert not differs_from_full(con)


def test_a_corrected_period_as_additions_is_set_aside_and_the_stored_one_stays(program, load_rows):
    """`--coverage-file additions` (a program that exports its coverage in parts, or only what
    changed): the corrected period is judged against the stored one and set aside, as before,
    and nothing stored is withdrawn."""
    con = program([patient("P", payer="Commercial")], [twenty("P", "2025-03")])
    load_rows("coverage", [cover("P", "Commercial", "2019-06-01", "2025-02-28"), cover("P", "Medicare", "2025-03-01")])
    part = load_rows("coverage", [cover("P", "Medicare", "2025-04-15")], coverage_file="additions")
    assert (part.rows_loaded, part.rows_quarantined, part.rows_withdrawn) == (0, 1, 0)
    assert con.execute(STORED).fetchall() == [("P", "Commercial", "2019-06-01", "2025-02-28"), ("P", "Medicare", "2025-03-01", None)]
    assert con.execute("SELECT read_options ->> 'coverage_file' FROM meta.load_log WHERE load_id = ?",
                       [part.load_id]).fetchone()[0] == "additions"
    with pytest.raises(ValueError, match="coverage_file 'replace': one of history, additions"):
        LoadOptions(coverage_file="replace")


def test_broken_rows_in_a_history_file_name_no_other_patient(program, load_rows):
    """A row with no patient id, or a date that cannot be read, is set aside, and the load adds
    up. Neither gives anybody a history: Q, whom the file names only in a row with an unreadable
    date, keeps the stored period, and so does P, whom it does not name; R waits for its patient."""
    con = program([patient("P"), patient("Q")], [twenty("P", "2025-03")])
    load_rows("coverage", [cover("P", "Medicaid", "2020-01-01"), cover("Q", "Medicaid", "2020-01-01")])
    refresh(con)
    result = load_rows("coverage", [cover("", "Medicare", "2025-01-01"), cover("Q", "Medicare", "first of May"),
                                    cover("R", "Medicare", "2025-01-01")])  # R: no such patient yet, waits
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_waiting) == (3, 0, 3, 1)
    assert result.adds_up
    assert (result.rows_withdrawn, result.withdrawn) == (0, ())
    assert con.execute(STORED).fetchall() == [("P", "Medicaid", "2020-01-01", None), ("Q", "Medicaid", "2020-01-01", None)]
    assert refresh(con).patients == 0


def test_a_corrected_file_for_a_patient_not_loaded_yet_is_the_one_admitted(program, load_rows):
    """Both exports wait for patient P (not in the registry yet); the corrected one is P's history,
    so the wrong one's rows are superseded as it loads, and the patients export admits only the
    corrected periods (none set aside as overlapping the wrong ones)."""
    con = program([patient("Q")], [twenty("Q", "2025-03")])
    load_rows("coverage", [cover("P", "Commercial", "2019-06-01", "2025-02-28"), cover("P", "Medicare", "2025-03-01")])
    corrected = load_rows("coverage", [cover("P", "Commercial", "2019-06-01", "2025-04-14"), cover("P", "Medicare", "2025-04-15")])
    assert (corrected.rows_waiting, corrected.rows_withdrawn) == (2, 0)
    assert load_rows("patients", [patient("P", payer="Commercial")]).rows_admitted == 2
    assert con.execute(STORED).fetchall() == [("P", "Commercial", "2019-06-01", "2025-04-14"), ("P", "Medicare", "2025-04-15", None)]
    assert con.execute("""SELECT load_id, status, count(*) FROM meta.quarantine WHERE table_name = 'coverage'
                          GROUP BY ALL ORDER BY 1""").fetchall() == [
        (corrected.load_id - 1, "superseded", 2), (corrected.load_id, "admitted", 2)]
