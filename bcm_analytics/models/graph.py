"""The SQL models and what each reads; the build order follows from the models themselves.

A model is one .sql file in a folder per area (AREAS: billing/, reconcile/, outcomes/, audit/). Its name is the
file's stem and it lives in the `marts` schema. A header comment says what the model is:

    -- kind: table | view | macro
    -- per_patient: true        (tables only: every row belongs to one patient_id)
    -- by_month: service_month  (per-patient tables only: a row of a month depends on that
                                 month's rows of the patient, and on the patient's own row)
    -- cumulative_by_month: service_month
                                (per-patient tables only: a row of a month depends on the
                                 patient's rows up to that month, never on later ones)

A table or view file holds one SELECT; a macro file holds its whole `CREATE OR REPLACE MACRO
marts.<name>(...)` statement. What a model reads is what its SQL names: every `marts.<x>` that
is another model and every `config.<x>` that is a configuration input. No list is kept by hand;
a `marts.` or `config.` name that is neither is refused, and so is a cycle.

per_patient is what makes incremental builds possible: restricting every per-patient relation the
model reads to a set of patients restricts its output to exactly those patients' rows. Its
inputs from the store (staging, core) and other per-patient models qualify; configuration does not
need to. by_month narrows it further, to the months from the first one that changed: a monthly
export then appends to the big time-log marts instead of rewriting each patient's history.
cumulative_by_month (episodes: a month's episode and month type follow from the months before it)
reads the patients' whole history but writes only the months from the first that changed, so the
by_month models that read it (month codes, billing lines, reconciliation months, codes and
findings) can recompute those months alone. Each
model also knows which kinds of data it depends on (its `components`: the patient's row, time
logs, assessments, claims), so a claims export does not recompute the time-log marts.
tests/test_models.py proves incremental equals full on a program loaded month by month.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cache
from graphlib import CycleError, TopologicalSorter
from importlib import resources

KINDS = ("table", "view", "macro")
AREAS = ("billing", "reconcile", "outcomes", "audit")
# Store relations whose rows belong to one patient each, and the kinds of data ("components")
# each carries: a change to a patient's data of a kind recomputes the models that depend on it.
SOURCE_COMPONENTS = {
    "staging.patients": {"patient"}, "core.patients": {"patient"}, "staging.clinics": {"patient"},
    "staging.time_logs": {"time_logs"}, "core.time_logs": {"time_logs", "patient"},
    "staging.assessments": {"assessments"}, "core.assessments": {"assessments", "patient"},
    "staging.claims": {"claims"}, "staging.claims_unknown_patient": {"claims"},
    "core.quarantined_claims": {"claims"},
    "staging.facility_stays": {"patient"}, "core.facility_stays": {"patient"},
    "staging.coverage": {"patient"}, "core.coverage": {"patient"},
    "core.enrolments": {"patient"}, "core.patient_enrolments": {"patient"},
    "staging.diagnoses": {"diagnoses"}, "core.diagnoses": {"diagnoses"},
}
PER_PATIENT_SOURCES = frozenset(s for s in SOURCE_COMPONENTS if s != "staging.clinics")
# The month of each row of a per-patient source, for by_month models (the store's local month).
SOURCE_MONTHS = {"core.time_logs": "service_month"}
# The stored readings (local, instant) that month is computed from, at most a month off it: a
# filter on them runs inside DuckDB's scan, where one on the computed month runs after every row
# of the table has been read, joined to its patient and converted.
SOURCE_MONTH_READINGS = {"core.time_logs": ("_service_date_local", "_service_date_instant")}
# Where a row can reach into the next month (an entry running past midnight): an incremental build
# from a month also reads the month before's rows that reach into it, since minutes logged twice
# across that midnight count once (billing_entries); their own rows are not written again.
# billing_entries judges overlap on instants (end_instant), which end later on the clock than end_at
# only across a spring-forward inside the entry; no zone of the time-zone database springs forward
# from 18:00 on a month's last day, so end_at reaches each month that end_instant does.
SOURCE_MONTH_REACH = {"core.time_logs": "end_at"}
REFERENCE = re.compile(r"\b(marts|config)\.([a-z_][a-z0-9_]*)\b")
SOURCE = re.compile(r"\b(staging|core|meta)\.([a-z_][a-z0-9_]*)\b")
HEADER = re.compile(r"^--\s*(kind|per_patient|by_month|cumulative_by_month):\s*(\S+)\s*$", re.MULTILINE)


class ModelError(ValueError):
    """A model file the graph cannot use (unknown reference, cycle, bad header)."""


@dataclass(frozen=True)
class Model:
    name: str
    area: str
    kind: str
    per_patient: bool
    sql: str
    reads: frozenset[str]  # models and config inputs, qualified: marts.x, config.y
    sources: frozenset[str]  # store relations read: staging.x, core.y, meta.z
    month_column: str | None = None  # by_month, cumulative_by_month: the column holding each row's month
    cumulative: bool = False  # cumulative_by_month: reads whole histories, writes the months from the first changed
    components: frozenset[str] = frozenset()  # kinds of patient data it depends on, through what it reads

    @property
    def qualified(self) -> str:
        return f"marts.{self.name}"

    @property
    def by_month(self) -> bool:
        """Recomputed from a patient's first changed month reading only the months from it on; a
        cumulative_by_month model reads whole histories and writes only from that month."""
        return self.month_column is not None and not self.cumulative

    @property
    def doc(self) -> str:
        """The header's first paragraph: what the model holds and why."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--") or HEADER.match(line):
                break
            text = line[2:].strip()
            if not text and lines:
                break
            if text:
                lines.append(text)
        return " ".join(lines)

    @property
    def sql_digest(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _parse(area: str, name: str, text: str, config_inputs: frozenset[str]) -> Model:
    header = dict(HEADER.findall(text))
    kind = header.get("kind")
    if kind not in KINDS:
        raise ModelError(f"models/{area}/{name}.sql: header needs `-- kind: {' | '.join(KINDS)}`")
    per_patient = header.get("per_patient", "false") == "true"
    if per_patient and kind != "table":
        raise ModelError(f"models/{area}/{name}.sql: only tables are built per patient")
    if "by_month" in header and "cumulative_by_month" in header:
        raise ModelError(f"models/{area}/{name}.sql: by_month or cumulative_by_month, not both")
    month_column = header.get("by_month") or header.get("cumulative_by_month")
    if month_column and not per_patient:
        raise ModelError(f"models/{area}/{name}.sql: by_month needs per_patient: true")
    body = re.sub(r"--[^\n]*", "", text)
    if kind == "macro" and not re.search(rf"\bMACRO\s+marts\.{name}\s*\(", body):
        raise ModelError(f"models/{area}/{name}.sql: a macro file creates marts.{name}(...)")
    reads = {f"{s}.{n}" for s, n in REFERENCE.findall(body)} - {f"marts.{name}"}
    unknown = sorted(r for r in reads if r.startswith("config.") and r[7:] not in config_inputs)
    if unknown:
        raise ModelError(f"models/{area}/{name}.sql: unknown configuration input {', '.join(unknown)}")
    sources = frozenset(f"{s}.{n}" for s, n in SOURCE.findall(body))
    model = Model(name, area, kind, per_patient, text, frozenset(reads), sources, month_column,
                  cumulative="cumulative_by_month" in header)
    if model.by_month and sources & SOURCE_MONTH_READINGS.keys():  # the scan filter of its incremental build calls it
        model = replace(model, reads=model.reads | {"marts.local_month_slack"})
    return model


@cache
def models(config_inputs: frozenset[str]) -> dict[str, Model]:
    """Every model, in build order (what a model reads is built before it)."""
    found: dict[str, Model] = {}
    root = resources.files("bcm_analytics.models")
    for area in AREAS:
        for entry in sorted(root.joinpath(area).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                name = entry.name[:-4]
                if name in found:
                    raise ModelError(f"models/{area}/{entry.name}: a model named {name} exists in {found[name].area}/")
                found[name] = _parse(area, name, entry.read_text(encoding="utf-8"), config_inputs)
    for m in found.values():
        missing = sorted(r for r in m.reads if r.startswith("marts.") and r[6:] not in found)
        if missing:
            raise ModelError(f"models/{m.area}/{m.name}.sql reads {', '.join(missing)}, which no model defines")
    graph = {name: {r[6:] for r in m.reads if r.startswith("marts.")} for name, m in found.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise ModelError(f"models read each other in a cycle: {' -> '.join(e.args[1])}") from None
    ordered: dict[str, Model] = {}
    for name in order:
        m = found[name]
        parts = {c for s in m.sources for c in SOURCE_COMPONENTS.get(s, ())}
        parts |= {c for r in m.reads if r.startswith("marts.") for c in ordered[r[6:]].components}
        ordered[name] = replace(m, components=frozenset(parts))
    return ordered


def downstream(all_models: dict[str, Model], changed: set[str]) -> set[str]:
    """Models that read any of `changed` (qualified names), directly or through other models."""
    out: set[str] = set()
    for name, m in all_models.items():  # build order: upstream first
        if m.reads & changed or any(f"marts.{u}" in m.reads for u in out):
            out.add(name)
    return out


def upstream(all_models: dict[str, Model], names: set[str]) -> set[str]:
    """`names` and every model they read, directly or through other models."""
    out = set(names)
    for name, m in reversed(all_models.items()):  # build order reversed: readers first
        if name in out:
            out |= {r.removeprefix("marts.") for r in m.reads if r.startswith("marts.")}
    return out


def per_patient_relations(all_models: dict[str, Model]) -> dict[str, str | None]:
    """Relations restricted to the build's patients in an incremental build, with the column that
    holds each row's month where the relation has one (by_month restricts those to the months
    from the first that changed)."""
    out = {s: SOURCE_MONTHS.get(s) for s in PER_PATIENT_SOURCES}
    out |= {m.qualified: m.month_column for m in all_models.values() if m.per_patient}
    return out
