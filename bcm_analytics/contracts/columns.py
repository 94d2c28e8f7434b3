"""SQL that turns landed text into typed staging columns, generated from tables.yaml.

Every typed column keeps its raw text beside it (`_raw_<column>`) until the checks have run,
so a quarantine reason can quote exactly what the export said. The readers themselves are
macros in parsing.sql; a value none of them can read is NULL, and problem() says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache

from bcm_analytics.contracts.tables import ColumnSpec, TableSpec

# What a value of a type, or of a format (tables.yaml), may be: the contract README's "readable as"
# checks and the quarantine reason of a value that is none of it say it in these words
# (accepted()). An item's answer is read as loinc.yaml scores it: answer_words().
# The dates the readers take (parsing.sql: bcm_parse_local_other's formats, an Excel serial day,
# epoch numbers in bcm_parse_instant, a month written as a word: bcm_parse_month_date; a slash
# date written day first in a column that writes every one so: landing.slash_date_evidence; its
# dashed form 01-31-2025 read as the slash date it is: bcm_slashed),
# each as an example of 31 January 2025 and, where the example
# does not say it, what it is. A date column reads a date-time's date, and a start time (time_of)
# reads a date-time or a time of day (bcm_parse_time_of_day). test_ingest_values loads every
# example and finds each of the readers' formats among them, a date order with each of its own
# times (31.01.2025 reads 14:05 as well as 14:05:30, but not 2:05 PM).
DATE_FORMS = (
    ("2025-01-31", ""), ("01/31/2025", ""), ("31/01/2025", "in a column that writes the day first"),
    ("01-31-2025", "dashes read as slashes"),
    ("2025/01/31", ""), ("31.01.2025", ""), ("20250131", ""), ("45688", "an Excel serial day"),
    ("1738281600", "epoch seconds"), ("1738281600000", "epoch milliseconds"),
    # a month written as a word (parsing.sql: bcm_parse_month_date), read one way only
    ("Jan 31, 2025", "the month's name or its 3 letters, any case: January, JAN, Jan., Sept"),
    ("31-Jan-2025", ""), ("31 Jan 2025", ""), ("2025-Jan-31", ""),
)
DATETIME_FORMS = (  # each date with each time its readers take (a T or a space between them)
    ("2025-01-31 14:05", ""), ("2025-01-31T14:05:30", ""), ("2025-01-31 14:05:30.250", ""),
    ("01/31/2025 14:05", ""), ("01/31/2025 14:05:30", ""), ("01/31/2025 2:05 PM", ""), ("01/31/2025 2:05:30 PM", ""),
    ("2025/01/31 14:05:30", ""), ("31.01.2025 14:05", ""), ("31.01.2025 14:05:30", ""),
    # a UTC offset in each form bcm_offset reads: Z, +01:00, +0100, -05 (hours alone: DuckDB's and PostgreSQL's text)
    ("2025-01-31T14:05:00Z", ""), ("2025-01-31 14:05-05:00", ""), ("2025-01-31T14:05:30.250+01:00", ""),
    ("2025-01-31T14:05:30+0100", ""), ("2025-01-31 14:05:30-05", ""),
    ("45688.5", "an Excel serial day and time"),
    ("Jan 31, 2025 2:05 PM", ""), ("31-Jan-2025 14:05", ""),  # a month word's date takes the US formats' times
)
TIME_FORMS = (("09:30", ""), ("09:30:15", ""), ("14:30:00.000", ""), ("9:30 AM", ""), ("9:30:15 AM", ""), ("2:30pm", ""))


def forms(examples) -> str:
    """Examples of DATE_FORMS and its neighbours as the words list them: 45688 (an Excel serial day)."""
    return ", ".join(f"{example} ({what})" if what else example for example, what in examples)


DATE_WORDS = forms(DATE_FORMS + DATETIME_FORMS)
# What a value of a number column is, by its format or type, as a sentence names it: TYPE_WORDS and
# FORMAT_WORDS start with it, and a quarantine reason says "... is not <noun>" (parsing.sql:
# bcm_number_problem, given it by problem()), so each noun is written here once.
NOUNS = {"integer": "a whole number", "number": "a number", "amount": "an amount", "duration": "a duration",
         "answer": "an answer"}
TYPE_WORDS = {
    "integer": NOUNS["integer"],
    "number": f"{NOUNS['number']} (digits with a decimal point, e.g. 12.5)",
    "date": f"a real date in a known format ({DATE_WORDS})",
    "datetime": f"a real date/time in a known format ({DATE_WORDS})",
}
TIME_WORDS = f"a time of day ({forms(TIME_FORMS)}) or a date/time in a known format ({forms(DATETIME_FORMS)})"
FORMAT_WORDS = {
    "duration": f"{NOUNS['duration']} (90, 12.5, 1:30, 01:30:00, 90 min, 1.5 h or 1h 30m)",
    "amount": f"{NOUNS['amount']} (1145.00, $1,145.00, 1,145.00, ($12.50) for -12.50)",
    "score": f"{NOUNS['integer']}, or one with the label of its severity band on the row's instrument (14 (moderate), 7 - mild)",
}
# What a spreadsheet shows in a cell whose formula failed, as it reaches a CSV saved from it or a
# workbook read by bcm: never an id, a name or a vocabulary word.
SPREADSHEET_ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                      "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA")


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def raw_name(column: str) -> str:
    return f"_raw_{column}"


@dataclass(frozen=True)
class TextOptions:
    """How a batch's text is read, as SQL over its rows: constants for the rows of one file, or
    columns of the batch when waiting rows of several loads are judged again.

    year_pivot: the year 2-digit years are read against (a profile's two_digit_year_pivot), or NULL
    decimal_comma: a list of the columns written with a decimal comma (in a ;-delimited file)
    day_first: a list of the date columns whose slash dates put the day first (14/02/2025)
    day_undecided: a list of the date columns (of a ;-delimited file) whose slash dates never say
        which comes first: a date that reads two ways (01/10/2026) is read neither way
    labels: a JSON object naming the file's own column for each canonical column it calls otherwise
        ({"entry_id": "Encounter ID"}: a profile's source column, a header that is not bcm's name), or NULL;
        reasons name a column so: 'Encounter ID [entry_id] is empty but required'
    date_words: a JSON object giving, for a date column, what a profile reads in it beyond bcm's forms
        (profile_words: " nor 31.01.25 (the profile's %d.%m.%y)"), or NULL: a date none of them reads
        is set aside saying it after bcm's list
    own_years: a list of the date columns a profile's format reads 2-digit years in (%y): a date
        with one that none reads is not told to set a pivot (its year was read), but what reads
    written: a JSON object giving, for a date column, its value as the source file wrote it where a
        profile rewrote it (read with its date_format, written as ISO: arrow_source.WRITTEN), or
        NULL: a reason quotes that value, and the date it was read as, not the ISO text the
        profile handed on, which is nowhere in the file
    """

    year_pivot: str = "CAST(NULL AS INTEGER)"
    decimal_comma: str = "CAST([] AS VARCHAR[])"
    day_first: str = "CAST([] AS VARCHAR[])"
    day_undecided: str = "CAST([] AS VARCHAR[])"
    labels: str = "CAST(NULL AS JSON)"
    date_words: str = "CAST(NULL AS JSON)"
    own_years: str = "CAST([] AS VARCHAR[])"
    written: str = "CAST(NULL AS JSON)"

    def as_written(self, column: str) -> str:
        """SQL: a column's text as the source file wrote it (`written`), else as the batch holds it."""
        raw = raw_name(column)
        return raw if self.written == TextOptions.written else f"coalesce({self.written} ->> {sql_text(column)}, {raw})"

    def comma(self, column: str) -> str:
        return f"list_contains({self.decimal_comma}, {sql_text(column)})"

    def date_text(self, column: str, src: str) -> str:
        """The text of a date column as the readers take it: a day-first column's slash dates
        turned month first (03/02/2025 -> 02/03/2025, and 03-02-2025 so too: parsing.sql's
        bcm_slashed), the rest as written."""
        return (f"CASE WHEN list_contains({self.day_first}, {sql_text(column)}) THEN bcm_month_first({src}) "
                f"WHEN {self.undecided(column, src)} THEN NULL ELSE {src} END")

    def accepted(self, col: ColumnSpec) -> str:
        """SQL: what a date column reads, in words: bcm's forms (accepted()), then a profile's own."""
        return f"({sql_text(accepted(col))} || coalesce({self.date_words} ->> {sql_text(col.name)}, ''))"

    def undecided(self, column: str, src: str) -> str:
        """SQL: the text `src` of `column` is a date read neither way (day_undecided), written with
        slashes or dashes (bcm_slashed)."""
        return f"(list_contains({self.day_undecided}, {sql_text(column)}) AND bcm_two_way_date({src}))"


def named(reason: str, columns, labels: str) -> str:
    """SQL: the reason sentence `reason` (SQL text) with each of `columns` named as the file names it
    (TextOptions.labels), the first time it stands in the sentence (macros.sql: bcm_name_column)."""
    for column in columns:
        reason = f"bcm_name_column({reason}, {sql_text(column)}, {labels})"
    return reason


def reader(col: ColumnSpec, src: str, options: TextOptions) -> str:
    """SQL reading column `col` (not a datetime) from its text `src`."""
    if col.type == "integer" and col.format == "answer":
        return answer_reader(src, options.comma(col.name))
    if col.type == "integer" and col.format == "score":
        return (f"coalesce(bcm_parse_integer({src}, {options.comma(col.name)}), "
                f"bcm_parse_labelled_score({src}, {instrument_of(col)}, {severity_bands()}))")
    if col.type == "integer":
        return f"bcm_parse_integer({src}, {options.comma(col.name)})"
    if col.type == "number":
        macro = {"duration": "bcm_parse_duration", "amount": "bcm_parse_amount"}.get(col.format or "", "bcm_parse_number")
        return f"{macro}({src}, {options.comma(col.name)})"
    if col.type == "date":
        return f"bcm_parse_date({src}, {options.year_pivot})"
    if col.type == "code":
        return f"bcm_procedure_code({src})" if col.modifiers else f"upper({src})"
    if col.type == "term":  # a word of a vocabulary: FQHC is fqhc, Outreach is outreach
        return term_reader(col, src)
    return src


def term_reader(col: ColumnSpec, src: str) -> str:
    """SQL reading a vocabulary word in any case, and a synonym the contract lists for it as the
    vocabulary's word (tables.yaml `synonyms`: a claim line 'Reversed' after billing is voided).
    Each synonym means one word of the vocabulary, so reading it guesses nothing; the raw layer
    keeps the word the export wrote."""
    if not col.synonyms:
        return f"lower({src})"
    whens = " ".join(f"WHEN {sql_text(word)} THEN {sql_text(term)}" for word, term in col.synonyms)
    return f"CASE lower({src}) {whens} ELSE lower({src}) END"


def answer_reader(src: str, comma: str) -> str:
    """SQL reading a questionnaire item: its score, or the answer's words or LOINC answer code
    as the LOINC catalogue scores them (Several days, LA6569-3: 1; any case). A registry writes
    the form's words; each has one score, so reading them guesses nothing."""
    from bcm_analytics.ingest.profiles.catalog import loinc  # the catalogue is the profiles' package data

    whens = " ".join(f"WHEN {sql_text(word)} THEN {score}" for word, score in loinc().answers.items())
    return f"coalesce(bcm_parse_integer({src}, {comma}), CASE lower({src}) {whens} END)"


def accepted(col: ColumnSpec) -> str:
    """What a value of `col` (a number, integer, date, datetime or start time) may be, in words: the contract
    README says it, and a value none of it reads is quarantined saying it, so a person whose
    '1h30' was set aside is told every form bcm reads, the README's list and no shorter one."""
    if col.format == "answer":
        return answer_words()
    if col.time_of:
        return TIME_WORDS
    return FORMAT_WORDS.get(col.format or "", TYPE_WORDS[col.type])


@cache
def answer_words() -> str:
    """An item's answer as answer_reader reads it: a score, or a word or answer code of the LOINC
    catalogue (loinc.yaml), each listed once in the order of its score."""
    from bcm_analytics.ingest.profiles.catalog import loinc

    catalogue = loinc()
    scores = catalogue.answers.values()
    words = sorted(catalogue.answer_words(), key=catalogue.answers.get)
    codes = sorted(catalogue.answer_codes(), key=lambda code: catalogue.answers[code.lower()])
    return (f"an item's answer ({min(scores)}-{max(scores)}, its words: {', '.join(w.capitalize() for w in words)}, "
            f"or its LOINC answer code: {', '.join(codes)})")


def instrument_of(col: ColumnSpec) -> str:
    """SQL: the instrument a score column's row names, as its code column reads it (upper case)."""
    return f"upper({raw_name(col.scored_on)})"


@cache
def severity_bands() -> str:
    """SQL list of {instrument, band, lower}: each instrument's severity bands as the shipped
    definitions.yaml gives them (an instrument measured as another, PHQ-A, has the other's),
    ordered by lower bound. A total written with its label ('14 (moderate)') is read only when
    the label is its score's band; the bands are the published ones, which a report's
    --definitions does not change at load time."""
    from bcm_analytics.config.definitions import load_definitions

    params = load_definitions().sql_params()  # the bands the models read, by the instrument measured
    rows = [
        f"{{'instrument': {sql_text(inst['name'])}, 'band': {sql_text(b['band'].lower())}, 'lower': {int(b['lower'])}}}"
        for inst in params["instruments"]
        for b in sorted((b for b in params["bands"] if b["instrument"] == inst["measured_as"]), key=lambda b: b["lower"])
    ]
    return "[" + ", ".join(rows) + "]"


def problem(col: ColumnSpec, options: TextOptions) -> str:
    """SQL for the sentence saying why the text of `col` could not be read, naming what is accepted."""
    raw = raw_name(col.name)
    if col.time_of:
        return f"bcm_time_problem({sql_text(col.name)}, {raw}, {options.accepted(col)})"
    if col.type in ("date", "datetime"):
        own_years = f"list_contains({options.own_years}, {sql_text(col.name)})"
        return (f"CASE WHEN {options.undecided(col.name, raw)} THEN bcm_two_way_date_problem({sql_text(col.name)}, {raw}) "
                f"ELSE bcm_date_problem({sql_text(col.name)}, {raw}, {options.year_pivot}, {own_years}, {options.accepted(col)}) END")
    if col.format == "score":
        return (f"coalesce(bcm_labelled_score_problem({sql_text(col.name)}, {raw}, {instrument_of(col)}, {severity_bands()}), "
                f"{number_problem(col, 'integer')})")
    return number_problem(col, col.format or col.type)


def number_problem(col: ColumnSpec, kind: str) -> str:
    """SQL for why the text of a number column could not be read as `kind` (integer, number, amount,
    duration or answer): parsing.sql's bcm_number_problem, given the kind's noun (NOUNS)."""
    return (f"bcm_number_problem({sql_text(col.name)}, {raw_name(col.name)}, {sql_text(kind)}, {sql_text(NOUNS[kind])}, "
            f"{sql_text(accepted(col))})")


# The date a profile's formats are shown writing in a reason: DATE_FORMS' day, at 14:05:30.
EXAMPLE_DATE = datetime(2025, 1, 31, 14, 5, 30, tzinfo=timezone.utc)


def profile_reading(spec: TableSpec, formats: dict[str, list[str]], pivot: int | None) -> dict[str, str]:
    """TextOptions' date_words and own_years for a file a profile read: its strptime formats per
    date column (the profile turned what they read into ISO dates before the load) and its pivot;
    {} for a file read without them."""
    dates = [c.name for c in spec.columns if c.type in ("date", "datetime")]
    words = {name: profile_words(formats.get(name, []), pivot) for name in dates}
    words = {name: text for name, text in words.items() if text}
    if not words:
        return {}
    own_years = [name for name in dates if any("%y" in f for f in formats.get(name, []))]
    return {"date_words": f"CAST({sql_text(json.dumps(words))} AS JSON)",
            "own_years": f"CAST([{', '.join(sql_text(n) for n in own_years)}] AS VARCHAR[])"}


def profile_words(formats: list[str], pivot: int | None) -> str:
    """What a profile reads beyond bcm's forms, as the reason says it after them: each format as
    EXAMPLE_DATE written with it, then the years a 2-digit year is read as.
    ' nor 31.01.25 (the profile's %d.%m.%y); a 2-digit year is read as 1950-2049 (two_digit_year_pivot: 1950)'"""
    named = [f"{_written(f)} (the profile's {f})" for f in formats]
    text = f" nor {', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else "".join(f" nor {n}" for n in named)
    if pivot is not None:
        text += f"; a 2-digit year is read as {pivot}-{pivot + 99} (two_digit_year_pivot: {pivot})"
    return text


def _written(fmt: str) -> str:
    """EXAMPLE_DATE written with a strptime format (DuckDB's and Python's agree on the usual
    ones); the format alone where Python cannot write it."""
    try:
        return EXAMPLE_DATE.strftime(fmt)
    except ValueError:
        return fmt


def _with_default(col: ColumnSpec) -> str:
    raw = raw_name(col.name)
    if col.default is None:
        return raw
    return f"coalesce({raw}, '{col.default}')"


def typed_expressions(spec: TableSpec, options: TextOptions = TextOptions()) -> list[list[str]]:
    """SELECT-list items producing the staging columns from the `_raw_<column>` texts, in levels:
    a column read relative to another (a start time on its service date) is in a later level,
    so it refers to the other's value instead of repeating its parse. A date's text as the readers
    take it (TextOptions.date_text) is a column of the level before them (`_date_text_<column>`):
    the parsing macros name their argument many times and DuckDB copies an argument wherever a
    macro names it, so the expression pasted in whole made every load's checks slow to plan."""
    modifiers_of = {c.modifiers: c.name for c in spec.columns if c.modifiers}
    texts, first, later = [], [], []
    for col in spec.columns:
        src = _with_default(col)
        if col.name in modifiers_of:  # its own column's and what followed the procedure code (99492-25)
            first.append(f"bcm_line_modifiers({raw_name(modifiers_of[col.name])}, {src}) AS {col.name}")
            continue
        if col.type in ("date", "datetime"):
            texts.append(f"{options.date_text(col.name, src)} AS _date_text_{col.name}")
            src = f"_date_text_{col.name}"
        if col.type != "datetime":
            first.append(f"{reader(col, src, options)} AS {col.name}")
            continue
        local = f"bcm_parse_local({src}, {options.year_pivot})"
        if col.time_of:
            local = f"coalesce({local}, CAST({col.time_of}_local AS DATE) + bcm_parse_time_of_day({src}))"
        (later if col.time_of else first).extend([
            f"{local} AS {col.name}_local",
            f"bcm_parse_instant({src}) AS {col.name}_instant",
            f"bcm_has_time({src}) AS {col.name}_has_time",
        ])
    return [level for level in (texts, first, later) if level]


def typed_sql(spec: TableSpec, texts: str, options: TextOptions = TextOptions()) -> str:
    """The rows of `texts` (a relation with `_raw_<column>` columns) with the typed columns added."""
    sql = texts
    for level in typed_expressions(spec, options):
        sql = f"(SELECT *, {', '.join(level)} FROM {sql})"
    return sql


def parsed_ok(col: ColumnSpec) -> str:
    if col.type == "datetime":
        return f"({col.name}_local IS NOT NULL OR {col.name}_instant IS NOT NULL)"
    return f"{col.name} IS NOT NULL"
