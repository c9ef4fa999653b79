"""The run service: a warm Python beside the warm Spark, started by the supervisor. Importing
pyspark's Spark Connect client takes seconds (it pulls in pandas and pyarrow), more than a small
run itself; so this process, which lives as long as the server, runs `local-pipeline run` and
`show` for the command line, which only sends the request and prints the lines that come back
(protocol.py).

    python -m lakeflow_tools.local_pipeline.service --state DIR

It publishes its port and a token in the state folder's service.json (readable only by its
owner) and answers one request at a time. Before each request the project's own modules are
forgotten, so that edits to the pipeline code are picked up. It ends with the supervisor.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import sys
import time
from pathlib import Path

from lakeflow_tools.project import Project, ProjectError

from . import report, runner, server
from .folders import has_table
from .protocol import Request, RunRequest, Say, ShowRequest, serve


def forget_project_modules(root: Path) -> None:
    """Drop the project's own modules (its package, not installed libraries or this tooling) so
    the next import reads the files as they are now."""
    root = root.resolve()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = Path(path).resolve()
        if path.is_relative_to(root) and not {".venv", "tools", "site-packages"} & set(
            path.relative_to(root).parts
        ):
            del sys.modules[name]
    importlib.invalidate_caches()


def run(project: Project, request: RunRequest, say: Say) -> int:
    """Exit code 1 when a pipeline failed."""
    if request.all:
        reports = runner.run_all(project, list(project.pipelines()), request.fresh, request.timeout, say)
    else:
        name = project.pipeline(request.name or "").name
        reports = [runner.run(project, name, request.fresh, request.timeout, say)]
    failed = [r for r in reports if not r.ok]
    if request.all:  # one verdict for the whole run, after each pipeline's own
        say(f"{len(reports) - len(failed)} of {len(reports)} pipelines completed")
        for failure in failed:
            say(report.failure_line(failure))
    return 1 if failed else 0


def show(project: Project, request: ShowRequest, say: Say) -> int:
    """The rows as Spark's `show` prints them."""
    if not has_table(project, request.dataset):
        raise ProjectError(
            f"{request.dataset} has no local table yet: run `local-pipeline run {request.name}`"
        )
    spark = runner.connect(project, say)
    try:
        rows = spark.read.table(request.dataset)
        text = rows._show_string(request.limit, truncate=False)  # type: ignore[operator]  # show()'s text
        for line in text.splitlines():
            say(line)
    finally:
        spark.stop()
    return 0


def handle(request: Request, say: Say) -> int:
    """Do one request of the command line, as the command line would: its exit code."""
    project = Project(Path(request.root))
    forget_project_modules(project.root)
    try:
        return run(project, request, say) if isinstance(request, RunRequest) else show(project, request, say)
    except ProjectError as error:
        say(f"local-pipeline: {error}")
        return 2


def publish(state: Path, port: int, token: str) -> None:
    """Tell commands where the service listens; the token only to the owner."""
    record = json.dumps({"supervisor": os.getppid(), "port": port, "token": token})
    descriptor = os.open(server.service_path(state), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as published:
        published.write(record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {server.SERVICE}")
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    supervisor = os.getppid()
    server.fingerprint()  # of the code this process runs: taken now, as the command took its own
    token = secrets.token_hex(16)
    publish(args.state, serve(token, handle), token)
    while os.getppid() == supervisor:  # the supervisor is gone when this process is adopted
        time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
