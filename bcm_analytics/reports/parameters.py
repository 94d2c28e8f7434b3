"""Report parameters, checked before a notebook runs.

papermill writes each parameter as `name = value` into a cell it injects, and only warns about a
name the notebook does not declare: a name holding code ran as code, a misspelled name silently
rendered the default, and a clinic that does not exist rendered an empty report. So: names must
be parameters of the notebook's parameters cell (read with papermill's inspect_notebook); values
are parsed to what the parameter holds (a month, a date, a file, a number ...); a clinic, payer,
care manager or instrument must be in the store. Every refusal is one line with the valid names
or values and the nearest match.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Callable

from bcm_analytics.months import starts_after_end
from bcm_analytics.reports.runner import ReportError

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
SHOWN_VALUES = 30
NONE_WORDS = ("none", "null", "")


class ParameterError(ReportError):
    """A parameter name or value is refused; the message is one line."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str  # as written in the notebook
    kind: str  # what a value looks like, for --list-parameters and refusals


def _month(text: str) -> str:
    if not MONTH.fullmatch(text):
        raise ValueError("is not a month YYYY-MM")
    return text


def _date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a date YYYY-MM-DD") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("is not a date YYYY-MM-DD")
    return text


def _file(text: str) -> str:
    path = Path(text)
    if not path.is_file():
        raise ValueError("is not a file")
    return str(path.resolve())


def _rules(text: str) -> str:
    """A rules file, or a shipped ruleset by name (texas_medicaid), as `bcm billing --rules` takes."""
    from bcm_analytics.config.rules import shipped_rulesets

    if not Path(text).is_file() and (text == "default" or text in shipped_rulesets()):
        return text
    try:
        return _file(text)
    except ValueError:
        raise ValueError("is not a file, nor a shipped ruleset" + (nearest(text, shipped_rulesets())
                                                                   or f" (shipped: {', '.join(shipped_rulesets())})")) from None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _bool(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise ValueError("is not true or false")


# Parameters named the same mean the same in every notebook: (what it looks like, parser).
KINDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "start_month": ("a month YYYY-MM", _month),
    "end_month": ("a month YYYY-MM", _month),
    "as_of": ("a date YYYY-MM-DD", _date),
    "clinic": ("a clinic id in the store", str),
    "clinics": ("clinic ids in the store, comma-separated", _list),
    "payer": ("a payer name in the store", str),  # or a class, in reports that bill: PAYER_OR_CLASS
    "care_manager": ("a care manager id in the store", str),
    "instrument": ("an instrument in the store (PHQ-9, GAD-7)", str),
    "rules": ("a rules YAML file, or a shipped ruleset's name (texas_medicaid ...)", _rules),
    "definitions": ("a definitions YAML file", _file),
    "audience": ("internal or external", str),
}
# An audience parameter whose help (its comment in the parameters cell) starts so: the report has
# no external version, and external is refused before it runs.
INTERNAL_ONLY = "internal only"
# A report that takes a rules file knows the payer classes, and takes one for a payer (_check_payer).
PAYER_OR_CLASS = "a payer name in the store, or a payer class (medicare, medicaid, commercial ...)"
# Otherwise the type of the default written in the notebook decides.
BY_TYPE: dict[str, tuple[str, Callable[[str], object]]] = {
    "int": ("a whole number", int),
    "float": ("a number", float),
    "bool": ("true or false", _bool),
    "list": ("values, comma-separated", _list),
    "str": ("text", str),
}


@cache
def _declared(source: str, mtime: float) -> dict[str, Parameter]:
    import papermill as pm

    found = {}
    for name, p in pm.inspect_notebook(source).items():
        kind = _kind(name, p["default"])[0]
        if name == "audience" and p["help"].startswith(INTERNAL_ONLY):
            kind = p["help"]
        found[name] = Parameter(name, p["default"], kind)
    if "payer" in found and takes_payer_class(found):
        found["payer"] = replace(found["payer"], kind=PAYER_OR_CLASS)
    return found


def takes_payer_class(params) -> bool:
    """Billing reports (they take a rules file) filter by a payer name or a payer class; the
    outcome reports' marts carry the payer name only."""
    return "rules" in params


def declared(notebook: Path) -> dict[str, Parameter]:
    """The parameters the notebook's `parameters` cell declares, with what each holds."""
    path = Path(str(notebook))
    return _declared(str(path), path.stat().st_mtime)


def nearest(word: str, choices) -> str:
    """'; did you mean X?' when one choice is close, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def check_names(report: str, notebook: Path, names) -> dict[str, Parameter]:
    """Refuse any name that is not a parameter of the notebook (nothing runs before this)."""
    params = declared(notebook)
    settable = [n for n in params if n != "db"]
    for name in names:
        if name == "db":
            raise ParameterError(f"{report}: the store is given with --db, not as a parameter")
        if name not in params:
            shown = name if name.isidentifier() and len(name) <= 40 else repr(name[:40] + ("…" if len(name) > 40 else ""))
            raise ParameterError(f"{report} has no parameter {shown}{nearest(name, settable)}; "
                                 f"its parameters: {', '.join(settable)}")
    return params


def parse(report: str, notebook: Path, texts: dict[str, str]) -> dict:
    """Command-line text to typed values ('none' leaves the notebook's default behaviour)."""
    params = check_names(report, notebook, texts)
    return {name: None if text.strip().lower() in NONE_WORDS else _typed(report, params[name], text)
            for name, text in texts.items()}


def _typed(report: str, param: Parameter, value):
    """A text value parsed to what the parameter holds; other values pass as given."""
    if not isinstance(value, str):
        return value
    describe, parser = _kind(param.name, param.default)
    try:
        return parser(value.strip())
    except ValueError as e:
        reason = str(e) if str(e).startswith("is not") else f"is not {describe}"
        raise ParameterError(f"{report}: {param.name} {value!r} {reason}") from None


def _kind(name: str, default: str) -> tuple[str, Callable[[str], object]]:
    """By the parameter's name, else by the type of its default (None: text)."""
    import ast

    if name in KINDS:
        return KINDS[name]
    try:
        type_name = type(ast.literal_eval(default)).__name__
    except (ValueError, SyntaxError):
        type_name = "str"
    return BY_TYPE.get(type_name, ("text", str))


def check(report: str, notebook: Path, db, values: dict) -> dict:
    """Names, then values: things named must be in the store `db`, files must load. Returns the
    values as the notebook should get them (an instrument in the store's spelling)."""
    from bcm_analytics.warehouse import connect

    params = check_names(report, notebook, values)
    values = {name: _typed(report, params[name], value) for name, value in values.items()}
    if values.get("audience") == "external" and params["audience"].kind.startswith(INTERNAL_ONLY):
        raise ParameterError(f"{report} has no external version: {params['audience'].kind.removeprefix(INTERNAL_ONLY).lstrip(': ')}")
    con = connect(db, read_only=True)
    try:
        return _check_values(report, con, values, billing=takes_payer_class(params), outcomes="definitions" in params)
    finally:
        con.close()


def given(report: str, con, **values) -> dict:
    """The values a notebook was given, checked as `bcm report` checks them, typed as it types them.
    A notebook run in Jupyter or by papermill directly skips that command: a payer typed wrong
    rendered a page of $0, a clinic not in the store failed in a cell (IndexError), and clinics
    written "CL002" were five clinics, C, L, 0, 0, 2. Names need no check: a notebook passes its own."""
    typed = {name: _typed(report, Parameter(name, "None", ""), value) for name, value in values.items()}
    return _check_values(report, con, typed, billing="rules" in typed, outcomes="definitions" in typed)


def check_filters(command: str, con, values: dict, definitions=None) -> dict:
    """A command's clinics, care_manager, payer and instrument checked against the store as a
    report's are: a misspelled clinic or 'PHQ9' wrote an empty file and said nothing. `definitions`:
    the file the command measures with (None: the store's own), which says how instruments pool."""
    checked = _check_values(command, con, {**values, "definitions": definitions}, billing=False, outcomes=True)
    del checked["definitions"]
    return checked


def _check_values(report: str, con, values: dict, billing: bool, outcomes: bool) -> dict:
    checked = dict(values)
    _check_files(values)  # first: the definitions say how instruments pool (_instrument), the rules the payer classes
    # every enrolment's (core.enrolments): an earlier one a re-enrolment replaced keeps its clinic and
    # care manager in the reports, which list its months under them
    if values.get("clinic") is not None:
        _in_store(report, "clinic", [values["clinic"]], _column(con, "clinic_id", "staging.clinics", "core.enrolments"))
    if values.get("clinics"):
        _in_store(report, "clinics", values["clinics"], _column(con, "clinic_id", "staging.clinics", "core.enrolments"))
    if values.get("care_manager") is not None:
        _in_store(report, "care_manager", [values["care_manager"]], _column(con, "care_manager_id", "core.enrolments"))
    if values.get("payer") is not None:
        _check_payer(report, con, values, billing)
    if values.get("instrument") is not None:
        checked["instrument"] = _instrument(report, con, values, outcomes)
    start, end = values.get("start_month"), values.get("end_month")
    if start is not None and end is not None and starts_after_end(start, end):  # else a notebook cell's IndexError
        raise ParameterError(f"{report}: start_month {start} is after end_month {end}")
    if values.get("audience") is not None and values["audience"] not in ("internal", "external"):
        raise ParameterError(f"{report}: audience {values['audience']!r} is not internal or external")
    if values.get("audience") == "external":
        _check_external_period(report, con, values, outcomes)
    return checked


def _instrument(report: str, con, values: dict, outcomes: bool) -> str:
    """The instrument in the store's spelling. For outcomes, as they hold scores: a PHQ-A in the
    store makes PHQ-9 a filter (its scores are measured as the PHQ-9's, measure_as) and PHQ-A
    none, refused saying which holds them (measures.check_pooled)."""
    names = _column(con, "instrument", "staging.assessments")
    given = {v.upper(): v for v in names}.get(str(values["instrument"]).upper(), str(values["instrument"]))
    if outcomes:
        from bcm_analytics.models.marts import resolve_definitions
        from bcm_analytics.outcomes.measures import check_pooled, measured_as

        definitions = resolve_definitions(con, values.get("definitions"))
        try:
            check_pooled(definitions, given)
        except ValueError as e:
            raise ParameterError(f"{report}: {e}") from None
        names = sorted({measured_as(definitions, n) for n in names})
    known = {v.upper(): v for v in names}
    if given.upper() not in known:
        _refuse_value(report, "instrument", given, list(known.values()))
    return known[given.upper()]


def _check_payer(report: str, con, values: dict, billing: bool) -> None:
    """Billing reports (they take a rules file) also accept a payer class, in any case. A payer name
    of the coverage periods is in the store as a registry one is: a patient whose registry payer is
    Medicare (the latest) bills, and is measured, under Medicaid in the months Medicaid covered.
    Names are compared as the marts read them (marts.payer_name) under the rules the report will
    use (`-p rules`, else $BCM_RULES, else the store's own): an alias those rules set, or the name
    in another case, is the payer it names."""
    payer = str(values["payer"])
    names, given = _payers(con, payer, values.get("rules"))
    if given.lower() in {n.lower() for n in names}:
        return
    if billing:
        from bcm_analytics.config.rules import load_rules

        classes = sorted(load_rules(values.get("rules")).class_parents)
        if payer.lower() in set(classes):
            return
        names = names + [f"{c} (payer class)" for c in classes]
    _refuse_value(report, "payer", payer, names)


def _check_external_period(report: str, con, values: dict, outcomes: bool) -> None:
    """An external page needs a whole calendar quarter ended by the data's last date. The notebook
    would refuse too, but inside the run, where the runner masks dates in what it passes on; here
    the refusal names the months. Each page's period as its notebook takes it: the outcome report
    (it takes definitions) 12 months to its as-of date by default, the others the months asked for,
    else the months with logged time."""
    from bcm_analytics.models.marts import latest_data_date
    from bcm_analytics.months import as_date
    from bcm_analytics.outcomes.measures import outcome_period
    from bcm_analytics.overview import report_period
    from bcm_analytics.reports.privacy import external_period

    last_date = latest_data_date(con)
    if last_date is None:
        return  # an empty store: the notebook says so
    start_month, end_month = values.get("start_month"), values.get("end_month")
    try:
        if outcomes:
            as_of = as_date(values["as_of"]) if values.get("as_of") else last_date
            asked = outcome_period(as_of, start_month, end_month)
            external_period(asked["start_month"], asked["end_month"], as_of, None if start_month else 12)
        else:
            external_period(*report_period(con, start_month, end_month), last_date)
    except ValueError as e:
        raise ParameterError(f"{report}: {e}") from None


def _check_files(values: dict) -> None:
    """A rules or definitions file that will not load is refused now, in its own words."""
    if values.get("rules") is not None:
        from bcm_analytics.config.rules import load_rules

        load_rules(values["rules"]).fees()
    if values.get("definitions") is not None:
        from bcm_analytics.config.definitions import load_definitions

        try:
            load_definitions(values["definitions"])
        except Exception as e:  # noqa: BLE001 (any failure to load is a refusal of that file)
            raise ParameterError(f"{values['definitions']}: not usable as measure definitions "
                                 f"({type(e).__name__}); see bcm_analytics/config/definitions.yaml for the shape") from None


def _payers(con, payer: str, rules=None) -> tuple[list[str], str]:
    """The store's payer names (every enrolment's registry payer, core.enrolments, and coverage)
    and `payer`, each as the marts read a payer name (marts.payer_name) under `rules` (None:
    $BCM_RULES, else the store's own): rules whose aliases are not the store's give the macro in a
    scratch catalog, the marts untouched. As written when the store's marts were never built."""
    import duckdb

    from bcm_analytics.models import current

    if not _ever_built(con):
        return _column(con, "payer", "core.enrolments", "staging.coverage"), payer
    try:
        marts = current(con, rules, only={"payer_name"})
        names = [r[0] for r in marts.query(
            """SELECT DISTINCT marts.payer_name(v) FROM (SELECT payer AS v FROM core.enrolments UNION ALL
               SELECT payer FROM staging.coverage) WHERE v IS NOT NULL ORDER BY 1""").fetchall()]
        return names, marts.query("SELECT marts.payer_name(?)", [payer]).fetchall()[0][0] or payer
    except (duckdb.CatalogException, duckdb.BinderException):
        return _column(con, "payer", "core.enrolments", "staging.coverage"), payer


def _ever_built(con) -> bool:
    """Whether the store's marts were ever built (a store the library's load_file filled was not)."""
    return bool(con.execute("SELECT 1 FROM duckdb_functions() WHERE database_name = current_database() "
                            "AND schema_name = 'marts' AND function_name = 'payer_name' LIMIT 1").fetchall())


def _column(con, column: str, *tables: str) -> list[str]:
    union = " UNION ".join(f"SELECT {column} AS v FROM {t} WHERE {column} IS NOT NULL" for t in tables)
    return [r[0] for r in con.execute(f"SELECT DISTINCT v FROM ({union}) ORDER BY v").fetchall()]


def _in_store(report: str, name: str, given: list, known: list[str]) -> None:
    for value in given:
        if str(value) not in known:
            _refuse_value(report, name, str(value), known)


def _refuse_value(report: str, name: str, value: str, known: list[str]) -> None:
    if not known:
        raise ParameterError(f"{report}: {name} {value!r} is not in the store, which holds none")
    shown = ", ".join(known[:SHOWN_VALUES]) + (f" and {len(known) - SHOWN_VALUES} more" if len(known) > SHOWN_VALUES else "")
    raise ParameterError(f"{report}: {name} {value!r} is not in the store{nearest(value, known)}; valid: {shown}")
