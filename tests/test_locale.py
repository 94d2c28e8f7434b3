"""bcm under a locale whose encoding is not UTF-8 (LC_ALL=C without Python's UTF-8 coercion, as
some servers and cron jobs run): every load failed as "a bug in bcm" (UnicodeDecodeError reading
the one packaged SQL file with a non-ASCII character) and left a half-made store behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PATIENTS = "patient_id,payer,enrollment_date,consent_date\nP1,Medicare,2025-01-01,2025-01-01\n"
TIME_LOGS = "entry_id,patient_id,staff_role,service_date,minutes,activity_type\nE1,P1,bhcm,2025-02-03,40,outreach\n"


def test_a_load_and_billing_work_under_an_ascii_locale(tmp_path):
    (tmp_path / "patients.csv").write_text(PATIENTS)
    (tmp_path / "time_logs.csv").write_text(TIME_LOGS)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}
    bcm = [sys.executable, "-m", "bcm_analytics"]
    loaded = subprocess.run([*bcm, "load", "patients.csv", "time_logs.csv", "--db", "s.duckdb"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "loaded 2 file(s) into s.duckdb" in loaded.stdout
    billed = subprocess.run([*bcm, "billing", "--db", "s.duckdb", "--month", "2025-02", "--out", "lines.csv"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert billed.returncode == 0, billed.stdout + billed.stderr
    assert "99492" in Path(tmp_path / "lines.csv").read_text()
