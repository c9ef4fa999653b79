"""Spark for the tests (TEST_SPARK, see tests/backend.py): by default the project's warm local
Spark, the server `local-pipeline` runs (started here if it is not up, stopped after 20 idle
minutes or by `uv run local-pipeline stop`), so that a second `pytest` starts no JVM, and the
run ends saying it is still up; in CI, a small session in this process, so that nothing outlives
the job. Databricks Connect on serverless compute when asked. Without Java (17 or later) for
local Spark, the run stops before the first test, once, saying how to install it.
"""

import os
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


WARM = {"used": False}


def _warm_session() -> SparkSession:
    from lakeflow_tools.local_pipeline import runner
    from lakeflow_tools.project import Project

    session = runner.connect(Project.find(), say=lambda _line: None)
    WARM["used"] = True
    session.conf.set("spark.sql.adaptive.enabled", "false")
    return session


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backend.SERVERLESS:
        for item in items:
            if marker := item.get_closest_marker("local_spark"):
                item.add_marker(pytest.mark.skip(reason=backend.LOCAL_ONLY.format(why=marker.args[0])))
    elif any("spark" in item.fixturenames or item.get_closest_marker("local_run") for item in items):
        _java_or_exit(config)


def _java_or_exit(config: pytest.Config) -> None:
    """Local Spark needs Java: found (and named, if it was not on PATH), or the run stops here."""
    from lakeflow_tools.local_pipeline import java

    try:
        found = java.find()
    except java.NoJavaError as error:
        raise pytest.UsageError(f"no tests ran: {error}") from None
    os.environ.update(found.environment)  # for Spark started in this process (CI) too
    if line := java.using(found):
        config.get_terminal_writer().line(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if WARM["used"]:
        terminalreporter.write_line(
            "local Spark is still up for the next run (it stops after 20 idle minutes; "
            "now: `uv run local-pipeline stop`)"
        )


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    if backend.SERVERLESS:
        yield _serverless_session()
    elif os.environ.get("CI") or os.environ.get("TF_BUILD"):  # GitHub Actions, Azure DevOps
        session = _local_session()
        yield session
        session.stop()
    else:
        yield _warm_session()
