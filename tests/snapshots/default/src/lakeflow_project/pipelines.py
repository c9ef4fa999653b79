"""The pipeline API of this project: ``from <package> import pipelines as dp``.

Transformations import this module instead of ``pyspark.pipelines`` so that the same files run on
Databricks and on Apache Spark (>= 4.1, ``spark-pipelines``). Databricks' ``pyspark.pipelines``
has expectations and they are re-exported as they are; Apache Spark's has none, so elsewhere the
local ones from ``expectations.py`` stand in, with the same names and arguments.

AUTO CDC (``create_streaming_table`` and ``create_auto_cdc_flow``) is native on Databricks;
Apache Spark 4.3 cannot write its targets locally, so ``auto_cdc.py`` stands in there, computing
the same table from the whole change feed.

Portable subset: ``table`` for streaming queries only, ``materialized_view`` for batch,
``temporary_view``, ``create_streaming_table`` with one ``append_flow`` or one
``create_auto_cdc_flow`` per target table; unqualified dataset names; ``spark.read.table`` /
``spark.readStream.table``.
"""

import os

from pyspark import pipelines as _native
from pyspark.pipelines import materialized_view, table, temporary_view

from . import auto_cdc as _local_cdc
from . import expectations as _local

EXPECTATIONS = (
    "expect",
    "expect_or_drop",
    "expect_or_fail",
    "expect_all",
    "expect_all_or_drop",
    "expect_all_or_fail",
)

ON_DATABRICKS = "DATABRICKS_RUNTIME_VERSION" in os.environ
"""True in a Databricks runtime (every pipeline update sets DATABRICKS_RUNTIME_VERSION), where the
platform enforces and reports expectations itself. Decided by the runtime, not by what
``pyspark.pipelines`` happens to offer: a runtime without the expectations stops here, loudly,
rather than run every dataset unchecked."""

if ON_DATABRICKS and (missing := [name for name in EXPECTATIONS if not hasattr(_native, name)]):
    raise ImportError(
        f"pyspark.pipelines of Databricks runtime {os.environ['DATABRICKS_RUNTIME_VERSION']} has no "
        f"{', '.join(missing)}: refusing to define datasets whose expectations would not be enforced"
    )

_source = _native if ON_DATABRICKS else _local
expect = _source.expect
expect_or_drop = _source.expect_or_drop
expect_or_fail = _source.expect_or_fail
expect_all = _source.expect_all
expect_all_or_drop = _source.expect_all_or_drop
expect_all_or_fail = _source.expect_all_or_fail

_cdc_source = _native if ON_DATABRICKS else _local_cdc
create_streaming_table = _cdc_source.create_streaming_table
append_flow = _cdc_source.append_flow
create_auto_cdc_flow = _cdc_source.create_auto_cdc_flow

__all__ = [
    "EXPECTATIONS",
    "ON_DATABRICKS",
    "append_flow",
    "create_auto_cdc_flow",
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
