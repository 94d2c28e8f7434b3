"""The DuckDB store: one embedded file holds every layer.

Schemas a reader sees in the file:
  raw.*        every landed row as text, with provenance (load id, source file, file hash, line)
  staging.*    typed rows, one per key, the latest version
  meta.*       load log, quarantine, row changes: the audit trail of every load
  core.*       views that resolve local dates and months in each clinic's time zone
  config.*     the rules, fees, definitions, as-of date and time zone the marts were built with
  marts.*      the domain model (bcm_analytics.models; docs/marts.md)

Beside the file: `<store>.tmp/`, private temporary space (bcm_analytics/private_files.py).
"""

from bcm_analytics.warehouse.integrity import StoreError
from bcm_analytics.warehouse.store import (
    SettingError,
    close_after_writing,
    connect,
    ensure_schema,
    holds_no_load,
    remove_store,
    table_specs,
)

__all__ = ["SettingError", "StoreError", "close_after_writing", "connect", "ensure_schema", "holds_no_load", "remove_store",
           "table_specs"]
