"""Landing files: Auto Loader on Databricks, a plain file stream on Apache Spark.

The pipeline's configuration chooses (see resources/<pipeline>.pipeline.yml):
``<package>.landing_path`` is the folder to read, ``<package>.landing_reader`` is ``autoloader``
(Databricks, the default) or ``files`` (Apache Spark, set by local runs).
"""

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

CONF_PREFIX = __package__
READERS = ("autoloader", "files")


def read_files(spark: SparkSession, schema: str, file_format: str = "json") -> DataFrame:
    """Stream the landing files with a fixed schema, adding the file each row came from."""
    path = spark.conf.get(f"{CONF_PREFIX}.landing_path")
    reader = spark.conf.get(f"{CONF_PREFIX}.landing_reader", "autoloader")
    if reader == "autoloader":
        stream = spark.readStream.format("cloudFiles").option("cloudFiles.format", file_format)
    elif reader == "files":
        stream = spark.readStream.format(file_format)
    else:
        raise ValueError(f"{CONF_PREFIX}.landing_reader must be one of {READERS}, got {reader!r}")
    return stream.schema(schema).load(path).select("*", F.col("_metadata.file_path").alias("_source_file"))
