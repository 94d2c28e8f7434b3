"""write_claims: bill the billing engine's expected lines, with planted mistakes.

Which codes a month supports is the billing engine's job; this module only bills what it is
given. Most patient-months are billed exactly as expected; a share gets one realistic mistake
each, of the kinds auditors cite (billing_rules.md section 6), recorded in the answer key so
reconciliation can be scored finding by finding; a denied claim gives the payer's reason, a CARC
code with its words (DENIAL_REASONS). Each patient also has an office visit (E/M
99213) by the treating practitioner in the first billed month of every 12, as a real claims
export has: the initiating visit CoCM and BHI need (billing_rules.md section 4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from bcm_analytics.synthetic.npi import make_npis
from bcm_analytics.synthetic.writers import export_columns

FINDINGS = [
    "missed_billing",
    "unsupported_claim",
    "wrong_code",
    "units_mismatch",
    "same_month_conflict",
    "duplicate_claim",
    "wrong_billing_npi",
    "unknown_patient",
    "denied_claim",
]
(MISSED, UNSUPPORTED, WRONG_CODE, UNITS, CONFLICT, DUPLICATE, WRONG_NPI, UNKNOWN, DENIED) = range(len(FINDINGS))
FIT_ANY_MONTH = [MISSED, UNSUPPORTED, DUPLICATE, WRONG_NPI, UNKNOWN, DENIED]
COCM_CODES = ["99492", "99493", "99494", "G2214", "G0512"]
BHI_CODES = ["99484", "G0323", "G0511"]
BHI_AMOUNT = 53.00  # 99484 charge when the expected lines carry none to copy (2025 national, unverified)
VISIT_CODE, VISIT_AMOUNT = "99213", 92.00  # office E/M visit, established patient (placeholder charge)
CLAIM_ORDER = ["service_month", "patient_id", "claim", "add_on", "code"]
KEY_COLUMNS = ["patient_id", "service_month", "finding", "description"]
EXPECTED_COLUMNS = [
    "patient_id", "service_month", "code", "units", "billing_provider_npi", "payer", "expected_amount", "month_type",
]
# The payer's reason a denied claim gives (claims.denial_reason): claim adjustment reason codes (CARC)
# with their words, as a remittance writes them, and how often each is drawn
DENIAL_REASONS = {
    "CO-16: Claim/service lacks information or has submission/billing error(s).": 0.35,
    "CO-50: These are non-covered services because this is not deemed a 'medical necessity' by the payer.": 0.15,
    "CO-97: The benefit for this service is included in the payment/allowance for another service/procedure "
    "that has already been adjudicated.": 0.15,
    "CO-29: The time limit for filing has expired.": 0.15,
    "CO-109: Claim/service not covered by this payer/contractor. You must send the claim/service to the correct "
    "payer/contractor.": 0.10,
    "PR-27: Expenses incurred after coverage terminated.": 0.10,
}


def write_claims(expected_lines: pd.DataFrame, out_dir, *, seed: int = 7, mistake_rate: float = 0.04) -> Path:
    """Write claims.csv and _answer_key/planted_billing_errors.csv into out_dir; return the claims path."""
    out = Path(out_dir)
    rng = np.random.default_rng([seed, 2])
    lines = _expected(expected_lines)
    plan = _plan(rng, _patient_months(lines), lines, mistake_rate)
    claims, key = _bill(rng, lines, plan, out)
    typical = _typical(lines)
    # 10M time-log rows bill 2M claim lines: each copy of them is let go as soon as it is done with
    del lines
    claims = claims.sort_values(CLAIM_ORDER, kind="stable", ignore_index=True)
    claims = _finish(rng, claims, typical)
    # drawn apart (a generator of their own): the claims' other values are those a seed gave before
    claims["denial_reason"] = _denial_reasons(np.random.default_rng([seed, 3]), claims)
    (out / "_answer_key").mkdir(parents=True, exist_ok=True)
    path = out / "claims.csv"
    _write_csv(claims, export_columns("claims"), path)
    pl.from_pandas(key[KEY_COLUMNS]).write_csv(out / "_answer_key" / "planted_billing_errors.csv")
    return path


def _write_csv(claims: pd.DataFrame, columns: list[str], path: Path, chunk: int = 250_000) -> None:
    """claims' columns (those it lacks stay empty) as CSV, a chunk of rows at a time: each value is
    written as a whole-frame write would, without a second copy of every line in memory."""
    with open(path, "wb") as f:
        for start in range(0, max(len(claims), 1), chunk):
            part = claims.iloc[start:start + chunk].reindex(columns=columns)
            pl.from_pandas(part).write_csv(f, include_header=start == 0, float_precision=2)


def _expected(expected_lines: pd.DataFrame) -> pd.DataFrame:
    """Expected lines in a fixed order (base codes before add-ons), with a patient-month number."""
    missing = set(EXPECTED_COLUMNS) - set(expected_lines.columns)
    if missing:
        raise ValueError(f"expected_lines lacks columns: {sorted(missing)}")
    lines = expected_lines[EXPECTED_COLUMNS].copy()
    for col in ["patient_id", "code", "billing_provider_npi", "payer", "month_type"]:
        lines[col] = lines[col].astype(str)
    # "2025-01", a first-of-month date or a timestamp: all become "2025-01"
    lines["service_month"] = lines["service_month"].astype(str).str[:7]
    lines["code"] = lines["code"].str.upper()
    lines["units"] = lines["units"].astype(np.int64)
    lines["expected_amount"] = lines["expected_amount"].astype(float)
    lines["add_on"] = lines["code"] == "99494"
    lines = lines.sort_values(["patient_id", "service_month", "add_on", "code"], kind="stable", ignore_index=True)
    lines["patient_month"] = lines.groupby(["patient_id", "service_month"], sort=False).ngroup()
    lines["label"] = lines["code"] + np.where(lines["units"] > 1, " x" + lines["units"].astype(str), "")
    return lines


def _patient_months(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per patient-month: its first (base) line and which mistakes it can carry."""
    flags = pd.DataFrame(
        {
            "patient_month": lines["patient_month"],
            "wrong_code": ((lines["code"] == "99492") & (lines["month_type"] == "initial"))
            | ((lines["code"] == "99493") & (lines["month_type"] == "subsequent")),
            "add_on": lines["add_on"],
            "cocm": lines["code"].isin(COCM_CODES),
            "bhi": lines["code"].isin(BHI_CODES),
        }
    ).groupby("patient_month").any()
    first = lines.groupby("patient_month").head(1).set_index("patient_month")
    months = first[["patient_id", "service_month", "code", "billing_provider_npi"]].join(flags)
    return months


def _plan(rng: np.random.Generator, months: pd.DataFrame, lines: pd.DataFrame, rate: float) -> pd.DataFrame:
    """Which patient-months get a mistake, and which: about equal numbers of each kind.

    Kinds that fit only some months (an add-on to over-bill, a base code to swap, a CoCM code to
    put BHI beside) take their share first, from the months they fit.
    """
    count = int(round(rate * len(months)))
    chosen = np.sort(rng.choice(len(months), count, replace=False))
    picked = months.iloc[chosen]
    finding = np.full(count, -1)
    share = int(np.ceil(count / len(FINDINGS)))
    for kind, fits in [
        (UNITS, picked["add_on"]),
        (WRONG_CODE, picked["wrong_code"]),
        (CONFLICT, picked["cocm"] & ~picked["bhi"]),
    ]:
        free = np.flatnonzero((finding < 0) & fits.to_numpy())
        finding[rng.choice(free, min(share, len(free)), replace=False)] = kind
    rest = np.flatnonzero(finding < 0)
    finding[rest] = rng.permutation(np.resize(FIT_ANY_MONTH, len(rest)))
    plan = picked.assign(finding=finding, target_month=picked["service_month"], codes=_codes(lines, picked.index))
    unsupported = plan["finding"] == UNSUPPORTED
    plan.loc[unsupported, "target_month"] = _free_months(plan[unsupported], lines)
    no_room = plan["target_month"].isna()  # no free month within six: bill this one twice instead
    plan.loc[no_room, "finding"] = DUPLICATE
    plan.loc[no_room, "target_month"] = plan.loc[no_room, "service_month"]
    return plan


def _codes(lines: pd.DataFrame, patient_months: pd.Index) -> pd.Series:
    """What each patient-month supports, written out: '99493 + 99494 x2'."""
    lines = lines[lines["patient_month"].isin(patient_months)]
    rank = lines.groupby("patient_month").cumcount()
    codes = pd.Series("", index=patient_months, dtype=object)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        label = lines.loc[rank == r].set_index("patient_month")["label"].reindex(patient_months)
        codes = codes.where(label.isna(), codes + np.where(r > 0, " + ", "") + label.fillna(""))
    return codes


def _free_months(plan: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """A month near each planned one in which the patient has no expected line (nor another plant).

    Patient-months are compared as integers (patient code x 10^5 + month number): fast at
    millions of lines where string pairs are not.
    """
    codes, _ = pd.factorize(pd.concat([lines["patient_id"], plan["patient_id"]], ignore_index=True))
    patient = codes[len(lines):].astype(np.int64) * 100_000
    month_number = lambda months: months.to_numpy(dtype="datetime64[M]").astype(np.int64)  # noqa: E731
    supported = np.sort(codes[: len(lines)].astype(np.int64) * 100_000 + month_number(lines["service_month"]))
    base = month_number(plan["service_month"])
    # stay inside the program's months: a claim after the export date is quarantined, never reconciled
    first, last = month_number(lines["service_month"]).min(), month_number(lines["service_month"]).max()
    none = np.iinfo(np.int64).min
    free = np.full(len(plan), none)
    for offset in [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]:  # later first: earlier may precede consent
        candidate = patient + base + offset
        at = np.minimum(np.searchsorted(supported, candidate), len(supported) - 1)
        # one offset never gives two plants the same month: plants are distinct patient-months
        inside = (base + offset >= first) & (base + offset <= last)
        fits = (free == none) & inside & (supported[at] != candidate) & ~np.isin(candidate, patient + free)
        free[fits] = base[fits] + offset
    months = pd.Series(free.astype("datetime64[M]").astype(str), index=plan.index, dtype=object)
    return months.where(free != none)


def _bill(rng: np.random.Generator, lines: pd.DataFrame, plan: pd.DataFrame, out: Path):
    """Claim lines (clean months billed as expected, planned months each with its mistake) and the key.

    Claim numbers: 4 x patient-month for the month's own claim, +1 a duplicate, +2 a claim in
    a month without support, +3 a claim under an unknown patient id.
    """
    of = {f: plan.index[plan["finding"] == k] for k, f in enumerate(FINDINGS)}
    billed = lines[~lines["patient_month"].isin(of["missed_billing"])].copy()
    billed["claim"] = billed["patient_month"] * 4
    billed["expected_code"] = billed["code"]
    billed["status"] = np.where(billed["patient_month"].isin(of["denied_claim"]), "denied", "paid")

    swap = {"99492": "99493", "99493": "99492"}
    wrong = billed["patient_month"].isin(of["wrong_code"]) & billed["code"].isin(swap)
    billed.loc[wrong, "code"] = billed.loc[wrong, "code"].map(swap)
    extra = billed["add_on"] & billed["patient_month"].isin(of["units_mismatch"])
    billed.loc[extra, "expected_amount"] *= (billed["units"] + 1) / billed["units"]
    billed.loc[extra, "units"] += 1
    other_npi, who = _other_npis(rng, plan.loc[of["wrong_billing_npi"]], out)
    wrong_npi = billed["patient_month"].isin(of["wrong_billing_npi"])
    billed.loc[wrong_npi, "billing_provider_npi"] = billed.loc[wrong_npi, "patient_month"].map(other_npi)

    firsts = billed.groupby("patient_month").head(1).set_index("patient_month")
    unknown_ids = _unknown_ids(plan.loc[of["unknown_patient"], "patient_id"], lines, out)
    added = [
        _conflict_lines(firsts.loc[of["same_month_conflict"]]),
        _moved_lines(firsts.loc[of["duplicate_claim"]], 1),
        _moved_lines(firsts.loc[of["unsupported_claim"]], 2, service_month=plan["target_month"]).replace(
            {"code": {"99492": "99493"}}  # a second 99492 in the episode would be a second mistake
        ),
        _moved_lines(firsts.loc[of["unknown_patient"]], 3, patient_id=unknown_ids),
    ]
    claims = pd.concat([billed, *added, _visits(lines)], ignore_index=True)
    return claims.drop(columns=["month_type", "label", "patient_month"]), _key(plan, other_npi, who, unknown_ids)


def _visits(lines: pd.DataFrame) -> pd.DataFrame:
    """An office visit by the treating practitioner in each patient's first expected month of
    every 12 (counted from their first), on a claim of its own (negative claim numbers): every
    billed month then has a visit in the 12 months up to it."""
    month = lines["service_month"].to_numpy(dtype="datetime64[M]").astype(np.int64)
    first = pd.Series(month).groupby(lines["patient_id"].to_numpy()).transform("min").to_numpy()
    block = (month - first) // 12
    starts = lines.assign(_block=block).groupby(["patient_id", "_block"], sort=False).head(1)
    return starts.assign(code=VISIT_CODE, units=1, add_on=False, expected_code=VISIT_CODE, expected_amount=VISIT_AMOUNT,
                         status="paid", claim=-(starts["patient_month"] + 1)).drop(columns="_block")


def _conflict_lines(firsts: pd.DataFrame) -> pd.DataFrame:
    """A general-BHI 99484 line on the same claim as the month's CoCM code."""
    return firsts.reset_index().assign(code="99484", units=1, add_on=True)


def _moved_lines(firsts: pd.DataFrame, claim_offset: int, **replace: pd.Series) -> pd.DataFrame:
    """The month's base line billed once more on a claim of its own, with some fields replaced."""
    moved = firsts.reset_index()
    moved["claim"] = moved["patient_month"] * 4 + claim_offset
    for column, by_month in replace.items():
        moved[column] = moved["patient_month"].map(by_month)
    return moved


def _unknown_ids(patient_ids: pd.Series, lines: pd.DataFrame, out: Path) -> pd.Series:
    """A mistyped id (a digit too many) that names no patient in the registry.

    A loop, but over the few planted ids only; membership in a Python set is what stays fast
    (pandas isin against a million arrow strings takes seconds).
    """
    known = set(lines["patient_id"].tolist())
    if (out / "patients.csv").exists():
        registry = pd.read_csv(out / "patients.csv", usecols=["patient_id"], dtype=str)["patient_id"]
        known.update(registry.dropna().tolist())
    typed = []
    for patient_id in patient_ids.tolist():
        mistyped = patient_id + "9"
        while mistyped in known:
            mistyped += "9"
        known.add(mistyped)
        typed.append(mistyped)
    return pd.Series(typed, index=patient_ids.index, dtype=object)


def _other_npis(rng: np.random.Generator, planned: pd.DataFrame, out: Path) -> tuple[pd.Series, pd.Series]:
    """The patient's care manager's NPI (or the clinic consultant's), from the generated roster.

    Without a roster beside the exports (a hand-made expected_lines), fresh valid NPIs stand in.
    """
    months = planned.index
    staff_path, patients_path = out / "_answer_key" / "staff.csv", out / "patients.csv"
    if len(months) and staff_path.exists() and patients_path.exists():
        staff = pd.read_csv(staff_path, dtype=str)
        patients = pd.read_csv(patients_path, dtype=str, usecols=["patient_id", "clinic_id", "care_manager_id"])
        patients = patients.dropna(subset=["patient_id"]).drop_duplicates("patient_id").set_index("patient_id")
        who = patients.reindex(planned["patient_id"])
        bcm_npi = who["care_manager_id"].map(staff.drop_duplicates("staff_id").set_index("staff_id")["npi"])
        consultants = staff[staff["role"] == "psychiatric_consultant"].drop_duplicates("clinic_id")
        pc_npi = who["clinic_id"].map(consultants.set_index("clinic_id")["npi"])
        use_pc = (rng.random(len(months)) < 0.3) & pc_npi.notna().to_numpy()
        npi = np.where(use_pc, pc_npi, bcm_npi)
        role = np.where(use_pc, "the psychiatric consultant's", "the care manager's")
        if not pd.isna(npi).any():
            return pd.Series(npi, index=months), pd.Series(role, index=months)
    npis = make_npis(rng, len(months))
    return pd.Series(npis, index=months, dtype=object), pd.Series("a care manager's", index=months)


def _finish(rng: np.random.Generator, claims: pd.DataFrame, typical: pd.Series) -> pd.DataFrame:
    """Claim ids, line numbers, dates of service and amounts, added to claims in CLAIM_ORDER."""
    claims["expected_amount"] = _charged(claims, typical)
    claim_number = claims.groupby("claim", sort=False).ngroup()
    claims["claim_id"] = "C" + (claim_number + 1).astype(str).str.zfill(9)
    claims["line_number"] = claims.groupby("claim", sort=False).cumcount() + 1
    month = claims["service_month"].to_numpy(dtype="datetime64[M]")
    last_day = (month + 1).astype("datetime64[D]") - 1
    mid_month = month.astype("datetime64[D]") + rng.integers(0, 28, len(claims))
    use_mid = pd.Series(rng.random(len(claims)) < 0.15).groupby(claim_number).transform("first").to_numpy()
    claims["date_of_service"] = np.datetime_as_string(np.where(use_mid, mid_month, last_day), unit="D")
    claims["date_of_service"] = claims.groupby("claim")["date_of_service"].transform("first")
    claims["procedure_code"] = claims["code"]
    claims["charge_amount"] = claims["expected_amount"].round(2)
    paid = (claims["charge_amount"] * rng.uniform(0.8, 1.0, len(claims))).round(2)
    claims["paid_amount"] = paid.where(claims["status"] != "denied", 0.0)
    claims["claim_status"] = claims["status"]
    return claims


def _denial_reasons(rng: np.random.Generator, claims: pd.DataFrame) -> pd.Series:
    """The payer's reason on each denied line, one per claim (a payer denying a claim says why once
    for its lines), from DENIAL_REASONS; empty on every other line."""
    denied = claims["claim_status"] == "denied"
    ids = claims.loc[denied, "claim_id"].unique()
    weights = np.array(list(DENIAL_REASONS.values()))
    drawn = rng.choice(len(DENIAL_REASONS), len(ids), p=weights / weights.sum())
    by_claim = dict(zip(ids, np.array(list(DENIAL_REASONS), dtype=object)[drawn]))
    return claims["claim_id"].map(by_claim).where(denied)


def _typical(lines: pd.DataFrame) -> pd.Series:
    """Each base code's usual amount: the median of its expected lines (99484's default if none)."""
    typical = lines[~lines["add_on"]].groupby("code")["expected_amount"].median()
    typical["99484"] = typical.get("99484", BHI_AMOUNT)
    return typical


def _charged(claims: pd.DataFrame, typical: pd.Series) -> pd.Series:
    """The expected amount, or for a code billed in place of another the code's usual amount."""
    usual = claims["code"].map(typical)
    replaced = claims["code"] != claims["expected_code"]
    return claims["expected_amount"].where(~replaced | usual.isna(), usual)


def _key(plan: pd.DataFrame, other_npi: pd.Series, who: pd.Series, unknown_ids: pd.Series) -> pd.DataFrame:
    finding = plan["finding"].map(dict(enumerate(FINDINGS)))
    codes, code = plan["codes"], plan["code"]
    describe = {
        "missed_billing": "supported " + codes + " not billed",
        "unsupported_claim": code.replace({"99492": "99493"}) + " billed in a month with no supporting minutes",
        "wrong_code": np.where(code == "99492", "99493 billed in an initial month (99492 expected)",
                               "99492 billed in a subsequent month (99493 expected)"),
        "units_mismatch": "99494 units one more than the minutes support (expected " + codes + ")",
        "same_month_conflict": "general BHI 99484 billed beside CoCM " + codes,
        "duplicate_claim": code + " billed twice, on two claims",
        "wrong_billing_npi": "billed under " + who.reindex(plan.index).fillna("")
        + " NPI " + other_npi.reindex(plan.index).fillna("")
        + " instead of the treating provider's " + plan["billing_provider_npi"],
        "unknown_patient": "claim for a patient id not in the registry (a mistyped " + plan["patient_id"] + ")",
        "denied_claim": "supported " + codes + " denied by the payer, paid 0",
    }
    description = pd.Series("", index=plan.index, dtype=object)
    for name, text in describe.items():
        mask = finding == name
        description[mask] = pd.Series(text, index=plan.index)[mask]
    patient = plan["patient_id"].where(finding != "unknown_patient", unknown_ids.reindex(plan.index))
    key = pd.DataFrame(
        {"patient_id": patient, "service_month": plan["target_month"], "finding": finding, "description": description}
    )
    return key.sort_values(["patient_id", "service_month"], ignore_index=True)
