"""Outcome measures, caseload and process metrics.

  measures     prepare(con, as_of) -> OutcomeRun; patient_outcomes(con, as_of); program measures
  caseload     caseload and process measures per month, cohort curves, worklists

load_definitions() (thresholds and windows as data, definitions.yaml) is bcm_analytics.config.definitions,
re-exported here. The director's tables, suppressed for their audience, are in
bcm_analytics.reports.caseload_outcomes.

The measures are SQL models in bcm_analytics/models/outcomes, persisted as marts.* (docs/marts.md).
"""

from bcm_analytics.config.definitions import Definitions, load_definitions
from bcm_analytics.outcomes.measures import OutcomeRun, patient_outcomes, prepare

__all__ = ["Definitions", "OutcomeRun", "load_definitions", "patient_outcomes", "prepare"]
