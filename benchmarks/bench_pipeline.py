"""Time bcm against raw DuckDB and plain pandas on the same generated program, and check the
performance targets of issue 9 (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_pipeline.py --patients 38000     # about 1M time-log rows
    .venv/bin/python benchmarks/bench_pipeline.py --patients 380000    # about 10M time-log rows
    .venv/bin/python benchmarks/bench_pipeline.py --patients 340000 --months 48
        # about 10M rows whose last month is about 200,000 rows of time logs: the monthly export
        # of issue 9's target (24 months of 10M rows make a month of 520,000 rows)

Every step runs in its own process, as a user would run it: the `bcm` commands with their
start-up, the baselines as short Python scripts, each after the files of the steps before it are
flushed to disk (os.sync, not timed). Wall time from start to exit; peak memory is
the kernel's maximum resident set of the process and its children (wait4), so no peak falls
between two samples. The steps, on one generated program (24 months unless --months):

- raw DuckDB: read the time-log CSV into a table of a new DuckDB file, sum minutes per patient
  and month, COPY the sums to CSV (what a DuckDB user writes in five minutes);
- pandas: read_csv, the same sum with groupby, to_csv;
- `bcm load` of clinics, patients, time logs and assessments into a new store, then
  `bcm billing --out lines.csv` for all months (the pair is what the targets time);
- claims billed from those lines with planted mistakes and loaded (set-up), then `bcm reconcile`;
- `bcm outcomes` and `bcm validate` on the same store (their peak memory has a target too);
- the program's rules file is the stores' own (BCM_RULES), as a program sets it once, so loads
  build the marts with it and the commands read them;
- the monthly increment: the last month's time logs and assessments are split off the generated
  files beforehand, the other months load into a second store (set-up), then the month is
  loaded into it and billed. Its billing lines must equal the full store's lines of that month.

Generated and split files are cached (--cache, keyed by size, seed and the generator's source),
so a second run times the same files without generating them again. Results go to
<cache>/<key>/results.json and results.md (a table the README can paste).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

import bcm_analytics
from bcm_analytics.months import add_months, month_start

BIN = Path(sys.executable).parent
SEED, END = 7, "2026-10"
GIB = 2**30
TABLES = ["clinics", "patients", "time_logs", "assessments"]
DATE_COLUMN = {"time_logs": "service_date", "assessments": "administered_on"}

RAW_DUCKDB = """
import sys, duckdb
csv, db, out = sys.argv[1:]
con = duckdb.connect(db)
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE time_logs AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [csv])
con.execute(f'''COPY (SELECT patient_id, left(service_date, 7) AS service_month, sum(TRY_CAST(minutes AS DOUBLE)) AS minutes
                FROM time_logs GROUP BY ALL) TO '{out}' (HEADER)''')
"""

PANDAS = """
import sys, pandas as pd
csv, out = sys.argv[1:]
logs = pd.read_csv(csv)
logs["minutes"] = pd.to_numeric(logs["minutes"], errors="coerce")
logs["service_month"] = logs["service_date"].str[:7]
logs.groupby(["patient_id", "service_month"], as_index=False)["minutes"].sum().to_csv(out, index=False)
"""

CLAIMS = """
import sys
from pathlib import Path
from bcm_analytics.demo import bill_and_load_claims
db, data = map(Path, sys.argv[1:])
bill_and_load_claims(db, data, data / "program_rules.yaml", seed=7, timezone="America/New_York")
"""


@dataclass
class Step:
    key: str
    label: str
    seconds: float
    peak_bytes: int
    bcm: bool  # a bcm command (its peak memory has a target)


def run(args: list, log: Path, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one command and its children. The files earlier
    steps wrote are flushed to disk first, outside the timing, so that no step shares the disk
    with the write-back of the 2 GB store the step before it wrote."""
    os.sync()
    with open(log, "ab") as err:
        err.write(f"\n$ {' '.join(map(str, args))}\n".encode())
        err.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([str(a) for a in args], stdout=err, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n" + log.read_text()[-3000:])
    return seconds, usage.ru_maxrss * 1024


def generator_version() -> str:
    """What the generated files depend on: the synthetic package's source."""
    digest = hashlib.sha256()
    for path in sorted((Path(bcm_analytics.__file__).parent / "synthetic").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def prepare_program(folder: Path, patients: int, months: int, log: Path) -> dict:
    """Generate the program into folder/full and split its last month off into folder/base and
    folder/month, unless a previous run did; returns what was measured then (program.json)."""
    meta_path = folder / "program.json"
    if meta_path.exists():
        return {"months": months} | json.loads(meta_path.read_text()) | {"cached": True}  # runs before --months wrote none
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    full = folder / "full"
    start = f"{add_months(month_start(END), 1 - months):%Y-%m}"
    seconds, peak = run([BIN / "bcm", "generate", "--out", full, "--patients", patients, "--months", months,
                         "--start", start, "--seed", SEED], log)
    last = END
    base, month = folder / "base", folder / "month"
    base.mkdir()
    month.mkdir()
    con = duckdb.connect()
    rows = {}
    for table in TABLES:
        source = full / f"{table}.csv"
        rows[table] = con.execute("SELECT count(*) FROM read_csv(?, header = true, all_varchar = true)", [str(source)]).fetchone()[0]
        if table not in DATE_COLUMN:
            shutil.copy2(source, base / source.name)
            continue
        date = DATE_COLUMN[table]
        read = f"read_csv('{source}', header = true, all_varchar = true)"
        con.execute(f"COPY (SELECT * FROM {read} WHERE coalesce(left({date}, 7), '') <> '{last}') TO '{base / source.name}' (HEADER)")
        con.execute(f"COPY (SELECT * FROM {read} WHERE left({date}, 7) = '{last}') TO '{month / f'{table}_{last}.csv'}' (HEADER)")
        rows[f"{table}_{last}"] = con.execute(f"SELECT count(*) FROM {read} WHERE left({date}, 7) = '{last}'").fetchone()[0]
    meta = {"start": start, "months": months, "last_month": last, "rows": rows, "generate_seconds": seconds, "generate_peak_bytes": peak,
            "generated_on": time.strftime("%Y-%m-%d %H:%M")}
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta | {"cached": False}


def same_lines(full_lines: Path, month_lines: Path, month: str) -> bool:
    """The month's billing lines from the incrementally loaded store equal the full store's."""
    def rows(path: Path, keep) -> list[tuple]:
        with open(path, newline="") as f:
            return sorted(tuple(r.values()) for r in csv.DictReader(f) if keep(r))

    return rows(full_lines, lambda r: r["service_month"] == month) == rows(month_lines, lambda r: True)


def targets(steps: dict[str, Step], rows: int) -> list[tuple[str, str, bool]]:
    """Each target of issue 9: (target, measured, met)."""
    raw = steps["raw"].seconds
    pair = steps["load"].seconds + steps["billing"].seconds
    monthly = steps["month_load"].seconds + steps["month_billing"].seconds
    bcm_peak = max((s for s in steps.values() if s.bcm), key=lambda s: s.peak_bytes)
    size = f"{rows:,} rows"
    out = []
    if rows < 3_000_000:
        out.append(("1M rows: bcm load + billing <= 2.5x raw DuckDB", f"{pair / raw:.1f}x at {size}", pair <= 2.5 * raw))
    out += [
        ("10M rows: bcm load + billing <= 3x raw DuckDB", f"{pair / raw:.1f}x at {size}", pair <= 3 * raw),
        ("10M rows: bcm reconcile <= 2x raw DuckDB", f"{steps['reconcile'].seconds / raw:.1f}x at {size}",
         steps["reconcile"].seconds <= 2 * raw),
        ("10M rows: peak RSS of every bcm command <= 2 GiB (default memory limit)",
         f"{bcm_peak.peak_bytes / GIB:.2f} GiB ({bcm_peak.label}) at {size}", bcm_peak.peak_bytes <= 2 * GIB),
        ("monthly export loaded into the big store, then billed: <= 15% of the full load + billing",
         f"{monthly / pair:.0%} at {size}", monthly <= 0.15 * pair),
        ("bcm load + billing >= 2x faster than the pandas version",
         f"pandas takes {steps['pandas'].seconds / pair:.1f}x bcm's time", steps["pandas"].seconds >= 2 * pair),
    ]
    return out


def markdown(steps: dict[str, Step], checks: list, meta: dict, equal: bool) -> str:
    raw = steps["raw"].seconds
    rows = meta["rows"]
    lines = [
        f"{rows['time_logs']:,} time-log rows ({rows['patients']:,} patient rows, {rows['assessments']:,} assessments), "
        f"{meta['months']} months; the monthly export: {rows['time_logs_' + meta['last_month']]:,} time-log rows of {meta['last_month']}.",
        "",
        "| step | seconds | peak RSS | x raw DuckDB |",
        "|---|---:|---:|---:|",
    ]
    for step in steps.values():
        lines.append(f"| {step.label} | {step.seconds:.1f} | {step.peak_bytes / 2**20:,.0f} MiB | {step.seconds / raw:.1f} |")
    for label, keys in [("bcm load + billing", ("load", "billing")), ("monthly export: load + billing", ("month_load", "month_billing"))]:
        seconds, peak = sum(steps[k].seconds for k in keys), max(steps[k].peak_bytes for k in keys)
        lines.append(f"| **{label}** | **{seconds:.1f}** | {peak / 2**20:,.0f} MiB | **{seconds / raw:.1f}** |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'met' if met else 'NOT met'} |" for target, measured, met in checks]
    lines += ["", f"Incremental billing of {meta['last_month']} equals the full store's: {'yes' if equal else 'NO'}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=38_000, help="38000: about 1M time-log rows; 380000: about 10M")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bcm-bench",
                        help="Where generated files (reused between runs), stores and results go.")
    parser.add_argument("--fresh", action="store_true", help="Generate the program again even if it is cached.")
    parser.add_argument("--months", type=int, default=24,
                        help="Months of history; at 10M rows, 48 makes the last month's export about 200,000 rows, "
                             "the monthly export issue 9 times")
    opts = parser.parse_args()
    months = opts.months

    folder = opts.cache / f"p{opts.patients}-m{months}-s{SEED}-{generator_version()}"
    if opts.fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    log = work / "commands.log"
    program = folder / "program"
    meta = prepare_program(program, opts.patients, months, log)
    full, base, month, last = program / "full", program / "base", program / "month", meta["last_month"]
    rules = full / "program_rules.yaml"
    bcm = BIN / "bcm"
    store, inc_store = work / "full.duckdb", work / "increment.duckdb"
    print(f"{meta['rows']['time_logs']:,} time-log rows in {full}" + (" (cached)" if meta["cached"] else ""), flush=True)

    plan = [
        ("raw", "raw DuckDB: read time-log CSV into a table, sum per patient and month, COPY to CSV", False,
         [sys.executable, "-c", RAW_DUCKDB, full / "time_logs.csv", work / "raw.duckdb", work / "raw_sums.csv"]),
        ("pandas", "pandas: read_csv, groupby sum per patient and month, to_csv", False,
         [sys.executable, "-c", PANDAS, full / "time_logs.csv", work / "pandas_sums.csv"]),
        ("load", "`bcm load` clinics, patients, time logs, assessments", True,
         [bcm, "load", *(full / f"{t}.csv" for t in TABLES), "--db", store]),
        ("billing", f"`bcm billing --out lines.csv`, {months} months", True,
         [bcm, "billing", "--db", store, "--month", meta["start"], "--to", last, "--out", work / "lines.csv"]),
        # `bcm demo` runs this step (demo.bill_and_load_claims): its peak is a bcm command's
        ("claims", "set-up: bill as claims with planted mistakes, load them (`bcm demo`'s claims step)", True,
         [sys.executable, "-c", CLAIMS, store, full]),
        ("reconcile", f"`bcm reconcile --out findings.csv`, {months} months", True,
         [bcm, "reconcile", "--db", store, "--month", meta["start"], "--to", last, "--out", work / "findings.csv"]),
        ("outcomes", "`bcm outcomes --out outcomes.parquet` (patient level)", True,
         [bcm, "outcomes", "--db", store, "--out", work / "outcomes.parquet"]),
        ("validate", "`bcm validate` (DuckDB on every row, great-expectations on samples)", True,
         [bcm, "validate", "--db", store]),
        ("base_load", f"set-up: `bcm load` the other {months - 1} months into a second store", True,
         [bcm, "load", *(base / f"{t}.csv" for t in TABLES), "--db", inc_store]),
        ("month_load", f"monthly export: `bcm load` {last} into that store", True,
         [bcm, "load", *sorted(month.glob("*.csv")), "--db", inc_store]),
        ("month_billing", f"monthly export: `bcm billing --month {last}`", True,
         [bcm, "billing", "--db", inc_store, "--month", last, "--out", work / "month_lines.csv"]),
    ]
    load_before = os.getloadavg()[0]
    steps = {"generate": Step("generate", "`bcm generate` (not part of the targets)" + (", measured when cached" if meta["cached"] else ""),
                              meta["generate_seconds"], meta["generate_peak_bytes"], True)}
    # the program's rules file is the stores' own, as a program sets it once: loads build the
    # marts with it and the commands read them (a --rules other than the store's computes apart)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BCM_") or k == "BCM_MEMORY_LIMIT"} | {"BCM_RULES": str(rules)}
    for key, label, is_bcm, args in plan:
        seconds, peak = run(args, log, env)
        steps[key] = Step(key, label, seconds, peak, is_bcm)
        print(f"  {label}: {seconds:.1f} s, {peak / 2**20:,.0f} MiB", flush=True)

    equal = same_lines(work / "lines.csv", work / "month_lines.csv", last)
    checks = targets(steps, meta["rows"]["time_logs"])
    busy = (load_before, os.getloadavg()[0])
    table = markdown(steps, checks, meta, equal) + (
        f"\n\nMeasured on {os.cpu_count()} cores with a load average of {busy[0]:.1f} before and {busy[1]:.1f} after"
        + (": other work shared the machine, so every figure is slower than on a quiet one." if max(busy) > os.cpu_count() else ".")
    )
    print("\n" + table)
    results = {
        "patients": opts.patients, "months": months, "seed": SEED, "program": meta, "machine": f"{platform.node()}, {os.cpu_count()} cores",
        "load_average_before_after": busy,
        "bcm_memory_limit": os.environ.get("BCM_MEMORY_LIMIT", "default"), "version": bcm_analytics.__version__,
        "steps": [asdict(s) for s in steps.values()], "incremental_equals_full": equal,
        "targets": [{"target": t, "measured": m, "met": met} for t, m, met in checks],
    }
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    (folder / "results.md").write_text(table + "\n")
    print(f"\nresults: {folder / 'results.json'}, {folder / 'results.md'}; commands' output: {log}")


if __name__ == "__main__":
    main()
