"""The demo's steps after loading: each yields a label and a job returning the files it wrote.

Kept apart from the CLI so a test can run the same steps on a small program.
"""

from __future__ import annotations

from pathlib import Path

from bcm_analytics.reports.runner import render_report

DEMO_START = "2024-11"  # 24 months reach 2026-10: FQHC/RHC rules of 2024, 2025 and 2026 all apply


def demo_reports(db: Path, data_dir: Path, reports_dir: Path, *, seed: int, timezone: str):
    yield "rendering the program overview", lambda: [render_report("program_overview", db, {}, reports_dir / "program_overview.html")]
