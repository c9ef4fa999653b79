from pyspark import pipelines as dp

@dp.view(name="source")
def source():
  return spark.read.table("cdc_tutorial.snapshot")

dp.create_streaming_table("target")

dp.create_auto_cdc_from_snapshot_flow(
  target = "target",
  source = "source",
  keys = ["userId"],
  stored_as_scd_type = 2
)
