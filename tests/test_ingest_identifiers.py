"""Columns outside the canonical format (issue 13 item 5): dropped by default and named in the
load line; kept in raw with --keep-extra-columns, except direct identifiers, judged by name and
by value, which are never stored."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hostile.helpers import write

from bcm_analytics.cli import cli
from bcm_analytics.ingest import LoadOptions, load_file
from bcm_analytics.ingest.identifiers import identifier_name

# A patients export as a registry (Synthea-like) writes it: identifiers beside the canonical columns.
EXPORT = (
    "patient_id,payer,enrollment_date,SSN,FIRST,LAST,ADDRESS,DRIVERS,PASSPORT,Phone,e-mail,account_number,referral_note,notes,county\n"
    "P1,Medicare,2025-01-01,999-12-3456,Ana,Lopez,12 Elm St,S99912345,X1234567X,(555) 123-4567,ana@example.org,AC-1,self,"
    "call back,Suffolk\n"
    "P2,Medicaid,2025-01-01,999-65-4321,Bo,Chen,4 Oak Avenue Apt 2,S99954321,X7654321X,555.987.6543,bo@example.org,AC-2,"
    "\"reach at 999-11-2222\",prefers mornings,Essex\n"
)
BY_NAME = ["ssn", "first", "last", "address", "drivers", "passport", "phone", "e_mail", "account_number"]


def stored_text(con) -> str:
    """Every value in the store, as one text, to search for identifiers."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
    ).fetchall()
    return " ".join(str(con.execute(f"SELECT list(t) FROM {s}.{t} t").fetchall()) for s, t in tables)


def test_extra_columns_are_dropped_by_default_and_named(store, tmp_path):
    result = load_file(store, write(tmp_path, "patients.csv", EXPORT))
    assert result.rows_loaded == 2 and result.extra_columns == []
    assert result.dropped_columns == [*BY_NAME, "referral_note", "notes", "county"]
    assert result.identifier_columns == BY_NAME
    assert store.execute("SELECT count(*) FROM raw.patients WHERE _extra IS NOT NULL").fetchall() == [(0,)]
    text = stored_text(store)
    for value in ("999-12-3456", "Lopez", "Elm St", "ana@example.org", "X1234567X", "S99912345", "(555) 123-4567", "call back"):
        assert value not in text


def test_keep_extra_columns_keeps_the_others_but_never_an_identifier(store, tmp_path):
    result = load_file(store, write(tmp_path, "patients.csv", EXPORT), options=LoadOptions(keep_extra_columns=True))
    # referral_note is named innocently but one of its values is a Social Security number
    assert result.identifier_columns == [*BY_NAME, "referral_note"]
    assert result.extra_columns == ["notes", "county"]
    kept = [json.loads(r[0]) for r in store.execute("SELECT _extra FROM raw.patients ORDER BY _line").fetchall()]
    assert kept == [{"notes": "call back", "county": "Suffolk"}, {"notes": "prefers mornings", "county": "Essex"}]
    text = stored_text(store)
    for value in ("999-12-3456", "999-11-2222", "Lopez", "Oak Avenue", "bo@example.org", "555.987.6543", "AC-2"):
        assert value not in text
    assert store.execute("SELECT extra_columns FROM meta.load_log").fetchall() == [(["notes", "county"],)]


@pytest.mark.parametrize(
    "column, values",
    [
        ("contact", ["ana@example.org"]),
        ("home", ["1600 Pennsylvania Ave NW"]),
        ("reach", ["+1 555-123-4567"]),
        ("x", ["123-45-6789"]),
    ],
)
def test_identifiers_are_recognised_by_value_whatever_the_column_is_called(store, tmp_path, column, values):
    text = f"patient_id,payer,enrollment_date,{column}\n" + "".join(f"P{i},M,2025-01-01,{v}\n" for i, v in enumerate(values))
    result = load_file(store, write(tmp_path, "patients.csv", text), options=LoadOptions(keep_extra_columns=True))
    assert result.identifier_columns == [column] and result.extra_columns == []


@pytest.mark.parametrize("name", ["ssn", "patient_first_name", "last_name", "street_address", "home_phone", "email", "passport_number",
                                  "drivers_license", "driver_licence_no", "mrn", "account_no", "address_1", "e_mail"])
def test_identifier_names(name):
    assert identifier_name(name)


@pytest.mark.parametrize("name", ["notes", "county", "referral_source", "zip", "visit_count", "language"])
def test_other_names_are_not_identifiers(name):
    assert not identifier_name(name)


def test_the_load_line_names_what_was_dropped(tmp_path):
    db = tmp_path / "s.duckdb"
    export = write(tmp_path, "patients.csv", EXPORT)
    out = CliRunner().invoke(cli, ["load", str(export), "--db", str(db)]).output
    assert ("; extra columns dropped: referral_note, notes, county; dropped as direct identifiers (never stored): "
            "ssn, first, last, address, drivers, passport, phone, e_mail, account_number") in out
    out = CliRunner().invoke(cli, ["load", str(write(tmp_path, "patients_2.csv", EXPORT + "P3,M,2025-01-01,,,,,,,,,,,,\n")), "--db", str(db),
                                   "--keep-extra-columns"]).output
    assert ("; extra columns kept in raw: notes, county; dropped as direct identifiers (never stored): "
            "ssn, first, last, address, drivers, passport, phone, e_mail, account_number, referral_note") in out
