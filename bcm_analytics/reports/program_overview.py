"""The program overview's numbers: caseload, enrolments, discharges and logged time by clinic.

From overview.program_overview (one row per month and clinic), protected for the audience.
Families (each protected once):

  caseload   active caseload at each month end per clinic (clinics add up to the program),
             protected against the flows beside it (stocks_and_flows)
  flows      enrolments and discharges per month and per clinic over the period, protected
             together as two margins of the month x clinic table; for an external reader the
             program's figures come in its calendar blocks (privacy.calendar_blocks, the ones the
             caseload report shows) and the clinics' over the period are a table of their own,
             each clinic's two flows shown together or not at all (its caseloads at the end of
             this page's period and of the previous page's give their difference: hide_pairs)
             (the caseload changes by enrolments minus discharges, so a hidden flow between two
             shown caseloads would show: blocks are shown whole or not at all)
  time       minutes logged per patient with time, per clinic and month; and over the period
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.overview import first_enrolment_month, program_overview
from bcm_analytics.reports import charts, formats
from bcm_analytics.reports.page import Headline
from bcm_analytics.reports.privacy import TOTAL, Privacy, by_period, calendar_blocks, hide_beside, hide_pairs, page_blocks

FLOWS = ["new_enrolments", "discharges"]
ALL_CLINICS = "all clinics"
LINE_NOTES = {
    "active_caseload": "The dark line is all clinics together; where a clinic is suppressed, the bars stop short of it "
                       "by the suppressed clinics' caseload.",
    "minutes_per_patient": "The dark line is all clinics together.",
}


def load(con, start, end, clinic=None) -> pd.DataFrame:
    frame = program_overview(con, start, end, clinic)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def with_program_rows(raw: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Each month's clinic rows followed by the program row (clinic_id TOTAL)."""
    program = raw.groupby("month", as_index=False)[cols].sum().assign(clinic_id=TOTAL)
    out = pd.concat([raw[["month", "clinic_id", *cols]], program[["month", "clinic_id", *cols]]], ignore_index=True)
    return out.sort_values(["month", "clinic_id"], key=lambda s: s.eq(TOTAL) if s.name == "clinic_id" else s,
                           kind="stable").reset_index(drop=True)


def caseload(raw: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Active caseload per clinic and for the program at each month end (each month its own table)."""
    return privacy.protect(with_program_rows(raw, ["active_caseload"]), ["active_caseload"], ["clinic_id"])


def history(con, end, clinic=None) -> pd.DataFrame:
    """The months from the program's first enrolment to `end`: the history an external page cuts
    its enrolment and discharge blocks from (flows)."""
    return load(con, first_enrolment_month(con) or end, end, clinic)


def flows(raw: pd.DataFrame, privacy: Privacy, start, end, history: pd.DataFrame | None = None) -> tuple[str, dict]:
    """Enrolments and discharges per period (program) and per clinic over the whole period, with
    the period total: {"periods": ..., "clinics": ..., "total": ...}.

    For an external reader the periods are the program's calendar blocks (grain "block"), cut
    from `history` (the months from the program's first enrolment; default `raw`, for a period
    that starts there), with "blocks" all of them for stocks_and_flows.
    """
    if privacy.external:
        return "block", _block_flows(raw, privacy, start, end, raw if history is None else history)

    def build(grain):
        rows = by_period(raw[["month", "clinic_id", *FLOWS]], "month", grain, FLOWS, keys=["clinic_id"], start=start, end=end)
        starts = dict(zip(rows["period"], rows["period_start"]))
        tables = privacy.breakdowns(rows.drop(columns="period_start"), ["period", "clinic_id"],
                                    [("period",), ("clinic_id",), ()], FLOWS, FLOWS)
        tables[("period",)]["month"] = tables[("period",)]["period"].map(starts)
        return {"periods": tables[("period",)], "clinics": tables[("clinic_id",)], "total": tables[()]}

    grain, _ = privacy.roll_up(lambda g: build(g)["periods"], FLOWS, max_hidden=0.0)
    return grain, build(grain)


def _block_flows(raw: pd.DataFrame, privacy: Privacy, start, end, history: pd.DataFrame) -> dict:
    """The external flows: the program's blocks within the period, its total over whole shown
    blocks, and the clinics over the period (protected with their total). Where the total is
    hidden (a block reaching outside the period, or a last one still at 1-10), shown clinics would
    add up to it: one clinic's flows are hidden too."""
    program = history.groupby("month", as_index=False)[[*FLOWS, "active_caseload"]].sum()
    blocks = calendar_blocks(program, FLOWS, end, privacy.threshold, stock="active_caseload")
    periods, total = page_blocks(blocks, FLOWS, start, end)
    sums = raw.groupby("clinic_id", as_index=False)[FLOWS].sum()
    frame = pd.concat([sums, sums[FLOWS].sum().to_frame().T.assign(clinic_id=TOTAL)], ignore_index=True)
    safe = privacy.protect(frame[["clinic_id", *FLOWS]].astype({c: "int64" for c in FLOWS}), FLOWS, ["clinic_id"])
    clinics = safe[safe["clinic_id"] != TOTAL].copy()
    masks = {c: set(safe.attrs["suppressed"].get(c, ())) for c in FLOWS}
    shown = clinics[clinics[FLOWS].notna().all(axis=1) & (clinics[FLOWS].sum(axis=1) > 0)]
    if total.attrs["suppressed"] and not all(masks[c] & set(clinics.index) for c in FLOWS) and not shown.empty:
        one = shown[FLOWS[0]].astype("int64").idxmin()
        clinics.loc[one, FLOWS] = pd.NA
        masks = {c: cells | {one} for c, cells in masks.items()}
    clinics.attrs = {"suppressed": {c: frozenset(cells) for c, cells in masks.items() if cells}}
    # a clinic's caseload at the end of this period and of the one before (on the previous page)
    # gives its enrolments minus its discharges: one shown would give the other away
    clinics = hide_pairs(pd.concat([clinics, safe[safe["clinic_id"] == TOTAL]]), frame, FLOWS, "clinic_id",
                         privacy.threshold)
    clinics = clinics[clinics["clinic_id"] != TOTAL]
    return {"periods": periods.assign(clinic_id=TOTAL), "clinics": clinics, "total": total.assign(clinic_id=TOTAL),
            "blocks": blocks}


def stocks_and_flows(raw: pd.DataFrame, privacy: Privacy, start, end,
                     history: pd.DataFrame | None = None) -> tuple[pd.DataFrame, str, dict]:
    """(stocks, the flows' grain, flows): the caseload protected against the flows shown beside it
    (Privacy.stocks_beside_flows), each clinic's against its flows over the period and the
    program's against the program's per period (external: against its calendar blocks, cut
    from `history`, see flows)."""
    stocks = caseload(raw, privacy)
    grain, tables = flows(raw, privacy, start, end, history)
    by_clinic = tables["clinics"].assign(month=pd.Timestamp(start))
    stocks = privacy.stocks_beside_flows(stocks, "active_caseload", by_clinic, FLOWS, "period", group="clinic_id",
                                         start=start, end=end)
    program = tables["blocks"] if grain == "block" else tables["periods"]
    stocks = privacy.stocks_beside_flows(stocks, "active_caseload", program, FLOWS, grain,
                                         where=stocks["clinic_id"] == TOTAL, start=start, end=end)
    return stocks, grain, tables


def time(raw: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Minutes logged per patient with time, per clinic and for the program, per month (hidden
    with the patients it is over)."""
    frame = with_program_rows(raw, ["patients_with_time", "minutes_logged"])
    frame["minutes_logged"] = frame["minutes_logged"].astype("float64")
    frame["minutes_per_patient"] = frame["minutes_logged"] / frame["patients_with_time"].where(frame["patients_with_time"] > 0)
    return privacy.protect(frame, ["patients_with_time"], ["clinic_id"],
                           hide_with={"minutes_logged": ["patients_with_time"], "minutes_per_patient": ["patients_with_time"]})


def period_minutes(raw: pd.DataFrame, privacy: Privacy) -> pd.DataFrame:
    """Minutes logged over the period per clinic and for the program (with the patient-months behind them)."""
    frame = raw.groupby("clinic_id", as_index=False).agg(patient_months_with_time=("patients_with_time", "sum"),
                                                         minutes_logged=("minutes_logged", "sum"))
    total = frame[["patient_months_with_time", "minutes_logged"]].sum().to_frame().T.assign(clinic_id=TOTAL)
    frame = pd.concat([frame, total[frame.columns]], ignore_index=True)
    frame["patient_months_with_time"] = frame["patient_months_with_time"].astype("int64")
    frame["minutes_logged"] = frame["minutes_logged"].astype("float64")
    return privacy.protect(frame, ["patient_months_with_time"], ["clinic_id"],
                           hide_with={"minutes_logged": ["patient_months_with_time"]})


def _cell(frame: pd.DataFrame, where: pd.Series, col: str):
    """(value, hidden) of the one row of a protected frame that `where` picks (0, False if none)."""
    rows = frame[where]
    if rows.empty:
        return 0, False
    return rows[col].iloc[0], rows.index[0] in frame.attrs.get("suppressed", {}).get(col, ())


def by_clinic(stocks: pd.DataFrame, flow_tables: dict, minutes: pd.DataFrame, names: dict) -> pd.DataFrame:
    """The period by clinic (and the program): caseload at the last month end, enrolments,
    discharges and minutes logged over the period, from the protected families."""
    last = stocks[stocks["month"] == stocks["month"].max()]
    clinics = [c for c in last["clinic_id"] if c != TOTAL] + [TOTAL]
    rows, hidden = [], {}
    for n, clinic in enumerate(clinics):
        row = {"group": "All" if clinic == TOTAL else names.get(clinic, clinic)}
        cells = {"active_caseload": _cell(last, last["clinic_id"] == clinic, "active_caseload"),
                 "minutes_logged": _cell(minutes, minutes["clinic_id"] == clinic, "minutes_logged")}
        flow = flow_tables["total"] if clinic == TOTAL else flow_tables["clinics"]
        for col in FLOWS:
            cells[col] = _cell(flow, flow["clinic_id"] == clinic, col)
        for col, (value, is_hidden) in cells.items():
            row[col] = value
            if is_hidden:
                hidden.setdefault(col, set()).add(n)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["suppressed"] = {c: frozenset(v) for c, v in hidden.items()}
    # A clinic's caseload at the end of the period is its caseload at the start plus its
    # enrolments minus its discharges; where the period starts with the program the start is 0,
    # so beside both flows a hidden caseload is their difference (32 - 23 = 9).
    hidden_caseload = [n for n in hidden.get("active_caseload", ()) if table.at[n, "group"] != "All"]
    return hide_beside(table, FLOWS, hidden_caseload, key="group", total="All") if hidden_caseload else table


def program(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[frame["clinic_id"] == TOTAL].sort_values("month")
    out.attrs = dict(frame.attrs)
    return out


def clinics(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[frame["clinic_id"] != TOTAL]
    out.attrs = dict(frame.attrs)
    return out


def clinic_chart(frame: pd.DataFrame, y: str, names: dict, **chart) -> tuple:
    """(figure, note): `y` per clinic over the months, with the program's own row drawn as the
    line 'all clinics' (an external page hides small clinics, so the clinics no longer add up to
    it), and which clinic is hidden when."""
    by_clinic, whole = clinics(frame), program(frame)
    figure = charts.by_group(by_clinic, "month", "clinic_id", y, names=names, total=whole, total_name=ALL_CLINICS, **chart)
    hidden = charts.hidden_note(frame, "month", [y], {**names, TOTAL: ALL_CLINICS}, group="clinic_id")
    return figure, " ".join(note for note in (LINE_NOTES[y], hidden) if note)


def headlines(stocks: pd.DataFrame, flow_tables: dict, time_frame: pd.DataFrame) -> list[Headline]:
    """Active caseload at the last month end and its change, enrolments and discharges over the
    period, minutes per patient with time in the last month (all from the protected families)."""
    caseload_rows = program(stocks)
    hidden = stocks.attrs.get("suppressed", {}).get("active_caseload", ())
    last = caseload_rows.iloc[-1]
    month = formats.month(last["month"])
    out = []
    if caseload_rows.index[-1] in hidden:
        out.append(Headline(f"active caseload, end of {month}", None, hidden=True))
    else:
        detail = ""
        if len(caseload_rows) > 1 and caseload_rows.index[-2] not in hidden:
            before = caseload_rows.iloc[-2]
            detail = formats.change_since_month_end(int(last["active_caseload"]) - int(before["active_caseload"]), before["month"])
        out.append(Headline(f"active caseload, end of {month}", int(last["active_caseload"]), "count", detail))
    total = flow_tables["total"]
    for col in FLOWS:
        is_hidden = total.index[0] in total.attrs["suppressed"].get(col, ())
        out.append(Headline(f"{formats.label(col)}, whole period", None if is_hidden else int(total[col].iloc[0]), "count",
                            hidden=is_hidden))
    minutes = program(time_frame)
    is_hidden = minutes.index[-1] in time_frame.attrs["suppressed"].get("minutes_per_patient", ())
    out.append(Headline(f"minutes per patient with time, {month}", None if is_hidden else minutes["minutes_per_patient"].iloc[-1],
                        "decimal", "all logged minutes, before billing rules", is_hidden))
    return out
