"""The program director's tables: aggregate, protected for their audience (privacy.Privacy).

Every table the caseload-and-outcomes report shows is built here; charts are drawn from these
protected tables only, so a chart never shows what a table hides. Patient-level lists live in
reports.worklists, a separate output for care teams. The functions default to the external
audience with the definitions' cell-size threshold (the safe choice for a caller that does not say).

The page's families (each protected once; they share no cells):

  measures    response and remission by instrument and window, for the program and by stratum
              (each stratification adds up to the program row)
  stocks      the caseload at each month end, per program, clinic and care manager, with the
              process measures over it (contacted, scored, reviewed, not improving); the patients
              served in a month are the active caseload plus the month's discharges, and the
              caseload before plus its enrolments, so an external page shows only the caseload
              (monthly_columns): served beside it would give each month's flows away
  flows       enrolments, discharges, initial assessments and follow-ups, per month or rolled
              up until no program-level cell is hidden (an active caseload that changes by
              enrolments minus discharges would otherwise give a hidden flow away); for an
              external reader enrolments and discharges come in the program's calendar blocks,
              the ones the program overview shows (privacy.calendar_blocks)
  trend       6-month outcomes by baseline month, for the baseline months whose windows have closed
  contact modes  contacts per patient-month by mode, with all modes (the modes add up to it)
  cohorts, change
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.months import add_months, series_words
from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes.measures import MEASURE_RATES, OutcomeRun, with_rates
from bcm_analytics.overview import first_enrolment_month
from bcm_analytics.reports import formats
from bcm_analytics.reports.glossary import baseline_suffix, process_headings, process_window
from bcm_analytics.reports.page import Headline
from bcm_analytics.reports.privacy import (
    MOST_HIDDEN,
    TOTAL,
    Privacy,
    by_blocks,
    by_period,
    calendar_blocks,
    held_blocks,
    hide_rows,
    page_blocks,
    partial_label,
)

MEASURE_COUNTS = ["denominator", "measured", "responders", "remitters"]
STOCK_COUNTS = ["served", "active", "contacted", "scored", "scored_long", "reviewed", "not_improving",
                "not_improving_no_review", "phq9_patients", "gad7_patients"]
ENROLMENTS = ["new_enrolments", "discharges"]
FOLLOW_COUNTS = ["assessed", "followed_up"]
STOCK_RATES = {rate: pair for rate, pair in cl.CASELOAD_RATES.items() if pair[1] != "assessed"} | {
    "pct_not_improving": ("not_improving", "active"),
    "pct_not_improving_no_review": ("not_improving_no_review", "not_improving"),
}
FLOW_RATES = {"pct_followed_up": ("followed_up", "assessed")}
UTILISATION_RATES = {"pct_patients_scored": ("patients_scored", "patients_contacted")}
COHORT_RATES = {"pct_measured": ("measured", "patients"), "pct_response": ("responders", "patients"),
                "pct_remission": ("remitters", "patients"), "pct_remission_of_responders": ("remitters", "responders")}
ALL_MODES = "all modes"
# The rates a trend draws (outcome_figures.outcome_trend), rolls up for and its note calls shown
TREND_RATES = ["pct_response_of_measured", "pct_remission_of_measured"]
WINDOW_NAMES = {"12w": "12 weeks", "6m": "6 months (HEDIS DRR-E style)", "12m": "12 months (CMS159 style)"}


def _privacy(run: OutcomeRun, privacy: Privacy | None) -> Privacy:
    return privacy or Privacy("external", run.definitions.threshold)


def window_label(run: OutcomeRun, name: str) -> str:
    """The window's name and days, and the baseline they count from where it is not the default
    (glossary.baseline_suffix: "after the first score of 10+")."""
    w = run.definitions["windows"][name]
    return f"{WINDOW_NAMES[name]}, days {w['from']}-{w['to']}{baseline_suffix(run.definitions)}"


# --- measures -------------------------------------------------------------------------------


def headline(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """Response and remission at 12 weeks, 6 months (DRR-E style) and 12 months (CMS159).

    A window no patient's could have closed by the as-of date reads "not yet measurable"
    (frame.attrs["pending"]), never 0%.
    """
    counts = run.program_measures(start_month, end_month)
    frame = counts[["instrument", "window_name", *MEASURE_COUNTS, *MEASURE_RATES]]
    safe = _privacy(run, privacy).protect(frame, MEASURE_COUNTS, rates=MEASURE_RATES)
    safe.insert(1, "measure", safe["window_name"].map(lambda w: window_label(run, w)))
    safe.attrs["pending"] = _not_yet(counts)
    return safe


def _not_yet(counts: pd.DataFrame) -> dict[str, frozenset]:
    """The rows whose window no patient's could have closed yet (every eligible one pending), by
    the columns that read "not yet measurable" there: their 0 is not a 0 of no eligible patients."""
    rows = frozenset(counts.index[(counts["denominator"] == 0) & (counts["pending"] > 0)])
    return {c: rows for c in list(MEASURE_RATES) + ["denominator", "measured"]}


def strata(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """The measures by clinic, payer, age band, sex, race, ethnicity and baseline month.

    Each stratification adds up to the program row of `headline` (a margin the reader knows),
    so strata are protected together with it in mind.
    """
    counts = run.measure_counts(start_month, end_month)
    counts = counts[counts["dimension"] != "program"].reset_index(drop=True)  # the rows of with_rates
    frame = with_rates(counts.drop(columns=["eligible", "pending"]))
    safe = _privacy(run, privacy).protect(frame, MEASURE_COUNTS, ["stratum"], rates=MEASURE_RATES)
    safe.attrs["pending"] = _not_yet(counts)
    return safe


def trend(run: OutcomeRun, instrument: str, privacy: Privacy | None = None, window: str = "6m",
          months: int = 12) -> tuple[str, pd.DataFrame]:
    """Outcomes of `window` by baseline month, for the last `months` baseline months whose
    windows have all closed (earlier rows of the report's period may not be measurable yet);
    rolled up to quarters or years when most monthly cells would be hidden."""
    counts = run.measure_counts(add_months(run.as_of.replace(day=1), -(months + 12)), run.as_of.replace(day=1))
    rows = counts[(counts["dimension"] == "baseline_month") & (counts["instrument"] == instrument)
                  & (counts["window_name"] == window)].copy()
    rows["month"] = pd.to_datetime(rows["stratum"] + "-01")
    privacy = _privacy(run, privacy)
    closed = trend_months(rows, months, run.as_of, whole_quarters=privacy.external)

    def build(grain):
        frame = by_period(closed[["month", *MEASURE_COUNTS]], "month", grain, MEASURE_COUNTS)
        frame = with_rates(frame)
        starts = frame.pop("period_start")
        safe = privacy.protect(frame, MEASURE_COUNTS, ["period"], rates=MEASURE_RATES)
        safe["month"] = starts
        return safe
    return privacy.roll_up(build, TREND_RATES, grains=("month", "quarter", "year"))


def trend_months(rows: pd.DataFrame, months: int, as_of, whole_quarters: bool) -> pd.DataFrame:
    """The baseline months (rows: month, pending, eligible ...) a trend shows: the last `months`
    whose windows have all closed. On an external page, whole calendar quarters, as every external
    page covers (privacy.external_period): the last `months` months up to the last quarter none of
    whose months still has a window open or reaches the as-of month; a quarter's months with no
    baseline stay in, at zero, so its label does not read as part of a quarter."""
    if not whole_quarters:
        return rows[(rows["pending"] == 0) & (rows["eligible"] > 0)].sort_values("month").tail(months)
    limit = pd.Timestamp(as_of).to_period("M").to_timestamp()
    still_open = rows.loc[rows["pending"] > 0, "month"]
    if len(still_open):
        limit = min(limit, still_open.min())
    last = limit - pd.DateOffset(months=1)
    last -= pd.DateOffset(months=last.month % 3)
    first = last - pd.DateOffset(months=months - 1)
    shown = rows[rows["month"].between(first, last)]
    if shown.empty:
        return shown
    # a month with no baseline has no row: kept at zero from the quarter of the first that has one
    # (December's alone read '2023, Dec', a part of a quarter, when no baseline fell in Oct-Nov)
    start = max(first, shown["month"].min().to_period("Q").start_time)
    missing = pd.date_range(start, last, freq="MS").difference(shown["month"])
    zeros = shown.iloc[[0] * len(missing)].reset_index(drop=True)
    zeros[zeros.select_dtypes("number").columns] = 0
    zeros["month"], zeros["stratum"] = missing, missing.strftime("%Y-%m")
    return pd.concat([shown, zeros], ignore_index=True).sort_values("month")


def plausibility(run: OutcomeRun, table: pd.DataFrame, window: str = "6m") -> str:
    """A sentence per instrument comparing the window's rates of measured with the published range.

    Rates far above the range usually mean a data problem (scores copied forward, baselines
    missing), not a great program; the ranges are in the definitions (plausibility). A clinic's
    3 of 4 measured is 75%, and asked for a data-quality look that 4 patients cannot support: the
    look is asked for only when the rate is above the alarm beyond chance, given how many were
    measured (the table's `measured`, when it has one).
    """
    ranges = run.definitions["plausibility"]
    hidden = table.attrs.get("suppressed", {})
    lines = []
    for i, row in table[table["window_name"] == window].iterrows():
        parts = [f"{outcome} {value:.0%} ({_verdict(value, *ranges[outcome], measured=row.get('measured'))})"
                 for outcome, col in (("response", "pct_response_of_measured"), ("remission", "pct_remission_of_measured"))
                 if pd.notna(value := row[col]) and i not in hidden.get(col, ())]
        if parts:
            lines.append(f"{row.instrument}, of measured at {WINDOW_NAMES[window]}{baseline_suffix(run.definitions)}: "
                         f"{'; '.join(parts)}.")
    return " ".join(lines)


def _verdict(value: float, low: float, high: float, alarm: float, measured=None) -> str:
    typical = f"typical {low:.0%}-{high:.0%}"
    n = int(measured) if pd.notna(measured) else None
    if value > alarm:
        if n is not None and _likely(value, n)[0] <= alarm:
            return f"above the {typical}, on too few measured to tell from chance"
        return f"above the {typical}: worth a data-quality look"
    if low <= value <= high:
        return f"within the {typical}"
    if n is not None and _could_be_typical(value, n, low, high):
        return f"outside the {typical}, on too few measured to tell from chance"
    return f"outside the {typical}"


def _side(value: float, low: float, high: float, measured=None) -> str:
    """A headline card's word on its rate: within, above or below the typical range, and whether so
    few were measured that a typical true rate would give it (4 of 16 read 'below' 30-50%)."""
    if low <= value <= high:
        return "within"
    side = "above" if value > high else "below"
    if pd.notna(measured) and _could_be_typical(value, int(measured), low, high):
        return f"{side}, on too few measured to tell"
    return side


def _could_be_typical(rate: float, n: int, low: float, high: float) -> bool:
    """The count is consistent with a true rate in low..high: its 95% interval reaches the range."""
    lowest, highest = _likely(rate, n)
    return lowest <= high and highest >= low


def _likely(rate: float, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a rate of n: the true rates the count is consistent with (no
    new setting: the sample size speaks for itself)."""
    if n <= 0:
        return 0.0, 1.0
    z2 = 1.96 ** 2
    centre = rate + z2 / (2 * n)
    spread = 1.96 * ((rate * (1 - rate) + z2 / (4 * n)) / n) ** 0.5
    return (centre - spread) / (1 + z2 / n), (centre + spread) / (1 + z2 / n)


# --- caseload: stocks and flows -------------------------------------------------------------


def caseload(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """The caseload at each month end and the process measures over it, for the program, each
    clinic and each care manager.

    Clinic and care-manager rows are protected together, linked by the hidden clinic x care
    manager detail (a care manager working at one clinic would otherwise undo a suppression).
    Each month is its own table (nothing adds up over months). Care-manager rows carry the
    caseload guidance band and where the caseload sits against it.
    """
    frame = cl.caseload_months(run, start_month, end_month)
    privacy = _privacy(run, privacy)
    for rate, (num, den) in STOCK_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    detail = (frame["clinic"] != TOTAL) & (frame["care_manager"] != TOTAL)
    keys = ["month", "clinic", "care_manager"]
    safe = privacy.protect(frame[keys + STOCK_COUNTS + list(STOCK_RATES) + list(cl.CASELOAD_PER_PATIENT)], STOCK_COUNTS,
                           ["clinic", "care_manager"], rates=STOCK_RATES, hide_with=cl.CASELOAD_PER_PATIENT,
                           hidden_rows=detail)
    masks = safe.attrs["suppressed"]
    safe["band"] = [f"{lo:.0f}-{hi:.0f}" if pd.notna(lo) else "" for lo, hi in zip(frame["band_low"], frame["band_high"])]
    safe["caseload_vs_band"] = frame["caseload_vs_band"].where(~safe.index.isin(masks.get("active", ())), formats.HIDDEN)
    out = safe[~detail]
    out.attrs["suppressed"] = masks
    return out


def stocks_and_flows(run: OutcomeRun, start_month=None, end_month=None,
                     privacy: Privacy | None = None) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """(stocks, the flows' grain, flows): the caseload of `caseload` and the enrolments and
    discharges of `flows`, the program's caseload protected against the flows shown beside it
    (Privacy.stocks_beside_flows: in a quarter that discharges no one, its monthly changes would
    be its monthly enrolments)."""
    privacy = _privacy(run, privacy)
    stocks = caseload(run, start_month, end_month, privacy)
    period = run.period(start_month, end_month)
    program = (stocks["clinic"] == TOTAL) & (stocks["care_manager"] == TOTAL)
    if privacy.external:
        blocks, flow_frame = _blocks(run, start_month, end_month, privacy)
        return privacy.stocks_beside_flows(stocks, "active", blocks, ENROLMENTS, "block", where=program), "block", flow_frame
    grain, flow_frame = flows(run, start_month, end_month, privacy)
    stocks = privacy.stocks_beside_flows(stocks, "active", program_rows(flow_frame), ENROLMENTS, grain,
                                         where=program, start=period["start_month"], end=period["end_month"])
    return stocks, grain, flow_frame


def monthly_columns(privacy: Privacy) -> list[str]:
    """The columns of the monthly caseload table. Patients served (the base of the per-patient-month
    figures) only for the program's staff: served minus the active caseload is the month's
    discharges, and served minus the caseload a month before its enrolments, flows an external page
    shows only where they are large enough (flows). Minutes per patient served with them: the
    external time-allocation page shows each month's minutes logged, and those over this average
    are the patients served again."""
    if privacy.external:
        return ["month", "active", "pct_contacted", "pct_scored", "pct_reviewed", "pct_not_improving"]
    return ["month", "served", "active", "pct_contacted", "pct_scored", "pct_reviewed", "pct_not_improving",
            "minutes_per_patient_month"]


# --- the page's instrument filter over the caseload tables ----------------------------------
# The columns of caseload_months about scores, which follow the page's instrument filter
# (marts.caseload_months_for); the caseload, contacts, reviews and flows count every patient on the
# caseload whatever the instrument: a patient is on the caseload, not on an instrument.
ON_INSTRUMENT = {"scored": "scored", "scored_long": "scored", "pct_scored": "scored", "pct_scored_long": "scored",
                 "not_improving": "not improving", "pct_not_improving": "not improving",
                 "not_improving_no_review": "not improving"}
# The mean first and last scores of caseload_months, by the instrument they are taken on
SCORE_MEANS = {"PHQ-9": ["mean_phq9_first", "mean_phq9_last"], "GAD-7": ["mean_gad7_first", "mean_gad7_last"]}


def on_instrument(run: OutcomeRun, words: str) -> str:
    """'scored' as the page writes it: 'scored on the GAD-7' on a page filtered to the GAD-7."""
    chosen = run.filters.get("instrument")
    return f"{words} on the {chosen}" if chosen else words


def process_labels(run: OutcomeRun) -> dict[str, str]:
    """The caseload tables' headings with the process windows in force (glossary.process_headings)
    and the page's instrument where the filter reaches them ("scored on the GAD-7, last 30 days";
    without a filter, "scored" is any instrument). A page filtered to the GAD-7 read "scored, last
    30 days" over a count of any score, its glossary "a PHQ-9 or GAD-7 score"."""
    headings = {**{col: formats.label(col) for col in ON_INSTRUMENT}, **process_headings(run.definitions)}
    if run.filters.get("instrument"):
        headings.update({col: headings[col].replace(words, on_instrument(run, words), 1) for col, words in ON_INSTRUMENT.items()})
    return headings


def follow_up_within(run: OutcomeRun) -> str:
    """The follow-up window after an initial assessment in force, as the page's titles name it."""
    return process_window(run.definitions, "followup_within_days")


def process_note(run: OutcomeRun) -> str:
    """Under the caseload tables of a page filtered to an instrument: which columns follow the
    filter and which do not, and why. Empty without a filter."""
    chosen = run.filters.get("instrument")
    if not chosen:
        return ""
    return (f"Filtered to the {chosen}: scored and not improving count {chosen} scores alone. The caseload, "
            "enrolments, discharges, contacts, follow-ups and psychiatric case reviews count every patient on the "
            "caseload, whatever instrument they are scored on: a patient is on the caseload, not on an instrument.")


def score_columns(run: OutcomeRun) -> list[str]:
    """The columns of the scores-and-time-in-treatment table: the mean first and last score of
    each instrument, or of the page's instrument alone (a page filtered to the GAD-7 showed the
    PHQ-9's means beside it)."""
    chosen = run.filters.get("instrument")
    means = [c for name, cols in SCORE_MEANS.items() if not chosen or name == chosen for c in cols]
    return ["month", *means, "mean_weeks_in_treatment"]


def scores_title(run: OutcomeRun) -> str:
    """The table's title: 'Time in treatment per month' where the page's instrument has no mean
    score (SCORE_MEANS: a program's own instrument, an EPDS say)."""
    has_means = len(score_columns(run)) > 2
    return "Scores and time in treatment per month" if has_means else "Time in treatment per month"


def scores_note(run: OutcomeRun) -> str:
    """Whom the means are taken over, and that time in treatment is every active patient's: on a
    filtered page, that the filter does not reach it, and why."""
    chosen = run.filters.get("instrument")
    if len(score_columns(run)) > 2:
        note = ("A mean first or last score is over the active patients with a score of its instrument by the month's "
                "end (first: the baseline; last: the latest score).")
    else:
        note = f"There is no mean score of the {chosen} (means are kept for the {' and '.join(SCORE_MEANS)})."
    if not chosen:
        return note + " Weeks in treatment: the whole active caseload."
    return (note + f" Weeks in treatment: the whole active caseload, whatever instrument its patients are scored on "
            f"(the page's {chosen} filter does not apply to it: time in treatment is the patient's, not an instrument's).")


def flows(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> tuple[str, pd.DataFrame]:
    """Enrolments and discharges per month for the program, each clinic and each care manager.

    For an external reader, the program's only, in its calendar blocks (grain "block":
    privacy.calendar_blocks, cut from the program's history, the same on the program overview),
    so that no figure here minus one there gives a count of 1-10.
    """
    privacy = _privacy(run, privacy)
    if privacy.external:
        return "block", _blocks(run, start_month, end_month, privacy)[1]
    return _flow_family(run, start_month, end_month, privacy, ENROLMENTS, {}, max_hidden=0.0)


def _blocks(run: OutcomeRun, start_month, end_month, privacy: Privacy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the program's calendar blocks up to the period's end, the period's rows of them)."""
    period = run.period(start_month, end_month)
    first = min(first_enrolment_month(run.con) or period["start_month"], period["start_month"])
    history = program_rows(cl.caseload_months(run, first, period["end_month"]))
    blocks = calendar_blocks(history[["month", *ENROLMENTS, "active"]], ENROLMENTS, period["end_month"], privacy.threshold,
                             stock="active")
    rows, _ = page_blocks(blocks, ENROLMENTS, period["start_month"], period["end_month"])
    return blocks, rows.assign(clinic=TOTAL, care_manager=TOTAL)


def follow_ups(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> tuple[str, pd.DataFrame]:
    """Initial assessments (once their 4 weeks have passed) and those followed up within 4 weeks,
    per month of assessment. For an external reader, in the program's calendar blocks, as its
    enrolments: a patient's initial assessment is near their enrolment, and a quarter's initial
    assessments beside the caseload at its ends gave back the discharges of a quarter the blocks
    join with the next."""
    privacy = _privacy(run, privacy)
    if privacy.external:
        return "block", _follow_ups_in_blocks(run, start_month, end_month, privacy)
    return _flow_family(run, start_month, end_month, privacy, FOLLOW_COUNTS, FLOW_RATES, max_hidden=MOST_HIDDEN)


def _follow_ups_in_blocks(run: OutcomeRun, start_month, end_month, privacy: Privacy) -> pd.DataFrame:
    """The program's follow-ups per calendar block of the page, hidden in a block it does not show."""
    period = run.period(start_month, end_month)
    monthly = program_rows(cl.caseload_months(run, period["start_month"], period["end_month"]))
    blocks, _ = _blocks(run, start_month, end_month, privacy)
    frame = by_blocks(monthly, "month", blocks, FOLLOW_COUNTS, period["start_month"], period["end_month"])
    held = frame.pop("held")
    for rate, (num, den) in FLOW_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    starts = frame.pop("period_start")
    safe = hide_rows(privacy.protect(frame, FOLLOW_COUNTS, rates=FLOW_RATES), ~held, [*FOLLOW_COUNTS, *FLOW_RATES])
    return safe.assign(month=starts, clinic=TOTAL, care_manager=TOTAL)


def _flow_family(run, start_month, end_month, privacy, counts, rates, max_hidden) -> tuple[str, pd.DataFrame]:
    monthly = cl.caseload_months(run, start_month, end_month)[["month", "clinic", "care_manager", *counts]]
    period = run.period(start_month, end_month)

    def build(grain):
        frame = by_period(monthly, "month", grain, counts, keys=["clinic", "care_manager"],
                          start=period["start_month"], end=period["end_month"])
        for rate, (num, den) in rates.items():
            frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
        starts = frame.pop("period_start")
        detail = (frame["clinic"] != TOTAL) & (frame["care_manager"] != TOTAL)
        safe = privacy.protect(frame, counts, ["clinic", "care_manager"], rates=rates, hidden_rows=detail)
        safe["month"] = starts
        out = safe[~detail]
        out.attrs["suppressed"] = safe.attrs["suppressed"]
        return out

    grain, _ = privacy.roll_up(lambda g: program_rows(build(g)), counts + list(rates), max_hidden=max_hidden)
    return grain, build(grain)


def program_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The program's rows (clinic and care manager 'All'), sorted by month, marks kept."""
    out = frame[(frame["clinic"] == TOTAL) & (frame["care_manager"] == TOTAL)].sort_values("month")
    out.attrs = dict(frame.attrs)
    return out


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """The last month (or period) of a caseload or flows table: program, care managers, clinics."""
    out = frame[frame["month"] == frame["month"].max()]
    out.attrs = dict(frame.attrs)
    return out


def contact_modes(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """Program contacts per patient-month by contact mode and over all modes, per month.

    A rate times the patients served gives back the contacts, so each mode's contacts are
    protected like counts (a handful of messages in a month may be one patient's), and the modes
    add up to all contacts: a mode hidden alone beside the total would be the difference.
    """
    period = run.period(start_month, end_month)
    modes = cl.contacts_by_mode(run, start_month, end_month)
    modes = modes[(modes["clinic"] == TOTAL) & (modes["care_manager"] == TOTAL)]
    wide = modes.pivot_table(index="month", columns="contact_mode", values="contacts", aggfunc="sum", fill_value=0)
    served = cl.caseload_months(run, period["start_month"], period["end_month"])
    served = served[(served["clinic"] == TOTAL) & (served["care_manager"] == TOTAL)].set_index("month")["served"]
    frame = wide.join(served, how="right").fillna(0).astype("int64").reset_index()
    mode_cols = list(wide.columns)
    frame[ALL_MODES] = frame[mode_cols].sum(axis=1)
    for mode in [*mode_cols, ALL_MODES]:
        frame[f"{mode} per patient-month"] = frame[mode] / frame["served"].where(frame["served"] > 0)
    per_patient = {f"{m} per patient-month": [m, "served"] for m in [*mode_cols, ALL_MODES]}
    return _privacy(run, privacy).protect(frame, ["served", *mode_cols, ALL_MODES], totals={ALL_MODES: mode_cols},
                                          hide_with=per_patient)


def utilisation(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None,
                clinic_names: dict | None = None) -> pd.DataFrame:
    """Score utilisation per assessment period (DMS-E style): the program, and for the program's
    staff each clinic (by name where `clinic_names` has it). A patient seen at two clinics in a
    period counts at each, so clinic rows need not add up to the program's and an outside reader
    gets the program's rows alone."""
    privacy = _privacy(run, privacy)
    frame = cl.score_utilisation(run, start_month, end_month)
    if privacy.external:
        frame = frame[(frame["clinic"] == TOTAL) & _held_whole(frame, run.period(start_month, end_month))]
    words = [period_words(a, b, done) for a, b, done in zip(frame["period_start"], frame["period_end"], frame["complete"])]
    frame.insert(0, "assessment_period", pd.Series(words, index=frame.index, dtype=object))  # text when empty too
    safe = privacy.protect(frame.reset_index(drop=True), ["patients_contacted", "patients_scored"], rates=UTILISATION_RATES)
    safe["clinic"] = safe["clinic"].map(lambda c: (clinic_names or {}).get(c, c))
    return safe


DRR_E_COUNTS = ["denominator", "followed_up", "remitted", "responded", "pending"]
# pending within the denominator, declared so that suppression protects the patients whose follow-up
# has closed (the denominator less pending) while a year is open; a relation, not a column shown
PENDING_SHARE = "_pending_share"


def drr_e(run: OutcomeRun, year: int, privacy: Privacy | None = None) -> pd.DataFrame:
    """HEDIS DRR-E for a measurement year, per age stratum and the program ('All'), protected as one
    table: the strata add up to the program's row, so a stratum hidden is not left to subtraction,
    and each numerator sits under the denominator and under the patients followed up
    (cl.DRR_E_RATES), so the patients not followed up, or followed up and not in remission, are
    not left to subtraction either; nor, while the year is open, those whose follow-up has closed
    (the denominator less `pending`). `bcm outcomes --drr-e` writes it; the caseload page shows the
    same table for each year it holds (drr_e_years), so both hide the same cells."""
    return _year_protected(run, cl.drr_e(run, year), DRR_E_COUNTS, cl.DRR_E_RATES, privacy)


def _year_protected(run: OutcomeRun, frame: pd.DataFrame, counts: list[str], rates: dict, privacy: Privacy | None) -> pd.DataFrame:
    """A per-year measure's strata protected as one table, with the patients whose window has closed
    (the denominator less `pending`) protected too while the year is open: DRR-E and CMS159 alike."""
    frame = frame.assign(**{PENDING_SHARE: lambda f: f["pending"] / f["denominator"].where(f["denominator"] > 0)})
    safe = _privacy(run, privacy).protect(frame, counts, ["stratum"], rates={**rates, PENDING_SHARE: ("pending", "denominator")})
    safe.attrs["suppressed"] = {c: rows for c, rows in safe.attrs["suppressed"].items() if c != PENDING_SHARE}
    return safe.drop(columns=PENDING_SHARE)


CMS159_COUNTS = ["denominator", "followed_up", "numerator", "no_follow_up_score", "pending"]


def cms159(run: OutcomeRun, year: int, privacy: Privacy | None = None) -> pd.DataFrame:
    """CMS159 / MIPS #370 for a measurement period, per age stratum and the program ('All'), protected
    as DRR-E is (one table: the strata add up to the program's row; each numerator under the
    denominator and under the patients followed up, cl.CMS159_RATES; while the year is open, the
    patients whose window has closed, the denominator less `pending`). `bcm outcomes --cms159`."""
    return _year_protected(run, cl.cms159(run, year), CMS159_COUNTS, cl.CMS159_RATES, privacy)


# The caseload page's DRR-E table (YEAR_LABELS: CMS159's too): the measure's denominator, numerators and rates as HEDIS reports
# them (over the denominator; the rates of those followed up are in `bcm outcomes --drr-e`'s file,
# and eleven columns ran behind a 1366 px laptop's scroll bar), and the words of the columns whose
# registered label is another measure's (formats.COLUMNS: `denominator` is the headline's closed
# windows, `followed_up` the process measures' contact within 4 weeks)
DRR_E_COLUMNS = ["measurement_year", "stratum", "denominator", "followed_up", "remitted", "responded", "pct_followed_up",
                 "pct_remitted", "pct_responded"]
YEAR_LABELS = {"stratum": "age group", "denominator": "patients indexed", "followed_up": "with a follow-up score",
               "pct_followed_up": "followed up, of all"}


def drr_e_years(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """HEDIS DRR-E for each measurement year of the report's months whose follow-up windows have all
    closed within the page's data (closed_years)."""
    return closed_years(run, drr_e, DRR_E_COLUMNS, "intake_start", start_month, end_month, privacy)


# The caseload page's CMS159 table: as DRR-E's, over the denominator and of those measured.
CMS159_COLUMNS = ["measurement_year", "stratum", "denominator", "followed_up", "numerator", "rate", "rate_of_followed_up"]


def cms159_years(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """CMS159 for each measurement year (period) of the report's months whose 12-month windows have all
    closed within the page's data (closed_years). Its index months begin on `first_index_day`, not the
    identification period's first day: under in_identification_period `encounter` an index score can
    come up to encounter_within_days before it, and the note on a store whose scores begin later reads
    that day."""
    return closed_years(run, cms159, CMS159_COLUMNS, "first_index_day", start_month, end_month, privacy)


def closed_years(run: OutcomeRun, measure, columns: list[str], index_start: str, start_month=None, end_month=None,
                 privacy: Privacy | None = None) -> pd.DataFrame:
    """A per-year measure (drr_e, cms159) for each measurement year the report's months fall in whose
    follow-up windows have all closed within the page's data: by the report's last day (cut at the
    as-of date; attrs["data_ends"]). A year whose follow-up runs on after it is left out, never
    shown with rates that can still rise, and named in attrs["open_years"] ({year: its last
    follow-up day}). Each year is its own table (no patient count adds up across years), protected
    as the measure protects it for `bcm outcomes --drr-e` / `--cms159`, so the page and the file
    hide the same cells. A year shown whose index months (`index_start`, the measure's column) begin
    before the store's first score is named in attrs["before_scores"] ({year: that day}), with the
    first score's day in attrs["scores_begin"]: a program whose exports start later showed 0 patients
    indexed, which reads as a measure, not as data the store does not hold."""
    period = run.period(start_month, end_month)
    tables, still_open = [], {}
    for year in range(period["start_month"].year, period["end_month"].year + 1):
        table = measure(run, year, privacy)
        last = table["last_follow_up_day"].iloc[0]
        if last <= period["period_end"]:
            tables.append(table)
        else:
            still_open[year] = last
    out = _stacked(tables, columns)
    out.attrs["open_years"], out.attrs["data_ends"] = still_open, period["period_end"]
    first = run.marts.query("SELECT min(administered_on) FROM core.assessments").fetchone()[0]
    out.attrs["scores_begin"] = first
    out.attrs["before_scores"] = {int(t["measurement_year"].iloc[0]): t[index_start].iloc[0] for t in tables
                                  if first is not None and t[index_start].iloc[0] < first}
    return out


def _stacked(tables: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Protected tables one under the other (their `columns`), their suppressed cells kept."""
    if not tables:
        out = pd.DataFrame(columns=columns)
        out.attrs["suppressed"] = {}
        return out
    parts, hidden, offset = [], {}, 0
    for table in tables:
        part = table[columns].reset_index(drop=True)
        for col, rows in table.attrs.get("suppressed", {}).items():
            positions = [table.index.get_loc(i) + offset for i in rows]
            hidden[col] = hidden.get(col, frozenset()) | frozenset(positions)
        parts.append(part)
        offset += len(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["suppressed"] = {col: rows for col, rows in hidden.items() if col in columns}
    return out


def cms159_title(run: OutcomeRun) -> str:
    return _year_title(run, "cms159", "12m", "remission", "per measurement year")


def drr_e_title(run: OutcomeRun) -> str:
    return _year_title(run, "drr_e", "6m", "remission and response", "per measurement year")


def _year_title(run: OutcomeRun, measure: str, window: str, what: str, per: str) -> str:
    """A per-year table's title: the instrument the measure counts (its definitions' `instrument`)
    and the window's days; on a page filtered to another instrument, that the filter does not
    apply (as utilisation_title)."""
    measured, w = run.definitions[measure]["instrument"], run.definitions["windows"][window]
    title = f"{measured} {what} {w['from']}-{w['to']} days after the index score, {per}"
    chosen = run.filters.get("instrument")
    if chosen and chosen.upper() != measured.upper():
        title += f" (still the {measured}: the page's {chosen} filter does not apply to this table)"
    return title


def years_note(run: OutcomeRun, table: pd.DataFrame, privacy: Privacy | None = None) -> str:
    """Which measurement years the table shows (and of them those whose index months begin before
    the store's first score) and which it leaves out because a follow-up window of theirs is still
    open at the end of the page's data, with the day the last one closes."""
    privacy = _privacy(run, privacy)
    shown = sorted({int(y) for y in table["measurement_year"]})
    still_open = table.attrs.get("open_years", {})
    parts = []
    if shown:
        parts.append(f"Measurement year{'s' if len(shown) > 1 else ''} {series_words([str(y) for y in shown])}: every follow-up window has "
                     "closed within this page's data.")
    else:
        parts.append("No measurement year of this page's months has closed all its follow-up windows within its data yet.")
    for year, begins in sorted(table.attrs.get("before_scores", {}).items()):
        parts.append(f"Measurement year {year} looks for index scores from {privacy.data_date(begins)}, before the first "
                     f"score this store holds ({privacy.data_date(table.attrs['scores_begin'])}): it counts only the "
                     "patients scored since, and can read low.")
    for year, last in sorted(still_open.items()):
        last = pd.Timestamp(last)
        parts.append(f"Measurement year {year} is left out: its follow-up windows run until {last.day} {last:%b %Y}, after "
                     f"this page's data, which ends {privacy.data_date(table.attrs['data_ends'])}; its rates can still rise.")
    return " ".join(parts)


def _held_whole(frame: pd.DataFrame, period: dict) -> pd.Series:
    """The assessment periods an external page's whole, ended quarters hold: one reaching outside
    them counts months the page does not show (or weeks still to come), a count another page's
    quarters could be subtracted from."""
    starts, ends = pd.to_datetime(frame["period_start"]), pd.to_datetime(frame["period_end"])
    inside = (starts >= pd.Timestamp(period["start_month"])) & (ends <= pd.Timestamp(period["period_end"]))
    return inside & frame["complete"].astype(bool)


def utilisation_columns(privacy: Privacy) -> list[str]:
    """The utilisation table's columns: an outside reader's has no clinic rows, so no clinic column."""
    counts = ["patients_contacted", "patients_scored", "pct_patients_scored"]
    return ["assessment_period", *counts] if privacy.external else ["assessment_period", "clinic", *counts]


def utilisation_title(run: OutcomeRun) -> str:
    """The table's title, naming the instrument it measures (the definitions' utilisation.instrument).
    The page's instrument filter does not reach it; on a page filtered to another instrument the
    title says so: 'a PHQ-9' above a page filtered to the GAD-7 read as if the table followed it."""
    measured = run.definitions["utilisation"]["instrument"]
    title = f"Patients with a contact and a {measured} in the same assessment period"
    chosen = run.filters.get("instrument")
    if chosen and chosen.upper() != measured.upper():
        title += f" (still the {measured}: the page's {chosen} filter does not apply to this table)"
    return title


def utilisation_note(run: OutcomeRun, table: pd.DataFrame, privacy: Privacy | None = None) -> str:
    """Which instrument the table counts, whatever the page's instrument filter; what it counts;
    which assessment periods are shown; and why an open assessment period's share reads low."""
    instrument = run.definitions["utilisation"]["instrument"]
    note = (f"This table counts {instrument} scores, the instrument the definitions set for this measure, whatever the "
            "page's instrument filter. A patient counts in each assessment period they had a contact in, and is scored "
            f"there with a {instrument} dated in the same assessment period, before or after the contact. Assessment "
            "periods are counted whole, ")
    if _privacy(run, privacy).external:
        note += ("and only those held whole by this page's quarters are shown: one reaching outside them would count "
                 "months the page does not show.")
    else:
        note += "whatever part of them the report's period covers."
    if not table["complete"].all():
        note += " An open assessment period's share can still rise: its remaining weeks' scores will count."
    return note


def period_words(first, last, complete: bool) -> str:
    """'Jan-Apr 2025', 'Sep 2025-Feb 2026'; an open period says until when it runs."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if (first.year, first.month) == (last.year, last.month):
        words = f"{first:%b %Y}"
    elif first.year == last.year:
        words = f"{first:%b}-{last:%b %Y}"
    else:
        words = f"{first:%b %Y}-{last:%b %Y}"
    return words if complete else f"{words} (open until {last.day} {last:%b})"


def cohorts(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """Cohort curves (response/remission by months since enrolment), protected across cohorts; a
    cohort the period cuts is labelled with the months it holds (cohort_label). For an external
    reader the cohorts are the calendar blocks the page shows, as its enrolments: a quarter's
    cohort counted its enrolments, and the caseload at its ends gave back the discharges of a
    quarter the blocks join with the next."""
    privacy = _privacy(run, privacy)
    period = run.period(start_month, end_month)
    if privacy.external:
        blocks = held_blocks(_blocks(run, start_month, end_month, privacy)[0], period["start_month"], period["end_month"])
        frame = cl.cohort_curves(run, start_month, end_month, blocks)
        frame["cohort"] = frame["cohort"].map(dict(zip(blocks["month"].dt.strftime("%Y-%m"), blocks["period"])))
    else:
        frame = cl.cohort_curves(run, start_month, end_month)
        frame["cohort"] = [cohort_label(c, period["start_month"], period["end_month"]) for c in frame["cohort"]]
    for rate, (num, den) in COHORT_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    counts = ["patients", "measured", "responders", "remitters"]
    return privacy.protect(frame, counts, ["cohort"], rates=COHORT_RATES)


def cohort_label(cohort: str, start_month, end_month) -> str:
    """An enrolment cohort's label as the page writes periods ('2025-Q4' of the store reads
    '2025 Q4', as the quarters of its flows do; '2025', '2025-11' stay), with the months it holds
    where the report's period cuts it, as the page writes any partial period (privacy.partial_label:
    '2025 Q4, Nov-Dec'): a period from November made '2025-Q4' the November and December
    enrolments alone, beside a '2025-Q4' of the whole quarter on the external page."""
    if "-Q" in cohort:
        first = pd.Period(cohort.replace("-", ""), "Q").asfreq("M", "start")
        months, label = pd.period_range(first, periods=3, freq="M"), cohort.replace("-Q", " Q")
    elif len(cohort) == 4:
        months, label = pd.period_range(f"{cohort}-01", periods=12, freq="M"), cohort
    else:
        return cohort
    lo, hi = pd.Period(str(start_month)[:7], "M"), pd.Period(str(end_month)[:7], "M")
    held = [m for m in months if lo <= m <= hi]
    if len(held) == len(months) or not held:
        return label
    return partial_label(label, held[0], held[-1])


def change(run: OutcomeRun, start_month=None, end_month=None, privacy: Privacy | None = None) -> pd.DataFrame:
    """Patients by band of change from baseline to latest score (eligible baselines: outcome.eligible_baseline_min)."""
    frame = cl.change_distribution(run, start_month, end_month).drop(columns=["band_order"])
    return _privacy(run, privacy).protect(frame, ["patients"], ["change_band"])


# --- the headline numbers -------------------------------------------------------------------


def month_end_words(run: OutcomeRun, month) -> str:
    """When a month's caseload is taken: 'end of May 2025', or 'on 2025-06-15' for the as-of month
    when the as-of date is not its last day (caseload_patient_months takes it at the as-of date)."""
    month = pd.Timestamp(month)
    as_of = pd.Timestamp(run.as_of)
    if month.to_period("M") == as_of.to_period("M") and as_of != month + pd.offsets.MonthEnd(0):
        return f"on {as_of:%Y-%m-%d}"
    return f"end of {formats.month(month)}"


def headlines(run: OutcomeRun, stocks: pd.DataFrame, measures: pd.DataFrame) -> list[Headline]:
    """Active caseload and its change, 6-month response and remission of measured against the
    typical range, % contacted and % scored in the windows the definitions set (on the page's
    instrument, when it names one: process_labels), care managers above guidance."""
    program = program_rows(stocks)
    hidden = stocks.attrs.get("suppressed", {})
    last, before = program.iloc[-1], (program.iloc[-2] if len(program) > 1 else None)
    i_last = program.index[-1]
    month, when = formats.month(last["month"]), month_end_words(run, last["month"])
    out = []
    if i_last in hidden.get("active", ()):
        out.append(Headline(f"active caseload, {when}", None, hidden=True))
    else:
        detail = ""
        if before is not None and program.index[-2] not in hidden.get("active", ()):
            diff = int(last["active"]) - int(before["active"])
            detail = formats.change_since_month_end(diff, before["month"])
        out.append(Headline(f"active caseload, {when}", int(last["active"]), "count", detail))
    out += _outcome_cards(run, measures)
    contacted, scored = (process_window(run.definitions, *key) for key in (("contacted_within_days",), ("scored_within_days", 0)))
    for col, what in (("pct_contacted", f"contacted in the {contacted}"),
                      ("pct_scored", f"{on_instrument(run, 'scored')} in the {scored}")):
        out.append(Headline(f"{what}, {month}", None if i_last in hidden.get(col, ()) else last[col], "rate",
                            "of the active caseload", i_last in hidden.get(col, ())))
    managers = stocks[(stocks["clinic"] == TOTAL) & (stocks["care_manager"] != TOTAL) & (stocks["month"] == last["month"])]
    above = int((managers["caseload_vs_band"] == "above").sum())
    lo, hi = run.definitions.caseload_band()
    out.append(Headline("care managers above caseload guidance", f"{above} of {len(managers)}", "staff",
                        f"guidance {lo}-{hi} per 1.0 FTE, {when}"))
    return out


def _outcome_cards(run: OutcomeRun, measures: pd.DataFrame) -> list[Headline]:
    """PHQ-9 (else the first instrument) response and remission of measured at 6 months."""
    six = measures[measures["window_name"] == "6m"]
    if six.empty:
        return []
    row_index = six.index[six["instrument"] == "PHQ-9"][0] if (six["instrument"] == "PHQ-9").any() else six.index[0]
    row = measures.loc[row_index]
    hidden, pending = measures.attrs.get("suppressed", {}), measures.attrs.get("pending", {})
    cards = []
    for outcome, col in (("response", "pct_response_of_measured"), ("remission", "pct_remission_of_measured")):
        low, high, _ = run.definitions["plausibility"][outcome]
        label = f"{row['instrument']} {outcome} at 6 months{baseline_suffix(run.definitions)}, of measured"
        if row_index in pending.get(col, ()):
            cards.append(Headline(label, formats.NOT_YET, "text", "no 6-month window has closed yet"))
        elif row_index in hidden.get(col, ()):
            cards.append(Headline(label, None, "rate", f"typical {low:.0%}-{high:.0%}", hidden=True))
        else:
            value = row[col]
            verdict = "" if pd.isna(value) else f" ({_side(value, low, high, row.get('measured'))})"
            cards.append(Headline(label, value, "rate", f"typical {low:.0%}-{high:.0%}{verdict}"))
    return cards


# --- tables by clinic and care manager ------------------------------------------------------

PROCESS_COLUMNS = {
    "By clinic": ["group", "active", "pct_contacted", "pct_scored", "pct_scored_long", "pct_reviewed", "pct_not_improving",
                  "not_improving_no_review"],
    "By care manager": ["group", "active", "band", "caseload_vs_band", "pct_contacted", "pct_scored", "pct_reviewed",
                        "pct_not_improving", "not_improving_no_review"],
}


def by_clinic_and_manager(month: pd.DataFrame, clinic_names: dict) -> dict[str, pd.DataFrame]:
    """One month's caseload rows as two tables, each ending with the program row: by clinic
    (named) and by care manager."""
    program = month[(month["clinic"] == TOTAL) & (month["care_manager"] == TOTAL)]
    clinics = month[(month["clinic"] != TOTAL) & (month["care_manager"] == TOTAL)]
    managers = month[(month["clinic"] == TOTAL) & (month["care_manager"] != TOTAL)]
    out = {}
    for title, rows, names in (("By clinic", clinics, lambda r: clinic_names.get(r["clinic"], r["clinic"])),
                               ("By care manager", managers, lambda r: r["care_manager"])):
        table = pd.concat([rows, program])
        table.insert(0, "group", [TOTAL if (r["clinic"] == TOTAL and r["care_manager"] == TOTAL) else names(r)
                                  for _, r in table.iterrows()])
        table.attrs = dict(month.attrs)
        out[title] = table
    return out


def named_strata(strata: pd.DataFrame, clinic_names: dict) -> pd.DataFrame:
    """Strata with clinic names instead of ids and readable dimension names."""
    out = strata.copy()
    is_clinic = out["dimension"] == "clinic"
    out.loc[is_clinic, "stratum"] = out.loc[is_clinic, "stratum"].map(lambda c: clinic_names.get(c, c))
    out["dimension"] = out["dimension"].str.replace("_", " ")
    out.attrs = dict(strata.attrs)
    return out


def follow_up_note(run: OutcomeRun, follow: pd.DataFrame, grain: str, privacy: Privacy | None = None, end=None) -> str:
    """Which initial assessments the follow-up rates cover: an assessment counts once its days to
    follow up have passed, so the last period holds only its earlier assessments (a rate over
    1 of them read as 100% for the month). Empty when every shown period is complete: the last
    period ends with its month, quarter or year, or with the report's last month `end` if sooner
    (an external page's last whole quarter, Jul-Sep, is complete by Oct 31; the note said it was
    not). Without `end`, a rolled-up whole period is taken to run to the as-of date. An external
    page (`privacy`) names the as-of month, not its day nor the day counted back from it."""
    last = follow_up_unfinished(run, follow, grain, end)
    if last is None:
        return ""
    days, cutoff = _followup_cutoff(run)
    shown = f"{pd.Timestamp(last['month']):%b %Y}" if grain == "month" else str(last["period"])
    if privacy is not None and privacy.external:
        return (f"Assessments in the last {days} days before the as-of date ({privacy.data_date(run.as_of)}) are not counted "
                f"yet (their days to follow up have not passed): {shown} covers only the assessments before them.")
    return (f"Assessments after {cutoff:%Y-%m-%d} are not counted yet ({days} days to follow up have not passed by "
            f"{run.as_of:%Y-%m-%d}): {shown} covers only the assessments up to then.")


def follow_up_unfinished(run: OutcomeRun, follow: pd.DataFrame, grain: str, end=None) -> pd.Series | None:
    """The last period of the follow-up rates when it holds only its earlier assessments (those
    whose days to follow up have passed by the as-of date), else None (follow_up_note)."""
    if follow.empty:
        return None
    last = follow.loc[follow["month"].idxmax()]
    return None if _period_last_day(last["month"], grain, end) <= _followup_cutoff(run)[1] else last


def _followup_cutoff(run: OutcomeRun) -> tuple[int, pd.Timestamp]:
    """The days to follow up an initial assessment, and the last assessment day counted by the as-of date."""
    days = int(run.definitions["process"]["followup_within_days"])
    return days, pd.Timestamp(run.as_of) - pd.Timedelta(days=days)


def _period_last_day(first_month, grain: str, end=None) -> pd.Timestamp:
    """The last day of the period starting `first_month` at `grain`, no later than the end of the
    report's last month `end` (a year shown as '2026, Jan-Sep' ends in September)."""
    first = pd.Timestamp(first_month)
    ends = {"month": pd.offsets.MonthEnd(0), "quarter": pd.offsets.QuarterEnd(0), "year": pd.offsets.YearEnd(0)}
    report_end = pd.Timestamp(str(end)[:7] + "-01") + pd.offsets.MonthEnd(0) if end is not None else pd.Timestamp.max
    if grain not in ends:
        return report_end  # a whole period, or calendar blocks: they run to the report's end
    return min(first + ends[grain], report_end)


def trend_note(run: OutcomeRun, trend: pd.DataFrame, grain: str, window: str = "6m", privacy: Privacy | None = None) -> str:
    """Which baseline months the trend covers and why later ones are missing. 'Shown' names the
    first and last points the chart draws (a last period whose rates are all suppressed is an x
    mark, not a point shown: the note named it, under a chart that stopped a quarter earlier), and
    that they are not the page's period: a director read a chart of Mar 2025 - Feb 2026 under a
    page of Nov 2025 - Oct 2026 with nothing saying why."""
    w = run.definitions["windows"][window]
    privacy = _privacy(run, privacy)
    whole = (" Whole quarters only, as on every external page: a quarter with a month still open waits."
             if privacy.external else "")
    drawn = _drawn_rows(trend, TREND_RATES)
    shown = ""
    if not drawn.empty:
        first, last = (drawn.loc[drawn["month"].idxmin()], drawn.loc[drawn["month"].idxmax()])
        label = (lambda r: f"{pd.Timestamp(r['month']):%b %Y}") if grain == "month" else (lambda r: str(r["period"]))
        shown = f" Last shown: {label(last)}." + (f" First shown: {label(first)}." if first.name != last.name else "") + (
            f" A baseline is shown once its window has closed, up to {w['to']} days later, so the chart reaches back "
            "before the report's period.") + _measured_range(drawn, privacy)
    return (f"Baseline months whose {WINDOW_NAMES[window]} windows (days {w['from']}-{w['to']}"
            f"{baseline_suffix(run.definitions)}) have all closed by "
            f"{privacy.data_date(run.as_of)}; later baseline months are not yet measurable.{shown}{whole}")


def _measured_range(drawn: pd.DataFrame, privacy: Privacy) -> str:
    """How many measured patients the points rest on, on a page for the program's staff: 1-6 a month
    swung the lines between 0% and 100%, with the counts on hover alone. An outside reader's page
    names none (the range would give back suppressed counts)."""
    if privacy.external or "measured" not in drawn.columns or drawn["measured"].isna().all():
        return ""
    low, high = int(drawn["measured"].min()), int(drawn["measured"].max())
    each = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    return f" Each point rests on {each} patients measured: on a few, a swing between points is mostly chance."


def _drawn_rows(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The rows of a protected frame with at least one of `cols` shown (neither suppressed nor missing)."""
    hidden = frame.attrs.get("suppressed", {})
    cols = [c for c in cols if c in frame.columns]
    if not cols:
        return frame
    keep = [any(i not in hidden.get(c, ()) and pd.notna(row[c]) for c in cols) for i, row in frame.iterrows()]
    return frame[keep]
