"""Show figures and tables in notebooks so they survive into offline HTML.

plotly's default renderer under papermill writes only a MIME bundle that nbconvert drops, so
figures are displayed as HTML: plotly.js embedded with the first figure of the report (4.8 MB
once, works offline), fixed div ids so the same data gives the same bytes.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
from IPython.display import HTML, display

_figure_ids = itertools.count(1)
_table_ids = itertools.count(1)
_TABLE_CSS = """<style>
table.bcm {border-collapse: collapse; font-size: 13px; margin: 8px 0 16px}
table.bcm th {background: #DDEBF7; text-align: left; padding: 4px 8px; border-bottom: 1px solid #999}
table.bcm td, table.bcm th {padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left !important}
</style>"""
MONEY_WORDS = ("amount", "revenue", "exposure", "dollars", "at_stake")  # columns shown as $1,234.56
_NUMBER = re.compile(r"^[-+]?\$?-?[\d,]+(\.\d+)?%?$")
_css_shown = False


def show(fig) -> None:
    """Display a plotly figure as self-contained HTML (never use fig.show() in report notebooks)."""
    n = next(_figure_ids)
    fig.update_layout(template="plotly_white", margin=dict(l=40, r=20, t=50, b=40))
    html = fig.to_html(full_html=False, include_plotlyjs=(n == 1), div_id=f"bcm-figure-{n}",
                       config={"displaylogo": False})
    display(HTML(html))


def table(frame: pd.DataFrame, caption: str | None = None, max_rows: int = 200) -> None:
    """Display a DataFrame as a plain, readable table; suppressed cells (from `suppress`) show as *.

    Numbers are right-aligned so digits line up; text stays left-aligned.
    """
    global _css_shown
    html = "" if _css_shown else _TABLE_CSS
    _css_shown = True
    if caption:
        html += f"<p><b>{caption}</b></p>"
    shown = readable(frame.head(max_rows))
    table_id = f"bcm-table-{next(_table_ids)}"
    numeric = [i + 1 for i, col in enumerate(shown.columns) if _is_numeric(shown.iloc[:, i])]
    if numeric:
        cells = ", ".join(f"#{table_id} td:nth-child({i}), #{table_id} th:nth-child({i})" for i in numeric)
        html += f"<style>{cells} {{text-align: right !important}}</style>"
    html += shown.to_html(index=False, classes="bcm", border=0, table_id=table_id)
    if len(frame) > max_rows:
        html += f"<p><i>{len(frame) - max_rows:,} more rows not shown.</i></p>"
    display(HTML(html))


def _is_numeric(cells: pd.Series) -> bool:
    values = [v for v in cells if v not in ("", "*", "-")]
    return bool(values) and all(_NUMBER.match(v) for v in values)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as text: thousands separators, one decimal (dollars two), blanks for missing, * for suppressed."""
    out = frame.astype(object).map(_cell)
    for col in frame.columns:
        if any(word in str(col) for word in MONEY_WORDS) and pd.api.types.is_numeric_dtype(frame[col]):
            out[col] = frame[col].map(lambda v: "" if pd.isna(v) else f"${v:,.2f}")
    for col, labels in frame.attrs.get("suppressed", {}).items():
        if col in out.columns:
            out.loc[out.index.isin(list(labels)), col] = "*"
    out.columns = [str(c).replace("_", " ") for c in frame.columns]
    return out


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def note(text: str) -> None:
    """A short grey note under a table or chart (definitions, suppression)."""
    display(HTML(f"<p style='color:#555;font-size:12px;max-width:900px'>{text}</p>"))
