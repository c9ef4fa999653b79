"""End-to-end: each pipeline runs locally with `spark-pipelines` on its sample data, and its gold
table holds what the sample data says it must (computed independently, in expected.py).

Slow (a Spark start per run): `uv run pytest -m local_run`.
"""

import json
import shutil
import subprocess

import pyarrow.parquet as pq
import pytest

from tests import backend

backend.skip_module_unless_local("runs pipelines with spark-pipelines")

from lakeflow_tools.local_pipeline import runner  # noqa: E402
from lakeflow_tools.project import Project  # noqa: E402

from . import expected  # noqa: E402

pytestmark = pytest.mark.local_run

PROJECT = Project.find()
PIPELINES = list(PROJECT.pipelines())
LANDING = runner.landing_folder(PROJECT)


def gold_table(name: str) -> dict:
    """The gold materialized view as the last run left it (Parquet files, read without Spark)."""
    rows = pq.read_table(runner.warehouse_folder(PROJECT) / f"{name}_gold").to_pylist()
    return {
        (r["event_date"].isoformat(), r["category"]): (r["record_count"], r["total_amount"]) for r in rows
    }


def local_pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["local-pipeline", *args], cwd=PROJECT.root, capture_output=True, text=True)


@pytest.fixture(scope="module")
def fresh_run_of_all() -> subprocess.CompletedProcess:
    return local_pipeline("run", "--all", "--fresh")


def test_run_all_from_scratch(fresh_run_of_all):
    assert fresh_run_of_all.returncode == 0, fresh_run_of_all.stdout + fresh_run_of_all.stderr
    for name in PIPELINES:
        assert f"{name}: COMPLETED" in fresh_run_of_all.stdout
        assert f"{name}_gold" in fresh_run_of_all.stdout


@pytest.mark.parametrize("name", PIPELINES)
def test_gold_matches_the_sample_data(fresh_run_of_all, name):
    assert gold_table(name) == expected.gold(PROJECT.sample_data(name))


def test_second_run_adds_only_new_files(fresh_run_of_all):
    name = PIPELINES[0]
    landing = LANDING / name
    new = {"id": "late-1", "category": "Books", "amount": 4.5, "event_time": "2026-01-06T23:00:00Z"}
    (landing / "late-arrivals.json").write_text(json.dumps(new) + "\n")

    report = runner.run(PROJECT, name)

    assert report.ok, report.failure
    assert report.datasets[f"{name}_bronze"]["rows"] == len(expected.records(landing))
    silver_rules = report.datasets[f"{name}_silver"]["expectations"]
    assert {rule["input_rows"] for rule in silver_rules} == {1}  # only the new record was read
    assert gold_table(name) == expected.gold(landing)


def test_broken_fail_rule_stops_the_run_naming_it(fresh_run_of_all):
    name = PIPELINES[0]
    landing = LANDING / name
    bad = {"id": "bad-1", "category": "Books", "amount": 1.0, "event_time": "not a time"}
    (landing / "broken.json").write_text(json.dumps(bad) + "\n")
    try:
        result = local_pipeline("run", name)
    finally:
        (landing / "broken.json").unlink()

    assert result.returncode == 1
    assert f"{name}: FAILED at {name}_silver: expectation 'valid_event_time'" in result.stderr


def test_fresh_run_starts_from_nothing():
    name = PIPELINES[0]
    shutil.copy(PROJECT.sample_data(name) / f"{name}-0001.json", LANDING / name / "extra.json")

    report = runner.run(PROJECT, name, fresh=True)

    assert report.ok, report.failure
    assert not (LANDING / name / "extra.json").exists()
    assert gold_table(name) == expected.gold(PROJECT.sample_data(name))
