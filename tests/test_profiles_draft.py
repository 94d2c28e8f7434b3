"""`bcm profile draft`: a draft profile from a file's header, finished by a person."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.ingest import FileRefused
from bcm_analytics.ingest.profiles import ProfileError, load, map_export
from bcm_analytics.ingest.profiles.draft import choose_table, draft

VISITS = "Visit ID,Pt ID,DOS,Duration,Contact Type,Provider,Notes\nV1,P1,2025-02-03,30,Follow Up,S1,called\n"


def test_columns_match_by_name_synonym_and_similar_spelling(tmp_path):
    path = write(tmp_path, "visits.csv", VISITS)
    table, matches = choose_table(path, ["Visit ID", "Pt ID", "DOS", "Duration", "Contact Type", "Provider", "Notes"])
    assert table == "time_logs"
    got = {m.column: (m.original, m.how) for m in matches if m.source}
    assert got == {
        "entry_id": ("Visit ID", "synonym"), "patient_id": ("Pt ID", "synonym"), "service_date": ("DOS", "synonym"),
        "minutes": ("Duration", "synonym"), "activity_type": ("Contact Type", "synonym"), "staff_id": ("Provider", "synonym"),
    }


def test_a_draft_names_what_to_check_and_what_is_missing_and_refuses_to_load_unfinished(tmp_path):
    path = write(tmp_path, "visits.csv", VISITS.replace("Pt ID", "Patiant Id"))
    text, _ = draft([path], "clinic")
    assert "patient_id:    patiant_id  # CHECK: 'Patiant Id' (did you mean patient_id?)" in text
    assert "staff_role:    TODO  # required: no column of visits.csv looks like staff_role" in text
    assert "# not read (map them to read them): Notes" in text
    profile = write(tmp_path, "clinic.yaml", text)
    with pytest.raises(ProfileError, match=r"clinic.yaml: tables.time_logs.columns.staff_role: still TODO"):
        load(profile)
    finished = write(tmp_path, "clinic2.yaml", text.replace("TODO  #", "{value: bhcm}  #"))
    rows = map_export(load(finished), [path]).tables[0].layers[0].to_pylist()
    assert (rows[0]["entry_id"], rows[0]["patient_id"], rows[0]["staff_role"], rows[0]["_line"]) == ("V1", "P1", "bhcm", 2)


def test_a_file_that_looks_like_no_table_is_refused_listing_its_columns(tmp_path):
    path = write(tmp_path, "inventory.csv", "SKU,Shelf,Qty On Hand\nA1,3,10\n")
    with pytest.raises(FileRefused) as e:
        draft([path], "x")
    assert str(e.value) == f"{path}: refused: no column looks like a column of a canonical table; found columns: SKU, Shelf, Qty On Hand"


def test_json_records_and_several_files_draft_one_profile(tmp_path):
    logs = write(tmp_path, "treatment_logs.json", json.dumps([{"patient_mrn": "M1", "date": 1.7e9, "minutes": 20, "contact_type": "Follow Up"}]))
    people = write(tmp_path, "registry.csv", "MRN,Insurance,Enrolled On,DOB\nM1,Medicare,2025-01-02,1950-01-01\n")
    text, drafts = draft([logs, people], "mixed")
    assert [(d.path.name, d.table) for d in drafts] == [("treatment_logs.json", "time_logs"), ("registry.csv", "patients")]
    assert text.index("  patients:") < text.index("  time_logs:")
    assert "enrollment_date:       enrolled_on  # 'Enrolled On'" in text


def test_the_draft_command_writes_the_file_and_says_what_to_finish(tmp_path):
    path = write(tmp_path, "visits.csv", VISITS)
    out = tmp_path / "my_profile.yaml"
    result = CliRunner().invoke(cli, ["profile", "draft", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{path}: time_logs: 6 column(s) matched; TODO (required, not found): staff_role" in result.output
    assert out.read_text().startswith("# Draft profile written by `bcm profile draft` from visits.csv.")
    again = CliRunner().invoke(cli, ["profile", "draft", str(path), "--out", str(out)])
    assert again.exit_code != 0 and "exists; give another --out, or --force" in again.output


def test_profile_check_and_list(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(cli, ["profile", "list"])
    assert listed.exit_code == 0 and [line.split()[0] for line in listed.output.splitlines()] == ["akello", "fhir", "synthea"]
    assert "profile synthea is valid" in runner.invoke(cli, ["profile", "check", "synthea"]).output
    bad = write(tmp_path, "bad.yaml", "name: x\ntitle: x\nsources: {a: {files: [a.csv], columns: [x]}}\n"
                "tables: {clinics: {from: a, columns: {clinic_id: y}}}\n")
    result = runner.invoke(cli, ["profile", "check", str(bad)])
    assert result.exit_code != 0 and result.output.count("\n") == 1 and "tables.clinics.columns.clinic_id: Binder Error" in result.output


CLEARINGHOUSE = ["Claim #", "Ln", "Member ID", "Member Name", "Svc From", "Svc To", "CPT/HCPCS", "Mod 1", "Units",
                 "Rendering Prov NPI", "Billed Amt", "Allowed Amt", "Paid Amt", "Claim Status", "Payer", "Check Date"]


def test_a_clearinghouse_claim_line_export_drafts_its_line_date_code_and_modifier(tmp_path):
    """A clearinghouse's own headers left date_of_service and procedure_code TODO and Ln unread:
    finished without a line number, a claim's second line took line 1's key and was set aside."""
    path = write(tmp_path, "ClaimLines_Clearinghouse_20250515.csv", ",".join(CLEARINGHOUSE) + "\n")
    table, matches = choose_table(path, CLEARINGHOUSE)
    assert table == "claims"
    got = {m.column: (m.original, m.how) for m in matches if m.source}
    assert got["line_number"] == ("Ln", "synonym")
    assert got["date_of_service"] == ("Svc From", "synonym")
    assert got["procedure_code"] == ("CPT/HCPCS", "synonym")
    assert got["modifier"] == ("Mod 1", "synonym")
    assert got["charge_amount"] == ("Billed Amt", "synonym")
    assert got["paid_amount"] == ("Paid Amt", "synonym")


def test_a_date_stamped_file_name_drafts_a_pattern_that_next_months_export_matches(tmp_path):
    """Drafted from ClaimLines_Clearinghouse_20250515.csv, the profile named that file only:
    June's export was refused, 'no file matches the profile's sources'."""
    may = write(tmp_path, "ClaimLines_Clearinghouse_20250515.csv", ",".join(CLEARINGHOUSE) + "\n")
    text, drafts = draft([may], "clearinghouse")
    assert '    files: ["ClaimLines_Clearinghouse_*.csv"]' in text
    assert drafts[0].source == "claimlines_clearinghouse"
    text, _ = draft([write(tmp_path, "visits.csv", VISITS)], "lakeside")
    assert "    files: [visits.csv]" in text, "a name without a date stays as it is"
    april = write(tmp_path, "time_logs_2025-04.csv", VISITS)
    march = write(tmp_path, "time_logs_2025-03.csv", VISITS)
    text, _ = draft([march, april], "two")
    assert "files: [time_logs_2025-03.csv]" in text and "files: [time_logs_2025-04.csv]" in text, \
        "two months drafted together keep their names: one pattern would give each source both files"


def test_a_draft_of_a_named_sheet_reads_that_sheet_when_it_loads(tmp_path):
    """Drafted with --sheet 'PHQ-9 Scores', the profile named no sheet: the load read the first
    one (a summary) and refused the export, 'missing columns ... found columns: see PHQ sheet'."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active["A1"] = "see PHQ sheet"
    scores = wb.create_sheet("PHQ-9 Scores")
    scores.append(["Score ID", "MRN", "Date Completed", "Measure", "Total Score"])
    scores.append(["S1", "P1", "2025-01-03", "PHQ-9", 12])
    path = tmp_path / "PHQ_Results.xlsx"
    wb.save(path)
    text, _ = draft([path], "phq", sheet="PHQ-9 Scores")
    assert '    sheet: "PHQ-9 Scores"' in text
    assert "sheet:" not in draft([write(tmp_path, "visits.csv", VISITS)], "lakeside", sheet="PHQ-9 Scores")[0]
