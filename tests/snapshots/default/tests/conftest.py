"""Spark for the tests: a small local session by default, Databricks Connect when asked
(TEST_SPARK, see tests/backend.py).
"""

import tempfile

import pytest
from pyspark.sql import SparkSession

from tests import backend

SERVERLESS_NEEDS = (
    "TEST_SPARK=serverless needs a Databricks workspace: set DATABRICKS_HOST and credentials "
    "(DATABRICKS_CLIENT_ID with DATABRICKS_CLIENT_SECRET or a federated token, DATABRICKS_TOKEN, or "
    "DATABRICKS_CONFIG_PROFILE after `databricks auth login`)"
)


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

    try:
        return DatabricksSession.builder.serverless().getOrCreate()
    except ValueError as error:  # the SDK's "cannot configure default credentials" and kin
        cause = error
    pytest.fail(f"{SERVERLESS_NEEDS}. Databricks Connect said: {cause}", pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "local_spark(why): needs Apache Spark in this process (tests/backend.py)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if backend.SERVERLESS:
        for item in items:
            if marker := item.get_closest_marker("local_spark"):
                item.add_marker(pytest.mark.skip(reason=backend.LOCAL_ONLY.format(why=marker.args[0])))


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    session = _serverless_session() if backend.SERVERLESS else _local_session()
    yield session
    if not backend.SERVERLESS:
        session.stop()
