"""One pipeline run on the project's local Spark, through Spark Connect: what
`spark-pipelines run` does (pyspark/pipelines/cli.py), plus what a developer needs to see while
it happens. As each dataset starts, completes or fails, `progress` hears of it with its row
count and what its expectations found (audit.py), or with the error, the user's file and line
and, for a failed expect_or_fail rule, the first offending rows.

Imports pyspark: only the run service (service.py) and tests load it.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import traceback
from contextlib import redirect_stdout
from pathlib import Path
from typing import Protocol

from pyspark.pipelines.cli import load_pipeline_spec, register_definitions
from pyspark.pipelines.spark_connect_graph_element_registry import SparkConnectGraphElementRegistry
from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph, start_run
from pyspark.sql import SparkSession

from lakeflow_tools.graph import Dataset, RecordingRegistry, internal, project_pipeline_api, unchecked_query
from lakeflow_tools.project import Project

from . import audit, events
from .results import FINAL, DatasetResult, Failure, RunResult

_REGISTERING = threading.Lock()

# pyspark logs every failed query as JSON on stderr; the run reports failures itself.
logging.getLogger("pyspark").setLevel(logging.CRITICAL)


class Progress(Protocol):
    def started(self, dataset: str) -> None: ...
    def completed(self, dataset: str, result: DatasetResult) -> None: ...
    def failed(self, dataset: str, failure: Failure) -> None: ...
    def skipped(self, dataset: str) -> None: ...


def _loading(error: BaseException, registry: RecordingRegistry) -> str | None:
    """The dataset whose query raised the error while the definitions loaded, if one did: the
    flow being registered (pyspark calls its query function to get its plan)."""
    registering = any(frame.name == "register_flow" for frame in traceback.extract_tb(error.__traceback__))
    return registry.flows[-1].target.split(".")[-1] if registering and registry.flows else None


def _call_site(spark: SparkSession, dataset: Dataset, failure: Failure, text: str, root: Path) -> None:
    """For an analysis error in a Python dataset, the line of the user's code that wrote the
    operation it is about: the call site pyspark records in each operation of the plan."""
    if failure.file or not failure.error_class or failure.expectation:
        return
    for flow in dataset.flows:
        try:
            plan = unchecked_query(flow)()._plan.to_proto(spark.client)
            frame = events.plan_call_site(plan, text, root)
        except Exception:  # the place is a help; the failure stands without it
            continue
        if frame:
            failure.file, failure.line = frame
            return


def _explain_rule(spark: SparkSession, dataset: Dataset, failure: Failure, root: Path) -> None:
    """For a failed expect_or_fail rule: where it is declared, and the rows that broke it, as the
    query computed them and as they arrived."""
    assert failure.expectation  # a failed rule's failure names it
    if dataset.source:
        own = dataset.source[0]
        nearby = sorted(own.parent.parent.glob("*.py"))  # the pipeline's package: logic.py and kin
        if place := events.rule_declared(failure.expectation, [own, *nearby], root):
            failure.file, failure.line = place
    try:
        failure.rows = audit.offending_rows(spark, dataset, failure.expectation)
        failure.arrived_in, failure.arrived = audit.as_arrived(spark, dataset, failure.rows)
    except Exception:  # the rows are a help; the failure stands without them
        pass


def _located(failure: Failure, dataset: Dataset | None, root: Path) -> Failure:
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


def execute(
    spark: SparkSession, root: Path, spec_path: Path, full_refresh: bool, progress: Progress
) -> RunResult:
    """Run the pipeline of the spec; the result: status, the datasets' verdicts, the failure."""
    spec = load_pipeline_spec(spec_path)
    for key, value in spec.configuration.items():  # what transformations read with spark.conf.get
        spark.conf.set(key, value)
    result = RunResult()
    registry: RecordingRegistry | None = None
    try:
        graph_id = create_dataflow_graph(
            spark, default_catalog=spec.catalog, default_database=spec.database, sql_conf=spec.configuration
        )
        registry = RecordingRegistry(SparkConnectGraphElementRegistry(spark, graph_id))
        # One registration at a time in this process: pyspark patches the session's classes
        # while definitions load (to refuse spark.conf.set in them) and puts them back after;
        # two at once would leave them patched.
        # pyspark's own "Importing ..." lines go nowhere; pasted `from pyspark import pipelines`
        # gets the project's API.
        with _REGISTERING, redirect_stdout(io.StringIO()), project_pipeline_api(Project(root)):
            register_definitions(spec_path, registry.as_pyspark(), spec, spark, graph_id)
    except Exception as error:  # the definitions did not load: Python or SQL errors in them
        failure = events.from_exception(error, root, _loading(error, registry) if registry else None)
        progress.failed(failure.dataset or "definitions", failure)
        return RunResult("FAILED", failure=failure)
    datasets = registry.datasets()
    by_flow = {flow.name.split(".")[-1]: flow.target.split(".")[-1] for flow in registry.flows}

    def kind(name: str) -> str:
        return datasets[name].kind if name in datasets else "unknown"

    # A streaming flow can report COMPLETED and then FAILED: its completion is announced only
    # once the next event shows it stands, so that each dataset gets one verdict.
    pending: str | None = None
    # Datasets that did not run because an upstream one failed are told after the failure.
    not_run: list[str] = []

    def complete(name: str) -> None:
        found = DatasetResult(kind(name), "COMPLETED")
        if name in datasets and kind(name) != "temporary_view":
            found.rows = spark.read.table(name).count()
            found.expectations = audit.audit(spark, datasets[name])
            found.warnings = audit.ties(spark, datasets[name])
        result.datasets[name] = found
        progress.completed(name, found)

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
            known = result.datasets.get(name)
            if known and known.status in FINAL:
                continue
            if status in {"STARTING", "RUNNING"} and not known:
                result.datasets[name] = DatasetResult(kind(name), "RUNNING")
                progress.started(name)
            elif status == "COMPLETED":
                result.datasets[name] = DatasetResult(kind(name), "COMPLETING")
                pending = name
            elif status == "FAILED":
                failure = events.from_text(message, name, root)
                if name in datasets:
                    _call_site(spark, datasets[name], failure, message, root)
                failure = _located(failure, datasets.get(name), root)
                if failure.expectation and name in datasets:
                    _explain_rule(spark, datasets[name], failure, root)
                result.datasets[name] = DatasetResult(kind(name), "FAILED")
                result.failure = result.failure or failure
                result.status = "FAILED"
                progress.failed(name, failure)
            elif status in FINAL:
                result.datasets[name] = DatasetResult(kind(name), status)
                not_run.append(name)
        if pending:
            complete(pending)
    except Exception as error:  # the run stopped: the failing flow's event came first, if any
        result.status = "FAILED"
        if result.failure is None:
            failure = events.from_exception(error, root)
            progress.failed(failure.dataset or "run", failure)
            result.failure = failure
    for name in not_run:
        progress.skipped(name)
    return result
