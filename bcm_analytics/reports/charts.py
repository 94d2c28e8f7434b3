"""Show charts and tables in report notebooks so they survive into offline, readable HTML.

plotly's default renderer under papermill writes only a MIME bundle that nbconvert drops, so
figures are displayed as HTML: plotly.js (the basic partial bundle in assets/, 1.2 MB) is
embedded once, with the first figure of the report; div ids are fixed so the same data gives
the same bytes. The mode bar keeps zoom and download, without Plotly's cloud button or logo.

Tables are written here rather than by DataFrame.to_html: every cell says its kind
(data-kind="count" ...), suppressed cells are marked, and rows say which group and total they
belong to, so the browser test can check a page the way a careful reader would. A wide table
scrolls inside its box with its first column fixed.
"""

from __future__ import annotations

import html
import itertools
import numbers
import textwrap
from importlib import resources

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, display

from bcm_analytics import months
from bcm_analytics.reports import formats

PLOTLY_JS = "plotly-basic.min.js"
CONFIG = {"displaylogo": False, "showSendToCloud": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]}
HIDDEN_MARKER = "suppressed"
# Each colour at least 3:1 against the white page (WCAG 1.4.11): the orange was #D9822B, 2.93:1.
PALETTE = ["#2E6DB4", "#B35F12", "#3A9D5D", "#8E5EA2", "#C23B3B", "#6B7B8C"]
# Lines also differ by marker: in a greyscale printout the blue, purple and orange lines read alike.
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "star"]
# A chart with more groups than colours (seven care managers) draws the seventh in the first colour
# again, its line dashed, so that no two groups look alike
DASHES = ["solid", "dash", "dot"]
# Bars side by side or stacked also differ by a pattern over their colour (WCAG 1.4.1): in a
# greyscale printout the blue and the purple bar read alike. The first series stays plain.
PATTERNS = ["", "/", ".", "x", "-", "\\"]

_figure_ids = itertools.count(1)
_table_ids = itertools.count(1)


def plotly_js() -> str:
    return resources.files("bcm_analytics.reports").joinpath("assets", PLOTLY_JS).read_text(encoding="utf-8")


# A legend's rows start under the title and run down, pushing the plot down (automargin): anchored
# to the plot's top they ran up, and a legend of two or more rows (a clinic each) covered the title.
LEGEND_TOP = 36  # pixels below the figure's top edge
# A title is one line of SVG text that never wraps: longer than this it ran past the chart's right
# edge when printed on A4 (703 px, the title at 1.4 x 12 px) and under the mode bar's buttons on a
# 1024 px screen, so it is wrapped at words, each further line adding TITLE_LINE pixels on top.
TITLE_CHARS = 70
TITLE_LINE = 22
# A chart's height and the margins above and below its plot area (a wrapped title adds to both
# the height and the top margin: the plot area stays HEIGHT - TOP - BOTTOM pixels high)
HEIGHT, TOP, BOTTOM = 400, 60, 50
# A rule change's label sits in a strip of its own at the top of the plot area, above the y axis:
# drawn at the top of the axis it sat on a reconciled line near 100% and hid the months it marks.
# Labels take two rows of CHANGE_ROW pixels in turn, so two changes a few months apart do not overlap.
CHANGE_ROW = 18
CHANGE_ROWS = 2


def show(fig: go.Figure, note: str = "") -> None:
    """Display a plotly figure as self-contained HTML (never fig.show() in report notebooks).

    A chart whose every point is suppressed (external pages) is not drawn: empty axes with x marks
    told a board nothing, beside a note that still spoke of what is shown. A sentence saying what
    is hidden and why stands in its place, and the caller's note, written for a drawn chart, is dropped."""
    if all_hidden(fig):
        display(HTML(f"<p class='bcm-note bcm-chart-hidden' data-hidden>{html.escape(all_hidden_sentence(fig))}</p>"))
        return
    n = next(_figure_ids)
    title = fig.layout.title.text or ""
    if "<br>" not in title:
        title = "<br>".join(textwrap.wrap(title, TITLE_CHARS, break_long_words=False))
    extra = TITLE_LINE * title.count("<br>")
    height = (fig.layout.height or HEIGHT) + extra
    # plotly anchors a title of several lines at its middle line's top, half the extra lines above
    # its "top": moved down by as much, its first line is not cut at the chart's top edge
    fig.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=TOP + extra, b=BOTTOM), colorway=PALETTE,
                      font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12),
                      title=dict(text=title, y=0.98 - extra / 2 / height, yanchor="top"), height=height)
    if fig.layout.legend.orientation is None:  # a chart that placed its legend keeps it
        fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="top",
                                      y=1 - (LEGEND_TOP + extra) / fig.layout.height, xanchor="left", x=0, title_text=""))
    _small_axis_ticks(fig)
    _month_ticks(fig)
    _bar_patterns(fig)
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"bcm-figure-{n}", config=CONFIG)
    script = f"<script>{plotly_js()}</script>" if n == 1 else ""
    named = html.escape(" ".join(title.replace("<br>", " ").split()) + ": its values are listed under the chart", quote=True)
    display(HTML(script + f"<figure class='bcm-chart' aria-label='{named}'>{body}</figure>" + values_list(fig)
                 + (f"<p class='bcm-note'>{note}</p>" if note else "")))


def _bar_patterns(fig: go.Figure) -> None:
    """Give each series of bars a pattern of its own, drawn over its colour. The k-th series takes
    colour k and pattern k + k // colours, so the seventh, in the first colour again, is patterned
    unlike the first: every pair differs up to 36 series."""
    bars = [t for t in _data_traces(fig) if t.type == "bar"]
    if len(bars) < 2:
        return
    for k, trace in enumerate(bars):
        trace.marker.pattern = dict(shape=PATTERNS[(k + k // len(PALETTE)) % len(PATTERNS)], fillmode="overlay",
                                    solidity=0.25)


def values_list(fig: go.Figure) -> str:
    """The chart's values in words, folded under it: a screen reader, a keyboard or a greyscale
    printout cannot read values off a chart (WCAG 1.1.1), and its hover is for a mouse; on the
    external overview no table beside its three charts held most of what they plot. One line per
    series; a point the page suppresses reads as its tables read it (HIDDEN), a gap is left out.
    The values are the chart's own: the list shows nothing the chart does not. Months are listed in
    time order, as the axis draws them, whatever order the data came in (the overview's flows came
    by their labels: Apr 2025, Aug 2024 ...). A list, not a table: the page's tables are what its
    workbook and its checks read."""
    traces = [t for t in _data_traces(fig) if t.x is not None and t.y is not None]
    if not traces:
        return ""
    hidden = {(x, name) for t in fig.data if t.meta == "hidden" for x, names in zip(t.x, t.customdata) for name in names}
    axis = fig.layout.yaxis if traces[0].orientation == "h" else fig.layout.xaxis
    dated = all(isinstance(x, pd.Timestamp) for t in traces for x in _placed(t)[0])
    along = " ".join((axis.title.text or ("month" if dated else "")).split())
    lines = []
    for t in traces:
        said = []
        points = list(zip(*_placed(t)))
        for x, value in sorted(points, key=lambda p: p[0]) if dated else points:  # months in time order, as drawn
            where = formats.month(x) if isinstance(x, pd.Timestamp) else str(x)
            if _is_number(value):
                kind = t.meta if formats.is_numeric_kind(t.meta or "") else "number" if float(value).is_integer() else "decimal"
                said.append(f"{where}: {formats.cell(value, kind)}")
            elif (x, str(t.name)) in hidden:
                said.append(f"{where}: {formats.HIDDEN}")
        lines.append(f"<li><b>{html.escape(str(t.name or 'values'))}</b>: {html.escape('; '.join(said) or 'no value')}</li>")
    return (f"<details class='bcm-chart-data'><summary>The chart's values{', by ' + html.escape(along) if along else ''}</summary>"
            f"<ul>{''.join(lines)}</ul></details>")


def _placed(trace) -> tuple:
    """(where, values) of a trace: its x and y, or y and x for horizontal bars."""
    return (trace.y, trace.x) if trace.orientation == "h" else (trace.x, trace.y)


def _data_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.meta != "hidden"]


def all_hidden(fig: go.Figure) -> bool:
    """True when the chart marks suppressed points and plots no value but 0: nothing left to draw
    (zero-height bars beside x marks read as an empty chart)."""
    marked = any(t.meta == "hidden" and t.x is not None and len(t.x) for t in fig.data)
    values = [v for t in _data_traces(fig) if t.y is not None for v in t.y]
    return marked and not pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").fillna(0).any()


def all_hidden_sentence(fig: go.Figure) -> str:
    """What a chart that is all suppressed (or 0) would have shown, where, and why it is not drawn."""
    title = " ".join((fig.layout.title.text or "This chart").replace("<br>", " ").split())
    names = list(dict.fromkeys(t.name for t in _data_traces(fig) if t.name))
    where = [w for t in fig.data if t.meta == "hidden" for w in t.x]
    zero = any(_is_number(v) for t in _data_traces(fig) if t.y is not None for v in t.y)
    axis = " ".join((fig.layout.xaxis.title.text or "").split())
    points = "; ".join(formats.month(w) if isinstance(w, pd.Timestamp) else str(w) for w in dict.fromkeys(where))
    return (f"{title}: not drawn, as every value it would show is suppressed on this page ({'; '.join(names)}, for "
            f"{axis + ' ' if axis else ''}{points}): each is a count in the cell-size range the banner names, a rate or "
            f"average over one, or would let a reader work one out (CMS cell-size rule){'; every other value is 0' if zero else ''}.")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def _small_axis_ticks(fig: go.Figure) -> None:
    """An axis of whole numbers whose values stay under 10, where plotly steps by less than 1 and
    the format rounds each tick alike: a count axis (',d') of 4 rows set aside read 0, 1, 1, 2, 2,
    3, 3, 4, 4 (it ticks every 1); a dollar axis ('$' ',.0f') under $1 read $0, $0, $0, $1, $1
    (it shows cents; other numbers one decimal)."""
    for name in [k for k in fig.layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        axis = fig.layout[name]
        if axis.dtick is not None or axis.tickformat not in (",d", ",.0f") or _largest(fig, name) >= 10:
            continue
        if axis.tickformat == ",d":
            axis.dtick = 1
        else:
            axis.tickformat = ",.2f" if axis.tickprefix == "$" else ",.1f"


def _month_ticks(fig: go.Figure) -> None:
    """A month axis (tickformat '%b %Y') spanning a year or less ticks on each month's first day:
    left to plotly it steps about 30 days from an offset, so the bars of Jan-May 2025 read
    Jan, Jan, Feb, Mar, Apr and a finance reader took February's dollars for January's."""
    for name in [k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]:
        axis = fig.layout[name]
        if axis.tickformat == "%b %Y" and axis.dtick is None and 0 < _month_span(fig) <= 12:
            axis.dtick = "M1"


def _month_span(fig: go.Figure) -> int:
    """Months from the first to the last date plotted along x, both counted; 0 if none is a date."""
    xs = [v for trace in fig.data if trace.x is not None for v in trace.x]
    dates = pd.to_datetime(pd.Series(xs, dtype="object"), errors="coerce").dropna()
    if dates.empty:
        return 0
    first, last = dates.min(), dates.max()
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _largest(fig: go.Figure, axis_name: str) -> float:
    """The largest value plotted along an axis (stacked bars summed per category); 0 if none is a number."""
    letter, ref = axis_name[0], axis_name[0] + axis_name[5:]  # "yaxis2" -> "y", "y2"
    stacked = fig.layout.barmode in ("stack", "relative")
    totals: dict = {}
    for trace in fig.data:
        values, across = (trace.x, trace.y) if letter == "x" else (trace.y, trace.x)
        if (getattr(trace, f"{letter}axis", None) or letter) != ref or values is None:  # unset: the first axis
            continue
        keys = across if stacked and across is not None else [0] * len(values)
        for key, value in zip(keys, values):
            if _is_number(value):
                totals[key] = totals.get(key, 0) + abs(value) if stacked else max(totals.get(key, 0), abs(value))
    return max(totals.values(), default=0)


def html_block(text: str) -> None:
    """Display prepared HTML (a glossary, a list)."""
    display(HTML(text))


def note(text: str) -> None:
    """A short grey note under a table or chart (definitions, suppression)."""
    if text:
        display(HTML(f"<p class='bcm-note'>{text}</p>"))


def table(frame: pd.DataFrame, caption: str | None = None, columns: list[str] | None = None, *, labels: dict | None = None,
          note: str = "", max_rows: int = 200, group_by: list[str] | None = None, total: tuple[str, str] | None = None,
          pending: dict | None = None) -> None:
    """Display a DataFrame as a readable table.

    columns   which columns, in order (default all); labels overrides formats.label
    group_by  columns whose values make a group of rows that add up to its total row
    total     (column, value) naming the total rows, e.g. ("clinic", "All")
    pending   {column: index labels} shown as "not yet measurable" (a window not closed yet)
    Suppressed cells (frame.attrs["suppressed"], from privacy.Privacy) read "*".
    """
    display(HTML(table_html(frame, caption, columns, labels=labels, note=note, max_rows=max_rows, group_by=group_by,
                            total=total, pending=pending)))


def table_html(frame, caption=None, columns=None, *, labels=None, note="", max_rows=200, group_by=None, total=None,
               pending=None) -> str:
    columns = list(columns or frame.columns)
    labels = labels or {}
    hidden = frame.attrs.get("suppressed", {})
    pending = pending or frame.attrs.get("pending", {})
    kinds = {c: formats.kind(c, frame[c]) for c in columns}
    if "period" in columns and "period" not in labels:  # months headed 'month', as every other table heads them
        labels = {**labels, "period": formats.period_heading(frame["period"], total[1] if total and total[0] == "period" else None)}
    head = "".join(f"<th class='{'num' if formats.is_numeric_kind(kinds[c]) else 'txt'}'>"
                   f"{html.escape(labels.get(c, formats.label(c)))}</th>" for c in columns)
    rows = []
    for index, row in itertools.islice(frame.iterrows(), max_rows):
        attrs = ""
        if group_by is not None:
            attrs += f" data-group='{html.escape('|'.join(str(row[g]) for g in group_by), quote=True)}'"
        if total and row[total[0]] == total[1]:
            attrs += " data-total class='bcm-total'"
        cells = []
        for c in columns:
            k = kinds[c]
            css = "num" if formats.is_numeric_kind(k) else "txt"
            if index in hidden.get(c, ()):
                cells.append(f"<td class='{css} hidden' data-kind='{k}' data-hidden title='suppressed'>{formats.HIDDEN}</td>")
            elif index in pending.get(c, ()):
                cells.append(f"<td class='{css} pending' data-kind='{k}' data-pending>{formats.NOT_YET}</td>")
            else:
                text = formats.cell(row[c], k)
                cells.append(f"<td class='{css}' data-kind='{k}'>{html.escape(text)}</td>")
        rows.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    table_id = f"bcm-table-{next(_table_ids)}"
    # the caption names the table for a screen reader, which otherwise lists each one as "table"
    out = f"<p class='bcm-caption' id='{table_id}-caption'><b>{html.escape(caption)}</b></p>" if caption else ""
    named = f" aria-labelledby='{table_id}-caption'" if caption else ""
    out += (f"<div class='bcm-table'><table class='bcm' id='{table_id}'{named}><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")
    if len(frame) > max_rows:
        out += f"<p class='bcm-note'>{len(frame) - max_rows:,} more rows not shown.</p>"
    if note:
        out += f"<p class='bcm-note'>{note}</p>"
    return out


# --- charts --------------------------------------------------------------------------------


def series(frame: pd.DataFrame, x: str, ys: list[str], *, title: str, bars: bool = True, y_title: str = "",
           names: dict | None = None, changes: list[tuple] = (), x_title: str = "",
           over: dict[str, tuple[str, str]] | None = None) -> go.Figure:
    """A chart of one or more columns over months or periods, from a protected frame.

    Suppressed points (NA with frame.attrs["suppressed"]) are gaps marked with a grey x at 0
    and named in the hover; `changes` are (date, text) pairs drawn as dashed lines labelled
    with the text before its colon (the whole text on hover and in the note under the chart: a
    long label would cover the bars). Bars start at 0; rates read as %, dollars as $. A rate
    in `over` (rate: (part, whole) columns) hovers with its counts, '100.0% (2 of 2)': a small
    program's rate by month swings from 0% to 100% on two patients, and a reader should see so.
    """
    names = names or {}
    hidden = frame.attrs.get("suppressed", {})
    kind = formats.kind(ys[0])
    fig = go.Figure()
    xs = _x_values(frame[x])
    for col in ys:
        values = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        label = names.get(col, formats.label(col))
        counts = _counts_text(frame, *over[col]) if over and col in over else None
        point = f"{label}: {formats.hover(col)}" + ("%{customdata}" if counts else "")
        common = dict(x=xs, y=values, name=label, meta=formats.kind(col), customdata=counts,
                      hovertemplate=f"{point}<extra>%{{x}}</extra>" if x != "month" and x != "service_month"
                      else f"{point}<extra>%{{x|%b %Y}}</extra>")
        if bars:
            fig.add_bar(**common)
        else:
            fig.add_scatter(mode="lines+markers", connectgaps=False, marker=dict(symbol=SYMBOLS[ys.index(col) % len(SYMBOLS)]),
                            **common)
    gaps = [i for i in range(len(frame)) if any(frame.index[i] in hidden.get(c, ()) for c in ys)]
    hidden_marker(fig, [xs[i] for i in gaps],
                  [[names.get(c, formats.label(c)) for c in ys if frame.index[i] in hidden.get(c, ())] for i in gaps])
    _rule_changes(fig, changes, x in ("month", "service_month"))
    fig.update_layout(title=title, barmode="group", hovermode="x unified" if len(ys) > 1 else "closest")
    fig.update_yaxes(title=y_title, **formats.axis_format(kind))
    if kind == "rate":
        fig.update_yaxes(range=[0, 1.02])
    if x in ("month", "service_month"):
        fig.update_xaxes(type="date", tickformat="%b %Y", title=x_title)
    else:
        fig.update_xaxes(type="category", title=x_title)
    return fig


def _rule_changes(fig: go.Figure, changes: list[tuple], by_month: bool) -> None:
    """Each (date, text) change as a dashed vertical line over the whole plot area, labelled with
    the text before its colon in a strip above the y axis (CHANGE_ROW): the data stay below the
    strip, so a label cannot cover a bar or a line, whatever its value."""
    if not changes:
        return
    rows = min(len(changes), CHANGE_ROWS)
    top = 1 - CHANGE_ROW * rows / (HEIGHT - TOP - BOTTOM)
    fig.update_yaxes(domain=[0, top])
    for i, (when, text) in enumerate(changes):
        at = pd.Timestamp(when) if by_month else when
        fig.add_shape(type="line", xref="x", x0=at, x1=at, yref="paper", y0=0, y1=1,
                      line=dict(dash="dash", color="#777", width=1))  # up through the strip (add_vline stops at the axis)
        fig.add_annotation(x=at, y=top, yref="paper",
                           yshift=CHANGE_ROW * (i % rows), text=text.split(":")[0], hovertext=text, showarrow=False,
                           xanchor="left", yanchor="bottom", font=dict(size=11, color="#555"),
                           bgcolor="rgba(255,255,255,0.8)")


def _counts_text(frame: pd.DataFrame, part: str, whole: str) -> list[str]:
    """' (2 of 2)' per row of a rate's counts, '' where either is suppressed (or absent)."""
    hidden = frame.attrs.get("suppressed", {})
    return [f" ({int(p):,} of {int(w):,})" if not (i in hidden.get(part, ()) or i in hidden.get(whole, ()))
            and pd.notna(p) and pd.notna(w) else "" for i, p, w in zip(frame.index, frame[part], frame[whole])]


def hidden_marker(fig: go.Figure, xs: list, what: list[list[str]]) -> None:
    """Mark suppressed points: a grey x at 0 at each of xs, its hover naming what is hidden there
    (`what`: the names of the series hidden at each x, kept as data too, for values_list).
    Every chart drawn from a protected frame marks its gaps this way (the external banner says so)."""
    if xs:
        fig.add_scatter(x=xs, y=[0] * len(xs), mode="markers", name=HIDDEN_MARKER, meta="hidden", customdata=what,
                        marker=dict(symbol="x-thin", size=10, line=dict(width=2, color="#888"), color="#888"),
                        text=[f"suppressed: {', '.join(names)}" for names in what], hovertemplate="%{text}<extra></extra>")


# The range itself is said once a page, by its banner and note (Privacy): a chart knows only its frame.
HIDDEN_NOTE = ("Marked x at 0: suppressed points (counts in the cell-size range the banner names, or that would reveal "
               "one), drawn as gaps. ")


def hidden_note(frame: pd.DataFrame, x: str, ys: list[str], names: dict | None = None, group: str | None = None) -> str:
    """Which points of a chart are suppressed, in words (empty when none): months as runs ('Nov
    2024 to Apr 2026 and Jun 2026'), per column, or per group (a clinic, named through `names`,
    in its order) for a chart drawn by `by_group`, whose reader asks which group is missing when."""
    names = names or {}
    hidden = frame.attrs.get("suppressed", {})
    order = {key: n for n, key in enumerate(names)}
    parts = []
    for col in ys:
        rows = [i for i in frame.index if i in hidden.get(col, ())]
        keys = [frame.loc[i, group] for i in rows] if group else [col] * len(rows)
        for key in dict.fromkeys(sorted(keys, key=lambda k: (order.get(k, len(order)), str(k))) if group else keys):
            where = [frame.loc[i, x] for i, k in zip(rows, keys) if k == key]
            parts.append(f"{names.get(key, key if group else formats.label(col))}: {_points_text(where, x)}")
    if not parts:
        return ""
    return HIDDEN_NOTE + "; ".join(parts) + "."


def _points_text(where: list, x: str) -> str:
    """Each x once, in order; months as runs of consecutive months."""
    where = list(dict.fromkeys(where))
    if x in ("month", "service_month"):
        return months.runs_text(sorted(pd.Timestamp(w).date() for w in where), "%b %Y")
    return ", ".join(str(w) for w in where)


def _total_line(fig: go.Figure, total: pd.DataFrame, x: str, y: str, name: str) -> list[tuple]:
    """Draw the total rows of `y` as a line; return its hidden points as (x, name) gaps."""
    hidden = total.attrs.get("suppressed", {}).get(y, ())
    xs = _x_values(total[x])
    fig.add_scatter(x=xs, y=shown_values(total, y, hidden),
                    name=name, mode="lines+markers", meta=formats.kind(y), line=dict(color="#333", width=2),
                    hovertemplate=f"{name}: {formats.hover(y)}<extra>%{{x|%b %Y}}</extra>")
    return [(xv, name) for xv, i in zip(xs, total.index) if i in hidden]


def shown_values(rows: pd.DataFrame, col: str, hidden) -> list:
    """`col` of a protected frame's rows as plotted: None where the cell is hidden (its index in
    `hidden`) or empty, so the point is a gap, never a 0."""
    return [None if i in hidden or pd.isna(v) else float(v) for i, v in zip(rows.index, rows[col])]


def _x_values(values: pd.Series) -> list:
    if pd.api.types.is_datetime64_any_dtype(values) or (len(values) and hasattr(values.iloc[0], "strftime")):
        return [pd.Timestamp(v) for v in values]
    return [str(v) for v in values]


def by_group(frame: pd.DataFrame, x: str, group: str, y: str, *, title: str, bars: bool = True, stacked: bool = False,
             y_title: str = "", names: dict | None = None, total: pd.DataFrame | None = None,
             total_name: str = "") -> go.Figure:
    """One trace per group (a clinic ...) of column `y` over months, from a protected frame;
    suppressed cells are marked gaps as in `series`. `total` (the protected frame's own total
    rows) is drawn as a dark line: where a group is hidden, stacked bars no longer add up to the
    whole, and a reader takes a bar's height for it."""
    names = names or {}
    hidden = frame.attrs.get("suppressed", {}).get(y, ())
    fig = go.Figure()
    gaps = []
    for n, (value, rows) in enumerate(frame.groupby(group, sort=True)):
        label = str(names.get(value, value))
        ys = shown_values(rows, y, hidden)
        xs = _x_values(rows[x])
        common = dict(x=xs, y=ys, name=label, meta=formats.kind(y),
                      hovertemplate=f"{label}: {formats.hover(y)}<extra>%{{x|%b %Y}}</extra>")
        color, lap = PALETTE[n % len(PALETTE)], n // len(PALETTE)
        if bars:
            fig.add_bar(marker=dict(color=color), **common)
        else:
            fig.add_scatter(mode="lines+markers", line=dict(color=color, dash=DASHES[lap % len(DASHES)]),
                            marker=dict(symbol=SYMBOLS[n % len(SYMBOLS)]), **common)
        gaps += [(xv, label) for xv, i in zip(xs, rows.index) if i in hidden]
    if total is not None:
        gaps += _total_line(fig, total, x, y, total_name)
    hidden_marker(fig, [g[0] for g in gaps], [[g[1]] for g in gaps])
    fig.update_layout(title=title, barmode="stack" if stacked else "group")
    fig.update_yaxes(title=y_title, **formats.axis_format(formats.kind(y)))
    fig.update_xaxes(type="date", tickformat="%b %Y")
    return fig
