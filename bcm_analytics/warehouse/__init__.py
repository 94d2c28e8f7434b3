"""The DuckDB store: one embedded file holds every layer.

Schemas a reader sees in the file:
  raw.*        every landed row as text, with provenance (load id, source file, file hash, line)
  staging.*    typed rows, one per key, the latest version
  meta.*       load log, quarantine, row changes: the audit trail of every load
  core.*       views that resolve local dates and months in each clinic's time zone
"""

from bcm_analytics.warehouse.store import connect, ensure_schema, table_specs

__all__ = ["connect", "ensure_schema", "table_specs"]
