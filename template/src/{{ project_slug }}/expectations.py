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

    def apply(self, df: DataFrame) -> DataFrame:
        if self.action == "drop":
            return df.where(self.holds())
        if self.action == "fail":
            message = f"Expectation '{self.name}' failed (expect_or_fail): {self.constraint}"
            return df.where(F.when(self.holds(), F.lit(True)).otherwise(F.raise_error(F.lit(message))))
        return df


def _decorator(action: Action, rules: Mapping[str, str]) -> Callable[[QueryFunction], QueryFunction]:
    new = [Expectation(name, constraint, action) for name, constraint in rules.items()]

    def decorate(query: QueryFunction) -> QueryFunction:
        @functools.wraps(query)
        def checked(*args, **kwargs) -> DataFrame:
            df = query(*args, **kwargs)
            for expectation in new:
                df = expectation.apply(df)
            return df

        checked.__expectations__ = [*getattr(query, "__expectations__", []), *new]
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
