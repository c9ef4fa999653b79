"""The pipeline API of this project: ``from <package> import pipelines as dp``.

Transformations import this module instead of ``pyspark.pipelines`` so that the same files run on
Databricks and on Apache Spark (>= 4.1, ``spark-pipelines``). Databricks' ``pyspark.pipelines``
has expectations and they are re-exported as they are; Apache Spark's has none, so elsewhere the
local ones from ``expectations.py`` stand in, with the same names and arguments.

AUTO CDC (``create_auto_cdc_flow``, ``create_auto_cdc_from_snapshot_flow``, their old names
``apply_changes`` and ``apply_changes_from_snapshot``) is native on Databricks; Apache Spark 4.3
cannot write its targets locally, so ``auto_cdc.py`` stands in there, computing the same tables
(docs/change-data-capture.md in the template says what differs).

Every name of Databricks' module is here: ``view`` is ``temporary_view`` locally, and the sinks
Apache Spark lacks (``foreach_sink``, ``foreach_batch_sink``) stop a local run naming themselves.

Portable subset: ``table`` for streaming queries only, ``materialized_view`` for batch,
``view`` / ``temporary_view``, ``create_streaming_table`` with one ``append_flow`` or one AUTO
CDC flow per target table; unqualified dataset names; ``spark.read.table`` /
``spark.readStream.table``.
"""

import os
from typing import Any, NoReturn

from pyspark import pipelines as _native
from pyspark.pipelines import create_sink, materialized_view, table, temporary_view

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
create_auto_cdc_from_snapshot_flow = _cdc_source.create_auto_cdc_from_snapshot_flow
apply_changes = _cdc_source.apply_changes
apply_changes_from_snapshot = _cdc_source.apply_changes_from_snapshot


def _not_local(name: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"dp.{name} is Databricks' only: Apache Spark has no such sink")

    return refuse


view = _native.view if ON_DATABRICKS else temporary_view
foreach_sink = _native.foreach_sink if ON_DATABRICKS else _not_local("foreach_sink")
foreach_batch_sink = _native.foreach_batch_sink if ON_DATABRICKS else _not_local("foreach_batch_sink")

__all__ = [
    "EXPECTATIONS",
    "ON_DATABRICKS",
    "append_flow",
    "apply_changes",
    "apply_changes_from_snapshot",
    "create_auto_cdc_flow",
    "create_auto_cdc_from_snapshot_flow",
    "create_sink",
    "create_streaming_table",
    "expect",
    "expect_all",
    "expect_all_or_drop",
    "expect_all_or_fail",
    "expect_or_drop",
    "expect_or_fail",
    "foreach_batch_sink",
    "foreach_sink",
    "materialized_view",
    "table",
    "temporary_view",
    "view",
]
