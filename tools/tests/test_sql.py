"""The portable SQL subset: parsed, rewritten for Apache Spark, run in batch."""

import pytest

from lakeflow_tools import sql

GOLD = (
    "-- a comment line\n"
    "CREATE OR REFRESH MATERIALIZED VIEW refunds_gold (\n"
    "  CONSTRAINT positive_amount EXPECT (amount > 0) ON VIOLATION DROP ROW,\n"
    "  CONSTRAINT has_day EXPECT (refund_date IS NOT NULL) ON VIOLATION FAIL UPDATE,\n"
    "  CONSTRAINT small EXPECT (amount < 1000)\n"
    ")\nCOMMENT 'Refunds per day, it''s gold'\n"
    "AS SELECT refund_date, amount FROM STREAM(refunds_silver);\n"
)


def test_parses_kind_name_rules_comment_and_sources():
    dataset = sql.parse(GOLD)

    assert (dataset.name, dataset.kind, dataset.comment) == (
        "refunds_gold",
        "materialized_view",
        "Refunds per day, it's gold",
    )
    assert [(e.name, e.action) for e in dataset.expectations] == [
        ("positive_amount", "drop"),
        ("has_day", "fail"),
        ("small", "warn"),
    ]
    assert dataset.sources == ["refunds_silver"]


def test_portable_form_applies_fail_rules_before_drop_rules():
    statement = sql.portable(GOLD)

    assert statement.startswith(
        "CREATE MATERIALIZED VIEW refunds_gold COMMENT 'Refunds per day, it\\'s gold' AS "
    )
    assert "OR REFRESH" not in statement
    assert "CONSTRAINT" not in statement
    fail = statement.index("raise_error('Expectation \\'has_day\\' failed (expect_or_fail)")
    assert fail < statement.index("WHERE coalesce((amount > 0), false)")


def test_batch_query_reads_streams_as_tables():
    query = sql.batch_query(sql.parse(GOLD), with_expectations=False)

    assert query == "SELECT refund_date, amount FROM refunds_silver"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1", "not a dataset statement of the portable subset"),
        (
            "CREATE MATERIALIZED VIEW g (CONSTRAINT c CHECK (x > 0)) AS SELECT 1",
            "g: a constraint is not `CONSTRAINT name EXPECT",
        ),
    ],
)
def test_what_does_not_fit_the_subset_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        sql.parse(text)
