"""Lint tier for CI/CD: the Azure DevOps pipelines and GitHub workflows of every answer set that
has them are valid for check-jsonschema's schemas, their shell passes shellcheck, every template
and action they use exists, every `databricks bundle` command names a target of databricks.yml,
secrets reach steps only through `env:`, and the README lists every name a user must create."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from . import ci_files
from .conftest import ANSWER_SETS, load_answers, questions, render

CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "nonunicode"]
SHELLCHECK = shutil.which("shellcheck", path=str(Path(sys.executable).parent))


def chosen(answer_set: str) -> list[str]:
    return load_answers(answer_set).get("ci", questions()["ci"]["default"])


# Each test runs on the answer sets that have what it checks: nothing is skipped.
WITH_CI = [name for name in ANSWER_SETS if chosen(name)]
WITH_ADO = [name for name in ANSWER_SETS if "azure_devops" in chosen(name)]
WITH_GITHUB = [name for name in ANSWER_SETS if "github_actions" in chosen(name)]


def recorded(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


@pytest.fixture(params=WITH_CI)
def ci_project(rendered, request) -> Path:
    return rendered(request.param)


@pytest.fixture(params=WITH_ADO)
def ado_project(rendered, request) -> Path:
    return rendered(request.param)


@pytest.fixture(params=WITH_GITHUB)
def github_project(rendered, request) -> Path:
    return rendered(request.param)


@pytest.fixture(scope="session")
def azure_pipelines_schema(tmp_path_factory) -> Path:
    """check-jsonschema's vendor.azure-pipelines, plus the inputs of PublishCodeCoverageResults@2:
    the vendored schema names that task version but describes only version 1's inputs. The
    added inputs are those of the task's reference (summaryFileLocation required)."""
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("azure-pipelines.json").read_text()
    )
    schema["definitions"]["task"]["anyOf"].append(
        {
            "properties": {
                "task": {"pattern": "^PublishCodeCoverageResults@2$"},
                "inputs": {
                    "properties": {
                        "summaryFileLocation": {"type": "string"},
                        "pathToSources": {"type": "string"},
                        "failIfCoverageEmpty": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                    "required": ["summaryFileLocation"],
                },
            },
            "required": ["task"],
        }
    )
    path = tmp_path_factory.mktemp("schemas") / "azure-pipelines.json"
    path.write_text(json.dumps(schema))
    return path


def check_schema(schema: list[str], files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([*CHECK_JSONSCHEMA, *schema, *map(str, files)], capture_output=True, text=True, check=False)


def ado_files(project: Path) -> list[Path]:
    return sorted((project / ci_files.ADO).rglob("*.yml"))


def assert_azure_pipelines_valid(project: Path, schema: Path) -> None:
    result = check_schema(["--schemafile", str(schema)], ado_files(project))
    assert result.returncode == 0, result.stdout[-3000:]


def test_chosen_systems_and_only_those_are_rendered(project, answers):
    assert (project / ci_files.ADO).is_dir() == ("azure_devops" in answers["ci"])
    assert (project / ci_files.GITHUB).is_dir() == ("github_actions" in answers["ci"])


def test_azure_pipelines_match_the_schema(ado_project, azure_pipelines_schema):
    assert_azure_pipelines_valid(ado_project, azure_pipelines_schema)


def test_github_workflows_and_actions_match_their_schemas(github_project):
    workflows = sorted((github_project / ".github/workflows").glob("*.yml"))
    actions = sorted((github_project / ".github/actions").glob("*/action.yml"))

    for schema, files in (("vendor.github-workflows", workflows), ("vendor.github-actions", actions)):
        result = check_schema(["--builtin-schema", schema], files)
        assert files and result.returncode == 0, result.stdout[-3000:]


def test_schema_checks_catch_mistakes(rendered, tmp_path, azure_pipelines_schema):
    """Not vacuous: a misspelt key, a wrong task input or an unknown job key is reported."""
    project = rendered("gcp_four_envs")
    ci = (project / ci_files.ADO / "ci.yml").read_text()
    mistakes = {
        "ado_key.yml": ci.replace("dependsOn: []", "dependsOnn: []"),
        "ado_input.yml": ci.replace("testResultsFormat: JUnit", "testResultFormat: JUnit"),
        "ado_task.yml": ci.replace("task: PublishCodeCoverageResults@2", "task: PublishCodeCoverageResult@2"),
    }
    workflow = (project / ".github/workflows/ci.yml").read_text()
    mistakes["gh_key.yml"] = workflow.replace("runs-on:", "run-on:", 1)
    for name, text in mistakes.items():
        (tmp_path / name).write_text(text)
        assert text != (ci if name.startswith("ado") else workflow), name

    for name in mistakes:
        schema = (
            ["--schemafile", str(azure_pipelines_schema)]
            if name.startswith("ado")
            else ["--builtin-schema", "vendor.github-workflows"]
        )
        assert check_schema(schema, [tmp_path / name]).returncode == 1, name


def all_jobs(project: Path, answers: dict) -> list[ci_files.Job]:
    jobs = []
    if "azure_devops" in answers["ci"]:
        jobs += ci_files.ado_jobs(project)
    if "github_actions" in answers["ci"]:
        jobs += ci_files.github_jobs(project)
    return jobs


def shellcheck(scripts: list[str], directory: Path) -> subprocess.CompletedProcess:
    paths = []
    for index, script in enumerate(scripts):
        path = directory / f"step_{index}.sh"
        # What is left of the runners' own expressions is a word to the shell.
        path.write_text("#!/usr/bin/env bash\n" + ci_files.EXPRESSION.sub("EXPRESSION", script))
        paths.append(str(path))
    return subprocess.run([SHELLCHECK, "--shell=bash", *paths], capture_output=True, text=True, check=False)


def test_every_script_passes_shellcheck(ci_project, tmp_path):
    project, answers = ci_project, recorded(ci_project)
    found = ci_files.scripts(all_jobs(project, answers))
    result = shellcheck(found, tmp_path)

    assert len(found) >= 3
    assert result.returncode == 0, result.stdout


def test_shellcheck_catches_mistakes(tmp_path):
    result = shellcheck(["databricks bundle deploy --target $TARGET\ncd $(dirname $0)"], tmp_path)

    assert result.returncode == 1
    assert "SC2086" in result.stdout


def test_referenced_templates_and_actions_exist(ci_project):
    """Every `template:` resolves from the file that names it and every template is used; expanding
    the jobs also fails on a missing local action, an unknown parameter or a missing required one."""
    project, answers = ci_project, recorded(ci_project)
    referenced = {
        (path.parent / name).resolve()
        for path in ado_files(project)
        for name in re.findall(r"template: (\S+)", path.read_text())
    }

    assert all_jobs(project, answers)
    assert [path for path in referenced if not path.is_file()] == []
    assert set(project.joinpath(ci_files.ADO, "templates").glob("*.yml")) <= referenced


BUNDLE_COMMAND = re.compile(r"databricks bundle (\w+)([^\n]*)")


def named_targets(job: ci_files.Job) -> list[tuple[str, str | None]]:
    """Each `databricks bundle` command of a job and the target it names: a literal, or a shell
    variable that the script assigns a literal or the step sets in its `env:` (as a composite
    action sets TARGET from its input)."""
    found = []
    for step in job.steps:
        for key in ("script", "bash", "run"):
            script = step.get(key, "")
            assigned = dict(re.findall(r'^\s*(\w+)="?([\w-]+)"?$', script, flags=re.MULTILINE))
            known = {**assigned, **(step.get("env") or {})}
            for command in BUNDLE_COMMAND.finditer(script):
                named = re.search(r"(?:--target|-t)[ =](\S+)", command.group(2))
                target = named.group(1) if named else None
                if target and (variable := re.fullmatch(r'"\$(\w+)"', target)):
                    target = known.get(variable.group(1), target)
                found.append((command.group(0), target))
    return found


def test_bundle_commands_name_targets_of_the_bundle(ci_project):
    project, answers = ci_project, recorded(ci_project)
    targets = set(yaml.safe_load((project / "databricks.yml").read_text())["targets"])
    commands = [found for job in all_jobs(project, answers) for found in named_targets(job)]

    assert commands
    assert [command for command, target in commands if target is None] == []
    assert {target for _, target in commands} <= targets


def stage_of(job: ci_files.Job) -> str:
    return job.name.split(".")[0]


def test_cd_plans_reviews_and_deploys_shared_environments_in_order(ci_project):
    """Per shared environment, in promotion order: a plan as its deployer, before any approval;
    the review; then a deploy bound to the environment (where its approvals are), of that plan."""
    project, answers = ci_project, recorded(ci_project)
    shared = answers["environments"][1:]
    slug = answers["project_slug"]
    first = [f"terraform_{answers['environments'][0]}"] if answers.get("terraform") else []
    if "azure_devops" in answers["ci"]:
        jobs = [job for job in ci_files.ado_jobs(project) if job.file == "cd.yml"]
        plans = [job for job in jobs if job.name.endswith(".plan")]
        deploys = [job for job in jobs if job.name.endswith(".deploy")]
        assert [stage_of(job) for job in plans] == [f"plan_{env}" for env in shared]
        assert [job.depends_on for job in plans] == [first, *([f"deploy_{env}"] for env in shared[:-1])]
        assert [job.depends_on for job in deploys] == [[f"plan_{env}"] for env in shared]
        assert [job.environment for job in plans] == [None] * len(shared)  # no approval before the plan
        assert [job.environment for job in deploys] == [f"{slug}-{env}" for env in shared]
        assert [job.groups for job in plans + deploys] == [[f"{slug}-{env}"] for env in shared * 2]
        for plan, deploy, env in zip(plans, deploys, shared, strict=True):
            assert f"databricks bundle plan --target {env} --output json" in "\n".join(ci_files.scripts([plan]))
            assert ("deploy", env) in [(command.split()[2], target) for command, target in named_targets(deploy)]
    if "github_actions" in answers["ci"]:
        jobs = {job.name: job for job in ci_files.github_jobs(project) if job.file == "cd.yml"}
        for index, env in enumerate(shared):
            plan, review, deploy = jobs[f"plan_{env}"], jobs[f"review_{env}"], jobs[f"deploy_{env}"]
            assert plan.depends_on == ([f"deploy_{shared[index - 1]}"] if index else first)
            assert review.depends_on == [f"plan_{env}"]
            assert deploy.depends_on == [f"review_{env}"] + ([f"terraform_{env}"] if answers.get("terraform") else [])
            assert (plan.environment, review.environment, deploy.environment) == (f"{env}-plan", None, env)
            assert f"databricks bundle plan --target {env} --output json" in "\n".join(ci_files.scripts([plan]))
            assert ("deploy", env) in [(c.split()[2], t) for c, t in named_targets(deploy)]
        workflow = ci_files.load(project / ".github/workflows/cd.yml")
        groups = [job["concurrency"]["group"] for name, job in workflow["jobs"].items() if name.startswith("deploy_")]
        assert groups == [f"deploy-{env}" for env in shared]
    assert shared, "every answer set with CI/CD has shared environments to deploy"


def test_single_environment_gets_ci_without_cd(tmp_path, azure_pipelines_schema):
    project = render(tmp_path / "one", {"environments": ["dev"], "ci": ["azure_devops", "github_actions"]})

    assert not (project / ci_files.ADO / "cd.yml").exists()
    assert not (project / ".github/workflows/cd.yml").exists()
    assert {job.name for job in ci_files.ado_jobs(project)} == {
        "checks.unit_tests",
        "validate.validate_dev",
        "validate.validate_ci",
        "integration_tests.integration_tests",
    }
    assert ci_files.readme_table(project, "Azure DevOps") == {"variable group": {"lakeflow_project-ci"}}
    assert_azure_pipelines_valid(project, azure_pipelines_schema)


SECRETS = ("DATABRICKS_CLIENT_SECRET", "SYSTEM_ACCESSTOKEN", "System.AccessToken")


def test_secrets_reach_steps_only_through_env(ci_project):
    """No script names a secret (so none prints one) and no step but through `env:` receives one;
    GitHub scripts hold no `${{ }}` expression, which would be pasted into the shell unquoted."""
    project, answers = ci_project, recorded(ci_project)
    jobs = all_jobs(project, answers)
    for job in jobs:
        for step in job.steps:
            outside_env = json.dumps({key: value for key, value in step.items() if key != "env"})
            assert not any(secret in outside_env for secret in SECRETS), (job.name, step)
    assert not any("set -x" in script for script in ci_files.scripts(jobs))
    if "github_actions" in answers["ci"]:
        github = ci_files.github_jobs(project)
        assert [s for s in ci_files.scripts(github) if "${{" in s] == []
        assert "secrets." not in "".join(p.read_text() for p in (project / ".github").rglob("*.yml"))


def ado_auth_env(project: Path) -> dict:
    step = ci_files.load(project / ci_files.ADO / "templates/databricks-step.yml")["steps"][0]
    return step["env"]


def test_ado_auth_variants_render_different_valid_steps(tmp_path, azure_pipelines_schema):
    rendered = {auth: render(tmp_path / auth, {"ado_auth": auth}) for auth in ("workload_identity", "oauth_m2m")}
    federated, m2m = (ado_auth_env(rendered[auth]) for auth in ("workload_identity", "oauth_m2m"))

    assert federated == {
        "DATABRICKS_AUTH_TYPE": "azure-devops-oidc",
        "DATABRICKS_CLIENT_ID": "$(DATABRICKS_CLIENT_ID)",
        "SYSTEM_ACCESSTOKEN": "$(System.AccessToken)",
    }
    assert m2m == {
        "DATABRICKS_AUTH_TYPE": "oauth-m2m",
        "DATABRICKS_CLIENT_ID": "$(DATABRICKS_CLIENT_ID)",
        "DATABRICKS_CLIENT_SECRET": "$(DATABRICKS_CLIENT_SECRET)",
    }
    for project in rendered.values():
        assert_azure_pipelines_valid(project, azure_pipelines_schema)


def test_readme_lists_every_azure_devops_name(ado_project):
    project = ado_project
    jobs = ci_files.ado_jobs(project)
    sources = " ".join(path.read_text() for path in ado_files(project))
    listed = ci_files.readme_table(project, "Azure DevOps")

    assert listed.pop("variable group") == {group for job in jobs for group in job.groups}
    assert listed.pop("environment", set()) == {job.environment for job in jobs if job.environment}
    assert listed.pop("service connection", set()) == set(
        re.findall(r"(?:azureSubscription|serviceConnection|connectedServiceName\w*): (\S+)", sources)
    )
    assert listed == {}


def test_readme_lists_every_github_name(github_project):
    project = github_project
    jobs = ci_files.github_jobs(project)
    listed = ci_files.readme_table(project, "GitHub Actions")

    section = (project / "README.md").read_text().split("### GitHub Actions\n", 1)[1]

    assert listed.pop("environment") == {job.environment for job in jobs if job.environment}
    assert listed.pop("repository variable") <= ci_files.referenced_variables(project)
    assert listed == {}
    assert {name for name in ci_files.referenced_variables(project) if f"`{name}`" not in section} == set()


# Shapes of real credentials: Databricks personal access tokens and OAuth secrets, GitHub and
# Azure DevOps tokens, Microsoft Entra client secrets, private keys, and any literal given to a
# key that names a secret and looks random (16 or more characters, letters and digits).
SECRET_LITERALS = re.compile(
    r"dapi[0-9a-f]{32}|dose[0-9a-f]{32}|gh[pousr]_[A-Za-z0-9]{36}|[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----|\b[a-z0-9]{52}\b"
    r"|(?i:(?:client_secret|token|password)\w*)[\"']?\s*[:=]\s*[\"']?"
    r"(?=[\w/+~.-]*\d)(?=[\w/+~.-]*[A-Za-z])[\w/+~.-]{16,}"
)


def secret_literals(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            for match in SECRET_LITERALS.finditer(path.read_text(errors="replace")):
                found.append(f"{path.relative_to(root)}: {match.group(0)}")
    return found


def test_no_secret_literal_anywhere(project):
    assert secret_literals(project) == []


@pytest.mark.parametrize(
    "planted",
    [
        "token: dapi0123456789abcdef0123456789abcdef",
        "DATABRICKS_CLIENT_SECRET: dose0123456789abcdef0123456789abcdef",
        "client_secret = 'abcDEF123456789xyz'",
        "password: hunter2hunter2hunter2",
        "-----BEGIN RSA PRIVATE KEY-----",
    ],
)
def test_secret_scan_catches_planted_secrets(tmp_path, planted):
    (tmp_path / "databricks.yml").write_text(f"bundle:\n  {planted}\n")

    assert len(secret_literals(tmp_path)) == 1


def test_pinned_cli_supports_azure_devops_federation():
    versions = yaml.safe_load(Path(__file__).parents[1].joinpath("includes/versions.yml").read_text())

    def parse(name: str) -> tuple[int, ...]:
        return tuple(int(part) for part in versions[name]["default"].split("."))

    assert parse("databricks_cli_version") >= parse("databricks_cli_azure_devops_oidc_min_version")
    assert parse("databricks_cli_version") >= parse("databricks_cli_min_version")


def test_answer_sets_cover_both_systems_and_none():
    chosen = [
        tuple(load_answers(name).get("ci", ["azure_devops"])) for name in ("default", "gcp_four_envs", "aws_classic")
    ]

    assert chosen == [("azure_devops",), ("azure_devops", "github_actions"), ()]


def pull_request_identities(project: Path, answers: dict) -> dict[str, set[str]]:
    """Per job a pull request's build runs, the identities it could use beyond CI's own: the
    only ones allowed are CI's variable group (Azure DevOps) and the `ci` environment with its
    client ID and the token audience (GitHub)."""
    allowed = {
        f"group {answers['project_slug']}-ci",
        "environment ci",
        "variable DATABRICKS_CLIENT_ID",
        "variable DATABRICKS_TOKEN_AUDIENCE",
    }
    return {
        f"{job.file}:{job.name}": extra
        for job in all_jobs(project, answers)
        if job.on_pull_request and (extra := ci_files.identities(job) - allowed)
    }


def test_pull_requests_hold_only_the_ci_identity(ci_project):
    """A pull request's author controls the YAML its build runs: no job a pull request triggers
    may reach a shared environment's variable group, environment, service connection or secret."""
    project, answers = ci_project, recorded(ci_project)
    jobs = all_jobs(project, answers)

    assert any(job.on_pull_request for job in jobs)
    assert pull_request_identities(project, answers) == {}


@pytest.mark.parametrize(
    ("path", "old", "new", "expected"),
    [
        pytest.param(
            ".azuredevops/pipelines/ci.yml",
            "          - group: risk_data_platform-ci\n",
            "          - group: risk_data_platform-prod\n",
            "group risk_data_platform-prod",
            id="azure: a shared variable group",
        ),
        pytest.param(
            ".azuredevops/pipelines/cd.yml",
            "pr: none\n",
            "",
            "environment risk_data_platform-qa",
            id="azure: cd without pr: none",
        ),
        pytest.param(
            ".azuredevops/pipelines/ci.yml",
            "          - template: templates/setup-python.yml\n",
            "          - task: AzureCLI@2\n            inputs:\n              azureSubscription: prod-connection\n"
            "              scriptType: bash\n              scriptLocation: inlineScript\n"
            "              inlineScript: az account show\n          - template: templates/setup-python.yml\n",
            "service connection prod-connection",
            id="azure: a service connection",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            "    environment: ci\n",
            "    environment: prod\n",
            "environment prod",
            id="github: env",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            "          client-id: ${{ vars.DATABRICKS_CLIENT_ID }}\n",
            "          client-id: ${{ vars.DATABRICKS_TERRAFORM_CLIENT_ID }}\n          token: ${{ secrets.PROD }}\n",
            "secret PROD",
            id="github: a secret and another principal",
        ),
    ],
)
def test_pull_request_identity_check_catches(rendered, tmp_path, path, old, new, expected):
    project = Path(shutil.copytree(rendered("gcp_four_envs"), tmp_path / "project"))
    text = (project / path).read_text()
    assert old in text, f"{path} has no {old!r}"
    (project / path).write_text(text.replace(old, new, 1))

    found = pull_request_identities(project, recorded(project))

    assert any(expected in extra for extra in found.values()), found


ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent))


def actionlint(project: Path) -> subprocess.CompletedProcess:
    """actionlint (with shellcheck on every `run:`), as GitHub would read the workflows: expressions,
    contexts, `needs`, action inputs, and actions whose runtime is deprecated."""
    workflows = sorted(str(path) for path in (project / ".github/workflows").glob("*.yml"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [ACTIONLINT, "-no-color", *workflows], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def test_github_workflows_pass_actionlint(github_project):
    result = actionlint(github_project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_mistakes(rendered, tmp_path):
    """Not vacuous: an unknown `needs`, a Node 20 action and an undefined context are each reported."""
    project = Path(shutil.copytree(rendered("gcp_four_envs"), tmp_path / "project"))
    workflow = project / ".github/workflows/ci.yml"
    text = workflow.read_text()
    planted = {
        "needs: [unit_tests, validate]": "needs: [unit_tests, validation]",
        "actions/upload-artifact@v7": "actions/upload-artifact@v5",
        "TEST_RUN_ID: ${{ github.run_id }}": "TEST_RUN_ID: ${{ github.run_idd }}",
    }
    for old, new in planted.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    workflow.write_text(text)

    output = actionlint(project).stdout

    assert "validation" in output and "node20" in output and "run_idd" in output, output


def test_unit_tests_run_on_the_spark_the_answer_chose(ci_project):
    """`ci_unit_tests`: local Spark on the agent, with Java and no identity; or serverless through
    Databricks Connect, with the `dbconnect` group, signed in as CI's principal, no Java."""
    project, answers = ci_project, recorded(ci_project)
    serverless = answers.get("ci_unit_tests") == "serverless"
    jobs = [job for job in all_jobs(project, answers) if job.name in {"checks.unit_tests", "unit_tests"}]

    assert len(jobs) == len(answers["ci"])
    for job in jobs:
        text = yaml.safe_dump(job.steps)
        if job.name == "unit_tests":  # GitHub: the composite action's own steps cover every input
            [setup] = [step for step in job.steps if step.get("uses") == "./.github/actions/setup-project"]
            assert setup.get("with", {}).get("spark", "local") == ("serverless" if serverless else "local")
        else:
            assert ("--group dbconnect --no-group local" in text) is serverless, job.name
            assert ("JavaToolInstaller" in text) is not serverless, job.name
        assert ("TEST_SPARK" in text) is serverless, job.name
        if serverless:
            ci_identity = {"environment ci"} if job.name == "unit_tests" else {f"group {answers['project_slug']}-ci"}
            assert ci_files.identities(job) & ci_identity, job.name
            assert "DATABRICKS_HOST" in text and "uv run --no-sync pytest" in text, job.name
        else:
            assert ci_files.identities(job) == set(), job.name


def test_serverless_answer_is_covered():
    assert {load_answers(name).get("ci_unit_tests", "local") for name in WITH_CI} == {"local", "serverless"}


def ado_pipelines_to_create(project: Path) -> set[str]:
    step = (project / "README.md").read_text().split("1. Create the pipelines", 1)[1].split("\n2. ", 1)[0]
    return set(re.findall(r"`\.azuredevops/pipelines/(\w+)\.yml` named", step))


@pytest.fixture(scope="module")
def terraform_only_cd(tmp_path_factory) -> Path:
    """One environment with Terraform: CD has only Terraform to do."""
    return render(tmp_path_factory.mktemp("single") / "project", {"environments": ["dev"], "terraform": True})


def test_readme_says_to_create_every_rendered_pipeline(ado_project, terraform_only_cd):
    """Every pipeline file is in step 1, also where CD has only Terraform to do ([dev])."""
    for project in (ado_project, terraform_only_cd):
        rendered = {path.stem for path in (project / ci_files.ADO).glob("*.yml")}
        assert ado_pipelines_to_create(project) == rendered
    assert (terraform_only_cd / ci_files.ADO / "cd.yml").is_file()


# What CI files must leave to `integration-tests`: bundle commands on the test copies, and the
# clean-up of their schemas.
DEPLOY_LOGIC = re.compile(
    r"databricks bundle (?:deploy|run|destroy)[^\n]*(?:--target|-t)[ =]ci\b|drop-schema|test_run_id="
)


def test_every_ci_system_calls_the_one_integration_test_command(ci_project):
    """The deploy, dry run, test run and clean-up of the test copy are `integration-tests`
    subcommands; the CI files only call them, in order, and carry none of their logic."""
    project, answers = ci_project, recorded(ci_project)
    jobs = all_jobs(project, answers)
    carried = [match.group(0) for script in ci_files.scripts(jobs) for match in DEPLOY_LOGIC.finditer(script)]

    assert carried == []
    if answers["integration_tests"]:
        for job in jobs:
            if job.name.endswith("integration_tests"):
                calls = re.findall(r"integration-tests (\S+) --test-run-id", "\n".join(ci_files.scripts([job])))
                assert calls == ["deploy", "dry-run", "run", "destroy"], job.name


def test_the_deploy_logic_check_finds_bundle_commands_on_the_copy():
    old_step = 'databricks bundle deploy --target ci --var test_run_id="$TEST_RUN_ID"\nuv run x drop-schema "$S"'

    assert DEPLOY_LOGIC.findall(old_step) == ["databricks bundle deploy --target ci", "test_run_id=", "drop-schema"]
