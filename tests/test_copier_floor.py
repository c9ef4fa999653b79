"""The oldest Copier the template declares (`_min_copier_version`) renders every answer set exactly
as the pinned Copier does, and the release before it stops with Copier's own version message,
writing nothing. Each release comes from PyPI into a throwaway environment (uv), once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ANSWER_SETS, TEMPLATE, copier_settings, load_answers, tree, working_tree

FLOOR = copier_settings()["_min_copier_version"]
# One worker installs the floor release and renders every answer set with it, once.
pytestmark = pytest.mark.xdist_group("copier_floor")

# Renders each answer set given as JSON on the command line into the folder given, in one process.
RENDER_ALL = """
import json, sys
from copier import run_copy
template, destination, answer_sets = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for name, answers in answer_sets.items():
    run_copy(template, f"{destination}/{name}", data=answers, defaults=True, quiet=True)
"""


def copier_release(directory: Path, requirement: str) -> tuple[Path, str]:
    """A virtual environment holding the newest Copier release that meets `requirement`: its
    Python and the version installed."""
    uv = shutil.which("uv")
    assert uv, "uv installs the Copier releases of these tests"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(directory)], check=True)
    python = directory / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), requirement], check=True)
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('copier'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, version


@pytest.fixture(scope="module")
def floor_renders(tmp_path_factory) -> Path:
    python, version = copier_release(tmp_path_factory.mktemp("floor-copier"), f"copier=={FLOOR}")
    assert version == FLOOR
    # A plain folder: Copier 9.19.0 clones a Git template with `git checkout --end-of-options`,
    # which Git 2.39 rejects (9.19.1 fixed that); the working tree needs no clone.
    template = working_tree()
    renders = tmp_path_factory.mktemp("floor-renders")
    answer_sets = json.dumps({name: load_answers(name) for name in ANSWER_SETS})
    subprocess.run([python, "-c", RENDER_ALL, str(template), str(renders), answer_sets], check=True)
    return renders


@pytest.mark.parametrize("name", ANSWER_SETS)
def test_the_floor_release_renders_what_the_pinned_one_renders(floor_renders, rendered, name):
    assert tree(floor_renders / name) == tree(rendered(name))


def test_the_release_before_the_floor_stops_with_the_version_message(tmp_path):
    python, version = copier_release(tmp_path / "copier", f"copier<{FLOOR}")
    destination = tmp_path / "project"

    result = subprocess.run(
        [python, "-m", "copier", "copy", "--defaults", "--vcs-ref", "HEAD", str(TEMPLATE), str(destination)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().endswith(
        f"This template requires Copier version >= {FLOOR}, while your version of Copier is {version}."
    ), result.stderr
    assert not destination.exists()
