"""Unit tests of the orders logic, on Spark, with small hand-written inputs."""

import datetime as dt
from decimal import Decimal

from lakeflow_project.orders import logic


def landing_rows(spark, rows):
    return spark.createDataFrame(rows, logic.LANDING_SCHEMA)


def violations(df, rules):
    """Names of the rules each row breaks, in row order (NULL counts as a violation)."""
    checks = [f"coalesce(({rule}), false) AS {name}" for name, rule in rules.items()]
    return [sorted(name for name in rules if not row[name]) for row in df.selectExpr(*checks).collect()]


def test_clean_types_and_normalises(spark):
    bronze = landing_rows(spark, [(" r-1 ", " Books ", 12.5, "2026-01-05T09:15:00Z")])

    [row] = logic.clean(bronze).collect()

    assert row.id == "r-1"
    assert row.category == "books"
    assert row.amount == Decimal("12.50")
    assert row.event_time == dt.datetime(2026, 1, 5, 9, 15)
    assert row.event_date == dt.date(2026, 1, 5)


def test_clean_turns_an_unparsable_time_into_null(spark):
    bronze = landing_rows(spark, [("r-1", "books", 1.0, "yesterday")])

    [row] = logic.clean(bronze).collect()

    assert row.event_time is None
    assert row.event_date is None


def test_rules_flag_exactly_the_invalid_rows(spark):
    silver = logic.clean(
        landing_rows(
            spark,
            [
                ("r-1", "books", 1.0, "2026-01-05T00:00:00Z"),
                (None, "books", 1.0, "2026-01-05T00:00:00Z"),
                ("", "books", 1.0, "2026-01-05T00:00:00Z"),
                ("r-4", "books", -0.01, "2026-01-05T00:00:00Z"),
                ("r-5", None, 1.0, "not a time"),
            ],
        )
    )
    rules = {**logic.DROP_RULES, **logic.FAIL_RULES, **logic.WARN_RULES}

    assert violations(silver, rules) == [
        [],
        ["valid_id"],
        ["valid_id"],
        ["non_negative_amount"],
        ["known_category", "valid_event_time"],
    ]


def test_daily_summary_counts_and_sums_per_day_and_category(spark):
    silver = logic.clean(
        landing_rows(
            spark,
            [
                ("r-1", "books", 12.5, "2026-01-05T09:00:00Z"),
                ("r-2", "Books", 7.25, "2026-01-05T23:59:59Z"),
                ("r-3", "games", 10.0, "2026-01-06T00:00:00Z"),
                ("r-4", None, 5.0, "2026-01-06T01:00:00Z"),
            ],
        )
    )

    result = {
        (row.event_date.isoformat(), row.category): (row.record_count, row.total_amount)
        for row in logic.daily_summary(silver).collect()
    }

    assert result == {
        ("2026-01-05", "books"): (2, Decimal("19.75")),
        ("2026-01-06", "games"): (1, Decimal("10.00")),
        ("2026-01-06", "unknown"): (1, Decimal("5.00")),
    }
