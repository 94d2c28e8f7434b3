"""Execute a notebook from notebooks/ with parameters and write self-contained HTML.

One process executes (papermill) and exports (nbconvert): that saves a kernel start and a
second interpreter per report. The HTML is hermetic (plotly.js embedded once, no CDN script
tags) and byte-identical for identical inputs: timings, papermill metadata and random cell ids
are removed before export.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

# notebooks/ at the top of the repository, installed as package data (see pyproject.toml)
NOTEBOOKS_DIR = resources.files("bcm_analytics.notebooks")
CDN_SCRIPT = re.compile(r'<script[^>]*src="((https?:)?//[^"]*)?"[^>]*>\s*</script>\s*')


class ReportError(Exception):
    """A report could not be rendered; the message names the notebook and the failing cell."""


def available_reports() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb"))


def notebook_path(name: str) -> Path:
    path = NOTEBOOKS_DIR / f"{name}.ipynb"
    if not path.exists():
        raise ReportError(f"no report named '{name}'; available: {', '.join(available_reports())}")
    return path


def render_report(name: str, db: str | Path, parameters: dict | None = None, out_path: str | Path | None = None) -> Path:
    """Run notebooks/<name>.ipynb against the store `db` and write HTML (default reports/<name>.html)."""
    import papermill as pm

    source = notebook_path(name)
    out = Path(out_path) if out_path else Path("reports") / f"{name}.html"
    params = {key: _absolute_if_path(value) for key, value in {"db": db, **(parameters or {})}.items()}
    try:
        nb = pm.execute_notebook(
            str(source), None, parameters=params, kernel_name="python3", progress_bar=False,
            record_timing=False, cwd=str(NOTEBOOKS_DIR), extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except pm.PapermillExecutionError as e:
        raise ReportError(f"{name}: cell {e.exec_count} failed: {e.ename}: {e.evalue}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_html(nb), encoding="utf-8")
    return out


def _absolute_if_path(value):
    """Files named relative to where `bcm` runs (a rules file, the store) as absolute paths:
    the kernel runs in notebooks/, where a relative path would point elsewhere."""
    if isinstance(value, Path):
        return str(value.resolve())
    looks_like_path = isinstance(value, str) and ("/" in value or "\\" in value or Path(value).suffix)
    return str(Path(value).resolve()) if looks_like_path and Path(value).exists() else value


def to_html(nb) -> str:
    """Export an executed notebook as HTML without code, stable byte for byte."""
    from nbconvert import HTMLExporter

    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    body, _ = exporter.from_notebook_node(nb)
    return CDN_SCRIPT.sub("", body)
