"""The care-team workbook: who needs a case review, a safety follow-up or a score, most urgent first.

It names patients, so it is a separate, explicit output (`bcm outcomes --worklists FILE.xlsx`
and the demo's reports/care_team_worklists.xlsx), never part of the director's report. Built
from outcomes.caseload.worklists (the lists) and OutcomeRun.patients() (the scores), so the
rules of who is on a list stay in the outcomes measures.

Sheets: about, needs_case_review, item9_positive, overdue_score, no_recent_contact, followup_due, definitions.
Each list has one row per patient and instrument that puts them there (open episodes; on the item-9 list also a
discharged patient whose positive answer since the discharge has no contact after it; on followup_due open and
discharged patients, one row per outcome window open with no score yet), with the scores as numbers
(instrument, baseline, latest, change), the clinic by name, and `also_on`: the other lists the
patient is on.
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.outcomes import caseload as cl
from bcm_analytics.outcomes.measures import OutcomeRun
from bcm_analytics.reports.export import Sheet, no_rows, write_workbook
from bcm_analytics.reports.glossary import baseline_words
from bcm_analytics.reports.page import clinic_names

WHO = ["patient_id", "episode_id", "clinic", "care_manager_id"]
SCORES = ["instrument", "baseline_date", "baseline", "latest_date", "latest", "change"]


def scores(run: OutcomeRun) -> pd.DataFrame:
    """Baseline and latest score per episode and instrument, as numbers (change = latest - baseline),
    their dates as days (Query.df). Every instrument, whatever the run's instrument filter: the
    lists are for any instrument (marts.worklists_for takes none), so a PHQ-9 row under
    --instrument GAD-7 had no scores."""
    every = OutcomeRun(run.marts, {**run.filters, "instrument": None})
    frame = every.patients_query().df(dates=True)[["episode_id", "instrument", "baseline_date", "baseline_score",
                                                 "latest_date", "latest_score"]]
    frame = frame.rename(columns={"baseline_score": "baseline", "latest_score": "latest"})
    frame["change"] = frame["latest"] - frame["baseline"]
    return frame


def item9_list(rows: pd.DataFrame, by_instrument: pd.DataFrame) -> pd.DataFrame:
    """The item-9 list, most urgent first: no contact since the latest positive answer before
    contacted; then the latest PHQ-9 positive before unknown (no item 9) before earlier positives
    only; then the oldest latest positive answer first (waiting longest for its contact).

    From outcomes.caseload.worklists: `item9_positive` is the latest PHQ-9's answer (NULL when it
    has no item 9), `item9_positive_since` the first answer of the current positive run (else the
    latest positive answer is shown as positive_since), `item9_earlier_positive_dates` the history
    (the answers before the latest positive one: those earlier_followed gives a verdict for),
    `contacted_since_item9` a contact after the latest positive answer (a contact the same day may
    be the visit the score was taken at: with both times it follows when later; where either has a day alone, outcome.item9_same_day_untimed
    says whether it counts, and `contacted_since` says it was that day, never "no").
    `item9_earlier_follow_up` gives each positive answer before the latest one by the same rule
    (marts.item9_follow_up), a contact counting until the next positive answer: `earlier_followed`
    says it in words beside each date, since a care manager reading the history asks of each
    answer whether anyone called, not only of the latest.
    """
    out = rows.merge(by_instrument[by_instrument["instrument"].isin(["PHQ-9", "PHQ-A"])], on="episode_id", how="left")
    out["contacted_since"] = [_contacted(c, same_day) for c, same_day in
                              zip(out["contacted_since_item9"], out["item9_contact_same_day_untimed"])]
    out["item9_now"] = out["item9_positive"].map(_item9_now)
    # days, as Python dates even where no answer is in a current run (DuckDB's all-NULL DATE is a datetime64)
    out["positive_since"] = pd.Series([since if pd.notna(since) else latest for since, latest in
                                       zip(out["item9_positive_since"], out["item9_latest_positive_date"].map(_day))],
                                      index=out.index, dtype=object)
    out["earlier_positives"] = out["item9_earlier_positive_dates"].map(_dates).map(
        lambda d: ", ".join(f"{x:%Y-%m-%d}" for x in sorted(d)))
    out["latest_positive"] = out["item9_latest_positive_date"]
    out["earlier_followed"] = out["item9_earlier_follow_up"].map(_followed_words)
    order = {"positive": 0, "unknown (latest PHQ-9 has no item 9)": 1, ITEM9_NOT_NOW: 2}
    out = out.sort_values(["contacted_since", "item9_now", "latest_positive", "patient_id"], kind="stable",
                          key=lambda s: s.map(lambda v: str(v).startswith("yes")) if s.name == "contacted_since"
                          else s.map(order) if s.name == "item9_now" else s)
    first = ["patient_id", "contacted_since", "item9_now", "positive_since", "earlier_positives", "last_contact_date",
             "latest_positive", "earlier_followed", "clinic", "care_manager_id"]
    drop = ["item9_positive", "item9_positive_since", "item9_earlier_positive_dates", "contacted_since_item9", "item9_date",
            "item9_latest_positive_date", "item9_contact_same_day_untimed", "item9_earlier_follow_up"]
    return out[first + [c for c in out.columns if c not in first + drop]].reset_index(drop=True)


SAME_DAY = "same day, no time"


def _verdict(contacted, same_day) -> tuple[str, bool]:
    """Whether a contact followed a positive answer (marts.item9_follow_up), and whether the verdict
    is about a contact that day that no time places before or after it: ('yes' | 'no', False), or
    ('yes' | 'not counted' | 'unknown', True) as outcome.item9_same_day_untimed judged it, never
    'no'. The one reading of the verdict for the latest answer and for each earlier one."""
    if not (pd.notna(same_day) and same_day):
        return ("yes" if (pd.notna(contacted) and contacted) else "no"), False
    return ("unknown" if pd.isna(contacted) else "yes" if contacted else "not counted"), True


def _contacted(contacted, same_day) -> str:
    """Whether a contact followed the latest positive answer, in words: 'yes', 'no', or the verdict on a
    contact that day that no time places, 'not counted (same day, no time)'."""
    verdict, untimed = _verdict(contacted, same_day)
    return f"{verdict} ({SAME_DAY})" if untimed else verdict


def _followed_words(answers) -> str | None:
    """Each positive answer before the latest one, oldest first, with whether a contact followed it:
    '2025-02-02 (contact followed); 2025-03-04 (no contact after it)'. A contact that day that no
    time places reads as 'same day, no time' and what outcome.item9_same_day_untimed made of it
    (counted, not counted, unknown), never as no contact (as `contacted_since`)."""
    if answers is None or (isinstance(answers, float) and pd.isna(answers)) or len(answers) == 0:
        return None
    words = []
    for answer in answers:
        verdict, untimed = _verdict(answer["contacted"], answer["same_day_untimed"])
        if untimed:
            said = f"{SAME_DAY}: " + ("counted" if verdict == "yes" else verdict)
        else:
            said = "contact followed" if verdict == "yes" else "no contact after it"
        words.append(f"{pd.Timestamp(answer['answered_on']):%Y-%m-%d} ({said})")
    return "; ".join(words)


ITEM9_NOT_NOW = "no (earlier positive)"


def _item9_now(flag) -> str:
    """The latest PHQ-9's answer in words. The flag is a numpy bool when the column is nullable
    (a latest PHQ-9 without items), so it is read by truth, not by identity with True."""
    if pd.isna(flag):
        return "unknown (latest PHQ-9 has no item 9)"
    return "positive" if flag else ITEM9_NOT_NOW


def _day(value):
    """A date (a day, as the workbook shows it), or None."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _dates(value) -> list:
    """A list of dates (days, as the workbook shows them) from a DuckDB list cell (None, a list or an array)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [pd.Timestamp(v).date() for v in list(value) if v is not None and not pd.isna(v)]


def review_list(rows: pd.DataFrame, by_instrument: pd.DataFrame) -> pd.DataFrame:
    """Not improving and no recent case review: one row per instrument not improving, longest
    since the last review first."""
    out = rows.assign(instrument=rows["not_improving_on"].fillna("").str.split(", ")).explode("instrument")
    out = out.merge(by_instrument, on=["episode_id", "instrument"], how="left")
    return out.sort_values(["last_review_date", "weeks_in_treatment"], ascending=[True, False], na_position="first",
                           kind="stable").reset_index(drop=True)


def overdue_list(rows: pd.DataFrame, by_instrument: pd.DataFrame, since: str = "last_score_date") -> pd.DataFrame:
    """No score (or, with since="last_contact_date", no contact) recently: one row per instrument
    scored before (one blank row if none), longest since the last one first (never first, the
    longest enrolled of those first)."""
    out = rows.merge(by_instrument, on="episode_id", how="left")
    return out.sort_values([since, "enrollment_date", "patient_id"], na_position="first", kind="stable").reset_index(drop=True)


def followup_list(rows: pd.DataFrame, by_instrument: pd.DataFrame) -> pd.DataFrame:
    """Outcome windows open with no score yet, soonest closing first (marts.followup_due_for's order),
    with the instrument's baseline and latest score: the window's instrument, one row per window."""
    out = rows.rename(columns={"window_name": "window"}).merge(by_instrument, on=["episode_id", "instrument"], how="left")
    return out.reset_index(drop=True)


def _tidy(frame: pd.DataFrame, lead: list[str]) -> pd.DataFrame:
    """The lead columns first, then who, the scores and the rest. discharge_date only where a lead
    names it: the item-9 list is the one a discharged patient can be on."""
    drop = ["scores", "clinic_id", "not_improving_on", "item9_positive", "item9_positive_since",
            "item9_earlier_positive_dates", "contacted_since_item9", "item9_date", "item9_latest_positive_date",
            "item9_contact_same_day_untimed", "item9_earlier_follow_up",
            *([] if "discharge_date" in lead else ["discharge_date"])]
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    order = lead + [c for c in WHO + SCORES if c not in lead] + [c for c in frame.columns if c not in lead + WHO + SCORES]
    return frame[[c for c in dict.fromkeys(order) if c in frame.columns]]


def worklists(run: OutcomeRun, names: dict | None = None) -> dict[str, pd.DataFrame]:
    """The five lists, with numeric scores and clinic names, sorted most urgent first. `also_on`
    names the other lists a patient is on (a call from one list is a call for all of them); a
    patient on the item-9 list for earlier answers alone, each followed by a contact and the latest
    PHQ-9's answer 0, is on it as history (ITEM9_HISTORY), not as a safety call."""
    lists = cl.worklists(run)
    by_instrument = scores(run)
    on = {name: set(frame["patient_id"]) for name, frame in lists.items()}
    history = _item9_history(lists["item9_positive"])
    for name, frame in lists.items():
        frame.insert(2, "clinic", frame["clinic_id"].map(lambda c: (names or {}).get(c, c)))
        frame["also_on"] = frame["patient_id"].map(
            lambda p, name=name: ", ".join(ITEM9_HISTORY if other == "item9_positive" and p in history else other
                                           for other in on if other != name and p in on[other]) or None)
    return {
        "needs_case_review": _tidy(review_list(lists["needs_case_review"], by_instrument), ["patient_id", "also_on"]),
        "item9_positive": _tidy(item9_list(lists["item9_positive"], by_instrument),
                                ["patient_id", "contacted_since", "item9_now", "positive_since", "earlier_positives",
                                 "last_contact_date", "latest_positive", "earlier_followed", "discharge_date", "also_on"]),
        "overdue_score": _tidy(overdue_list(lists["overdue_score"], by_instrument), ["patient_id", "also_on"]),
        "no_recent_contact": _tidy(overdue_list(lists["no_recent_contact"], by_instrument, "last_contact_date"),
                                   ["patient_id", "last_contact_date", "also_on"]),
        "followup_due": _tidy(followup_list(lists["followup_due"], by_instrument),
                              ["patient_id", "closes_on", "days_left", "window", "instrument", "opens_on", "discharge_date",
                               "also_on"]),
    }


ITEM9_HISTORY = "item9_positive (history: followed up)"


def _item9_history(rows: pd.DataFrame) -> set[str]:
    """The patients on the item-9 list for its history alone: the latest PHQ-9's item 9 is 0 and a
    contact followed the latest positive answer, read as the item-9 sheet reads them (item9_now,
    contacted_since). They read 'item9_positive' on the other lists, which the about sheet calls a
    safety call; an unknown latest answer or contact stays one."""
    settled = (rows["item9_positive"].map(lambda flag: _item9_now(flag) == ITEM9_NOT_NOW)
               & pd.Series([_verdict(c, same_day)[0] == "yes" for c, same_day in
                            zip(rows["contacted_since_item9"], rows["item9_contact_same_day_untimed"])], index=rows.index))
    live = set(rows.loc[~settled, "patient_id"])
    return set(rows.loc[settled, "patient_id"]) - live


def _filters_text(filters: dict) -> str:
    """The filters the lists were drawn with; an instrument filter is named as not applied."""
    applied = ", ".join(f"{k}={v}" for k, v in filters.items() if v and k != "instrument") or "none"
    if filters.get("instrument"):
        applied += f" (instrument={filters['instrument']} not applied: the lists are for any instrument)"
    return applied


def worklists_workbook(run: OutcomeRun, path) -> dict[str, int]:
    """Write the care-team workbook; returns the number of patients on each list."""
    lists = worklists(run, clinic_names(run.con))
    patients = {name: int(frame["patient_id"].nunique()) for name, frame in lists.items()}
    rows = [("as of", str(run.as_of)), ("definitions", f"{run.definitions.version} ({run.definitions.source})"),
            ("filters", _filters_text(run.filters)),
            ("privacy", "Identifies patients: for the care team only, never for aggregate reporting."),
            ("scores", f"instrument, baseline ({baseline_words(run.definitions)} of the episode), latest, change = latest "
                       "- baseline (negative is better); one row per instrument that puts a patient on a list"),
            ("also_on", "the other lists the patient is on (item9_positive there makes any call a safety call; "
                        f"'{ITEM9_HISTORY}' is a patient on that list for earlier positive answers alone, each followed by "
                        "a contact, whose latest PHQ-9 answered item 9 with 0)")]
    rows += [(f"sheet {name}", f"{why} ({patients[name]} patient{'' if patients[name] == 1 else 's'})")
             for name, why in cl.worklist_descriptions(run.definitions).items()]
    rows += [("sheet item9_positive order", "no contact after the latest positive answer first (contacted_since = no, or only one the same day that no "
                                            f"time places before or after it: '{SAME_DAY}', counted or not as "
                                            f"outcome.item9_same_day_untimed = {run.definitions['outcome']['item9_same_day_untimed']} says); "
                                            "then the latest PHQ-9 positive, unknown (no item 9), earlier positives only; "
                                            "oldest latest_positive first: those have waited longest for a contact"),
             ("sheet item9_positive earlier_positives", "the dates of the positive answers before the latest one "
                                                        "(latest_positive), oldest first: the answers earlier_followed gives, each "
                                                        "answer shown once; positive_since is the first answer of the positive run "
                                                        "the latest PHQ-9 ends, else the latest positive answer"),
             ("sheet item9_positive earlier_followed", "each positive answer before the latest one, oldest first, and whether a "
                                                       "contact followed it, by the rule contacted_since reads: 'contact followed', "
                                                       f"'no contact after it', or '{SAME_DAY}: counted / not counted / unknown'; a "
                                                       "contact after the next positive answer is that answer's, not this one's"),
             ("sheet followup_due order", "soonest closing first: closes_on is the window's last day, days_left the days "
                                          "from the as-of date to it; a score on or before closes_on counts")]
    about = pd.DataFrame(rows, columns=["item", "value"])
    sheets = {"about": Sheet(about, widths={"value": 100})}
    chosen = any(v for k, v in run.filters.items() if k != "instrument")  # as _filters_text names them
    for name, frame in lists.items():
        sheets[name] = Sheet(frame, empty=no_rows(f"as of {run.as_of}", "with the filters in 'about'" if chosen else ""))
    sheets["definitions"] = run.definitions.describe()
    write_workbook(sheets, path)
    return patients
