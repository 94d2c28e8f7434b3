"""Who a report is for, and what it may show them: the one suppression policy every report uses.

Two audiences:

  internal  (default) the program's own staff, who see patient-level data anyway: true counts,
            small ones included, and a banner saying so and how to render the other version;
  external  funders, boards, publication: the CMS cell-size rule. No count from 1 to 10 is
            shown, nor a dollar amount, rate or average taken over such a count, nor any cell
            from which one could be worked out (complementary suppression, suppression.py).

Reports never call suppress() themselves: they call `Privacy.protect` (one table) or
`Privacy.breakdowns` (several one-way breakdowns of the same rows, e.g. by clinic, by care
manager and by payer, all adding up to one total), and `Privacy.roll_up` to pick the finest
period (month, quarter, year, whole period) at which most cells of a series can be shown.

How a page stays safe as a whole: every number on it belongs to exactly one protected family
(one call here), and families share no relation except a grand total, which each family
treats as known. A chart is drawn from its family's protected frame, never from raw counts,
so a chart never shows what its table hides.

How pages stay safe together: a reader may hold several external pages (the caseload report,
the program overview, billing, time allocation), so a figure on one page minus a figure on
another must not leave a count of 1-10 either. Two rules, each in one function here:

  periods  an external page covers whole calendar quarters that have ended by the data's last
           date (`external_period`, through `Privacy.period`): the same quarter boundaries in
           every external report, whatever months were asked for;
  flows    enrolments and discharges are published per calendar block (`calendar_blocks`): the
           program's quarters from its start, a quarter with 1-10 of either, or ending with a
           caseload of 1-10 (the enrolments less the discharges of every block before), joined
           with the next until neither is; a page shows the blocks within its period and a total
           only over whole, shown blocks (`page_blocks`). The blocks come from the program's whole
           history, not from the page, so every page cuts time at the same places and any
           figure a page shows is a sum of blocks that are each 0 or above 10: a difference
           between pages is such a sum too.
"""

from __future__ import annotations

import datetime as dt
import html
import shlex
from dataclasses import dataclass
from itertools import combinations
from typing import Callable

import pandas as pd

from bcm_analytics.config.definitions import packaged_threshold
from bcm_analytics.models.marts import resolve_definitions
from bcm_analytics.months import add_months, month_end, month_start
from bcm_analytics.reports.runner import AUDIENCES
from bcm_analytics.reports.suppression import suppress

GRAINS = ("month", "quarter", "year", "period")
# An external table rolls up to a coarser grain when more than this share of a watched column's
# cells would be hidden: a table of stars compares nothing.
MOST_HIDDEN = 0.5
TOTAL = "All"

SUPPRESSED_NOTE = (
    "Cells marked * are suppressed: they count {range} patients (or patient-months, claims), or "
    "would let a reader work such a count out from other cells, totals, percentages or charts "
    "on this page (CMS cell-size rule). Dollar amounts, rates and averages over a suppressed "
    "count are suppressed with it. 0 is shown."
)


@dataclass(frozen=True)
class Privacy:
    """The audience of one rendered report and the cell-size rule it applies.

    The rule has no default here: a page takes the store's (of_store), and a caller with no store
    the packaged definitions' (packaged). A range written as a default hid 1-10 on any page whose
    caller forgot the store's, under a program's stricter 1-15."""

    audience: str
    threshold: tuple[int, int]

    def __post_init__(self):
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)} (got {self.audience!r})")

    @classmethod
    def of_store(cls, con, audience: str) -> Privacy:
        """The audience under the store's own cell-size rule (suppression.threshold of the
        definitions `bcm build --definitions` made its own, else the packaged one): a program that
        hides 1-15 hides them on every page, or one page would show a clinic's 12 patients that
        another hides."""
        return cls(audience, resolve_definitions(con, None).threshold)

    @classmethod
    def packaged(cls, audience: str) -> Privacy:
        """The audience under the packaged definitions' cell-size rule (bcm_analytics/config/
        definitions.yaml): for a library user with no store. A page takes the store's (of_store)."""
        return cls(audience, packaged_threshold())

    @property
    def range_words(self) -> str:
        """The counts this rule hides, as the page says them: '1-10'."""
        return "{}-{}".format(*self.threshold)

    @property
    def external(self) -> bool:
        return self.audience == "external"

    def period(self, start, end, cutoff, months: int | None = None) -> ReportPeriod:
        """The months a page shows: the months asked for (staff), or the whole calendar quarters
        around them that every external report shows (external_period)."""
        if not self.external:
            return ReportPeriod(month_start(start), month_start(end))
        return external_period(start, end, cutoff, months)

    # --- tables -------------------------------------------------------------------------

    def protect(self, frame: pd.DataFrame, count_cols: list[str], group_cols=(), **options) -> pd.DataFrame:
        """One family of cells, protected for this audience (see suppression.suppress for the
        options: rates, totals, hide_with, hidden_rows, total_label). Internal: unchanged."""
        if not self.external:
            out = frame.copy()
            out.attrs["suppressed"] = {}
            return out
        return suppress(frame, count_cols, group_cols, self.threshold, **options)

    def breakdowns(self, rows: pd.DataFrame, dims: list[str], publish: list[tuple[str, ...]], sums: list[str],
                   count_cols: list[str], **options) -> dict[tuple[str, ...], pd.DataFrame]:
        """Several breakdowns of the same rows protected together.

        rows     finest rows: one per combination of `dims` (plus any row keys), additive `sums`
        publish  the breakdowns shown, each a tuple of dims (() is the grand total)
        Every other combination of dims (the cross-tab behind the breakdowns) is a hidden
        row: the reader never sees it, but it ties the breakdowns together, so a care manager
        who works at one clinic cannot undo the clinic table's suppression. Returns each
        published breakdown with TOTAL in the dims it sums over.
        """
        keys = [c for c in rows.columns if c not in dims and c not in sums]
        levels, shown = [], []
        for size in range(len(dims) + 1):
            for kept in combinations(dims, size):
                summed = (rows.groupby(keys + list(kept), dropna=False, sort=True)[sums].sum().reset_index()
                          if keys or kept else rows[sums].sum().to_frame().T)
                for dim in dims:
                    if dim not in kept:
                        summed[dim] = TOTAL
                levels.append(summed)
                shown.append(pd.Series(kept in publish, index=summed.index))
        frame = pd.concat(levels, ignore_index=True)[keys + dims + sums]
        unseen = ~pd.concat(shown, ignore_index=True)
        frame = _with_derived(frame, options)
        safe = self.protect(frame, count_cols, dims, hidden_rows=unseen, **options)
        out = {}
        for kept in publish:
            mask = pd.Series(True, index=safe.index)
            for dim in dims:
                mask &= (safe[dim] != TOTAL) if dim in kept else (safe[dim] == TOTAL)
            part = safe[mask.to_numpy()]
            part.attrs["suppressed"] = {c: frozenset(i for i in cells if i in part.index)
                                        for c, cells in safe.attrs["suppressed"].items()}
            out[kept] = part
        return out

    # --- series -------------------------------------------------------------------------

    def roll_up(self, build: Callable[[str], pd.DataFrame], watch: list[str], grains=GRAINS,
                max_hidden: float = MOST_HIDDEN) -> tuple[str, pd.DataFrame]:
        """The finest grain at which no watched column has more than `max_hidden` of its cells hidden.

        `build(grain)` returns the protected frame at that grain ("month", "quarter", "year" or
        "period"). Internal pages always get the first grain: nothing is hidden from staff.
        """
        for grain in grains:
            frame = build(grain)
            worst = max((hidden_share(frame, [c]) for c in watch), default=0.0)
            if not self.external or worst <= max_hidden or grain == grains[-1]:
                return grain, frame
        raise AssertionError("unreachable")

    # --- stocks beside flows -------------------------------------------------------------

    def stocks_beside_flows(self, stocks: pd.DataFrame, col: str, flows: pd.DataFrame, flow_cols: list[str], grain: str,
                            group: str | None = None, where: pd.Series | None = None, start=None,
                            end=None) -> pd.DataFrame:
        """Month-end stocks (a caseload) protected against the flows shown beside them.

        A stock changes month by month by its inflow minus its outflow. Where a period's flows
        (`flows`: the period's first month in `month`, per `group` if given, NA where hidden)
        show one of them as 0, as in a program's first months, which discharge no one, each
        monthly change of the stock is the other flow, month by month. Such a period keeps its
        stocks only if every change a reader can take between them is 0 or above the
        threshold; otherwise only its last month's stock stays, and its change is the period's
        shown flow. A group's stock hidden that way hides the margin (group TOTAL) in the same
        month, so the others cannot give it back. Internal pages, and flows shown per month,
        are left as they are.

        flow_cols are [inflow, outflow]; `where` picks the rows of a single series (group None);
        the stock before the first period is the one a reader can work out from its last stock
        and its flows.

        grain "block": `flows` are the program's calendar_blocks, with their true counts and
        `shown`, whether this page shows them or not (a block reaching outside the page is shown
        on other pages, which publish its 0). A last block still waiting for its next quarter
        publishes nothing yet, but if a count of it is 0 so far, the block it becomes may
        publish that 0 later: all its stocks are hidden now (the last one too, so that its
        hidden counts cannot be told from their change either).
        """
        if not self.external or grain == "month" or stocks.empty:
            return stocks
        hidden: set = set()
        waiting: set = set()
        if grain == "block":
            when = block_of(stocks["month"], flows)
            waiting = {pd.Timestamp(m) for m, shown in zip(flows["month"], flows["shown"]) if not shown}
        else:
            when = period_of(stocks["month"], grain, start, end)["period_start"]
        if group is None:
            series = [(None, stocks.index if where is None else stocks.index[where.to_numpy()])]
        else:
            series = [(g, rows.index) for g, rows in stocks.groupby(group) if g != TOTAL]
        for name, index in series:
            shown = flows if group is None else flows[flows[group] == name]
            by_period = {pd.Timestamp(m): values for m, *values in shown[["month", *flow_cols]].itertuples(index=False)}
            rows = stocks.loc[index].assign(_period=when.loc[index]).sort_values("month")
            previous = None  # the last stock a reader sees before the period
            for period, part in rows.groupby("_period", sort=True):
                period_flows = by_period.get(pd.Timestamp(period), [])
                zero = any(pd.notna(v) and v == 0 for v in period_flows)
                if pd.Timestamp(period) in waiting:
                    if zero:
                        hidden |= set(part.index)
                    continue
                if previous is None:
                    previous = _stock_before(part[col].iloc[-1], period_flows)
                values = [previous] + [None if pd.isna(v) else float(v) for v in part[col]]
                if zero and self._reveals(values):
                    hidden |= set(part.index[:-1])
                last = part[col].iloc[-1]
                previous = None if pd.isna(last) else float(last)
        if not hidden:
            return stocks
        if group is not None:  # the margin of the months hidden in a group
            months = set(stocks.loc[list(hidden), "month"])
            hidden |= set(stocks.index[(stocks[group] == TOTAL) & stocks["month"].isin(months)])
        out = stocks.copy()
        out.loc[list(hidden), col] = pd.NA
        masks = dict(stocks.attrs.get("suppressed", {}))
        masks[col] = frozenset(masks.get(col, frozenset())) | frozenset(hidden)
        out.attrs = {**stocks.attrs, "suppressed": masks}
        return out

    def _reveals(self, values: list[float | None]) -> bool:
        """Whether a change between two stocks a reader sees one after the other is a count in the threshold."""
        lo, hi = self.threshold
        known = [v for v in values if v is not None]
        return any(lo <= abs(b - a) <= hi for a, b in zip(known, known[1:]))

    # --- words on the page --------------------------------------------------------------

    def banner(self, report: str, parameters: dict | None = None, has_external: bool = True,
               clinic_names: dict | None = None) -> str:
        """The banner at the top of a page: which audience it is for and what that means.
        `clinic_names` (clinic id -> name): an external page names the clinics it covers as its
        parameters table does; the internal page's command keeps the ids that -p takes."""
        if not has_external:
            return ("<div class='bcm-banner internal' data-audience='internal'><b>Internal use only.</b> "
                    "For the people who load and fix the data: counts of files, rows and checks, no patient records. "
                    "This report has no external version.</div>")
        if self.external:
            caution = filtered_page_caution(parameters, clinic_names)
            return (
                "<div class='bcm-banner external' data-audience='external'><b>External version.</b> "
                f"Counts from {self.threshold[0]} to {self.threshold[1]} (patients, patient-months, claims) are suppressed, with every dollar amount, "
                "rate and average taken over them and every cell that would let a reader work one out "
                "(CMS cell-size rule); where most monthly cells would be hidden, months are rolled up into "
                "quarters or years. Suppressed cells read *; hidden chart points are marked gaps."
                + (f"<br><b>Part of the program only.</b> {html.escape(caution)}" if caution else "") + "</div>"
            )
        command = report_command(report, parameters or {}, "--audience external")
        return (
            "<div class='bcm-banner internal' data-audience='internal'><b>Internal use only.</b> "
            f"This page shows true counts, including counts from {self.threshold[0]} to {self.threshold[1]} patients, which can identify people. "
            "Keep it within the program. To share it outside (funders, boards, publication) render the external "
            f"version, which applies the CMS cell-size rule: <code>{html.escape(command)}</code>."
            "</div>"
        )

    def note(self) -> str:
        return SUPPRESSED_NOTE.format(range=self.range_words) if self.external else ""

    def definitions(self, definitions) -> str:
        """The definitions in force as this page names them (definitions_text)."""
        return definitions_text(definitions, self.external)

    def data_date(self, value) -> str:
        """A date of the data (its latest date of care, an as-of date that defaults to it, a day
        counted back from it) as this page may give it: the day for staff; its month on an
        external page, where the day of the latest visit or score is one patient's date of care."""
        return data_month(value) if self.external else f"{pd.Timestamp(value):%Y-%m-%d}"


def definitions_text(definitions, external: bool) -> str:
    """The measure definitions a page was computed with, as its audience reads them. Staff: the
    version and the files it came from (bcm_analytics/config/definitions.yaml + a local file's
    path), to find them again. Outside: the version alone ("2026.3", or "2026.3 + local_defs" for
    a local file with no version of its own, Definitions.version): a path on the analyst's machine
    means nothing to a board and may hold a user's name."""
    return str(definitions.version) if external else f"{definitions.version} ({definitions.source})"


def data_month(value) -> str:
    """The month of a date of the data, which is all an external page says of it (Privacy.data_date)."""
    return f"{pd.Timestamp(value):%b %Y}"


def report_command(report: str, parameters: dict, options: str = "") -> str:
    """The `bcm report` command that renders `report` with the notebook `parameters` given (those
    set), `options` after the name: 'bcm report time_allocation --audience external -p clinic CL001'."""
    given = " ".join(f"-p {k} {shlex.quote(parameter_text(v, ','))}" for k, v in parameters.items() if v not in (None, "", []))
    return " ".join(part for part in (f"bcm report {report}", options, given) if part)


def parameter_text(value, separator: str = ", ") -> str:
    """A parameter's value as written: a list's items joined (with "," it is what `-p` takes)."""
    return separator.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


FILTERS = {"clinic": "clinic", "clinics": "clinics", "payer": "payer", "care_manager": "care manager",
           "instrument": "instrument"}


def filtered_page_caution(parameters: dict | None, clinic_names: dict | None = None) -> str:
    """What an external page for part of the program must say: "" for the whole program.
    A clinic is named by `clinic_names` (clinic id -> name) where given, as the page's parameters name it.

    The privacy rules tie pages together by period and by calendar block, not by filter: a page
    for one clinic is protected on its own, so its figures subtracted from the program's page (or
    added to other clinics' pages) can leave the rest's count of 1-10, which neither page hides.
    Protecting a set of filtered pages together would mean suppressing each page's cells across every
    value of the filter at once; until then the page says so, and `bcm report` too."""
    names = clinic_names or {}
    named = {"clinic": lambda c: names.get(c, c), "clinics": lambda cs: [names.get(c, c) for c in cs]}
    chosen = [f"{_singular(word, v)} {parameter_text(named.get(key, lambda x: x)(v))}"
              for key, word in FILTERS.items() if (v := (parameters or {}).get(key)) not in (None, "", [])]
    if not chosen:
        return ""
    return (f"This page covers part of the program ({'; '.join(chosen)}). Its cells are protected on this page "
            "alone: taken from the program's external page, or added to pages for the other parts, its figures "
            "can leave a small count for the rest, which neither page hides. Give it only to readers who get no other external page "
            "of this program, or share the program's page instead: its breakdowns by clinic or payer are protected together.")


def _singular(word: str, value) -> str:
    """A list parameter's word for one item: 'clinic Aspen', not 'clinics Aspen'."""
    one = not isinstance(value, (list, tuple)) or len(value) == 1
    return word.removesuffix("s") if one and word.endswith("s") else word


# --- periods and flows that line up across pages ---------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """The first and last month a page shows and, on an external page, the sentence that says
    which period that is and why it is not the months asked for."""

    start: dt.date
    end: dt.date
    note: str = ""


def quarter_label(month) -> str:
    month = pd.Timestamp(month)
    return f"{month.year} Q{month.quarter}"


def _quarter_first(month) -> dt.date:
    month = month_start(month)
    return month.replace(month=(month.month - 1) // 3 * 3 + 1)


def _months_span(first, last) -> str:
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    return f"{first:%b %Y}" if first == last else f"{first:%b %Y} - {last:%b %Y}"


def external_period(start, end, cutoff, months: int | None = None) -> ReportPeriod:
    """The period of every external page: whole calendar quarters, from the quarter holding
    `start` to the quarter holding `end`, less any quarter not ended by `cutoff` (the data's last
    date; its figures would still grow). `months`: the start was not asked for, and the page shows
    the last `months` months up to that end (12: four quarters).

    Every external report takes its period from here, so their periods start and end at the same
    calendar quarter boundaries, as the enrolment and discharge blocks do (calendar_blocks).
    """
    asked_start, asked_end, cutoff = month_start(start), month_start(end), pd.Timestamp(cutoff).date()
    last = _quarter_first(asked_end)
    while month_end(add_months(last, 2)) > cutoff:
        last = add_months(last, -3)
    last_month = add_months(last, 2)
    first = _quarter_first(add_months(last_month, 1 - months) if months else asked_start)
    if first > last:
        raise ValueError(f"an external page shows whole calendar quarters ended by the data's last date ({cutoff}); "
                         f"{_months_span(asked_start, asked_end)} holds none ({quarter_label(asked_end)} has not ended): "
                         "ask for earlier months, or render the internal version")
    shown = (f"{quarter_label(first)} ({_months_span(first, last_month)})" if first == last else
             f"{quarter_label(first)} - {quarter_label(last)} ({_months_span(first, last_month)})")
    asked = "" if (first, last_month) == (asked_start, asked_end) else f", in place of {_months_span(asked_start, asked_end)}"
    note = (f"Whole calendar quarters {shown}{asked}."
            + f" Every external report covers whole calendar quarters that have ended by the data's last date "
            f"(in {data_month(cutoff)}), the same in each, so that a figure on one page cannot be subtracted from one on another "
            "to leave a count for a few months that neither shows.")
    if asked_end > last_month:
        left_out = _months_span(add_months(last_month, 1), asked_end)
        note += (f" {left_out} {'is' if add_months(last_month, 1) == asked_end else 'are'} left out until "
                 f"{quarter_label(asked_end)} has ended.")
    return ReportPeriod(first, last_month, note)


def calendar_blocks(monthly: pd.DataFrame, counts: list[str], end, threshold: tuple[int, int],
                    stock: str | None = None) -> pd.DataFrame:
    """The blocks in which every external page publishes `counts` (enrolments and discharges).

    `monthly`: the counts per month (column `month`) from the program's first month, or any
    month before it, up to `end`. Calendar quarters from the first month's to the last one that
    ends by `end`; a quarter where a count is 1-10 is joined with the next quarter, and so on,
    until none of the joined counts is. One row per block: period ('2025 Q4', or '2024 Q4 -
    2025 Q1' when joined), month (its first month), last_month, the counts and `shown`: False
    for a last block whose counts are still 1-10, which waits for the next quarter.

    `stock`: the column of `monthly` holding the month-end stock the counts change (the active
    caseload). From the program's start it is the enrolments less the discharges of every block
    before, all published: a quarter ending with a stock of 1-10 is joined with the next too.

    The blocks depend on the program's months only, never on a page's period, and a block never
    changes once its quarters have ended (joining looks forward), so every external page, on any
    day, cuts time at the same places: any figure a page shows is a sum of whole blocks, each 0
    or above the threshold, and so is any difference between two pages' figures.
    """
    lo, hi = threshold
    when = pd.to_datetime(monthly["month"]).dt.to_period("Q")
    sums = monthly[counts].groupby(when).sum()
    ends = monthly.sort_values("month").groupby(when)[stock].last() if stock else pd.Series(dtype="int64")
    last = (pd.Timestamp(end) + pd.offsets.MonthBegin(1)).to_period("Q") - 1  # the last quarter ending by `end`
    quarters = pd.period_range(when.min(), last, freq="Q") if len(when) and when.min() <= last else []
    rows, run, total = [], [], {c: 0 for c in counts}
    for quarter in quarters:
        run.append(quarter)
        for c in counts:
            total[c] += int(sums.at[quarter, c]) if quarter in sums.index else 0
        at_end = [int(ends[quarter])] if quarter in ends.index else []  # no month: the stock is as before
        settled = not any(lo <= v <= hi for v in [*total.values(), *at_end])
        if settled or quarter == quarters[-1]:
            label = str(run[0]).replace("Q", " Q") + ("" if len(run) == 1 else " - " + str(run[-1]).replace("Q", " Q"))
            rows.append({"period": label, "month": run[0].start_time, "last_month": run[-1].asfreq("M", "end").to_timestamp(),
                         **total, "shown": settled})
            run, total = [], {c: 0 for c in counts}
    return pd.DataFrame(rows, columns=["period", "month", "last_month", *counts, "shown"])


def page_blocks(blocks: pd.DataFrame, counts: list[str], start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, total) of a page whose period is start..end: each block that overlaps it, hidden
    where the block is not shown or reaches outside the period (a page never shows part of a
    block), and the total over the period, shown only when the period is whole blocks, all shown."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows = _overlapping(blocks, start, end)
    hidden = ~_held(rows, start, end)
    whole = not rows.empty and rows["month"].iloc[0] == start and rows["last_month"].iloc[-1] == end
    total = rows[counts].sum().to_frame().T.astype("int64")
    rows = rows[["period", "month", *counts]].astype({c: "Int64" for c in counts})
    total_hidden = pd.Series([bool(hidden.any()) or not whole], index=total.index)
    return hide_rows(rows, hidden, counts), hide_rows(total.astype("Int64"), total_hidden, counts)


def held_blocks(blocks: pd.DataFrame, start, end) -> pd.DataFrame:
    """The blocks a page whose period is start..end shows (page_blocks), with their first and last
    days (`first`, `last`): the only spans another count of the page's enrolments may be taken over
    (an enrolment cohort), so that it tells a reader of the caseload line nothing the blocks hide."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    held = blocks[_held(blocks, start, end)]
    return held.assign(first=held["month"].dt.date, last=(held["last_month"] + pd.offsets.MonthEnd(0)).dt.date)


def by_blocks(frame: pd.DataFrame, month_col: str, blocks: pd.DataFrame, sums: list[str], start, end) -> pd.DataFrame:
    """Monthly rows of start..end summed into the blocks that overlap the period (period,
    period_start, the sums), with `held`: whether a page may show the block's sums (page_blocks:
    one not shown, or reaching outside the period, is hidden whatever its sums)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows = _overlapping(blocks, start, end)
    summed = frame[sums].groupby(block_of(frame[month_col], rows)).sum()
    out = summed.reindex(pd.DatetimeIndex(rows["month"]), fill_value=0).astype("int64").reset_index(drop=True)
    return out.assign(period=rows["period"].to_numpy(), period_start=rows["month"].to_numpy(),
                      held=_held(rows, start, end).to_numpy())[["period", "period_start", *sums, "held"]]


def block_of(months: pd.Series, blocks: pd.DataFrame) -> pd.Series:
    """Each month's calendar block, by the block's first month (NaT for a month in none of them)."""
    spans = list(zip(pd.to_datetime(blocks["month"]), pd.to_datetime(blocks["last_month"])))
    return pd.to_datetime(months).map(lambda m: next((a for a, b in spans if a <= m <= b), pd.NaT))


def _overlapping(blocks: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return blocks[(blocks["last_month"] >= start) & (blocks["month"] <= end)].reset_index(drop=True)


def _held(blocks: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The blocks a page of start..end may show: published (`shown`) and wholly inside its period."""
    return blocks["shown"].astype(bool) & (blocks["month"] >= start) & (blocks["last_month"] <= end)


def hide_rows(frame: pd.DataFrame, rows: pd.Series, cols: list[str]) -> pd.DataFrame:
    """`frame` with the cells of `cols` in `rows` (a mask) hidden and marked suppressed, whatever
    their values: cells another figure would give away, of whole rows."""
    mask = pd.Series(rows).to_numpy(dtype=bool)
    masks = dict(frame.attrs.get("suppressed", {}))
    out = frame.copy()
    if mask.any():
        for c in cols:
            out[c] = out[c].mask(mask)
            masks[c] = frozenset(masks.get(c, frozenset())) | frozenset(frame.index[mask])
    out.attrs = {**frame.attrs, "suppressed": masks}
    return out


def _stock_before(last, flows: list) -> float | None:
    """The stock before a period, from its last stock and its [inflow, outflow], when all are shown."""
    if pd.isna(last) or len(flows) != 2 or any(pd.isna(v) for v in flows):
        return None
    return float(last) - (float(flows[0]) - float(flows[1]))


def hide_beside(frame: pd.DataFrame, cols: list[str], rows, key: str, total=TOTAL) -> pd.DataFrame:
    """`frame` (protected) with the cells of `cols` in `rows` hidden as well, and, in a column
    where that leaves a single part hidden, the smallest shown other part too: the total is
    published (a headline card, the All row), and the total minus the shown parts would give the
    hidden one back. For cells a figure beside them gives away (a caseload's flows, a month's
    billed dollars beside its hidden dollars at stake) that the family's own suppression does not
    know of."""
    masks = {c: set(v) for c, v in frame.attrs.get("suppressed", {}).items()}
    parts = frame.index[frame[key] != total]
    for col in cols:
        cells = masks.setdefault(col, set())
        cells |= set(rows)
        shown = [i for i in parts if i not in cells and pd.notna(frame.at[i, col])]
        if len(cells & set(parts)) == 1 and shown:
            cells.add(min(shown, key=lambda i: frame.at[i, col]))
    out = frame.copy()
    for col in cols:
        if masks[col]:
            out[col] = out[col].astype("Float64") if out[col].dtype.kind == "f" else out[col]
            out.loc[sorted(masks[col]), col] = pd.NA
    out.attrs = {**frame.attrs, "suppressed": {c: frozenset(v) for c, v in masks.items()}}
    return out


def hide_pairs(frame: pd.DataFrame, true: pd.DataFrame, pair: list[str], key: str, threshold: tuple[int, int],
               total=TOTAL) -> pd.DataFrame:
    """`frame` (protected; `true` holds its counts, same index) with each row's `pair` of counts
    shown together or hidden together.

    For two counts whose difference a reader knows from elsewhere: a clinic's enrolments minus
    its discharges over a period is the change of its caseload, shown at the end of the period
    on this page and of the period before on the previous one, so one of them shown gives the
    other away. A row with one of the pair hidden gets the other hidden too; a column where
    that leaves a single part hidden under its shown total (row `total` in `key`), or hidden
    parts adding up to a count in `threshold`, hides its smallest shown parts until neither is so
    (as the suppression engine's complementary cells), and so on until nothing changes."""
    lo, hi = threshold
    masks = {c: set(frame.attrs.get("suppressed", {}).get(c, ())) | set(frame.index[frame[c].isna()]) for c in pair}
    parts = list(frame.index[frame[key] != total])
    totals = frame.index[frame[key] == total]
    changed = True
    while changed:
        changed = False
        for i in parts:
            if any(i in masks[c] for c in pair) and not all(i in masks[c] for c in pair):
                changed = True
                for c in pair:
                    masks[c].add(i)
        for c in pair:
            if not len(totals) or pd.isna(frame.at[totals[0], c]):
                continue
            hidden = [i for i in parts if i in masks[c]]
            shown = sorted((i for i in parts if i not in masks[c]), key=lambda i: true.at[i, c])
            rest = sum(int(true.at[i, c]) for i in hidden)
            while hidden and shown and (len(hidden) == 1 or lo <= rest <= hi):
                one = shown.pop(0)
                hidden.append(one)
                masks[c].add(one)
                rest += int(true.at[one, c])
                changed = True
    out = frame.copy()
    for c in pair:
        if masks[c]:
            out.loc[sorted(masks[c]), c] = pd.NA
    out.attrs = {**frame.attrs, "suppressed": {**frame.attrs.get("suppressed", {}),
                                               **{c: frozenset(v) for c, v in masks.items() if v}}}
    return out


def grain_word(grain: str) -> str:
    """A grain as a chart title says it: 'Enrolments per quarter'. Calendar blocks are quarters, the
    same calendar quarters a rolled-up table shows: one word for both (the external outcomes page
    titled its enrolments 'per calendar quarter' over its follow-ups 'per quarter')."""
    return {"period": "whole period", "block": "quarter"}.get(grain, grain)


BLOCK_NOTE = ("Per quarter, the same quarters in every external report. A quarter with {range} enrolments or "
              "discharges, or ending with {range} patients on the caseload (its enrolments less discharges since the "
              "program's start), is shown together with the next one (labelled like '2024 Q4 - 2025 Q1'); a last "
              "quarter still at {range} is suppressed until the next has ended, and quarters shown together that reach "
              "outside the report's period are suppressed here.")


def grain_note(grain: str, privacy: Privacy) -> str:
    """Why a chart shows quarters or years: at a finer grain too many cells would be suppressed;
    or, for enrolments and discharges on an external page, calendar blocks (calendar_blocks). The
    counts are the page's cell-size range (privacy.range_words), as its banner says."""
    if grain == "month":
        return ""
    if grain == "block":
        return BLOCK_NOTE.format(range=privacy.range_words)
    return (f"Shown per {grain if grain != 'period' else 'whole period'}: per month too many values would be suppressed "
            f"(counts of {privacy.range_words}, or cells that would reveal one), so months are added together.")


def hidden_share(frame: pd.DataFrame, columns: list[str]) -> float:
    """Share of the cells of `columns` that are suppressed (0 when there are none)."""
    cells = len(frame) * len(columns)
    if not cells:
        return 0.0
    hidden = frame.attrs.get("suppressed", {})
    return sum(len(set(hidden.get(c, ())) & set(frame.index)) for c in columns) / cells


def suppressed_names(frame: pd.DataFrame) -> pd.Series:
    """Per row, the columns suppressed in it ("denominator, measured"), "" where none. A file keeps
    its numeric columns numeric, where a hidden cell is empty like a missing one; this column
    tells the two apart, as "*" and "-" do on a page."""
    hidden = frame.attrs.get("suppressed", {})
    names = [", ".join(c for c in frame.columns if i in hidden.get(c, ())) for i in frame.index]
    return pd.Series(names, index=frame.index, dtype=object)


def _with_derived(frame: pd.DataFrame, options: dict) -> pd.DataFrame:
    """Recompute rates at every level of a breakdown (a rate does not add up; its parts do)."""
    out = frame.copy()
    for rate, (num, den) in (options.get("rates") or {}).items():
        out[rate] = out[num] / out[den].where(out[den] > 0)
    return out


def period_of(months: pd.Series, grain: str, start=None, end=None) -> pd.DataFrame:
    """Each month's period at a grain: a label ('Oct 2026', '2026 Q4', '2026', 'Nov 2025 - Oct 2026')
    and the period's first month (to sort and plot by)."""
    when = pd.to_datetime(months)
    if grain == "month":
        first = when.dt.to_period("M").dt.start_time
        text = first.dt.strftime("%b %Y")
    elif grain == "quarter":
        first = when.dt.to_period("Q").dt.start_time
        text = first.dt.year.astype(str) + " Q" + first.dt.quarter.astype(str)
    elif grain == "year":
        first = when.dt.to_period("Y").dt.start_time
        text = first.dt.year.astype(str)
    elif grain == "period":
        lo, hi = (pd.Timestamp(start) if start is not None else when.min()), (pd.Timestamp(end) if end is not None else when.max())
        first = pd.Series(lo, index=when.index)
        text = pd.Series(f"{lo:%b %Y} - {hi:%b %Y}", index=when.index)
    else:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}")
    return pd.DataFrame({"period": text, "period_start": first}, index=months.index)


def by_period(frame: pd.DataFrame, month_col: str, grain: str, sums: list[str], keys=(), start=None, end=None) -> pd.DataFrame:
    """Monthly rows summed into periods of `grain` (per `keys`); a partial first or last
    period says so in its label ('2024 Q4, Nov-Dec')."""
    periods = period_of(frame[month_col], grain, start, end)
    work = pd.concat([frame.drop(columns=[month_col]), periods], axis=1)
    months = frame.groupby(periods["period"])[month_col].agg(["min", "max", "nunique"])
    out = work.groupby(["period", "period_start", *keys], sort=False, dropna=False)[sums].sum().reset_index()
    out = out.sort_values(["period_start", *keys], kind="stable").reset_index(drop=True)
    if grain in ("quarter", "year"):
        full = 3 if grain == "quarter" else 12
        partial = months[months["nunique"] < full]
        out["period"] = [p if p not in partial.index else partial_label(p, partial.loc[p, "min"], partial.loc[p, "max"])
                         for p in out["period"]]
    return out


def partial_label(label: str, first, last) -> str:
    """A quarter or year that holds only the months `first` to `last` of its own, labelled with
    them: '2025 Q4, Nov-Dec', '2026 Q4, Oct', '2025, Nov-Dec'. Every partial period a page shows
    (by_period's, and an enrolment cohort the period cuts) is written here, so one page cannot
    write the same months two ways."""
    first, last = pd.Timestamp(str(first)), pd.Timestamp(str(last))
    months = f"{first:%b}" if first == last else f"{first:%b}-{last:%b}"
    return f"{label}, {months}"
