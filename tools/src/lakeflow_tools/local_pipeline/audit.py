"""What a dataset's expectations found: how many input rows break each rule, and the first rows
that break a failed one. Counted in batch on the query before any rule is applied, as
Databricks counts them.

Imports pyspark: only the run service (service.py) and tests load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakeflow_tools import sql
from lakeflow_tools.graph import Dataset, unchecked_query

from .results import RuleCount

OFFENDING_ROWS = 5
ARRIVED_SCAN = 100_000
"""How many rows of the input are searched for the offending rows as they arrived."""


class Rule(Protocol):
    """An expectation of either language: the project's Python ones or sql.Expectation."""

    @property
    def name(self) -> str: ...
    @property
    def constraint(self) -> str: ...
    @property
    def action(self) -> str: ...
    def holds(self) -> Column | str: ...


class _BatchReads:
    """Stands in for `spark` while auditing: `readStream` reads the same sources in batch, so
    that a streaming query's input can be counted without starting a stream."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark

    @property
    def readStream(self) -> Any:  # noqa: N802 (SparkSession's name)
        return self._spark.read

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spark, name)


@contextmanager
def _batch_reads(query: Callable[..., DataFrame], spark: SparkSession) -> Iterator[None]:
    namespace = query.__globals__
    saved = namespace.get("spark")
    namespace["spark"] = _BatchReads(spark)
    try:
        yield
    finally:
        namespace["spark"] = saved


def _checked_queries(spark: SparkSession, dataset: Dataset) -> Iterator[tuple[Sequence[Rule], DataFrame]]:
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


def _holds(rule: Rule) -> Column:
    holds = rule.holds()  # a Column for Python expectations, SQL text for SQL ones
    return F.expr(holds) if isinstance(holds, str) else holds


def audit(spark: SparkSession, dataset: Dataset) -> list[RuleCount]:
    """How many input rows break each expectation, evaluated on the query before any is applied.
    Totals over all input so far; the runner turns them into counts per run."""
    audited = []
    for rules, rows in _checked_queries(spark, dataset):
        counts = rows.agg(
            F.count(F.lit(1)).alias("__rows"),
            *(F.count_if(~_holds(rule)).alias(f"r{i}") for i, rule in enumerate(rules)),
        ).first()
        assert counts is not None  # an aggregate has a row
        audited += [
            RuleCount(rule.name, rule.constraint, rule.action, counts["__rows"], counts[f"r{i}"])
            for i, rule in enumerate(rules)
        ]
    return audited


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _same(computed: str | None, arrived: Any) -> bool:
    """Whether a value the query computed is the one that arrived, give or take trimming, case
    and number formatting (what cleaning usually does)."""
    if computed is None or arrived is None:
        return False
    if str(arrived).strip().lower() == computed.strip().lower():
        return True
    try:
        return float(computed) == float(arrived)
    except (TypeError, ValueError):
        return False


def as_arrived(
    spark: SparkSession, dataset: Dataset, rows: list[dict[str, str | None]]
) -> tuple[str | None, list[dict[str, str | None]]]:
    """The offending rows as they arrived: the rows of the one dataset the query reads that agree
    with them on the most columns (cleaning may have turned a bad value into NULL, so the value
    that broke the rule is seen only here). None and no rows when the query reads several
    datasets or none matches."""
    if len(dataset.reads) != 1 or not rows:
        return None, []
    source = next(iter(dataset.reads))
    arrived = [row.asDict() for row in spark.read.table(source).limit(ARRIVED_SCAN).collect()]
    found: list[dict[str, str | None]] = []
    for row in rows:
        scores = [
            sum(_same(value, candidate.get(key)) for key, value in row.items()) for candidate in arrived
        ]
        best = max(scores, default=0)
        found += [
            {key: _text(value) for key, value in candidate.items()}
            for candidate, score in zip(arrived, scores, strict=True)
            if best and score == best and {key: _text(value) for key, value in candidate.items()} not in found
        ]
    return (source, found[:OFFENDING_ROWS]) if found else (None, [])


def offending_rows(spark: SparkSession, dataset: Dataset, rule_name: str) -> list[dict[str, str | None]]:
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
    warnings: list[str] = spec.tie_warnings(rows, dataset.name)
    return warnings
