"""Small Arrow tables of configuration rows (rule periods, fees, outcome definitions).

pyarrow imports pandas the first time it converts Python values (`pa.array([...])`,
`pa.Table.from_pylist`, `pa.table({...: [...]})`), some 0.6 s a command, and every command
that opens the marts reads these tables. Its JSON reader builds the same arrays in C++ without
that import: the rows go in as JSON lines read with the schema's column types (a date as its
day number), so an empty list or a missing value keeps its type, and the table is the one
`pa.Table.from_pylist` made, buffer for buffer (the marts' input digests do not change).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pyarrow as pa
import pyarrow.json as pa_json

EPOCH = dt.date(1970, 1, 1)


def from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts keyed by column name; a missing key reads as null, a key the schema does not
    name is left out) as a table of `schema`."""
    if not rows or not len(schema):
        return empty(schema)
    text = "\n".join(json.dumps({f.name: row.get(f.name) for f in schema}, default=_json_value) for row in rows)
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    return pa_json.read_json(io.BytesIO(text.encode()), parse_options=options).combine_chunks()



def empty(schema: pa.Schema) -> pa.Table:
    """A table of `schema` with no rows. pyarrow's own Schema.empty_table() imports pandas (0.5-0.75 s
    a command), as its conversion of Python values does; an empty alias or spelling list made every
    `bcm load` pay it."""
    return pa.Table.from_batches([], schema=schema)

def from_columns(columns: dict[str, list], schema: pa.Schema | None = None) -> pa.Table:
    """Columns of equal length as a table: of `schema`, else of the types pyarrow infers from
    the values (bool, int, float, str, date, lists of these)."""
    if schema is None:
        schema = pa.schema([(name, infer_type(values)) for name, values in columns.items()])
    length = len(next(iter(columns.values()), []))
    return from_rows([{name: columns[name][i] for name in columns} for i in range(length)], schema)


def infer_type(values: list) -> pa.DataType:
    """The type pyarrow infers for a column of Python values: int and float together are float,
    a column of nulls is of the null type (and a list of them, or empty lists, a list of nulls)."""
    present = [v for v in values if v is not None]
    if not present:
        return pa.null()
    if all(isinstance(v, (list, tuple)) for v in present):
        return pa.list_(infer_type([item for v in present for item in v]))
    kinds = {bool if isinstance(v, bool) else type(v) for v in present}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    if kinds == {dt.date}:
        return pa.date32()
    if kinds == {str}:
        return pa.string()
    raise TypeError(f"no column type for values of {sorted(k.__name__ for k in kinds)}")


def _json_value(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return (value - EPOCH).days
    raise TypeError(f"{type(value).__name__} is not a configuration value")
