"""Project tier: rendered projects set themselves up and pass their own lint and tests.

Each project syncs as on a machine with Python 3.11 alone and no Python downloads, whatever its
answers (python_version defaults to 3.12, the serverless environment's).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from . import ci_files
from .conftest import PROJECT_ANSWER_SETS, is_change_feed, is_snapshot, load_answers, outside_env, render

pytestmark = pytest.mark.project


def answer_sets(*names: str) -> list:
    """Under pytest-xdist (`--dist loadgroup`) the tests of one project run on one worker, which
    syncs it once; different projects run side by side."""
    return [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in names]


_SYNCED: dict[str, tuple[Path, dict]] = {}

# The local-run test that kills local Spark to see it replaced: a JVM restart (about 20 s), the same
# whatever the pipelines' language or a team's changes; multi_pipeline's local runs keep it.
WITHOUT_KILLED_SPARK = ("-k", "not killed_server")


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["uv", *args], check=False, cwd=cwd, env=outside_env(), capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"uv {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def only_python_3_11(tmp: Path) -> dict[str, str]:
    """This machine as one with Python 3.11 alone, offline: PATH holds uv, Java, git and the
    system's directories (not pyenv's other Pythons), no managed Pythons, no downloads."""
    tools = [os.path.dirname(found) for tool in ("uv", "java", "git") if (found := shutil.which(tool))]
    return outside_env("UV_PYTHON") | {
        "PATH": os.pathsep.join(dict.fromkeys([*tools, "/usr/bin", "/bin"])),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON_INSTALL_DIR": str(tmp),
    }


def sync(answer_set: str, tmp_path_factory) -> tuple[Path, dict]:
    """A rendered project with its environment, once per answer set and session: `uv sync` as
    the README says, on Python 3.11 alone."""
    if answer_set not in _SYNCED:
        answers = load_answers(answer_set)
        project = render(tmp_path_factory.mktemp(answer_set) / "project", answers)
        env = only_python_3_11(tmp_path_factory.mktemp("no-managed-pythons"))
        result = subprocess.run(
            ["uv", "sync"], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"uv sync failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        assert "version_info = 3.11." in (project / ".venv/pyvenv.cfg").read_text()
        _SYNCED[answer_set] = project, answers
    return _SYNCED[answer_set]


@pytest.fixture(scope="module", params=answer_sets(*PROJECT_ANSWER_SETS))
def synced(request, tmp_path_factory) -> tuple[Path, dict]:
    return sync(request.param, tmp_path_factory)


@pytest.fixture(scope="session", autouse=True)
def no_spark_left_behind():
    """The rendered projects' warm local Spark (their tests start it): stopped at the end."""
    yield
    for project, _ in _SYNCED.values():
        subprocess.run(
            ["uv", "run", "--no-sync", "local-pipeline", "stop"], cwd=project, capture_output=True, check=False
        )


def test_lint_and_unit_tests_pass_as_ci_runs_them(synced):
    """Lint, then the unit tests on local Spark: with Azure DevOps, the CI job that does both runs
    here as written (its uv, lint and test scripts, templates expanded) and leaves the JUnit and
    coverage files it publishes; without, the same commands. One Spark run per project."""
    project, answers = synced
    env = outside_env()
    job = next((job for job in ci_files.ado_jobs(project) if job.name == "checks.unit_tests"), None)
    if job:
        scripts = [script for script in ci_files.scripts([job]) if "pip install" not in script]  # uv is here
        assert len(scripts) == 3  # uv sync, lint, unit tests
        published = [step["inputs"] for step in job.steps if step.get("task", "").startswith("Publish")]
        files = [inputs.get("testResultsFiles") or inputs["summaryFileLocation"] for inputs in published]
        assert files == ["test-results.xml", "coverage.xml"]
    else:
        lint = "uv run ruff check . && uv run ruff format --check . && uv run yamllint --strict ."
        scripts, files = [lint, "uv run pytest --junitxml=test-results.xml"], ["test-results.xml"]
    for script in scripts:
        result = subprocess.run(
            ["bash", "-c", script], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"{script}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert all((project / name).stat().st_size > 0 for name in files)

    suite = ET.parse(project / "test-results.xml").getroot().find("testsuite")
    cases = [case.get("classname") for case in suite.iter("testcase")]
    assert int(suite.get("skipped")) == 0
    assert int(suite.get("failures")) == int(suite.get("errors")) == 0
    for name in answers.get("pipelines", ["orders"]):
        assert sum(f"test_{name}_logic" in case or f"test_{name}_sql" in case for case in cases) >= 4, cases
    assert any("test_expectations" in case for case in cases)


# Once per language and kind of source: multi_pipeline and sql_pipelines hold a pipeline of every
# kind, among them the JSON files in Python of default's and aws_classic's one pipeline (orders,
# first: the runner's own tests use it).
@pytest.mark.parametrize("synced", answer_sets("multi_pipeline", "sql_pipelines"), indirect=True)
def test_local_runs_of_every_pipeline(synced):
    """`local-pipeline run` end to end, through the project's own `local_run` tests: every gold
    table and AUTO CDC target against the rows its sample data gives (tests/pipelines/expected.py),
    which the Python and SQL variants share (tests/test_render.py), so that both give the same."""
    project, answers = synced
    sql = answers.get("pipeline_language") == "sql"
    leave_out = WITHOUT_KILLED_SPARK if sql else ()
    uv("run", "pytest", "-m", "local_run", *leave_out, "--junitxml=local-runs.xml", cwd=project)

    suite = ET.parse(project / "local-runs.xml").getroot().find("testsuite")
    pipelines = answers.get("pipelines", ["orders"])
    changes = [name for name in pipelines if is_change_feed(answers, name)]
    snapshots = [name for name in pipelines if is_snapshot(answers, name)]
    files = len(pipelines) - len(changes) - len(snapshots)
    # Nine for the runner in Python (seven in SQL: no logic.py to break, no killed Spark), one per
    # pipeline (its gold), one per change feed or snapshot pipeline (its hand-checked target), one
    # for a second run of files, one for a new change and one for a new snapshot, when there are
    # such pipelines.
    per_kind = len(changes) + len(snapshots) + bool(files) + bool(changes) + bool(snapshots)
    runner = 7 if sql else 9
    assert int(suite.get("skipped")) == 0
    assert int(suite.get("tests")) == runner + len(pipelines) + per_kind


@pytest.mark.parametrize("synced", answer_sets("default", "sql_pipelines"), indirect=True)  # once per language
def test_unit_tests_catch_broken_logic(synced, tmp_path):
    """The project's tests can fail: break the aggregation and they must (once per language: the
    logic is the same file for every pipeline of a language)."""
    project, answers = synced
    pipeline = answers.get("pipelines", ["orders"])[0]
    if answers.get("pipeline_language") == "sql":
        source, test, broken = f"{pipeline}/transformations/{pipeline}_gold.sql", "sql", ("sum(amount)", "max(amount)")
    else:
        source, test, broken = f"{pipeline}/logic.py", "logic", ('F.sum("amount")', 'F.max("amount")')
    path = next(project.glob(f"src/*/{source}"))
    original = path.read_text()
    path.write_text(original.replace(*broken))
    try:
        result = subprocess.run(
            ["uv", "run", "pytest", "-q", "-k", "gold or daily_summary", f"tests/unit/test_{pipeline}_{test}.py"],
            check=False,
            cwd=project,
            env=outside_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        path.write_text(original)
    assert broken[0] in original
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed" in result.stdout


@pytest.mark.xdist_group("aws_classic")  # the lightest project's worker
def test_unit_tests_on_databricks_connect_without_a_workspace(tmp_path_factory):
    """`ci_unit_tests: serverless`, as far as it runs here: after `uv sync --group dbconnect
    --no-group local`, `TEST_SPARK=serverless uv run pytest` collects cleanly; tests that need
    local Spark skip, saying why; tests that need a session stop with a message that says what to
    set; the rest pass."""
    project = render(tmp_path_factory.mktemp("serverless") / "project", load_answers("default"))
    uv("sync", "--python", sys.executable, "--group", "dbconnect", "--no-group", "local", cwd=project)
    env = {k: v for k, v in outside_env().items() if not k.startswith("DATABRICKS_")}
    env |= {"TEST_SPARK": "serverless", "DATABRICKS_CONFIG_FILE": str(project / "no-databrickscfg")}

    result = subprocess.run(
        ["uv", "run", "--no-sync", "pytest", "-p", "no:cacheprovider", "-rs", "--junitxml=serverless.xml"],
        check=False,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert "ERROR collecting" not in result.stdout, result.stdout[-4000:]
    assert result.returncode == 1, result.stdout[-4000:]
    cases = list(ET.parse(project / "serverless.xml").getroot().iter("testcase"))
    errors = [case.find("error") for case in cases if case.find("error") is not None]
    skipped = [case.find("skipped") for case in cases if case.find("skipped") is not None]
    passed = [case for case in cases if len(case) == 0 or all(child.tag.startswith("system") for child in case)]
    assert errors and all("set DATABRICKS_HOST" in error.get("message", "") for error in errors)
    # Whole modules skip at collection (they would import pyspark.pipelines): pytest's summary says so.
    reasons = re.findall(r"^SKIPPED \[\d+\] [^:]+:\d+: (.*)$", result.stdout, flags=re.MULTILINE)
    for why in ("pyspark.pipelines", "spark-pipelines", "this machine's disk"):
        assert any(why in reason and "TEST_SPARK=serverless" in reason for reason in reasons), (why, reasons)
    assert all(s.get("message") == "collection skipped" or "TEST_SPARK=serverless" in s.get("message") for s in skipped)
    # What needs no Spark passes: the landing set-up of the integration tasks, reading rules.
    assert {"test_setup_replaces_the_landing_files", "test_rules_are_recorded_innermost_first"} <= {
        case.get("name") for case in passed
    }
