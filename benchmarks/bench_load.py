"""Measure the loader and both contract engines on a generated time-log export (not a test).

    .venv/bin/python benchmarks/bench_load.py [--rows 1000000] [--folder /tmp/bcm-bench]

Each step runs in its own process so its peak memory is its own. The export's entry_id is
'L<line>', the physical line the record starts on, so the loader's line numbers are checked
against the truth: one export has one line per record (the fast path), the other has a
quoted two-line note in every 50th record and a few malformed lines (the line-map path).
This is also the check that DuckDB's parallel read keeps file order in the landed table's
rowid, which the loader numbers records by (ingest/landing.py).
Figures go to data_contracts/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb


def generate(folder: Path, rows: int, multiline: bool) -> Path:
    """patients.csv (5,000) and a time-log export whose entry ids are their line numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'P' || i AS patient_id, 'Medicare' AS payer, '2024-06-01' AS enrollment_date FROM range(5000) t(i)) "
        f"TO '{folder / 'patients.csv'}' (HEADER)"
    )
    every = 50 if multiline else 0
    out = folder / f"time_logs_{'multiline' if multiline else 'plain'}.csv"
    con.execute(
        f"""COPY (
          WITH r AS (SELECT i, {f'i % {every} = 7' if every else 'false'} AS multi FROM range({rows}) t(i)),
               p AS (SELECT i, multi, 2 + i + coalesce(sum(CAST(multi AS INTEGER)) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS line FROM r)
          SELECT 'L' || line AS entry_id, 'P' || (i % 5000) AS patient_id, 'S' || (i % 40) AS staff_id, 'bhcm' AS staff_role,
                 strftime(DATE '2025-01-01' + CAST(i % 365 AS INTEGER), '%Y-%m-%d') AS service_date,
                 CASE WHEN {'i % 10007 = 3' if multiline else 'false'} THEN 'abc' ELSE CAST(5 + i % 55 AS VARCHAR) END AS minutes,
                 'outreach' AS activity_type, 'phone' AS contact_mode,
                 CASE WHEN multi THEN 'called twice' || chr(10) || 'left a message' ELSE 'called' END AS note
          FROM p ORDER BY i) TO '{out}' (HEADER)"""
    )
    return out


def step_load(db: Path, folder: Path, export: Path) -> dict:
    from bcm_analytics.ingest import load_file
    from bcm_analytics.warehouse import connect

    db.unlink(missing_ok=True)
    con = connect(db)
    load_file(con, folder / "patients.csv")
    started, cpu = time.perf_counter(), time.process_time()
    result = load_file(con, export)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    wrong = con.execute(
        """SELECT (SELECT count(*) FROM staging.time_logs WHERE entry_id <> 'L' || _line)
                + (SELECT count(*) FROM meta.quarantine WHERE table_name = 'time_logs' AND record ->> 'entry_id' <> 'L' || line_number)"""
    ).fetchall()[0][0]
    return {"rows_read": result.rows_read, "loaded": result.rows_loaded, "quarantined": result.rows_quarantined,
            "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "wrong_line_numbers": wrong}


def step_duckdb(db: Path) -> dict:
    """Every time-log expectation (row and table scope) over every stored row."""
    from bcm_analytics.contracts.checks import stored_frame, unexpected_rows_sql
    from bcm_analytics.contracts.snippets import install_macros
    from bcm_analytics.contracts.suites import expectations
    from bcm_analytics.warehouse import connect

    con = connect(db, read_only=True)
    install_macros(con)
    started = time.perf_counter()
    for exp in expectations("time_logs"):
        con.execute(f"SELECT count(*) FROM ({unexpected_rows_sql(exp, stored_frame('time_logs'))})").fetchall()
    return {"expectations": len(expectations("time_logs")), "seconds": round(time.perf_counter() - started, 2)}


def step_gx(db: Path) -> dict:
    """The same suite through great-expectations on a pandas frame of every stored row."""
    started = time.perf_counter()
    from bcm_analytics.contracts import (
        gx_custom,  # noqa: F401  (imports great-expectations)
        gx_run,
    )
    from bcm_analytics.contracts.validate import sample_frames
    from bcm_analytics.warehouse import connect

    imported = time.perf_counter()
    con = connect(db, read_only=True)
    frame = sample_frames(con, 10_000_000)["time_logs"]
    params = gx_run.parameter_values(con, {"time_logs": frame})
    framed = time.perf_counter()
    result = gx_run.validate_frames({"time_logs": frame}, params)["time_logs"]
    done = time.perf_counter()
    return {"rows": len(frame), "expectations": len(result.results), "import_s": round(imported - started, 2),
            "frame_s": round(framed - imported, 2), "validate_s": round(done - framed, 2), "seconds": round(done - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bcm-bench"))
    parser.add_argument("--step")
    parser.add_argument("--export", type=Path)
    args = parser.parse_args()
    db = args.folder / "bench.duckdb"
    if args.step:
        step = {"load": lambda: step_load(db, args.folder, args.export), "duckdb": lambda: step_duckdb(db), "gx": lambda: step_gx(db)}
        out = step[args.step]()
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps(out))
        return
    exports = [generate(args.folder, args.rows, multiline) for multiline in (True, False)]
    for name, extra in [("load (quoted line breaks, bad lines)", ["--export", str(exports[0])]),
                        ("load (one line per record)", ["--export", str(exports[1])]),
                        ("duckdb", []), ("gx", [])]:
        step_name = name.split()[0]
        run = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--folder", str(args.folder), "--step", step_name, *extra],
                             capture_output=True, text=True, check=True)
        print(f"{name:<40} {run.stdout.strip()}")


if __name__ == "__main__":
    main()
