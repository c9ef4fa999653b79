"""Silver: cleaned orders records; invalid ones dropped, unparsable times stop the update."""

from pyspark.sql import DataFrame, SparkSession

from lakeflow_project import pipelines as dp
from lakeflow_project.orders import logic

spark: SparkSession  # provided by the pipeline runtime, on Databricks and locally


@dp.table(comment="Cleaned orders records.")
@dp.expect_all_or_drop(logic.DROP_RULES)
@dp.expect_all_or_fail(logic.FAIL_RULES)
@dp.expect_all(logic.WARN_RULES)
def orders_silver() -> DataFrame:
    return logic.clean(spark.readStream.table("orders_bronze"))
