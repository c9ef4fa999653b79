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


@pytest.mark.parametrize("name", PIPELINES)
def test_declares_bronze_silver_gold(name):
    datasets = graph.load(PROJECT, PIPELINES[name])

    assert {n: d.kind for n, d in datasets.items()} == {
        f"{name}_bronze": "streaming_table",
        f"{name}_silver": "streaming_table",
        f"{name}_gold": "materialized_view",
    }


@pytest.mark.parametrize("name", PIPELINES)
def test_silver_enforces_the_rules(name):
    datasets = graph.load(PROJECT, PIPELINES[name])

    declared = {(e.name, e.action) for e in datasets[f"{name}_silver"].expectations}
    logic = importlib.import_module(f"lakeflow_project.{name}.logic")
    declared_constraints = {(e.name, e.constraint) for e in datasets[f"{name}_silver"].expectations}

    assert declared_constraints == set({**logic.DROP_RULES, **logic.FAIL_RULES, **logic.WARN_RULES}.items())
    assert declared == {
        ("valid_id", "drop"),
        ("non_negative_amount", "drop"),
        ("valid_event_time", "fail"),
        ("known_category", "warn"),
    }
    assert datasets[f"{name}_bronze"].expectations == []
    assert datasets[f"{name}_gold"].expectations == []


def test_every_bundle_pipeline_has_code():
    assert PIPELINES, "resources/ defines no pipeline"
    for pipeline in PIPELINES.values():
        assert PROJECT.source_files(pipeline), f"{pipeline.name}: no files match {pipeline.libraries}"
