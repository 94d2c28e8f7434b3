"""Small-cell suppression for aggregate tables (the CMS cell-size rule).

No count in the cell-size range (suppression.threshold of the definitions; Privacy.packaged reads
the packaged range from definitions.yaml) may be shown, nor be derivable from what is shown: from a
total and the other cells, from a margin over a stratum, from a numerator and its denominator (the
patients *not* contacted are a count too), or from a percentage. 0 may be shown.

    from bcm_analytics.reports.suppression import suppress
    safe = suppress(frame, count_cols=["denominator", "met"], group_cols=["clinic"],
                    rates={"pct_met": ("met", "denominator")})

Columns of `frame`:
  count_cols   counts of patients to protect (integers)
  group_cols   columns whose values partition the patients, so counts add up over them to a
               total: the row where the column holds `total_label` ("All") if the frame has one,
               otherwise a margin the reader is assumed to know from elsewhere (published under
               this same rule; see below)
  rates        {rate_col: (numerator_col, denominator_col)}: hidden when either count is; the
               remainder (denominator - numerator) is protected like any count
  totals       {total_col: [part_cols]}: a count column that is the exact sum of others in its row
  hide_with    {col: [count_cols]}: any other figure (a mean, minutes per patient) hidden
               whenever one of those counts is suppressed
  every other column identifies the row (a month, a measure): rows that differ in such a
  column are separate tables; nothing adds up across them.
  hidden_rows  boolean Series: rows the reader never sees but that link the ones shown, e.g. the
               clinic x care-manager detail behind a clinic table and a care-manager table (give
               both tables' rows with total_label in the other column, plus the hidden detail)

Returns a copy with suppressed cells set to NA (counts as Int64, the rest as Float64);
`result.attrs["suppressed"]` maps each column to the index labels of its suppressed cells (so a
display can tell "*" suppressed from "-" no base; it survives row filtering).

How: cells of 1-10 are suppressed (primary). Then complementary cells: first by cheap local
rules (no relation may have a single hidden member; hidden parts of a shown total must not add
up to 1-10), then until exact linear algebra over every relation finds nothing small that the
shown cells pin down. Picks prefer numerators over denominators and margins (what a reader
needs most stays visible), then the cell that settles most problems, then the smallest
non-zero one; a last pass shows again any hidden cell the reader could compute anyway.
Missing margins are solved first, as their own publication would be, so the reader's
knowledge of them is modelled without counting a margin that is suppressed elsewhere as known.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from bcm_analytics.config.definitions import packaged_threshold

__all__ = ["suppress"]


def suppress(
    frame: pd.DataFrame,
    count_cols: list[str],
    group_cols: list[str] | tuple = (),
    threshold: tuple[int, int] | None = None,
    *,
    rates: dict[str, tuple[str, str]] | None = None,
    totals: dict[str, list[str]] | None = None,
    hide_with: dict[str, list[str]] | None = None,
    total_label: str = "All",
    hidden_rows: pd.Series | None = None,
) -> pd.DataFrame:
    """Hide every count in `threshold` and every cell that would reveal one (see module doc).
    `threshold` None: the packaged definitions' range, for a library user with no store; a
    report passes its store's (Privacy.protect)."""
    spec = _Spec.build(frame, count_cols, group_cols, threshold or packaged_threshold(), rates, totals, hide_with,
                       total_label)
    unseen = np.zeros(len(frame), bool) if hidden_rows is None else np.asarray(hidden_rows, dtype=bool)
    out = frame.copy()
    if frame.empty:
        out.attrs["suppressed"] = {}
        return out
    hidden = _suppressed_counts(frame.reset_index(drop=True).assign(_unseen=unseen), spec)
    mask = pd.DataFrame(False, index=frame.index, columns=list(frame.columns))
    for col in spec.count_cols:
        mask[col] = hidden[col].to_numpy()
        out[col] = out[col].astype("Int64").mask(mask[col])
    derived = {rate: [num, den] for rate, (num, den) in spec.rates.items()} | spec.hide_with
    for col, sources in derived.items():
        mask[col] = mask[sources].any(axis=1)
        out[col] = pd.to_numeric(out[col]).astype("Float64").mask(mask[col])
    out.attrs["suppressed"] = {col: frozenset(frame.index[mask[col]]) for col in mask if mask[col].any()}
    return out


@dataclass(frozen=True)
class _Spec:
    count_cols: list[str]
    group_cols: list[str]
    key_cols: list[str]
    lo: int
    hi: int
    rates: dict[str, tuple[str, str]]
    totals: dict[str, list[str]]
    hide_with: dict[str, list[str]]
    label: str

    @staticmethod
    def build(frame, count_cols, group_cols, threshold, rates, totals, hide_with, label) -> _Spec:
        rates, totals, hide_with = dict(rates or {}), dict(totals or {}), dict(hide_with or {})
        count_cols, group_cols = list(count_cols), list(group_cols)
        named = set(count_cols) | set(rates) | set(hide_with)
        needed = named | set(group_cols) | {c for pair in rates.values() for c in pair}
        needed |= set(totals) | {c for parts in totals.values() for c in parts}
        if missing := needed - set(frame.columns):
            raise ValueError(f"suppress: no column(s) {sorted(missing)}")
        if stray := (set(totals) | {c for pair in rates.values() for c in pair}) - set(count_cols):
            raise ValueError(f"suppress: rates/totals refer to {sorted(stray)}, which are not count_cols")
        for col in count_cols:
            if frame[col].isna().any():
                raise ValueError(f"suppress: count column {col} has missing values")
        keys = [c for c in frame.columns if c not in named and c not in group_cols]
        # A float column read as a row key would split tables that add up: make callers say what it is.
        if floats := [c for c in keys if pd.api.types.is_float_dtype(frame[c])]:
            raise ValueError(f"suppress: declare {floats} in rates or hide_with (numeric, not a row key)")
        for total, parts in totals.items():
            if (frame[total] != frame[parts].sum(axis=1)).any():
                raise ValueError(f"suppress: {total} is not the sum of {parts} in every row")
        for g in group_cols:  # a sort key (1, 2, 3 beside each band) would make every band its own table
            parts = frame[frame[g] != label]
            for k in (c for c in keys if pd.api.types.is_numeric_dtype(frame[c])):
                if parts[g].nunique() > 1 and parts.groupby(k)[g].nunique().max() == 1 == parts.groupby(g)[k].nunique().max():
                    raise ValueError(f"suppress: key column {k} varies with group column {g}: drop it or declare it")
        lo, hi = threshold
        return _Spec(count_cols, group_cols, keys, lo, hi, rates, totals, hide_with, label)

    @property
    def cols(self) -> list[str]:
        """Count columns plus the hidden remainder of each rate (denominator - numerator)."""
        return self.count_cols + [f"_rest_{r}" for r in self.rates]


def _suppressed_counts(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    """Boolean mask over frame's count columns: which cells to hide.

    Margins the frame lacks are settled first, coarsest first, as their own publication would
    settle them; then all the frame's rows together, its own margins included.
    """
    cells = _Cells(_levels(frame, spec), spec)
    cells.suppressed |= cells.shown & cells.small
    for part, rels in cells.independent_parts():  # tables that share no relation are solved apart
        for level in sorted(cells.levels, key=len, reverse=True):
            here = part & (cells.level == cells.level_number[level])
            coarser = part & np.isin(cells.level, [n for lv, n in cells.level_number.items() if set(lv) >= set(level)])
            cells.solve(here & cells.shown & ~cells.real, coarser, rels)
        cells.solve(part & cells.shown & cells.real, part, rels)
        cells.show_derivable(part, rels)
    mask = pd.DataFrame(False, index=frame.index, columns=spec.count_cols)
    for ids in cells.levels.values():
        real = ids[ids["_row"] >= 0]
        for col in spec.count_cols:
            mask.loc[real["_row"].to_numpy(), col] = cells.suppressed[real[col].to_numpy()]
    return mask


def _levels(frame: pd.DataFrame, spec: _Spec) -> dict[tuple, pd.DataFrame]:
    """The table and its margins: one frame per set of group columns summed over.

    The rows of the caller's frame go to the level their total_label cells say; a margin the
    frame lacks is added from the finest rows (the reader may know it from another table).
    Columns: row keys, group columns, _row (position in the caller's frame, -1 for an added
    margin), _unseen (never shown), and every count column with the rate remainders.
    """
    work = frame[spec.key_cols + spec.group_cols + spec.count_cols + ["_unseen"]].assign(_row=np.arange(len(frame)))
    for col in spec.key_cols + spec.group_cols:  # NA never equals NA: give it a name to match on
        work[col] = work[col].astype(object).where(work[col].notna(), "<NA>")
    for rate, (num, den) in spec.rates.items():
        work[f"_rest_{rate}"] = work[den] - work[num]
    summed_over = work[spec.group_cols].eq(spec.label).to_numpy()
    level_of_row = [tuple(g for g, s in zip(spec.group_cols, row) if s) for row in summed_over]
    finest = work[np.array([lv == () for lv in level_of_row], dtype=bool)]
    levels = {}
    for size in range(len(spec.group_cols) + 1):
        for summed in combinations(spec.group_cols, size):
            rows = work[np.array([lv == summed for lv in level_of_row], dtype=bool)]
            keep = spec.key_cols + [g for g in spec.group_cols if g not in summed]
            if summed:
                margin = _sum_over(finest, keep, spec.cols).assign(
                    _row=-1, _unseen=False, **{g: spec.label for g in summed})
                have = set(map(_as_tuple, rows[keep].itertuples(index=False)))
                missing = [_as_tuple(k) not in have for k in margin[keep].itertuples(index=False)]
                rows = pd.concat([rows, margin[missing]], ignore_index=True)
            levels[summed] = rows.reset_index(drop=True)
    return levels


def _sum_over(rows: pd.DataFrame, keep: list[str], cols: list[str]) -> pd.DataFrame:
    if not keep:
        return rows[cols].sum().to_frame().T
    return rows.groupby(keep, dropna=False, sort=False)[cols].sum().reset_index()


def _as_tuple(key) -> tuple:
    return tuple(key) if isinstance(key, tuple) else (key,)


class _Cells:
    """Every cell of the table and its margins as one variable, with the relations between them."""

    def __init__(self, levels: dict[tuple, pd.DataFrame], spec: _Spec):
        self.spec = spec
        self.levels, self.level_number = {}, {}
        values, level, real, shown = [], [], [], []
        for number, (name, rows) in enumerate(levels.items()):
            self.level_number[name] = number
            ids = rows[spec.key_cols + spec.group_cols + ["_row"]].copy()
            for col in spec.cols:
                start = len(values)
                values.extend(rows[col].astype(np.int64).tolist())
                level.extend([number] * len(rows))
                real.extend((rows["_row"] >= 0).tolist())
                # a remainder is never shown, only derivable; nor is a hidden row
                shown.extend((~rows["_unseen"].astype(bool) & (col in spec.count_cols)).tolist())
                ids[col] = np.arange(start, len(values))
            self.levels[name] = ids
        self.value = np.array(values, dtype=np.int64)
        self.level = np.array(level)
        self.real = np.array(real, dtype=bool)
        self.shown = np.array(shown, dtype=bool)
        self.suppressed = np.zeros(len(values), dtype=bool)
        self._solved: dict[tuple, np.ndarray] = {}
        self.small = (self.value >= spec.lo) & (self.value <= spec.hi)
        self.relations, self.denominators = self._relations()
        # what a reader misses most when hidden: a denominator, then a margin (coarser = worse)
        self.cost = np.zeros(len(values), dtype=np.int64)
        self.cost[self.denominators] = 10
        self.cost += np.array([len(name) for name in levels])[self.level]

    def _relations(self) -> tuple[list[tuple[int, list[int]]], list[int]]:
        """(total, parts) pairs within a row (totals, rates) and over each group column; and the
        cells that are a total within their row."""
        spec, rels = self.spec, []
        for ids in self.levels.values():
            for total, parts in spec.totals.items():
                rels += [(int(t), [int(x) for x in p]) for t, p in zip(ids[total], ids[parts].to_numpy())]
            for rate, (num, den) in spec.rates.items():
                rels += [(int(d), [int(n), int(r)]) for d, n, r in zip(ids[den], ids[num], ids[f"_rest_{rate}"])]
        denominators = [t for t, _ in rels]
        for level, ids in self.levels.items():
            for g in spec.group_cols:
                if g in level:
                    continue
                coarse = self.levels[tuple(x for x in spec.group_cols if x in level or x == g)]
                keep = spec.key_cols + [x for x in spec.group_cols if x not in level and x != g]
                totals = {_as_tuple(k): i for i, k in enumerate(coarse[keep].itertuples(index=False))}
                for key, part in ids.groupby(keep, dropna=False, sort=False) if keep else [((), ids)]:
                    total = coarse.iloc[totals[_as_tuple(key)]] if keep else coarse.iloc[0]
                    rels += [(int(total[col]), part[col].astype(int).tolist()) for col in spec.cols]
        return rels, denominators

    def independent_parts(self) -> list[tuple[np.ndarray, list]]:
        """Groups of cells linked by relations (mask, relations), solved one at a time."""
        rows = [{c: 1.0 for c in (t, *p)} for t, p in self.relations]
        parts = []
        for rel_ids, cols in _components(rows, len(self.value)):
            mask = np.zeros(len(self.value), bool)
            mask[cols] = True
            parts.append((mask, [self.relations[i] for i in rel_ids]))
        return parts

    def solve(self, mine: np.ndarray, in_scope: np.ndarray, rels: list) -> None:
        """Suppress more of `mine` until no small count in scope can be recomputed."""
        if not mine.any():
            return
        rels = [(t, p) for t, p in rels if in_scope[t] and all(in_scope[x] for x in p)]
        neighbours: dict[int, set[int]] = {}
        for total, parts in rels:
            for m in (total, *parts):
                neighbours.setdefault(m, set()).update((total, *parts))
        self._local_pass(rels, mine, in_scope)
        while True:
            fixes = [self._options(seeds, mine, neighbours) for seeds in self._problems(rels, in_scope)]
            votes: dict[int, int] = {}
            for cell in (c for options in fixes for c in options):
                votes[cell] = votes.get(cell, 0) + 1
            if not votes:
                return
            # Denominators and margins stay visible if possible; then the cell that helps with
            # most problems; then a non-zero, small one. Problems far apart (sharing no relation
            # with a cell already picked) get their own pick in the same round.
            rank = {c: (self.cost[c], -votes[c], self.value[c] == 0, self.value[c]) for c in votes}
            near: set[int] = set()
            for options in sorted((o for o in fixes if o), key=lambda o: min(rank[c] for c in o)):
                if near.isdisjoint(options):
                    pick = min(options, key=rank.__getitem__)
                    self.suppressed[pick] = True
                    near |= neighbours.get(pick, {pick})

    def _local_pass(self, rels, mine: np.ndarray, in_scope: np.ndarray) -> None:
        """Cheap rules first, relation by relation, so the exact check has little left to do.

        A relation with one hidden member gives it away (when it is 1-10 or was suppressed), and
        hidden parts of a shown total must not add up to 1-10: hide one more member each time.
        """
        known = self.shown & ~self.suppressed & in_scope
        changed = True
        while changed:
            changed = False
            for total, parts in rels:
                hidden = [m for m in (total, *parts) if not known[m]]
                lone = len(hidden) == 1 and (self.small[hidden[0]] or self.suppressed[hidden[0]])
                hidden_parts = [p for p in parts if not known[p]]
                adds_up = known[total] and len(hidden_parts) > 1 and self.spec.lo <= self.value[hidden_parts].sum() <= self.spec.hi
                if lone or adds_up:
                    options = [m for m in (parts if adds_up else (total, *parts)) if mine[m] and not self.suppressed[m]]
                    if options:
                        pick = min(options, key=lambda c: (self.cost[c], self.value[c] == 0, self.value[c]))
                        self.suppressed[pick], known[pick], changed = True, False, True

    def show_derivable(self, in_scope: np.ndarray, rels: list) -> None:
        """Un-hide suppressed cells the reader can compute anyway (a greedy pick may leave some)."""
        known = self.shown & ~self.suppressed & in_scope
        derivable = self._derivable(rels, known) & self.suppressed & self.real & ~self.small
        self.suppressed[derivable] = False

    def _options(self, seeds: list[int], mine: np.ndarray, neighbours: dict[int, set[int]]) -> list[int]:
        """Cells that could still be suppressed, nearest to the problem first."""
        seen, ring = set(seeds), set(seeds)
        while ring:
            options = [c for c in ring if mine[c] and not self.suppressed[c]]
            if options:
                return options
            ring = {n for c in ring for n in neighbours.get(c, ())} - seen
            seen |= ring
        return []

    def _problems(self, rels, in_scope) -> list[list[int]]:
        """Each way a small count can be recomputed, as the cells nearest to it."""
        known = self.shown & ~self.suppressed & in_scope
        fixed = known | self._derivable(rels, known)
        problems = []
        for total, parts in rels:
            hidden = [p for p in parts if not fixed[p]]
            if fixed[total] and len(hidden) > 1 and self.spec.lo <= self.value[hidden].sum() <= self.spec.hi:
                problems.append(parts)  # the hidden parts of a known total add up to 1-10: hide one more part
        problems += [[int(c)] for c in np.nonzero(fixed & self.small & in_scope)[0]]
        return problems

    @staticmethod
    def _propagate(rels, known) -> np.ndarray:
        """Known cells plus those a relation with one unknown member gives away, repeatedly."""
        known = known.copy()
        pending = list(rels)
        while pending:
            left = []
            for total, parts in pending:
                unknown = [c for c in (total, *parts) if not known[c]]
                if len(unknown) == 1:
                    known[unknown[0]] = True
                elif unknown:
                    left.append((total, parts))
            if len(left) == len(pending):
                break
            pending = left
        return known

    def _derivable(self, rels, known) -> np.ndarray:
        """Unknown cells whose value the relations fix, given the known ones (exact linear algebra).

        The system splits into blocks of unknowns linked by relations; a block is solved once
        and remembered, so a round that hides one more cell only re-solves that cell's block.
        """
        known = self._propagate(rels, known)
        members = np.unique([c for t, p in rels for c in (t, *p)]).astype(int)
        unknown = members[~known[members]]
        index = {int(c): i for i, c in enumerate(unknown)}
        rows = []
        for total, parts in rels:
            row: dict[int, float] = {}
            for cell, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
                if cell in index:
                    row[index[cell]] = row.get(index[cell], 0.0) + sign
            if row := {c: v for c, v in row.items() if v}:
                rows.append(row)
        out = known.copy()
        for block_rows, block_cols in _components(rows, len(unknown)):
            cells = unknown[np.array(block_cols)]
            key = (tuple(cells.tolist()), tuple(tuple(sorted(rows[r].items())) for r in block_rows))
            if key not in self._solved:
                self._solved[key] = cells[_fixed_columns([rows[r] for r in block_rows], block_cols)]
            out[self._solved[key]] = True
        return out


def _fixed_columns(rows: list[dict[int, float]], cols: list[int]) -> np.ndarray:
    """Which unknowns a system of equations pins down: a unit vector in the row space."""
    a = np.zeros((len(rows), len(cols)))
    where = {c: j for j, c in enumerate(cols)}
    for i, r in enumerate(rows):
        for c, v in r.items():
            a[i, where[c]] = v
    _, s, vh = np.linalg.svd(a, full_matrices=False)
    basis = vh[: int((s > 1e-9).sum())]
    return (basis**2).sum(axis=0) > 1 - 1e-9  # the projection of a fixed cell keeps length 1


def _components(rows: list[dict[int, float]], n: int) -> list[tuple[list[int], list[int]]]:
    """Split a sparse system into independent blocks (union-find over shared unknowns)."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        cols = list(row)
        for c in cols[1:]:
            parent[find(c)] = find(cols[0])
    blocks: dict[int, tuple[list[int], set[int]]] = {}
    for i, row in enumerate(rows):
        root = find(next(iter(row)))
        block = blocks.setdefault(root, ([], set()))
        block[0].append(i)
        block[1].update(row)
    return [(r, sorted(c)) for r, c in blocks.values()]
