"""Payer history: each month bills under the payer that covered the patient then.

A program may export coverage (patient_id, payer, start_date, end_date: empty = goes on). A month is
billed under the coverage period overlapping it that starts latest (a change on the 15th prices that
month under the new payer); a month no period touches, or a patient with no coverage rows, bills
under patients.payer as before (marts.payer_periods). Commercial bills no G2214 (default ruleset),
Medicaid caps 99494 at 4 units a month, Medicare does neither.
"""

from __future__ import annotations

from test_billing_engine import codes, entry, patient, program  # noqa: F401 (program: a fixture)
from test_models import differs_from_full, snapshot

from bcm_analytics.billing import billing_lines
from bcm_analytics.billing.engine import near_threshold, warnings
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
                          FROM marts.payer_periods WHERE patient_id = 'P' ORDER BY from_month""").fetchall() == [
        ("0001-01", "2025-02", "Medicare", "patients"), ("2025-03", "2025-03", "Commercial", "coverage"),
        ("2025-04", "2025-05", "Medicare", "patients"), ("2025-06", "9999-12", "Commercial", "coverage")]


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


def test_overlapping_periods_and_an_end_before_the_start_are_quarantined(program, load_rows):
    con = program([patient("P"), patient("Q")], [twenty("P", "2025-03")])
    result = load_rows("coverage", [
        cover("P", "Medicaid", "2020-01-01"), cover("P", "Medicare", "2025-04-01"),  # Medicaid never ends
        cover("Q", "Medicaid", "2025-05-01", "2025-04-30"),
        cover("Q", "Medicare", "2025-06-01")])
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    reasons = dict(con.execute("SELECT line_number, reason FROM meta.quarantine ORDER BY 1").fetchall())
    assert reasons[2] == ("this period of patient 'P' (Medicaid from 2020-01-01) shares days with Medicare from 2025-04-01 "
                          "to no end: end the earlier period before the later one starts (send both rows, the earlier with its end_date)")
    assert reasons[3].startswith("this period of patient 'P' (Medicare from 2025-04-01) shares days with Medicaid from 2020-01-01 to no end")
    assert reasons[4] == "end_date 2025-04-30 is before start_date 2025-05-01: the two dates are swapped or one is mistyped"
    # against a stored period: a later export's period inside it is set aside too
    again = load_rows("coverage", [cover("Q", "Medicaid", "2025-07-01", "2025-08-31")])
    assert again.rows_quarantined == 1
    assert con.execute("SELECT reason FROM meta.quarantine WHERE record ->> 'start_date' = '2025-07-01'").fetchall() == [
        ("this period of patient 'Q' (Medicaid from 2025-07-01) shares days with Medicare from 2025-06-01 to no end (stored): "
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
