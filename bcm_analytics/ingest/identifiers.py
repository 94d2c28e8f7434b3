"""Columns that identify a person directly, which the store never keeps.

An export often carries more than the canonical columns: a registry's patients file brings
names, a Social Security number, an address. The canonical tables need none of them (the
program's patient_id links everything), so a column outside tables.yaml is dropped at load by
default; `bcm load --keep-extra-columns` keeps the others in raw.<table>._extra, but never
one that looks like a direct identifier (HIPAA's list: names, street address, phone, email,
Social Security, passport, driver's licence, account and medical record numbers), judged by
its name and, for the columns that would be kept, by its values.
"""

from __future__ import annotations

import re

import duckdb

from bcm_analytics.contracts.columns import sql_text

# Matched against the normalised column name (lower case, words joined by "_"), as whole words.
NAME_WORDS = {
    "ssn", "social_security", "socialsecurity", "sin",
    "name", "names", "first", "last", "middle", "maiden", "surname", "given", "family", "firstname", "lastname",
    "fullname", "prefix", "suffix", "nickname", "alias",
    "address", "address1", "address2", "street", "addr", "line1", "line2",
    "phone", "telephone", "tel", "mobile", "cell", "fax", "contact_number",
    "email", "e_mail", "mail",
    "passport", "drivers", "driver", "licence", "license", "dl",
    "account", "acct", "iban", "mrn", "medical_record", "member_id", "subscriber_id",
}
NAME_PHRASES = re.compile(r"(^|_)(social_security|e_mail|medical_record|member_id|subscriber_id|contact_number)(_|$)")

# Values shaped like a direct identifier (SQL regular expressions, case-insensitive). A Social
# Security number, an email address or a phone number is found anywhere in a value (a note
# that quotes one is as identifying as a column of them); a street address when it is the value.
FOUND_IN_TEXT = {
    "social security number": r"(^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}([^0-9]|$)",
    "email address": r"[^@\s]+@[^@\s]+\.[a-z]{2,}",
    "phone number": r"(^|[^0-9])(\+?1[ .-]?)?\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}([^0-9]|$)",
}
WHOLE_VALUE = {
    "street address": r"[0-9]+[a-z]?\s+([a-z0-9.']+\s+){1,5}(st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court"
                      r"|pl|place|ter|terrace|pkwy|parkway|hwy|highway|cir|circle|sq|square)\.?(\s+(n|s|e|w|ne|nw|se|sw)\.?)?"
                      r"(,?\s+(apt|suite|unit|#)\s*\S+)?",
}


def identifier_name(column: str) -> bool:
    """A column named like a direct identifier (patient_first_name, SSN, Address 1, e-mail)."""
    words = set(column.split("_"))
    return bool(words & NAME_WORDS) or column in NAME_WORDS or bool(NAME_PHRASES.search(column))


def identifier_values(con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str]) -> list[str]:
    """Of `columns` ({name: SQL expression over `relation`}), those where any value holds a direct
    identifier: one Social Security number in a column is one too many to keep."""
    if not columns:
        return []
    found_in = sql_text("|".join(f"({p})" for p in FOUND_IN_TEXT.values()))
    whole = sql_text("|".join(f"({p})" for p in WHOLE_VALUE.values()))
    tests = [
        f"coalesce(bool_or(regexp_matches({expr}, {found_in}, 'i') OR regexp_full_match(trim({expr}), {whole}, 'i')), false)"
        for expr in columns.values()
    ]
    found = con.execute(f"SELECT {', '.join(tests)} FROM {relation}").fetchall()[0]
    return [name for name, hit in zip(columns, found) if hit]
