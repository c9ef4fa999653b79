"""Benchmark: `copier copy --defaults` of this template against an empty template.

Prints the median wall time of each over several runs and their ratio (goal: at most 1.5), with
--compare REV the same for an earlier commit of this template, in the same run, and with
--unit-tests the wall time of a rendered project's `uv run pytest` (goal: at most 25 s).

    uv run python benchmarks/render.py [--runs 7] [--compare REV] [--unit-tests]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def committed_copy(source: Path, destination: Path, revision: str = "HEAD") -> Path:
    """A clean clone of this repository at a commit, so that every template is read the same way."""
    git("clone", "--quiet", str(source), str(destination), cwd=source.parent)
    git("checkout", "--quiet", "--detach", revision, cwd=destination)
    return destination


def empty_template(destination: Path) -> Path:
    (destination / "template").mkdir(parents=True)
    (destination / "copier.yml").write_text("_subdirectory: template\n")
    (destination / "template" / "README.md").write_text("empty\n")
    git("init", "--quiet", cwd=destination)
    git("add", "-A", cwd=destination)
    git(
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.com",
        "commit",
        "--quiet",
        "-m",
        "empty",
        cwd=destination,
    )
    return destination


def time_copy(template: Path, workdir: Path, runs: int, *extra: str) -> list[float]:
    times = []
    for _ in range(runs):
        destination = Path(tempfile.mkdtemp(prefix=f"{template.name}-", dir=workdir)) / "project"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "copier", "copy", "--defaults", "--quiet", *extra, str(template), str(destination)],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compare", metavar="REV", help="also time this earlier commit of the template")
    parser.add_argument("--unit-tests", action="store_true", help="also time a rendered project's unit tests")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # --vcs-ref=HEAD: the clone's commit, not its newest release tag.
        templates = {"copier-lakeflow": committed_copy(TEMPLATE, work / "copier-lakeflow")}
        if args.compare:
            templates[args.compare] = committed_copy(TEMPLATE, work / "compared", args.compare)
        empty = empty_template(work / "empty")
        time_copy(empty, work, 1)  # warm the file cache and Python's bytecode cache
        medians = {}
        for _ in range(args.runs):  # interleaved, so that a busy moment hits every template alike
            for name, template in {**templates, "empty template": empty}.items():
                medians.setdefault(name, []).extend(time_copy(template, work, 1, "--vcs-ref=HEAD"))
        empty_median = statistics.median(medians["empty template"])
        print(f"copier copy --defaults, median of {args.runs}:")
        for name, times in medians.items():
            median = statistics.median(times)
            print(f"  {name:<16} {median:.3f} s   ratio {median / empty_median:.2f}  (goal <= 1.5)")
        ours = templates["copier-lakeflow"]

        if args.unit_tests:
            project = work / "unit-test-project"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "copier",
                    "copy",
                    "--defaults",
                    "--quiet",
                    "--data",
                    f"python_version={PYTHON}",
                    str(ours),
                    str(project),
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
            try:
                subprocess.run(["uv", "run", "pytest", "-q"], cwd=project, check=True, capture_output=True)  # warm
                start = time.perf_counter()
                subprocess.run(["uv", "run", "pytest", "-q"], cwd=project, check=True, capture_output=True)
                print(f"rendered project, uv run pytest: {time.perf_counter() - start:.1f} s  (goal <= 25 s)")
            finally:  # the tests' warm local Spark would outlive the project's folder by 20 idle minutes
                stop = ["uv", "run", "--no-sync", "local-pipeline", "stop"]
                subprocess.run(stop, cwd=project, check=True, capture_output=True)


if __name__ == "__main__":
    main()
