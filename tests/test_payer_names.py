"""One payer written several ways is one payer (marts.payer_name).

Exports spell a payer as they please: "Medicare", "MEDICARE", "Medicare " and, for the same
payer, "Medicare Part B". Case and surrounding spaces never make two payers: the spelling on most
rows is the payer's name. Other differences are joined by the rules' `payer_aliases` (name as
exported -> payer name to use), read in one place that coverage, the registry, claims and the
`--payer` filters all go through. Under the default rules Medicare bills G2214 for 16-30 minutes;
an unmapped name bills as commercial, which does not.

Clinic PP is a physician practice in Chicago; every patient consented on 2024-12-01.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_models import differs_from_full

from bcm_analytics.billing import billing_lines
from bcm_analytics.billing.reconcile import findings, monthly_totals
from bcm_analytics.cli import cli
from bcm_analytics.models import current, refresh
from bcm_analytics.outcomes import prepare

NPI = "1234567893"


def patient(pid: str, payer: str) -> dict:
    return {"patient_id": pid, "clinic_id": "PP", "payer": payer, "program": "cocm", "care_manager_id": "BCM1",
            "treating_provider_npi": NPI, "enrollment_date": "2024-12-01", "consent_date": "2024-12-01",
            "birth_date": "1950-05-05"}


def minutes(pid: str, day: str, amount: int) -> dict:
    return {"entry_id": f"{pid}-{day}", "patient_id": pid, "staff_id": "BCM1", "staff_role": "bhcm",
            "service_date": day, "minutes": str(amount), "activity_type": "follow_up_contact", "contact_mode": "phone"}


def claim(claim_id: str, pid: str, day: str, code: str, payer: str) -> dict:
    return {"claim_id": claim_id, "line_number": "1", "patient_id": pid, "date_of_service": day, "procedure_code": code,
            "units": "1", "billing_provider_npi": NPI, "payer": payer, "charge_amount": "100", "paid_amount": "90",
            "claim_status": "paid"}


def cover(pid: str, payer: str, start: str) -> dict:
    return {"patient_id": pid, "payer": payer, "start_date": start, "end_date": ""}


def rules_file(tmp_path: Path, aliases: dict[str, str], name: str = "program_rules.yaml") -> Path:
    lines = ["payer_aliases:"] + [f'  "{alias}": "{target}"' for alias, target in aliases.items()]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n" if aliases else "{}\n")
    return path


@pytest.fixture
def clinic(load_rows):
    load_rows("clinics", [{"clinic_id": "PP", "clinic_name": "Practice", "setting": "physician_practice",
                           "timezone": "America/Chicago"}])


def test_coverage_medicare_and_claims_medicare_in_capitals_reconcile_as_one_payer(store, load_rows, clinic):
    """A: coverage "Medicare", claimed by a line written "MEDICARE ". B: the registry writes
    "MEDICARE". Both are one payer, Medicare (3 rows write it so against 2), in the payer periods,
    the claim lines and a reconciliation narrowed to it, however the filter writes it."""
    load_rows("patients", [patient("A", "Medicare"), patient("B", "MEDICARE")])
    load_rows("coverage", [cover("A", "Medicare", "2020-01-01")])
    load_rows("time_logs", [minutes("A", "2025-03-10", 40), minutes("B", "2025-03-10", 40)])
    load_rows("claims", [claim("C1", "A", "2025-03-31", "99492", "MEDICARE "), claim("V1", "A", "2024-12-02", "99213", "Medicare"),
                         claim("C2", "B", "2025-03-31", "99492", "Medicare"), claim("V2", "B", "2024-12-02", "99213", "Medicare")])
    refresh(store)
    assert store.execute("SELECT DISTINCT payer FROM marts.month_terms").fetchall() == [("Medicare",)]
    assert store.execute("SELECT DISTINCT payer FROM marts.recon_claim_lines").fetchall() == [("Medicare",)]
    frame = findings(store, "2025-03", "2025-03")
    assert sorted(zip(frame.patient_id, frame.finding, frame.payer, frame.payer_class)) == [
        ("A", "matched", "Medicare", "medicare"), ("B", "matched", "Medicare", "medicare")]
    for asked in ("Medicare", "MEDICARE ", "medicare"):
        totals = monthly_totals(store, "2025-03", "2025-03", payer=asked)
        assert list(zip(totals.patient_months, totals.reconciled_months)) == [(2, 2)], asked


def test_the_spelling_on_most_rows_names_the_payer_and_an_incremental_build_follows_it(store, load_rows, clinic):
    """One patient writes "MEDICARE": the payer is MEDICARE. Two more write "Medicare": it becomes
    Medicare for all three, the first patient's rows too, as a full rebuild has it."""
    load_rows("patients", [patient("A", "MEDICARE")])
    load_rows("time_logs", [minutes("A", "2025-03-10", 20)])
    refresh(store)
    assert store.execute("SELECT DISTINCT payer FROM marts.billing_lines").fetchall() == [("MEDICARE",)]
    load_rows("patients", [patient("B", "Medicare"), patient("C", "Medicare ")])
    load_rows("time_logs", [minutes("B", "2025-03-10", 20)])
    refresh(store)
    assert store.execute("SELECT DISTINCT payer FROM marts.billing_lines").fetchall() == [("Medicare",)]
    assert not differs_from_full(store)


def test_an_earlier_enrolment_s_spelling_of_its_payer_is_the_same_payer(store, load_rows, clinic):
    """A was enrolled under "MEDICARE", discharged on 15 February 2025 and enrolled again on 1 May
    under "Medicare", as B is. January is billed under the earlier enrolment's payer: Medicare, one
    payer with May's (it was MEDICARE, a payer of its own, when only the rows on file were read)."""
    load_rows("patients", [patient("A", "MEDICARE") | {"discharge_date": "2025-02-15"}, patient("B", "Medicare")])
    load_rows("time_logs", [minutes("A", "2025-01-10", 40), minutes("B", "2025-01-10", 40)])
    load_rows("patients", [patient("A", "Medicare") | {"enrollment_date": "2025-05-01"}])
    load_rows("time_logs", [minutes("A", "2025-05-10", 40)])
    refresh(store)
    assert store.execute("SELECT DISTINCT payer FROM marts.month_terms").fetchall() == [("Medicare",)]
    assert store.execute("SELECT DISTINCT payer FROM marts.billing_lines").fetchall() == [("Medicare",)]
    assert not differs_from_full(store)


def test_an_alias_bills_under_the_payer_it_names(store, load_rows, clinic, tmp_path):
    """P's registry writes "Medicare Part B", which no rule maps: it bills as commercial (no G2214
    for 20 minutes). The alias "Medicare Part B" -> "Medicare" makes it Medicare, whose rules bill
    G2214. Made the store's own (refresh with the file), it rebuilds the marts; edited away, a
    reader hears that the store's rules changed and computes without it."""
    load_rows("patients", [patient("P", "Medicare Part B")])
    load_rows("time_logs", [minutes("P", "2025-03-10", 20)])
    refresh(store)
    assert billing_lines(store, "2025-03").empty
    program = rules_file(tmp_path, {"Medicare Part B": "Medicare"})
    steps = {s.model: s.how for s in refresh(store, rules=program).steps}
    assert steps["payer_name_periods"] == steps["billing_patients"] == "full"
    lines = billing_lines(store, "2025-03")
    assert list(zip(lines.code, lines.payer, lines.payer_class)) == [("G2214", "Medicare", "medicare")]
    program.write_text("{}\n")
    marts = current(store)
    assert "the store's own billing rules as changed" in marts.note
    assert billing_lines(store, "2025-03").empty


def test_an_alias_in_another_case_and_its_target_written_otherwise(store, load_rows, clinic, tmp_path):
    """The alias matches "medicare part b " as written in any case; its target's own spelling in
    the setting ("Medicare") names the rows the exports write "MEDICARE" too."""
    load_rows("patients", [patient("P", " MEDICARE PART B"), patient("Q", "MEDICARE"), patient("R", "MEDICARE")])
    refresh(store, rules=rules_file(tmp_path, {"Medicare Part B": "Medicare"}))
    assert store.execute("SELECT DISTINCT payer, payer_class FROM marts.billing_patients").fetchall() == [("Medicare", "medicare")]


def run(*args):
    return CliRunner().invoke(cli, ["outcomes", *map(str, args)], catch_exceptions=False)


def test_the_payer_filter_keeps_the_rows_an_alias_names(store, load_rows, clinic, tmp_path):
    """X is Medicare, Y "Medicare Part B" (aliased to Medicare), Z "MEDICARE ", W Medicaid: a
    filter on Medicare, or on the alias, keeps X, Y and Z, in the library and in `bcm outcomes`."""
    load_rows("patients", [patient("X", "Medicare"), patient("Y", "Medicare Part B"), patient("Z", "MEDICARE "),
                           patient("W", "Medicaid")])
    load_rows("time_logs", [minutes(p, "2025-03-10", 20) for p in "XYZW"])
    load_rows("assessments", [{"assessment_id": f"S{p}", "patient_id": p, "instrument": "PHQ-9",
                               "administered_on": "2025-03-10", "total_score": 15, "item_9": 0} for p in "XYZW"])
    refresh(store, rules=rules_file(tmp_path, {"Medicare Part B": "Medicare"}))
    for asked in ("Medicare", "Medicare Part B", "medicare"):
        assert set(prepare(store, "2025-03-31", payer=asked).patients().patient_id) == {"X", "Y", "Z"}, asked
    assert set(prepare(store, "2025-03-31", payer="Medicaid").patients().patient_id) == {"W"}
    store.close()
    out = tmp_path / "patients.csv"
    result = run("--db", tmp_path / "test.duckdb", "--as-of", "2025-03-31", "--payer", "Medicare", "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert sorted(zip(frame.patient_id, frame.payer)) == [("X", "Medicare"), ("Y", "Medicare"), ("Z", "Medicare")]


@pytest.mark.parametrize("text, message", [
    ("payer_aliass:\n  BCBS: Blue Cross\n", "payer_aliass: unknown key; did you mean 'payer_aliases'?"),
    ("payer_aliases:\n  BCBS: Blue Cross\n  Blue Cross: Anthem\n",
     "payer_aliases.BCBS: 'Blue Cross' is itself an alias of 'Anthem': point 'BCBS' at 'Anthem'"),
    ("payer_aliases:\n  Blue Cross: BCBS\n  BCBS: Blue Cross\n",
     "payer_aliases.Blue Cross: 'BCBS' is itself an alias of 'Blue Cross': the two point at each other; keep one of the two"),
    ("payer_aliases:\n  ' BCBS ': '  '\n", "payer_aliases.BCBS: must name the payer to use (got '')"),
    ("payer_aliases:\n  BCBS: Blue Cross\n  'bcbs ': Anthem\n",
     "payer_aliases: 'bcbs ' and 'BCBS' are the same payer (names are matched ignoring case and surrounding spaces): keep one of the two"),
    ("payer_aliases:\n  BCBS: ''\n", "payer_aliases.BCBS: must be the payer name to use instead, as text (got '')"),
    ("payer_aliases: [BCBS]\n", "payer_aliases: must be a mapping of names to values (got ['BCBS'])"),
])
def test_a_mistake_in_the_aliases_is_refused_in_one_line(tmp_path, text, message):
    """Each refusal names the alias as the file writes it ('BCBS', not the 'bcbs' it is matched as)."""
    from bcm_analytics.config.rules import RulesError, load_rules

    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError) as refused:
        load_rules(path)
    assert str(refused.value) == f"{path}: {message}"


BLUE = "Blue Cross Blue Shield"


def test_names_alike_that_no_alias_joins_are_a_warning_naming_both_and_the_alias_to_add(store, load_rows, clinic, tmp_path):
    """Two patients write "Blue Cross Blue Shield", a claim "Blue Cross/Blue Shield": two payers
    until an alias joins them. "Medicare" and "MEDICARE " are one payer already: no warning. The
    warning is in `bcm validate`'s output; with the alias it goes."""
    from bcm_analytics.reports.data_quality import payer_spelling_warnings, payer_spellings_apart, payer_spellings_table

    load_rows("patients", [patient("A", BLUE), patient("B", BLUE), patient("C", "Medicare"), patient("D", "MEDICARE ")])
    load_rows("claims", [claim("C1", "A", "2025-03-31", "99492", "Blue Cross/Blue Shield")])
    refresh(store)
    expected = ("payer names 'Blue Cross Blue Shield' (2 rows) and 'Blue Cross/Blue Shield' (1 row) differ only in case, "
                "spaces or punctuation and are two payers; if they are one, add to the rules file: "
                'payer_aliases: {"Blue Cross/Blue Shield": "Blue Cross Blue Shield"}')
    apart = payer_spellings_apart(store)
    assert payer_spelling_warnings(apart) == [expected]
    assert payer_spellings_table(apart).to_dict("records") == [
        {"payer": BLUE, "rows": 2, "written as": "'Blue Cross Blue Shield'", "alias to add (rules file, payer_aliases)": ""},
        {"payer": "Blue Cross/Blue Shield", "rows": 1, "written as": "'Blue Cross/Blue Shield'",
         "alias to add (rules file, payer_aliases)": '"Blue Cross/Blue Shield": "Blue Cross Blue Shield"'}]
    store.close()
    result = CliRunner().invoke(cli, ["validate", "--db", tmp_path / "test.duckdb", "--sample", "0"])
    assert f"  warn   {expected}\n" in result.output
    db = connect_store(tmp_path)
    refresh(db, rules=rules_file(tmp_path, {"Blue Cross/Blue Shield": BLUE}))
    assert payer_spellings_apart(db).empty
    assert db.execute("SELECT DISTINCT payer FROM marts.recon_claim_lines").fetchall() == [(BLUE,)]
    db.close()


def connect_store(tmp_path: Path):
    from bcm_analytics.warehouse import connect

    return connect(tmp_path / "test.duckdb")


def test_bcm_rules_check_lists_the_aliases_as_the_file_writes_them(tmp_path):
    """Aliases match ignoring case, but the listing names each as the administrator wrote it."""
    rules = rules_file(tmp_path, {"Medicare Part B": "Medicare", "BCBS": "Blue Cross"})
    result = CliRunner().invoke(cli, ["rules", "check", str(rules)])
    assert result.exit_code == 0, result.output
    assert ("  payer aliases (read as the payer they name, matched ignoring case): 'BCBS' -> 'Blue Cross', "
            "'Medicare Part B' -> 'Medicare'") in result.output.splitlines()


@pytest.mark.slow
def test_the_data_quality_page_lists_the_payer_names_alike_with_the_alias_to_add(store, load_rows, clinic, tmp_path):
    import html

    from bcm_analytics.reports.runner import render_report

    load_rows("patients", [patient("A", BLUE), patient("B", BLUE)])
    load_rows("time_logs", [minutes("A", "2025-03-10", 40)])
    load_rows("assessments", [{"assessment_id": "S1", "patient_id": "A", "instrument": "PHQ-9", "administered_on": "2025-03-10",
                               "total_score": 15, "item_9": 0}])
    load_rows("claims", [claim("C1", "A", "2025-03-31", "99492", "Blue Cross/Blue Shield")])
    refresh(store)
    store.close()
    page = html.unescape(render_report("data_quality", tmp_path / "test.duckdb", {}, tmp_path / "dq.html").read_text())
    assert "Payer names that may be one payer written two ways" in page
    assert '"Blue Cross/Blue Shield": "Blue Cross Blue Shield"' in page


def test_the_data_quality_page_says_so_when_no_payer_names_are_alike(store, load_rows, clinic, tmp_path):
    """The page's note on payer names alike reads as if some were listed: with none, it says none."""
    import html

    from bcm_analytics.reports.runner import render_report

    load_rows("patients", [patient("A", BLUE), patient("B", BLUE)])
    load_rows("time_logs", [minutes("A", "2025-03-10", 40)])
    load_rows("assessments", [{"assessment_id": "S1", "patient_id": "A", "instrument": "PHQ-9", "administered_on": "2025-03-10",
                               "total_score": 15, "item_9": 0}])
    load_rows("claims", [claim("C1", "A", "2025-03-31", "99492", BLUE)])
    refresh(store)
    store.close()
    page = html.unescape(render_report("data_quality", tmp_path / "test.duckdb", {}, tmp_path / "dq.html").read_text())
    assert "No two payer names in the store differ only in case, spaces or punctuation." in page
    assert "Payer names that may be one payer written two ways" not in page


def test_a_chain_across_files_names_the_alias_as_the_program_file_writes_it(tmp_path):
    """The state's file aliases "Blue Cross" to Anthem; the program's file, which extends it,
    points "Blue Shield PPO" at "Blue Cross": refused in the program's file, in its spelling."""
    from bcm_analytics.config.rules import RulesError, load_rules

    state = tmp_path / "state.yaml"
    state.write_text("payer_aliases:\n  Blue Cross: Anthem\n")
    program = tmp_path / "program.yaml"
    program.write_text("extends: state.yaml\npayer_aliases:\n  Blue Shield PPO: Blue Cross\n")
    with pytest.raises(RulesError) as refused:
        load_rules(program)
    assert str(refused.value) == (f"{program}: payer_aliases.Blue Shield PPO: 'Blue Cross' is itself an alias of 'Anthem': "
                                  "point 'Blue Shield PPO' at 'Anthem'")


def test_a_reports_payer_is_checked_under_the_rules_the_report_is_given(store, load_rows, clinic, tmp_path, monkeypatch):
    """The store's own rules have no alias; its patients write "Blue Cross". A reconciliation
    given a rules file aliasing "BCBS" to Blue Cross reads -p payer BCBS as Blue Cross, so the
    check takes it; given the shipped rules alone (no alias), BCBS is refused. A store built with
    the alias and a report given the shipped rules: BCBS is refused too (the store's alias is
    not the report's). `bcm outcomes --payer` under $BCM_RULES is checked under those rules."""
    from bcm_analytics.reports.parameters import ParameterError, check, check_filters
    from bcm_analytics.reports.runner import notebook_path

    load_rows("patients", [patient("A", "Blue Cross"), patient("B", "Medicare")])
    load_rows("time_logs", [minutes("A", "2025-03-10", 40)])
    refresh(store)
    store.close()
    db = tmp_path / "test.duckdb"
    aliased = rules_file(tmp_path, {"BCBS": "Blue Cross"}, "aliased.yaml")
    notebook = notebook_path("billing_reconciliation")
    assert check("billing_reconciliation", notebook, db, {"payer": "BCBS", "rules": str(aliased)})["payer"] == "BCBS"
    refused = "billing_reconciliation: payer 'BCBS' is not in the store; valid: Blue Cross, Medicare, commercial (payer class)"
    with pytest.raises(ParameterError, match=r"^" + re.escape(refused)):
        check("billing_reconciliation", notebook, db, {"payer": "BCBS", "rules": "default"})
    monkeypatch.setenv("BCM_RULES", str(aliased))
    assert check("caseload_outcomes", notebook_path("caseload_outcomes"), db, {"payer": "bcbs"})["payer"] == "bcbs"
    con = connect_store(tmp_path)
    assert check_filters("bcm outcomes", con, {"payer": "BCBS"})["payer"] == "BCBS"
    assert con.execute("SELECT DISTINCT payer FROM marts.billing_patients ORDER BY 1").fetchall() == [("Blue Cross",), ("Medicare",)]
    monkeypatch.delenv("BCM_RULES")
    with pytest.raises(ParameterError, match="bcm outcomes: payer 'BCBS' is not in the store"):
        check_filters("bcm outcomes", con, {"payer": "BCBS"})
    refresh(con, rules=aliased)
    con.close()
    with pytest.raises(ParameterError, match=r"^" + re.escape(refused)):
        check("billing_reconciliation", notebook, db, {"payer": "BCBS", "rules": "default"})
    assert check("billing_reconciliation", notebook, db, {"payer": "BCBS"})["payer"] == "BCBS"


def test_a_payer_name_an_alias_reads_as_another_payer_is_warned_of_with_what_to_write(store, load_rows, clinic, tmp_path):
    """The program maps "Medicare Part B" to medicare and aliases it to "Medicare FFS", which it
    does not map: the mapping applies to no one (the rows are Medicare FFS's, billed as
    commercial). "Aetna" is aliased to "Aetna Better Health", mapped to medicaid already, and
    mapped itself to medicaid: one entry too many. "Medicare" aliased to itself in capitals is not
    away. Each is said once with the alias and what to write, in `bcm billing`'s warnings (not as
    a name no patient matches), in `bcm rules check` and in `bcm validate`."""
    from bcm_analytics.billing.engine import warnings

    program = tmp_path / "program_rules.yaml"
    program.write_text("payer_names:\n  Medicare Part B: medicare\n  Aetna: medicaid\n  Aetna Better Health: medicaid\n"
                       "  Medicare: medicare\n"
                       "payer_aliases:\n  Medicare Part B: Medicare FFS\n  Aetna: Aetna Better Health\n  Medicare: MEDICARE\n")
    part_b = ("payer_names 'medicare part b' applies to no one: payer_aliases reads 'medicare part b' as 'Medicare FFS' "
              "before payer_names is looked up, so its class applies to no patient; write the entry under payer_names "
              "as 'Medicare FFS' instead ('Medicare FFS': medicare), or remove the alias")
    aetna = ("payer_names 'aetna' applies to no one: payer_aliases reads 'aetna' as 'Aetna Better Health' before "
             "payer_names is looked up, so its class applies to no patient; 'Aetna Better Health' is mapped to medicaid "
             "already: remove the 'aetna' entry")
    load_rows("patients", [patient("A", "Medicare Part B"), patient("B", "Aetna Better Health"), patient("C", "Medicare")])
    load_rows("time_logs", [minutes("A", "2025-03-10", 20)])
    refresh(store, rules=program)
    said = warnings(store)
    assert [w for w in said if "applies to no one" in w or "no patient's payer" in w] == [aetna, part_b]
    assert "'Medicare FFS' (1 patient)" in next(w for w in said if w.startswith("payer names not mapped"))
    store.close()
    checked = CliRunner().invoke(cli, ["rules", "check", str(program)])
    assert checked.exit_code == 0, checked.output
    assert [line for line in checked.stderr.splitlines() if line.startswith("warning:")] == [
        f"warning: {aetna}", f"warning: {part_b}"]
    validated = CliRunner().invoke(cli, ["validate", "--db", tmp_path / "test.duckdb", "--sample", "0"])
    assert f"  warn   {aetna}\n  warn   {part_b}\n" in validated.output
