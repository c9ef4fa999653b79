"""Landing files: Auto Loader on Databricks, a plain file stream on Apache Spark.

The pipeline's configuration chooses (see resources/<pipeline>.pipeline.yml):
``<package>.landing_path`` is the folder to read, ``<package>.landing_reader`` is ``autoloader``
(Databricks, the default) or ``files`` (Apache Spark, set by local runs).

Both give the same columns: the schema's, ``_rescued_data`` (values that did not fit the schema,
which Auto Loader keeps as JSON; always NULL locally, where Spark has no rescued data) and
``_source_file``.
"""

import os
import re
from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

CONF_PREFIX = __package__
READERS = ("autoloader", "files")
RESCUED = "_rescued_data"
SNAPSHOT_FILE = re.compile(r".*-snapshot-(\d+)\.\w+")
"""A full snapshot among the landing files: <name>-snapshot-<version>.<format>."""


def read_files(
    spark: SparkSession, schema: str, file_format: str = "json", options: Mapping[str, str] | None = None
) -> DataFrame:
    """Stream the landing files with a fixed schema, adding the file each row came from."""
    path = spark.conf.get(f"{CONF_PREFIX}.landing_path")
    reader = spark.conf.get(f"{CONF_PREFIX}.landing_reader", "autoloader")
    if reader == "autoloader":
        stream = (
            spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", file_format)
            .option("rescuedDataColumn", RESCUED)
        )
    elif reader == "files":
        stream = spark.readStream.format(file_format)
    else:
        raise ValueError(f"{CONF_PREFIX}.landing_reader must be one of {READERS}, got {reader!r}")
    rows = stream.options(**(options or {})).schema(schema).load(path)
    rescued = [] if reader == "autoloader" else [F.lit(None).cast("string").alias(RESCUED)]
    return rows.select("*", *rescued, F.col("_metadata.file_path").alias("_source_file"))


def next_snapshot(
    spark: SparkSession,
    latest_version: int | None,
    schema: str,
    file_format: str = "json",
    options: Mapping[str, str] | None = None,
    folder: str | None = None,
) -> tuple[DataFrame, int] | None:
    """The first snapshot file after `latest_version` in the landing folder (or `folder`), read
    whole, and its version: the source of AUTO CDC FROM SNAPSHOT. None when there is none."""
    folder = folder or spark.conf.get(f"{CONF_PREFIX}.landing_path")
    found = sorted((int(m[1]), name) for name in os.listdir(folder) if (m := SNAPSHOT_FILE.fullmatch(name)))
    later = [(version, name) for version, name in found if latest_version is None or version > latest_version]
    if not later:
        return None
    version, name = later[0]
    reader = spark.read.format(file_format).options(**(options or {})).schema(schema)
    return reader.load(os.path.join(folder, name)), version
