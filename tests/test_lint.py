"""Lint tier: the rendered code and configuration pass the project's own linters, and every bundle
file is valid for the official bundle schema and for databricks-bundles' typed classes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from databricks.bundles.jobs import Job
from databricks.bundles.pipelines import Pipeline
from databricks.bundles.schemas import Schema
from databricks.bundles.volumes import Volume

from . import bundle_schema
from .conftest import ANSWER_SETS, is_change_feed, is_snapshot, load_answers

SQL_ANSWER_SETS = [name for name in ANSWER_SETS if load_answers(name).get("pipeline_language") == "sql"]


def run(*command: str, cwd: Path) -> None:
    result = subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


def test_ruff_check(project):
    run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=project)


def test_ruff_format(project):
    run(sys.executable, "-m", "ruff", "format", "--check", "--no-cache", ".", cwd=project)


# Markdown structure (headings, lists, fences), not line length: the READMEs hold tables and
# commands wider than any sensible limit.
MARKDOWNLINT = (sys.executable, "-m", "pymarkdown", "--disable-rules", "md013", "scan")


def test_markdown_structure(project):
    run(*MARKDOWNLINT, "README.md", "AGENTS.md", cwd=project)


def test_markdown_check_catches_a_heading_without_a_blank_line(project, tmp_path):
    readme = (project / "README.md").read_text()
    broken = tmp_path / "README.md"
    broken.write_text(readme.replace("\n\n## ", "\n## ", 1))

    result = subprocess.run([*MARKDOWNLINT, str(broken)], check=False, capture_output=True, text=True)
    assert result.returncode == 1
    assert "MD022" in result.stdout


def test_yamllint(project):
    run(sys.executable, "-m", "yamllint", "--strict", ".", cwd=project)


@pytest.mark.parametrize("answer_set", SQL_ANSWER_SETS)
def test_sqlfluff(rendered, answer_set):
    """SQL pipelines pass sqlfluff with the project's own configuration (pyproject.toml)."""
    project = rendered(answer_set)
    files = sorted(project.rglob("*.sql"))

    answers = load_answers(answer_set)
    per_pipeline = {True: 4, False: 3}  # a change feed has its changes; a snapshot's silver is Python
    assert len(files) == sum(
        per_pipeline[is_change_feed(answers, name)] - is_snapshot(answers, name) for name in answers["pipelines"]
    )
    run(sys.executable, "-m", "sqlfluff", "lint", *map(str, files), cwd=project)


def bundle_files(project: Path) -> list[Path]:
    return [project / "databricks.yml", *sorted(project.glob("resources/*.yml"))]


def test_bundle_files_match_the_official_schema(project):
    problems = {
        path.name: found
        for path in bundle_files(project)
        if (found := bundle_schema.errors(yaml.safe_load(path.read_text())))
    }

    assert problems == {}


def test_schema_check_catches_mistakes(project, answers):
    """The schema check is not vacuous: a misspelt key or a wrong type in a real file is reported."""
    config = yaml.safe_load((project / "databricks.yml").read_text())
    config["bundle"]["nmae"] = "typo"
    name = answers["pipelines"][0]
    resource = yaml.safe_load((project / f"resources/{name}.pipeline.yml").read_text())
    resource["resources"]["pipelines"][name]["serverless"] = {"enabled": True}

    assert [error.split(":")[0] for error in bundle_schema.errors(config)] == ["bundle"]
    assert [error.split(":")[0] for error in bundle_schema.errors(resource)] == [
        f"resources.pipelines.{name}.serverless"
    ]


def test_pipelines_round_trip_through_typed_resources(project, answers):
    """databricks-bundles knows every field we write, with the type we write it in."""
    specs = {}
    for path in project.glob("resources/*.pipeline.yml"):
        specs.update(yaml.safe_load(path.read_text())["resources"]["pipelines"])

    assert sorted(specs) == sorted(answers["pipelines"])
    for spec in specs.values():
        assert Pipeline.from_dict(spec).as_dict() == spec


def test_jobs_round_trip_through_typed_resources(project):
    specs = {}
    for path in project.glob("resources/*.job.yml"):
        specs.update(yaml.safe_load(path.read_text())["resources"]["jobs"])

    for spec in specs.values():
        assert Job.from_dict(spec).as_dict() == spec


def test_schema_and_volume_round_trip_through_typed_resources(project):
    resources = yaml.safe_load((project / "resources/schema.yml").read_text())["resources"]

    assert len(resources["schemas"]) == 1
    assert list(resources["volumes"]) == ["landing"]
    for kind, specs in ((Schema, resources["schemas"]), (Volume, resources["volumes"])):
        for spec in specs.values():
            assert kind.from_dict(spec).as_dict() == spec


def test_typed_resources_reject_unknown_fields():
    with pytest.raises(ValueError, match="nmae"):
        Pipeline.from_dict({"nmae": "typo"})
