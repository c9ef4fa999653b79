"""`integration-tests`: run the integration tests on Databricks and report them as JUnit XML.

    integration-tests run (--job-id ID | --job-name NAME | --run-id ID) [--timeout S] [--junit FILE]
    integration-tests drop-schema CATALOG.SCHEMA

`run` starts the runner job (or follows a run already started), waits for it, and writes one
test case per pipeline: its duration, the error of the task that failed inside the pipeline's
test job, and a link to the run. Exit code 0 when every pipeline passed, 1 when one failed or the
wait timed out, 2 when Databricks could not be reached (after --retry-timeout seconds of
retries) or refused the credentials.
Authentication is the Databricks SDK's: DATABRICKS_HOST with a token, OAuth or a profile.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service.jobs import Run, RunLifeCycleState, RunResultState, RunTask
from junitparser import Failure, JUnitXml, TestCase, TestSuite

FINISHED = {RunLifeCycleState.TERMINATED, RunLifeCycleState.SKIPPED, RunLifeCycleState.INTERNAL_ERROR}


class UsageError(Exception):
    """A problem the user can fix by changing the command or the credentials."""


@dataclass
class Outcome:
    name: str
    seconds: float
    passed: bool
    message: str
    link: str


def _seconds(task: RunTask) -> float:
    if task.start_time and task.end_time:
        return max(task.end_time - task.start_time, 0) / 1000
    return 0.0


def _failed_task_error(client: WorkspaceClient, task: RunTask) -> tuple[str, str]:
    """The error of the first failing task of the pipeline's test job run, and that run's link."""
    fallback = (task.state.state_message if task.state else "") or "failed", task.run_page_url or ""
    child_run_id = client.jobs.get_run_output(task.run_id).run_job_output
    if not child_run_id or not child_run_id.run_id:
        return fallback
    child = client.jobs.get_run(child_run_id.run_id)
    for child_task in child.tasks or []:
        if child_task.state and child_task.state.result_state not in (None, RunResultState.SUCCESS):
            output = client.jobs.get_run_output(child_task.run_id)
            error = (
                output.error or (child_task.state.state_message or "") or child_task.state.result_state.value
            )
            return f"{child_task.task_key}: {error}", child.run_page_url or fallback[1]
    return fallback


def outcomes(client: WorkspaceClient, run: Run, timed_out: bool, timeout: float) -> list[Outcome]:
    found = []
    for task in sorted(run.tasks or [], key=lambda t: t.task_key):
        state = task.state.result_state if task.state else None
        if state == RunResultState.SUCCESS:
            found.append(Outcome(task.task_key, _seconds(task), True, "", task.run_page_url or ""))
        elif state is None and timed_out:
            message = f"timed out: still running after {timeout:.0f} s"
            found.append(Outcome(task.task_key, _seconds(task), False, message, task.run_page_url or ""))
        else:
            message, link = _failed_task_error(client, task)
            found.append(Outcome(task.task_key, _seconds(task), False, message, link))
    return found


def wait(client: WorkspaceClient, run_id: int, timeout: float, poll: float) -> tuple[Run, bool]:
    """The run once it finished, or as it stands when `timeout` seconds passed (then cancelled)."""
    deadline = time.monotonic() + timeout
    while True:
        run = client.jobs.get_run(run_id)
        if run.state and run.state.life_cycle_state in FINISHED:
            return run, False
        if time.monotonic() >= deadline:
            client.jobs.cancel_run(run_id)
            return run, True
        time.sleep(poll)


def junit(results: list[Outcome], suite_name: str) -> JUnitXml:
    suite = TestSuite(suite_name)
    for result in results:
        case = TestCase(result.name, classname=suite_name, time=result.seconds)
        if not result.passed:
            case.result = [
                Failure(message=result.message.splitlines()[0][:500] if result.message else "failed")
            ]
            case.system_out = f"{result.message}\nRun: {result.link}"
        else:
            case.system_out = f"Run: {result.link}"
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    return xml


def _job_id(client: WorkspaceClient, args: argparse.Namespace) -> int:
    if args.job_id:
        return args.job_id
    jobs = [
        job
        for job in client.jobs.list(name=args.job_name)
        if job.settings and job.settings.name == args.job_name
    ]
    if len(jobs) != 1:
        raise UsageError(
            f"--job-name {args.job_name!r} matches {len(jobs)} jobs; deploy first, or give --job-id"
        )
    return jobs[0].job_id


def run(client: WorkspaceClient, args: argparse.Namespace) -> int:
    run_id = args.run_id or client.jobs.run_now(_job_id(client, args)).run_id
    print(f"following run {run_id}", flush=True)
    finished, timed_out = wait(client, run_id, args.timeout, args.poll)
    print(f"run {run_id}: {finished.run_page_url or ''}", flush=True)
    results = outcomes(client, finished, timed_out, args.timeout)
    if not results:
        raise UsageError(f"run {run_id} has no tasks: is it the runner job's run?")
    junit(results, finished.run_name or "integration tests").write(str(args.junit), pretty=True)
    for result in results:
        verdict = "PASSED" if result.passed else "FAILED"
        print(f"{verdict} {result.name} ({result.seconds:.0f} s) {result.message}")
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed", flush=True)
    return 0 if passed == len(results) and not timed_out else 1


def drop_schema(client: WorkspaceClient, args: argparse.Namespace) -> int:
    try:
        client.schemas.delete(args.full_name, force=True)
    except NotFound:
        print(f"{args.full_name} does not exist")
        return 0
    print(f"dropped {args.full_name}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="integration-tests", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="run (or follow) the runner job and write JUnit XML")
    which = start.add_mutually_exclusive_group(required=True)
    which.add_argument("--job-id", type=int, help="the runner job's ID")
    which.add_argument("--job-name", help="the runner job's deployed name")
    which.add_argument("--run-id", type=int, help="follow this run instead of starting one")
    start.add_argument("--timeout", type=float, default=3600, help="seconds to wait (default 3600)")
    start.add_argument("--poll", type=float, default=15, help="seconds between checks (default 15)")
    start.add_argument("--junit", type=Path, default=Path("integration-test-results.xml"))
    root.add_argument(
        "--retry-timeout",
        type=int,
        default=120,
        help="seconds to keep retrying an unreachable workspace (default 120)",
    )
    start.set_defaults(handler=run)
    drop = commands.add_parser("drop-schema", help="drop a test schema and everything in it")
    drop.add_argument("full_name", help="CATALOG.SCHEMA")
    drop.set_defaults(handler=drop_schema)
    return root


def main(argv: list[str] | None = None, client: WorkspaceClient | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        client = client or WorkspaceClient(config=Config(retry_timeout_seconds=args.retry_timeout))
        return args.handler(client, args)
    except (Unauthenticated, PermissionDenied) as error:
        print(f"integration-tests: Databricks refused the credentials: {error}", file=sys.stderr)
        print("  check DATABRICKS_HOST and the token, OAuth client or profile in use", file=sys.stderr)
    except (UsageError, ValueError) as error:
        print(f"integration-tests: {error}", file=sys.stderr)
    except DatabricksError as error:
        print(f"integration-tests: Databricks answered with an error: {error}", file=sys.stderr)
    except OSError as error:  # requests' connection errors are OSErrors
        print(f"integration-tests: cannot reach Databricks: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
