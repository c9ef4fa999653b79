"""Bronze: the orders landing files as they arrived, with their file."""

from pyspark.sql import DataFrame, SparkSession

from lakeflow_project import landing
from lakeflow_project import pipelines as dp
from lakeflow_project.orders import logic

spark: SparkSession  # provided by the pipeline runtime, on Databricks and locally


@dp.table(comment="Orders records from the landing files, unchanged.")
def orders_bronze() -> DataFrame:
    return landing.read_files(spark, logic.LANDING_SCHEMA, logic.LANDING_FORMAT, logic.LANDING_OPTIONS)
