"""The billing reconciliation report renders from the store, aggregate only; its external version
hides small counts."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from html_tables import small_counts_in
from test_reconcile import claim, minutes, patient, program, visit  # noqa: F401 (program: a fixture)

from bcm_analytics.billing.reconcile import BRIDGE, FINDINGS, monthly_totals
from bcm_analytics.cli.billing import reconcile
from bcm_analytics.reports import billing_reconciliation as br
from bcm_analytics.reports import glossary
from bcm_analytics.reports.privacy import Privacy
from bcm_analytics.reports.runner import render_report

pytestmark = pytest.mark.slow


@pytest.fixture
def small_store(store, load_rows, tmp_path):
    """30 patients billed 99492 in January 2025 (all reconcile); PT0000 also has a claim in February
    without minutes (one unsupported claim: a count of 1 the report must hide). The data runs into
    April (5 minutes, no code), so 2025 Q1 has ended: an external page shows whole quarters."""
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "North", "setting": "physician_practice", "timezone": "America/Chicago"}])
    load_rows("patients", [
        {"patient_id": f"PT{i:04d}", "clinic_id": "C1", "payer": "Medicare", "treating_provider_npi": "1234567893",
         "enrollment_date": "2025-01-02", "consent_date": "2025-01-02"} for i in range(30)
    ])
    load_rows("time_logs", [
        {"entry_id": f"E{i}", "patient_id": f"PT{i:04d}", "staff_role": "bhcm", "service_date": "2025-01-15", "minutes": "40",
         "activity_type": "assessment"} for i in range(30)
    ] + [{"entry_id": "E-april", "patient_id": "PT0001", "staff_role": "bhcm", "service_date": "2025-04-02", "minutes": "5",
          "activity_type": "follow_up_contact"}])
    claims = [(f"PT{i:04d}", "2025-01-31") for i in range(30)] + [("PT0000", "2025-02-28")]
    load_rows("claims", [
        {"claim_id": f"C{n}", "line_number": "1", "patient_id": pid, "date_of_service": day, "procedure_code": "99492",
         "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145", "paid_amount": "140",
         "claim_status": "paid"} for n, (pid, day) in enumerate(claims)
    ])
    store.close()
    return tmp_path / "test.duckdb"


def test_reconciliation_report_is_aggregate_with_small_counts_hidden(small_store, tmp_path):
    html = render_report("billing_reconciliation", small_store, {"start_month": "2025-01", "end_month": "2025-02",
                                                                "audience": "external"}, tmp_path / "r.html").read_text()
    assert "Billing reconciliation" in html and "from bcm_analytics" not in html
    assert "service months Jan 2025 - Mar 2025" in html and "Whole calendar quarters 2025 Q1" in html, \
        "Jan-Feb asked for: the external page shows the whole quarter"
    # Jan and Feb hidden, Mar $0: each chart would draw nothing but x marks, so says so instead
    assert "Expected dollars per service month: not drawn" in html and "Dollars at stake per service month: not drawn" in html
    assert "PT00" not in html, "no patient-level detail in the aggregate report"
    assert "unsupported claim" in html and "*" in html
    unsupported = [row for row in table_rows(html) if "unsupported claim" in row]
    assert unsupported and all("*" in row and "1" not in row for row in unsupported), \
        f"PT0000's one unsupported claim is a count of 1: hidden as * wherever it is counted, not {unsupported}"
    assert small_counts_in(html) == []
    assert "not priced" not in html, "every finding is priced: nothing is said of findings not priced"
    assert 'class="bcm-banner warning"' not in html, "every month with expected lines holds claims: no warning"
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "no day of care (the latest visit, claim or near-threshold day)"


class Rows(HTMLParser):
    """The cells of every table row of a page, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def table_rows(html: str) -> list[list[str]]:
    parser = Rows()
    parser.feed(html)
    return parser.rows


def test_external_months_hide_billed_and_paid_where_dollars_at_stake_are_hidden():
    """March's one missed 99493 ($146) is hidden in the dollars-at-stake table; beside March's
    expected dollars its billed dollars would be that amount short. March's billed and paid are
    hidden, and one other month's, so the period's billed total cannot give March's back."""
    recon = six_months_one_missed(may_billed=8990.0)
    grain, table = br.monthly(recon, Privacy.packaged("external"))
    hidden = table.attrs["suppressed"]
    march = table.index[table["period"].str.contains("Mar")][0]
    assert grain == "month" and march in hidden["billed_amount"] and march in hidden["paid_amount"]
    assert len({i for i in hidden["billed_amount"] if table.at[i, "period"] != "All"}) >= 2
    assert march not in hidden.get("expected_amount", ()), "expected dollars stay: they say nothing of what was billed"
    _, internal = br.monthly(recon, Privacy.packaged("internal"))
    assert not any(internal.attrs["suppressed"].values())


def test_external_reconciled_share_is_hidden_where_it_would_give_back_a_hidden_count():
    """478 patient-months, 16 with a compliance finding (shown) and 3 with a revenue finding
    (hidden): a shown 96.0% reconciled gives back 478 - 459 - 16 = 3."""
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=2, freq="MS"), "patient_months": [239, 239],
                           "reconciled_months": [230, 229], "expected_amount": [9000.0] * 2, "billed_amount": [9000.0] * 2,
                           "paid_amount": [8800.0] * 2, "months_with_revenue_finding": [1, 2], "missed_revenue": [146.0, 290.0],
                           "months_with_denial": [0, 0], "denied_amount": [0.0, 0.0],
                           "months_with_compliance_finding": [8, 8], "compliance_exposure": [900.0, 900.0]})
    recon = br.Reconciliation(pd.DataFrame(), months, dt.date(2025, 1, 1), dt.date(2025, 2, 1), {})
    _, rates = br.reconciled(recon, Privacy.packaged("external"))
    total = rates.index[rates["period"] == "All"][0]
    assert total in rates.attrs["suppressed"]["pct_reconciled"]
    _, internal = br.reconciled(recon, Privacy.packaged("internal"))
    assert internal["pct_reconciled"].notna().all()


def test_a_breakdowns_reconciled_share_is_hidden_beside_a_hidden_count_of_findings():
    part = pd.DataFrame({"group": ["North", "South", "West", "All"], "patient_months": [120, 130, 152, 402],
                         "pct_reconciled": [0.95, 1.0, 0.97, 0.97], "months_with_revenue_finding": [0, 0, 3, 3],
                         "months_with_compliance_finding": [6, 0, 2, 8]})
    part.attrs["suppressed"] = {"months_with_revenue_finding": frozenset({2, 3}), "months_with_compliance_finding": frozenset({0, 2, 3})}
    out = br._hide_beside_hidden_stakes(part, ["pct_reconciled"], key="group", total="All")
    assert out.attrs["suppressed"]["pct_reconciled"] == frozenset({0, 2, 3})
    assert out["pct_reconciled"].isna().tolist() == [True, False, True, True]


def test_external_headline_hides_billed_and_paid_beside_a_hidden_missed_revenue():
    """Expected $54,000 and billed $53,854 beside a hidden missed revenue would give it back ($146)."""
    recon = six_months_one_missed()
    cards = {c.label: c for c in br.headlines(recon, Privacy.packaged("external"))}
    assert cards["expected"].value == 54000 and not cards["expected"].hidden
    assert cards["billed"].hidden and cards["paid"].hidden and cards["missed revenue"].hidden
    internal = {c.label: c for c in br.headlines(recon, Privacy.packaged("internal"))}
    assert internal["billed"].value == 53854


def six_months_one_missed(may_billed: float = 9000.0) -> br.Reconciliation:
    """Six months of 60 patient-months and $9,000 expected each; in March one missed 99493 ($146)."""
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=6, freq="MS"), "patient_months": [60] * 6,
                           "reconciled_months": [60, 60, 59, 60, 60, 60], "expected_amount": [9000.0] * 6,
                           "billed_amount": [9000.0, 9000.0, 8854.0, 9000.0, may_billed, 9000.0], "paid_amount": [8800.0] * 6,
                           "months_with_revenue_finding": [0, 0, 1, 0, 0, 0], "missed_revenue": [0, 0, 146.0, 0, 0, 0],
                           "months_with_denial": [0] * 6, "denied_amount": [0.0] * 6,
                           "months_with_compliance_finding": [0] * 6, "compliance_exposure": [0.0] * 6})
    return br.Reconciliation(pd.DataFrame(), months, dt.date(2025, 1, 1), dt.date(2025, 6, 1), {})


# --- findings not priced ----------------------------------------------------------------------

NOT_PRICED = "not priced (no fee on file and no charge amount): not in these sums."
APRIL, JUNE = dt.date(2023, 4, 1), dt.date(2023, 6, 1)


def unpriced_program(program, missed: int):
    """No fee schedule covers 2023, so a finding whose claim line has no charge amount has unknown
    dollars. In June 2023 the patients M0, M1, ... log 40 minutes and are never billed (a missed 99492
    each); B bills 99493 in its initial month with no charge amount (a wrong code); D, without
    consent, does the same (unsupported and without consent: two findings on one claim line). C's
    wrong 99493 carries its $120 charge: the one finding priced. Not priced: `missed` + 3. C's 5
    minutes in July (no code) date the data after 2023 Q2, so an external page can show it."""
    people = [f"M{i}" for i in range(missed)] + ["B", "C", "D"]
    unpriced = {"charge_amount": ""}
    return program([patient(p, consent="" if p == "D" else "2023-01-01") for p in people],
                   [minutes(p, "2023-06-10", 40) for p in people] + [minutes("C", "2023-07-03", 5)],
                   [{**claim("B1", "B", "2023-06-30", "99493"), **unpriced}, claim("C1", "C", "2023-06-30", "99493", charge=120),
                    {**claim("D1", "D", "2023-06-30", "99493"), **unpriced}] + [visit(p, "2023-05-02") for p in people],
                   visits=False)


def test_findings_not_priced_are_counted_where_each_sum_is_made_and_said_beside_it(program):
    """M0's missed 99492, B's wrong 99493 and D's two findings have unknown dollars: 4 findings not
    priced, counted alike from the monthly totals (headline cards, months) and from the finding rows
    (categories, breakdowns), as monthly_totals counts them; the internal page says 4, in June."""
    con = unpriced_program(program, missed=1)
    recon = br.Reconciliation.load(con, APRIL, JUNE, None)
    assert monthly_totals(con, "2023-04", "2023-06").findings_not_priced.sum() == 4
    assert br.not_priced(recon) == br.not_priced_in_rows(recon.rows) == 4
    assert br.not_priced_note(4, Privacy.packaged("internal")) == f"4 findings are {NOT_PRICED}"
    assert br.not_priced_note(1, Privacy.packaged("internal")) == f"1 finding is {NOT_PRICED}"
    _, stake = br.at_stake(recon, Privacy.packaged("internal"))
    assert dict(zip(stake.period, stake.findings_not_priced)) == {"Apr 2023": 0, "May 2023": 0, "Jun 2023": 4, "All": 4}
    assert br.stake_columns(recon) == [*br.STAKE_TABLE, "findings_not_priced"]


def test_with_every_finding_priced_nothing_is_said_of_findings_not_priced(program):
    con = unpriced_program(program, missed=1)
    recon = br.Reconciliation.load(con, APRIL, dt.date(2023, 5, 1), None)
    assert br.not_priced(recon) == br.not_priced_in_rows(recon.rows) == 0
    assert br.not_priced_note(0, Privacy.packaged("internal")) == br.not_priced_note(0, Privacy.packaged("external")) == ""
    assert br.stake_columns(recon) == br.STAKE_TABLE


def test_external_page_suppresses_4_findings_not_priced_everywhere_it_counts_them(program):
    """4 is a count of 1-10: the sentence says only that some are not priced, and the at-stake table
    shows no month's count that is not 0, nor a total that June's could be taken from."""
    recon = br.Reconciliation.load(unpriced_program(program, missed=1), APRIL, JUNE, None)
    external = Privacy.packaged("external")
    assert br.not_priced_note(br.not_priced(recon), external) == f"Some findings (fewer than 11: the count is suppressed) are {NOT_PRICED}"
    _, stake = br.at_stake(recon, external)
    shown = stake.findings_not_priced.dropna()
    assert (shown == 0).all() and "All" not in set(stake.period[shown.index])
    assert set(stake.index[stake.findings_not_priced.isna()]) == stake.attrs["suppressed"]["findings_not_priced"]


def test_external_page_shows_12_findings_not_priced(program):
    """Above 10 the count is shown, as the page's other counts are."""
    recon = br.Reconciliation.load(unpriced_program(program, missed=9), APRIL, JUNE, None)
    external = Privacy.packaged("external")
    assert br.not_priced_note(br.not_priced(recon), external) == f"12 findings are {NOT_PRICED}"
    _, stake = br.at_stake(recon, external)
    assert stake.loc[stake.period == "All", "findings_not_priced"].tolist() == [12]


def test_the_rendered_page_says_how_many_findings_each_dollar_sum_leaves_out(program, tmp_path):
    """Under the headline cards, the dollars at stake by month, the findings by category and the
    breakdowns; the external page says it without the count of 4."""
    unpriced_program(program, missed=1).close()
    db, asked = tmp_path / "test.duckdb", {"start_month": "2023-04", "end_month": "2023-06"}
    internal = render_report("billing_reconciliation", db, asked, tmp_path / "r.html").read_text()
    assert internal.count(f"4 findings are {NOT_PRICED}") == 4
    assert ">findings not priced</th>" in internal
    external = render_report("billing_reconciliation", db, {**asked, "audience": "external"}, tmp_path / "x.html").read_text()
    assert external.count(f"Some findings (fewer than 11: the count is suppressed) are {NOT_PRICED}") == 4
    assert "4 findings" not in external and small_counts_in(external) == []


def test_each_severitys_total_of_dollars_at_stake_is_the_headline_figure(program):
    """D, without consent, bills 99493 at $120 in June 2025: billed without consent and unsupported,
    two compliance findings on one claim line, $120 in each row. The compliance total is $120, the
    headline's compliance exposure, not $240. E bills 99493 in an initial month at $120 (wrong code)."""
    con = program([patient("D", consent=""), patient("E", consent="2025-01-01")],
                  [minutes("D", "2025-06-10", 40), minutes("E", "2025-06-10", 40)],
                  [claim("D1", "D", "2025-06-30", "99493", charge=120), claim("E1", "E", "2025-06-30", "99493", charge=120),
                   visit("D", "2025-05-02"), visit("E", "2025-05-02")], visits=False)
    recon = br.Reconciliation.load(con, dt.date(2025, 6, 1), dt.date(2025, 6, 1), None)
    table = br.categories(recon, Privacy.packaged("internal")).set_index(["severity", "finding"])
    compliance = table.xs("compliance")
    assert compliance.loc["missing_consent", "amount_at_stake"] == compliance.loc["unsupported_claim", "amount_at_stake"] == 120
    assert compliance.loc["All", "amount_at_stake"] == recon.totals()["compliance_exposure"]
    assert table.loc[("compliance", "All"), "findings"] == 3, "E's wrong code is a compliance finding too"


def test_expected_dollars_say_how_many_lines_have_no_fee_on_file(program):
    """No fee schedule covers 2023 (as none covers a new year until its schedule is added): M0's,
    B's and C's 99492 lines of June 2023 have no fee, so expected reads $0 for a month whose minutes
    support three codes. D, without consent, has no line. The page says so and what to do."""
    con = unpriced_program(program, missed=1)
    recon = br.Reconciliation.load(con, APRIL, JUNE, None)
    assert dict(zip(recon.months.service_month, recon.months.lines_not_priced)) == {"2023-04": 0, "2023-05": 0, "2023-06": 3}
    assert br.expected_not_priced_note(recon, Privacy.packaged("internal")) == (
        "3 expected lines are not priced (Jun 2023: no fee on file for the code and month): expected dollars leave them "
        "out. Add the year's fee schedule (fee_schedules in the rules file; docs/billing.md, Fee schedules).")
    assert br.expected_not_priced_note(recon, Privacy.packaged("external")).startswith(
        "Some expected lines (fewer than 11: the count is suppressed) are not priced (Jun 2023")
    priced = br.Reconciliation.load(con, APRIL, dt.date(2023, 5, 1), None)
    assert br.expected_not_priced_note(priced, Privacy.packaged("internal")) == ""


def test_months_whose_claims_are_not_loaded_are_named_in_a_banner_above_the_headline(program, tmp_path):
    """A claims export through January: February's and March's minutes read as $201 missed revenue
    in the headline cards. The banner above them names the months (no count: external pages too)."""
    program([patient("A")], [minutes("A", f"2025-{m:02d}-10", 40) for m in (1, 2, 3)] + [minutes("A", "2025-04-02", 5)],
            [claim("C1", "A", "2025-01-31", "99492", charge=145)]).close()
    db, asked = tmp_path / "test.duckdb", {"start_month": "2025-01", "end_month": "2025-03"}
    banner = ('<div class="bcm-banner warning" role="alert">No claim lines are loaded for Feb 2025 to Mar 2025 (the '
              "store's claims run Dec 2024 to Jan 2025): every expected line of those months reads as missed "
              'billing until their claims are loaded.</div><div class="bcm-headline">')
    for audience, name in (("internal", "r.html"), ("external", "x.html")):
        html = render_report("billing_reconciliation", db, {**asked, "audience": audience}, tmp_path / name).read_text()
        assert banner in html, audience


def test_claim_lines_of_a_status_reconciliation_does_not_know_are_named_on_the_staff_page(program, tmp_path):
    """A line exported as 'Suspended' (no status of the contract) is reconciled as billed (a duplicate beside its replacement):
    `bcm reconcile` warned of it, the page finance reads did not. The banner names the status and
    its count of claim lines on the internal page; the external page, for outside readers, leaves it out."""
    program([patient("A")], [minutes("A", "2025-01-10", 40), minutes("A", "2025-04-02", 5)],
            [claim("C1", "A", "2025-01-31", "99492", status="Suspended"), claim("C2", "A", "2025-01-31", "99492")]).close()
    db, asked = tmp_path / "test.duckdb", {"start_month": "2025-01", "end_month": "2025-03"}
    internal = render_report("billing_reconciliation", db, asked, tmp_path / "r.html").read_text()
    assert ("1 claim line(s) with a claim_status reconciliation does not know, reconciled as billed: 'suspended' (1)") in internal
    external = render_report("billing_reconciliation", db, {**asked, "audience": "external"}, tmp_path / "x.html").read_text()
    assert "claim_status reconciliation does not know" not in external


def test_a_registered_patient_without_a_clinic_is_not_read_as_a_claim_for_an_unknown_patient():
    """The Akello registry records no clinic or care manager: its patients' months were grouped
    under '(claims for unknown patients)' beside the true claims for patients not registered."""
    rows = pd.DataFrame({
        "finding": ["matched", "unknown_patient"], "severity": ["info", "compliance"], "counted_at_stake": [0.0, 145.0],
        "clinic_id": [None, None], "care_manager_id": [None, None], "payer_class": ["medicare", None],
        "patient_id": ["RB-001", "X-9"], "service_month": ["2025-01", "2025-01"]})
    months = br.patient_months(rows).set_index("patient_id")
    assert months.loc["RB-001", "clinic_id"] == "(none recorded)"
    assert months.loc["RB-001", "care_manager_id"] == br.NOT_RECORDED
    assert months.loc["X-9", "clinic_id"] == br.UNKNOWN
    assert months.loc["X-9", "payer_class"] == br.UNKNOWN


def test_billed_dollars_say_how_many_billed_lines_have_no_charge_amount(program, tmp_path):
    """The charge amount is optional in a claims export. B's 99492 of June 2025 has none: billed
    read $145 (A's charge) beside B's priced findings, as if B's claim billed nothing. The monthly
    totals count such lines, the page says so beside the billed figure, on the external page as
    its other counts (1-10 suppressed). A denied line without a charge bills nothing: not counted."""
    uncharged = {**claim("B1", "B", "2025-06-30", "99492"), "charge_amount": ""}
    denied = {**claim("B2", "B", "2025-05-31", "99492", status="denied"), "charge_amount": ""}
    con = program([patient("A"), patient("B")], [minutes("A", "2025-06-10", 40), minutes("B", "2025-06-10", 40)],
                  [claim("A1", "A", "2025-06-30", "99492", charge=145), uncharged, denied])
    recon = br.Reconciliation.load(con, dt.date(2025, 5, 1), dt.date(2025, 6, 1), None)
    con.close()
    db = tmp_path / "test.duckdb"
    assert dict(zip(recon.months.service_month, recon.months.billed_lines_without_charge)) == {"2025-05": 0, "2025-06": 1}
    assert dict(zip(recon.months.service_month, recon.months.billed_amount)) == {"2025-05": 0, "2025-06": 145}
    said = "1 billed claim line is without a charge amount in the claims export: billed dollars leave such lines out."
    assert br.billed_without_charge_note(recon, Privacy.packaged("internal")) == said
    assert br.billed_without_charge_note(recon, Privacy.packaged("external")).startswith("Some billed claim lines (fewer than 11")
    asked = {"start_month": "2025-05", "end_month": "2025-06"}
    assert said in render_report("billing_reconciliation", db, asked, tmp_path / "r.html").read_text()
    out = CliRunner().invoke(reconcile, ["--db", str(db), "--month", "2025-05", "--to", "2025-06", "--out", str(tmp_path / "f.csv")])
    assert out.exit_code == 0, out.output
    assert ("warning: 1 billed claim line(s) have no charge amount in the claims export: billed dollars leave such lines out"
            in out.output)


def test_the_near_threshold_caption_names_a_day_outside_too():
    """The external page captioned the near-threshold table 'As of Sep 2026 (the last day with
    logged time)': a month where the brackets promise a day. Outside, the day is not given (one
    patient's date of care): the caption says which day it is, and its month."""
    from datetime import date

    day = date(2026, 9, 30)
    assert br.near_caption(day, "last_logged", Privacy.packaged("internal")) == (
        "As of 2026-09-30 (the last day with logged time)")
    assert br.near_caption(day, "last_logged", Privacy.packaged("external")) == (
        "As of the last day with logged time, in Sep 2026")
    assert br.near_caption(day, "as_of", Privacy.packaged("internal")) == "As of 2026-09-30 (the as-of parameter)"
    assert br.near_caption(day, "as_of", Privacy.packaged("external")) == "As of the as-of date, in Sep 2026"


def test_every_reason_for_the_near_threshold_day_has_caption_words_and_no_other_reads():
    """The caption mapped the reason near_threshold_day gives, a sentence, to its words by comparing
    text: a reason added there or reworded fell through to the caption as it was, the internal
    wording on an external page. The reasons are keys of br.NEAR_DAY, which holds both captions'
    words; near_threshold_day gives one of them, and any other is refused."""
    from datetime import date

    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE TABLE core.time_logs AS SELECT DATE '2026-09-12' AS service_date")
    given = {br.near_threshold_day(con, "2026-09-20", date(2026, 9, 1)), br.near_threshold_day(con, None, date(2026, 9, 1))}
    assert given == {(date(2026, 9, 20), "as_of"), (date(2026, 9, 12), "last_logged")}
    assert {why for _, why in given} == set(br.NEAR_DAY)
    for why in br.NEAR_DAY:
        for audience in ("internal", "external"):
            assert br.near_caption(date(2026, 9, 12), why, Privacy.packaged(audience)).startswith("As of "), (why, audience)
    with pytest.raises(KeyError):
        br.near_caption(date(2026, 9, 12), "the as-of parameter", Privacy.packaged("external"))


# --- what a finance lead reads --------------------------------------------------------------


def visible_text(html: str) -> str:
    """The words a reader sees: the page without its scripts, styles and tags."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def consent_program(program):
    """June 2025. D, with no consent on file, logs 40 minutes and bills 99493 ($120): billed without
    consent (a compliance finding, with the unsupported claim it also is). F, with no consent on
    file, logs 40 minutes and is never billed: minutes logged without consent (a note, no dollars).
    E, consented, bills 99493 in an initial month: a wrong code. C's 5 minutes in July date the
    data after 2025 Q2, so an external page can show the quarter."""
    return program([patient("D", consent=""), patient("F", consent=""), patient("E", consent="2025-01-01"),
                    patient("C", consent="2025-01-01")],
                   [minutes("D", "2025-06-10", 40), minutes("F", "2025-06-10", 40), minutes("E", "2025-06-10", 40),
                    minutes("C", "2025-07-03", 5)],
                   [claim("D1", "D", "2025-06-30", "99493", charge=120), claim("E1", "E", "2025-06-30", "99493", charge=120),
                    visit("D", "2025-05-02"), visit("E", "2025-05-02"), visit("F", "2025-05-02")], visits=False)


@pytest.mark.parametrize("audience", ["internal", "external"])
def test_the_page_names_findings_in_words_never_by_their_ids(program, tmp_path, audience):
    """A finance lead read 'unsupported_claim', 'missing_consent' in the findings tables: ids from
    the store, where a heading or a cell should say what it is in words."""
    consent_program(program).close()
    html = render_report("billing_reconciliation", tmp_path / "test.duckdb",
                         {"start_month": "2025-06", "end_month": "2025-06", "audience": audience}, tmp_path / "r.html").read_text()
    text = visible_text(html)
    shown = sorted(f for f in FINDINGS if re.search(rf"\b{f}\b", text))
    assert shown == [], f"finding ids shown to a reader: {shown}"
    assert "unsupported claim" in text and "wrong code" in text


def test_missing_consent_is_named_once_for_each_thing_it_is(program, tmp_path):
    """missing_consent is two findings that share an id: billed without consent (compliance, with
    dollars at stake) and minutes logged without consent and never billed (a note). The page showed
    'missing_consent' with the same words in both tables; each now reads once, as what it is."""
    consent_program(program).close()
    html = render_report("billing_reconciliation", tmp_path / "test.duckdb",
                         {"start_month": "2025-06", "end_month": "2025-06"}, tmp_path / "r.html").read_text()
    labels = [row[1] for row in table_rows(html) if len(row) > 2 and row[0] == "compliance"] + \
             [row[0] for row in table_rows(html) if len(row) == 3 and "consent" in row[0]]
    consent = [label for label in labels if "consent" in label]
    assert consent == ["billed without consent", "minutes logged without consent"], consent
    assert len(labels) == len(set(labels)), labels


def test_a_finding_to_check_in_the_data_is_listed_on_the_page(program, tmp_path):
    """G bills 99492 with no initiating visit in the claims loaded: a review finding (check the data
    first). The page's tables took revenue, compliance and info findings only, so it was counted in
    the workbook's summary and shown nowhere."""
    program([patient("G", consent="2025-01-01"), patient("C", consent="2025-01-01")],
            [minutes("G", "2025-06-10", 40), minutes("C", "2025-07-03", 5)],
            [claim("G1", "G", "2025-06-30", "99492", charge=160)], visits=False).close()
    html = render_report("billing_reconciliation", tmp_path / "test.duckdb",
                         {"start_month": "2025-06", "end_month": "2025-06"}, tmp_path / "r.html").read_text()
    assert "Findings to check in the data first" in visible_text(html)
    assert [row for row in table_rows(html) if row[0] == "no initiating visit"] == [
        ["no initiating visit", FINDINGS["no_initiating_visit"].meaning, "1"]]


def test_the_rule_change_note_points_at_dashed_lines_only_where_they_are_drawn():
    """A chart rolled up to quarters draws no dashed line, yet its note read 'Dashed lines: billing
    rule changes ...': the changes are still named, without pointing at lines that are not there."""
    changes = [(dt.date(2025, 1, 1), "Jan 2025: FQHC/RHC G0512 -> 99492")]
    assert br.change_note(changes).startswith("Dashed lines: billing rule changes")
    rolled = br.change_note(changes, drawn=False)
    assert "Dashed" not in rolled and "Jan 2025: FQHC/RHC G0512 -> 99492" in rolled
    assert br.change_note([], drawn=False) == ""


def six_months_two_findings_each(n: int = 6) -> br.Reconciliation:
    """Jan-Jun 2025: 100 patient-months a month, 2 of them with a compliance finding each month.
    A month's or a quarter's share reconciled gives back its 2 or 6 (hidden), the half year's 12 can
    be shown: outside, the share rolls up to one period."""
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=n, freq="MS"), "patient_months": [100] * n,
                           "reconciled_months": [98] * n, "expected_amount": [9000.0] * n, "billed_amount": [9200.0] * n,
                           "paid_amount": [9200.0] * n, "months_with_revenue_finding": [0] * n, "missed_revenue": [0.0] * n,
                           "months_with_denial": [0] * n, "denied_amount": [0.0] * n,
                           "months_with_compliance_finding": [2] * n, "compliance_exposure": [200.0] * n})
    return br.Reconciliation(pd.DataFrame(), months, dt.date(2025, 1, 1), dt.date(2025, 1 + n - 1, 1), {})


def test_a_reconciled_share_of_a_single_period_is_a_sentence_not_a_one_bar_chart():
    """The external demo page drew 'Patient-months reconciled, per period' as one bar, with a table
    of that one row and its total: a sentence says it. Several periods are still charted."""
    recon = six_months_two_findings_each()
    external = Privacy.packaged("external")
    grain, rates = br.reconciled(recon, external)
    assert len(br.series_rows(rates)) == 1, (grain, rates)
    sentence = br.one_period_sentence(rates, grain, recon, external)
    assert sentence.startswith("Over 2025, Jan-Jun (Jan 2025 - Jun 2025), 98.0% of patient-months reconciled."), sentence
    assert "suppressed" in sentence, "and why not per month: too many values would be suppressed"
    grain, rates = br.reconciled(recon, Privacy.packaged("internal"))
    assert grain == "month" and br.one_period_sentence(rates, grain, recon, Privacy.packaged("internal")) == ""
    one_month = six_months_two_findings_each(n=1)
    grain, rates = br.reconciled(one_month, Privacy.packaged("internal"))
    assert br.one_period_sentence(rates, grain, one_month, Privacy.packaged("internal")) == \
        "Over Jan 2025, 98.0% of patient-months reconciled."


def twelve_months_few_denials() -> br.Reconciliation:
    """A year of 200 patient-months and $30,000 expected a month; each month 4 denied 99492 ($146 each,
    also missed revenue) and 12 patient-months with a compliance finding ($1,200). Billed less paid
    is a month's denied dollars: $584 / $146 gives back its 4 denials, so outside no month can show
    both. A quarter's 12 denials can be shown."""
    n = 12
    months = pd.DataFrame({"month": pd.date_range("2025-01-01", periods=n, freq="MS"), "patient_months": [200] * n,
                           "reconciled_months": [184] * n, "expected_amount": [30000.0] * n,
                           "billed_amount": [30000.0 - 584 + 1200] * n, "paid_amount": [30000.0 - 584 + 1200 - 584] * n,
                           "months_with_revenue_finding": [4] * n, "missed_revenue": [584.0] * n,
                           "months_with_denial": [4] * n, "denied_amount": [584.0] * n,
                           "months_with_compliance_finding": [12] * n, "compliance_exposure": [1200.0] * n})
    return br.Reconciliation(pd.DataFrame(), months, dt.date(2025, 1, 1), dt.date(2025, 12, 1), {})


def test_external_billed_and_paid_hidden_in_most_months_are_shown_per_quarter_and_the_page_says_why():
    """Outside, billed and paid were hidden in every month (rightly: beside each other they give
    back a month's 4 denials) in a table that stayed monthly for its expected dollars: columns of *
    that compared nothing. They are now shown apart, per quarter (the finest grain that shows them),
    and the page says why in one sentence."""
    recon = twelve_months_few_denials()
    external = Privacy.packaged("external")
    grain, months = br.monthly(recon, external)
    assert grain == "month" and months["expected_amount"].notna().all(), "expected dollars stay per month"
    assert months.loc[months.period != "All", "billed_amount"].isna().all(), "a month's billed and paid stay hidden"
    paid_grain, paid = br.billed_paid(recon, external, grain, months)
    assert paid_grain == "quarter" and len(paid) == 5
    assert not paid.attrs["suppressed"].get("billed_amount") and not paid.attrs["suppressed"].get("paid_amount")
    assert paid.loc[paid.period != "All", "billed_amount"].tolist() == [3 * (30000.0 - 584 + 1200)] * 4
    note = br.billed_hidden_note(paid_grain, external)
    assert "1-10" in note and "denied" in note and "per quarter in the table below" in note
    assert "for the whole period only" in br.billed_hidden_note("period", external)
    every_period_hidden = paid.assign(billed_amount=pd.NA, paid_amount=pd.NA)
    every_period_hidden.attrs["suppressed"] = {c: frozenset(paid.index) for c in ("billed_amount", "paid_amount")}
    assert "for no period" in br.billed_hidden_note("period", external, every_period_hidden)
    internal = Privacy.packaged("internal")
    assert br.billed_paid(recon, internal, *br.monthly(recon, internal)) is None
    assert br.billed_hidden_note("month", external) == ""
    few_hidden = six_months_one_missed(may_billed=8990.0)
    assert br.billed_paid(few_hidden, external, *br.monthly(few_hidden, external)) is None, \
        "billed and paid hidden in 2 of 6 months stay in the months table"


def test_the_walk_from_expected_to_billed_is_under_the_headline_inside_and_not_outside(program, tmp_path):
    """Finance could not make expected less missed revenue plus exposure come to billed. Under the
    headline the staff page walks from one to the other: A's month missed ($145), B's 99493 billed
    where 99492 is supported (moved, -$11), C's charge $5 over the fee; nothing left over. The
    external page does not show it: each line sums over a claim or two."""
    program([patient("A"), patient("B"), patient("C")],
            [minutes(p, "2025-01-10", 40) for p in "ABC"] + [minutes("A", "2025-04-02", 5)],  # 2025 Q1 has ended
            [claim("B1", "B", "2025-01-31", "99493", charge=134), claim("C1", "C", "2025-01-31", "99492", charge=150)]).close()
    db, asked = tmp_path / "test.duckdb", {"start_month": "2025-01", "end_month": "2025-01"}
    internal = render_report("billing_reconciliation", db, asked, tmp_path / "r.html").read_text()
    assert internal.index("Expected to billed, line by line") < internal.index("What needs work first")
    rows = Rows()
    rows.feed(internal)
    walk = {row[0]: row[1] for row in rows.rows if row and row[0] in {w.name for w in BRIDGE.values()}}
    assert walk == {"expected (supported by logged minutes)": "$435.00", "supported but not billed": "-$145.00",
                    "supported, claim line in the quarantine (not missed)": "$0.00",
                    "billed without support or over-billed units": "$0.00", "billed for patients not in the registry": "$0.00",
                    "billed under another code or NPI (moved, not new)": "-$11.00",
                    "charge differs from the fee schedule": "$5.00", "not explained": "$0.00", "billed": "$284.00"}
    assert "is not explained: a bug" not in internal
    external = render_report("billing_reconciliation", db, {"start_month": "2025-01", "end_month": "2025-03", "audience": "external"},
                             tmp_path / "x.html").read_text()
    shown = Rows()
    shown.feed(external)
    assert "Expected to billed, line by line" not in external
    assert not [row for row in shown.rows if row and row[0] in {w.name for w in BRIDGE.values()}], "no line of the walk"
    assert "Not shown in the external version: each line's dollars sum over a few claims." in external
    assert small_counts_in(external) == []


def test_a_dollar_the_walk_leaves_unexplained_is_said_under_it():
    frame = pd.DataFrame({"line": ["expected", "residual", "billed"], "walk_amount": [100.0, 0.0, 100.0]})
    assert "not explained" not in br.walk_note(frame)
    frame.loc[1, "walk_amount"] = 2.5
    assert "$2.50 is not explained: a bug in the walk, report it." in br.walk_note(frame)


# --- why claim lines were denied ---------------------------------------------------------------

CO16 = "CO-16: Claim/service lacks information or has submission/billing error(s)."


def denials_program(program):
    """June 2025: twelve patients' 99492 denied for CO-16 (with its words), two for 97, one with no
    reason exported; N0's 99492 denied for 97 in June was billed again and paid (no denied_claim
    finding, but a denied line: it counts). A paid line's contractual CO-45 is no denial. C's 5
    minutes in July date the data after 2025 Q2, so an external page can show the quarter."""
    reasons = {**{f"S{i}": CO16 for i in range(12)}, "T0": "97", "T1": "97", "U0": ""}
    people = [*reasons, "N0", "P0", "C"]
    lines = [{**claim(f"D-{p}", p, "2025-06-30", "99492", status="denied", charge=145), "denial_reason": r} for p, r in reasons.items()]
    lines += [{**claim("D-N0", "N0", "2025-06-30", "99492", status="denied", charge=145), "denial_reason": "97"},
              claim("R-N0", "N0", "2025-06-30", "99492", charge=145),
              {**claim("P-P0", "P0", "2025-06-30", "99492", charge=145), "denial_reason": "CO-45"}]
    return program([patient(p, consent="2025-01-01") for p in people],
                   [minutes(p, "2025-06-10", 40) for p in people if p != "C"] + [minutes("C", "2025-07-03", 5)],
                   lines + [visit(p, "2025-05-02") for p in people], visits=False)


def test_denied_claim_lines_are_counted_by_the_payers_reason(program):
    """Finance asked why the denied dollars were denied. Inside, the lines per reason, most first,
    the lines with no reason named so, and their total (16: N0's denied line counts though its
    month was paid on another claim; P0's paid line with CO-45 does not). Outside, the 97 row's
    3 and the no-reason row's 1 are 1-10, hidden, and so is what would give them back (the total,
    or CO-16's 12)."""
    con = denials_program(program)
    recon = br.Reconciliation.load(con, dt.date(2025, 4, 1), dt.date(2025, 6, 1), None)
    inside = br.denials(con, recon, None, Privacy.packaged("internal"))
    assert list(zip(inside.denial_reason, inside.denied_lines)) == [
        (CO16, 12), ("97", 3), (br.NO_REASON, 1), ("All", 16)]
    outside = br.denials(con, recon, None, Privacy.packaged("external"))
    shown = dict(zip(outside.denial_reason, outside.denied_lines))
    assert list(shown) == ["CO-16", "97", br.NO_REASON, "All"], "outside, a reason is its code alone"
    assert pd.isna(shown["97"]) and pd.isna(shown[br.NO_REASON])
    assert pd.isna(shown["CO-16"]) or pd.isna(shown["All"]), f"12 beside 16 gives back 4: {shown}"
    assert br.denials(con, recon, None, Privacy.packaged("internal"), clinic="FQ").empty, "no line of that clinic was denied"


@pytest.mark.parametrize("written, shown", [
    ("CO-16: Claim/service lacks information or has submission/billing error(s).", "CO-16"),
    ("co 97 The benefit for this service is included", "CO-97"), ("PR27", "PR-27"), ("97", "97"),
    ("N130: Consult plan benefit documents", "N130"), ("MA130", "MA130"),
    ("Patient J. Smith deceased per family", br.WORDS_ONLY), ("Timely filing 29", br.WORDS_ONLY),
    (br.NO_REASON, br.NO_REASON),
])
def test_outside_a_denial_reason_is_its_code_never_words_a_system_may_write_freely(written, shown):
    """A claims export may write the reason in free text (a name, a diagnosis): the external page
    read it as written."""
    assert br.reason_code(written) == shown


def test_the_page_says_why_claim_lines_were_denied(program, tmp_path):
    denials_program(program).close()
    asked = {"start_month": "2025-04", "end_month": "2025-06"}
    html = render_report("billing_reconciliation", tmp_path / "test.duckdb", asked, tmp_path / "r.html").read_text()
    assert "Why claim lines were denied: the payer&#x27;s reason" in html or "Why claim lines were denied: the payer's reason" in html
    rows = [row for row in table_rows(html) if row and row[0] in (CO16, "97", br.NO_REASON)]
    assert rows == [[CO16, "12"], ["97", "3"], [br.NO_REASON, "1"]]
    external = render_report("billing_reconciliation", tmp_path / "test.duckdb", {**asked, "audience": "external"},
                             tmp_path / "x.html").read_text()
    assert [row for row in table_rows(external) if row and row[0] == "97"] == [["97", "*"]]
    assert [row[0] for row in table_rows(external) if row and row[0] == "CO-16"] == ["CO-16"]
    assert "lacks information" not in external.split("Definitions used")[0], "outside, a reason is its code alone"
    assert small_counts_in(external) == []


def test_headline_cards_say_what_their_count_and_denied_dollars_are():
    """A finance lead checking the demo (200 patients) read '$97,533.77 expected over 697
    patient-months' and divided: but 697 counts every patient-month billed or expected (as the
    months table heads it), 5 of them claims with no minutes behind them and so no expected dollars.
    And the denied card beside missed revenue is part of it ($584.98 = $336.97 not billed + $248.01
    denied), not more of it: added up, the cards counted the denials twice."""
    recon = six_months_one_missed()
    recon.months.loc[2, "patient_months"] = 61  # March: one more patient-month, a claim without minutes
    cards = {c.label: c for c in br.headlines(recon, Privacy.packaged("internal"))}
    assert cards["expected"].detail == "supported by logged minutes; 361 patient-months billed or expected"
    assert "over 361" not in cards["expected"].detail
    assert cards["denied"].detail == "supported codes the payer denied (part of missed revenue)"
    # The walk's 'billed without support' line was $1,210.17 beside a $2,269.49 exposure card that
    # said the same words: the card also holds wrong codes, wrong NPIs (minutes behind them) and
    # claims for unknown patients, each claim in full.
    assert cards["compliance exposure"].detail == "billed without support, under a wrong code or NPI, or for unknown patients"
    outside = {c.label: c for c in br.headlines(recon, Privacy.packaged("external"))}
    assert outside["expected"].detail == "supported by logged minutes; 361 patient-months billed or expected"
    exposure = dict(glossary.billing_terms("bcm-default", Privacy.packaged("internal")))["compliance exposure"]
    assert "under the wrong NPI" in exposure and "patients not in the registry" in exposure, exposure


def test_a_claim_dated_before_its_threshold_is_on_the_page_in_the_csv_and_the_work_queue(program, tmp_path):
    """A program that sets claim_date_rule: on_or_after_threshold: D's 99493 is dated 2025-06-03,
    before the month's 40 minutes were logged on 2025-06-10. The finding reads in words on the
    page's findings table and in its glossary, in the findings CSV under the findings' columns, and
    in the finance workbook's work queue."""
    from openpyxl import load_workbook

    program([patient("D", consent="2025-01-01"), patient("C", consent="2025-01-01")],
            [minutes("D", "2025-05-10", 40), minutes("D", "2025-06-10", 40), minutes("C", "2025-07-03", 5)],
            [claim("D0", "D", "2025-05-31", "99492"), claim("D1", "D", "2025-06-03", "99493", charge=120)]).close()
    db = tmp_path / "test.duckdb"
    rules = tmp_path / "dated.yaml"
    rules.write_text("settings: {claim_date_rule: on_or_after_threshold}\n")
    html = render_report("billing_reconciliation", db, {"start_month": "2025-06", "end_month": "2025-06", "rules": str(rules)},
                         tmp_path / "r.html").read_text()
    words = FINDINGS["dated_before_threshold"]
    assert [row for row in table_rows(html) if row[:2] == ["compliance", words.name]], "the findings table"
    assert words.name in visible_text(html) and words.meaning in html, "the glossary"
    assert "dated_before_threshold" not in visible_text(html)
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(reconcile, ["--db", str(db), "--month", "2025-06", "--rules", str(rules), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str)
    # the date is to correct, the units are supported: the month's matched 99493 stays beside the finding
    assert list(zip(rows.finding, rows.finding_label, rows.severity, rows.claim_ids)) == [
        ("dated_before_threshold", words.name, "compliance", "D1"), ("matched", "matched", "info", "D1")]
    dated = rows[rows.finding == "dated_before_threshold"]
    assert list(zip(dated.rule_date, dated.date_of_service)) == [("2025-06-10", "2025-06-03")]
    assert "compliance exposure $120.00" in result.output
    result = CliRunner().invoke(reconcile, ["--db", str(db), "--month", "2025-06", "--rules", str(rules),
                                            "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    queue = [row for row in load_workbook(tmp_path / "r.xlsx", read_only=True)["work queue"].iter_rows(values_only=True)]
    assert any(words.name in row and "D1" in row for row in queue), queue[:3]
    header = queue[0]
    row = next(r for r in queue if words.name in r)
    assert (row[header.index("date_of_service")], row[header.index("threshold_met_on")]) == (
        dt.datetime(2025, 6, 3), dt.datetime(2025, 6, 10))


def test_a_payer_word_that_is_also_a_class_names_the_payers_the_page_keeps(program, tmp_path):
    """`-p payer Medicaid` kept Medicaid and State Medicaid MCO (the class medicaid) while the page
    said "payer Medicaid", and the outcome page, which reads a payer name only, kept Medicaid alone."""
    con = program([patient("A", payer="Medicaid"), patient("B", payer="State Medicaid MCO"), patient("C")],
                  [minutes(p, "2025-06-10", 40) for p in "ABC"], [])
    rules = tmp_path / "rules.yaml"
    rules.write_text("payer_names: {State Medicaid MCO: medicaid}\n")
    june = dt.date(2025, 6, 1)
    recon = br.Reconciliation.load(con, june, june, str(rules), payer="Medicaid")
    alone = br.Reconciliation.load(con, june, june, str(rules), payer="Medicare")
    con.close()
    assert sorted(recon.rows.patient_id.unique()) == ["A", "B"]
    assert recon.payer_shown("Medicaid") == "Medicaid (payer class medicaid: Medicaid, State Medicaid MCO)"
    assert recon.payer_shown(None) is None
    assert sorted(alone.rows.patient_id.unique()) == ["C"] and alone.payer_shown("Medicare") == "Medicare"


def test_a_denied_line_the_minutes_do_not_support_is_no_denied_dollar_on_the_page(program):
    """The page's denied dollars and patient-months with a denial are of supported codes (part of missed
    revenue): A's 99492, denied at 35 initial minutes (99492 needs 36), is a denied unsupported claim,
    compliance with nothing at stake, named so in the compliance findings, and not a month with a
    denial to work back; B's, at 36 minutes, is the $145 denied."""
    con = program([patient("A"), patient("B")], [minutes("A", "2025-01-10", 35), minutes("B", "2025-01-10", 36)],
                  [claim("A1", "A", "2025-01-31", "99492", status="denied", charge=145),
                   claim("B1", "B", "2025-01-31", "99492", status="denied", charge=145)])
    recon = br.Reconciliation.load(con, dt.date(2025, 1, 1), dt.date(2025, 1, 1), None)
    month = recon.months.iloc[0]
    assert (month.months_with_denial, month.denied_amount, month.months_with_compliance_finding) == (1, 145, 1)
    found = br.categories(recon, Privacy.packaged("internal"))
    assert ("compliance", "denied_claim", "denied unsupported claim", 0) in set(
        zip(found.severity, found.finding, found.finding_label, found.amount_at_stake))
    assert ("revenue", "denied_claim", "denied claim") in set(zip(found.severity, found.finding, found.finding_label))


def test_a_denial_to_let_stand_is_a_review_note_with_no_denied_dollar(program):
    """A denied 99493 the 30 minutes never supported, in a month billed again as G2214, is a denial to let
    stand: one of the page's findings to check (review), named so, and no denied dollar or month with a
    denial to work back; the page's compliance findings leave it out."""
    con = program([patient("G")], [minutes("G", "2025-01-10", 40), minutes("G", "2025-02-10", 30)],
                  [claim("G0", "G", "2025-01-31", "99492", charge=145),
                   claim("G1", "G", "2025-02-14", "99493", status="denied", charge=134),
                   claim("G2", "G", "2025-02-28", "G2214", charge=52)])
    recon = br.Reconciliation.load(con, dt.date(2025, 2, 1), dt.date(2025, 2, 1), None)
    month = recon.months.iloc[0]
    assert (month.months_with_denial, month.denied_amount, month.months_with_compliance_finding) == (0, 0, 0)
    review = br.notes(recon, Privacy.packaged("internal"), "review")
    assert list(zip(review.finding, review.finding_label)) == [("denied_claim", "denial to let stand")]
    assert "denied_claim" not in set(br.categories(recon, Privacy.packaged("internal")).finding)
