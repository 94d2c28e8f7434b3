"""End to end on a synthetic program: every billing mistake write_claims plants is found.

Generate a small program, compute its billing lines, bill them with planted mistakes, load the
claims through the real loader and reconcile: each planted (patient, month, finding) must be
reported with that finding, and every other billed patient-month must be `matched` only.
"""

from __future__ import annotations

import pandas as pd

from bcm_analytics.billing import billing_lines, load_rules
from bcm_analytics.billing.reconcile import findings
from bcm_analytics.ingest.loader import load_paths
from bcm_analytics.synthetic import PAYER_CLASSES, generate_program, write_claims


def test_every_planted_mistake_is_found_and_clean_months_match(store, tmp_path):
    exports = tmp_path / "exports"
    generate_program(exports, patients=300, months=12, start="2025-01", seed=11)
    rules_path = tmp_path / "program_rules.yaml"
    rules_path.write_text("payer_names:\n" + "".join(f"  {name}: {cls}\n" for name, cls in PAYER_CLASSES.items()))
    rules = load_rules(rules_path)
    for _ in load_paths(store, [exports]):
        pass
    lines = billing_lines(store, "2025-01", "2025-12", rules)
    claims = write_claims(lines, exports, seed=11, mistake_rate=0.08)
    for _ in load_paths(store, [claims]):
        pass
    planted = pd.read_csv(exports / "_answer_key" / "planted_billing_errors.csv", dtype=str)
    assert set(planted.finding) == {"missed_billing", "unsupported_claim", "wrong_code", "units_mismatch",
                                    "same_month_conflict", "duplicate_claim", "wrong_billing_npi", "unknown_patient",
                                    "denied_claim"}
    months = sorted(set(lines.service_month) | set(planted.service_month))
    found = findings(store, months[0], months[-1], rules)
    reported = found.groupby(["patient_id", "service_month"]).finding.agg(set)

    missing = [(p.patient_id, p.service_month, p.finding, reported.get((p.patient_id, p.service_month), set()))
               for p in planted.itertuples() if p.finding not in reported.get((p.patient_id, p.service_month), set())]
    assert missing == []
    mistaken = set(zip(planted.patient_id, planted.service_month))
    clean = {(p, m) for p, m in zip(lines.patient_id, lines.service_month)} - mistaken
    not_matched = {k: reported.get(k) for k in clean if reported.get(k) != {"matched"}}
    assert not_matched == {}
