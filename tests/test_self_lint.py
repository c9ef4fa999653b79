"""The template repository's own Python passes the same linters it asks of generated projects."""

import subprocess
import sys

import pytest

from .conftest import TEMPLATE


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "tests", "benchmarks", "hooks", "docs"],
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
