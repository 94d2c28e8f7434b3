"""What a report page is made of: formats, tables, charts, the header, the glossary, the HTML."""

from __future__ import annotations

import datetime as dt
import re

import nbformat
import pandas as pd
import plotly.offline
import pytest

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.reports import charts, data_quality, formats, glossary, page
from bcm_analytics.reports import outcome_figures as figures
from bcm_analytics.reports.page import PAGE_MIME, Headline
from bcm_analytics.reports.privacy import Privacy
from bcm_analytics.reports.runner import to_html


def test_the_embedded_plotly_js_is_the_one_plotly_was_built_for():
    head = charts.plotly_js()[:200]
    assert f"v{plotly.offline.get_plotlyjs_version()}" in head and "basic" in head
    assert len(charts.plotly_js()) < 1_300_000


def test_numbers_read_as_what_they_are():
    assert formats.cell(12345, "count") == "12,345"
    assert formats.cell(0.4523, "rate") == "45.2%"
    assert formats.cell(59103.38000000019, "dollars") == "$59,103.38"
    assert formats.cell(-5.5, "dollars") == "-$5.50"
    assert formats.cell(73915, "number") == "73,915"
    assert formats.cell(pd.Timestamp("2026-01-01"), "month") == "Jan 2026"
    assert formats.cell(3, "months after") == "month 3"
    assert formats.cell(float("nan"), "rate") == formats.NO_BASE
    assert formats.label("months_with_revenue_finding") == "patient-months with missed revenue"
    assert formats.kind("months_with_revenue_finding") == "count", "a count never reads as dollars"
    assert formats.kind("pct_reconciled") == "rate" and formats.kind("missed_revenue") == "dollars"


def test_a_table_marks_kinds_hidden_cells_totals_and_windows_not_yet_measurable():
    frame = pd.DataFrame({"clinic": ["North", "South", "All"], "patients": [40, 3, 43], "pct_response": [0.25, 0.5, 0.27]})
    frame.attrs["suppressed"] = {"patients": frozenset({1})}
    frame.attrs["pending"] = {"pct_response": frozenset({2})}
    out = charts.table_html(frame, "Patients", total=("clinic", "All"), group_by=[])
    assert "<th class='num'>patients</th>" in out and "<th class='num'>response, of all</th>" in out
    assert "<td class='num' data-kind='count'>40</td>" in out
    assert "data-hidden title='suppressed'>*</td>" in out
    assert "<td class='num' data-kind='rate'>25.0%</td>" in out
    assert f"data-pending>{formats.NOT_YET}</td>" in out and "27.0%" not in out
    assert out.count("data-group=''") == 3 and out.count("data-total") == 1
    assert "<div class='bcm-table'>" in out, "a wide table scrolls inside its own box"


def test_a_series_starts_bars_at_zero_marks_hidden_points_and_speaks_plainly():
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
                          "missed_revenue": [100.0, None, 250.0], "compliance_exposure": [50.0, 60.0, 70.0]})
    frame.attrs["suppressed"] = {"missed_revenue": frozenset({1})}
    fig = charts.series(frame, "month", ["missed_revenue", "compliance_exposure"], title="At stake",
                        changes=[(pd.Timestamp("2026-02-01").date(), "Feb 2026: codes change")])
    names = [t.name for t in fig.data]
    assert names == ["missed revenue", "compliance exposure", charts.HIDDEN_MARKER]
    assert fig.data[0].hovertemplate.startswith("missed revenue: $%{y:,.2f}")
    assert fig.layout.yaxis.rangemode == "tozero" and fig.layout.yaxis.tickprefix == "$"
    assert list(fig.data[2].y) == [0] and "missed revenue" in fig.data[2].text[0]
    assert any(a.text == "Feb 2026" and "codes change" in a.hovertext for a in fig.layout.annotations)
    assert charts.hidden_note(frame, "month", ["missed_revenue"]).endswith("missed revenue: Feb 2026.")


def test_a_headline_card_says_what_it_is():
    assert "data-kind='dollars'>$7,801.93<" in Headline("missed revenue", 7801.934, "dollars").html()
    hidden = Headline("active caseload", None, hidden=True).html()
    assert ">*<" in hidden and "suppressed" in hidden


def test_the_page_has_its_title_its_stylesheet_and_nothing_from_outside():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<h1>Billing reconciliation</h1>",
        PAGE_MIME: {"title": "Billing reconciliation, service months Nov 2024 - Oct 2026", "audience": "external"}})]
    nb.cells = [nbformat.v4.new_markdown_cell("## Findings"), cell]
    page = to_html(nb)
    assert "<title>Billing reconciliation, service months Nov 2024 - Oct 2026</title>" in page
    assert '<meta name="bcm-audience" content="external">' in page
    assert "@media print" in page and "beforeprint" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert to_html(nb) == page, "same notebook, same bytes"


def test_the_glossary_follows_the_definitions_in_force():
    default = dict(glossary.outcome_terms(load_definitions()))
    assert "day 120 to day 240" in default["follow-up window"]
    assert default["response"].startswith("the window's score is at most 50% of the baseline")
    changed = dict(glossary.outcome_terms(load_definitions(overrides={"windows": {"6m": {"from": 150, "to": 210}},
                                                                        "outcome": {"remission_below": 4}})))
    assert "day 150 to day 210" in changed["follow-up window"] and "below 4" in changed["remission"]
    stricter = dict(glossary.outcome_terms(load_definitions(overrides={"outcome": {"response_max_fraction": 0.4}})))
    assert stricter["response"] == "the window's score is at most 40% of the baseline (exactly 40% counts)"  # not "half"
    assert "active caseload" in default and "not yet measurable" in default
    assert any(term == "* (suppressed)" for term, _ in glossary.outcome_terms(load_definitions(), external=True))


def test_the_glossary_and_the_measure_labels_name_the_baseline_setting():
    """outcome.baseline: first_eligible starts the windows at the first score of 10+ (HEDIS DRR-E's
    index): the glossary's baseline and the measures' labels say so; by default they name the
    first score, and the labels are as before."""
    from types import SimpleNamespace

    from bcm_analytics.reports.caseload_outcomes import window_label

    default, eligible = load_definitions(), load_definitions(overrides={"outcome": {"baseline": "first_eligible"}})
    first = dict(glossary.outcome_terms(default))["baseline"]
    assert first.startswith("the first score of an instrument in the treatment episode") and "outcome.baseline: first_score" in first
    index = dict(glossary.outcome_terms(eligible))["baseline"]
    assert index.startswith("the first score of 10+ of an instrument in the treatment episode (HEDIS DRR-E's index")
    assert "outcome.baseline: first_eligible" in index and "14 days before enrolment" in index
    assert window_label(SimpleNamespace(definitions=default), "6m") == "6 months (HEDIS DRR-E style), days 120-240"
    assert window_label(SimpleNamespace(definitions=eligible), "6m") == (
        "6 months (HEDIS DRR-E style), days 120-240 after the first score of 10+")


def test_every_outcome_text_names_a_first_eligible_baseline():
    """Under outcome.baseline: first_eligible the measures' labels said "after the first score of
    10+", but the trend's note ("windows (days 120-240) have all closed"), the plausibility sentence
    ("PHQ-9, of measured at 6 months: response 55% ...") and the headline cards ("PHQ-9 response at
    6 months, of measured") did not: a reader of a first_eligible run could not tell from them which
    baseline was used. Every text now takes the words from glossary.baseline_suffix; by default
    (first_score) the texts are as before."""
    import datetime as dt
    from types import SimpleNamespace

    from bcm_analytics.reports import caseload_outcomes as co

    suffix = " after the first score of 10+"
    table = pd.DataFrame({"instrument": ["PHQ-9"], "window_name": ["6m"], "pct_response_of_measured": [0.55],
                          "pct_remission_of_measured": [0.30]})
    trend = pd.DataFrame({"month": pd.to_datetime(["2025-03-01"]), "period": ["Mar 2025"],
                          "pct_response_of_measured": [0.4], "pct_remission_of_measured": [0.2]})
    texts = {}
    for setting in ("first_score", "first_eligible"):
        run = SimpleNamespace(as_of=dt.date(2025, 12, 17),
                              definitions=load_definitions(overrides={"outcome": {"baseline": setting}}))
        cards = co._outcome_cards(run, table)
        texts[setting] = {"label": co.window_label(run, "6m"), "trend": co.trend_note(run, trend, "month", privacy=Privacy.packaged("internal")),
                          "plausibility": co.plausibility(run, table), "cards": [c.label for c in cards]}
    default, index = texts["first_score"], texts["first_eligible"]
    assert all(suffix not in str(text) for text in default.values()), default
    assert default["trend"].startswith("Baseline months whose 6 months (HEDIS DRR-E style) windows (days 120-240) have all "
                                       "closed by 2025-12-17;")
    assert default["plausibility"].startswith("PHQ-9, of measured at 6 months (HEDIS DRR-E style): response 55%")
    assert default["cards"] == ["PHQ-9 response at 6 months, of measured", "PHQ-9 remission at 6 months, of measured"]
    assert index["label"] == "6 months (HEDIS DRR-E style), days 120-240" + suffix
    assert index["trend"].startswith(f"Baseline months whose 6 months (HEDIS DRR-E style) windows (days 120-240{suffix}) "
                                     "have all closed")
    assert index["plausibility"].startswith(f"PHQ-9, of measured at 6 months (HEDIS DRR-E style){suffix}: response 55%")
    assert index["cards"] == [f"PHQ-9 response at 6 months{suffix}, of measured",
                              f"PHQ-9 remission at 6 months{suffix}, of measured"]


def test_the_baseline_setting_is_read_for_words_in_one_place():
    """Every report text that says which baseline a measure counts from takes its words from
    glossary.py (baseline_suffix, and the glossary's own definition): a text that reads the
    setting itself may say it differently or not at all."""
    from importlib import resources
    from pathlib import Path

    package = Path(str(resources.files("bcm_analytics")))
    files = {f.resolve() for f in [*(package / "reports").glob("*.py"), *(package.parent / "notebooks").glob("*.ipynb"),
                                   *(package / "outcomes").glob("*.py"), *(package / "cli").glob("*.py")]}
    readers = sorted(f.name for f in files if re.search(r"first_(eligible|score)\b|outcome\W{0,4}\[.baseline.\]", f.read_text()))
    assert readers == ["glossary.py"], readers


def test_a_hidden_note_names_each_month_once_whatever_the_groups():
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"] * 3 + ["2026-02-01"] * 3), "clinic": list("ABC") * 2,
                          "active": [5, 6, 40, 7, 41, 42]})
    frame.attrs["suppressed"] = {"active": frozenset({0, 1, 3})}
    assert charts.hidden_note(frame, "month", ["active"]).endswith("active caseload: Jan 2026 to Feb 2026.")


def test_a_hidden_note_gives_months_as_runs_and_names_each_group_when_asked():
    """The external program overview's caseload note listed 22 months one by one ('Nov 2024, Dec
    2024, Jan 2025, ...') for four clinics together: a reader could not tell which clinic was
    hidden when, nor take the list in."""
    months = pd.to_datetime([f"2026-{m:02d}-01" for m in range(1, 7)])
    frame = pd.DataFrame({"month": months.repeat(2), "clinic": ["A", "B"] * 6, "active": range(12)})
    frame.attrs["suppressed"] = {"active": frozenset({0, 2, 4, 10, 3, 5})}  # A: Jan-Mar, Jun; B: Feb-Mar
    assert charts.hidden_note(frame, "month", ["active"]).endswith("active caseload: Jan 2026 to Mar 2026 and Jun 2026.")
    named = charts.hidden_note(frame, "month", ["active"], names={"A": "Aspen", "B": "Birch"}, group="clinic")
    assert named.endswith("Aspen: Jan 2026 to Mar 2026 and Jun 2026; Birch: Feb 2026 to Mar 2026.")


def test_a_stacked_chart_with_hidden_groups_draws_the_total_the_bars_no_longer_add_up_to():
    """Externally, a small clinic's caseload is hidden in most months (and another clinic's with
    it), so the stacked bars stood at 35 for a program of 59: a director read the bar's height as
    the caseload. The program's own protected row is drawn as a line over the bars, gaps marked."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"] * 3 + ["2026-02-01"] * 3),
                          "clinic": ["A", "B", "C"] * 2, "active": [5, 6, 40, 30, 31, 32]})
    frame.attrs["suppressed"] = {"active": frozenset({0, 1})}
    total = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "clinic": ["all"] * 2,
                          "active": [51, 93]})
    total.attrs["suppressed"] = {"active": frozenset({1})}
    fig = charts.by_group(frame, "month", "clinic", "active", stacked=True, title="Caseload", total=total,
                          total_name="all clinics")
    line = [t for t in fig.data if t.name == "all clinics"]
    assert len(line) == 1 and list(line[0].y) == [51, None]
    hidden = [t for t in fig.data if t.meta == "hidden"][0]
    assert "suppressed: all clinics" in hidden.text and "suppressed: A" in hidden.text
    assert [t.name for t in charts.by_group(frame, "month", "clinic", "active", stacked=True, title="C").data
            if t.meta != "hidden"] == ["A", "B", "C"]


def test_a_count_axis_under_10_ticks_every_whole_number():
    """Left to plotly, 4 rows set aside ticked every 0.5, which ',d' printed 0, 1, 1, 2, 2, 3, 3, 4, 4."""
    import plotly.graph_objects as go

    def ticks(values, barmode="group"):
        fig = go.Figure()
        for v in values:
            fig.add_bar(x=["a", "b"], y=v)
        fig.update_layout(barmode=barmode)
        fig.update_yaxes(tickformat=",d")
        charts.show(fig)
        return fig.layout.yaxis.dtick

    assert ticks([[4, 2]]) == 1
    assert ticks([[40, 2]]) is None, "plotly steps a larger axis by whole numbers itself"
    assert ticks([[6, 5], [6, 5]], barmode="stack") is None, "a stack of 12 is the axis' largest value"
    assert ticks([[6, 5], [3, 5]]) == 1


def test_a_month_axis_of_a_year_or_less_ticks_every_month():
    """Left to plotly, five monthly bars (Jan-May 2025) ticked about every 30 days from an offset
    and read Jan, Jan, Feb, Mar, Apr: each month's dollars under the month before's name."""
    import plotly.express as px

    def dtick(months):
        frame = pd.DataFrame({"service_month": pd.date_range("2025-01-01", periods=months, freq="MS"),
                              "expected_amount": range(months)})
        fig = charts.series(frame, "service_month", ["expected_amount"], title="t")
        charts.show(fig)
        return fig.layout.xaxis.dtick

    assert dtick(5) == "M1"
    assert dtick(12) == "M1"
    assert dtick(30) is None, "plotly steps a longer span by whole months itself"
    line = px.line(pd.DataFrame({"month": pd.date_range("2025-01-01", periods=3, freq="MS"), "rows": [1, 2, 3]}), x="month", y="rows")
    line.update_xaxes(tickformat="%b %Y")
    charts.show(line)
    assert line.layout.xaxis.dtick == "M1", "a plotly express chart of months (the data-quality page's) too"


def test_a_long_chart_title_wraps_to_the_printed_width_above_its_legend():
    """A title one line long ran past the chart's right edge when printed on A4 (703 px: 'Change
    from baseline ... with a follo') and under the mode bar's buttons on a 1024 px screen."""
    import plotly.graph_objects as go

    long = "Change from baseline to the latest score (baselines of 10 or more, with a follow-up score)"
    fig = go.Figure()
    fig.add_bar(x=["a"], y=[20], name="GAD-7")
    fig.add_bar(x=["a"], y=[21], name="PHQ-9")
    fig.update_layout(title=long)
    charts.show(fig)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 2 and " ".join(lines) == long
    assert all(len(line) <= charts.TITLE_CHARS for line in lines)
    below_title = charts.LEGEND_TOP + charts.TITLE_LINE  # the legend moves down a line with it
    assert fig.layout.legend.y == pytest.approx(1 - below_title / fig.layout.height)
    assert fig.layout.margin.t == 60 + charts.TITLE_LINE and fig.layout.height == 400 + charts.TITLE_LINE

    short = go.Figure()
    short.update_layout(title="Active caseload at month end")
    charts.show(short)
    assert short.layout.title.text == "Active caseload at month end" and short.layout.height == 400


def test_the_time_allocation_glossary_defines_the_words_its_tables_show():
    """The glossary defined 'supported code', 'below threshold', 'overlap', 'activity unknown' ...,
    words the page never shows: its tables and chart read 'counted, supporting a billable code',
    'counted, month reaches no code', 'overlapping time', 'activity outside the vocabulary'."""
    from bcm_analytics.billing.time_outcomes import OUTCOMES

    terms = dict(glossary.time_allocation_terms("bcm-default", 5, Privacy.packaged("internal")))
    for outcome, meaning in OUTCOMES.items():
        assert terms[formats.label(outcome)] == meaning
    assert "supported code" not in terms and "overlap" not in terms


def test_a_list_parameter_reads_as_a_list_in_the_page_parameters(monkeypatch):
    """The caseload page's parameters read "clinics ['CL002']", Python's spelling, not the reader's."""
    shown = []
    monkeypatch.setattr(page, "data_freshness", lambda con: {})
    monkeypatch.setattr(page, "display", lambda bundle, raw: shown.append(bundle["text/html"]))
    page.header(None, "Caseload and outcomes", "Jul 2025 - Sep 2025", {"clinics": ["CL1", "CL2"], "payer": None},
                Privacy.packaged("internal"), report="caseload_outcomes")
    assert "<tr><td>clinics</td><td>CL1, CL2</td></tr>" in shown[0]
    assert "<tr><td>payer</td><td>all</td></tr>" in shown[0]



def _clinics_store():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE TABLE staging.clinics AS "
                "SELECT * FROM (VALUES ('CL001', 'Willow Creek Family Medicine'), ('CL002', NULL)) t(clinic_id, clinic_name)")
    return con


def test_an_external_page_for_one_clinic_names_it_in_its_banner_as_in_its_parameters(monkeypatch):
    """A board read "covers part of the program (clinic CL001)" in the banner of a page whose parameters
    said "clinic Willow Creek Family Medicine": the banner was given the ids that -p takes."""
    shown = []
    monkeypatch.setattr(page, "data_freshness", lambda con, privacy=None: {})
    monkeypatch.setattr(page, "display", lambda bundle, raw: shown.append(bundle["text/html"]))
    con = _clinics_store()
    page.header(con, "Program overview", "Jul 2025 - Sep 2025", {"clinic": "Willow Creek Family Medicine"},
                Privacy.packaged("external"), report="program_overview", rerun={"clinic": "CL001"})
    page.header(con, "Caseload and outcomes", "Jul 2025 - Sep 2025", {"clinics": ["Willow Creek Family Medicine", "CL002"]},
                Privacy.packaged("external"), report="caseload_outcomes", rerun={"clinics": ["CL001", "CL002"]})
    page.header(con, "Program overview", "Jul 2025 - Sep 2025", {"clinic": "Willow Creek Family Medicine"},
                Privacy.packaged("internal"), report="program_overview", rerun={"clinic": "CL001"})
    assert "covers part of the program (clinic Willow Creek Family Medicine)" in shown[0] and "CL001" not in shown[0]
    assert "(clinics Willow Creek Family Medicine, CL002)" in shown[1], "a clinic with no name in the export keeps its id"
    assert "-p clinic CL001" in shown[2], "the internal page's command keeps what -p takes"


FRESH = {"files loaded": 4, "last load": pd.Timestamp("2026-01-05 14:02", tz="UTC"),
         "latest time-log date": pd.Timestamp("2025-12-17").date(), "latest assessment date": pd.Timestamp("2025-12-09").date(),
         "latest claim date": None, "rows in quarantine": 7}


def test_an_external_page_dates_its_data_by_the_month_not_the_day_of_the_latest_visit(monkeypatch):
    """A board's page said "latest time-log date 2025-12-17", "latest assessment date 2025-12-09" and
    "ended by the data's last date (2025-12-17)": the day of the latest visit and of the latest score,
    each one patient's date of care. Every external page gives those dates by their month, in the
    freshness box and in every sentence (Privacy.data_date); staff keep the day."""
    from bcm_analytics.reports.privacy import external_period

    shown = []
    monkeypatch.setattr(page, "data_freshness", lambda con: FRESH)
    monkeypatch.setattr(page, "display", lambda bundle, raw: shown.append(bundle["text/html"]))
    note = external_period("2025-01", "2025-12", pd.Timestamp("2025-12-17").date()).note
    for audience in ("external", "internal"):
        page.header(None, "Program overview", "Jan 2025 - Sep 2025", {}, Privacy.packaged(audience), report="program_overview",
                    period_note=note)
    outside, inside = shown
    assert not re.search(r"\d{4}-\d\d-\d\d", outside), re.findall(r"\d{4}-\d\d-\d\d", outside)
    for row in ("time logged through</td><td>Dec 2025", "scores through</td><td>Dec 2025",
                "claims through</td><td>none loaded", "last loaded</td><td>Jan 2026"):
        assert row in outside
    assert "quarantine" not in outside and "files loaded" not in outside
    assert "the data's last date (in Dec 2025)" in note
    assert "latest time-log date</td><td>2025-12-17" in inside and "rows in quarantine</td><td>7" in inside


def test_the_caseload_notes_of_an_external_page_name_the_as_of_month():
    """The follow-up note said "Assessments after 2025-11-19 are not counted yet (... by 2025-12-17)"
    on an external page: the as-of date defaults to the day of the latest visit or score."""
    import datetime as dt
    from types import SimpleNamespace

    from bcm_analytics.reports import caseload_outcomes as co

    run = SimpleNamespace(as_of=dt.date(2025, 12, 17), definitions={
        "process": {"followup_within_days": 28}, "windows": {"6m": {"from": 120, "to": 240}},
        "outcome": {"baseline": "first_score"}})
    follow = pd.DataFrame({"month": pd.to_datetime(["2025-12-01"]), "period": ["Dec 2025"]})
    outside = co.follow_up_note(run, follow, "month", Privacy.packaged("external"))
    assert outside == ("Assessments in the last 28 days before the as-of date (Dec 2025) are not counted yet (their days "
                       "to follow up have not passed): Dec 2025 covers only the assessments before them.")
    assert "2025-12-17" in co.follow_up_note(run, follow, "month", Privacy.packaged("internal"))
    trend = pd.DataFrame({"month": pd.to_datetime(["2025-03-01"]), "period": ["Mar 2025"]})
    assert "closed by Dec 2025;" in co.trend_note(run, trend, "month", privacy=Privacy.packaged("external"))
    assert "closed by 2025-12-17;" in co.trend_note(run, trend, "month", privacy=Privacy.packaged("internal"))


def test_a_chart_whose_every_point_is_suppressed_says_so_instead_of_drawing_empty_axes(monkeypatch):
    """A board's outcomes page drew the follow-up chart and both 6-month outcome trends as empty
    axes with x marks, beside a note saying 'Last shown: 2025, Jan-Mar' though nothing was drawn."""
    shown = []
    monkeypatch.setattr(charts, "display", lambda out: shown.append(out.data))
    frame = pd.DataFrame({"period": ["2024, Apr-Dec", "2025, Jan-Mar"], "pct_response_of_measured": [None, None],
                          "pct_remission_of_measured": [None, None]})
    frame.attrs["suppressed"] = {c: frozenset({0, 1}) for c in ("pct_response_of_measured", "pct_remission_of_measured")}
    fig = charts.series(frame, "period", ["pct_response_of_measured", "pct_remission_of_measured"], title="PHQ-9 outcomes",
                        names={"pct_response_of_measured": "response", "pct_remission_of_measured": "remission"},
                        x_title="baseline year")
    charts.show(fig, note="Last shown: 2025, Jan-Mar.")
    assert "bcm-figure" not in shown[0] and "Last shown" not in shown[0]
    assert shown[0].startswith("<p class='bcm-note bcm-chart-hidden' data-hidden>PHQ-9 outcomes: not drawn, as every value "
                               "it would show is suppressed on this page (response; remission, for baseline year 2024, "
                               "Apr-Dec; 2025, Jan-Mar): each is a count in the cell-size range the banner names")

    months = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01"]), "pct_followed_up": [None, 0.5]})
    months.attrs["suppressed"] = {"pct_followed_up": frozenset({0})}
    charts.show(charts.series(months, "month", ["pct_followed_up"], title="Followed up"), note="Jan 2025 is hidden.")
    assert "bcm-figure" in shown[1] and "Jan 2025 is hidden." in shown[1], "a chart with a point left is drawn"
    months.loc[1, "pct_followed_up"] = None
    months.attrs["suppressed"] = {"pct_followed_up": frozenset({0, 1})}
    charts.show(charts.series(months, "month", ["pct_followed_up"], title="Followed up"))
    assert "for Jan 2025; Feb 2025)" in shown[2]


def test_an_external_page_names_the_definitions_by_version_never_by_a_path_on_the_analysts_machine(tmp_path):
    """A board's page read 'definitions 2026.2 (bcm_analytics/config/definitions.yaml + /home/jsmith/...)'
    in its parameters and its glossary: a path means nothing outside, and may hold a user's name."""
    folder = tmp_path / "jsmith"
    folder.mkdir()
    (folder / "local_defs.yaml").write_text("outcome:\n  remission_below: 4\n")
    defs = load_definitions(folder / "local_defs.yaml")
    version = f"{load_definitions().version} + local_defs"
    assert Privacy.packaged("external").definitions(defs) == version
    assert Privacy.packaged("internal").definitions(defs) == f"{version} (bcm_analytics/config/definitions.yaml + {folder / 'local_defs.yaml'})"
    outside = dict(glossary.outcome_terms(defs, external=True))["definitions"]
    inside = dict(glossary.outcome_terms(defs))["definitions"]
    assert outside == f"version {version}" and "jsmith" not in outside
    assert "jsmith" in inside and "definitions.yaml" in inside, "staff keep the files, to find them again"


def test_the_trend_note_names_the_last_point_the_chart_shows():
    """An external trend by baseline quarter said 'Last shown: 2025 Q4.' under a chart whose 2025 Q4
    response and remission were both suppressed (drawn as x marks): the last point shown was 2025 Q3."""
    import datetime as dt
    from types import SimpleNamespace

    from bcm_analytics.reports import caseload_outcomes as co

    run = SimpleNamespace(as_of=dt.date(2026, 10, 31), definitions={"windows": {"6m": {"from": 120, "to": 240}},
                                                                     "outcome": {"baseline": "first_score"}})
    trend = pd.DataFrame({"month": pd.to_datetime(["2025-04-01", "2025-07-01", "2025-10-01"]),
                          "period": ["2025 Q2", "2025 Q3", "2025 Q4"],
                          "pct_response_of_measured": [0.4, 0.35, None], "pct_remission_of_measured": [None, 0.2, None]})
    trend.attrs["suppressed"] = {"pct_response_of_measured": frozenset({2}), "pct_remission_of_measured": frozenset({0, 2})}
    note = co.trend_note(run, trend, "quarter", privacy=Privacy.packaged("external"))
    assert "Last shown: 2025 Q3." in note and "2025 Q4" not in note
    trend.attrs["suppressed"]["pct_remission_of_measured"] = frozenset({0, 1, 2})  # Q3's response still shows
    assert "Last shown: 2025 Q3." in co.trend_note(run, trend, "quarter", privacy=Privacy.packaged("external"))
    inside = trend.assign(pct_response_of_measured=[0.4, 0.35, 0.3])
    inside.attrs = {}
    assert "Last shown: 2025 Q4." in co.trend_note(run, inside, "quarter", privacy=Privacy.packaged("internal"))


def test_the_trend_note_names_the_first_point_and_why_it_is_before_the_pages_period():
    """A page of Nov 2025 - Oct 2026 drew its 6-month outcomes for baseline months Mar 2025 - Feb
    2026, and nothing said why 8 of its 12 points were before the page's period."""
    import datetime as dt
    from types import SimpleNamespace

    from bcm_analytics.reports import caseload_outcomes as co

    run = SimpleNamespace(as_of=dt.date(2026, 10, 31), definitions={"windows": {"6m": {"from": 120, "to": 240}},
                                                                     "outcome": {"baseline": "first_score"}})
    trend = pd.DataFrame({"month": pd.to_datetime(["2025-03-01", "2025-04-01", "2026-02-01"]), "period": ["a", "b", "c"],
                          "pct_response_of_measured": [0.4, 0.35, 0.3], "pct_remission_of_measured": [0.2, 0.2, 0.1]})
    note = co.trend_note(run, trend, "month", privacy=Privacy.packaged("internal"))
    assert ("Last shown: Feb 2026. First shown: Mar 2025. A baseline is shown once its window has closed, up to 240 days "
            "later, so the chart reaches back before the report's period.") in note
    counted = co.trend_note(run, trend.assign(measured=[6, 1, 4]), "month", privacy=Privacy.packaged("internal"))
    assert "Each point rests on 1 to 6 patients measured: on a few, a swing between points is mostly chance." in counted
    assert "rests on" not in co.trend_note(run, trend.assign(measured=[6, 1, 4]), "month", privacy=Privacy.packaged("external"))
    assert "First shown" not in co.trend_note(run, trend.iloc[2:], "month", privacy=Privacy.packaged("internal"))


def test_a_chart_of_more_groups_than_colours_tells_every_group_apart():
    """The per-staff chart drew seven care managers in a palette of six colours: BCM-001 and
    BCM-007 were the same blue line. A group past the palette gets the colour again with another
    dash (lines) or fill pattern (bars)."""
    groups = [f"BCM-{n:03d}" for n in range(1, 8)]
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"] * 7), "staff_id": groups, "share_supported_code": [0.8] * 7})
    lines = charts.by_group(frame, "month", "staff_id", "share_supported_code", bars=False, title="Share")
    assert len({(t.line.color, t.line.dash) for t in lines.data if t.meta != "hidden"}) == 7
    bars = charts.by_group(frame, "month", "staff_id", "share_supported_code", stacked=True, title="Share")
    charts.show(bars)
    assert len({(t.marker.color, t.marker.pattern.shape) for t in bars.data if t.meta != "hidden"}) == 7
    first_six = charts.by_group(frame[:6], "month", "staff_id", "share_supported_code", bars=False, title="Share")
    assert [t.line.color for t in first_six.data] == charts.PALETTE and {t.line.dash for t in first_six.data} == {"solid"}


def test_bars_side_by_side_differ_by_pattern_as_well_as_colour_and_a_single_series_stays_plain():
    """A greyscale printout drew the blue and the purple bar alike (WCAG 1.4.1: colour alone)."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "billed": [3, 4], "paid": [2, 3]})
    two = charts.series(frame, "month", ["billed", "paid"], title="Two")
    charts.show(two)
    shapes = [t.marker.pattern.shape for t in two.data if t.meta != "hidden"]
    assert shapes[0] == "" and len(set(shapes)) == 2
    one = charts.series(frame, "month", ["billed"], title="One")
    charts.show(one)
    assert one.data[0].marker.pattern.shape is None
    statuses = pd.DataFrame({"rows": [5, 3], "label": ["a check", "a check"], "status": ["open", "waiting"]})
    act_on = data_quality.to_act_on_figure(statuses)
    charts.show(act_on)
    assert len({t.marker.pattern.shape for t in act_on.data}) == 2


def test_the_part_of_the_program_banner_names_one_clinic_in_the_singular():
    """The external outcomes page for one clinic said 'This page covers part of the program (clinics
    Aspen Rural Health Clinic)': the clinics parameter is a list, the banner spoke of its one item
    in the plural."""
    from bcm_analytics.reports.privacy import filtered_page_caution

    names = {"CL005": "Aspen Rural Health Clinic", "CL001": "Willow Creek Family Medicine"}
    assert "(clinic Aspen Rural Health Clinic)" in filtered_page_caution({"clinics": ["CL005"]}, names)
    assert "(clinics Aspen Rural Health Clinic, Willow Creek Family Medicine)" in filtered_page_caution(
        {"clinics": ["CL005", "CL001"]}, names)
    assert "(clinic Aspen Rural Health Clinic; payer Medicare)" in filtered_page_caution(
        {"clinic": "CL005", "payer": "Medicare"}, names)


def test_a_chart_left_with_only_zeros_beside_its_suppressed_points_says_so_instead_of_drawing_nothing(monkeypatch):
    """The external time-allocation page drew 'What counting the lost minutes would add, by reason'
    with two reasons suppressed and the third at $0.00: no bar at all, on an axis reading $0, $0,
    $0, $1, $1, $1."""
    shown = []
    monkeypatch.setattr(charts, "display", lambda out: shown.append(out.data))
    frame = pd.DataFrame({"reason": ["no consent on file", "before the consent date", "unknown activity"],
                          "lost_value": [None, None, 0.0]})
    frame.attrs["suppressed"] = {"lost_value": frozenset({0, 1})}
    charts.show(charts.series(frame, "reason", ["lost_value"], title="What counting them would add"), note="A note.")
    assert "bcm-figure" not in shown[0] and "A note." not in shown[0]
    assert ("What counting them would add: not drawn, as every value it would show is suppressed on this page "
            "(what counting them would add, for no consent on file; before the consent date)") in shown[0]
    assert shown[0].endswith("(CMS cell-size rule); every other value is 0.</p>")
    frame.loc[2, "lost_value"] = 12.5
    charts.show(charts.series(frame, "reason", ["lost_value"], title="What counting them would add"), note="A note.")
    assert "bcm-figure" in shown[1] and "A note." in shown[1], "a chart with a value left is drawn"


def test_a_dollar_axis_under_10_dollars_shows_cents_so_no_two_ticks_read_alike():
    """Left to plotly, values under $1 tick every 0.2 and ',.0f' rounded each: $0, $0, $0, $1, $1, $1."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "missed_revenue": [0.0, 3.4]})
    fig = charts.series(frame, "month", ["missed_revenue"], title="Missed")
    charts._small_axis_ticks(fig)
    assert fig.layout.yaxis.tickformat == ",.2f"
    big = charts.series(frame.assign(missed_revenue=[0.0, 340.0]), "month", ["missed_revenue"], title="Missed")
    charts._small_axis_ticks(big)
    assert big.layout.yaxis.tickformat == ",.0f"


def test_the_data_quality_charts_are_drawn_in_the_reports_palette():
    """plotly express coloured the data-quality page's lines and bars in its own sequence, which the
    page's colorway does not override: the one page of the suite in other colours."""
    from bcm_analytics.reports import data_quality as dq

    months = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"] * 3),
                           "export": ["time logs"] * 2 + ["assessments"] * 2 + ["claims"] * 2, "rows": [5, 6, 3, 4, 1, 2]})
    act_on = pd.DataFrame({"label": ["minutes (time_logs)", "patient known (claims)"], "status": ["open", "waiting"],
                           "rows": [3, 2]})
    trend = pd.DataFrame({"load": [1, 2], "table": ["time_logs", "time_logs"], "percent_quarantined": [0.5, 1.0]})
    for fig in (dq.export_months_figure(months), dq.to_act_on_figure(act_on), dq.quarantine_trend_figure(trend)):
        colours = [t.line.color if t.type == "scatter" else t.marker.color for t in fig.data]
        assert colours == charts.PALETTE[:len(colours)]


def test_each_table_of_the_quarantine_trend_looks_unlike_the_others():
    """Eight tables in six colours drew clinics and diagnoses, patients and claims alike; each
    table has a marker of its own too."""
    from bcm_analytics.reports import data_quality as dq

    tables = ["clinics", "patients", "time_logs", "assessments", "claims", "facility_stays", "coverage", "diagnoses"]
    trend = pd.DataFrame({"load": range(1, 9), "table": tables, "percent_quarantined": [0.5] * 8})
    fig = dq.quarantine_trend_figure(trend)
    looks = {(t.line.color, t.marker.symbol) for t in fig.data}
    assert len(fig.data) == 8 and len(looks) == 8


def test_a_rate_hovers_with_the_counts_it_is_over_unless_they_are_suppressed():
    """A 200-patient program's 6-month response by baseline month read 0%, 60%, 0%, 25%, 100%,
    100%, 0%: each on 1-5 measured patients, which nothing on the chart said. The rate's hover
    says '100.0% (2 of 2)'; where a count is suppressed, the hover gives the rate alone."""
    from bcm_analytics.reports import outcome_figures

    trend = pd.DataFrame({"month": pd.to_datetime(["2025-03-01", "2025-04-01", "2025-05-01"]),
                          "measured": [2, 5, 30], "responders": [2, 3, 12], "remitters": [1, 1, 6],
                          "pct_response_of_measured": [1.0, 0.6, 0.4], "pct_remission_of_measured": [0.5, 0.2, 0.2]})
    trend.attrs["suppressed"] = {"remitters": frozenset({2})}
    fig = outcome_figures.outcome_trend(trend, "month", "PHQ-9", "6 months")
    response, remission = fig.data[0], fig.data[1]
    assert list(response.customdata) == [" (2 of 2)", " (3 of 5)", " (12 of 30)"]
    assert list(remission.customdata) == [" (1 of 2)", " (1 of 5)", ""]
    assert response.hovertemplate.startswith("response, of measured: %{y:") and "%{customdata}" in response.hovertemplate
    plain = charts.series(trend, "month", ["pct_response_of_measured"], title="Response")
    assert plain.data[0].customdata is None and "customdata" not in plain.data[0].hovertemplate


def test_a_rule_change_label_sits_above_the_data_so_it_cannot_cover_a_line_near_100_percent():
    """On the reconciliation page's 'Patient-months reconciled' chart the labels of the rule changes
    (Oct 2025, Jan 2026) sat at the top of the y axis, on the reconciled line running at 100%,
    covering its points. A label's bottom edge now sits at or above the top of the y axis, in a
    strip no data reaches, with the dashed line running up to it; two changes alternate rows."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01", "2026-01-01"]),
                          "pct_reconciled": [1.0, 1.0, 0.96, 1.0, 1.0]})
    changes = [(pd.Timestamp("2025-10-01").date(), "Oct 2025: FQHC/RHC general BHI G0511 → 99484"),
               (pd.Timestamp("2026-01-01").date(), "Jan 2026: FQHC/RHC CoCM G0512 → 99492")]
    fig = charts.series(frame, "month", ["pct_reconciled"], bars=False, changes=changes, title="Patient-months reconciled")
    charts.show(fig)
    top = (fig.layout.yaxis.domain or (0, 1))[1]
    labels = [a for a in fig.layout.annotations if a.hovertext]
    assert [a.text for a in labels] == ["Oct 2025", "Jan 2026"]
    assert fig.layout.yaxis.range[1] >= 1, "100% is inside the axis, below the labels"
    for a in labels:
        assert a.yref == "paper" and a.yanchor == "bottom" and a.y >= top, (a.y, a.yanchor, top)
        assert top + (a.yshift or 0) / 290 + 18 / 290 <= 1.0001, "the label stays inside the figure's plot area"
    assert len({a.yshift or 0 for a in labels}) == 2, "two changes in turn on two rows"
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 2 and all(s.yref == "paper" and s.y0 == 0 and s.y1 == 1 for s in lines), "each line reaches its label"


def test_a_period_column_is_headed_by_what_its_rows_are():
    """The reconciliation and time-allocation pages headed their rows of months 'period' ('period |
    Nov 2024'), and so did the caseload page's enrolments, while its caseload table headed the same
    months 'month'. The heading now names the rows: month, quarter (a partial one or a block of
    two too), year; 'period' only for the whole period. The frame keeps its column 'period' (the
    workbooks and CSV files read it)."""
    from bcm_analytics.reports.billing_reconciliation import with_total
    from bcm_analytics.reports.privacy import by_period

    months = pd.DataFrame({"month": pd.date_range("2025-02-01", "2025-07-01", freq="MS"), "patients": [12, 14, 15, 11, 13, 20]})
    heads = {}
    for grain in ("month", "quarter", "year", "period"):
        frame = with_total(by_period(months, "month", grain, ["patients"], start="2025-02-01", end="2025-07-01"))
        assert "period" in frame.columns
        page = charts.table_html(frame, None, ["period", "patients"], total=("period", "All"))
        heads[grain] = re.findall(r"<th[^>]*>([^<]*)</th>", page)[0]
    assert heads == {"month": "month", "quarter": "quarter", "year": "year", "period": "period"}
    blocks = pd.DataFrame({"period": ["2024 Q4 - 2025 Q1", "2025 Q2"], "patients": [14, 30]})
    assert re.findall(r"<th[^>]*>([^<]*)</th>", charts.table_html(blocks, None, ["period", "patients"]))[0] == "quarter"
    assert re.findall(r"<th[^>]*>([^<]*)</th>", charts.table_html(blocks, None, ["period", "patients"],
                                                                 labels={"period": "block"}))[0] == "block", "a label given wins"


CLOCK_CHECK = """
import sys
import datetime as dt
from bcm_analytics.contracts import quality
from bcm_analytics.ingest import load_file
from bcm_analytics.reports import data_quality, page
from bcm_analytics.warehouse import connect

folder = sys.argv[1]
with open(folder + "/clinics.csv", "w") as f:
    f.write("clinic_id,clinic_name\\nC1,Lakeside\\n")
con = connect(folder + "/s.duckdb", timezone="America/Chicago")
load_file(con, folder + "/clinics.csv")
con.execute("UPDATE meta.load_log SET finished_at = TIMESTAMPTZ '2026-12-05 09:30:00+00'")
print(con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0])
print(page.fmt(page.data_freshness(con)["last load"]))
run = quality.latest_validation(con)[0]
print(data_quality.validation_note(con, run, "s.duckdb"))
con.execute("COPY (SELECT finished_at FROM meta.load_log) TO '" + folder + "/at.csv' (HEADER false)")
print(open(folder + "/at.csv").read().strip())
"""


@pytest.mark.parametrize("machine", ["UTC", "Asia/Tokyo"])
def test_a_load_time_reads_on_the_programs_clock_whatever_the_computers_zone(tmp_path, machine):
    """The freshness box gave a Chicago program's load at 03:30 as '09:30 UTC', and on a computer
    set to another zone DuckDB handed instants over, and wrote them to CSV, in that computer's zone:
    the same store read differently on two laptops. bcm's connections are UTC whatever the
    computer's zone; a page shows an instant on the program's clock, its zone named."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TZ": machine}
    out = subprocess.run([sys.executable, "-c", CLOCK_CHECK, str(tmp_path)], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[:2] == ["UTC", "2026-12-05 03:30 CST"]
    assert out[2].startswith("No validation has run on this store yet")
    assert out[3] == "2026-12-05 09:30:00+00"


def test_an_instant_reads_with_the_offset_in_force_on_its_day():
    summer, winter = pd.Timestamp("2026-07-01 15:00", tz="UTC"), dt.datetime(2026, 1, 15, 15, 0)  # naive: UTC
    assert formats.clock(summer, "America/Chicago") == "2026-07-01 10:00 CDT"
    assert formats.clock(winter, "America/Chicago") == "2026-01-15 09:00 CST"
    run = pd.Series({"run_id": 4, "success": True, "sample_rows": float("nan"), "finished_at": summer})

    class Store:
        def execute(self, sql):
            return self

        def fetchall(self):
            return [("America/Chicago",)]

    assert data_quality.validation_note(Store(), run, "s.duckdb").startswith("Run 4 on 2026-07-01 10:00 CDT: the store passes")


def test_the_process_headings_name_the_windows_the_definitions_set():
    """A program counting contacts over 14 days, scores over 21 and 45, reviews over 60 and
    follow-up within 10 days read 'contacted, last 30 days' (and 60, 90, 4 weeks) over its own
    numbers in every table, chart legend and headline card, and its glossary named the packaged
    windows as terms."""
    packaged = glossary.process_headings(load_definitions())
    assert packaged == {col: formats.label(col) for col in glossary.PROCESS_WINDOWS}, "the packaged windows read as before"
    own = load_definitions(overrides={"process": {"contacted_within_days": 14, "scored_within_days": [21, 45],
                                                  "review_within_days": 60, "followup_within_days": 10}})
    headings = glossary.process_headings(own)
    assert [headings[c] for c in ("contacted", "pct_scored", "pct_scored_long", "pct_reviewed", "followed_up")] == [
        "contacted, last 14 days", "scored, last 21 days", "scored, last 45 days", "psychiatric case review, last 60 days",
        "followed up within 10 days"]
    assert glossary.process_window(load_definitions(overrides={"process": {"followup_within_days": 14}}),
                                   "followup_within_days") == "within 2 weeks"
    terms = dict(glossary.outcome_terms(own))
    assert {"contacted, last 14 days", "scored, last 21 / 45 days", "followed up within 10 days"} <= set(terms)
    assert "once its 10 days have passed" in terms["followed up within 10 days"]
    assert figures.follow_up_title("quarter", "within 10 days") == "Initial assessments followed up within 10 days, per quarter of assessment"


def test_the_cohort_milestones_table_says_which_months_no_cohort_has_reached():
    """'Cohorts at 3, 6, 9 and 12 months' showed no 12-month rows, and nothing said why."""
    from bcm_analytics.reports import outcome_figures as figures

    def cohorts(last):
        return pd.DataFrame({"instrument": "PHQ-9", "cohort": "2026 Q1", "months_since_enrolment": range(last + 1)})

    assert figures.milestones_note(cohorts(9)) == (
        "No enrolment cohort of the report's period has reached 12 months since enrolment by the as-of date yet.")
    assert "reached 3, 6, 9 or 12 months" in figures.milestones_note(cohorts(2))
    assert figures.milestones_note(cohorts(12)) == ""


def test_a_rate_of_measured_patients_is_named_as_a_rate():
    """The cohort table's 'measured' was a percentage beside the headline table's 'measured', a count."""
    from bcm_analytics.reports import formats

    assert (formats.label("pct_measured"), formats.kind("pct_measured")) == ("measured, of all", "rate")
    assert formats.label("measured") != formats.label("pct_measured")


def test_a_charts_values_are_listed_under_it_with_its_suppressed_points_marked(monkeypatch):
    """A screen reader, a keyboard or a greyscale printout cannot read values off a chart (WCAG
    1.1.1): the external overview's three charts plotted numbers no table on the page held."""
    shown = []
    monkeypatch.setattr(charts, "display", lambda out: shown.append(out.data))
    frame = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
                          "new_enrolments": [None, 14, 0], "pct_contacted": [0.5, None, 0.25]})
    frame.attrs["suppressed"] = {"new_enrolments": frozenset({0})}
    charts.show(charts.series(frame, "month", ["new_enrolments", "pct_contacted"], title="Enrolments"))
    page = shown[0]
    assert "<figure class='bcm-chart' aria-label='Enrolments: its values are listed under the chart'>" in page
    listed = page[page.index("<details class='bcm-chart-data'>"):]
    assert "<summary>The chart's values, by month</summary>" in listed
    assert re.findall(r"<li>(.*?)</li>", listed) == [  # hidden, value and gap told apart
        "<b>new enrolments</b>: Jan 2025: *; Feb 2025: 14; Mar 2025: 0",
        f"<b>{formats.label('pct_contacted')}</b>: Jan 2025: 50.0%; Mar 2025: 25.0%"]
    assert "<table" not in listed, "the page's tables are what its workbook and checks read"


def test_a_charts_values_are_listed_in_time_order_whatever_order_the_rows_came_in(monkeypatch):
    """The overview's enrolments came sorted by their labels, and the list under the chart read
    "Apr 2025; Aug 2024; Aug 2025; Dec 2024 ...", while the chart drew them in time order."""
    shown = []
    monkeypatch.setattr(charts, "display", lambda out: shown.append(out.data))
    frame = pd.DataFrame({"month": pd.to_datetime(["2025-04-01", "2024-08-01", "2025-08-01", "2024-12-01"]),
                          "new_enrolments": [14, 12, 15, 11]})
    charts.show(charts.series(frame, "month", ["new_enrolments"], title="Enrolments"))
    assert re.findall(r"<li>(.*?)</li>", shown[0]) == [
        "<b>new enrolments</b>: Aug 2024: 12; Dec 2024: 11; Apr 2025: 14; Aug 2025: 15"]


def test_lines_of_a_chart_differ_by_marker_as_well_as_colour():
    """In a greyscale board packet the blue, purple and orange lines read alike."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"] * 3), "clinic": ["A", "B", "C"], "rows": [1, 2, 3]})
    fig = charts.by_group(frame, "month", "clinic", "rows", bars=False, title="Rows")
    assert len({t.marker.symbol for t in fig.data}) == 3


def test_every_glossary_says_what_the_dash_of_a_rate_over_no_one_means():
    """A caseload page showed '–' in 26 cells and said nowhere what it meant."""
    from bcm_analytics.config.definitions import load_definitions
    from bcm_analytics.reports.privacy import Privacy

    for audience in ("internal", "external"):
        privacy = Privacy.packaged(audience)
        for terms in (glossary.outcome_terms(load_definitions(), external=audience == "external"),
                      glossary.billing_terms("r", privacy), glossary.overview_terms(privacy),
                      glossary.time_allocation_terms("r", 5, privacy)):
            assert dict(terms)["– (nothing to divide by)"].startswith("a rate or average over no one")


def test_a_hidden_point_of_a_series_whose_name_holds_a_comma_is_listed_as_hidden(monkeypatch):
    """The values list read which series were hidden from the marker's hover text, split at commas:
    a clinic named 'Smith, Jones Family Clinic' read as no clinic hidden."""
    frame = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-01-01"]), "clinic": ["Smith, Jones Family Clinic", "North"],
                          "active_patients": [None, 40]})
    frame.attrs["suppressed"] = {"active_patients": frozenset({0})}
    fig = charts.by_group(frame, "month", "clinic", "active_patients", title="Active")
    hidden = [t for t in fig.data if t.meta == "hidden"][0]
    assert list(hidden.text) == ["suppressed: Smith, Jones Family Clinic"]
    assert "<b>Smith, Jones Family Clinic</b>: Jan 2025: *" in charts.values_list(fig)
