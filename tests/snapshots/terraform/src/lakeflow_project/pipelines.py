"""The pipeline API of this project: ``from <package> import pipelines as dp``.

Transformations import this module instead of ``pyspark.pipelines`` so that the same files run on
Databricks and on Apache Spark (>= 4.1, ``spark-pipelines``). Databricks' ``pyspark.pipelines``
has expectations and is re-exported as it is; Apache Spark's has none, so the local ones from
``expectations.py`` stand in, with the same names and arguments.

Portable subset: ``table`` for streaming queries only, ``materialized_view`` for batch,
``temporary_view``, ``create_streaming_table`` and one ``append_flow`` per target table;
unqualified dataset names; ``spark.read.table`` / ``spark.readStream.table``.
"""

from pyspark import pipelines as _native
from pyspark.pipelines import (
    append_flow,
    create_streaming_table,
    materialized_view,
    table,
    temporary_view,
)

from . import expectations as _local

NATIVE_EXPECTATIONS = hasattr(_native, "expect")
"""True on Databricks, where the platform enforces and reports expectations itself."""

_source = _native if NATIVE_EXPECTATIONS else _local
expect = _source.expect
expect_or_drop = _source.expect_or_drop
expect_or_fail = _source.expect_or_fail
expect_all = _source.expect_all
expect_all_or_drop = _source.expect_all_or_drop
expect_all_or_fail = _source.expect_all_or_fail

__all__ = [
    "NATIVE_EXPECTATIONS",
    "append_flow",
    "create_streaming_table",
    "expect",
    "expect_all",
    "expect_all_or_drop",
    "expect_all_or_fail",
    "expect_or_drop",
    "expect_or_fail",
    "materialized_view",
    "table",
    "temporary_view",
]
