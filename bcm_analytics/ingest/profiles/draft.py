"""A first profile from a foreign file's header, for a person to finish.

Each column of the file is matched to the canonical column it most looks like: the same name
(case, spaces and dashes aside), a name programs commonly use for it (DOB for birth_date), or
a close spelling (flagged "did you mean", to be checked). The file goes to the canonical table
whose columns it covers best. Required columns nothing matches are written as TODO, which a
profile refuses until a person maps them, so a draft cannot load by accident.

Questionnaire item columns (Q9, Item 9, Question 9, PHQ9_Q9, phq9_9, GAD7_Q3) are matched by
their number, never by a close spelling (item_10 is not item_1), and only up to the number of
items of their instrument (item_plan below): PHQ-9 item 9, thoughts of self-harm, drives the
safety worklist, and a GAD-7's 8th question (how difficult) is no item.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.ingest import excel
from bcm_analytics.ingest.profiles.model import SCORE_COLUMNS, normalise
from bcm_analytics.ingest.readers import (
    TEXT_ENCODINGS,
    FileRefused,
    find_header,
    head_lines,
    refuse_a_row_of_values,
    scan,
    split_header,
)

# Names programs and EHR exports commonly give canonical columns (normalised: lower case, _).
SYNONYMS = {
    "patient_id": ["patient", "patient_mrn", "mrn", "member_id", "member_mrn", "pt_id", "person_id", "client_id", "subject_id", "patient_number", "pat_id"],
    "clinic_id": ["clinic", "site", "site_id", "location", "location_id", "practice", "practice_id", "department", "facility_id"],
    "payer": ["insurance", "payor", "plan", "insurance_name", "payer_name", "primary_insurance", "primary_payer", "primary_payor",
              "primary_plan", "primary_coverage", "coverage", "financial_class"],
    "program": ["program_type", "service_line"],
    "care_manager_id": ["care_manager", "bhcm", "case_manager", "cm_id", "assigned_to", "care_manager_name"],
    "treating_provider_npi": ["npi", "provider_npi", "pcp_npi", "referring_provider_npi", "billing_provider_npi", "treating_npi"],
    "birth_date": ["dob", "date_of_birth", "birthdate", "birth_dt"],
    "sex": ["gender", "sex_at_birth", "administrative_gender", "legal_sex"],
    "enrollment_date": ["enrolled", "enrollment", "enrolment_date", "date_enrolled", "enrolled_on", "intake_date", "referral_date", "date_created", "start_date",
                        "episode_start", "episode_start_date", "episode_begin_date"],
    "consent_date": ["consent", "consented", "consent_dt", "date_consented", "consented_on"],
    "discharge_date": ["discharged", "discharged_on", "end_date", "date_graduated", "graduated", "closed_date", "date_discharged",
                       "episode_end", "episode_end_date"],
    "discharge_reason": ["reason", "closure_reason", "discharge_status", "resolve_reason", "episode_resolve_reason", "end_reason"],
    "entry_id": ["log_id", "log", "log_number", "log_no", "entry", "activity_id", "time_log_id", "visit_id", "note_id", "session_id", "id", "encounter_id",
                 "encounter_number", "visit_number"],
    "staff_id": ["provider", "provider_id", "user_id", "staff", "clinician", "clinician_id", "employee_id", "user"],
    "staff_role": ["role", "provider_role", "staff_type", "discipline", "user_role"],
    "service_date": ["date", "date_of_service", "dos", "visit_date", "service_dt", "encounter_date", "activity_date", "date_time", "datetime",
                     "encounter_date_time", "encounter_datetime", "visit_date_time", "service_date_time", "appointment_date",
                     "contact_date"],
    "minutes": ["duration", "mins", "time_spent", "duration_minutes", "minutes_spent", "time_minutes", "total_minutes"],
    "activity_type": ["activity", "contact_type", "service_type", "task", "activity_category"],
    "contact_mode": ["visit_type", "mode", "modality", "channel", "contact_method", "contact_mode_type"],
    "start_time": ["start", "time_in", "begin", "start_datetime"],
    "assessment_id": ["score_id", "survey_id", "response_id", "questionnaire_response_id", "measurement_id", "id"],
    "instrument": ["measure", "questionnaire", "scale", "survey", "score_name", "tool", "assessment", "assessment_type"],
    "administered_on": ["date", "score_date", "completed", "completed_at", "assessment_date", "authored", "effective", "date_completed",
                        "visit_date", "screening_date", "date_administered", "administered", "survey_date", "date_of_screening",
                        "recorded_time", "recorded_at", "taken_time", "result_date", "observation_date", "date_taken",
                        "taken_on", "date_scored", "phq_date", "gad_date"],
    "total_score": ["score", "total", "score_value", "result", "value", "total_points"],
    "claim_id": ["claim", "claim_number", "claim_no", "icn"],
    "line_number": ["line", "claim_line", "line_no", "service_line", "ln", "line_num", "line_nbr", "line_item", "svc_line"],
    "date_of_service": ["dos", "service_date", "from_date", "date", "svc_from", "service_from", "service_from_date", "from_dos",
                        "dos_from", "svc_date", "svc_from_date"],
    "procedure_code": ["cpt", "hcpcs", "cpt_code", "procedure", "billing_code", "code", "cpt_hcpcs", "hcpcs_cpt", "proc_code",
                       "cpt_hcpcs_code", "procedure_cd", "hcpcs_code"],
    "modifier": ["mod", "mod_1", "mod1", "modifier_1", "modifiers", "cpt_modifier"],
    "units": ["unit", "qty", "quantity", "service_units"],
    "billing_provider_npi": ["billing_npi", "npi"],
    # The practitioner of a line billed under a group's or an organisation's NPI (CMS-1500 box 24J,
    # a UB-04's attending provider): its NPI only, never a 'Rendering Provider' column of names.
    "rendering_provider_npi": ["rendering_npi", "rendering_prov_npi", "rendering_provider_id", "attending_npi", "attending_provider_npi",
                               "performing_npi", "performing_provider_npi", "servicing_npi", "servicing_provider_npi"],
    "charge_amount": ["charge", "charges", "billed_amount", "billed", "amount", "billed_amt", "charge_amt", "total_charge"],
    "paid_amount": ["paid", "payment", "payment_amount", "amount_paid", "paid_amt", "payment_amt", "amt_paid"],
    "claim_status": ["status"],
    # the payer's reason for a denied line: a remittance's claim adjustment reason code (CARC)
    "denial_reason": ["denial_code", "denial_reason_code", "carc", "carc_code", "reason_code", "adjustment_reason",
                      "adjustment_reason_code", "claim_adjustment_reason", "claim_adjustment_reason_code", "denial_description"],
    "clinic_name": ["name", "site_name", "location_name"],
    "setting": ["clinic_type", "site_type"],
    "timezone": ["time_zone", "tz"],
    "stay_id": ["encounter_number", "encounter_id", "admission_id", "account_number", "hospital_account", "har", "csn", "visit_number"],
    "stay_type": ["patient_class", "encounter_class", "pt_class", "level_of_care", "class", "admit_class"],
    "admitted_at": ["admit_date", "admission_date", "admit_date_time", "admission_date_time", "admit_datetime", "admit_dt",
                    "admitted", "admitted_on", "admit_time", "adm_date"],
    "discharged_at": ["discharge_date", "discharge_date_time", "discharge_datetime", "disch_date", "disch_date_time", "discharge_dt",
                      "dc_date", "discharged", "discharged_on", "discharge_time"],
}
# File names that say a table (the canonical file name, and common words for it).
TABLE_WORDS = {
    "patients": ["patient", "registry", "roster", "enrollment", "enrolment", "member", "caseload"],
    "time_logs": ["time", "log", "activity", "activities", "minutes", "visit", "contact", "encounter", "session"],
    "assessments": ["assessment", "score", "phq", "gad", "survey", "measure", "questionnaire", "screening"],
    "claims": ["claim", "remit", "billing", "charge", "835", "837"],
    "clinics": ["clinic", "site", "location", "practice"],
    "facility_stays": ["stay", "admission", "admit", "adt", "inpatient", "hospitali", "census"],
}
MIN_SIMILARITY = 0.75

# A score export written one row per item or total (Epic flowsheet rows, an observations table):
# a column saying which item the row is (a LOINC code, a flowsheet row ID) and one holding its
# answer. Such a file is no row per assessment: it drafts a `scores` map (draft_scores).
SCORE_CODE = ["code", "loinc", "loinc_code", "flowsheet_row_id", "flowsheet_id", "flo_meas_id", "flowsheet_row", "question_id",
              "question_code", "item_id", "item_code", "observation_code", "measure_id", "component_id", "result_code"]
SCORE_VALUE = ["value", "meas_value", "answer", "answer_value", "result", "result_value", "observation_value", "response"]

# Questionnaire item columns, by their normalised names: a word for the item (Q9, Item 9,
# Question 9, with the instrument in front or not: PHQ9_Q9, GAD-7 Item 3), or the instrument
# and the number (phq9_9, GAD-7 3); an answer/score word after it is allowed (Q9 Score).
_ANSWER = r"(?:_?(?:score|answer|response|value))?"
ITEM_WORD = re.compile(rf"^(?:(phq|gad)_?([0-9]{{1,2}}|a)?_?)?(?:q|qn|ques|question|item)_?([0-9]{{1,2}}){_ANSWER}$")
ITEM_AFTER_INSTRUMENT = re.compile(rf"^(phq|gad)_?([0-9]{{1,2}}|a)_([0-9]{{1,2}}){_ANSWER}$")
# An instrument named in a file, sheet or (other) column name: PHQ-9 Scores, phq9_total, GAD7.
INSTRUMENT_WORD = re.compile(r"(?:^|[^a-z])(phq|gad)_?([0-9]{1,2}|a)?(?![a-z0-9])")
INSTRUMENTS = {("phq", ""): "PHQ-9", ("phq", "9"): "PHQ-9", ("phq", "a"): "PHQ-A", ("phq", "2"): "PHQ-2",
               ("gad", ""): "GAD-7", ("gad", "7"): "GAD-7"}  # others (PHQ-15, GAD-2) are not assessments' instruments
ITEM_COUNTS = {"PHQ-9": 9, "PHQ-A": 9, "PHQ-2": 2, "GAD-7": 7}
# A column holding an instrument's total: PHQ-9, PHQ9 Total, gad7_score.
TOTAL_NAME = re.compile(r"^(phq|gad)_?([0-9]{1,2}|a)?(?:_?(?:total|score|sum|total_score))?$")
ITEMS_IN_BOTH = 7  # items 1-7 are items 1-7 whether the form is a PHQ-9 or a GAD-7


@dataclass
class Match:
    column: str  # canonical
    source: str | None  # normalised source column
    original: str | None  # as the file writes it
    how: str  # exact | synonym | similar | item | none | todo (a column a person must decide: `note` says why)
    note: str = ""


@dataclass
class FileDraft:
    path: Path
    source: str
    table: str
    header: list[str]
    matches: list[Match] = field(default_factory=list)
    sheet: str | None = None  # the sheet --sheet named, which a load must read too (not the first)
    items: ItemPlan | None = None  # assessments: how the file's item columns were read
    scores: tuple[Match, Match] | None = None  # assessments one row per item or total: its code and value columns

    @property
    def unmapped(self) -> list[str]:
        used = {m.original for m in (*self.matches, *(self.scores or ())) if m.original}
        return [h for h in self.header if h not in used]


def header(path: Path, sheet: str | None = None) -> list[str]:
    """A file's column names as written: a CSV's or sheet's header, a JSON file's record keys."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileRefused(path, "no such file")
    if excel.is_excel(path):
        return [h for h in excel.read_sheet(path, sheet).header if not h.startswith("__UNNAMED__")]
    facts = scan(path)
    codec = TEXT_ENCODINGS.get(facts.encoding, facts.encoding)
    if suffix in (".json", ".ndjson", ".jsonl"):
        with open(path, encoding=codec, newline="") as f:
            first = f.readline()
            return _json_keys(path, first + f.read(1 << 20))
    head = head_lines(path, codec)
    line = head[find_header(head, ())]  # a title above the column names is passed over
    if not line.strip():
        raise FileRefused(path, "the first line is empty; expected a header row with column names")
    return [h for h in split_header(line)[1] if h]


def _json_keys(path: Path, text: str) -> list[str]:
    import json

    decoder = json.JSONDecoder()
    text = text.lstrip("\ufeff").lstrip()
    try:
        value, _ = decoder.raw_decode(text[1:].lstrip() if text.startswith("[") else text)
    except json.JSONDecodeError:
        raise FileRefused(path, "not JSON whose records a profile can map (expected objects, one per line or in an array)") from None
    if not isinstance(value, dict):
        raise FileRefused(path, "not JSON whose records a profile can map (expected objects, one per line or in an array)")
    return list(value)


@dataclass
class ItemPlan:
    """A file's questionnaire item columns: which fill which item, and which are left, and why."""

    instrument: str | None  # the one instrument the file's names say, if they say one
    mapped: dict[str, str] = field(default_factory=dict)  # item_9 -> normalised source column
    todo: dict[str, str] = field(default_factory=dict)  # item_8 -> why a person must decide
    left: dict[str, str] = field(default_factory=dict)  # source column as written -> why it is not an item
    sources: set[str] = field(default_factory=set)  # every normalised column read as an item (of any instrument)


def _instrument(inst: str | None, version: str | None) -> str | None:
    return INSTRUMENTS.get((inst, version or ""), "other") if inst else None


def item_plan(names: list[str], context: str = "") -> ItemPlan:
    """Which item columns of a file fill item_1 ... item_9 (`context`: the file and sheet names).

    The instrument is the one the item columns name (PHQ9_Q9), else the one the file, sheet and
    other column names name (phq9_scores.csv, 'PHQ-9 Scores', 'PHQ9 Total'). Known, its items
    1 to its count are mapped (a GAD-7's Q8 and Q9 are not: its 8th question is how difficult).
    Not known (none named, or both), items are mapped by number only when the file has items 1
    to 7 at least (those mean the same in either form); items 8 and 9 when it has all nine (a
    9-item form: no GAD-7); an 8 or a 9 otherwise is left TODO for a person to decide. Item
    columns of two instruments in one row are all left TODO: each instrument needs its own map.
    """
    parsed: dict[str, tuple[str | None, int, str]] = {}  # normalised -> (instrument, number, as written)
    evidence = {_instrument(*m.groups()) for m in INSTRUMENT_WORD.finditer(normalise(context))}
    for name in names:
        src = normalise(name)
        m = ITEM_WORD.match(src) or ITEM_AFTER_INSTRUMENT.match(src)
        if m and 1 <= int(m[3]) <= 9:
            parsed.setdefault(src, (_instrument(m[1], m[2]), int(m[3]), name))
        else:
            evidence |= {_instrument(*w.groups()) for w in INSTRUMENT_WORD.finditer(src)}
    plan = ItemPlan(None, sources=set(parsed))
    for src, (inst, n, name) in parsed.items():
        if inst == "other":
            plan.left[name] = "an item of an instrument assessments do not hold"
    named = {inst for inst, _, _ in parsed.values() if inst and inst != "other"}
    if len(named) > 1:
        for n in range(1, 10):
            candidates = [f"{name} ({inst})" for inst, k, name in parsed.values() if k == n and inst in named]
            if candidates:
                plan.todo[f"item_{n}"] = (f"{' or '.join(candidates)}? items of {' and '.join(sorted(named))} in one row: "
                                          "one table map per instrument from this source (docs/profiles.md)")
        return plan
    evidence.discard(None)
    evidence.discard("other")
    plan.instrument = next(iter(named)) if named else next(iter(evidence)) if len(evidence) == 1 else None
    ours = {src: (n, name) for src, (inst, n, name) in parsed.items() if inst in (None, plan.instrument)}
    numbers = {n for n, _ in ours.values()}
    run = next(k for k in range(10) if k + 1 not in numbers or k == 9)
    for src, (n, name) in ours.items():
        column = f"item_{n}"
        if column in plan.mapped or column in plan.todo:
            plan.left[name] = f"another column is {column}"
        elif plan.instrument:
            if n <= ITEM_COUNTS[plan.instrument]:
                plan.mapped[column] = src
            else:
                plan.left[name] = f"a {plan.instrument} has {ITEM_COUNTS[plan.instrument]} items"
        elif run < ITEMS_IN_BOTH:
            plan.left[name] = f"items 1-{ITEMS_IN_BOTH} are not all there, so these may not be questionnaire items"
        elif n <= ITEMS_IN_BOTH or run == 9:
            plan.mapped[column] = src
        else:
            plan.todo[column] = (f"'{name}' is item {n} of a PHQ-9, but the file names no instrument and has no "
                                 f"{'item 9' if n == 8 else 'item 8'} (a GAD-7's 8th question is how difficult, no item): "
                                 f"map it if the form is a PHQ-9, delete this line if it is a GAD-7")
    return plan


def match_columns(spec: TableSpec, names: list[str], context: str = "") -> list[Match]:
    """The best source column for each canonical column, each source column used once.
    Questionnaire items are matched by number (item_plan; `context`: file and sheet names)."""
    normal = {normalise(n): n for n in names}
    plan = item_plan(names, context) if any(c.startswith("item_") for c in spec.column_names) else None
    candidates = []
    for col in spec.column_names:
        if plan and col.startswith("item_"):
            if col in plan.mapped:
                candidates.append((0.95, col, plan.mapped[col], "item"))
            continue
        if plan and plan.instrument and col == "total_score":  # the total of the file's instrument: PHQ9 Total
            candidates += [(0.9, col, src, "synonym") for src in normal
                           if (t := TOTAL_NAME.match(src)) and _instrument(t[1], t[2]) == plan.instrument]
        for src in normal:
            if plan and src in plan.sources:
                continue  # an item column is no other column
            score, how = _similarity(col, src)
            if score:
                candidates.append((score, col, src, how))
    taken_cols, taken_src, chosen = set(), set(), {}
    for score, col, src, how in sorted(candidates, key=lambda c: (-c[0], spec.column_names.index(c[1]))):
        if col in taken_cols or src in taken_src:
            continue
        taken_cols.add(col)
        taken_src.add(src)
        chosen[col] = Match(col, src, normal[src], how)
    todo = plan.todo if plan else {}
    return [chosen.get(c) or (Match(c, None, None, "todo", todo[c]) if c in todo else Match(c, None, None, "none"))
            for c in spec.column_names]


def _similarity(canonical: str, source: str) -> tuple[float, str]:
    """How well a source column's name matches a canonical column's. An NPI column is matched by
    a similar spelling only when the name says NPI: 'Rendering Provider' is the provider's name."""
    if source == canonical:
        return 1.0, "exact"
    if source in SYNONYMS.get(canonical, []):
        return 0.9 - 0.01 * SYNONYMS[canonical].index(source), "synonym"
    if canonical.endswith("_npi") and "npi" not in source:
        return 0.0, "none"
    ratio = max(difflib.SequenceMatcher(None, source, canonical).ratio(),
                max((difflib.SequenceMatcher(None, source, s).ratio() for s in SYNONYMS.get(canonical, [])), default=0))
    return (ratio * 0.8, "similar") if ratio >= MIN_SIMILARITY else (0.0, "none")


def choose_table(path: Path, names: list[str], sheet: str | None = None) -> tuple[str, list[Match]]:
    """The canonical table the file covers best (its name breaks ties); FileRefused when it
    looks like none, listing the columns found."""
    stem = path.stem.lower()
    best = None
    for spec in table_specs().values():
        matches = match_columns(spec, names, f"{path.stem} {sheet or ''}")
        found = [m for m in matches if m.source]
        score = sum(1.0 if m.how == "exact" else 0.8 if m.how in ("synonym", "item") else 0.4 for m in found)
        score += sum(0.4 for m in matches if m.how == "todo")  # item columns a person must assign are items still
        score += sum(0.5 for m in found if m.column in spec.required)
        if stem.startswith(spec.file) or any(w in stem for w in TABLE_WORDS.get(spec.name, [])):
            score += 1.5
        if found and (best is None or score > best[0]):
            best = (score, spec.name, matches)
    if best is None or best[0] < 2:
        refuse_a_row_of_values(path, names)
        raise FileRefused(path, f"no column looks like a column of a canonical table; found columns: {', '.join(names) or 'none'}")
    return best[1], best[2]


def draft(paths: list[Path], name: str, sheet: str | None = None) -> tuple[str, list[FileDraft]]:
    """The YAML text of a draft profile for these files, and what was matched per file."""
    drafts = []
    used_sources = set()
    for path in paths:
        names = header(path, sheet)
        in_sheet = sheet if excel.is_excel(path) else None
        table, matches = choose_table(path, names, in_sheet)
        source = _source_name(path, used_sources)
        items = item_plan(names, f"{path.stem} {in_sheet or ''}") if table == "assessments" else None
        scores = draft_scores(names) if table == "assessments" and not items.sources else None
        if scores:
            taken = {scores[0].original, scores[1].original}
            matches = [Match(m.column, None, None, "scores") if m.column in SCORE_COLUMNS else m
                       for m in match_columns(table_specs()["assessments"], [n for n in names if n not in taken])]
        drafts.append(FileDraft(path, source, table, names, matches, in_sheet, items, scores))
    return render(name, drafts), drafts


def draft_scores(names: list[str]) -> tuple[Match, Match] | None:
    """The code and value columns of a score export written one row per item or total, or None.
    Its rows are no assessments (a Value column read as total_score would load every answer as a
    score): a `scores` map gathers them per administration, by code (docs/profiles.md)."""
    normal = {normalise(n): n for n in names}
    code = next((c for c in SCORE_CODE if c in normal), None)
    value = next((v for v in SCORE_VALUE if v in normal), None)
    if code is None or value is None:
        return None
    return Match("code", code, normal[code], "scores"), Match("value", value, normal[value], "scores")


# A date stamped in a file name (20250515, 2025-05, 2025_05_15): the next export carries another.
DATE_STAMP = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}[-_]?[01][0-9](?:[-_]?[0-3][0-9])?(?![0-9])")


def file_pattern(name: str) -> str:
    """The file-name pattern a source matches: the name with a date stamp as *, so next month's
    ClaimLines_20250615.csv loads through the profile drafted from ClaimLines_20250515.csv (the
    exact name refused it: no file matches the profile's sources)."""
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    return DATE_STAMP.sub("*", stem) + dot + suffix


def _source_name(path: Path, taken: set[str]) -> str:
    stem = file_pattern(path.name).rpartition(".")[0] or path.stem
    base = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_") or "source"
    base = base if base[0].isalpha() else f"s_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def render(name: str, drafts: list[FileDraft]) -> str:
    specs = table_specs()
    files = ", ".join(d.path.name for d in drafts)
    lines = [
        f"# Draft profile written by `bcm profile draft` from {files}.",
        "# Finish it before loading with it:",
        "#   - check each line marked CHECK (matched by a similar name only);",
        "#   - replace each TODO with a source column, an SQL expression over the source columns, or",
        "#     {value: ..., assumption: why} for a value the export does not carry;",
        "#   - delete the optional columns you do not want, add value_maps for codes the export",
        "#     writes its own way (docs/profiles.md shows how).",
        f"# Then: bcm load {' '.join(d.path.name for d in drafts)} --profile {name}.yaml",
        f"name: {name}",
        f"title: {name} export (describe the system it comes from)",
        "",
        "sources:",
    ]
    patterns = [file_pattern(d.path.name) for d in drafts]
    for d, pattern in zip(drafts, patterns):
        mapped = [m.source for m in (*d.matches, *(d.scores or ())) if m.source]
        files = pattern if patterns.count(pattern) == 1 else d.path.name  # two months of one export: each its own name
        lines += [f"  {d.source}:", f"    files: [{_yaml_text(files)}]"]
        lines += [f"    sheet: {_yaml_text(d.sheet)}"] if d.sheet else []
        lines += [f"    columns: [{', '.join(mapped)}]"]
        if d.unmapped:
            lines.append(f"    # not read (map them to read them): {', '.join(d.unmapped)}")
    lines += ["", "tables:"]
    for table in sorted({d.table for d in drafts}, key=lambda t: specs[t].load_order):
        group = [d for d in drafts if d.table == table]
        lines.append(f"  {table}:")
        for d in group:
            indent = "    " if len(group) == 1 else "      "
            lines.append(f"{'    ' if len(group) == 1 else '    - '}from: {d.source}")
            if d.scores:
                lines += _scores_lines(d, indent)
            lines.append(f"{indent}columns:")
            width = max(len(c) for c in specs[table].column_names) + 1
            for m in d.matches:
                required = m.column in specs[table].required
                if m.how == "scores" or m.source is None and not required and m.how != "todo":
                    continue
                key = f"{indent}  {m.column + ':':<{width}}"
                if m.how == "todo":
                    lines.append(f"{key} TODO  # {m.note}")
                elif m.source is None:
                    hint = ""
                    if m.column == "assessment_id" and d.scores:
                        hint = "; one per administration and instrument, e.g. {sql: \"<visit or time column> || '/' || instrument\"}"
                    if m.column == "instrument" and d.items and d.items.instrument:
                        hint = (f"; the file's items are {d.items.instrument}'s: {{value: {d.items.instrument}, "
                                f"assumption: every row is a {d.items.instrument}}} if it holds no other")
                    lines.append(f"{key} TODO  # required: no column of {d.path.name} looks like {m.column}{hint}")
                elif m.how == "similar":
                    lines.append(f"{key} {m.source}  # CHECK: '{m.original}' (did you mean {m.column}?)")
                else:
                    note = "" if m.original == m.source else f"  # '{m.original}'"
                    if m.how == "item" and d.items and d.items.instrument:
                        note = f"  # '{m.original}': {d.items.instrument} item {m.column[5:]}"
                    lines.append(f"{key} {m.source}{note}")
            for original, why in (d.items.left.items() if d.items else ()):
                lines.append(f"{indent}  # not an item here: '{original}' ({why})")
    return "\n".join(lines) + "\n"


def _scores_lines(d: FileDraft, indent: str) -> list[str]:
    """A scores map for a file of one row per item or total: its code and value columns, and TODO
    for what only a person can say (which rows are one administration, the export's own codes)."""
    code, value = d.scores
    shared = [m.source for m in d.matches if m.column in ("patient_id", "administered_on") and m.source]
    return [
        f"{indent}scores:  # one row per item or total (docs/profiles.md, scores): an administration's rows become one assessment per instrument",
        f"{indent}  code: {code.source}  # '{code.original}': LOINC codes (44261-6 ...) are known; list the export's own under codes",
        f"{indent}  value: {value.source}  # '{value.original}'",
        f"{indent}  group_by: TODO  # the columns an administration's rows share (its patient, visit or time)"
        + (f", e.g. [{', '.join(shared)}]" if shared else ""),
        f"{indent}  codes: TODO  # the export's own codes: {{\"<code>\": PHQ-9 item 1, ..., \"<code>\": PHQ-9 total}}, or {{}} if they are LOINC",
    ]


def _yaml_text(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_.\-]+", value) else '"' + value.replace('"', '\\"') + '"'
