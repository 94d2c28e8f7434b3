"""Every rendered report, opened in headless Chromium with the network off, the way a reader sees it.

Two synthetic programs, rendered exactly as `bcm demo` renders them (both audiences):
  demo   the demo's defaults: 2,000 patients over 24 months
  small  a typical small program: 150 patients over 12 months, where most monthly cells are 1-10

For every page: no console error, every chart drawn with data, no request leaving the file, no
horizontal overflow at 1024 px, tables and charts within the printed width of A4 and Letter,
plotly's mode bar without the cloud button or logo, the page <= 2 MB and titled with its
report and period. External pages: no visible count from 1 to 10, and no group of rows with
a visible total and a single hidden part. Internal pages of the small program: every monthly
chart has data in at least 80% of its months.

Needs a Chromium binary (Debian's `chromium`; .ci/run installs it). Without one the test
skips, saying so; it never downloads a browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import PRINT_WIDTH, chromium, inspect, lone_hidden_cells, monthly_coverage, small_counts

from bcm_analytics.demo import run_demo

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chromium() is None, reason="no Chromium binary on PATH (Debian: apt-get install chromium; "
                                                           ".ci/run installs it): the browser checks cannot run")]

PROGRAMS = {"demo": (2000, 24, 7), "small": (150, 12, 11)}
PAGES = ["data_quality.html", "program_overview.html", "program_overview_external.html", "billing_reconciliation.html",
         "billing_reconciliation_external.html", "caseload_outcomes.html", "caseload_outcomes_external.html",
         "time_allocation.html", "time_allocation_external.html"]
MAX_BYTES = 2 * 1024 * 1024
TITLES = {"data_quality": "Data quality", "program_overview": "Program overview",
          "billing_reconciliation": "Billing reconciliation", "caseload_outcomes": "Caseload and outcomes",
          "time_allocation": "Where the care team's time goes"}
TIMEZONE = "America/New_York"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Each program generated, loaded and rendered by `bcm demo`'s steps; the reports folder of each."""
    folders = {}
    for name, (patients, months, seed) in PROGRAMS.items():
        root = tmp_path_factory.mktemp(name)
        run_demo(root / "store.duckdb", root / "reports", root / "data", patients=patients, months=months, seed=seed,
                 timezone=TIMEZONE)
        folders[name] = root / "reports"
    return folders


@pytest.fixture(scope="module")
def probes(rendered, tmp_path_factory) -> dict:
    """(program, page) -> (screen probe, print probe)."""
    work = tmp_path_factory.mktemp("chromium")
    return {(program, page): (inspect(folder / page, work), inspect(folder / page, work, print_pass=True))
            for program, folder in rendered.items() for page in PAGES}


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_offline_without_errors_and_fits(rendered, probes, program, page):
    screen, printed = probes[(program, page)]
    path = rendered[program] / page
    assert path.stat().st_size <= MAX_BYTES, f"{page}: {path.stat().st_size:,} bytes"
    assert screen["errors"] == []
    assert screen["requests"] == [] and screen["remote"] == [], "nothing may load from outside the file"
    title = screen["title"]
    assert title.startswith(TITLES[page.removesuffix(".html").removesuffix("_external")] + ", "), title
    assert (" - " in title) or page == "data_quality.html", "the title names the period"
    assert screen["viewport"] == 1024 and screen["page_width"] <= 1024, "horizontal overflow at 1024 px"
    assert printed["page_width"] <= PRINT_WIDTH, "the printed page is wider than A4"
    assert [t["id"] for t in printed["tables"] if t["right"] > PRINT_WIDTH + 0.5] == [], "tables cut when printed"
    assert [c["title"] for c in printed["charts"] if c["right"] > PRINT_WIDTH + 0.5] == [], "charts cut when printed"


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("page", PAGES)
def test_every_chart_is_drawn_with_data_and_no_cloud_button(probes, program, page):
    screen, _ = probes[(program, page)]
    assert screen["charts"], "every report has charts"
    for chart in screen["charts"]:
        data = [y for t in chart["traces"] if t["meta"] != "hidden" for y in (t["y"] + t["x"]) if y is not None]
        assert data, f"{chart['title']!r} has no data"
        assert chart["modebar"], "the mode bar is built"
        assert not [b for b in chart["modebar"] if "Share" in str(b) or "Chart Studio" in str(b)], chart["modebar"]
        assert chart["logo"] == 0


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("page", [p for p in PAGES if p.endswith("_external.html")])
def test_external_pages_show_no_small_count_and_no_lone_hidden_cell(probes, program, page):
    screen, _ = probes[(program, page)]
    assert screen["audience"] == "external"
    assert small_counts(screen) == []
    assert lone_hidden_cells(screen) == []
    hides = any(cell["hidden"] for t in screen["tables"] for r in t["rows"] for cell in r["cells"]) or any(
        t["meta"] == "hidden" for c in screen["charts"] for t in c["traces"])
    assert hides or program == "demo", "a small program's external page hides something"


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("_external.html") and p != "data_quality.html"])
def test_internal_monthly_charts_of_a_small_program_have_data_most_months(probes, page):
    screen, _ = probes[("small", page)]
    assert screen["audience"] == "internal"
    coverage = {c["title"]: monthly_coverage(c) for c in screen["charts"]}
    monthly = {title: share for title, share in coverage.items() if share is not None}
    assert monthly, "the page has monthly charts"
    assert {title: share for title, share in monthly.items() if share < 0.8} == {}


def test_the_checks_catch_what_they_look_for():
    """The scanners on hand-made probe results: a small count, a lone hidden cell, a sparse month."""
    cell = lambda text, kind="count", hidden=False: {"kind": kind, "hidden": hidden, "text": text}  # noqa: E731
    table = {"id": "t", "rows": [{"group": "", "total": False, "cells": [cell("A", "text"), cell("*", hidden=True)]},
                                 {"group": "", "total": False, "cells": [cell("B", "text"), cell("40")]},
                                 {"group": "", "total": True, "cells": [cell("All", "text"), cell("47")]}]}
    found = {"tables": [table], "cards": [{"kind": "count", "text": "7"}],
             "charts": [{"title": "c", "traces": [{"name": "n", "meta": "count", "x": ["2025-01-01"], "y": [3]}]}]}
    assert len(small_counts(found)) == 2 and len(lone_hidden_cells(found)) == 1
    sparse = {"traces": [{"meta": "count", "x": ["2025-01-01", "2025-02-01", "2025-03-01"], "y": [20, None, None]}]}
    assert monthly_coverage(sparse) == pytest.approx(1 / 3)


def test_a_wide_screen_shows_every_column_of_the_widest_tables(tmp_path):
    """The page widens to 1360 px so that a wide table shows every column (report.css), yet on a
    1366 px laptop the billing page's five largest actions hid 'dollars at stake', the one column
    finance reads them for, and the caseload page's 6-month outcomes by group hid 'remission, of
    measured', both behind the table's scroll bar: a meaning, a clinic name and a payer's codes
    each took up to 42 characters on one line, and 'not yet measurable' held six rate columns at
    its width. The two tables as the pages fill them (the longest texts of the demo program)."""
    from importlib import resources

    import pandas as pd

    from bcm_analytics.reports.charts import table_html

    actions = pd.DataFrame({
        "rank": ["row 2", "row 6"], "finding_label": ["wrong code", "wrong billing NPI"],
        "meaning": ["code wrong for the month type, the episode or the period",
                    "billed under an NPI other than the treating practitioner's"],
        "service_month": pd.to_datetime(["2025-05-01", "2026-03-01"]),
        "clinic": ["Timberline Community Health Center", "Westfield Rural Health Clinic"],
        "codes": ["expected 99493; billed 99484 + 99493", "expected 99493; billed 99493"],
        "amount_at_stake": [153.19, 144.96]})
    rates = ["pct_response", "pct_remission", "pct_response_of_measured", "pct_remission_of_measured"]
    six = pd.DataFrame({"dimension": ["race", "race"], "stratum": ["Native Hawaiian or Other Pacific Islander", "White"],
                        "instrument": ["GAD-7", "PHQ-9"], "denominator": [0, 16], "measured": [0, 9],
                        **{rate: [None, 0.125] for rate in rates}})
    six.attrs["pending"] = {c: [0] for c in ["denominator", "measured", *rates]}
    css = resources.files("bcm_analytics.reports").joinpath("assets", "report.css").read_text(encoding="utf-8")
    page = tmp_path / "tables.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head><body><main class='bcm-page'>"
                    + table_html(actions, "The five largest actions by dollars at stake", list(actions.columns))
                    + table_html(six, "6-month outcomes by group", list(six.columns))
                    + "</main></body></html>", encoding="utf-8")
    screen = inspect(page, tmp_path, width=1366)
    assert len(screen["tables"]) == 2
    assert [t["id"] for t in screen["tables"] if t["right"] > t["wrap_right"] + 0.5] == [], "a column behind the scroll bar"


@pytest.fixture(scope="module")
def laptop_probes(rendered, tmp_path_factory) -> dict:
    """(program, page) -> the screen probe on a 1366 px laptop, where the page is at its widest (1360 px)."""
    work = tmp_path_factory.mktemp("chromium-1366")
    return {(program, page): inspect(folder / page, work, width=1366) for program, folder in rendered.items() for page in PAGES}


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("page", PAGES)
def test_a_1366_px_laptop_shows_every_column_of_every_table(laptop_probes, program, page):
    """On a 1366 px laptop the time-allocation page's per staff member and month table ran to
    2,400 px: eighteen columns (a minutes column for each of the eleven reasons minutes did not
    count, most of them 0) put everything after the share supporting a code behind the table's
    scroll bar, and a director scrolled sideways through 260 rows to read where a care
    manager's minutes went. Every table of every page, as rendered, shows all its columns."""
    screen = laptop_probes[(program, page)]
    assert screen["viewport"] == 1366
    assert [t["id"] for t in screen["tables"] if t["right"] > t["wrap_right"] + 0.5] == [], "a column behind the scroll bar"


MONTH_ROW = r"[A-Z][a-z]{2} \d{4}"  # 'Nov 2024'
ROW_WORDS = {"month": {"month"}, "quarter": {"quarter"}}  # what a first column of months (quarters) may be headed


def first_columns(page: str) -> list[tuple[str, list[str]]]:
    """(heading, body cells but the total rows') of the first column of every table of a page."""
    import re

    out = []
    for head, body in re.findall(r"<table class=.bcm.[^>]*><thead><tr>(.*?)</tr></thead><tbody>(.*?)</tbody>", page, re.S):
        heading = re.sub(r"<[^>]+>", "", re.findall(r"<th[^>]*>(.*?)</th>", head)[0]).strip()
        rows = [r for r in re.findall(r"<tr([^>]*)>(.*?)</tr>", body) if "data-total" not in r[0]]
        cells = [re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", r[1])[0]).strip() for r in rows]
        out.append((heading, cells))
    return out


def test_a_table_of_months_is_headed_month_on_every_page(rendered):
    """The same rows read 'period' on one table and 'month' on the next: the reconciliation page's
    per-month, dollars-at-stake and reconciled tables, the time-allocation page's per-month table and
    the caseload page's enrolments and follow-ups headed their months 'period', the caseload table
    'month'. Every table whose rows are months (quarters) is headed 'month' ('quarter'), internal
    and external, on both programs."""
    import re

    seen: dict[str, set] = {"month": set(), "quarter": set()}
    for folder in rendered.values():
        for page in PAGES:
            for heading, cells in first_columns((folder / page).read_text(encoding="utf-8")):
                if cells and all(re.fullmatch(MONTH_ROW, c) for c in cells):
                    seen["month"].add(heading)
                elif cells and all(re.fullmatch(r"\d{4} Q[1-4](, .*| - \d{4} Q[1-4])?", c) for c in cells):
                    seen["quarter"].add(heading)
    assert seen["month"], "the pages have tables of months"
    assert {rows: headings for rows, headings in seen.items() if not headings <= ROW_WORDS[rows]} == {}
