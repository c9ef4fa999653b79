"""A Spark session on the tables of local runs, for looking at results."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

from . import workarounds


@contextmanager
def local_session(workdir: Path) -> Iterator[SparkSession]:
    # Like a run's server, this JVM needs the system properties before it starts.
    os.environ["SPARK_SUBMIT_OPTS"] = workarounds.spark_submit_opts(workdir)
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("local-pipeline")
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.sql.warehouse.dir", (workdir / "warehouse").as_uri())
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
