"""A pipeline's dataflow graph, read without Spark: which datasets it declares, of what kind,
with which expectations.

The transformation files are read as `spark-pipelines` reads them (Python files imported, SQL
files registered), under a registry that records what they declare instead of sending it to a
Spark Connect server. Query functions are not called, so no session is needed.
"""

from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.pipelines.flow import Flow
from pyspark.pipelines.graph_element_registry import GraphElementRegistry, graph_element_registration_context
from pyspark.pipelines.output import MaterializedView, Output, StreamingTable, TemporaryView

from . import sql
from .project import Pipeline, Project

KINDS = {
    StreamingTable: "streaming_table",
    MaterializedView: "materialized_view",
    TemporaryView: "temporary_view",
}


@dataclass
class Dataset:
    name: str
    kind: str
    flows: list[Flow] = field(default_factory=list)
    sql: sql.SqlDataset | None = None  # a SQL file's statement, for datasets declared in SQL

    @property
    def expectations(self) -> list[sql.Expectation]:
        """The dataset's rules, whichever language declared them (one type for both)."""
        if self.sql:
            return list(self.sql.expectations)
        return [
            sql.Expectation(e.name, e.constraint, e.action)
            for flow in self.flows
            for e in getattr(flow.func, "__expectations__", [])
        ]


class RecordingRegistry(GraphElementRegistry):
    """Records what definitions declare, and passes it on to another registry if given one: SQL
    in its portable form (see sql.py), which Apache Spark runs with the same expectations."""

    def __init__(self, inner: GraphElementRegistry | None = None) -> None:
        self.inner = inner
        self.outputs: list[Output] = []
        self.flows: list[Flow] = []
        self.statements: list[sql.SqlDataset] = []

    def register_output(self, output: Output) -> None:
        self.outputs.append(output)
        if self.inner:
            self.inner.register_output(output)

    def register_flow(self, flow: Flow) -> None:
        self.flows.append(flow)
        if self.inner:
            self.inner.register_flow(flow)

    def register_auto_cdc_flow(self, flow) -> None:
        if self.inner:
            self.inner.register_auto_cdc_flow(flow)

    def register_sql(self, sql_text: str, file_path: Path) -> None:
        try:
            self.statements.append(sql.parse(sql_text))
        except ValueError as error:
            raise ValueError(f"{file_path}: {error}") from None
        if self.inner:
            self.inner.register_sql(sql.portable(sql_text), file_path)

    def datasets(self) -> dict[str, Dataset]:
        found = {o.name: Dataset(o.name, KINDS.get(type(o), type(o).__name__)) for o in self.outputs}
        for flow in self.flows:
            found[flow.target].flows.append(flow)
        found.update({s.name: Dataset(s.name, s.kind, sql=s) for s in self.statements})
        return found


def unchecked_query(flow: Flow):
    """The flow's query function without the local expectations wrapped around it."""
    return inspect.unwrap(flow.func)


def load(project: Project, pipeline: Pipeline) -> dict[str, Dataset]:
    """The datasets a pipeline declares, by name, without starting Spark."""
    registry = RecordingRegistry()
    with graph_element_registration_context(registry):
        for path in project.source_files(pipeline):
            if path.suffix == ".py":
                spec = importlib.util.spec_from_file_location(path.stem, path)
                module = importlib.util.module_from_spec(spec)
                module.__dict__["spark"] = None  # the runtime injects a session; definitions need none
                spec.loader.exec_module(module)
            elif path.suffix == ".sql":
                registry.register_sql(path.read_text(), path)
    return registry.datasets()
