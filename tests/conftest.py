"""Shared helpers and fixtures: the template and its questions, its canonical answer sets and their
renders (one per session), and the one way every tier copies, reads and commits a tree."""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path

import pytest
import yaml
from copier import run_copy
from copier._main import Worker  # internal: no public call runs only the questions (answered)

TEMPLATE = Path(__file__).resolve().parents[1]
ANSWERS = Path(__file__).parent / "answers"
ANSWER_SETS = sorted(path.stem for path in ANSWERS.glob("*.yml"))
# The projects the project tier syncs and tests (aws_classic: no integration tests; multi_pipeline:
# a pipeline of every source kind; sql_pipelines: the same pipelines, in SQL). Each one's tests
# form an xdist group of that name, and a job of the template's GitHub workflow.
PROJECT_ANSWER_SETS = ["default", "multi_pipeline", "aws_classic", "sql_pipelines"]
OTHER_PROJECT_TESTS = "other"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--project-group",
        choices=[*PROJECT_ANSWER_SETS, OTHER_PROJECT_TESTS],
        help=f"only the tests of one group: an answer set of {PROJECT_ANSWER_SETS} (its xdist_group), "
        f"or {OTHER_PROJECT_TESTS!r} for those of none of them (CI runs the project tier a group per job)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The project tier first: it holds the longest tests, which two workers should start early and
    # the fast tiers' many short ones fill in after (pytest-xdist hands out groups with the most
    # tests first, then single tests in this order).
    items.sort(key=lambda item: item.get_closest_marker("project") is None)
    wanted = config.getoption("--project-group")
    if wanted is None:
        return

    def group(item: pytest.Item) -> str:
        marker = item.get_closest_marker("xdist_group")
        name = marker.args[0] if marker else None
        return name if name in PROJECT_ANSWER_SETS else OTHER_PROJECT_TESTS

    config.hook.pytest_deselected(items=[item for item in items if group(item) != wanted])
    items[:] = [item for item in items if group(item) == wanted]


def copier_settings() -> dict:
    """copier.yml's first document: the settings and the questions (versions and derived values
    are documents of their own, after it). A copy of each caller's own."""
    return deepcopy(_copier_settings())


@functools.cache
def _copier_settings() -> dict:
    return next(yaml.safe_load_all((TEMPLATE / "copier.yml").read_text()))


def questions() -> dict[str, dict]:
    return {name: spec for name, spec in copier_settings().items() if not name.startswith("_")}


def load_answers(name: str) -> dict:
    return yaml.safe_load((ANSWERS / f"{name}.yml").read_text()) or {}


def source_of(answers: dict, pipeline: str) -> str:
    """A pipeline's source as the template reads it: JSON files when pipeline_sources leaves it out."""
    return answers.get("pipeline_sources", {}).get(pipeline, "json")


def is_change_feed(answers: dict, pipeline: str) -> bool:
    return source_of(answers, pipeline) in ("cdc_scd1", "cdc_scd2")


def is_snapshot(answers: dict, pipeline: str) -> bool:
    return source_of(answers, pipeline) == "cdc_snapshot"


def repository_files() -> list[str]:
    """This repository's files as Git sees them, relative: tracked ones (uncommitted changes
    included) and new ones not ignored."""
    names = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    return [name for name in names if name and (TEMPLATE / name).is_file()]


@functools.cache
def working_tree() -> Path:
    """The template's working tree (what `--vcs-ref HEAD` renders: tracked files and new ones not
    ignored, uncommitted changes included) as a plain folder, copied once per process. Copier
    renders a plain folder as it is, where it clones a Git one for every copy (most of a copy's
    time); a project that `copier update` must reach later needs the Git source instead."""
    tree_copy = Path(tempfile.mkdtemp(prefix="copier-lakeflow-"))
    atexit.register(shutil.rmtree, tree_copy, ignore_errors=True)
    for name in repository_files():
        (tree_copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / name, tree_copy / name)
    return tree_copy


def copy(
    destination: Path, answers: dict | None = None, *, source: Path | None = None, vcs_ref: str | None = None, **kwargs
):
    """`copier copy --defaults` of the template; returns Copier's worker, whose answers tests can
    read. By default the working tree as a plain folder; with `source` or `vcs_ref`, from Git
    (a project to update later: `vcs_ref="HEAD"`)."""
    if source is None and vcs_ref is None:
        source = working_tree()
    else:
        source, vcs_ref = source or TEMPLATE, vcs_ref or "HEAD"
    return run_copy(
        str(source), str(destination), data=answers or {}, defaults=True, vcs_ref=vcs_ref, quiet=True, **kwargs
    )


def answered(answers: dict) -> dict:
    """The answers `copier copy --defaults` of the working tree settles on for these (raising what
    a copy raises for a bad one), from the questions alone: a copy renders every file after them,
    three quarters of its time, which tests of the questions do not read. Copier has no public call
    for it; `Worker._ask` is the first step of its `run_copy`."""
    with Worker(
        src_path=str(working_tree()), dst_path=Path("never-written"), data=answers, defaults=True, quiet=True
    ) as worker:
        worker._ask()
        return dict(worker.answers.combined)


def render(destination: Path, answers: dict | None = None, **kwargs) -> Path:
    copy(destination, answers, **kwargs)
    return destination


# Lines of .copier-answers.yml that change with every checkout and commit, not with the template.
VOLATILE = re.compile(r"^(_commit|_src_path): .*\n", re.MULTILINE)


def tree(root: Path) -> dict[str, str]:
    """Every file of a rendered tree (.git aside) by relative path, as text (a binary file, such
    as a Parquet sample, as its size and digest), the answers file without its volatile lines."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            text = contents(path)
            found[path.relative_to(root).as_posix()] = (
                VOLATILE.sub("", text) if path.name == ".copier-answers.yml" else text
            )
    return found


def contents(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode()
    except UnicodeDecodeError:
        return f"<binary: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}>\n"


def outside_env(*names: str) -> dict[str, str]:
    """This process's environment as a user's shell has it, for a rendered project's commands:
    without this repository's virtual environment (and without `names`), and writing bytecode. A
    machine that sets PYTHONDONTWRITEBYTECODE would make every process of a project compile its
    imports again: importing pyspark and the tooling takes 4.3 s so, and 2.0 s once compiled."""
    dropped = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONDONTWRITEBYTECODE", *names}
    return {name: value for name, value in os.environ.items() if name not in dropped}


# Who commits and tags in the tests, whatever the machine's git configuration.
GIT_IDENTITY = {
    f"GIT_{role}_{field}": value
    for role in ("AUTHOR", "COMMITTER")
    for field, value in (("NAME", "Team"), ("EMAIL", "team@example.com"))
}


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.fixture(scope="session")
def rendered(copie_session) -> Callable[[str], Path]:
    """Render an answer set of tests/answers/ once per session, with pytest-copie."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            result = copie_session.copy(extra_answers=load_answers(name))
            if result.exception is not None:
                raise result.exception
            cache[name] = result.project_dir
        return cache[name]

    return get


@pytest.fixture(params=ANSWER_SETS)
def answer_set(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def project(rendered, answer_set) -> Path:
    return rendered(answer_set)


@pytest.fixture
def answers(project: Path) -> dict:
    """The answers the project was rendered with, as Copier recorded them."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text())
