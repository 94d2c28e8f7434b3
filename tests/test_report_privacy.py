"""The suppression policy every report uses (reports.privacy): audiences, linked breakdowns,
roll-up to coarser periods, and the billing report's tables read the way a reader would."""

from __future__ import annotations

import html
import itertools
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bcm_analytics.reports import billing_reconciliation as br
from bcm_analytics.reports.privacy import (
    TOTAL,
    Privacy,
    by_blocks,
    by_period,
    calendar_blocks,
    held_blocks,
    hidden_share,
    page_blocks,
)

INTERNAL, EXTERNAL = Privacy.packaged("internal"), Privacy.packaged("external")


def test_audiences():
    frame = pd.DataFrame({"clinic": ["A", "B"], "n": [40, 3]})
    inside = INTERNAL.protect(frame, ["n"], ["clinic"])
    assert inside["n"].tolist() == [40, 3] and inside.attrs["suppressed"] == {}
    outside = EXTERNAL.protect(frame, ["n"], ["clinic"])
    assert outside["n"].isna().all(), "3 is hidden, and 40 with it (the total over clinics may be known)"
    with pytest.raises(ValueError, match="internal, external"):
        Privacy.packaged("public")
    assert "bcm report billing_reconciliation --audience external -p clinic CL1" in INTERNAL.banner(
        "billing_reconciliation", {"clinic": "CL1", "payer": None})
    assert "External version" in EXTERNAL.banner("billing_reconciliation")


def test_an_external_page_for_part_of_the_program_says_it_is_protected_alone():
    """Filters are not tied across pages as periods are: a clinic's external page minus the
    program's leaves the other clinics' counts, which neither page hides. The page says so."""
    whole = EXTERNAL.banner("billing_reconciliation", {"clinic": None, "payer": "", "start_month": "2025-01"})
    assert "covers part of the program" not in whole
    part = EXTERNAL.banner("caseload_outcomes", {"clinics": ["CL1", "CL2"], "payer": "Medicaid", "as_of": "2025-06-30"})
    assert "covers part of the program (clinics CL1, CL2; payer Medicaid)" in part
    assert "can leave a small count for the rest, which neither page hides" in part and "Give it only to readers who get no other" in part
    assert "covers part of the program" not in INTERNAL.banner("billing_reconciliation", {"clinic": "CL1"})


def test_breakdowns_are_tied_by_their_hidden_cross_tab():
    """Care manager X works only at clinic A: the clinic table would give X's row away, and with
    it Y's small count, unless both tables are protected together.

    rows (hidden)      by clinic      by care manager
    A X 30             A 30           X 30
    B Y  4             B 44           Y  4  -> hidden
    B Z 40             All 74         Z 40
    """
    rows = pd.DataFrame({"clinic": ["A", "B", "B"], "cm": ["X", "Y", "Z"], "n": [30, 4, 40]})
    tables = EXTERNAL.breakdowns(rows, ["clinic", "cm"], [("clinic",), ("cm",), ()], ["n"], ["n"])
    shown = {}
    for kept, table in tables.items():
        for _, row in table.iterrows():
            shown[(row["clinic"], row["cm"])] = row["n"]
    assert pd.isna(shown[(TOTAL, "Y")])
    # the reader: every split of the three hidden cells consistent with what is shown
    x, y, z = np.meshgrid(*[np.arange(80)] * 3, indexing="ij")
    cells = {("A", TOTAL): x, ("B", TOTAL): y + z, (TOTAL, "X"): x, (TOTAL, "Y"): y, (TOTAL, "Z"): z, (TOTAL, TOTAL): x + y + z}
    ok = np.ones(x.shape, bool)
    for key, value in shown.items():
        if not pd.isna(value):
            ok &= cells[key] == value
    assert len(set(y[ok].tolist())) > 1, "Y's count is not pinned down"


def test_internal_breakdowns_show_everything():
    rows = pd.DataFrame({"clinic": ["A", "B"], "n": [30, 4]})
    tables = INTERNAL.breakdowns(rows, ["clinic"], [("clinic",), ()], ["n"], ["n"])
    assert tables[("clinic",)]["n"].tolist() == [30, 4] and tables[()]["n"].tolist() == [34]


def test_by_period_labels_partial_periods():
    months = pd.DataFrame({"month": pd.to_datetime(["2024-11-01", "2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01",
                                                    "2025-04-01"]), "n": [1, 2, 3, 4, 5, 6]})
    quarters = by_period(months, "month", "quarter", ["n"])
    assert quarters["period"].tolist() == ["2024 Q4, Nov-Dec", "2025 Q1", "2025 Q2, Apr"]
    assert quarters["n"].tolist() == [3, 12, 6]
    whole = by_period(months, "month", "period", ["n"])
    assert whole["period"].tolist() == ["Nov 2024 - Apr 2025"] and whole["n"].tolist() == [21]


def test_roll_up_picks_the_finest_grain_with_most_cells_shown():
    """Monthly counts of 3-6 are all hidden; per quarter they are 12-15, shown."""
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=12, freq="MS"), "n": [4, 5, 3, 6, 4, 5, 3, 6, 5, 4, 4, 4]})

    def build(grain):
        frame = by_period(months, "month", grain, ["n"]).drop(columns="period_start")
        return EXTERNAL.protect(frame, ["n"], ["period"])

    grain, frame = EXTERNAL.roll_up(build, ["n"])
    assert grain == "quarter" and hidden_share(frame, ["n"]) == 0 and frame["n"].tolist() == [12, 15, 14, 12]
    assert INTERNAL.roll_up(build, ["n"])[0] == "month"


def test_roll_up_can_insist_that_nothing_is_hidden():
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=6, freq="MS"), "n": [40, 40, 40, 40, 40, 3]})

    def build(grain):
        frame = by_period(months, "month", grain, ["n"]).drop(columns="period_start")
        return EXTERNAL.protect(frame, ["n"], ["period"])

    assert EXTERNAL.roll_up(build, ["n"])[0] == "month"
    assert EXTERNAL.roll_up(build, ["n"], max_hidden=0.0)[0] == "quarter"


# --- a caseload beside its flows ---------------------------------------------------------------

MONTHS = pd.date_range("2025-01-01", periods=6, freq="MS")


def test_a_quarter_that_discharges_no_one_shows_only_the_caseload_it_ends_with():
    """Q1 discharges no one: the caseload's changes 13, 10, 10 would be January's, February's and
    March's enrolments, so January and February are hidden and March's change from the start (33)
    is the quarter's shown flow. Q2 enrols and discharges: its monthly caseloads stay."""
    stocks = pd.DataFrame({"month": MONTHS, "active": pd.array([13, 23, 33, 40, 52, 60], "Int64")})
    flows = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-04-01"]), "new_enrolments": [33, 45],
                          "discharges": [0, 18]})
    safe = EXTERNAL.stocks_beside_flows(stocks, "active", flows, ["new_enrolments", "discharges"], "quarter")
    assert safe["active"].tolist() == [pd.NA, pd.NA, 33, 40, 52, 60]
    assert safe.attrs["suppressed"]["active"] == frozenset({0, 1})
    monthly = EXTERNAL.stocks_beside_flows(stocks, "active", flows, ["new_enrolments", "discharges"], "month")
    assert monthly["active"].tolist() == stocks["active"].tolist(), "flows shown per month say it all already"
    assert INTERNAL.stocks_beside_flows(stocks, "active", flows, ["new_enrolments", "discharges"], "quarter") is stocks


def test_a_quarter_without_discharges_whose_changes_are_all_large_keeps_its_months():
    stocks = pd.DataFrame({"month": MONTHS[:3], "active": pd.array([20, 40, 60], "Int64")})
    flows = pd.DataFrame({"month": [MONTHS[0]], "new_enrolments": [60], "discharges": [0]})
    safe = EXTERNAL.stocks_beside_flows(stocks, "active", flows, ["new_enrolments", "discharges"], "quarter")
    assert safe["active"].tolist() == [20, 40, 60]


def test_a_clinics_hidden_month_hides_the_program_total_beside_it():
    """Clinic A discharges no one over the period and grows by 4 a month; B grows and shrinks. A's
    months but the last are hidden, and so is the program's caseload in those months (A = All - B)."""
    stocks = pd.DataFrame({"month": list(MONTHS[:3]) * 3, "clinic_id": ["A"] * 3 + ["B"] * 3 + [TOTAL] * 3,
                           "active": pd.array([20, 24, 28, 30, 25, 35, 50, 49, 63], "Int64")})
    flows = pd.DataFrame({"month": [MONTHS[0]] * 2, "clinic_id": ["A", "B"], "new_enrolments": [12, 20],
                          "discharges": [0, 15]})
    safe = EXTERNAL.stocks_beside_flows(stocks, "active", flows, ["new_enrolments", "discharges"], "period",
                                        group="clinic_id", start=MONTHS[0], end=MONTHS[2])
    assert safe["active"].tolist() == [pd.NA, pd.NA, 28, 30, 25, 35, pd.NA, pd.NA, 63]


# --- periods and blocks that line up across pages ----------------------------------------------


def test_external_pages_cover_whole_calendar_quarters_ended_by_the_data():
    """Nov 2025 - Oct 2026 asked for, data to 31 October: 2025 Q4 - 2026 Q3 (Oct 2026's quarter has
    not ended, and Nov-Dec 2025 alone is no quarter). Staff get the months asked for."""
    period = EXTERNAL.period("2025-11", "2026-10", date(2026, 10, 31))
    assert (period.start, period.end) == (date(2025, 10, 1), date(2026, 9, 1))
    assert period.note.startswith("Whole calendar quarters 2025 Q4 - 2026 Q3 (Oct 2025 - Sep 2026), "
                                  "in place of Nov 2025 - Oct 2026.")
    assert period.note.endswith("Oct 2026 is left out until 2026 Q4 has ended.")
    assert EXTERNAL.period("2025-11", "2025-11", date(2026, 10, 31)).end == date(2025, 12, 1), "Nov's whole quarter"
    assert EXTERNAL.period("2026-01", "2026-12", date(2026, 12, 15), months=12).start == date(2025, 10, 1), \
        "a default of 12 months: the last four whole quarters"
    inside = INTERNAL.period("2025-11", "2026-10", date(2026, 10, 31))
    assert (inside.start, inside.end, inside.note) == (date(2025, 11, 1), date(2026, 10, 1), "")
    with pytest.raises(ValueError, match=r"2026 Q4 has not ended"):
        EXTERNAL.period("2026-10", "2026-10", date(2026, 10, 31))


QUARTERS = pd.DataFrame({"month": pd.date_range("2024-10-01", periods=18, freq="MS"),
                         #             2024 Q4     2025 Q1     2025 Q2     2025 Q3     2025 Q4     2026 Q1
                         "enrolments": [5, 5, 5,   7, 7, 7,    7, 7, 7,    7, 7, 7,    7, 7, 7,    1, 1, 1],
                         "discharges": [0, 0, 0,   3, 3, 3,    3, 3, 3,    5, 5, 5,    5, 5, 5,    5, 5, 5]})


def test_a_quarter_of_1_to_10_is_joined_with_the_next_and_a_last_one_waits():
    """2025 Q1 discharges 9: joined with Q2 (18). 2026 Q1 enrols 3: nothing after it yet, so it
    waits, hidden. The blocks are cut from the program's months, not from a page's period: a page
    from 2025 Q2 shows the block it cuts as hidden, and no total; one from 2025 Q3 to 2025 Q4 shows
    both quarters and their total."""
    blocks = calendar_blocks(QUARTERS, ["enrolments", "discharges"], "2026-03-01", EXTERNAL.threshold)
    assert blocks["period"].tolist() == ["2024 Q4", "2025 Q1 - 2025 Q2", "2025 Q3", "2025 Q4", "2026 Q1"]
    assert blocks["discharges"].tolist() == [0, 18, 15, 15, 15] and blocks["shown"].tolist() == [True] * 4 + [False]
    earlier = calendar_blocks(QUARTERS[QUARTERS["month"] < "2025-10-01"], ["enrolments", "discharges"], "2025-09-01",
                              EXTERNAL.threshold)
    assert earlier.equals(blocks.iloc[:3]), "a block does not change once its quarters have ended"
    rows, total = page_blocks(blocks, ["enrolments", "discharges"], "2025-04-01", "2025-12-01")
    assert rows["enrolments"].tolist() == [pd.NA, 21, 21] and total["enrolments"].isna().all()
    rows, total = page_blocks(blocks, ["enrolments", "discharges"], "2025-07-01", "2025-12-01")
    assert rows["discharges"].tolist() == [15, 15] and total["discharges"].tolist() == [30] and not total.attrs["suppressed"]
    rows, total = page_blocks(blocks, ["enrolments", "discharges"], "2025-07-01", "2026-03-01")
    assert rows["enrolments"].tolist() == [21, 21, pd.NA] and total["enrolments"].isna().all()


def test_the_blocks_join_the_quarters_a_programs_own_range_hides():
    """Under a program's 1-15 (its suppression.threshold) the 15 enrolments of 2024 Q4 and the 15
    discharges of 2025 Q3 are hidden counts too: each quarter is joined with the next, where the
    packaged 1-10 shows them (the first test); 2026 Q1 (3 and 15) waits."""
    blocks = calendar_blocks(QUARTERS, ["enrolments", "discharges"], "2026-03-01", (1, 15))
    assert blocks["period"].tolist() == ["2024 Q4 - 2025 Q2", "2025 Q3 - 2025 Q4", "2026 Q1"]
    assert blocks["discharges"].tolist() == [18, 30, 15] and blocks["shown"].tolist() == [True, True, False]


def test_a_quarter_ending_with_a_stock_of_1_to_10_is_joined_with_the_next():
    """From the program's start its caseload is the enrolments less the discharges of every block
    before, each published: 2025 Q4 ends with 8 patients (12 + 21 - 25), so it is joined with
    2026 Q1, as a quarter with a count of 1-10 is; without the stock the blocks are as before."""
    months = QUARTERS.assign(enrolments=[5] * 3 + [7] * 12 + [11] * 3, discharges=[0] * 3 + [4] * 6 + [14] * 3 + [9, 8, 8] + [2] * 3)
    months["caseload"] = (months["enrolments"] - months["discharges"]).cumsum()
    assert months["caseload"].iloc[[2, 5, 8, 11, 14]].tolist() == [15, 24, 33, 12, 8]
    blocks = calendar_blocks(months, ["enrolments", "discharges"], "2026-03-01", EXTERNAL.threshold, stock="caseload")
    assert blocks["period"].tolist() == ["2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4 - 2026 Q1"]
    assert blocks["shown"].tolist() == [True] * 5 and blocks["discharges"].tolist()[-1] == 31
    without = calendar_blocks(months, ["enrolments", "discharges"], "2026-03-01", EXTERNAL.threshold)
    assert without["period"].tolist()[-2:] == ["2025 Q4", "2026 Q1"]


def test_a_waiting_block_that_discharges_no_one_shows_no_caseload():
    """2026 Q1 waits (3 enrolments so far) and discharges no one: the block it becomes may show a
    0 later, when its monthly caseloads would be its monthly enrolments. Its caseloads are hidden
    now, the last one too (its change would be the hidden enrolments); a shown quarter keeps its own."""
    rows = QUARTERS.assign(discharges=[0] * 3 + [3] * 12 + [0] * 3)
    blocks = calendar_blocks(rows, ["enrolments", "discharges"], "2026-03-01", EXTERNAL.threshold)
    stocks = pd.DataFrame({"month": QUARTERS["month"][-6:].reset_index(drop=True),
                           "active": pd.array([140, 147, 154, 155, 156, 157], "Int64")})
    safe = EXTERNAL.stocks_beside_flows(stocks, "active", blocks, ["enrolments", "discharges"], "block")
    assert safe["active"].tolist() == [140, 147, 154, pd.NA, pd.NA, pd.NA]
    assert INTERNAL.stocks_beside_flows(stocks, "active", blocks, ["enrolments", "discharges"], "block") is stocks



def test_other_counts_of_a_pages_months_come_in_the_blocks_it_shows_whole():
    """A page of Apr-Dec 2025 under the blocks 2025 Q1 - Q2, 2025 Q3 and a waiting 2025 Q4: its
    months' counts (initial assessments) are summed per block it overlaps, and only 2025 Q3 may be
    shown (Q1 - Q2 reaches outside the page, Q4 waits); an enrolment cohort is taken over 2025 Q3
    alone, to its last day."""
    blocks = pd.DataFrame({"period": ["2025 Q1 - 2025 Q2", "2025 Q3", "2025 Q4"],
                           "month": pd.to_datetime(["2025-01-01", "2025-07-01", "2025-10-01"]),
                           "last_month": pd.to_datetime(["2025-06-01", "2025-09-01", "2025-12-01"]),
                           "shown": [True, True, False]})
    months = pd.DataFrame({"month": pd.date_range("2025-04-01", "2025-12-01", freq="MS"), "assessed": range(1, 10)})
    summed = by_blocks(months, "month", blocks, ["assessed"], "2025-04-01", "2025-12-01")
    assert summed[["period", "assessed", "held"]].values.tolist() == [["2025 Q1 - 2025 Q2", 1 + 2 + 3, False],
                                                                      ["2025 Q3", 4 + 5 + 6, True],
                                                                      ["2025 Q4", 7 + 8 + 9, False]]
    held = held_blocks(blocks, "2025-04-01", "2025-12-01")
    assert held[["period", "first", "last"]].values.tolist() == [["2025 Q3", date(2025, 7, 1), date(2025, 9, 30)]]


# --- the billing report's families -----------------------------------------------------------


def finding_rows(counts: dict[tuple[str, str], tuple[int, float]]) -> pd.DataFrame:
    """Finding rows: {(severity, finding): (how many, dollars each)}, one patient-month each (so each
    finding's dollars count in the totals: counted_at_stake)."""
    rows = []
    for n, ((severity, finding), (k, dollars)) in enumerate(counts.items()):
        for i in range(k):
            rows.append({"patient_id": f"P{n}-{i}", "service_month": "2026-01", "finding": finding, "severity": severity,
                         "amount_at_stake": dollars, "counted_at_stake": dollars, "clinic_id": "C1", "care_manager_id": "M1", "payer_class": "medicare",
                         "payer": "Medicare", "expected_code": "99492", "expected_units": 1, "billed_code": None,
                         "billed_units": 0, "billing_setting": "fqhc", "program": "cocm"})
    return pd.DataFrame(rows)


def recon(rows: pd.DataFrame) -> br.Reconciliation:
    return br.Reconciliation(rows, pd.DataFrame(), date(2026, 1, 1), date(2026, 1, 1), {"C1": "North"})


def test_a_small_finding_cannot_be_recovered_from_the_severity_total():
    """The leak issue 12 found: compliance exposure minus the visible findings gave the hidden
    missing_consent row ($276.72 = 2 x $138.36). The severity total is on the page, so a
    second compliance finding is hidden with it, and the hidden ones are not small together."""
    rows = finding_rows({("revenue", "missed_billing"): (33, 113.0), ("compliance", "wrong_code"): (32, 148.0),
                         ("compliance", "duplicate_claim"): (31, 118.0), ("compliance", "missing_consent"): (2, 138.36),
                         ("compliance", "unknown_patient"): (31, 110.0)})
    table = br.categories(recon(rows), EXTERNAL)
    compliance = table[table.severity == "compliance"]
    total = compliance[compliance.finding == TOTAL]
    parts = compliance[compliance.finding != TOTAL]
    assert total["amount_at_stake"].notna().all(), "the total (a headline figure) stays"
    hidden = parts[parts["amount_at_stake"].isna()]
    assert len(hidden) >= 2 and "missing_consent" in set(hidden.finding)
    counts = rows[rows.finding.isin(hidden.finding)].groupby("finding").size()
    assert counts.sum() > 10
    assert set(table["findings"].dropna().astype(int)) & set(range(1, 11)) == set()
    inside = br.categories(recon(rows), INTERNAL)
    assert inside.loc[inside.finding == "missing_consent", "amount_at_stake"].round(2).tolist() == [276.72]


def test_every_combination_of_a_small_category_is_protected():
    """Whatever finding is small, no compliance row is alone in being hidden."""
    for small, k in itertools.product(["wrong_code", "duplicate_claim", "unknown_patient"], [1, 5, 10]):
        counts = {("compliance", f): (k if f == small else 40, 100.0) for f in ["wrong_code", "duplicate_claim", "unknown_patient"]}
        table = br.categories(recon(finding_rows(counts)), EXTERNAL)
        parts = table[(table.severity == "compliance") & (table.finding != TOTAL)]
        assert parts["amount_at_stake"].isna().sum() != 1 and parts["findings"].isna().sum() != 1


def test_breakdowns_by_clinic_care_manager_and_payer_add_up_to_the_same_total():
    rows = finding_rows({("revenue", "missed_billing"): (30, 100.0), ("compliance", "wrong_code"): (20, 50.0)})
    rows.loc[rows.index[:12], "clinic_id"] = "C2"
    tables = br.breakdowns(recon(rows), INTERNAL)
    for table in tables.values():
        total = table[table.group == "All"]
        assert total["missed_revenue"].tolist() == [3000.0] and total["compliance_exposure"].tolist() == [1000.0]
    assert set(tables["clinic"].group) == {"North", "C2", "All"}, "clinics by name (the id where none is known)"


def test_rule_changes_name_the_2026_fqhc_switch():
    from bcm_analytics.billing import load_rules

    rows = finding_rows({("revenue", "missed_billing"): (1, 100.0)})
    period = br.Reconciliation(rows, pd.DataFrame(), date(2025, 7, 1), date(2026, 6, 1), {})
    changes = br.rule_changes(load_rules(None), period)
    assert [(when, text) for when, text in changes if "CoCM" in text] == [
        (date(2026, 1, 1), "Jan 2026: FQHC CoCM G0512 → 99492/99493/99494/G2214")]
    assert br.rule_changes(load_rules(None), br.Reconciliation(rows, pd.DataFrame(), date(2026, 2, 1), date(2026, 6, 1), {})) == []


def test_the_internal_banner_gives_a_command_that_runs_as_pasted():
    """A director on a one-clinic page copied the banner's command for the external version and got
    "clinics '[CL002]' is not in the store": the list was written as Python's ['CL002'], and a payer
    name with spaces came apart into several words. Each value is what -p takes (a list
    comma-separated), quoted for the shell where it needs it."""
    import shlex

    banner = INTERNAL.banner("caseload_outcomes", {"clinics": ["CL1", "CL2"], "payer": "Marketplace Silver EPO",
                                                   "start_month": "2025-07", "care_manager": None})
    command = html.unescape(re.search(r"<code>(.*?)</code>", banner).group(1))
    assert shlex.split(command) == ["bcm", "report", "caseload_outcomes", "--audience", "external", "-p", "clinics",
                                    "CL1,CL2", "-p", "payer", "Marketplace Silver EPO", "-p", "start_month", "2025-07"]


def test_a_clinics_flows_over_the_period_cannot_be_worked_out_from_its_caseload():
    """A board holding the program overview of 2025 Q4 and of 2026 Q1 read Canyon's caseload at the
    end of December (25, on the first page) and of March (33), and its 15 enrolments in the
    quarter: 25 + 15 - 33 = 7 discharges, a count the second page hid. Each clinic's caseload at
    the end of one page's period and of the next is shown, so its enrolments minus its discharges
    over a page's period is known: a clinic shows both flows or neither."""
    from bcm_analytics.reports import program_overview as po

    before = {"A": 18, "B": 25, "C": 13, "D": 19}  # the caseload at the end of December (the previous page)
    enrolled = {"A": [2, 0, 3], "B": [5, 3, 7], "C": [1, 1, 2], "D": [5, 4, 2]}
    discharged = {"A": [4, 3, 1], "B": [4, 1, 2], "C": [3, 1, 2], "D": [2, 3, 7]}
    rows = []
    for clinic, stock in before.items():
        for i, month in enumerate(pd.date_range("2026-01-01", periods=3, freq="MS")):
            stock += enrolled[clinic][i] - discharged[clinic][i]
            rows.append({"month": month, "clinic_id": clinic, "active_caseload": stock,
                         "new_enrolments": enrolled[clinic][i], "discharges": discharged[clinic][i]})
    raw = pd.DataFrame(rows)
    stocks, _, flows = po.stocks_and_flows(raw, EXTERNAL, date(2026, 1, 1), date(2026, 3, 1))
    march = stocks[stocks["month"] == "2026-03-01"].set_index("clinic_id")["active_caseload"]
    shown = flows["clinics"].set_index("clinic_id")
    total = flows["total"].iloc[0]
    known = {(c, f): shown.at[c, f] for c in before for f in po.FLOWS if pd.notna(shown.at[c, f])}
    while True:  # what a reader works out: a clinic's other flow from its net, a column's last cell from the total
        found = {}
        for c in before:
            if pd.notna(march[c]):
                net = march[c] - before[c]
                if (c, "new_enrolments") in known:
                    found[(c, "discharges")] = known[(c, "new_enrolments")] - net
                if (c, "discharges") in known:
                    found[(c, "new_enrolments")] = known[(c, "discharges")] + net
        for f in po.FLOWS:
            missing = [c for c in before if (c, f) not in known]
            if len(missing) == 1 and pd.notna(total[f]):
                found[(missing[0], f)] = total[f] - sum(known[(c, f)] for c in before if c != missing[0])
        new = {k: v for k, v in found.items() if k not in known}
        if not new:
            break
        known |= new
    worked_out = {k: int(v) for k, v in known.items() if pd.isna(shown.at[k]) and 1 <= v <= 10}
    assert worked_out == {}
    assert (total["new_enrolments"], total["discharges"]) == (35, 33), "the program's flows stay"
