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


def test_default_ruleset_per_class_setting_and_date():
    rules = load_rules()
    assert rules.id == "bcm-default 2026.11"
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
    assert rules.id == "bcm-default 2026.11 + acme-health 3"
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
    inherited = table[(table.payer_class == "acme") & (table.code == "99493") & (table.valid_from == date(2026, 1, 1))]
    assert len(inherited) == 1 and not inherited.verified.iloc[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("settings: {max_99494_units: four}\n",
         "settings.max_99494_units: must be a whole number of 1 or more, or null for no cap (got 'four')"),
        ("settings: {count_consultant: true}\n", "settings.count_consultant: unknown setting"),
        ("payer_names: {Acme: medicare_advantage}\n", "payer_names.acme: no payer class named 'medicare_advantage'"),
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


def test_missing_rules_file_is_refused(tmp_path):
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "nope.yaml")
