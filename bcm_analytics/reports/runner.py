"""Execute a notebook from notebooks/ with parameters and write one self-contained HTML page.

One process executes (papermill) and exports (nbconvert): that saves a kernel start and a
second interpreter per report. The page is our own: nbconvert's `basic` template gives the
cells' HTML without any stylesheet or CDN script, and the runner wraps it with the report's
<title> (report and period, from the header cell), assets/report.css (screen and print) and a
small script that fits charts to the paper when printing. plotly.js is embedded once, by the
first chart. Nothing on the page loads from the network. The same inputs give the same bytes:
timings, papermill metadata and random cell ids are removed before export.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path

from bcm_analytics import failures, private_files

AUDIENCES = ("internal", "external")  # who a page is for: privacy.Privacy says what each may see
PAGE_MIME = "application/vnd.bcm.page+json"  # the header cell's page title and audience (page.header)
# notebooks/ at the top of the repository, installed as package data (see pyproject.toml)
NOTEBOOKS_DIR = resources.files("bcm_analytics.notebooks")
CDN_SCRIPT = re.compile(r'<script[^>]*src="((https?:)?//[^"]*)?"[^>]*>\s*</script>\s*')
# Charts are laid out for the screen; on paper (Letter or A4 with 12 mm margins, about 700 px)
# they are redrawn to the paper's width and back afterwards.
PRINT_SCRIPT = """<script>
(function () {
  function plots() { return Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot')); }
  window.addEventListener('beforeprint', function () {
    plots().forEach(function (gd) { Plotly.relayout(gd, {width: 680, autosize: false}); });
  });
  window.addEventListener('afterprint', function () {
    plots().forEach(function (gd) { Plotly.relayout(gd, {width: null, autosize: true}); });
  });
})();
</script>"""


class ReportError(Exception):
    """A report could not be rendered; the message names the notebook and the failing cell.

    `kept` is the executed notebook of a run that failed in a cell: the message a terminal shows
    has its quoted values hidden (redact.py), which hides a column's name in a KeyError as well,
    so the run itself, traceback and all, is kept in the private log folder for whoever fixes it.
    """

    def __init__(self, message: str, kept: Path | None = None, machine: str | None = None):
        super().__init__(message)
        self.kept = kept
        self.machine = machine  # a failure of the machine, not the report (failures.machine_failure): no run kept


def available_reports() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb"))


def notebook_path(name: str) -> Path:
    path = NOTEBOOKS_DIR / f"{name}.ipynb"
    if not path.exists():
        raise ReportError(f"no report named '{name}'; available: {', '.join(available_reports())}")
    return path


# reports whose page's tables can also be written as an Excel workbook (write_tables)
TABLE_WORKBOOKS = ("time_allocation",)


def write_tables(name: str, db: str | Path, parameters: dict | None, out_path: str | Path, *, share: bool = False) -> Path:
    """The tables of report NAME as an .xlsx workbook, for the same parameters and audience as its
    page (the same functions build both). Private (0600) unless `share` and external."""
    from bcm_analytics.reports import parameters as checks
    from bcm_analytics.warehouse import connect

    if name not in TABLE_WORKBOOKS:
        raise ReportError(f"{name}: no workbook of its tables; reports with one: {', '.join(TABLE_WORKBOOKS)}")
    values = {key: _absolute_if_path(value) for key, value in (parameters or {}).items()}
    values = checks.check(name, notebook_path(name), db, values)
    from bcm_analytics.reports import time_allocation as report

    con = connect(db, read_only=True)
    try:
        page = report.Report.prepare(con, values.get("start_month"), values.get("end_month"), values.get("clinic"),
                                     values.get("rules"), values.get("audience") or "internal")
        return report.workbook(con, page, out_path, share=share)
    finally:
        con.close()


def default_output(name: str, audience: str = "internal") -> Path:
    """reports/NAME.html for staff, reports/NAME_external.html for outside readers: the two
    never overwrite each other."""
    return Path("reports") / (f"{name}.html" if audience == "internal" else f"{name}_{audience}.html")


@contextmanager
def _kernel_files_in(folder: Path):
    """Start the report's kernel with its connection file (the key that runs code in it) in the
    store's private run folder, which a killed run's next start sweeps: in Jupyter's runtime folder
    a killed report left it for good."""
    before = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = before


def render_report(name: str, db: str | Path, parameters: dict | None = None, out_path: str | Path | None = None,
                  *, share: bool = False) -> Path:
    """Run notebooks/<name>.ipynb against the store `db` and write HTML (default: default_output()).

    Parameters are checked first (names, values, things they name in the store): nothing runs
    on a refused one. `audience` ("internal", the default, or "external") picks what the page
    may show (privacy.py). The HTML is private (0600) unless `share` and the report is for an
    external audience: an internal report shows small counts.
    """
    import papermill as pm

    from bcm_analytics.reports import parameters as checks

    source = notebook_path(name)
    values = {key: _absolute_if_path(value) for key, value in (parameters or {}).items()}
    values = checks.check(name, source, db, values)
    audience = values.get("audience") or "internal"
    out = Path(out_path) if out_path else default_output(name, audience)
    params = {"db": _absolute_if_path(db), **values}
    if "audience" in checks.declared(source):
        params["audience"] = audience
    run = private_files.run_folder(db) / f"{name}.ipynb"  # the executed notebook, kept only when a cell fails
    try:
        with _kernel_files_in(run.parent):
            nb = pm.execute_notebook(
                str(source), str(run), parameters=params, kernel_name="python3", progress_bar=False,
                record_timing=False, cwd=str(NOTEBOOKS_DIR), extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
    except pm.PapermillExecutionError as e:
        machine = failures.machine_failure(e.ename, e.evalue)  # said as any command says it
        raise ReportError(f"{name}: cell {e.exec_count} failed: {e.ename}: {e.evalue}",
                          kept=None if machine else _keep(run, name), machine=machine) from None
    finally:
        run.unlink(missing_ok=True)
    return private_files.write_text(out, to_html(nb), share=share and audience == "external")


def _keep(run: Path, name: str) -> Path | None:
    """The failed run's notebook moved to the private log folder (it holds what the page would)."""
    kept = private_files.log_folder() / f"report-{name}-failed-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.ipynb"
    try:
        shutil.move(run, kept)
    except OSError:
        return None
    return private_files.set_mode(kept)


def _absolute_if_path(value):
    """Files named relative to where `bcm` runs (a rules file, the store) as absolute paths:
    the kernel runs in notebooks/, where a relative path would point elsewhere."""
    if isinstance(value, Path):
        return str(value.resolve())
    looks_like_path = isinstance(value, str) and ("/" in value or "\\" in value or Path(value).suffix)
    return str(Path(value).resolve()) if looks_like_path and Path(value).exists() else value


def page_metadata(nb) -> dict:
    """What the header cell said about the page (its title and audience)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if PAGE_MIME in output.get("data", {}):
                return dict(output["data"][PAGE_MIME])
    return {}


def to_html(nb) -> str:
    """Export an executed notebook as one HTML page without code, stable byte for byte."""
    from nbconvert import HTMLExporter

    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    meta = page_metadata(nb)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    css = resources.files("bcm_analytics.reports").joinpath("assets", "report.css").read_text(encoding="utf-8")
    title = html.escape(meta.get("title", "bcm-analytics report"))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"bcm-audience\" content=\"{html.escape(meta.get('audience', 'internal'))}\">\n"
        f"<title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n<main class=\"bcm-page\">\n"
        f"{CDN_SCRIPT.sub('', body)}\n</main>\n{PRINT_SCRIPT}\n</body>\n</html>\n"
    )
