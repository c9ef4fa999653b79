"""One local run of one pipeline: prepare its landing files and spec, start `spark-pipelines`'
launcher with this package's client, and turn the client's result into a report."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lakeflow_tools.project import Pipeline, Project

from . import workarounds

CLIENT = Path(__file__).with_name("client.py")
"""Run by the launcher in the Spark driver; not imported here, so starting a run stays quick."""
EVENT_PREFIX = "event> "
"""Marks the lines of the client's output that this command shows among Spark's own."""

LOCAL_FOLDER = ".local-pipelines"
"""Everything local runs write, git-ignored: landing copies, tables, checkpoints, logs."""


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
    return project.root / LOCAL_FOLDER


def landing_folder(project: Project) -> Path:
    """Where local runs read landing files: the bundle variable landing_root, locally."""
    return local_folder(project) / "landing"


def warehouse_folder(project: Project) -> Path:
    """Where local runs write their tables, one folder per dataset."""
    return local_folder(project) / "warehouse"


def spark_submit_opts(project: Project) -> str:
    return workarounds.spark_submit_opts(local_folder(project), warehouse_folder(project))


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
    """Turn the audit's totals over all input into counts for this run: streaming tables only
    read what is new, materialized views recompute everything."""
    baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else {}
    totals = {}
    for name, dataset in datasets.items():
        for rule in dataset["expectations"]:
            key = f"{name}/{rule['name']}"
            totals[key] = {"input_rows": rule["input_rows"], "violations": rule["violations"]}
            if dataset["kind"] == "streaming_table" and key in baseline:
                rule["input_rows"] -= baseline[key]["input_rows"]
                rule["violations"] -= baseline[key]["violations"]
    baseline_path.write_text(json.dumps(totals, indent=2))


def run(project: Project, name: str, fresh: bool = False, timeout: float = 900) -> Report:
    pipeline = project.pipeline(name)
    folder = local_folder(project) / name
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    _prepare_landing(project, pipeline, landing_folder(project) / name, fresh)
    spec = _write_spec(project, pipeline, folder)
    result_path, log = folder / "result.json", folder / "run.log"
    result_path.unlink(missing_ok=True)

    spark_home = Path(importlib.util.find_spec("pyspark").origin).parent
    command = [
        str(spark_home / "bin" / "spark-class"),
        "org.apache.spark.deploy.SparkPipelines",
        str(CLIENT),
        "run",
        "--spec",
        str(spec),
        *(["--full-refresh-all"] if fresh else []),
    ]
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_SUBMIT_OPTS": spark_submit_opts(project),
        "LOCAL_PIPELINE_RESULT": str(result_path),
    }
    start = time.perf_counter()
    with log.open("w") as spark_log:  # everything to the log; the run's events to the screen too
        process = subprocess.Popen(
            command,
            cwd=project.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so a timeout stops both JVMs
        )
        watchdog = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        watchdog.start()
        try:
            for line in process.stdout:
                spark_log.write(line)
                if line.startswith(EVENT_PREFIX):
                    print(line.removeprefix(EVENT_PREFIX), end="", flush=True)
            process.wait()
        finally:
            watchdog.cancel()
    seconds = time.perf_counter() - start

    if not result_path.exists():
        timed_out = seconds >= timeout
        reason = f"timed out after {timeout:.0f} s" if timed_out else "Spark stopped before the run ended"
        failure = {"dataset": None, "expectation": None, "message": reason}
        return Report(name, "FAILED", seconds, failure=failure, log=log)
    result = json.loads(result_path.read_text())
    if result["status"] == "COMPLETED":
        _per_run(result["datasets"], folder / "expectation-totals.json")
    return Report(name, result["status"], seconds, result["datasets"], result.get("failure"), log)
