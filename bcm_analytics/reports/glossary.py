"""The glossary at the foot of each report: every term in plain words, with the values in force.

Generated from the definitions themselves (outcome definitions, the billing ruleset, the
findings), so the words cannot drift from the numbers: change `windows.6m` in a definitions
file and the glossary says the new days.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from bcm_analytics.billing.engine import NEAR_MARGIN
from bcm_analytics.billing.reconcile import finding_terms
from bcm_analytics.billing.time_allocation import RECOVERABLE
from bcm_analytics.billing.time_outcomes import OUTCOMES
from bcm_analytics.months import runs_words, series_words
from bcm_analytics.outcomes.caseload import excluded_words
from bcm_analytics.reports import formats
from bcm_analytics.reports.privacy import Privacy, definitions_text

# One definition of "active caseload" for every report, in the words of the macro every count
# uses (models/outcomes/on_caseload.sql), taken at a month's last day (the as-of date in the
# as-of month).
ACTIVE_CASELOAD = ("patients enrolled on or before the month's last day (the as-of date in the as-of month) and "
                   "not discharged on or before that day: a patient discharged on the last day of a month is not on "
                   "that month's caseload")


# The process measures' headings that name a window the definitions set (process.*): the words
# formats.COLUMNS writes for the packaged window, and the setting (with its place in a list).
PROCESS_WINDOWS = {
    "contacted": ("last 30 days", "contacted_within_days", None), "pct_contacted": ("last 30 days", "contacted_within_days", None),
    "scored": ("last 30 days", "scored_within_days", 0), "pct_scored": ("last 30 days", "scored_within_days", 0),
    "pct_scored_long": ("last 60 days", "scored_within_days", 1), "pct_reviewed": ("last 90 days", "review_within_days", None),
    "followed_up": ("within 4 weeks", "followup_within_days", None),
    "pct_followed_up": ("within 4 weeks", "followup_within_days", None),
}


def process_window(definitions, setting: str, place: int | None = None) -> str:
    """A process window of the definitions in force as a heading names it: 'last 30 days', or
    'within 4 weeks' for the follow-up after the initial assessment (in days unless whole weeks)."""
    days = definitions["process"][setting]
    days = int(days[place] if place is not None else days)
    if setting != "followup_within_days":
        return f"last {days} days"
    return f"within {days // 7} weeks" if days % 7 == 0 else f"within {days} days"


def process_headings(definitions) -> dict[str, str]:
    """The process columns' headings with the windows in force: a program whose definitions count
    contacts over 14 days read 'contacted, last 30 days' over them, in its tables, its chart
    legend, its headline cards and its glossary."""
    return {col: formats.label(col).replace(words, process_window(definitions, setting, place), 1)
            for col, (words, setting, place) in PROCESS_WINDOWS.items()}


def html_list(terms: list[tuple[str, str]]) -> str:
    """Terms as a definition list."""
    items = "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in terms)
    return f"<dl class='bcm-glossary'>{items}</dl>"


# A cell no page explained: a caseload page showed it 26 times (a rate with nobody to measure).
NO_BASE_TERM = (f"{formats.NO_BASE} (nothing to divide by)", "a rate or average over no one: no patient measured, no time logged")


def privacy_terms(privacy: Privacy) -> list[tuple[str, str]]:
    """What '*' means outside, or what the internal page holds, under the page's cell-size rule;
    and the dash of a rate over no one, which every page's tables may show."""
    if privacy.external:
        return [("* (suppressed)", f"a count of {privacy.range_words} patients, patient-months or claims, or a cell that would let a "
                                   "reader work one out from totals, other cells, rates or charts on this page (CMS cell-size "
                                   "rule); dollar amounts, rates and averages over such a count are hidden with it; 0 is shown"),
                NO_BASE_TERM]
    return [("internal version", f"true counts, including {privacy.range_words}: for the program's own staff only"), NO_BASE_TERM]


def outcome_terms(definitions, external: bool = False, instrument: str | None = None) -> list[tuple[str, str]]:
    """Caseload and outcome terms from the outcome definitions in force; `instrument`, the page's
    instrument filter, for the terms it reaches (scored, not improving)."""
    d = definitions
    o, w, p, act = d["outcome"], d["windows"], d["process"], d["activity"]
    lo, hi = definitions.caseload_band()
    low_r, high_r, alarm_r = d["plausibility"]["response"]
    low_m, high_m, alarm_m = d["plausibility"]["remission"]
    excluded = excluded_words(d)
    terms = [
        ("active caseload", ACTIVE_CASELOAD),
        ("patients served", "patients enrolled in the month on any day up to their discharge day, that day included "
                            "(a patient discharged on the 1st is served that month; the base of per-patient-month figures)"),
        ("minutes per patient served", "all minutes logged in the month over the patients served, those with no time "
                                       "logged included (the program overview's minutes per patient with time leaves them out)"),
        ("baseline", _baseline(d)),
        ("measured population", f"patients whose baseline falls in the report's period and is {o['eligible_baseline_min']} or "
                                f"more, aged {d['program']['min_age']} or older, not discharged for {excluded}"),
        ("follow-up window", "; ".join(f"{_window_name(k)}: the most recent score from day {v['from']} to day {v['to']} after the "
                                       "baseline (never the best one; later scores are ignored)" for k, v in w.items())),
        ("response", f"the window's score is at most {o['response_max_fraction']:.0%} of the baseline "
                     f"(exactly {o['response_max_fraction']:.0%} counts)"),
        ("remission", f"the window's score is below {o['remission_below']} ({o['remission_below']} itself is not remission)"),
        ("of all / of measured", "rates over every closed window, a patient with no score in it counting as not met "
                                 "(the HEDIS way) / over patients with a score in the window"),
        ("not yet measurable", "a window whose last day is after the as-of date: it is left out of the rates, never "
                               "counted as 0%"),
        ("discharge", _discharge(d["episode"])),
        ("typical range", f"published 6-month results among baselines of {o['eligible_baseline_min']}+ with a follow-up score: "
                          f"response {low_r:.0%}-{high_r:.0%}, remission {low_m:.0%}-{high_m:.0%}; above "
                          f"{alarm_r:.0%} / {alarm_m:.0%} a data-quality look is due, unless too few were measured to tell "
                          f"the rate from chance (the 95% interval reaches down to it)"),
        (f"contacted, {process_window(d, 'contacted_within_days')}", f"of the active caseload, a contact ({', '.join(a.replace('_', ' ') for a in act['contact_activity_types'])}, "
                                    f"or any real contact mode{_never_contact(act)}) in the {p['contacted_within_days']} days up to "
                                    "the month's last day"),
        (f"scored, last {p['scored_within_days'][0]} / {p['scored_within_days'][1]} days",
         f"of the active caseload, {_scored_on(d, instrument)} in the last "
                                      f"{p['scored_within_days'][0]} / {p['scored_within_days'][1]} days"),
        ("scored in the assessment period", _utilisation(d, excluded)),
        ("depression remission or response (HEDIS DRR-E style)", _drr_e(d, excluded)),
        ("depression remission at twelve months (CMS159)", _cms159(d)),
        ("psychiatric case review", f"a caseload review or a psychiatric consultant's time in the last {p['review_within_days']} days"),
        (f"followed up {process_window(d, 'followup_within_days')}",
         f"a contact within {p['followup_within_days']} days after the initial assessment (counted in the month of the "
         f"assessment, once its {process_window(d, 'followup_within_days').removeprefix('within ')} have passed)"),
        ("not improving", f"{o['not_improving_after_days']} days or more after the baseline and the latest score neither below "
                          f"{o['improvement_below']} nor at most {o['response_max_fraction']:.0%} of the baseline; no score since the baseline "
                          + ("counts too" if o.get("not_improving_no_followup", "all") == "all"
                             else "counts when the baseline is not already at target")
                          + (f"; on this page, on the {instrument} (the page's instrument filter)" if instrument else "")),
        ("no recent review", f"of the patients not improving, those with no psychiatric case review in the last "
                             f"{o['not_improving_review_days']} days (a shorter window than the case-review column's "
                             f"{p['review_within_days']} days: a patient not improving is due sooner)"),
        ("caseload guidance", f"{lo}-{hi} active patients per 1.0 FTE care manager (AIMS Center, band "
                              f"'{d['caseload']['band'].replace('_', ' ')}'); part-time care managers scale it by their FTE"),
        ("definitions", f"version {definitions_text(definitions, external)}"),
    ]
    return terms + privacy_terms(Privacy("external" if external else "internal", definitions.threshold))


def _scored_on(d, instrument: str | None) -> str:
    """What counts as scored: a score on the page's instrument, else on any the definitions list
    (it read "a PHQ-9 or GAD-7 score" above a page filtered to the GAD-7, which counted GAD-7s alone)."""
    if instrument:
        return f"a {instrument} score (the page's instrument filter; without it, a score on any instrument)"
    return f"a score on any instrument ({', '.join(d['instruments'])})"


# The condition each family of instruments monitors, for the diagnosis a measure's enrolment stands
# for: HEDIS DMS-E is written for the PHQ-9 and depression, and a program measuring utilisation on
# the GAD-7 monitors anxiety (PHQ-9, PHQ-A, PHQ-2: depression; GAD-7, GAD-2: anxiety)
CONDITIONS = {"PHQ": "depression", "GAD": "anxiety"}


def _diagnosis(instrument: str) -> str:
    """'depression diagnosis' for the PHQ-9, 'anxiety diagnosis' for the GAD-7; for an instrument of
    neither family, 'diagnosis the EPDS monitors'."""
    family = instrument.upper().split("-")[0]
    return f"{CONDITIONS[family]} diagnosis" if family in CONDITIONS else f"diagnosis the {instrument} monitors"


def _utilisation(d, excluded: str) -> str:
    """The score utilisation measure in words: its instrument (whatever the page's instrument
    filter), the instruments counted as it, and the periods the year is cut into."""
    u, starts = d["utilisation"], d["utilisation"]["period_start_months"]
    firsts = [dt.date(2000, m, 1) for m in starts]
    lasts = [dt.date(2000, m, 1) - dt.timedelta(days=1) for m in [*starts[1:], starts[0]]]
    periods = ", ".join(f"{a:%b}" if a.month == b.month else f"{a:%b}-{b:%b}" for a, b in zip(firsts, lasts))
    alike = [name for name, spec in d["instruments"].items() if spec.get("measure_as") == u["instrument"]]
    counted_as = f" ({' and '.join(alike)} {'counts' if len(alike) == 1 else 'count'} as the {u['instrument']})" if alike else ""
    return (f"HEDIS DMS-E style: of the patients with a contact in an assessment period ({periods}), aged "
            f"{d['program']['min_age']} or older and not discharged for {excluded}, those with a {u['instrument']} score "
            f"dated in the same assessment period{counted_as}, whatever the page's instrument filter; enrolment in the "
            f"program stands for the {_diagnosis(u['instrument'])} (the optional diagnoses export is read for DRR-E's and "
            "CMS159's exclusions only)")


def _drr_e_day(spec: dict) -> str:
    """A day of the DRR-E settings (drr_e.intake_start ...: year offset, month, day) in words:
    '1 May of the year before'."""
    day = dt.date(2000, int(spec["month"]), int(spec["day"]))  # 2000: a leap year, so 29 Feb reads too
    year = int(spec["year"])
    which = {0: "of the measurement year", -1: "of the year before"}.get(year, f"{year:+d} years from the measurement year")
    return f"{day.day} {day:%b} {which}"


def _drr_e(d, excluded: str) -> str:
    """HEDIS DRR-E per measurement year in words, with the settings in force (drr_e, windows.6m and
    the outcome thresholds): the index, the follow-up period, the numerators, the exclusions."""
    drr, w, o = d["drr_e"], d["windows"]["6m"], d["outcome"]
    alike = [name for name, spec in d["instruments"].items() if spec.get("measure_as") == drr["instrument"]]
    counted_as = f" ({' and '.join(alike)} {'counts' if len(alike) == 1 else 'count'} as the {drr['instrument']})" if alike else ""
    strata = ", ".join(drr["age_strata"])
    return (f"per measurement year: the patients aged {d['program']['min_age']} or older on {_drr_e_day(drr['age_on'])} "
            f"(age groups {strata}) whose first {drr['instrument']} score of {o['eligible_baseline_min']} or more{counted_as} "
            f"is dated from {_drr_e_day(drr['intake_start'])} to {_drr_e_day(drr['intake_end'])} (DRR-E's intake; the index "
            f"score); of them, those with a score {w['from']}-{w['to']} days after it (followed up), and those whose most "
            f"recent score there is below {o['remission_below']} (remission) or at most {o['response_max_fraction']:.0%} of "
            "the index score (response); of all: over every patient indexed, one with no follow-up score counting as not "
            "met; of measured: over those followed up. Left out: patients discharged for "
            f"{excluded} on any of their episodes up to the end of the measurement year (or of its last follow-up window, "
            "if later). A year is shown once every follow-up window of it has closed; the page's instrument filter does not "
            "change it; enrolment in the program stands for the depression diagnosis, and patients with a diagnosis "
            f"of {_diagnosis_words(d)} dated up to the same day (the optional diagnoses export) are left out too")



def _months_before_words(months: int, day_before: bool = False) -> str:
    """The first day `months` before the measurement year (or the day before it) in words:
    '1 Nov two years before', '31 Oct of the year before'."""
    start = dt.date(2001, 1, 1)  # any year: only the month and the year's offset are read
    total = start.year * 12 + (start.month - 1) - months
    day = dt.date(total // 12, total % 12 + 1, 1) - dt.timedelta(days=1 if day_before else 0)
    back = start.year - day.year
    which = {0: "of the measurement year", 1: "of the year before", 2: "two years before"}.get(back, f"{back} years before")
    return f"{day.day} {day:%b} {which}"


# Where the identification period must hold the index score and its contact (cms159.in_identification_period)
CMS159_INDEX_WORDS = {
    "score": "is dated {period} (CMS159's identification months), on the day of a contact on the program or up to {days} days before one",
    "score_and_encounter": "and its contact are both dated {period} (CMS159's identification months), the score on the contact's day or "
                           "up to {days} days before it",
    "encounter": "comes on the day of a contact dated {period} (CMS159's identification months) or up to {days} days before it (so "
                 "possibly before the first of those months)",
}
# From when a hospice or palliative care discharge leaves a patient out (cms159.care_exclusion_from)
CMS159_CARE_FROM_WORDS = {"any_time": "", "identification_period": "from the first of the identification months",
                          "measurement_period": "from 1 Jan of the measurement year", "index": "from the index day"}


def _cms159(d) -> str:
    """CMS159 / MIPS #370 per measurement year in words, with the settings in force (cms159,
    windows.12m and the outcome thresholds): where the index must fall, the numerator, and the
    exclusions' reach, each setting named (its choices are the reference's ambiguities)."""
    c, w, o = d["cms159"], d["windows"]["12m"], d["outcome"]
    period = (f"from {_months_before_words(int(c['identification_start_months']))} to "
              f"{_months_before_words(int(c['identification_end_months']), day_before=True)}")
    index = CMS159_INDEX_WORDS[c["in_identification_period"]].format(period=period, days=c["encounter_within_days"])
    reasons = d["program"]["excluded_discharge_reasons"]
    care = _or_words([r for r in reasons if r in c["care_exclusion_reasons"]])
    others = _or_words([r for r in reasons if r not in c["care_exclusion_reasons"]])
    since = CMS159_CARE_FROM_WORDS[c["care_exclusion_from"]]
    left_out = ", or for ".join(part for part in (others, f"{care}{f' ({since})' if since else ''}" if care else "") if part)
    until = (f"up to the last day of the patient's window (day {w['to']} after the index)" if c["exclusion_until"] == "assessment_period"
             else "up to the end of the measurement year (or of its last window, if later)")
    strata = ", ".join(c["age_strata"])
    return (f"per measurement year: the patients aged {d['program']['min_age']} or older at the index (age groups {strata}) whose "
            f"first {c['instrument']} score of {o['eligible_baseline_min']} or more (the index) {index}; of them, those with a score "
            f"{w['from']}-{w['to']} days after it (followed up), and those whose most recent score there is below "
            f"{o['remission_below']} (remission, the numerator); of all: over every patient indexed, one with no score in the window "
            f"counting as not met; of measured: over those followed up. Left out: patients discharged, on any of their episodes, for {left_out}, {until} "
            "(settings cms159.in_identification_period, care_exclusion_from, exclusion_until). A year is shown once every "
            "window of it has closed; enrolment in the program stands for the depression diagnosis, and patients with a "
            f"diagnosis of {_diagnosis_words(d)} dated up to the same day (the optional diagnoses export) are left out too")


def _diagnosis_words(d) -> str:
    """The diagnosis exclusions with their ICD-10-CM prefixes (definitions diagnosis_exclusions), as a sentence
    lists alternatives: 'bipolar (F31), psychotic (F20 to F25, F28 and F29) or pervasive developmental (F84) disorder'."""
    named = [f"{name.replace('_', ' ')} ({_code_runs(prefixes)})" for name, prefixes in d["diagnosis_exclusions"].items() if prefixes]
    return f"{_or_words(named)} disorder" if named else "no kind (diagnosis_exclusions lists none)"


def _code_runs(prefixes: list[str]) -> str:
    """ICD-10-CM categories as runs (months.runs_words): 'F20 to F25, F28 and F29'; a longer prefix
    (F60.3) stands on its own."""
    def position(i: int, code: str) -> int:
        category = re.fullmatch(r"([A-Z])(\d\d)", code)
        return ord(category[1]) * 100 + int(category[2]) if category else 10_000 + 2 * i  # never next to another
    return runs_words(prefixes, [position(i, code) for i, code in enumerate(prefixes)])


def _or_words(reasons: list[str]) -> str:
    """Discharge reasons as a sentence lists alternatives: 'deceased, death or died'."""
    return series_words([r.replace("_", " ") for r in reasons], "or")


def billing_terms(ruleset_id: str, privacy: Privacy) -> list[tuple[str, str]]:
    """Billing and reconciliation terms, with what each finding means."""
    terms = [
        ("expected", "what the logged, countable minutes support under the billing rules, priced with the fee schedule"),
        ("billed", "charges of CoCM and general-BHI claim lines that were not denied or voided"),
        ("paid", "what the payer paid on those claim lines"),
        ("missed revenue", "supported codes not billed or denied, G2214 billed where the minutes support the base code, "
                           "or too few units billed; a claim under another wrong code is compliance exposure in full"),
        ("denied", "supported codes the payer denied (part of missed revenue)"),
        ("the payer's reason", "why the payer denied a claim line, as the claims export gives it: a claim adjustment "
                               "reason code (CARC), such as CO-16 (the claim lacks information or has a billing error), "
                               "often with its words; CO is a contractual obligation, PR the patient's responsibility"),
        ("compliance exposure", "dollars billed without the minutes, consent or code to support them, under the wrong NPI, "
                                "or for patients not in the registry (each such claim's whole charge)"),
        ("why the figures do not add up", "expected less missed revenue plus compliance exposure is not billed: a claim under a "
                                          "wrong code or NPI counts in full as exposure while the code the minutes support stays "
                                          "in expected (it is billed again once corrected), and a claim's charge can differ from "
                                          "the fee schedule's price. The walk from expected to billed (under the headline on the "
                                          "staff page; the finance workbook's expected_to_billed sheet) prices every line at the "
                                          "fee schedule and does add up: expected, less what is supported but not billed, less what "
                                          "is supported in a month whose claim line is in the quarantine (not missed), plus "
                                          "what is billed without support, plus claims for unknown patients, plus or minus what "
                                          "was billed under another code (an NPI moves no dollar), plus or minus charges other "
                                          "than the fee, is billed to the cent"),
        ("patient-month", "one patient in one service month with anything expected or billed"),
        ("reconciled", "a patient-month whose claims agree with the minutes in every respect"),
        ("near threshold", f"a patient whose countable minutes so far this month are within {NEAR_MARGIN} minutes of the next code"),
        ("rules", f"ruleset {ruleset_id}; codes change with the payer, setting and date (noted on the charts)"),
    ]
    terms += [(words.name, words.meaning) for words in finding_terms()]
    return terms + privacy_terms(privacy)


def time_allocation_terms(ruleset_id: str, just_past: int, privacy: Privacy) -> list[tuple[str, str]]:
    """Where logged minutes go: each outcome in the words of the library (billing.time_allocation)."""
    recoverable = ", ".join(RECOVERABLE[r] for r in RECOVERABLE if r != "all")
    terms = [
        ("minutes logged", "every minute of time logged in the period, by anyone, before any billing rule"),
        ("counted", "minutes the billing rules count towards a code: they either support a code the month's countable minutes reach, or "
                    "sit in a month whose countable minutes reach no code"),
        ("share supporting a billable code", "minutes that support a code the month's countable minutes reach (billable at "
                                           "the fee schedule), of all minutes logged; whether a claim was sent is the billing "
                                           "reconciliation's question"),
        ("countable in principle", f"minutes lost to a fixable record, not to the rules: {recoverable}"),
        ("what the minutes lost to consent or an unknown activity name would have been worth",
         "the minutes countable in principle (not every minute not counted): each affected patient-month billed again with those minutes counted, under the rule in force and priced at the fee schedule, less what it bills now (a month "
         "can bill less, when the added minutes make the next month subsequent instead of initial)"),
        ("patient-month", "one patient in one service month"),
        ("threshold", "the fewest countable minutes that bill the code; the last threshold a month reached is its "
                      "base code's, or its last add-on unit's (99492 and one 99494: 86 minutes), and 'just past' is "
                      f"under {just_past} minutes past that"),
        ("rules", f"ruleset {ruleset_id}"),
    ]
    terms += [(formats.label(name), meaning) for name, meaning in OUTCOMES.items()]  # the words the tables show
    return terms + privacy_terms(privacy)


def overview_terms(privacy: Privacy) -> list[tuple[str, str]]:
    return [
        ("active caseload", ACTIVE_CASELOAD),
        ("new enrolments / discharges", "patients whose enrolment / discharge date falls in the month"),
        ("minutes logged", "every minute logged for the clinic's patients by the care team, every role (care managers, "
                           "psychiatric consultants, treating practitioners ...), before any billing rule"),
        ("patients with time", "patients with any time logged in the month"),
        ("minutes per patient with time", "minutes logged in the month over the patients with time (the caseload "
                                          "report's minutes per patient served counts every patient on the caseload)"),
    ] + privacy_terms(privacy)


def _discharge(episode: dict) -> str:
    if episode.get("discharge_closes_windows"):
        return (f"closes the follow-up windows: scores more than {episode['followup_after_discharge_days']} days after "
                "discharge do not count (setting episode.discharge_closes_windows)")
    return "does not close a follow-up window: scores after discharge (relapse-prevention check-ins) still count"


def baseline_words(definitions) -> str:
    """The baseline the measures count from, as every report text names it: "the first score"
    (outcome.baseline: first_score) or "the first score of 10+" (first_eligible, HEDIS DRR-E's
    index). The one reader of the setting for words: a text that read it itself named it in the
    measures' labels but not in the trend's note or the plausibility sentence."""
    outcome = definitions["outcome"]
    if outcome["baseline"] == "first_eligible":
        return f"the first score of {outcome['eligible_baseline_min']}+"
    return "the first score"


def baseline_suffix(definitions) -> str:
    """What a label, note or sentence about a follow-up window adds to say which baseline its days
    count from: nothing for the default (the first score), " after the first score of 10+" under
    first_eligible, whose patients and windows differ from the default's."""
    if definitions["outcome"]["baseline"] == "first_score":
        return ""
    return f" after {baseline_words(definitions)}"


def _baseline(definitions) -> str:
    """The glossary's baseline: the words of baseline_words and the setting that chose them."""
    outcome, episode = definitions["outcome"], definitions["episode"]
    lookback = f"counting scores up to {episode['baseline_lookback_days']} days before enrolment"
    head = f"{baseline_words(definitions)} of an instrument in the treatment episode"
    if outcome["baseline"] == "first_eligible":
        least = outcome["eligible_baseline_min"]
        return (f"{head} (HEDIS DRR-E's index; setting outcome.baseline: first_eligible), {lookback}: a patient first "
                f"scored below {least} is counted from that later score, one never scored {least} or more has no "
                "baseline and is in no measure")
    return f"{head}, {lookback} (setting outcome.baseline: first_score)"


def _window_name(name: str) -> str:
    return {"12w": "12 weeks", "6m": "6 months (HEDIS DRR-E)", "12m": "12 months (CMS159)"}.get(name, name)


def _never_contact(activity: dict) -> str:
    """', never caseload review or administrative': the activities no contact mode makes a contact."""
    never = [a.replace("_", " ") for a in activity["non_contact_activity_types"]]
    return f", never {' or '.join(never)}" if never else ""
