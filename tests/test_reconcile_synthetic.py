"""End to end on a synthetic program: every billing mistake write_claims plants is found.

Generate a small program, compute its billing lines, bill them with planted mistakes, load the
claims through the real loader and reconcile: each planted (patient, month, finding) must be
reported with that finding, and every other billed patient-month must be `matched` only.
"""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd

from bcm_analytics.billing import billing_lines, load_rules
from bcm_analytics.billing.reconcile import bridge, findings
from bcm_analytics.demo import expected_lines
from bcm_analytics.ingest.loader import load_paths
from bcm_analytics.synthetic import PAYER_CLASSES, generate_program, write_claims
from bcm_analytics.synthetic.claims import EXPECTED_COLUMNS


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
    # the walk from expected to billed explains every planted mistake's dollars: nothing is left over,
    # for the program and for each clinic and payer class the page can be narrowed to
    narrowed = [{}] + [{"clinic": c} for c in sorted(found.clinic_id.dropna().unique())] + \
               [{"payer": p} for p in sorted(found.payer_class.dropna().unique())]
    residuals = {str(n): bridge(store, months[0], months[-1], rules, **n).set_index("line").walk_amount["residual"] for n in narrowed}
    assert set(residuals.values()) == {0}, residuals


def test_the_demo_fetches_only_what_write_claims_reads_and_bills_the_same(store, tmp_path):
    """The demo reads write_claims' columns of the billing lines, through Arrow: the whole mart as a
    frame peaked at 3.6 GiB at 10M time-log rows. The claims and answer key are the same bytes."""
    exports = tmp_path / "exports"
    generate_program(exports, patients=120, months=8, start="2025-01", seed=3)
    for _ in load_paths(store, [exports]):
        pass
    narrow = expected_lines(store, "2025-01", "2025-08")
    assert list(narrow.columns) == EXPECTED_COLUMNS
    whole = billing_lines(store, "2025-01", "2025-08")
    assert len(narrow) == len(whole) > 0
    digests = []
    for name, lines in [("narrow", narrow), ("whole", whole)]:
        shutil.copytree(exports, tmp_path / name)  # the roster beside the exports, as in the demo
        write_claims(lines, tmp_path / name, seed=3)
        digests.append([hashlib.sha256((tmp_path / name / f).read_bytes()).hexdigest()
                        for f in ("claims.csv", "_answer_key/planted_billing_errors.csv")])
    assert digests[0] == digests[1]
