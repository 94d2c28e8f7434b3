"""The suites as data: great-expectations reads them, and the SQL compilation agrees with it.

The agreement test writes a few good and bad rows per table by hand, runs every expectation
through both engines on the same frame, and compares which rows each flags.
"""

from __future__ import annotations

import json
import re

import pytest

from bcm_analytics.contracts import gx_run
from bcm_analytics.contracts.checks import checked_sql, row_checks, unexpected_rows_sql
from bcm_analytics.contracts.columns import sql_text
from bcm_analytics.contracts.readme import README, render
from bcm_analytics.contracts.snippets import frame_patient_columns, frame_sql, install_macros
from bcm_analytics.contracts.suites import SQL_ONLY_TYPES, SUITES_DIR, expectations, suite_tables, vocabularies
from bcm_analytics.contracts.tables import table_specs
from bcm_analytics.warehouse import connect

GOOD_NPI, BAD_NPI = "1234567893", "1234567890"

ROWS = {
    "clinics": [
        dict(clinic_id="C2", setting="fqhc", timezone="America/Denver"),
        dict(clinic_id="C3", setting="hospital", timezone="America/Denver"),
        dict(clinic_id="C4", setting="rhc", timezone="Mars/Olympus_Mons"),
        dict(clinic_id="C5"),
        dict(clinic_id="C2", setting="rhc"),
    ],
    "patients": [
        dict(patient_id="P10", clinic_id="C1", payer="Medicare", program="cocm", enrollment_date="2025-01-02", treating_provider_npi=GOOD_NPI),
        dict(patient_id="P11", clinic_id="C1", payer="Medicare", program="ccm", enrollment_date="2025-01-02"),
        dict(patient_id="P12", clinic_id="C1", payer="Medicare", enrollment_date="2999-01-02", birth_date="2998-01-01"),
        dict(patient_id="P13", clinic_id="C1", payer="Medicare", enrollment_date="2025-03-02", discharge_date="2025-02-01"),
        dict(patient_id="P14", clinic_id="C1", payer="Medicare", enrollment_date="2025-01-02", consent_date="2025-02-10", discharge_date="2025-02-01"),
        dict(patient_id="P15", clinic_id="C9", payer="Medicare", enrollment_date="2025-01-02", treating_provider_npi=BAD_NPI),
        dict(patient_id="P16", payer="Medicare", enrollment_date="2025-01-02", consent_date="2999-01-01", discharge_date="2999-02-01"),
        dict(patient_id="P10", payer="Medicaid", enrollment_date="2025-01-02"),
        dict(patient_id="P17", payer="Medicare", enrollment_date="1989-12-31", consent_date="1985-06-01", discharge_date="1989-12-31",
             birth_date="1899-12-31"),
    ],
    "time_logs": [
        dict(entry_id="E1", patient_id="P1", staff_id="S1", staff_role="bhcm", service_date="2025-03-01", minutes="30", activity_type="outreach", contact_mode="phone"),
        dict(entry_id="E2", patient_id="P9", staff_role="boss", service_date="2099-03-01", minutes="0", activity_type="outreach", contact_mode="fax"),
        dict(entry_id="E3", patient_id="P2", staff_id="S1", staff_role="bhcm", service_date="2025-03-05", minutes="0", activity_type="no_show"),
        dict(entry_id="E4", patient_id="P1", staff_id="S1", staff_role="bhcm", service_date="2024-03-01", minutes="2000", contact_mode="none"),
        dict(entry_id="E5", patient_id="P1", staff_id="S1", staff_role="bhcm", service_date="2025-03-01", minutes="-5", activity_type="travel"),
        dict(entry_id="E6", patient_id="P1", staff_id="S1", staff_role="bhcm", service_date="2025-03-01", minutes="30", activity_type="outreach"),
        dict(entry_id="E1", patient_id="P1", staff_id="S2", staff_role="other", service_date="2025-03-02 23:30", minutes="1440", activity_type="administrative"),
        dict(entry_id="E7", patient_id="P1", staff_id="S1", staff_role="bhcm", service_date="1989-12-31", minutes="30", activity_type="outreach"),
        dict(entry_id="E8", patient_id="P1", staff_id="S3", staff_role="bhcm", service_date="2025-03-03T15:00:00Z", start_time="09:30",
             minutes="30", activity_type="outreach"),
    ],
    "assessments": [
        dict(assessment_id="A1", patient_id="P1", instrument="PHQ-9", administered_on="2025-02-01", total_score="10",
             **{f"item_{i}": "1" for i in range(1, 9)}, item_9="2"),
        dict(assessment_id="A2", patient_id="P1", instrument="phq-9", administered_on="2025-02-01", total_score="30"),
        dict(assessment_id="A3", patient_id="P1", instrument="GAD-7", administered_on="2025-02-01", total_score="22"),
        dict(assessment_id="A4", patient_id="P1", instrument="PHQ-2", administered_on="2025-02-01", total_score="7", item_1="3", item_2="3"),
        dict(assessment_id="A5", patient_id="P1", instrument="PHQ-A", administered_on="2025-02-01", total_score="12", item_3="4"),
        dict(assessment_id="A6", patient_id="P1", instrument="PHQ-9", administered_on="2025-02-01", total_score="10", **{f"item_{i}": "1" for i in range(1, 10)}),
        dict(assessment_id="A7", patient_id="P1", instrument="GAD-7", administered_on="2025-02-01", total_score="5", **{f"item_{i}": "1" for i in range(1, 8)}),
        dict(assessment_id="A8", patient_id="P1", instrument="PHQ-2", administered_on="2025-02-01", total_score="2", item_1="1", item_2="0"),
        dict(assessment_id="A9", patient_id="P1", instrument="PHQ-9", administered_on="2025-02-01", total_score="4", item_1="1", item_2="3"),
        dict(assessment_id="A10", patient_id="P9", instrument="PHQ-15", administered_on="2999-02-01", total_score="4"),
        dict(assessment_id="A1", patient_id="P2", instrument="GAD-7", administered_on="1738368000", total_score="21", **{f"item_{i}": "3" for i in range(1, 8)}),
        dict(assessment_id="A11", patient_id="P1", instrument="GAD-7", administered_on="1989-06-01", total_score="2"),
        dict(assessment_id="A12", patient_id="P1", instrument="GAD-7", administered_on="2025-02-02", total_score="7",
             **{f"item_{i}": "1" for i in range(1, 8)}, item_8="0", item_9="1"),
        dict(assessment_id="A13", patient_id="P1", instrument="PHQ-2", administered_on="2025-02-02", total_score="2",
             item_1="1", item_2="1", **{f"item_{i}": "0" for i in range(3, 9)}, item_9="2"),
        dict(assessment_id="A14", patient_id="P1", instrument="PHQ-9", administered_on="2025-02-03", total_score="10",
             **{f"item_{i}": "3" for i in range(1, 9)}),  # eight items of 3 present: more than the total
        dict(assessment_id="A15", patient_id="P1", instrument="GAD-7", administered_on="2025-02-03", total_score="20", item_1="0"),
        dict(assessment_id="A16", patient_id="P1", instrument="GAD-7", administered_on="2025-02-04", total_score="5", item_1="2"),
    ],
    "claims": [
        dict(claim_id="K1", line_number="1", patient_id="P1", date_of_service="2025-02-28", procedure_code="99493", units="1", billing_provider_npi=GOOD_NPI, rendering_provider_npi=GOOD_NPI, claim_status="paid", charge_amount="150"),
        dict(claim_id="K1", line_number="2", patient_id="P9", date_of_service="2025-02-28", procedure_code="99493-25", units="0"),
        dict(claim_id="K2", line_number="1", patient_id="P1", date_of_service="2999-02-28", procedure_code="g2214", units="2", billing_provider_npi=BAD_NPI, rendering_provider_npi=BAD_NPI, claim_status="rejected"),
        dict(claim_id="K3", patient_id="P1", date_of_service="2025-02-28", procedure_code="9949", charge_amount="-10"),
        dict(claim_id="K3", patient_id="P2", date_of_service="2025-02-28", procedure_code="99494"),
        dict(claim_id="K4", patient_id="P1", date_of_service="1989-12-31", procedure_code="99494"),
    ],
    "facility_stays": [
        dict(stay_id="S1", patient_id="P1", stay_type="inpatient", admitted_at="2025-02-03", discharged_at="2025-02-10"),
        dict(stay_id="S2", patient_id="P9", stay_type="Observation", admitted_at="2025-02-03 14:00", discharged_at="2025-02-03 18:00"),
        dict(stay_id="S3", patient_id="P1", stay_type="emergency", admitted_at="2999-02-03"),
        dict(stay_id="S4", patient_id="P1", stay_type="inpatient", admitted_at="2025-02-09", discharged_at="2025-02-04"),
        dict(stay_id="S5", patient_id="P2", stay_type="inpatient", admitted_at="1989-12-31"),
        dict(stay_id="S5", patient_id="P2", stay_type="inpatient", admitted_at="2025-02-01"),
    ],
    "diagnoses": [
        dict(patient_id="P1", code="F31.0", diagnosis_date="2024-01-01"),
        dict(patient_id="P1", code="f320", diagnosis_date="2024-01-01"),
        dict(patient_id="P9", code="F31.0", diagnosis_date="2024-01-01"),
        dict(patient_id="P2", code="296.40", diagnosis_date="2024-01-01"),
        dict(patient_id="P2", code="F31.0", diagnosis_date="2999-01-01"),
        dict(patient_id="P2", code="F31.1", diagnosis_date="1899-12-31"),
    ],
    "coverage": [
        dict(patient_id="P1", payer="Medicaid", start_date="2024-01-01", end_date="2024-12-31"),
        dict(patient_id="P1", payer="Medicare", start_date="01/01/2025"),  # starts the day after: no overlap
        dict(patient_id="P9", payer="Medicare", start_date="2025-01-01"),
        dict(patient_id="P2", payer="", start_date="2025-01-01", end_date="2025-01-31"),
        dict(patient_id="P2", payer="Medicaid", start_date="2025-03-01", end_date="2025-02-01"),
        dict(patient_id="P2", payer="Medicaid", start_date="2999-03-01"),
        dict(patient_id="P2", payer="Medicaid", start_date="1989-03-01", end_date="1989-04-01"),
        dict(patient_id="P2", payer="Medicare", start_date="2024-01-01", end_date="2024-12-31"),
        dict(patient_id="P2", payer="Commercial", start_date="2024-06-01", end_date="2024-06-30"),  # inside the one above
    ],
}


@pytest.fixture(scope="module")
def con():
    """A store knowing clinic C1 and patients P1 (enrolled 2025-01-01) and P2 (discharged 2025-03-01)."""
    con = connect(":memory:", timezone="America/New_York")
    install_macros(con)
    con.execute("INSERT INTO staging.clinics (clinic_id, setting, timezone) VALUES ('C1', 'fqhc', 'America/Chicago')")
    con.execute(
        """INSERT INTO staging.patients (patient_id, clinic_id, payer, enrollment_date, discharge_date)
        VALUES ('P1', 'C1', 'Medicare', '2025-01-01', NULL), ('P2', 'C1', 'Medicaid', '2025-01-01', '2025-03-01')"""
    )
    for table, rows in ROWS.items():
        columns = table_specs()[table].column_names
        values = ", ".join(
            "(" + ", ".join([str(line)] + [sql_text(row[c]) if c in row else "NULL" for c in columns]) + ")"
            for line, row in enumerate(rows, start=2)
        )
        con.execute(f"CREATE TEMP TABLE text_{table} AS SELECT * FROM (VALUES {values}) t(_line, {', '.join('_raw_' + c for c in columns)})")
        con.execute(f"CREATE TEMP TABLE checked_{table} AS {checked_sql(table, f'text_{table}')}")
    yield con
    con.close()


def sql_verdicts(con, table: str) -> dict[str, set[int]]:
    """Per expectation name, the lines DuckDB flags (row checks as the loader runs them)."""
    flagged: dict[str, set[int]] = {e.name: set() for e in expectations(table)}
    rows = con.execute(
        f"SELECT _line, list_transform(_failures || _warnings, lambda x: x.name) FROM checked_{table}"
    ).fetchall()
    for line, names in rows:
        for name in names:
            if name in flagged:
                flagged[name].add(line)
    for exp in expectations(table):
        if exp.scope == "table" and exp.type not in SQL_ONLY_TYPES:
            query = unexpected_rows_sql(exp, f"SELECT * FROM checked_{table}")
            flagged[exp.name] = {r[0] for r in con.execute(f"SELECT _line FROM ({query})").fetchall()}
    return flagged


@pytest.fixture(scope="module")
def gx_results(con):
    frames = {}
    for table in ROWS:
        frame = con.execute(f"SELECT * EXCLUDE (_failures, _warnings) FROM checked_{table}").df()
        frames[table] = frame.set_index("_line", drop=False)
    return gx_run.validate_frames(frames, gx_run.parameter_values(con, frames), {"result_format": "COMPLETE"})


def gx_verdicts(result) -> dict[str, set[int]]:
    flagged = {}
    for r in result.results:
        assert not r.exception_info.get("raised_exception"), r.exception_info
        found = r.result.get("unexpected_index_list") or []
        flagged[r.expectation_config.meta["name"]] = {x["_line"] if isinstance(x, dict) else int(x) for x in found}
    return flagged


@pytest.mark.parametrize("table", list(ROWS))
def test_duckdb_and_great_expectations_flag_the_same_rows(con, gx_results, table):
    sql = sql_verdicts(con, table)
    gx = gx_verdicts(gx_results[table])
    assert set(gx) == {e.name for e in expectations(table) if e.type not in SQL_ONLY_TYPES}
    assert {name: sql[name] for name in gx} == gx


SAME_AS_ITEM_3 = {f"item_{i} 0-3" for i in (1, 2, 4, 5, 6, 7, 8, 9)}  # one item exercises their shared form


@pytest.mark.parametrize("table", list(ROWS))
def test_the_fixture_rows_exercise_every_expectation_both_ways(con, table):
    """Each row expectation flags some fixture row and passes another, so agreement means something."""
    sql = sql_verdicts(con, table)
    lines = {line for line, _ in enumerate(ROWS[table], start=2)}
    for exp in expectations(table):
        if exp.type in SQL_ONLY_TYPES or exp.name in SAME_AS_ITEM_3:
            continue
        assert sql[exp.name], f"{table}: {exp.name} flags no fixture row"
        assert sql[exp.name] != lines, f"{table}: {exp.name} flags every fixture row"


def test_great_expectations_reads_every_suite_file_and_validates_a_tiny_frame(con):
    """The canary: GE accepts the JSON as written, and runs every expectation it can on one good row."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    gx_run.context()
    for table in suite_tables():
        suite = ExpectationSuite(**json.loads((SUITES_DIR / f"{table}.json").read_text()))
        assert len(suite.expectations) == len(expectations(table))
    good = {t: con.execute(f"SELECT * EXCLUDE (_failures, _warnings) FROM checked_{t} WHERE _line = 2").df() for t in ROWS}
    results = gx_run.validate_frames(good, gx_run.parameter_values(con, good))
    for table, result in results.items():
        assert result.success, [r.expectation_config.meta["name"] for r in result.results if not r.success]


def test_every_row_check_compiles_to_sql_duckdb_accepts(con):
    for table in suite_tables():
        for check in row_checks(table):
            con.execute(f"SELECT count(*) FROM checked_{table} WHERE NOT coalesce({check.passes}, false)").fetchall()
            con.execute(f"SELECT {check.reason} FROM checked_{table}").fetchall()


def test_the_time_log_frame_declares_every_patient_column_it_reads():
    """A patients load re-judges stored entries when a column the frame reads changes: a column
    read but not declared would leave warnings stale (the clinic stands for its time zone)."""
    read = set(re.findall(r"\bp\.(\w+)", frame_sql("time_logs", "rows"))) - {"patient_id"}
    assert {"clinic_id" if c == "timezone" else c for c in read} == set(frame_patient_columns("time_logs"))
    assert frame_patient_columns("clinics") == ()


def test_every_regex_is_anchored():
    for table in suite_tables():
        for exp in expectations(table):
            if "regex" in exp.kwargs:
                assert exp.kwargs["regex"].startswith("^") and exp.kwargs["regex"].endswith("$"), exp.label


def test_every_row_expectation_explains_itself_to_a_steward():
    for table in suite_tables():
        for exp in expectations(table):
            assert len(exp.why) > 40, exp.label
            if exp.scope == "row":
                assert exp.reason, f"{exp.label}: a row check needs a reason sentence for the quarantine"


@pytest.mark.parametrize("npi, valid", [(GOOD_NPI, True), (BAD_NPI, False), ("1245319599", True), ("1245319598", False), ("123456789", False), ("12345678931", False), ("12345a7893", False)])
def test_npi_check_digit_in_sql_and_python(con, npi, valid):
    from bcm_analytics.npi import is_valid_npi

    assert con.execute("SELECT bcm_npi_valid(?)", [npi]).fetchall()[0][0] is valid
    assert is_valid_npi(npi) is valid


def test_an_npi_of_another_length_or_with_letters_in_a_column_is_invalid_not_an_error(con):
    """A roster whose NPI column holds 'PCP NPI' (its header again) or 12345: the check digit was
    summed over the column's every value, and CAST('P' AS INTEGER) refused the whole file."""
    npis = ["PCP NPI", "12345", "123456789X", GOOD_NPI]
    valid = con.execute("SELECT bcm_npi_valid(npi) FROM unnest(?) t(npi) ORDER BY npi", [npis]).fetchall()
    assert valid == [(False,), (True,), (False,), (False,)]


def test_the_readme_lists_the_current_suites():
    text = README.read_text()
    assert render(text) == text, "data_contracts/README.md is stale: run python -m bcm_analytics.contracts.readme"


def test_a_reason_that_lists_a_vocabulary_lists_the_words_the_check_accepts():
    """A vocabulary check's reason names the accepted words so a person can map their value
    (activity_type's said only "see data_contracts/README.md"); written twice, they must agree."""
    listed = 0
    for table in suite_tables():
        for exp in vocabularies(table).values():
            words = exp.kwargs["value_set"]
            if not exp.reason:
                continue
            named = [w for w in words if str(w) in exp.reason]
            if len(named) > 1:  # the reason lists the vocabulary: all of it, in its order
                listed += 1
                assert named == words, exp.label
                assert exp.reason.index(str(words[0])) < exp.reason.index(str(words[-1])), exp.label
    assert listed >= 3  # staff_role, activity_type, and more


def test_items_present_that_cannot_make_the_total_are_set_aside_not_scored(store, load_rows):
    """A PHQ-9 of 10 with items 1-8 answered 3 each (24 points) and item 9 blank loaded as a
    baseline of 10, and a GAD-7 of 10 with four items of 3 (12) likewise: the sum was checked only
    when every item was there. A partial row whose items fit (a PHQ-9 of 10, two items of 3) loads."""
    load_rows("patients", [{"patient_id": "P1", "payer": "Medicare", "enrollment_date": "2025-01-01"}])
    result = load_rows("assessments", [
        {"assessment_id": "D3", "patient_id": "P1", "instrument": "PHQ-9", "administered_on": "2025-02-01", "total_score": "10",
         **{f"item_{i}": "3" for i in range(1, 9)}},
        {"assessment_id": "D8", "patient_id": "P1", "instrument": "GAD-7", "administered_on": "2025-02-01", "total_score": "10",
         **{f"item_{i}": "3" for i in range(1, 5)}},
        {"assessment_id": "D9", "patient_id": "P1", "instrument": "PHQ-9", "administered_on": "2025-02-02", "total_score": "10",
         "item_1": "3", "item_2": "3"},
    ])
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    reasons = dict(store.execute("SELECT json_extract_string(record, '$.assessment_id'), reason FROM meta.quarantine").fetchall())
    assert reasons["D3"] == ("the item answers of this PHQ-9 present cannot make total_score 10: they add up to more, or the "
                             "missing ones (at most 3 each) cannot make up the rest")
    assert set(reasons) == {"D3", "D8"}
