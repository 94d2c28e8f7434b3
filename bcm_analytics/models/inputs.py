"""The configuration the models read, as small tables in the `config` schema.

Billing rules, fee schedules, outcome definitions, the as-of date and the program time zone are
written next to the marts they produced, so any DuckDB client sees which rules a mart holds,
and so the build can tell from their digests which marts a change of configuration touches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pyarrow as pa

from bcm_analytics.config.definitions import Definitions
from bcm_analytics.config.rules import CARC_IN_REASON, Rules
from bcm_analytics.config.tables import empty, from_columns
from bcm_analytics.sqlfiles import read_sql

RULE_INPUTS = ("rule_periods", "fee_schedule", "payer_names", "payer_aliases", "activity_types", "claim_codes", "apcm_add_ons",
               "denial_advice", "ruleset")
DEFINITION_INPUTS = ("outcome_settings", "instruments", "severity_bands", "age_bands", "outcome_windows")
# payer_spellings is read from the data (warehouse/payer_spellings.sql): the display spelling of a payer
# name the exports write several ways. As an input, its digest rebuilds every reader of a payer name
# when a spelling changes, which a per-patient build could not see (it is chosen across patients).
RUN_INPUTS = ("as_of_date", "program", "payer_spellings")
NAMES = frozenset(RULE_INPUTS + DEFINITION_INPUTS + RUN_INPUTS)
SPELLINGS_SCHEMA = pa.schema([("payer_key", pa.string()), ("payer", pa.string())])


@dataclass(frozen=True)
class Inputs:
    """Every configuration table a build writes, with a digest of each."""

    tables: dict[str, pa.Table]

    def digests(self) -> dict[str, str]:
        return {name: digest(table) for name, table in self.tables.items()}


def digest(table: pa.Table) -> str:
    """A content digest: the same rows in the same order give the same digest, whatever made them."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def rule_tables(rules: Rules) -> dict[str, pa.Table]:
    codes = [(code, family) for family, listed in rules.claim_codes.items() for code in listed]
    text = pa.string()
    return {
        "rule_periods": rules.periods,
        "fee_schedule": rules.fee_schedule(),
        "payer_names": from_columns({"payer_name": list(rules.payer_names), "payer_class": list(rules.payer_names.values())},
                                    pa.schema([("payer_name", text), ("payer_class", text)])),
        "payer_aliases": alias_table(rules.payer_aliases),
        "activity_types": from_columns({"activity_type": sorted(a.lower() for a in rules.activity_types)},
                                       pa.schema([("activity_type", text)])),
        "claim_codes": from_columns({"code": [c for c, _ in codes], "family": [f for _, f in codes]},
                                    pa.schema([("code", text), ("family", text)])),
        "apcm_add_ons": rules.apcm_add_ons,  # add-on code -> the code it mirrors, program, month type, first day
        "denial_advice": denial_advice_table(rules.denial_advice),
        "ruleset": from_columns({"ruleset": [rules.id], "default_payer_class": [rules.default_payer_class]}),
    }


def denial_advice_table(advice: dict[str, str]) -> pa.Table:
    """denial_advice as recon_findings looks it up: a CARC code -> what to do, with the pattern
    that reads the code out of a payer's reason on each row (the code's form lives in config.rules)."""
    codes = sorted(advice)
    return from_columns({"carc": codes, "advice": [advice[c] for c in codes], "reason_pattern": [CARC_IN_REASON] * len(codes)},
                        pa.schema([("carc", pa.string()), ("advice", pa.string()), ("reason_pattern", pa.string())]))


def alias_table(aliases: dict[str, str]) -> pa.Table:
    """payer_aliases as marts.payer_name looks them up: a name as exported (lower-cased, trimmed) ->
    the payer name to use, and each name to use -> itself, so that its spelling in the setting is
    the spelling of every row that writes it in another case ("MEDICARE " reads Medicare)."""
    rows = {name: target for name, target in sorted(aliases.items())}
    for target in sorted(set(aliases.values())):
        rows.setdefault(target.lower(), target)
    return from_columns({"payer_key": list(rows), "payer": list(rows.values())},
                        pa.schema([("payer_key", pa.string()), ("payer", pa.string())]))


STRUCT_LISTS = {"instruments": "instruments", "bands": "severity_bands", "age_bands": "age_bands"}


def definition_tables(definitions: Definitions) -> dict[str, pa.Table]:
    params = definitions.sql_params()
    tables = {table: _from_dicts(params.pop(key)) for key, table in STRUCT_LISTS.items()}
    windows = [(name, params.pop(f"w{name}_from"), params.pop(f"w{name}_to")) for name in ("12w", "6m", "12m")]
    tables["outcome_windows"] = from_columns({"window_name": [w[0] for w in windows],
                                              "from_day": [int(w[1]) for w in windows], "to_day": [int(w[2]) for w in windows]})
    settings = {key: [value] for key, value in sorted(params.items())}
    settings["definitions_version"] = [definitions.version]
    tables["outcome_settings"] = from_columns(settings)
    return tables


def run_tables(as_of: dt.date | None, timezone: str, spellings: pa.Table | None = None) -> dict[str, pa.Table]:
    """The as-of date outcomes are measured at (None: the latest date in the data), the program
    zone and the payer spellings read from the data (None: none written two ways)."""
    return {"as_of_date": from_columns({"as_of": [as_of]}, pa.schema([("as_of", pa.date32())])),
            "program": from_columns({"timezone": [timezone]}),
            "payer_spellings": spellings if spellings is not None else empty(SPELLINGS_SCHEMA)}


def payer_spellings(con) -> pa.Table:
    """The display spelling of each payer name the store's exports write in more than one way
    (case, surrounding spaces): warehouse/payer_spellings.sql."""
    return con.sql(read_sql("bcm_analytics.warehouse", "payer_spellings.sql")).to_arrow_table().cast(SPELLINGS_SCHEMA)


def _from_dicts(rows: list[dict]) -> pa.Table:
    """Rows of one shape as a table, the columns in the order of the first row's keys."""
    names = list(rows[0]) if rows else []
    return from_columns({name: [row.get(name) for row in rows] for name in names})


def inputs(rules: Rules, definitions: Definitions, as_of: dt.date | None, timezone: str,
           spellings: pa.Table | None = None) -> Inputs:
    return Inputs({**rule_tables(rules), **definition_tables(definitions), **run_tables(as_of, timezone, spellings)})
