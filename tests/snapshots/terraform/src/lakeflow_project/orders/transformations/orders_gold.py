"""Gold: orders per day and category."""

from pyspark.sql import DataFrame, SparkSession

from lakeflow_project import pipelines as dp
from lakeflow_project.orders import logic

spark: SparkSession  # provided by the pipeline runtime, on Databricks and locally


@dp.materialized_view(comment="Orders per day and category.")
def orders_gold() -> DataFrame:
    return logic.daily_summary(spark.read.table("orders_silver"))
