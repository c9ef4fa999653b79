"""A Spark session on the tables of local runs, for looking at results."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

from lakeflow_tools.project import Project

from . import runner


@contextmanager
def local_session(project: Project) -> Iterator[SparkSession]:
    # Like a run's server, this JVM takes the metastore and warehouse as system properties.
    os.environ["SPARK_SUBMIT_OPTS"] = runner.spark_submit_opts(project)
    spark = SparkSession.builder.master("local[1]").appName("local-pipeline").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
