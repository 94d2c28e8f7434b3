"""bcm-analytics: analytics and reporting for collaborative-care behavioral health programs.

Layers, each a subpackage (read them in this order):
  ingest     -> read exports, land raw rows with provenance, type them, quarantine rejects
  contracts  -> the data contracts (great-expectations suites) compiled to SQL row checks
  warehouse  -> the DuckDB store: schema, connection, settings
  billing    -> rulesets as data, countable minutes, episodes, billing lines, reconciliation
  outcomes   -> outcome measures, caseload metrics
  reports    -> parameterized notebooks into self-contained HTML pages, the privacy policy
                (audiences, small-cell suppression), each report's tables, Excel workbooks
  synthetic  -> a seeded synthetic program for demos and tests
"""

__version__ = "0.1.0"
