"""The great-expectations expectations our suites use that GE does not ship.

Importing this module registers them with great-expectations (and imports it: 4-7 s), so
only the validation run imports it. Each has an SQL twin in checks.py; the agreement test
in tests/test_contracts.py runs both on the same rows.
"""

from __future__ import annotations

import great_expectations  # noqa: F401  (registers the expectation machinery first)
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)

from bcm_analytics.npi import is_valid_npi


class ColumnValuesValidNpi(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_npi"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return column.map(is_valid_npi).astype(bool)


class ExpectColumnValuesToBeValidNpi(ColumnMapExpectation):
    """Expect each value to be a valid National Provider Identifier (10 digits, Luhn check digit)."""

    map_metric = "column_values.valid_npi"


class MulticolumnItemsSumToTotal(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.items_sum_to_total"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        items = column_list.iloc[:, 1:].astype("float64")
        return (items.sum(axis=1) == column_list.iloc[:, 0].astype("float64")).astype(bool)


class ExpectMulticolumnItemsToSumToTotal(MulticolumnMapExpectation):
    """Expect the item columns (column_list[1:]) to add up to the total (column_list[0])."""

    map_metric = "multicolumn_values.items_sum_to_total"


class MulticolumnPresentItemsFitTotal(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.present_items_fit_total"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ("item_max",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        total = column_list.iloc[:, 0].astype("float64")
        items = column_list.iloc[:, 1:].astype("float64")
        present, summed = items.notna().sum(axis=1), items.sum(axis=1)
        partial = total.notna() & (present > 0) & (present < items.shape[1])
        fits = (summed <= total) & (total <= summed + kwargs["item_max"] * (items.shape[1] - present))
        return (~partial | fits).astype(bool)


class ExpectMulticolumnPresentItemsToFitTotal(MulticolumnMapExpectation):
    """Expect, where some item columns (column_list[1:]) are missing, the items present to add up
    to no more than the total (column_list[0]) and the missing ones, at most item_max each, to be
    able to make up the rest."""

    item_max: int
    map_metric = "multicolumn_values.present_items_fit_total"
    success_keys = ("mostly", "item_max")
