"""Time the mart rebuild a new payer spelling causes (a benchmark, not a test; docs/performance.md).

    bcm generate --patients 300 --out d300      # 7,652 time-log rows
    bcm generate --patients 3800 --out d3800    # about 100k
    .venv/bin/python benchmarks/bench_payer_spelling.py d300 /tmp/s300/store.duckdb   # the store is made anew

Loads the program with its rules file (BCM_RULES), builds, then loads four small patient updates
and times each refresh: A, three patients' sex (the incremental baseline); B, three Medicare
patients now written MEDICARE (a name first written a second way: config.payer_spellings gains a
row); C, three more (nothing new: incremental); D, every other Medicare patient written MEDICARE
(the leading spelling changes). Prints each refresh's seconds and its models built whole.
"""
import csv
import os
import shutil
import sys
import time
from pathlib import Path

from bcm_analytics.ingest import load_file
from bcm_analytics.models import refresh
from bcm_analytics.warehouse import connect


def main(data: Path, db: Path) -> None:
    for old in db.parent.glob(db.name + "*"):
        old.unlink() if old.is_file() else shutil.rmtree(old)
    db.parent.mkdir(parents=True, exist_ok=True)
    os.environ["BCM_RULES"] = str(data / "program_rules.yaml")
    con = connect(db)
    for table in ("clinics", "patients", "coverage", "facility_stays", "time_logs", "assessments"):
        load_file(con, data / f"{table}.csv")
    started = time.perf_counter()
    refresh(con)
    print(f"first build {time.perf_counter() - started:.2f} s")
    print("time-log rows", con.execute("SELECT count(*) FROM staging.time_logs").fetchall()[0][0])
    rows = list(csv.DictReader(open(data / "patients.csv")))
    medicare = [r for r in rows if r["payer"] == "Medicare"]
    other = [r for r in rows if r["payer"] != "Medicare"][:3]

    def step(name: str, changed: list[dict]) -> None:
        path = db.parent / f"patients_{name}.csv"
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(changed)
        load_file(con, path)
        started = time.perf_counter()
        report = refresh(con)
        total = time.perf_counter() - started
        whole = sorted((s for s in report.steps if s.how == "full"), key=lambda s: -s.seconds)
        print(f"{name}: refresh {total:.2f} s; {len(whole)} models whole ({sum(s.seconds for s in whole):.2f} s): "
              + ", ".join(f"{s.model} {s.seconds:.2f}" for s in whole[:6]))

    step("A_sex_of_3", [{**r, "sex": "F" if r["sex"] == "M" else "M"} for r in other])
    step("B_3_write_MEDICARE", [{**r, "payer": "MEDICARE"} for r in medicare[:3]])
    step("C_3_more_MEDICARE", [{**r, "payer": "MEDICARE"} for r in medicare[3:6]])
    step("D_the_rest_MEDICARE", [{**r, "payer": "MEDICARE"} for r in medicare[6:]])
    print("Medicare is now read as", con.execute("SELECT marts.payer_name('Medicare')").fetchall()[0][0])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
