"""bcm-analytics: analytics and reporting for collaborative-care behavioral health programs.

Layers, each a subpackage, lowest first (tests/test_layers.py keeps every import pointing down):
  config     -> what a program can change: settings, billing rules and fee schedules, outcome definitions
  ingest     -> read exports, land raw rows with provenance, type them, quarantine rejects
  contracts  -> the data contracts (great-expectations suites) compiled to SQL row checks
  warehouse  -> the DuckDB store: schema, connection, the integrity check
  models     -> the domain model: one .sql file per model, built into marts.* after every load
  billing    -> billing lines, evidence, the near-threshold worklist, reconciliation, read from the marts
  outcomes   -> outcome measures, caseload metrics, read from the marts
  reports    -> parameterized notebooks into self-contained HTML pages, the privacy policy
                (audiences, small-cell suppression), each report's tables, Excel workbooks
  cli        -> the `bcm` command, one module per area
  synthetic  -> a seeded synthetic program for demos and tests
"""

__version__ = "0.1.0"
