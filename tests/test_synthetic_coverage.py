"""The synthetic program's payer history (coverage.csv), generated, loaded and billed.

A patient whose 65th birthday falls in the program's months moves to Medicare on the first day of
the birth month, from Medicaid or a commercial plan; a few others leave Medicaid for a commercial
plan mid-month; patients.payer is the latest payer. Loaded as a user loads it, the months before
the birthday month bill under the old payer and that month under Medicare (marts.month_terms).
Seed 25 at 50 patients over 2025 has such a patient, P0000042 (turns 65 in June 2025), with care
logged before June and in it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import generated

from bcm_analytics.billing import billing_lines, load_rules
from bcm_analytics.ingest import FileResult
from bcm_analytics.models.marts import refresh
from bcm_analytics.synthetic import PAYER_CLASSES


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    exports, con, results = generated(tmp_path_factory.mktemp("synthetic_coverage"), patients=50, months=12, start="2025-01", seed=25)
    refresh(con, load_rules(exports / "program_rules.yaml"))
    yield exports, con, results
    con.close()


def read(exports, name: str) -> pd.DataFrame:
    return pd.read_csv(exports / name, dtype=str, keep_default_na=False)


def test_a_patient_turning_65_moves_to_medicare_on_the_first_of_the_birth_month(program):
    exports, _, _ = program
    patients = read(exports, "patients.csv")
    coverage = read(exports, "coverage.csv")
    planted = read(exports, "_answer_key/dirty_rows.csv").query("file == 'coverage.csv'").line.astype(int)
    coverage = coverage.drop(index=planted - 2)
    birth = pd.to_datetime(patients.set_index("patient_id").birth_date[lambda s: s != ""])
    turning = birth[(birth.dt.year + 65 == 2025)].index
    assert "P0000042" in turning and len(turning) >= 1
    for pid in turning:
        periods = coverage[coverage.patient_id == pid].sort_values("start_date")
        medicare_from = f"2025-{birth[pid].month:02d}-01"
        assert list(periods.payer)[-1] == "Medicare" and list(periods.end_date)[-1] == "", pid
        assert list(periods.start_date)[-1] == medicare_from, pid
        assert len(periods) == 2 and periods.payer.iloc[0] != "Medicare", pid
        assert periods.end_date.iloc[0] == str((pd.Timestamp(medicare_from) - pd.Timedelta(days=1)).date()), pid
        assert patients.set_index("patient_id").payer[pid] == "Medicare", "the registry keeps the latest payer"
    # every patient has one open period (the registry's payer), every payer name is mapped by the rules
    open_periods = coverage[coverage.end_date == ""]
    assert open_periods.patient_id.is_unique
    registry = patients[patients.patient_id.str.fullmatch(r"P\d{7}")].drop_duplicates("patient_id").set_index("patient_id")
    assert (open_periods.set_index("patient_id").payer == registry.payer.reindex(open_periods.patient_id)).all()
    assert set(coverage.payer) <= set(PAYER_CLASSES)


def test_the_coverage_file_loads_and_only_the_planted_rows_are_set_aside(program):
    exports, _, results = program
    result = results["coverage.csv"]
    planted = read(exports, "_answer_key/dirty_rows.csv").query("file == 'coverage.csv'")
    assert isinstance(result, FileResult)
    assert result.rows_read == len(read(exports, "coverage.csv"))
    assert result.rows_quarantined == len(planted) == 3
    assert set(planted.problem) == {"end_before_start", "overlapping_period"}


def test_billing_prices_the_months_before_the_birthday_month_under_the_old_payer_and_it_under_medicare(program):
    exports, con, _ = program
    old = read(exports, "coverage.csv").query("patient_id == 'P0000042' and payer != 'Medicare'").payer.iloc[0]
    lines = billing_lines(con, "2025-01", "2025-12").query("patient_id == 'P0000042'")
    months = sorted(set(zip(lines.service_month.astype(str).str[:7], lines.payer, lines.payer_class)))
    before = [(m, p, c) for m, p, c in months if m < "2025-06"]
    assert before and all(p == old and c == PAYER_CLASSES[old] for _, p, c in before), months
    assert [(p, c) for m, p, c in months if m >= "2025-06"][0] == ("Medicare", "medicare")
    assert ("2025-06", "Medicare", "medicare") in months
