"""What a local run finds out, as types: each dataset's verdict and counts, the failure that
stopped it, and the run's report. Made by the run (execution.py, runner.py), printed by report.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FINAL = {"COMPLETED", "FAILED", "SKIPPED", "STOPPED", "EXCLUDED", "CANCELED", "CANCELLED"}
"""States after which a flow does nothing more in the run."""


@dataclass
class Failure:
    """Why a run stopped, as precisely as Spark said it."""

    dataset: str | None = None
    error_class: str | None = None
    message: str = ""
    file: str | None = None
    line: int | None = None
    expectation: str | None = None
    constraint: str | None = None
    rows: list[dict[str, str | None]] = field(default_factory=list)
    """Rows that broke the expectation, as the dataset's query computed them, as text."""
    arrived: list[dict[str, str | None]] = field(default_factory=list)
    """The same rows as they arrived in `arrived_in`, the dataset the query read, as text."""
    arrived_in: str | None = None


@dataclass
class RuleCount:
    """An expectation, and how many input rows it judged and found broken."""

    name: str
    constraint: str
    action: str  # warn, drop or fail
    input_rows: int
    violations: int


@dataclass
class DatasetResult:
    kind: str  # streaming_table, materialized_view, temporary_view (or unknown)
    status: str  # RUNNING, COMPLETING, then one of FINAL
    rows: int | None = None
    """In the table after the run."""
    expectations: list[RuleCount] = field(default_factory=list)
    written: int | None = None
    """Rows this run wrote: a streaming table's new rows, a materialized view's every row."""
    warnings: list[str] = field(default_factory=list)
    """What the run did that may not be what Databricks does (e.g. AUTO CDC ties, cdc.py)."""


@dataclass
class RunResult:
    """What one pipeline run on Spark did: its status, each dataset's verdict, the first failure."""

    status: str = "COMPLETED"
    datasets: dict[str, DatasetResult] = field(default_factory=dict)
    failure: Failure | None = None


@dataclass
class RunReport:
    """A pipeline's run as `local-pipeline run` reports it."""

    pipeline: str
    status: str
    seconds: float
    datasets: dict[str, DatasetResult] = field(default_factory=dict)
    failure: Failure | None = None
    log: Path | None = None
    """Spark's own log, for what the report leaves out."""

    @property
    def ok(self) -> bool:
        return self.status == "COMPLETED"
