"""What `local-pipeline run` and `show` do once Spark is up: shared by the run service (in the
warm Python beside the server, see service.py) and the command line, which does it itself when
no service answers."""

from __future__ import annotations

from collections.abc import Callable

from lakeflow_tools.project import Project, ProjectError

from . import report, runner


def run(project: Project, request: dict, say: Callable[[str], None]) -> int:
    """request: name or all, fresh, timeout. Exit code 1 when a pipeline failed."""
    if request.get("all"):
        reports = runner.run_all(
            project, list(project.pipelines()), request["fresh"], request["timeout"], say
        )
    else:
        reports = [
            runner.run(
                project, project.pipeline(request["name"]).name, request["fresh"], request["timeout"], say
            )
        ]
    failed = [r for r in reports if not r.ok]
    if request.get("all"):  # one verdict for the whole run, after each pipeline's own
        say(f"{len(reports) - len(failed)} of {len(reports)} pipelines completed")
        for failure in failed:
            say(report.failure_line(failure))
    return 1 if failed else 0


def show(project: Project, request: dict, say: Callable[[str], None]) -> int:
    """request: name, dataset, limit. The rows as Spark's `show` prints them."""
    if not runner.has_table(project, request["dataset"]):
        raise ProjectError(
            f"{request['dataset']} has no local table yet: run `local-pipeline run {request['name']}`"
        )
    spark = runner.connect(project, say)
    try:
        rows = spark.read.table(request["dataset"])
        for line in rows._show_string(request["limit"], truncate=False).splitlines():
            say(line)
    finally:
        spark.stop()
    return 0


HANDLERS: dict[str, Callable[[Project, dict, Callable[[str], None]], int]] = {"run": run, "show": show}
