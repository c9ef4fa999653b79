"""`integration-tests`: the integration tests on Databricks, in an isolated copy of the bundle, as
one command for every CI system.

    integration-tests deploy  --test-run-id ID     deploy the `ci` target as the copy named ID
    integration-tests dry-run --test-run-id ID     check every pipeline of the copy (--validate-only)
    integration-tests run     --test-run-id ID [--timeout S] [--junit FILE]
    integration-tests destroy --test-run-id ID     destroy the copy and drop its schema
    integration-tests run (--job-id ID | --job-name NAME | --run-id ID) [--timeout S] [--junit FILE]
    integration-tests drop-schema CATALOG.SCHEMA

`deploy`, `dry-run` and `destroy` drive the Databricks CLI's bundle commands on the `ci` target
(`--var test_run_id=ID`); the copy's workspace, schema and runner job come from the bundle itself.
`run` starts the runner job (or follows a run already started), waits for it, and writes one
test case per pipeline: its duration, the error of the task that failed inside the pipeline's
test job, and a link to the run. Exit code 0 when every pipeline passed, 1 when one failed, the
wait timed out or a bundle command failed, 2 when Databricks could not be reached (after
--retry-timeout seconds of retries) or refused the credentials.
Authentication is the Databricks CLI's and SDK's: DATABRICKS_HOST with a token, OAuth or a
profile (the copy's own workspace when --test-run-id is given).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.service.jobs import Run, RunLifeCycleState, RunResultState, RunTask
from junitparser import Failure, JUnitXml, TestCase, TestSuite

FINISHED = {RunLifeCycleState.TERMINATED, RunLifeCycleState.SKIPPED, RunLifeCycleState.INTERNAL_ERROR}
TARGET = "ci"
"""The bundle target of the isolated copies (databricks.yml)."""
RUNNER = "integration_tests"
"""The runner job's key in the bundle (resources/integration_tests.job.yml)."""


class UsageError(Exception):
    """A problem the user can fix by changing the command or the credentials."""


class BundleError(Exception):
    """A Databricks CLI bundle command failed; its own output says why."""


@dataclass
class TestCopy:
    """The isolated copy of the bundle named by a test run ID: the `ci` target, through the CLI."""

    test_run_id: str
    cli: str = "databricks"

    def bundle(self, command: str, *args: str, output: bool = False) -> str:
        argv = [
            self.cli,
            "bundle",
            command,
            *args,
            "--target",
            TARGET,
            "--var",
            f"test_run_id={self.test_run_id}",
        ]
        if output:
            argv += ["--output", "json"]
        print(f"$ {' '.join(argv)}", flush=True)
        result = subprocess.run(argv, check=False, stdout=subprocess.PIPE if output else None, text=True)
        if result.returncode != 0:
            raise BundleError(f"`databricks bundle {command}` failed (exit code {result.returncode})")
        return result.stdout or ""

    def configuration(self) -> dict[str, Any]:
        """The copy's configuration as the CLI resolves it: workspace, variables, resources."""
        found: dict[str, Any] = json.loads(self.bundle("validate", output=True))
        return found

    @staticmethod
    def schema_of(configuration: dict[str, Any]) -> str:
        """The copy's schema: the bundle's schema resource, named as the CLI names it for the copy
        (a bundle without one publishes to the schema its variables name)."""
        schemas = list(configuration.get("resources", {}).get("schemas", {}).values())
        if len(schemas) == 1:
            return f"{schemas[0]['catalog_name']}.{schemas[0]['name']}"
        variables = configuration["variables"]
        return f"{variables['catalog']['value']}.{variables['schema']['value']}"

    def runner_job_id(self) -> tuple[str, int]:
        """The deployed copy's workspace and runner job ID, from its deployment state."""
        summary = json.loads(self.bundle("summary", output=True))
        job = summary.get("resources", {}).get("jobs", {}).get(RUNNER, {})
        if not job.get("id"):
            raise UsageError(
                f"the copy {self.test_run_id!r} has no deployed {RUNNER} job: run `deploy` first"
            )
        return summary["workspace"]["host"], int(job["id"])


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
    if task.run_id is None:
        return fallback
    child_run_id = client.jobs.get_run_output(task.run_id).run_job_output
    if not child_run_id or not child_run_id.run_id:
        return fallback
    child = client.jobs.get_run(child_run_id.run_id)
    for child_task in child.tasks or []:
        if (
            child_task.run_id is not None
            and child_task.state
            and child_task.state.result_state not in (None, RunResultState.SUCCESS)
        ):
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


def _job_id(client: WorkspaceClient, job_name: str) -> int:
    jobs = [
        job.job_id
        for job in client.jobs.list(name=job_name)
        if job.job_id is not None and job.settings and job.settings.name == job_name
    ]
    if len(jobs) != 1:
        raise UsageError(f"--job-name {job_name!r} matches {len(jobs)} jobs; deploy first, or give --job-id")
    return jobs[0]


def run(client: WorkspaceClient, args: argparse.Namespace, job_id: int | None = None) -> int:
    """Start the runner job (or follow `args.run_id`), wait for it, write JUnit XML."""
    job_id = job_id or args.job_id
    run_id = args.run_id or client.jobs.run_now(job_id or _job_id(client, args.job_name)).run_id
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


def deploy(copy: TestCopy) -> int:
    configuration = copy.configuration()
    print(
        f"deploying to {configuration['workspace']['host']}, schema {TestCopy.schema_of(configuration)}",
        flush=True,
    )
    copy.bundle("deploy")
    return 0


def dry_run(copy: TestCopy) -> int:
    """Each pipeline's graph checked on Databricks (analysis errors, missing tables), no data."""
    for pipeline in copy.configuration().get("resources", {}).get("pipelines", {}):
        copy.bundle("run", "--validate-only", pipeline)
    return 0


def destroy(copy: TestCopy, connect: Callable[..., WorkspaceClient]) -> int:
    """Both steps are tried whatever the other did: a half-deployed copy is cleaned up too."""
    configuration = copy.configuration()
    failed = False
    try:
        copy.bundle("destroy", "--auto-approve")
    except BundleError as error:
        print(f"integration-tests: {error}", file=sys.stderr)
        failed = True
    drop(connect(configuration["workspace"]["host"]), TestCopy.schema_of(configuration))
    return 1 if failed else 0


def drop(client: WorkspaceClient, full_name: str) -> None:
    try:
        client.schemas.delete(full_name, force=True)
    except NotFound:
        print(f"{full_name} does not exist")
        return
    print(f"dropped {full_name}")


def drop_schema(client: WorkspaceClient, args: argparse.Namespace) -> int:
    drop(client, args.full_name)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="integration-tests", description=__doc__.splitlines()[0])
    root.add_argument(
        "--retry-timeout",
        type=int,
        default=120,
        help="seconds to keep retrying an unreachable workspace (default 120)",
    )
    commands = root.add_subparsers(dest="command", required=True)

    def test_run_id(command: argparse.ArgumentParser, required: bool = True) -> None:
        command.add_argument(
            "--test-run-id",
            required=required,
            help="names the copy, e.g. the CI build ID (--var test_run_id)",
        )

    for name, help_text in (
        ("deploy", "deploy the isolated copy (the ci target)"),
        ("dry-run", "check each pipeline of the copy with --validate-only"),
        ("destroy", "destroy the copy and drop its schema"),
    ):
        test_run_id(commands.add_parser(name, help=help_text))
    start = commands.add_parser("run", help="run (or follow) the runner job and write JUnit XML")
    which = start.add_mutually_exclusive_group(required=True)
    which.add_argument("--test-run-id", help="the runner job of this copy (see deploy)")
    which.add_argument("--job-id", type=int, help="the runner job's ID")
    which.add_argument("--job-name", help="the runner job's deployed name")
    which.add_argument("--run-id", type=int, help="follow this run instead of starting one")
    start.add_argument("--timeout", type=float, default=3600, help="seconds to wait (default 3600)")
    start.add_argument("--poll", type=float, default=15, help="seconds between checks (default 15)")
    start.add_argument("--junit", type=Path, default=Path("integration-test-results.xml"))
    drop_command = commands.add_parser("drop-schema", help="drop a test schema and everything in it")
    drop_command.add_argument("full_name", help="CATALOG.SCHEMA")
    return root


def main(argv: list[str] | None = None, client: WorkspaceClient | None = None) -> int:
    args = parser().parse_args(argv)

    def connect(host: str | None = None) -> WorkspaceClient:
        return client or WorkspaceClient(config=Config(host=host, retry_timeout_seconds=args.retry_timeout))

    copy = (
        TestCopy(args.test_run_id, os.environ.get("DATABRICKS_CLI", "databricks"))
        if getattr(args, "test_run_id", None)
        else None
    )
    try:
        if copy and args.command == "deploy":
            return deploy(copy)
        if copy and args.command == "dry-run":
            return dry_run(copy)
        if copy and args.command == "destroy":
            return destroy(copy, connect)
        if args.command == "drop-schema":
            return drop_schema(connect(), args)
        if copy:
            host, job_id = copy.runner_job_id()
            return run(connect(host), args, job_id)
        return run(connect(), args)
    except BundleError as error:
        print(f"integration-tests: {error}", file=sys.stderr)
        return 1
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
