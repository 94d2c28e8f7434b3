"""What a mapping profile file may say, checked before anything is read.

A profile is YAML a person writes (or finishes from `bcm profile draft`). Every key is known
here: an unknown or misspelled key, a canonical table or column that does not exist, a value
map or source that is not declared, or a required canonical column left unmapped is refused
in one line naming the file, the key and, where one is close, the key that was meant.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bcm_analytics.config.files import StrictLoader
from bcm_analytics.contracts.tables import table_specs

# Columns a `scores` block produces for every administration it finds (see ScoresSpec).
SCORE_COLUMNS = ("instrument", "total_score", *(f"item_{i}" for i in range(1, 10)))
# The views a `fhir` source adds, named <source>_<suffix> (profiles/fhir.sql).
FHIR_VIEWS = ("patients", "answers", "coverage", "stays", "providers", "claim_lines", "consents", "conditions")


class ProfileError(Exception):
    """A profile that cannot be used; the message is one line naming the file and the key."""


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Strict(BaseModel):
    """A mapping whose keys are all known: an unknown key names the nearest valid one."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in valid:
                    raise ValueError(f"unknown key '{key}'{did_you_mean(key, valid)}; valid keys: {', '.join(sorted(valid))}")
        return data


class SourceSpec(Strict):
    """Files of one kind in an export, and the columns the profile reads from them.

    Only the listed columns leave the reader: everything else in the file (names, SSNs,
    addresses) is never read into the store, not even into the quarantine's record.
    """

    files: list[str] = Field(min_length=1)  # file-name patterns (fnmatch, case-insensitive): "observations*.csv"
    format: Literal["csv", "xlsx", "json", "fhir"] | None = None  # default: from the file's suffix
    sheet: str | None = None  # xlsx: the sheet to read (default: the first visible one)
    columns: list[str] = []  # required: a file without one of them is refused, naming what it has
    optional_columns: list[str] = []  # read when present, empty when not
    description: str | None = None

    @field_validator("columns", "optional_columns")
    @classmethod
    def _normalised(cls, names: list[str]) -> list[str]:
        return [normalise(n) for n in names]


class ColumnSpec(Strict):
    """How one canonical column gets its value: exactly one of column, sql or value."""

    column: str | None = None  # a source column, taken as it is
    sql: str | None = None  # a DuckDB SQL expression over the source columns (and other sources)
    value: str | None = None  # a constant
    map: str | None = None  # a value map applied to the result (profile `value_maps`)
    date_format: list[str] = []  # strptime formats tried before the standard ones
    assumption: str | None = None  # why a value the source lacks is what it is (shown in the docs)
    note: str | None = None  # SQL: a sentence when the row's value is one the export did not write outright (else NULL): a row warning
    reject: str | None = None  # SQL: a sentence when the row's value cannot be read from what the export wrote (else NULL): the row is set aside with it

    @field_validator("value", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @field_validator("date_format", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one_source(self) -> "ColumnSpec":
        given = [k for k in ("column", "sql", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of column, sql, value (found {', '.join(given) or 'none'})")
        return self

    def expression(self, source_columns: set[str] = frozenset()) -> str:
        """The SQL producing the value, before value maps and date handling. `sql` that is just
        a source column's name reads that column, even when the name is an SQL word (when) or
        written as the file writes it with a number sign (Log #, log_#: '#' is never SQL)."""
        if self.column is not None:
            return _identifier(normalise(self.column))
        if self.value is not None:
            return "'" + self.value.replace("'", "''") + "'"
        if normalise(self.sql) in source_columns and re.fullmatch(r"[\w #]+", self.sql.strip()):
            return _identifier(normalise(self.sql))
        return f"({self.sql})"


class UnnestSpec(Strict):
    """One output row per element of a JSON array: `path` is SQL giving the array, `fields`
    the element's keys the mapping reads (the alias then reads as a struct: log.date)."""

    path: str
    fields: list[str] = Field(min_length=1)


class ScoresSpec(Strict):
    """Scores exported one value per row (a total or one item), coded by LOINC.

    Rows of one administration share the `group_by` values; each becomes one assessment per
    instrument found among its codes (loinc.yaml), with `instrument`, `total_score` and
    `item_1`..`item_9` for the table's columns. Rows whose code is not a score are left out
    and counted.
    """

    code: str  # SQL: the LOINC code of the row
    value: str  # SQL: the answer (a number, a LOINC answer code LA..., or the answer's text)
    group_by: list[str] = Field(min_length=1)  # SQL expressions
    codes: dict[str, str] = {}  # more codes: "12345-6": "PHQ-9 item 3" | "GAD-7 total"
    total_from_items: bool = True  # a score with every item and no total: total = sum of items

    @field_validator("code", "value", "group_by", "codes", mode="before")
    @classmethod
    def _not_todo(cls, v: Any) -> Any:
        """A drafted scores map leaves TODO where a person must decide (bcm profile draft)."""
        if isinstance(v, str) and v.strip().upper() == "TODO":
            raise ValueError("still TODO; fill it in (docs/profiles.md, scores)")
        return v

    @field_validator("codes")
    @classmethod
    def _code_meanings(cls, codes: dict[str, str]) -> dict[str, str]:
        for code, meaning in codes.items():
            parse_code_meaning(meaning)
        return codes


def parse_code_meaning(meaning: str) -> tuple[str, str]:
    """'PHQ-9 item 3' -> ('PHQ-9', '3'); 'GAD-7 total' -> ('GAD-7', 'total'); 'PHQ-9 panel'."""
    parts = str(meaning).split()
    if len(parts) == 2 and parts[1] in ("total", "panel"):
        return parts[0].upper(), parts[1]
    if len(parts) == 3 and parts[1] == "item" and parts[2].isdigit() and 1 <= int(parts[2]) <= 9:
        return parts[0].upper(), parts[2]
    raise ValueError(f"'{meaning}' is not 'INSTRUMENT total', 'INSTRUMENT panel' or 'INSTRUMENT item N' (N 1-9)")


def note_check(profile_name: str, column: str) -> str:
    """The check name a column's `note` is recorded under (meta.row_warnings): 'fhir profile: discharge_date'."""
    return f"{profile_name} profile: {column}"


class TableMap(Strict):
    """How one source becomes rows of one canonical table."""

    from_: str = Field(alias="from")  # a source name (or a view a fhir source adds)
    where: str | None = None  # SQL: only rows where this is true feed the table
    skip_reason: str | None = None  # what the rows `where` leaves out are (said in the summary)
    lookups: list[str] = []  # other sources the expressions read (their records count as used)
    unnest: dict[str, UnnestSpec] = {}
    scores: ScoresSpec | None = None
    columns: dict[str, ColumnSpec] = {}

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, columns: Any) -> Any:
        """`patient_id: id` is short for `patient_id: {sql: id}`; a number is a constant."""
        if not isinstance(columns, dict):
            return columns
        out = {}
        for name, spec in columns.items():
            if isinstance(spec, str):
                out[name] = {"sql": spec}
            elif isinstance(spec, (int, float, bool)):
                out[name] = {"value": spec}
            else:
                out[name] = spec
        return out


class Profile(Strict):
    """A whole profile file (docs/profiles.md explains every key with an example)."""

    name: str
    title: str
    reference: str | None = None  # the format's documentation
    description: str | None = None
    timezone: str | None = None  # the zone of wall-clock times in the export (None: the clinic's)
    date_formats: list[str] = []  # strptime formats tried for every date column, before the standard ones
    two_digit_year_pivot: int | None = Field(default=None, ge=1000, le=2999)  # 1950: 2-digit years read as 1950-2049
    sources: dict[str, SourceSpec] = Field(min_length=1)
    value_maps: dict[str, dict[str, str]] = {}
    tables: dict[str, list[TableMap]] = Field(min_length=1)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        import zoneinfo

        if zone is not None and zone not in zoneinfo.available_timezones():
            raise ValueError(f"unknown time zone '{zone}'{did_you_mean(zone, zoneinfo.available_timezones())}; use an IANA name such as America/Chicago")
        return zone

    @field_validator("sources")
    @classmethod
    def _plain_names(cls, sources: dict[str, SourceSpec]) -> dict[str, SourceSpec]:
        for name in sources:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"source name '{name}': use lower-case letters, digits and underscores (it is a table name in the profile's SQL)")
        return sources

    @field_validator("value_maps", mode="before")
    @classmethod
    def _map_texts(cls, maps: Any) -> Any:
        if not isinstance(maps, dict):
            return maps
        return {name: {str(k): str(v) for k, v in (m or {}).items()} for name, m in maps.items()}

    @field_validator("tables", mode="before")
    @classmethod
    def _listed(cls, tables: Any) -> Any:
        if not isinstance(tables, dict):
            return tables
        return {name: m if isinstance(m, list) else [m] for name, m in tables.items()}

    @model_validator(mode="after")
    def _consistent(self) -> "Profile":
        specs = table_specs()
        views = self.view_names()
        for table, maps in self.tables.items():
            if table not in specs:
                raise ValueError(f"tables: unknown table '{table}'{did_you_mean(table, specs)}; tables: {', '.join(specs)}")
            spec = specs[table]
            for i, m in enumerate(maps):
                where = f"tables.{table}" + (f"[{i}]" if len(maps) > 1 else "")
                for key, name in [("from", m.from_)] + [("lookups", n) for n in m.lookups]:
                    if name not in views:
                        raise ValueError(f"{where}.{key}: '{name}' is not a source{did_you_mean(name, views)}; sources: {', '.join(views)}")
                for name, col in m.columns.items():
                    if name not in spec.column_names:
                        raise ValueError(
                            f"{where}.columns: '{name}' is not a column of {table}{did_you_mean(name, spec.column_names)}"
                        )
                    if col.map is not None and col.map not in self.value_maps:
                        raise ValueError(
                            f"{where}.columns.{name}.map: no value map '{col.map}'{did_you_mean(col.map, self.value_maps)}"
                        )
                    if (col.sql or "").strip().upper() == "TODO":
                        raise ValueError(f"{where}.columns.{name}: still TODO; map it to a source column, an expression or a value")
                mapped = set(m.columns) | (set(SCORE_COLUMNS) if m.scores else set())
                missing = [c for c in spec.required if c not in mapped]
                if missing:
                    raise ValueError(
                        f"{where}.columns: required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of {table} "
                        "not mapped; map each to a source column, an expression or a value (with an assumption)"
                    )
        return self

    def view_names(self) -> list[str]:
        """Names a table map may read `from`: each source, and the views a fhir source adds."""
        names = []
        for name, source in self.sources.items():
            if source.format == "fhir":
                names += [f"{name}_{v}" for v in FHIR_VIEWS]
            else:
                names.append(name)
        return names


def normalise(name: str) -> str:
    """Source column names match case-insensitively, as SQL names: every run of characters
    other than letters and digits reads as one underscore ('Visit #' is visit, 'PCP NPI' pcp_npi)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lstrip("\ufeff").lower()).strip("_")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parse(text: str, path: Path | str) -> Profile:
    """A Profile from YAML text; ProfileError with one line on any problem."""
    path = Path(path)
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader: a duplicate key or a date that does not exist is refused)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ProfileError(f"{path}: {where}not valid YAML ({getattr(e, 'problem', None) or 'syntax error'})") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping (name, title, sources, tables ...), not {type(data).__name__}")
    try:
        return Profile.model_validate({**data, "path": path})
    except ValidationError as e:
        raise ProfileError(f"{path}: {describe(e, data)}") from None


def describe(error: ValidationError, data: dict) -> str:
    """The first problem of a validation error as 'key.path: message' (a table written as one
    map, not a list, is named without the list position the model gives it)."""
    first = error.errors()[0]
    parts = [p for p in first["loc"] if p != "function-after[_one_source(), ColumnSpec]"]
    if len(parts) > 2 and parts[0] == "tables" and parts[2] == 0 and isinstance((data.get("tables") or {}).get(parts[1]), dict):
        del parts[2]
    loc = ".".join(str(p) for p in parts)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        msg = "required key missing"
    elif first["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{loc}: {msg}" if loc else msg
