"""Billing lines against an independent oracle, on random small programs (property-based).

Hypothesis writes a few patients (payer, clinic setting, program, consent date) with time-log
entries of random minutes on random days in 2024-2026, loads them through the real loader (the
`program` fixture of test_billing_engine) and compares the engine's billing lines, per
patient-month, with `oracle_lines`: plain Python written from the domain reference
docs/domain/billing_rules.md (sections s1-s4 below), its numbers typed from the reference rather
than read from the engine's rules file, so a wrong number in either shows. Where the reference
leaves a choice open, the oracle takes the engine's documented default and says where it is written.

The oracle covers, under the shipped default rules:
- which minutes count (s3): the consent day on, no consent no minutes; the care manager's and
  treating practitioner's BCM activities only (the psychiatric consultant, psychotherapy and
  administrative time never count); an untimed entry logged again under another id counts once;
  the calendar month of the service date (entries on a month's first and last days, and one
  late on a last day that runs past midnight);
- episodes (s2): a month of service is a month with countable minutes; 6 or more empty months in
  a row start a new episode; the first month of an episode is initial, strictly (not carried);
- minutes to codes (s1): 99492 from 36 / 99493 from 31 with 99494 units past 70 / 60 (and the
  Medicaid cap of 4), G2214 for 16 minutes up to the base code where the payer bills it (Medicare,
  Medicaid; not a commercial plan), 99484 at 20 with no midpoint;
- FQHC/RHC code by period (s4): G0512 at 60 for CoCM through 2025 and the practice codes from
  2026-01-01; G0511 at 20 for general BHI until 2025-09-30, then 99484; a commercial plan at a
  health centre takes the practice codes throughout.

Left to the fixture tests (test_billing_engine, test_billing_2026, test_billing_stays,
test_billing_coverage, test_reconcile): overlapping intervals (but an entry and its copy) and
time inside a separately billed service, entries exported as instants near a local midnight and
daylight saving, minutes to the second, discharges, hospital stays, coverage history, payer
profiles and every other setting, state rulesets, G0323, APCM, fees and reconciliation.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_billing_engine import RURAL, entry, patient, program  # noqa: F401 (program: a fixture)

from bcm_analytics.billing import billing_lines

# --- the oracle: docs/domain/billing_rules.md, by hand --------------------------------------------

PAYER_CLASS = {"Medicare": "medicare", "Medicaid": "medicaid", "Commercial": "commercial"}
SETTING = {"PP": "physician_practice", "FQ": "fqhc", "RH": "rhc"}  # test_billing_engine.CLINICS and RURAL
COUNTED_ROLES = {"bhcm", "treating_practitioner"}  # s3: BCM activities; the consultant's do not count by default
COUNTED_ACTIVITIES = {"follow_up_contact", "outreach", "care_coordination", "caseload_review"}  # s3 "Counted"
EPISODE_GAP = 6  # s2: a break of 6 or more empty months starts a new episode
G0511_LAST_MONTH = "2025-09"  # s4: G0511 accepted until 2025-09-30
G0512_LAST_MONTH = "2025-12"  # s4: from 2026-01-01 FQHC/RHC bill the physician-practice codes
# s1 caps 99494 for "NC Medicaid 4 a month; some plans 2" and s4 leaves Medicaid's codes to each state;
# the shipped medicaid class is Medicare's rules with NC's cap (docs/billing.md, Settings:
# "max_99494_units | null; medicaid 4"; default.yaml: "The default is Medicare's codes with NC
# Medicaid's cap"), so Medicaid bills G2214 and G0512/G0511 as Medicare does.
MEDICAID_99494_CAP = 4


def month_of(day: str) -> str:
    return day[:7]


def months_apart(earlier: str, later: str) -> int:
    (y0, m0), (y1, m1) = (map(int, earlier.split("-")), map(int, later.split("-")))
    return (y1 - y0) * 12 + m1 - m0


def countable_minutes(person: dict, entries: list[dict]) -> dict[str, Fraction]:
    """Minutes per calendar month of the entries that count (s3), each in the month of its service
    date, also when it runs past midnight into the next (docs/billing.md, Which minutes count: "An
    entry that runs past a month's last midnight counts whole in the month it starts in"). The same
    minutes logged twice count once (s3): an untimed entry with the same staff member, day, minutes
    and activity as another ("An entry without a start time logged again under another id ... counts
    once", ibid.), and a timed entry at the same time as another of the same staff member.
    s3 leaves out "minutes before the patient's consent date": an entry late on the day before the
    consent day that runs past midnight is judged whole by its service date (docs/billing.md, the
    status table: "the entry is before it (the consent day counts)"), as it is placed in its month."""
    consent = person["consent_date"]
    seen, months = set(), defaultdict(Fraction)
    for e in entries:
        key = (e["staff_id"], e["service_date"], e["start_time"], e["minutes"], e["activity_type"])
        if (not consent or e["service_date"] < consent or e["staff_role"] not in COUNTED_ROLES
                or e["activity_type"] not in COUNTED_ACTIVITIES or key in seen):
            continue
        seen.add(key)
        months[month_of(e["service_date"])] += Fraction(e["minutes"])
    return dict(months)


def month_types(months: list[str]) -> dict[str, str]:
    """Initial for an episode's first month of service, else subsequent (s2, strict CPT wording)."""
    types, last = {}, None
    for month in sorted(months):
        new_episode = last is None or months_apart(last, month) - 1 >= EPISODE_GAP
        types[month], last = ("initial" if new_episode else "subsequent"), month
    return types


def add_on_units(minutes: Fraction, base: int, cap: int | None) -> int:
    """99494: one unit from 16 minutes past the base, one more each further 30 (s1)."""
    extra = minutes - base
    units = int((extra + 14) // 30) if extra >= 16 else 0
    return units if cap is None else min(units, cap)


def cpt_cocm(minutes: Fraction, month_type: str, payer_class: str) -> list[tuple[str, int]]:
    base_code, billable_from, base = ("99492", 36, 70) if month_type == "initial" else ("99493", 31, 60)
    if minutes >= billable_from:
        cap = MEDICAID_99494_CAP if payer_class == "medicaid" else None
        units = add_on_units(minutes, base, cap)
        return [(base_code, 1)] + ([("99494", units)] if units else [])
    # s1: G2214 from 16 when the base code is not reached (an initial month's 31-35 too, the default),
    # and "a payer that does not recognise G2214 (most commercial plans ...)" bills nothing
    if minutes >= 16 and payer_class != "commercial":
        return [("G2214", 1)]
    return []


def codes_for(person: dict, month: str, minutes: Fraction, month_type: str) -> list[tuple[str, int]]:
    payer_class, setting = PAYER_CLASS[person["payer"]], SETTING[person["clinic_id"]]
    health_centre_codes = setting in ("fqhc", "rhc") and payer_class != "commercial"  # s4: commercial plans take CPT codes
    if person["program"] == "general_bhi":
        # s4: in 2025 an FQHC's 99484 is accepted "and G0511 stays accepted alongside" until
        # 2025-09-30. Which of the two a month is expected to bill is the engine's choice, G0511 with
        # 99484 accepted beside it (docs/billing.md, Each rule: "the codes G0511 stood for (99484,
        # G0323) accepted beside G0511 | 2025-01-01 to 2025-09-30").
        code = "G0511" if health_centre_codes and month <= G0511_LAST_MONTH else "99484"
        return [(code, 1)] if minutes >= 20 else []
    if health_centre_codes and month <= G0512_LAST_MONTH:
        return [("G0512", 1)] if minutes >= 60 else []
    return cpt_cocm(minutes, month_type, payer_class)


def oracle_lines(patients: list[dict], entries: list[dict]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    lines = {}
    for person in patients:
        own = [e for e in entries if e["patient_id"] == person["patient_id"]]
        minutes = countable_minutes(person, own)
        for month, month_type in month_types(list(minutes)).items():
            codes = codes_for(person, month, minutes[month], month_type)
            if codes:
                lines[(person["patient_id"], month)] = sorted(codes)
    return lines


# --- random programs -------------------------------------------------------------------------------

# The loader sets aside a date in the future: the last month is one that has ended (written 2026-12).
FIRST_MONTH, LAST_MONTH, LAST_DAY = date(2024, 1, 1), date(2026, 11, 1), date(2026, 11, 30)
# Monthly totals at the edges of every band of s1 (and the cap: 196 subsequent minutes is 99494 x5).
EDGES = [15, 16, 19, 20, 30, 31, 35, 36, 59, 60, 75, 76, 85, 86, 105, 106, 115, 116, 195, 196, 226]
STAFF = {"bhcm": "BCM1", "treating_practitioner": "TP1", "psychiatric_consultant": "PC1"}
COUNTED = [(role, activity) for role in sorted(COUNTED_ROLES) for activity in sorted(COUNTED_ACTIVITIES)]
NOT_COUNTED = [(role, activity) for role in STAFF for activity in ("follow_up_contact", "caseload_review", "psychotherapy",
                                                                    "administrative")
               if role not in COUNTED_ROLES or activity not in COUNTED_ACTIVITIES]
example_ids = itertools.count()  # the examples share one store: each writes patients of its own


def add_months(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def last_day(month: date) -> int:
    return (add_months(month, 1) - timedelta(days=1)).day


@st.composite
def days_in(draw, month: date) -> str:
    """A month's first or last day (a calendar-month boundary) as often as any other."""
    day = draw(st.one_of(st.sampled_from([1, last_day(month)]), st.integers(1, last_day(month))))
    return month.replace(day=day).isoformat()


@st.composite
def months_of_service(draw) -> list[date]:
    """Months with logged time; the gaps between them straddle the episode gap (5, 6, 7 empty)."""
    month = add_months(FIRST_MONTH, draw(st.integers(0, 34)))
    gaps = draw(st.lists(st.sampled_from([0, 0, 0, 1, 2, 5, 6, 7]), max_size=5))
    months = [month]
    for gap in gaps:
        month = add_months(month, gap + 1)
        if month > LAST_MONTH:
            break
        months.append(month)
    return months


@st.composite
def month_entries(draw, pid: str, month: date) -> list[dict]:
    """The month's time: counted activities adding up to a band edge or any total, split in one or
    two entries at a half minute (where consent falls between them, the month totals a half minute),
    now and then one of them logged twice, and time that never counts beside them. The
    first entry, on a month's last day, may start late in the evening and run past midnight into
    the next month; it is the only entry with a start time, so no two intervals overlap but its copy."""
    total = draw(st.one_of(st.sampled_from(EDGES), st.integers(1, 240)))
    cut = Fraction(draw(st.integers(0, 2 * total)), 2)
    rows = []
    for minutes in (m for m in (cut, total - cut) if m):
        role, activity = draw(st.sampled_from(COUNTED))
        day = draw(days_in(month))
        late = not rows and day.endswith(f"-{last_day(month)}") and draw(st.booleans())
        rows.append(dict(role=role, activity=activity, minutes=minutes, day=day,
                         start=draw(st.sampled_from(["22:30", "23:40", "23:59"])) if late else ""))
        if draw(st.integers(0, 9)) == 0:
            rows.append(dict(rows[-1]))
    for _ in range(draw(st.integers(0, 1))):
        role, activity = draw(st.sampled_from(NOT_COUNTED))
        rows.append(dict(role=role, activity=activity, minutes=draw(st.integers(1, 60)), day=draw(days_in(month)), start=""))
    return [entry(f"{pid}-{month:%Y%m}-{i}", pid, r["day"], float(r["minutes"]), activity=r["activity"], role=r["role"],
                  staff=STAFF[r["role"]], start=r["start"]) for i, r in enumerate(rows)]


@st.composite
def patients_with_time(draw, pid: str) -> tuple[dict, list[dict]]:
    months = draw(months_of_service())
    # Consent: now and then none, else a day from some weeks before the first month of time to two months into it.
    no_consent = draw(st.integers(0, 7)) == 0
    offset = draw(st.one_of(st.sampled_from([-1, 0, 1]), st.integers(-30, 60)))  # often on a month's first day
    consent = "" if no_consent else min(months[0] + timedelta(days=offset), LAST_DAY).isoformat()
    person = patient(pid, payer=draw(st.sampled_from(sorted(PAYER_CLASS))), clinic=draw(st.sampled_from(sorted(SETTING))),
                     program=draw(st.sampled_from(["cocm", "cocm", "general_bhi"])), consent=consent)
    return person, [e for month in months for e in draw(month_entries(pid, month))]


@st.composite
def programs(draw) -> tuple[list[dict], list[dict]]:
    example = next(example_ids)
    drawn = [draw(patients_with_time(f"X{example}P{i}")) for i in range(draw(st.integers(4, 8)))]
    return [p for p, _ in drawn], [e for _, entries in drawn for e in entries]


def engine_lines(con, patients: list[dict]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    frame = billing_lines(con, "2024-01", "2026-12")
    ours = frame[frame.patient_id.isin({p["patient_id"] for p in patients})]
    lines = defaultdict(list)
    for pid, month, code, units in zip(ours.patient_id, ours.service_month, ours.code, ours.units):
        lines[(pid, month)].append((code, int(units)))
    return {key: sorted(codes) for key, codes in lines.items()}


# The examples share the `program` fixture's store (hypothesis runs them all in one call of the
# test): each writes patients of new ids, and billing is per patient, so none reads another's lines.
# No shrinking: an example takes about 2 s to load and bill, and shrinking one ran past five
# minutes; the message names only the patients that differ, with their rows.
@settings(max_examples=15, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(programs())
def test_billing_lines_per_patient_month_match_the_oracle(program, load_rows, drawn):  # noqa: F811 (program: a fixture)
    patients, entries = drawn
    load_rows("clinics", [RURAL])  # beside the fixture's practice and FQHC
    con = program(patients, entries)
    expected, got = oracle_lines(patients, entries), engine_lines(con, patients)
    differing = {key: {"oracle": expected.get(key, []), "engine": got.get(key, [])}
                 for key in sorted(expected.keys() | got.keys()) if expected.get(key) != got.get(key)}
    wrong = {pid for pid, _ in differing}
    assert not differing, (differing, [p for p in patients if p["patient_id"] in wrong],
                           [e for e in entries if e["patient_id"] in wrong])
