"""Project tier: the ways AGENTS.md and docs/add-a-pipeline.md tell a team to extend a project,
followed on rendered projects as written (add a rule, add a dataset, add a pipeline with
`copier update`, change a pipeline's source), each ending with the project's tests green."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import TEMPLATE, git
from .test_project import WITHOUT_KILLED_SPARK, only_python_3_11, uv
from .test_update import assert_clean_merge, commit_all, generate, update

pytestmark = pytest.mark.project


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer has {old!r}: the steps in AGENTS.md need a look"
    path.write_text(text.replace(old, new, 1))


def agents_steps(project: Path) -> str:
    section = (project / "AGENTS.md").read_text().split("## Extend a pipeline")[1].split("\n## ")[0]
    return " ".join(section.split())


def green(project: Path, *, local_runs: bool) -> None:
    """The end of every path: `uv run pytest && uv run pytest -m local_run`, as AGENTS.md says,
    but for the local-run test that kills local Spark (WITHOUT_KILLED_SPARK): no change of a
    team's reaches it."""
    uv("run", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    if local_runs:
        uv("run", "pytest", "-q", "-m", "local_run", *WITHOUT_KILLED_SPARK, cwd=project)


@pytest.fixture(autouse=True)
def spark_stopped_after(tmp_path):
    """The project's warm local Spark stays up from one green to the next, through the updates and
    syncs between them, as a team's does; stopped at the end."""
    yield
    if (tmp_path / "project" / ".venv").is_dir():  # synced: its tests may have started it
        uv("run", "--no-sync", "local-pipeline", "stop", cwd=tmp_path / "project")


def synced(project: Path, tmp: Path) -> None:
    import subprocess

    result = subprocess.run(
        ["uv", "sync"], cwd=project, env=only_python_3_11(tmp), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_python_rule_dataset_pipeline_and_source_as_the_docs_say(tmp_path):
    project = generate(tmp_path / "project", {"pipelines": ["orders"], "python_version": "3.11"}, "HEAD")
    synced(project, tmp_path / "pythons")
    steps = agents_steps(project)
    package = project / "src/lakeflow_project/orders"

    # Add a rule: an entry in WARN_RULES of logic.py; nothing else.
    assert "`WARN_RULES` of `src/lakeflow_project/<pipeline>/logic.py`" in steps
    edit(package / "logic.py", "WARN_RULES = {\n", 'WARN_RULES = {\n    "short_id": "length(id) <= 40",\n')
    assert "`test_rules_flag_exactly_the_invalid_rows`" in steps  # the row without an id breaks it too
    edit(project / "tests/unit/test_orders_logic.py", '        ["valid_id"],\n', '        ["short_id", "valid_id"],\n')
    # Add a dataset: the logic and its unit test, the transformation file, its line in DATASETS.
    assert "`tests/unit/test_<pipeline>_logic.py`" in steps and "`DATASETS` of `tests/pipelines/test_graph.py`" in steps
    logic = package / "logic.py"
    logic.write_text(
        logic.read_text()
        + '\n\ndef category_totals(gold: DataFrame) -> DataFrame:\n    """Amounts per category, all days."""\n'
        + '    return gold.groupBy("category").agg(F.sum("total_amount").alias("total_amount"))\n'
    )
    unit = project / "tests/unit/test_orders_logic.py"
    unit.write_text(
        unit.read_text()
        + "\n\ndef test_category_totals(spark):\n"
        + '    gold = spark.createDataFrame([("books", 1.0), ("books", 2.0)], "category STRING, total_amount DOUBLE")\n'
        + '    assert logic.category_totals(gold).collect()[0]["total_amount"] == 3.0\n'
    )
    (package / "transformations/orders_by_category.py").write_text(
        '"""Orders per category, all days."""\n\n'
        "from pyspark.sql import DataFrame, SparkSession\n\n"
        "from lakeflow_project import pipelines as dp\n"
        "from lakeflow_project.orders import logic\n\n"
        "spark: SparkSession\n\n\n"
        '@dp.materialized_view(comment="Orders per category.")\n'
        "def orders_by_category() -> DataFrame:\n"
        '    return logic.category_totals(spark.read.table("orders_gold"))\n'
    )
    edit(
        project / "tests/pipelines/test_graph.py",
        '"orders_gold": "materialized_view",\n',
        '"orders_gold": "materialized_view",\n        "orders_by_category": "materialized_view",\n',
    )
    uv("run", "ruff", "check", ".", cwd=project)
    green(project, local_runs=False)
    commit_all(project, "A rule and a dataset")

    # Add a pipeline, then change a source: docs/add-a-pipeline.md's update, then uv sync.
    documented = (TEMPLATE / "docs/add-a-pipeline.md").read_text()
    assert "--data 'pipeline_sources={customers: cdc_scd2}'" in documented
    # No green here: the next one runs customers' tests, and orders' ran (as JSON) above.
    update(project, pipelines=["orders", "customers"], pipeline_sources={"customers": "cdc_scd2"})
    assert_clean_merge(project)
    commit_all(project, "Add customers")

    update(project, pipelines=["orders", "customers"], pipeline_sources={"orders": "csv", "customers": "cdc_scd2"})
    assert_clean_merge(project)
    synced(project, tmp_path / "pythons")
    green(project, local_runs=True)
    assert re.search(r"short_id", logic.read_text()) and "def category_totals" in logic.read_text()
    assert git(project, "status", "--porcelain")  # the update changed files; the team's stayed


def test_sql_rule_and_dataset_as_agents_md_says(tmp_path):
    answers = {"pipelines": ["orders"], "pipeline_language": "sql", "python_version": "3.11"}
    project = generate(tmp_path / "project", answers, "HEAD")
    synced(project, tmp_path / "pythons")
    steps = agents_steps(project)
    silver = project / "src/lakeflow_project/orders/transformations/orders_silver.sql"

    assert "`RULES` of `tests/pipelines/test_graph.py`" in steps
    edit(
        silver,
        "    CONSTRAINT known_category",
        "    CONSTRAINT short_id EXPECT (length(id) <= 40),\n    CONSTRAINT known_category",
    )
    edit(
        project / "tests/pipelines/test_graph.py",
        '("known_category", "warn"),\n',
        '("known_category", "warn"),\n        ("short_id", "warn"),\n',
    )
    assert "`tests/unit/test_<pipeline>_sql.py`" in steps
    edit(
        project / "tests/unit/test_orders_sql.py",
        '        ("known_category", "warn"),\n',
        '        ("short_id", "warn"),\n        ("known_category", "warn"),\n',
    )
    assert "`DATASETS` of `tests/pipelines/test_graph.py`" in steps
    (silver.parent / "orders_by_category.sql").write_text(
        "CREATE OR REFRESH MATERIALIZED VIEW orders_by_category\n"
        "AS SELECT category, sum(total_amount) AS total_amount FROM orders_gold GROUP BY category;\n"
    )
    edit(
        project / "tests/pipelines/test_graph.py",
        '"orders_gold": "materialized_view",\n',
        '"orders_gold": "materialized_view",\n        "orders_by_category": "materialized_view",\n',
    )
    green(project, local_runs=True)
