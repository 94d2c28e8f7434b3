"""Expectations compiled to SQL, so DuckDB checks a whole file or table in one pass.

Two sources, one shape: the format contract (required columns are filled, values parse as
their type: tables.yaml) and the great-expectations suite for the table
(data_contracts/suites/<table>.json). Each expectation type we use has a compiler here that
mirrors great-expectations' own semantics (missing values are ignored unless the expectation
is about missing values; a row_condition limits which rows are judged), and
tests/test_contracts.py proves both engines flag the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bcm_analytics.contracts.columns import (
    SPREADSHEET_ERRORS,
    TYPE_WORDS,
    TextOptions,
    named,
    parsed_ok,
    problem,
    raw_name,
    sql_text,
    typed_sql,
)
from bcm_analytics.contracts.snippets import frame_sql, parameter_sql
from bcm_analytics.contracts.suites import SQL_CHECK, Expectation, expectations
from bcm_analytics.contracts.tables import TableSpec, table_specs


@dataclass(frozen=True)
class RowCheck:
    """A predicate over one row of a table's frame: the row fails when `passes` is not TRUE."""

    name: str
    passes: str  # SQL boolean over the frame's columns (and `_raw_<col>` text in the loader)
    reason: str  # SQL text expression: a sentence a person can act on
    severity: str = "reject"  # reject | warn
    waits_for: str | None = None  # failing only such checks, a row waits for that table
    kept_in: str | None = None  # ... and meanwhile sits in this table
    columns: tuple[str, ...] = ()  # the table's columns the reason names (named as the file names them: TextOptions.labels)


def format_checks(spec: TableSpec, options: TextOptions = TextOptions()) -> list[RowCheck]:
    checks = []
    for col in spec.columns:
        raw = raw_name(col.name)
        if col.required:
            checks.append(RowCheck(f"{col.name} required", f"{raw} IS NOT NULL", sql_text(f"{col.name} is empty but required"),
                                   columns=(col.name,)))
        if col.type in TYPE_WORDS:
            readable = f"{raw} IS NULL OR {parsed_ok(col)}"
            if col.time_of:  # a clock time is readable alone: an unreadable date is its own column's fault
                readable = f"CASE WHEN {readable} THEN true ELSE bcm_parse_time_of_day({raw}) IS NOT NULL END"
            checks.append(RowCheck(f"{col.name} readable as {col.type}", readable, problem(col, options), columns=(col.name,)))
    texts = [col.name for col in spec.columns if col.type in ("text", "term", "code")]
    ids = [col.name for col in spec.columns if col.type in ("text", "code")]
    return checks + ([spreadsheet_error_check(texts, ids)] if texts else [])


SPREADSHEET_ERROR_ADVICE = (" is a spreadsheet error (a formula that failed), not a value: correct the cell or its formula "
                            "in the source and export again")
SHORT_FORM_ADVICE = (" is a number in a spreadsheet's short form (scientific notation), whose other digits may be lost: "
                     "format the column as text in the source and export again")
# 1.23457E+11: a long id in a cell formatted General, as Excel shows it and a CSV saved from it writes it
SHORT_FORM = r"[0-9](\.[0-9]+)?[eE][+-][0-9]{1,3}"


def spreadsheet_error_check(columns: list[str], ids: list[str]) -> RowCheck:
    """A text cell holding a spreadsheet error (#N/A as a patient id) is a failed formula in the
    source, not a value: as text it loaded, or waited for a patient called '#N/A', and the reason
    given named a missing patient. Numbers and dates already refuse it as unreadable. An id or
    code column's number in scientific notation (1.23457E+11) lost its digits in the spreadsheet:
    it loaded as an id, and two patients rounded alike were one. One check over the table's text
    columns, cheap on the rows that hold no '#' at the start and no E."""
    errors = "(" + ", ".join(sql_text(e) for e in SPREADSHEET_ERRORS) + ")"
    failed = {c: f"(starts_with({raw_name(c)}, '#') AND {raw_name(c)} IN {errors})" for c in columns}
    short = {c: f"(contains(upper({raw_name(c)}), 'E') AND regexp_full_match({raw_name(c)}, '{SHORT_FORM}'))" for c in ids}
    sentences = ", ".join(  # each column that holds one: a row with two named only the first
        f"CASE WHEN {test} THEN {sql_text(c + ' ' + chr(39))} || {raw_name(c)} || {sql_text(chr(39) + advice)} END"
        for tests, advice in ((failed, SPREADSHEET_ERROR_ADVICE), (short, SHORT_FORM_ADVICE)) for c, test in tests.items())
    reason = f"array_to_string(list_filter([{sentences}], lambda x: x IS NOT NULL), '; ')"
    holds = [*failed.values(), *short.values()]
    return RowCheck("no spreadsheet errors", f"NOT coalesce({' OR '.join(holds)}, false)", reason, columns=tuple(columns))


# --- values -----------------------------------------------------------------------------


def is_parameter(value) -> bool:
    return isinstance(value, dict) and "$PARAMETER" in value


def literal(value) -> str:
    if is_parameter(value):
        return f"({parameter_sql(value['$PARAMETER'])})"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return sql_text(str(value))


def _members(values) -> str:
    if is_parameter(values):
        return parameter_sql(values["$PARAMETER"])
    return ", ".join(literal(v) for v in values)


def condition(cond: dict) -> str:
    """A great-expectations row_condition (structured form) as SQL with pandas' NULL rules.

    GE evaluates conditions with DataFrame.query, where a missing value is unequal to
    everything: `!=` and `NOT IN` hold for it, every other comparison does not.
    """
    kind = cond["type"]
    if kind in ("and", "or"):
        return "(" + f" {kind.upper()} ".join(condition(c) for c in cond["conditions"]) + ")"
    col = cond["column"]["name"]
    if kind == "nullity":
        return f"({col} IS {'' if cond['is_null'] else 'NOT '}NULL)"
    op, param = cond["operator"], cond["parameter"]
    if op == "IN":
        return f"coalesce({col} IN ({_members(param)}), false)"
    if op == "NOT_IN":
        return f"coalesce({col} NOT IN ({_members(param)}), true)"
    sql_op = {"==": "=", "!=": "<>"}.get(op, op)
    return f"coalesce({col} {sql_op} {literal(param)}, {'true' if op == '!=' else 'false'})"


# --- row expectations ---------------------------------------------------------------------


def _in_set(kw: dict) -> str:
    col = kw["column"]
    return f"{col} IS NULL OR {col} IN ({_members(kw['value_set'])})"


def _between(kw: dict) -> str:
    col = kw["column"]
    parts = []
    if kw.get("min_value") is not None:
        parts.append(f"{col} {'>' if kw.get('strict_min') else '>='} {literal(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"{col} {'<' if kw.get('strict_max') else '<='} {literal(kw['max_value'])}")
    return f"{col} IS NULL OR ({' AND '.join(parts)})"


def _not_null(kw: dict) -> str:
    return f"{kw['column']} IS NOT NULL"


def _null(kw: dict) -> str:
    return f"{kw['column']} IS NULL"


def _regex(kw: dict) -> str:
    col, pattern = kw["column"], kw["regex"]
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"regex {pattern!r} for {col} must be anchored with ^...$ (great-expectations searches)")
    return f"{col} IS NULL OR regexp_matches(CAST({col} AS VARCHAR), {sql_text(pattern)})"


def _pair_greater(kw: dict) -> str:
    a, b = kw["column_A"], kw["column_B"]
    compare = f"{a} {'>=' if kw.get('or_equal') else '>'} {b}"
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    if ignore == "either_value_is_missing":
        return f"{a} IS NULL OR {b} IS NULL OR {compare}"
    if ignore == "both_values_are_missing":
        return f"({a} IS NULL AND {b} IS NULL) OR coalesce({compare}, false)"
    return f"coalesce({compare}, false)"


def _skip_missing(columns: list[str], kw: dict) -> str:
    how = kw.get("ignore_row_if", "all_values_are_missing")
    if how == "never":
        return "false"
    joiner = " OR " if how == "any_value_is_missing" else " AND "
    return "(" + joiner.join(f"{c} IS NULL" for c in columns) + ")"


def _valid_npi(kw: dict) -> str:
    col = kw["column"]
    return f"{col} IS NULL OR bcm_npi_valid(CAST({col} AS VARCHAR))"


def _items_sum(kw: dict) -> str:
    total, *items = kw["column_list"]
    return f"{_skip_missing(kw['column_list'], kw)} OR {total} = {' + '.join(items)}"


def _present_items_fit(kw: dict) -> str:
    total, *items = kw["column_list"]
    present = " + ".join(f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END" for c in items)
    summed = " + ".join(f"coalesce({c}, 0)" for c in items)
    return (f"{total} IS NULL OR ({present}) IN (0, {len(items)}) OR "
            f"({summed} <= {total} AND {total} <= {summed} + {int(kw['item_max'])} * ({len(items)} - ({present})))")


COMPILERS = {
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
    "expect_column_values_to_be_valid_npi": _valid_npi,
    "expect_multicolumn_items_to_sum_to_total": _items_sum,
    "expect_multicolumn_present_items_to_fit_total": _present_items_fit,
}


def passes(exp: Expectation) -> str:
    """SQL that is TRUE when a row meets the expectation."""
    try:
        compiler = COMPILERS[exp.type]
    except KeyError:
        raise ValueError(f"{exp.label}: no SQL compiler for row expectation type {exp.type}") from None
    sql = compiler(exp.kwargs)
    if exp.kwargs.get("row_condition"):
        sql = f"NOT {condition(exp.kwargs['row_condition'])} OR ({sql})"
    return f"({sql})"


# A reason template quotes a row's value as {column}; {column:hint} adds a clause only for the
# values the hint is about, and nothing for any other (macros.sql):
#   date_serial: the value is an Excel date serial of the data's years (45688.5 is 2025-01-31 12:00),
#                a date pasted into a column of numbers or the columns shifted.
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
HINTS = {"date_serial": "bcm_date_serial_hint({})"}


def reason_sql(template: str, as_written: frozenset[str] = frozenset(), dates: frozenset[str] = frozenset(),
               options: TextOptions = TextOptions()) -> str:
    """'minutes {minutes} is ...' -> SQL text quoting the row's value where {column} stands; a
    column in `as_written` (a vocabulary word, read lower-cased) is quoted as the export wrote it,
    and one in `dates` as written with how it was read when that differs (bcm_show_date: a
    2-digit year a pivot filled, 3/4/68 read as 2068-03-04; a date a profile's format read,
    '06/01/2099' read as 2099-01-06: options.written). {column:hint} is the clause of HINTS
    for the value, empty when the hint does not apply."""

    def value(column: str) -> str:
        if column in dates:
            return f"bcm_show_date({options.as_written(column)}, {column})"
        return f"bcm_show({raw_name(column) if column in as_written else column})"

    def hint(column: str, name: str) -> str:
        if name not in HINTS:
            raise ValueError(f"reason '{template}': unknown hint '{{{column}:{name}}}' (known: {', '.join(HINTS)})")
        return HINTS[name].format(column)

    pieces, at = [], 0
    for found in PLACEHOLDER.finditer(template):
        if found.start() > at:
            pieces.append(sql_text(template[at:found.start()]))
        column, name = found.groups()
        pieces.append(hint(column, name) if name else value(column))
        at = found.end()
    if at < len(template):
        pieces.append(sql_text(template[at:]))
    return " || ".join(pieces) if pieces else "''"


def row_check(exp: Expectation, options: TextOptions = TextOptions()) -> RowCheck:
    reason = exp.reason or f"{exp.name}: not met"
    table_columns = table_specs()[exp.table].columns
    terms = frozenset(c.name for c in table_columns if c.type == "term")
    dates = frozenset(c.name for c in table_columns if c.type in ("date", "datetime"))
    # The columns the sentence is about: those it quotes ({minutes}) and those the expectation judges.
    kw = exp.kwargs
    judged = [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *kw.get("column_list", [])]
    about = {m.group(1) for m in PLACEHOLDER.finditer(reason)} | {c for c in judged if c}
    columns = tuple(c.name for c in table_columns if c.name in about)
    return RowCheck(exp.name, passes(exp), reason_sql(reason, terms, dates, options), exp.severity, exp.waits_for, exp.kept_in,
                    columns)


def suite_row_checks(table: str, options: TextOptions = TextOptions()) -> list[RowCheck]:
    return [row_check(e, options) for e in expectations(table) if e.scope == "row"]


def row_checks(table: str, options: TextOptions = TextOptions()) -> list[RowCheck]:
    """Every check the loader runs on each row of a file of `table` (format first)."""
    return format_checks(table_specs()[table], options) + suite_row_checks(table, options) + store_checks(table)


# A new patient whose id is a loaded patient's written another way (bcm_id_number: leading zeros
# dropped, .0 added): a spreadsheet rewrote the ids of one of the two patients exports.
ANOTHER_SPELLING = ("patient_id '{}' is not loaded, but patient '{}' is: the same id written another way (leading zeros "
                    "dropped or .0 added by a spreadsheet?), so this row would add the patient a second time; correct "
                    "patient_id in the export a spreadsheet changed (format the column as text) and load it again")
RESTORED_SPELLING = ("patient_id '{}' is new, but patient '{}' is loaded: the same id with the leading zeros (or without the "
                     ".0) a spreadsheet takes off; if an earlier export lost them, the patient is now counted twice: load the "
                     "corrected exports into a new store")


def store_checks(table: str) -> list[RowCheck]:
    """What a row is judged on against the store, which no suite can say: a patients export whose
    ids lost their leading zeros (412 for the loaded 000412) added every patient again, silently,
    and the active caseload doubled. Not matched by a guess: the row is set aside with the id it
    likely means. Only the id a spreadsheet makes of a number (fewer leading zeros, .0 added; A12
    beside A012 is no number) is set aside. The other way round the loaded patient is the damaged
    one: the export that corrects it loads, with a warning, since the damaged patient stays stored
    beside it. Checked at load only (a stored row is its own match)."""
    if table != "patients":
        return []
    return [_spelling_check("patient id not a loaded one written another way", "reject", "patient_id", ANOTHER_SPELLING),
            _spelling_check("patient id not a loaded one with its zeros restored", "warn", "s.loaded_id", RESTORED_SPELLING)]


def _spelling_check(name: str, severity: str, damaged: str, words: str) -> RowCheck:
    """A new patient id whose number is a loaded id's, where `damaged` (the new `patient_id` or the
    loaded `s.loaded_id`) is the one written as a spreadsheet writes a number: fewer leading zeros,
    or .0 added."""
    whole = "s.loaded_id" if damaged == "patient_id" else "patient_id"
    # the loaded ids under another name, so that patient_id in the subquery below is the row's
    loaded = "(SELECT patient_id AS loaded_id, bcm_id_number(patient_id) AS number FROM staging.patients)"
    spoilt = (f"(regexp_matches({damaged}, '\\.0+$') AND NOT regexp_matches({whole}, '\\.0+$') "
              f"OR length({whole}) - length(ltrim({whole}, '0')) > length({damaged}) - length(ltrim({damaged}, '0')))")
    digits = "regexp_full_match(patient_id, '[0-9]+(\\.0+)?') AND regexp_full_match(s.loaded_id, '[0-9]+(\\.0+)?')"
    same = (f"(SELECT min(s.loaded_id) FROM {loaded} s WHERE s.number = bcm_id_number(patient_id) AND s.number <> '' "
            f"AND {digits} AND {spoilt})")
    passes = f"patient_id IS NULL OR patient_id IN (SELECT patient_id FROM staging.patients) OR {same} IS NULL"
    sentence = words.replace("'", "''").format("' || patient_id || '", "' || " + same + " || '")
    return RowCheck(name, passes, f"'{sentence}'", severity=severity, columns=("patient_id",))


FAILURE_TYPE = "STRUCT(name VARCHAR, reason VARCHAR, waits BOOLEAN)[]"


def _passed(i: int) -> str:
    """The column holding whether a row passes check number i (all checks, rejects then warnings)."""
    return f"_check_{i}"


def _all_pass(numbers: list[int]) -> str:
    return " AND ".join(_passed(i) for i in numbers) or "true"


def _failure_list(checks: list[tuple[int, RowCheck]], passed: str, labels: str = TextOptions.labels,
                  reasons: Collection[str] | None = None) -> str:
    """The checks a row fails, as a list; built only for rows that fail one (`passed` is false),
    since most rows pass and a list of structs per row costs more than all the checks. Each
    reason names its columns as the file does (`labels`: TextOptions.labels); a check not among
    `reasons` (None: all) is given its name alone (checked_sql says why)."""

    def reason(c: RowCheck) -> str:
        if reasons is not None and c.name not in reasons:
            return sql_text(c.name)
        return named(f"coalesce({c.reason}, {sql_text(c.name)})", c.columns if labels != TextOptions.labels else (), labels)

    items = ", ".join(
        f"CASE WHEN NOT {_passed(i)} THEN {{'name': {sql_text(c.name)}, 'reason': {reason(c)}, "
        f"'waits': {'true' if c.waits_for else 'false'}}} END"
        for i, c in checks
    )
    if not items:
        return f"CAST([] AS {FAILURE_TYPE})"
    return f"CASE WHEN {passed} THEN CAST([] AS {FAILURE_TYPE}) ELSE list_filter([{items}], lambda x: x IS NOT NULL) END"


def checked_sql(table: str, texts: str, options: TextOptions = TextOptions(), reasons: Collection[str] | None = None) -> str:
    """The frame of `table` over rows of exported text, with what each row breaks.

    `texts` names a relation with `_raw_<column>` text columns (plus any provenance); the
    result adds the typed columns (contracts/columns.py), the frame's extra columns, `_ok`
    (the row passes every reject check), `_warned` (it breaks a warn check) and two lists of
    {check, reason, waits}: `_failures` (reject checks) and `_warnings`.

    Each check is evaluated once per row, into a column that `_ok`, `_warned` and the lists
    read: a check that looks a value up (patient known) is a join, which DuckDB would
    otherwise run once for `_ok` and again for the list.

    `reasons` names the checks whose sentences are written (None: every check's); the others
    give their name. The sentences are most of the query's text (a number column's says whether its value
    looks like a date, with the whole date reader in it), and DuckDB plans them whether or not a
    row fails: 0.55 s of a 0.6 s plan for the assessments. The loader judges a file without them,
    then the rows that fail with the sentences of the checks they fail (ingest.rows.check).
    """
    checks = list(enumerate(row_checks(table, options)))
    rejects = [(i, c) for i, c in checks if c.severity == "reject"]
    warnings = [(i, c) for i, c in checks if c.severity == "warn"]
    frame = frame_sql(table, typed_sql(table_specs()[table], texts, options))
    if not checks:
        return f"SELECT *, true AS _ok, false AS _warned, CAST([] AS {FAILURE_TYPE}) AS _failures, CAST([] AS {FAILURE_TYPE}) AS _warnings FROM ({frame})"
    passed = ", ".join(f"coalesce({c.passes}, false) AS {_passed(i)}" for i, c in checks)
    judged = (f"SELECT *, {_all_pass([i for i, _ in rejects])} AS _ok, NOT ({_all_pass([i for i, _ in warnings])}) AS _warned "
              f"FROM (SELECT *, {passed} FROM ({frame}))")
    return (f"SELECT * EXCLUDE ({', '.join(_passed(i) for i, _ in checks)}), "
            f"{_failure_list(rejects, '_ok', options.labels, reasons)} AS _failures, "
            f"{_failure_list(warnings, 'NOT _warned', options.labels, reasons)} AS _warnings FROM ({judged})")


# --- table expectations -------------------------------------------------------------------


def unexpected_rows_sql(exp: Expectation, frame: str) -> str:
    """A query returning what breaks the expectation over `frame` (a SELECT), any scope."""
    kw = exp.kwargs
    if exp.scope == "row":
        return f"SELECT * FROM ({frame}) WHERE NOT coalesce({passes(exp)}, false)"
    if exp.type == "expect_column_values_to_be_unique":
        col = kw["column"]
        return f"SELECT * FROM ({frame}) WHERE {col} IS NOT NULL QUALIFY count(*) OVER (PARTITION BY {col}) > 1"
    if exp.type == "expect_compound_columns_to_be_unique":
        cols = kw["column_list"]
        return (
            f"SELECT * FROM ({frame}) WHERE NOT {_skip_missing(cols, kw)} "
            f"QUALIFY count(*) OVER (PARTITION BY {', '.join(cols)}) > 1"
        )
    if exp.type == SQL_CHECK:
        return kw["unexpected_rows_query"].replace("{batch}", f"({frame})")
    raise ValueError(f"{exp.label}: no SQL compiler for table expectation type {exp.type}")


def stored_frame(table: str) -> str:
    return frame_sql(table, f"staging.{table}")
