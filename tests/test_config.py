"""Configuration as typed models: a misspelled key or a wrong value is refused in one line naming
the file, the key, and the nearest valid key or what the value must be; a file given by mistake
is refused without quoting it; identical content has one digest whatever its file or key order."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bcm_analytics.cli import cli
from bcm_analytics.config.definitions import DefinitionsError, load_definitions
from bcm_analytics.config.rules import RulesError, load_rules
from bcm_analytics.config.settings import SettingsError, load_settings


def write(tmp_path, text: str, name: str = "program.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refusal(error_type, load, path) -> str:
    with pytest.raises(error_type) as refused:
        load(path)
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- billing rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("setings: {}\n", "setings: unknown key; did you mean 'settings'?"),
    ("settings: {bills_g214: true}\n", "settings.bills_g214: unknown setting; did you mean 'bills_g2214'?"),
    ("payer_classes:\n  medicare: {setings: {}}\n", "payer_classes.medicare.setings: unknown key; did you mean 'settings'?"),
    ("payer_classes:\n  medicare: {settings_from: {2026-01-01: {max_9494_units: 2}}}\n",
     "payer_classes.medicare.settings_from.2026-01-01.max_9494_units: unknown setting; did you mean 'max_99494_units'?"),
    ("payer_classes:\n  medicare: {periods: {fqhcc: {}}}\n",
     "payer_classes.medicare.periods.fqhcc: unknown billing setting; did you mean 'fqhc'?"),
    ("payer_classes:\n  medicare: {periods: {fqhc: {cocn: {}}}}\n",
     "payer_classes.medicare.periods.fqhc.cocn: unknown program; did you mean 'cocm'?"),
    ("code_sets:\n  mine: {program: cocm, monthly: {code: G0512, from_minute: 60}}\n",
     "code_sets.mine.monthly.from_minute: unknown key; did you mean 'from_minutes'?"),
    ("payer_names: {Acme: medicar}\n", "payer_names.acme: no payer class named 'medicar'; did you mean 'medicare'?"),
    ("payer_classes:\n  medicare: {periods: {fqhc: {cocm: {2026-01-01: cocm_cptt}}}}\n",
     "payer_classes.medicare.periods.fqhc.cocm.2026-01-01: no code set named 'cocm_cptt'; did you mean 'cocm_cpt'?"),
])
def test_a_misspelled_rules_key_names_the_nearest_valid_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    assert refusal(RulesError, load_rules, path) == f"{path}: {expected}"


@pytest.mark.parametrize("text, expected", [
    ("settings: {bills_g2214: 'true'}\n", "settings.bills_g2214: must be true or false (got 'true')"),
    ("settings: {initial_code_once_per: month}\n", "settings.initial_code_once_per: must be episode or calendar_year (got 'month')"),
    ("settings: {episode_gap_months: 0}\n", "settings.episode_gap_months: must be a whole number of months, 1 or more (got 0)"),
    ("settings: {g0511_replaced_on: 2025-10-05}\n",
     "settings.g0511_replaced_on: must be the first day of a month: codes are monthly (got 2025-10-05)"),
    ("code_sets:\n  mine: {program: bhi, monthly: {code: G0511, from_minutes: 20}}\n",
     "code_sets.mine.program: must be cocm or general_bhi (got 'bhi')"),
    ("claim_codes: {cocm: []}\n", "claim_codes.cocm: must be a list of procedure codes (got [])"),
    ("version: 2026.10\n", "version: must be text"),
])
def test_a_wrong_rules_value_says_what_it_must_be(tmp_path, text, expected):
    path = write(tmp_path, text)
    assert refusal(RulesError, load_rules, path).startswith(f"{path}: {expected}")


def test_a_duplicate_key_is_refused_not_silently_replaced(tmp_path):
    path = write(tmp_path, "settings:\n  max_99494_units: 2\n  max_99494_units: 3\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 3: not valid YAML: duplicate key 'max_99494_units'"


def test_a_date_written_twice_once_in_quotes_is_refused_not_silently_replaced(tmp_path):
    # both read 2026-07-01: the checked mapping kept only the second, so commercial patients billed G0512
    path = write(tmp_path, "payer_classes:\n  commercial:\n    periods:\n      physician_practice:\n"
                           "        cocm: {2021-01-01: cocm_cpt, \"2021-01-01\": cocm_g0512}\n"
                           "    settings_from:\n      2026-07-01: {bills_g2214: true}\n      '2026-07-01 ': {max_99494_units: 2}\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 5: not valid YAML: duplicate key '2021-01-01'"
    path.write_text("settings_from:\n  2026-07-01: {bills_g2214: true}\n  '2026-07-01 ': {max_99494_units: 2}\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 3: not valid YAML: duplicate key '2026-07-01 '"
    path.write_text("settings_from:\n  2026-07-01: {bills_g2214: true}\n  2026-07-01: {max_99494_units: 2}\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 3: not valid YAML: duplicate key 2026-07-01"


def test_a_misspelt_payer_class_is_warned_of_as_a_class_that_applies_to_no_one(tmp_path):
    # `medicad:` made a new class beside medicaid: "rules valid", and Medicaid billed as before
    path = write(tmp_path, "payer_classes:\n  medicad:\n    settings: {max_99494_units: 1}\n")
    assert load_rules(path).classes_reaching_no_one() == [
        "payer_classes.medicad applies to no one: no payer name maps to it, no class extends it and it is not the "
        "default_payer_class (did you mean 'medicaid'?); map payer names to it under payer_names, or correct its name"]
    path.write_text("payer_classes:\n  oregon_medicaid: {extends: medicaid}\npayer_names:\n  Oregon Health Plan: oregon_medicaid\n")
    assert load_rules(path).classes_reaching_no_one() == []  # a new class a payer name reaches
    assert load_rules("default").classes_reaching_no_one() == []  # the shipped medicare_advantage waits for a program's names
    path.write_text("payer_classes:\n  medicare_advantage:\n    settings: {max_99494_units: 2}\n")
    assert load_rules(path).classes_reaching_no_one() == []  # ... and a program's settings for it are no misspelling


def test_periods_written_from_a_later_date_alone_are_warned_of_as_leaving_the_earlier_months_without_a_rule(tmp_path):
    # a file's periods replace the setting's whole list: only the new date left 2021-2026 unbillable, "rules valid"
    from bcm_analytics.config.rules import periods_cut_short

    path = write(tmp_path, "payer_classes:\n  medicaid:\n    periods:\n      physician_practice:\n"
                           "        cocm: {2027-01-01: cocm_cpt}\n")
    assert periods_cut_short(load_rules(path)) == [
        "payer_classes.medicaid.periods.physician_practice.cocm starts 2027-01-01, where the rules it extends start "
        "2021-01-01: a file's periods replace the setting's whole list, so no cocm code is billable for medicaid at "
        "physician_practice from 2021-01-01 to 2026-12-31; write the earlier periods too"]
    path.write_text("payer_classes:\n  medicaid:\n    periods:\n      physician_practice:\n"
                    "        cocm: {2021-01-01: cocm_cpt, 2027-01-01: cocm_cpt}\n")
    assert periods_cut_short(load_rules(path)) == []
    assert periods_cut_short(load_rules("texas_medicaid")) == []  # a state's later start is its own, not a cut
    path.write_text("payer_classes:\n  medicaid:\n    periods:\n      physician_practice:\n"
                    "        cocm: {2021-01-01: null, 2024-01-01: cocm_cpt}\n        general_bhi: {2022-01-01: null}\n")
    assert [w.split(" starts")[0] for w in periods_cut_short(load_rules(path))] == [  # a null first day is written, not cut
        "payer_classes.medicaid.periods.physician_practice.general_bhi"]
    path.write_text("payer_names: {BCBS: bcbs}\npayer_classes:\n  bcbs:\n    extends: commercial\n    periods:\n"
                    "      fqhc:\n        cocm: {2025-01-01: cocm_cpt}\n")
    assert [w.split(", where")[0] for w in periods_cut_short(load_rules(path))] == [  # a new class: against its parent's
        "payer_classes.bcbs.periods.fqhc.cocm starts 2025-01-01"]


def test_an_extends_that_names_no_file_says_so_at_its_key(tmp_path):
    path = write(tmp_path, "extends: oregon_medicad.yaml\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: extends: no such file {tmp_path / 'oregon_medicad.yaml'}"
    (tmp_path / "oregon_medicaid.yaml").write_text("settings: {max_99494_units: 2}\n")
    path.write_text("extends: oregon_medicaid\n")
    assert refusal(RulesError, load_rules, path).startswith(f"{path}: extends: oregon_medicaid: no such rules file, and no "
                                                            "shipped ruleset of that name (")
    assert refusal(RulesError, load_rules, path).endswith("); did you mean 'oregon_medicaid.yaml', the file beside it?")


def test_a_date_that_does_not_exist_is_refused_at_its_line_not_as_a_bug(tmp_path):
    # PyYAML raised a bare ValueError: "unexpected error (ValueError), a bug in bcm"
    path = write(tmp_path, "settings_from:\n  2027-02-30: {bills_g2214: true}\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 2: not valid YAML: 2027-02-30 is not a date (day is out of range for month)"
    path.write_text("settings_from:\n  2027-13-01: {bills_g2214: true}\n")
    assert refusal(RulesError, load_rules, path) == f"{path}: line 2: not valid YAML: 2027-13-01 is not a date (month must be in 1..12)"


def test_two_spellings_of_one_payer_name_in_a_file_are_refused(tmp_path):
    path = write(tmp_path, "payer_names:\n  Aetna: commercial\n  'aetna ': medicaid\n")
    assert refusal(RulesError, load_rules, path) == (
        f"{path}: payer_names: 'aetna ' and 'Aetna' are the same payer (names are matched ignoring case and surrounding "
        "spaces): keep one of the two")
    path.write_text("payer_names:\n  'Aetna ': medicaid\n")  # a program's file may still re-map a shipped name
    assert load_rules(path).payer_names["aetna"] == "medicaid"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_rules_file_saved_as_utf16_is_refused_as_such_not_called_binary(tmp_path, encoding):
    path = tmp_path / "program.yaml"
    path.write_bytes("payer_names:\n  Blue Shield PPO: commercial\n".encode(encoding))
    assert refusal(RulesError, load_rules, path) == (
        f"{path}: not a rules file as bcm reads it: saved as UTF-16 (Unicode) text; save it as UTF-8")


@pytest.mark.parametrize("encoding, expected", [
    ("cp1252", "not a fee schedule: byte 102 is not UTF-8 text; save it as UTF-8"),
    ("utf-16", "not a fee schedule as bcm reads it: saved as UTF-16 (Unicode) text; save it as UTF-8 "
               "(in Excel: Save As, CSV UTF-8)"),
])
def test_a_fee_schedule_in_another_encoding_is_refused_in_one_line(tmp_path, encoding, expected):
    # Excel on Windows saves "CSV" as cp1252 (the dash) or "Unicode text" as UTF-16: the user saw
    # "unexpected error (UnicodeDecodeError), a bug in bcm"
    fees = tmp_path / "fees"
    fees.mkdir()
    (fees / "medicare_2026.csv").write_bytes(("code,effective_from,effective_to,amount,source,verified\n"
                                              "99492,2026-01-01,2026-12-31,150.5,contract 7 \u2013 2026,true\n").encode(encoding))
    rules = load_rules(write(tmp_path, "fee_schedules: fees\n"))
    with pytest.raises(RulesError) as refused:
        rules.fees()
    assert str(refused.value) == f"{fees / 'medicare_2026.csv'}: {expected}"


def test_rules_digest_follows_content_not_file_name_or_key_order(tmp_path):
    one = write(tmp_path, "payer_names: {Acme: medicaid}\nsettings: {max_99494_units: 2}\n", "one.yaml")
    two = write(tmp_path, "settings:\n  max_99494_units: 2\npayer_names:\n  ACME : medicaid\n", "two.yaml")
    other = write(tmp_path, "payer_names: {Acme: medicaid}\nsettings: {max_99494_units: 3}\n", "three.yaml")
    digests = [load_rules(p).digest for p in (one, two, other)]
    assert digests[0] == digests[1] != digests[2]
    assert len(digests[0]) == 64 and load_rules().digest == load_rules().digest != digests[0]


def test_rules_digest_follows_the_fee_schedules(tmp_path):
    fees = tmp_path / "fees"
    fees.mkdir()
    (fees / "medicare_2025.csv").write_text("code,effective_from,effective_to,amount,source,verified\n"
                                            "99492,2025-01-01,2025-12-31,150.5,contract 7,true\n")
    contracted = write(tmp_path, "fee_schedules: fees\n")
    plain = write(tmp_path, "{}\n", "plain.yaml")
    assert load_rules(contracted).digest != load_rules(plain).digest == load_rules().digest


# --- outcome definitions ------------------------------------------------------------------------


def test_a_misspelled_definitions_key_is_refused_not_ignored(tmp_path):
    path = write(tmp_path, "outcome:\n  response_max_fracton: 0.4\n", "defs.yaml")
    assert refusal(DefinitionsError, load_definitions, path) == (
        f"{path}: outcome.response_max_fracton: unknown key; did you mean 'response_max_fraction'?")


@pytest.mark.parametrize("overrides, expected", [
    ({"outcome": {"response_max_fraction": 1.5}}, "outcome.response_max_fraction: must be a fraction from 0 to 1 (got 1.5)"),
    ({"outcome": {"remission_below": "5"}}, "outcome.remission_below: must be a whole-number score, 0 or more (got '5')"),
    ({"windows": {"12w": {"from": 120}}}, "windows.12w: `from` (120) must not be after `to` (98)"),
    ({"windows": {"6mo": {"from": 80, "to": 100}}}, "windows.6mo: unknown window; did you mean '6m'?"),
    ({"cohorts": {"period": "week"}}, "cohorts.period: must be quarter, month or year (got 'week')"),
    ({"caseload": {"band": "comercial"}}, "caseload.band: no band named 'comercial' under caseload.guidance"),
    ({"suppression": {"threshold": [1]}}, "suppression.threshold: must be a pair [low, high] of whole numbers (got [1])"),
    ({"instruments": {"PHQ-A": {"measure_as": "PHQ9"}}}, "instruments.PHQ-A.measure_as: no instrument named 'PHQ9'"),
])
def test_a_wrong_definition_value_says_what_it_must_be(overrides, expected):
    with pytest.raises(DefinitionsError) as refused:
        load_definitions(overrides=overrides)
    assert str(refused.value).startswith(f"overrides: {expected}")


def test_a_definitions_mistake_names_the_source_that_wrote_it(tmp_path):
    path = write(tmp_path, "process:\n  followup_within_days: -1\n", "defs.yaml")
    with pytest.raises(DefinitionsError, match=rf"^{path}: process.followup_within_days: must be a whole number of days"):
        load_definitions(path, overrides={"process": {"contacted_within_days": 20}})
    with pytest.raises(DefinitionsError, match=r"^overrides: process.contacted_within_days"):
        load_definitions(write(tmp_path, "process:\n  followup_within_days: 20\n", "ok.yaml"),
                         overrides={"process": {"contacted_within_days": -2}})


PATIENT_RECORD = "patient_id,first_name,birth_date\nP0001,Jane Roe,1961-04-02\n"


@pytest.mark.parametrize("name, content, expected", [
    ("export.csv", PATIENT_RECORD.encode(), "not a definitions file: expected a YAML file ending in .yaml or .yml"),
    ("export.yaml", PATIENT_RECORD.encode(), "not a definitions file: expected a mapping of keys to values, found text"),
    ("record.yaml", b"patient_id: P0001\nfirst_name: Jane Roe\n", "patient_id: unknown key; expected one of: version,"),
    ("broken.yaml", b"outcome: [Jane Roe, 1961-04-02\n", "line 2: not valid YAML"),
    ("binary.yaml", b"PK\x03\x04\x00\x00Jane Roe", "not a definitions file: it is a binary file, not YAML text"),
    ("latin.yaml", "version: 'Ren\u00e9e'\n".encode("latin-1"), "not a definitions file: byte 14 is not UTF-8 text; save it as UTF-8"),
])
def test_a_file_that_is_not_definitions_is_refused_without_quoting_it(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    message = refusal(DefinitionsError, load_definitions, path)
    assert message.startswith(f"{path}: {expected}")
    assert "Jane" not in message and "1961" not in message and "Ren" not in message


def test_bcm_outcomes_refuses_a_csv_as_definitions_in_one_line(tmp_path):
    export = tmp_path / "patients.yaml"
    export.write_text(PATIENT_RECORD)
    result = CliRunner().invoke(cli, ["outcomes", "--definitions", str(export), "--out", str(tmp_path / "o.csv"),
                                      "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert result.output == f"Error: {export}: not a definitions file: expected a mapping of keys to values, found text\n"
    assert "Traceback" not in result.output and "Jane" not in result.output


def test_definitions_digest_follows_content_not_file_or_key_order(tmp_path):
    a = write(tmp_path, "outcome: {response_max_fraction: 0.4, remission_below: 4}\n", "a.yaml")
    b = write(tmp_path, "outcome:\n  remission_below: 4\n  response_max_fraction: 0.40\n", "b.yaml")
    whole = load_definitions(overrides={"outcome": {"response_max_fraction": 1}}).digest
    assert load_definitions(a).digest == load_definitions(b).digest != load_definitions().digest
    assert load_definitions(overrides={"outcome": {"response_max_fraction": 1.0}}).digest == whole
    assert load_definitions(a).source.endswith("+ " + str(a))


# --- settings from the environment --------------------------------------------------------------


@pytest.mark.parametrize("environ, expected", [
    ({"BCM_TIMEZON": "America/Chicago"}, "environment: BCM_TIMEZON: unknown setting; did you mean BCM_TIMEZONE?"),
    ({"BCM_TIMEZONE": "Mars/Olympus"}, "environment: BCM_TIMEZONE: must be an IANA time zone name such as America/Chicago (got 'Mars/Olympus')"),
    ({"BCM_MEMORY_LIMIT": "plenty"}, "environment: BCM_MEMORY_LIMIT: must be an amount of memory such as 2GB, 512MB or 80% (got 'plenty')"),
    ({"BCM_MEMORY_LIMIT": "200%"}, "environment: BCM_MEMORY_LIMIT: a share of the computer's memory is more than 0% and at "
                                    "most 100% (got '200%')"),  # DuckDB refused it later, read as a bug in bcm
    ({"BCM_DEFINITIONS": "defs.yaml"}, "environment: BCM_DEFINITIONS: outcome definitions are not read from the environment: "
                                       "give them to a command with --definitions FILE, or make them the store's own with "
                                       "`bcm build --definitions FILE`"),  # set by analogy with BCM_RULES, and silently ignored
])
def test_a_wrong_environment_setting_is_refused(environ, expected):
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value) == expected


def test_settings_defaults_and_values():
    assert load_settings({}).model_dump() == {"BCM_DB": "bcm.duckdb", "BCM_TIMEZONE": "America/New_York",
                                              "BCM_MEMORY_LIMIT": "1.5GB", "BCM_RULES": None}
    chosen = load_settings({"BCM_TIMEZONE": "America/Chicago", "BCM_MEMORY_LIMIT": "1.5 GiB", "BCM_HOME": "/opt/other-tool"})
    assert (chosen.BCM_TIMEZONE, chosen.BCM_MEMORY_LIMIT) == ("America/Chicago", "1.5 GiB")


def test_bcm_refuses_a_misspelled_environment_variable_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("BCM_MEMORY_LIMT", "1GB")
    result = CliRunner().invoke(cli, ["billing", "--month", "2025-01", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1
    assert result.output == "Error: environment: BCM_MEMORY_LIMT: unknown setting; did you mean BCM_MEMORY_LIMIT?\n"


def test_config_tables_are_the_tables_pyarrow_made_from_the_rows():
    """The rules' and definitions' tables are made without pyarrow's conversion of Python values
    (it imports pandas): each must be the table that conversion made, byte for byte, or every
    store's marts would read as built with other rules after an upgrade."""
    import datetime as dt

    import pyarrow as pa

    from bcm_analytics.config.rules import PERIOD_SCHEMA, load_rules
    from bcm_analytics.config.tables import from_columns, from_rows
    from bcm_analytics.models.inputs import digest

    rules = load_rules("texas_medicaid")
    rows = rules.periods.to_pylist()
    assert digest(from_rows(rows, PERIOD_SCHEMA)) == digest(pa.Table.from_pylist(rows, schema=PERIOD_SCHEMA))
    assert from_rows([], PERIOD_SCHEMA).equals(pa.Table.from_pylist([], schema=PERIOD_SCHEMA))
    for columns in ({"a": [None]}, {"a": [[], []]}, {"a": [1, 2.5]}, {"a": [True, None]}, {"a": [["x"], []]},
                    {"a": [dt.date(2026, 1, 1), None], "b": ["x", None]}, {"a": [3], "b": [1.0]}):
        assert digest(from_columns(columns)) == digest(pa.table(columns)), columns


def test_definitions_changed_by_a_file_without_a_version_do_not_read_as_the_shipped_version(tmp_path):
    """An analyst's local_defs.yaml (remission below 4, no version:) was printed "definitions 2026.2",
    the shipped version, in `bcm outcomes`, on every page and in the measures file: a reader could
    not tell the local edit from the shipped file. A change without a version of its own is named
    after the version it changes, as a rules file without one is in the rules' id."""
    shipped = load_definitions().version
    local = write(tmp_path, "outcome: {remission_below: 4}\n", "local_defs.yaml")
    assert load_definitions(local).version == f"{shipped} + local_defs"
    assert load_definitions(local, overrides={"outcome": {"remission_below": 3}}).version == f"{shipped} + local_defs + overrides"
    versioned = write(tmp_path, "version: acme-2\noutcome: {remission_below: 4}\n", "acme.yaml")
    assert load_definitions(versioned).version == "acme-2"
    assert load_definitions(versioned, overrides={"outcome": {"remission_below": 3}}).version == "acme-2 + overrides"
    assert load_definitions(write(tmp_path, "{}\n", "empty.yaml")).version == shipped, "a file changing nothing is no edit"
    assert load_definitions("default").version == shipped
