"""The local expectations stand in for Databricks' on Apache Spark: same names, same effect."""

import importlib

import pytest
from pyspark.errors import PySparkException

from lakeflow_project import expectations as ex

RULE = {"positive": "value > 0"}


def values(spark, *items):
    return spark.createDataFrame([(v,) for v in items], "value INT")


def test_drop_removes_exactly_the_violating_rows(spark):
    query = ex.expect_all_or_drop(RULE)(lambda: values(spark, 3, -1, None, 0, 7))

    assert sorted(row.value for row in query().collect()) == [3, 7]


def test_fail_stops_naming_the_expectation(spark):
    query = ex.expect_or_fail("positive", "value > 0")(lambda: values(spark, 3, -1))

    with pytest.raises(PySparkException, match="Expectation 'positive' failed"):
        query().collect()


def test_fail_passes_valid_rows_through(spark):
    query = ex.expect_or_fail("positive", "value > 0")(lambda: values(spark, 1, 2))

    assert query().count() == 2


def test_every_rule_sees_the_rows_before_any_drop(spark):
    """As on Databricks: a row that a drop rule removes still fails an expect_or_fail rule."""

    @ex.expect_all_or_drop({"positive": "value > 0"})
    @ex.expect_or_fail("not_null", "value IS NOT NULL")
    def query():
        return values(spark, 1, None)

    with pytest.raises(PySparkException, match="Expectation 'not_null' failed"):
        query().collect()


def test_warn_keeps_every_row(spark):
    query = ex.expect("positive", "value > 0")(lambda: values(spark, 3, -1, None))

    assert query().count() == 3


def test_rules_are_recorded_innermost_first():
    @ex.expect("a", "x > 0")
    @ex.expect_all_or_drop({"b": "y > 0", "c": "z > 0"})
    def query():
        raise AssertionError("not called")

    assert [(e.name, e.action) for e in query.__expectations__] == [
        ("b", "drop"),
        ("c", "drop"),
        ("a", "warn"),
    ]


@pytest.mark.local_spark("imports pyspark.pipelines")
def test_the_pipeline_api_takes_local_expectations_off_databricks(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    dp = importlib.reload(importlib.import_module("lakeflow_project.pipelines"))

    assert not dp.ON_DATABRICKS
    assert all(getattr(dp, name) is getattr(ex, name) for name in dp.EXPECTATIONS)


@pytest.mark.local_spark("imports pyspark.pipelines")
def test_the_pipeline_api_refuses_a_databricks_runtime_without_expectations(monkeypatch):
    """Apache Spark's pyspark.pipelines has no expectations: posing as a Databricks runtime, the
    module must stop rather than define datasets whose rules nobody enforces."""
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "client.5.1")
    try:
        with pytest.raises(ImportError, match="has no expect, expect_or_drop"):
            importlib.reload(importlib.import_module("lakeflow_project.pipelines"))
    finally:
        monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION")
        importlib.reload(importlib.import_module("lakeflow_project.pipelines"))


# The names of Databricks' pipelines module its pages use (Python reference: datasets, flows,
# sinks, AUTO CDC and their old names, expectations).
DATABRICKS_NAMES = [
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


@pytest.mark.local_spark("imports pyspark.pipelines")
def test_the_pipeline_api_has_every_name_of_databricks_module():
    dp = importlib.import_module("lakeflow_project.pipelines")

    assert [name for name in DATABRICKS_NAMES if not callable(getattr(dp, name, None))] == []
    assert dp.view is dp.temporary_view
    with pytest.raises(NotImplementedError, match=r"dp\.foreach_batch_sink is Databricks' only"):
        dp.foreach_batch_sink(name="sink")
