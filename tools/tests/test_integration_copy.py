"""`integration-tests deploy | dry-run | run | destroy --test-run-id`: the one command both CI
systems call, against a stand-in Databricks CLI that records its calls and answers as the real
one does for `bundle validate/summary --output json`."""

import json
import sys
import textwrap

import pytest

from lakeflow_tools import integration_tests

CONFIGURATION = {
    "workspace": {"host": "https://adb-1.2.azuredatabricks.net"},
    "variables": {"catalog": {"value": "staging"}, "schema": {"value": "sales"}},
    "resources": {
        # As `bundle validate` resolves it: the CLI prefixes the copy's schema (presets.name_prefix).
        "schemas": {"sales": {"catalog_name": "staging", "name": "ci_4711_sales"}},
        "pipelines": {"orders": {}, "customers": {}},
        "jobs": {"integration_tests": {}},
    },
}
SUMMARY = {**CONFIGURATION, "resources": {"jobs": {"integration_tests": {"id": "987"}}}}


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """A `databricks` that logs each call, and fails the bundle command named in FAIL_ON."""
    log = tmp_path / "calls.jsonl"
    script = tmp_path / "databricks"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, os, sys
            with open({str(log)!r}, "a") as calls:
                calls.write(json.dumps(sys.argv[1:]) + "\\n")
            command = sys.argv[2]
            if command == os.environ.get("FAIL_ON"):
                sys.exit(1)
            if command == "validate":
                print(json.dumps({CONFIGURATION!r}))
            if command == "summary":
                print(json.dumps({SUMMARY!r}))
            """
        )
    )
    script.chmod(0o755)
    monkeypatch.setenv("DATABRICKS_CLI", str(script))

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


COPY = ["--target", "ci", "--var", "test_run_id=4711"]


def test_deploy_validates_then_deploys_the_named_copy(cli, capsys):
    assert integration_tests.main(["deploy", "--test-run-id", "4711"]) == 0

    assert cli() == [["bundle", "validate", *COPY, "--output", "json"], ["bundle", "deploy", *COPY]]
    assert "schema staging.ci_4711_sales" in capsys.readouterr().out


def test_dry_run_checks_every_pipeline_of_the_bundle(cli):
    assert integration_tests.main(["dry-run", "--test-run-id", "4711"]) == 0

    runs = [call for call in cli() if call[1] == "run"]
    assert runs == [["bundle", "run", "--validate-only", name, *COPY] for name in ("orders", "customers")]


def test_a_failing_bundle_command_fails_the_step(cli, monkeypatch, capsys):
    monkeypatch.setenv("FAIL_ON", "deploy")

    assert integration_tests.main(["deploy", "--test-run-id", "4711"]) == 1
    assert "`databricks bundle deploy` failed" in capsys.readouterr().err


class Schemas:
    def __init__(self):
        self.deleted = []

    def delete(self, full_name, force):
        self.deleted.append((full_name, force))


class Client:
    def __init__(self):
        self.schemas = Schemas()


def test_destroy_destroys_the_copy_and_drops_its_schema(cli):
    client = Client()

    assert integration_tests.main(["destroy", "--test-run-id", "4711"], client=client) == 0
    assert ["bundle", "destroy", "--auto-approve", *COPY] in cli()
    assert client.schemas.deleted == [("staging.ci_4711_sales", True)]


def test_destroy_drops_the_schema_even_when_the_bundle_destroy_fails(cli, monkeypatch):
    monkeypatch.setenv("FAIL_ON", "destroy")
    client = Client()

    assert integration_tests.main(["destroy", "--test-run-id", "4711"], client=client) == 1
    assert client.schemas.deleted == [("staging.ci_4711_sales", True)]


def test_run_finds_the_copys_runner_job_and_workspace(cli, monkeypatch, tmp_path):
    seen = {}

    def fake_run(client, args, job_id=None):
        seen.update(client=client, job_id=job_id)
        return 0

    monkeypatch.setattr(integration_tests, "run", fake_run)
    monkeypatch.setattr(integration_tests, "Config", dict)  # no sign-in: the host is what matters
    monkeypatch.setattr(integration_tests, "WorkspaceClient", lambda config: config["host"])

    assert integration_tests.main(["run", "--test-run-id", "4711", "--junit", str(tmp_path / "r.xml")]) == 0
    assert seen == {"client": "https://adb-1.2.azuredatabricks.net", "job_id": 987}
    assert ["bundle", "summary", *COPY, "--output", "json"] in cli()


def test_run_before_deploy_says_so(cli, monkeypatch, capsys):
    monkeypatch.setattr(integration_tests.TestCopy, "runner_job_id", integration_tests.TestCopy.runner_job_id)
    summary_without_job = {**SUMMARY, "resources": {}}
    monkeypatch.setattr(
        integration_tests.TestCopy, "bundle", lambda self, *a, **k: json.dumps(summary_without_job)
    )

    assert integration_tests.main(["run", "--test-run-id", "4711"]) == 2
    assert "no deployed integration_tests job: run `deploy` first" in capsys.readouterr().err


def test_a_bundle_without_a_schema_resource_names_the_copy_by_its_variables():
    older = {
        "variables": {"catalog": {"value": "staging"}, "schema": {"value": "sales_ci_4711"}},
        "resources": {},
    }

    assert integration_tests.TestCopy.schema_of(older) == "staging.sales_ci_4711"
    assert integration_tests.TestCopy.schema_of(CONFIGURATION) == "staging.ci_4711_sales"
