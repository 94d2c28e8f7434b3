"""Fee schedules: expected payment per code, payer class, billing setting and date, read from
small CSV files.

Amounts are data finance owns (contracted rates replace the shipped placeholders), so each row
says where it came from and whether anyone verified it. FQHC/RHC rates differ from a physician
practice's (billing_rules.md section 5), so a row may name its billing setting; a row without
one holds for every setting. See fee_schedules/README.md.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from bcm_analytics.config.files import Strict, explain, nearest, read_text
from bcm_analytics.config.rules import SETTINGS, RulesError
from bcm_analytics.config.tables import from_rows

COLUMNS = ("code", "effective_from", "effective_to", "amount", "source", "verified")
OPTIONAL = ("billing_setting",)
FILE_NAME = re.compile(r"(?P<payer_class>[a-z0-9_]+)_(?P<year>\d{4})\.csv")
FEE_SCHEMA = pa.schema([
    ("payer_class", pa.string()), ("billing_setting", pa.string()), ("code", pa.string()), ("valid_from", pa.date32()),
    ("valid_to", pa.date32()), ("amount", pa.float64()), ("source", pa.string()), ("verified", pa.bool_()),
    ("fee_file", pa.string()),
])


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _dollars(value):
    """'145.00' -> 145.0; anything else is left for the type check to refuse."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class FeeRow(Strict):
    """One line of a fee file, as text from the CSV reader."""

    model_config = {**Strict.model_config, "strict": False}
    code: Annotated[str, BeforeValidator(lambda v: _stripped(v).upper()), Field(min_length=1, description="a procedure code")]
    effective_from: Annotated[date, BeforeValidator(_stripped), Field(description="a date YYYY-MM-DD")]
    effective_to: Annotated[date, BeforeValidator(_stripped), Field(description="a date YYYY-MM-DD")]
    amount: Annotated[float, BeforeValidator(_dollars), Field(ge=0, description="a number of dollars, not negative")]
    source: Annotated[str, BeforeValidator(_stripped)]
    verified: Annotated[Literal["true", "false"], BeforeValidator(lambda v: _stripped(v).lower()),
                        Field(description="true or false")]
    billing_setting: Annotated[Literal["", "physician_practice", "fqhc", "rhc"], BeforeValidator(_stripped),
                               Field(description=f"empty (every setting) or one of {', '.join(SETTINGS)}")] = ""

    @model_validator(mode="after")
    def _ordered(self):
        if self.effective_from > self.effective_to:
            raise ValueError("effective_from must not be after effective_to")
        return self


def _read_fee_file(path: Path, payer_class: str, year: int) -> list[dict]:
    reader = csv.DictReader(io.StringIO(read_text(path, RulesError, "fee schedule", "CSV"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RulesError(path, "header", f"missing column(s): {', '.join(missing)}")
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if unknown:
        raise RulesError(path, "header", f"unknown column {unknown[0]!r}; expected: {', '.join(COLUMNS + OPTIONAL)}")
    return [_fee_row(path, line, raw, payer_class, year) for line, raw in enumerate(reader, start=2)]


def _fee_row(path: Path, line: int, raw: dict, payer_class: str, year: int) -> dict:
    """A line of a fee file as a table row; billing_setting null: every setting."""
    try:
        row = FeeRow.model_validate({k: v for k, v in raw.items() if k is not None})
    except ValidationError as e:
        err = e.errors()[0]
        key, problem = explain(FeeRow, err, raw)
        if key in ("effective_from", "effective_to") and err["type"] != "value_error":
            key, problem = "", "effective_from and effective_to must be dates YYYY-MM-DD"
        elif key == "amount" and err["type"] != "greater_than_equal":
            problem = f"must be a number of dollars (got {raw.get('amount')!r})"
        raise RulesError(path, f"line {line}" + (f".{key}" if key else ""), problem) from None
    if not (row.effective_from.year == row.effective_to.year == year):
        raise RulesError(path, f"line {line}", f"effective dates must lie in {year}, from before to")
    return {"payer_class": payer_class, "billing_setting": row.billing_setting or None, "code": row.code,
            "valid_from": row.effective_from, "valid_to": row.effective_to + timedelta(days=1), "amount": row.amount,
            "source": row.source, "verified": row.verified == "true", "fee_file": str(path), "line": line}


def _files(dirs: tuple[Path, ...]) -> dict[tuple[str, int], Path]:
    """(payer class, year) -> file; a later folder replaces an earlier folder's file."""
    found = {}
    for folder in dirs:
        for path in sorted(Path(folder).glob("*.csv")):
            m = FILE_NAME.fullmatch(path.name)
            if not m:
                raise RulesError(path, "", "fee schedule files are named <payer class>_<year>.csv")
            found[(m["payer_class"], int(m["year"]))] = path
    return found


def load_fees(dirs: tuple[Path, ...], class_parents: dict[str, str | None], codes: set[str] | None = None) -> pa.Table:
    """Every class's fees per year and billing setting: its own file, else the file of the
    class it extends. A file for no payer class of the rules, or (given `codes`, every code the
    rules bill or recognise) a fee for another code, is refused: it would never be read."""
    files = _files(dirs)
    for (payer_class, _), path in files.items():
        if payer_class not in class_parents:
            near = nearest(payer_class, list(class_parents))
            hint = f"did you mean {near!r}?" if near else f"the rules' classes: {', '.join(class_parents)}"
            raise RulesError(path, "", f"no payer class named {payer_class!r} in the rules ({hint}); a fee schedule "
                                       "file is named <payer class>_<year>.csv")
    years = sorted({year for _, year in files})
    rows = []
    for payer_class in class_parents:
        for year in years:
            owner = payer_class
            while owner is not None and (owner, year) not in files:
                owner = class_parents.get(owner)
            if owner is not None:
                rows += _read_fee_file(files[(owner, year)], payer_class, year)
    _check_overlaps(rows)
    for r in rows:
        if codes is not None and r["code"] not in codes:
            raise RulesError(r["fee_file"], f"line {r['line']}.code", f"{r['code']} is not a code the rules bill or "
                                                                      "recognise (claim_codes): correct the code, or remove the line")
    return from_rows(rows, FEE_SCHEMA)  # without the line, which the schema does not name


def _check_overlaps(rows: list[dict]) -> None:
    """Two amounts for one code, setting and day would make a line's amount ambiguous; a row
    for every setting (no billing_setting) overlaps each setting's own rows."""
    by_code: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_code.setdefault((r["payer_class"], r["code"]), []).append(r)
    for (_, code), group in by_code.items():
        group.sort(key=lambda r: (r["valid_from"], r["line"]))
        for i, b in enumerate(group):
            for a in group[:i]:
                same_setting = a["billing_setting"] is None or b["billing_setting"] is None or a["billing_setting"] == b["billing_setting"]
                if same_setting and b["valid_from"] < a["valid_to"]:
                    setting = b["billing_setting"] or a["billing_setting"] or "every setting"
                    raise RulesError(b["fee_file"], f"line {b['line']}",
                                     f"two amounts for {code} ({setting}) in force on {b['valid_from']} (also line {a['line']})")
    _check_gaps(rows)


def _check_gaps(rows: list[dict]) -> None:
    """A file that prices a code (for a setting) on two stretches of its year with days between
    them leaves those days without a fee: a month ending there bills an empty amount. A code may
    start or stop within the year; it may not pause."""
    by_code: dict[tuple[str, str, str | None], list[dict]] = {}
    for r in rows:
        by_code.setdefault((r["fee_file"], r["code"], r["billing_setting"]), []).append(r)
    for (path, code, setting), group in by_code.items():
        group.sort(key=lambda r: r["valid_from"])
        for a, b in zip(group, group[1:]):
            if b["valid_from"] > a["valid_to"]:
                raise RulesError(path, f"line {b['line']}",
                                 f"no amount for {code} ({setting or 'every setting'}) from {a['valid_to']} to "
                                 f"{b['valid_from'] - timedelta(days=1)}, between line {a['line']} and this one: "
                                 "make effective_from the day after the earlier line's effective_to")
