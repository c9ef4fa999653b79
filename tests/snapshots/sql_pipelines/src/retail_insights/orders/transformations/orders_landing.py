"""The orders landing files as a stream, for the SQL datasets to read: Auto Loader on
Databricks, a plain file stream on Apache Spark (see retail_insights/landing.py). The only
Python of this pipeline, because SQL has no portable way to read files as a stream."""

from pyspark.sql import DataFrame, SparkSession

from retail_insights import landing
from retail_insights import pipelines as dp
from retail_insights.orders import LANDING_SCHEMA

spark: SparkSession  # provided by the pipeline runtime, on Databricks and locally


@dp.temporary_view(comment="Orders landing files, as they arrive.")
def orders_landing() -> DataFrame:
    return landing.read_files(spark, LANDING_SCHEMA)
