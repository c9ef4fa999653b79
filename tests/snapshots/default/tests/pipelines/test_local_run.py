"""End-to-end: each pipeline runs locally on its sample data and its gold table holds what the
sample data says it must (computed independently, in expected.py); a broken rule, a typo'd
column and a Python error are each reported with what Spark said and where in the code; the
warm local Spark starts, stops and is replaced as it should.

Every test here works in a state folder of its own (LOCAL_PIPELINES_DIR), so a developer's
.local-pipelines/ is never touched. Slow (Spark starts): `uv run pytest -m local_run`.
"""

import os
import signal
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests import backend

backend.skip_module_unless_local("runs pipelines with spark-pipelines")

import psutil  # noqa: E402

from lakeflow_tools.local_pipeline import folders, runner, server  # noqa: E402
from lakeflow_tools.project import Project  # noqa: E402

from . import expected  # noqa: E402

pytestmark = pytest.mark.local_run

PROJECT = Project.find()
PIPELINES = list(PROJECT.pipelines())
FIRST = PIPELINES[0]


@pytest.fixture(scope="module", autouse=True)
def state(tmp_path_factory):
    """A state folder for this module's runs, and its server stopped at the end."""
    folder = tmp_path_factory.mktemp("local-pipelines")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(folders.STATE_VARIABLE, str(folder))
        yield folder
        server.stop(folder)


def local_pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["local-pipeline", *args], cwd=PROJECT.root, capture_output=True, text=True, env=os.environ
    )


def table(name: str, columns: tuple[str, ...]) -> set[tuple]:
    """A table as the last run left it (Parquet files, read without Spark), as expected.py has it."""
    rows = pq.read_table(folders.warehouse_folder(PROJECT) / name).to_pylist()
    return {tuple(None if row[c] is None else str(row[c]) for c in columns) for row in rows}


def gold_table(name: str) -> set[tuple]:
    return table(f"{name}_gold", expected.GOLD_COLUMNS[expected.kind(name)])


def state_processes(state: Path) -> list[psutil.Process]:
    """Every process started for this state folder: the supervisor, Spark's JVM, the run service."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(state) in command and process.pid != os.getpid():
            found.append(process)
    return found


def test_show_before_any_run_needs_no_spark(state):
    result = local_pipeline("show", FIRST, f"{FIRST}_gold")

    assert result.returncode == 2
    assert f"{FIRST}_gold has no local table yet" in result.stderr
    assert server.running(state) is None
    assert state_processes(state) == []


@pytest.fixture(scope="module")
def fresh_run_of_all(state) -> subprocess.CompletedProcess:
    return local_pipeline("run", "--all", "--fresh")


def test_run_all_from_scratch(fresh_run_of_all):
    output = fresh_run_of_all.stdout
    assert fresh_run_of_all.returncode == 0, output + fresh_run_of_all.stderr
    for name in PIPELINES:
        assert f"{name}: COMPLETED" in output
        assert f"{name}_gold" in output
    assert f"{len(PIPELINES)} of {len(PIPELINES)} pipelines completed" in output
    assert "WARN" not in output  # Spark's own log stays in its log file
    assert "INFO" not in output


@pytest.mark.parametrize("name", PIPELINES)
def test_gold_matches_the_sample_data(fresh_run_of_all, name):
    assert gold_table(name) == expected.gold(name, PROJECT.sample_data(name))


def test_second_run_adds_only_new_files(fresh_run_of_all):
    name = next(name for name in PIPELINES if expected.kind(name) == "files")
    landing = folders.landing_folder(PROJECT) / name
    new = {"id": "late-1", "category": "Books", "amount": 4.5, "event_time": "2026-01-06T23:00:00Z"}
    write_record(landing, "late-arrivals", name, new)

    report = runner.run(PROJECT, name, say=lambda _line: None)

    assert report.ok, report.failure
    assert report.datasets[f"{name}_bronze"].rows == len(expected.records(landing))
    assert report.datasets[f"{name}_bronze"].written == 1  # this update's, of all of them
    silver_rules = report.datasets[f"{name}_silver"].expectations
    assert {rule.input_rows for rule in silver_rules} == {1}  # only the new record was read
    assert gold_table(name) == expected.gold(name, landing)


@pytest.fixture
def dropped():
    """Landing files a test drops by hand, removed after it whatever happened, so that a failed
    test leaves no broken row for the next ones."""
    files: list[Path] = []

    def drop(path: Path) -> Path:
        files.append(path)
        return path

    yield drop
    for path in files:
        path.unlink(missing_ok=True)


def write_record(landing: Path, stem: str, name: str, record: dict) -> Path:
    """One record as a landing file in the pipeline's own format."""
    return expected.write_records(landing / f"{stem}.{expected.FORMATS[name]}", [record])


def broken(name: str) -> tuple[dict, str, str]:
    """A record that breaks the pipeline's fail rule, that rule and its constraint."""
    if expected.kind(name) == "changes":
        bad = {"id": "bad-1", "sequence_num": None, "change_type": "INSERT", "full_name": "X", "tier": "gold"}
        return bad, "valid_sequence", "sequence_num IS NOT NULL"
    bad = {"id": "bad-1", "category": "Books", "amount": 1.0, "event_time": "not a time"}
    return bad, "valid_event_time", "event_time IS NOT NULL"


def declared_at(rule: str, name: str) -> str:
    """`path:line` of the line that names the rule: in logic.py (Python) or the .sql file."""
    code = PROJECT.source_files(PROJECT.pipeline(name))
    logic = [p for p in code[0].parent.parent.glob("logic.py")]
    for path in [*logic, *(p for p in code if p.suffix == ".sql")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if f'"{rule}"' in line or f"CONSTRAINT {rule} " in line:
                return f"{path.relative_to(PROJECT.root)}:{number}"
    raise AssertionError(f"{rule} is declared nowhere")


def test_broken_fail_rule_names_the_rule_its_place_and_the_row_as_it_arrived(fresh_run_of_all, dropped):
    name = next(name for name in PIPELINES if expected.kind(name) != "snapshots")  # snapshots have no rules
    landing = folders.landing_folder(PROJECT) / name
    bad, rule, constraint = broken(name)
    path = dropped(write_record(landing, "broken", name, bad))
    result = local_pipeline("run", name)

    assert result.returncode == 1
    assert f"expectation '{rule}' ({constraint}) failed" in result.stdout, result.stdout
    assert f"the rule: {declared_at(rule, name)}" in result.stdout
    assert '"id": "bad-1"' in result.stdout  # the offending row
    if expected.kind(name) == "files":
        assert '"event_time": "not a time"' in result.stdout  # as it arrived, not as cleaned
    assert result.stdout.count("FAILED") == 2  # one verdict for the dataset, one for the run
    assert f"then: uv run local-pipeline run {name} --fresh" in result.stdout

    path.unlink()  # as the message says: remove the row, then run again from scratch
    again = local_pipeline("run", name, "--fresh")
    assert again.returncode == 0, again.stdout


@pytest.fixture
def edited():
    """Edit a transformation file for one test, and put it back."""
    saved: dict[Path, str] = {}

    def edit(path: Path, change) -> Path:
        saved.setdefault(path, path.read_text())
        path.write_text(change(saved[path]))
        return path

    yield edit
    for path, text in saved.items():
        path.write_text(text)


def transformation(name: str, suffix: str) -> Path:
    return next(
        p for p in PROJECT.source_files(PROJECT.pipeline(FIRST)) if p.name == f"{FIRST}_{name}{suffix}"
    )


def logic_line(path: Path, marker: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


def test_a_typo_in_a_column_shows_sparks_error_and_the_line(fresh_run_of_all, edited):
    sql = [p for p in PROJECT.source_files(PROJECT.pipeline(FIRST)) if p.suffix == ".sql"]
    if sql:
        path = edited(
            transformation("gold", ".sql"),
            lambda text: text.replace("count(*) AS record_count", "count(recordz) AS record_count", 1),
        )
        where, typo = path.relative_to(PROJECT.root), "recordz"
    else:  # in the logic silver calls: the line of logic.py that names the column
        logic = transformation("silver", ".py").parent.parent / "logic.py"
        path = edited(logic, lambda text: text.replace('F.trim("id")', 'F.trim("x_id")', 1))
        where, typo = f"{path.relative_to(PROJECT.root)}:{logic_line(path, 'F.trim(')}", "x_id"

    result = local_pipeline("run", FIRST)

    assert result.returncode == 1
    assert "UNRESOLVED_COLUMN" in result.stdout, result.stdout
    assert typo in result.stdout
    assert str(where) in result.stdout
    if "not run" in result.stdout:  # the cause first, then what it kept from running
        assert result.stdout.index("FAILED") < result.stdout.index("not run")


def test_a_python_error_shows_the_users_file_and_line(fresh_run_of_all, edited):
    path = next(p for p in PROJECT.source_files(PROJECT.pipeline(FIRST)) if p.suffix == ".py")
    lines = path.read_text().splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("def ")) + 1
    edited(
        path,
        lambda text: (
            "\n".join([*lines[:body], '    raise RuntimeError("boom from the test")', *lines[body:]]) + "\n"
        ),
    )

    result = local_pipeline("run", FIRST)

    assert result.returncode == 1
    assert "RuntimeError: boom from the test" in result.stdout, result.stdout
    assert f"{path.relative_to(PROJECT.root)}:{body + 1}" in result.stdout


def test_a_python_error_in_the_logic_names_the_dataset_and_the_line(fresh_run_of_all, edited):
    logic = transformation("gold", ".py").parent.parent / "logic.py"
    lines = logic.read_text().splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("def ") and "_summary(" in line) + 2
    raising = [*lines[:summary], '    raise ValueError("boom in logic")', *lines[summary:]]
    edited(logic, lambda _text: "\n".join(raising) + "\n")

    result = local_pipeline("run", FIRST)

    assert result.returncode == 1
    failed = next(line for line in result.stdout.splitlines() if "FAILED:" in line)
    assert failed.split() == [f"{FIRST}_gold", "FAILED:", "ValueError:", "boom", "in", "logic"], result.stdout
    assert "ValueError: boom in logic" in result.stdout
    assert f"{logic.relative_to(PROJECT.root)}:{summary + 1}" in result.stdout


def test_fresh_run_keeps_a_dropped_file_and_reads_it(fresh_run_of_all, dropped):
    landing = folders.landing_folder(PROJECT) / FIRST
    valid = (
        {"sequence_num": 99} if expected.kind(FIRST) == "changes" else {"event_time": "2026-01-07T10:00:00Z"}
    )
    record = broken(FIRST)[0] | valid | {"id": "dropped-1"}
    by_hand = dropped(write_record(landing, "dropped-by-hand", FIRST, record))

    result = local_pipeline("run", FIRST, "--fresh")

    assert result.returncode == 0, result.stdout
    assert by_hand.exists()
    said = next(line for line in result.stdout.splitlines() if "every table recomputed" in line)
    assert said.endswith(" of yours"), said
    assert by_hand.name in said
    assert ("dropped-1",) in table(f"{FIRST}_bronze", ("id",))


def test_a_killed_server_is_replaced_on_the_next_run(fresh_run_of_all, state):
    running = server.running(state)
    assert running is not None
    jvm = next(
        p
        for p in state_processes(state)
        if "SparkConnectServer" in " ".join(p.cmdline()) and p.pid != running.pid
    )
    os.kill(jvm.pid, signal.SIGKILL)

    result = local_pipeline("run", FIRST)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting local Spark" in result.stdout
    assert server.running(state).port != running.port or server.running(state).pid != running.pid


def test_stop_leaves_no_process(fresh_run_of_all, state):
    assert server.running(state) is not None

    result = local_pipeline("stop")

    assert result.returncode == 0
    assert "local Spark stopped" in result.stdout
    assert psutil.wait_procs(state_processes(state), timeout=10)[1] == []
    assert server.running(state) is None
