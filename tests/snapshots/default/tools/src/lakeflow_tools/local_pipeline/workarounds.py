"""How local runs start and configure Apache Spark (pyspark 4.3), in one place. Remove each item
when its upstream cause is gone.

- Spark's default in-memory catalog forgets tables when the server stops, while their files stay,
  so the next run fails with LOCATION_ALREADY_EXISTS (documented with apache/spark#57149,
  SPARK-58569): the server uses the Hive catalog, a Derby metastore in the state folder. Derby
  admits one process at a time: only the server opens it, and every command goes through it.
- `withColumn` on `spark.readStream.table()` of a pipeline table loses the dependency on re-runs
  (apache/spark#57897): the generated transformations use `select`. Nothing to set here.
- A failed flow is retried twice before the run fails; a broken expect_or_fail rule fails every
  retry, so local runs do not retry.
"""

from __future__ import annotations

from pathlib import Path

from .folders import warehouse


def server_conf(state: Path, port: int) -> dict[str, str]:
    """The server's own settings: static ones (catalog, warehouse) can only be set here."""
    return {
        "spark.connect.grpc.binding.address": "127.0.0.1",  # this machine only
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": warehouse(state).as_uri(),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def java_options(state: Path) -> str:
    """The server's JVM: the Derby metastore in the state folder, without fsync (it is
    disposable), UTC, and tuned to answer small queries soon after it starts rather than to run
    long ones fast (the quick compiler only, the serial collector): a cold run takes about 20%
    less time, and every later one too. The quick compiler alone gets the JVM's small code cache
    (48 MB), which a warm server running many pipelines fills ("Out of space in CodeCache"), and
    Spark then stops its context; 240 MB is what the JVM reserves with both compilers."""
    return (
        f"-Dderby.system.home={state} -Dderby.system.durability=test -Duser.timezone=UTC"
        " -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m -XX:+UseSerialGC"
    )


SESSION_CONF = {
    "spark.sql.pipelines.maxFlowRetryAttempts": "0",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.session.timeZone": "UTC",
}
"""Settings of every session on the server: no retries, and settings for small data."""
