"""Project tier: the examples of Databricks' AUTO CDC pages, pasted as the pages write them
(tests/auto_cdc_docs/: `from pyspark import pipelines as dp`, only table names adapted, and a
directory listing where the pages call dbutils), run with `local-pipeline run` in a rendered
project and give the pages' result tables, in Python and in SQL.

Pages: "The AUTO CDC APIs: Simplify change data capture with pipelines" (ldp/cdc),
create_auto_cdc_flow, AUTO CDC INTO and create_auto_cdc_from_snapshot_flow (ldp/developer/).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .test_project import sync, uv

# On the worker of multi_pipeline's project tests, whose synced project it adds its pipelines to.
pytestmark = [pytest.mark.project, pytest.mark.xdist_group("multi_pipeline")]

EXAMPLES = Path(__file__).parent / "auto_cdc_docs"

# The pages' "Step 1: Prepare sample data" (cdc_tutorial.users_cdf), run outside the pipelines.
SETUP = """
import sys
from lakeflow_tools.local_pipeline import runner
from lakeflow_tools.project import Project

spark = runner.connect(Project.find(), say=lambda _line: None)
spark.sql("CREATE SCHEMA IF NOT EXISTS cdc_tutorial")
for statement in sys.argv[1:]:
    spark.sql(statement)
"""
USERS = """
CREATE TABLE cdc_tutorial.users_cdf
AS SELECT col1 AS userId, col2 AS name, col3 AS city, col4 AS operation, col5 AS sequenceNum
FROM (
  VALUES
  (124, "Raul",     "Oaxaca",      "INSERT", 1),
  (123, "Isabel",   "Monterrey",   "INSERT", 1),
  (125, "Mercedes", "Tijuana",     "INSERT", 2),
  (126, "Lily",     "Cancun",      "INSERT", 2),
  (123, null,       null,          "DELETE", 6),
  (125, "Mercedes", "Guadalajara", "UPDATE", 6),
  (125, "Mercedes", "Mexicali",    "UPDATE", 5),
  (123, "Isabel",   "Chihuahua",   "UPDATE", 5)
  {truncate}
)
"""
TRUNCATE = ',(null, null, null, "TRUNCATE", 3)'

SCD1 = {(124, "Raul", "Oaxaca"), (125, "Mercedes", "Guadalajara"), (126, "Lily", "Cancun")}
SCD2 = {
    (123, "Isabel", "Monterrey", 1, 5),
    (123, "Isabel", "Chihuahua", 5, 6),
    (124, "Raul", "Oaxaca", 1, None),
    (125, "Mercedes", "Tijuana", 2, 5),
    (125, "Mercedes", "Mexicali", 5, 6),
    (125, "Mercedes", "Guadalajara", 6, None),
    (126, "Lily", "Cancun", 2, None),
}
CITY_UNTRACKED = {
    (123, "Isabel", "Chihuahua", 1, 6),
    (124, "Raul", "Oaxaca", 1, None),
    (125, "Mercedes", "Guadalajara", 2, None),
    (126, "Lily", "Cancun", 2, None),
}
SNAPSHOT_FILES = {  # after snapshot_2.csv; the function's versions are the files' numbers
    ("1", "Oaxaca", 1, 2),
    ("2", "Monterrey", 1, 2),
    ("2", "Carmel", 2, None),
    ("3", "Tijuana", 1, 2),
    ("3", "Los Angeles", 2, None),
    ("4", "Death Valley", 2, None),
}
FIRST_SNAPSHOT = {(1, "Oaxaca", 0, None), (2, "Monterrey", 0, None), (3, "Tijuana", 0, None)}
SECOND_SNAPSHOT = {
    (1, "Oaxaca", 0, 1),
    (2, "Monterrey", 0, 1),
    (2, "Carmel", 1, None),
    (3, "Tijuana", 0, 1),
    (3, "Los Angeles", 1, None),
    (4, "Death Valley", 1, None),
    (6, "Kings Canyon", 1, None),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A rendered project with the pages' examples as pipelines of its own, taken out again after."""
    root, _ = sync("multi_pipeline", tmp_path_factory)
    added = [*(EXAMPLES / "resources").iterdir(), EXAMPLES / "src" / "docs"]
    for path in added:
        target = root / path.relative_to(EXAMPLES)
        (shutil.copytree if path.is_dir() else shutil.copy)(path, target)
    yield root
    for path in added:
        target = root / path.relative_to(EXAMPLES)
        shutil.rmtree(target) if target.is_dir() else target.unlink()


_PREPARED: dict[Path, tuple[str, ...]] = {}


def prepare(project: Path, *statements: str) -> None:
    """The pages' sample data, set up again unless these statements were the last ones run (the
    pipelines only read it): six examples read the same change feed."""
    if _PREPARED.get(project) != statements:
        _PREPARED.pop(project, None)
        uv("run", "--no-sync", "python", "-c", SETUP, *statements, cwd=project)
        _PREPARED[project] = statements


def run(project: Path, pipeline: str, *options: str) -> str:
    return uv("run", "--no-sync", "local-pipeline", "run", pipeline, *options, cwd=project).stdout


def table(project: Path, name: str) -> set[tuple]:
    rows = pq.read_table(project / ".local-pipelines" / "warehouse" / name).to_pylist()
    return {tuple(row.values()) for row in rows}


@pytest.mark.parametrize(
    ("pipeline", "target", "expected"),
    [
        ("docs_scd1_python", "users_current", SCD1),
        ("docs_scd2_python", "users_history", SCD2),
        ("docs_history_python", "users_history_by_name", CITY_UNTRACKED),
        ("docs_scd1_sql", "users_current_sql", SCD1),
        ("docs_scd2_sql", "users_history_sql", SCD2),
        ("docs_history_sql", "users_history_by_name_sql", CITY_UNTRACKED),
    ],
)
def test_the_users_change_feed(project, pipeline, target, expected):
    prepare(project, "DROP TABLE IF EXISTS cdc_tutorial.users_cdf", USERS.format(truncate=""))

    output = run(project, pipeline, "--fresh")

    assert f"{pipeline}: COMPLETED" in output
    assert "__auto_cdc_" not in output  # the stand-in's own tables stay out of sight
    assert table(project, target) == expected


@pytest.mark.parametrize(
    ("pipeline", "target"), [("docs_scd1_python", "users_current"), ("docs_scd1_sql", "users_current_sql")]
)
def test_the_users_change_feed_with_its_truncate(project, pipeline, target):
    prepare(project, "DROP TABLE IF EXISTS cdc_tutorial.users_cdf", USERS.format(truncate=TRUNCATE))

    run(project, pipeline, "--fresh")

    assert table(project, target) == {(125, "Mercedes", "Guadalajara")}


def test_snapshots_from_a_function(project):
    run(project, "docs_snapshot_function", "--fresh")

    assert table(project, "target_versioned") == SNAPSHOT_FILES


def test_snapshots_of_a_table_one_per_run(project):
    prepare(
        project,
        "DROP TABLE IF EXISTS cdc_tutorial.snapshot",
        "CREATE TABLE cdc_tutorial.snapshot (userId INT, city STRING)",
        "INSERT INTO cdc_tutorial.snapshot VALUES (1, 'Oaxaca'), (2, 'Monterrey'), (3, 'Tijuana')",
    )
    run(project, "docs_snapshot_table", "--fresh")
    first = table(project, "target")

    prepare(
        project,
        "TRUNCATE TABLE cdc_tutorial.snapshot",
        "INSERT INTO cdc_tutorial.snapshot VALUES "
        "(2, 'Carmel'), (3, 'Los Angeles'), (4, 'Death Valley'), (6, 'Kings Canyon')",
    )
    run(project, "docs_snapshot_table")

    assert first == FIRST_SNAPSHOT
    assert table(project, "target") == SECOND_SNAPSHOT


def test_the_examples_are_the_pages_code_with_table_names_adapted():
    """What the examples import and call is what the pages show: Databricks' own module."""
    python = [path.read_text() for path in (EXAMPLES / "src").rglob("*.py")]

    assert len(python) == 5
    assert all("from pyspark import pipelines as dp" in text for text in python)
