"""Benchmark: a fresh local run of the default pipeline against a bare one-table
`spark-pipelines run`, both in a project rendered with the defaults.

Prints the median wall time of each and their ratio (goal: at most 1.3).

    uv run python benchmarks/local_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copier import run_copy

TEMPLATE = Path(__file__).resolve().parents[1]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

BARE_TABLE = """from pyspark import pipelines as dp


@dp.materialized_view
def numbers():
    return spark.range(10)
"""


def timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bare_pipeline(folder: Path) -> Path:
    (folder / "transformations").mkdir(parents=True)
    (folder / "transformations" / "numbers.py").write_text(BARE_TABLE)
    spec = folder / "spark-pipeline.yml"
    spec.write_text(
        f"name: bare\nstorage: {(folder / 'storage').as_uri()}\n"
        "libraries:\n  - glob:\n      include: transformations/**\n"
    )
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        run_copy(str(TEMPLATE), str(project), data={"python_version": PYTHON}, defaults=True, quiet=True)
        subprocess.run(["uv", "sync", "--quiet"], cwd=project, env=env, check=True)
        pipeline = next(iter(__import__("yaml").safe_load((project / ".copier-answers.yml").read_text())["pipelines"]))

        ours, bare = [], []
        for run in range(args.runs):
            ours.append(timed(["uv", "run", "local-pipeline", "run", pipeline, "--fresh"], project, env))
            folder = Path(tmp) / f"bare-{run}"
            spec = bare_pipeline(folder)
            bare.append(
                timed(
                    ["uv", "run", "--project", str(project), "spark-pipelines", "run", "--spec", str(spec)], folder, env
                )
            )
            shutil.rmtree(folder / "spark-warehouse", ignore_errors=True)

        ours_median, bare_median = statistics.median(ours), statistics.median(bare)
        print(f"median of {args.runs} runs:")
        print(f"  local-pipeline run {pipeline} --fresh   {ours_median:.1f} s   {[round(t, 1) for t in ours]}")
        print(f"  bare one-table spark-pipelines run   {bare_median:.1f} s   {[round(t, 1) for t in bare]}")
        print(f"  ratio                                {ours_median / bare_median:.2f}  (goal <= 1.3)")


if __name__ == "__main__":
    main()
