"""Small-cell suppression: no count 1-10 is shown or derivable.

The checks here do not trust the module's own linear algebra: `reader_can_derive` plays the
reader, enumerating every table of non-negative counts consistent with what is shown (the
total row, row totals, percentages) and reporting each hidden count that comes out the same,
1-10, in all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcm_analytics.reports.suppression import suppress


def shown_counts(frame: pd.DataFrame, cols) -> list[int]:
    return [int(v) for c in cols for v in frame[c].dropna()]


def test_counts_1_to_10_are_hidden_and_0_is_shown():
    """
    clinic  n           clinic  n
    A       0     ->    A       0
    B       1           B       *
    C      10           C       *
    D      11           D      11
    E      40           E      40
    (no group column: each row is its own table, nothing adds up)
    """
    frame = pd.DataFrame({"clinic": list("ABCDE"), "n": [0, 1, 10, 11, 40]})
    out = suppress(frame, ["n"])
    assert out["n"].tolist()[0] == 0 and out["n"].isna().tolist() == [False, True, True, False, False]
    assert out.attrs["suppressed"] == {"n": frozenset({1, 2})}


def test_one_small_stratum_takes_a_second_one_with_it():
    """
    clinic  n             clinic  n
    A      50             A       *     50 = 55 - 5 would reveal B
    B       5     ->      B       *
    All    55             All    55
    """
    frame = pd.DataFrame({"clinic": ["A", "B", "All"], "n": [50, 5, 55]})
    out = suppress(frame, ["n"], ["clinic"])
    assert out["n"].isna().tolist() == [True, True, False]


def test_the_smallest_other_stratum_is_the_complement():
    frame = pd.DataFrame({"clinic": ["A", "B", "C", "All"], "n": [50, 30, 4, 84]})
    out = suppress(frame, ["n"], ["clinic"])
    assert out["n"].isna().tolist() == [False, True, True, False]


def test_hidden_strata_must_not_add_up_to_a_small_count():
    """B=3 and C=4 hidden still tell the reader that B and C together have 7 patients."""
    frame = pd.DataFrame({"clinic": ["A", "B", "C", "D", "All"], "n": [50, 3, 4, 30, 87]})
    out = suppress(frame, ["n"], ["clinic"])
    hidden = frame["n"][out["n"].isna()]
    assert hidden.sum() > 10 and out["n"].iloc[-1] == 87


def test_margin_not_in_the_table_is_assumed_known():
    """Without an All row the total over clinics may be published elsewhere: still protected."""
    frame = pd.DataFrame({"clinic": ["A", "B", "C"], "n": [50, 30, 4]})
    out = suppress(frame, ["n"], ["clinic"])
    assert out["n"].isna().sum() == 2


def test_a_rate_hides_its_numerator_when_the_rest_is_small():
    """40 eligible, 38 met: the 2 who did not meet are a count too."""
    frame = pd.DataFrame({"measure": ["remission"], "eligible": [40], "met": [38], "pct": [0.95]})
    out = suppress(frame, ["eligible", "met"], rates={"pct": ("met", "eligible")})
    assert out["eligible"].iloc[0] == 40
    assert pd.isna(out["met"].iloc[0]) and pd.isna(out["pct"].iloc[0])


def test_a_percentage_of_a_suppressed_count_is_hidden():
    frame = pd.DataFrame({"g": ["x"], "den": [8], "num": [0], "pct": [0.0], "mean_score": [12.5]})
    out = suppress(frame, ["den", "num"], rates={"pct": ("num", "den")}, hide_with={"mean_score": ["den"]})
    assert pd.isna(out["den"].iloc[0]) and pd.isna(out["pct"].iloc[0]) and pd.isna(out["mean_score"].iloc[0])


def test_row_totals_are_protected():
    """total = phone + video: hiding video alone would leave it as total - phone."""
    frame = pd.DataFrame({"month": ["2025-01"], "phone": [30], "video": [3], "total": [33]})
    out = suppress(frame, ["phone", "video", "total"], totals={"total": ["phone", "video"]})
    assert out[["phone", "video"]].isna().all(axis=1).iloc[0] and out["total"].iloc[0] == 33


def test_two_way_table_with_margins_in_neither_direction():
    months, clinics = ["m1", "m2", "m3"], ["A", "B", "C"]
    values = [[20, 5, 30], [25, 40, 35], [50, 15, 2]]
    frame = pd.DataFrame([(m, c, values[i][j]) for i, m in enumerate(months) for j, c in enumerate(clinics)],
                         columns=["month", "clinic", "n"])
    out = suppress(frame, ["n"], ["month", "clinic"])
    grid = out.pivot(index="month", columns="clinic", values="n")
    # every row and column with a hidden cell has at least two
    assert ((grid.isna().sum(axis=0) != 1).all()) and ((grid.isna().sum(axis=1) != 1).all())
    assert not set(shown_counts(out, ["n"])) & set(range(1, 11))


def test_rows_keyed_by_another_column_are_separate_tables():
    frame = pd.DataFrame({"month": ["m1", "m1", "m2", "m2"], "clinic": ["A", "B", "A", "B"], "n": [40, 30, 40, 3]})
    out = suppress(frame, ["n"], ["clinic"])
    assert out["n"].isna().tolist() == [False, False, True, True]


def test_undeclared_numeric_columns_are_refused():
    frame = pd.DataFrame({"g": ["a"], "n": [5], "mean_score": [3.5]})
    with pytest.raises(ValueError, match="declare"):
        suppress(frame, ["n"])
    with pytest.raises(ValueError, match="sum"):
        suppress(pd.DataFrame({"a": [1], "b": [2], "t": [4]}), ["a", "b", "t"], totals={"t": ["a", "b"]})


# --- the reader -------------------------------------------------------------------------------


def reader_can_derive(shown: pd.DataFrame, strata: list[str], limit: int = 60) -> list[str]:
    """Counts 1-10 a reader can pin down from a shown table of strata + an All row.

    Columns den and met (pct is hidden with them). Each hidden cell may be 0..limit; a table is
    consistent when each column's strata add up to its All row and met <= den in every row.
    Returns the hidden cells and remainders (den - met) that take one value 1-10 in every
    consistent table.
    """
    rows = strata + ["All"]
    by_row = shown.set_index("g")

    def column_options(col: str) -> np.ndarray:
        values = [by_row.loc[r, col] for r in rows]
        axes = [np.arange(limit + 1) if pd.isna(v) else np.array([int(v)]) for v in values[:-1]]
        grid = np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(strata), -1).T
        total = grid.sum(axis=1)
        keep = np.ones(len(grid), bool) if pd.isna(values[-1]) else total == int(values[-1])
        return np.column_stack([grid, total])[keep]

    den, met = column_options("den"), column_options("met")
    ok = (met[None, :, :] <= den[:, None, :]).all(axis=2)
    i, j = np.nonzero(ok)
    den, met = den[i], met[j]
    leaks = []
    for k, r in enumerate(rows):
        for name, values in (("den", den[:, k]), ("met", met[:, k]), ("rest", den[:, k] - met[:, k])):
            hidden = name == "rest" or pd.isna(by_row.loc[r, name])
            if hidden and len(set(values.tolist())) == 1 and 1 <= values[0] <= 10:
                leaks.append(f"{r}.{name}={values[0]}")
    return leaks


def stratified(den: list[int], met: list[int]) -> pd.DataFrame:
    strata = [f"s{i}" for i in range(len(den))]
    frame = pd.DataFrame({"g": strata + ["All"], "den": den + [sum(den)], "met": met + [sum(met)]})
    frame["pct"] = frame["met"] / frame["den"].where(frame["den"] > 0)
    return frame


def test_reader_finds_nothing_in_a_worked_example():
    frame = stratified([40, 6, 25], [12, 2, 24])
    out = suppress(frame, ["den", "met"], ["g"], rates={"pct": ("met", "den")})
    assert not set(shown_counts(out, ["den", "met"])) & set(range(1, 11))
    assert reader_can_derive(out, ["s0", "s1", "s2"]) == []
    # and the reader would have found the leaks without complementary suppression
    naive = frame.assign(den=frame["den"].where(~frame["den"].between(1, 10)),
                         met=frame["met"].where(~frame["met"].between(1, 10)))
    assert reader_can_derive(naive, ["s0", "s1", "s2"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), min_size=2, max_size=2))
def test_reader_finds_nothing_in_random_tables(pairs):
    den = [max(a, b) for a, b in pairs]
    met = [min(a, b) for a, b in pairs]
    out = suppress(stratified(den, met), ["den", "met"], ["g"], rates={"pct": ("met", "den")})
    assert not set(shown_counts(out, ["den", "met"])) & set(range(1, 11))
    assert reader_can_derive(out, ["s0", "s1"], limit=50) == []


def test_clinic_and_care_manager_tables_are_suppressed_together():
    """Care manager X works only at clinic A, so A - X reveals Y's 3 patients at A.

    detail (hidden)     clinic table      care-manager table
    A X 30              A  33             X 30
    A Y  3              B  65             Y 43
    B Y 40              All 98            Z 25
    B Z 25
    """
    detail = [("A", "X", 30), ("A", "Y", 3), ("B", "Y", 40), ("B", "Z", 25)]
    rows = detail + [("A", "All", 33), ("B", "All", 65), ("All", "X", 30), ("All", "Y", 43), ("All", "Z", 25),
                     ("All", "All", 98)]
    frame = pd.DataFrame(rows, columns=["clinic", "cm", "n"])
    out = suppress(frame, ["n"], ["clinic", "cm"], hidden_rows=frame.index < len(detail))
    shown = {(c, m): v for c, m, v in out[len(detail):].itertuples(index=False)}
    # the reader: every split of the detail consistent with the shown margins
    ax, ay, by, bz = np.meshgrid(*[np.arange(66, dtype=np.int16)] * 4, indexing="ij")
    t = {("A", "All"): ax + ay, ("B", "All"): by + bz, ("All", "X"): ax, ("All", "Y"): ay + by,
         ("All", "Z"): bz, ("All", "All"): ax + ay + by + bz}
    ok = np.ones(ax.shape, bool)
    for k, v in shown.items():
        if not pd.isna(v):
            ok &= t[k] == v
    consistent = [tuple(int(x) for x in c) for c in zip(ax[ok], ay[ok], by[ok], bz[ok])]
    assert len({c[1] for c in consistent}) > 1  # Y's patients at A are not pinned down
    assert not set(shown_counts(out[len(detail):], ["n"])) & set(range(1, 11))
    assert out["n"].iloc[-1] == 98


def test_a_key_column_that_varies_with_the_group_column_is_refused():
    """band_order would make each band its own table: nothing would add up, nothing protected."""
    frame = pd.DataFrame({"band": ["better", "worse"], "band_order": [1, 2], "n": [40, 3]})
    with pytest.raises(ValueError, match="band_order varies with group column band"):
        suppress(frame, ["n"], ["band"])


def test_an_empty_table_stays_empty():
    out = suppress(pd.DataFrame({"g": [], "n": []}), ["n"], ["g"])
    assert out.empty and out.attrs["suppressed"] == {}
