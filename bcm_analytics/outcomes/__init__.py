"""Outcome measures, caseload and process metrics, and small-cell suppression.

  suppression  suppress(frame, count_cols, group_cols): the CMS cell-size rule for any aggregate
  params       load_definitions(): thresholds and windows as data (definitions.yaml)
  measures     prepare(con, as_of) -> OutcomeRun; patient_outcomes(con, as_of); program measures
  caseload     caseload and process measures per month, cohort curves, worklists
  report       the director's tables, suppressed and formatted (used by the notebooks)

The measures are SQL files in sql/, one statement each, run by DuckDB over whole tables.
"""

from bcm_analytics.config.definitions import Definitions, load_definitions
from bcm_analytics.outcomes.measures import OutcomeRun, patient_outcomes, prepare
from bcm_analytics.outcomes.suppression import suppress

__all__ = ["Definitions", "OutcomeRun", "load_definitions", "patient_outcomes", "prepare", "suppress"]
