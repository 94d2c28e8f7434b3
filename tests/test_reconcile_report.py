"""The billing reconciliation report renders from the store, aggregate only; its external version
hides small counts."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from html_tables import small_counts_in

from bcm_analytics.reports.runner import render_report

pytestmark = pytest.mark.slow


@pytest.fixture
def small_store(store, load_rows, tmp_path):
    """30 patients billed 99492 in January 2025 (all reconcile); PT0000 also has a claim in February
    without minutes (one unsupported claim: a count of 1 the report must hide)."""
    load_rows("clinics", [{"clinic_id": "C1", "clinic_name": "North", "setting": "physician_practice", "timezone": "America/Chicago"}])
    load_rows("patients", [
        {"patient_id": f"PT{i:04d}", "clinic_id": "C1", "payer": "Medicare", "treating_provider_npi": "1234567893",
         "enrollment_date": "2025-01-02", "consent_date": "2025-01-02"} for i in range(30)
    ])
    load_rows("time_logs", [
        {"entry_id": f"E{i}", "patient_id": f"PT{i:04d}", "staff_role": "bhcm", "service_date": "2025-01-15", "minutes": "40",
         "activity_type": "assessment"} for i in range(30)
    ])
    claims = [(f"PT{i:04d}", "2025-01-31") for i in range(30)] + [("PT0000", "2025-02-28")]
    load_rows("claims", [
        {"claim_id": f"C{n}", "line_number": "1", "patient_id": pid, "date_of_service": day, "procedure_code": "99492",
         "units": "1", "billing_provider_npi": "1234567893", "charge_amount": "145", "paid_amount": "140",
         "claim_status": "paid"} for n, (pid, day) in enumerate(claims)
    ])
    store.close()
    return tmp_path / "test.duckdb"


def test_reconciliation_report_is_aggregate_with_small_counts_hidden(small_store, tmp_path):
    html = render_report("billing_reconciliation", small_store, {"start_month": "2025-01", "end_month": "2025-02",
                                                                "audience": "external"}, tmp_path / "r.html").read_text()
    assert "Billing reconciliation" in html and "from bcm_analytics" not in html
    assert html.count("bcm-figure-") >= 3
    assert "PT00" not in html, "no patient-level detail in the aggregate report"
    assert "unsupported_claim" in html and "*" in html
    unsupported = [row for row in table_rows(html) if "unsupported_claim" in row]
    assert unsupported and all("*" in row and "1" not in row for row in unsupported), \
        f"PT0000's one unsupported claim is a count of 1: hidden as * wherever it is counted, not {unsupported}"
    assert small_counts_in(html) == []


class Rows(HTMLParser):
    """The cells of every table row of a page, row by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def table_rows(html: str) -> list[list[str]]:
    parser = Rows()
    parser.feed(html)
    return parser.rows
