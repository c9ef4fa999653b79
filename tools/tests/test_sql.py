"""The portable SQL subset: parsed, rewritten for Apache Spark, run in batch."""

import pytest

from lakeflow_tools import cdc, sql

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


USERS_SCD1 = """
CREATE OR REFRESH STREAMING TABLE users_current;

CREATE FLOW apply_cdc AS AUTO CDC INTO
  users_current
FROM
  stream(main.cdc_tutorial.users_cdf)
KEYS
  (userId)
APPLY AS DELETE WHEN
  operation = "DELETE"
APPLY AS TRUNCATE WHEN
  operation = "TRUNCATE"
SEQUENCE BY
  sequenceNum
COLUMNS * EXCEPT
  (operation, sequenceNum)
STORED AS
  SCD TYPE 1;
"""


def test_auto_cdc_into_as_the_documentation_writes_it():
    """The SCD type 1 example of Databricks' AUTO CDC page: each clause on its own, a qualified
    source, the truncate condition not swallowed by the delete condition."""
    flow = sql.parse(USERS_SCD1).auto_cdc

    assert flow is not None
    assert (flow.name, flow.source, flow.sequence_by) == (
        "apply_cdc",
        "main.cdc_tutorial.users_cdf",
        "sequenceNum",
    )
    assert (flow.apply_as_deletes, flow.apply_as_truncates) == (
        'operation = "DELETE"',
        'operation = "TRUNCATE"',
    )
    assert flow.spec.keys == ("userId",)
    assert flow.spec.columns.names == ("operation", "sequenceNum")
    assert (flow.spec.scd_type, flow.spec.truncates) == (1, True)


def test_auto_cdc_clauses_of_scd_type_2():
    text = USERS_SCD1.replace('APPLY AS TRUNCATE WHEN\n  operation = "TRUNCATE"\n', "").replace(
        "SCD TYPE 1;", "SCD TYPE 2\nTRACK HISTORY ON * EXCEPT (city)"
    )
    text = text.replace("KEYS\n  (userId)\n", "KEYS\n  (userId)\nIGNORE NULL UPDATES ON (name, city)\n")
    spec = sql.parse(text).auto_cdc.spec

    assert (spec.scd_type, spec.track_history) == (2, cdc.Columns(("city",)))
    assert spec.ignore_null_updates == cdc.Columns(("name", "city"), all_but=False)


def test_the_local_form_keeps_the_changes_and_computes_the_target():
    statement = sql.portable(USERS_SCD1)

    changes, target = statement.split(";\n")
    assert changes.startswith("CREATE STREAMING TABLE __auto_cdc_users_current AS SELECT *, (sequenceNum) AS")
    assert changes.endswith("FROM STREAM(main.cdc_tutorial.users_cdf)")
    assert target.startswith("CREATE MATERIALIZED VIEW users_current AS WITH events AS")
    assert "FROM __auto_cdc_users_current" in target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("AUTO CDC INTO", "AUTO CDC ONCE INTO"), "AUTO CDC ONCE INTO users_current: a one-time flow"),
        (
            ("SCD TYPE 1;", "BITEMPORAL;"),
            "STORED AS takes SCD TYPE 1 or SCD TYPE 2 locally, got 'BITEMPORAL'",
        ),
        (
            ("SEQUENCE BY\n  sequenceNum", "SEQUENCE BY sequenceNum SYSTEM SEQUENCE BY ts"),
            "SYSTEM SEQUENCE BY",
        ),
        (("SCD TYPE 1;", "SCD TYPE 1 COLUMNS TO UPDATE cols;"), "COLUMNS TO UPDATE"),
        (("SEQUENCE BY\n  sequenceNum", ""), "SEQUENCE BY is required"),
        (("KEYS\n  (userId)", ""), "KEYS is required"),
        (("SCD TYPE 1;", "SCD TYPE 1 KEYS (x);"), "KEYS appears twice"),
        (
            ("STORED AS\n  SCD TYPE 1;", "STORED AS SCD TYPE 1 IGNORE NULL UPDATES;"),
            "IGNORE NULL UPDATES must come before STORED AS",
        ),
        (("SCD TYPE 1;", "SCD TYPE 1 TRACK HISTORY ON * EXCEPT (city);"), "need SCD type 2"),
        (
            ("SCD TYPE 1;", "SCD TYPE 2;"),
            "apply_as_truncates \\(APPLY AS TRUNCATE WHEN\\) is supported for SCD type 1",
        ),
        (("COLUMNS * EXCEPT\n  (operation, sequenceNum)", "COLUMNS operation"), "COLUMNS takes"),
        (
            ("COLUMNS * EXCEPT\n  (operation, sequenceNum)", "COLUMNS (name)"),
            "keys \\['userId'\\] must be among",
        ),
        (("INTO\n  users_current", "INTO\n  users"), "writes users, not the table users_current"),
    ],
)
def test_what_auto_cdc_into_cannot_do_locally_or_databricks_refuses_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        sql.parse(USERS_SCD1.replace(*change))


def test_batch_query_of_auto_cdc_reads_the_source_in_batch():
    query = sql.batch_query(sql.parse(USERS_SCD1))

    assert "FROM (SELECT *, (sequenceNum) AS `__auto_cdc_sequence`" in query
    assert "FROM main.cdc_tutorial.users_cdf)" in query
