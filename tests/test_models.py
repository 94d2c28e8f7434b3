"""The domain model: the graph of SQL models, each rule in one place, incremental equals full.

The incremental test loads a synthetic program the way a program sends it, a month of exports at
a time (with the payer history as the registry writes it that month: periods closed, added and
corrected between loads), brings the marts up to date after each month (per changed patient), and
then compares every mart, row for row, with a rebuild from scratch of the same store.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bcm_analytics.contracts.suites import SUITES_DIR
from bcm_analytics.ingest import load_file
from bcm_analytics.models import build, current, refresh
from bcm_analytics.models.build import COMPACT_AT, Target, _rebuild_patients
from bcm_analytics.models.graph import Model, ModelError, _parse, models
from bcm_analytics.models.inputs import NAMES
from bcm_analytics.synthetic import generate_program, write_claims
from bcm_analytics.warehouse import connect

WAREHOUSE_SQL = resources.files("bcm_analytics.warehouse").joinpath("schema.sql").read_text()

# Each business rule and the one model or macro that defines it. A pattern that only the rule's
# own definition may contain tells a copy of the rule anywhere else.
RULES = {
    "local month (in the clinic's time zone)": ("core.local_month", r"date_trunc\('month',\s*core\.local_time"),
    "local clock time of a reading (an instant seen in the clinic's zone)": ("core.local_time", r"timezone\(core\.zone\(tz\),\s*instant_ts\)"),
    "instant of a reading (a wall-clock reading placed in the zone)": ("core.instant", r"timezone\(core\.zone\(tz\),\s*CAST\(local_ts"),
    "local month's slack (before a zone is applied)": ("marts.local_month_slack", r"\(\)\s+AS\s+INTERVAL\s+1\s+MONTH"),
    "rule in force per patient-month": ("marts.rule_in_force", r"config\.rule_periods"),
    "a re-enrolment (a replaced patients row: a later enrolment date after its discharge, not taken back), an earlier enrolment": (
        "core.enrolments", r"row_changes\s+WHERE\s+table_name\s*=\s*'patients'|reenrolled_on\s*>\s*\w*\.?discharge"),
    "a treatment episode per enrolment, numbered in enrolment order (patient_id-n)": (
        "marts.outcome_enrolments", r"'-'\s*\|\|\s*row_number\(\)"),
    "the first day a score or entry is an episode's (the lookback, after the episode before's discharge)": (
        "marts.outcome_enrolments", r"lag\(\s*\w*\.?discharge_date\)"),
    "a day after a discharge (minutes that do not count; the loader's warning; between a discharge and a re-enrolment)": (
        "core.discharged_before", r"day\s*>\s*\w+\.discharge_date"),
    "the enrolment in force on a day (an entry's consent and discharge)": ("core.enrolment_on", r"\.enrolled_on\s*<=\s*day"),
    "fee in force": ("marts.fee_in_force", r"config\.fee_schedule"),
    "a payer name's class": ("marts.payer_class_of", r"config\.payer_names"),
    "a payer name as exported to the payer it names (payer_aliases, then the exports' spelling; case and surrounding spaces never two payers)": (
        "marts.payer_name", r"config\.payer_(aliases|spellings)"),
    "the spelling of a payer name written several ways (the most rows; the first in sort order between equals)": (
        "warehouse/payer_spellings.sql", r"first\(spelling\s+ORDER\s+BY\s+row_count\s+DESC"),
    "the payer names the exports write (registry, coverage, claims), trimmed, with their rows": (
        "core.payer_names_written", r"UNION\s+ALL\s+SELECT\s+payer\s+FROM\s+staging\.claims_unknown_patient"),
    "the payer in force per patient-month (coverage, the latest start; else the registry)": (
        "marts.payer_name_periods", r"least\(end_month,\s*coalesce\(CAST\(lead\(start_month\)"),
    "the enrolment in force per patient-month (the latest start; a re-enrolment's earlier months keep the earlier one)": (
        "marts.enrolment_periods", r"lead\(start_month\)\s+OVER\s+\(PARTITION\s+BY\s+patient_id\s+ORDER\s+BY\s+enrollment_date"),
    "two periods share a day (a coverage row at load, stored periods in bcm validate)": (
        "core.periods_overlap", r"<=\s*coalesce\(\s*[\w.]+,\s*DATE\s+'infinity'\)"),
    "a coverage period in words (the load line, a quarantine reason, a payer_mismatch's coverage on file)": (
        "core.period_text", r"\|\|\s*' from '\s*\|\|"),
    "episode gap": ("marts.starts_episode", r"datediff\('month'"),
    "an entry in a hospital stay (during, part, edge)": ("marts.facility_stay_part", r"<\s*\w*\.?admitted_at\s+AND\s+\w+\s*>\s*\w*\.?admitted_at"),
    "the time a hospital stay covers (a date to its day's edge)": ("marts.facility_stay_span", r"discharged_on\s*\+\s*1\b"),
    "minutes to codes": ("marts.codes_past_base", r"fallback_from\s+AND"),
    "a month's minutes (to the whole second)": ("marts.month_minutes", r"\*\s*60\)\s*/\s*60"),
    "APCM add-on a month bills (program, month type, from 2026)": ("marts.apcm_add_on_for", r"month_type\s*=\s*'any'"),
    "APCM add-on checks (base code, minutes, period, program, month type)": ("marts.apcm_add_on_problem", r"month_type\s*<>\s*'any'"),
    "codes accepted beside the code set in force": ("marts.recon_codes", r"accepted_from\s*<="),
    "a claim line's practitioner, which same_practitioner compares (FQHC/RHC: rendering NPI, the organisation)": ("marts.line_practitioner", r"nullif\(rendering_"),
    "billing NPI (treating practitioner, FQHC/RHC organization)": ("marts.wrong_billing_npi", r"WHEN \w*\.?billing\w*npi\s*=\s*\w*\.?organization_npi"),
    "initiating visit lookback": ("marts.recon_initiating_visits", r"to_months\("),
    "a claim line billed to a payer no coverage period of its month names (payer_mismatch)": (
        "marts.recon_payer_mismatch", r"list_contains\(\s*\w*\.?coverage_payers"),
    "a reconciliation summary's clinic and payer": ("marts.recon_patients", r"payer_class\s*=\s*lower\(payer_\)"),
    "claim lines in the quarantine (open or waiting)": ("core.quarantined_claims", r"meta\.quarantine"),
    "which patient a quarantined claim line belongs to (raw.claims, else the quarantine record; blank: none)": (
        "core.quarantined_claims", r"(?<!_)record\s*->>\s*'patient_id'"),
    "the months a quarantined claim line stands for (dated: its own; its date unread: each it could be the missing claim of)": (
        "marts.recon_quarantined_months", r"recon_quarantined_claims[\s\S]*\bservice_month\s+IS\s+NULL\b"),
    "a quarantined claim line that could be its month's base code (its code does not read; time-based, not the add-on): stands_for reads it": (
        "marts.recon_quarantined_months", r"time_based_family\(\s*[\w.]*family\s*\)\s+AND\s+[\w.]*procedure_code\s+IS\s+DISTINCT\s+FROM"),
    "a quarantined claim line that could be the base the month's add-on rides on (its code does not read; the initial or subsequent code): the conflict 99494-without-base reads it": (
        "marts.recon_quarantined_months", r"procedure_code\s+IN\s*\(\s*[\w.]*initial_code\s*,\s*[\w.]*subsequent_code\s*\)"),
    "the day a month's countable minutes reach a claim line's threshold (claim_date_rule)": (
        "marts.recon_claim_dates", r"minutes_so_far\s*>="),
    "claim codes billed for minutes (reconciled, counted as billed; a quarantined line's code too)": (
        "marts.time_based_family", r"'apcm_behavioral_add_on'\)"),
    "a finding not priced (no fee on file, no charge amount)": ("marts.recon_findings", r"amount_at_stake\s+IS\s+(NOT\s+)?NULL"),
    "why a month does not support a code as billed, in the words of every finding about it (billed, denied, units)": (
        "marts.unsupported_why", r"reach only \{\}|is billed once, in the initial month|support x\{\}|would bill it again"),
    "baseline": ("marts.outcome_baselines", r"arg_min\(\s*(\w+\.)?total_score|'first_(score|eligible)'"),
    "an eligible baseline (>= eligible_baseline_min)": ("marts.is_eligible_baseline", r"eligible_baseline_min"),
    "response": ("marts.is_response", r"response_max_fraction"),
    "remission": ("marts.is_remission", r"remission_below"),
    "a follow-up window closed at the as-of date (its last day passed)": (
        "marts.window_closed", r"(closes_on|last_day|to_day::INTEGER\)?)\s*[<>]=?\s*\(?\s*(SELECT\s+)?(a\.)?as_of"),
    "improvement (at target)": ("marts.is_improved", r"improvement_below"),
    "treat to target (not improving)": ("marts.is_not_improving", r"not_improving_after_days"),
    "active caseload": ("marts.on_caseload", r"discharge_date\s*>\s*day_|discharge_date\s*>=\s*\w*month_end"),
    "a contact with the patient": ("marts.is_contact", r"list_contains\(\s*\w*\.?contact_activity_types"),
    "the measure population's age (min_age; an unknown age kept)": ("marts.in_measure_population", r">=\s*min_age"),
    "a discharge reason that excludes from the measures (death, hospice)": ("marts.is_excluding_discharge", r"lambda\s+\w+\s*:\s*lower\(\s*trim"),
    "excluded by a day across a patient's episodes (died or in hospice by the as-of date, DRR-E by the period's end)": (
        "marts.excluded_by_discharge", r"marts\.is_excluding_discharge\(\s*x_episode\.discharge_reason,\s*x_settings\.excluded"),
    "the last day an exclusion counts on (a measure's day, never after the as-of date; discharges and diagnoses)": (
        "marts.exclusion_day", r"least\(\s*coalesce\(\s*until_"),
    "a hospice or palliative care discharge excludes only from a day on (CMS159's look-back, since_)": (
        "marts.excluded_by_discharge", r">=\s*since_\b"),
    "a contact follows a positive item 9, the latest or an earlier one (a later day, or later that day with both times; one that day no time places: outcome.item9_same_day_untimed)": (
        "marts.item9_follow_up", r"item9_same_day_untimed|last_contact_at\s*>\s*\w*\.?item9_positive_at"
                                 r"|at_time\s*>\s*\w*answer_at|on_day\s*>\s*\w*answer_on"),
    "an excluding diagnosis by a day (DRR-E, CMS159: an ICD-10-CM prefix of diagnosis_exclusions, the code with or without its dot)": (
        "marts.has_excluding_diagnosis", r"starts_with\(replace\(upper\("),
    "assessment period (DMS-E's four months)": ("marts.assessment_period", r"list_filter\(\s*starts_"),
    "DRR-E's intake period and age date in a measurement year": ("marts.drr_e_for", r"drr_e_(intake_start|intake_end|age_on)\["),
    "CMS159's identification period in a measurement period, its encounter rule (a score up to 7 days before a contact), what the period must hold, the earliest index day, the hospice/palliative look-back's start and the exclusions' last day": (
        "marts.cms159_for", r"cms159_(identification_start_months|identification_end_months|encounter_within_days"
                            r"|in_identification_period|care_exclusion_from|exclusion_until)"),
    "a patient's scores one a day across their episodes (the per-year measures)": (
        "marts.patient_day_scores", r"arg_max\(\s*\w*\.?episode_id,\s*\w*\.?enrollment_date"),
    "a score in an EHR export (a total or an item, not a panel's code): who is in the program": (
        "ingest/profiles/helpers.sql", r"item\s*<>\s*'panel'"),
    "the claim lines a reconciliation summary reads (unknown patients only when nothing is narrowed)": (
        "marts.recon_claim_lines_for", r"NOT\s+\w*\.?known_patient\s+AND\s+clinic_\s+IS\s+NULL"),
    "a FHIR patient in the program and their enrolment day": ("ingest/profiles/fhir.sql", r"min\(a\.effective\)"),
}


def model_texts() -> dict[str, str]:
    """All the package's SQL: each model by qualified name, the store's core macros and views, and
    every other .sql file, profile and suite by its path (the loader's and the contracts' SQL, the
    SQL expressions a profile maps columns with, the SQL checks a suite runs)."""
    texts = {m.qualified: m.sql for m in models(NAMES).values()}
    for name, body in re.findall(r"CREATE OR REPLACE (?:MACRO|VIEW) (core\.\w+)(.*?)(?=\nCREATE |\Z)", WAREHOUSE_SQL, re.S):
        texts[name] = body
    package = Path(str(resources.files("bcm_analytics")))
    for path in package.rglob("*.sql"):
        if "models" not in path.relative_to(package).parts and path.name != "schema.sql":
            texts[str(path.relative_to(package))] = path.read_text()
    for path in (package / "ingest" / "profiles").glob("*.yaml"):
        texts[str(path.relative_to(package))] = path.read_text()
    for path in SUITES_DIR.glob("*.json"):  # the SQL a suite's checks run in bcm validate
        texts[f"data_contracts/suites/{path.name}"] = path.read_text()
    return texts


def test_every_rule_is_defined_in_exactly_one_place():
    """Lists where each rule lives (pytest -s shows the table) and fails on a second definition."""
    texts = {name: re.sub(r"--[^\n]*", "", text) for name, text in model_texts().items()}
    for rule, (home, pattern) in RULES.items():
        assert home in texts, f"{rule}: {home} is not a model or store macro"
        holders = sorted(name for name, text in texts.items() if re.search(pattern, text))
        assert holders == [home], f"{rule} must live only in {home}; also written in {', '.join(h for h in holders if h != home)}"
        print(f"{rule:<40} {home}")


# Rules a module could write again as SQL in a Python string, which the test above does not read:
# the warning of claim lines that name no patient (billing.reconcile.unlinked_claims_note) and the
# build's fingerprints (models.build) each read a quarantined line's patient themselves, the
# fingerprints without its trim, so a line exported for " P1 " left P1's month missed_billing.
IN_PYTHON_TOO = ["which patient a quarantined claim line belongs to (raw.claims, else the quarantine record; blank: none)"]


def test_no_module_writes_these_rules_again_in_its_python():
    package = Path(str(resources.files("bcm_analytics")))
    for rule in IN_PYTHON_TOO:
        home, pattern = RULES[rule]
        holders = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if re.search(pattern, p.read_text()))
        assert holders == [], f"{rule} must live only in {home}; also written in {', '.join(holders)}"

# The cell-size range reports for outside readers suppress (1-10 unless a program's definitions
# say otherwise) and the one file that states it. Python and notebooks take it from the store
# (Privacy.of_store) or, for a library user with no store, from that file (Privacy.packaged,
# suppress): a range written as a default argument made a caller who forgot the store's range
# silently hide 1-10 under a program's stricter one.
CELL_SIZE = ("suppression.threshold (the cell-size range)", "bcm_analytics/config/definitions.yaml",
             r"(?<!range)[(\[]\s*1\s*,\s*10\s*[)\]]")


def test_the_cell_size_range_is_written_in_one_place():
    """Lists where the cell-size range lives (pytest -s) and fails on a second copy in the package's
    Python, SQL, YAML or notebooks."""
    rule, home, pattern = CELL_SIZE
    package = Path(str(resources.files("bcm_analytics")))
    notebooks = package.parent / "notebooks"
    files = {f.resolve() for f in [*package.rglob("*.py"), *package.rglob("*.sql"), *package.rglob("*.yaml"),
                                   *notebooks.glob("*.ipynb")]}
    holders = sorted(str(f.relative_to(package.parent.resolve())) for f in files if re.search(pattern, f.read_text()))
    assert holders == [home], f"{rule} must be written only in {home}; also in {', '.join(h for h in holders if h != home)}"
    print(f"{rule:<40} {home}")
    # nor in words where a user reads it: `bcm report --help` said 'counts 1-10 (the definitions'
    # suppression.threshold)' and `bcm outcomes --help` 'counts of 1-10 suppressed', a second copy
    # beside the setting; the commands' help reads the packaged range from the file (cli.options)
    words = re.compile(r"(?<![\d.-])1\s*(?:-|–|to)\s*10(?!\d)")
    cli = sorted(str(f.relative_to(package.parent.resolve())) for f in (package / "cli").glob("*.py") if words.search(f.read_text()))
    assert cli == [], f"{rule} written in words in the command line's help or messages: {', '.join(cli)}"


# How a model meets a month with its payer (marts.payer_name_periods, month_terms): the patient's
# period whose months hold it, a month column as it is or a day read in its month. One macro for it
# (a LATERAL table macro, or a scalar subquery) costs a delim join: on a 60,000-patient program the
# audit_entries view took 1.35 s by the join, 1.95-2.15 s through the macro, episodes 0.8 s and 0.9 s.
PAYER_JOIN = re.compile(r"JOIN\s+marts\.(?:payer_name_periods|month_terms)\s+(\w+)\s+(USING\s*\(patient_id\)|ON\s.*?\1\.until_month)", re.S)
PAYER_MONTH = re.compile(r"ON\s+(\w+)\.patient_id\s*=\s*\w+\.patient_id\s+AND\s+(?:\w+\.(?:service_)?month|CAST\(date_trunc\('month',\s*.+\)\s+AS\s+DATE\))"
                         r"\s+BETWEEN\s+\1\.from_month\s+AND\s+\1\.until_month", re.S)


def test_every_payer_reader_meets_a_month_with_the_period_that_holds_it():
    """A day compared with the periods' first days as it is (an index on 15 June against a period
    until_month 2025-06-01) fell outside the period that holds its month, and the row fell out of
    the join. Every reader joins on a month: a month column, or CAST(date_trunc('month', day) AS
    DATE); or takes the periods whole (USING (patient_id)) and compares their months itself."""
    readers = {name: re.sub(r"--[^\n]*", "", m.sql) for name, m in models(NAMES).items()
               if {"marts.month_terms", "marts.payer_name_periods"} & m.reads}
    assert len(readers) >= 15, sorted(readers)
    wrong = [f"{name}: {' '.join(join.group(0).split())}" for name, sql in readers.items() for join in PAYER_JOIN.finditer(sql)
             if not join.group(2).startswith("USING") and not PAYER_MONTH.fullmatch(join.group(2))]
    unread = [name for name, sql in readers.items() if name != "month_terms" and not PAYER_JOIN.search(sql)]
    assert not wrong and not unread, (wrong, unread)


def test_contacts_are_marked_in_one_mart_that_every_contact_reader_reads():
    """The item-9 worklist read the contacts after a discharge straight from core.time_logs with
    its own call of marts.is_contact and marts.contact_at (now marts.entry_at): two marks of a
    contact to keep in step. outcome_activity marks every contact (those after a discharge with
    in_episode false) and is the one model that applies the contact rule to time-log entries;
    billing_entries reads an entry's time (marts.entry_at) for hospital stays, not contacts."""
    texts = {name: re.sub(r"--[^\n]*", "", text) for name, text in model_texts().items()}

    def callers(macro: str) -> list[str]:
        return sorted(name for name, text in texts.items() if re.search(rf"(?<!MACRO )marts\.{macro}\s*\(", text))

    assert callers("is_contact") == ["marts.outcome_activity"], f"a contact is marked outside outcome_activity: {callers('is_contact')}"
    assert callers("entry_at") == ["marts.billing_entries", "marts.outcome_activity"], callers("entry_at")


def test_the_build_order_comes_from_what_each_model_reads():
    order = list(models(NAMES))
    for name, model in models(NAMES).items():
        for read in (r[6:] for r in model.reads if r.startswith("marts.")):
            assert order.index(read) < order.index(name), f"{name} is built before {read}, which it reads"


def test_a_model_naming_an_unknown_input_is_refused():
    with pytest.raises(ModelError, match="unknown configuration input config.fees"):
        _parse("billing", "x", "-- kind: view\nSELECT * FROM config.fees", NAMES)
    with pytest.raises(ModelError, match="kind"):
        _parse("billing", "x", "SELECT 1", NAMES)
    both = "-- kind: table\n-- per_patient: true\n-- by_month: m\n-- cumulative_by_month: m\nSELECT 1"
    with pytest.raises(ModelError, match="by_month or cumulative_by_month, not both"):
        _parse("billing", "x", both, NAMES)
    cumulative = _parse("billing", "x", "-- kind: table\n-- per_patient: true\n-- cumulative_by_month: m\nSELECT 1", NAMES)
    assert cumulative.cumulative and cumulative.month_column == "m"


def test_every_model_says_what_it_holds():
    for name, model in models(NAMES).items():
        assert len(model.doc) > 30, f"models/{model.area}/{name}.sql: the header should say what the model holds and why"


# --- incremental equals full ---------------------------------------------------------------


def month_of(values: pd.Series) -> pd.Series:
    """YYYY-MM of each exported date that reads as one (ISO or US); others (dirty rows) -> None."""
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    us = pd.to_datetime(values, format="%m/%d/%Y", errors="coerce", utc=True)
    return parsed.fillna(us).dt.strftime("%Y-%m").where(parsed.notna() | us.notna())


def monthly_slices(folder: Path, out: Path, coverage: bool = False) -> list[list[Path]]:
    """The program's exports cut into one batch of files per month (patients by enrolment month,
    time logs and assessments by date); rows whose date does not read go with the last month. With
    `coverage`, each month also carries the coverage export of the patients known by then, as the
    registry writes it at the month's last day (coverage_export): it recomputes the patients whose
    periods changed whole each month, which took the test_models file from 276 s to 507 s when every
    test read it (CPU 3.7 to 5.6 min), so only the first incremental test asks for it."""
    frames = {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
              for name in ("patients", "time_logs", "assessments")}
    months = {"patients": month_of(frames["patients"].enrollment_date),
              "time_logs": month_of(frames["time_logs"].service_date),
              "assessments": month_of(frames["assessments"].administered_on)}
    every = sorted(set().union(*(set(m.dropna()) for m in months.values())))
    history = coverage_history(folder, every) if coverage else None
    first_export = {pid: every.index(m) if isinstance(m, str) else len(every) - 1
                    for pid, m in zip(frames["patients"].patient_id, months["patients"])}
    batches = []
    for i, month in enumerate(every):
        batch = [folder / "clinics.csv"] if i == 0 else []
        for name, frame in frames.items():
            rows = frame[(months[name] == month) | (months[name].isna() & (i == len(every) - 1))]
            if len(rows):
                path = out / f"{name}_{month}.csv"
                rows.to_csv(path, index=False)
                batch.append(path)
        rows = coverage_export(history, {pid for pid, first in first_export.items() if first <= i},
                               {pid for pid, first in first_export.items() if first < i}, every, i) if coverage else []
        if len(rows):
            path = out / f"coverage_{month}.csv"
            rows.to_csv(path, index=False)
            batch.append(path)
        batches.append(batch)
    return batches


# Payers a test's extra change moves a patient to, one of each class.
CHANGE_PAYERS = ["Medicare", "State Medicaid MCO", "Blue Shield PPO"]


def coverage_history(folder: Path, months: list[str]) -> pd.DataFrame:
    """The payer history that the monthly coverage exports reveal: coverage.csv (its periods as at
    the last export) and, as the generator changes few payers (2 in 120 patients), a change on the
    15th of a month of the program for every 8th patient with one open period."""
    rows = pd.read_csv(folder / "coverage.csv", dtype=str, keep_default_na=False)
    single = rows[~rows.patient_id.duplicated(keep=False) & (rows.end_date == "")]
    extra = []
    for k, row in enumerate(single.iloc[::8].itertuples()):
        later = [m for m in months[1:-1] if f"{m}-15" > row.start_date]
        if not later:
            continue
        change = pd.Timestamp(f"{later[k % len(later)]}-15")
        rows.loc[row.Index, "end_date"] = f"{change - pd.Timedelta(days=1):%Y-%m-%d}"
        extra.append({"patient_id": row.patient_id, "payer": next(p for p in CHANGE_PAYERS[k % 3:] + CHANGE_PAYERS if p != row.payer),
                      "start_date": f"{change:%Y-%m-%d}", "end_date": ""})
    return pd.concat([rows, pd.DataFrame(extra)]).sort_values(["patient_id", "start_date"], ignore_index=True)


def coverage_export(history: pd.DataFrame, known: set[str], sent: set[str], months: list[str], i: int) -> pd.DataFrame:
    """The coverage rows of the `known` patients as the registry exports them at the last day of
    months[i]: the periods started by then, a period's end only once it is past (the period stays
    open until the next one starts). The first export that shows a change (the patient's first, or
    a change since the last day of months[i - 1] of a patient `sent` then) writes it wrongly, one of
    three ways by patient, and the next corrects it (same patient and start): the new period under
    the old payer's name; the old period's end a month late (the two overlap: both set aside); the
    old period's end two months early (a month no period covers)."""
    day = f"{pd.Period(months[i]).end_time:%Y-%m-%d}"
    before = f"{pd.Period(months[i - 1]).end_time:%Y-%m-%d}" if i else ""
    rows = history[history.patient_id.isin(known) & (history.start_date <= day)].copy()
    rows["end_date"] = rows.end_date.where(rows.end_date < day, "")
    previous = rows.groupby("patient_id").shift()
    changes = rows[previous.end_date.notna() & (rows.start_date == (pd.to_datetime(previous.end_date, errors="coerce")
                                                                  + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"))]
    for at, row in changes.iterrows():
        if row.start_date <= before and row.patient_id in sent:
            continue  # shown (and corrected) before
        old = rows.index[rows.index.get_loc(at) - 1]
        wrong = int(row.patient_id[1:]) % 3
        if wrong == 0:
            rows.loc[at, "payer"] = rows.loc[old, "payer"]
        else:
            end = pd.Timestamp(rows.loc[old, "end_date"]) + pd.DateOffset(months=1 if wrong == 1 else -2)
            rows.loc[old, "end_date"] = f"{end:%Y-%m-%d}"
    return rows


def snapshot(con) -> dict[str, pd.DataFrame]:
    tables = [m.name for m in models(NAMES).values() if m.kind == "table"]
    return {t: con.execute(f"SELECT * FROM marts.{t}").df() for t in tables}


def differs_from_full(con, rules=None) -> list[str]:
    """The mart tables in which the store's (incrementally built) marts differ from a full rebuild."""
    incremental = snapshot(con)
    con.execute("DROP TABLE meta.marts_manifest")
    refresh(con, rules)
    full = snapshot(con)
    return [t for t in full if not same(incremental[t], full[t])]


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    if len(a) == 0:
        return True
    def text(frame: pd.DataFrame) -> pd.DataFrame:
        """Cells as text, averages to 9 decimals: a sum of floats depends on the order rows arrive."""
        floats = frame.select_dtypes("floating").columns
        return frame.assign(**{c: frame[c].round(9) for c in floats}).astype(str)

    key = [c for c in a.columns if a[c].map(lambda v: not isinstance(v, (list, dict))).all()]
    a, b = text(a).sort_values(key).reset_index(drop=True), text(b).sort_values(key).reset_index(drop=True)
    return a.equals(b)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    folder = tmp_path_factory.mktemp("program")
    generate_program(folder, patients=120, months=8, start="2025-03", seed=11)
    return folder


def test_incremental_builds_equal_a_full_rebuild(program, tmp_path):
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    slices = monthly_slices(program, tmp_path, coverage=True)
    hows, entries = [], []
    for batch in slices:
        loaded = sum(r.rows_loaded for r in (load_file(con, path) for path in batch) if r.table == "time_logs")
        steps = {s.model: s for s in refresh(con, program / "program_rules.yaml").steps}
        hows.append({name: s.how for name, s in steps.items()})
        if steps["billing_entries"].how == "patients":
            entries.append((loaded, steps["billing_entries"].written, steps["billing_entries"].rows))
    assert len(entries) >= len(slices) - 3, "later months were not built per patient"
    for loaded, written, total in entries:  # a month's export writes that month's entries, not the history
        assert loaded <= written < total, (loaded, written, total)
    assert entries[-2][1] * 3 < entries[-2][2], "a late month rewrote most of the history"
    assert any(h.get("outcome_windows") == "patients" for h in hows[1:]), "a later as-of date rebuilt the outcomes whole"
    # the coverage exports changed stored periods between builds (an open period's end written, a
    # wrong end or payer corrected) and set aside overlapping pairs that a later export corrected
    changed = con.execute("""SELECT count(*) FILTER (old_record ->> 'end_date' IS DISTINCT FROM new_record ->> 'end_date'),
                                    count(*) FILTER (old_record ->> 'payer' <> new_record ->> 'payer')
                             FROM meta.row_changes WHERE table_name = 'coverage'""").fetchone()
    assert changed[0] >= 8 and changed[1] >= 3, changed
    assert con.execute("""SELECT count(*) FROM meta.quarantine WHERE table_name = 'coverage' AND status = 'superseded'
                          AND list_contains(failed_checks, 'periods do not overlap')""").fetchone()[0] >= 4
    lines = current(con).select("SELECT * FROM marts.billing_lines").df()
    claims = write_claims(lines.assign(service_month=lines.service_month.dt.strftime("%Y-%m")), tmp_path / "claims", seed=3)
    load_file(con, claims)
    report = refresh(con)
    assert {s.model: s.how for s in report.steps}["recon_findings"] == "patients" and report.patients > 0
    # a claim line set aside at load (claim_quarantined), then fixed and reloaded: each step per patient
    bad = pd.read_csv(claims, dtype=str, keep_default_na=False).head(2).assign(claim_id=["CQ1", "CQ2"])
    bad.loc[0, "charge_amount"] = "1x45"
    bad.to_csv(tmp_path / "claims" / "claims_bad.csv", index=False)
    load_file(con, tmp_path / "claims" / "claims_bad.csv")
    assert {s.model: s.how for s in refresh(con).steps}["recon_quarantined_claims"] == "patients"
    assert current(con).query("SELECT count(*) FROM marts.recon_findings WHERE finding = 'claim_quarantined'").fetchone()[0] > 0
    incremental = snapshot(con)
    con.execute("DROP TABLE meta.marts_manifest")
    assert {s.how for s in refresh(con).steps} <= {"full", "created"}
    full = snapshot(con)
    different = [t for t in full if not same(incremental[t], full[t])]
    assert not different, f"incremental and full builds differ in {different}"
    assert len(full["billing_lines"]) > 100 and len(full["recon_findings"]) > 100 and len(full["outcome_windows"]) > 50


def test_months_after_claims_are_recomputed_alone_and_equal_a_full_rebuild(program, tmp_path):
    """Claims arrive halfway; later months' time logs then recompute episodes' and the
    reconciliation's months from the month that changed, while the claims keep earlier months
    in the reconciliation: those stay as they were, and everything equals a full rebuild."""
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    slices = monthly_slices(program, tmp_path)
    half = len(slices) // 2
    later = []
    for i, batch in enumerate(slices):
        for path in batch:
            load_file(con, path)
        steps = {s.model: s for s in refresh(con, program / "program_rules.yaml").steps}
        if i > half:
            later.append({name: steps[name] for name in ("episodes", "billing_lines", "recon_months", "recon_codes", "recon_findings")})
        if i == half:
            lines = current(con).select("SELECT * FROM marts.billing_lines").df()
            claims = write_claims(lines.assign(service_month=lines.service_month.dt.strftime("%Y-%m")), tmp_path / "claims", seed=5)
            load_file(con, claims)
            assert {s.model: s.how for s in refresh(con).steps}["recon_codes"] == "patients"
    assert later and all(s.how == "patients" for steps in later for s in steps.values())
    for steps in later[:-1]:  # a month's time logs rewrite that month's codes, not the history with claims
        assert all(s.written * 2 < s.rows for s in steps.values()), {n: (s.written, s.rows) for n, s in steps.items()}
    assert not differs_from_full(con)
    assert current(con).query("SELECT count(*) FROM marts.recon_codes WHERE active_lines > 0").fetchone()[0] > 50


def test_a_month_of_time_logs_alone_reads_only_its_months_and_equals_a_full_rebuild(program, tmp_path):
    """With no patient recomputed whole, the time-log models filter the stored readings from the
    month before the first that changed while DuckDB scans them (build._readings_since)."""
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    slices = monthly_slices(program, tmp_path)
    last = [path for path in slices[-2] if path.name.startswith("time_logs_")]
    for path in [path for batch in slices[:-1] for path in batch if path not in last]:
        load_file(con, path)
    refresh(con, program / "program_rules.yaml")
    for path in last:
        load_file(con, path)
    steps = {s.model: s for s in refresh(con, program / "program_rules.yaml").steps}
    assert steps["billing_entries"].how == "patients" and steps["billing_entries"].written > 50
    assert not differs_from_full(con, program / "program_rules.yaml")


def test_a_month_read_east_of_utc_keeps_its_readings_from_the_month_before_at_utc(store, load_rows):
    """00:30 on 1 February in Tokyo is exported as the instant 15:30 UTC on 31 January: the
    incremental build recomputes from February, and its scan filter must still keep that reading
    (it widens by marts.local_month_slack); without it February loses the entry."""
    con = store
    log = {"staff_id": "S1", "staff_role": "bhcm", "activity_type": "care_coordination", "minutes": "40"}
    load_rows("clinics", [{"clinic_id": "T", "clinic_name": "Tokyo", "setting": "physician_practice", "timezone": "Asia/Tokyo"}])
    load_rows("patients", [{"patient_id": "P", "clinic_id": "T", "payer": "Medicare", "enrollment_date": "2025-01-02",
                            "consent_date": "2025-01-02"}])
    load_rows("time_logs", [{"entry_id": "jan", "patient_id": "P", "service_date": "2025-01-20", **log}])
    refresh(con)
    load_rows("time_logs", [{"entry_id": "feb", "patient_id": "P", "service_date": "2025-01-31T15:30:00Z", **log}])
    steps = {s.model: s for s in refresh(con).steps}
    assert steps["billing_entries"].how == "patients"
    months = con.execute("SELECT entry_id, strftime(service_month, '%Y-%m') FROM marts.billing_entries ORDER BY 1").fetchall()
    assert months == [("feb", "2025-02"), ("jan", "2025-01")]
    assert not differs_from_full(con)


def test_a_step_over_more_patients_than_a_pass_takes_recomputes_them_in_parts_and_equals_a_full_rebuild(program, tmp_path, monkeypatch):
    """A claims export touches most patients' reconciliation; a query for all of them at once ran
    out of memory at 10M rows, so a step recomputes at most PATIENTS_PER_PASS patients per query."""
    monkeypatch.setattr(build, "PATIENTS_PER_PASS", 20)
    passes = []
    rebuild_patients = build._rebuild_patients
    monkeypatch.setattr(build, "_rebuild_patients", lambda con, m, *rest: passes.append(m.name) or rebuild_patients(con, m, *rest))
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    for batch in monthly_slices(program, tmp_path):
        for path in batch:
            load_file(con, path)
        refresh(con, program / "program_rules.yaml")
    lines = current(con).select("SELECT * FROM marts.billing_lines").df()
    load_file(con, write_claims(lines.assign(service_month=lines.service_month.dt.strftime("%Y-%m")), tmp_path / "claims", seed=3))
    passes.clear()
    refresh(con)
    assert passes.count("recon_codes") >= 3, passes
    assert not differs_from_full(con)


def test_a_store_whose_fingerprints_carry_the_old_key_is_rewritten_without_it_and_stays_incremental(program, tmp_path):
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    slices = monthly_slices(program, tmp_path)
    for path in [path for batch in slices[:4] for path in batch]:
        load_file(con, path)
    refresh(con, program / "program_rules.yaml")
    kept = con.execute("SELECT * FROM meta.marts_fingerprints ORDER BY ALL").fetchall()
    assert len(kept) > 100
    con.execute("""CREATE TABLE meta.keyed (patient_id VARCHAR, component VARCHAR, fingerprint UBIGINT,
                   PRIMARY KEY (patient_id, component));
                   INSERT INTO meta.keyed SELECT * FROM meta.marts_fingerprints;
                   DROP TABLE meta.marts_fingerprints; ALTER TABLE meta.keyed RENAME TO marts_fingerprints""")
    keys = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'marts_fingerprints' AND constraint_type = 'PRIMARY KEY'"
    assert con.execute(keys).fetchone()[0] == 1
    assert {s.how for s in refresh(con, program / "program_rules.yaml").steps} == {"kept"}  # nothing changed
    assert con.execute(keys).fetchone()[0] == 0
    assert con.execute("SELECT * FROM meta.marts_fingerprints ORDER BY ALL").fetchall() == kept
    for path in slices[4]:
        load_file(con, path)
    assert {s.model: s.how for s in refresh(con, program / "program_rules.yaml").steps}["billing_entries"] == "patients"


def test_a_store_whose_row_hashes_are_text_keeps_them_and_stays_incremental(program, tmp_path):
    """Stores made before `_row_hash` became a number hold it as text. The loader's numbers are
    cast to that text on insert, so the fingerprints the store recorded stay valid: nothing is
    rebuilt that did not change, and a later month equals a full rebuild."""
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    slices = monthly_slices(program, tmp_path)
    for path in [path for batch in slices[:4] for path in batch]:
        load_file(con, path)
    hashed = [t for (t,) in con.execute("SELECT table_name FROM duckdb_columns() WHERE schema_name = 'staging' "
                                        "AND column_name = '_row_hash' AND data_type = 'UBIGINT'").fetchall()]
    assert {"clinics", "patients", "time_logs", "assessments", "claims", "claims_unknown_patient"} <= set(hashed)
    for table in hashed:
        con.execute(f"ALTER TABLE staging.{table} ALTER _row_hash TYPE VARCHAR")
    refresh(con, program / "program_rules.yaml")  # the marts as that store built them: from text
    assert con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'billing_entries' "
                       "AND column_name = '_source_hash'").fetchone()[0] == "VARCHAR"
    for path in slices[3]:
        load_file(con, path)  # the same files again: nothing changes
    assert {s.how for s in refresh(con, program / "program_rules.yaml").steps} == {"kept"}
    for path in slices[4]:
        load_file(con, path)
    assert con.execute("SELECT count(*) FROM staging.time_logs WHERE NOT regexp_full_match(_row_hash, '[0-9]+')").fetchone()[0] == 0
    assert {s.model: s.how for s in refresh(con, program / "program_rules.yaml").steps}["billing_entries"] == "patients"
    assert not differs_from_full(con, program / "program_rules.yaml")


def test_a_store_built_before_recon_findings_had_not_priced_is_rebuilt_not_failed(store, load_rows):
    """recon_monthly_totals counts recon_findings.not_priced, a column stores built before it lack.
    Such a store records the older SQL's digest for recon_findings and its readers: a read-only
    command computes them in a scratch catalog, and the next build rebuilds them in the store,
    instead of either failing on the missing column."""
    from bcm_analytics.billing.reconcile import findings, monthly_totals
    from bcm_analytics.models.graph import downstream

    load_rows("patients", [{"patient_id": "D", "clinic_id": "PP", "payer": "Medicare", "program": "cocm",
                            "care_manager_id": "BCM1", "treating_provider_npi": "1234567893",
                            "enrollment_date": "2023-01-01", "consent_date": ""}])
    load_rows("time_logs", [{"entry_id": "E1", "patient_id": "D", "staff_id": "BCM1", "staff_role": "bhcm",
                             "service_date": "2023-06-10", "minutes": "40", "activity_type": "follow_up_contact"}])
    load_rows("claims", [{"claim_id": "D1", "line_number": "1", "patient_id": "D", "date_of_service": "2023-06-30",
                          "procedure_code": "99493", "units": "1", "billing_provider_npi": "1234567893",
                          "payer": "Medicare", "charge_amount": "", "paid_amount": "0", "claim_status": "paid"}])
    refresh(store)
    older = {"recon_findings"} | downstream(models(NAMES), {"marts.recon_findings"})
    store.execute("ALTER TABLE marts.recon_findings DROP COLUMN not_priced")
    store.execute("UPDATE meta.marts_manifest SET input_digest = 'older' WHERE list_contains($m, model)", {"m": sorted(older)})
    path = store.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    store.close()
    reader = connect(path, read_only=True)
    assert "temporary schema" in current(reader).note
    assert "marts built by another version of bcm's models" in current(reader).note  # not "older than the data"
    assert monthly_totals(reader, "2023-06").findings_not_priced.tolist() == [2]
    assert findings(reader, "2023-06").not_priced.sum() == 2
    reader.close()
    writer = connect(path)
    assert current(writer).note is None
    built = {m: how for m, how in writer.execute("SELECT model, how FROM meta.marts_manifest").fetchall()}
    assert built["recon_findings"] == "full" and {built[m] for m in older} <= {"full", "created"}
    assert writer.execute("SELECT count(*) FILTER (WHERE not_priced) FROM marts.recon_findings").fetchone()[0] == 2
    writer.close()


def test_deleted_rows_stay_until_they_are_a_fifth_of_a_table_an_update_writes_which_then_compacts_them(program, tmp_path):
    """A monthly update deletes and writes again the open episodes' outcome rows; DuckDB's vacuum
    would rewrite those tables at every checkpoint. Each month is loaded in its own connection, as
    `bcm load` runs, so the closing checkpoint has run when the next month's deleted rows are read."""
    stored = """SELECT t.table_name, 1 - m.row_count / t.estimated_size FROM duckdb_tables() t
                JOIN meta.marts_manifest m ON m.model = t.table_name
                WHERE t.schema_name = 'marts' AND t.estimated_size > m.row_count"""
    builds = []
    for batch in monthly_slices(program, tmp_path):
        con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
        deleted = dict(con.execute(stored).fetchall()) if builds else {}  # the first load makes the marts
        for path in batch:
            load_file(con, path)
        report = refresh(con, program / "program_rules.yaml")
        updated = {s.model for s in report.steps if s.how == "patients"}
        builds.append((deleted, updated, report.compacted))
        con.close()
    con = connect(tmp_path / "store.duckdb", timezone="America/New_York")
    builds.append((dict(con.execute(stored).fetchall()), set(), False))
    kept = [(deleted, after) for (deleted, _, compacted), (after, _, _) in zip(builds, builds[1:]) if not compacted and after]
    assert kept, "no update left its deleted rows in place"
    for deleted, after in kept:  # an update that does not compact adds its deleted rows to those stored
        assert set(deleted) <= set(after)
    compacting = [i for i, (_, _, compacted) in enumerate(builds) if compacted]
    assert compacting, "deleted rows were never compacted"
    for i in compacting:
        deleted, updated, _ = builds[i]
        assert any(deleted.get(name, 0) >= COMPACT_AT for name in updated)
        assert builds[i + 1][0] == {}, "the update that compacted left deleted rows"
    for deleted, updated, compacted in builds:
        assert compacted or all(deleted.get(name, 0) < COMPACT_AT for name in updated)


def test_docs_list_every_mart():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "marts.md").read_text()
    missing = [name for name in models(NAMES) if f"`{name}" not in docs]
    assert not missing, f"docs/marts.md does not mention {missing}"


def documented_marts(docs: str) -> list[tuple[str, str, str | None, int | None]]:
    """docs/marts.md's inventory: each mart a table row or a list of macros names, as
    (name, kind, the models/ folder it is listed under (None: the list of rule macros), the
    number of arguments written after it (None: none written))."""
    entries, area, macro_list = [], None, False
    for line in docs.splitlines():
        if heading := re.match(r"^[A-Z][^|`]*\(`models/(\w+)/`\)", line):
            area = heading.group(1)
        macro_list = line.startswith("Rule macros:") or (macro_list and line.strip() != "")
        if row := re.match(r"^\| ((?:`\w+(?:\([^)]*\))?`(?:, )?)+) \| (table|view|macro|table macros?) \|", line):
            kind, named = ("macro" if "macro" in row.group(2) else row.group(2)), re.findall(r"`(\w+)(?:\(([^)]*)\))?`", row.group(1))
        elif macro_list or (area and "own macro:" in line):
            kind, named = "macro", re.findall(r"`([a-z_][a-z0-9_]*)(?:\(([^)]*)\))?`", line)
        else:
            continue
        where = None if macro_list else area
        entries += [(name, kind, where, len(args.split(",")) if args else None) for name, args in named]
    return entries


def test_docs_list_each_mart_once_under_its_folder_and_kind():
    """docs/marts.md's tables and macro lists name every model exactly once, by its own name (a
    mention of `caseload_months_for` is not one of `caseload_months`), with its kind, under the
    folder it lives in, with as many arguments as the macro takes, and name nothing that is not
    a model (a documented macro that was renamed or removed)."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "marts.md").read_text()
    found = models(NAMES)
    entries = documented_marts(docs)
    counts = {name: sum(1 for e in entries if e[0] == name) for name in found}
    assert not [n for n, c in counts.items() if c != 1], \
        f"docs/marts.md lists these marts other than once: {[(n, c) for n, c in counts.items() if c != 1]}"
    wrong = []
    for name, kind, area, arguments in entries:
        model = found.get(name)
        if model is None:
            wrong.append(f"{name}: not a model")
            continue
        if kind != model.kind:
            wrong.append(f"{name}: listed as a {kind}, is a {model.kind}")
        if area is not None and area != model.area:
            wrong.append(f"{name}: listed under models/{area}/, lives in models/{model.area}/")
        if arguments is not None:
            taken = re.search(rf"MACRO marts\.{name}\(([^)]*)\)", model.sql).group(1)
            if arguments != len([a for a in taken.split(",") if a.strip()]):
                wrong.append(f"{name}: listed with {arguments} argument(s), takes ({taken})")
    assert not wrong, "docs/marts.md: " + "; ".join(wrong)


def test_docs_name_only_columns_the_marts_have(store):
    """docs/marts.md says what each table and view holds: a word it quotes there is a column of
    that mart (a column renamed in the SQL alone left the docs naming one no query finds), another
    mart, or a value the mart's SQL writes ('supported_code')."""
    refresh(store)
    columns: dict[str, set[str]] = {}
    for name, column in store.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                      "WHERE schema_name = 'marts'").fetchall():
        columns.setdefault(name, set()).add(column)
    sql = {name: model.sql for name, model in models(NAMES).items()}
    docs = (Path(__file__).resolve().parents[1] / "docs" / "marts.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (?:table|view) \| [^|]* \| (.*) \|$", docs, re.M)
    assert sorted(name for name, _ in rows) == sorted(columns), "one row per table and view of the marts"
    wrong = [f"{name}: {word}" for name, holds in rows for word in re.findall(r"`([a-z_][a-z0-9_]*)`", holds)
             if word not in columns[name] and word not in sql and f"'{word}'" not in sql[name]]
    assert not wrong, f"docs/marts.md names what the marts do not have: {wrong}"


def test_the_marts_inputs_do_not_depend_on_where_bcm_is_installed():
    """A packaged file's path changes with every install: if an input held it, a store built by
    one install would look out of date to the next (and a read-only command would rebuild)."""
    from bcm_analytics.config.rules import DEFAULT_FEES, load_rules
    from bcm_analytics.models.inputs import rule_tables

    install = str(DEFAULT_FEES.parent.parent)
    for name, table in rule_tables(load_rules(None)).items():
        for column in table.column_names:
            values = [v for v in table.column(column).to_pylist() if isinstance(v, str)]
            assert not any(install in v for v in values), f"config.{name}.{column} holds a path of the install"


def rebuild(before: list[tuple], after: list[tuple], scope: list[str]) -> tuple[duckdb.DuckDBPyConnection, int, dict]:
    """marts.m built from `before`, then rebuilt per patient for `scope` from `after`; with the rowids
    the rows had before (to tell a row left in place from one written again)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE src (patient_id VARCHAR, month INTEGER, minutes INTEGER, note VARCHAR)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", before)
    sql = "SELECT patient_id, month, minutes, note FROM src"
    con.execute(f"CREATE TABLE marts.m AS {sql}")
    rowids = {row[1:]: row[0] for row in con.execute("SELECT rowid, * FROM marts.m").fetchall()}
    con.execute("DELETE FROM src")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", after)
    con.execute("CREATE TEMP TABLE _bcm_scope_m (patient_id VARCHAR, from_month DATE)")
    con.executemany("INSERT INTO _bcm_scope_m VALUES (?, NULL)", [[p] for p in scope])
    model = Model("m", "billing", "table", True, sql, frozenset(), frozenset())
    return con, _rebuild_patients(con, model, "", Target(), {"src": None}, "_bcm_scope_m"), rowids


def test_a_per_patient_rebuild_writes_only_the_rows_that_differ():
    """Rows equal before and after stay where they are (a row deleted and inserted again costs the
    commit a rewrite); changed, gone and new rows are written; NULLs compare equal."""
    before = [("p1", 1, 20, None), ("p1", 2, 5, "a"), ("p1", 3, 9, "gone"), ("p2", 1, 30, "b"), ("p3", 1, 40, None)]
    after = [("p1", 1, 20, None), ("p1", 2, 5, "c"), ("p2", 1, 30, "b"), ("p2", 2, 15, None), ("p3", 1, 99, "x")]

    con, inserted, rowids = rebuild(before, after, scope=["p1", "p2"])  # p3 changed, but is not in scope

    assert inserted == 2  # p1 month 2 with its new note, p2 month 2
    rows = {row[1:]: row[0] for row in con.execute("SELECT rowid, * FROM marts.m").fetchall()}
    assert sorted(rows) == [("p1", 1, 20, None), ("p1", 2, 5, "c"), ("p2", 1, 30, "b"), ("p2", 2, 15, None), ("p3", 1, 40, None)]
    for unchanged in [("p1", 1, 20, None), ("p2", 1, 30, "b"), ("p3", 1, 40, None)]:
        assert rows[unchanged] == rowids[unchanged], unchanged


def test_a_per_patient_rebuild_with_copies_of_a_row_writes_them_again():
    before = [("p1", 1, 20, None), ("p1", 1, 20, None), ("p2", 1, 30, "b")]
    after = [("p1", 1, 20, None), ("p2", 1, 30, "b"), ("p2", 1, 30, "b")]

    con, inserted, _ = rebuild(before, after, scope=["p1", "p2"])

    assert inserted == 3
    assert sorted(con.execute("SELECT * FROM marts.m").fetchall()) == [("p1", 1, 20, None), ("p2", 1, 30, "b"), ("p2", 1, 30, "b")]


def test_a_reader_of_a_store_never_built_hears_that_not_every_other_reason(store, load_rows):
    """A program loading with the library's load_file has no marts until a build: `bcm outcomes` on
    it noted "the store's own billing rules as changed since its marts were built ... and the
    store's own outcome definitions as changed ... and a program time zone other than the
    store's", none of which was so. It says the marts were never built, and how to build them."""
    load_rows("patients", [{"patient_id": "P1", "clinic_id": "PP", "payer": "Medicare", "enrollment_date": "2025-01-02"}])
    path = store.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    store.close()
    reader = connect(path, read_only=True)
    assert current(reader).note == ("computed in a temporary schema: the store's marts have never been built "
                                    "(run `bcm build` to build them; `bcm load` does after every load)")
    reader.close()
