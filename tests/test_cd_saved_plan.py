"""CD deploys the plan its approver saw: the plan, review and deploy steps of both CI systems, read
as the systems read them (tests/ci_files.py) and run here with bash, the project's own
`plan-review` and a stand-in Databricks CLI that answers as the real one does (its messages are
the CLI's, from github.com/databricks/cli at v1.13.0, as cited)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from . import ci_files
from .conftest import TEMPLATE

PLANS = TEMPLATE / "tools/tests/fixtures/plans"

# What `databricks bundle deploy --plan` says of a stale plan and of a Terraform-engine state
# (bundle/direct/bundle_plan.go ValidatePlanAgainstState; cmd/bundle/utils/process.go), and what
# Unity Catalog answers for a schema that exists already.
STALE = (
    "Error: plan serial 7 does not match state serial 8; the state has been modified since the plan "
    "was created. Please run 'bundle plan' again"
)
OTHER_LINEAGE = (
    'Error: plan lineage "a" does not match state lineage "b"; the state may have been modified by another process'
)
NOT_DIRECT = 'Error: --plan is only supported with direct engine (set bundle.engine to "direct" or DATABRICKS_BUNDLE_ENGINE=direct)'
EXISTS = "Error: cannot create schemas.sales: Schema 'sales_prod.sales' already exists"


def ado_jobs(project: Path) -> dict[str, ci_files.Job]:
    return {job.name: job for job in ci_files.ado_jobs(project) if job.file == "cd.yml"}


def github_jobs(project: Path) -> dict[str, ci_files.Job]:
    return {job.name: job for job in ci_files.github_jobs(project) if job.file == "cd.yml"}


def step(job: ci_files.Job, text: str) -> dict:
    [found] = [s for s in job.steps if text in (s.get("script") or s.get("run") or "")]
    return found


@pytest.fixture(scope="module")
def both(rendered) -> Path:
    """Both CI systems, three environments, Terraform."""
    return rendered("terraform")


def credentials(found: dict) -> set[str]:
    """The variables of a step that sign in to Databricks (tests/test_cicd.py SECRETS and the auth type)."""
    signing_in = ("DATABRICKS_AUTH_TYPE", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "SYSTEM_ACCESSTOKEN")
    return set(found.get("env") or {}) & set(signing_in)


def test_only_the_plan_step_holds_the_deployers_identity_before_the_approval(both):
    """The plan runs as the environment's deployer (a plan made by another identity would make
    that identity the owner of every job and pipeline: decision 0012); everything else before the
    approval, the project's own code included, runs without credentials."""
    ado = ado_jobs(both)["plan_staging.plan"]
    signed_in = [s for s in ado.steps if credentials(s)]
    assert [s["displayName"] for s in signed_in] == ["databricks bundle plan --target staging"]
    assert "uv run" not in signed_in[0]["script"]

    github = github_jobs(both)
    plan, review = github["plan_staging"], github["review_staging"]
    assert "uv" not in "\n".join(ci_files.scripts([plan]))
    assert not any(s.get("uses", "").endswith("setup-project") for s in plan.steps)
    assert review.environment is None
    assert ci_files.identities(review) == set()
    workflow = ci_files.load(both / ".github/workflows/cd.yml")
    assert "id-token" not in (workflow["jobs"]["review_staging"].get("permissions") or {})
    assert workflow["permissions"] == {"contents": "read"}


def test_the_summary_goes_where_the_approver_looks(both):
    ado = "\n".join(ci_files.scripts([ado_jobs(both)["plan_prod.plan"]]))
    github = "\n".join(ci_files.scripts([github_jobs(both)["review_prod"]]))

    assert "uv run --no-sync plan-review" in ado and 'echo "##vso[task.uploadsummary]$plan/summary.md"' in ado
    assert "uv run --no-sync plan-review" in github and '| tee -a "$GITHUB_STEP_SUMMARY"' in github


def test_the_reviewed_plan_travels_as_an_artifact_of_the_run(both):
    ado = ado_jobs(both)
    assert {"publish": "$(Pipeline.Workspace)/plan", "artifact": "plan-prod"} in [
        {k: v for k, v in s.items() if k in ("publish", "artifact")} for s in ado["plan_prod.plan"].steps
    ]
    assert {"download": "current", "artifact": "plan-prod"} in [
        {k: v for k, v in s.items() if k in ("download", "artifact")} for s in ado["deploy_prod.deploy"].steps
    ]

    github = github_jobs(both)

    def artifacts(job: str, action: str) -> list[dict]:
        return [s["with"] for s in github[job].steps if f"actions/{action}-artifact@" in s.get("uses", "")]

    assert [(a["name"], a["path"]) for a in artifacts("plan_prod", "upload")] == [("plan-prod", "plan/plan.json")]
    assert [a["name"] for a in artifacts("review_prod", "download")] == ["plan-prod"]
    assert [a["name"] for a in artifacts("review_prod", "upload")] == ["reviewed-plan-prod"]
    assert [a["name"] for a in artifacts("deploy_prod", "download")] == ["reviewed-plan-prod"]
    assert {a["retention-days"] for job in ("plan_prod", "review_prod") for a in artifacts(job, "upload")} == {7}


def test_the_override_is_a_parameter_set_on_purpose(both):
    pipeline = ci_files.load(both / ci_files.ADO / "cd.yml")
    workflow = ci_files.load(both / ".github/workflows/cd.yml")
    inputs = workflow[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads the key `on` as true

    assert {p["name"]: p["default"] for p in pipeline["parameters"]} == {
        "allowDestructive": "false",
        "migrate": "false",
    }
    assert {name: spec["default"] for name, spec in inputs.items()} == {"allow-destructive": False, "migrate": False}
    assert step(github_jobs(both)["review_prod"], "plan-review")["env"]["ALLOW_DESTRUCTIVE"] == (
        "${{ inputs.allow-destructive }}"
    )


# Running the steps.


def write_cli(folder: Path, answers: dict) -> Path:
    """A `databricks` that logs its arguments and answers as the CLI does; FAIL_WITH makes
    `bundle deploy` print that error and fail, MISSING names UC objects that do not exist."""
    folder.mkdir(parents=True, exist_ok=True)
    cli = folder / "databricks"
    cli.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, os, sys
            args = sys.argv[1:]
            with open(os.environ["CLI_LOG"], "a") as log:
                log.write(json.dumps(args) + "\\n")
            answers = {answers!r}
            if args[:2] == ["bundle", "deploy"] and os.environ.get("FAIL_WITH"):
                print(os.environ["FAIL_WITH"], file=sys.stderr)
                sys.exit(1)
            if args[:2] in (["schemas", "get"], ["volumes", "read"]) and args[2] in os.environ.get("MISSING", ""):
                sys.exit(1)
            if len(args) > 1 and args[1] in answers:
                print(json.dumps(answers[args[1]]))
            """
        )
    )
    cli.chmod(0o755)
    uv = folder / "uv"  # `uv run --no-sync plan-review ARGS`: the tooling's plan-review, here
    uv.write_text(f'#!/bin/sh\nshift 3\nexec {sys.executable} -m lakeflow_tools.plan_review "$@"\n')
    uv.chmod(0o755)
    return folder


CONFIGURATION = {
    "resources": {
        "schemas": {"lakeflow_project": {"catalog_name": "prod", "name": "lakeflow_project"}},
        "volumes": {"landing": {"volume_path": "/Volumes/prod/lakeflow_project/landing"}},
    }
}


def run(script: str, tmp_path: Path, env: dict, answers: dict | None = None) -> tuple[int, str, list[list[str]]]:
    """A step's script, as the agent runs it: bash, in the checkout, with the step's env."""
    bin_dir = write_cli(tmp_path / "bin", answers or {"validate": CONFIGURATION, "summary": {"resources": {}}})
    log = tmp_path / "cli.log"
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**os.environ, **env, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CLI_LOG": str(log)},
        capture_output=True,
        text=True,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result.returncode, result.stdout + result.stderr, calls


def review_with_ado(both: Path, tmp_path: Path, plan: str, allow: str = "False", migrate: str = "False"):
    review = step(ado_jobs(both)["plan_prod.plan"], "plan-review")
    folder = tmp_path / "plan"
    folder.mkdir(parents=True)
    shutil.copy(PLANS / plan, folder / "plan.json")
    env = {**review["env"], "PIPELINE_WORKSPACE": str(tmp_path), "ALLOW_DESTRUCTIVE": allow, "MIGRATE": migrate}
    return (*run(review["script"], tmp_path, env)[:2], folder)


def review_with_github(both: Path, tmp_path: Path, plan: str, allow: str = "", migrate: str = ""):
    review = step(github_jobs(both)["review_prod"], "plan-review")
    (tmp_path / "plan").mkdir(parents=True)
    shutil.copy(PLANS / plan, tmp_path / "plan/plan.json")
    summary = tmp_path / "step-summary.md"
    env = {"ALLOW_DESTRUCTIVE": allow, "MIGRATE": migrate, "GITHUB_STEP_SUMMARY": str(summary)}
    code, output, _ = run(review["run"], tmp_path, env)
    return code, output, summary


def test_ado_review_uploads_the_summary_and_passes_a_harmless_plan(both, tmp_path):
    code, output, folder = review_with_ado(both, tmp_path, "update_job.json")

    assert code == 0, output
    assert f"##vso[task.uploadsummary]{folder}/summary.md" in output
    assert (folder / "summary.md").read_text().startswith("## Deployment plan for `prod`")
    assert json.loads((folder / "review.json").read_text())["auto_approve"] is False


def test_ado_review_stops_a_destructive_plan_after_showing_it(both, tmp_path):
    code, output, folder = review_with_ado(both, tmp_path, "recreate_pipeline.json")

    assert code == 1
    assert "plan-review: refused: pipelines.orders (recreate)" in output
    assert "**Refused**" in (folder / "summary.md").read_text()
    assert "##vso[task.uploadsummary]" in output


def test_ado_review_passes_a_destructive_plan_the_run_allowed(both, tmp_path):
    code, output, folder = review_with_ado(both, tmp_path, "recreate_pipeline.json", allow="True")

    assert code == 0, output
    assert json.loads((folder / "review.json").read_text())["auto_approve"] is True


def test_github_review_writes_the_step_summary_and_keeps_the_verdict(both, tmp_path):
    code, output, summary = review_with_github(both, tmp_path, "delete_schema_and_volume.json")

    assert code == 1
    assert "### What is lost" in summary.read_text()
    assert "plan-review: refused: schemas.sales (delete)" in output
    code, _, _ = review_with_github(both, tmp_path / "allowed", "delete_schema_and_volume.json", allow="true")
    assert code == 0
    assert json.loads((tmp_path / "allowed/plan/review.json").read_text())["auto_approve"] is True


def test_both_reviews_stop_a_terraform_engine_plan_unless_migrating(both, tmp_path):
    assert review_with_ado(both, tmp_path / "a", "terraform_engine.json")[0] == 2
    assert review_with_ado(both, tmp_path / "b", "terraform_engine.json", migrate="True")[0] == 0
    assert review_with_github(both, tmp_path / "c", "terraform_engine.json")[0] == 2
    assert review_with_github(both, tmp_path / "d", "terraform_engine.json", migrate="true")[0] == 0


def deploy_scripts(project: Path, migrate: bool) -> dict[str, tuple[str, dict]]:
    """The deploy step of each system, its script and env, for a run with or without migrate."""
    ado = ado_jobs(project)["deploy_prod.deploy"]
    marker = "deployment migrate" if migrate else "--plan"
    [azure] = [s for s in ado.steps if marker in s.get("script", "")]
    github = github_jobs(project)["deploy_prod"]
    [action] = [s for s in github.steps if marker in s.get("run", "")]
    return {"azure": (azure["script"], {}), "github": (action["run"], action["env"])}


def reviewed(tmp_path: Path, system: str, plan: str, **verdict) -> Path:
    """The artifact as the deploy job downloads it: the plan and plan-review's verdict."""
    folder = tmp_path / ("plan-prod" if system == "azure" else "plan")
    folder.mkdir(parents=True)
    shutil.copy(PLANS / plan, folder / "plan.json")
    (folder / "review.json").write_text(json.dumps({"engine": "direct", "auto_approve": False, **verdict}))
    return folder


@pytest.mark.parametrize("system", ["azure", "github"])
@pytest.mark.parametrize(("auto_approve", "flags"), [(False, []), (True, ["--auto-approve"])])
def test_the_deploy_applies_the_reviewed_plan(both, tmp_path, system, auto_approve, flags):
    script, env = deploy_scripts(both, migrate=False)[system]
    folder = reviewed(tmp_path, system, "update_job.json", auto_approve=auto_approve)

    code, output, calls = run(script, tmp_path, {**env, "PIPELINE_WORKSPACE": str(tmp_path)})

    assert code == 0, output
    plan = str(folder / "plan.json") if system == "azure" else "plan/plan.json"
    assert calls == [["bundle", "deploy", "--target", "prod", "--plan", plan, *flags]]


@pytest.mark.parametrize("system", ["azure", "github"])
@pytest.mark.parametrize(
    ("error", "says"),
    [
        pytest.param(STALE, "The plan is stale: prod was deployed after it was made. Run", id="stale serial"),
        pytest.param(OTHER_LINEAGE, "The plan is stale", id="other lineage"),
        pytest.param(NOT_DIRECT, "still uses the Terraform engine: run", id="terraform state"),
        pytest.param(EXISTS, "exists already outside the bundle", id="not adopted"),
    ],
)
def test_a_refused_deploy_shows_the_clis_message_and_what_to_run(both, tmp_path, system, error, says):
    script, env = deploy_scripts(both, migrate=False)[system]
    reviewed(tmp_path, system, "update_job.json")

    code, output, _ = run(script, tmp_path, {**env, "PIPELINE_WORKSPACE": str(tmp_path), "FAIL_WITH": error})

    assert code == 1
    assert error in output
    assert says in output
    assert ("##vso[task.logissue type=error]" if system == "azure" else "::error::") in output


def expected_migration(binds: bool, engine: str, flags: list[str]) -> list[list[str]]:
    target = ["--target", "prod"]
    calls = [["bundle", "validate", *target, "--output", "json"], ["bundle", "summary", *target, "--output", "json"]]
    if binds:
        calls += [
            ["schemas", "get", "prod.lakeflow_project"],
            ["bundle", "deployment", "bind", "lakeflow_project", "prod.lakeflow_project", *target, "--auto-approve"],
            ["volumes", "read", "prod.lakeflow_project.landing"],
            ["bundle", "deployment", "bind", "landing", "prod.lakeflow_project.landing", *target, "--auto-approve"],
        ]
    if engine == "terraform":
        calls.append(["bundle", "deployment", "migrate", *target])
    return [*calls, ["bundle", "deploy", *target, *flags]]


@pytest.mark.parametrize("system", ["azure", "github"])
@pytest.mark.parametrize("engine", ["terraform", "direct"])
def test_a_migration_run_adopts_migrates_and_deploys_once(both, tmp_path, system, engine):
    script, env = deploy_scripts(both, migrate=True)[system]
    reviewed(tmp_path, system, "terraform_engine.json", engine=engine)

    code, output, calls = run(script, tmp_path, {**env, "PIPELINE_WORKSPACE": str(tmp_path)})

    assert code == 0, output
    assert calls == expected_migration(binds=True, engine=engine, flags=[])


@pytest.mark.parametrize("system", ["azure", "github"])
def test_a_migration_run_binds_only_what_exists_and_is_not_bound(both, tmp_path, system):
    script, env = deploy_scripts(both, migrate=True)[system]
    reviewed(tmp_path, system, "terraform_engine.json", auto_approve=True)
    bound = {"resources": {"schemas": {"lakeflow_project": {"id": "prod.lakeflow_project"}}}}
    answers = {"validate": CONFIGURATION, "summary": bound}

    env = {**env, "PIPELINE_WORKSPACE": str(tmp_path), "MISSING": "prod.lakeflow_project.landing"}
    code, output, calls = run(script, tmp_path, env, answers)

    assert code == 0, output
    assert [call for call in calls if "bind" in call] == []
    assert calls[-1] == ["bundle", "deploy", "--target", "prod", "--auto-approve"]


def test_both_systems_deploy_alike(both):
    """The same commands in the same order: the two files cannot drift apart unnoticed."""
    for migrate in (False, True):
        scripts = deploy_scripts(both, migrate)
        commands = {
            system: [
                line.split("databricks ", 1)[1].split(" ")[:3] for line in script.splitlines() if "databricks " in line
            ]
            for system, (script, _) in scripts.items()
        }
        assert commands["azure"] == commands["github"]
        assert commands["azure"], migrate


def test_a_single_shared_environment_gets_the_same_chain(tmp_path):
    """[dev, prod], GitHub only, no Terraform: plan, review, deploy of prod, and nothing else."""
    from .conftest import render

    project = render(tmp_path / "p", {"environments": ["dev", "prod"], "ci": ["github_actions"]})
    jobs = github_jobs(project)

    assert list(jobs) == ["plan_prod", "review_prod", "deploy_prod"]
    assert jobs["plan_prod"].depends_on == []
    assert yaml.safe_load((project / ".github/actions/deploy-plan/action.yml").read_text())["name"]


def test_the_deploy_page_shows_the_summary_an_approver_sees():
    """docs/cicd.md quotes plan-review's summary of a plan; it is that command's output, verbatim."""
    from lakeflow_tools import plan_review

    page = (TEMPLATE / "docs/cicd.md").read_text()
    quoted = page.split("<!-- plan-review release.json --target prod -->\n", 1)[1].split(
        "\n<!-- end of plan-review -->"
    )[0]
    shown = "\n".join(line.removeprefix("> ").removeprefix(">") for line in quoted.splitlines())
    review = plan_review.Review(plan_review.load(PLANS / "release.json"), allow_destructive=False, migrating=False)

    assert shown == plan_review.summary(review, "prod").rstrip("\n")
    assert "**recreate**" in shown
