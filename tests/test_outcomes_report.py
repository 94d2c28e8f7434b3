"""The director's report on a small synthetic program: its external version renders, and no
table shows a count 1-10.

Report tables print counts as bare integers and everything else with a %, a decimal point or
words (reports.formats), so any bare integer 1-10 in a rendered table is a leak.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from html_tables import BARE_COUNT, small_counts_in

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.ingest.loader import discover, load_paths
from bcm_analytics.outcomes import prepare
from bcm_analytics.reports import caseload_outcomes as report
from bcm_analytics.reports import formats
from bcm_analytics.reports.privacy import Privacy
from bcm_analytics.reports.runner import render_report
from bcm_analytics.synthetic import generate_program


@pytest.fixture(scope="module")
def small_program(tmp_path_factory):
    """250 synthetic patients over 18 months: small enough that many cells are 1-10."""
    from bcm_analytics.warehouse import connect

    folder = tmp_path_factory.mktemp("program")
    generate_program(folder / "exports", patients=250, months=18, start="2024-07", seed=3)
    con = connect(folder / "store.duckdb", timezone="America/New_York")
    files, _ = discover([folder / "exports"])
    list(load_paths(con, files))
    con.close()
    return folder / "store.duckdb"


def test_scanner_finds_a_small_count():
    html = "<p><b>Counts</b></p><table><tr><th>n</th></tr><tr><td>7</td></tr><tr><td>11.0</td></tr></table>"
    assert small_counts_in(html) == [("Counts", "7")]


@pytest.mark.parametrize("filters", [{}, {"clinics": ["CL001"]}, {"payer": "Medicare"}, {"instrument": "GAD-7"}],
                         ids=["all", "clinic", "payer", "instrument"])
def test_no_report_table_shows_a_count_1_to_10(small_program, filters):
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run = prepare(con, **filters)
    tables = [report.headline(run), report.strata(run), report.caseload(run), report.cohorts(run), report.change(run),
              report.contact_modes(run), report.flows(run)[1], report.follow_ups(run)[1], report.drr_e_years(run)]
    con.close()
    for table in tables:
        counts = [c for c in table.columns if formats.kind(c) == "count"]
        assert counts, "every table has counts to check"
        shown = [formats.cell(v, "count") for col in counts for v in table[col].dropna()]
        leaks = [v for v in shown if BARE_COUNT.match(v) and 1 <= int(v.replace(",", "")) <= 10]
        assert leaks == []


@pytest.mark.slow
def test_director_report_renders_without_small_counts(small_program, tmp_path):
    out = render_report("caseload_outcomes", small_program, {"start_month": "2024-10", "end_month": "2025-12",
                                                             "audience": "external"}, tmp_path / "outcomes.html")
    html = out.read_text()
    assert small_counts_in(html) == []
    for text in ("Headline measures", "Definitions used", "as of", "HEDIS DRR-E", "CMS159", "suppressed"):
        assert text in html
    assert html.count("bcm-figure-") >= 6
    assert "from bcm_analytics" not in html
    assert "definitions.yaml" not in html and str(small_program.parent) not in html, "no path on the analyst's machine"
    assert not re.search(r"\bP\d{7}\b", html), "no patient ids in the director's report"
    assert 'class="bcm-banner warning"' not in html, "every month with time logged holds scores: no warning"
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "no day of care (the latest visit, score or as-of date)"


def _runs(store, **filters):
    """The same run protected for an outside reader and shown whole to the program's staff."""
    run = prepare(store, **filters)
    return run, Privacy("external", run.definitions.threshold), Privacy.packaged("internal")


def _small(value) -> bool:
    return 1 <= value <= 10


def test_the_external_monthly_table_gives_no_months_flows_away(small_program):
    """Patients served = active caseload + the month's discharges = the caseload a month before +
    its enrolments: the external table may not show two cells whose difference is 1-10."""
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run, external, internal = _runs(con)
    shown = report.program_rows(report.caseload(run, privacy=external)).reset_index(drop=True)
    truth = report.program_rows(report.caseload(run, privacy=internal)).reset_index(drop=True)
    con.close()
    columns = report.monthly_columns(external)
    flows = [(m, b) for m in range(len(truth)) for b in (m, m - 1) if b >= 0]
    assert any(_small(truth.loc[m, "served"] - truth.loc[b, "active"]) for m, b in flows), "the program has small flows"
    revealed = [(m, b) for m, b in flows if {"served", "active"} <= set(columns)
                and pd.notna(shown.loc[m, "served"]) and pd.notna(shown.loc[b, "active"])
                and _small(shown.loc[m, "served"] - shown.loc[b, "active"])]
    assert revealed == []
    assert "active" in columns and "served" in report.monthly_columns(internal)


def test_the_external_monthly_table_gives_no_patients_served_back_beside_the_time_page(small_program):
    """Minutes per patient served is the month's minutes over the patients served; the external
    time-allocation page shows each month's minutes logged, so the two gave served back (2,543 /
    48.0 = 53) and with it the month's discharges (53 - 45 = 8), which both pages roll up into
    quarters. An external page shows no average over the patients it does not show."""
    from bcm_analytics.reports import time_allocation as ta
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run, external, internal = _runs(con)
    shown = report.program_rows(report.caseload(run, privacy=external)).set_index("month")
    truth = report.program_rows(report.caseload(run, privacy=internal)).set_index("month")
    _, time_page = ta.months(ta.Allocation.load(con, truth.index.min(), truth.index.max()), external)
    con.close()
    minutes = time_page.dropna(subset=["logged_minutes"]).set_index("period_start")["logged_minutes"]
    columns = report.monthly_columns(external)
    served = {m: round(minutes[m] / shown.loc[m, "minutes_per_patient_month"]) for m in shown.index
              if "minutes_per_patient_month" in columns and m in minutes.index
              and pd.notna(shown.loc[m, "minutes_per_patient_month"])}
    assert [m for m, n in served.items() if _small(n - shown.loc[m, "active"])] == []
    assert any(_small(truth.loc[m, "served"] - truth.loc[m, "active"]) for m in truth.index), "the program has small flows"
    assert "minutes_per_patient_month" in report.monthly_columns(internal)


@pytest.mark.parametrize("filters", [{}, {"clinics": ["CL001"]}], ids=["all", "clinic"])
def test_a_mean_score_is_hidden_when_few_patients_have_the_instrument(small_program, filters):
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run, external, internal = _runs(con, **filters)
    shown, truth = report.caseload(run, privacy=external), report.caseload(run, privacy=internal)
    con.close()
    for instrument in ("phq9", "gad7"):
        few = truth[f"{instrument}_patients"].map(_small) & truth["active"].gt(10)
        for mean in (f"mean_{instrument}_first", f"mean_{instrument}_last"):
            assert shown.loc[few, mean].isna().all(), f"{mean} over 1-10 patients is hidden"
            assert shown.loc[~few & truth["active"].gt(10) & truth[f"{instrument}_patients"].gt(10), mean].notna().any()


def test_a_hidden_contact_mode_cannot_be_worked_out_from_all_modes(small_program):
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run, external, internal = _runs(con, clinics=["CL001"])
    shown, truth = report.contact_modes(run, privacy=external), report.contact_modes(run, privacy=internal)
    con.close()
    modes = [c.removesuffix(" per patient-month") for c in truth.columns
             if c.endswith(" per patient-month") and c != f"{report.ALL_MODES} per patient-month"]
    assert modes and (truth[modes].sum(axis=1) == truth[report.ALL_MODES]).all()
    hidden_some = 0
    for i in shown.index:
        hidden = [m for m in modes if pd.isna(shown.loc[i, f"{m} per patient-month"]) and truth.loc[i, m] > 0]
        hidden_some += bool(hidden)
        if hidden and pd.notna(shown.loc[i, f"{report.ALL_MODES} per patient-month"]):
            assert len(hidden) > 1 and not _small(truth.loc[i, hidden].sum()), (i, hidden)
    assert hidden_some, "some mode is hidden in some month"



def test_the_external_outcome_trend_covers_whole_calendar_quarters():
    """As of 2025-04-30, 6-month windows: baselines up to Feb 2025 have all closed, March's not.
    Staff see the last 12 closed months with a baseline, Feb 2024 - Feb 2025 (April 2024 had none);
    an external page the four whole quarters before 2025 Q1 (March still open), Jan - Dec 2024,
    April at zero."""
    months = pd.date_range("2024-01-01", "2025-04-01", freq="MS")
    rows = pd.DataFrame({"month": months, "eligible": [0 if m == pd.Timestamp("2024-04-01") else 20 for m in months],
                         "pending": [0] * 14 + [5, 20]})
    inside = report.trend_months(rows, 12, pd.Timestamp("2025-04-30").date(), whole_quarters=False)
    assert (inside.month.min(), inside.month.max(), len(inside)) == (pd.Timestamp("2024-02-01"), pd.Timestamp("2025-02-01"), 12)
    outside = report.trend_months(rows, 12, pd.Timestamp("2025-04-30").date(), whole_quarters=True)
    assert outside.month.tolist() == list(pd.date_range("2024-01-01", "2024-12-01", freq="MS"))
    no_open = rows.assign(pending=0)
    assert report.trend_months(no_open, 12, pd.Timestamp("2025-04-30").date(), True).month.max() == pd.Timestamp("2025-03-01"), \
        "with nothing open, the last quarter ended before the as-of month"


def test_the_external_outcome_trend_starts_at_a_quarter_even_before_the_first_baseline_month():
    """A program whose first baselines are December's (scores up to 14 days before January's
    enrolments): the trend's year 2023 read '2023, Dec' on a funder's page, a part of a quarter,
    because a month with no baseline has no row to keep at zero. Its quarter starts in October."""
    months = pd.date_range("2023-12-01", "2025-04-01", freq="MS")
    rows = pd.DataFrame({"instrument": "PHQ-9", "window_name": "6m", "dimension": "baseline_month",
                         "stratum": months.strftime("%Y-%m"), "month": months, "denominator": 20, "measured": 12,
                         "responders": 5, "remitters": 2, "eligible": 20, "pending": [0] * 10 + [5] * 7})
    shown = report.trend_months(rows, 12, pd.Timestamp("2025-04-30").date(), whole_quarters=True)
    assert shown.month.tolist() == list(pd.date_range("2023-10-01", "2024-09-01", freq="MS"))
    early = shown[shown.month < "2023-12-01"]
    assert (early[["denominator", "measured", "responders", "remitters", "eligible", "pending"]] == 0).all().all()
    assert early.stratum.tolist() == ["2023-10", "2023-11"] and set(early.instrument) == {"PHQ-9"}
    late = report.trend_months(rows[rows.month >= "2024-02-01"], 12, pd.Timestamp("2025-04-30").date(), True)
    assert late.month.min() == pd.Timestamp("2024-01-01"), "a program starting in February shows its first quarter whole"


def test_the_external_outcome_trend_on_a_program_shows_no_part_of_a_quarter(small_program):
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run, external, internal = _runs(con)
    for instrument in ("PHQ-9", "GAD-7"):
        grain, trend = report.trend(run, instrument, external)
        labels = trend.period.astype(str).tolist()
        if grain == "month":
            assert trend.month.min().month in (1, 4, 7, 10) and trend.month.max().month in (3, 6, 9, 12), labels
        elif grain == "quarter":
            assert not any("," in label for label in labels), labels
        else:  # a year's part: whole quarters ('2024, Jul-Dec')
            parts = [label.split(", ")[1].split("-") for label in labels if "," in label]
            assert all(p[0] in ("Jan", "Apr", "Jul", "Oct") and p[-1] in ("Mar", "Jun", "Sep", "Dec") for p in parts), labels
        _, staff = report.trend(run, instrument, internal)
        assert staff.month.max() >= trend.month.max()
    con.close()


@pytest.mark.slow
def test_months_whose_scores_are_not_loaded_are_named_in_a_banner_above_the_headline(store, load_rows, tmp_path):
    """Scores through February, time logged through April: the page's response and "scored in the
    last 30 days" read the missing export as missing care; a banner above the figures says why."""
    load_rows("patients", [{"patient_id": f"P{i}", "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1",
                            "enrollment_date": "2025-01-06"} for i in range(3)])
    load_rows("assessments", [{"assessment_id": f"A{i}{m}", "patient_id": f"P{i}", "instrument": "PHQ-9",
                               "administered_on": f"2025-0{m}-06", "total_score": 15, "item_9": 0}
                              for i in range(3) for m in (1, 2)])
    load_rows("time_logs", [{"entry_id": f"E{i}{m}", "patient_id": f"P{i}", "staff_role": "bhcm",
                             "service_date": f"2025-0{m}-10", "minutes": "20", "activity_type": "follow_up_contact"}
                            for i in range(3) for m in (1, 2, 3, 4)])
    store.close()
    html = render_report("caseload_outcomes", tmp_path / "test.duckdb", {}, tmp_path / "o.html").read_text()
    assert ('<div class="bcm-banner warning" role="alert">No scores are loaded for Mar 2025 to Apr 2025, though time is '
            "logged in them (the store's scores run Jan 2025 to Feb 2025)") in html


@pytest.mark.slow
def test_an_external_page_dated_after_the_data_says_so_above_the_headline_without_a_day(store, load_rows, tmp_path):
    """As of 31 March, the data ending on 10 March: the page's "contacted in the last 30 days" read
    the weeks not yet exported as no contact, with no word; a banner says why, naming no day of
    care on a page for outside readers."""
    load_rows("patients", [{"patient_id": f"P{i}", "clinic_id": "C1", "payer": "Medicare", "care_manager_id": "CM1",
                            "enrollment_date": "2025-01-06"} for i in range(12)])
    load_rows("time_logs", [{"entry_id": f"E{i}{m}", "patient_id": f"P{i}", "staff_role": "bhcm",
                             "service_date": f"2025-0{m}-10", "minutes": "20", "activity_type": "follow_up_contact"}
                            for i in range(12) for m in (1, 2, 3)])
    store.close()
    html = render_report("caseload_outcomes", tmp_path / "test.duckdb", {"as_of": "2025-03-31", "audience": "external"},
                         tmp_path / "o.html").read_text()
    assert 'role="alert">The store holds no scores' in html
    assert "The as-of date is after the data's last day: contacts and scores not yet exported read as absent" in html
    assert "2025-03-10" not in html


def test_cohort_curves_and_change_bars_mark_their_suppressed_points():
    """The external page says 'hidden chart points are marked gaps'; the cohort curves and the
    change bars drew them as bare gaps, so a funder saw an empty chart with a few lines at 0%
    and no word of what was left out."""
    from bcm_analytics.reports import charts
    from bcm_analytics.reports import outcome_figures as figures

    cohorts = pd.DataFrame({"instrument": ["PHQ-9"] * 4, "cohort": ["2024-Q3", "2024-Q3", "2024-Q4", "2024-Q4"],
                            "months_since_enrolment": [1, 2, 1, 2], "pct_response": [0.0, None, None, 0.5],
                            "pct_remission": [0.0, 0.0, None, 0.25]})
    cohorts.attrs["suppressed"] = {"pct_response": frozenset({1, 2}), "pct_remission": frozenset({2})}
    marker = [t for t in figures.cohort_curves(cohorts, "PHQ-9").data if t.name == charts.HIDDEN_MARKER]
    assert len(marker) == 1 and marker[0].meta == "hidden" and list(marker[0].y) == [0, 0]
    assert dict(zip(marker[0].x, marker[0].text)) == {
        1: "suppressed: 2024-Q4 response, 2024-Q4 remission", 2: "suppressed: 2024-Q3 response"}
    assert figures.cohort_note(cohorts, "PHQ-9").endswith("2024-Q3 response: month 2; 2024-Q4 response and "
                                                          "remission: month 1.")
    assert figures.cohort_note(cohorts, "GAD-7") == ""

    change = pd.DataFrame({"instrument": ["GAD-7", "GAD-7", "PHQ-9"], "change_band": ["worse", "no change", "worse"],
                           "patients": [None, 15, 13]})
    change.attrs["suppressed"] = {"patients": frozenset({0})}
    marker = [t for t in figures.change_bars(change, load_definitions()).data if t.name == charts.HIDDEN_MARKER]
    assert len(marker) == 1 and list(marker[0].x) == ["worse"] and list(marker[0].text) == ["suppressed: GAD-7"]


def test_the_change_chart_names_the_least_baseline_the_definitions_count():
    """The chart's title said "baselines of 10 or more" whatever outcome.eligible_baseline_min was:
    a program counting from 12 read a chart that named another population than its measures."""
    from bcm_analytics.reports import outcome_figures as figures

    change = pd.DataFrame({"instrument": ["PHQ-9"], "change_band": ["worse"], "patients": [13]})
    assert "(baselines of 10 or more," in figures.change_bars(change, load_definitions()).layout.title.text
    twelve = load_definitions(overrides={"outcome": {"eligible_baseline_min": 12}})
    assert "(baselines of 12 or more," in figures.change_bars(change, twelve).layout.title.text


def test_the_caseload_of_a_month_not_over_is_dated_by_the_as_of_day(small_program):
    """As of the 15th (the default when the exports end mid-month), the headline read 'active
    caseload, end of Jun 2025' for the caseload on June 15 (the as-of date in the as-of month)."""
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    mid, whole = prepare(con, "2025-06-15"), prepare(con, "2025-06-30")
    labels = {}
    for name, run in (("mid", mid), ("whole", whole)):
        stocks, _, _ = report.stocks_and_flows(run, "2025-01", "2025-06")
        labels[name] = [(h.label, h.detail) for h in report.headlines(run, stocks, report.headline(run, "2025-01", "2025-06"))]
    con.close()
    assert labels["mid"][0][0] == "active caseload, on 2025-06-15" and labels["mid"][-1][1].endswith("on 2025-06-15")
    assert labels["whole"][0][0] == "active caseload, end of Jun 2025" and labels["whole"][-1][1].endswith("end of Jun 2025")
    assert report.month_end_words(mid, pd.Timestamp("2025-05-01")) == "end of May 2025"


def test_the_caseload_change_says_from_which_day(small_program):
    """Beside 'active caseload, on 2025-06-15' the change read '+0 since May 2025': since May 1 or
    since the end of May? It is the caseload at the end of May, as the card beside it says."""
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run = prepare(con, "2025-06-15")
    stocks, _, _ = report.stocks_and_flows(run, "2025-01", "2025-06")
    card = report.headlines(run, stocks, report.headline(run, "2025-01", "2025-06"))[0]
    con.close()
    assert card.label == "active caseload, on 2025-06-15"
    assert re.fullmatch(r"([+-][1-9][\d,]*|no change) since the end of May 2025", card.detail), card.detail
    assert formats.change_since_month_end(0, "2025-05") == "no change since the end of May 2025"
    assert formats.change_since_month_end(-1, "2025-05") == "-1 since the end of May 2025"


def test_a_cohort_cut_by_the_period_says_which_months_it_holds(small_program):
    """The internal page (Nov 2025 - Oct 2026) showed a cohort '2025-Q4' of 90 patients, the
    external (whole quarters from Oct 2025) a '2025-Q4' of 146: the first held only the patients
    enrolled in November and December. A cohort the period cuts is labelled with its months (and a
    quarter is written as the page's other quarters are, '2025 Q4')."""
    assert report.cohort_label("2025-Q4", "2025-11", "2026-10") == "2025 Q4, Nov-Dec"
    assert report.cohort_label("2025-Q4", "2025-10", "2026-09") == "2025 Q4"
    assert report.cohort_label("2026-Q4", "2025-11", "2026-10") == "2026 Q4, Oct"
    assert report.cohort_label("2025", "2025-11", "2026-10") == "2025, Nov-Dec"
    assert report.cohort_label("2025-11", "2025-11", "2026-10") == "2025-11"
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run = prepare(con)
    cut = report.cohorts(run, "2025-02", "2025-12", Privacy.packaged("internal"))
    outside = report.cohorts(run, "2025-02", "2025-12", Privacy.packaged("external"))
    con.close()
    assert cut["cohort"].iloc[0] == "2025 Q1, Feb-Mar", cut["cohort"].unique()
    assert "2025 Q2" in set(cut["cohort"]) and not any("-Q" in c for c in cut["cohort"])
    # an outside reader's cohorts are the calendar blocks the period holds whole: no part of a quarter
    assert len(outside) and not any("," in c or "-Q" in c for c in outside["cohort"]), outside["cohort"].unique()


def test_a_partial_quarter_or_year_reads_the_same_as_a_cohort_and_as_a_period():
    """The outcomes page from November 2025 wrote the same part of a quarter two ways: its cohort
    '2025 Q4 (Nov-Dec)' and, in the tables and charts rolled up by quarter, '2025 Q4, Nov-Dec' (as
    every page writes a partial period). One function writes a partial period's label for both."""
    from bcm_analytics.reports.privacy import by_period

    months = pd.DataFrame({"month": pd.date_range("2025-11-01", "2026-10-01", freq="MS"), "n": 1})
    quarters = by_period(months, "month", "quarter", ["n"]).period.tolist()
    years = by_period(months, "month", "year", ["n"]).period.tolist()
    assert report.cohort_label("2025-Q4", "2025-11", "2026-10") == quarters[0]
    assert report.cohort_label("2026-Q4", "2025-11", "2026-10") == quarters[-1]
    assert report.cohort_label("2025", "2025-11", "2026-10") == years[0]
    assert report.cohort_label("2026-Q1", "2025-11", "2026-10") == quarters[1] == "2026 Q1", "a whole quarter"


def test_the_follow_up_table_says_its_last_month_is_not_complete_as_the_chart_does(small_program, tmp_path):
    """The director's table of initial assessments followed up within 4 weeks read '0 initial
    assessments, 0 followed up' for the report's last month, three screens below the chart whose
    note says that month holds only the assessments whose 4 weeks have passed: read alone, the
    table said no one was assessed in a month of new enrolments. The table carries the note too."""
    out = render_report("caseload_outcomes", small_program, {"end_month": "2025-12"}, tmp_path / "outcomes.html")
    html = out.read_text()
    caption = "Initial assessments followed up within 4 weeks, per month of assessment</b>"
    assert html.count(caption) == 1
    after_table = html[html.index("</table>", html.index(caption)):]
    note = re.search(r"""^</table></div>\s*<p class=["']bcm-note["']>(.*?)</p>""", after_table)
    assert note, "a note right under the table"
    assert "Dec 2025 covers only the assessments up to then" in note.group(1)


# --- the words a page uses for its periods ----------------------------------------------------


@pytest.fixture(scope="module")
def caseload_pages(small_program, tmp_path_factory) -> dict[str, str]:
    """Both versions of the director's page for 2025: the external one unfiltered (its enrolments in
    calendar blocks, its follow-ups rolled up to quarters), the internal one filtered to the GAD-7."""
    folder = tmp_path_factory.mktemp("pages")
    asked = {"external": {"end_month": "2025-12", "audience": "external"},
             "internal": {"end_month": "2025-12", "audience": "internal", "instrument": "GAD-7"}}
    return {audience: render_report("caseload_outcomes", small_program, values, folder / f"{audience}.html").read_text()
            for audience, values in asked.items()}


def page_words(page: str) -> str:
    """A rendered page's words as a reader reads them: headings, notes, table titles and column
    headings, and chart titles; not the header's parameter tables, nor the cells of a table."""
    import html

    titles = [t.replace("\\u003cbr\\u003e", " ") for t in re.findall(r'"title":\{"text":"([^"]*)"', page)]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r"<div class=.bcm-meta.>.*?</table></div></div>", " ", body, flags=re.S)
    body = re.sub(r"<td\b[^>]*>.*?</td>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", " ".join([body, *titles]))))


def test_the_caseload_pages_write_one_phrase_for_each_kind_of_period(caseload_pages):
    """The external page titled its enrolments 'per calendar quarter' and, just below, its follow-ups
    'per quarter', the same calendar quarters; its follow-up table 'per quarter' under a chart 'per
    quarter of assessment'. 'The period' was the report's months in one paragraph ('baselines in the
    period', 'the report period') and an assessment period in the next ('scored in the period'),
    and the report's months were also 'this page's period'. Now a quarter is 'quarter' in every
    title and note (the header says once that an external page's are whole calendar quarters),
    the report's months are 'the report's period', and an assessment period is never 'the period'."""
    import html

    for audience, page in caseload_pages.items():
        words = page_words(page)
        period_note = re.search(r"<p class=.bcm-note bcm-period-note.>(.*?)</p>", page)
        plain = words.replace(html.unescape(period_note.group(1)), "") if period_note else words
        assert "calendar quarter" not in plain.lower(), audience
        bare = [m.group(0) for m in re.finditer(r"(\S+) periods?\b", words)
                if m.group(1).lower() not in ("assessment", "report's", "whole")]
        assert bare == [], audience
        for phrase in ("A score in each assessment period", "the report's period"):
            assert phrase in words, (audience, phrase)
        assert "Monthly trends" not in words, "a heading over charts per quarter or year"
        follow_chart = re.search(r"Initial assessments followed up within 4 weeks, (per (month|quarter|year) of assessment|"
                                 r"over the report's period)", words)
        assert follow_chart and words.count(follow_chart.group(0)) == 2, "the table is titled as its chart"
    external = page_words(caseload_pages["external"])
    assert "Enrolments and discharges per quarter" in external


def test_the_utilisation_table_says_the_pages_instrument_filter_does_not_change_it(caseload_pages):
    """A director who filtered the page to the GAD-7 read 'Patients with a contact and a PHQ-9 in the
    same period', a table that looked as if it followed the filter. Its title now says the GAD-7
    filter does not apply to it, and its note that it counts the definitions' instrument whatever
    the page's instrument filter."""
    words = page_words(caseload_pages["internal"])
    assert ("Patients with a contact and a PHQ-9 in the same assessment period (still the PHQ-9: the page's GAD-7 "
            "filter does not apply to this table)") in words
    assert "whatever the page's instrument filter" in page_words(caseload_pages["external"])


def test_the_caseload_tables_say_which_of_them_follow_the_pages_instrument_filter(caseload_pages):
    """A director who filtered the page to the GAD-7 read 'scored, last 30 days' over every score, a
    glossary 'a PHQ-9 or GAD-7 score', and the PHQ-9's mean scores beside the GAD-7's. Scored and not
    improving now count GAD-7 scores and say so; the page says that the caseload, contacts and time
    in treatment count every patient, and why. The unfiltered page keeps its words."""
    words = page_words(caseload_pages["internal"])
    for phrase in ("scored on the GAD-7, last 30 days", "scored on the GAD-7, last 60 days", "not improving on the GAD-7",
                   "scored on the GAD-7 in the last 30 days", "Filtered to the GAD-7: scored and not improving count GAD-7 "
                   "scores alone", "a patient is on the caseload, not on an instrument", "mean first GAD-7",
                   "the page's GAD-7 filter does not apply to it: time in treatment is the patient's",
                   "a GAD-7 score (the page's instrument filter"):
        assert phrase in words, phrase
    assert "scored, last 30 days" not in words and "mean first PHQ-9" not in words and "PHQ-9 or GAD-7" not in words
    unfiltered = page_words(caseload_pages["external"])
    for phrase in ("scored, last 30 days", "mean first PHQ-9", "mean first GAD-7", "a score on any instrument"):
        assert phrase in unfiltered, phrase
    assert "on the GAD-7" not in unfiltered and "Filtered to the" not in unfiltered
