"""Benchmark: local pipeline runs against a bare `spark-pipelines run` of the same spec, side by
side in one run, in a project rendered with three pipelines.

Prints the median wall time of each (goals: a cold `local-pipeline run --fresh` at most 1.1x the
bare run; a warm re-run at most 0.3x; `run --all` for the three pipelines, cold, at most 1.5x one
cold run).

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
PIPELINES = ["orders", "customers", "refunds"]


def timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def first_line(command: list[str], cwd: Path, env: dict) -> float:
    """Seconds until the command prints its first line (it then runs to the end)."""
    start = time.perf_counter()
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        process.stdout.readline()
        seconds = time.perf_counter() - start
        process.communicate()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "CI", "LOCAL_PIPELINES_DIR"}}

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        answers = {"python_version": PYTHON, "pipelines": PIPELINES}
        run_copy(str(TEMPLATE), str(project), data=answers, defaults=True, vcs_ref="HEAD", quiet=True)
        subprocess.run(["uv", "sync", "--quiet"], cwd=project, env=env, check=True)
        local_pipeline = ["uv", "run", "--no-sync", "local-pipeline"]
        first = PIPELINES[0]
        subprocess.run(
            [*local_pipeline, "run", first, "--fresh"], cwd=project, env=env, check=True, capture_output=True
        )
        # The same spec a local run writes, in a folder of its own at the same depth.
        state = project / ".local-pipelines"
        bare = state / "bare"
        bare.mkdir()
        spec = (state / first / "spark-pipeline.yml").read_text().replace(str(state / first), str(bare))
        (bare / "spark-pipeline.yml").write_text(spec)

        times: dict[str, list[float]] = {}
        for _ in range(args.runs):
            shutil.rmtree(bare / "spark-warehouse", ignore_errors=True)
            shutil.rmtree(bare / "storage", ignore_errors=True)
            times.setdefault("bare spark-pipelines run", []).append(
                timed(["uv", "run", "--no-sync", "spark-pipelines", "run", "--spec", "spark-pipeline.yml"], bare, env)
            )
            subprocess.run([*local_pipeline, "stop"], cwd=project, env=env, check=True, capture_output=True)
            times.setdefault(f"cold run {first} --fresh", []).append(
                timed([*local_pipeline, "run", first, "--fresh"], project, env)
            )
            times.setdefault(f"warm run {first} --fresh", []).append(
                timed([*local_pipeline, "run", first, "--fresh"], project, env)
            )
            times.setdefault(f"warm run {first}", []).append(timed([*local_pipeline, "run", first], project, env))
            subprocess.run([*local_pipeline, "stop"], cwd=project, env=env, check=True, capture_output=True)
            times.setdefault("first line of a cold run", []).append(
                first_line([*local_pipeline, "run", first, "--fresh"], project, env)
            )
            subprocess.run([*local_pipeline, "stop"], cwd=project, env=env, check=True, capture_output=True)
            times.setdefault("cold run --all --fresh (3)", []).append(
                timed([*local_pipeline, "run", "--all", "--fresh"], project, env)
            )
        subprocess.run([*local_pipeline, "stop"], cwd=project, env=env, check=True, capture_output=True)

        medians = {name: statistics.median(values) for name, values in times.items()}
        base, cold = medians["bare spark-pipelines run"], medians[f"cold run {first} --fresh"]
        goals = {
            f"cold run {first} --fresh": (base, 1.1, "bare"),
            f"warm run {first} --fresh": (base, 0.3, "bare"),
            f"warm run {first}": (base, 0.3, "bare"),
            "cold run --all --fresh (3)": (cold, 1.5, "one cold run"),
        }
        print(f"median of {args.runs} runs:")
        for name, median in medians.items():
            line = f"  {name:<30} {median:6.1f} s   {[round(t, 1) for t in times[name]]}"
            if name in goals:
                reference, goal, against = goals[name]
                line += f"   {median / reference:.2f}x {against} (goal <= {goal})"
            print(line)


if __name__ == "__main__":
    main()
