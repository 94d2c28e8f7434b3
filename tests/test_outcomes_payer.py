"""Outcomes under the payer in force (marts.payer_name_periods), not the registry's payer.

Eleven patients M00..M10 turn 65 in July 2025: Medicaid covers them to June 30, Medicare from
July 1, and the registry (patients.payer) holds Medicare, the latest, as a registry keeps it. Each
enrols on 2025-01-06 with a PHQ-9 of 15 and a contact that day, has a phone contact on the 10th of
every month to December, a PHQ-9 of 4 on 2025-08-05 (day 211: DRR-E's follow-up, under Medicare)
and one of 3 on 2025-12-01 (day 329: CMS159's 12-month window). K, a control, is Medicaid in the
registry with no coverage rows. As of 2025-12-31:

- per month (caseload, contacts): January-June under Medicaid, July-December under Medicare;
- at the index or baseline (DRR-E 2025, CMS159 2026, the program measures, cohorts, the change
  distribution, outcome_patients): January, so Medicaid, though the follow-up falls under Medicare;
- now (worklists, follow-up scores due): December, so Medicare.

Without a coverage file, and with one that repeats patients.payer, every mart and measure is the
same (the payer in force is the registry's). Eleven patients, so `bcm outcomes` suppresses none.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from test_models import differs_from_full, same, snapshot

from bcm_analytics.cli import cli
from bcm_analytics.models import refresh
from bcm_analytics.outcomes import prepare
from bcm_analytics.outcomes.caseload import cohort_curves

AS_OF = "2025-12-31"
MOVERS = [f"M{i:02d}" for i in range(11)]
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def patient(pid: str, payer: str = "Medicare") -> dict:
    return {"patient_id": pid, "clinic_id": "C1", "payer": payer, "care_manager_id": "CM1", "birth_date": "1960-07-15",
            "enrollment_date": "2025-01-06"}


def cover(pid: str, payer: str, start: str, end: str = "") -> dict:
    return {"patient_id": pid, "payer": payer, "start_date": start, "end_date": end}


def contacts(pids: list[str], months: list[str]) -> list[dict]:
    days = [("0", "2025-01-06")] + [(m, f"{m}-10") for m in months]
    return [{"entry_id": f"T{p}{n}", "patient_id": p, "staff_role": "bhcm", "service_date": day, "minutes": 20,
             "activity_type": "follow_up_contact", "contact_mode": "phone"} for p in pids for n, day in days]


def scores(pids: list[str]) -> list[dict]:
    return [{"assessment_id": f"A{p}{n}", "patient_id": p, "instrument": "PHQ-9", "administered_on": day, "total_score": total,
             "item_9": 0} for p in pids for n, (day, total) in enumerate([("2025-01-06", 15), ("2025-08-05", 4), ("2025-12-01", 3)])]


MOVED = [row for p in MOVERS for row in (cover(p, "Medicaid", "2015-01-01", "2025-06-30"), cover(p, "Medicare", "2025-07-01"))]


@pytest.fixture
def program(store, load_rows):
    load_rows("patients", [patient(p) for p in MOVERS] + [patient("K", "Medicaid")])
    load_rows("time_logs", contacts([*MOVERS, "K"], MONTHS))
    load_rows("assessments", scores([*MOVERS, "K"]))
    return store


def active_months(con, payer: str | None) -> dict[str, int]:
    run = prepare(con, AS_OF, payer=payer)
    frame = run.query("caseload_months", **run.period("2025-01", "2025-12"))
    frame = frame[(frame.clinic == "All") & (frame.care_manager == "All") & (frame.active > 0)]
    return dict(zip(frame.month.dt.strftime("%Y-%m"), frame.active))


def per_year(con, measure: str, year: int, payer: str | None) -> int:
    frame = prepare(con, AS_OF, payer=payer).query(measure, year=year)
    return int(frame.set_index("stratum").at["All", "denominator"])


def test_caseload_and_contacts_count_each_month_under_its_payer(program, load_rows):
    load_rows("coverage", MOVED)
    assert active_months(program, "Medicaid") == {**{m: 12 for m in MONTHS[:6]}, **{m: 1 for m in MONTHS[6:]}}
    assert active_months(program, "Medicare") == {m: 11 for m in MONTHS[6:]}
    assert active_months(program, None) == {m: 12 for m in MONTHS}
    run = prepare(program, AS_OF, payer="Medicare")
    modes = run.query("contacts_by_mode", **run.period("2025-01", "2025-12"))
    modes = modes[(modes.clinic == "All") & (modes.care_manager == "All")]
    assert dict(zip(modes.month.dt.strftime("%Y-%m"), modes.contacts)) == {m: 11 for m in MONTHS[6:]}


def test_index_measures_take_the_payer_at_the_index(program, load_rows):
    """DRR-E 2025 indexes on January 6 (intake May 2024-April 2025) and CMS159 2026 too
    (identification November 2024-October 2025): Medicaid's, though the follow-up scores are Medicare's."""
    load_rows("coverage", MOVED)
    assert [per_year(program, "drr_e", 2025, p) for p in ("Medicaid", "Medicare", None)] == [12, 0, 12]
    assert [per_year(program, "cms159", 2026, p) for p in ("Medicaid", "Medicare", None)] == [12, 0, 12]
    counts = prepare(program, AS_OF).measure_counts("2025-01", "2025-12")
    payers = counts[(counts.dimension == "payer") & (counts.window_name == "6m")]
    assert dict(zip(payers.stratum, payers.eligible)) == {"Medicaid": 12}
    medicaid = prepare(program, AS_OF, payer="Medicaid")
    assert set(medicaid.patients().patient_id) == {*MOVERS, "K"}
    assert set(medicaid.patients().payer) == {"Medicaid"}
    cohorts = cohort_curves(medicaid, "2025-01", "2025-12")
    assert cohorts.patients.max() == 12
    change = medicaid.query("change_distribution", **medicaid.period("2025-01", "2025-12"))
    assert change.patients.sum() == 12
    assert prepare(program, AS_OF, payer="Medicare").patients().empty


def test_worklists_take_the_payer_now(program, load_rows):
    load_rows("coverage", MOVED)
    medicare, medicaid = (prepare(program, AS_OF, payer=p) for p in ("Medicare", "Medicaid"))
    assert set(medicare.query("worklists").patient_id) == set(MOVERS)
    assert set(medicaid.query("worklists").patient_id) == {"K"}


def test_a_coverage_file_that_repeats_the_registry_changes_no_outcome(program, load_rows):
    """Today's numbers: coverage periods naming each patient's registry payer leave every mart but
    the payer periods themselves, and every per-month, index and worklist measure, as they were."""
    refresh(program)
    measures = {
        "caseload": lambda p: active_months(program, p), "drr_e": lambda p: per_year(program, "drr_e", 2025, p),
        "cms159": lambda p: per_year(program, "cms159", 2026, p),
        "counts": lambda p: prepare(program, AS_OF, payer=p).measure_counts("2025-01", "2025-12").to_dict("records"),
        "worklists": lambda p: sorted(prepare(program, AS_OF, payer=p).query("worklists").patient_id),
    }
    before_marts = snapshot(program)
    before = {name: {p: f(p) for p in ("Medicaid", "Medicare", None)} for name, f in measures.items()}
    load_rows("coverage", [cover(p, "Medicare", "2010-01-01") for p in MOVERS] + [cover("K", "Medicaid", "2024-03-15")])
    refresh(program)
    after_marts = snapshot(program)
    changed = [t for t in before_marts if not same(before_marts[t], after_marts[t])]
    assert changed == ["payer_name_periods", "month_terms"]  # their from_month and payer_source only
    assert {name: {p: f(p) for p in ("Medicaid", "Medicare", None)} for name, f in measures.items()} == before
    assert before["caseload"]["Medicare"] == {m: 11 for m in MONTHS}


def test_an_incremental_build_after_a_coverage_file_equals_a_full_rebuild(store, load_rows):
    """The months to June, then the coverage file (a patient's own data: their outcome marts
    recompute), then July to December (the as-of date moves on): each step per patient."""
    load_rows("patients", [patient(p) for p in MOVERS] + [patient("K", "Medicaid")])
    load_rows("time_logs", contacts([*MOVERS, "K"], MONTHS[:6]))
    load_rows("assessments", [s for s in scores([*MOVERS, "K"]) if s["administered_on"] < "2025-07"])
    refresh(store)
    load_rows("coverage", MOVED)
    steps = {s.model: s.how for s in refresh(store).steps}
    assert steps["caseload_patient_months"] == steps["outcome_patients"] == "patients"
    load_rows("time_logs", [c for c in contacts([*MOVERS, "K"], MONTHS[6:]) if c["service_date"] >= "2025-07"])
    load_rows("assessments", [s for s in scores([*MOVERS, "K"]) if s["administered_on"] >= "2025-07"])
    refresh(store)
    months = store.execute("""SELECT payer, count(*) FROM marts.caseload_patient_months WHERE active GROUP BY ALL ORDER BY 1""").fetchall()
    assert months == [("Medicaid", 6 * 11 + 12), ("Medicare", 6 * 11)]
    assert not differs_from_full(store)


def run(*args):
    return CliRunner().invoke(cli, ["outcomes", *map(str, args)], catch_exceptions=False)


def test_bcm_outcomes_payer_filter_takes_a_coverage_payer_and_its_months(store, load_rows, tmp_path):
    """--payer Medicaid names no registry patient's payer (the movers alone, no K) but the movers'
    coverage before July: it is accepted, and the utilisation periods count the contacts of
    Medicaid's months (January-June), Medicare's those from July."""
    load_rows("patients", [patient(p) for p in MOVERS])
    load_rows("time_logs", contacts(MOVERS, MONTHS))
    load_rows("assessments", scores(MOVERS))
    load_rows("coverage", MOVED)
    store.close()
    db = tmp_path / "test.duckdb"
    got = {}
    for payer in ("Medicaid", "Medicare"):
        out = tmp_path / f"{payer}.csv"
        result = run("--db", db, "--as-of", AS_OF, "--payer", payer, "--utilisation", out, "--month", "2025-01", "--to", "2025-12")
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(out)
        got[payer] = dict(zip(frame.assessment_period, frame.patients_contacted))
    assert got == {"Medicaid": {"Jan-Apr 2025": 11, "May-Aug 2025": 11},
                   "Medicare": {"May-Aug 2025": 11, "Sep-Dec 2025": 11}}
    out = tmp_path / "patients.csv"
    assert run("--db", db, "--as-of", AS_OF, "--payer", "Medicaid", "--out", out).exit_code == 0
    assert set(pd.read_csv(out).payer) == {"Medicaid"} and len(pd.read_csv(out)) == 11
