"""The director's report on a small synthetic program: its external version renders, and no
table shows a count 1-10.

Report tables print counts as bare integers and everything else with a %, a decimal point or
words (reports.formats), so any bare integer 1-10 in a rendered table is a leak.
"""

from __future__ import annotations

import re

import pytest
from html_tables import BARE_COUNT, small_counts_in

from bcm_analytics.ingest.loader import discover, load_paths
from bcm_analytics.outcomes import prepare
from bcm_analytics.reports import caseload_outcomes as report
from bcm_analytics.reports import formats
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


@pytest.mark.parametrize("filters", [{}, {"clinics": ["CL001"]}, {"payer": "Medicare"}], ids=["all", "clinic", "payer"])
def test_no_report_table_shows_a_count_1_to_10(small_program, filters):
    from bcm_analytics.warehouse import connect

    con = connect(small_program, read_only=True)
    run = prepare(con, **filters)
    tables = [report.headline(run), report.strata(run), report.caseload(run), report.cohorts(run), report.change(run),
              report.contact_modes(run), report.flows(run)[1], report.follow_ups(run)[1]]
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
    assert not re.search(r"\bP\d{7}\b", html), "no patient ids in the director's report"
