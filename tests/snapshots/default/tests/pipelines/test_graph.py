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

# What each pipeline declares: its datasets and their kinds (a dataset you add goes here too),
# the dataset whose rules check the data.
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
    # The rules logic.py lists, each declared with its action: a rule added there is checked here.
    logic = importlib.import_module(f"lakeflow_project.{name}.logic")
    listed = {action: getattr(logic, f"{action.upper()}_RULES", {}) for action in ("drop", "fail", "warn")}
    assert {(e.name, e.action) for e in checked.expectations} == {
        (rule, action) for action, rules in listed.items() for rule in rules
    }
    declared = {(e.name, e.constraint) for e in checked.expectations}
    assert declared == {item for rules in listed.values() for item in rules.items()}
    assert [n for n, d in datasets.items() if d.expectations and n != CHECKED[name]] == []


def test_every_bundle_pipeline_has_code():
    assert PIPELINES, "resources/ defines no pipeline"
    for pipeline in PIPELINES.values():
        assert PROJECT.source_files(pipeline), f"{pipeline.name}: no files match {pipeline.libraries}"
