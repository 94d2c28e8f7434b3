"""Open a rendered report in headless Chromium with the network off and report what a reader sees.

No browser driver: the page is copied with a probe script first in <head>, which records
errors, console errors and resource requests, waits for the charts, and writes what it found
as JSON into a <pre id="bcm-probe">; Chromium's --dump-dom prints the page after its virtual
time budget, and the JSON is read back. A proxy that goes nowhere and a host resolver that
resolves nothing keep the page offline: anything it tries to fetch fails and shows up as a
request and an error.

The print pass applies the page's @media print rules to the screen at the printable width of
A4 (210 mm - 2 x 12 mm margins = 703 px; Letter is 720 px) and fires `beforeprint`, as a
browser does before printing.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path

PRINT_WIDTH = 703
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PROBE = r"""<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    var where = e.target && e.target !== window ? (e.target.src || e.target.href || e.target.tagName) : (e.filename || '');
    errors.push('error: ' + (e.message || 'resource failed') + (where ? ' (' + where + ')' : ''));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { errors.push('unhandled rejection: ' + e.reason); });
  var consoleError = console.error;
  console.error = function () { errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); consoleError.apply(console, arguments); };
  function text(el) { return (el.textContent || '').replace(/\s+/g, ' ').trim(); }
  function values(a) { return Array.prototype.slice.call(a || []).map(function (v) { return v === undefined ? null : v; }); }
  function probe() {
    if (PRINT) {
      window.dispatchEvent(new Event('beforeprint'));
    }
    var result = {errors: errors, title: document.title};
    result.requests = performance.getEntriesByType('resource').map(function (r) { return r.name; });
    result.remote = Array.prototype.slice.call(document.querySelectorAll('[src],link[href]')).map(function (el) {
      return el.getAttribute('src') || el.getAttribute('href'); }).filter(function (u) { return /^(https?:)?\/\//.test(u); });
    result.viewport = window.innerWidth;
    result.page_width = document.documentElement.scrollWidth;
    result.charts = Array.prototype.slice.call(document.querySelectorAll('.js-plotly-plot')).map(function (gd) {
      var box = gd.getBoundingClientRect();
      return {id: gd.id, title: gd.layout && gd.layout.title ? gd.layout.title.text : '', right: box.right, width: box.width,
              modebar: Array.prototype.slice.call(gd.querySelectorAll('.modebar-btn')).map(function (b) { return b.getAttribute('data-title') || b.className.baseVal || b.className; }),
              logo: gd.querySelectorAll('.modebar-btn--logo, a[href*="plotly"]').length,
              traces: (gd._fullData || []).map(function (t) { return {name: t.name, meta: t.meta === undefined ? null : t.meta,
                                                                     type: t.type, x: values(t.x), y: values(t.y)}; })};
    });
    result.tables = Array.prototype.slice.call(document.querySelectorAll('table.bcm')).map(function (t) {
      var box = t.getBoundingClientRect();
      var wrap = t.parentElement.getBoundingClientRect();
      return {id: t.id, right: box.right, width: box.width, wrap_right: wrap.right,
              rows: Array.prototype.slice.call(t.querySelectorAll('tbody tr')).map(function (tr) {
                return {group: tr.getAttribute('data-group'), total: tr.hasAttribute('data-total'),
                        cells: Array.prototype.slice.call(tr.children).map(function (td) {
                          return {kind: td.getAttribute('data-kind'), hidden: td.hasAttribute('data-hidden'), text: text(td)}; })}; })};
    });
    result.cards = Array.prototype.slice.call(document.querySelectorAll('.bcm-value')).map(function (v) {
      return {kind: v.getAttribute('data-kind'), text: text(v)}; });
    result.audience = (document.querySelector('meta[name=bcm-audience]') || {}).content;
    var pre = document.createElement('pre');
    pre.id = 'bcm-probe';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  }
  window.addEventListener('load', function () { setTimeout(probe, 1500); });
})();
</script>"""


def chromium() -> str | None:
    """The Chromium binary on PATH (Debian's `chromium`), or None."""
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def inspect(report: Path, workdir: Path, *, print_pass: bool = False, timeout: int = 180, width: int = 1024) -> dict:
    """What the page shows and does in headless Chromium (see the module doc), on a screen `width`
    pixels wide (the print pass: the printable width of A4)."""
    page = report.read_text(encoding="utf-8")
    probe = PROBE.replace("PRINT", "true" if print_pass else "false")
    if print_pass:
        page = page.replace("@media print {", "@media all {")
    copy = workdir / f"{report.stem}{'.print' if print_pass else ''}.probe.html"
    copy.write_text(page.replace("<head>", "<head>\n" + probe, 1), encoding="utf-8")
    width = PRINT_WIDTH if print_pass else width
    out = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--window-size={width},900", "--virtual-time-budget=30000", f"--user-data-dir={workdir / 'chromium-profile'}",
         "--dump-dom", copy.resolve().as_uri()],
        capture_output=True, text=True, timeout=timeout)
    start = out.stdout.find('<pre id="bcm-probe">')
    if start < 0:
        raise AssertionError(f"{report.name}: the probe did not report (chromium exit {out.returncode}): {out.stderr[-2000:]}")
    body = out.stdout[start + len('<pre id="bcm-probe">'):out.stdout.index("</pre>", start)]
    return json.loads(html.unescape(body))


# --- what the checks look for ----------------------------------------------------------------


def number(text: str) -> float | None:
    """A count's value from its text ('1,234' -> 1234); None for '*', '-', words, %, $."""
    cleaned = text.replace(",", "")
    return float(cleaned) if cleaned.isdigit() else None


def small_counts(found: dict, lo: int = 1, hi: int = 10) -> list[str]:
    """Every visible count from lo to hi: table cells, headline cards, chart points of counts."""
    leaks = []
    for table in found["tables"]:
        for row in table["rows"]:
            for cell in row["cells"]:
                value = number(cell["text"])
                if not cell["hidden"] and value is not None and lo <= value <= hi:
                    leaks.append(f"table {table['id']}: {cell['text']} ({cell['kind']})")
    leaks += [f"card: {c['text']}" for c in found["cards"] if c["kind"] == "count" and (v := number(c["text"])) is not None
              and lo <= v <= hi]
    for chart in found["charts"]:
        for trace in chart["traces"]:
            if trace["meta"] == "count":
                leaks += [f"chart {chart['title']!r} {trace['name']}: {y}" for y in trace["y"]
                          if isinstance(y, (int, float)) and lo <= y <= hi]
    return leaks


def lone_hidden_cells(found: dict) -> list[str]:
    """Groups of table rows with a visible total in which exactly one part of a column that adds
    up (counts, dollars) is hidden: that cell is the total minus the others."""
    problems = []
    for table in found["tables"]:
        groups: dict = {}
        for row in table["rows"]:
            if row["group"] is not None:
                groups.setdefault(row["group"], []).append(row)
        for group, rows in groups.items():
            totals = [r for r in rows if r["total"]]
            parts = [r for r in rows if not r["total"]]
            for total in totals:
                for i, cell in enumerate(total["cells"]):
                    if cell["kind"] not in ("count", "dollars") or cell["hidden"]:
                        continue
                    hidden = [p for p in parts if p["cells"][i]["hidden"]]
                    if len(hidden) == 1:
                        problems.append(f"table {table['id']} group {group!r} column {i}: one hidden part, total {cell['text']}")
    return problems


def monthly_coverage(chart: dict) -> float | None:
    """Share of a monthly chart's months with data (None if the chart is not by month)."""
    traces = [t for t in chart["traces"] if t["meta"] != "hidden"]
    months = {x for t in traces for x in t["x"] if isinstance(x, str) and len(x) >= 7 and x[4] == "-"}
    if len(months) < 2:
        return None
    with_data = {x for t in traces for x, y in zip(t["x"], t["y"]) if y is not None and x in months}
    return len(with_data) / len(months)
