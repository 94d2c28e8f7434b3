"""Write the hostile-file corpus (tests/hostile/files/) and its manifest of expected outcomes.

    .venv/bin/python tests/hostile/make_corpus.py

Each case is a small export a real program could send us, written byte for byte, with what
the loader must do with it: load it, quarantine named lines for named reasons, or refuse the
whole file with a named problem. The 10 MB single field is not committed: the test writes it.
Time-log cases load after files/base_patients.csv (patients P1 and P2).
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import duckdb
import yaml

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
BASE_PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\nP2,Medicaid,2025-01-01\n"
LOG = "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type"


def case(name: str, data: bytes | str, what: str, outcome: str, *, encoding: str = "utf-8", **expected) -> dict:
    path = FILES / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return {"file": f"files/{name}", "what": what, "outcome": outcome, **expected}


def counts(read: int, loaded: int, quarantined: int = 0, duplicates: int = 0) -> dict:
    return {"read": read, "loaded": loaded, "quarantined": quarantined, "duplicates": duplicates}


def parquet(name: str) -> dict:
    path = FILES / name
    duckdb.execute(
        f"""COPY (SELECT * FROM (VALUES ('P1', 'Medicare', DATE '2025-01-01'), ('P2', NULL, DATE '2025-01-02'))
        t(patient_id, payer, enrollment_date)) TO '{path}' (FORMAT parquet)"""
    )
    return {"file": f"files/{name}", "what": "Parquet with typed columns and one row missing its payer", "outcome": "quarantined",
            **counts(2, 1, 1), "quarantined_lines": {2: ["payer required"]}}


def cases() -> list[dict]:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    return [
        case("patients_utf8_bom.csv", "\ufeffpatient_id,payer,enrollment_date\nP1,Medicare,2025-01-01\nP2,Medicaid,2025-01-02\n",
             "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')", "loaded", **counts(2, 2)),
        case("patients_latin1.csv", "patient_id,payer,enrollment_date\nP1,Caisse Générale,2025-01-01\nP2,Medicaid,2025-01-02\n",
             "Latin-1 text (an accented payer name)", "loaded", encoding="latin-1", **counts(2, 2),
             values={"SELECT payer FROM staging.patients WHERE patient_id = 'P1'": "Caisse Générale"}),
        case("patients_semicolon.csv", "patient_id;payer;enrollment_date\nP1;Medicare;2025-01-01\nP2;Medicaid;2025-01-02\n",
             "semicolon delimiter (European Excel)", "loaded", **counts(2, 2)),
        case("patients_pipe.csv", "patient_id|payer|enrollment_date\nP1|Medicare|2025-01-01\n", "pipe delimiter", "loaded", **counts(1, 1)),
        case("time_logs_tab.tsv", f"{LOG}\n".replace(",", "\t") + "E1\tP1\tS1\tbhcm\t2025-02-03\t30\toutreach\n",
             "tab delimiter", "loaded", **counts(1, 1)),
        case("time_logs_quoted_newlines.csv",
             f"{LOG},note\nE1,P1,S1,bhcm,2025-02-03,30,outreach,\"called twice\nleft a message\"\nE2,P1,S1,bhcm,2025-02-04,abc,outreach,\"a\n\nb\"\nE3,P1,S1,bhcm,2025-02-05,20,outreach,ok\n",
             "line breaks inside quoted values (a notes column); line numbers stay physical", "quarantined",
             **counts(3, 2, 1), quarantined_lines={4: ["minutes readable as number"]}, lines={"E1": 2, "E3": 7}),
        case("patients_excel_serial.csv", "patient_id,payer,enrollment_date\nP1,Medicare,45658\nP2,Medicaid,45688.5\n",
             "Excel serial day numbers as dates", "loaded", **counts(2, 2),
             values={"SELECT string_agg(CAST(enrollment_date AS VARCHAR), ' ' ORDER BY patient_id) FROM staging.patients": "2025-01-01 2025-01-31"}),
        case("patients_mixed_dates.csv",
             "patient_id,payer,enrollment_date\nP1,M,2025-01-31\nP2,M,01/31/2025\nP3,M,31.01.2025\nP4,M,20250131\nP5,M,2025-01-31T09:30\nP6,M,2025/01/31\n",
             "one date written six ways", "loaded", **counts(6, 6),
             values={"SELECT count(DISTINCT enrollment_date) FROM staging.patients": 1}),
        case("time_logs_epoch.csv", f"{LOG}\nE1,P1,S1,bhcm,1738591200,30,outreach\nE2,P1,S1,bhcm,1738591200000,30,outreach\n",
             "epoch seconds and epoch milliseconds in one column (instants, read in the clinic's zone)", "loaded", **counts(2, 2),
             values={"SELECT string_agg(DISTINCT CAST(service_at AS VARCHAR), ' ') FROM core.time_logs": "2025-02-03 09:00:00"}),
        case("patients_empty.csv", b"", "an empty file", "refused", refused="the file is empty"),
        case("patients_header_only.csv", "patient_id,payer,enrollment_date\n", "a header and no rows", "loaded", **counts(0, 0)),
        case("patients_duplicate_header.csv", "patient_id,payer,Payer,enrollment_date\nP1,M,M,2025-01-01\n",
             "the same column twice in the header", "refused", refused="duplicate column 'payer'"),
        case("time_logs_missing_column.csv", "entry_id,patient_id,staff_role,service_date,activity_type\nE1,P1,bhcm,2025-02-03,outreach\n",
             "a required column missing", "refused", refused="missing required column minutes for time_logs"),
        case("patients_binary.csv", junk, "binary junk named .csv", "refused", refused="binary content"),
        case("patients_gzip.csv", gzip.compress(BASE_PATIENTS.encode(), mtime=0), "a gzip file named .csv", "refused", refused="binary content"),
        case("patients_mixed_line_endings.csv",
             "patient_id,payer,enrollment_date\r\nP1,Medicare,2025-01-01\nP2,Medicare,2025-01-02,oops\r\nP3,Medicare,2025-01-03\n",
             "CRLF and LF line ends in one file, and a line with a field too many", "quarantined",
             **counts(3, 2, 1), quarantined_lines={3: ["csv: too many columns"]}),
        case("patients_old_mac.csv", "patient_id,payer,enrollment_date\rP1,Medicare,2025-01-01\rP2,Medicare,2025-01-02\r",
             "classic Mac line ends (CR only)", "loaded", **counts(2, 2)),
        case("time_logs_blank_lines.csv", f"{LOG}\n\nE1,P1,S1,bhcm,2025-02-03,30,outreach\n\n\nE2,P1,S1,bhcm,2025-02-03,0,outreach\n\n",
             "empty lines between and after records", "quarantined", **counts(2, 1, 1),
             quarantined_lines={6: ["minutes positive unless a no-show"]}, lines={"E1": 3}),
        case("time_logs_ragged.csv", f"{LOG}\nE1,P1,S1,bhcm,2025-02-03,30,outreach,extra\nE2,P1,S1,bhcm\nE3,P1,S1,bhcm,2025-02-03,30,outreach\n",
             "lines with a field too many and too few", "quarantined", **counts(3, 1, 2),
             quarantined_lines={2: ["csv: too many columns"], 3: ["csv: missing columns"]}),
        case("time_logs_whitespace_line.csv", f"{LOG}\nE1,P1,S1,bhcm,2025-02-03,30,outreach\n   \nE2,P1,S1,bhcm,2025-02-03,30,outreach\n",
             "a line of spaces between records", "quarantined", **counts(3, 2, 1), quarantined_lines={3: ["csv: missing columns"]}),
        case("patients_impossible_dates.csv", "patient_id,payer,enrollment_date\nP1,M,2026-02-30\nP2,M,2025-13-01\nP3,M,2025-01-01\n",
             "dates that do not exist", "quarantined", **counts(3, 1, 2),
             quarantined_lines={2: ["enrollment_date readable as date"], 3: ["enrollment_date readable as date"]}),
        case("patients_null_words.csv", "patient_id,payer,enrollment_date,discharge_date\nP1,M,2025-01-01,NULL\nP2,M,2025-01-01,\n",
             "the word NULL for an empty date (a database dump): not read as empty, so the row is set aside with a reason", "quarantined",
             **counts(2, 1, 1), quarantined_lines={2: ["discharge_date readable as date"]}),
        case("visits.csv", "visit_id,patient_id\nV1,P1\n", "a file named after no canonical table", "refused", refused="cannot tell which table"),
        case("patients.xlsx", b"PK\x03\x04 not really a workbook", "a file named .xlsx that is not a workbook", "refused",
             refused="not a readable .xlsx workbook"),
        case("patients_utf16.txt", "patient_id\tpayer\tenrollment_date\r\nP1\tCaisse Générale\t2025-01-01\r\n".encode("utf-16"),
             "UTF-16 tab-separated text (Excel 'Unicode Text')", "loaded", **counts(1, 1)),
        case("time_logs_unclosed_quote.csv", f"{LOG}\nE1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P1,S1,\"bhcm,2025-02-03,30,outreach\nE3,P1,S1,bhcm,2025-02-03,30,outreach\n",
             "a quote that never closes would swallow the rest of the file into one bad record: refused, naming the lines",
             "refused", refused="lines 3-4 cannot be read as rows"),
        case("patients_quotes_inside.csv", 'patient_id,payer,enrollment_date\nP1,"Blue ""Shield"" PPO",2025-01-01\nP2,5" Plan,2025-01-01\n',
             "escaped quotes, and a bare quote inside an unquoted value", "loaded", **counts(2, 2),
             values={"SELECT payer FROM staging.patients WHERE patient_id = 'P1'": 'Blue "Shield" PPO'}),
        case("patients_duplicates.csv", "patient_id,payer,enrollment_date\nP1,M,2025-01-01\nP1,M,2025-01-01\nP1,X,2025-01-01\n",
             "a row repeated, and the same key again with other values", "quarantined", **counts(3, 1, 1, 1),
             quarantined_lines={4: ["patient_id unique within file"]}),
        case("patients_header_spelling.csv", '"Patient ID","PAYER","Enrollment-Date"\nP1,Medicare,2025-01-01\n',
             "header in another spelling (case, spaces, dashes)", "loaded", **counts(1, 1)),
        case("time_logs_decimal_comma.csv", f"{LOG}\n".replace(",", ";") + "E1;P1;S1;bhcm;2025-02-03;12,5;outreach\nE2;P1;S1;bhcm;2025-02-03;12.5;outreach\n",
             "a decimal comma beside a decimal point in one column: ambiguous, so the comma is not read as 12.5 but set aside with a reason",
             "quarantined", **counts(2, 1, 1), quarantined_lines={2: ["minutes readable as number"]}),
        case("time_logs_decimal_comma_throughout.csv",
             f"{LOG}\n".replace(",", ";") + "E1;P1;S1;bhcm;2025-02-03;12,5;outreach\nE2;P1;S1;bhcm;2025-02-03;20;outreach\n",
             "a ;-delimited export writing every decimal with a comma: read as 12.5", "loaded", **counts(2, 2),
             values={"SELECT sum(minutes) FROM staging.time_logs": 32.5}),
        case("patients_windows1252.csv", "patient_id,payer,enrollment_date\nP1,St Mary\u2019s Health Plan,2025-01-01\n",
             "Windows-1252 text (a curly apostrophe, byte 0x92): decoded as Windows-1252, not Latin-1", "loaded", encoding="cp1252",
             **counts(1, 1), values={"SELECT payer FROM staging.patients": "St Mary\u2019s Health Plan"}),
        case("patients_undecodable.csv", b"patient_id,payer,enrollment_date\nP1,Medi\x81care,2025-01-01\n",
             "a byte that is no character in UTF-8 or Windows-1252", "refused",
             refused="line 2 (byte 41 of the file, 0x81) is not text in UTF-8 or Windows-1252; save it as UTF-8"),
        case("time_logs_two_digit_year.csv", f"{LOG}\nE1,P1,S1,bhcm,2/10/25,30,outreach\nE2,P1,S1,bhcm,2/10/2025,30,outreach\n",
             "a 2-digit year (Excel's short date): set aside, never read as the year 25", "quarantined", **counts(2, 1, 1),
             quarantined_lines={2: ["service_date readable as datetime"]}),
        case("time_logs_durations.csv", f"{LOG}\nE1,P1,S1,bhcm,2025-02-03,1:30,outreach\nE2,P1,S1,bhcm,2025-02-03,90 min,outreach\n"
             "E3,P1,S1,bhcm,2025-02-03,00:45:00,outreach\nE4,P1,S1,bhcm,2025-02-03,1_000,outreach\n",
             "durations as H:MM, '90 min', HH:MM:SS read as minutes; 1_000 set aside", "quarantined", **counts(4, 3, 1),
             quarantined_lines={5: ["minutes readable as number"]}, values={"SELECT sum(minutes) FROM staging.time_logs": 225.0}),
        case("time_logs_unknown_patient.csv", f"{LOG}\nE1,P1,S1,bhcm,2025-02-03,30,outreach\nE2,P404,S1,bhcm,2025-02-03,30,outreach\n",
             "a time log for a patient not exported yet: it waits", "quarantined", **counts(2, 1, 1),
             quarantined_lines={3: ["patient known"]}, waiting=1),
        parquet("patients.parquet"),
        {"file": "time_logs_10mb_field.csv", "generate": "ten_megabyte_field", "what": "a 10 MB notes field (written by the test)",
         "outcome": "loaded", **counts(2, 2)},
    ]


def main() -> None:
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        old.unlink()
    (FILES / "base_patients.csv").write_text(BASE_PATIENTS)
    manifest = {"base_patients": "files/base_patients.csv", "cases": cases()}
    (HERE / "manifest.yaml").write_text(
        "# Expected outcome of loading each hostile file (generated by make_corpus.py; edit there).\n"
        + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=120)
    )
    print(f"wrote {len(manifest['cases'])} cases to {FILES}")


if __name__ == "__main__":
    main()
