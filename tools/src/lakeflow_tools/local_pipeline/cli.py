"""`local-pipeline`: run the project's pipelines on Apache Spark, on this machine, offline.

local-pipeline list                          pipelines, their datasets and expectations
local-pipeline run NAME [--fresh]            run one pipeline on its sample data
local-pipeline run --all [--fresh]           run every pipeline, one after another
local-pipeline show NAME DATASET [--limit N] a few rows of a result table
"""

from __future__ import annotations

import argparse
import sys

from lakeflow_tools.project import Project, ProjectError

from . import report, runner


def _list(project: Project, _args: argparse.Namespace) -> int:
    from lakeflow_tools import graph

    for name, pipeline in project.pipelines().items():
        print(name)
        for dataset in graph.load(project, pipeline).values():
            print(f"  {dataset.name:<34} {report.KIND.get(dataset.kind, dataset.kind)}")
            for rule in dataset.expectations:
                print(f"      {rule.action:<5} {rule.name:<28} {rule.constraint}")
    return 0


def _run(project: Project, args: argparse.Namespace) -> int:
    if args.all == bool(args.name):
        raise ProjectError("give either a pipeline NAME or --all")
    names = list(project.pipelines()) if args.all else [project.pipeline(args.name).name]
    reports = []
    for name in names:
        print(f"{name}: running{' from scratch' if args.fresh else ''}...", flush=True)
        reports.append(runner.run(project, name, fresh=args.fresh, timeout=args.timeout))
        print(report.render(reports[-1]), flush=True)
    failed = [r for r in reports if not r.ok]
    if len(reports) > 1:
        print(f"{len(reports) - len(failed)} of {len(reports)} pipelines completed")
    for failure in failed:
        print(report.failure_line(failure), file=sys.stderr)
    return 1 if failed else 0


def _show(project: Project, args: argparse.Namespace) -> int:
    from lakeflow_tools import graph

    from .session import local_session

    datasets = graph.load(project, project.pipeline(args.name))
    if args.dataset not in datasets:
        raise ProjectError(f"pipeline {args.name} has no dataset {args.dataset!r}; it has {sorted(datasets)}")
    with local_session(project) as spark:
        if not spark.catalog.tableExists(args.dataset):
            raise ProjectError(
                f"{args.dataset} has no local table yet: run `local-pipeline run {args.name}` first"
            )
        spark.read.table(args.dataset).show(args.limit, truncate=False)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="local-pipeline", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="pipelines, datasets and expectations (no Spark needed)").set_defaults(
        handler=_list
    )
    run = commands.add_parser("run", help="run pipelines on their sample data")
    run.add_argument("name", nargs="?", help="the pipeline to run")
    run.add_argument("--all", action="store_true", help="run every pipeline")
    run.add_argument(
        "--fresh", action="store_true", help="start from nothing: new landing copy, tables recomputed"
    )
    run.add_argument("--timeout", type=float, default=900, help="seconds a pipeline may take (default 900)")
    run.set_defaults(handler=_run)
    show = commands.add_parser("show", help="a few rows of a dataset of the last run")
    show.add_argument("name", help="the pipeline")
    show.add_argument("dataset", help="the dataset")
    show.add_argument("--limit", type=int, default=20, help="how many rows (default 20)")
    show.set_defaults(handler=_show)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(Project.find(), args)
    except ProjectError as error:
        print(f"local-pipeline: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
