"""A pipeline's graph, read without Spark: datasets, kinds and expectations, Python and SQL."""

import os
from pathlib import Path

import pytest

from lakeflow_tools import graph


def test_reads_python_datasets_and_their_expectations(project):
    datasets = graph.load(project, project.pipeline("orders"))

    assert {name: d.kind for name, d in datasets.items()} == {
        "orders_bronze": "streaming_table",
        "orders_silver": "streaming_table",
        "orders_gold": "materialized_view",
    }
    assert [(e.name, e.constraint, e.action) for e in datasets["orders_silver"].expectations] == [
        ("valid_id", "order_id IS NOT NULL", "drop"),
        ("known_time", "event_time IS NOT NULL", "fail"),
    ]
    assert datasets["orders_gold"].expectations == []


def test_reads_sql_datasets_and_their_constraints(project):
    datasets = graph.load(project, project.pipeline("refunds"))

    assert datasets["refunds_gold"].kind == "materialized_view"
    assert [(e.name, e.action) for e in datasets["refunds_gold"].expectations] == [
        ("positive_amount", "drop"),
        ("has_day", "fail"),
        ("small", "warn"),
    ]


def test_a_sql_file_outside_the_subset_is_named_with_its_path(project):
    path = project.root / "src/demo/refunds/transformations/refunds_gold.sql"
    path.write_text("SELECT 1;\n")

    with pytest.raises(ValueError, match=r"refunds_gold\.sql: not a dataset statement"):
        graph.load(project, project.pipeline("refunds"))


def test_query_functions_are_not_called(project):
    """Reading the graph needs no session: a query that would fail if called is fine."""
    path = project.root / "src/demo/orders/transformations/orders_bronze.py"
    path.write_text(
        path.read_text().replace("return spark", "raise RuntimeError('called')\n    return spark")
    )

    assert "orders_bronze" in graph.load(project, project.pipeline("orders"))


def test_datasets_in_the_order_data_flows(project):
    datasets = graph.load(project, project.pipeline("orders"))

    assert datasets["orders_silver"].reads == {"orders_bronze"}
    assert [d.name for d in graph.in_flow_order(datasets)] == [
        "orders_bronze",
        "orders_silver",
        "orders_gold",
    ]


def test_sql_reads_from_from_join_and_stream(project):
    datasets = graph.load(project, project.pipeline("refunds"))

    assert datasets["refunds_gold"].reads == {"refunds_silver", "orders_gold"}


def test_dependency_waves_and_cycles():
    assert graph.dependency_order(
        {"gold": {"silver"}, "silver": {"bronze"}, "bronze": set(), "x": {"elsewhere"}}
    ) == [
        ["bronze", "x"],
        ["silver"],
        ["gold"],
    ]
    with pytest.raises(ValueError, match=r"cycle: \['a', 'b'\]"):
        graph.dependency_order({"a": {"b"}, "b": {"a"}})


def test_each_dataset_knows_where_it_is_defined(project):
    python = graph.load(project, project.pipeline("orders"))["orders_silver"]
    sql_dataset = graph.load(project, project.pipeline("refunds"))["refunds_gold"]

    assert python.source[0].name == "orders_silver.py"
    assert sql_dataset.source == (project.root / "src/demo/refunds/transformations/refunds_gold.sql", 1)


def test_a_sql_file_named_relative_to_the_spec_folder_is_kept_absolute(project, monkeypatch, tmp_path):
    """pyspark registers SQL with its path relative to the spec's folder, its working directory
    while definitions load; a failure must still point at the file from anywhere."""
    spec_folder = tmp_path / "state"
    spec_folder.mkdir()
    path = project.root / "src/demo/refunds/transformations/refunds_gold.sql"
    monkeypatch.chdir(spec_folder)
    registry = graph.RecordingRegistry()

    registry.register_sql(path.read_text(), Path(os.path.relpath(path, spec_folder)))
    monkeypatch.chdir(tmp_path)

    assert registry.datasets()["refunds_gold"].source == (path.resolve(), 1)
