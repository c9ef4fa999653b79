"""Which Spark the tests run on, from TEST_SPARK: `local` (default, Apache Spark in this process)
or `serverless` (Databricks Connect to serverless compute: `uv sync --group dbconnect --no-group
local`, then `TEST_SPARK=serverless uv run pytest`).

Under Databricks Connect some tests cannot run: `pyspark.pipelines` exists only in Apache Spark
(Databricks Connect refuses it outside a pipeline), and a remote session cannot read this
machine's files. Those tests skip, saying why: a test marked `@pytest.mark.local_spark("why")`,
or a whole module that calls `skip_module_unless_local("why")` before its imports.
"""

import os

import pytest

BACKENDS = ("local", "serverless")
BACKEND = os.environ.get("TEST_SPARK", "local")
if BACKEND not in BACKENDS:
    raise pytest.UsageError(f"TEST_SPARK must be one of {BACKENDS}, got {BACKEND!r}")
SERVERLESS = BACKEND == "serverless"

LOCAL_ONLY = "needs Apache Spark in this process ({why}); TEST_SPARK=serverless runs on Databricks Connect"


def skip_module_unless_local(why: str) -> None:
    """Skip the calling test module under Databricks Connect, before it imports what it cannot."""
    if SERVERLESS:
        pytest.skip(LOCAL_ONLY.format(why=why), allow_module_level=True)
