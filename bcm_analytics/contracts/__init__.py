"""Data contracts: the expectation suites in data_contracts/, compiled to SQL row checks.

Importing this package never imports great-expectations (4-7 s); only the validation run does.
"""

from bcm_analytics.contracts.checks import RowCheck, row_checks

__all__ = ["RowCheck", "row_checks"]
