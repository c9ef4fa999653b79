"""Local runs of the project's pipelines: each run's landing files and spec, the run itself on the
warm local Spark (execution.py), its report, and `run --all` in the order pipelines read each
other. Runs in the run service (service.py), and in tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import yaml
from pyspark.sql import SparkSession

from lakeflow_tools import graph
from lakeflow_tools.project import Pipeline, Project

from . import execution, report, server, workarounds
from .folders import landing_folder, local_folder
from .protocol import Say
from .results import DatasetResult, Failure, RunReport


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prepare_landing(
    project: Project, pipeline: Pipeline, landing: Path, fresh: bool
) -> tuple[list[str], list[str]]:
    """The pipeline's landing folder, with the sample files it does not have yet; the sample
    files and the developer's own that it holds. Nothing there is deleted: files a developer
    drops stay, a run reads what is new, a run from scratch reads them all. A copy of a sample
    that the developer has not changed follows the sample's later edits on a run from scratch."""
    landing.mkdir(parents=True, exist_ok=True)
    record = landing.parent / f".{pipeline.name}.samples.json"  # what was copied, by digest
    copied: dict[str, str] = json.loads(record.read_text()) if record.exists() else {}
    samples = sorted(path for path in project.sample_data(pipeline.name).glob("*") if path.is_file())
    for sample in samples:
        copy = landing / sample.name
        if copy.exists() and sample.name not in copied and _digest(copy) == _digest(sample):
            copied[sample.name] = _digest(copy)  # copied before copies were recorded
        ours = copy.exists() and copied.get(sample.name) == _digest(copy)
        if not copy.exists() or (fresh and ours and _digest(sample) != copied[sample.name]):
            shutil.copy2(sample, copy)
            copied[sample.name] = _digest(copy)
    record.write_text(json.dumps(copied, indent=2))
    present = sorted(
        path for path in landing.iterdir() if path.is_file() and not path.name.startswith((".", "_"))
    )
    own = [path.name for path in present if copied.get(path.name) != _digest(path)]
    return [path.name for path in present if path.name not in own], own


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


def _baseline(path: Path) -> report.Totals:
    found: report.Totals = json.loads(path.read_text()) if path.exists() else {}
    return found


def _per_run(datasets: dict[str, DatasetResult], baseline_path: Path) -> None:
    """Turn the run's totals into counts for this run (see report.written and report.this_run),
    and keep the totals for the next run."""
    baseline = _baseline(baseline_path)
    totals: report.Totals = dict(baseline)  # a dataset that did not complete keeps its last totals
    for name, dataset in datasets.items():
        if dataset.status != "COMPLETED":
            continue
        if dataset.rows is not None:
            totals[name] = {"rows": dataset.rows}
            dataset.written = report.written(name, dataset, baseline)
        for rule in dataset.expectations:
            totals[f"{name}/{rule.name}"] = {"input_rows": rule.input_rows, "violations": rule.violations}
            rule.input_rows, rule.violations = report.this_run(name, dataset.kind, rule, baseline)
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

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        server.touch(self._state)


def connect(project: Project, say: Say = print) -> SparkSession:
    """A Spark Connect session on the project's warm local Spark, started if needed."""
    running = server.ensure(local_folder(project), say)
    return SparkSession.builder.remote(running.url).create()  # never a cached session of an older server


def run(
    project: Project, name: str, fresh: bool = False, timeout: float = 900, say: Say = print
) -> RunReport:
    """Run one pipeline and report it; `say` hears its progress, a line at a time."""
    pipeline = project.pipeline(name)
    state = local_folder(project)
    folder = state / name
    say(report.starting(name, fresh))
    start = time.perf_counter()
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    landing = landing_folder(project) / name
    samples, own = _prepare_landing(project, pipeline, landing, fresh)
    if fresh:
        say(report.landing_files(name, _shown(landing, project), samples, own))
    spec = _write_spec(project, pipeline, folder)
    totals = folder / "last-run.json"
    with _Keepalive(state):
        spark = connect(project, say)
        progress = report.Progress(name, say, _baseline(totals), _shown(landing, project))
        timer = threading.Timer(timeout, spark.interruptAll)
        timer.start()
        try:
            result = execution.execute(spark, project.root, spec, fresh, progress)
        finally:
            timer.cancel()
            spark.stop()  # the session, not the server
    seconds = time.perf_counter() - start
    if result.status != "COMPLETED" and seconds >= timeout:
        result.failure = Failure(message=f"timed out after {timeout:.0f} s")
    _per_run(result.datasets, totals)
    run_report = RunReport(
        name, result.status, seconds, result.datasets, result.failure, state / "server.log"
    )
    say(report.verdict(run_report))
    return run_report


def _shown(path: Path, project: Project) -> str:
    """A path as the developer would type it: relative to the project when inside it."""
    return str(path.relative_to(project.root)) + "/" if path.is_relative_to(project.root) else str(path)


def run_all(
    project: Project, names: list[str], fresh: bool, timeout: float, say: Say = print
) -> list[RunReport]:
    """Run pipelines in waves of their dependencies (a pipeline that reads another's datasets
    runs after it), the pipelines of a wave at the same time, each line saying whose it is. A
    pipeline whose dependency failed does not run."""
    say(f"running {len(names)} pipelines, each after those it reads from: {', '.join(names)}")
    graphs = {n: graph.load(project, project.pipeline(n)) for n in names}
    outputs = {n: set(graphs[n]) for n in names}
    reads = {n: set().union(*(d.reads for d in graphs[n].values())) for n in names}
    needs = {n: {other for other in names if other != n and reads[n] & outputs[other]} for n in names}
    lock = threading.Lock()

    def prefixed(pipeline: str) -> Say:
        def say_line(line: str) -> None:
            with lock:
                for part in line.splitlines():
                    say(part if part.startswith(f"{pipeline}:") else f"{pipeline}: {part.lstrip()}")

        return say_line

    def plain(_pipeline: str) -> Say:
        return say

    reports: dict[str, RunReport] = {}
    if names:  # the server once, before the pipelines of the first wave share it
        with _Keepalive(local_folder(project)):
            server.ensure(local_folder(project), say)
    for wave in graph.dependency_order(needs):
        ready = [n for n in wave if all(reports[d].ok for d in needs[n] if d in reports)]
        for skipped in set(wave) - set(ready):
            say(f"{skipped}: not run: {', '.join(sorted(needs[skipped]))} failed")
            reports[skipped] = RunReport(
                skipped, "SKIPPED", 0.0, failure=Failure(message="a dependency failed")
            )
        speak = prefixed if len(ready) > 1 else plain
        with ThreadPoolExecutor(max_workers=max(len(ready), 1)) as pool:
            futures = {n: pool.submit(run, project, n, fresh, timeout, speak(n)) for n in ready}
        reports |= {n: future.result() for n, future in futures.items()}
    return [reports[n] for n in names]
