"""A pipeline's dataflow graph, read without Spark: which datasets it declares, of what kind,
with which expectations, where in the code, and which datasets each one reads (so that
datasets and pipelines can be put in the order they depend on each other).

The transformation files are read as `spark-pipelines` reads them (Python files imported, SQL
files registered), under a registry that records what they declare instead of sending it to a
Spark Connect server. Query functions are not called, so no session is needed. pyspark is
imported when definitions are read, not with this module, so that `local-pipeline` starts
without it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import cdc, sql
from .project import Pipeline, Project
from .sql import Expectation

if TYPE_CHECKING:
    from pyspark.pipelines.flow import AutoCdcFlow, Flow
    from pyspark.pipelines.graph_element_registry import GraphElementRegistry
    from pyspark.pipelines.output import Output

# Names of the datasets a query reads: `spark.read.table("x")` / `readStream.table("x")` in Python,
# `FROM x`, `JOIN x`, `STREAM(x)` in SQL. Reads hidden in helper functions are not seen.
PYTHON_READS = re.compile(r"""\.table\(\s*["']([\w.]+)["']""")
SQL_READS = re.compile(r"\b(?:FROM|JOIN)\s+(?:STREAM\s*\(\s*)?`?([\w.]+)", re.IGNORECASE)

KINDS = {
    "StreamingTable": "streaming_table",
    "MaterializedView": "materialized_view",
    "TemporaryView": "temporary_view",
}
"""pyspark.pipelines.output's classes, by name."""


@dataclass
class Dataset:
    name: str
    kind: str
    flows: list[Flow] = field(default_factory=list)
    sql: sql.SqlDataset | None = None  # a SQL file's statement, for datasets declared in SQL
    sql_file: Path | None = None

    @property
    def auto_cdc(self) -> dict[str, Any] | None:
        """How changes apply to an AUTO CDC target: source, keys, sequence_by, scd_type, and the
        local stand-in's `spec` (cdc.AutoCdc) and `changes` table."""
        if self.sql and self.sql.auto_cdc:
            found = self.sql.auto_cdc
            return {
                "source": found.source,
                "keys": list(found.keys),
                "sequence_by": found.sequence_by,
                "scd_type": found.scd_type,
                "spec": found.spec,
                "changes": cdc.changes_table(self.name),
            }
        return next(
            (flow.func.__auto_cdc__ for flow in self.flows if hasattr(flow.func, "__auto_cdc__")), None
        )

    @property
    def source(self) -> tuple[Path, int] | None:
        """The file and line that define the dataset's query."""
        if self.sql_file:
            return self.sql_file, 1
        if self.auto_cdc and "defined_at" in self.auto_cdc:
            path, line = self.auto_cdc["defined_at"]
            return Path(path), line
        for flow in self.flows:
            code = getattr(inspect.unwrap(flow.func), "__code__", None)
            if code:
                return Path(code.co_filename), code.co_firstlineno
        return None

    @property
    def reads(self) -> set[str]:
        """The datasets this one's queries read, by unqualified name."""
        if self.auto_cdc:
            return {self.auto_cdc["source"]}
        if self.sql:
            return {name.split(".")[-1] for name in SQL_READS.findall(self.sql.query)}
        names: set[str] = set()
        for flow in self.flows:
            try:
                text = inspect.getsource(inspect.unwrap(flow.func))
            except (OSError, TypeError):
                continue
            names |= {name.split(".")[-1] for name in PYTHON_READS.findall(text)}
        return names

    @property
    def expectations(self) -> list[Expectation]:
        """The dataset's rules, whichever language declared them (one type for both)."""
        if self.sql:
            return list(self.sql.expectations)
        return [
            Expectation(e.name, e.constraint, e.action)
            for flow in self.flows
            for e in getattr(flow.func, "__expectations__", [])
        ]


class RecordingRegistry:
    """Records what definitions declare, and passes it on to another registry if given one: SQL
    in its portable form (see sql.py), which Apache Spark runs with the same expectations.

    It has the methods of pyspark's GraphElementRegistry, which is all that pyspark asks of a
    registry, without subclassing it (that would import pyspark with this module)."""

    def __init__(self, inner: GraphElementRegistry | None = None) -> None:
        self.inner = inner
        self.outputs: list[Output] = []
        self.flows: list[Flow] = []
        self.statements: list[tuple[sql.SqlDataset, Path]] = []

    def register_output(self, output: Output) -> None:
        self.outputs.append(output)
        if self.inner:
            self.inner.register_output(output)

    def register_flow(self, flow: Flow) -> None:
        self.flows.append(flow)
        if self.inner:
            self.inner.register_flow(flow)

    def register_auto_cdc_flow(self, flow: AutoCdcFlow) -> None:
        if self.inner:
            self.inner.register_auto_cdc_flow(flow)

    def register_sql(self, sql_text: str, file_path: Path) -> None:
        # pyspark names the file relative to the spec's folder, its working directory meanwhile
        try:
            self.statements.append((sql.parse(sql_text), Path(file_path).resolve()))
        except ValueError as error:
            raise ValueError(f"{file_path}: {error}") from None
        if self.inner:
            self.inner.register_sql(sql.portable(sql_text), file_path)

    def as_pyspark(self) -> GraphElementRegistry:
        """This registry, where pyspark's functions ask for theirs."""
        return cast("GraphElementRegistry", self)

    def datasets(self) -> dict[str, Dataset]:
        found = {o.name: Dataset(o.name, KINDS.get(type(o).__name__, type(o).__name__)) for o in self.outputs}
        for flow in self.flows:
            found[flow.target].flows.append(flow)
            if hasattr(flow.func, "__auto_cdc__"):  # the local stand-in of an AUTO CDC target
                found[flow.target].kind = "streaming_table"
        found.update({s.name: Dataset(s.name, s.kind, sql=s, sql_file=path) for s, path in self.statements})
        return found


def unchecked_query(flow: Flow) -> Callable[..., Any]:
    """The flow's query function without the local expectations wrapped around it."""
    query: Callable[..., Any] = inspect.unwrap(flow.func)
    return query


@contextmanager
def _columns_without_a_session() -> Iterator[None]:
    """`col()`, `expr()` and the like at the top of a file build Spark Connect columns, which need
    no session (classic ones need a SparkContext)."""
    saved = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SPARK_CONNECT_MODE_ENABLED"]


@contextmanager
def project_pipeline_api(project: Project) -> Iterator[None]:
    """While definitions load, `from pyspark import pipelines` gives the project's pipeline API
    (<package>/pipelines.py), as `from <package> import pipelines` does: code copied from
    Databricks' pages runs locally as written (and on Databricks as it is)."""
    import pyspark
    import pyspark.pipelines

    try:
        api = importlib.import_module(f"{project.package}.pipelines")
    except ModuleNotFoundError as error:
        if error.name not in (project.package, f"{project.package}.pipelines"):
            raise
        yield  # a project without the portable API
        return
    native = sys.modules["pyspark.pipelines"]
    sys.modules["pyspark.pipelines"] = pyspark.pipelines = api
    try:
        yield
    finally:
        sys.modules["pyspark.pipelines"] = pyspark.pipelines = native


def internal(name: str) -> bool:
    """Whether a dataset is one the local AUTO CDC stand-in adds (cdc.py), not one declared."""
    return name.split(".")[-1].startswith(cdc.INTERNAL_PREFIX)


def load(project: Project, pipeline: Pipeline) -> dict[str, Dataset]:
    """The datasets a pipeline declares, by name, without starting Spark."""
    from pyspark.pipelines.graph_element_registry import graph_element_registration_context

    registry = RecordingRegistry()
    with (
        graph_element_registration_context(registry.as_pyspark()),
        _columns_without_a_session(),
        project_pipeline_api(project),
    ):
        for path in project.source_files(pipeline):
            if path.suffix == ".py":
                spec = importlib.util.spec_from_file_location(path.stem, path)
                assert spec is not None  # a .py file has a spec, and a loader
                assert spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                module.__dict__["spark"] = None  # the runtime injects a session; definitions need none
                spec.loader.exec_module(module)
            elif path.suffix == ".sql":
                registry.register_sql(path.read_text(), path)
    return {name: dataset for name, dataset in registry.datasets().items() if not internal(name)}


def dependency_order(items: dict[str, set[str]]) -> list[list[str]]:
    """Names in waves: each wave depends only on earlier ones (dependencies outside `items` are
    ignored), in the given order within a wave. A cycle is an error naming its members."""
    waves: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(items):
        wave = [name for name, needs in items.items() if name not in done and needs & set(items) <= done]
        if not wave:
            raise ValueError(f"these depend on each other in a cycle: {sorted(set(items) - done)}")
        waves.append(wave)
        done |= set(wave)
    return waves


def in_flow_order(datasets: dict[str, Dataset]) -> list[Dataset]:
    """The datasets in the order data flows through them (bronze before silver before gold)."""
    waves = dependency_order({name: dataset.reads - {name} for name, dataset in datasets.items()})
    return [datasets[name] for wave in waves for name in wave]
