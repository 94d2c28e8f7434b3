"""The data-quality page's charts and sentences, from the tables contracts.quality computes.

Drawn in the palette every other report uses: plotly express gives each trace a colour of its own
default sequence, which the page's colorway cannot override, so this page's lines and bars were
the only ones in plotly's colours.
"""

from __future__ import annotations

import html
import json
import shlex

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from bcm_analytics.contracts import quality
from bcm_analytics.models.marts import current, program_timezone
from bcm_analytics.reports import charts, formats


def export_months_figure(months: pd.DataFrame) -> go.Figure:
    """Rows per month of each export (time logs, scores, claims): an export that stops early shows."""
    fig = px.line(months, x="month", y="rows", color="export", markers=True, title="Rows per month, by export",
                  labels={"month": "", "rows": "rows", "export": "export"}, color_discrete_sequence=charts.PALETTE)
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def to_act_on_figure(act_on: pd.DataFrame) -> go.Figure:
    """The checks with most rows still open or waiting, largest first."""
    fig = px.bar(act_on, x="rows", y="label", color="status", orientation="h",
                 title="Rows still to act on (open or waiting), by check",
                 category_orders={"label": list(dict.fromkeys(act_on["label"])), "status": quality.STILL_TO_ACT_ON},
                 labels={"label": "", "rows": "rows open or waiting", "status": "status"},
                 color_discrete_sequence=charts.PALETTE)
    fig.update_xaxes(rangemode="tozero", tickformat=",d")
    return fig


def quarantine_trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Per load, the share of the rows read that went to the quarantine, one line per table, each
    with a marker of its own: eight tables and six colours drew clinics and diagnoses alike, and a
    table loaded once is a marker alone."""
    shares = trend.assign(share_quarantined=trend["percent_quarantined"] / 100)
    fig = px.line(shares, x="load", y="share_quarantined", color="table", symbol="table", markers=True,
                  title="Rows quarantined, % of rows read per load",
                  labels={"share_quarantined": "quarantined", "load": "load number", "table": "table"},
                  color_discrete_sequence=charts.PALETTE)
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    fig.update_xaxes(dtick=1)
    return fig


def table_warnings(results: pd.DataFrame) -> pd.DataFrame:
    """The warn-level checks across rows (duplicates, a day's minutes ...) the stored data fails,
    each with what its count counts: the stored rows, or the groups a SQL check returns (one
    heading 'rows or groups' left the reader to guess which number was which)."""
    failed = results[(results.severity == "warn") & (results.scope == "table") & ~results.passes_stored.astype(bool)]
    return failed[["table", "expectation", "unexpected_stored", "counting"]].rename(columns={"unexpected_stored": "found"})


def validation_note(con, run: pd.Series | None, db) -> str:
    """What the last `bcm validate` found, or the command to run one (HTML); its time on the
    program's clock."""
    if run is None:
        command = html.escape(shlex.join(["bcm", "validate", "--db", str(db)]))
        return f"No validation has run on this store yet: run <code>{command}</code>."
    verdict = "passes" if run.success else "FAILS (a reject-level expectation fails on stored data)"
    sample = ("great-expectations not run" if pd.isna(run.sample_rows)
              else f"great-expectations sample: up to {int(run.sample_rows):,} rows per table")
    return f"Run {int(run.run_id)} on {formats.clock(run.finished_at, program_timezone(con))}: the store {verdict}; {sample}."


def payer_spellings_apart(con) -> pd.DataFrame:
    """Payer names that differ only in case, spaces or punctuation and are still two payers (no
    alias joins them), one row per payer of each group, with its rows, its spellings and the
    payer to alias it to: marts.payer_spellings_apart, under the store's own rules."""
    return current(con, area="billing").select(
        "SELECT payer_likeness, payer, row_count, spellings, alias_to FROM marts.payer_spellings_apart").df()


def payer_spelling_warnings(apart: pd.DataFrame) -> list[str]:
    """One sentence per group of payer_spellings_apart: both names with their rows, and the
    setting that makes them one payer, should they be one."""
    lines = []
    for _, group in apart.groupby("payer_likeness", sort=False):
        target = group["alias_to"].iloc[0]
        names = " and ".join(f"{payer!r} ({rows:,} row{'' if rows == 1 else 's'})"
                             for payer, rows in zip(group["payer"], group["row_count"]))
        aliases = ", ".join(f"{json.dumps(p)}: {json.dumps(target)}" for p in group["payer"] if p != target)
        lines.append(f"payer names {names} differ only in case, spaces or punctuation and are two payers; "
                     f"if they are one, add to the rules file: payer_aliases: {{{aliases}}}")
    return lines


def payer_spellings_table(apart: pd.DataFrame) -> pd.DataFrame:
    """The page's table of payer_spellings_apart: each payer, its rows, how the exports write it,
    and the alias that would make it the group's payer on most rows."""
    return pd.DataFrame({
        "payer": apart["payer"], "rows": apart["row_count"],
        "written as": [", ".join(repr(s) for s in spellings) for spellings in apart["spellings"]],
        "alias to add (rules file, payer_aliases)": [
            "" if payer == target else f"{json.dumps(payer)}: {json.dumps(target)}"
            for payer, target in zip(apart["payer"], apart["alias_to"])],
    })
