"""Spark for the tests: a small local session by default, Databricks Connect when asked.

TEST_SPARK=local (default): Apache Spark in this process, tuned for small data.
TEST_SPARK=serverless: Databricks Connect on serverless compute (`uv sync --group dbconnect
--no-group local`, and a workspace profile or DATABRICKS_* variables for authentication).
"""

import os
import tempfile

import pytest
from pyspark.sql import SparkSession

BACKENDS = ("local", "serverless")


def _local_session() -> SparkSession:
    warehouse = tempfile.mkdtemp(prefix="spark-warehouse-")
    return (
        SparkSession.builder.master("local[1]")
        .appName("unit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )


def _serverless_session() -> SparkSession:
    from databricks.connect import DatabricksSession

    return DatabricksSession.builder.serverless().getOrCreate()


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    backend = os.environ.get("TEST_SPARK", "local")
    if backend not in BACKENDS:
        raise pytest.UsageError(f"TEST_SPARK must be one of {BACKENDS}, got {backend!r}")
    session = _local_session() if backend == "local" else _serverless_session()
    yield session
    if backend == "local":
        session.stop()
