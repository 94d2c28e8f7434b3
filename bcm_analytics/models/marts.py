"""Where to read the marts from, for the rules, definitions and as-of date a caller asks for.

The store keeps one set of marts, built after every load with the store's own configuration:
its rules file and definitions file (recorded when a build is given them), the as-of date of the
latest data, and the program time zone. `refresh` brings them up to date (a writer). `current`
hands a reader a `Marts` that names where each mart is:

- asked for what the store's marts hold: the store's marts, built nothing;
- the store's marts are stale on a writable connection (a load without a build, a new version
  of a model): they are brought up to date in place;
- asked for something else (another rules file, other definitions, an earlier as-of date), or
  stale on a read-only connection: the models that differ are built into a scratch catalog
  in the process's private folder beside the store and `Marts.note` says so, for the command or report to tell its reader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bcm_analytics import private_files
from bcm_analytics.config.definitions import Definitions, DefinitionsError, load_definitions
from bcm_analytics.config.rules import Rules, RulesError, as_rules, load_rules
from bcm_analytics.config.settings import load_settings
from bcm_analytics.models.build import BuildReport, Progress, Target, build, data_version, input_digests, manifest
from bcm_analytics.models.graph import downstream, models, upstream
from bcm_analytics.models.inputs import DEFINITION_INPUTS, NAMES, RULE_INPUTS, Inputs, inputs, payer_spellings
from bcm_analytics.months import as_date

SETTINGS_SQL = "CREATE TABLE IF NOT EXISTS meta.marts_settings (name VARCHAR PRIMARY KEY, value VARCHAR)"


@dataclass(frozen=True)
class Marts:
    """The marts a caller reads: `sql(text)` points `marts.x` / `config.x` names at where they are."""

    con: duckdb.DuckDBPyConnection
    target: Target
    as_of: dt.date
    rules: Rules
    definitions: Definitions
    note: str | None = None

    def sql(self, text: str) -> str:
        return self.target.locate(text)

    def query(self, text: str, params: dict | list | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(self.sql(text), params) if params else self.con.execute(self.sql(text))

    def select(self, text: str, params: dict | None = None) -> Query:
        return Query(self.con, self.sql(text), params or {})


@dataclass(frozen=True)
class Query:
    """A SELECT over the marts with its parameters: a frame for a notebook (`df`), or streamed to a
    file by reports.export.write_query (DuckDB COPY), never both in memory at once."""

    con: duckdb.DuckDBPyConnection
    sql: str
    params: dict

    def df(self, dates: bool = False):
        """The rows as a frame. dates: DATE columns as Python dates, for a workbook, which shows a
        column by its type (reports.export): pandas otherwise holds a day as a date-time at midnight."""
        return self.con.execute(self.sql, self.params or None).df(date_as_object=dates)

    def arrow(self):
        """The rows as an Arrow table: compact strings, no Python object per value."""
        return self.con.sql(self.sql, params=self.params or None).to_arrow_table()

    def execute(self) -> duckdb.DuckDBPyConnection:
        return self.con.execute(self.sql, self.params or None)


def _settings(con) -> dict[str, str]:
    try:
        return dict(con.execute("SELECT name, value FROM meta.marts_settings").fetchall())
    except duckdb.CatalogException:
        return {}


def _store_file(con, name: str, error, option: str) -> Path | None:
    """The rules or definitions file `bcm build` made the store's own. One moved or deleted since
    is refused: computing under the shipped defaults instead would bill (or measure) by other
    rules while the store says they are its own."""
    path = _settings(con).get(name)
    if path and not Path(path).is_file():
        raise error(path, "", f"the store's own {option[2:]} file (set by `bcm build {option}`) is not there any more: "
                              f"put it back, give its new place with `bcm build {option} FILE`, or go back to the shipped "
                              f"{option[2:]} with `bcm build {option} default`")
    return Path(path) if path else None


def _program_file(con) -> Path | None:
    """The program rules file the store's marts were built with."""
    return _store_file(con, "rules_file", RulesError, "--rules")


def resolve_rules(con, rules: Rules | str | Path | None) -> Rules:
    """Rules asked for, else $BCM_RULES, else the store's own rules file, else the defaults."""
    if rules is not None or load_settings().BCM_RULES:
        return as_rules(rules)
    return load_rules(_program_file(con))


def resolve_definitions(con, definitions: Definitions | str | Path | None) -> Definitions:
    if isinstance(definitions, Definitions):
        return definitions
    if definitions is None:
        definitions = _store_file(con, "definitions_file", DefinitionsError, "--definitions")
    return load_definitions(definitions)


def latest_data_date(con) -> dt.date | None:
    """The default as-of date: the last day with a score or a time-log entry in the store."""
    return con.execute(
        "SELECT greatest((SELECT max(administered_on) FROM core.assessments), (SELECT max(service_date) FROM core.time_logs))"
    ).fetchall()[0][0]


def data_ends_before(con, as_of) -> dt.date | None:
    """The data's last day (latest_data_date) when `as_of` (a date or ISO text) is after it, else
    None: an as-of date past the data reads the contacts, scores and minutes the export has not
    reached yet as absent. Allowed (a page or list dated at month end), and said where it is read, in
    each reader's own words: the caseload page (OutcomeRun.as_of_past_data_note) and the commands'
    stderr note (cli.options.note_as_of_past_the_data)."""
    last = latest_data_date(con)
    return last if last is not None and as_date(as_of) > last else None


def _store_as_of(con) -> dt.date | None:
    """The as-of date the store's marts hold, when they were built against today's data."""
    recorded, _ = manifest(con)
    versions = {v for _, v in recorded.values()}
    if versions != {data_version(con)}:
        return None
    try:
        return con.execute("SELECT as_of FROM config.as_of_date").fetchall()[0][0]
    except duckdb.CatalogException:
        return None


def program_timezone(con) -> str:
    """The program's time zone (IANA name) of a store connection: the zone its local times are read in."""
    return con.execute("SELECT getvariable('bcm_timezone')").fetchall()[0][0]


def _inputs_for(con, rules: Rules, definitions: Definitions, as_of: dt.date | None) -> Inputs:
    return inputs(rules, definitions, as_of or dt.date(1900, 1, 1), program_timezone(con), _spellings(con))


_SPELLINGS: dict[tuple[str, int], object] = {}


def _spellings(con):
    """config.payer_spellings for the store's data, read once per connection and state of the data:
    a report asks for its marts a dozen times, and reading 2 million payer names took 0.55 s a time
    on a busy machine (every change to staging comes with a new load id, which the key holds)."""
    key = (_session(con), data_version(con))
    if key not in _SPELLINGS:
        _SPELLINGS.clear()
        _SPELLINGS[key] = payer_spellings(con)
    return _SPELLINGS[key]


def _stale(con, wanted: Inputs) -> tuple[set[str], set[str]]:
    """(models whose recorded digest or data differs from `wanted`, config inputs that differ)."""
    all_models = models(NAMES)
    recorded, recorded_inputs = manifest(con)
    digests = input_digests(all_models, wanted.digests())
    version = data_version(con)
    stale = {
        name for name, m in all_models.items()
        if recorded.get(name, (None, None))[0] != digests[name] or (m.kind == "table" and recorded[name][1] != version)
    }
    changed = {name for name, d in wanted.digests().items() if recorded_inputs.get(name) != d}
    return stale, changed


def out_of_date(con) -> bool:
    """Whether the store's marts are not what its data, its own rules and definitions call for: a
    load whose marts step failed (Ctrl-C, out of memory) left its files loaded, and loading them
    again, all "already loaded", is how a user retries it."""
    wanted = _inputs_for(con, resolve_rules(con, None), resolve_definitions(con, None), latest_data_date(con))
    return any(_stale(con, wanted))


def refresh(con, rules=None, definitions=None, *, progress: Progress | None = None, full: bool = False) -> BuildReport:
    """Bring the store's marts up to date (a writer, after a load). Given a rules or definitions
    file, it becomes the store's own: later commands without one use it. `full`: rebuild every
    mart whole."""
    rules = resolve_rules(con, rules)
    definitions = resolve_definitions(con, definitions)
    as_of = latest_data_date(con)
    report = build(con, _inputs_for(con, rules, definitions, as_of), progress=progress, full=full)
    con.execute(SETTINGS_SQL)
    program_file = rules.files[-1] if len(rules.files) > 1 else None  # the file given, which extends the others
    con.execute("INSERT OR REPLACE INTO meta.marts_settings VALUES ('rules_file', ?)",
                [str(Path(program_file).resolve()) if program_file else None])
    given = definitions.sources[1:]  # the file given, merged over the shipped one
    con.execute("INSERT OR REPLACE INTO meta.marts_settings VALUES ('definitions_file', ?)",
                [str(Path(given[0]).resolve()) if len(given) == 1 and Path(given[0]).is_file() else None])
    return report


def current(con, rules=None, definitions=None, as_of=None, *, area: str | None = None, only: set[str] | None = None,
            progress: Progress | None = None, own_definitions: bool | None = None) -> Marts:
    """The marts for these rules, definitions and as-of date (None: the store's own).

    `area`: the caller reads only the models of models/<area>/ (and what they read), so only
    those are checked, computed again or spoken of: outcome marts read no billing rule, and an
    outcome run under other billing rules ($BCM_RULES) neither computes billing marts in a
    scratch catalog nor says it used rules other than the store's.
    `only`: likewise, the caller reads only these models (and what they read): a check of a
    `--payer` under the rules a report will use needs marts.payer_name and its config, not the
    billing marts those rules would compute.
    `own_definitions`: whether `definitions` are the store's own (default: when none are given).
    A caller that has already read the store's own (resolve_definitions) passes them with True,
    so the file is read once and the note still calls them the store's own."""
    own_rules = rules is None and not load_settings().BCM_RULES
    own_definitions = definitions is None if own_definitions is None else own_definitions
    rules = resolve_rules(con, rules)
    definitions = resolve_definitions(con, definitions)
    own_as_of = _store_as_of(con) or latest_data_date(con)
    as_of = as_of or own_as_of
    wanted = _inputs_for(con, rules, definitions, as_of)
    stale, changed = _stale(con, wanted)
    configured = {"program", *RULE_INPUTS, *DEFINITION_INPUTS}
    if stale and not _read_only(con) and (not (changed & configured) or not manifest(con)[0]):
        refresh(con, rules, definitions, progress=progress)  # the store's own marts, brought up to date
        stale, changed = _stale(con, wanted)
    all_models = models(NAMES)
    needed = set(all_models)
    if area is not None or only is not None:  # (after the refresh above, which is of the store's own marts, every area's)
        needed = upstream(all_models, set(only) if only is not None else {name for name, m in all_models.items() if m.area == area})
        stale &= needed
        changed &= {r.removeprefix("config.") for name in needed for r in all_models[name].reads if r.startswith("config.")}
    if not stale:
        return Marts(con, Target(), as_of, rules, definitions)
    todo = stale | downstream(all_models, {f"config.{c}" for c in changed})
    todo = (todo | downstream(all_models, {f"marts.{m}" for m in todo})) & needed
    # every macro too (creating one costs nothing): a view built there binds the macros it calls,
    # and their bodies' unqualified names, in the scratch catalog
    todo |= {name for name, m in all_models.items() if m.kind == "macro" and name in needed}
    target = _scratch(con, wanted, todo)
    if not _built(con, target):
        build(con, wanted, target, only=todo, progress=progress)
    recorded = manifest(con)[0]
    if not recorded:  # a store loaded by the library's load_file, never built: nothing else to say
        return Marts(con, target, as_of, rules, definitions, NEVER_BUILT)
    data_moved = {v for _, v in recorded.values()} != {data_version(con)}
    return Marts(con, target, as_of, rules, definitions,
                 _why(changed, as_of != own_as_of, data_moved, own_rules=own_rules, own_definitions=own_definitions))


REBUILD = "(run `bcm build` to update them)"
NEVER_BUILT = ("computed in a temporary schema: the store's marts have never been built (run `bcm build` to build them; "
               "`bcm load` does after every load)")


def _why(changed: set[str], other_as_of: bool, data_moved: bool, *, own_rules: bool, own_definitions: bool) -> str:
    """Why a reader's marts are not the store's. The store's own rules or definitions file edited
    since the last build is not "other" rules: `bcm build` is what the reader needs to hear."""
    reasons = []
    if changed & set(RULE_INPUTS):
        reasons.append(f"the store's own billing rules as changed since its marts were built {REBUILD}" if own_rules
                       else "billing rules other than the store's")
    if changed & set(DEFINITION_INPUTS):
        reasons.append(f"the store's own outcome definitions as changed since its marts were built {REBUILD}"
                       if own_definitions else "outcome definitions other than the store's")
    if other_as_of:
        reasons.append("an as-of date other than the data's latest")
    if "program" in changed:
        reasons.append("a program time zone other than the store's")
    if not reasons:
        reasons.append(f"marts older than the data {REBUILD}" if data_moved
                       else f"marts built by another version of bcm's models {REBUILD}")
    return "computed in a temporary schema for " + " and ".join(reasons) + "; the store's marts are unchanged"


def _read_only(con) -> bool:
    return con.execute("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]


def _scratch(con, wanted: Inputs, todo: set[str]) -> Target:
    """A scratch catalog for these inputs and this state of the data (reused while it is current).

    It holds patient rows (billing lines, outcomes), so it lives in this process's private run
    folder beside the store (private_files.run_folder): removed when the process ends, and by
    the next command on the store when the process was killed."""
    key = hashlib.sha256(
        repr((sorted(wanted.digests().items()), sorted(todo), data_version(con))).encode()
    ).hexdigest()[:16]
    name = f"bcm_scratch_{key}"
    attached = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if name not in attached:
        store = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
        folder = private_files.make_folder(private_files.run_folder(store or None) / "scratch")
        path = str(folder / f"{_session(con)}-{name}.duckdb").replace("'", "''")
        con.execute(f"ATTACH '{path}' AS {name} (READ_WRITE)")
    home = con.execute("SELECT current_database()").fetchall()[0][0]
    return Target(name, frozenset(todo), home)


def _session(con) -> str:
    """A name for this connection: scratch catalogs belong to one connection (another store, or
    the same store in another state, must never find them)."""
    token = con.execute("SELECT getvariable('bcm_session')").fetchall()[0][0]
    if token is None:
        token = uuid.uuid4().hex
        con.execute("SET VARIABLE bcm_session = ?", [token])
    return token


def _built(con, target: Target) -> bool:
    recorded, _ = manifest(con, target.catalog)
    return set(target.models) <= set(recorded)
