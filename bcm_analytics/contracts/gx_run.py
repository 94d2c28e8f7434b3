"""Run the suites through great-expectations itself, on pandas batches.

GE's DuckDB SQL data source is broken in 1.24, so GE validates a
pandas DataFrame of each table's frame: the rows of a load or a bounded sample. The SQL
compilation in checks.py decides quarantine and checks every stored row; this run proves the
suites are valid great-expectations suites and gives its standard validation result.
Expectations GE can only run on SQL sources (unexpected_rows_expectation) are left to the
SQL path and marked so.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings

import duckdb

from bcm_analytics.contracts.checks import is_parameter
from bcm_analytics.contracts.snippets import parameter_sql
from bcm_analytics.contracts.suites import SQL_ONLY_TYPES, expectations
from bcm_analytics.contracts.tables import table_specs

GX_SEVERITY = {"reject": "critical", "warn": "warning"}
# Parts of a GE result that list values from the rows (ids, dates of birth, free text): dropped
# from what is saved; the counts beside them stay.
VALUE_LISTS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
               "unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows", "details")


def gx_expectations(table: str) -> list[dict]:
    """The suite's expectations in GE's own form (our meta kept, GE's severity set from it)."""
    return [
        {"type": e.type, "kwargs": e.kwargs, "meta": {"name": e.name, "severity": e.severity, "scope": e.scope}, "severity": GX_SEVERITY[e.severity]}
        for e in expectations(table)
        if e.type not in SQL_ONLY_TYPES
    ]


def columns_used(table: str) -> list[str]:
    """The frame columns great-expectations needs for a table's suite (plus the key and the line)."""
    found = [*table_specs()[table].key, "_line"]

    def condition_columns(cond: dict) -> list[str]:
        if cond["type"] in ("and", "or"):
            return [c for sub in cond["conditions"] for c in condition_columns(sub)]
        return [cond["column"]["name"]]

    for exp in expectations(table):
        if exp.type in SQL_ONLY_TYPES:
            continue
        kw = exp.kwargs
        found += [kw[k] for k in ("column", "column_A", "column_B") if k in kw] + list(kw.get("column_list", []))
        if kw.get("row_condition"):
            found += condition_columns(kw["row_condition"])
    return list(dict.fromkeys(found))


def parameter_values(con: duckdb.DuckDBPyConnection, frames: dict) -> dict:
    """The suite parameters these frames' suites use, evaluated in the store.

    Sets come back as lists cut down to the values the frames hold: judging a sample against
    the 380,000 known patient ids or against the ids it contains is the same verdict, but the
    full list would be copied into every result and cost minutes at 10 million rows.
    """
    import pandas as pd

    values, present = {}, {}
    for table, frame in frames.items():
        for exp in expectations(table):
            for key, value in exp.kwargs.items():
                if not is_parameter(value):
                    continue
                name = value["$PARAMETER"]
                if key == "value_set" and exp.kwargs.get("column") in frame:
                    present.setdefault(name, set()).update(frame[exp.kwargs["column"]].dropna().tolist())
                if name in values:
                    continue
                rows = con.execute(parameter_sql(name)).fetchall()
                if key == "value_set":
                    values[name] = [r[0] for r in rows]
                else:
                    scalar = rows[0][0]
                    values[name] = pd.Timestamp(scalar) if isinstance(scalar, dt.date) else scalar
    return {name: [v for v in value if v in present[name]] if name in present else value for name, value in values.items()}


def context():
    """An in-memory GE context with progress bars off (they would go to stderr)."""
    import great_expectations as gx

    from bcm_analytics.contracts import gx_custom  # noqa: F401  (registers our expectations)

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False}
    return ctx


def validate_frames(frames: dict, parameters: dict, result_format: str | dict = "SUMMARY") -> dict:
    """{table: ExpectationSuiteValidationResult} for pandas DataFrames of table frames."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    ctx = context()
    source = ctx.data_sources.add_pandas("bcm")
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for table, frame in frames.items():
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table).get_batch(
                batch_parameters={"dataframe": frame}
            )
            suite = ExpectationSuite(name=table, expectations=gx_expectations(table))
            results[table] = batch.validate(suite, expectation_parameters=parameters, result_format=result_format)
    return results


def without_values(table: str, result: dict) -> dict:
    """A suite's GE result (its JSON form) with no value from the data left in it.

    Evaluated parameters go back to the suite's own `{"$PARAMETER": name}` form with their size
    (the set of known patient ids is every patient id); unexpected-value lists and examples go;
    an observed value stays only when it is a number; exception messages lose quoted values.
    """
    from bcm_analytics.redact import scrub

    written = {e.name: e.kwargs for e in expectations(table)}
    out = dict(result, suite_parameters={k: _size(v) for k, v in (result.get("suite_parameters") or {}).items()})
    out["results"] = []
    for r in result.get("results", []):
        config = dict(r.get("expectation_config") or {})
        kwargs = dict(config.get("kwargs") or {})
        suite_form = written.get((config.get("meta") or {}).get("name"))
        for key, value in kwargs.items():
            if suite_form is None and isinstance(value, (list, tuple)):  # not ours: keep only the size
                kwargs[key] = _size(value)
            elif suite_form is not None and is_parameter(suite_form.get(key)):
                kwargs[key] = {"$PARAMETER": suite_form[key]["$PARAMETER"], **_size(value)}
        config["kwargs"] = kwargs
        res = {k: v for k, v in (r.get("result") or {}).items() if k not in VALUE_LISTS}
        if "observed_value" in res and not isinstance(res["observed_value"], (int, float, bool)):
            res["observed_value"] = "(not kept: it may identify a patient)"
        info = dict(r.get("exception_info") or {})
        if info.get("exception_message"):
            info["exception_message"] = scrub(str(info["exception_message"]))
        info["exception_traceback"] = None
        out["results"].append(dict(r, expectation_config=config, result=res, exception_info=info))
    return out


def _size(value) -> dict:
    """What is kept of an evaluated parameter: how many values a set had (a scalar: nothing)."""
    return {"values": len(value)} if isinstance(value, (list, tuple, set)) else {}
