"""A small good store, hostile copies of it, and ways to run `bcm` in-process or as a process."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bcm_analytics.cli import cli

EXPORTS = {
    "clinics.csv": "clinic_id,clinic_name,setting,timezone\nC1,North,physician_practice,America/Chicago\n",
    "patients.csv": (
        "patient_id,clinic_id,payer,care_manager_id,birth_date,enrollment_date,consent_date\n"
        "P0000001,C1,Medicare,CM1,1950-02-03,2025-01-02,2025-01-02\n"
        "P0000002,C1,Medicaid,CM1,1962-07-19,2025-01-03,2025-01-03\n"
    ),
    "time_logs.csv": (
        "entry_id,patient_id,staff_id,staff_role,service_date,minutes,activity_type\n"
        "E1,P0000001,S1,bhcm,2025-01-06,40,assessment\nE2,P0000002,S1,bhcm,2025-01-07,75,assessment\n"
    ),
    "assessments.csv": (
        "assessment_id,patient_id,instrument,administered_on,total_score\n"
        "A1,P0000001,PHQ-9,2025-01-06,14\nA2,P0000002,PHQ-9,2025-01-07,19\n"
    ),
}


def write_exports(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in EXPORTS.items():
        (folder / name).write_text(text)
    return folder


def make_store(folder: Path) -> Path:
    """A store loaded through the command line from EXPORTS."""
    db = folder / "good.duckdb"
    result = bcm("load", write_exports(folder / "exports"), "--db", db)
    assert result.exit_code == 0, result.output
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def flipped(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 0x10
    return bytes(out)


def sqlite_file(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE patients (patient_id TEXT, name TEXT)")
    con.execute("INSERT INTO patients VALUES ('P0000001', 'Jane Doe')")
    con.commit()
    con.close()


def foreign_duckdb(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE contacts AS SELECT 'Jane Doe' AS name")
    con.close()


def hostile_stores(good: Path, folder: Path) -> dict[str, Path]:
    """Each way a --db can be wrong, as a file of its own."""
    data = good.read_bytes()
    block = 262_144
    writers = {
        "a text file": lambda p: p.write_text("patient_id,name\nP0000001,Jane Doe\n"),
        "0 bytes": lambda p: p.write_bytes(b""),
        "an SQLite file": sqlite_file,
        "someone else's DuckDB database": foreign_duckdb,
        "truncated to half": lambda p: p.write_bytes(data[: len(data) // 2]),
        "truncated inside the header": lambda p: p.write_bytes(data[:5000]),
        "truncated by its last block": lambda p: p.write_bytes(data[:-block]),
        "a bit flipped in the main header": lambda p: p.write_bytes(flipped(data, 20)),
        "a bit flipped in a database header": lambda p: p.write_bytes(flipped(data, 4096 + 40)),
        "a bit flipped in the middle": lambda p: p.write_bytes(flipped(data, len(data) // 2)),
        "a bit flipped in the last block": lambda p: p.write_bytes(flipped(data, len(data) - 100)),
    }
    folder.mkdir(parents=True, exist_ok=True)
    stores = {}
    for i, (name, write) in enumerate(writers.items()):
        path = folder / f"hostile_{i}.duckdb"
        write(path)
        stores[name] = path
    return stores


def bcm(*args, env: dict | None = None):
    """`bcm ARGS` in-process (stderr kept apart), exceptions caught as the real command would."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def bcm_process(*args, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """`bcm ARGS` as its own process (locks and permissions are per process)."""
    return subprocess.run([sys.executable, "-m", "bcm_analytics", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, **kwargs)


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def command_lines(db: Path, work: Path) -> dict[str, list]:
    """Every command that touches a store, with arguments that would succeed on a good one."""
    exports = write_exports(work / "exports")
    return {
        "load": ["load", exports, "--db", db],
        "quarantine": ["quarantine", "--db", db, "--out", work / "q.csv"],
        "warnings": ["warnings", "--db", db, "--out", work / "w.csv"],
        "validate": ["validate", "--db", db, "--sample", "0"],
        "outcomes": ["outcomes", "--db", db, "--out", work / "o.csv"],
        "billing": ["billing", "--db", db, "--month", "2025-01", "--out", work / "b.csv"],
        "billing --worklist": ["billing", "--db", db, "--worklist", "--out", work / "w.csv"],
        "billing --save-marts": ["billing", "--db", db, "--month", "2025-01", "--out", work / "b.csv", "--save-marts"],
        "reconcile": ["reconcile", "--db", db, "--month", "2025-01", "--out", work / "r.csv"],
        "report": ["report", "program_overview", "--db", db, "--out", work / "r.html"],
        "demo": ["demo", "--db", db, "--reports", work / "reports", "--data", work / "demo_data", "--patients", "50",
                 "--months", "6"],
    }
