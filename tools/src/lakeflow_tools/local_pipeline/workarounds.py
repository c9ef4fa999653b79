"""How local runs must start Spark with pyspark 4.3, in one place. Remove each item when the
upstream cause is gone.

- `spark-pipelines` applies the spec's `configuration` as session confs once the session has
  started, so static confs there never take effect ([CANNOT_MODIFY_STATIC_CONFIG]). They go to
  the JVM as system properties in SPARK_SUBMIT_OPTS instead.
- Spark's default in-memory catalog forgets tables between runs, so a second run fails with
  LOCATION_ALREADY_EXISTS (documented with apache/spark#57149, SPARK-58569): local runs use the
  Hive catalog, a Derby metastore under the local folder. Derby admits one process at a time, so
  pipelines run one after another.
- `withColumn` on `spark.readStream.table()` of a pipeline table loses the dependency on re-runs
  (apache/spark#57897): the generated transformations use `select`. Nothing to set here.
- A failed flow is retried twice before the run fails; a broken expect_or_fail rule fails every
  retry, so local runs do not retry.
"""

from __future__ import annotations

from pathlib import Path


def spark_submit_opts(metastore: Path, warehouse: Path) -> str:
    """JVM system properties for the Spark of a local run, or of a look at its tables."""
    properties = {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": warehouse.as_uri(),
        "derby.system.home": str(metastore),
        "derby.system.durability": "test",  # no fsync: the local metastore is disposable
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    return " ".join(f"-D{key}={value}" for key, value in properties.items())


SESSION_CONF = {
    "spark.sql.pipelines.maxFlowRetryAttempts": "0",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.session.timeZone": "UTC",
}
"""Session confs of every local run: no retries, and settings for small data."""
