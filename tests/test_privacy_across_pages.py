"""A reader holding two external pages, the caseload report and the program overview, each
rendered with its default period, must not be able to subtract one page's enrolments or
discharges from the other's and get a count of 1-10.

The program, Nov 2024 - Oct 2026 (as of 2026-10-31), per month:

    enrolments   7 every month
    discharges   0 in Nov-Dec 2024, 3 every month of 2025, 5 every month of 2026

Before: the caseload report covered Nov 2025 - Oct 2026 and, its first two months holding 6
discharges, rolled up to the whole period (56); the overview covered Nov 2024 - Oct 2026 by
calendar year, showing 2026 Jan-Oct (50): 56 - 50 = 6 discharges in Nov-Dec 2025.
Now both pages cover whole calendar quarters (2025 Q4 - 2026 Q3 and 2024 Q4 - 2026 Q3) and
show the same blocks: a quarter with 1-10 (each quarter of 2025 discharges 9) joined with the next.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv
from html_tables import Tables, small_counts_in

from bcm_analytics.config.definitions import load_definitions
from bcm_analytics.ingest import load_file
from bcm_analytics.models import refresh
from bcm_analytics.reports import formats
from bcm_analytics.reports.runner import render_report
from bcm_analytics.warehouse import connect

pytestmark = pytest.mark.slow

MONTHS = pd.period_range("2024-11", "2026-10", freq="M")
ENROLMENTS = {m: 7 for m in MONTHS}
DISCHARGES = {m: 0 if m.year == 2024 else 3 if m.year == 2025 else 5 for m in MONTHS}
FLOWS = {"new enrolments": ENROLMENTS, "discharges": DISCHARGES}
CARD = r"class=.bcm-value[^>]*>([\d,]+)</div><div class=.bcm-label.>(new enrolments|discharges), whole period<"


def patients() -> list[dict]:
    """7 patients enrolled on the 10th of every month; the month's discharges, on the 20th, are the
    longest enrolled (two clinics, alternating)."""
    rows, waiting = [], []
    for month in MONTHS:
        for _ in range(ENROLMENTS[month]):
            rows.append({"patient_id": f"P{len(rows):04d}", "clinic_id": f"C{len(rows) % 2 + 1}", "payer": "Medicare",
                         "enrollment_date": f"{month}-10", "discharge_date": ""})
            waiting.append(rows[-1])
        for _ in range(DISCHARGES[month]):
            waiting.pop(0)["discharge_date"] = f"{month}-20"
    return rows


@pytest.fixture
def program(store, load_rows, tmp_path):
    load_rows("clinics", [{"clinic_id": c, "clinic_name": c, "setting": "physician_practice", "timezone": ""}
                          for c in ("C1", "C2")])
    load_rows("patients", patients())
    # time logged in the first and the last month: the overview's default period, and the as-of date
    load_rows("time_logs", [{"entry_id": f"T{n}", "patient_id": "P0000", "staff_role": "bhcm", "service_date": day,
                             "minutes": "20", "activity_type": "follow_up_contact"}
                            for n, day in enumerate(["2024-11-12", "2026-10-31"])])
    refresh(store)
    store.close()
    return tmp_path / "test.duckdb"


# --- what the reader sees ----------------------------------------------------------------------

def months_of(label: str, page: tuple[pd.Period, pd.Period]) -> list[pd.Period]:
    """The months a period label covers, within the page's period: 'Oct 2026', '2025 Q4',
    '2025 Q4, Nov-Dec', '2025', '2026, Jan-Oct', 'Nov 2025 - Oct 2026', '2025 Q1 - 2025 Q2'."""
    def span(text):
        text = text.strip()
        if re.fullmatch(r"\d{4} Q\d", text):
            quarter = pd.Period(text.replace(" ", ""), freq="Q")
            return quarter.asfreq("M", "start"), quarter.asfreq("M", "end")
        if re.fullmatch(r"\d{4}", text):
            return pd.Period(f"{text}-01", "M"), pd.Period(f"{text}-12", "M")
        month = pd.Period(pd.Timestamp(text), "M")
        return month, month
    head, _, months = label.partition(", ")
    parts = head.split(" - ")
    first, last = span(parts[0])[0], span(parts[-1])[1]
    if months:  # a partial quarter or year: its months named
        year = first.year
        lo, _, hi = months.partition("-")
        first, last = pd.Period(pd.Timestamp(f"{lo} {year}"), "M"), pd.Period(pd.Timestamp(f"{hi or lo} {year}"), "M")
    return [m for m in pd.period_range(max(first, page[0]), min(last, page[1]), freq="M")]


def page_period(html: str) -> tuple[pd.Period, pd.Period]:
    text = re.search(r"class=.bcm-period.>([A-Z][a-z]{2} \d{4}) - ([A-Z][a-z]{2} \d{4})", html).groups()
    return pd.Period(pd.Timestamp(text[0]), "M"), pd.Period(pd.Timestamp(text[1]), "M")


def chart(html: str, title: str) -> dict[str, list]:
    """The traces of the chart whose title starts with `title`: name -> [(x, y)], NaN where suppressed."""
    def values(v):
        return np.frombuffer(base64.b64decode(v["bdata"]), v["dtype"]).tolist() if isinstance(v, dict) else v

    read = json.JSONDecoder().raw_decode
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, end = read(html, call.end())
        layout, _ = read(html, re.compile(r",\s*").match(html, end).end())
        if layout.get("title", {}).get("text", "").startswith(title):
            return {t["name"]: list(zip(values(t["x"]), values(t["y"]))) for t in data}
    raise AssertionError(f"no chart {title!r}")


def tables(html: str) -> list[tuple[str, list[list[str]]]]:
    """Every table of the page, (title, rows of cells)."""
    parser = Tables()
    parser.feed(html.replace("</tr>", "</tr><td>\x00</td>"))
    out = []
    for title, cells in parser.tables:
        rows, row = [], []
        for cell in cells:
            if cell == "\x00":
                rows.append(row) if row else None
                row = []
            else:
                row.append(cell)
        out.append((title, rows))
    return out


def published_flows(html: str) -> list[tuple[str, list[pd.Period], int]]:
    """(flow, months, value) for every enrolment and discharge figure the page shows: its chart of
    them, its table of them, its whole-period headline cards and its by-clinic table's All row."""
    page = page_period(html)
    found = []
    for name, points in chart(html, "Enrolments and discharges per").items():
        if name in FLOWS:
            found += [(name, months_of(str(x), page), int(y)) for x, y in points if not np.isnan(y)]
    periods = ("period", *formats.PERIOD_WORDS)  # a period table is headed by its rows: month, quarter, year
    for _, rows in tables(html):
        header = rows[0] if rows else []
        for name in FLOWS:
            if name in header and header[0] in (*periods, "clinic"):
                for row in rows[1:]:
                    value = row[header.index(name)].replace(",", "")
                    if value.isdigit() and (header[0] in periods or row[0] == "All"):
                        found.append((name, page_months(page) if header[0] == "clinic" else months_of(row[0], page),
                                      int(value)))
    for value, name in re.findall(CARD, html):
        found.append((name, page_months(page), int(value.replace(",", ""))))
    return found


def page_months(page) -> list[pd.Period]:
    return list(pd.period_range(page[0], page[1], freq="M"))


def caseload_line(html: str) -> list[tuple[pd.Period, int]]:
    """(month, active caseload at its end) for every month-end caseload the page's table shows."""
    rows = next(rows for title, rows in tables(html) if title == "Caseload per month")
    column = rows[0].index("active caseload")
    return [(pd.Period(pd.Timestamp(row[0]), "M"), int(row[column].replace(",", ""))) for row in rows[1:]
            if row[column].replace(",", "").isdigit()]


def counted_as_enrolments(html: str) -> list[tuple[str, list[pd.Period], int]]:
    """The page's other counts of the patients enrolled in a span of months, as a reader of this
    program can take them (every patient is scored at enrolment, an eligible baseline and an initial
    assessment that day): its enrolment cohorts' patients and its initial assessments per period."""
    page, found = page_period(html), []
    for title, rows in tables(html):
        if title.startswith("Cohorts at"):
            cohort, patients = rows[0].index("enrolment cohort"), rows[0].index("patients")
            found += [("new enrolments", months_of(row[cohort], page), int(row[patients])) for row in rows[1:]
                      if row[patients].isdigit()]
        if title.startswith("Initial assessments followed up"):
            assessed = rows[0].index("initial assessments")
            found += [("new enrolments", months_of(row[0], page), int(row[assessed])) for row in rows[1:]
                      if row[assessed].isdigit()]
    return found


def small_counts_a_reader_can_work_out(figures, threshold=None, stocks=()) -> list[tuple[str, str, str, int]]:
    """Every run of months whose enrolments or discharges the figures pin down (exact linear
    algebra over all of them, a published 0 meaning 0 in each of its months) and that is in the
    threshold (the packaged definitions' 1-10 when None). `stocks`: (month, active caseload at its
    end), each the enrolments less the discharges of every month up to it."""
    threshold = threshold or load_definitions().threshold
    months = pd.period_range(MONTHS[0] - 3, MONTHS[-1], freq="M")  # a page may start before the program
    index, n = {m: i for i, m in enumerate(months)}, len(months)
    offset = {name: k * n for k, name in enumerate(FLOWS)}
    equations = []
    for name, covered, value in figures:
        equations.append(np.isin(np.arange(2 * n), [offset[name] + index[m] for m in covered]).astype(float))
        if value == 0:
            equations += [np.eye(2 * n)[offset[name] + index[m]] for m in covered]
    for month, _ in stocks:
        up_to = (np.arange(n) <= index[month]).astype(float)
        equations.append(np.concatenate([up_to, -up_to]))
    known = np.array(equations) if equations else np.zeros((0, 2 * n))
    rank = np.linalg.matrix_rank(known) if len(known) else 0
    leaks = []
    for name in FLOWS:
        for a in range(n):
            for b in range(a, n):
                run = np.zeros(2 * n)
                run[offset[name] + a:offset[name] + b + 1] = 1
                if np.linalg.matrix_rank(np.vstack([known, run])) == rank:
                    value = sum(FLOWS[name].get(m, 0) for m in months[a:b + 1])
                    if threshold[0] <= value <= threshold[1]:
                        leaks.append((name, str(months[a]), str(months[b]), value))
    return leaks


# --- the case ----------------------------------------------------------------------------------

def test_a_quarter_of_1_to_10_discharges_cannot_be_worked_out_from_two_pages(program, tmp_path):
    def discharged(first, last):
        return sum(DISCHARGES[m] for m in pd.period_range(first, last, freq="M"))
    assert discharged("2025-11", "2026-10") - discharged("2026-01", "2026-10") == discharged("2025-11", "2025-12") == 6
    pages = {name: render_report(name, program, {"audience": "external"}, tmp_path / f"{name}.html").read_text()
             for name in ("caseload_outcomes", "program_overview")}
    figures = {name: published_flows(html) for name, html in pages.items()}
    assert all(figures.values()), "both pages show enrolments and discharges"
    for name in pages:  # each page alone was always safe
        assert small_counts_a_reader_can_work_out(figures[name]) == [], name
    assert small_counts_a_reader_can_work_out(figures["caseload_outcomes"] + figures["program_overview"]) == [], \
        "one page's figure minus the other's gives a count of 1-10"
    # the pages line up: whole calendar quarters, and every figure both show is the same
    assert "Oct 2025 - Sep 2026" in pages["caseload_outcomes"] and "Oct 2024 - Sep 2026" in pages["program_overview"]
    both = {(n, tuple(m)): v for n, m, v in figures["caseload_outcomes"]}
    assert all(both.get((n, tuple(m)), v) == v for n, m, v in figures["program_overview"])
    assert ("discharges", list(pd.period_range("2026-01", "2026-03", freq="M")), 15) in figures["caseload_outcomes"]



def test_a_stricter_threshold_of_the_stores_definitions_holds_on_every_external_page(program, tmp_path):
    """A program whose definitions hide counts of 1-15 (suppression.threshold, made the store's own
    by `bcm build --definitions`) had them hidden on the caseload page only: the overview, under a
    fixed 1-10, published each 2026 quarter's 15 discharges and said "Counts from 1 to 10". Every
    page now applies the store's rule, and says which."""
    definitions = tmp_path / "stricter.yaml"
    definitions.write_text("version: strict-1\nsuppression: {threshold: [1, 15]}\n")
    con = connect(program)
    refresh(con, definitions=definitions)
    con.close()
    pages = {name: render_report(name, program, {"audience": "external"}, tmp_path / f"{name}.html").read_text()
             for name in ("caseload_outcomes", "program_overview", "billing_reconciliation", "time_allocation")}
    for name, html in pages.items():
        assert "Counts from 1 to 15" in html and "Counts from 1 to 10" not in html, name
        words = re.sub(r"<script.*?</script>", "", html, flags=re.S)
        assert not re.search(r"\b1-10\b|\b1 to 10\b|fewer than 11", words), \
            f"{name} names the default range: {re.findall(r'.{80}(?:1-10|1 to 10|fewer than 11).{20}', words)}"
        assert small_counts_in(html, (1, 15)) == [], name
    figures = [published_flows(pages[name]) for name in ("caseload_outcomes", "program_overview")]
    assert all(figures)
    assert small_counts_a_reader_can_work_out(figures[0] + figures[1], (1, 15)) == []



@pytest.fixture
def scored_program(program, tmp_path):
    """The program, each patient scored 15 on the PHQ-9 on the day of enrolment."""
    rows = [{"assessment_id": f"A{p['patient_id']}", "patient_id": p["patient_id"], "instrument": "PHQ-9",
             "administered_on": p["enrollment_date"], "total_score": 15} for p in patients()]
    con = connect(program)
    load_file(con, write_csv(tmp_path / "exports" / "assessments.csv", rows))
    refresh(con)
    con.close()
    return program


def test_the_caseload_line_beside_cohorts_and_initial_assessments_gives_no_discharges_away(scored_program, tmp_path):
    """A patient scored at enrolment is in their quarter's enrolment cohort and its initial
    assessments. On a page of 2025, whose enrolments and discharges come in two blocks (each
    quarter discharges 9: 2025 Q1 - Q2 and 2025 Q3 - Q4), those tables counted each quarter's
    enrolments (21), and the caseload at the quarter's ends gave its discharges back (end of March
    and end of June: 2025 Q2's 9). An external page now counts its cohorts and initial assessments
    in the same calendar blocks."""
    html = render_report("caseload_outcomes", scored_program, {"audience": "external", "start_month": "2025-01",
                                                               "end_month": "2025-12"}, tmp_path / "page.html").read_text()
    counted = counted_as_enrolments(html)
    assert small_counts_a_reader_can_work_out(published_flows(html) + counted, stocks=caseload_line(html)) == []
    # what the page still shows: its caseload at every month end, its cohorts and initial assessments per block
    assert len(caseload_line(html)) == 12
    halves = [list(pd.period_range(first, periods=6, freq="M")) for first in ("2025-01", "2025-07")]
    assert sorted({(tuple(months), value) for _, months, value in counted}) == [(tuple(halves[0]), 42),
                                                                              (tuple(halves[1]), 42)]
