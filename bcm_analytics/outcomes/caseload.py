"""Caseload and process measures per month, cohort curves, change bands and worklists.

All read the outcome marts through a prepared OutcomeRun (measures.prepare). Counts come straight from
the SQL; the rates are added here so every rate's numerator and denominator stay visible to
the suppression step (a rate is never suppressed on its own).
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.outcomes.measures import OutcomeRun

# rate column -> (numerator, denominator) of caseload_months
CASELOAD_RATES = {
    "pct_contacted": ("contacted", "active"),
    "pct_scored": ("scored", "active"),
    "pct_scored_long": ("scored_long", "active"),
    "pct_reviewed": ("reviewed", "active"),
    "pct_followed_up": ("followed_up", "assessed"),
}
# figures per patient that are only as private as the count they are an average over
CASELOAD_PER_PATIENT = {
    "contacts_per_patient_month": ["served"],
    "minutes_per_patient_month": ["served"],
    "mean_weeks_in_treatment": ["active"],
    "mean_phq9_first": ["phq9_patients"],  # over the active patients with a score of the instrument
    "mean_phq9_last": ["phq9_patients"],
    "mean_gad7_first": ["gad7_patients"],
    "mean_gad7_last": ["gad7_patients"],
}


def caseload_months(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Process measures per month for the program, clinics, care managers and their crossing.

    Rows: clinic and care_manager hold 'All' where summed over ('All', 'All' is the program).
    Care-manager rows (clinic 'All') also carry the caseload guidance band for their FTE and
    where the active caseload sits against it (below / within / above).
    """
    frame = run.query("caseload_months", **run.period(start_month, end_month))
    for rate, (num, den) in CASELOAD_RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    served = frame["served"].where(frame["served"] > 0)
    frame["contacts_per_patient_month"] = frame["contacts"] / served
    frame["minutes_per_patient_month"] = frame["minutes"] / served
    return _with_band(frame, run)


def _with_band(frame: pd.DataFrame, run: OutcomeRun) -> pd.DataFrame:
    caseload = run.definitions["caseload"]
    lo, hi = run.definitions.caseload_band()
    is_cm = (frame["clinic"] == "All") & (frame["care_manager"] != "All")
    fte = frame["care_manager"].map(lambda u: float(caseload["fte"].get(u, caseload["fte_default"])))
    frame["band_low"] = (lo * fte).where(is_cm)
    frame["band_high"] = (hi * fte).where(is_cm)
    frame["caseload_vs_band"] = None
    frame.loc[is_cm, "caseload_vs_band"] = "within"
    frame.loc[is_cm & (frame["active"] < frame["band_low"]), "caseload_vs_band"] = "below"
    frame.loc[is_cm & (frame["active"] > frame["band_high"]), "caseload_vs_band"] = "above"
    return frame


def score_utilisation(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Per assessment period (DMS-E style) and clinic: patients with a contact, those of them with a
    score of the instrument in the same period, and the share (pct_patients_scored)."""
    frame = run.query("utilisation", dates=True, **run.period(start_month, end_month))
    frame["pct_patients_scored"] = frame["patients_scored"] / frame["patients_contacted"].where(frame["patients_contacted"] > 0)
    return frame


# rate column -> (numerator, denominator) of drr_e_for: "of all" over the denominator, "of measured"
# over the patients followed up (a remission or a response needs a follow-up score), and remission
# of the responders (with an index of 10+ a remission, below 5, is also a response). Each pair is
# also a difference the suppression protects (Privacy.protect's rates): the patients followed up and
# not in remission are a count of patients as much as those in remission are.
DRR_E_RATES = {"pct_followed_up": ("followed_up", "denominator"), "pct_remitted": ("remitted", "denominator"),
               "pct_responded": ("responded", "denominator"),
               "pct_remitted_of_followed_up": ("remitted", "followed_up"),
               "pct_responded_of_followed_up": ("responded", "followed_up"),
               "pct_remitted_of_responded": ("remitted", "responded")}


def drr_e(run: OutcomeRun, year: int) -> pd.DataFrame:
    """HEDIS DRR-E for a measurement year (models/outcomes/drr_e_for.sql): per age stratum and the
    program ('All'), the denominator, the three numerators and their rates (DRR_E_RATES; NaN on no
    patients); `complete` is false while any follow-up period of the year is still open."""
    return _per_year(run, "drr_e", year, DRR_E_RATES)


# rate column -> (numerator, denominator) of cms159_for: the measure's rate over the denominator (the
# patients with no score in the window count as not met), the patients with no follow-up score, and
# the rate of those measured; each pair also a difference the suppression protects.
CMS159_RATES = {"rate": ("numerator", "denominator"), "pct_no_follow_up_score": ("no_follow_up_score", "denominator"),
                "rate_of_followed_up": ("numerator", "followed_up")}


def cms159(run: OutcomeRun, year: int) -> pd.DataFrame:
    """CMS159 / MIPS #370 for a measurement period (models/outcomes/cms159_for.sql): per age stratum
    (12-17, 18+ at the index) and the program ('All'), the denominator, the remissions (`numerator`),
    those with no score in the 12-month window, and the rates (CMS159_RATES; NaN on no patients);
    `complete` is false while any window of the year is still open."""
    return _per_year(run, "cms159", year, CMS159_RATES)


def _per_year(run: OutcomeRun, measure: str, year: int, rates: dict) -> pd.DataFrame:
    """A per-year measure's table macro (MACROS) for `year`, with its rates (NaN on no patients)."""
    frame = run.query(measure, dates=True, year=int(year))
    for rate, (num, den) in rates.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    return frame


def contacts_by_mode(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Contacts per month, clinic, care manager and contact mode (long: one row per mode)."""
    return run.query("contacts_by_mode", **run.period(start_month, end_month))


def cohort_curves(run: OutcomeRun, start_month=None, end_month=None, blocks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Response and remission by months since enrolment, per enrolment cohort (counts): the
    definitions' cohort period, or `blocks` (first and last days; an external page's calendar
    blocks, cohorts_for.sql says why), each labelled by its first month."""
    firsts = lasts = None
    if blocks is not None:
        firsts, lasts = list(blocks["first"]), list(blocks["last"])
    return run.query("cohorts", **run.period(start_month, end_month), block_firsts=firsts, block_lasts=lasts)


def change_distribution(run: OutcomeRun, start_month=None, end_month=None) -> pd.DataFrame:
    """Patients per band of percent change from baseline to latest score (baselines >= 10)."""
    return run.query("change_distribution", **run.period(start_month, end_month))


WORKLISTS = {
    "needs_case_review": ("needs_review", "Not improving {not_improving_after_days}+ days after baseline and no psychiatric "
                                          "case review in the last {not_improving_review_days} days"),
    "item9_positive": ("item9_on_list", "Latest PHQ-9 has item 9 above 0 (same-day safety follow-up), or an earlier answer did "
                                        "(history); a discharged patient while an answer on or after the discharge has no contact after it"),
    "overdue_score": ("overdue_score", "No PHQ-9/GAD-7 score in the last {scored_within_days} days (or none since enrolment)"),
    # counted from enrolment: a patient enrolled less than the days ago is not overdue yet, though the
    # page's measure counts them as not contacted (its 17 beside the list's 16 said nothing of why)
    "no_recent_contact": ("no_recent_contact", "No contact with the patient in the last {contacted_within_days} days (or none "
                                               "since enrolment); a patient enrolled less than {contacted_within_days} days ago "
                                               "is not listed yet, though the report's 'contacted' measure counts them out"),
}
# a list of windows (marts.followup_due_for), not a flag of the worklists
FOLLOWUP_DUE = ("followup_due", "A 12-week (days {w12w}), 6-month (days {w6m}) or 12-month (days {w12m} after baseline) "
                                "outcome window open now with no score in it yet: a score by closes_on (its last day) counts. Open and "
                                "discharged patients (discharge does not close a window); baselines of "
                                "{eligible_baseline_min}+ of the patients the measures count (aged {min_age}+, not discharged "
                                "for {excluded})")


def excluded_words(definitions) -> str:
    """The discharge reasons that leave a patient out of the measures, as a sentence names them
    ('deceased, death, died, hospice, palliative care')."""
    return ", ".join(r.replace("_", " ") for r in definitions["program"]["excluded_discharge_reasons"])


def worklist_descriptions(definitions) -> dict[str, str]:
    """Each list's description with the days of the definitions in force filled in."""
    days = {**definitions["outcome"], "contacted_within_days": definitions["process"]["contacted_within_days"],
            "scored_within_days": definitions["process"]["scored_within_days"][0],
            **{f"w{name}": f"{w['from']}-{w['to']}" for name, w in definitions["windows"].items()},
            "min_age": definitions["program"]["min_age"],
            "excluded": excluded_words(definitions)}
    whys = {**{name: why for name, (_, why) in WORKLISTS.items()}, FOLLOWUP_DUE[0]: FOLLOWUP_DUE[1]}
    return {name: why.format(**days) for name, why in whys.items()}


def worklists(run: OutcomeRun) -> dict[str, pd.DataFrame]:
    """Patient-level lists for care teams, one per reason (open episodes; a discharged patient only
    on the item-9 list, for a positive answer since the discharge not yet followed up, and on
    followup_due: one row per outcome window open with no score yet, soonest closing first).

    These identify patients: they are a separate output for the care team (the workbook is
    reports.worklists), never part of the program director's aggregate report. Their dates are
    Python dates, so the workbook shows them as days, not as date-times at midnight.
    """
    frame = run.query("worklists", dates=True)
    flags = [flag for flag, _ in WORKLISTS.values()]
    lists = {name: frame[frame[flag]].drop(columns=flags).reset_index(drop=True) for name, (flag, _) in WORKLISTS.items()}
    return {**lists, FOLLOWUP_DUE[0]: run.query("followup_due", dates=True)}
