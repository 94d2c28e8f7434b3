"""An oracle for complementary suppression that does not trust its linear algebra.

A reader knows every shown cell and every relation between cells (a total is the sum of its parts;
a clinic's enrolments minus its discharges is its caseload's change; the same minutes in two
tables). Written as equations over the hidden cells, a hidden cell j is worked out exactly when its
unit vector lies in the row space of the equations restricted to the hidden cells: adding e_j as a
row leaves the rank unchanged (`determined`). The checks run over many random small tables, for
the engine (suppress), for the families the reports build on it (Privacy.breakdowns, the program
overview's clinic flows and its by-clinic table, the time-allocation breakdowns), and each once
with its complementary step switched off, to show that the oracle does catch a leak.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bcm_analytics.reports import program_overview as po
from bcm_analytics.reports import suppression
from bcm_analytics.reports import time_allocation as ta
from bcm_analytics.reports.privacy import TOTAL, Privacy

EXTERNAL = Privacy.packaged("external")
TWINS = ta._twins  # the reader's knowledge of twin rows, whatever a test switches off
SEEDS = range(40)


def determined(equations: list[dict], hidden: list) -> list:
    """The hidden cells that the equations (each {cell: coefficient}, = a known number) pin down."""
    if not hidden:
        return []
    where = {c: j for j, c in enumerate(hidden)}
    rows = [[0.0] * len(hidden)]
    for eq in equations:
        row = [0.0] * len(hidden)
        for cell, coef in eq.items():
            if cell in where:  # a shown cell moves to the known side
                row[where[cell]] += coef
        rows.append(row)
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    return [c for c in hidden if np.linalg.matrix_rank(np.vstack([a, np.eye(len(hidden))[where[c]]])) == rank]


def small(value) -> bool:
    return 1 <= value <= 10


def random_count(rng) -> int:
    """0, a small count or a larger one, about equally often."""
    return int(rng.choice([0, int(rng.integers(1, 11)), int(rng.integers(11, 60))], p=[0.15, 0.45, 0.4]))


def leaks(equations, hidden, true) -> list:
    """Hidden cells holding 1-10 that the reader works out."""
    return [c for c in determined(equations, hidden) if small(true[c])]


# --- the engine: a two-way table with both margins and its grand total --------------------------


def two_way(rng) -> pd.DataFrame:
    rows_, cols_ = [f"r{i}" for i in range(rng.integers(2, 5))], [f"c{j}" for j in range(rng.integers(2, 5))]
    inner = pd.DataFrame([{"a": r, "b": c, "n": random_count(rng)} for r in rows_ for c in cols_])
    margins = [inner.groupby("a", as_index=False).n.sum().assign(b=TOTAL),
               inner.groupby("b", as_index=False).n.sum().assign(a=TOTAL),
               pd.DataFrame({"a": [TOTAL], "b": [TOTAL], "n": [inner.n.sum()]})]
    return pd.concat([inner, *margins], ignore_index=True)[["a", "b", "n"]]


def sums(frame: pd.DataFrame, group: str, other: str, col: str) -> list[dict]:
    """total - parts = 0, for each value of `other`: the parts of `group` add up to its TOTAL row."""
    out = []
    for _, part in frame.groupby(other):
        total = part.index[part[group] == TOTAL]
        if len(total):
            out.append({(total[0], col): 1.0, **{(i, col): -1.0 for i in part.index[part[group] != TOTAL]}})
    return out


def engine_leaks(rng) -> list:
    frame = two_way(rng)
    safe = suppression.suppress(frame, ["n"], ["a", "b"])
    equations = sums(frame, "a", "b", "n") + sums(frame, "b", "a", "n")
    hidden = [(i, "n") for i in safe.index[safe["n"].isna()]]
    return leaks(equations, hidden, {(i, "n"): v for i, v in frame["n"].items()})


def test_the_engine_leaves_no_hidden_count_that_the_margins_give_back():
    assert [s for s in SEEDS if engine_leaks(np.random.default_rng(s))] == []


def test_the_oracle_finds_the_leak_when_the_engine_hides_only_the_small_counts(monkeypatch):
    monkeypatch.setattr(suppression._Cells, "solve", lambda self, mine, in_scope, rels: None)
    monkeypatch.setattr(suppression._Cells, "show_derivable", lambda self, in_scope, rels: None)
    assert [s for s in SEEDS if engine_leaks(np.random.default_rng(s))] != []


# --- Privacy.breakdowns: a clinic table and a care-manager table tied by the hidden cross-tab -----


def breakdown_leaks(rng) -> list:
    clinics, cms = [f"C{i}" for i in range(rng.integers(2, 4))], [f"M{j}" for j in range(rng.integers(2, 5))]
    rows = pd.DataFrame([{"clinic": c, "cm": m, "n": random_count(rng)} for c in clinics for m in cms])
    tables = EXTERNAL.breakdowns(rows, ["clinic", "cm"], [("clinic",), ("cm",), ()], ["n"], ["n"])
    by_clinic, by_cm = tables[("clinic",)].set_index("clinic")["n"], tables[("cm",)].set_index("cm")["n"]
    grand = tables[()]["n"].iloc[0]
    cross = {(c, m): ("x", c, m) for c in clinics for m in cms}  # never shown
    equations = [{("clinic", c): 1.0, **{cross[c, m]: -1.0 for m in cms}} for c in clinics]
    equations += [{("cm", m): 1.0, **{cross[c, m]: -1.0 for c in clinics}} for m in cms]
    equations += [{("all",): 1.0, **{("clinic", c): -1.0 for c in clinics}},
                  {("all",): 1.0, **{("cm", m): -1.0 for m in cms}}]
    hidden = list(cross.values()) + [("clinic", c) for c in clinics if pd.isna(by_clinic[c])]
    hidden += [("cm", m) for m in cms if pd.isna(by_cm[m])] + ([("all",)] if pd.isna(grand) else [])
    true = {("clinic", c): rows.n[rows.clinic == c].sum() for c in clinics} | {
        ("cm", m): rows.n[rows.cm == m].sum() for m in cms} | {("all",): rows.n.sum()}
    return [c for c in leaks(equations, hidden, true | {v: 0 for v in cross.values()}) if c[0] != "x"]


def test_breakdowns_tied_by_a_cross_tab_give_back_no_hidden_count():
    assert [s for s in SEEDS if breakdown_leaks(np.random.default_rng(s))] == []


# --- the program overview: clinic flows over a period, and the by-clinic table --------------------


def overview_raw(rng) -> pd.DataFrame:
    """Three months from the program's start for 2-5 clinics (the caseload starts at 0)."""
    frames = []
    for k in range(rng.integers(2, 6)):
        enrolled = [int(rng.integers(0, 8)) if rng.random() < 0.5 else int(rng.integers(0, 25)) for _ in range(3)]
        discharged, stock = [], 0
        for e in enrolled:
            stock += e
            discharged.append(int(rng.integers(0, stock + 1)) if rng.random() < 0.7 else 0)
            stock -= discharged[-1]
        caseload = pd.Series(enrolled).cumsum() - pd.Series(discharged).cumsum()
        frames.append(pd.DataFrame({"month": pd.date_range("2026-01-01", periods=3, freq="MS"), "clinic_id": f"K{k}",
                                    "active_caseload": caseload, "new_enrolments": enrolled, "discharges": discharged,
                                    "patients_with_time": caseload, "minutes_logged": caseload * 30.0}))
    return pd.concat(frames, ignore_index=True)


def flow_leaks(rng, hide_pairs=True) -> list:
    """The clinics' flows over the period: each column adds up to the program's (which a reader
    may know from the blocks), and each clinic's enrolments minus discharges is its caseload's change."""
    raw = overview_raw(rng)
    _, flows = po.flows(raw, EXTERNAL, date(2026, 1, 1), date(2026, 3, 1))
    shown = flows["clinics"].set_index("clinic_id")
    true = raw.groupby("clinic_id")[po.FLOWS].sum()
    equations = [{("all", f): 1.0, **{(c, f): -1.0 for c in true.index}} for f in po.FLOWS]
    equations += [{(c, "new_enrolments"): 1.0, (c, "discharges"): -1.0} for c in true.index] if hide_pairs else []
    hidden = [(c, f) for c in true.index for f in po.FLOWS if pd.isna(shown.at[c, f])]
    return leaks(equations, hidden, {(c, f): true.at[c, f] for c in true.index for f in po.FLOWS})


def test_a_clinics_flows_cannot_be_worked_out_from_the_other_clinics_or_its_caseload():
    assert [s for s in SEEDS if flow_leaks(np.random.default_rng(s))] == []


def test_the_oracle_finds_the_leak_when_a_clinics_flows_are_not_hidden_together(monkeypatch):
    monkeypatch.setattr(po, "hide_pairs", lambda frame, *args, **kwargs: frame)
    assert [s for s in SEEDS if flow_leaks(np.random.default_rng(s))] != []


def by_clinic_leaks(rng) -> list:
    """The by-clinic table of a period that starts with the program: each clinic's caseload at its
    end is its enrolments less its discharges; each column adds up to the All row."""
    raw = overview_raw(rng)
    stocks, _, flows = po.stocks_and_flows(raw, EXTERNAL, date(2026, 1, 1), date(2026, 3, 1))
    table = po.by_clinic(stocks, flows, po.period_minutes(raw, EXTERNAL), {})
    cols = ["active_caseload", *po.FLOWS]
    last = raw[raw.month == raw.month.max()].set_index("clinic_id")["active_caseload"]
    sums_ = raw.groupby("clinic_id")[po.FLOWS].sum()
    true = {}
    for n, group in table["group"].items():
        for col in cols:
            if group == "All":
                true[(n, col)] = last.sum() if col == "active_caseload" else sums_[col].sum()
            else:
                true[(n, col)] = last[group] if col == "active_caseload" else sums_.at[group, col]
    total = table.index[table["group"] == "All"][0]
    parts = [n for n in table.index if n != total]
    equations = [{(total, col): 1.0, **{(n, col): -1.0 for n in parts}} for col in cols]
    equations += [{(n, "active_caseload"): 1.0, (n, "new_enrolments"): -1.0, (n, "discharges"): 1.0} for n in table.index]
    hidden = [(n, col) for n in table.index for col in cols if n in table.attrs["suppressed"].get(col, ())]
    return leaks(equations, hidden, true)


def test_the_by_clinic_table_gives_back_no_hidden_caseload_or_flow():
    assert [s for s in SEEDS if by_clinic_leaks(np.random.default_rng(s))] == []


def test_the_oracle_finds_the_leak_when_nothing_is_hidden_beside_a_hidden_caseload(monkeypatch):
    monkeypatch.setattr(po, "hide_beside", lambda frame, *args, **kwargs: frame)
    monkeypatch.setattr(po, "hide_pairs", lambda frame, *args, **kwargs: frame)
    assert [s for s in SEEDS if by_clinic_leaks(np.random.default_rng(s))] != []


# --- time allocation: the same minutes in two tables (twin rows) ----------------------------------

# activity category -> the outcome its minutes always have (twins), or None: any counted outcome
CATEGORIES = {"administrative": "administrative", "separately billed service": "separately_billed",
              "patient contact": None, "care coordination": None}


def allocation(rng) -> ta.Allocation:
    rows, patient = [], 0
    for category, outcome in CATEGORIES.items():
        for _ in range(int(rng.choice([0, rng.integers(1, 8), rng.integers(8, 25)]))):
            patient += int(rng.random() < 0.7)  # some patient-months sit in several rows
            rows.append({"patient_id": f"P{patient}", "service_month": "2026-01", "activity_category": category,
                         "outcome": outcome or str(rng.choice(["supported_code", "below_threshold", "role_not_countable"])),
                         "contact_mode": "phone", "minutes": int(rng.integers(2, 60))})
    frame = pd.DataFrame(rows).assign(month=pd.Timestamp("2026-01-01"))
    return ta.Allocation(frame, pd.DataFrame(), pd.DataFrame(), date(2026, 1, 1), date(2026, 1, 1))


def minutes_leaks(rng) -> list:
    """Minutes of a hidden row over 1-10 patient-months that the tables give back."""
    alloc = allocation(rng)
    if alloc.rows.empty:
        return []
    dims = ["outcome", "activity_category"]
    tables = ta.breakdowns(alloc, EXTERNAL, dims)
    rows = alloc.rows
    equations, hidden, months = [], [], {}
    for d in dims:
        table = tables[d].set_index(d)
        values = [v for v in table.index if v != TOTAL]
        equations.append({("all",): 1.0, **{(d, v): -1.0 for v in values}})
        hidden += [(d, v) for v in values if pd.isna(table.at[v, "minutes"])]
        months |= {(d, v): ta._patient_months(rows[rows[d] == v]) for v in values}
    for group in TWINS(rows, dims):
        (d0, v0), *rest = group
        equations += [{(d0, v0): 1.0, (d, v): -1.0} for d, v in rest]
    if all(pd.isna(tables[d].set_index(d).at[TOTAL, "minutes"]) for d in dims):  # all logged minutes
        hidden.append(("all",))
        months[("all",)] = ta._patient_months(rows)
    return leaks(equations, hidden, months)


def test_minutes_over_a_few_patient_months_cannot_be_worked_out_across_the_twin_tables():
    assert [s for s in SEEDS if minutes_leaks(np.random.default_rng(s))] == []


def test_the_oracle_finds_the_leak_when_twin_rows_are_not_hidden_together(monkeypatch):
    monkeypatch.setattr(ta, "_twins", lambda rows, dims: [])
    monkeypatch.setattr(ta, "hide_small_unions", lambda safe, *args, **kwargs: safe)
    assert [s for s in SEEDS if minutes_leaks(np.random.default_rng(s))] != []


@pytest.mark.parametrize("hidden, expected", [([0, 1], []), ([0], [0]), ([0, 2], [0, 2])])
def test_the_oracle_itself(hidden, expected):
    """a + b = T (shown) and c = 5: a hidden beside a shown b is worked out, a and b hidden together
    are not, and c is given outright."""
    equations = [{"T": 1.0, 0: -1.0, 1: -1.0}, {2: 1.0}]
    assert determined(equations, hidden) == expected
