"""`bcm profile draft`: a draft profile from a file's header, finished by a person."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.cli.profile import usage_line
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


def test_mapping_a_column_the_draft_left_unread_says_to_add_it_to_the_sources_columns(tmp_path):
    """The draft lists Notes as "not read (map them to read them)". Mapped alone (contact_mode:
    notes), the profile failed with DuckDB's 'Binder Error: Referenced column "notes" not found in
    FROM clause!' and nothing else; a source reads only the columns its `columns:` list names, which is what to say."""
    path = write(tmp_path, "visits.csv", VISITS)
    text, _ = draft([path], "clinic")
    mapped = text.replace("TODO  #", "{value: bhcm}  #").replace("      activity_type:", "      contact_mode:  notes\n      activity_type:")
    with pytest.raises(ProfileError) as refused:
        map_export(load(write(tmp_path, "clinic.yaml", mapped)), [path])
    assert str(refused.value).endswith(
        "FROM clause!: source visits reads visit_id, pt_id, provider, dos, duration, contact_type; a column of the file "
        "it does not list is read once added to sources.visits.columns (or optional_columns)")


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


@pytest.mark.parametrize("export, billing, rendering", [
    ("Claim ID,MRN,DOS,CPT,Billing NPI,Rendering NPI\nC1,A-1,2025-01-31,99492,1234567893,1245319599\n", "billing_npi", "rendering_npi"),
    ("Claim ID,MRN,DOS,CPT,Rendering NPI\nC1,A-1,2025-01-31,99492,1245319599\n", None, "rendering_npi"),
    ("Claim ID,MRN,DOS,CPT,Billing NPI,Attending NPI\nC1,A-1,2025-01-31,99492,1234567893,1245319599\n", "billing_npi", "attending_npi"),
])
def test_a_claims_exports_rendering_npi_drafts_as_the_rendering_provider_not_the_billing_one(tmp_path, export, billing, rendering):
    """A group practice's claim lines name the group's billing NPI and the practitioner's
    rendering NPI (CMS-1500 box 24J; a UB-04's attending provider). The draft left 'Rendering NPI'
    unread beside a 'Billing NPI', and alone read it as billing_provider_npi: the lines loaded as
    billed under the practitioner's NPI, and the contract's rendering_provider_npi, which
    reconciliation reads for a line billed under a group's NPI, stayed empty. The drafted profile
    now maps it to rendering_provider_npi, and its rows carry the practitioner's NPI there."""
    path = write(tmp_path, "claims_2025-01.csv", export)
    text, _ = draft([path], "group")
    profile = load(write(tmp_path, "group.yaml", text))
    got = {column: spec.sql for column, spec in profile.tables["claims"][0].columns.items()}
    assert (got.get("rendering_provider_npi"), got.get("billing_provider_npi")) == (rendering, billing)
    row = map_export(profile, [path]).tables[0].layers[0].to_pylist()[0]
    assert (row["rendering_provider_npi"], row.get("billing_provider_npi")) == ("1245319599", "1234567893" if billing else None)


def test_a_rendering_provider_column_of_names_is_no_npi(tmp_path):
    """athenaOne's Claim Detail Report writes the rendering provider's name ('Patel, Ravi MD'). Its
    'Rendering Provider' drafted as rendering_provider_npi by a similar spelling: every line's
    NPI check warned, and a line under the group's NPI read as rendered by someone else than the
    treating practitioner. A column matched to an NPI only by its spelling must say NPI."""
    names = "Claim ID,Patient MRN,Service Date,Procedure Code,Rendering Provider,Billing Provider NPI".split(",")
    _, matches = choose_table(write(tmp_path, "Claim_Detail_Report.csv", ",".join(names) + "\n"), names)
    got = {m.column: m.original for m in matches if m.source}
    assert (got.get("rendering_provider_npi"), got["billing_provider_npi"]) == (None, "Billing Provider NPI")


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


def _items(path, header):
    """The source column (as written) each item_N of the draft reads, and the columns to decide."""
    _, matches = choose_table(path, header)
    return ({m.column: m.original for m in matches if m.column.startswith("item_") and m.source},
            [m.column for m in matches if m.how == "todo"])


PHQ9_SPELLINGS = [[f"Q{i}" for i in range(1, 10)], [f"PHQ9_Q{i}" for i in range(1, 10)], [f"Item {i}" for i in range(1, 10)],
                  [f"phq9_{i}" for i in range(1, 10)], [f"Question {i}" for i in range(1, 10)], [f"PHQ-9 Item {i}" for i in range(1, 10)]]


@pytest.mark.parametrize("items", PHQ9_SPELLINGS, ids=lambda h: h[-1])
@pytest.mark.parametrize("name", ["PHQ9_Results.csv", "scores.csv"])
def test_phq9_item_columns_draft_as_items_item_9_included(tmp_path, items, name):
    """A PHQ-9 export's Q1..Q9 were left unread ('not read: Q1, ..., Q9'): finished as drafted,
    the profile loaded totals without item 9, which drives the safety worklist. Nine items are a
    PHQ-9's, named so by the file or not (a GAD-7 has seven)."""
    header = ["Patient ID", "Date Completed", *items, "Q10", "PHQ9 Total", "Quarter"]
    path = write(tmp_path, name, ",".join(header) + "\n")
    mapped, todo = _items(path, header)
    assert mapped == {f"item_{i}": items[i - 1] for i in range(1, 10)} and todo == []
    text, _ = draft([path], "phq")
    assert "Q10" in text.split("# not read (map them to read them): ")[1].splitlines()[0], "Q10 (how difficult) is no item"
    assert "Quarter" in text.split("# not read (map them to read them): ")[1].splitlines()[0]


@pytest.mark.parametrize("date", ["Visit Date", "Screening Date", "Date Administered", "Date Taken"])
def test_a_score_exports_visit_or_screening_date_drafts_as_administered_on(tmp_path, date):
    """'Visit Date' beside Q1..Q9 was left unread, administered_on TODO: the date a score was
    taken is what its follow-up windows count from."""
    header = ["Patient ID", date, *[f"Q{i}" for i in range(1, 10)], "PHQ9 Total"]
    table, matches = choose_table(write(tmp_path, "phq9_export.csv", ",".join(header) + "\n"), header)
    assert table == "assessments"
    assert {m.column: m.original for m in matches if m.source}["administered_on"] == date


def test_a_gad7_exports_q8_and_q9_are_not_items(tmp_path):
    """A GAD-7 has seven items; its 8th question (how difficult) mapped as item_8 would set every
    GAD-7 row aside ('a GAD-7 has 7 items, but item_8 is 1')."""
    header = ["MRN", "Date", "Score", *[f"Q{i}" for i in range(1, 10)]]
    path = write(tmp_path, "GAD7_scores.csv", ",".join(header) + "\n")
    mapped, todo = _items(path, header)
    assert mapped == {f"item_{i}": f"Q{i}" for i in range(1, 8)} and todo == []
    text, _ = draft([path], "gad")
    assert "# not an item here: 'Q8' (a GAD-7 has 7 items)" in text and "item_8:" not in text
    assert "{value: GAD-7, assumption: every row is a GAD-7}" in text, "the instrument TODO says what the file's names say"
    prefixed = ["MRN", "Date", *[f"GAD7_Q{i}" for i in range(1, 9)], "GAD-7 Total"]
    mapped, _ = _items(write(tmp_path, "scores.csv", ",".join(prefixed) + "\n"), prefixed)
    assert mapped == {f"item_{i}": f"GAD7_Q{i}" for i in range(1, 8)}


def test_columns_that_only_look_like_items_are_not_items(tmp_path):
    """Q10, Quarter, Item 10 are no item (Item 10 was a close spelling of item_1), nor are a
    claims file's quarters; an unnamed form's Q8 without a Q9 (a PHQ-9's item 8, or a GAD-7's
    difficulty question?) is TODO for a person to decide, and the profile refuses until then."""
    header = ["MRN", "Date", "Measure", "Score", "Item 10", "Quarter", "Q10"]
    path = write(tmp_path, "scores.csv", ",".join(header) + "\n")
    assert _items(path, header) == ({}, [])
    claims = ["Claim #", "Member ID", "DOS", "CPT", "Q1", "Q2", "Q3", "Q4"]
    table, matches = choose_table(write(tmp_path, "claims_summary.csv", ",".join(claims) + "\n"), claims)
    assert table == "claims" and not any(m.original and m.original.startswith("Q") for m in matches)
    eight = ["MRN", "Date", "Measure", "Score", *[f"Q{i}" for i in range(1, 9)]]
    path = write(tmp_path, "answers.csv", ",".join(eight) + "\n")
    assert _items(path, eight) == ({f"item_{i}": f"Q{i}" for i in range(1, 8)}, ["item_8"])
    text, _ = draft([path], "answers")
    assert "item_8:          TODO  # 'Q8' is item 8 of a PHQ-9" in text
    profile = write(tmp_path, "answers.yaml", text.replace("assessment_id:   TODO", "assessment_id:   mrn"))
    with pytest.raises(ProfileError, match=r"tables.assessments.columns.item_8: still TODO"):
        load(profile)


def test_a_drafted_phq9_profile_loads_item_9_end_to_end(tmp_path):
    """Draft, fill the TODOs, `bcm load --profile`: item 9 is in the store, for the safety worklist."""
    path = write(tmp_path, "PHQ9_Results.csv", "Patient ID,Date Completed,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9,Q10,PHQ9 Total\n"
                 "P1,2025-01-06,1,1,1,1,1,1,1,0,2,1,9\n")
    text, _ = draft([path], "phq")
    text = text.replace("assessment_id:   TODO", "assessment_id:   \"patient_id || '@' || date_completed\"  #")
    text = text.replace("instrument:      TODO", "instrument:      {value: PHQ-9, assumption: every row is a PHQ-9}  #")
    profile = write(tmp_path, "phq.yaml", text)
    db = tmp_path / "program.duckdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["load", str(write(tmp_path, "patients.csv", "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\n")),
                               "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["load", str(path), "--profile", str(profile), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "PHQ9_Results.csv: assessments: read 1 = loaded 1 + quarantined 0" in result.output
    from bcm_analytics.warehouse import connect

    con = connect(db)
    assert con.execute("SELECT instrument, total_score, item_8, item_9 FROM staging.assessments").fetchall() == [("PHQ-9", 9, 0, 2)]
    con.close()


def test_an_ehr_rosters_primary_payer_drafts_as_payer(tmp_path):
    """An Epic-style roster names the payer 'Primary Payer': the draft wrote 'payer: TODO  # no
    column of Patient Roster.xlsx looks like payer' beside it, and listed it as not read."""
    names = ["MRN", "Clinic", "Primary Payer", "PCP NPI", "DOB", "Enrollment Date", "Consent Date"]
    path = write(tmp_path, "Patient Roster.csv", ",".join(names) + "\n")
    table, matches = choose_table(path, names)
    assert table == "patients"
    assert {m.column: (m.original, m.how) for m in matches if m.source}["payer"] == ("Primary Payer", "synonym")


def test_an_ehr_encounter_export_drafts_its_encounter_id_and_date_time(tmp_path):
    """An EHR's encounter list (Encounter ID, Encounter Date/Time, Encounter Type) drafted
    entry_id as TODO and service_date from 'Encounter Type' ('CHECK: did you mean service_date?':
    'encounter_type' is as close a spelling of 'encounter_date' as the date column's own name),
    leaving the date column unread."""
    names = ["Encounter ID", "Patient MRN", "Encounter Date/Time", "Duration", "Encounter Type", "Staff", "Staff Role"]
    table, matches = choose_table(write(tmp_path, "encounters_2025-11.csv", ",".join(names) + "\n"), names)
    assert table == "time_logs"
    got = {m.column: (m.original, m.how) for m in matches if m.source}
    assert got["entry_id"] == ("Encounter ID", "synonym")
    assert got["service_date"] == ("Encounter Date/Time", "synonym")
    assert "Encounter Type" not in {original for original, _ in got.values()}


def test_a_hospital_adt_export_drafts_as_facility_stays_and_loads(tmp_path):
    """A hospital's admissions (ADT) export: Encounter Number, MRN, Patient Class, Admit and
    Discharge Date/Time. It drafted as patients (discharge_date) with its admission unread, so
    the stays a program needs for billing_rules.md s3 could not be mapped from their own names."""
    names = ["Encounter Number", "MRN", "Patient Class", "Admit Date/Time", "Discharge Date/Time", "Unit"]
    path = write(tmp_path, "ADT_Admissions_2025-11.csv", ",".join(names) + "\n"
                 "H1,P1,Inpatient,2025-11-03 14:00,2025-11-06 10:00,4 West\nH2,P1,Observation,2025-11-20 08:00,,ED Obs\n")
    table, matches = choose_table(path, names)
    assert table == "facility_stays"
    assert {m.column: (m.original, m.how) for m in matches if m.source} == {
        "stay_id": ("Encounter Number", "synonym"), "patient_id": ("MRN", "synonym"), "stay_type": ("Patient Class", "synonym"),
        "admitted_at": ("Admit Date/Time", "synonym"), "discharged_at": ("Discharge Date/Time", "synonym")}
    text, _ = draft([path], "hospital")
    rows = map_export(load(write(tmp_path, "hospital.yaml", text)), [path]).tables[0].layers[0].to_pylist()
    assert [(r["stay_id"], r["stay_type"], r["admitted_at"], r["discharged_at"]) for r in rows] == [
        ("H1", "Inpatient", "2025-11-03 14:00", "2025-11-06 10:00"), ("H2", "Observation", "2025-11-20 08:00", None)]


def test_a_caseload_trackers_log_number_contact_date_and_member_mrn_draft_as_their_columns(tmp_path):
    """A caseload tracker's minutes sheet ('Log #', 'Contact Date') drafted entry_id and
    service_date as TODO, and its claims export's 'Member MRN' left patient_id TODO: names such
    exports commonly use for them."""
    _, logs = choose_table(tmp_path / "minutes.csv", ["Log #", "MRN", "Contact Date", "Duration", "Role", "Contact Type"])
    assert {m.column: m.original for m in logs if m.source and m.column in ("entry_id", "service_date")} == {
        "entry_id": "Log #", "service_date": "Contact Date"}
    _, claims = choose_table(tmp_path / "ClaimLines.csv", ["Claim #", "Ln", "Member MRN", "DOS", "CPT", "Units"])
    assert {m.column: m.original for m in claims if m.source and m.column == "patient_id"} == {"patient_id": "Member MRN"}


def test_an_epic_flowsheet_export_one_row_per_item_drafts_a_scores_map_and_its_episode_list_its_dates(tmp_path):
    """Epic writes a PHQ-9 as flowsheet rows, one per item and one for the total, each with its row
    ID and value: the draft mapped Value to total_score, which would have loaded each answer as a
    score (item 9's 0 a PHQ-9 of 0). Its BHI episode list says Episode Start, Episode End, Legal
    Sex and Resolve Reason: enrollment_date was TODO and the discharge left unread, so minutes
    after a discharge would have billed. A file with a code and a value column drafts a scores
    map (code, value, and TODO for the rows an administration shares and the export's own codes);
    the episode list's dates map."""
    from pathlib import Path

    epic = Path(__file__).parent / "fixtures" / "exports" / "epic"
    text, drafts = draft([epic / "BHI_Registry_Episodes.csv", epic / "PHQ9_Flowsheet_Rows_20251201.csv"], "epic")
    roster = {m.column: m.original for m in drafts[0].matches if m.source}
    assert (roster["enrollment_date"], roster["discharge_date"], roster["sex"], roster["discharge_reason"]) == (
        "Episode Start", "Episode End", "Legal Sex", "Resolve Reason")
    assert "    scores:" in text and "      code: flowsheet_row_id  # 'Flowsheet Row ID'" in text and "      value: value  # 'Value'" in text
    assert "total_score" not in text and "instrument:" not in text.split("    columns:")[-1]
    assert "administered_on: recorded_time  # 'Recorded Time'" in text
    with pytest.raises(ProfileError, match=r"epic.yaml: tables.assessments.scores.group_by: still TODO"):
        load(write(tmp_path, "epic.yaml", text))
    finished = (text.replace("group_by: TODO", "group_by: [mrn, recorded_time]")
                    .replace("assessment_id:   TODO", "assessment_id:   \"mrn || '/' || instrument\"  #")
                    .replace("codes: TODO", "codes: {" + ", ".join(f'"30401000{i:02d}": PHQ-9 item {i}' for i in range(1, 10))
                             + ', "3040100010": PHQ-9 total}'))
    mapped = map_export(load(write(tmp_path, "finished.yaml", finished)), [epic / "PHQ9_Flowsheet_Rows_20251201.csv"])
    rows = [t for t in mapped.tables if t.table == "assessments"][0].layers[0].to_pylist()
    # the rows of other codes (the difficulty question) were "not used" with no reason given
    assert "not used (rows whose code is no instrument's item or total" in usage_line(mapped.files[0])
    assert [(r["assessment_id"], r["instrument"], r["total_score"], r["item_9"]) for r in rows] == [
        ("00184520/PHQ-9", "PHQ-9", "14", "0"), ("00184733/PHQ-9", "PHQ-9", "14", "1")]
    assert "Flowsheet Row ID" not in text.split("# not read")[-1].splitlines()[0], "the code column is read"
