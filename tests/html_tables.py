"""Read the tables of a rendered report, to prove no aggregate shows a count the cell-size rule hides
(1-10 under the packaged definitions)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bcm_analytics.config.definitions import load_definitions

BARE_COUNT = re.compile(r"^\d{1,3}(,\d{3})*$")
HEADER_TABLES = {"Report parameters", "Data freshness"}  # the runner's header: files loaded, not patients


class Tables(HTMLParser):
    """Cells of every <table>, with the last heading or caption before it."""

    def __init__(self):
        super().__init__()
        self.tables, self.label, self._text, self._cell = [], "", "", None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((self.label, []))
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag in ("h1", "h2", "h3", "h4", "b"):
            self._text = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1].append(self._cell.strip())
            self._cell = None
        elif tag in ("h1", "h2", "h3", "h4", "b"):
            self.label = self._text.strip()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        self._text += data


def small_counts_in(html: str, threshold: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """(table, cell) for each bare count in `threshold` (the packaged definitions' when None)."""
    lo, hi = threshold or load_definitions().threshold
    parser = Tables()
    parser.feed(html)
    return [(label, cell) for label, cells in parser.tables if label not in HEADER_TABLES for cell in cells
            if BARE_COUNT.match(cell) and lo <= int(cell.replace(",", "")) <= hi]
