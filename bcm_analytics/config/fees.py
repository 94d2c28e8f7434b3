"""Fee schedules: expected payment per code, payer class and date, read from small CSV files.

Amounts are data finance owns (contracted rates replace the shipped placeholders), so each row
says where it came from and whether anyone verified it. See fee_schedules/README.md.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from bcm_analytics.config.rules import RulesError

COLUMNS = ("code", "effective_from", "effective_to", "amount", "source", "verified")
FILE_NAME = re.compile(r"(?P<payer_class>[a-z0-9_]+)_(?P<year>\d{4})\.csv")
FEE_SCHEMA = pa.schema([
    ("payer_class", pa.string()), ("code", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32()),
    ("amount", pa.float64()), ("source", pa.string()), ("verified", pa.bool_()), ("fee_file", pa.string()),
])


def _read_fee_file(path: Path, payer_class: str, year: int) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RulesError(path, "header", f"missing column(s): {', '.join(missing)}")
        return [_fee_row(path, line, row, payer_class, year) for line, row in enumerate(reader, start=2)]


def _fee_row(path: Path, line: int, row: dict, payer_class: str, year: int) -> dict:
    where = f"line {line}"
    try:
        start = date.fromisoformat(row["effective_from"].strip())
        end = date.fromisoformat(row["effective_to"].strip())
    except ValueError:
        raise RulesError(path, where, "effective_from and effective_to must be dates YYYY-MM-DD") from None
    if not (start.year == end.year == year and start <= end):
        raise RulesError(path, where, f"effective dates must lie in {year}, from before to")
    try:
        amount = float(row["amount"])
    except ValueError:
        raise RulesError(path, f"{where}.amount", f"must be a number of dollars (got {row['amount']!r})") from None
    if amount < 0:
        raise RulesError(path, f"{where}.amount", "must not be negative")
    verified = row["verified"].strip().lower()
    if verified not in ("true", "false"):
        raise RulesError(path, f"{where}.verified", f"must be true or false (got {row['verified']!r})")
    code = row["code"].strip().upper()
    if not code:
        raise RulesError(path, f"{where}.code", "is empty")
    return {"payer_class": payer_class, "code": code, "valid_from": start, "valid_to": end + timedelta(days=1),
            "amount": amount, "source": row["source"].strip(), "verified": verified == "true", "fee_file": str(path)}


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


def load_fees(dirs: tuple[Path, ...], class_parents: dict[str, str | None]) -> pa.Table:
    """Every class's fees per year: its own file, else the file of the class it extends."""
    files = _files(dirs)
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
    return pa.Table.from_pylist(rows, schema=FEE_SCHEMA)


def _check_overlaps(rows: list[dict]) -> None:
    """Two amounts for one code on one day would make a line's amount ambiguous."""
    by_code: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_code.setdefault((r["payer_class"], r["code"]), []).append(r)
    for group in by_code.values():
        group.sort(key=lambda r: r["valid_from"])
        for a, b in zip(group, group[1:]):
            if b["valid_from"] < a["valid_to"]:
                raise RulesError(b["fee_file"], b["code"], f"two amounts in force on {b['valid_from']}")
