"""The top of every report: what it is, for whom, its headline numbers, parameters and data.

A reader must know how fresh the data is before trusting a number, so the header states the
last load and the latest activity date (an external page: their months, shown_freshness); it shows no wall-clock time of rendering, so the same
data renders to the same bytes. The page title (report and period) travels to the runner in a
metadata output nbconvert does not print.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from IPython.display import display

from bcm_analytics import __version__
from bcm_analytics.models.marts import program_timezone
from bcm_analytics.reports import formats
from bcm_analytics.reports.privacy import Privacy, parameter_text
from bcm_analytics.reports.runner import PAGE_MIME


@dataclass(frozen=True)
class Headline:
    """One headline number: its label, its value (None = no base, hidden = suppressed), a detail line."""

    label: str
    value: float | int | str | None
    kind: str = "count"
    detail: str = ""
    hidden: bool = False

    def html(self) -> str:
        if self.hidden:
            text, css = formats.HIDDEN, " hidden"
        elif isinstance(self.value, str):
            text, css = self.value, ""
        else:
            text, css = formats.cell(self.value, self.kind), ""
        title = " title='suppressed: a small count, or what would reveal one, is not shown (the note at the end)'" if self.hidden else ""
        return (f"<div class='bcm-card'><div class='bcm-value{css}' data-kind='{self.kind}'{title}>{html.escape(text)}</div>"
                f"<div class='bcm-label'>{html.escape(self.label)}</div>"
                + (f"<div class='bcm-detail'>{html.escape(self.detail)}</div>" if self.detail else "") + "</div>")


def clinic_names(con) -> dict:
    """clinic_id -> clinic name, for labels (the id where the export gave no name)."""
    return dict(con.execute("SELECT clinic_id, coalesce(clinic_name, clinic_id) FROM staging.clinics").fetchall())


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
    fresh = dict(zip(keys, row))
    if fresh["last load"] is not None:  # on the program's clock, so its month is the program's too
        fresh["last load"] = formats.on_clock(fresh["last load"], program_timezone(con))
    return fresh


EXTERNAL_FRESHNESS = {"latest time-log date": "time logged through", "latest assessment date": "scores through",
                      "latest claim date": "claims through", "last load": "last loaded"}


def shown_freshness(fresh: dict, privacy: Privacy) -> dict[str, str]:
    """The data-freshness box as this audience reads it. Staff: every line, to the day and minute.
    An external page: how far each source reaches and when it was loaded, to the month
    (Privacy.data_date: the day of the latest visit or score is one patient's date of care); the
    files loaded and rows in quarantine are the data stewards' business, not an outside reader's."""
    if not privacy.external:
        return {k: fmt(v) for k, v in fresh.items()}
    return {label: "none loaded" if fresh.get(key) is None else privacy.data_date(fresh[key])
            for key, label in EXTERNAL_FRESHNESS.items() if key in fresh}


def header(con, title: str, period: str, parameters: dict, privacy: Privacy, *, report: str, purpose: str = "",
           headlines: list[Headline] = (), headline_note: str = "", rerun: dict | None = None,
           has_external: bool = True, period_note: str = "", warning: str = "") -> None:
    """Display the title and period, the audience banner, the headline numbers, the purpose,
    the report's parameters and the data freshness; give the page its <title>.

    `period_note`: why the period is not the months asked for (privacy.ReportPeriod.note: an
    external page shows whole calendar quarters), under the period.

    `rerun`: the notebook parameters that chose this page (the banner of an internal page
    shows the command for the external version with them).

    `warning`: what makes the headline numbers misleading until the user acts (no claims loaded
    for the months shown), in a banner above them: a grey note under the cards went unread.
    """
    shown = {k: v for k, v in parameters.items() if k != "db"}
    params = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape('all' if v in (None, '', []) else parameter_text(v))}</td></tr>"
        for k, v in shown.items())
    fresh = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
        for k, v in shown_freshness(data_freshness(con), privacy).items())
    cards = "".join(h.html() for h in headlines)
    asked = {k: v for k, v in (rerun or {}).items() if k not in ("db", "audience")}
    names = clinic_names(con) if privacy.external and (asked.get("clinic") or asked.get("clinics")) else {}
    body = (
        f"<h1>{html.escape(title)}</h1><p class='bcm-period'>{html.escape(period)}</p>"
        + (f"<p class='bcm-note bcm-period-note'>{html.escape(period_note)}</p>" if period_note else "")
        + privacy.banner(report, asked, has_external, names)
        + (f"<div class='bcm-banner warning' role='alert'>{html.escape(warning)}</div>" if warning else "")
        + (f"<div class='bcm-headline'>{cards}</div>" if cards else "")
        + (f"<p class='bcm-note'>{headline_note}</p>" if headline_note else "")
        + (f"<p>{html.escape(purpose)}</p>" if purpose else "")
        + "<div class='bcm-meta'>"
        f"<div><h2 class='bcm-meta-title'>Report parameters</h2><table class='bcm-plain'>{params}</table></div>"
        f"<div><h2 class='bcm-meta-title'>Data freshness</h2><table class='bcm-plain'>{fresh}</table></div></div>"
        f"<p class='bcm-note'>bcm-analytics {__version__}</p>"
    )
    page_title = f"{title}, {period}" + (" (external)" if privacy.external else "")
    display({"text/html": body, PAGE_MIME: {"title": page_title, "audience": privacy.audience}}, raw=True)


def fmt(value) -> str:
    if value is None:
        return "none"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip() if hasattr(value, "hour") else value.isoformat()
    return f"{value:,}" if isinstance(value, int) else str(value)
