"""Time and memory of the whole pipeline on a large synthetic program (not a test).

    .venv/bin/python benchmarks/bench_pipeline.py --patients 38000     # about 1M time-log rows
    .venv/bin/python benchmarks/bench_pipeline.py --patients 380000    # about 10M time-log rows

Each step runs as the `bcm` command a user would type, in its own process, so the figures
include start-up; peak memory is the largest resident set of that process and its children,
sampled every 50 ms. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent
START, MONTHS = "2024-11", 24
END = "2026-10"


def measure(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command (with its children)."""
    started = time.perf_counter()
    proc = psutil.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr.read().decode()[-2000:]}")
    return time.perf_counter() - started, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=38_000)
    parser.add_argument("--workdir", type=Path, default=None)
    opts = parser.parse_args()
    work = opts.workdir or Path(tempfile.mkdtemp(prefix="bcm-bench-"))
    data, db = work / "data", work / "bench.duckdb"
    bcm = str(BIN / "bcm")
    claims = (
        "from pathlib import Path; from bcm_analytics.demo import bill_and_load_claims; "
        f"bill_and_load_claims(Path({str(db)!r}), Path({str(data)!r}), Path({str(data / 'program_rules.yaml')!r}), seed=7, timezone='America/New_York')"
    )
    steps = [
        ("generate the synthetic program", [bcm, "generate", "--out", str(data), "--patients", str(opts.patients),
                                            "--months", str(MONTHS), "--start", START]),
        ("load clinics, patients, time logs, assessments", [bcm, "load", str(data), "--db", str(db)]),
        ("load the same folder again (nothing changes)", [bcm, "load", str(data), "--db", str(db)]),
        ("billing lines for 24 months", [bcm, "billing", "--db", str(db), "--month", START, "--to", END,
                                         "--rules", str(data / "program_rules.yaml"), "--out", str(work / "lines.parquet")]),
        ("bill as claims (with mistakes) and load them", [str(BIN / "python"), "-c", claims]),
        ("reconcile 24 months", [bcm, "reconcile", "--db", str(db), "--month", START, "--to", END,
                                 "--rules", str(data / "program_rules.yaml"), "--out", str(work / "findings.csv")]),
        ("patient outcomes", [bcm, "outcomes", "--db", str(db), "--as-of", "2026-10-31", "--out", str(work / "outcomes.parquet")]),
        ("validate the store (table-level contracts)", [bcm, "validate", "--db", str(db)]),
    ]
    rows = []
    for label, args in steps:
        seconds, mib = measure(args)
        rows.append((label, seconds, mib))
        print(f"{label}: {seconds:.1f} s, {mib:,.0f} MiB", flush=True)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    counts = dict(con.execute("SELECT table_name, sum(rows_read) FROM meta.load_log GROUP BY ALL").fetchall())
    print(f"\n{opts.patients:,} patients; rows read: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print(f"store: {db.stat().st_size / 2**20:,.0f} MiB\n")
    print("| step | wall time | peak memory |\n|---|---|---|")
    for label, seconds, mib in rows:
        print(f"| {label} | {seconds:.1f} s | {mib:,.0f} MiB |")


if __name__ == "__main__":
    main()
