"""`integration-tests` against a local HTTP server that speaks the Jobs API endpoints it calls,
with the real databricks-sdk client."""

import itertools
import json
import socket

import pytest
from databricks.sdk import WorkspaceClient
from junitparser import Failure, JUnitXml
from werkzeug import Response

from lakeflow_tools import integration_tests

JOBS = "/api/2.2/jobs"
RUNNER_RUN = 100


def task(key, result=None, run_id=None, start=1_000, end=61_000):
    state = {"life_cycle_state": "TERMINATED" if result else "RUNNING"}
    if result:
        state["result_state"] = result
    return {
        "task_key": key,
        "run_id": run_id or hash(key) % 1000 + 1000,
        "state": state,
        "start_time": start,
        "end_time": end if result else 0,
        "run_page_url": f"https://example.invalid/run/{key}",
    }


def runner_run(*tasks, finished=True):
    return {
        "run_id": RUNNER_RUN,
        "run_name": "sales_integration_tests",
        "run_page_url": "https://example.invalid/run/100",
        "state": {"life_cycle_state": "TERMINATED" if finished else "RUNNING"},
        "tasks": list(tasks),
    }


@pytest.fixture
def client(httpserver):
    return WorkspaceClient(host=httpserver.url_for("/"), token="test-token")


def serve_runs(httpserver, *responses):
    """runs/get answers with each response in turn, then keeps answering with the last one."""
    answers = itertools.chain(responses, itertools.repeat(responses[-1]))
    httpserver.expect_request(f"{JOBS}/runs/get", query_string=f"run_id={RUNNER_RUN}").respond_with_handler(
        lambda request: Response(json.dumps(next(answers)), content_type="application/json")
    )


def report(tmp_path, client, *args):
    junit = tmp_path / "results.xml"
    code = integration_tests.main(["run", *args, "--poll", "0.01", "--junit", str(junit)], client=client)
    return code, (JUnitXml.fromfile(str(junit)) if junit.exists() else None)


def cases(xml):
    return {case.name: case for suite in xml for case in suite}


def test_all_pipelines_pass(httpserver, client, tmp_path):
    httpserver.expect_request(f"{JOBS}/run-now", method="POST", json={"job_id": 7}).respond_with_json(
        {"run_id": RUNNER_RUN}
    )
    serve_runs(
        httpserver,
        runner_run(task("orders"), task("customers"), finished=False),
        runner_run(task("orders", "SUCCESS"), task("customers", "SUCCESS", end=31_000)),
    )

    code, xml = report(tmp_path, client, "--job-id", "7")

    assert code == 0
    found = cases(xml)
    assert sorted(found) == ["customers", "orders"]
    assert all(case.is_passed for case in found.values())
    assert found["orders"].time == 60.0
    assert found["customers"].time == 30.0
    assert "https://example.invalid/run/orders" in found["orders"].system_out


def test_a_failing_pipeline_names_the_failing_task(httpserver, client, tmp_path):
    serve_runs(httpserver, runner_run(task("orders", "SUCCESS"), task("customers", "FAILED", run_id=201)))
    httpserver.expect_request(f"{JOBS}/runs/get-output", query_string="run_id=201").respond_with_json(
        {"run_job_output": {"run_id": 300}}
    )
    httpserver.expect_request(f"{JOBS}/runs/get", query_string="run_id=300").respond_with_json(
        {
            "run_id": 300,
            "run_page_url": "https://example.invalid/run/300",
            "tasks": [
                task("setup", "SUCCESS", 301),
                task("run_pipeline", "SUCCESS", 302),
                task("validate", "FAILED", 303),
            ],
        }
    )
    httpserver.expect_request(f"{JOBS}/runs/get-output", query_string="run_id=303").respond_with_json(
        {"error": "AssertionError: customers_gold differs from the sample data"}
    )

    code, xml = report(tmp_path, client, "--run-id", str(RUNNER_RUN))

    assert code == 1
    found = cases(xml)
    assert found["orders"].is_passed
    [failure] = found["customers"].result
    assert isinstance(failure, Failure)
    assert failure.message == "validate: AssertionError: customers_gold differs from the sample data"
    assert "https://example.invalid/run/300" in found["customers"].system_out


def test_timeout_cancels_the_run_and_fails_what_is_unfinished(httpserver, client, tmp_path):
    serve_runs(httpserver, runner_run(task("orders", "SUCCESS"), task("customers"), finished=False))
    httpserver.expect_request(
        f"{JOBS}/runs/cancel", method="POST", json={"run_id": RUNNER_RUN}
    ).respond_with_json({})

    code, xml = report(tmp_path, client, "--run-id", str(RUNNER_RUN), "--timeout", "0.05")

    assert code == 1
    found = cases(xml)
    assert found["orders"].is_passed
    assert found["customers"].result[0].message.startswith("timed out")
    assert any(request.path == f"{JOBS}/runs/cancel" for request, _ in httpserver.log)


def test_bad_credentials_give_a_clear_message(httpserver, client, tmp_path, capsys):
    httpserver.expect_request(f"{JOBS}/run-now", method="POST").respond_with_json(
        {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}, status=401
    )

    code, xml = report(tmp_path, client, "--job-id", "7")

    assert code == 2
    assert xml is None
    err = capsys.readouterr().err
    assert "refused the credentials" in err
    assert "Invalid access token" in err
    assert "Traceback" not in err


def test_unknown_job_name_is_a_usage_error(httpserver, client, tmp_path, capsys):
    httpserver.expect_request(f"{JOBS}/list").respond_with_json({"jobs": []})

    code, _ = report(tmp_path, client, "--job-name", "sales_integration_tests")

    assert code == 2
    assert "matches 0 jobs" in capsys.readouterr().err


def test_unreachable_workspace_gives_a_clear_message(monkeypatch, tmp_path, capsys):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DATABRICKS_HOST", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("DATABRICKS_TOKEN", "test-token")

    code = integration_tests.main(
        ["--retry-timeout", "1", "run", "--job-id", "7", "--junit", str(tmp_path / "r.xml")]
    )

    assert code == 2
    assert "cannot reach Databricks" in capsys.readouterr().err
