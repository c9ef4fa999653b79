"""One pipeline run on the project's local Spark, through Spark Connect: what
`spark-pipelines run` does (pyspark/pipelines/cli.py), plus what a developer needs to see while
it happens. As each dataset starts, completes or fails, `progress` hears of it with its row
count and the rows its expectations dropped or flagged (counted in batch on the query's input,
as Databricks counts them), or with the error, the user's file and line and, for a failed
expect_or_fail rule, the first offending rows.

Imports pyspark: the `local-pipeline` command loads this module only once Spark is needed.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Protocol

from pyspark.pipelines.cli import load_pipeline_spec, register_definitions
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, start_run
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakeflow_tools import sql
from lakeflow_tools.graph import Dataset, RecordingRegistry, internal, project_pipeline_api, unchecked_query
from lakeflow_tools.project import Project

from . import events

OFFENDING_ROWS = 5
_REGISTERING = threading.Lock()

# pyspark logs every failed query as JSON on stderr; the run reports failures itself.
logging.getLogger("pyspark").setLevel(logging.CRITICAL)


class Progress(Protocol):
    def started(self, dataset: str) -> None: ...
    def completed(self, dataset: str, info: dict) -> None: ...
    def failed(self, dataset: str, failure: events.Failure) -> None: ...
    def skipped(self, dataset: str) -> None: ...


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


def audit(spark: SparkSession, dataset: Dataset) -> list[dict]:
    """How many input rows break each expectation, evaluated on the query before any is applied.
    Totals over all input so far; the runner turns them into counts per run."""
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


def offending_rows(spark: SparkSession, dataset: Dataset, rule_name: str) -> list[dict]:
    """Up to OFFENDING_ROWS input rows that break the rule, as text."""
    for rules, rows in _checked_queries(spark, dataset):
        for rule in rules:
            if rule.name == rule_name:
                found = rows.where(~_holds(rule)).limit(OFFENDING_ROWS).collect()
                return [
                    {key: None if value is None else str(value) for key, value in row.asDict().items()}
                    for row in found
                ]
    return []


def ties(spark: SparkSession, dataset: Dataset) -> list[str]:
    """Warnings for the changes an AUTO CDC target got that share a key and a sequence (cdc.py)."""
    found = dataset.auto_cdc
    if not found or "changes" not in found:
        return []
    spec, changes = found["spec"], found["changes"]
    rows = [row.asDict() for row in spark.sql(spec.ties_query(changes)).collect()]
    return spec.tie_warnings(rows, dataset.name)


def _located(failure: events.Failure, dataset: Dataset | None, root: Path) -> events.Failure:
    """Where the failing dataset is defined, when the error itself did not say."""
    if failure.file is None and dataset is not None and dataset.source:
        path, line = dataset.source
        failure.file = (
            str(path.resolve().relative_to(root.resolve()))
            if path.resolve().is_relative_to(root.resolve())
            else str(path)
        )
        failure.line = line
    return failure


def execute(spark: SparkSession, root: Path, spec_path: Path, full_refresh: bool, progress: Progress) -> dict:
    """Run the pipeline of the spec; the result: status, the datasets' counts, the failure."""
    spec = load_pipeline_spec(spec_path)
    for key, value in spec.configuration.items():  # what transformations read with spark.conf.get
        spark.conf.set(key, value)
    result: dict = {"status": "COMPLETED", "datasets": {}, "failure": None}
    try:
        graph_id = create_dataflow_graph(
            spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
        )
        registry = RecordingRegistry(SparkConnectGraphElementRegistry(spark, graph_id))
        # One registration at a time in this process: pyspark patches the session's classes
        # while definitions load (to refuse spark.conf.set in them) and puts them back after;
        # two at once would leave them patched.
        with _REGISTERING, redirect_stdout(io.StringIO()), project_pipeline_api(Project(root)):
            register_definitions(
                spec_path, registry, spec, spark, graph_id
            )  # stdout: pyspark's "Importing ..."
    except Exception as error:  # the definitions did not load: Python or SQL errors in them
        failure = events.from_exception(error, root)
        progress.failed(failure.dataset or "definitions", failure)
        return {"status": "FAILED", "datasets": {}, "failure": failure.as_dict()}
    datasets = registry.datasets()
    by_flow = {flow.name.split(".")[-1]: flow.target.split(".")[-1] for flow in registry.flows}

    def kind(name: str) -> str:
        return datasets[name].kind if name in datasets else "unknown"

    # A streaming flow can report COMPLETED and then FAILED: its completion is announced only
    # once the next event shows it stands, so that each dataset gets one verdict.
    pending: str | None = None

    def complete(name: str) -> None:
        info = {"kind": kind(name), "status": "COMPLETED"}
        if name in datasets and kind(name) != "temporary_view":
            info["rows"] = spark.read.table(name).count()
            info["expectations"] = audit(spark, datasets[name])
            info["warnings"] = ties(spark, datasets[name])
        result["datasets"][name] = info
        progress.completed(name, info)

    try:
        stream = start_run(
            spark,
            graph_id,
            full_refresh=[],
            full_refresh_all=full_refresh,
            refresh=[],
            dry=False,
            storage=spec.storage,
        )
        for response in stream:
            if "pipeline_event_result" not in response:
                continue
            message = response["pipeline_event_result"].event.message
            if log := os.environ.get("LOCAL_PIPELINE_EVENTS"):  # every event, for debugging
                with open(log, "a") as events_log:
                    events_log.write(message + "\n---\n")
            state = events.flow_state(message)
            if not state:
                continue
            name, status = by_flow.get(state[0], state[0]), state[1]
            if internal(name) and status != "FAILED":  # the local AUTO CDC's own tables
                continue
            if pending and name == pending and status == "FAILED":
                pending = None  # it did not stand
            elif pending:
                complete(pending)
                pending = None
            if result["datasets"].get(name, {}).get("status") in events.FINAL:
                continue
            if status in {"STARTING", "RUNNING"} and name not in result["datasets"]:
                result["datasets"][name] = {"kind": kind(name), "status": "RUNNING"}
                progress.started(name)
            elif status == "COMPLETED":
                result["datasets"].setdefault(name, {"kind": kind(name)})["status"] = "COMPLETING"
                pending = name
            elif status == "FAILED":
                failure = _located(events.from_text(message, name, root), datasets.get(name), root)
                if failure.expectation and name in datasets:
                    try:
                        failure.rows = offending_rows(spark, datasets[name], failure.expectation)
                    except Exception:  # the rows are a help; the failure stands without them
                        failure.rows = []
                result["datasets"][name] = {"kind": kind(name), "status": "FAILED"}
                result["failure"] = result["failure"] or failure.as_dict()
                result["status"] = "FAILED"
                progress.failed(name, failure)
            elif status in events.FINAL:
                result["datasets"][name] = {"kind": kind(name), "status": status}
                progress.skipped(name)
        if pending:
            complete(pending)
    except Exception as error:  # the run stopped: the failing flow's event came first, if any
        result["status"] = "FAILED"
        if result["failure"] is None:
            failure = events.from_exception(error, root)
            progress.failed(failure.dataset or "run", failure)
            result["failure"] = failure.as_dict()
    return result
