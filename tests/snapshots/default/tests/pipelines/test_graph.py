"""Graph tests, no Spark needed: every pipeline declares the datasets and expectations it
promises. Reads the transformation files the way `spark-pipelines` does."""

import importlib

import pytest

from tests import backend

backend.skip_module_unless_local("reads the graph with pyspark.pipelines")

from lakeflow_tools import graph  # noqa: E402
from lakeflow_tools.project import Project  # noqa: E402

PROJECT = Project.find()
PIPELINES = PROJECT.pipelines()

# What each pipeline declares: its datasets and their kinds, the dataset whose rules check the
# data, and those rules.
DATASETS = {
    "orders": {
        "orders_bronze": "streaming_table",
        "orders_silver": "streaming_table",
        "orders_gold": "materialized_view",
    },
}
CHECKED = {
    "orders": "orders_silver",
}
RULES = {
    "files": {
        ("valid_id", "drop"),
        ("non_negative_amount", "drop"),
        ("valid_event_time", "fail"),
        ("known_category", "warn"),
    },
    "changes": {
        ("valid_id", "drop"),
        ("known_change_type", "drop"),
        ("valid_sequence", "fail"),
        ("known_tier", "warn"),
    },
    "snapshots": set(),  # the snapshot reader leaves rows without an id out (logic.snapshot)
}
KIND = {
    "orders": "files",
}


@pytest.mark.parametrize("name", PIPELINES)
def test_declares_its_datasets(name):
    datasets = graph.load(PROJECT, PIPELINES[name])

    assert {n: d.kind for n, d in datasets.items()} == DATASETS[name]


@pytest.mark.parametrize("name", PIPELINES)
def test_enforces_the_rules(name):
    datasets = graph.load(PROJECT, PIPELINES[name])
    checked = datasets[CHECKED[name]]

    assert {(e.name, e.action) for e in checked.expectations} == RULES[KIND[name]]
    logic = importlib.import_module(f"lakeflow_project.{name}.logic")
    declared = {(e.name, e.constraint) for e in checked.expectations}
    rules = [getattr(logic, f"{action}_RULES", {}) for action in ("DROP", "FAIL", "WARN")]
    assert declared == {rule for found in rules for rule in found.items()}
    assert [n for n, d in datasets.items() if d.expectations and n != CHECKED[name]] == []


def test_every_bundle_pipeline_has_code():
    assert PIPELINES, "resources/ defines no pipeline"
    for pipeline in PIPELINES.values():
        assert PROJECT.source_files(pipeline), f"{pipeline.name}: no files match {pipeline.libraries}"
