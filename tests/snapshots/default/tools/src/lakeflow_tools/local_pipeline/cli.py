"""`local-pipeline`: run the project's pipelines on Apache Spark, on this machine, offline.

local-pipeline list                          pipelines and their datasets in flow order, with
                                             expectations (no Spark needed)
local-pipeline run NAME [--fresh]            run one pipeline on its sample data
local-pipeline run --all [--fresh]           every pipeline, each after those it reads from
local-pipeline show NAME DATASET [--limit N] a few rows of a dataset a run has written
local-pipeline start | status | stop         the project's warm local Spark: started by the first
                                             command that needs it, stopped after 20 idle minutes
"""

from __future__ import annotations

import argparse
import sys

from lakeflow_tools import graph
from lakeflow_tools.project import Project, ProjectError

from . import report, server
from .folders import has_table, local_folder
from .protocol import Request, RunRequest, ShowRequest, ask


def _list(project: Project, _args: argparse.Namespace) -> int:
    for name, pipeline in project.pipelines().items():
        print(name)
        for dataset in graph.in_flow_order(graph.load(project, pipeline)):
            print(f"  {dataset.name:<34} {report.KIND.get(dataset.kind, dataset.kind)}")
            for rule in dataset.expectations:
                print(f"      {rule.action:<5} {rule.name:<28} {rule.constraint}")
    return 0


def _ask(project: Project, request: Request) -> int:
    """Have the run service of the warm server do it: its Python has Spark's client loaded."""
    state = local_folder(project)
    running = server.ensure(state)
    since = server.log_size(state)
    code = ask(running.service_port, running.token, request, _say) if running.service_port else None
    if code is None:
        why = server.stopped_because(state, since)
        raise server.ServerError(
            "the local Spark's run service did not answer"
            + (f": local Spark stopped, {why}" if why else "")
            + f"; its log: {server.log_path(state)}\n`local-pipeline stop`, then try again"
        )
    return code


def _say(line: str) -> None:
    print(line, file=sys.stderr if line.startswith("local-pipeline: ") else sys.stdout, flush=True)


def _run(project: Project, args: argparse.Namespace) -> int:
    if args.all == bool(args.name):
        raise ProjectError("give either a pipeline NAME or --all")
    if args.name:
        project.pipeline(args.name)  # an unknown name stops here, before Spark
    return _ask(project, RunRequest(str(project.root), args.name, args.all, args.fresh, args.timeout))


def _show(project: Project, args: argparse.Namespace) -> int:
    pipeline = project.pipeline(args.name)
    if not has_table(project, args.dataset):  # answered from disk: no Spark to start
        datasets = graph.load(project, pipeline)
        if args.dataset not in datasets:
            raise ProjectError(
                f"pipeline {pipeline.name} has no dataset {args.dataset!r}; it has {sorted(datasets)}"
            )
        raise ProjectError(
            f"{args.dataset} has no local table yet: run `local-pipeline run {pipeline.name}` first"
        )
    return _ask(project, ShowRequest(str(project.root), args.name, args.dataset, args.limit))


def _start(project: Project, _args: argparse.Namespace) -> int:
    running = server.ensure(local_folder(project))
    print(f"local Spark is up on port {running.port}; `local-pipeline stop` stops it")
    return 0


def _status(project: Project, _args: argparse.Namespace) -> int:
    state = local_folder(project)
    running = server.running(state)
    print(
        f"local Spark is up on port {running.port} (pid {running.pid})"
        if running
        else "local Spark is not running"
    )
    return 0


def _stop(project: Project, _args: argparse.Namespace) -> int:
    stopped = server.stop(local_folder(project))
    print("local Spark stopped" if stopped else "local Spark was not running")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="local-pipeline", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="pipelines, datasets and expectations (no Spark needed)").set_defaults(
        handler=_list
    )
    run = commands.add_parser("run", help="run pipelines on their sample data")
    run.add_argument("name", nargs="?", help="the pipeline to run")
    run.add_argument("--all", action="store_true", help="run every pipeline, in dependency order")
    run.add_argument(
        "--fresh",
        action="store_true",
        help="recompute every table from the landing files (samples and yours)",
    )
    run.add_argument("--timeout", type=float, default=900, help="seconds a pipeline may take (default 900)")
    run.set_defaults(handler=_run)
    show = commands.add_parser("show", help="a few rows of a dataset of the last run")
    show.add_argument("name", help="the pipeline")
    show.add_argument("dataset", help="the dataset")
    show.add_argument("--limit", type=int, default=20, help="how many rows (default 20)")
    show.set_defaults(handler=_show)
    for name, handler, help_text in (
        ("start", _start, "start the warm local Spark now"),
        ("status", _status, "whether the warm local Spark is up"),
        ("stop", _stop, "stop the warm local Spark and everything it started"),
    ):
        commands.add_parser(name, help=help_text).set_defaults(handler=handler)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(Project.find(), args)
        return code
    except (ProjectError, server.ServerError) as error:
        print(f"local-pipeline: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
