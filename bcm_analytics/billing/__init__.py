"""Billing: countable minutes, episodes, billing lines and reconciliation, read from the marts.

    rules = load_rules("my_rules.yaml")           # or None: the store's own rules (and $BCM_RULES)
    billing_lines(con, "2025-01", "2025-06", rules)
    unbilled_months(con, "2025-01", "2025-06")    # minutes that bill no code yet
    evidence(con, "2025-01", "2025-06")           # line_id -> time-log entries and minutes counted
    near_threshold(con, as_of="2025-06-20", margin=10)
    findings(con, "2025-01", "2025-06")           # reconciliation (billing.reconcile)

The rules are bcm_analytics/config (rulesets, fee schedules); the SQL is bcm_analytics/models.
docs/billing.md explains the rules, the marts and every setting.
"""

from bcm_analytics.billing.engine import (
    billing_lines,
    billing_marts,
    countable_minutes,
    evidence,
    materialize,
    near_threshold,
    payer_name,
    time_entries,
    unbilled_months,
)
from bcm_analytics.config.rules import Rules, RulesError, load_rules

__all__ = [
    "Rules",
    "RulesError",
    "billing_lines",
    "billing_marts",
    "countable_minutes",
    "evidence",
    "load_rules",
    "materialize",
    "near_threshold",
    "payer_name",
    "time_entries",
    "unbilled_months",
]
