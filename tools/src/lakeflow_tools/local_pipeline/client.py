"""The Spark Connect client of a local run, started by `spark-pipelines`' launcher in place of
its own CLI script (pyspark/pipelines/cli.py `run`, which this follows step by step).

It does what that script does, and while the session is still open it also counts the rows of
every dataset and audits the local expectations, then writes everything to a JSON result file
(path in $LOCAL_PIPELINE_RESULT) for the `local-pipeline` command to print.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.pipelines.cli import load_pipeline_spec, register_definitions
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, start_run
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakeflow_tools import sql
from lakeflow_tools.graph import Dataset, RecordingRegistry, unchecked_query
from lakeflow_tools.local_pipeline.runner import EVENT_PREFIX

FLOW_FAILED = re.compile(r"Flow '?(?:[\w]+\.)*(\w+)'? has FAILED")
EXPECTATION_FAILED = re.compile(r"Expectation '([^']+)' failed \(expect_or_fail\): (.*?)(?: SQLSTATE|$)")


def _follow(results, messages: list[str]) -> None:
    """Print the run's events as `spark-pipelines` does, keeping their messages."""
    for result in results:
        if "pipeline_event_result" in result:
            event = result["pipeline_event_result"].event
            messages.append(event.message)
            message = event.message.splitlines()[0].replace("spark_catalog.default.", "")
            print(f"{EVENT_PREFIX}  {event.timestamp.ToDatetime():%H:%M:%S} {message}", flush=True)


def _failure(messages: list[str], error: BaseException) -> dict:
    """The first failing dataset and expectation, from the events or else the error."""
    text = "\n".join(messages) + "\n" + "".join(traceback.format_exception_only(error))
    dataset = next((m.group(1) for m in FLOW_FAILED.finditer(text)), None)
    expectation = EXPECTATION_FAILED.search(text)
    first_line = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
    return {
        "dataset": dataset,
        "expectation": expectation.group(1) if expectation else None,
        "constraint": expectation.group(2) if expectation else None,
        "message": first_line[:500],
    }


class _BatchReads:
    """Stands in for `spark` while auditing: `readStream` reads the same sources in batch, so
    that a streaming query's input can be counted without starting a stream."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark

    @property
    def readStream(self):  # noqa: N802 (SparkSession's name)
        return self._spark.read

    def __getattr__(self, name: str):
        return getattr(self._spark, name)


@contextmanager
def _batch_reads(query, spark: SparkSession) -> Iterator[None]:
    namespace = query.__globals__
    saved = namespace.get("spark")
    namespace["spark"] = _BatchReads(spark)
    try:
        yield
    finally:
        namespace["spark"] = saved


def _checked_queries(spark: SparkSession, dataset: Dataset) -> Iterator[tuple[list, DataFrame]]:
    """Each query of the dataset that has expectations, with them, computed in batch and before
    they are applied."""
    if dataset.sql:
        if dataset.sql.expectations:
            rows = spark.sql(sql.batch_query(dataset.sql, with_expectations=False))
            yield list(dataset.sql.expectations), rows
        return
    for flow in dataset.flows:
        rules = getattr(flow.func, "__expectations__", [])
        if rules:
            query = unchecked_query(flow)
            with _batch_reads(query, spark):
                yield rules, query()


def _holds(rule) -> Column:
    holds = rule.holds()  # a Column for Python expectations, SQL text for SQL ones
    return F.expr(holds) if isinstance(holds, str) else holds


def _audit(spark: SparkSession, dataset: Dataset) -> list[dict]:
    """How many input rows break each expectation, evaluated on the query before any is applied
    (as Databricks counts them). Totals over all input so far; the command turns them into counts
    per run."""
    audited = []
    for rules, rows in _checked_queries(spark, dataset):
        counts = rows.agg(
            F.count(F.lit(1)).alias("__rows"),
            *(F.count_if(~_holds(rule)).alias(f"r{i}") for i, rule in enumerate(rules)),
        ).first()
        audited += [
            {
                "name": rule.name,
                "constraint": rule.constraint,
                "action": rule.action,
                "input_rows": counts["__rows"],
                "violations": counts[f"r{i}"],
            }
            for i, rule in enumerate(rules)
        ]
    return audited


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--spec", required=True)
    parser.add_argument("--full-refresh-all", action="store_true")
    args = parser.parse_args()
    spec_path = Path(args.spec)
    spec = load_pipeline_spec(spec_path)
    result: dict = {"status": "COMPLETED", "datasets": {}}

    builder = SparkSession.builder.config("spark.sql.connect.serverStacktrace.enabled", "false")
    for key, value in spec.configuration.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    messages: list[str] = []
    try:
        graph_id = create_dataflow_graph(
            spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
        )
        registry = RecordingRegistry(SparkConnectGraphElementRegistry(spark, graph_id))
        register_definitions(spec_path, registry, spec, spark, graph_id)
        datasets = registry.datasets()
        try:
            _follow(
                start_run(
                    spark,
                    graph_id,
                    full_refresh=[],
                    full_refresh_all=args.full_refresh_all,
                    refresh=[],
                    dry=False,
                    storage=spec.storage,
                ),
                messages,
            )
        except Exception as error:  # the run failed: report which dataset and why
            result = {"status": "FAILED", "failure": _failure(messages, error), "datasets": {}}
        if result["status"] == "COMPLETED":
            for name, dataset in datasets.items():
                if dataset.kind == "temporary_view":
                    continue
                result["datasets"][name] = {
                    "kind": dataset.kind,
                    "rows": spark.read.table(name).count(),
                    "expectations": _audit(spark, dataset),
                }
    except Exception as error:  # definitions did not load or the graph did not resolve
        result = {"status": "FAILED", "failure": _failure(messages, error), "datasets": {}}
    finally:
        Path(os.environ["LOCAL_PIPELINE_RESULT"]).write_text(json.dumps(result, indent=2))
        spark.stop()
    sys.exit(0 if result["status"] == "COMPLETED" else 1)


if __name__ == "__main__":
    main()
