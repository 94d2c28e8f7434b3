"""The synthetic program: deterministic, in the canonical format, and its answer keys are true.

The checks here re-derive what the answer keys claim straight from the CSVs (which rows are
broken, how many minutes count, which billing mistakes were planted), so a key that drifted
from the data would fail, not just a key that drifted from the generator.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bcm_analytics.npi import is_valid_npi, npi_check_digit
from bcm_analytics.synthetic import generate_program, write_claims
from bcm_analytics.synthetic.activity import split_minutes
from bcm_analytics.synthetic.claims import DENIAL_REASONS, EXPECTED_COLUMNS, FINDINGS, VISIT_CODE, _write_csv
from bcm_analytics.synthetic.vocab import ACTIVITIES

CONTRACTS = Path(__file__).resolve().parents[1] / "data_contracts" / "tables.yaml"
EXPORTS = ["clinics", "patients", "time_logs", "assessments", "facility_stays", "diagnoses"]


def read(folder: Path, name: str) -> pd.DataFrame:
    """A CSV as the loader sees it: all text, empty cells as empty strings."""
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def digests(folder: Path) -> dict[str, str]:
    files = sorted(folder.rglob("*.csv"))
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    """3,000 patients over 24 months: two chunks, enough for stable outcome rates (~0.3 s)."""
    out = tmp_path_factory.mktemp("program")
    generate_program(out, patients=3000, months=24, seed=11)
    return out


@pytest.fixture(scope="module")
def key(program) -> pd.DataFrame:
    return read(program, "_answer_key/dirty_rows.csv").astype({"line": int})


def without_dirty(frame: pd.DataFrame, key: pd.DataFrame, file: str) -> pd.DataFrame:
    return frame.drop(index=key.loc[key["file"] == file, "line"] - 2)


def first_enrolments(patients: pd.DataFrame) -> pd.DataFrame:
    """Each patient's first enrolment: a re-enrolled patient has a row per enrolment (an episode list)."""
    return patients.sort_values(["patient_id", "enrollment_date"]).drop_duplicates("patient_id")


# --- determinism and format -------------------------------------------------------------------


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        generate_program(tmp_path / name, patients=150, months=8, start="2025-03", seed=seed)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    differ = digests(tmp_path / "a").items() ^ digests(tmp_path / "c").items()
    assert {"patients.csv", "time_logs.csv", "assessments.csv"} <= {name for name, _ in differ}


def test_summary_counts_the_rows_it_wrote(tmp_path):
    began = time.perf_counter()
    summary = generate_program(tmp_path, patients=120, months=6, seed=1)
    elapsed = time.perf_counter() - began
    for name in EXPORTS:
        assert summary.rows[name] == len(read(tmp_path, f"{name}.csv"))
        assert summary.paths[name] == tmp_path / f"{name}.csv"
    assert summary.seconds > 0
    assert elapsed / 2 <= summary.seconds <= elapsed, "the generator's own wall time, nearly all of the call"


def test_columns_match_the_contract(program):
    tables = yaml.safe_load(CONTRACTS.read_text())
    for name in EXPORTS:
        header = (program / f"{name}.csv").read_text().split("\n", 1)[0]
        assert header.split(",") == list(tables[name]["columns"]), name


def test_dates_are_iso_and_local_timestamps_appear(program):
    logs = read(program, "time_logs.csv")
    clean = logs["service_date"][logs["service_date"].str.len() > 0]
    assert clean.str.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d)?").all()
    share_timed = clean.str.len().gt(10).mean()
    assert 0.1 < share_timed < 0.4
    patients = read(program, "patients.csv")
    assert patients["birth_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


# --- NPIs -------------------------------------------------------------------------------------


def test_npi_check_digit_follows_cms_luhn_with_80840_prefix():
    assert npi_check_digit("123456789") == 3  # the CMS worked example: 1234567893
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    assert not is_valid_npi("123456789")
    assert not is_valid_npi("12345678a3")


def test_every_written_npi_is_valid(program):
    npis = pd.concat(
        [read(program, "patients.csv")["treating_provider_npi"], read(program, "_answer_key/staff.csv")["npi"]]
    )
    assert npis.map(is_valid_npi).all()
    staff = read(program, "_answer_key/staff.csv")
    assert set(staff["role"]) == {"bhcm", "psychiatric_consultant", "treating_practitioner"}


# --- the program looks like a program ---------------------------------------------------------


def test_clinics_cover_settings_and_zones(program):
    clinics = read(program, "clinics.csv")
    assert len(clinics) >= 4
    assert {"physician_practice", "fqhc", "rhc"} == set(clinics["setting"])
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(clinics["timezone"])


def test_patient_mix(program, key):
    patients = first_enrolments(without_dirty(read(program, "patients.csv"), key, "patients.csv"))
    payer = patients["payer"].map({"Medicare": "medicare", "Medicaid": "medicaid", "State Medicaid MCO": "medicaid"})
    shares = payer.fillna("commercial").value_counts(normalize=True)
    assert shares["medicare"] == pytest.approx(0.35, abs=0.04)
    assert shares["medicaid"] == pytest.approx(0.30, abs=0.04)
    assert (patients["program"] == "general_bhi").mean() == pytest.approx(0.10, abs=0.03)
    assert 0.01 < (patients["consent_date"] == "").mean() < 0.06
    age = (pd.to_datetime(patients["enrollment_date"]) - pd.to_datetime(patients["birth_date"])).dt.days / 365.25
    assert age.min() >= 12 and age.max() < 91
    assert 0.02 < (age < 18).mean() < 0.08
    reasons = set(patients["discharge_reason"]) - {""}
    assert reasons == {"goals_met", "referred_out", "lost_to_follow_up", "moved"}


def test_every_patient_has_the_diagnosis_care_is_for_and_a_few_an_excluding_one(program, key):
    """diagnoses.csv: each patient's working diagnosis (depression, anxiety or adjustment: none the
    measures exclude) dated on the enrolment day; about 4% of patients also have one diagnosis the
    measures exclude (definitions diagnosis_exclusions), half dated before enrolment and half
    after; some codes are written without their dot, which the contract reads."""
    from bcm_analytics.config.definitions import excluding_diagnosis_codes, load_definitions

    patients = first_enrolments(without_dirty(read(program, "patients.csv"), key, "patients.csv")).set_index("patient_id")
    dx = read(program, "diagnoses.csv")
    prefixes = tuple(excluding_diagnosis_codes(load_definitions().data["diagnosis_exclusions"]))
    excluding = dx["code"].str.replace(".", "", regex=False).str.startswith(prefixes)
    working = dx[~excluding]
    assert working["patient_id"].is_unique and set(working["patient_id"]) == set(patients.index)
    assert (working["diagnosis_date"].to_numpy() == patients.loc[working["patient_id"], "enrollment_date"].to_numpy()).all()
    assert working["code"].str.fullmatch(r"F(32|33|41|43)\.?\w+").all()
    excluded = dx[excluding].set_index("patient_id")
    assert excluded.index.is_unique and len(excluded) / len(patients) == pytest.approx(0.04, abs=0.015)
    before = excluded["diagnosis_date"] < patients.loc[excluded.index, "enrollment_date"]
    assert 0.3 < before.mean() < 0.7
    assert 0.05 < (~dx["code"].str.contains(".", regex=False)).mean() < 0.15


def test_a_few_patients_are_enrolled_again_after_a_discharge_as_an_episode_list_writes_them(program, key):
    """About 3% of patients (the restarts whose return falls in the program) have two rows: the
    earlier enrolment, lost to follow-up on the last day of a month, and the current one, from the
    first day of a month at least six months later, with its own consent on that day. A patient
    is on at most two rows, and no row but the latest of a patient lacks a discharge."""
    patients = without_dirty(read(program, "patients.csv"), key, "patients.csv")
    rows = patients.groupby("patient_id").size()
    assert rows.max() == 2 and (rows == 2).mean() == pytest.approx(0.03, abs=0.015)
    twice = patients[patients["patient_id"].isin(rows[rows == 2].index)].sort_values(["patient_id", "enrollment_date"])
    earlier, current = twice.iloc[::2].set_index("patient_id"), twice.iloc[1::2].set_index("patient_id")
    assert set(earlier["discharge_reason"]) == {"lost_to_follow_up"}
    discharged, back = pd.to_datetime(earlier["discharge_date"]), pd.to_datetime(current["enrollment_date"])
    assert (discharged.dt.is_month_end & back.dt.is_month_start).all()
    assert ((back.dt.to_period("M") - discharged.dt.to_period("M")).map(lambda gap: gap.n) > 6).all()
    assert (current["consent_date"] == current["enrollment_date"]).all()


def test_care_manager_caseloads_are_realistic(tmp_path):
    """Active patients per care manager in the last month: 60-120 for most."""
    generate_program(tmp_path, patients=8000, months=24, seed=2)
    patients = read(tmp_path, "patients.csv")
    last_month = (patients["discharge_date"] == "") & (patients["enrollment_date"] != "")
    caseload = patients[last_month].groupby("care_manager_id").size()
    assert caseload.median() == pytest.approx(90, abs=30)


# --- dirty rows -------------------------------------------------------------------------------


def is_day(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.str[:10], format="%Y-%m-%d", errors="coerce").notna()


def broken_lines(program: Path) -> dict[str, set[int]]:
    """Which lines a loader must quarantine, judged from the files alone."""
    patients = read(program, "patients.csv")
    bad_patients = (patients[["patient_id", "payer", "enrollment_date"]] == "").any(axis=1) | ~is_day(
        patients["enrollment_date"]
    )
    known = set(patients.loc[~bad_patients, "patient_id"])

    logs = read(program, "time_logs.csv")
    minutes = pd.to_numeric(logs["minutes"], errors="coerce")
    bad_logs = (
        (logs[["entry_id", "patient_id", "staff_role", "service_date", "minutes", "activity_type"]] == "").any(axis=1)
        | ~minutes.between(1, 600)
        | ~is_day(logs["service_date"])
        | ~logs["activity_type"].isin(ACTIVITIES)
        | ~logs["patient_id"].isin(known)
    )

    scores = read(program, "assessments.csv")
    total = pd.to_numeric(scores["total_score"], errors="coerce")
    items = scores[[f"item_{i}" for i in range(1, 10)]].replace("", "0").astype(int).sum(axis=1)
    top = scores["instrument"].map({"PHQ-9": 27, "GAD-7": 21})
    bad_scores = (
        (scores[["assessment_id", "patient_id", "instrument", "administered_on", "total_score"]] == "").any(axis=1)
        | ~(total <= top)
        | (items != total)
        | ~is_day(scores["administered_on"])
    )
    return {
        f"{name}.csv": set(np.flatnonzero(bad.to_numpy()) + 2)
        for name, bad in [("patients", bad_patients), ("time_logs", bad_logs), ("assessments", bad_scores)]
    }


def test_answer_key_lists_exactly_the_broken_rows(program, key):
    found = broken_lines(program)
    for file, lines in found.items():
        assert set(key.loc[key["file"] == file, "line"]) == lines, file
    assert (key["expected_outcome"] == "quarantine").all()


def test_answer_key_names_the_broken_value(program, key):
    for file, rows in key.groupby("file"):
        frame = read(program, file)
        for row in rows.itertuples():
            assert frame.at[row.line - 2, row.column] == row.value, (file, row.line)


def test_every_kind_of_flaw_is_planted_at_about_half_a_percent(program, key):
    problems = set(key["problem"])
    assert {"missing_required", "negative_minutes", "minutes_not_a_number", "implausible_minutes",
            "impossible_date", "unknown_activity_type", "unknown_patient", "total_out_of_range",
            "items_do_not_sum"} <= problems
    for file in ["time_logs.csv", "assessments.csv"]:
        share = (key["file"] == file).sum() / len(read(program, file))
        assert 0.003 < share < 0.008, file
    assert 1 <= (key["file"] == "patients.csv").sum() <= 15
    assert "2025-02-30" in set(key["value"]) or key["value"].str.endswith("-02-30").any()


# --- minutes ----------------------------------------------------------------------------------


def minute_of_day(text: pd.Series) -> pd.Series:
    """HH:MM at position 11 of a date-time; NaN for a date alone."""
    return pd.to_numeric(text.str[11:13], errors="coerce") * 60 + pd.to_numeric(text.str[14:16], errors="coerce")


def in_a_stay(counted: pd.DataFrame, stays: pd.DataFrame) -> pd.Series:
    """Entries in a hospital stay by the default rules: the days from admission to discharge (on
    without one), less an entry started before the admission time or from the discharge time on
    that day; where either time is missing, the whole edge day (facility_stay_edge_days: exclude)."""
    pairs = counted[["patient_id", "day", "start"]].reset_index().merge(stays, on="patient_id")
    first, last = pairs["admitted_at"].str[:10], pairs["discharged_at"].str[:10].replace("", "9999-12-31")
    before = (pairs["day"] == first) & (pairs["start"] < minute_of_day(pairs["admitted_at"]))
    after = (pairs["day"] == last) & (pairs["start"] >= minute_of_day(pairs["discharged_at"]))
    inside = (pairs["day"] >= first) & (pairs["day"] <= last) & ~before & ~after
    return pd.Series(counted.index.isin(pairs.loc[inside, "index"]), index=counted.index)


def cut_at_stay_times(counted: pd.DataFrame, stays: pd.DataFrame) -> pd.DataFrame:
    """A timed entry that runs across a timed admission keeps its minutes before it; one across a
    timed discharge starts again at it: only the minutes outside the stay count, and in_a_stay
    then places what is left outside."""
    pairs = counted[["patient_id", "day", "start", "minutes"]].reset_index().merge(stays, on="patient_id")
    end = pairs["start"] + pairs["minutes"]
    admit, leave = minute_of_day(pairs["admitted_at"]), minute_of_day(pairs["discharged_at"])
    into = (pairs["day"] == pairs["admitted_at"].str[:10]) & (pairs["start"] < admit) & (end > admit)
    out_of = (pairs["day"] == pairs["discharged_at"].str[:10]) & (pairs["start"] < leave) & (end > leave)
    counted = counted.copy()
    counted.loc[pairs.loc[into, "index"], "minutes"] = (admit - pairs["start"])[into].astype(int).to_numpy()
    counted.loc[pairs.loc[out_of, "index"], "start"] = leave[out_of].to_numpy()
    counted.loc[pairs.loc[out_of, "index"], "minutes"] = (end - leave)[out_of].astype(int).to_numpy()
    return counted


def countable_minutes(program: Path, key: pd.DataFrame) -> pd.Series:
    """Countable minutes per patient-month by the default rules, straight from the exports.

    Care work of the care manager or treating provider, on or after consent and no later than the
    discharge day of the enrolment in force on the entry's day (a check-in call after it counts for nothing), outside hospital stays (an entry
    across a timed admission or discharge counts its minutes outside), a re-exported entry once (and an untimed one logged again under another id: the same
    patient, staff member, day, minutes and activity), and overlapping intervals of one person on
    one patient as their union.
    """
    logs = without_dirty(read(program, "time_logs.csv"), key, "time_logs.csv").drop_duplicates()
    assert logs["entry_id"].is_unique
    patients = without_dirty(read(program, "patients.csv"), key, "patients.csv").sort_values("enrollment_date")
    current = patients.drop_duplicates("patient_id", keep="last").set_index("patient_id")
    earlier = patients[patients.duplicated("patient_id", keep="last")].set_index("patient_id")  # at most one, a re-enrolled patient's
    logs["day"] = logs["service_date"].str[:10]
    logs["month"] = logs["service_date"].str[:7]
    logs["minutes"] = logs["minutes"].astype(int)
    # an entry is judged by the enrolment in force on its day: an earlier one before the re-enrolment
    before = logs["patient_id"].isin(earlier.index) & (logs["day"] < logs["patient_id"].map(current["enrollment_date"]))
    enrolment = lambda column: logs["patient_id"].map(current[column]).where(~before, logs["patient_id"].map(earlier[column]))  # noqa: E731
    counted = logs[
        logs["staff_role"].isin(["bhcm", "treating_practitioner"])
        & ~logs["activity_type"].isin(["administrative", "psychotherapy"])
        & (logs["day"] >= enrolment("consent_date").replace("", "9999"))
        & (logs["day"] <= enrolment("discharge_date").replace("", "9999"))
    ].copy()
    clock = counted["start_time"].str[-8:].where(counted["start_time"].str.len() > 5, counted["start_time"])
    hours, minutes = pd.to_numeric(clock.str[:2], errors="coerce"), pd.to_numeric(clock.str[3:5], errors="coerce")
    counted["start"] = hours * 60 + minutes
    stays = read(program, "facility_stays.csv")
    counted = cut_at_stay_times(counted, stays)
    counted = counted[~in_a_stay(counted, stays)]
    timed = counted[counted["start"].notna()].sort_values(["patient_id", "staff_id", "day", "start"])
    timed["end"] = timed["start"] + timed["minutes"]
    person_day = [timed["patient_id"], timed["staff_id"], timed["day"]]
    reached = timed["end"].groupby(person_day).cummax().groupby(person_day).shift(1)
    timed["minutes"] = np.where(
        reached.isna(), timed["minutes"], (timed["end"] - np.maximum(timed["start"], reached)).clip(lower=0)
    )
    untimed = counted[counted["start"].isna()].drop_duplicates(["patient_id", "staff_id", "day", "minutes", "activity_type"])
    both = pd.concat([timed, untimed])
    return both.groupby(["patient_id", "month"])["minutes"].sum()


def test_countable_minutes_key_matches_the_time_logs(program, key):
    expected = read(program, "_answer_key/countable_minutes.csv")
    expected = expected.set_index(["patient_id", "service_month"])["countable_minutes"].astype(int)
    got = countable_minutes(program, key).reindex(expected.index, fill_value=0)
    assert (got.to_numpy() == expected.to_numpy()).all()


def test_minutes_straddle_the_billing_thresholds(program):
    minutes = read(program, "_answer_key/countable_minutes.csv")["countable_minutes"].astype(int)
    minutes = minutes[minutes > 0]
    for lo, hi, least in [(16, 35, 0.2), (36, 85, 0.3), (86, 10_000, 0.06)]:
        assert minutes.between(lo, hi).mean() > least, (lo, hi)
    for edge in [15, 16, 30, 31, 35, 36, 85, 86]:
        assert (minutes == edge).sum() >= 20, edge


def test_episodes_pause_for_six_months_and_start_again(program):
    months = read(program, "_answer_key/countable_minutes.csv")
    months = months[months["countable_minutes"].astype(int) > 0]
    index = pd.PeriodIndex(months["service_month"], freq="M").astype("int64")
    gap = pd.Series(index, index=months.index).groupby(months["patient_id"]).diff()
    assert (gap >= 7).sum() >= 20  # 6 empty months between two months of care


def test_traps_are_what_the_key_says(program, key):
    logs = read(program, "time_logs.csv")
    traps = read(program, "_answer_key/planted_traps.csv").astype({"line": int})
    assert set(traps["trap"]) >= {"exact_duplicate", "overlapping_interval", "late_evening_month_end", "before_consent"}
    planted = lambda trap: logs.loc[traps.loc[traps["trap"] == trap, "line"] - 2]  # noqa: E731
    duplicates = planted("exact_duplicate")
    first = logs.drop(index=duplicates.index).set_index("entry_id").loc[duplicates["entry_id"]]
    assert (first.to_numpy() == duplicates.drop(columns="entry_id").to_numpy()).all()
    day = pd.to_datetime(planted("late_evening_month_end")["service_date"])
    assert (day.dt.strftime("%H:%M") == "23:30").all() and day.dt.is_month_end.all()
    across = planted("across_midnight_month_end")
    start = pd.to_datetime(across["service_date"])
    end = start + pd.to_timedelta(across["minutes"].astype(float), unit="min")
    assert len(across) >= 1 and start.dt.is_month_end.all() and (end.dt.month != start.dt.month).all(), \
        "entries that run past a month's last midnight (their minutes count whole in the month they start in)"


# --- outcomes ---------------------------------------------------------------------------------


def test_outcome_rates_land_in_the_published_range(program, key):
    scores = without_dirty(read(program, "assessments.csv"), key, "assessments.csv")
    phq = scores[scores["instrument"] == "PHQ-9"].assign(
        day=lambda f: pd.to_datetime(f["administered_on"].str[:10]), total=lambda f: f["total_score"].astype(int)
    )
    phq = phq.sort_values(["patient_id", "day", "administered_on"])
    baseline = phq.groupby("patient_id").first()
    since = (phq["day"] - phq["patient_id"].map(baseline["day"])).dt.days
    window = phq[since.between(120, 240)].groupby("patient_id").last()
    eligible = baseline.index[baseline["total"] >= 10]
    measured = window.reindex(eligible).dropna(subset=["total"])
    base = baseline.loc[measured.index, "total"]
    assert (measured["total"] <= 0.5 * base).mean() == pytest.approx(0.40, abs=0.08)
    assert (measured["total"] < 5).mean() == pytest.approx(0.27, abs=0.06)
    no_follow_up = 1 - phq.loc[since > 0, "patient_id"].nunique() / len(baseline)
    assert 0.2 <= no_follow_up <= 0.35
    item9 = (phq["item_9"].astype(int) > 0).mean()
    assert item9 == pytest.approx(0.05, abs=0.02)
    same_day = scores.groupby(["patient_id", "instrument", scores["administered_on"].str[:10]]).size()
    assert (same_day > 1).sum() >= 10


# --- minutes splitting ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 240), st.integers(1, 16)), min_size=1, max_size=30), st.integers(0, 9))
def test_split_minutes_adds_up_exactly(months, seed):
    totals = np.array([t for t, _ in months])
    counts = np.array([min(c, t) for t, c in months])
    parts = split_minutes(np.random.default_rng(seed), totals, counts)
    assert (parts >= 1).all()
    sums = np.bincount(np.repeat(np.arange(len(totals)), counts), parts, minlength=len(totals))
    assert (sums == totals * (counts > 0)).all()


# --- claims -----------------------------------------------------------------------------------


def hand_made_expected_lines() -> pd.DataFrame:
    """40 patients x 6 months: CoCM (99492/99493, some 99494 and G2214) and a few general BHI."""
    rows = []
    for i in range(40):
        pid, npi = f"P{i + 1:07d}", "1234567893"
        for m in range(6):
            month = f"2024-{m + 1:02d}"
            payer = "Medicaid" if i % 10 == 9 else "Medicare"
            if i % 10 == 9:
                rows.append((pid, month, "99484", 1, npi, payer, 53.0, "subsequent"))
            elif m == 0:
                rows.append((pid, month, "99492", 1, npi, payer, 145.0, "initial"))
                if i % 3 == 0:
                    rows.append((pid, month, "99494", 1, npi, payer, 56.0, "initial"))
            elif m == 3 and i % 4 == 0:
                rows.append((pid, month, "G2214", 1, npi, payer, 70.0, "subsequent"))
            elif not (m == 4 and i % 5 == 0):  # a month without a billable code
                rows.append((pid, month, "99493", 1, npi, payer, 134.0, "subsequent"))
                if i % 4 == 1:
                    rows.append((pid, month, "99494", 2, npi, payer, 112.0, "subsequent"))
    return pd.DataFrame(rows, columns=EXPECTED_COLUMNS)


def billing_claims(folder: Path) -> pd.DataFrame:
    """The claim lines of claims.csv that bill the expected lines: write_claims also writes an office
    visit (E/M) per patient, the initiating visit reconciliation looks for, which is not one of them."""
    claims = read(folder, "claims.csv")
    assert (claims["procedure_code"] == VISIT_CODE).any()
    return claims[claims["procedure_code"] != VISIT_CODE]


def findings_in(claims: pd.DataFrame, expected: pd.DataFrame) -> tuple[set, pd.Index]:
    """Compare claims with expected lines month by month: what is wrong, and which months are clean."""
    claims = claims.assign(service_month=claims["date_of_service"].str[:7])
    pair = ["patient_id", "service_month"]
    lines = lambda f: f.groupby(pair).apply(  # noqa: E731
        lambda g: sorted(zip(g["code"], g["units"].astype(int))), include_groups=False
    )
    want = lines(expected)
    got = lines(claims.rename(columns={"procedure_code": "code"}))
    status = claims.groupby(pair)["claim_status"].agg(set)
    npis = claims.groupby(pair)["billing_provider_npi"].agg(set)
    treating = expected.groupby(pair)["billing_provider_npi"].agg(set)
    claim_ids = claims.groupby(pair)["claim_id"].nunique()
    found, clean = set(), []
    for month in want.index.union(got.index):
        if month[0] not in set(expected["patient_id"]):
            found.add((*month, "unknown_patient"))
        elif month not in got.index:
            found.add((*month, "missed_billing"))
        elif month not in want.index:
            found.add((*month, "unsupported_claim"))
        elif status[month] == {"denied"}:
            found.add((*month, "denied_claim"))
        elif npis[month] != treating[month]:
            found.add((*month, "wrong_billing_npi"))
        elif claim_ids[month] > 1:
            found.add((*month, "duplicate_claim"))
        elif [c for c, _ in got[month]] == sorted([c for c, _ in want[month]] + ["99484"]):
            found.add((*month, "same_month_conflict"))
        elif [c for c, _ in got[month]] != [c for c, _ in want[month]]:
            found.add((*month, "wrong_code"))
        elif got[month] != want[month]:
            found.add((*month, "units_mismatch"))
        else:
            clean.append(month)
    return found, pd.MultiIndex.from_tuples(clean, names=pair)


def test_write_claims_plants_exactly_the_recorded_mistakes(tmp_path):
    expected = hand_made_expected_lines()
    path = write_claims(expected, tmp_path, seed=5, mistake_rate=0.3)
    claims = billing_claims(tmp_path)
    planted = read(tmp_path, "_answer_key/planted_billing_errors.csv")

    assert list(claims.columns) == list(yaml.safe_load(CONTRACTS.read_text())["claims"]["columns"])
    assert path == tmp_path / "claims.csv"
    found, clean = findings_in(claims, expected)
    assert found == set(planted[["patient_id", "service_month", "finding"]].itertuples(index=False, name=None))
    assert set(planted["finding"]) == set(FINDINGS)
    assert not planted.duplicated(["patient_id", "service_month"]).any()
    months = expected.groupby(["patient_id", "service_month"]).ngroups
    assert len(planted) == round(0.3 * months)

    in_clean = claims.set_index(claims["patient_id"] + claims["date_of_service"].str[:7]).index.isin(
        clean.get_level_values(0) + clean.get_level_values(1)
    )
    paid = claims[in_clean]
    assert (paid["claim_status"] == "paid").all()
    ratio = paid["paid_amount"].astype(float) / paid["charge_amount"].astype(float)
    assert ratio.between(0.8, 1.0).all()


def test_a_planted_denied_claim_gives_the_payers_reason_and_no_other_line_does(tmp_path):
    """The demo shows why a line was denied: each denied claim of the planted denied_claim months has
    one CARC reason with its words on each of its lines; a line not denied has none."""
    write_claims(hand_made_expected_lines(), tmp_path, seed=5, mistake_rate=0.3)
    claims = read(tmp_path, "claims.csv")
    denied = claims[claims["claim_status"] == "denied"]
    planted = read(tmp_path, "_answer_key/planted_billing_errors.csv")
    assert set(zip(denied["patient_id"], denied["date_of_service"].str[:7])) == set(
        planted.loc[planted["finding"] == "denied_claim", ["patient_id", "service_month"]].itertuples(index=False, name=None))
    assert len(denied) and denied["denial_reason"].isin(list(DENIAL_REASONS)).all()
    assert (denied.groupby("claim_id")["denial_reason"].nunique() == 1).all()
    assert (claims.loc[claims["claim_status"] != "denied", "denial_reason"] == "").all()


def test_write_claims_is_deterministic_and_can_plant_nothing(tmp_path):
    expected = hand_made_expected_lines()
    write_claims(expected, tmp_path / "a", seed=5)
    write_claims(expected, tmp_path / "b", seed=5)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    write_claims(expected, tmp_path / "c", mistake_rate=0.0)
    found, _ = findings_in(billing_claims(tmp_path / "c"), expected)
    assert found == set()
    assert len(read(tmp_path / "c", "_answer_key/planted_billing_errors.csv")) == 0


def test_write_claims_writes_the_same_bytes_as_before_its_memory_was_cut(tmp_path):
    """The answer keys and tests depend on the exact claims a seed gives: these are the digests
    write_claims gave before it freed its frames early and wrote in chunks (pandas 3.1, polars 2.1).
    Change them only with a change meant to alter the claims. claims.csv changed once since: the
    contract's optional rendering_provider_npi column, written empty (without that column the bytes
    are those of digest 55a6b9ab...ef66130); and once more: the optional denial_reason column, a CARC
    reason on each denied line (without that column the bytes are those of digest 493d5fb3...8b5776a).
    The answer key is the same file."""
    write_claims(hand_made_expected_lines(), tmp_path, seed=5, mistake_rate=0.3)
    assert digests(tmp_path) == {
        "claims.csv": "39b32f1de1e3ded46d136938f822ec0c431b9d5c7ffc63583fa5780873b9d28c",
        "_answer_key/planted_billing_errors.csv": "5a4c3ceb987f25477e3f50490929d0ce56acb115ccfdb7f61050f2afd6b810b8",
    }


@pytest.mark.parametrize("rows", [0, 1, 7, 50])
def test_claims_written_in_chunks_equal_one_whole_write(tmp_path, rows):
    frame = pd.DataFrame({"claim_id": [f"C{i:09d}" for i in range(rows)], "units": np.arange(rows),
                          "charge_amount": np.linspace(0, 99.999, rows), "payer": ["a, \"b\""] * rows})
    columns = ["claim_id", "modifier", "units", "charge_amount", "payer"]
    _write_csv(frame, columns, tmp_path / "chunked.csv", chunk=7)
    pl.from_pandas(frame.reindex(columns=columns)).write_csv(tmp_path / "whole.csv", float_precision=2)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_wrong_npi_is_the_care_managers_or_consultants_when_a_roster_is_there(tmp_path):
    generate_program(tmp_path, patients=60, months=6, seed=4)
    patients = read(tmp_path, "patients.csv")
    patients = patients[patients["patient_id"].str.fullmatch(r"P\d{7}") & (patients["payer"] != "")]
    expected = pd.DataFrame(
        {
            "patient_id": patients["patient_id"],
            "service_month": "2024-02",
            "code": "99493",
            "units": 1,
            "billing_provider_npi": patients["treating_provider_npi"],
            "payer": patients["payer"],
            "expected_amount": 134.0,
            "month_type": "subsequent",
        }
    )
    write_claims(expected, tmp_path, seed=1, mistake_rate=0.5)
    planted = read(tmp_path, "_answer_key/planted_billing_errors.csv")
    claims = billing_claims(tmp_path)
    wrong = claims[claims["patient_id"].isin(planted.loc[planted["finding"] == "wrong_billing_npi", "patient_id"])]
    staff = read(tmp_path, "_answer_key/staff.csv")
    assert len(wrong) > 0
    assert wrong["billing_provider_npi"].isin(staff.loc[staff["role"] != "treating_practitioner", "npi"]).all()
    unknown = planted.loc[planted["finding"] == "unknown_patient", "patient_id"]
    assert len(unknown) > 0 and not unknown.isin(read(tmp_path, "patients.csv")["patient_id"]).any()
