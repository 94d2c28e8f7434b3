"""The top of every report: what it is, with which parameters, on which data.

A reader must know how fresh the data is before trusting a number, so the header states the
last load and the latest activity date; it shows no wall-clock time of rendering, so the same
data renders to the same bytes.
"""

from __future__ import annotations

import html

from IPython.display import HTML, display

from bcm_analytics import __version__


def data_freshness(con) -> dict:
    row = con.execute(
        """SELECT (SELECT count(*) FROM meta.load_log),
                  (SELECT max(finished_at) FROM meta.load_log),
                  (SELECT max(service_date) FROM core.time_logs),
                  (SELECT max(administered_on) FROM core.assessments),
                  (SELECT max(date_of_service) FROM staging.claims),
                  (SELECT count(*) FROM meta.quarantine WHERE status IN ('open', 'waiting'))"""
    ).fetchall()[0]
    keys = ["files loaded", "last load", "latest time-log date", "latest assessment date",
            "latest claim date", "rows in quarantine"]
    return dict(zip(keys, row))


def header(con, title: str, parameters: dict, purpose: str = "") -> None:
    """Display the title, the report's parameters and the data freshness."""
    params = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape('all' if v in (None, '', []) else str(v))}</td></tr>"
        for k, v in parameters.items() if k != "db"
    )
    fresh = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(v))}</td></tr>" for k, v in data_freshness(con).items()
    )
    display(HTML(
        f"<h1>{html.escape(title)}</h1>"
        + (f"<p>{html.escape(purpose)}</p>" if purpose else "")
        + "<div style='display:flex;gap:48px'>"
        f"<div><h4>Report parameters</h4><table class='bcm'>{params}</table></div>"
        f"<div><h4>Data freshness</h4><table class='bcm'>{fresh}</table></div></div>"
        f"<p style='color:#666;font-size:12px'>bcm-analytics {__version__}</p>"
    ))


def _fmt(value) -> str:
    if value is None:
        return "none"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip() if hasattr(value, "hour") else value.isoformat()
    return f"{value:,}" if isinstance(value, int) else str(value)
