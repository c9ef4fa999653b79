"""The template repository's own Python passes the same linters it asks of generated projects."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import OTHER_PROJECT_TESTS, PROJECT_ANSWER_SETS, TEMPLATE


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            *command,
            "--no-cache",
            "tests",
            "benchmarks",
            "hooks",
            "docs",
            "scripts",
            "tools",
        ],
        check=False,
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_template_ci_workflow_matches_the_schema():
    """The template's own GitHub workflow, against check-jsonschema's vendor.github-workflows."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
        ],
        check=False,
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_template_ci_workflow_passes_actionlint():
    actionlint = Path(sys.executable).parent / "actionlint"
    env = {**os.environ, "PATH": f"{actionlint.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(actionlint), "-no-color", ".github/workflows/ci.yml"],
        check=False,
        cwd=TEMPLATE,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_template_ci_pins_the_releases_the_projects_pin():
    """One release of uv, the Databricks CLI and Terraform: the template's CI (its workflow and
    .ci/run) installs the ones includes/versions.yml gives the rendered projects."""
    versions = {
        name: spec["default"] for name, spec in yaml.safe_load((TEMPLATE / "includes/versions.yml").read_text()).items()
    }
    workflow = yaml.safe_load((TEMPLATE / ".github/workflows/ci.yml").read_text())
    ci_run = (TEMPLATE / ".ci/run").read_text()

    assert workflow["env"] == {
        "UV_VERSION": versions["uv_version"],
        "DATABRICKS_CLI_VERSION": versions["databricks_cli_version"],
        "TERRAFORM_VERSION": versions["terraform_version"],
    }
    assert (
        f"databricks/setup-cli@v{versions['databricks_cli_version']}"
        in (TEMPLATE / ".github/workflows/ci.yml").read_text()
    )
    assert f'"uv=={versions["uv_version"]}"' in ci_run


def test_mypy():
    """The tooling, strictly, and the suite's shared helpers ([tool.mypy] in pyproject.toml)."""
    result = subprocess.run([sys.executable, "-m", "mypy"], check=False, cwd=TEMPLATE, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_runs_every_project_test():
    """A GitHub job per project of the project tier and one for the rest (`--project-group`, whose
    `other` takes whatever no project's group holds): no project test is left out."""
    project = yaml.safe_load((TEMPLATE / ".github/workflows/ci.yml").read_text())["jobs"]["project"]

    assert project["strategy"]["matrix"]["group"] == [*PROJECT_ANSWER_SETS, OTHER_PROJECT_TESTS]
    assert 'uv run pytest -m project --project-group "$GROUP"' in [step.get("run") for step in project["steps"]]


GROUPED = """
import os, pytest

@pytest.mark.parametrize("n", range(6))
@pytest.mark.xdist_group("one")
def test_grouped(n):
    with open("workers.txt", "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_xdist_groups_hold(tmp_path):
    """The suite's groups (a project's tests on the worker that synced it) hold with the pytest and
    pytest-xdist it runs: six tests of one group, two workers, one worker used."""
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout
    assert len((tmp_path / "workers.txt").read_text().split()) == 6
    assert len(set((tmp_path / "workers.txt").read_text().split())) == 1
