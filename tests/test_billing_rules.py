"""Rules as data: the shipped ruleset, a program's file merged over it, and refused mistakes."""

from __future__ import annotations

from datetime import date

import pytest

from bcm_analytics.config.rules import RulesError, load_rules


def periods(rules, **where):
    frame = rules.periods.to_pandas()
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return frame


def write(tmp_path, text: str, name: str = "program_rules.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_shipped_default_given_as_the_rules_file_is_read_once():
    """`--rules .../default.yaml` named the ruleset 'bcm-default 2026.12 + bcm-default 2026.12' on
    every billing line and command output, as if a program file had been merged over the default."""
    from bcm_analytics.config.rules import DEFAULT_RULES

    rules = load_rules(DEFAULT_RULES)
    assert rules.id == "bcm-default 2026.12.2"
    assert rules.files == (DEFAULT_RULES,)


def test_default_ruleset_per_class_setting_and_date():
    rules = load_rules()
    assert rules.id == "bcm-default 2026.12.2"
    assert rules.payer_names == {"medicare": "medicare", "medicaid": "medicaid", "commercial": "commercial"}
    fqhc = periods(rules, payer_class="medicare", billing_setting="fqhc", program="cocm")
    assert list(zip(fqhc.code_set, fqhc.valid_from, fqhc.valid_to.astype(object).where(fqhc.valid_to.notna(), None))) == [
        ("cocm_g0512", date(2021, 1, 1), date(2026, 1, 1)),
        ("cocm_cpt", date(2026, 1, 1), None),
    ]
    bhi = periods(rules, payer_class="medicare", billing_setting="rhc", program="general_bhi")
    assert list(bhi.code_set) == ["bhi_g0511", "bhi_99484"]
    assert list(bhi.valid_from) == [date(2021, 1, 1), date(2025, 10, 1)]
    medicaid = periods(rules, payer_class="medicaid")
    assert set(medicaid.max_99494_units) == {4} and len(medicaid) == len(periods(rules, payer_class="medicare"))
    commercial = periods(rules, payer_class="commercial")
    assert set(commercial.code_set) == {"cocm_cpt", "bhi_99484"} and not commercial.bills_g2214.any()
    practice = periods(rules, payer_class="medicare", billing_setting="physician_practice", program="cocm").iloc[0]
    assert (practice.initial_code, practice.initial_from, practice.initial_base) == ("99492", 36, 70)
    assert (practice.subsequent_code, practice.subsequent_from, practice.subsequent_base) == ("99493", 31, 60)
    assert (practice.add_on_code, practice.add_on_step, practice.add_on_from_extra) == ("99494", 30, 16)
    assert (practice.fallback_code, practice.fallback_from, practice.fallback_to) == ("G2214", 16, 30)
    assert list(practice.countable_roles) == ["bhcm", "treating_practitioner"]


def test_program_file_maps_payers_overrides_settings_and_adds_a_class(tmp_path):
    path = write(tmp_path, """
ruleset: acme-health
version: "3"
payer_names:
  State Medicaid MCO: medicaid
  BCBS Michigan: bcbs_michigan
settings:
  g0511_replaced_on: 2025-07-01
payer_classes:
  medicaid:
    settings: {max_99494_units: 2}
    settings_from:
      2026-01-01: {max_99494_units: 3}
  bcbs_michigan:
    extends: commercial
    settings: {initial_code_once_per: calendar_year, count_psychiatric_consultant: true}
""")
    rules = load_rules(path)
    assert rules.id == "bcm-default 2026.12.2 + acme-health 3"
    assert rules.payer_names["state medicaid mco"] == "medicaid"
    assert rules.payer_names["medicare"] == "medicare"
    bhi = periods(rules, payer_class="medicare", billing_setting="fqhc", program="general_bhi")
    assert list(bhi.valid_from) == [date(2021, 1, 1), date(2025, 7, 1)]
    capped = periods(rules, payer_class="medicaid", billing_setting="physician_practice", program="cocm")
    assert list(zip(capped.valid_from, capped.max_99494_units)) == [(date(2021, 1, 1), 2), (date(2026, 1, 1), 3)]
    bcbs = periods(rules, payer_class="bcbs_michigan")
    assert set(bcbs.initial_code_once_per) == {"calendar_year"} and not bcbs.bills_g2214.any()
    assert all("psychiatric_consultant" in roles for roles in bcbs.countable_roles)
    assert rules.class_parents["bcbs_michigan"] == "commercial"


def test_rules_file_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("BCM_RULES", str(write(tmp_path, "payer_names: {Acme: medicaid}\n")))
    assert load_rules().payer_names["acme"] == "medicaid"


def test_program_fee_schedule_replaces_shipped_file_and_new_class_inherits(tmp_path):
    fees = tmp_path / "fees"
    fees.mkdir()
    (fees / "medicare_2025.csv").write_text(
        "code,effective_from,effective_to,amount,source,verified\n99492,2025-01-01,2025-12-31,150.5,contract 7,true\n"
    )
    path = write(tmp_path, "fee_schedules: fees\npayer_classes:\n  acme: {extends: medicare}\n")
    table = load_rules(path).fees().to_pandas()
    mine = table[(table.payer_class == "medicare") & (table.valid_from == date(2025, 1, 1))]
    assert list(zip(mine.code, mine.amount, mine.verified)) == [("99492", 150.5, True)]
    inherited = table[(table.payer_class == "acme") & (table.code == "99493") & (table.valid_from == date(2026, 1, 1))
                      & (table.billing_setting == "physician_practice")]  # 2026 has a rate per setting (phase 3)
    assert len(inherited) == 1 and not inherited.verified.iloc[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("settings: {max_99494_units: four}\n",
         "settings.max_99494_units: must be a whole number of 1 or more, or null for no cap (got 'four')"),
        ("settings: {count_consultant: true}\n", "settings.count_consultant: unknown setting"),
        ("payer_names: {Acme: tricare}\n", "payer_names.acme: no payer class named 'tricare'"),
        ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        cocm: {2026-01-01: cocm_cpt2}\n",
         "payer_classes.medicare.periods.fqhc.cocm.2026-01-01: no code set named 'cocm_cpt2'"),
        ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        cocm: {2026-01-15: cocm_cpt}\n",
         "payer_classes.medicare.periods.fqhc.cocm.2026-01-15: must be the first day of a month"),
        ("payer_classes:\n  medicare:\n    periods:\n      clinic:\n        cocm: {2026-01-01: cocm_cpt}\n",
         "payer_classes.medicare.periods.clinic: unknown billing setting"),
        ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        cocm: {2026-01-01: bhi_99484}\n",
         "code set 'bhi_99484' is for general_bhi, not cocm"),
        ("payer_classes:\n  acme: {extends: united}\n", "payer_classes.acme.extends: no payer class named 'united'"),
        ("settings: {countable_activities: [outreach, coffee]}\n", "settings.countable_activities: not in activity_types: coffee"),
        ("settings: {countable_roles: [bhcm, psychiatric_consultant]}\n", "settings.countable_roles: must be a list of roles"),
        ("code_sets:\n  mine: {program: cocm, monthly: {code: G0512, from_minutes: -5}}\n",
         "code_sets.mine.monthly.from_minutes: must be a positive number of minutes (got -5)"),
        ("code_sets:\n  mine: {program: cocm, monthly: {code: 99999, from_minutes: 20}}\n",
         "code_sets.mine.monthly.code: 99999 is not listed in claim_codes.cocm"),
        ("payer_class: {}\n", "payer_class: unknown key"),
        ("settings: {bills_g2214: yes please\n", "not valid YAML"),
        ("default_payer_class: self_pay\n", "default_payer_class: no payer class named 'self_pay'"),
        ('denial_advice: {"CO-16": resubmit}\n',  # the key is wrong: its words, not the advice's
         "denial_advice.CO-16: must be a reason code such as 16, 109 or A1, without its group (CO-) (got 'CO-16')"),
    ],
)
def test_a_rules_file_with_a_mistake_is_refused_naming_file_key_and_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_fee_file_with_a_mistake_is_refused(tmp_path):
    fees = tmp_path / "fees"
    fees.mkdir()
    bad = fees / "medicare_2025.csv"
    bad.write_text("code,effective_from,effective_to,amount,source,verified\n99492,2025-01-01,2025-12-31,lots,x,true\n")
    rules = load_rules(write(tmp_path, "fee_schedules: fees\n"))
    with pytest.raises(RulesError, match=r"medicare_2025.csv: line 2.amount: must be a number of dollars \(got 'lots'\)"):
        rules.fees()


def test_a_fee_file_no_rule_would_read_is_refused_not_ignored(tmp_path):
    # a file named for a class the rules do not have, or a fee for a code they never bill, was
    # read by nothing: the class's lines were priced at its parent's (shipped) rates without a word
    fees = tmp_path / "fees"
    fees.mkdir()
    header = "code,effective_from,effective_to,amount,source,verified\n"
    (fees / "blueshield_2026.csv").write_text(header + "99492,2026-01-01,2026-12-31,150,contract,true\n")
    rules = load_rules(write(tmp_path, "fee_schedules: fees\npayer_classes: {blue_shield: {extends: commercial}}\n"))
    with pytest.raises(RulesError) as refused:
        rules.fees()
    assert str(refused.value) == (f"{fees / 'blueshield_2026.csv'}: no payer class named 'blueshield' in the rules "
                                  "(did you mean 'blue_shield'?); a fee schedule file is named <payer class>_<year>.csv")
    (fees / "blueshield_2026.csv").rename(fees / "blue_shield_2026.csv")
    (fees / "blue_shield_2026.csv").write_text(header + "99492,2026-01-01,2026-12-31,150,contract,true\n"
                                                        "G0512,2026-01-01,2026-12-31,150,contract,true\n"
                                                        "9949,2026-01-01,2026-12-31,50,contract,true\n")
    with pytest.raises(RulesError) as refused:
        rules.fees()
    assert str(refused.value) == (f"{fees / 'blue_shield_2026.csv'}: line 4.code: 9949 is not a code the rules bill or "
                                  "recognise (claim_codes): correct the code, or remove the line")
    (fees / "blue_shield_2026.csv").write_text(header + "99492,2026-01-01,2026-12-31,150,contract,true\n"
                                                        "G0512,2026-01-01,2026-12-31,150,contract,true\n")
    fees_read = rules.fees().to_pandas()  # G0512 prices a claim billed with it (reconciliation)
    own = fees_read[(fees_read.payer_class == "blue_shield") & (fees_read.valid_from.astype(str) >= "2026-01-01")]
    assert set(own.code) == {"99492", "G0512"}


def test_a_fee_file_with_days_between_two_amounts_of_a_code_is_refused(tmp_path):
    # a mid-year amendment typed from 2026-08-01 instead of 2026-07-01: July's lines had no amount,
    # and only a line falling there ever said so ("no fee for 99492 in 2026"), naming no file
    fees = tmp_path / "fees"
    fees.mkdir()
    header = "code,effective_from,effective_to,amount,source,verified,billing_setting\n"
    (fees / "commercial_2026.csv").write_text(header + "99492,2026-01-01,2026-06-30,140,contract,true,\n"
                                                       "99492,2026-08-01,2026-12-31,150,amendment,true,\n"
                                                       "G2214,2026-07-01,2026-12-31,45,amendment,true,\n")
    rules = load_rules(write(tmp_path, "fee_schedules: fees\n"))
    with pytest.raises(RulesError) as refused:
        rules.fees()
    assert str(refused.value) == (
        f"{fees / 'commercial_2026.csv'}: line 3: no amount for 99492 (every setting) from 2026-07-01 to 2026-07-31, "
        "between line 2 and this one: make effective_from the day after the earlier line's effective_to")
    (fees / "commercial_2026.csv").write_text(header + "99492,2026-01-01,2026-06-30,140,contract,true,\n"
                                                       "99492,2026-07-01,2026-12-31,150,amendment,true,\n"
                                                       "G2214,2026-07-01,2026-12-31,45,amendment,true,\n")
    assert len(rules.fees().to_pandas().query("payer_class == 'commercial' and code == '99492'")) > 2  # a code may start mid-year


def test_missing_rules_file_is_refused(tmp_path):
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "nope.yaml")


# --- 2025-2026 rules as data (issue 10) ---------------------------------------------------------


def rows(rules, columns=("valid_from", "valid_to", "code_set"), **where) -> list[tuple]:
    frame = periods(rules, **where)
    return [tuple(None if v is None or v != v else v for v in r) for r in frame[list(columns)].itertuples(index=False)]


def test_fqhc_general_bhi_accepts_the_individual_codes_beside_g0511_through_2025_09():
    """2021: G0511. From 2025-01-01: the codes G0511 stood for (99484, G0323) accepted beside it.
    From 2025-10-01: 99484 in force, G0323 still accepted beside it (it read wrong_code)."""
    rules = load_rules()
    g0323 = {"code": "G0323", "role": "monthly", "from_minutes": 20.0}
    for setting in ("fqhc", "rhc"):
        bhi = periods(rules, payer_class="medicare", billing_setting=setting, program="general_bhi")
        assert [(r.code_set, r.valid_from, r.valid_to) for r in bhi.itertuples()] == [
            ("bhi_g0511", date(2021, 1, 1), date(2025, 10, 1)), ("bhi_99484", date(2025, 10, 1), None)]
        assert list(bhi.also_accepted.iloc[0]) == [
            {"code": "99484", "role": "monthly", "from_minutes": 20.0, "accepted_from": date(2025, 1, 1)},
            g0323 | {"accepted_from": date(2025, 1, 1)}]
        assert list(bhi.also_accepted.iloc[1]) == [g0323 | {"accepted_from": date(2025, 10, 1)}]
    cocm = periods(rules, payer_class="medicare", billing_setting="fqhc", program="cocm")
    assert list(zip(cocm.initial_code, cocm.valid_from)) == [("G0512", date(2021, 1, 1)), ("99492", date(2026, 1, 1))]


def test_medicare_advantage_bills_like_medicare_unless_overridden():
    rules = load_rules()
    same = ["billing_setting", "program", "valid_from", "code_set", "bills_g2214", "max_99494_units"]
    assert rows(rules, same, payer_class="medicare_advantage") == rows(rules, same, payer_class="medicare")
    assert rules.class_parents["medicare_advantage"] == "medicare"
    fees = rules.fees().to_pandas()
    assert len(fees[fees.payer_class == "medicare_advantage"]) == len(fees[fees.payer_class == "medicare"])


def test_g2214_and_the_99494_cap_are_decided_per_payer_name(tmp_path):
    """Regence (commercial) lists G2214; an MCO caps 99494 at 2 from 2026; Humana Gold is plain MA."""
    rules = load_rules(write(tmp_path, """
payer_names:
  Regence BlueShield: {payer_class: commercial, settings: {bills_g2214: true}}
  State MCO:
    payer_class: medicaid
    settings_from: {2026-01-01: {max_99494_units: 2}}
  Humana Gold: medicare_advantage
"""))
    assert rules.payer_names["regence blueshield"] == "commercial" and rules.payer_names["humana gold"] == "medicare_advantage"
    assert rules.profiled_payers == ("regence blueshield", "state mco")
    practice = dict(billing_setting="physician_practice", program="cocm")
    assert rows(rules, ["payer_profile", "bills_g2214"], payer_class="commercial", **practice) == [
        (None, False), ("regence blueshield", True)]
    assert rows(rules, ["payer_profile", "valid_from", "max_99494_units"], payer_class="medicaid", **practice) == [
        (None, date(2021, 1, 1), 4), ("state mco", date(2021, 1, 1), 4), ("state mco", date(2026, 1, 1), 2)]


def test_the_payer_beats_its_class_and_a_dated_class_setting(tmp_path):
    rules = load_rules(write(tmp_path, """
payer_names:
  Plan A: {payer_class: medicaid, settings: {max_99494_units: 3}}
payer_classes:
  medicaid:
    settings_from: {2026-01-01: {max_99494_units: 1}}
"""))
    assert rows(rules, ["payer_profile", "valid_from", "max_99494_units"], payer_class="medicaid",
                billing_setting="physician_practice", program="cocm") == [
        (None, date(2021, 1, 1), 4), (None, date(2026, 1, 1), 1), ("plan a", date(2021, 1, 1), 3)]


def test_a_program_that_bills_apcm_expects_the_add_ons_from_2026(tmp_path):
    """bills_apcm: the code set's base codes become G0568/G0569 (G0570 for BHI) from 2026-01-01,
    with no time threshold, no 99494 and no G2214; earlier months are unchanged."""
    rules = load_rules(write(tmp_path, "settings: {bills_apcm: true}\n"))
    cocm = periods(rules, payer_class="medicare", billing_setting="physician_practice", program="cocm")
    columns = ["valid_from", "initial_code", "initial_from", "subsequent_code", "subsequent_from", "add_on_code",
               "fallback_code", "bills_apcm", "mirror_initial_code", "mirror_subsequent_code"]
    assert [tuple(None if v != v else v for v in r) for r in cocm[columns].itertuples(index=False)] == [
        (date(2021, 1, 1), "99492", 36, "99493", 31, "99494", "G2214", False, None, None),
        (date(2026, 1, 1), "G0568", 0, "G0569", 0, None, None, True, "99492", "99493")]
    bhi = periods(rules, payer_class="medicare", billing_setting="fqhc", program="general_bhi")
    assert list(zip(bhi.valid_from, bhi.initial_code, bhi.bills_apcm)) == [
        (date(2021, 1, 1), "G0511", False), (date(2025, 10, 1), "99484", False), (date(2026, 1, 1), "G0570", True)]
    g0512 = periods(rules, payer_class="medicare", billing_setting="fqhc", program="cocm")
    assert list(zip(g0512.initial_code, g0512.bills_apcm)) == [("G0512", False), ("G0568", True)]
    assert rules.apcm_add_ons.to_pylist() == [
        {"code": "G0568", "mirror_code": "99492", "program": "cocm", "month_type": "initial", "billable_from": date(2026, 1, 1)},
        {"code": "G0569", "mirror_code": "99493", "program": "cocm", "month_type": "subsequent", "billable_from": date(2026, 1, 1)},
        {"code": "G0570", "mirror_code": "99484", "program": "general_bhi", "month_type": "any", "billable_from": date(2026, 1, 1)}]


def test_apcm_per_program_and_period(tmp_path):
    """CoCM only, and only from 2026-03 for Medicare: February 2026 still bills 99493."""
    rules = load_rules(write(tmp_path, """
payer_classes:
  medicare:
    settings_from: {2026-03-01: {bills_apcm: [cocm]}}
"""))
    cocm = periods(rules, payer_class="medicare", billing_setting="physician_practice", program="cocm")
    assert list(zip(cocm.valid_from, cocm.subsequent_code)) == [(date(2021, 1, 1), "99493"), (date(2026, 3, 1), "G0569")]
    bhi = periods(rules, payer_class="medicare", billing_setting="physician_practice", program="general_bhi")
    assert list(bhi.initial_code) == ["99484"]
    assert not periods(rules, payer_class="commercial").bills_apcm.any()


def test_texas_medicaid_bills_health_center_cocm_only_with_g0512_from_2025_03():
    rules = load_rules("texas_medicaid")
    assert rules.id == "bcm-default 2026.12.2 + texas-medicaid 2026.11"
    assert {s["url"] for s in rules.sources if s["file"] == "texas_medicaid.yaml"} == {
        "https://www.tmhp.com/news/2022-04-15-collaborative-care-model-become-benefit-texas-medicaid-june-1-2022",
        "https://www.tmhp.com/news/2025-01-10-cocm-services-provided-fqhc-and-rhc-providers"}
    for setting in ("fqhc", "rhc"):
        assert rows(rules, payer_class="medicaid", billing_setting=setting, program="cocm") == [
            (date(2025, 3, 1), None, "cocm_g0512")]
    assert rows(rules, payer_class="medicaid", billing_setting="physician_practice", program="cocm") == [
        (date(2022, 6, 1), None, "cocm_cpt")]
    assert rows(rules, payer_class="medicare", billing_setting="fqhc", program="cocm")[-1] == (date(2026, 1, 1), None, "cocm_cpt")


def test_north_carolina_medicaid_caps_99494_at_4_and_counts_the_consultant_from_2024_07():
    rules = load_rules("north_carolina_medicaid")
    got = periods(rules, payer_class="medicaid", billing_setting="physician_practice", program="cocm")
    assert [(r.valid_from, r.bills_g2214, r.max_99494_units, "psychiatric_consultant" in r.countable_roles)
            for r in got.itertuples()] == [
        (date(2021, 1, 1), False, 4, False), (date(2022, 3, 1), True, 4, False), (date(2024, 7, 1), True, 4, True)]
    assert rows(rules, ["valid_from", "code_set"], payer_class="medicaid", billing_setting="fqhc", program="cocm") == [
        (date(2022, 12, 1), "cocm_g0512"), (date(2024, 7, 1), "cocm_g0512")]
    assert not any("psychiatric_consultant" in r for r in periods(rules, payer_class="medicare").countable_roles)


def test_a_program_file_extends_a_state_ruleset(tmp_path):
    path = write(tmp_path, "ruleset: acme\nextends: texas_medicaid\npayer_names: {Superior HealthPlan: medicaid}\n")
    rules = load_rules(path)
    assert rules.id == "bcm-default 2026.12.2 + texas-medicaid 2026.11 + acme"
    assert [p.name for p in rules.files] == ["default.yaml", "texas_medicaid.yaml", path.name]
    assert rules.payer_names["superior healthplan"] == "medicaid"
    assert rows(rules, payer_class="medicaid", billing_setting="fqhc", program="cocm") == [(date(2025, 3, 1), None, "cocm_g0512")]


@pytest.mark.parametrize("text, message", [
    ("extends: kansas_medicaid\n", "kansas_medicaid: no such rules file, and no shipped ruleset of that name (shipped: "
                                   "north_carolina_medicaid, texas_medicaid)"),
    ("extends: texas_medicad\n", "texas_medicad: no such rules file, and no shipped ruleset of that name "
                                 "(did you mean 'texas_medicaid'?)"),
    ("code_sets:\n  mine: {program: cocm, monthly: {code: G0512, from_minutes: 60}, apcm: {initial: G0568, billable_from: 2026-01-01}}\n",
     "code_sets.mine: apcm needs an add-on code for monthly, as the code set has"),
    ("code_sets:\n  mine: {program: general_bhi, monthly: {code: '99484', from_minutes: 20}, apcm: {monthly: G0999, billable_from: 2026-01-01}}\n",
     "code_sets.mine.apcm.monthly: G0999 is not listed in claim_codes.apcm_behavioral_add_on"),
    ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        general_bhi: {2021-01-01: bhi_g0511, 2025-01-01: {also_accept: [cocm_cpt]}}\n",
     "payer_classes.medicare.periods.fqhc.general_bhi.2025-01-01: code set 'cocm_cpt' is for cocm, not general_bhi"),
    ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        general_bhi: {2021-01-01: bhi_g0511, 2025-01-01: {also_acept: [bhi_99484]}}\n",
     "payer_classes.medicare.periods.fqhc.general_bhi.2025-01-01.also_acept: unknown key; did you mean 'also_accept'?"),
    ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        general_bhi: {2021-01-01: bhi_g0511, 2025-10-01: {code_st: bhi_99484}}\n",
     "payer_classes.medicare.periods.fqhc.general_bhi.2025-10-01.code_st: unknown key; did you mean 'code_set'?"),
    ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        general_bhi: {2021-01-01: bhi_g0511, 2025-10-01: {code_set: bhi_9948, also_accept: [bhi_g0323]}}\n",
     "payer_classes.medicare.periods.fqhc.general_bhi.2025-10-01: no code set named 'bhi_9948'; did you mean 'bhi_99484'?"),
    ("payer_classes:\n  medicare:\n    periods:\n      fqhc:\n        general_bhi: {2021-01-01: bhi_g0511, 2025-10-01: {code_set: cocm_cpt}}\n",
     "payer_classes.medicare.periods.fqhc.general_bhi.2025-10-01: code set 'cocm_cpt' is for cocm, not general_bhi"),
    ("settings: {bills_apcm: [cocm, bhi]}\n", "settings.bills_apcm: must be true, false, or a list of programs (cocm, general_bhi)"),
    ("payer_names:\n  Acme: {payer_class: commercial, settings: {bills_g2214: yes, max_9494: 2}}\n",
     "payer_names.Acme.settings.max_9494: unknown setting; did you mean 'max_99494_units'?"),
    ("code_sets:\n  mine:\n    program: cocm\n    initial: {code: '99492', from_minutes: 36}\n"
     "    subsequent: {code: '99493', from_minutes: 31, base_minutes: 60}\n"
     "    add_on: {code: '99494', from_extra_minutes: 16, step_minutes: 30}\n",
     "code_sets.mine: initial.base_minutes is required with an add_on (where its steps start)"),
])
def test_2026_rules_mistakes_are_refused_in_one_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_fee_row_may_hold_for_one_billing_setting(tmp_path):
    """FQHC/RHC rates differ from a practice's: 99492 per setting, the add-on for every setting."""
    fees = tmp_path / "fees"
    fees.mkdir()
    (fees / "medicare_2026.csv").write_text(
        "code,effective_from,effective_to,amount,source,verified,billing_setting\n"
        "99492,2026-01-01,2026-12-31,153.19,s5 practice,false,physician_practice\n"
        "99492,2026-01-01,2026-12-31,160.32,s5 health centre,false,fqhc\n"
        "99492,2026-01-01,2026-12-31,160.32,s5 health centre,false,rhc\n"
        "G0568,2026-01-01,2026-12-31,161.66,s5 add-on,false,\n")
    table = load_rules(write(tmp_path, "fee_schedules: fees\n")).fees().to_pandas()
    mine = table[(table.payer_class == "medicare_advantage") & (table.valid_from == date(2026, 1, 1))]
    assert sorted(zip(mine.code, mine.billing_setting.fillna("every setting"), mine.amount)) == [
        ("99492", "fqhc", 160.32), ("99492", "physician_practice", 153.19), ("99492", "rhc", 160.32),
        ("G0568", "every setting", 161.66)]


@pytest.mark.parametrize("lines, message", [
    ("99492,2026-01-01,2026-12-31,150,a,false,\n99492,2026-06-01,2026-12-31,160,b,false,fqhc\n",
     "line 3: two amounts for 99492 (fqhc) in force on 2026-06-01 (also line 2)"),
    ("99492,2026-01-01,2026-12-31,150,a,false,clinic\n",
     "line 2.billing_setting: must be empty (every setting) or one of physician_practice, fqhc, rhc (got 'clinic')"),
    ("99492,2026-01-01,2026-12-31,-5,a,false,\n", "line 2.amount: must be a number of dollars, not negative (got '-5')"),
    ("99492,2026-01-01,2025-12-31,150,a,false,\n", "line 2: effective_from must not be after effective_to"),
    ("99492,2026-01-01,2026-12-31,150,a,maybe,\n", "line 2.verified: must be true or false (got 'maybe')"),
])
def test_a_fee_file_mistake_names_the_line(tmp_path, lines, message):
    fees = tmp_path / "fees"
    fees.mkdir()
    (fees / "medicare_2026.csv").write_text("code,effective_from,effective_to,amount,source,verified,billing_setting\n" + lines)
    with pytest.raises(RulesError) as refused:
        load_rules(write(tmp_path, "fee_schedules: fees\n")).fees()
    assert str(refused.value) == f"{fees / 'medicare_2026.csv'}: {message}"


def test_shipped_2026_fees_carry_the_reported_figures_and_the_apcm_add_ons():
    """The physician-practice amounts (a row for that setting, or for every setting), and the FQHC/RHC
    national rates of 99492-99494 beside them (billing_rules.md section 5)."""
    table = load_rules().fees().to_pandas()
    in_2026 = table[(table.payer_class == "medicare") & (table.valid_from == date(2026, 1, 1))]
    medicare = in_2026[in_2026.billing_setting.fillna("physician_practice") == "physician_practice"].set_index("code")
    assert medicare.amount.to_dict() == {"99492": 153.19, "99493": 138.71, "99494": 58.72, "99484": 55.04,
                                         "G2214": 58.01, "G0568": 161.66, "G0569": 145.96, "G0570": 57.78}
    for setting in ("fqhc", "rhc"):
        rates = in_2026[in_2026.billing_setting.fillna(setting) == setting].set_index("code").amount.to_dict()
        assert rates == {"99492": 160.32, "99493": 144.96, "99494": 61.46, "99484": 55.04,
                         "G2214": 58.01, "G0568": 161.66, "G0569": 145.96, "G0570": 57.78}
    assert not table.verified.any() and table.source.str.len().min() > 20
