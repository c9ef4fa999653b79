"""Unit tests of the orders SQL, on Spark, with small hand-written inputs: each dataset's
query runs in batch over temporary views that stand in for its inputs."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from lakeflow_tools import sql
from retail_insights.orders import LANDING_SCHEMA

PACKAGE = Path(__file__).parents[2] / "src" / "retail_insights"
TRANSFORMATIONS = PACKAGE / "orders" / "transformations"
SILVER = sql.parse((TRANSFORMATIONS / "orders_silver.sql").read_text())
GOLD = sql.parse((TRANSFORMATIONS / "orders_gold.sql").read_text())


def silver(spark, rows, *, with_expectations=True):
    """orders_silver computed from bronze rows (id, category, amount, event_time)."""
    spark.createDataFrame(rows, LANDING_SCHEMA).createOrReplaceTempView("orders_bronze")
    return spark.sql(sql.batch_query(SILVER, with_expectations=with_expectations))


def test_silver_types_and_normalises(spark):
    [row] = silver(spark, [(" r-1 ", " Books ", 12.5, "2026-01-05T09:15:00Z")]).collect()

    assert row.id == "r-1"
    assert row.category == "books"
    assert row.amount == Decimal("12.50")
    assert row.event_time == dt.datetime(2026, 1, 5, 9, 15)
    assert row.event_date == dt.date(2026, 1, 5)


def test_silver_drops_exactly_the_invalid_rows(spark):
    rows = [
        ("r-1", "books", 1.0, "2026-01-05T00:00:00Z"),
        (None, "books", 1.0, "2026-01-05T00:00:00Z"),
        ("", "books", 1.0, "2026-01-05T00:00:00Z"),
        ("r-4", "books", -0.01, "2026-01-05T00:00:00Z"),
        ("r-5", None, 1.0, "2026-01-05T00:00:00Z"),
    ]

    kept = [row.id for row in silver(spark, rows).collect()]

    assert kept == ["r-1", "r-5"]  # a missing category is only counted


def test_an_unparsable_time_stops_the_update_naming_the_rule(spark):
    rows = [("r-1", "books", 1.0, "not a time"), ("", "books", 1.0, "also not a time")]

    with pytest.raises(Exception, match="valid_event_time"):
        silver(spark, rows).collect()


def test_silver_declares_the_rules_it_promises():
    assert [(e.name, e.action) for e in SILVER.expectations] == [
        ("valid_id", "drop"),
        ("non_negative_amount", "drop"),
        ("valid_event_time", "fail"),
        ("known_category", "warn"),
    ]


def test_gold_sums_per_day_and_category(spark):
    cleaned = silver(
        spark,
        [
            ("r-1", "books", 1.25, "2026-01-05T08:00:00Z"),
            ("r-2", "books", 2.5, "2026-01-05T23:59:59Z"),
            ("r-3", None, 4.0, "2026-01-05T10:00:00Z"),
            ("r-4", "books", 8.0, "2026-01-06T00:00:00Z"),
        ],
    )
    cleaned.createOrReplaceTempView("orders_silver")

    rows = spark.sql(sql.batch_query(GOLD)).orderBy("event_date", "category").collect()

    assert [(str(r.event_date), r.category, r.record_count, r.total_amount) for r in rows] == [
        ("2026-01-05", "books", 2, Decimal("3.75")),
        ("2026-01-05", "unknown", 1, Decimal("4.00")),
        ("2026-01-06", "books", 1, Decimal("8.00")),
    ]
