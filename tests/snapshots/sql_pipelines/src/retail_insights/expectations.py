"""Expectations for Apache Spark, where ``pyspark.pipelines`` has none.

Same decorators and semantics as on Databricks: put them under ``@dp.table`` or
``@dp.materialized_view``. A constraint is a SQL boolean expression; a row violates it when the
expression is false or NULL.

- ``expect``: keeps every row; the rule is recorded for reporting.
- ``expect_or_drop``: removes the violating rows.
- ``expect_or_fail``: stops the update at the first violating row, naming the expectation.

Each decorated query function carries its rules in ``__expectations__`` (a list of
:class:`Expectation`), so tests can read what a dataset promises without running Spark.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Action = Literal["warn", "drop", "fail"]
QueryFunction = Callable[..., DataFrame]


@dataclass(frozen=True)
class Expectation:
    name: str
    constraint: str
    action: Action

    def holds(self) -> Column:
        """True where a row satisfies the constraint; NULL counts as a violation."""
        return F.coalesce(F.expr(self.constraint), F.lit(False))


def apply(df: DataFrame, expectations: list[Expectation]) -> DataFrame:
    """Every rule judges the query's own rows, as on Databricks: a row that breaks an
    expect_or_fail rule stops the update even if a drop rule would also remove it."""
    for rule in expectations:
        if rule.action == "fail":
            message = f"Expectation '{rule.name}' failed (expect_or_fail): {rule.constraint}"
            df = df.where(F.when(rule.holds(), F.lit(True)).otherwise(F.raise_error(F.lit(message))))
    drops = [rule.holds() for rule in expectations if rule.action == "drop"]
    return df.where(functools.reduce(lambda a, b: a & b, drops)) if drops else df


def _decorator(action: Action, rules: Mapping[str, str]) -> Callable[[QueryFunction], QueryFunction]:
    new = [Expectation(name, constraint, action) for name, constraint in rules.items()]

    def decorate(query: QueryFunction) -> QueryFunction:
        # Stacked decorators share one wrapper around the original query, so that all rules
        # see the same rows whatever their order.
        declared = [*getattr(query, "__expectations__", []), *new]
        original = query.__wrapped__ if hasattr(query, "__expectations__") else query

        @functools.wraps(original)
        def checked(*args, **kwargs) -> DataFrame:
            return apply(original(*args, **kwargs), declared)

        checked.__expectations__ = declared
        return checked

    return decorate


def expect(name: str, constraint: str) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("warn", {name: constraint})


def expect_or_drop(name: str, constraint: str) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("drop", {name: constraint})


def expect_or_fail(name: str, constraint: str) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("fail", {name: constraint})


def expect_all(rules: Mapping[str, str]) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("warn", rules)


def expect_all_or_drop(rules: Mapping[str, str]) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("drop", rules)


def expect_all_or_fail(rules: Mapping[str, str]) -> Callable[[QueryFunction], QueryFunction]:
    return _decorator("fail", rules)
