"""Audit packets as HTML: one self-contained page per billed or expected patient-month, and an index.

The data is billing/audit.py's five sections, each fetched once for the whole period and grouped
by patient-month here; the pages are Jinja2 templates (templates/audit_packet.html.j2, with the
CSS inlined, so a page opens anywhere and prints one patient-month per page). Jinja2 comes with
nbconvert; it escapes every value, which hand-built HTML strings would have to do one by one.
Pages name patients: files are written 0600 in folders created 0700.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bcm_analytics import __version__, private_files
from bcm_analytics.billing.audit import SECTIONS, Scope, section_query
from bcm_analytics.billing.engine import billing_marts
from bcm_analytics.billing.reconcile import claims_gap_note, finding_name, months_without_claims
from bcm_analytics.billing.time_outcomes import HEADINGS
from bcm_analytics.models.marts import program_timezone
from bcm_analytics.reports import formats

PROGRAMS = {"cocm": "CoCM (psychiatric collaborative care)", "general_bhi": "general behavioral health integration"}


@dataclass(frozen=True)
class PacketRun:
    """What `write_packets` wrote: the index, how many packets, for how many patients, how long."""

    index: Path
    packets: int
    patients: int
    seconds: float
    notes: list[str]  # about the folder: see _folder_notes


def write_packets(con, out_dir: str | Path, start, end=None, patient: str | None = None, rules=None,
                  store: str | Path | None = None) -> PacketRun:
    """Write one packet per billed or expected patient-month of start..end (one patient's, when
    given) and index.html into out_dir; returns what was written."""
    started = time.perf_counter()
    marts = billing_marts(con, rules)
    scope = Scope(start, end, patient)
    months = _rows(section_query(marts, "months", scope, month_text=False))
    parts = {name: _grouped(_rows(section_query(marts, name, scope, month_text=False)))
             for name in SECTIONS if name != "months"}
    loads = {r[0]: r[1:] for r in con.execute("SELECT load_id, finished_at, source_file FROM meta.load_log").fetchall()}
    # a month of the period with expected lines and no claim line loaded reads "missed billing";
    # its page and the index say so (the warning `bcm audit` prints does not travel with the pages)
    gaps = {month: claims_gap_note(marts, month) for month in months_without_claims(marts, scope.start, scope.end)}
    zone = program_timezone(con)
    made = {"at": formats.clock(dt.datetime.now(dt.timezone.utc), zone), "version": __version__,
            "store": str(store or _store_path(con)), "data_version": max(loads, default=0)}
    env = _environment(zone)
    packet = env.get_template("audit_packet.html.j2")
    existed = Path(out_dir).is_dir()
    folder = private_files.make_folder(out_dir)
    listed = []
    for m in months:
        key = (m["patient_id"], m["service_month"])
        entries = parts["entries"].get(key, [])
        claims = parts["claims"].get(key, [])
        findings = parts["findings"].get(key, [])
        named = _finding_names(findings)
        page = packet.render(
            m=m, entries=entries, lines=parts["lines"].get(key, []), claims=claims, findings=findings, named=named,
            totals=_totals(entries), not_counted=_not_counted(entries),
            sources=_sources(m, entries, claims, loads), made=made, claims_gap=gaps.get(m["service_month"]),
        )
        name = page_name(m["patient_id"], m["service_month"])
        private_files.write_text(folder / name, page)
        listed.append({"m": m, "file": name, "named": named})
    index = env.get_template("audit_index.html.j2").render(
        rows=listed, period=_period_text(scope), patient=patient, made=made, ruleset=marts.rules.id,
        claims_gap=claims_gap_note(marts, scope.start, scope.end) if gaps else None,
        totals={"expected": sum(r["m"]["expected_amount"] or 0 for r in listed),
                "billed": sum(r["m"]["billed_amount"] or 0 for r in listed),
                "reconciled": sum(bool(r["m"]["reconciled"]) for r in listed),
                # a month whose claim lines bill nothing (denied, voided) and whose minutes support no code
                "no_finding": sum(not r["m"]["findings"] for r in listed)},
    )
    private_files.write_text(folder / "index.html", index)
    return PacketRun(folder / "index.html", len(listed), len({r["m"]["patient_id"] for r in listed}),
                     time.perf_counter() - started, _folder_notes(folder, existed, {r["file"] for r in listed}))


PAGE_NAME = re.compile(r"[A-Za-z0-9_~-]+_\d{4}-\d{2}\.html")


def _folder_notes(folder: Path, existed: bool, written: set[str]) -> list[str]:
    """What to know of a folder the packets went into that was there before: its mode is the
    user's (bcm makes only new folders 0700), and a page's name carries its patient id, so a folder
    others can read lists who was audited; and the pages of an earlier run that this index does
    not link stay beside it, where an auditor could open one for the current month's."""
    if not existed:
        return []
    notes = []
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        notes.append(f"{folder} was there before and others can list it (mode {mode:04o}): each page is private, but "
                     f"page names carry patient ids; chmod 700 {folder} to keep them private")
    earlier = sorted(p.name for p in folder.iterdir() if PAGE_NAME.fullmatch(p.name) and p.name not in written)
    if earlier:
        notes.append(f"{len(earlier):,} page(s) in {folder} are from an earlier run and not in this index "
                     f"(e.g. {earlier[0]}); delete them if they should not travel with it")
    return notes


def page_name(patient_id: str, month: dt.date) -> str:
    """A file name per patient-month that no patient id can turn into a path: characters other
    than letters, digits, - and _ become ~hex."""
    safe = re.sub(r"[^A-Za-z0-9_-]", lambda c: f"~{ord(c.group()):x}", patient_id)
    return f"{safe}_{month:%Y-%m}.html"


# --- data for the templates --------------------------------------------------------------------


def _rows(query) -> list[dict]:
    result = query.execute()
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def _grouped(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        out[(row["patient_id"], row["service_month"])].append(row)
    return out


def _totals(entries: list[dict]) -> dict:
    return {"logged": sum((e["minutes_logged"] for e in entries), Decimal(0)),
            "counted": sum((e["minutes_counted"] for e in entries), Decimal(0)),
            "not_counted": sum((e["minutes_not_counted"] for e in entries), Decimal(0))}


def _not_counted(entries: list[dict]) -> list[dict]:
    """The minutes not counted, summed per reason, so logged = counted + these, on the page."""
    out: dict[str, dict] = {}
    for e in entries:
        if e["minutes_not_counted"] > 0 or (e["status"] != "counted" and e["minutes_logged"] == 0):
            label = HEADINGS[e["not_counted_as"]]
            row = out.setdefault(label, {"label": label, "minutes": Decimal(0), "entries": 0})
            row["minutes"] += e["minutes_not_counted"]
            row["entries"] += 1
    return list(out.values())


def _sources(m: dict, entries: list[dict], claims: list[dict], loads: dict) -> list[dict]:
    """Each export file behind the page, with the rows taken from it and its load: the patient row,
    the time entries, the facility_stays rows of the stays that set the month's minutes aside or
    cut them, the claim lines."""
    found: dict[tuple, dict] = {}

    def add(file, load_id, what: str, line) -> None:
        row = found.setdefault((file, load_id), {"file": file, "load_id": load_id,
                                                 "loaded_at": loads.get(load_id, (None,))[0], "what": {}})
        row["what"].setdefault(what, []).append(line)

    add(m["patient_source_file"], m["patient_load_id"], "patient row", m["patient_source_line"])
    for e in entries:
        add(e["source_file"], e["load_id"], "time entries", e["source_line"])
    for e in entries:  # the hospital stays that set minutes aside or cut them (a stay once per file)
        for s in e["facility_stays"] or []:
            add(s["source_file"], s["load_id"], "hospital stays", s["source_line"])
    for c in claims:
        if c["source_file"]:
            add(c["source_file"], c["load_id"], "claim lines", c["source_line"])
    for row in found.values():
        row["what"] = "; ".join(f"{what} (line{'s' if len(lines) > 1 else ''} {_lines_text(lines)})"
                                for what, lines in row["what"].items())
    return list(found.values())


def _lines_text(lines: list) -> str:
    return ", ".join(str(n) for n in sorted({n for n in lines if n is not None}))


def _period_text(scope: Scope) -> str:
    p = scope.params()
    return f"{p['start']:%Y-%m}" if p["start"] == p["end"] else f"{p['start']:%Y-%m} to {p['end']:%Y-%m}"


def _store_path(con) -> str:
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]


# --- the templates and their filters ----------------------------------------------------------


def _environment(zone: str):
    """The templates, with their filters; `stamp` shows an instant on the program's clock (`zone`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("bcm_analytics.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(minutes=_minutes, dollars=_dollars, month=_month, month_name=_month_name, day=_day,
                       day_before=lambda d: _day(d - dt.timedelta(days=1)) if d else "",
                       stamp=lambda v: "" if v is None else formats.clock(v, zone), words=_words, program=lambda p: PROGRAMS.get(p, p), basename=_basename,
                       when=_when, codes=_codes, finding=finding_name)
    return env


def _minutes(value) -> str:
    if value is None:
        return ""
    text = f"{Decimal(str(value)):,.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _codes(value) -> str:
    """Codes as a table cell wraps them: between codes ('99493 + 99494 x2'), never inside one
    ('99494 x2', '99492 (denied)')."""
    return " + ".join(code.replace(" ", "\u00a0") for code in value.split(" + "))


def _dollars(value) -> str:
    return "" if value is None else f"${value:,.2f}"


def _month(value) -> str:
    return "" if value is None else f"{value:%Y-%m}"


def _month_name(value) -> str:
    return f"{value:%B %Y}"


def _day(value) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def _interval(e: dict) -> str:
    """An entry's start and its real local end (audit_entries: 01:50 of 30 minutes ends at 03:20 on
    the night the clocks spring forward). A time in the hour a fall-back repeats reads the same on
    the clock twice, so the interval then names its offsets: 01:50 CDT-01:20 CST, 01:50-02:20 CST."""
    zone = ZoneInfo(e["timezone"])
    start, end = e["start_instant"].astimezone(zone), e["end_instant"].astimezone(zone)
    text = f"{e['start_at']:%H:%M}-{e['end_at']:%H:%M}"
    if not (_repeated(start) or _repeated(end)):
        return text
    if start.tzname() == end.tzname():
        return f"{text} {end.tzname()}"
    return f"{e['start_at']:%H:%M} {start.tzname()}-{e['end_at']:%H:%M} {end.tzname()}"


def _repeated(local: dt.datetime) -> bool:
    """Whether a local time is in the hour a fall-back repeats: the other of the two readings of
    its clock time has another offset."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _finding_names(findings: list[dict]) -> str:
    """A month's findings as the reconciliation page names them (reconcile.finding_name, by
    severity: missing_consent is 'billed without consent' or 'minutes logged without consent')."""
    names = [finding_name(f["finding"], f["severity"]) for f in sorted(findings, key=lambda f: f["finding"])
             if f["finding"] != "matched"]
    return ", ".join(dict.fromkeys(names))


def _words(value) -> str:
    return "" if value is None else str(value).replace("_", " ")


def _basename(value) -> str:
    return "" if value is None else re.split(r"[\\/]", str(value))[-1]


def _when(e: dict) -> str:
    """The entry's local date, with its interval when it has a start time (or the time of day it
    was exported with)."""
    day = f"{e['service_date']:%Y-%m-%d}"
    if e["start_at"] is not None:
        return f"{day} {_interval(e)}"
    at = e["service_at"]
    return f"{day} {at:%H:%M}" if at is not None and (at.hour, at.minute) != (0, 0) else day
