"""A first profile from a foreign file's header, for a person to finish.

Each column of the file is matched to the canonical column it most looks like: the same name
(case, spaces and dashes aside), a name programs commonly use for it (DOB for birth_date), or
a close spelling (flagged "did you mean", to be checked). The file goes to the canonical table
whose columns it covers best. Required columns nothing matches are written as TODO, which a
profile refuses until a person maps them, so a draft cannot load by accident.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bcm_analytics.contracts.tables import TableSpec, table_specs
from bcm_analytics.ingest import excel
from bcm_analytics.ingest.profiles.model import normalise
from bcm_analytics.ingest.readers import TEXT_ENCODINGS, FileRefused, find_header, head_lines, scan, split_header

# Names programs and EHR exports commonly give canonical columns (normalised: lower case, _).
SYNONYMS = {
    "patient_id": ["patient", "patient_mrn", "mrn", "member_id", "pt_id", "person_id", "client_id", "subject_id", "patient_number", "pat_id"],
    "clinic_id": ["clinic", "site", "site_id", "location", "location_id", "practice", "practice_id", "department", "facility_id"],
    "payer": ["insurance", "payor", "plan", "insurance_name", "payer_name", "primary_insurance", "coverage", "financial_class"],
    "program": ["program_type", "service_line"],
    "care_manager_id": ["care_manager", "bhcm", "case_manager", "cm_id", "assigned_to", "care_manager_name"],
    "treating_provider_npi": ["npi", "provider_npi", "pcp_npi", "referring_provider_npi", "billing_provider_npi", "treating_npi"],
    "birth_date": ["dob", "date_of_birth", "birthdate", "birth_dt"],
    "sex": ["gender", "sex_at_birth", "administrative_gender"],
    "enrollment_date": ["enrolled", "enrollment", "enrolment_date", "date_enrolled", "enrolled_on", "intake_date", "referral_date", "date_created", "start_date"],
    "consent_date": ["consent", "consented", "consent_dt", "date_consented", "consented_on"],
    "discharge_date": ["discharged", "discharged_on", "end_date", "date_graduated", "graduated", "closed_date", "date_discharged"],
    "discharge_reason": ["reason", "closure_reason", "discharge_status"],
    "entry_id": ["log_id", "entry", "activity_id", "time_log_id", "visit_id", "note_id", "session_id", "id"],
    "staff_id": ["provider", "provider_id", "user_id", "staff", "clinician", "clinician_id", "employee_id", "user"],
    "staff_role": ["role", "provider_role", "staff_type", "discipline", "user_role"],
    "service_date": ["date", "date_of_service", "dos", "visit_date", "service_dt", "encounter_date", "activity_date", "date_time", "datetime"],
    "minutes": ["duration", "mins", "time_spent", "duration_minutes", "minutes_spent", "time_minutes", "total_minutes"],
    "activity_type": ["activity", "contact_type", "service_type", "task", "activity_category"],
    "contact_mode": ["visit_type", "mode", "modality", "channel", "contact_method", "contact_mode_type"],
    "start_time": ["start", "time_in", "begin", "start_datetime"],
    "assessment_id": ["score_id", "survey_id", "response_id", "questionnaire_response_id", "measurement_id", "id"],
    "instrument": ["measure", "questionnaire", "scale", "survey", "score_name", "tool", "assessment", "assessment_type"],
    "administered_on": ["date", "score_date", "completed", "completed_at", "assessment_date", "authored", "effective", "date_completed"],
    "total_score": ["score", "total", "score_value", "result", "value", "total_points"],
    "claim_id": ["claim", "claim_number", "claim_no", "icn"],
    "line_number": ["line", "claim_line", "line_no", "service_line", "ln", "line_num", "line_nbr", "line_item", "svc_line"],
    "date_of_service": ["dos", "service_date", "from_date", "date", "svc_from", "service_from", "service_from_date", "from_dos",
                        "dos_from", "svc_date", "svc_from_date"],
    "procedure_code": ["cpt", "hcpcs", "cpt_code", "procedure", "billing_code", "code", "cpt_hcpcs", "hcpcs_cpt", "proc_code",
                       "cpt_hcpcs_code", "procedure_cd", "hcpcs_code"],
    "modifier": ["mod", "mod_1", "mod1", "modifier_1", "modifiers", "cpt_modifier"],
    "units": ["unit", "qty", "quantity", "service_units"],
    "billing_provider_npi": ["billing_npi", "rendering_npi", "npi"],
    "charge_amount": ["charge", "charges", "billed_amount", "billed", "amount", "billed_amt", "charge_amt", "total_charge"],
    "paid_amount": ["paid", "payment", "payment_amount", "amount_paid", "paid_amt", "payment_amt", "amt_paid"],
    "claim_status": ["status"],
    "clinic_name": ["name", "site_name", "location_name"],
    "setting": ["clinic_type", "site_type"],
    "timezone": ["time_zone", "tz"],
}
# File names that say a table (the canonical file name, and common words for it).
TABLE_WORDS = {
    "patients": ["patient", "registry", "roster", "enrollment", "enrolment", "member", "caseload"],
    "time_logs": ["time", "log", "activity", "activities", "minutes", "visit", "contact", "encounter", "session"],
    "assessments": ["assessment", "score", "phq", "gad", "survey", "measure", "questionnaire", "screening"],
    "claims": ["claim", "remit", "billing", "charge", "835", "837"],
    "clinics": ["clinic", "site", "location", "practice"],
}
MIN_SIMILARITY = 0.75


@dataclass
class Match:
    column: str  # canonical
    source: str | None  # normalised source column
    original: str | None  # as the file writes it
    how: str  # exact | synonym | similar | none


@dataclass
class FileDraft:
    path: Path
    source: str
    table: str
    header: list[str]
    matches: list[Match] = field(default_factory=list)
    sheet: str | None = None  # the sheet --sheet named, which a load must read too (not the first)

    @property
    def unmapped(self) -> list[str]:
        used = {m.original for m in self.matches if m.original}
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


def match_columns(spec: TableSpec, names: list[str]) -> list[Match]:
    """The best source column for each canonical column, each source column used once."""
    normal = {normalise(n): n for n in names}
    candidates = []
    for col in spec.column_names:
        for src in normal:
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
    return [chosen.get(c, Match(c, None, None, "none")) for c in spec.column_names]


def _similarity(canonical: str, source: str) -> tuple[float, str]:
    if source == canonical:
        return 1.0, "exact"
    if source in SYNONYMS.get(canonical, []):
        return 0.9 - 0.01 * SYNONYMS[canonical].index(source), "synonym"
    ratio = max(difflib.SequenceMatcher(None, source, canonical).ratio(),
                max((difflib.SequenceMatcher(None, source, s).ratio() for s in SYNONYMS.get(canonical, [])), default=0))
    return (ratio * 0.8, "similar") if ratio >= MIN_SIMILARITY else (0.0, "none")


def choose_table(path: Path, names: list[str]) -> tuple[str, list[Match]]:
    """The canonical table the file covers best (its name breaks ties); FileRefused when it
    looks like none, listing the columns found."""
    stem = path.stem.lower()
    best = None
    for spec in table_specs().values():
        matches = match_columns(spec, names)
        found = [m for m in matches if m.source]
        score = sum(1.0 if m.how == "exact" else 0.8 if m.how == "synonym" else 0.4 for m in found)
        score += sum(0.5 for m in found if m.column in spec.required)
        if stem.startswith(spec.file) or any(w in stem for w in TABLE_WORDS.get(spec.name, [])):
            score += 1.5
        if found and (best is None or score > best[0]):
            best = (score, spec.name, matches)
    if best is None or best[0] < 2:
        raise FileRefused(path, f"no column looks like a column of a canonical table; found columns: {', '.join(names) or 'none'}")
    return best[1], best[2]


def draft(paths: list[Path], name: str, sheet: str | None = None) -> tuple[str, list[FileDraft]]:
    """The YAML text of a draft profile for these files, and what was matched per file."""
    drafts = []
    used_sources = set()
    for path in paths:
        names = header(path, sheet)
        table, matches = choose_table(path, names)
        source = _source_name(path, used_sources)
        drafts.append(FileDraft(path, source, table, names, matches, sheet if excel.is_excel(path) else None))
    return render(name, drafts), drafts


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
        mapped = [m.source for m in d.matches if m.source]
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
            lines.append(f"{indent}columns:")
            width = max(len(c) for c in specs[table].column_names) + 1
            for m in d.matches:
                required = m.column in specs[table].required
                if m.source is None and not required:
                    continue
                key = f"{indent}  {m.column + ':':<{width}}"
                if m.source is None:
                    lines.append(f"{key} TODO  # required: no column of {d.path.name} looks like {m.column}")
                elif m.how == "similar":
                    lines.append(f"{key} {m.source}  # CHECK: '{m.original}' (did you mean {m.column}?)")
                else:
                    note = "" if m.original == m.source else f"  # '{m.original}'"
                    lines.append(f"{key} {m.source}{note}")
    return "\n".join(lines) + "\n"


def _yaml_text(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_.\-]+", value) else '"' + value.replace('"', '\\"') + '"'
