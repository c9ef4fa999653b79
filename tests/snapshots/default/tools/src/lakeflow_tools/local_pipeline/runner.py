"""Local runs of the project's pipelines: the state folder, each run's landing files and spec, and
the run itself on the warm local Spark (server.py), with its progress as it happens.

Everything local runs write lives in the state folder, .local-pipelines/ (git-ignored) or
$LOCAL_PIPELINES_DIR: landing copies, tables, checkpoints, the metastore, the server's log.
Tests point LOCAL_PIPELINES_DIR at a folder of their own, so they never touch a developer's.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lakeflow_tools.project import Pipeline, Project

from . import server, workarounds

LOCAL_FOLDER = ".local-pipelines"
STATE_VARIABLE = "LOCAL_PIPELINES_DIR"


@dataclass
class Report:
    pipeline: str
    status: str
    seconds: float
    datasets: dict = field(default_factory=dict)
    failure: dict | None = None
    log: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "COMPLETED"


def local_folder(project: Project) -> Path:
    """The state folder of local runs."""
    return Path(os.environ.get(STATE_VARIABLE) or project.root / LOCAL_FOLDER).resolve()


def landing_folder(project: Project) -> Path:
    """Where local runs read landing files: the bundle variable landing_root, locally."""
    return local_folder(project) / "landing"


def warehouse_folder(project: Project) -> Path:
    """Where local runs write their tables, one folder per dataset."""
    return workarounds.warehouse(local_folder(project))


def has_table(project: Project, dataset: str) -> bool:
    """Whether a local run has written the dataset: answered from disk, without Spark."""
    folder = warehouse_folder(project) / dataset
    return folder.is_dir() and any(folder.iterdir())


def _prepare_landing(project: Project, pipeline: Pipeline, landing: Path, fresh: bool) -> None:
    """The pipeline's landing folder, with the sample files it does not have yet. Files a
    developer drops there stay, so a run without --fresh picks up only what is new."""
    if fresh:
        shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True, exist_ok=True)
    for sample in sorted(project.sample_data(pipeline.name).glob("*")):
        if sample.is_file() and not (landing / sample.name).exists():
            shutil.copy2(sample, landing / sample.name)


def _write_spec(project: Project, pipeline: Pipeline, folder: Path) -> Path:
    variables = {
        "landing_root": str(landing_folder(project)),
        "catalog": "spark_catalog",
        "schema": "default",
    }
    spec = {
        "name": pipeline.name,
        "storage": (folder / "storage").as_uri(),
        "configuration": {
            **pipeline.resolve(variables),
            **project.local_configuration,
            **workarounds.SESSION_CONF,
        },
        "libraries": [
            {"glob": {"include": os.path.relpath(project.root / pattern, folder)}}
            for pattern in pipeline.libraries
        ],
    }
    path = folder / "spark-pipeline.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _per_run(datasets: dict, baseline_path: Path) -> None:
    """Turn the audit's totals over all input into counts for this run (see report.this_run),
    and keep the totals for the next run."""
    from .report import this_run

    baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else {}
    totals = {}
    for name, dataset in datasets.items():
        for rule in dataset.get("expectations", []):
            totals[f"{name}/{rule['name']}"] = {
                "input_rows": rule["input_rows"],
                "violations": rule["violations"],
            }
            rule["input_rows"], rule["violations"] = this_run(name, dataset["kind"], rule, baseline)
    baseline_path.write_text(json.dumps(totals, indent=2))


class _Keepalive:
    """Keeps the server from stopping as idle while a command uses it."""

    def __init__(self, state: Path) -> None:
        self._state, self._done = state, threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self._done.wait(30):
            server.touch(self._state)

    def __enter__(self) -> _Keepalive:
        server.touch(self._state)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._done.set()
        server.touch(self._state)


def connect(project: Project, say: Callable[[str], None] = print):
    """A Spark Connect session on the project's warm local Spark, started if needed."""
    state = local_folder(project)
    running = server.ensure(state, say)
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(running.url).create()  # never a cached session of an older server


def run(
    project: Project, name: str, fresh: bool = False, timeout: float = 900, say: Callable[[str], None] = print
) -> Report:
    """Run one pipeline and report it; `say` hears its progress, a line at a time."""
    from . import report

    pipeline = project.pipeline(name)
    state = local_folder(project)
    folder = state / name
    say(report.starting(name, fresh))
    start = time.perf_counter()
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    _prepare_landing(project, pipeline, landing_folder(project) / name, fresh)
    spec = _write_spec(project, pipeline, folder)
    with _Keepalive(state):
        spark = connect(project, say)
        from . import client

        progress = report.Progress(name, say, folder / "expectation-totals.json")
        timer = threading.Timer(timeout, spark.interruptAll)
        timer.start()
        try:
            result = client.execute(spark, project.root, spec, fresh, progress)
        finally:
            timer.cancel()
            spark.stop()  # the session, not the server
    seconds = time.perf_counter() - start
    if result["status"] != "COMPLETED" and seconds >= timeout:
        result["failure"] = {"dataset": None, "message": f"timed out after {timeout:.0f} s"}
    if result["status"] == "COMPLETED":
        _per_run(result["datasets"], folder / "expectation-totals.json")
    run_report = Report(
        name, result["status"], seconds, result["datasets"], result["failure"], state / "server.log"
    )
    say(report.verdict(run_report))
    return run_report


def run_all(
    project: Project, names: list[str], fresh: bool, timeout: float, say: Callable[[str], None] = print
) -> list[Report]:
    """Run pipelines in waves of their dependencies (a pipeline that reads another's datasets
    runs after it), the pipelines of a wave at the same time, each line saying whose it is. A
    pipeline whose dependency failed does not run."""
    say(f"running {len(names)} pipelines, each after those it reads from: {', '.join(names)}")
    from lakeflow_tools import graph

    graphs = {n: graph.load(project, project.pipeline(n)) for n in names}
    outputs = {n: set(graphs[n]) for n in names}
    reads = {n: set().union(*(d.reads for d in graphs[n].values())) for n in names}
    needs = {n: {other for other in names if other != n and reads[n] & outputs[other]} for n in names}
    lock = threading.Lock()

    def prefixed(pipeline: str) -> Callable[[str], None]:
        def say_line(line: str) -> None:
            with lock:
                for part in line.splitlines():
                    say(part if part.startswith(f"{pipeline}:") else f"{pipeline}: {part.lstrip()}")

        return say_line

    reports: dict[str, Report] = {}
    if names:  # the server once, before the pipelines of the first wave share it
        with _Keepalive(local_folder(project)):
            server.ensure(local_folder(project), say)
    for wave in graph.dependency_order(needs):
        ready = [n for n in wave if all(reports[d].ok for d in needs[n] if d in reports)]
        for skipped in set(wave) - set(ready):
            say(f"{skipped}: not run: {', '.join(sorted(needs[skipped]))} failed")
            reports[skipped] = Report(skipped, "SKIPPED", 0.0, failure={"message": "a dependency failed"})
        speak = prefixed if len(ready) > 1 else (lambda _pipeline: say)
        with ThreadPoolExecutor(max_workers=max(len(ready), 1)) as pool:
            futures = {n: pool.submit(run, project, n, fresh, timeout, speak(n)) for n in ready}
        reports |= {n: future.result() for n, future in futures.items()}
    return [reports[n] for n in names]
