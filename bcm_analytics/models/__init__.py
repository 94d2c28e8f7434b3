"""The domain model: SQL models over the store, built once into marts.* and kept current.

  graph    the model files (billing/, reconcile/, outcomes/, audit/): what each reads, the build order
  inputs   rules, definitions, as-of date and time zone as config.* tables, with digests
  build    build into the store's marts or a scratch catalog: whole, or per changed patient
  marts    `refresh` (after a load) and `current` (for a reader): where each mart is, and why

docs/marts.md lists every mart, its grain and columns; any DuckDB client can query them.
"""

from bcm_analytics.models.build import BuildReport
from bcm_analytics.models.marts import Marts, Query, current, refresh

__all__ = ["BuildReport", "Marts", "Query", "current", "refresh"]
