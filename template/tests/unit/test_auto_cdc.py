"""The local AUTO CDC stand-in computes what Databricks' AUTO CDC keeps, on the cases its
documentation and Apache Spark's implementation spell out: events in any order, deletes that stay
deleted, re-inserts, equal sequences, repeated values, and NULL sequences.

Each case is a change feed (id, seq, op, name, at) and the table it must leave, written by hand.
"""

import pytest
from pyspark.errors import PySparkException

from lakeflow_tools import cdc

SCHEMA = "id STRING, seq BIGINT, op STRING, name STRING, at STRING"


def apply(spark, events, scd_type, **options):
    feed = spark.createDataFrame(events, SCHEMA)
    query = cdc.scd_query(["id"], "seq", "op = 'D'", ["op", "seq"], scd_type, **options)
    rows = spark.sql(query, source=feed).collect()
    if scd_type == 1:
        return {(r.id, r.name) for r in rows}
    return {(r["id"], r["name"], r["__START_AT"], r["__END_AT"]) for r in rows}


def test_type_1_keeps_the_highest_sequence_whatever_the_arrival_order(spark):
    events = [("1", 1, "U", "alice", "t1"), ("1", 3, "U", "bob", "t3"), ("1", 2, "U", "carol", "t2")]

    assert apply(spark, events, 1) == {("1", "bob")}


def test_type_1_a_delete_is_remembered_against_older_updates(spark):
    events = [("1", 1, "U", "dan", "t1"), ("1", 5, "D", None, "t5"), ("1", 4, "U", "ghost", "t4")]

    assert apply(spark, events, 1) == set()


def test_type_1_a_newer_insert_brings_a_deleted_key_back(spark):
    events = [("1", 1, "U", "eve", "t1"), ("1", 3, "D", None, "t3"), ("1", 4, "U", "eva", "t4")]

    assert apply(spark, events, 1) == {("1", "eva")}


def test_type_1_at_an_equal_sequence_the_upsert_wins(spark):
    events = [("1", 1, "U", "x", "t1"), ("1", 1, "D", None, "t1")]

    assert apply(spark, events, 1) == {("1", "x")}


def test_type_2_each_change_opens_a_version_where_its_sequence_puts_it(spark):
    events = [("1", 1, "U", "alice", "t1"), ("1", 3, "U", "bob", "t3"), ("1", 2, "U", "carol", "t2")]

    assert apply(spark, events, 2) == {("1", "alice", 1, 2), ("1", "carol", 2, 3), ("1", "bob", 3, None)}


def test_type_2_a_delete_closes_the_version_and_opens_none(spark):
    events = [("1", 1, "U", "dan", "t1"), ("1", 5, "D", None, "t5"), ("1", 4, "U", "ghost", "t4")]

    assert apply(spark, events, 2) == {("1", "dan", 1, 4), ("1", "ghost", 4, 5)}


def test_type_2_a_late_delete_leaves_a_gap(spark):
    events = [("1", 10, "U", "a", "t1"), ("1", 30, "U", "b", "t3"), ("1", 20, "D", None, "t2")]

    assert apply(spark, events, 2) == {("1", "a", 10, 20), ("1", "b", 30, None)}


def test_type_2_repeated_values_open_no_version(spark):
    events = [
        ("1", 1, "U", "eve", "t"),
        ("1", 2, "U", "eve", "t"),
        ("1", 3, "D", None, "t"),
        ("1", 4, "U", "eva", "t"),
    ]

    assert apply(spark, events, 2) == {("1", "eve", 1, 3), ("1", "eva", 4, None)}


def test_type_2_untracked_columns_do_not_make_history_but_keep_the_latest_value(spark):
    feed = spark.createDataFrame([("1", 1, "U", "eve", "t1"), ("1", 2, "U", "eve", "t2")], SCHEMA)
    query = cdc.scd_query(["id"], "seq", "op = 'D'", ["op", "seq"], 2, track_history_except=["at"])

    rows = spark.sql(query, source=feed).collect()

    assert [(r["name"], r["at"], r["__START_AT"], r["__END_AT"]) for r in rows] == [("eve", "t2", 1, None)]


def test_type_2_at_an_equal_sequence_the_delete_wins(spark):
    events = [("1", 1, "U", "x", "t1"), ("1", 1, "D", None, "t1")]

    assert apply(spark, events, 2) == set()


def test_type_2_columns_follow_the_sequence_type(spark):
    feed = spark.createDataFrame([("1", 1, "U", "x", "t1")], SCHEMA)
    types = dict(spark.sql(cdc.scd_query(["id"], "seq", "op = 'D'", ["op", "seq"], 2), source=feed).dtypes)

    assert (types["__START_AT"], types["__END_AT"]) == ("bigint", "bigint")
    assert "op" not in types
    assert "seq" not in types


@pytest.mark.parametrize("scd_type", [1, 2])
def test_a_null_sequence_is_an_error_as_on_databricks(spark, scd_type):
    with pytest.raises(PySparkException, match="NULL_SEQUENCE"):
        apply(spark, [("1", None, "U", "x", "t1")], scd_type)
