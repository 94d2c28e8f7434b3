"""Data contracts: the expectation suites in data_contracts/, compiled to SQL checks.

Importing this package never imports great-expectations (4-7 s); only `bcm validate` and
the great-expectations run (contracts.gx_run) do.
"""

from bcm_analytics.contracts.checks import RowCheck, row_checks
from bcm_analytics.contracts.suites import Expectation, expectations, load_suite

__all__ = ["Expectation", "RowCheck", "expectations", "load_suite", "row_checks"]
